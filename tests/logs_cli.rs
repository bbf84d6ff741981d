//! `sheriff logs` with no screen: counts that agree with a message-by-message read on a
//! file big enough to be split across cores and windows, the JSON a script reads, time
//! and level filters, secrets masked, odd bytes, and the same read over SSH.

#[path = "support/sshd.rs"]
mod sshd;

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sshd::{Sshd, TestHome};

fn sheriff_bin() -> PathBuf {
    std::env::var_os("SHERIFF_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sheriff")))
}

fn logs(home: &Path, args: &[&str]) -> Output {
    Command::new(sheriff_bin())
        .arg("logs")
        .args(args)
        .env("HOME", home)
        .env("TZ", "UTC")
        .output()
        .expect("run sheriff logs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "sheriff logs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn count(home: &Path, args: &[&str]) -> u64 {
    let mut all = args.to_vec();
    all.push("--count");
    stdout(&logs(home, &all)).trim().parse().expect("a number")
}

fn json(home: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = args.to_vec();
    all.push("--json");
    stdout(&logs(home, &all))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect()
}

/// What a generated log holds, counted as it was written.
#[derive(Default)]
struct Written {
    messages: u64,
    /// error, critical or fatal.
    errors: u64,
    warnings_or_worse: u64,
    /// Messages with a line holding "timed out".
    timed_out: u64,
}

/// A logback-style log of `messages` messages: levels in turn, some errors with a stack
/// trace under them, info lines that mention an error, CRLF and non-UTF-8 bytes here and
/// there, and one line of 200 KiB.
fn app_log(path: &Path, messages: u64) -> Written {
    let mut w = Written::default();
    let mut text = Vec::new();
    for i in 0..messages {
        let stamp = format!(
            "2026-12-01T{:02}:{:02}:{:02}.{:03}Z",
            i / 3_600_000 % 24,
            i / 60_000 % 60,
            i / 1000 % 60,
            i % 1000
        );
        let mut line = match i % 50 {
            0 => {
                w.errors += 1;
                w.timed_out += 1;
                format!("{stamp} ERROR [exec-1] orders - upstream timed out after 5s")
            }
            1 => {
                w.errors += 1;
                format!("{stamp} FATAL [main] app - out of memory")
            }
            2..=5 => format!("{stamp} WARN  [exec-2] orders - slow query {i}ms"),
            6 => format!("{stamp} INFO  [exec-3] orders - retrying after error from billing"),
            7 => format!("{stamp} DEBUG [exec-4] cache - miss key=order:{i}"),
            _ => format!("{stamp} INFO  [exec-5] orders - GET /api/orders/{i} 200"),
        };
        if (2..=5).contains(&(i % 50)) {
            w.warnings_or_worse += 1;
        }
        if i % 50 < 2 {
            w.warnings_or_worse += 1;
        }
        if i == 4321 {
            line.push_str(&" padding".repeat(25_000));
        }
        text.extend_from_slice(line.as_bytes());
        if i % 97 == 0 {
            text.extend_from_slice(b" caf\xe9");
        }
        text.extend_from_slice(if i % 31 == 0 { b"\r\n" } else { b"\n" });
        if i % 100 == 0 {
            // A stack trace: its lines belong to the error above, and one says "timed out".
            text.extend_from_slice(
                b"java.net.SocketTimeoutException: Read timed out\n\
                  \tat org.example.Billing.fetch(Billing.java:141)\n\
                  \tat org.example.Error.handle(Error.java:12)\n",
            );
        }
        w.messages += 1;
    }
    fs::write(path, text).expect("write log");
    w
}

#[test]
fn counts_split_across_cores_agree_with_reading_every_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    // ~7 MB: several 1 MiB windows per thread, and thread splits inside stack traces.
    let written = app_log(&path, 100_000);
    let file = path.to_str().unwrap();
    let home = dir.path();

    assert_eq!(count(home, &[file]), written.messages);
    assert_eq!(count(home, &[file, "--level", "error"]), written.errors);
    assert_eq!(
        count(home, &[file, "--level", "warning"]),
        written.warnings_or_worse
    );
    assert_eq!(
        count(home, &[file, "--grep", "timed out"]),
        written.timed_out
    );
    assert_eq!(
        count(home, &[file, "--grep", "timed out", "--level", "error"]),
        written.timed_out
    );
    // The message-by-message path (forced by --since) gives the same numbers.
    let since = ["--since", "2026-12-01T00:00:00Z"];
    assert_eq!(
        count(home, &[file, since[0], since[1], "--level", "error"]),
        written.errors
    );
    assert_eq!(
        count(home, &[file, since[0], since[1], "--grep", "timed out"]),
        written.timed_out
    );
    let errors = json(home, &[file, "--level", "error"]);
    assert_eq!(errors.len() as u64, written.errors);
}

#[test]
fn json_gives_each_message_its_line_time_level_and_whole_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    app_log(&path, 200);
    let rows = json(dir.path(), &[path.to_str().unwrap(), "--level", "error"]);
    let first = &rows[0];
    assert_eq!(first["line"], 1);
    assert_eq!(first["time"], "2026-12-01T00:00:00Z");
    assert_eq!(first["level"], "error");
    assert_eq!(first["source"], path.to_str().unwrap());
    assert_eq!(first["host"], Value::Null);
    let text = first["text"].as_str().expect("text");
    assert!(text.starts_with("2026-12-01T00:00:00.000Z ERROR"), "{text}");
    assert!(
        text.ends_with("at org.example.Error.handle(Error.java:12)"),
        "{text}"
    );
    assert_eq!(
        text.lines().count(),
        4,
        "the stack trace is part of the message"
    );
    // Message 1 is on line 5: four lines of message 0 come first.
    assert_eq!(rows[1]["line"], 5);
    assert_eq!(rows[1]["level"], "fatal");
    assert_eq!(rows[1]["time"], "2026-12-01T00:00:00.001Z");
}

