//! The Logs pane as a sheriff drives it during an incident, through `App::update`: hide
//! noise, search and step through matches, jump between errors and to a time, mark lines
//! and file a bug with exactly those, copy them, and see what arrived while paused.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sheriff::event::Event;
use sheriff::logs::{Level, LogLine};
use sheriff::tui::app::{App, Effect, Msg, Overlay};
use sheriff::tui::panes::{Ask, Pane};
use sheriff::tui::sample;

/// The sample app, Logs focused, with 50 lines: every 7th an error, `request {i}` each.
fn app() -> App {
    let mut app = sample::app_with(50);
    app.update(Msg::Resize(160, 40));
    press(&mut app, KeyCode::Char('2'));
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn title(app: &App) -> String {
    app.logs
        .title(&app.theme)
        .spans
        .iter()
        .map(|s| s.content.to_string())
        .collect()
}

/// The text of the selected line, as its detail view shows it.
fn selected(app: &App) -> String {
    let detail = app.logs.detail(&app.theme).expect("a selected line");
    detail
        .lines
        .last()
        .map(|l| l.to_string())
        .unwrap_or_default()
}

fn line(i: usize, text: &str) -> LogLine {
    LogLine {
        source: "app@production".into(),
        received: Utc.with_ymd_and_hms(2026, 12, 1, 12, 30, 0).unwrap()
            + chrono::Duration::seconds(i as i64),
        time: None,
        level: text.contains("ERROR").then_some(Level::Error),
        text: text.into(),
        origin: None,
    }
}

#[test]
fn a_search_highlights_steps_with_n_and_shift_n_and_esc_ends_it() {
    let mut app = app();
    press(&mut app, KeyCode::Char('s'));
    type_text(&mut app, "request 4");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    // From the newest line, the nearest match before it: request 49.
    assert!(selected(&app).contains("request 49 "), "{}", selected(&app));
    assert!(
        title(&app).contains("search request 4 11/11"),
        "{}",
        title(&app)
    );
    press(&mut app, KeyCode::Char('N'));
    assert!(selected(&app).contains("request 48 "), "{}", selected(&app));
    press(&mut app, KeyCode::Char('N'));
    press(&mut app, KeyCode::Char('n'));
    assert!(selected(&app).contains("request 48 "));
    assert!(title(&app).contains("10/11"), "{}", title(&app));
    // n moved through matches; it did not open a note.
    assert!(app.overlay.is_none());
    press(&mut app, KeyCode::Esc);
    assert!(!app.logs.is_searching());
    // With no search, n is a note again.
    press(&mut app, KeyCode::Char('n'));
    assert!(matches!(app.overlay, Some(Overlay::Form(_))));
}

#[test]
fn an_exclusion_hides_lines_and_combines_with_a_filter() {
    let mut app = app();
    press(&mut app, KeyCode::Char('\\'));
    type_text(&mut app, "INFO");
    press(&mut app, KeyCode::Enter);
    // 50 lines: 8 errors and 14 warnings stay.
    assert!(title(&app).contains("\\INFO\\ 22 shown"), "{}", title(&app));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "ERROR");
    press(&mut app, KeyCode::Enter);
    assert!(title(&app).contains("8 shown"), "{}", title(&app));
    assert_eq!(app.logs.asked(Ask::Exclude).as_deref(), Some("INFO"));
    press(&mut app, KeyCode::Char('x'));
    assert!(
        title(&app).starts_with("Logs · 50 lines · follow"),
        "{}",
        title(&app)
    );
}

#[test]
fn e_and_shift_e_step_through_errors() {
    let mut app = app();
    // From the newest (49), the previous error is 42, then 35.
    press(&mut app, KeyCode::Char('E'));
    assert!(selected(&app).contains("request 42 "), "{}", selected(&app));
    press(&mut app, KeyCode::Char('E'));
    assert!(selected(&app).contains("request 35 "));
    press(&mut app, KeyCode::Char('e'));
    assert!(selected(&app).contains("request 42 "));
    press(&mut app, KeyCode::Char('e'));
    assert!(selected(&app).contains("request 49 "));
    press(&mut app, KeyCode::Char('e'));
    assert!(app
        .notice
        .as_ref()
        .is_some_and(|n| n.text.contains("no later error")));
}

