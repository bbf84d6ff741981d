//! Following a file on a host over the SSH pool, against a real OpenSSH sshd (logging in as
//! the sshd support's test user), with the file written, rotated and truncated for real
//! while it is followed, and sshd killed and restarted mid-stream. Every test asserts the
//! exact sequence of lines: none lost, none repeated, a mark only where one belongs.
//!
//! One sshd serves the whole binary (`support/log_bed.rs`); tests that kill it take turns
//! (a lock).

#[path = "support/log_bed.rs"]
mod log_bed;
#[path = "support/sshd.rs"]
mod sshd;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use log_bed::{bed, log_dir, sshd, Seen, LIMIT};
use sheriff::logs::remote::{self, RemoteTail};
use sheriff::transport::ssh::SshPool;
use sshd::Sshd;

fn append(path: &Path, text: &str) {
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open the log to append");
    file.write_all(text.as_bytes()).expect("append");
}

/// Appends `line N` to a file every few milliseconds, opening it by name each time, as a
/// program that reopens its log does: after a rename the next line goes to a new file.
struct Writer {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(path: &Path) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicUsize::new(0));
        let (path, stop2, written2) = (path.to_path_buf(), stop.clone(), written.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let n = written2.load(Ordering::SeqCst);
                append(&path, &format!("line {n}\n"));
                written2.store(n + 1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Writer {
            stop,
            written,
            thread: Some(thread),
        }
    }

    fn written(&self) -> usize {
        self.written.load(Ordering::SeqCst)
    }

    /// Stops writing; how many lines were written.
    fn stop(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the writer thread");
        }
        self.written()
    }
}

/// `line 0` … `line {n-1}`.
fn lines(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("line {i}")).collect()
}

/// A pool for the shared sshd as host `web`, and a tail of `path` on it.
fn follow(sshd: &Sshd, path: &Path, backlog: usize) -> (Seen, tokio::task::JoinHandle<()>) {
    let home = &bed().home;
    let pool = SshPool::new(&[home.host("web", sshd)], home.options(), None);
    let (tx, rx) = sheriff::event::channel();
    let mut tail = RemoteTail::new("app@web", "web", path.display().to_string());
    tail.backlog = backlog;
    let task = tokio::spawn(remote::run(tail, pool, tx));
    (Seen::new(rx), task)
}

fn assert_reconnected_once(seen: &Seen) {
    let marks = seen.marks();
    assert_eq!(marks.len(), 1, "one mark: {marks:?}");
    assert!(marks[0].starts_with("⋯ reconnected after "), "{marks:?}");
    assert!(seen.lines.iter().all(|l| !l.is_mark() || l.level.is_none()));
}

#[tokio::test]
async fn a_backlog_then_appended_lines_arrive_in_order() {
    let sshd = sshd().await;
    let dir = log_dir("appended");
    let path = dir.join("app.log");
    append(&path, "old 1\nold 2\nold 3 ERROR\n");
    let (mut seen, task) = follow(&sshd, &path, 2);
    seen.until("the backlog", |l| l.len() >= 2).await;
    let writer = Writer::start(&path);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let n = writer.stop();
    seen.until_line(&format!("line {}", n - 1)).await;
    task.abort();
    let mut want = vec!["old 2".to_string(), "old 3 ERROR".to_string()];
    want.extend(lines(n));
    assert_eq!(seen.texts(), want);
    assert_eq!(seen.lines[1].level, Some(sheriff::logs::Level::Error));
    assert_eq!(seen.lines[1].source, "app@web");
}

#[tokio::test]
async fn sshd_killed_mid_stream_resumes_at_the_byte_it_stopped() {
    let mut sshd = sshd().await;
    let dir = log_dir("killed");
    let path = dir.join("app.log");
    let writer = Writer::start(&path);
    // A backlog longer than the file: every line the writer wrote is expected.
    let (mut seen, task) = follow(&sshd, &path, 1_000_000);
    seen.until("lines before the kill", |l| l.len() >= 20).await;
    sshd.stop();
    // The writer goes on while the host is away.
    let before = writer.written();
    while writer.written() < before + 50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let during = seen.lines.len();
    sshd.restart();
    seen.until("lines after the restart", |l| l.len() > during + 60)
        .await;
    let n = writer.stop();
    seen.until_line(&format!("line {}", n - 1)).await;
    task.abort();
    assert_reconnected_once(&seen);
    assert_eq!(seen.file_lines(), lines(n));
    // Each line knows where it starts in the file, across the reconnect: what reading
    // back past the buffer starts from.
    let mut offset = 0;
    for line in seen.lines.iter().filter(|l| !l.is_mark()) {
        let origin = line.origin.expect("a file's line has an origin");
        assert_eq!((origin.file, origin.offset), (0, offset), "{}", line.text);
        offset += line.text.len() as u64 + 1;
    }
}

