//! `App::update` without a terminal: what the sheriff would notice after keys and clicks.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use sheriff::event::Event;
use sheriff::handoff::EntryKind;
use sheriff::tui::app::{App, Effect, Msg, NoticeKind, Overlay};
use sheriff::tui::panes::{Ask, Pane, PaneId};
use sheriff::tui::sample;

fn app() -> App {
    let mut app = sample::app_with(50);
    app.update(Msg::Resize(120, 40));
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn click(app: &mut App, column: u16, row: u16) {
    app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }));
}

#[test]
fn clicking_a_pane_focuses_it_and_selects_the_row() {
    let mut app = app();
    // Drift is bottom left; its second row is the first drifted file.
    click(&mut app, 5, 24);
    assert_eq!(app.focus, PaneId::Drift);
    let refs = app.pane(PaneId::Drift).selection_refs();
    assert_eq!(refs.drift.as_deref(), Some("app config"));
    click(&mut app, 100, 5);
    assert_eq!(app.focus, PaneId::Logs);
}

#[test]
fn wheel_scroll_pauses_the_log_follow() {
    let mut app = app();
    assert!(app.logs.is_following());
    app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 100,
        row: 5,
        modifiers: KeyModifiers::NONE,
    }));
    assert!(!app.logs.is_following());
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::End);
    assert!(app.logs.is_following(), "going to the end follows again");
}

#[test]
fn unknown_command_says_so_with_a_suggestion() {
    let mut app = app();
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "zom");
    press(&mut app, KeyCode::Enter);
    match &app.overlay {
        Some(Overlay::Command {
            error: Some(error), ..
        }) => {
            assert_eq!(
                error,
                "unknown command \"zom\" (did you mean \"zoom\"?); tab completes"
            )
        }
        other => panic!("expected the command bar with an error, got {other:?}"),
    }
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char(':'));
    type_text(&mut app, "q");
    assert!(matches!(
        press(&mut app, KeyCode::Enter).as_slice(),
        [Effect::Quit]
    ));
}

#[test]
fn a_bad_log_filter_is_reported_and_a_good_one_applies_as_typed() {
    let mut app = app();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "request 4(");
    match &app.overlay {
        Some(Overlay::Filter {
            error: Some(error), ..
        }) => assert!(error.starts_with("bad regex"), "{error}"),
        other => panic!("expected a filter error, got {other:?}"),
    }
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    assert_eq!(app.logs.asked(Ask::Filter).as_deref(), Some("request 4"));
    let title: String = app
        .logs
        .title(&app.theme)
        .spans
        .iter()
        .map(|s| s.content.to_string())
        .collect();
    assert!(title.contains("/request 4/ 11 shown"), "{title}");
}

#[test]
fn an_abandoned_note_is_kept_as_a_draft() {
    let mut app = app();
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "half a thought");
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    assert_eq!(
        app.notice.as_ref().map(|n| n.text.as_str()),
        Some("draft kept — n or c opens it again")
    );
    press(&mut app, KeyCode::Char('n'));
    match &app.overlay {
        Some(Overlay::Form(form)) => assert_eq!(
            form.text(sheriff::tui::input::FormField::What),
            "half a thought"
        ),
        other => panic!("expected the note form, got {other:?}"),
    }
}

