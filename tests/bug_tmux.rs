//! Filing a bug from the screen, end to end in a real terminal on `sheriff demo`: `b` on
//! the failing check opens a draft with its output and the recent changes with their why;
//! `ctrl-s` files it as Markdown in the demo's `dir` tracker; the same breakage filed
//! again becomes a comment on that bug, not a second file.

#[path = "support/tmux.rs"]
mod tmux;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tmux::{sheriff_bin, Tmux};

const WAIT: Duration = Duration::from_secs(20);

/// The bug files in the demo sandbox (made under `TMPDIR`).
fn bug_files(tmp: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sandbox in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let bugs = sandbox.path().join("bugs");
        for f in std::fs::read_dir(&bugs).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "md") {
                files.push(f.path());
            }
        }
    }
    files.sort();
    files
}

#[test]
fn b_files_the_failing_check_with_its_context_and_a_recurrence_comments() {
    let home = tempfile::tempdir().expect("temp home");
    let tmp = tempfile::tempdir().expect("temp dir");
    let (home_s, tmp_s) = (
        home.path().to_string_lossy().into_owned(),
        tmp.path().to_string_lossy().into_owned(),
    );
    let command = format!("'{}' demo", sheriff_bin().display());
    let term = Tmux::start(&command, 160, 45, &[("HOME", &home_s), ("TMPDIR", &tmp_s)]);
    // The worst row comes first: the app not running on staging.
    term.wait_for("✖ app running", WAIT);
    term.send(&["1", "/"]);
    term.type_text("app running");
    term.send(&["Enter", "Home", "b"]);
    let form = term.wait_for("File a bug", WAIT);
    assert!(form.contains("[staging] app running: CRITICAL"), "{form}");
    term.send(&["C-s"]);
    term.wait_for("filed #1", WAIT);

    let files = bug_files(tmp.path());
    assert_eq!(files.len(), 1, "one bug file: {files:?}");
    let text = std::fs::read_to_string(&files[0]).expect("read the bug");
    assert!(
        text.starts_with("# [staging] app running: CRITICAL — exit 1"),
        "{text}"
    );
    assert!(
        text.contains("### Last output") && text.contains("exit 1"),
        "the check's output: {text}"
    );
    assert!(
        text.contains("why: workers stuck after deploy 4.2, queue at 3k"),
        "the recent change with its why: {text}"
    );
    assert!(
        text.contains("labels: sheriff, staging"),
        "labels and the staging route: {text}"
    );
    assert!(text.contains("sheriff fingerprint: sheriff"), "{text}");
    // The row links to its bug, and the handoff log records it with the bug's state.
    term.wait_for("#1 open", WAIT);
    term.wait_for("[open] filed #1", WAIT);

    // The same breakage again: the form offers the open bug; filing comments on it.
    term.send(&["b"]);
    term.wait_for("open bug #1 has this fingerprint", WAIT);
    term.send(&["C-s"]);
    term.wait_for("commented on #1", WAIT);
    let files = bug_files(tmp.path());
    assert_eq!(files.len(), 1, "a comment, not a second bug: {files:?}");
    let text = std::fs::read_to_string(&files[0]).expect("read the bug");
    assert!(text.contains("**Seen again**"), "{text}");
    term.send(&["q"]);
}
