//! Reading one side of a drift target from a local root and from a host over a real
//! OpenSSH sshd (logged in as the sshd support's non-root test user): the two listings of
//! the same tree are the same Tree, `fill` reads exactly the asked files, an unreadable
//! file is reported on its own, commands and HTTP bodies are one entry, a hung host is an
//! error in bounded time, and few bytes travel when few files are read.
//!
//! One sshd serves the whole binary (`support/log_bed.rs`); tests take turns on it, as the
//! one that freezes it must have it alone.

#[path = "support/log_bed.rs"]
mod log_bed;
#[path = "support/sshd.rs"]
mod sshd;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use log_bed::{bed, log_dir, sshd};
use sheriff::drift::fetch::{self, DriftTarget, FetchError, Globs, Place, TargetKind};
use sheriff::drift::side::{EntryKind, Tree};
use sheriff::transport::ssh::SshPool;
use sshd::{Sshd, TEST_USER};

/// A pool on the shared sshd as host `web`.
fn web(sshd: &Sshd) -> Place {
    let home = &bed().home;
    let pool = SshPool::new(&[home.host("web", sshd)], home.options(), None);
    Place::host(pool, "web")
}

fn write(dir: &Path, rel: impl AsRef<OsStr>, bytes: &[u8]) -> PathBuf {
    let path = dir.join(rel.as_ref());
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir -p");
    fs::write(&path, bytes).expect("write");
    path
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Gives the tree to the test user, so what it may read over SSH is what the modes say.
fn chown_to_test_user(dir: &Path) {
    let status = Command::new("chown")
        .args(["-R", "-h", &format!("{TEST_USER}:{TEST_USER}")])
        .arg(dir)
        .status()
        .expect("chown");
    assert!(status.success(), "chown -R {}", dir.display());
}

const ODD_NAME: &str = "with space\nand newline.conf";
const NON_UTF8: &[u8] = b"bad\xffname.txt";
const NON_UTF8_KEY: &str = "bad\\xffname.txt";
/// Over the per-file cap: hashed, never fetched.
const BIG: usize = 13 << 20;

/// Nested dirs, odd names, a symlink, a 0600 file, an unreadable one, a binary file, a big
/// one, and files the globs leave out.
fn odd_tree(name: &str) -> PathBuf {
    let dir = log_dir(name);
    write(&dir, "etc/nginx/nginx.conf", b"worker_processes 4;\n");
    write(
        &dir,
        "etc/nginx/conf.d/site a.conf",
        b"server { listen 80; }\n",
    );
    write(&dir, ODD_NAME, b"odd\n");
    write(&dir, OsStr::from_bytes(NON_UTF8), b"not utf-8 named\n");
    write(&dir, "back\\slash", b"backslash\n");
    std::os::unix::fs::symlink("etc/nginx/nginx.conf", dir.join("current")).expect("symlink");
    std::os::unix::fs::symlink("nowhere", dir.join("dangling")).expect("symlink");
    chmod(&write(&dir, "secret.env", b"DB_PASSWORD=hunter2\n"), 0o600);
    write(&dir, "blob.bin", &[0u8, 159, 146, 150, 0, 255, 10, 13]);
    let big: Vec<u8> = (0..BIG).map(|i| (i % 251) as u8).collect();
    write(&dir, "big.bin", &big);
    write(&dir, "app.log", b"left out\n");
    write(&dir, "cache/x/y", b"left out\n");
    let locked = write(&dir, "locked.key", b"nobody reads this\n");
    chown_to_test_user(&dir);
    // After the chown: 000 keeps even the owner out (root still reads it locally).
    chmod(&locked, 0o000);
    dir
}

fn tree_target(dir: &Path) -> DriftTarget {
    let globs = Globs::new(&[], &["*.log", "cache/**"]).expect("globs");
    DriftTarget::new(
        "app",
        TargetKind::Tree {
            path: format!("{}/", dir.display()),
            globs,
        },
    )
}

fn content<'a>(tree: &'a Tree, key: &str) -> Option<&'a [u8]> {
    match &tree.entries.get(key)?.kind {
        EntryKind::File { content, .. } => content.as_deref(),
        _ => None,
    }
}

