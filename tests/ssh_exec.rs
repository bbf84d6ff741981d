//! Commands over one SSH connection against a real sshd: output, exit codes, streaming,
//! file reads, timeouts that kill the remote command, and many commands on one connection.

#[path = "support/sshd.rs"]
mod sshd;

use std::time::{Duration, Instant};

use sheriff::transport::ssh::{OutputStream, SshError, SshPool, StreamItem, StreamReceiver};
use sshd::{process_running, Sshd, TestHome};

fn pool_for(addr: &str) -> (Sshd, TestHome, SshPool) {
    let home = TestHome::new();
    let sshd = Sshd::start(addr, &[&home.key]);
    home.trust(&sshd);
    let pool = SshPool::new(&[home.host("box", &sshd)], home.options(), None);
    (sshd, home, pool)
}

async fn next_item(rx: &mut StreamReceiver) -> StreamItem {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a stream item within 10s")
        .expect("the stream ended early")
}

#[tokio::test]
async fn exec_returns_stdout_stderr_and_exit_status() {
    let (_sshd, _home, pool) = pool_for("127.0.0.1");
    let out = pool
        .exec(
            "box",
            "echo out; echo err >&2; id -un",
            Duration::from_secs(10),
        )
        .await
        .expect("exec");
    assert_eq!(out.stdout_text(), format!("out\n{}\n", sshd::TEST_USER));
    assert_eq!(out.stderr_text(), "err\n");
    assert_eq!(out.exit_status, Some(0));
    assert!(out.success());

    let out = pool
        .exec("box", "exit 3", Duration::from_secs(10))
        .await
        .expect("exec");
    assert_eq!(out.exit_status, Some(3));

    let out = pool
        .exec("box", "kill -KILL $$", Duration::from_secs(10))
        .await
        .expect("exec");
    assert_eq!(out.exit_status, None);
    assert_eq!(out.exit_signal.as_deref(), Some("KILL"));

    // stdin is closed: a command reading it ends instead of hanging.
    let out = pool
        .exec("box", "cat; echo done", Duration::from_secs(10))
        .await
        .expect("exec");
    assert_eq!(out.stdout_text(), "done\n");

    // Large output arrives whole.
    let out = pool
        .exec("box", "head -c 3000000 /dev/zero", Duration::from_secs(20))
        .await
        .expect("exec");
    assert_eq!(out.stdout.len(), 3_000_000);
}

#[tokio::test]
async fn stream_delivers_lines_as_they_are_printed() {
    let (_sshd, _home, pool) = pool_for("127.0.0.1");
    // The command holds after its first line until the test lets it go: a line that
    // arrives while it holds was streamed, not kept until the command ended. (In /tmp
    // itself, which the remote test user can search.)
    let hold = std::env::temp_dir().join(format!("sheriff-stream-hold-{}", std::process::id()));
    let _ = std::fs::remove_file(&hold);
    let command = format!(
        "echo line1; while [ ! -e {} ]; do sleep 0.05; done; echo line2; echo line3; \
         echo warn >&2; exit 4",
        hold.display()
    );
    let mut rx = pool.stream("box", &command).expect("stream");
    assert_eq!(
        next_item(&mut rx).await,
        StreamItem::Started { resumed: false }
    );
    let first = next_item(&mut rx).await;
    assert_eq!(
        first,
        StreamItem::Line {
            source: OutputStream::Stdout,
            text: "line1".into()
        }
    );
    std::fs::write(&hold, "").expect("let the command go on");
    let mut rest = Vec::new();
    loop {
        match next_item(&mut rx).await {
            StreamItem::Exited { status, signal } => {
                assert_eq!((status, signal), (Some(4), None));
                break;
            }
            item => rest.push(item),
        }
    }
    assert_eq!(
        rest,
        vec![
            StreamItem::Line {
                source: OutputStream::Stdout,
                text: "line2".into()
            },
            StreamItem::Line {
                source: OutputStream::Stdout,
                text: "line3".into()
            },
            StreamItem::Line {
                source: OutputStream::Stderr,
                text: "warn".into()
            },
        ]
    );
    assert!(rx.recv().await.is_none(), "the stream ends after Exited");
    let _ = std::fs::remove_file(&hold);
}

/// How long the current thread and the threads named `names` were on a CPU or waiting
/// in the run queue for one (`/proc/.../schedstat`). A thread that spins wants a CPU the
/// whole time however busy the machine is, and one asleep in poll(2) wants none; other
/// tests running in this process do not count, as they would in the process's CPU time.
fn time_wanting_cpu(names: &[&str]) -> Duration {
    let wanted = |schedstat: &str| -> u64 {
        let mut fields = schedstat
            .split_whitespace()
            .map(|f| f.parse::<u64>().unwrap_or(0));
        fields.next().unwrap_or(0) + fields.next().unwrap_or(0)
    };
    let mut nanos =
        wanted(&std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default());
    let mut found = 0;
    for task in std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if names.contains(&comm.trim_end()) {
            found += 1;
            nanos +=
                wanted(&std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default());
        }
    }
    assert_eq!(found, names.len(), "threads {names:?} not all found");
    Duration::from_nanos(nanos)
}

