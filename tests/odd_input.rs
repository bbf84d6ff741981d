//! Odd input a user can give sheriff without meaning harm: themes that inherit in a loop,
//! lists scrolled to the end while rows arrive, terminals of extreme sizes and a benchmark
//! asked for no frames. None of it may crash sheriff; each gets a clear answer or the
//! screen the user expects. Debug builds panic on arithmetic overflow, so these run the
//! arithmetic for real.

#[path = "support/tmux.rs"]
mod tmux;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sheriff::checks::{CheckResult, CheckRun, CheckStatus};
use sheriff::drift::DriftReport;
use sheriff::event::Event;
use sheriff::handoff::{Entry, EntryKind};
use sheriff::logs::LogLine;
use sheriff::tui::app::{App, Msg};
use sheriff::tui::panes::PaneId;
use sheriff::tui::theme::{ColorDepth, Slot, Theme};
use sheriff::tui::{sample, ui};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path
}

fn theme_errors(dir: &Path, name: &str) -> Vec<String> {
    Theme::load(name, Some(dir), ColorDepth::TrueColor)
        .expect_err("a loop must be refused")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_theme_that_inherits_itself_is_an_error_naming_the_loop() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(dir.path(), "themes/a.toml", "inherits = \"a\"\n");
    assert_eq!(
        theme_errors(dir.path(), "a"),
        vec![format!(
            "{}:1:1: theme inheritance loops: a → a",
            a.display()
        )]
    );
}

#[test]
fn two_themes_that_inherit_each_other_are_an_error_naming_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = write(
        dir.path(),
        "themes/a.toml",
        "inherits = \"b\"\n[status]\nok = \"green\"\n",
    );
    write(
        dir.path(),
        "themes/b.toml",
        "# b goes on from c\ninherits = \"c\"\n[ui]\ntext = \"white\"\n",
    );
    write(dir.path(), "themes/c.toml", "inherits = \"a\"\n");
    assert_eq!(
        theme_errors(dir.path(), "a"),
        vec![format!(
            "{}:1:1: theme inheritance loops: a → b → c → a",
            a.display()
        )]
    );
    // Entering the loop further along names it from there.
    let b = dir.path().join("themes/b.toml");
    assert_eq!(
        theme_errors(dir.path(), "b"),
        vec![format!(
            "{}:2:1: theme inheritance loops: b → c → a → b",
            b.display()
        )]
    );
}

#[test]
fn a_long_chain_without_a_loop_still_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..10 {
        write(
            dir.path(),
            &format!("themes/t{i}.toml"),
            &format!("inherits = \"t{}\"\n", i + 1),
        );
    }
    write(
        dir.path(),
        "themes/t10.toml",
        "inherits = \"light\"\n[status]\nok = \"#00ff00\"\n",
    );
    let theme = Theme::load("t0", Some(dir.path()), ColorDepth::TrueColor).expect("a chain");
    let light = Theme::load("light", None, ColorDepth::TrueColor).expect("light");
    assert_eq!(theme.name, "t0");
    assert_eq!(theme.style(Slot::Muted), light.style(Slot::Muted));
    assert_ne!(theme.style(Slot::StatusOk), light.style(Slot::StatusOk));
}

