//! The screen as a user sees it, drawn by ratatui's TestBackend and kept as insta snapshots.

use sheriff::tui::sample as screen;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sheriff::tui::app::{App, Msg};
use sheriff::tui::ui;

/// Times are drawn in the local zone, so snapshots need a fixed one. Setting `TZ` with
/// `set_var` while other tests' threads read the environment is a data race (glibc's
/// `setenv` may move the environment under a reader), so a test declared with
/// `utc_test!` runs itself again in a child process started with `TZ=UTC`.
macro_rules! utc_test {
    ($(#[$meta:meta])* fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            if !in_utc() {
                return rerun_in_utc(stringify!($name));
            }
            $body
        }
    };
}

fn in_utc() -> bool {
    std::env::var_os("TZ").is_some_and(|tz| tz == "UTC")
}

/// Run test `name` of this binary alone in a child with `TZ=UTC`; fail if it fails.
fn rerun_in_utc(name: &str) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = std::process::Command::new(exe)
        .args([name, "--exact", "--test-threads=1", "--nocapture"])
        .env("TZ", "UTC")
        .output()
        .expect("run the test again with TZ=UTC");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} with TZ=UTC:\n{stdout}\n{stderr}"
    );
}

fn render(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    assert!(
        in_utc(),
        "declare tests that draw with utc_test!, so times are in UTC"
    );
    app.update(Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|frame| ui::draw(app, frame)).expect("draw");
    terminal
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

utc_test! {
    fn full_screen_80x24() {
        let mut app = screen::app_with(200);
        insta::assert_snapshot!(render(&mut app, 80, 24).backend());
    }
}

utc_test! {
    fn full_screen_200x50() {
        let mut app = screen::app_with(200);
        insta::assert_snapshot!(render(&mut app, 200, 50).backend());
    }
}

utc_test! {
    fn help_overlay_lists_the_focused_panes_keys() {
        let mut app = screen::app_with(20);
        press(&mut app, KeyCode::Tab);
        press(&mut app, KeyCode::Char('?'));
        insta::assert_snapshot!(render(&mut app, 100, 40).backend());
    }
}

utc_test! {
    fn command_bar_completes_action_names() {
        let mut app = screen::app_with(20);
        press(&mut app, KeyCode::Char(':'));
        type_text(&mut app, "fo");
        insta::assert_snapshot!("command_bar_typed", render(&mut app, 100, 30).backend());
        press(&mut app, KeyCode::Tab);
        type_text(&mut app, "l");
        press(&mut app, KeyCode::Tab);
        press(&mut app, KeyCode::Enter);
        // `focus_logs` ran: the Logs pane has the focus (thick border).
        let terminal = render(&mut app, 100, 30);
        let top = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .take(100)
            .map(|c| c.symbol())
            .collect::<String>();
        assert!(top.contains("┏ Logs"), "Logs should be focused: {top}");
    }
}

utc_test! {
    fn zoomed_drift_pane_and_a_secret_masked_in_the_diff() {
        let mut app = screen::app_with(20);
        press(&mut app, KeyCode::Char('3'));
        press(&mut app, KeyCode::Char('z'));
        press(&mut app, KeyCode::Down);
        insta::assert_snapshot!("drift_zoomed", render(&mut app, 80, 20).backend());
        press(&mut app, KeyCode::Enter);
        insta::assert_snapshot!("drift_diff_masks_the_secret", render(&mut app, 80, 20).backend());
    }
}

/// The sample's nginx.conf (third row of the Drift pane) opened in its diff, zoomed.
fn nginx_diff() -> App {
    let mut app = screen::app_with(20);
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    app
}

/// The screen as text, one string per row.
fn screen_rows(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    buffer
        .content()
        .chunks(width)
        .map(|row| row.iter().map(|c| c.symbol()).collect())
        .collect()
}

utc_test! {
    fn drift_diff_unified_and_side_by_side() {
        let mut app = nginx_diff();
        insta::assert_snapshot!("drift_diff_unified", render(&mut app, 100, 30).backend());
        press(&mut app, KeyCode::Char('v'));
        insta::assert_snapshot!("drift_diff_side_by_side", render(&mut app, 100, 30).backend());
    }
}

utc_test! {
    fn drift_diff_marks_the_changed_words() {
        use sheriff::tui::theme::Slot;
        let mut app = nginx_diff();
        let terminal = render(&mut app, 100, 30);
        let rows = screen_rows(&terminal);
        let row = rows
            .iter()
            .position(|r| r.contains("+    worker_connections 512;"))
            .expect("the added line");
        let column = rows[row].find("512").expect("512");
        // `find` counts bytes; the row starts with the 3-byte `┃`, one column wide.
        let x = (rows[row][..column].chars().count()) as u16;
        let buffer = terminal.backend().buffer();
        let style = |x: u16| buffer[(x, row as u16)].style();
        let word = app.theme.style(Slot::DiffAddedWord);
        let line = app.theme.style(Slot::DiffAdded);
        assert_eq!(style(x).bg, word.bg, "512 is the changed word");
        assert_ne!(word.fg, line.fg);
        assert_eq!(style(x - 2).fg, line.fg, "worker_connections is not");
    }
}

utc_test! {
    fn drift_diff_steps_between_hunks_and_cuts_long_lines() {
        let mut app = nginx_diff();
        press(&mut app, KeyCode::Char(']'));
        insta::assert_snapshot!("drift_diff_second_hunk", render(&mut app, 80, 20).backend());
        press(&mut app, KeyCode::Char('['));
        let rows = screen_rows(&render(&mut app, 80, 20));
        assert!(rows[0].contains("hunk 1/2"), "{}", rows[0]);
        assert!(rows[1].contains("@@ -3,7 +3,7 @@"), "{}", rows[1]);
    }
}

utc_test! {
    fn esc_leaves_the_diff_for_the_list_on_the_same_row() {
        let mut app = nginx_diff();
        press(&mut app, KeyCode::Char(']'));
        press(&mut app, KeyCode::Esc);
        assert!(app.zoom, "esc closes the diff first, the zoom stays");
        press(&mut app, KeyCode::Char(']'));
        let said = app.notice.as_ref().map(|n| n.text.as_str());
        assert!(said.is_some_and(|s| s.contains("enter on a drifted file")), "{said:?}");
        let rows = screen_rows(&render(&mut app, 80, 20));
        assert!(rows[0].starts_with("┏ Drift 2~"), "{}", rows[0]);
        assert!(rows[3].contains("nginx.conf"), "{rows:#?}");
        // Still on nginx.conf: enter opens its diff again, at the top.
        press(&mut app, KeyCode::Enter);
        let rows = screen_rows(&render(&mut app, 80, 20));
        assert!(rows[0].contains("nginx.conf · hunk 1/2"), "{}", rows[0]);
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Esc);
        assert!(!app.zoom, "a second esc unzooms");
    }
}