#[test]
fn a_change_is_saved_only_when_the_store_says_so_and_a_failure_keeps_the_text() {
    let mut app = app();
    // The worst first: staging's failing api is the first row.
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('c'));
    type_text(&mut app, "drained staging");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "503s");
    let effects = ctrl(&mut app, 's');
    let entry = match effects.as_slice() {
        [Effect::AppendHandoff {
            entry,
            retry: false,
        }] => entry.clone(),
        other => panic!("expected an append, got {other:?}"),
    };
    assert_eq!(entry.kind, EntryKind::Change);
    assert_eq!(entry.why.as_deref(), Some("503s"));
    assert_eq!(
        entry.refs.check.as_deref(),
        Some("api"),
        "linked to the selected check"
    );
    assert_eq!(entry.refs.env.as_deref(), Some("staging"));
    assert_eq!(
        app.notice.as_ref().map(|n| n.text.as_str()),
        Some("saving…")
    );

    app.update(Msg::Worker(Event::HandoffFailed {
        id: entry.id.clone(),
        error: "disk full".into(),
    }));
    let notice = app.notice.clone().expect("a notice");
    assert_eq!(notice.kind, NoticeKind::Error);
    assert!(notice.text.contains("disk full"), "{}", notice.text);
    press(&mut app, KeyCode::Char('c'));
    match &app.overlay {
        Some(Overlay::Form(form)) => {
            assert_eq!(form.text(sheriff::tui::input::FormField::Why), "503s")
        }
        other => panic!("expected the change form back, got {other:?}"),
    }
    let effects = ctrl(&mut app, 's');
    let retry = match effects.as_slice() {
        [Effect::AppendHandoff { entry, retry: true }] => entry.clone(),
        other => panic!("expected a retry, got {other:?}"),
    };
    assert_eq!(
        retry.id, entry.id,
        "a retry keeps the id, so it is written at most once"
    );
    app.update(Msg::Worker(Event::HandoffSaved {
        id: retry.id.clone(),
        redacted: false,
    }));
    assert_eq!(
        app.notice.as_ref().map(|n| n.text.as_str()),
        Some("saved ✔")
    );
    assert!(app.pending.is_empty());
}

#[test]
fn automatic_entries_fold_and_unfold() {
    let mut app = app();
    press(&mut app, KeyCode::Char('4'));
    let rows = |app: &App| {
        app.pane(PaneId::Handoff)
            .detail(&app.theme)
            .map(|d| d.title)
    };
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(rows(&app).as_deref(), Some("2 automatic entries"));
    press(&mut app, KeyCode::Char('.'));
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(rows(&app).as_deref(), Some("check-state · e3"));
}

#[test]
fn keys_are_ignored_by_nothing_while_a_host_hangs() {
    // A host's state is shown, and the status line counts it; keys still work.
    let mut app = app();
    app.update(Msg::Worker(Event::Host {
        host: "web1.prod".into(),
        state: sheriff::transport::HostState::Unreachable("connect timed out after 5s".into()),
    }));
    assert_eq!(app.hosts_down.len(), 1);
    press(&mut app, KeyCode::Char('z'));
    assert!(app.zoom);
}

