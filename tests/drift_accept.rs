//! Accepting drift in the Drift pane, through `App::update` as a sheriff does it: `a` on a
//! drifted file (or on a hunk in its diff) asks for how long and why, saving records a
//! `drift-accepted` entry, and once the handoff log has it the file is no longer counted,
//! shown instead with who accepted it and why, until its time is up.

use chrono::TimeDelta;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sheriff::event::Event;
use sheriff::handoff::{Entry, EntryKind};
use sheriff::tui::app::{App, Effect, Msg, Overlay};
use sheriff::tui::panes::Pane;
use sheriff::tui::sample;

fn key(app: &mut App, code: KeyCode, modifiers: KeyModifiers) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, modifiers)))
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    key(app, code, KeyModifiers::NONE)
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn title(app: &App) -> String {
    let title = app.drift.title(&app.theme);
    title.spans.iter().map(|s| s.content.to_string()).collect()
}

/// Fills the open accept form and saves it: the entry it asks to append.
fn accept(app: &mut App, length: &str, why: &str) -> Entry {
    assert!(
        matches!(app.overlay, Some(Overlay::Form(_))),
        "the accept form is open"
    );
    type_text(app, length);
    press(app, KeyCode::Tab);
    type_text(app, why);
    let effects = key(app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let entry = effects.into_iter().find_map(|e| match e {
        Effect::AppendHandoff { entry, .. } => Some(*entry),
        _ => None,
    });
    entry.unwrap_or_else(|| match &app.overlay {
        Some(Overlay::Form(form)) => panic!("not saved: {:?} {:?}", form.problem, form.kind),
        other => panic!("not saved, and the overlay is {other:?}"),
    })
}

#[test]
fn an_accepted_file_is_not_counted_until_its_time_is_up() {
    let mut app = sample::app_with(5);
    app.update(Msg::Resize(160, 40));
    press(&mut app, KeyCode::Char('3'));
    assert!(title(&app).starts_with("Drift 2~"), "{}", title(&app));
    // The first drifted file of the sample: app.env, whose password differs.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('a'));
    let entry = accept(&mut app, "1d", "staging has its own database password");
    assert_eq!(entry.kind, EntryKind::DriftAccepted);
    assert_eq!(entry.refs.drift.as_deref(), Some("app config"));
    assert!(
        entry.tags.contains(&"path:app.env".to_string()),
        "{:?}",
        entry.tags
    );
    assert_eq!(
        entry.why.as_deref(),
        Some("staging has its own database password")
    );
    // Not counted once the log has it (the watch sends the new entry).
    app.update(Msg::Worker(Event::HandoffEntries(vec![entry])));
    assert!(title(&app).starts_with("Drift 1~"), "{}", title(&app));
    // A day later it counts again.
    let later = app.now + TimeDelta::days(1) + TimeDelta::minutes(1);
    app.update(Msg::Tick(later));
    assert!(title(&app).starts_with("Drift 2~"), "{}", title(&app));
}

#[test]
fn a_hunk_is_accepted_from_the_diff_and_why_is_required() {
    let mut app = sample::app_with(5);
    app.update(Msg::Resize(160, 40));
    press(&mut app, KeyCode::Char('3'));
    // nginx.conf, the second drifted file: its diff, then its second hunk.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char(']'));
    press(&mut app, KeyCode::Char('a'));
    // Saving with no why is refused, and says so.
    let effects = key(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert!(effects.is_empty());
    match &app.overlay {
        Some(Overlay::Form(form)) => {
            assert!(
                form.problem.as_deref().unwrap_or("").contains("why"),
                "{:?}",
                form.problem
            )
        }
        _ => panic!("the form stays open"),
    }
    let entry = accept(&mut app, "", "the staging keepalive is being tested");
    assert!(
        entry.tags.iter().any(|t| t.starts_with("hunk:")),
        "{:?}",
        entry.tags
    );
    assert!(
        !entry.tags.iter().any(|t| t.starts_with("until:")),
        "no end given"
    );
    app.update(Msg::Worker(Event::HandoffEntries(vec![entry])));
    // One hunk of two: the file still drifts.
    assert!(title(&app).contains("nginx.conf"), "{}", title(&app));
    press(&mut app, KeyCode::Esc);
    assert!(title(&app).starts_with("Drift 2~"), "{}", title(&app));
}

/// A target whose only drift is a host that differs from its reference.
fn peer_report() -> sheriff::drift::DriftReport {
    use sheriff::drift::compare::{compare_trees, EnvVars, Rules};
    use sheriff::drift::side::{Entry as Side, Tree};
    let side = |text: &str| Tree {
        entries: [(
            "nginx.conf".to_string(),
            Side::file(text.as_bytes().to_vec()),
        )]
        .into(),
        notes: Vec::new(),
    };
    let reference = side("server {\n    listen 443 ssl;\n}\n");
    let between = ("production".to_string(), "staging".to_string());
    let mut report = sheriff::drift::DriftReport::new("fleet", &between);
    report.diff = Some(compare_trees(
        &reference,
        &reference,
        &Rules::default(),
        &EnvVars::default(),
    ));
    report.peers.push(sheriff::drift::PeerDrift {
        host: "web3.prod".into(),
        differs_from: "web1.prod".into(),
        paths: vec!["nginx.conf".into()],
        diff: Some(compare_trees(
            &reference,
            &side("server {\n    listen 8443 ssl;\n}\n"),
            &Rules::default(),
            &EnvVars::default(),
        )),
    });
    report
}

fn detail_text(app: &App) -> String {
    let detail = app.drift.detail(&app.theme).expect("a detail");
    let lines: Vec<String> = detail
        .lines
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.to_string()).collect())
        .collect();
    lines.join("\n")
}

#[test]
fn a_host_that_differs_from_its_reference_is_accepted_from_its_row() {
    let mut app = sample::app_with(5);
    app.update(Msg::Resize(160, 40));
    app.update(Msg::Worker(Event::Drift(Box::new(peer_report()))));
    press(&mut app, KeyCode::Char('3'));
    // The host counts as drift of its pair of environments.
    assert!(title(&app).starts_with("Drift 3~"), "{}", title(&app));
    press(&mut app, KeyCode::End);
    // Its detail is the diff of its copy against the reference's.
    let detail = detail_text(&app);
    assert!(
        detail.contains("--- web1.prod/nginx.conf\n+++ web3.prod/nginx.conf")
            && detail.contains("+    listen 8443 ssl;"),
        "{detail}"
    );
    press(&mut app, KeyCode::Char('a'));
    let entry = accept(&mut app, "", "web3 is the canary");
    assert!(
        entry.tags.contains(&"host:web3.prod".to_string()),
        "{:?}",
        entry.tags
    );
    assert_eq!(
        entry.text,
        "accepted drift in fleet: how web3.prod's copy differs"
    );
    app.update(Msg::Worker(Event::HandoffEntries(vec![entry])));
    assert!(title(&app).starts_with("Drift 2~"), "{}", title(&app));
    assert!(
        detail_text(&app)
            .starts_with("  ✓ web3.prod differs from web1.prod in nginx.conf · accepted by "),
        "{}",
        detail_text(&app)
    );
}