utc_test! {
    fn help_in_the_drift_pane_lists_the_diff_keys() {
        let mut app = screen::app_with(5);
        press(&mut app, KeyCode::Char('3'));
        press(&mut app, KeyCode::Char('?'));
        let rows = screen_rows(&render(&mut app, 140, 40));
        for (key, description) in [
            ("v", "drift: show the open diff unified or side by side"),
            ("]", "drift: scroll the open diff to its next hunk"),
            ("[", "drift: scroll the open diff to its previous hunk"),
        ] {
            assert!(
                rows.iter()
                    .any(|r| r.contains(&format!("  {key} ")) && r.contains(description)),
                "{key} {description}: {rows:#?}"
            );
        }
    }
}

utc_test! {
    fn mouse_wheel_scrolls_the_diff() {
        use crossterm::event::{MouseEvent, MouseEventKind};
        let mut app = nginx_diff();
        render(&mut app, 80, 20);
        let wheel = |kind| {
            Msg::Mouse(MouseEvent {
                kind,
                column: 10,
                row: 5,
                modifiers: KeyModifiers::NONE,
            })
        };
        app.update(wheel(MouseEventKind::ScrollDown));
        let rows = screen_rows(&render(&mut app, 80, 20));
        // Three rows down: past the two file headers and the first hunk's header.
        assert!(rows[1].contains("pid /run/nginx.pid;"), "{rows:#?}");
        app.update(wheel(MouseEventKind::ScrollUp));
        let rows = screen_rows(&render(&mut app, 80, 20));
        assert!(rows[1].contains("--- production/nginx.conf"), "{rows:#?}");
    }
}