#[tokio::test]
async fn a_file_rotated_while_sshd_is_down_is_finished_then_the_new_one_read() {
    let mut sshd = sshd().await;
    let dir = log_dir("rotated-down");
    let path = dir.join("app.log");
    append(&path, "");
    let writer = Writer::start(&path);
    // A backlog longer than the file: every line the writer wrote is expected.
    let (mut seen, task) = follow(&sshd, &path, 1_000_000);
    seen.until("lines before the kill", |l| l.len() >= 20).await;
    sshd.stop();
    let before = writer.written();
    while writer.written() < before + 30 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Rotated: the lines written since the kill stay in app.log.1, the next ones go to a
    // new app.log.
    fs::rename(&path, dir.join("app.log.1")).expect("rotate");
    let rotated_at = writer.written();
    while writer.written() < rotated_at + 30 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sshd.restart();
    let n = writer.stop();
    seen.until_line(&format!("line {}", n - 1)).await;
    task.abort();
    assert_reconnected_once(&seen);
    assert_eq!(seen.file_lines(), lines(n));
    assert!(fs::read_to_string(dir.join("app.log.1"))
        .expect("the rotated file")
        .ends_with(&format!("line {}\n", rotated_at - 1)));
}

#[tokio::test]
async fn a_file_truncated_while_sshd_is_down_is_marked_as_a_gap() {
    let mut sshd = sshd().await;
    let dir = log_dir("truncated-down");
    let path = dir.join("app.log");
    append(&path, &lines(100).join("\n"));
    append(&path, "\n");
    let (mut seen, task) = follow(&sshd, &path, 1000);
    seen.until_line("line 99").await;
    sshd.stop();
    // copytruncate: what was written after the copy is lost; the file starts again.
    append(&path, "line 100 (lost)\n");
    fs::write(&path, "fresh 1\n").expect("truncate");
    sshd.restart();
    tokio::time::sleep(Duration::from_millis(300)).await;
    append(&path, "fresh 2\n");
    seen.until_line("fresh 2").await;
    task.abort();
    let mut want = lines(100);
    want.push("fresh 1".into());
    want.push("fresh 2".into());
    assert_eq!(seen.file_lines(), want);
    let marks = seen.marks();
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert!(marks[0].starts_with("⋯ reconnected after "), "{marks:?}");
    assert!(
        marks[1].starts_with("⋯ gap: ") && marks[1].contains("truncated while disconnected"),
        "{marks:?}"
    );
    // The gap is marked where it is: after the old lines, before the new.
    let texts = seen.texts();
    let gap = texts
        .iter()
        .position(|t| t.starts_with("⋯ gap"))
        .unwrap_or(0);
    assert_eq!(texts[gap - 2], "line 99");
    assert_eq!(texts[gap + 1], "fresh 1");
}