#[test]
fn the_report_preview_shows_open_problems_and_changes_with_their_why() {
    let mut app = app();
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('p'));
    let text = match &app.overlay {
        Some(Overlay::Detail { detail, .. }) => detail
            .lines
            .iter()
            .map(|l| {
                l.spans
                    .iter()
                    .map(|s| s.content.to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n"),
        other => panic!("expected the report preview, got {other:?}"),
    };
    assert!(text.contains("api"), "{text}");
    assert!(
        text.contains("503 Service Unavailable"),
        "the critical check is an open problem:\n{text}"
    );
    assert!(
        text.contains("app config production ↔ staging: 2 files differ"),
        "{text}"
    );
    assert!(text.contains("restarted php-fpm on web1"), "{text}");
    assert!(
        text.contains("workers stuck after deploy 4.2"),
        "the change's why:\n{text}"
    );
}

#[test]
fn a_save_that_lands_after_its_timeout_drops_the_draft_and_a_failed_commit_stays_saved() {
    let mut app = app();
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "slow disk today");
    let effects = ctrl(&mut app, 's');
    let entry = match effects.as_slice() {
        [Effect::AppendHandoff { entry, .. }] => entry.clone(),
        other => panic!("expected an append, got {other:?}"),
    };
    app.update(Msg::Worker(Event::HandoffFailed {
        id: entry.id.clone(),
        error: "the disk did not answer in 10s".into(),
    }));
    // The first try lands after all.
    app.update(Msg::Worker(Event::HandoffSaved {
        id: entry.id.clone(),
        redacted: false,
    }));
    let notice = app.notice.clone().expect("a notice");
    assert!(
        notice.text.starts_with("saved ✔ after all"),
        "{}",
        notice.text
    );
    // The draft is gone: `n` opens an empty form, not the saved text again.
    press(&mut app, KeyCode::Char('n'));
    match &app.overlay {
        Some(Overlay::Form(form)) => assert!(form.is_empty(), "no draft of a saved entry"),
        other => panic!("expected a form, got {other:?}"),
    }
    press(&mut app, KeyCode::Esc);
    // A commit that fails later says so, and does not turn the entry back into a draft.
    app.update(Msg::Worker(Event::HandoffCommitted {
        id: entry.id.clone(),
        error: Some("git: index.lock exists".into()),
    }));
    let notice = app.notice.clone().expect("a notice");
    assert!(notice.text.contains("not shared yet"), "{}", notice.text);
    assert_ne!(notice.kind, NoticeKind::Error);
    assert!(app.pending.is_empty());
}

#[test]
fn two_hosts_asking_at_once_are_answered_in_the_order_the_sheriff_picks() {
    use sheriff::transport::ssh::{ChannelPrompt, PassphrasePrompt, PromptKind, PromptRequest};
    let (tx, mut rx) = sheriff::event::channel();
    let ask = |host: &str| {
        let prompt = ChannelPrompt::new(tx.clone());
        let request = PromptRequest {
            host: host.into(),
            kind: PromptKind::KeyPassphrase {
                key: format!("/keys/{host}").into(),
            },
            retry: false,
        };
        std::thread::spawn(move || prompt.ask(&request).map(|s| s.expose().to_string()))
    };
    let web1 = ask("web1");
    let web2 = ask("web2");
    let mut app = app();
    for _ in 0..2 {
        let event = loop {
            if let Ok(event) = rx.try_recv() {
                break event;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        app.update(Msg::Worker(event));
    }
    assert_eq!(app.prompts.len(), 2);
    let first = app.prompts[0].request.host.clone();
    // Tab: the other host first. What it answers goes to that host, as an effect.
    press(&mut app, KeyCode::Tab);
    assert_ne!(app.prompts[0].request.host, first);
    type_text(&mut app, "s3cret");
    let effects = press(&mut app, KeyCode::Enter);
    for effect in effects {
        if let Effect::AnswerPrompt { reply, answer } = effect {
            reply.answer(answer);
        }
    }
    assert_eq!(app.prompts.len(), 1);
    assert_eq!(
        app.prompts[0].request.host, first,
        "the first host still waits its turn"
    );
    let effects = press(&mut app, KeyCode::Esc);
    for effect in effects {
        if let Effect::AnswerPrompt { reply, answer } = effect {
            reply.answer(answer);
        }
    }
    let answers = [
        web1.join().expect("web1 asked"),
        web2.join().expect("web2 asked"),
    ];
    let (declined, unlocked) = if first == "web1" {
        (&answers[0], &answers[1])
    } else {
        (&answers[1], &answers[0])
    };
    assert_eq!(unlocked.as_deref(), Some("s3cret"));
    assert_eq!(declined.as_deref(), None);
}

/// `b` in each pane opens a draft about what is selected there.
fn bug_form(app: &mut App, pane: char) -> sheriff::tui::bug_form::BugForm {
    press(app, KeyCode::Char(pane));
    press(app, KeyCode::Char('b'));
    match app.overlay.take() {
        Some(Overlay::Bug(form)) => *form,
        other => panic!("b opened {other:?}"),
    }
}

#[test]
fn b_drafts_a_bug_about_the_selected_check_drift_log_line_or_entry() {
    let mut app = app();
    let check = bug_form(&mut app, '1');
    assert!(
        check.title.text.contains("CRITICAL") || check.title.text.contains("WARNING"),
        "{}",
        check.title.text
    );
    assert!(
        check.body_text().contains("### Last output"),
        "{}",
        check.body_text()
    );
    assert!(check.body_text().contains("sheriff fingerprint: sheriff"));

    let drift = bug_form(&mut app, '3');
    assert!(drift.title.text.contains("DRIFT"), "{}", drift.title.text);
    assert_eq!(drift.draft.source.drift.as_deref(), Some("app config"));

    let log = bug_form(&mut app, '2');
    assert!(
        log.body_text().contains("### Log lines"),
        "{}",
        log.body_text()
    );

    let entry = bug_form(&mut app, '4');
    assert!(
        entry.body_text().contains("### Last output"),
        "{}",
        entry.body_text()
    );

    // Filing hands the runner an outbox item; the form closes.
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('b'));
    let effects = ctrl(&mut app, 's');
    assert!(matches!(&effects[..], [Effect::FileBug(_)]), "{effects:?}");
    assert!(app.overlay.is_none());
}