/// The file the test user cannot read is unreadable over SSH only (tests run as root,
/// which reads anything): checked here, then taken out of both Trees.
fn take_locked(local: &mut Tree, remote: &mut Tree) {
    let remote_locked = remote
        .entries
        .remove("locked.key")
        .expect("listed over SSH");
    assert_eq!(
        remote_locked.kind,
        EntryKind::Unreadable {
            reason: "permission denied".into()
        }
    );
    assert_eq!(remote_locked.mode, Some(0));
    let local_locked = local.entries.remove("locked.key").expect("listed locally");
    assert!(matches!(local_locked.kind, EntryKind::File { .. }));
}

#[tokio::test]
async fn a_tree_listed_locally_and_over_ssh_is_the_same_tree() {
    let sshd = sshd().await;
    let dir = odd_tree("same");
    let target = tree_target(&dir);
    let mut local = fetch::list(&target, &Place::local("/"))
        .await
        .expect("local");
    let mut remote = fetch::list(&target, &web(&sshd)).await.expect("over ssh");
    take_locked(&mut local, &mut remote);
    assert_eq!(local, remote);

    let keys: Vec<&str> = remote.entries.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "back\\\\slash",
            NON_UTF8_KEY,
            "big.bin",
            "blob.bin",
            "current",
            "dangling",
            "etc/nginx/conf.d/site a.conf",
            "etc/nginx/nginx.conf",
            "secret.env",
            ODD_NAME,
        ]
    );
    let entry = |key: &str| remote.entries.get(key).expect(key);
    assert_eq!(
        entry("current").kind,
        EntryKind::Symlink {
            target: "etc/nginx/nginx.conf".into()
        }
    );
    assert_eq!(entry("secret.env").mode, Some(0o600));
    let owner = format!("{TEST_USER}:{TEST_USER}");
    assert_eq!(entry("secret.env").owner.as_deref(), Some(owner.as_str()));
    let sha = |bytes: &[u8]| -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(bytes).into()
    };
    assert_eq!(
        entry(ODD_NAME).kind,
        EntryKind::File {
            sha256: sha(b"odd\n"),
            size: 4,
            content: None
        }
    );
    match &entry("big.bin").kind {
        EntryKind::File { size, .. } => assert_eq!(*size, BIG as u64),
        other => panic!("big.bin: {other:?}"),
    }
    assert!(remote.notes.is_empty(), "{:?}", remote.notes);
}

#[tokio::test]
async fn fill_reads_exactly_the_asked_files_and_leaves_big_ones_hash_only() {
    let sshd = sshd().await;
    let dir = odd_tree("fill");
    let target = tree_target(&dir);
    let asked: Vec<String> = [
        NON_UTF8_KEY,
        ODD_NAME,
        "blob.bin",
        "big.bin",
        "current",
        "absent",
    ]
    .map(String::from)
    .to_vec();
    let local_place = Place::local("/");
    let mut local = fetch::list(&target, &local_place).await.expect("local");
    fetch::fill(&target, &mut local, &asked, &local_place)
        .await
        .expect("local fill");
    let place = web(&sshd);
    let mut remote = fetch::list(&target, &place).await.expect("over ssh");
    fetch::fill(&target, &mut remote, &asked, &place)
        .await
        .expect("fill over ssh");

    for (key, rel) in [
        (NON_UTF8_KEY, OsStr::from_bytes(NON_UTF8)),
        (ODD_NAME, OsStr::new(ODD_NAME)),
        ("blob.bin", OsStr::new("blob.bin")),
    ] {
        let on_disk = fs::read(dir.join(rel)).expect("read");
        assert_eq!(content(&remote, key), Some(on_disk.as_slice()), "{key:?}");
    }
    let read: Vec<&String> = remote
        .entries
        .iter()
        .filter(|(_, e)| {
            matches!(
                &e.kind,
                EntryKind::File {
                    content: Some(_),
                    ..
                }
            )
        })
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        read,
        [NON_UTF8_KEY, "blob.bin", ODD_NAME],
        "only the asked files"
    );
    assert_eq!(
        remote.notes,
        ["1 file(s) over 12 MiB each: compared by hash only"]
    );
    take_locked(&mut local, &mut remote);
    assert_eq!(local, remote, "a local fill reads the same");
}

