//! Log sources read for real while they are written: a file rotated by rename, truncated in
//! place, created late; a glob with files matching later; a command that keeps exiting;
//! the config keys that choose a source and its format. The journal is in `logs_journal.rs`.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use sheriff::event::{channel, Event, EventsRx};
use sheriff::logs::backoff::Backoff;
use sheriff::logs::command::CommandTail;
use sheriff::logs::tail::{self, FileTail};
use sheriff::logs::LogLine;

/// Long enough for a loaded machine, short enough that a hang fails the test.
const WAIT: Duration = Duration::from_secs(10);

fn quick(source: &str, path: &Path, backlog: usize) -> FileTail {
    let mut tail = FileTail::new(source, path);
    tail.backlog = backlog;
    tail.poll = Duration::from_millis(20);
    tail
}

/// The next `n` lines, of any source; panics with what did arrive if they do not in time.
async fn lines(rx: &mut EventsRx, n: usize) -> Vec<LogLine> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while got.len() < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Event::LogLines { lines, .. })) => got.extend(lines),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("{n} lines expected, got {:?}", texts(&got)),
        }
    }
    assert_eq!(got.len(), n, "more lines than expected: {:?}", texts(&got));
    got
}

/// Nothing more arrives for a while.
async fn quiet(rx: &mut EventsRx, for_: Duration) {
    let deadline = tokio::time::Instant::now() + for_;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if let Event::LogLines { lines, .. } = event {
            panic!("no more lines expected, got {:?}", texts(&lines));
        }
    }
}

fn texts(lines: &[LogLine]) -> Vec<String> {
    lines.iter().map(|l| l.text.clone()).collect()
}

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open for append");
    file.write_all(text.as_bytes()).expect("append");
}

#[tokio::test]
async fn rotation_by_rename_reads_the_old_file_to_its_end_then_the_new() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    std::fs::write(&path, "a1\na2\n").expect("write");
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail::run(quick("app", &path, 10), tx));
    assert_eq!(texts(&lines(&mut rx, 2).await), ["a1", "a2"]);
    // The writer keeps its descriptor across the rename, as nginx does until USR1.
    let mut writer = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    writer.write_all(b"a3\n").expect("write");
    std::fs::rename(&path, dir.path().join("app.log.1")).expect("rename");
    writer
        .write_all(b"a4 after the rename\na5 without its newline")
        .expect("write");
    assert_eq!(
        texts(&lines(&mut rx, 2).await),
        ["a3", "a4 after the rename"]
    );
    std::fs::write(&path, "b1\n").expect("create the new file");
    append(&path, "b2\n");
    let got = texts(&lines(&mut rx, 3).await);
    assert_eq!(got, ["a5 without its newline", "b1", "b2"]);
    quiet(&mut rx, Duration::from_millis(200)).await;
    task.abort();
}

#[tokio::test]
async fn copytruncate_starts_again_from_the_top() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    std::fs::write(&path, "before one\nbefore two\n").expect("write");
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail::run(quick("app", &path, 10), tx));
    assert_eq!(
        texts(&lines(&mut rx, 2).await),
        ["before one", "before two"]
    );
    std::fs::copy(&path, dir.path().join("app.log.1")).expect("copy");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    file.set_len(0).expect("truncate");
    append(&path, "after\n");
    assert_eq!(texts(&lines(&mut rx, 1).await), ["after"]);
    append(&path, "and on\n");
    assert_eq!(texts(&lines(&mut rx, 1).await), ["and on"]);
    task.abort();
}

#[tokio::test]
async fn a_file_that_appears_later_is_read_from_its_first_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("late.log");
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail::run(quick("late", &path, 1), tx));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Event::Notice(text))) if text.contains("waiting for") => break,
            Ok(Some(_)) => {}
            other => panic!("a notice that the file is waited for, got {other:?}"),
        }
    }
    std::fs::write(&path, "one\ntwo\nthree\n").expect("write");
    assert_eq!(texts(&lines(&mut rx, 3).await), ["one", "two", "three"]);
    task.abort();
}

#[tokio::test]
async fn lines_carry_the_time_their_format_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("access.log");
    let line =
        r#"203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 503 157 "-" "curl""#;
    std::fs::write(&path, format!("{line}\n")).expect("write");
    let format = sheriff::logs::parse::Format::NginxAccess;
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail::run(quick("web", &path, 10).with_format(format), tx));
    let got = lines(&mut rx, 1).await;
    let time = got[0].time.map(|t| t.to_rfc3339());
    assert_eq!(time.as_deref(), Some("2000-10-10T20:55:36+00:00"));
    assert_eq!(got[0].level, Some(sheriff::logs::Level::Error));
    task.abort();
}

