//! The Logs pane in a real terminal, as a sheriff uses it during an incident: lines
//! appended to a followed file show up, a search finds the timeouts, marked lines become
//! exactly the log of a bug filed with `b`, and the secrets in them never reach the screen
//! or the bug.

#[path = "support/tmux.rs"]
mod tmux;

use std::io::Write;
use std::time::Duration;

use tmux::{sheriff_bin, Tmux};

const WAIT: Duration = Duration::from_secs(20);

#[test]
fn search_mark_and_file_a_bug_with_exactly_the_marked_lines() {
    let home = tempfile::tempdir().expect("temp home");
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("app.log");
    let bugs = dir.path().join("bugs");
    std::fs::write(&log, "2026-12-01T10:00:00Z INFO started\n").expect("write log");
    let config = dir.path().join("sheriff.toml");
    std::fs::write(
        &config,
        format!(
            "[[log]]\nname = \"app\"\nfile = \"{}\"\n\
             [tracker]\nkind = \"dir\"\npath = \"{}\"\n\
             [handoff]\npath = \"{}\"\n",
            log.display(),
            bugs.display(),
            dir.path().join("handoff.jsonl").display()
        ),
    )
    .expect("write config");
    let command = format!(
        "'{}' --config '{}'",
        sheriff_bin().display(),
        config.display()
    );
    let home_s = home.path().to_string_lossy().into_owned();
    let term = Tmux::start(&command, 160, 45, &[("HOME", &home_s)]);
    term.wait_for("started", WAIT);

    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open");
    for i in 1..=30 {
        let line = match i {
            7 => "2026-12-01T10:00:07Z ERROR billing: upstream timed out after 5s".to_string(),
            8 => "2026-12-01T10:00:08Z WARN retry 1 token=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
                .to_string(),
            21 => "2026-12-01T10:00:21Z ERROR billing: upstream timed out after 5s".to_string(),
            _ => format!("2026-12-01T10:00:{i:02}Z INFO request {i} ok"),
        };
        writeln!(file, "{line}").expect("append");
    }
    drop(file);
    term.wait_for("request 30 ok", WAIT);
    let screen = term.wait_for("request 30 ok", WAIT);
    assert!(
        !screen.contains("ghp_aBcDeF"),
        "a token on screen:\n{screen}"
    );

    term.send(&["2", "s"]);
    term.type_text("timed out");
    term.send(&["Enter"]);
    term.wait_for("search timed out 2/2", WAIT);
    // Mark the newest timeout (the selection moves on), then the retry under the older.
    term.send(&["Space", "N", "N", "Down", "Space"]);
    term.wait_for("2 marked", WAIT);
    term.send(&["Escape", "b"]);
    let form = term.wait_for("File a bug", WAIT);
    assert!(form.contains("ERROR"), "{form}");
    term.send(&["C-s"]);
    term.wait_for("filed #1", WAIT);

    let files: Vec<_> = std::fs::read_dir(&bugs)
        .expect("bugs dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).expect("read bug");
    assert!(text.contains("upstream timed out"), "{text}");
    assert!(
        text.contains("WARN retry 1"),
        "the marked retry line: {text}"
    );
    assert!(!text.contains("request 20 ok"), "an unmarked line: {text}");
    assert!(!text.contains("ghp_aBcDeF"), "a token in the bug: {text}");
    term.send(&["q"]);
}

#[test]
fn going_up_past_the_first_screen_reads_the_lines_before_it_from_the_rotated_copy() {
    let home = tempfile::tempdir().expect("temp home");
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("app.log");
    let line = |i: usize| {
        format!(
            "2026-12-01T09:{:02}:{:02}Z INFO request {i:04} ok\n",
            i / 60,
            i % 60
        )
    };
    let old: String = (0..100).map(line).collect();
    std::fs::write(dir.path().join("app.log.1"), old).expect("write the rotated copy");
    // More than the 200 lines of the first screen: its top is request 0100.
    let new: String = (100..400).map(line).collect();
    std::fs::write(&log, new).expect("write log");
    let config = dir.path().join("sheriff.toml");
    std::fs::write(
        &config,
        format!(
            "[[log]]\nname = \"app\"\nfile = \"{}\"\n[handoff]\npath = \"{}\"\n",
            log.display(),
            dir.path().join("handoff.jsonl").display()
        ),
    )
    .expect("write config");
    let command = format!(
        "'{}' --config '{}'",
        sheriff_bin().display(),
        config.display()
    );
    let home_s = home.path().to_string_lossy().into_owned();
    let term = Tmux::start(&command, 160, 45, &[("HOME", &home_s)]);
    term.wait_for("request 0399 ok", WAIT);
    term.send(&["2", "Home"]);
    let top = term.wait_for("request 0200 ok", WAIT);
    assert!(top.contains("paused"), "{top}");
    // Up from the first line: the lines before it, from the file and then app.log.1.
    term.send(&["Up"]);
    term.wait_for("earlier lines", WAIT);
    term.send(&["Home"]);
    term.wait_for("200 read back from the files · from the first line", WAIT);
    // The pages that came meanwhile went above the selection: to the top again.
    term.send(&["Home"]);
    term.wait_for("request 0000 ok", WAIT);
    // Down past the last of them: back in the buffer.
    term.send(&["End"]);
    let screen = term.wait_for("follow", WAIT);
    assert!(screen.contains("request 0399 ok"), "{screen}");
}
