//! The live view: entries appended by another process reach the watcher, once each, and a
//! torn line is reported as corrupt without hiding what follows it.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use sheriff::event::Event;
use sheriff::event::{channel, EventsRx};
use sheriff::handoff::{watch, Entry, EntryKind, Log};

/// Collect events until `done` says so, or fail after a deadline (the poll fallback is 2s).
fn collect(rx: &mut EventsRx, mut done: impl FnMut(&[Event]) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Vec::new();
    while !done(&events) {
        assert!(Instant::now() < deadline, "timed out; got {events:?}");
        match rx.try_recv() {
            Ok(e) => events.push(e),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    events
}

fn entries(events: &[Event]) -> Vec<Entry> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::HandoffEntries(v) => Some(v.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn another_process_s_appends_arrive_live_and_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("handoff.jsonl");
    let log = Log::file(&path);
    log.append(Entry::new(EntryKind::Note, "alex", "already there"))
        .expect("append");

    let (tx, mut rx) = channel();
    let handle = watch(&log, tx);
    let first = collect(&mut rx, |ev| !ev.is_empty());
    assert!(
        matches!(&first[0], Event::HandoffEntries(v) if v.len() == 1 && v[0].text == "already there")
    );

    // A second sheriff: the real binary, a separate process, same log file.
    let config = dir.path().join("sheriff.toml");
    std::fs::write(
        &config,
        format!(
            "[handoff]\npath = {:?}\nauthor = \"sam\"\n",
            path.display().to_string()
        ),
    )
    .expect("config");
    let bin = env!("CARGO_BIN_EXE_sheriff");
    for text in ["restarted nginx", "cleared /tmp"] {
        let out = Command::new(bin)
            .args([
                "--config",
                config.to_str().expect("utf-8 path"),
                "change",
                text,
                "--why",
                "stuck workers",
            ])
            .output()
            .expect("run sheriff change");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let events = collect(&mut rx, |ev| entries(ev).len() >= 2);
    let seen = entries(&events);
    assert_eq!(
        seen.iter().map(|e| e.text.as_str()).collect::<Vec<_>>(),
        ["restarted nginx", "cleared /tmp"]
    );
    assert!(seen
        .iter()
        .all(|e| e.author == "sam" && e.why.as_deref() == Some("stuck workers")));

    // A torn line (a writer killed mid-line) followed by a good append: the good entry
    // arrives, the torn one is reported with its line number.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("open");
    f.write_all(b"{\"id\":\"torn").expect("torn");
    log.append(Entry::new(EntryKind::Note, "alex", "after the tear"))
        .expect("append");
    let events = collect(&mut rx, |ev| {
        entries(ev).len() == 1 && ev.iter().any(|e| matches!(e, Event::HandoffCorrupt { .. }))
    });
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::HandoffCorrupt { line: 4, .. })),
        "{events:?}"
    );
    assert_eq!(entries(&events)[0].text, "after the tear");

    // Nothing is sent twice, even after a quiet poll round.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(rx.try_recv().is_err(), "no duplicate or spurious events");
    drop(handle);
}