#[tokio::test]
async fn a_glob_follows_each_file_and_the_ones_that_match_later() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("access.log"), "a\n").expect("write");
    std::fs::write(dir.path().join("error.log"), "e\n").expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a log\n").expect("write");
    let pattern = dir.path().join("*.log");
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail::run(quick("nginx@prod", &pattern, 10), tx));
    let mut got: Vec<(String, String)> = lines(&mut rx, 2)
        .await
        .into_iter()
        .map(|l| (l.source, l.text))
        .collect();
    got.sort();
    let want = [
        ("nginx:access.log@prod", "a"),
        ("nginx:error.log@prod", "e"),
    ];
    let want: Vec<(String, String)> = want.map(|(s, t)| (s.into(), t.into())).into();
    assert_eq!(got, want);
    // A file that matches later is all new: read from its first line.
    std::fs::write(dir.path().join("vhost.log"), "v1\nv2\n").expect("write");
    let got = lines(&mut rx, 2).await;
    assert_eq!(texts(&got), ["v1", "v2"]);
    assert_eq!(got[0].source, "nginx:vhost.log@prod");
    task.abort();
}

#[tokio::test]
async fn a_glob_knows_a_renamed_file_by_its_inode_and_skips_compressed_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    std::fs::write(&path, "one\ntwo\n").expect("write");
    std::fs::write(dir.path().join("app.log.2.gz"), [0x1f, 0x8b, 0, 0]).expect("write");
    let (tx, mut rx) = channel();
    let pattern = dir.path().join("app*");
    let task = tokio::spawn(tail::run(quick("app", &pattern, 10), tx));
    assert_eq!(texts(&lines(&mut rx, 2).await), ["one", "two"]);
    // A name no rotation scheme writes: only the inode tells it is the same file.
    std::fs::rename(&path, dir.path().join("app-archive")).expect("rename");
    tokio::time::sleep(Duration::from_millis(400)).await;
    std::fs::write(&path, "three\n").expect("write");
    assert_eq!(texts(&lines(&mut rx, 1).await), ["three"]);
    quiet(&mut rx, Duration::from_millis(500)).await;
    task.abort();
}

#[tokio::test]
async fn a_glob_over_rotated_names_reads_each_line_once_through_two_rotations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| dir.path().join(name);
    std::fs::write(at("app.log.1"), "older\n").expect("write");
    std::fs::write(at("app.log"), "one\n").expect("write");
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail::run(quick("app", &at("app.log*"), 10), tx));
    assert_eq!(texts(&lines(&mut rx, 1).await), ["one"]);
    for (round, text) in [(1, "two"), (2, "three")] {
        append(&at("app.log"), &format!("before rotation {round}\n"));
        std::fs::rename(at("app.log.1"), at("app.log.2")).expect("rename");
        std::fs::rename(at("app.log"), at("app.log.1")).expect("rename");
        // Let rescans see the names move before the new file exists.
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::write(at("app.log"), format!("{text}\n")).expect("write");
        let got = texts(&lines(&mut rx, 2).await);
        assert_eq!(got, [format!("before rotation {round}"), text.to_string()]);
    }
    quiet(&mut rx, Duration::from_millis(500)).await;
    task.abort();
}

#[tokio::test]
async fn a_command_that_exits_is_restarted_with_a_doubling_wait_said_in_the_log() {
    let (tx, mut rx) = channel();
    let mut tail = CommandTail::new("flaky", "echo hi; exit 3");
    tail.backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(400));
    let task = tokio::spawn(tail.run(tx));
    let got = texts(&lines(&mut rx, 8).await);
    let said = |wait: &str| format!("⋯ command exited (status 3); restarting in {wait}");
    let want = [
        "hi".into(),
        said("100ms"),
        "hi".into(),
        said("200ms"),
        "hi".into(),
        said("400ms"),
        "hi".into(),
        said("400ms"),
    ];
    assert_eq!(got, want);
    task.abort();
}