utc_test! {
    fn change_form_asks_for_why() {
        let mut app = screen::app_with(5);
        press(&mut app, KeyCode::Char('c'));
        type_text(&mut app, "drained web1.staging");
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::CONTROL,
        )));
        insta::assert_snapshot!("change_form_needs_why", render(&mut app, 80, 24).backend());
    }
}

utc_test! {
    fn too_small_terminal_says_so() {
        let mut app = screen::app_with(5);
        let terminal = render(&mut app, 40, 10);
        let text: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(text.contains("Terminal too small: 40x10"), "{text}");
        assert!(text.contains("60x12"), "{text}");
    }
}

/// Rows of many items (every mount), a forecast, an acknowledgement and a flapping row:
/// grouped by environment, the worst group first, a check's rows together.
fn health_of_many_kinds() -> App {
    use sheriff::checks::{CheckResult, CheckRun, CheckStatus};
    use sheriff::event::Event;
    use sheriff::handoff::{Entry, EntryKind, Refs};
    let mut app = screen::app_with(0);
    let at = screen::at(12, 5, 0);
    let row = |check: &str, target: &str, item: Option<&str>, status, summary: &str| {
        let mut r = CheckResult::new(check, target, status, summary);
        r.item = item.map(str::to_string);
        r.at = at;
        r
    };
    let mounts = CheckRun {
        check: "disk /srv".into(),
        target: "web1.prod".into(),
        rows: vec![
            row(
                "disk /srv",
                "web1.prod",
                Some("/"),
                CheckStatus::Ok,
                "/ 41% used, 60 GiB free",
            ),
            row(
                "disk /srv",
                "web1.prod",
                Some("/srv"),
                CheckStatus::Warning,
                "/srv 81% used, 1.9 GiB free; 90% full in 3d4h",
            ),
            row(
                "disk /srv",
                "web1.prod",
                Some("/var"),
                CheckStatus::Critical,
                "/var 97% used",
            ),
        ],
    };
    app.update(Msg::Worker(Event::Check(mounts)));
    let flapping = row(
        "api",
        "staging",
        None,
        CheckStatus::Warning,
        "flapping: 6 changes in the last 10 runs; now critical: 503 Service Unavailable",
    );
    app.update(Msg::Worker(Event::Check(CheckRun::single(flapping))));
    let ok = row("api", "production", None, CheckStatus::Ok, "200 in 43ms");
    app.update(Msg::Worker(Event::Check(CheckRun::single(ok))));
    let mut ack = Entry::new(EntryKind::Ack, "sam", "on it: cleaning /var/log");
    ack.time = screen::at(12, 2, 0);
    ack.refs = Refs {
        check: Some("disk /srv /var".into()),
        env: Some("production".into()),
        host: Some("web1.prod".into()),
        ..Refs::default()
    };
    app.update(Msg::Worker(Event::HandoffEntries(vec![ack])));
    app.update(Msg::Tick(at));
    app
}

utc_test! {
    fn health_groups_environments_worst_first() {
        let mut app = health_of_many_kinds();
        insta::assert_snapshot!(format!("{:?}", render(&mut app, 120, 16).backend()));
    }
}
