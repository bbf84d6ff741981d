//! The journal as a log source, read from journal files that `systemd-journal-remote`
//! writes from export-format input (this machine's PID 1 is not systemd, so there is no
//! system journal to read): entries in order with their time and priority, one unit or
//! all, new entries while following, and exactly once across restarts by cursor.

#[path = "support/journal.rs"]
mod journal;

use std::path::Path;
use std::time::Duration;

use sheriff::event::{channel, Event, EventsRx};
use sheriff::logs::backoff::Backoff;
use sheriff::logs::journal::JournalTail;
use sheriff::logs::{Level, LogLine};

const WAIT: Duration = Duration::from_secs(15);
const T0: i64 = 1_733_100_000_000_000;

/// Appends entries `range` to `journal`, every odd one from nginx.service, entry 2 an error.
fn write_entries(journal: &Path, range: std::ops::RangeInclusive<i64>) {
    let mut export = String::new();
    for i in range {
        let unit = if i % 2 == 1 {
            "nginx.service"
        } else {
            "cron.service"
        };
        let priority = if i == 2 { 3 } else { 6 };
        let message = format!("line {i}");
        let realtime = T0 + i * 1_000_000;
        export.push_str(&journal::export_entry(
            realtime,
            i * 1000,
            unit,
            priority,
            &message,
        ));
    }
    journal::append_export(journal, &export);
}

fn tail_of(dir: &Path, unit: &str, follow: bool) -> JournalTail {
    let mut tail = JournalTail::new("journal", unit);
    tail.journal = vec!["--directory".into(), dir.display().to_string()];
    tail.follow = follow;
    tail.backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(200));
    tail
}

async fn lines(rx: &mut EventsRx, n: usize) -> Vec<LogLine> {
    let mut got: Vec<LogLine> = Vec::new();
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

#[tokio::test]
async fn entries_arrive_in_order_with_their_time_priority_host_and_unit() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_entries(&dir.path().join("a.journal"), 1..=3);
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail_of(dir.path(), "*", true).run(tx));
    let got = lines(&mut rx, 3).await;
    let want = [
        "web1 nginx.service: line 1",
        "web1 cron.service: line 2",
        "web1 nginx.service: line 3",
    ];
    assert_eq!(texts(&got), want);
    assert_eq!(got[1].level, Some(Level::Error));
    assert_eq!(got[0].level, Some(Level::Info));
    let micros: Vec<i64> = got
        .iter()
        .filter_map(|l| l.time)
        .map(|t| t.timestamp_micros())
        .collect();
    assert_eq!(micros, [T0 + 1_000_000, T0 + 2_000_000, T0 + 3_000_000]);
    // Followed: an entry written now arrives without a restart.
    write_entries(&dir.path().join("a.journal"), 4..=4);
    assert_eq!(
        texts(&lines(&mut rx, 1).await),
        ["web1 cron.service: line 4"]
    );
    task.abort();
}

#[tokio::test]
async fn one_unit_reads_only_its_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_entries(&dir.path().join("a.journal"), 1..=4);
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail_of(dir.path(), "nginx.service", true).run(tx));
    let got = texts(&lines(&mut rx, 2).await);
    assert_eq!(
        got,
        ["web1 nginx.service: line 1", "web1 nginx.service: line 3"]
    );
    quiet(&mut rx, Duration::from_millis(500)).await;
    task.abort();
}

#[tokio::test]
async fn a_restart_goes_on_after_the_last_entry_read_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = dir.path().join("a.journal");
    write_entries(&journal, 1..=3);
    // Without -f, journalctl ends at the last entry and is started again, after the cursor.
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail_of(dir.path(), "*", false).run(tx));
    assert_eq!(lines(&mut rx, 3).await.len(), 3);
    // Several restarts go by and bring nothing again.
    quiet(&mut rx, Duration::from_millis(700)).await;
    write_entries(&journal, 4..=5);
    let got = texts(&lines(&mut rx, 2).await);
    assert_eq!(
        got,
        ["web1 cron.service: line 4", "web1 nginx.service: line 5"]
    );
    quiet(&mut rx, Duration::from_millis(700)).await;
    task.abort();
}

#[tokio::test]
async fn a_journal_that_cannot_be_read_says_so_in_the_log_and_is_tried_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut tail = tail_of(dir.path(), "*", true);
    tail.journal = vec![
        "--file".into(),
        dir.path().join("none.journal").display().to_string(),
    ];
    let (tx, mut rx) = channel();
    let task = tokio::spawn(tail.run(tx));
    let got = texts(&lines(&mut rx, 2).await);
    for (line, wait) in got.iter().zip(["100ms", "200ms"]) {
        assert!(
            line.starts_with("⋯ journalctl exited (status 1)"),
            "{got:?}"
        );
        assert!(
            line.ends_with(&format!("; restarting in {wait}")),
            "{got:?}"
        );
    }
    task.abort();
}