#[test]
fn a_bug_from_marked_lines_carries_exactly_those_and_y_copies_them() {
    let mut app = app();
    press(&mut app, KeyCode::Char('E'));
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Char(' '));
    assert!(title(&app).contains("2 marked"), "{}", title(&app));
    let subject = app.logs.bug_subject().expect("subject");
    assert_eq!(subject.log_lines.len(), 2, "{:?}", subject.log_lines);
    assert!(
        subject.log_lines[0].contains("request 40 "),
        "{:?}",
        subject.log_lines
    );
    assert!(
        subject.log_lines[1].contains("request 42 "),
        "{:?}",
        subject.log_lines
    );
    let effects = press(&mut app, KeyCode::Char('y'));
    match effects.as_slice() {
        [Effect::Copy(text)] => {
            assert_eq!(text.lines().count(), 2);
            assert!(text.starts_with("INFO request 40 "), "{text}");
        }
        other => panic!("expected a copy, got {other:?}"),
    }
    // The draft the sheriff opens with b holds the marked lines.
    press(&mut app, KeyCode::Char('b'));
    match &app.overlay {
        Some(Overlay::Bug(form)) => {
            let body = form.body_text();
            assert!(
                body.contains("request 40 ") && body.contains("request 42 "),
                "{body}"
            );
            assert!(!body.contains("request 41 "), "{body}");
        }
        other => panic!("expected the bug form, got {other:?}"),
    }
}

#[test]
fn lines_that_arrive_while_paused_are_counted_and_older_ones_dropped_are_said() {
    let mut app = app();
    press(&mut app, KeyCode::Up);
    let lines: Vec<LogLine> = (0..5).map(|i| line(i, &format!("late {i}"))).collect();
    app.update(Msg::Worker(Event::LogLines {
        source: "app@production".into(),
        lines,
    }));
    assert!(title(&app).contains("paused, 5 new"), "{}", title(&app));
    assert!(
        selected(&app).contains("request 48 "),
        "the selection stays put"
    );
    press(&mut app, KeyCode::End);
    assert!(title(&app).ends_with("follow"), "{}", title(&app));
}

#[test]
fn t_jumps_to_the_first_line_at_a_time() {
    let mut app = app();
    let lines: Vec<LogLine> = (0..120).map(|i| line(i, &format!("tick {i}"))).collect();
    app.update(Msg::Worker(Event::LogLines {
        source: "app@production".into(),
        lines,
    }));
    press(&mut app, KeyCode::Char('t'));
    type_text(&mut app, "2026-12-01T12:31:00Z");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none(), "{:?}", app.overlay);
    assert!(selected(&app).contains("tick 60"), "{}", selected(&app));
    press(&mut app, KeyCode::Char('t'));
    type_text(&mut app, "not a time");
    press(&mut app, KeyCode::Enter);
    match &app.overlay {
        Some(Overlay::Filter { error: Some(e), .. }) => assert!(e.contains("not a time"), "{e}"),
        other => panic!("expected the prompt with an error, got {other:?}"),
    }
}

#[test]
fn highlight_rules_from_the_config_colour_what_they_match() {
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    use sheriff::config::{Highlight, LogsView};
    use sheriff::tui::theme::Slot;
    let mut app = app();
    app.logs.configure(&LogsView {
        highlights: vec![Highlight {
            regex: regex::Regex::new("upstream=10\\.0\\.0\\.49").unwrap(),
            style: "debug".into(),
        }],
        ..LogsView::default()
    });
    let mut terminal = Terminal::new(TestBackend::new(160, 40)).expect("backend");
    terminal
        .draw(|frame| sheriff::tui::ui::draw(&app, frame))
        .expect("draw");
    let buffer = terminal.backend().buffer().clone();
    let want = app.theme.style(Slot::LogDebug).fg;
    let (mut found, mut styled) = (false, 0);
    for y in 0..buffer.area.height {
        let row: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(at) = row.find("upstream=10.0.0.49") {
            found = true;
            let x = row[..at].chars().count() as u16;
            styled = (x..x + 18)
                .filter(|&x| buffer[(x, y)].fg == want.unwrap_or_default())
                .count();
        }
    }
    assert!(found, "the line is on screen");
    assert_eq!(styled, 18, "every cell of the match takes the rule's style");
}

