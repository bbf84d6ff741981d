//! The Drift pane's diff view as a sheriff uses it: `}` and `{` open the next and previous
//! file's diff, `esc` comes back to the list on that file, and `b` files a bug carrying the
//! hunk at the top of the view.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sheriff::tui::app::{App, Msg};
use sheriff::tui::panes::Pane;
use sheriff::tui::sample;

fn press(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn title(app: &App) -> String {
    let title = app.drift.title(&app.theme);
    title.spans.iter().map(|s| s.content.to_string()).collect()
}

#[test]
fn braces_step_through_the_drifted_files_diffs() {
    let mut app = sample::app_with(5);
    app.update(Msg::Resize(160, 40));
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert!(
        title(&app).starts_with("Drift · app config · app.env"),
        "{}",
        title(&app)
    );
    press(&mut app, KeyCode::Char('}'));
    assert!(
        title(&app).starts_with("Drift · app config · nginx.conf"),
        "{}",
        title(&app)
    );
    // The last drifted file: it stays, and says so.
    press(&mut app, KeyCode::Char('}'));
    assert!(title(&app).contains("nginx.conf"), "{}", title(&app));
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert_eq!(notice, "no drifted file after this one");
    press(&mut app, KeyCode::Char('{'));
    assert!(title(&app).contains("app.env"), "{}", title(&app));
    press(&mut app, KeyCode::Char('}'));
    press(&mut app, KeyCode::Esc);
    // Back in the list, on the file whose diff was open.
    press(&mut app, KeyCode::Enter);
    assert!(title(&app).contains("nginx.conf"), "{}", title(&app));
}

#[test]
fn a_bug_from_a_diff_carries_the_hunk_at_the_top() {
    let mut app = sample::app_with(5);
    app.update(Msg::Resize(160, 40));
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char(']'));
    let subject = app.drift.bug_subject().expect("a bug about the open diff");
    assert_eq!(subject.item.as_deref(), Some("nginx.conf"));
    let output = subject.output.unwrap_or_default();
    let hunks = output.lines().filter(|l| l.starts_with("@@")).count();
    assert_eq!(hunks, 1, "only the hunk at the top:\n{output}");
    assert!(output.contains("--- production/nginx.conf"), "{output}");
    // The second hunk: not the first one's lines.
    press(&mut app, KeyCode::Char('['));
    let first = app.drift.bug_subject().unwrap().output.unwrap_or_default();
    assert_ne!(first, output);
}
