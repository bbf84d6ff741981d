//! Two sheriffs sharing one log through a bare git repository: entries cross over with no
//! conflict, also after both worked offline, also when one author wrote on both machines.

#[path = "support/git.rs"]
mod git_support;
use git_support::git;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use sheriff::event::channel;
use sheriff::event::Event;
use sheriff::handoff::{watch, Entry, EntryKind, Log};

const NET: Duration = Duration::from_secs(20);

fn ids(log: &Log) -> BTreeSet<String> {
    let loaded = log.load().expect("loads");
    assert!(loaded.corrupt.is_empty(), "{:?}", loaded.corrupt);
    loaded.entries.into_iter().map(|e| e.id).collect()
}

/// alex syncs, sam syncs, alex syncs again: afterwards both have everything.
fn sync_both_ways(a: &Log, b: &Log) {
    a.share()
        .expect("shared")
        .sync("alex", NET)
        .expect("sync a");
    b.share().expect("shared").sync("sam", NET).expect("sync b");
    a.share()
        .expect("shared")
        .sync("alex", NET)
        .expect("sync a again");
}

fn note(log: &Log, author: &str, text: &str) -> String {
    let saved = log
        .append(Entry::new(EntryKind::Note, author, text))
        .expect("append");
    assert_eq!(saved.commit_error, None, "each entry is committed");
    saved.entry.id
}

#[test]
fn two_clones_exchange_entries_online_and_after_working_offline() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bare = tmp.path().join("handoff.git");
    let away = tmp.path().join("handoff.git.away");
    std::fs::create_dir(&bare).expect("mkdir");
    git(&bare, &["init", "-q", "--bare"]);
    let remote = bare.to_str().expect("utf-8 path");
    let a = Log::shared(tmp.path().join("alex"), remote);
    let b = Log::shared(tmp.path().join("sam"), remote);

    // Online: each sheriff's entries reach the other.
    let mut all = BTreeSet::new();
    all.insert(note(&a, "alex", "took over from sam"));
    all.insert(note(&a, "alex", "api staging flaky"));
    assert!(
        a.share()
            .expect("shared")
            .sync("alex", NET)
            .expect("sync a")
            .pushed
    );
    b.share().expect("shared").sync("sam", NET).expect("sync b");
    assert_eq!(ids(&b), all);
    all.insert(note(&b, "sam", "restarted php-fpm"));
    b.share().expect("shared").sync("sam", NET).expect("sync b");
    a.share()
        .expect("shared")
        .sync("alex", NET)
        .expect("sync a");
    assert_eq!(ids(&a), all);

    // alex's sheriff watches its log: teammates' entries must show up in the pane.
    let (tx, mut rx) = channel();
    let _watch = watch(&a, tx);

    // Offline: the remote is gone. Both keep working; appends still save and commit.
    std::fs::rename(&bare, &away).expect("take the remote away");
    for i in 0..3 {
        all.insert(note(&a, "alex", &format!("offline a {i}")));
        all.insert(note(&b, "sam", &format!("offline b {i}")));
    }
    // The same author on both machines, the same day: the same file changed on both sides.
    all.insert(note(&b, "alex", "alex on sam's laptop"));
    assert!(a
        .share()
        .expect("shared")
        .sync("alex", Duration::from_secs(5))
        .is_err());
    assert!(b
        .share()
        .expect("shared")
        .sync("sam", Duration::from_secs(5))
        .is_err());

    // Back online: sync both ways; everyone has everything, no conflict anywhere.
    std::fs::rename(&away, &bare).expect("bring the remote back");
    sync_both_ways(&a, &b);
    assert_eq!(ids(&a), all);
    assert_eq!(ids(&b), all);
    for dir in [a.root(), b.root()] {
        assert_eq!(
            git(dir, &["status", "--porcelain"]),
            "",
            "clean work tree in {}",
            dir.display()
        );
    }
    for file in a
        .files()
        .expect("files")
        .iter()
        .chain(&b.files().expect("files"))
    {
        let text = std::fs::read_to_string(file).expect("read");
        assert!(
            !text.contains("<<<<<<<"),
            "conflict markers in {}",
            file.display()
        );
    }
    // One file per author per day, and each entry was its own commit.
    let files = a.files().expect("files");
    assert!(files
        .iter()
        .all(|f| f.to_string_lossy().ends_with("-alex.jsonl")
            || f.to_string_lossy().ends_with("-sam.jsonl")));
    let subjects = git(a.root(), &["log", "--format=%s"]);
    assert!(
        subjects.contains("note: offline a 2") && subjects.contains("note: offline b 2"),
        "{subjects}"
    );

    // The watcher on alex's side saw sam's offline entries arrive with the merge.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = BTreeSet::new();
    while !seen.contains("offline b 2") {
        assert!(
            Instant::now() < deadline,
            "teammate entries never reached the watcher: {seen:?}"
        );
        match rx.try_recv() {
            Ok(Event::HandoffEntries(v)) => seen.extend(v.into_iter().map(|e| e.text)),
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[test]
fn two_sheriffs_that_started_offline_merge_their_unrelated_histories() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bare = tmp.path().join("handoff.git");
    let remote = bare.to_str().expect("utf-8 path");
    let a = Log::shared(tmp.path().join("alex"), remote);
    let b = Log::shared(tmp.path().join("sam"), remote);
    // The remote does not exist yet: both start on their own.
    let mut all = BTreeSet::new();
    all.insert(note(&a, "alex", "first from alex"));
    all.insert(note(&b, "sam", "first from sam"));
    assert!(a
        .share()
        .expect("shared")
        .sync("alex", Duration::from_secs(5))
        .is_err());

    std::fs::create_dir(&bare).expect("mkdir");
    git(&bare, &["init", "-q", "--bare"]);
    sync_both_ways(&a, &b);
    assert_eq!(ids(&a), all);
    assert_eq!(ids(&b), all);
}
