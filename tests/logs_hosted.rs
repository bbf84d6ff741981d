//! Journals and commands on a host, run over the SSH pool against a real OpenSSH sshd
//! (logging in as the sshd support's test user): a journal followed across an sshd kill and
//! restart shows every entry exactly once with a mark where the connection dropped; a
//! command's lines arrive tagged `name@host`, masked and whole, and its exits and dropped
//! connections are marked in the log.
//!
//! One sshd serves the whole binary (`support/log_bed.rs`); tests that kill it take turns
//! (a lock).

#[path = "support/journal.rs"]
mod journal;
#[path = "support/log_bed.rs"]
mod log_bed;
#[path = "support/sshd.rs"]
mod sshd;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use log_bed::{bed, log_dir, sshd, Seen};
use sheriff::logs::backoff::Backoff;
use sheriff::logs::command::CommandTail;
use sheriff::logs::journal::JournalTail;
use sheriff::logs::runner::Runner;
use sheriff::transport::ssh::SshPool;
use sshd::Sshd;

/// A runner on the shared sshd as host `web`.
fn on_web(sshd: &Sshd) -> Runner {
    let home = &bed().home;
    let pool = SshPool::new(&[home.host("web", sshd)], home.options(), None);
    Runner::Host {
        pool,
        host: "web".into(),
    }
}

fn quick() -> Backoff {
    Backoff::new(Duration::from_millis(100), Duration::from_millis(200))
}

/// Appends entries `range` to `journal`, readable by the test user (journalctl runs as it).
fn write_entries(journal: &Path, range: std::ops::RangeInclusive<i64>) {
    let export: String = range
        .map(|i| {
            let time = 1_733_100_000_000_000 + i * 1_000_000;
            journal::export_entry(time, i * 1000, "app.service", 6, &format!("entry {i}"))
        })
        .collect();
    journal::append_export(journal, &export);
    fs::set_permissions(journal, fs::Permissions::from_mode(0o644)).expect("chmod");
}

fn entry(i: i64) -> String {
    format!("web1 app.service: entry {i}")
}

#[tokio::test]
async fn a_journal_on_a_host_shows_each_entry_once_across_an_sshd_restart() {
    let mut sshd = sshd().await;
    let dir = log_dir("journal");
    let file = dir.join("a.journal");
    write_entries(&file, 1..=3);
    let mut tail = JournalTail::new("sys@web", "*").on_host("web");
    tail.journal = vec!["--directory".into(), dir.display().to_string()];
    tail.backoff = quick();
    let (tx, rx) = sheriff::event::channel();
    let task = tokio::spawn(tail.run_on(on_web(&sshd), tx));
    let mut seen = Seen::new(rx);
    seen.until_line(&entry(3)).await;
    write_entries(&file, 4..=5);
    seen.until_line(&entry(5)).await;

    sshd.stop();
    write_entries(&file, 6..=7);
    sshd.restart();
    seen.until_line(&entry(7)).await;
    write_entries(&file, 8..=8);
    seen.until_line(&entry(8)).await;

    let want: Vec<String> = (1..=8).map(entry).collect();
    assert_eq!(seen.file_lines(), want, "every entry once, in order");
    assert!(seen.lines.iter().all(|l| l.source == "sys@web"));
    let texts = seen.texts();
    let cut = texts.iter().position(|t| *t == entry(5)).expect("entry 5");
    let back = texts.iter().position(|t| *t == entry(6)).expect("entry 6");
    let marks = &texts[cut + 1..back];
    assert!(
        marks.iter().any(|m| m.starts_with("⋯ connection lost")),
        "the drop is marked: {texts:?}"
    );
    assert_eq!(
        marks.last().map(|m| m.starts_with("⋯ reconnected after ")),
        Some(true),
        "the return is marked just before the next entry: {texts:?}"
    );
    assert_eq!(seen.marks().len(), marks.len(), "no other marks: {texts:?}");
    task.abort();
}

#[tokio::test]
async fn a_command_on_a_host_is_tagged_masked_whole_and_restarted() {
    let sshd = sshd().await;
    let token = "ghp_Xk3b9QmZr2Lw8Vt5Nc1Hy7Ud4Jf6Ps0Ae2Ri";
    let command = format!(
        "printf 'one\\n'; printf 'token {token}\\n'; printf 'bad \\377 byte\\n'; \
         echo oops >&2; sleep 0.2; echo done; exit 3"
    );
    let mut tail = CommandTail::new("cmd@web", command).on_host("web");
    tail.backoff = quick();
    let (tx, rx) = sheriff::event::channel();
    let task = tokio::spawn(tail.run_on(on_web(&sshd), tx));
    let mut seen = Seen::new(rx);
    seen.until("two runs", |lines| {
        lines.iter().filter(|l| l.text == "done").count() >= 2
    })
    .await;
    let texts = seen.texts();
    let run: Vec<&str> = texts.iter().copied().take_while(|t| *t != "done").collect();
    assert_eq!(run.len(), 4, "one, token, bad, oops: {texts:?}");
    assert_eq!(run[0], "one");
    assert!(run.contains(&"oops"), "stderr is shown: {texts:?}");
    let masked = run
        .iter()
        .find(|t| t.starts_with("token "))
        .expect("the token line");
    assert!(!masked.contains(&token[4..]), "masked: {masked}");
    let odd = run
        .iter()
        .find(|t| t.starts_with("bad "))
        .expect("the odd line");
    assert!(
        odd.ends_with(" byte") && odd.len() > "bad  byte".len(),
        "{odd}"
    );
    let done = texts.iter().position(|t| *t == "done").expect("done");
    assert_eq!(
        texts[done + 1],
        "⋯ command exited (status 3); restarting in 100ms",
        "{texts:?}"
    );
    assert_eq!(texts[done + 2], "one", "then it runs again: {texts:?}");
    assert!(seen.lines.iter().all(|l| l.source == "cmd@web"));
    task.abort();
}

#[tokio::test]
async fn a_command_cut_by_a_dropped_connection_is_marked_and_run_again() {
    let mut sshd = sshd().await;
    let mut tail = CommandTail::new("cmd@web", "echo start; exec sleep 60").on_host("web");
    tail.backoff = quick();
    let (tx, rx) = sheriff::event::channel();
    let task = tokio::spawn(tail.run_on(on_web(&sshd), tx));
    let mut seen = Seen::new(rx);
    seen.until_line("start").await;
    sshd.stop();
    sshd.restart();
    seen.until("the second start", |lines| {
        lines.iter().filter(|l| l.text == "start").count() >= 2
    })
    .await;
    let texts = seen.texts();
    assert_eq!(texts.first(), Some(&"start"), "{texts:?}");
    assert_eq!(texts.last(), Some(&"start"), "{texts:?}");
    let marks = &texts[1..texts.len() - 1];
    assert!(
        marks
            .first()
            .is_some_and(|m| m.starts_with("⋯ connection lost")),
        "{texts:?}"
    );
    assert!(
        marks
            .last()
            .is_some_and(|m| m.starts_with("⋯ reconnected after ")),
        "{texts:?}"
    );
    task.abort();
}