#[test]
fn since_and_until_take_times_and_zones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    app_log(&path, 5_000);
    let file = path.to_str().unwrap();
    // Messages 1000..2000 are written in the second second.
    let span = [
        "--since",
        "2026-12-01T00:00:01Z",
        "--until",
        "2026-12-01 01:00:02+01:00",
    ];
    let got = json(dir.path(), &[file, span[0], span[1], span[2], span[3]]);
    assert_eq!(got.len(), 1000);
    assert_eq!(got[0]["time"], "2026-12-01T00:00:01Z");
    // A time with no zone is local time ($TZ is UTC here).
    let local = count(dir.path(), &[file, "--since", "2026-12-01 00:00:04"]);
    assert_eq!(local, 1000);
    let bad = logs(dir.path(), &[file, "--since", "yesterday-ish"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since"));
}

#[test]
fn secrets_are_masked_and_cannot_be_found_by_grep() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    let key = "AKIAIOSFODNN7EXAMPLE";
    fs::write(
        &path,
        format!(
            "2026-12-01T10:00:00Z INFO deploy started\n\
             2026-12-01T10:00:01Z ERROR upload failed aws_access_key_id={key}\n\
             2026-12-01T10:00:02Z INFO password=hunter2-but-longer retry\n"
        ),
    )
    .expect("write");
    let file = path.to_str().unwrap();
    let text = stdout(&logs(dir.path(), &[file]));
    assert!(!text.contains(key) && !text.contains("hunter2"), "{text}");
    assert!(text.contains("upload failed"), "{text}");
    let rows = json(dir.path(), &[file]);
    assert!(rows
        .iter()
        .all(|r| !r["text"].as_str().unwrap().contains(key)));
    assert_eq!(count(dir.path(), &[file, "--grep", key]), 0);
    assert_eq!(count(dir.path(), &[file, "--grep", "hunter2"]), 0);
    assert_eq!(count(dir.path(), &[file, "--grep", "upload"]), 1);
}

#[test]
fn control_characters_do_not_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.log");
    fs::write(
        &path,
        b"2026-12-01T10:00:00Z ERROR evil \x1b]52;c;aGk=\x07 \x1b[2J done\n",
    )
    .expect("write");
    let out = logs(dir.path(), &[path.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("done"), "{text:?}");
}