#[tokio::test]
async fn a_run_that_lasted_starts_the_doubling_over() {
    let (tx, mut rx) = channel();
    let mut tail = CommandTail::new("slow", "sleep 0.4; exit 1");
    tail.backoff = Backoff::new(Duration::from_millis(50), Duration::from_millis(200));
    let task = tokio::spawn(tail.run(tx));
    let got = texts(&lines(&mut rx, 2).await);
    let want = "⋯ command exited (status 1); restarting in 50ms";
    assert_eq!(got, [want, want]);
    task.abort();
}

#[tokio::test]
async fn a_command_s_lines_are_read_in_its_format() {
    let (tx, mut rx) = channel();
    let command = "echo 'level=warn time=2024-05-01T12:00:01Z msg=\"disk filling\"'; sleep 5";
    let tail = CommandTail::new("app", command).with_format(sheriff::logs::parse::Format::Logfmt);
    let task = tokio::spawn(tail.run(tx));
    let got = lines(&mut rx, 1).await;
    assert_eq!(got[0].level, Some(sheriff::logs::Level::Warn));
    let time = got[0].time.map(|t| t.to_rfc3339());
    assert_eq!(time.as_deref(), Some("2024-05-01T12:00:01+00:00"));
    task.abort();
}

fn config_errors(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sheriff.toml");
    std::fs::write(&path, text).expect("write");
    match sheriff::config::load(&path) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|e| {
                let full = e.to_string();
                let prefix = format!("{}:", path.display());
                full.strip_prefix(&prefix).unwrap_or(&full).to_string()
            })
            .collect(),
    }
}

#[test]
fn format_and_journal_keys_are_read_and_checked_where_they_are_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sheriff.toml");
    let text = "[[log]]\nname = \"web\"\nfile = \"/var/log/nginx/*.log\"\nformat = \"Nginx-Access\"\n\
                [[log]]\nname = \"j\"\njournal = \"nginx.service\"\n\
                [[log]]\nname = \"mine\"\ncommand = \"app\"\nformat = 'regex:^(?P<level>\\w+) (?P<msg>.*)'\n";
    std::fs::write(&path, text).expect("write");
    let config = sheriff::config::load(&path).expect("the config loads");
    use sheriff::config::LogSource;
    use sheriff::logs::parse::Format;
    assert_eq!(config.logs[0].format, Format::NginxAccess);
    assert_eq!(
        config.logs[1].source,
        LogSource::Journal("nginx.service".into())
    );
    assert_eq!(config.logs[2].format.name(), "custom");

    let errors = config_errors("[[log]]\nname = \"web\"\nfile = \"/x\"\nformat = \"nginx\"\n");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("4:10: unknown log format \"nginx\""),
        "{errors:?}"
    );
    assert!(errors[0].contains("nginx_access"), "{errors:?}");
    let errors = config_errors("[[log]]\nname = \"w\"\nfile = \"/x\"\nformat = 'regex:(\\S+)'\n");
    assert!(
        errors[0].starts_with("4:10: the log format regex"),
        "{errors:?}"
    );
    let errors = config_errors("[[log]]\nname = \"w\"\nfile = \"/x\"\njournal = \"*\"\n");
    assert!(
        errors[0].starts_with("4:1: log \"w\" has file and journal"),
        "{errors:?}"
    );
    let errors = config_errors("[[log]]\nname = \"j\"\njournal = \"*\"\nformat = \"json\"\n");
    assert!(
        errors[0].starts_with("4:10: a journal is always read"),
        "{errors:?}"
    );
}

#[test]
fn sheriff_logs_reads_a_log_in_its_configured_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    // Read as plain text, both lines are errors (the first level word); in the format the
    // config names, only the second is.
    std::fs::write(&log, "upstream ERROR seen|INFO\nall good|ERROR\n").expect("write");
    let config = dir.path().join("sheriff.toml");
    let text = format!(
        "[[log]]\nname = \"app\"\nfile = \"{}\"\nformat = 'regex:^(?P<msg>.*)\\|(?P<level>[A-Z]+)$'\n",
        log.display()
    );
    std::fs::write(&config, text).expect("write config");
    let count = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sheriff"))
            .arg("logs")
            .args(args)
            .args(["--level", "error", "--count"])
            .env("HOME", dir.path())
            .output()
            .expect("run sheriff logs");
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "sheriff logs failed: {said}");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let config = config.to_str().expect("a UTF-8 path");
    assert_eq!(count(&["--config", config, "app"]), "1");
    let plain = log.to_str().expect("a UTF-8 path");
    assert_eq!(count(&[plain]), "2");
}
