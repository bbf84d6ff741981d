//! End to end in a real terminal: the built binary on `sheriff demo`, driven by keys.

#[path = "support/tmux.rs"]
mod tmux;

use std::time::Duration;

use tmux::{sheriff_bin, Tmux};

const WAIT: Duration = Duration::from_secs(10);

fn demo(width: u16, height: u16, extra_env: &[(&str, &str)]) -> (Tmux, tempfile::TempDir) {
    let home = tempfile::tempdir().expect("temp home");
    let home_str = home.path().to_string_lossy().into_owned();
    let mut env = vec![("HOME", home_str.as_str())];
    env.extend_from_slice(extra_env);
    let command = format!("'{}' demo", sheriff_bin().display());
    (Tmux::start(&command, width, height, &env), home)
}

#[test]
fn demo_journey_keys_and_restore_on_quit() {
    let (term, _home) = demo(120, 36, &[]);
    // Every pane is alive: a check result, log lines, a drift report, handoff entries.
    term.wait_for("✔ api", WAIT);
    term.wait_for("app@production", WAIT);
    term.wait_for("app.env", WAIT);
    let screen = term.wait_for("restarted php-fpm", WAIT);
    assert!(
        screen.contains("┏ Health"),
        "Health starts focused:\n{screen}"
    );

    term.send(&["Tab"]);
    let screen = term.wait_for("┏ Logs", WAIT);
    assert!(
        screen.contains("/ filter"),
        "status line hints the Logs keys:\n{screen}"
    );

    term.send(&["z"]);
    let screen = term.wait_gone("Drift", WAIT);
    assert!(screen.contains("┏ Logs"), "zoomed on Logs:\n{screen}");
    term.send(&["z"]);
    term.wait_for("Drift", WAIT);

    term.send(&["?"]);
    let screen = term.wait_for("Help · Logs keys", WAIT);
    assert!(
        screen.contains("follow new log lines"),
        "help lists the Logs keys:\n{screen}"
    );
    term.send(&["Escape"]);
    term.wait_gone("Help · Logs keys", WAIT);

    term.send(&[":"]);
    term.type_text("zoo");
    term.wait_for("zoom the focused pane", WAIT);
    term.send(&["Tab", "Enter"]);
    term.wait_gone("Drift", WAIT);
    term.send(&["z"]);
    term.wait_for("Drift", WAIT);

    term.send(&["q"]);
    term.assert_restored();
    assert!(term.capture().contains("EXIT=0"), "{}", term.capture());
}

#[test]
fn sigterm_restores_the_terminal() {
    let (term, _home) = demo(100, 30, &[]);
    term.wait_for("✔ api", WAIT);
    let pid = term.program_pid();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    term.assert_restored();
}

#[test]
fn sighup_restores_the_terminal() {
    let (term, _home) = demo(100, 30, &[]);
    term.wait_for("✔ api", WAIT);
    let pid = term.program_pid();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    term.assert_restored();
}

#[test]
fn no_color_draws_without_colours_but_keeps_symbols() {
    let (term, _home) = demo(100, 30, &[("NO_COLOR", "1")]);
    term.wait_for("✔ api", WAIT);
    let styled = term.capture_styled();
    for sgr in ["[38;", "[48;", "[31m", "[32m", "[33m", "[36m", "[91m"] {
        assert!(
            !styled.contains(sgr),
            "colour {sgr:?} drawn under NO_COLOR:\n{styled}"
        );
    }
    term.send(&["q"]);
    term.assert_restored();

    let (term, _home) = demo(100, 30, &[]);
    term.wait_for("✔ api", WAIT);
    assert!(
        term.capture_styled().contains("[38;5;"),
        "256-colour terminal gets indexed colours"
    );
}

#[test]
fn a_tiny_terminal_gets_a_clear_message_then_the_screen_on_resize() {
    let (term, _home) = demo(40, 10, &[]);
    term.wait_for("Terminal too small: 40x10", WAIT);
    term.resize(100, 30);
    let screen = term.wait_for("✔ api", WAIT);
    assert!(!screen.contains("too small"), "{screen}");
    term.send(&["q"]);
    term.assert_restored();
}