#[tokio::test]
async fn a_single_file_and_a_missing_path() {
    let sshd = sshd().await;
    let dir = odd_tree("single");
    let file = DriftTarget::new(
        "nginx",
        TargetKind::File {
            path: "{root}/etc/nginx/nginx.conf".into(),
        },
    );
    let vars = BTreeMap::from([("root".to_string(), dir.display().to_string())]);
    let file = file.for_vars(&vars);
    let place = web(&sshd);
    let mut tree = fetch::list(&file, &place).await.expect("over ssh");
    let keys: Vec<&String> = tree.entries.keys().collect();
    assert_eq!(keys, ["nginx.conf"]);
    fetch::fill(&file, &mut tree, &["nginx.conf".to_string()], &place)
        .await
        .expect("fill");
    assert_eq!(
        content(&tree, "nginx.conf"),
        Some(&b"worker_processes 4;\n"[..])
    );
    let local = fetch::list(&file, &Place::local("/")).await.expect("local");
    assert_eq!(local.entries.keys().collect::<Vec<_>>(), ["nginx.conf"]);

    let missing = tree_target(&dir.join("nope"));
    let tree = fetch::list(&missing, &place)
        .await
        .expect("a missing path is a Tree");
    assert!(tree.entries.is_empty());
    assert_eq!(tree.notes.len(), 1, "{:?}", tree.notes);
    assert!(tree.notes[0].contains("does not exist"), "{:?}", tree.notes);
}

#[tokio::test]
async fn a_command_is_one_entry_named_after_the_target() {
    let sshd = sshd().await;
    let command = DriftTarget::new(
        "sysctl",
        TargetKind::Command {
            command: "printf 'vm.swappiness = %s\\n' {swappiness}".into(),
        },
    )
    .for_vars(&BTreeMap::from([(
        "swappiness".to_string(),
        "10".to_string(),
    )]));
    let remote = fetch::list(&command, &web(&sshd)).await.expect("over ssh");
    let local = fetch::list(&command, &Place::local("/"))
        .await
        .expect("local");
    assert_eq!(remote.entries.len(), 1);
    assert_eq!(
        content(&remote, "sysctl"),
        Some(&b"vm.swappiness = 10\n"[..])
    );
    assert_eq!(local, remote);

    let failing = DriftTarget::new(
        "broken",
        TargetKind::Command {
            command: "echo 'nginx: bad config' >&2; exit 1".into(),
        },
    );
    let tree = fetch::list(&failing, &web(&sshd)).await.expect("over ssh");
    assert_eq!(
        tree.entries["broken"].kind,
        EntryKind::Unreadable {
            reason: "exited with status 1: nginx: bad config".into()
        }
    );
}