#[tokio::test]
async fn a_file_rotated_while_connected_is_followed_without_a_mark() {
    let sshd = sshd().await;
    let dir = log_dir("rotated-up");
    let path = dir.join("app.log");
    append(&path, "");
    let writer = Writer::start(&path);
    // A backlog longer than the file: every line the writer wrote is expected.
    let (mut seen, task) = follow(&sshd, &path, 1_000_000);
    seen.until("lines before the rotation", |l| l.len() >= 20)
        .await;
    // Rotations a little apart (the tail looks every 250 ms; files rotated in and out
    // between two looks are not seen).
    for i in 1..=3 {
        fs::rename(&path, dir.join(format!("app.log.{i}"))).expect("rotate");
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    let n = writer.stop();
    seen.until_line(&format!("line {}", n - 1)).await;
    task.abort();
    assert_eq!(seen.marks(), Vec::<&str>::new());
    assert_eq!(seen.file_lines(), lines(n));
}

#[tokio::test]
async fn a_truncation_while_connected_starts_again_from_the_top() {
    let sshd = sshd().await;
    let dir = log_dir("truncated-up");
    let path = dir.join("app.log");
    append(&path, "one\ntwo\nthree\n");
    let (mut seen, task) = follow(&sshd, &path, 10);
    seen.until_line("three").await;
    fs::write(&path, "").expect("truncate");
    tokio::time::sleep(Duration::from_millis(800)).await;
    append(&path, "four\n");
    seen.until_line("four").await;
    task.abort();
    assert_eq!(seen.file_lines(), ["one", "two", "three", "four"]);
    let marks = seen.marks();
    assert_eq!(marks.len(), 1, "{marks:?}");
    assert!(marks[0].contains("was truncated"), "{marks:?}");
}

#[tokio::test]
async fn a_late_file_is_waited_for_and_said_once() {
    let sshd = sshd().await;
    let dir = log_dir("late");
    let path = dir.join("app.log");
    let (mut seen, task) = follow(&sshd, &path, 10);
    let deadline = Instant::now() + LIMIT;
    while seen.notices.is_empty() {
        assert!(Instant::now() < deadline, "no notice for the missing file");
        if let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(200), seen.rx.recv()).await
        {
            seen.take(event);
        }
    }
    assert!(
        seen.notices[0].contains("waiting for") && seen.notices[0].contains("app.log"),
        "{:?}",
        seen.notices
    );
    append(&path, "first\n");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    append(&path, "second\n");
    seen.until_line("second").await;
    task.abort();
    assert_eq!(seen.texts(), ["first", "second"]);
    assert_eq!(seen.notices.len(), 1, "{:?}", seen.notices);
}

#[tokio::test]
async fn odd_bytes_and_long_lines_keep_the_offset_exact_across_a_reconnect() {
    let mut sshd = sshd().await;
    let dir = log_dir("odd-bytes");
    let path = dir.join("app.log");
    let long = "x".repeat(70 * 1024);
    // Latin-1 bytes (not UTF-8) and a line longer than the 64 KiB a piece holds.
    let mut content = b"caf\xe9 au lait\n".to_vec();
    content.extend_from_slice(format!("{long}\n").as_bytes());
    fs::write(&path, &content).expect("write");
    let (mut seen, task) = follow(&sshd, &path, 10);
    seen.until("the long line", |l| l.len() >= 3).await;
    sshd.stop();
    append(&path, "after\n");
    sshd.restart();
    seen.until_line("after").await;
    task.abort();
    let texts = seen.file_lines();
    assert_eq!(texts.len(), 4, "{}", texts.len());
    assert_eq!(texts[0], "caf\u{fffd} au lait");
    assert_eq!(texts[1].len() + texts[2].len(), long.len());
    assert_eq!(texts[3], "after");
    assert_reconnected_once(&seen);
}

#[tokio::test]
async fn a_file_rotated_and_deleted_while_sshd_is_down_is_marked_as_a_gap() {
    let mut sshd = sshd().await;
    let dir = log_dir("deleted-down");
    let path = dir.join("app.log");
    append(&path, "one\ntwo\n");
    let (mut seen, task) = follow(&sshd, &path, 10);
    seen.until_line("two").await;
    sshd.stop();
    append(&path, "three (lost)\n");
    fs::rename(&path, dir.join("app.log.1")).expect("rotate");
    fs::remove_file(dir.join("app.log.1")).expect("delete the rotated file");
    append(&path, "new one\n");
    sshd.restart();
    seen.until_line("new one").await;
    task.abort();
    assert_eq!(seen.file_lines(), ["one", "two", "new one"]);
    let marks = seen.marks();
    assert_eq!(marks.len(), 2, "{marks:?}");
    assert!(marks[0].starts_with("⋯ reconnected after "), "{marks:?}");
    // The new file may well have the deleted one's inode number: it is told apart by its
    // bytes, and either way the gap is marked.
    assert!(
        marks[1].starts_with("⋯ gap: ")
            && (marks[1].contains("the old file is gone") || marks[1].contains("was replaced")),
        "{marks:?}"
    );
    assert_eq!(
        seen.texts()[4],
        "new one",
        "the gap is marked before the new file"
    );
}

async fn next_item(
    rx: &mut sheriff::transport::ssh::StreamReceiver,
) -> Option<sheriff::transport::ssh::StreamItem> {
    tokio::time::timeout(LIMIT, rx.recv())
        .await
        .expect("a stream item in time")
}