#[tokio::test]
async fn a_slow_stream_reader_gets_every_line_and_nothing_spins() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    home.trust(&sshd);
    let mut options = home.options();
    options.stream_buffer = 16;
    // A host name no other test uses, so its connection thread (`ssh idle-box`) is found.
    let pool = SshPool::new(&[home.host("idle-box", &sshd)], options, None);
    let mut rx = pool.stream("idle-box", "seq 1 200000").expect("stream");
    assert_eq!(
        next_item(&mut rx).await,
        StreamItem::Started { resumed: false }
    );
    // The reader is away; sheriff must wait, not buffer everything nor busy-loop.
    // This thread runs the test's runtime (the pool's async side); `ssh idle-box` owns
    // the connection.
    let threads = ["ssh idle-box"];
    let before = time_wanting_cpu(&threads);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let spent = time_wanting_cpu(&threads) - before;
    assert!(
        spent < Duration::from_millis(250),
        "the waiting threads wanted a CPU for {spent:?} of 700ms"
    );
    let mut expected = 1;
    loop {
        match next_item(&mut rx).await {
            StreamItem::Line { text, .. } => {
                assert_eq!(text, expected.to_string());
                expected += 1;
            }
            StreamItem::Exited { status, .. } => {
                assert_eq!(status, Some(0));
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(expected, 200_001);
}

#[tokio::test]
async fn dropping_a_stream_stops_the_remote_command() {
    let (_sshd, _home, pool) = pool_for("127.0.0.1");
    let mut rx = pool
        .stream("box", "echo ready; sleep 4711; : stream-drop-4711")
        .expect("stream");
    assert_eq!(
        next_item(&mut rx).await,
        StreamItem::Started { resumed: false }
    );
    next_item(&mut rx).await;
    assert!(process_running("stream-drop-4711"));
    drop(rx);
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_running("stream-drop-4711") {
        assert!(
            Instant::now() < deadline,
            "the remote loop still runs 5s after drop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn read_file_with_a_cap() {
    let (sshd, _home, pool) = pool_for("127.0.0.1");
    let path = sshd.dir.path().join("motd it's");
    std::fs::write(&path, "hello\nworld\n").expect("write");
    let path = path.display().to_string();
    let data = pool.read_file("box", &path, 1024).await.expect("read_file");
    assert_eq!(data, b"hello\nworld\n");

    let err = pool.read_file("box", &path, 5).await.unwrap_err();
    assert!(
        matches!(err, SshError::FileTooLarge { cap: 5, .. }),
        "{err}"
    );

    let err = pool
        .read_file("box", "/nonexistent/file", 1024)
        .await
        .unwrap_err();
    match &err {
        SshError::RemoteFile { message, .. } => {
            assert!(message.contains("No such file"), "{err}")
        }
        other => panic!("expected RemoteFile, got {other:?}"),
    }
}

#[tokio::test]
async fn timeout_kills_the_remote_command() {
    let (sshd, _home, pool) = pool_for("127.0.0.1");
    let started = Instant::now();
    let err = pool
        .exec("box", "sleep 4242; echo never", Duration::from_millis(800))
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::Timeout { .. }), "{err}");
    // The command would sleep 4242 s: any bound far below that shows the timeout acted,
    // and 15 s leaves a loaded CI room.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("killed"), "{err}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_running("sleep 4242") {
        assert!(
            Instant::now() < deadline,
            "sleep 4242 still runs 5s after its timeout; sshd log:\n{}",
            sshd.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A command that ignores SIGTERM gets SIGKILL after the grace period.
    let err = pool
        .exec(
            "box",
            "trap '' TERM; sleep 4343 & wait; : ignore-term",
            Duration::from_millis(500),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::Timeout { .. }), "{err}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_running("ignore-term") {
        assert!(
            Instant::now() < deadline,
            "the TERM-proof command survived SIGKILL"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The connection is still good.
    let out = pool.exec("box", "echo ok", Duration::from_secs(5)).await;
    assert_eq!(out.expect("exec after timeout").stdout_text(), "ok\n");
}

#[tokio::test]
async fn dropping_an_exec_future_kills_the_remote_command() {
    let (_sshd, _home, pool) = pool_for("127.0.0.1");
    let long = pool.exec("box", "sleep 4545; : cancel-me", Duration::from_secs(60));
    assert!(tokio::time::timeout(Duration::from_millis(500), long)
        .await
        .is_err());
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_running("cancel-me") {
        assert!(
            Instant::now() < deadline,
            "the cancelled command still runs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn fifty_concurrent_commands_share_one_connection() {
    let (sshd, _home, pool) = pool_for("127.0.0.1");
    let started = Instant::now();
    let runs = (0..50).map(|i| {
        let pool = pool.clone();
        async move {
            pool.exec("box", &format!("echo {i}"), Duration::from_secs(20))
                .await
        }
    });
    let results = futures::future::join_all(runs).await;
    for (i, result) in results.into_iter().enumerate() {
        let out = result.unwrap_or_else(|e| panic!("command {i}: {e}"));
        assert_eq!(out.stdout_text(), format!("{i}\n"));
    }
    eprintln!("50 concurrent commands: {:?}", started.elapsed());
    assert_eq!(sshd.logins(), 1, "sshd log:\n{}", sshd.log());
    assert_eq!(sshd.established_connections(), 1);
}