#[test]
fn a_smaller_buffer_from_the_config_keeps_the_newest_lines_and_says_so() {
    use sheriff::config::LogsView;
    let mut app = app();
    app.logs.configure(&LogsView {
        buffer: 1024 * 1024,
        ..LogsView::default()
    });
    let long = "x".repeat(4096);
    let lines: Vec<LogLine> = (0..400).map(|i| line(i, &format!("{i} {long}"))).collect();
    app.update(Msg::Worker(Event::LogLines {
        source: "app@production".into(),
        lines,
    }));
    let title = title(&app);
    assert!(title.contains("older dropped"), "{title}");
    assert!(
        selected(&app).starts_with("399 "),
        "the newest line is kept"
    );
}

#[test]
fn one_source_can_be_shown_alone_and_each_has_its_error_sparkline() {
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    let mut app = app();
    let lines: Vec<LogLine> = (0..3)
        .map(|i| LogLine {
            source: "app@staging".into(),
            received: app.now,
            ..line(i, &format!("ERROR staging {i}"))
        })
        .collect();
    app.update(Msg::Worker(Event::LogLines {
        source: "app@staging".into(),
        lines,
    }));
    press(&mut app, KeyCode::Char('S'));
    assert!(
        title(&app).contains("only app@production 50 shown"),
        "{}",
        title(&app)
    );
    press(&mut app, KeyCode::Char('S'));
    assert!(
        title(&app).contains("only app@staging 3 shown"),
        "{}",
        title(&app)
    );
    press(&mut app, KeyCode::Char('S'));
    assert!(!title(&app).contains("only"), "{}", title(&app));
    let mut terminal = Terminal::new(TestBackend::new(160, 40)).expect("backend");
    terminal
        .draw(|frame| sheriff::tui::ui::draw(&app, frame))
        .expect("draw");
    let screen: String = {
        let b = terminal.backend().buffer();
        (0..b.area.height)
            .map(|y| {
                (0..b.area.width)
                    .map(|x| b[(x, y)].symbol().to_string())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    };
    assert!(
        screen.contains("app@staging ▁▁▁▁▁▁▁▁▁█ 3 err/10m"),
        "{screen}"
    );
}

/// A line of `source` written at `second` past 12:30.
fn at(source: &str, second: i64, text: &str) -> LogLine {
    let written =
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 30, 0).unwrap() + chrono::Duration::seconds(second);
    LogLine {
        source: source.into(),
        received: Utc::now(),
        time: Some(written),
        level: text.contains("ERROR").then_some(Level::Error),
        text: text.into(),
        origin: None,
    }
}

fn push(app: &mut App, source: &str, lines: Vec<LogLine>) {
    app.update(Msg::Worker(Event::LogLines {
        source: source.into(),
        lines,
    }));
}

#[test]
fn hosts_merge_by_time_and_filters_searches_and_marks_follow_the_lines() {
    let mut app = sample::app_with(0);
    app.update(Msg::Resize(160, 40));
    press(&mut app, KeyCode::Char('2'));
    push(
        &mut app,
        "app@web1",
        vec![
            at("app@web1", 10, "ERROR web1 a"),
            at("app@web1", 30, "ERROR web1 b"),
        ],
    );
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "ERROR");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('s'));
    type_text(&mut app, "web");
    press(&mut app, KeyCode::Enter);
    // web2's line was written between web1's two, and arrives after both.
    push(
        &mut app,
        "app@web2",
        vec![
            at("app@web2", 20, "ERROR web2 c"),
            at("app@web2", 25, "INFO web2 d"),
        ],
    );
    let order: Vec<String> = (0..3)
        .map(|_| {
            let text = selected(&app);
            press(&mut app, KeyCode::Up);
            text
        })
        .collect();
    assert_eq!(
        order,
        ["ERROR web1 b", "ERROR web2 c", "ERROR web1 a"],
        "newest first, by time"
    );
    assert!(title(&app).contains("3 shown"), "{}", title(&app));
    assert!(title(&app).contains("search web 1/3"), "{}", title(&app));
    // The mark stayed on web1's second line, now third in the buffer.
    let subject = app.logs.bug_subject().expect("subject");
    assert_eq!(subject.log_lines, ["12:30:30 ERROR web1 b"]);
}