/// Answers each connection on a loopback port with `status` and `body`, once per entry.
fn serve_http(answers: Vec<(&'static str, &'static str)>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for (status, body) in answers {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

#[tokio::test]
async fn an_http_body_is_one_entry_and_an_error_status_is_unreadable() {
    let base = serve_http(vec![
        ("200 OK", r#"{"version":"1.4.2"}"#),
        ("404 Not Found", "no such page"),
    ]);
    let version = DriftTarget::new(
        "version",
        TargetKind::Http {
            url: "{base}/version".into(),
        },
    )
    .for_vars(&BTreeMap::from([("base".to_string(), base)]));
    let place = Place::http().expect("client");
    let tree = fetch::list(&version, &place).await.expect("fetched");
    assert_eq!(tree.entries.len(), 1);
    assert_eq!(
        content(&tree, "version"),
        Some(&br#"{"version":"1.4.2"}"#[..])
    );
    let tree = fetch::list(&version, &place).await.expect("fetched");
    assert_eq!(
        tree.entries["version"].kind,
        EntryKind::Unreadable {
            reason: "HTTP 404 Not Found".into()
        }
    );
    let closed = DriftTarget::new(
        "version",
        TargetKind::Http {
            url: "http://admin:s3cret-pass@127.0.0.1:1/version".into(),
        },
    );
    let err = fetch::list(&closed, &place)
        .await
        .expect_err("nothing listens");
    let text = err.to_string();
    assert!(text.ends_with(": connection refused"), "{text}");
    assert!(!text.contains("s3cret-pass"), "{text}");
    let wrong = fetch::list(&version, &Place::local("/")).await;
    assert!(
        matches!(wrong, Err(FetchError::WrongPlace { .. })),
        "{wrong:?}"
    );
}

#[tokio::test]
async fn a_frozen_host_is_hung_within_the_timeout() {
    let sshd = sshd().await;
    let dir = log_dir("frozen");
    write(&dir, "a.conf", b"a\n");
    let mut target = tree_target(&dir);
    target.timeout = Duration::from_secs(2);
    let place = web(&sshd);
    fetch::list(&target, &place).await.expect("connected first");
    sshd.freeze();
    let started = Instant::now();
    let result = fetch::list(&target, &place).await;
    let took = started.elapsed();
    sshd.thaw();
    let err = result.expect_err("a frozen host cannot answer");
    assert!(matches!(err, FetchError::Hung { .. }), "{err:?}");
    assert!(
        err.to_string().contains("web hung: no answer within 2s"),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "gave up after {took:?}");
}

#[tokio::test]
async fn few_bytes_travel_when_few_files_of_a_large_tree_are_read() {
    let sshd = sshd().await;
    let dir = log_dir("thousand");
    let mut total = 0usize;
    for i in 0..1000 {
        let body = format!("setting_{i} = {}\n", "x".repeat(4000));
        total += body.len();
        write(
            &dir,
            format!("conf/{:02}/file-{i}.conf", i % 20),
            body.as_bytes(),
        );
    }
    chown_to_test_user(&dir);
    let target = tree_target(&dir);
    let place = web(&sshd);
    let mut tree = fetch::list(&target, &place).await.expect("over ssh");
    assert_eq!(tree.entries.len(), 1000);
    let listed = place.bytes_transferred();
    let asked: Vec<String> = (0..5)
        .map(|i| format!("conf/{i:02}/file-{i}.conf"))
        .collect();
    fetch::fill(&target, &mut tree, &asked, &place)
        .await
        .expect("fill");
    let filled = place.bytes_transferred() - listed;
    assert!(
        filled > 5 * 4000 && filled < 5 * 4100 + 2000,
        "fill moved {filled} bytes"
    );
    assert!(
        place.bytes_transferred() < total as u64 / 10,
        "{} bytes moved for a tree of {total}",
        place.bytes_transferred()
    );
}

#[tokio::test]
async fn a_closed_directory_is_one_unreadable_entry_inside_a_tree_and_an_error_as_the_target() {
    let sshd = sshd().await;
    let dir = log_dir("closed");
    write(&dir, "open.conf", b"open\n");
    write(&dir, "private/inner.key", b"hidden\n");
    chown_to_test_user(&dir);
    let private = dir.join("private");
    let status = Command::new("chown")
        .arg("root:root")
        .arg(&private)
        .status();
    assert!(status.expect("chown").success());
    chmod(&private, 0o700);

    let tree = fetch::list(&tree_target(&dir), &web(&sshd))
        .await
        .expect("over ssh");
    let keys: Vec<&String> = tree.entries.keys().collect();
    assert_eq!(keys, ["open.conf", "private"]);
    assert_eq!(
        tree.entries["private"].kind,
        EntryKind::Unreadable {
            reason: "permission denied: the directory's files are not listed".into()
        }
    );

    let err = fetch::list(&tree_target(&private), &web(&sshd))
        .await
        .expect_err("nothing of the target can be read");
    assert!(matches!(err, FetchError::Closed { .. }), "{err:?}");
    assert!(err.to_string().starts_with("web: cannot read "), "{err}");
}

#[tokio::test]
async fn files_changed_or_removed_after_the_listing_are_said_so() {
    let sshd = sshd().await;
    for (name, place) in [
        ("later-local", Place::local("/")),
        ("later-ssh", web(&sshd)),
    ] {
        let dir = log_dir(name);
        write(&dir, "edited.conf", b"workers = 8\n");
        write(&dir, "removed.conf", b"gone soon\n");
        chown_to_test_user(&dir);
        let target = tree_target(&dir);
        let mut tree = fetch::list(&target, &place).await.expect("listed");
        write(&dir, "edited.conf", b"workers = 4\n");
        fs::remove_file(dir.join("removed.conf")).expect("rm");
        let asked = ["edited.conf".to_string(), "removed.conf".to_string()];
        fetch::fill(&target, &mut tree, &asked, &place)
            .await
            .expect("fill");
        assert_eq!(
            content(&tree, "edited.conf"),
            Some(&b"workers = 4\n"[..]),
            "{name}"
        );
        assert_eq!(
            tree.entries["removed.conf"].kind,
            EntryKind::Unreadable {
                reason: "cannot be read now (removed or its permissions changed)".into()
            },
            "{name}"
        );
        assert_eq!(
            tree.notes,
            ["1 file(s) changed between listing and reading: their newer hash is shown"],
            "{name}"
        );
    }
}
