//! The headless twins, run as the real binary: `sheriff note`, `change`, `shift`,
//! `handoff`, with no config (defaults) and with a shared one. A pasted secret must never
//! reach the disk, nor the git remote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use std::io::Write;

const GH_TOKEN: &str = "ghp_Zq8v3XkP0aLm9TnB4cRy7UwE2sDf6GhJ1KiO";
const PASSWORD: &str = "hunter2-Sup3rS3cret";

struct Sandbox {
    tmp: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// `sheriff ARGS` with HOME, the XDG dirs and the cwd inside the sandbox, so no real
    /// config or data dir is touched, and `$USER` = alex.
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let home = self.tmp.path();
        let mut child = Command::new(env!("CARGO_BIN_EXE_sheriff"))
            .args(args)
            .current_dir(home)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env_remove("SHERIFF_CONFIG")
            .env("USER", "alex")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run sheriff");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())
                .expect("write stdin");
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("wait")
    }

    fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args, None);
        let (o, e) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(out.status.success(), "sheriff {args:?} failed: {e}");
        (o, e)
    }
}

/// Every byte under `dir`, to prove a secret is nowhere on disk.
fn all_bytes(dir: &Path) -> Vec<u8> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out)
            } else {
                out.push(p)
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    files
        .iter()
        .flat_map(|f| std::fs::read(f).unwrap_or_default())
        .collect()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn without_a_config_notes_go_to_the_data_dir_and_secrets_never_reach_it() {
    let s = Sandbox::new();
    let (out, err) = s.ok(&["note", "pushed", "the", "fix", "with", GH_TOKEN]);
    assert!(out.starts_with("saved note "), "{out}");
    assert!(
        err.contains("masked github-token"),
        "the author is told: {err}"
    );
    let (_, err) = s.ok(&[
        "change",
        "rotated DB creds",
        "--why",
        &format!("leaked: DB_PASSWORD={PASSWORD}"),
    ]);
    assert!(err.contains("password"), "{err}");
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----";
    let out = s.run(
        &["note", "-"],
        Some(&format!("pasted the key by mistake:\n{pem}\n")),
    );
    assert!(out.status.success());

    let log = s.tmp.path().join("data/sheriff/handoff.jsonl");
    let text = std::fs::read_to_string(&log).expect("the default store is in the data dir");
    assert_eq!(text.lines().count(), 3);
    assert!(
        text.contains("\"author\":\"alex\""),
        "author from $USER: {text}"
    );
    let disk = all_bytes(s.tmp.path());
    for secret in [GH_TOKEN, PASSWORD, "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn"] {
        assert!(!contains(&disk, secret), "{secret} reached the disk");
    }
    assert!(text.contains("ghp_••••"));
}

#[test]
fn change_needs_a_why_and_nothing_is_written_without_one() {
    let s = Sandbox::new();
    let out = s.run(&["change", "restarted nginx"], None);
    assert!(!out.status.success());
    let out = s.run(&["change", "restarted nginx", "--why", "  "], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("why"));
    assert!(!s.tmp.path().join("data/sheriff/handoff.jsonl").exists());
}

#[test]
fn handoff_reports_the_shift_with_changes_and_their_why() {
    let s = Sandbox::new();
    s.ok(&["shift", "start", "took over from sam"]);
    s.ok(&[
        "note",
        "api staging flaky since deploy 4.2",
        "--check",
        "api",
        "--env",
        "staging",
    ]);
    s.ok(&[
        "change",
        "restarted php-fpm on web1",
        "--why",
        "workers stuck after deploy 4.2",
        "--host",
        "web1.prod",
    ]);
    let (md, _) = s.ok(&["handoff"]);
    assert!(md.starts_with("# Handoff: shift of alex"), "{md}");
    let changes = md.find("## Changes (1)").expect("changes section");
    let notes = md.find("## Notes (2)").expect("notes section");
    assert!(changes < notes, "changes come before notes:\n{md}");
    assert!(
        md.contains("restarted php-fpm on web1 [web1.prod]\n  why: workers stuck after deploy 4.2"),
        "{md}"
    );
    assert!(
        md.contains("alex: shift-start: took over from sam"),
        "a shift marker with words is a note:\n{md}"
    );

    let (json, _) = s.ok(&["handoff", "--since", "1h", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(v["changes"][0]["why"], "workers stuck after deploy 4.2");
    assert_eq!(v["notes"][0]["refs"]["check"], "api");
    assert!(v["shift_of"].is_null());
    let out = s.run(&["handoff", "--since", "soon"], None);
    assert_eq!(out.status.code(), Some(2));
    // `--since` reads durations as the config does, up to the longest one there is.
    let (md, _) = s.ok(&["handoff", "--since", "1h30m"]);
    assert!(md.contains("workers stuck after deploy 4.2"), "{md}");
    let (md, _) = s.ok(&["handoff", "--since", "30000w"]);
    assert!(md.contains("workers stuck after deploy 4.2"), "{md}");
    let out = s.run(&["handoff", "--since", "99999999999w"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("too long"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_shared_log_commits_and_pushes_without_the_secret() {
    let s = Sandbox::new();
    let bare = s.tmp.path().join("remote.git");
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    std::fs::create_dir(&bare).expect("mkdir");
    git(&bare, &["init", "-q", "--bare"]);
    let config = s.tmp.path().join("sheriff.toml");
    let work = s.tmp.path().join("handoff");
    std::fs::write(
        &config,
        format!(
            "[handoff]\nauthor = \"alex\"\npath = {:?}\nshare = {:?}\n",
            work.display().to_string(),
            bare.display().to_string()
        ),
    )
    .expect("config");
    let (_, err) = s.ok(&["note", &format!("token={GH_TOKEN} works again")]);
    assert!(err.contains("shared with"), "{err}");
    let history = git(&bare, &["log", "-p", "main"]);
    assert!(history.contains("note: token=ghp_••••"), "{history}");
    assert!(!history.contains(GH_TOKEN));
    let (md, _) = s.ok(&["handoff", "--since", "1h"]);
    assert!(md.contains("token=ghp_•••• works again"), "{md}");
}
