//! Scrolling the Logs pane up past its buffer reads the lines before it back from the
//! files: the log, then its rotated copies (plain and gzip'd), a page at a time. With the
//! lines a real tail put in a small buffer, every line written is on screen exactly once,
//! in order, going up through the read-back lines and down through the buffer.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sheriff::event::Event;
use sheriff::logs::tail::FileTail;
use sheriff::tui::app::{App, Effect, Msg};
use sheriff::tui::keymap::Keymap;
use sheriff::tui::panes::Pane;
use sheriff::tui::theme::{ColorDepth, Theme};

/// The `i`th line written: its own time, so lines of copies are told apart by their text.
fn written(i: usize) -> String {
    let (minute, second) = (i / 60 % 60, i % 60);
    let secret = if i == 150 {
        " login password=hunter2hunter2"
    } else {
        ""
    };
    format!(
        "2026-12-01T{:02}:{minute:02}:{second:02}Z INFO request {i:05}{secret}",
        8 + i / 3600
    )
}

fn lines(range: std::ops::Range<usize>) -> String {
    range.map(|i| written(i) + "\n").collect()
}

/// Runs what the pane asks for as the runner does (the pages read here, the answers fed
/// back), until it asks for nothing more.
fn run(app: &mut App, effects: Vec<Effect>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = std::sync::Arc::new(app.config.clone());
    let mut effects = effects;
    while let Some(effect) = effects.pop() {
        if let Effect::ReadEarlier(requests) = effect {
            for request in requests {
                let source = request.source.clone();
                let read = sheriff::logs::earlier::read_request(config.clone(), None, request);
                let page = runtime.block_on(read);
                effects.extend(app.update(Msg::Earlier { source, page }));
            }
        }
    }
}

fn press(app: &mut App, code: KeyCode) {
    let effects = app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    run(app, effects);
}

fn title(app: &App) -> String {
    let title = app.logs.title(&app.theme);
    title.spans.iter().map(|s| s.content.to_string()).collect()
}

fn selected(app: &App) -> String {
    let detail = app.logs.detail(&app.theme).expect("a selected line");
    detail
        .lines
        .last()
        .map(|l| l.to_string())
        .unwrap_or_default()
}

/// Follows `path` with a real tail until `want` lines have come, into the app.
fn tail_into(app: &mut App, path: &Path, want: usize, append: impl FnOnce()) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (tx, mut rx) = sheriff::event::channel();
        let tail = FileTail::new("app", path);
        let task = tokio::spawn(sheriff::logs::tail::run(tail, tx));
        let mut got = 0;
        let mut append = Some(append);
        while got < want {
            let event = tokio::time::timeout(Duration::from_secs(20), rx.recv())
                .await
                .expect("the tail sends on")
                .expect("the tail runs");
            if let Event::LogLines { lines, .. } = &event {
                got += lines.len();
            }
            app.update(Msg::Worker(event));
            // The backlog is in: now the writer goes on.
            if let Some(append) = append.take() {
                append();
            }
        }
        task.abort();
    });
}

#[test]
fn every_line_written_is_read_once_going_up_past_the_buffer_through_the_rotated_copies() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(lines(0..3000).as_bytes()).unwrap();
    std::fs::write(dir.path().join("app.log.2.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.path().join("app.log.1"), lines(3000..6000)).unwrap();
    std::fs::write(&log, lines(6000..7000)).unwrap();
    let config = format!(
        "[logs]\nbuffer = \"1MiB\"\n\n[[log]]\nname = \"app\"\nfile = \"{}\"\n",
        log.display()
    );
    let config = sheriff::config::parse(&config, Path::new("sheriff.toml")).unwrap();
    let keymap = Keymap::builtin_default();
    let theme = Theme::builtin_default(ColorDepth::TrueColor);
    let mut app = App::new(config, keymap, theme, "alex".into());
    app.update(Msg::Resize(160, 40));
    press(&mut app, KeyCode::Char('2'));
    // The tail shows the last 200 lines, then 15,000 more are written while it runs,
    // more than the 1 MiB buffer keeps, with a rotation halfway: the buffer's oldest
    // lines are now in `app.log.1`, and the copies before them one number further back.
    let total = 7000 + 15_000;
    let append = || {
        let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        file.write_all(lines(7000..15_000).as_bytes()).unwrap();
        let name = |n: &str| dir.path().join(n);
        std::fs::rename(name("app.log.2.gz"), name("app.log.3.gz")).unwrap();
        std::fs::rename(name("app.log.1"), name("app.log.2")).unwrap();
        std::fs::rename(&log, name("app.log.1")).unwrap();
        std::fs::write(&log, lines(15_000..total)).unwrap();
    };
    tail_into(&mut app, &log, 200 + 15_000, append);
    let (_, dropped, _) = app.logs.counts();
    assert!(dropped > 1000, "the buffer dropped lines: {}", title(&app));

    // Up from the buffer's first line: the lines before it, page by page, to the first
    // line of the oldest copy.
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Up);
    assert!(title(&app).contains("earlier lines"), "{}", title(&app));
    let mut presses = 0;
    while !title(&app).contains("from the first line") {
        press(&mut app, KeyCode::Home);
        presses += 1;
        assert!(
            presses < 100,
            "never reached the first line: {}",
            title(&app)
        );
    }
    press(&mut app, KeyCode::Home);
    assert!(
        selected(&app).ends_with("request 00000"),
        "{}",
        selected(&app)
    );

    // Down from there: every line written, once, in order, through the buffer's end.
    let mut seen = Vec::new();
    loop {
        seen.push(selected(&app));
        if seen.len() == total {
            break;
        }
        press(&mut app, KeyCode::Down);
    }
    assert!(app
        .logs
        .title(&app.theme)
        .to_string()
        .contains("older dropped"));
    for (i, text) in seen.iter().enumerate() {
        let want = written(i);
        let want = want.split(" login").next().unwrap();
        assert!(text.starts_with(want), "line {i}: {text:?}, not {want:?}");
    }
    assert!(
        !seen.iter().any(|t| t.contains("hunter2")),
        "a secret read back is masked"
    );
    assert!(seen[150].contains("password="), "{}", seen[150]);
}
