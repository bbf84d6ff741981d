//! Text from outside as the sheriff sees it: log lines with tabs, colour codes, hyperlinks,
//! wide characters and broken UTF-8, read by the real file follower, drift diffs and HTTP
//! check output, drawn by ratatui's TestBackend and kept as insta snapshots.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sheriff::checks::engine::{run_once, CheckJob, Resources};
use sheriff::checks::rows::Rows;
use sheriff::checks::CheckTarget;
use sheriff::config::condition_list;
use sheriff::config::{CheckKind, CheckSpec, HttpSpec, Target};
use sheriff::config::{DriftSpec, Environment};
use sheriff::event::Event;
use sheriff::logs::tail::{self, FileTail};
use sheriff::logs::LogLine;
use sheriff::tui::app::{App, Msg};
use sheriff::tui::panes::PaneId;
use sheriff::tui::{sample, ui};
use unicode_width::UnicodeWidthStr;

/// What a program writes to its log: columns split by tabs, colours from a terminal
/// logger, an OSC 8 link, CJK and emoji, and a few bytes that are not text at all.
const LOG: &[u8] = b"12:01:03 INFO\tstarted\tworker=1\n\
12:01:04 \x1b[31mERROR\x1b[0m \x1b[1mred text\x1b[0m see \x1b]8;;https://example.org/runbook\x1b\\the runbook\x1b]8;;\x1b\\\n\
12:01:05 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\tok\tdone\n\
12:01:06 \xf0\x9f\x9a\x80 go\tok\tdone\n\
12:01:07 ascii\tok\tdone\n\
12:01:08 bell\x07 nul\x00 del\x7f bad \xff\xfe utf-8\r\n";

/// The lines the real follower reads from `LOG` in a file.
fn tail_lines() -> Vec<LogLine> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    std::fs::write(&path, LOG).expect("write log");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let (tx, mut rx) = sheriff::event::channel();
        let task = tokio::spawn(tail::run(FileTail::new("app@prod", &path), tx));
        let mut lines = Vec::new();
        while lines.len() < 6 {
            match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                Ok(Some(Event::LogLines { lines: more, .. })) => lines.extend(more),
                Ok(Some(_)) => {}
                other => panic!("no log lines from the follower: {other:?}"),
            }
        }
        task.abort();
        lines
    })
}

fn zoomed_logs(lines: Vec<LogLine>, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut app: App = sample::app_with(0);
    app.update(Msg::Worker(Event::LogLines {
        source: "app@prod".into(),
        lines,
    }));
    app.focus = PaneId::Logs;
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('z'),
        KeyModifiers::NONE,
    )));
    app.update(Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|frame| ui::draw(&app, frame)).expect("draw");
    terminal
}

#[test]
fn log_lines_are_read_as_printable_text() {
    let lines = tail_lines();
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "12:01:03 INFO   started worker=1",
            "12:01:04 ERROR red text see the runbook",
            "12:01:05 日本語 ok      done",
            "12:01:06 🚀 go  ok      done",
            "12:01:07 ascii  ok      done",
            "12:01:08 bell␇ nul␀ del␡ bad �� utf-8",
        ]
    );
    // The columns after a tab line up whatever came before them.
    for text in &texts[2..5] {
        assert_eq!(text.width(), 28, "{text}");
        assert_eq!(&text[text.len() - 12..], "ok      done", "{text}");
    }
    assert_eq!(
        lines[1].level,
        Some(sheriff::logs::Level::Error),
        "the level is seen through the colour codes"
    );
}

#[test]
fn log_pane_with_tabs_colours_and_wide_characters() {
    let terminal = zoomed_logs(tail_lines(), 80, 12);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn log_pane_cuts_wide_characters_at_the_edge() {
    // 58 columns inside the border, and the CJK text starts on an odd column: the last
    // character that would straddle the edge is left out, never drawn half.
    let mut lines = tail_lines();
    let mut long = lines[0].clone();
    long.text = format!("12:01:09 x{}", "日本語".repeat(10));
    lines.push(long);
    let terminal = zoomed_logs(lines, 60, 12);
    insta::assert_snapshot!(terminal.backend());
}

fn env(name: &str, root: &Path) -> Environment {
    Environment {
        name: name.into(),
        hosts: vec![],
        vars: BTreeMap::new(),
        root: Some(root.to_path_buf()),
    }
}

#[test]
fn drift_diffs_are_printable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (root, value) in [(&a, "1024"), (&b, "\x1b[31m512\x1b[0m")] {
        std::fs::create_dir_all(root.join("etc")).expect("mkdir");
        std::fs::write(
            root.join("etc/nginx.conf"),
            format!("events {{\n\tworker_connections\t{value};\n}}\n"),
        )
        .expect("write");
    }
    let spec = DriftSpec::path("nginx", "/etc/", ("production", "staging"));
    let sides = sheriff::drift::run::Sides {
        a: env("production", &a),
        b: env("staging", &b),
        pool: None,
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let report = runtime.block_on(sheriff::drift::run::compare(&spec, &sides));
    assert_eq!(report.error, None);
    let diff: String = report.files()[0]
        .hunks
        .iter()
        .map(|h| h.unified())
        .collect();
    assert!(
        diff.contains("-        worker_connections      1024;"),
        "{diff}"
    );
    assert!(
        diff.contains("+        worker_connections      512;"),
        "{diff}"
    );
    assert!(!diff.contains('\x1b') && !diff.contains('\t'), "{diff:?}");
}

#[test]
fn check_output_is_printable() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request);
        let body = "\x1b[32mstatus\x1b[0m:\tdegraded\x07\nqueue:\t12\n";
        let response = format!(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: {}\r\nX-Note: a\tb\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).expect("write");
    });
    let url = format!("http://127.0.0.1:{port}/healthz");
    let mut spec = CheckSpec::new("api", Target::Local, CheckKind::Http(HttpSpec::get(&url)));
    spec.expect = condition_list(&["status == 200"]);
    spec.timeout = Duration::from_secs(5);
    let job = CheckJob {
        spec: spec.clone(),
        target: CheckTarget::local(),
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let result = runtime.block_on(async {
        let mut rows = Rows::new(spec, "local".into(), None);
        run_once(&job, &Resources::new(None, None), &mut rows).await
    });
    let result = &result.rows[0];
    server.join().expect("server");
    let detail = &result.detail;
    assert!(detail.contains("status: degraded␇"), "{detail}");
    assert!(detail.contains("queue:  12"), "{detail}");
    assert!(detail.contains("x-note: a       b"), "{detail}");
    assert!(
        !detail.contains('\x1b') && !detail.contains('\t') && !detail.contains('\r'),
        "{detail:?}"
    );
    assert!(result.summary.starts_with("503"), "{}", result.summary);
}
