//! `sheriff watch` and a TUI on one log: the watch holds the recorder role, so a change
//! both see is written once (by the watch), and a second watch on the same log is refused.

#[path = "support/recording.rs"]
mod recording;
#[path = "support/tmux.rs"]
mod tmux;

use std::io::Read as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use recording::{check_states, write_config};
use tmux::{sheriff_bin, Tmux};

const WAIT: Duration = Duration::from_secs(20);

fn sheriff(home: &Path, args: &[&str], config: &Path) -> Command {
    let mut command = Command::new(sheriff_bin());
    command
        .args(args)
        .arg("--config")
        .arg(config)
        .env("HOME", home);
    command
}

fn watch(home: &Path, config: &Path, out: &Path) -> Child {
    let out = std::fs::File::create(out).expect("watch output");
    sheriff(home, &["watch"], config)
        .stdout(out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sheriff watch")
}

fn wait_for_file(path: &Path, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(start.elapsed() < WAIT, "never saw {needle:?} in:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_watch_and_a_tui_on_one_log_record_each_change_once() {
    let home = tempfile::tempdir().expect("temp home");
    let log = home.path().join("handoff.jsonl");
    let config = write_config(home.path(), "alex", &log);
    // alex is on shift: without the watch, alex's TUI would record.
    let started = sheriff(home.path(), &["shift", "start"], &config)
        .output()
        .expect("sheriff shift start");
    assert!(started.status.success());

    let out = home.path().join("watch.out");
    let mut watcher = watch(home.path(), &config, &out);
    wait_for_file(&out, "watching 1 checks");

    // A second watch on the same log is refused, and says who holds it.
    let second = sheriff(home.path(), &["watch"], &config)
        .output()
        .expect("second watch");
    assert!(!second.status.success());
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("another sheriff watch records"), "{said}");

    let term = Tmux::sheriff(home.path(), &config, (140, 34), &[]);
    term.wait_for("✖ api", WAIT);
    let printed = wait_for_file(&out, "api staging: ok → critical");
    assert!(printed.contains("connection refused"), "{printed}");
    // Both keep checking every second; give them several runs to write twice if they would.
    std::thread::sleep(Duration::from_secs(4));
    term.send(&["q"]);
    term.assert_restored();

    // SAFETY: kill(2) on the child we started.
    unsafe {
        libc::kill(watcher.id() as i32, libc::SIGTERM);
    }
    let status = watcher.wait().expect("watch exits");
    let mut stderr = String::new();
    if let Some(mut e) = watcher.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(status.success(), "watch exited with {status}: {stderr}");
    assert!(wait_for_file(&out, "stopped").contains("stopped"));

    let states = check_states(&log);
    assert_eq!(states.len(), 1, "one line for one change: {states:#?}");
    assert_eq!(states[0]["refs"]["check"], "api");
    assert!(states[0]["text"]
        .as_str()
        .unwrap_or_default()
        .contains("ok → critical"));

    // With the watch gone, the role is free again.
    let out2 = home.path().join("watch2.out");
    let mut again = watch(home.path(), &config, &out2);
    wait_for_file(&out2, "watching 1 checks");
    // SAFETY: as above.
    unsafe {
        libc::kill(again.id() as i32, libc::SIGTERM);
    }
    assert!(again.wait().expect("exits").success());
}
