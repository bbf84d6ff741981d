//! The handoff journey in a real terminal: record a change with its why in the TUI, then
//! the next sheriff's `sheriff handoff` prints it. And a bad reload keeps the old config.

#[path = "support/tmux.rs"]
mod tmux;

use std::process::Command;
use std::time::Duration;

use tmux::{sheriff_bin, Tmux};

const WAIT: Duration = Duration::from_secs(10);

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let home = tempfile::tempdir().expect("temp home");
    let config = home.path().join("sheriff.toml");
    let log = home.path().join("handoff.jsonl");
    std::fs::write(
        &config,
        format!("[environments.staging]\nroot = \"{}\"\n\n[handoff]\nauthor = \"alex\"\npath = \"{}\"\n", home.path().display(), log.display()),
    )
    .expect("write config");
    (home, config)
}

fn start(home: &tempfile::TempDir, config: &std::path::Path) -> Tmux {
    Tmux::sheriff(home.path(), config, (110, 32), &[])
}

#[test]
fn a_change_recorded_in_the_tui_is_in_the_handoff_report() {
    let (home, config) = setup();
    let term = start(&home, &config);
    term.wait_for("The handoff log is empty", WAIT);

    term.send(&["c"]);
    term.wait_for("Record a change", WAIT);
    term.type_text("drained web1.staging from the pool");
    // Saving without a why is refused, and says why.
    term.send(&["C-s"]);
    term.wait_for("a change needs its why", WAIT);
    term.send(&["Tab"]);
    term.type_text("it returned 503 on every third request");
    term.send(&["C-s"]);
    term.wait_for("saved ✔", WAIT);
    // The timeline shows it once the log's watch has read it back (a moment later).
    term.wait_for("drained web1.staging", WAIT);
    term.send(&["q"]);
    term.assert_restored();

    let out = Command::new(sheriff_bin())
        .args(["handoff", "--since", "1h", "--config"])
        .arg(&config)
        .env("HOME", home.path())
        .output()
        .expect("run sheriff handoff");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report.contains("drained web1.staging from the pool"),
        "{report}"
    );
    assert!(
        report.contains("it returned 503 on every third request"),
        "{report}"
    );
}

#[test]
fn a_secret_typed_into_a_note_is_masked_and_the_author_told() {
    let (home, config) = setup();
    let term = start(&home, &config);
    term.wait_for("The handoff log is empty", WAIT);
    term.send(&["n"]);
    term.wait_for("Add a note", WAIT);
    term.type_text("rotated the deploy token ghp_0123456789abcdefghijABCDEFGHIJ012345 today");
    term.send(&["C-s"]);
    let screen = term.wait_for("saved ✔", WAIT);
    assert!(screen.contains("secret in it was masked"), "{screen}");
    assert!(
        !screen.contains("ghp_0123456789"),
        "the token shows on screen:\n{screen}"
    );
    term.send(&["q"]);
    term.assert_restored();
    let log = std::fs::read_to_string(home.path().join("handoff.jsonl")).expect("log written");
    assert!(log.contains("rotated the deploy token"), "{log}");
    assert!(
        !log.contains("ghp_0123456789"),
        "the token reached the disk:\n{log}"
    );
}

#[test]
fn a_bad_reload_keeps_the_old_config_and_says_why() {
    let (home, config) = setup();
    let term = start(&home, &config);
    term.wait_for("The handoff log is empty", WAIT);
    let good = std::fs::read_to_string(&config).expect("read config");
    std::fs::write(
        &config,
        format!("{good}\n[[check]]\nname = \"api\"\nhtp = \"http://127.0.0.1:9/\"\n"),
    )
    .expect("write bad config");
    term.send(&["R"]);
    let screen = term.wait_for("reload failed", WAIT);
    assert!(screen.contains("old config kept"), "{screen}");
    assert!(
        screen.contains("sheriff.toml:10:1"),
        "the error names file, line and column:\n{screen}"
    );
    // Still alive and answering keys.
    term.send(&["?"]);
    term.wait_for("Help", WAIT);
    term.send(&["Escape"]);

    std::fs::write(
        &config,
        format!("{good}\n[[check]]\nname = \"api\"\ncommand = \"true\"\n"),
    )
    .expect("write good config");
    term.send(&["R"]);
    term.wait_for("config reloaded", WAIT);
    term.wait_for("api", WAIT);
    term.send(&["q"]);
    term.assert_restored();
}

#[test]
fn long_text_comes_from_the_editor() {
    let (home, config) = setup();
    // An "editor" that writes a two-line note into the file it is given.
    let editor = home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'line one from the editor\\nline two\\n' > \"$1\"\n",
    )
    .expect("write editor");
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let editor_str = editor.to_string_lossy().into_owned();
    let env = [("EDITOR", editor_str.as_str()), ("VISUAL", "")];
    let term = Tmux::sheriff(home.path(), &config, (110, 32), &env);
    term.wait_for("The handoff log is empty", WAIT);
    term.send(&["n"]);
    term.wait_for("Add a note", WAIT);
    term.send(&["C-e"]);
    term.wait_for("line two", WAIT);
    term.send(&["C-s"]);
    term.wait_for("saved ✔", WAIT);
    term.send(&["q"]);
    term.assert_restored();
    let log = std::fs::read_to_string(home.path().join("handoff.jsonl")).expect("log written");
    assert!(log.contains("line one from the editor\\nline two"), "{log}");
}