#[test]
fn a_bad_source_or_level_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = logs(dir.path(), &["/no/such/file.log"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no file or [[log]] named"));
    let path = dir.path().join("app.log");
    app_log(&path, 10);
    let out = logs(dir.path(), &[path.to_str().unwrap(), "--level", "loud"]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("use fatal, critical, error"), "{said}");
}

#[test]
fn a_glob_reads_every_file_it_matches_and_follows_them_all_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let logs_dir = dir.path().join("nginx");
    fs::create_dir(&logs_dir).expect("mkdir");
    fs::write(logs_dir.join("a.log"), "2026-12-01T10:00:00Z ERROR a one\n").unwrap();
    fs::write(logs_dir.join("b.log"), "2026-12-01T10:00:01Z INFO b one\n").unwrap();
    // A rotated copy is not read twice.
    fs::write(logs_dir.join("a.log.1"), "2026-12-01T09:00:00Z ERROR old\n").unwrap();
    let config_path = dir.path().join("sheriff.toml");
    let config = format!(
        "[[log]]\nname = \"nginx\"\nfile = \"{}/*.log\"\n",
        logs_dir.display()
    );
    fs::write(&config_path, config).expect("write config");
    let c = config_path.to_str().unwrap();
    let rows = json(dir.path(), &["--config", c, "nginx"]);
    let seen: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r["source"].as_str().unwrap(), r["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("nginx:a.log", "2026-12-01T10:00:00Z ERROR a one"),
            ("nginx:b.log", "2026-12-01T10:00:01Z INFO b one"),
        ]
    );
    assert_eq!(
        count(dir.path(), &["--config", c, "nginx", "--level", "error"]),
        1
    );
    let typed = format!("{}/*.log", logs_dir.display());
    assert_eq!(count(dir.path(), &[&typed]), 2, "a glob typed as the path");
    let none = logs(
        dir.path(),
        &["--config", c, "nginx", "--grep", "x", "--host", "h"],
    );
    assert_eq!(none.status.code(), Some(2));

    // Following: lines appended to the second file show while the first is followed too.
    let mut child = Command::new(sheriff_bin())
        .args(["logs", "--config", c, "nginx", "--follow"])
        .env("HOME", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run sheriff logs --follow");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    let mut appended = false;
    let started = std::time::Instant::now();
    while seen.len() < 4 && started.elapsed() < std::time::Duration::from_secs(20) {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut out, &mut line).unwrap_or(0) == 0 {
            break;
        }
        seen.push(line.trim_end().to_string());
        if seen.len() == 2 && !appended {
            appended = true;
            let mut b = fs::OpenOptions::new()
                .append(true)
                .open(logs_dir.join("b.log"))
                .unwrap();
            std::io::Write::write_all(&mut b, b"2026-12-01T10:00:02Z WARN b two\n").unwrap();
            let mut a = fs::OpenOptions::new()
                .append(true)
                .open(logs_dir.join("a.log"))
                .unwrap();
            std::io::Write::write_all(&mut a, b"2026-12-01T10:00:03Z INFO a two\n").unwrap();
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    seen.sort();
    assert_eq!(
        seen,
        [
            "nginx:a.log: 2026-12-01T10:00:00Z ERROR a one",
            "nginx:a.log: 2026-12-01T10:00:03Z INFO a two",
            "nginx:b.log: 2026-12-01T10:00:01Z INFO b one",
            "nginx:b.log: 2026-12-01T10:00:02Z WARN b two",
        ]
    );
}

#[test]
fn a_logs_section_on_a_host_is_read_over_ssh() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    home.trust(&sshd);
    let scratch = tempfile::tempdir().expect("tempdir");
    fs::set_permissions(scratch.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = scratch.path().join("app.log");
    // 5,000 messages: the 200 KiB line, non-UTF-8 bytes and CRLF cross the wire too.
    let written = app_log(&path, 5_000);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut config = format!(
        "[hosts.box]\nssh = \"{}\"\nidentity_file = \"{}\"\n",
        sshd.destination(),
        home.key.display()
    );
    writeln!(
        config,
        "[[log]]\nname = \"app\"\non = \"box\"\nfile = \"{}\"",
        path.display()
    )
    .unwrap();
    let config_path = scratch.path().join("sheriff.toml");
    fs::write(&config_path, config).expect("write config");
    let c = config_path.to_str().unwrap();
    let remote = json(home.path(), &["--config", c, "app", "--level", "error"]);
    assert_eq!(remote.len() as u64, written.errors);
    assert_eq!(remote[0]["host"], "box");
    assert_eq!(remote[0]["source"], "app@box");
    let local = json(home.path(), &[path.to_str().unwrap(), "--level", "error"]);
    assert_eq!(remote.len(), local.len());
    for (r, l) in remote.iter().zip(&local) {
        assert_eq!(
            (&r["line"], &r["time"], &r["text"]),
            (&l["line"], &l["time"], &l["text"])
        );
    }
    assert_eq!(
        count(home.path(), &["--config", c, "app", "--host", "box"]),
        written.messages
    );
    let all_remote = json(home.path(), &["--config", c, "app"]);
    let all_local = json(home.path(), &[path.to_str().unwrap()]);
    let lines = |rows: &[Value]| rows.iter().map(|r| r["line"].clone()).collect::<Vec<_>>();
    assert_eq!(
        lines(&all_remote),
        lines(&all_local),
        "line numbers past the long line"
    );
    let wrong = logs(home.path(), &["--config", c, "app", "--host", "elsewhere"]);
    assert_eq!(wrong.status.code(), Some(2));
}

/// On every real-world sample, the split, prefiltered count gives what reading each
/// message and asking its level gives, for every level and thread count.
#[test]
fn fast_counts_match_message_by_message_counts_on_every_sample_format() {
    use sheriff::logs::count::{count_file, CountQuery};
    use sheriff::logs::query::{MessageReader, Query};
    use sheriff::logs::Level;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let bytes = fs::read(&path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        let sample: Vec<&str> = text.lines().take(200).collect();
        let format = sheriff::logs::parse::detect(&sample);
        let modified = fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .map(chrono::DateTime::<chrono::Utc>::from);
        let mut reader = MessageReader::new("x", None, format.clone(), modified);
        let mut messages: Vec<_> = bytes
            .split_inclusive(|b| *b == b'\n')
            .filter_map(|l| reader.push(l))
            .collect();
        messages.extend(reader.flush());
        for level in Level::ALL {
            let query = Query {
                level: Some(level),
                ..Query::default()
            };
            let slow = messages.iter().filter(|m| query.matches(m)).count() as u64;
            for threads in [1, 3] {
                let fast = count_file(
                    &path,
                    &CountQuery {
                        level: Some(level),
                        grep: None,
                        format: None,
                    },
                    threads,
                )
                .expect("count");
                assert_eq!(
                    fast,
                    slow,
                    "{} at {level:?} or worse, {threads} threads ({format:?})",
                    path.display()
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} samples");
}