fn config_check(home: &Path, config: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sheriff"))
        .args(["config", "check", "--config"])
        .arg(config)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .expect("run sheriff");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_check_reports_theme_loops_instead_of_overflowing_the_stack() {
    let home = tempfile::tempdir().expect("tempdir");
    let themes = home.path().join(".config/sheriff/themes");
    let config = write(home.path(), "sheriff.toml", "[ui]\ntheme = \"a\"\n");

    write(&themes, "a.toml", "inherits = \"a\"\n");
    let (code, stderr) = config_check(home.path(), &config);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("themes/a.toml:1:1: theme inheritance loops: a → a"),
        "{stderr}"
    );

    write(&themes, "a.toml", "inherits = \"b\"\n");
    write(&themes, "b.toml", "inherits = \"a\"\n");
    let (code, stderr) = config_check(home.path(), &config);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("themes/a.toml:1:1: theme inheritance loops: a → b → a"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("overflow") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn reload_with_a_looping_theme_keeps_the_old_theme_and_says_why() {
    let home = tempfile::tempdir().expect("tempdir");
    let themes = home.path().join(".config/sheriff/themes");
    write(&themes, "mine.toml", "inherits = \"light\"\n");
    let config = write(home.path(), "sheriff.toml", "[ui]\ntheme = \"mine\"\n");
    let term = tmux::Tmux::sheriff(home.path(), &config, (200, 40), &[]);
    term.wait_for("Handoff", Duration::from_secs(10));

    write(&themes, "mine.toml", "inherits = \"other\"\n");
    write(&themes, "other.toml", "inherits = \"mine\"\n");
    term.send(&["R"]);
    let screen = term.wait_for("theme inheritance loops", Duration::from_secs(10));
    assert!(screen.contains("mine → other → mine"), "{screen}");
    assert!(
        screen.contains("reload failed, old config kept"),
        "{screen}"
    );
    // Still running on the old look: the panes are drawn and keys work.
    term.send(&["Escape", "Tab"]);
    term.wait_gone("theme inheritance loops", Duration::from_secs(5));
    term.send(&["q"]);
    term.wait_for("EXIT=0", Duration::from_secs(10));
    term.assert_restored();
}

#[test]
fn bench_draw_with_no_frames_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_sheriff"))
        .args(["bench", "draw", "--frames", "0"])
        .output()
        .expect("run sheriff");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--frames must be at least 1"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

// ---- lists scrolled to the end while rows arrive --------------------------------------

fn press(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn type_line(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
    press(app, KeyCode::Enter);
}

/// What the screen shows, one string per row.
fn screen(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|frame| ui::draw(app, frame)).expect("draw");
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect()
        })
        .collect()
}

fn shows(screen: &[String], text: &str) -> bool {
    screen.iter().any(|row| row.contains(text))
}

fn check_row(i: usize) -> Event {
    let mut result = CheckResult::new(
        "api",
        &format!("node{i:04}"),
        CheckStatus::Ok,
        format!("200 from node{i:04}"),
    );
    result.latency = Some(Duration::from_millis(40));
    result.at = sample::at(12, 4, 0);
    Event::Check(CheckRun::single(result))
}

fn log_line(i: usize) -> Event {
    Event::LogLines {
        source: "app@production".into(),
        lines: vec![LogLine {
            source: "app@production".into(),
            received: sample::at(12, 4, 0),
            time: None,
            level: None,
            text: format!("12:04:00 appended line {i}"),
            origin: None,
        }],
    }
}

fn drift_report(files: usize) -> Event {
    use sheriff::drift::compare::{compare_trees, EnvVars, Rules};
    use sheriff::drift::side::{Entry, Tree};
    let tree = |value: &str| Tree {
        entries: (0..files)
            .map(|i| {
                let text = format!("listen {value};\n");
                (
                    format!("conf.d/file{i:04}.conf"),
                    Entry::file(text.into_bytes()),
                )
            })
            .collect(),
        notes: Vec::new(),
    };
    let between = ("production".to_string(), "staging".to_string());
    let mut report = DriftReport::new("big tree", &between);
    report.diff = Some(compare_trees(
        &tree("80"),
        &tree("8080"),
        &Rules::default(),
        &EnvVars::default(),
    ));
    report.at = sample::at(12, 4, 0);
    Event::Drift(Box::new(report))
}

fn note(i: usize) -> Entry {
    let mut entry = Entry::new(EntryKind::Note, "alex", format!("note number {i:04}"));
    entry.id = format!("n{i}");
    entry.time = sample::at(13, (i / 60) as u32, (i % 60) as u32);
    entry
}

/// Fills `pane` well past a page, goes to its end, then adds one more row and filters:
/// the screen must draw, with the selection on a row that exists.
fn end_then_append(pane: PaneId, fill: &dyn Fn(usize) -> Event, rows: usize) -> App {
    let mut app = sample::app_with(50);
    app.update(Msg::Resize(120, 40));
    for i in 0..rows {
        app.update(Msg::Worker(fill(i)));
    }
    app.focus = pane;
    press(&mut app, KeyCode::End);
    screen(&app, 120, 40);
    app.update(Msg::Worker(fill(rows)));
    app
}

#[test]
fn health_end_then_a_new_row() {
    let app = end_then_append(PaneId::Health, &check_row, 120);
    let rows = screen(&app, 120, 40);
    assert!(shows(&rows, "node0119"), "the last row stays in view");
    let refs = app.pane(PaneId::Health).selection_refs();
    let target = refs.host.or(refs.env);
    assert_eq!(target.as_deref(), Some("node0119"), "selection stays put");
}