/// The pool's raw stream itself: bytes as sent, no second run after a reconnect, and a
/// stream asked for while the host is down starts once it is back.
#[tokio::test]
async fn a_raw_stream_gives_bytes_as_sent_and_never_runs_twice() {
    use sheriff::transport::ssh::{OutputStream, StreamItem};
    let mut sshd = sshd().await;
    let home = &bed().home;
    let pool = SshPool::new(&[home.host("web", &sshd)], home.options(), None);
    let command = "printf 'caf\\351\\n'; exec sleep 60";
    let mut rx = pool.stream_raw("web", command).expect("stream");
    assert_eq!(
        next_item(&mut rx).await,
        Some(StreamItem::Started { resumed: false })
    );
    assert_eq!(
        next_item(&mut rx).await,
        Some(StreamItem::Bytes {
            source: OutputStream::Stdout,
            data: b"caf\xe9\n".to_vec()
        })
    );
    sshd.stop();
    match next_item(&mut rx).await {
        Some(StreamItem::Interrupted { .. }) | None => {}
        other => panic!("expected the end of the run, got {other:?}"),
    }
    let mut later = pool.stream_raw("web", "echo later").expect("stream");
    sshd.restart();
    assert_eq!(
        next_item(&mut later).await,
        Some(StreamItem::Started { resumed: false }),
        "a raw stream waits for the host without an `Interrupted`"
    );
    // The cut one stays ended: it never starts again.
    let again = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
    assert!(matches!(again, Ok(None) | Err(_)), "{again:?}");
}

#[tokio::test]
async fn lines_before_the_first_screen_are_read_back_over_ssh_through_the_rotated_copies() {
    use sheriff::logs::earlier::{remote::HostFile, Before};
    let sshd = sshd().await;
    let dir = log_dir("read-back");
    let path = dir.join("app.log");
    let numbered = |range: std::ops::Range<usize>| -> String {
        range.map(|i| format!("line {i}\n")).collect()
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(numbered(0..3000).as_bytes()).unwrap();
    fs::write(dir.join("app.log.2.gz"), gz.finish().unwrap()).unwrap();
    fs::write(dir.join("app.log.1"), numbered(3000..6000)).unwrap();
    fs::write(&path, numbered(6000..7000)).unwrap();
    let home = &bed().home;
    let pool = SshPool::new(&[home.host("web", &sshd)], home.options(), None);
    let (tx, rx) = sheriff::event::channel();
    let tail = RemoteTail::new("app@web", "web", path.display().to_string());
    let task = tokio::spawn(remote::run(tail, pool.clone(), tx));
    let mut seen = Seen::new(rx);
    seen.until_line("line 6999").await;
    // Rotated while followed: the first screen's lines are in app.log.1 now.
    fs::rename(dir.join("app.log.2.gz"), dir.join("app.log.3.gz")).unwrap();
    fs::rename(dir.join("app.log.1"), dir.join("app.log.2")).unwrap();
    fs::rename(&path, dir.join("app.log.1")).unwrap();
    fs::write(&path, numbered(7000..7010)).unwrap();
    seen.until_line("line 7009").await;
    task.abort();
    let first = seen.lines.iter().find(|l| !l.is_mark()).unwrap().clone();
    assert_eq!(
        first.text, "line 6800",
        "the first screen is the last 200 lines"
    );
    let latest = seen.lines.last().and_then(|l| l.origin).unwrap().file;
    assert_eq!(latest, first.origin.unwrap().file + 1, "one rotation seen");
    let mut at = Before::origin(first.origin.unwrap(), latest);
    let mut pages: Vec<Vec<String>> = Vec::new();
    loop {
        let file = HostFile {
            pool: &pool,
            host: "web",
            path: &path.display().to_string(),
        };
        let format = sheriff::logs::parse::Format::Auto;
        let page = sheriff::logs::earlier::remote::read_page(file, "app@web", format, at, 1000)
            .await
            .expect("a page");
        pages.push(page.lines.iter().map(|l| l.text.clone()).collect());
        match page.next {
            Some(next) => at = next,
            None => break,
        }
        assert!(pages.len() < 20, "pages never end");
    }
    assert_eq!(pages[0].first().map(String::as_str), Some("line 6000"));
    let read: Vec<String> = pages.into_iter().rev().flatten().collect();
    let want: Vec<String> = (0..6800).map(|i| format!("line {i}")).collect();
    assert_eq!(read, want, "every earlier line once, in order");
}
