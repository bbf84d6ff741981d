//! The worker → UI channel is bounded: a file source that outruns the UI waits and keeps
//! its offset (nothing lost, nothing repeated), and a command's output that cannot wait is
//! dropped and counted.

use std::io::Write;
use std::time::Duration;

use sheriff::event::{channel_with_capacity, Event};
use sheriff::logs::tail::{self, FileTail};

const LINES: usize = 200_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_outruns_the_ui_loses_no_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("flood.log");
    let mut tail_spec = FileTail::new("flood", &path);
    tail_spec.backlog = 0;
    tail_spec.poll = Duration::from_millis(20);
    std::fs::write(&path, "").expect("create the log");
    // Room for two batches only: the tail must wait for the reader most of the time.
    let (tx, mut rx) = channel_with_capacity(2);
    let worker = tokio::spawn(tail::run(tail_spec, tx));
    // Let the tail open the (empty) file before the flood, so no line counts as backlog.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open for append");
    let mut text = String::new();
    for i in 0..LINES {
        text.push_str(&format!("line {i} of the flood\n"));
    }
    file.write_all(text.as_bytes()).expect("write the flood");

    let mut seen = 0usize;
    let mut batches = 0usize;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while seen < LINES {
        let event = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("every line arrives within the time limit")
            .expect("the tail keeps running");
        let Event::LogLines { lines, .. } = event else {
            continue;
        };
        batches += 1;
        for line in lines {
            assert_eq!(
                line.text,
                format!("line {seen} of the flood"),
                "in order, once"
            );
            seen += 1;
        }
        // A slow UI: the tail fills the channel and has to wait.
        if batches.is_multiple_of(4) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    assert_eq!(seen, LINES);
    // And nothing more arrives: no line was sent twice.
    let extra = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(
        !matches!(extra, Ok(Some(Event::LogLines { .. }))),
        "no line after the last one"
    );
    worker.abort();
}
