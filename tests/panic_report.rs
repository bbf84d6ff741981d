//! A panic leaves a short report: the terminal restored, a crash file in the state dir
//! with secrets masked, and the paths printed — no backtrace over a broken screen.

use std::process::Command;

/// Runs in a child process (this test binary, re-run with the env var set).
#[test]
fn panicking_child() {
    if std::env::var_os("SHERIFF_PANIC_CHILD").is_none() {
        return;
    }
    sheriff::tui::terminal::install_panic_hook(Some("/var/log/example/sheriff.log".into()));
    panic!("worker lost its mind; token ghp_0123456789abcdefghijABCDEFGHIJ012345 in hand");
}

#[test]
fn a_panic_prints_a_short_report_and_masks_secrets() {
    let home = tempfile::tempdir().expect("temp home");
    // With umask 022, as a login shell has it: the report must be private all the same.
    let out = Command::new("sh")
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "panicking_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("SHERIFF_PANIC_CHILD", "1")
        .env("HOME", home.path())
        .env_remove("XDG_STATE_HOME")
        .output()
        .expect("run the child");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sheriff crashed: "), "{stderr}");
    assert!(stderr.contains("worker lost its mind"), "{stderr}");
    assert!(
        stderr.contains("The log is /var/log/example/sheriff.log"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("ghp_0123456789"),
        "the token reached the screen:\n{stderr}"
    );
    let state = home.path().join(".local/state/sheriff");
    let report = std::fs::read_dir(&state)
        .expect("state dir")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("crash-"))
        .expect("a crash report");
    assert!(
        stderr.contains(&report.path().display().to_string()),
        "the report's path is printed:\n{stderr}"
    );
    let mode = |p: &std::path::Path| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(p).expect("stat").permissions())
            & 0o777
    };
    assert_eq!(mode(&report.path()), 0o600, "the crash report is private");
    assert_eq!(mode(&state), 0o700, "the state dir is private");
    let body = std::fs::read_to_string(report.path()).expect("read report");
    assert!(body.contains("worker lost its mind"), "{body}");
    assert!(
        !body.contains("ghp_0123456789"),
        "the token reached the crash report:\n{body}"
    );
}
