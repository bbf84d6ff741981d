//! Liveness against real servers: a killed sshd shows the host down, the host reconnects
//! with backoff when sshd is back and the stream resumes; a hung sshd is noticed by the
//! keepalive probes.

#[path = "support/sshd.rs"]
mod sshd;

use std::time::{Duration, Instant};

use sheriff::event::Event;
use sheriff::event::EventsRx;
use sheriff::transport::ssh::{SshError, SshPool, StreamItem, StreamReceiver};
use sheriff::transport::HostState;
use sshd::{Sshd, TestHome};

async fn next_item(rx: &mut StreamReceiver) -> StreamItem {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a stream item within 10s")
        .expect("the stream ended early")
}

/// Waits for a host state matching `want`, returning every state seen on the way.
async fn wait_state(events: &mut EventsRx, want: impl Fn(&HostState) -> bool) -> Vec<HostState> {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = tokio::time::timeout(left, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no matching host state within 10s; saw {seen:?}"))
            .expect("events open");
        if let Event::Host { state, .. } = event {
            let done = want(&state);
            seen.push(state);
            if done {
                return seen;
            }
        }
    }
}

#[tokio::test]
async fn killed_sshd_shows_down_then_reconnects_and_the_stream_resumes() {
    let home = TestHome::new();
    let mut sshd = Sshd::start("127.0.0.9", &[&home.key]);
    home.trust(&sshd);
    let (tx, mut events) = sheriff::event::channel();
    let pool = SshPool::new(&[home.host("web", &sshd)], home.options(), Some(tx));
    let mut rx = pool
        .stream("web", "while :; do echo tick; sleep 0.1; done")
        .expect("stream");
    assert_eq!(
        next_item(&mut rx).await,
        StreamItem::Started { resumed: false }
    );
    assert!(matches!(next_item(&mut rx).await, StreamItem::Line { .. }));
    wait_state(&mut events, HostState::is_up).await;

    sshd.stop();
    let interrupted = loop {
        match next_item(&mut rx).await {
            StreamItem::Line { .. } => continue,
            other => break other,
        }
    };
    assert!(
        matches!(interrupted, StreamItem::Interrupted { .. }),
        "{interrupted:?}"
    );
    let seen = wait_state(&mut events, |s| matches!(s, HostState::Retrying { .. })).await;
    assert!(!seen.iter().any(HostState::is_up), "{seen:?}");
    // While down, commands fail at once with the reason, instead of hanging.
    let started = Instant::now();
    let err = pool
        .exec("web", "true", Duration::from_secs(10))
        .await
        .unwrap_err();
    // At once: well before the exec's own 10 s timeout.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            SshError::Retrying { .. } | SshError::Unreachable { .. }
        ),
        "{err:?}"
    );

    sshd.restart();
    wait_state(&mut events, HostState::is_up).await;
    loop {
        match next_item(&mut rx).await {
            StreamItem::Interrupted { .. } => continue,
            StreamItem::Started { resumed } => {
                assert!(resumed);
                break;
            }
            other => panic!("expected the stream to restart, got {other:?}"),
        }
    }
    assert_eq!(
        next_item(&mut rx).await,
        StreamItem::Line {
            source: sheriff::transport::ssh::OutputStream::Stdout,
            text: "tick".into()
        }
    );
    let out = pool
        .exec("web", "echo back", Duration::from_secs(10))
        .await
        .expect("exec after reconnect");
    assert_eq!(out.stdout_text(), "back\n");
}

#[tokio::test]
async fn hung_sshd_is_detected_by_keepalive_probes() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.9", &[&home.key]);
    home.trust(&sshd);
    let mut host = home.host("web", &sshd);
    host.keepalive = Some(Duration::from_millis(300));
    let (tx, mut events) = sheriff::event::channel();
    let pool = SshPool::new(&[host], home.options(), Some(tx));
    pool.connect("web").await.expect("connect");
    wait_state(&mut events, HostState::is_up).await;
    // Idle probes keep an answering connection up.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(pool.state("web").is_some_and(|s| s.is_up()));

    sshd.freeze();
    let started = Instant::now();
    let seen = wait_state(&mut events, |s| !s.is_up()).await;
    let noticed = started.elapsed();
    sshd.thaw();
    // Probes notice in about a second; without them a frozen peer goes unnoticed for
    // the minutes TCP takes. 8 s is far from both and leaves a loaded CI room.
    assert!(
        noticed < Duration::from_secs(8),
        "took {noticed:?} to notice (keepalive 300ms x 3): {seen:?}"
    );
}

#[tokio::test]
async fn unreachable_host_reports_and_backs_off() {
    let home = TestHome::new();
    let mut sshd = Sshd::start("127.0.0.9", &[&home.key]);
    home.trust(&sshd);
    let host = home.host("web", &sshd);
    sshd.stop();
    let (tx, mut events) = sheriff::event::channel();
    let pool = SshPool::new(&[host], home.options(), Some(tx));
    let err = pool.connect("web").await.unwrap_err();
    assert!(matches!(err, SshError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("refused"), "{err}");
    // Several attempts, each announced with its delay.
    let mut retries = 0;
    while retries < 3 {
        let seen = wait_state(&mut events, |s| matches!(s, HostState::Retrying { .. })).await;
        if let Some(HostState::Retrying { reason, .. }) = seen.last() {
            assert!(reason.contains("refused"), "{reason}");
        }
        retries += 1;
    }
    sshd.restart();
    wait_state(&mut events, HostState::is_up).await;
}
