//! The handoff log's durability promises, tested with real processes:
//! - a writer killed with SIGKILL mid-stream loses nothing whose append returned;
//! - two processes appending at once never interleave lines;
//! - a corrupt line in the middle is reported and the rest loads.
//!
//! Writers are this test binary re-run as a child (`writer_child` does the work when
//! `SHERIFF_TEST_WRITER` is set), so each writer is a separate process with its own
//! descriptors and locks, as two sheriffs would be.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use sheriff::handoff::{Entry, EntryKind, Log};

const WRITER_ENV: &str = "SHERIFF_TEST_WRITER";

/// Not a test on its own: the body of a writer process. Appends N notes to the log file and
/// prints `ACK <id>` after each append returns.
#[test]
fn writer_child() {
    let Ok(spec) = std::env::var(WRITER_ENV) else {
        return;
    };
    let (count, rest) = spec.split_once('|').expect("count|author|path");
    let (author, path) = rest.split_once('|').expect("author|path");
    let count: usize = count.parse().expect("count");
    let log = Log::file(path);
    let stdout = std::io::stdout();
    for i in 0..count {
        let saved = log
            .append(Entry::new(
                EntryKind::Note,
                author,
                format!("{author} note {i:05} {}", "x".repeat(i % 90)),
            ))
            .expect("append");
        // One write per ack, so a kill leaves at most one partial ack line.
        let mut out = stdout.lock();
        out.write_all(format!("\nACK {}\n", saved.entry.id).as_bytes())
            .expect("ack");
        out.flush().expect("flush");
    }
}

struct Writer {
    child: Child,
    output: thread::JoinHandle<String>,
}

fn spawn_writer(path: &Path, author: &str, count: usize) -> Writer {
    let mut child = Command::new(std::env::current_exe().expect("test exe"))
        .args([
            "--exact",
            "writer_child",
            "--nocapture",
            "--test-threads=1",
            "--quiet",
        ])
        .env(WRITER_ENV, format!("{count}|{author}|{}", path.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    let mut stdout = child.stdout.take().expect("stdout");
    // Drain concurrently so the writer never blocks on a full pipe.
    let output = thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    Writer { child, output }
}

impl Writer {
    /// Wait for the writer (killing it after `kill_after`, if given); the acked ids.
    fn finish(mut self, kill_after: Option<Duration>) -> Vec<String> {
        if let Some(after) = kill_after {
            thread::sleep(after);
            // SIGKILL: no destructors, no flush, no unlock; the kernel closes the fds.
            self.child.kill().expect("kill -9");
        }
        let status = self.child.wait().expect("wait");
        let out = self.output.join().expect("reader");
        if kill_after.is_none() {
            assert!(status.success(), "writer failed: {status}");
        }
        out.lines()
            .filter_map(|l| l.strip_prefix("ACK "))
            // An ack cut by the kill is shorter than an id: its append is not counted.
            .filter(|id| id.len() == 28)
            .map(str::to_string)
            .collect()
    }
}

fn temp_log() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("handoff.jsonl");
    (dir, path)
}

#[test]
fn kill_9_during_10000_appends_20_times_loses_no_acknowledged_entry() {
    let (_dir, path) = temp_log();
    let log = Log::file(&path);
    let mut acked_total: HashSet<String> = HashSet::new();
    let started = Instant::now();
    for round in 0..20u64 {
        let writer = spawn_writer(&path, "killed", 10_000);
        // Kill at a different moment each round: from startup to well into the stream.
        let delay = Duration::from_millis(30 + (round * 97 + rand::random_range(0..150)) % 700);
        let acked = writer.finish(Some(delay));
        let loaded = log.load().expect("the log loads after a kill");
        let present: HashSet<&str> = loaded.entries.iter().map(|e| e.id.as_str()).collect();
        for id in &acked {
            assert!(
                present.contains(id.as_str()),
                "round {round}: acked entry {id} is missing"
            );
        }
        // Each kill can tear at most the one line being written.
        assert!(
            loaded.corrupt.len() as u64 <= round + 1,
            "round {round}: {:?}",
            loaded.corrupt
        );
        eprintln!(
            "round {round}: killed after {delay:?}, {} acked, {} in the log, {} torn lines set aside",
            acked.len(),
            loaded.entries.len(),
            loaded.corrupt.len()
        );
        acked_total.extend(acked);
    }
    let loaded = log.load().expect("loads");
    assert!(loaded.entries.len() >= acked_total.len());
    let unique: HashSet<&str> = loaded.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(unique.len(), loaded.entries.len(), "no entry written twice");
    assert!(
        !acked_total.is_empty(),
        "the writers got some appends in before the kills"
    );
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "bounded in time"
    );
    // A later append after all those kills is whole and loads.
    log.append(Entry::new(EntryKind::Note, "after", "still fine"))
        .expect("append");
    let last = log.load().expect("loads").entries.pop().expect("an entry");
    assert_eq!(last.text, "still fine");
}

#[test]
fn two_processes_appending_10000_each_never_interleave() {
    let (_dir, path) = temp_log();
    let a = spawn_writer(&path, "alpha", 10_000);
    let b = spawn_writer(&path, "bravo", 10_000);
    let acked_a = a.finish(None);
    let acked_b = b.finish(None);
    assert_eq!((acked_a.len(), acked_b.len()), (10_000, 10_000));

    let loaded = Log::file(&path).load().expect("loads");
    assert!(
        loaded.corrupt.is_empty(),
        "interleaved or torn lines: {:?}",
        &loaded.corrupt[..loaded.corrupt.len().min(3)]
    );
    assert_eq!(loaded.entries.len(), 20_000);
    // Every physical line is one whole entry.
    let raw = std::fs::read_to_string(&path).expect("read");
    assert_eq!(raw.lines().count(), 20_000);
    assert!(raw.ends_with('\n'));
    // Each writer's own entries are in the order it wrote them.
    for author in ["alpha", "bravo"] {
        let mine: Vec<&str> = raw
            .lines()
            .filter(|l| l.contains(&format!("\"author\":\"{author}\"")))
            .collect();
        assert_eq!(mine.len(), 10_000);
        for (i, line) in mine.iter().enumerate() {
            assert!(
                line.contains(&format!("{author} note {i:05}")),
                "{author} line {i} out of order"
            );
        }
    }
}

#[test]
fn a_corrupt_line_in_the_middle_is_reported_and_the_rest_loads() {
    let (_dir, path) = temp_log();
    let log = Log::file(&path);
    for i in 0..3 {
        log.append(Entry::new(EntryKind::Note, "alex", format!("before {i}")))
            .expect("append");
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    f.write_all(b"{\"id\": this is not json\n")
        .expect("garbage");
    f.write_all(b"\xff\xfe binary junk\n").expect("junk");
    f.write_all(b"{\"id\":\"1\",\"kind\":\"note\"}\n")
        .expect("missing fields");
    for i in 0..3 {
        log.append(Entry::new(EntryKind::Note, "alex", format!("after {i}")))
            .expect("append");
    }
    let loaded = log.load().expect("loads");
    let texts: Vec<&str> = loaded.entries.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        ["before 0", "before 1", "before 2", "after 0", "after 1", "after 2"]
    );
    let lines: Vec<usize> = loaded.corrupt.iter().map(|c| c.line).collect();
    assert_eq!(lines, [4, 5, 6]);
    assert!(
        loaded.corrupt[2].error.contains("missing field"),
        "{}",
        loaded.corrupt[2]
    );
    assert!(
        loaded.corrupt[0].to_string().contains("handoff.jsonl:4:"),
        "{}",
        loaded.corrupt[0]
    );
}
