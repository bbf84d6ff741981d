//! Check state changes reach the handoff log once, written by the process of the sheriff
//! on shift only: two sheriffs watch the same failing check on one shared log, and the
//! log holds one line for the change, by the one whose shift is open. And worker events
//! keep being taken while `$EDITOR` has the terminal.

#[path = "support/recording.rs"]
mod recording;
#[path = "support/tmux.rs"]
mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use recording::{check_states, write_config};
use tmux::{sheriff_bin, Tmux};

const WAIT: Duration = Duration::from_secs(20);

fn shift_start(home: &Path, config: &Path) {
    let out = Command::new(sheriff_bin())
        .args(["shift", "start", "--config"])
        .arg(config)
        .env("HOME", home)
        .output()
        .expect("run sheriff shift start");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn only_the_sheriff_on_shift_records_check_state_changes() {
    let home = tempfile::tempdir().expect("temp home");
    let log = home.path().join("handoff.jsonl");
    let alex = write_config(home.path(), "alex", &log);
    let sam = write_config(home.path(), "sam", &log);
    shift_start(home.path(), &alex);

    let alex_term = Tmux::sheriff(home.path(), &alex, (140, 34), &[]);
    let sam_term = Tmux::sheriff(home.path(), &sam, (140, 34), &[]);
    alex_term.wait_for("✖ api", WAIT);
    sam_term.wait_for("✖ api", WAIT);
    // Both keep checking every second; give them several runs to write twice if they would.
    let start = Instant::now();
    while check_states(&log).is_empty() {
        assert!(start.elapsed() < WAIT, "no check state was recorded");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(4));
    alex_term.send(&["q"]);
    sam_term.send(&["q"]);
    alex_term.assert_restored();
    sam_term.assert_restored();

    let states = check_states(&log);
    assert_eq!(states.len(), 1, "one line for one change: {states:#?}");
    assert_eq!(
        states[0]["author"], "alex",
        "written by the sheriff on shift"
    );
    assert_eq!(states[0]["refs"]["check"], "api");
    assert_eq!(states[0]["refs"]["env"], "staging");
    let text = states[0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("ok → critical"), "{text}");

    // The report sam's `sheriff handoff` prints lists it as open.
    let out = Command::new(sheriff_bin())
        .args(["handoff", "--config"])
        .arg(&sam)
        .env("HOME", home.path())
        .output()
        .expect("run sheriff handoff");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("api"), "{report}");
}

/// A loopback HTTP server that answers 200 until `flip` exists, then 503.
fn flipping_server(flip: PathBuf) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request);
            let status = if flip.exists() {
                "503 Service Unavailable"
            } else {
                "200 OK"
            };
            let reply =
                format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    port
}

#[test]
fn worker_events_are_taken_while_the_editor_is_open() {
    let home = tempfile::tempdir().expect("temp home");
    let log = home.path().join("handoff.jsonl");
    let flip = home.path().join("editor-is-open");
    let port = flipping_server(flip.clone());
    let config = write_config(home.path(), "alex", &log);
    let text = std::fs::read_to_string(&config).expect("read config");
    let text = text.replace(
        "http://127.0.0.1:1/healthz",
        &format!("http://127.0.0.1:{port}/healthz"),
    );
    std::fs::write(&config, text).expect("write config");
    shift_start(home.path(), &config);
    // The editor turns the service bad, then waits (up to 15 s) until sheriff has
    // recorded the change, which it can only do while the editor is open if it keeps
    // taking worker events.
    let editor = home.path().join("wait-editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\ntouch '{}'\nfor i in $(seq 150); do\n  grep -q check-state '{}' 2>/dev/null && {{ echo 'recorded while editing' > \"$1\"; exit 0; }}\n  sleep 0.1\ndone\necho 'nothing recorded while editing' > \"$1\"\n",
            flip.display(),
            log.display()
        ),
    )
    .expect("write the editor");
    Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .expect("chmod");
    let editor = editor.display().to_string();
    let term = Tmux::sheriff(home.path(), &config, (140, 34), &[("EDITOR", &editor)]);
    term.wait_for("✔ api", WAIT);
    term.send(&["n", "C-e"]);
    let screen = term.wait_for("while editing", WAIT);
    assert!(
        screen.contains("recorded while editing"),
        "the note holds what the editor saw:\n{screen}"
    );
    term.send(&["Escape", "q"]);
    term.assert_restored();
}
