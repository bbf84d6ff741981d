//! Saved is not committed: with a shared log whose git is slow (a commit that takes 12 s,
//! longer than the 10 s a save may take, and a remote that answers slowly), a note is
//! "saved ✔" as soon as it is fsynced, is never reported as failed, is written once, and
//! is committed afterwards.

#[path = "support/git.rs"]
mod git_support;
use git_support::git;

#[path = "support/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tmux::Tmux;

#[test]
fn a_note_is_saved_at_once_while_a_slow_commit_runs_and_is_written_once() {
    let home = tempfile::tempdir().expect("temp home");
    let bare = home.path().join("handoff.git");
    let clone = home.path().join("handoff");
    git(
        home.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            &bare.display().to_string(),
        ],
    );
    std::fs::create_dir_all(&clone).expect("clone dir");
    git(&clone, &["init", "-q", "-b", "main"]);
    // A commit that takes 12 s: git runs post-commit hooks even with --no-verify.
    let hook = clone.join(".git/hooks/post-commit");
    std::fs::write(&hook, "#!/bin/sh\nsleep 12\n").expect("write hook");
    Command::new("chmod")
        .arg("+x")
        .arg(&hook)
        .status()
        .expect("chmod");
    // And a remote that answers slowly.
    git(
        &clone,
        &[
            "config",
            "remote.origin.uploadpack",
            "sleep 5; git-upload-pack",
        ],
    );
    let config = home.path().join("sheriff.toml");
    std::fs::write(
        &config,
        format!(
            "[handoff]\nauthor = \"alex\"\npath = \"{}\"\nshare = \"{}\"\n",
            clone.display(),
            bare.display()
        ),
    )
    .expect("write config");

    let term = Tmux::sheriff(home.path(), &config, (120, 32), &[]);
    term.wait_for("Handoff", Duration::from_secs(10));
    term.send(&["n"]);
    term.type_text("rotated the staging TLS cert");
    let started = Instant::now();
    term.send(&["C-s"]);
    term.wait_for("saved ✔", Duration::from_secs(8));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "saved long before the 12 s commit ends"
    );
    // Through the commit and past the 10 s a save may take: never "not saved".
    let deadline = Instant::now() + Duration::from_secs(16);
    while Instant::now() < deadline {
        let screen = term.capture();
        assert!(
            !screen.contains("not saved"),
            "a slow commit failed a save:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    term.send(&["q"]);
    term.assert_restored();

    let mut lines = Vec::new();
    for entry in walk(&clone) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        lines.extend(
            text.lines()
                .filter(|l| l.contains("rotated the staging TLS cert"))
                .map(str::to_string),
        );
    }
    assert_eq!(lines.len(), 1, "written once: {lines:#?}");
    let log = git(&clone, &["log", "--oneline"]);
    assert!(
        log.contains("rotated the staging TLS cert"),
        "committed afterwards:\n{log}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(read) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in read.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
    out
}