#[test]
fn logs_end_then_new_lines_and_a_filter() {
    let mut app = end_then_append(PaneId::Logs, &log_line, 500);
    assert!(app.logs.is_following());
    assert!(shows(&screen(&app, 120, 40), "appended line 500"));
    press(&mut app, KeyCode::Char('/'));
    type_line(&mut app, "line 49");
    let rows = screen(&app, 120, 40);
    assert!(shows(&rows, "appended line 499"), "{rows:#?}");
    assert!(!shows(&rows, "appended line 500"));
}

#[test]
fn drift_end_then_a_new_report() {
    let mut app = end_then_append(PaneId::Drift, &|_| drift_report(300), 1);
    assert!(shows(&screen(&app, 120, 40), "file0299.conf"));
    // The tree shrinks under the selection: it moves to a row that exists.
    app.update(Msg::Worker(drift_report(3)));
    let rows = screen(&app, 120, 40);
    assert!(shows(&rows, "file0002.conf"), "{rows:#?}");
    let refs = app.pane(PaneId::Drift).selection_refs();
    assert_eq!(refs.drift.as_deref(), Some("big tree"));
}

#[test]
fn handoff_end_then_new_entries_filters_and_kinds() {
    let entries = |i: usize| Event::HandoffEntries(vec![note(i)]);
    let mut app = end_then_append(PaneId::Handoff, &entries, 400);
    let rows = screen(&app, 120, 40);
    assert!(
        shows(&rows, "note number 0400"),
        "the new entry is followed"
    );
    press(&mut app, KeyCode::Char('/'));
    type_line(&mut app, "number 03");
    let rows = screen(&app, 120, 40);
    assert!(shows(&rows, "note number 0399"), "{rows:#?}");
    press(&mut app, KeyCode::Char('x'));
    for _ in 0..EntryKind::ALL.len() + 1 {
        press(&mut app, KeyCode::Char('k'));
        screen(&app, 120, 40);
    }
    press(&mut app, KeyCode::PageUp);
    app.update(Msg::Worker(entries(401)));
    let rows = screen(&app, 120, 40);
    assert!(
        !shows(&rows, "note number 0401"),
        "scrolled up: a new entry does not pull the view down"
    );
}

// ---- terminals of extreme sizes --------------------------------------------------------

/// Everything a sheriff can open, drawn at `width`x`height`.
fn draw_everything(width: u16, height: u16) {
    let mut app = sample::app_with(300);
    app.update(Msg::Resize(width, height));
    screen(&app, width, height);
    for pane in PaneId::ALL {
        app.focus = pane;
        for key in [
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::Home,
        ] {
            press(&mut app, key);
        }
        press(&mut app, KeyCode::Enter);
        press(&mut app, KeyCode::End);
        screen(&app, width, height);
        press(&mut app, KeyCode::Esc);
    }
    for key in ['?', ':', 'n', 'c'] {
        press(&mut app, KeyCode::Char(key));
        screen(&app, width, height);
        press(&mut app, KeyCode::Esc);
    }
    press(&mut app, KeyCode::Char('z'));
    screen(&app, width, height);
    app.update(Msg::Reloaded(Err("x".repeat(200_000))));
    screen(&app, width, height);
}

#[test]
fn the_widest_terminal_draws() {
    draw_everything(u16::MAX, 12);
    draw_everything(u16::MAX, 3);
}

#[test]
fn the_smallest_terminals_draw() {
    draw_everything(1, 1);
    draw_everything(60, 12);
    draw_everything(0, 0);
}

#[test]
fn a_very_tall_narrow_terminal_draws() {
    draw_everything(60, 3000);
}

#[test]
fn keys_and_clicks_on_the_largest_terminal() {
    // Paging and clicking use the layout alone: a 65535x65535 screen needs no buffer.
    let mut app = sample::app_with(300);
    app.update(Msg::Resize(u16::MAX, u16::MAX));
    for pane in PaneId::ALL {
        app.focus = pane;
        for key in [
            KeyCode::End,
            KeyCode::PageDown,
            KeyCode::PageUp,
            KeyCode::Up,
        ] {
            press(&mut app, key);
        }
    }
    for (column, row) in [(u16::MAX - 1, u16::MAX - 2), (10, 10), (u16::MAX - 1, 10)] {
        for kind in [
            MouseEventKind::Down(MouseButton::Left),
            MouseEventKind::ScrollDown,
            MouseEventKind::ScrollUp,
        ] {
            app.update(Msg::Mouse(MouseEvent {
                kind,
                column,
                row,
                modifiers: KeyModifiers::NONE,
            }));
        }
    }
}
