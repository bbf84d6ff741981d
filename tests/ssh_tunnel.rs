//! Request/response exchanges through a direct-tcpip channel on the pooled connection (what
//! `ssh -L` does), against a real sshd: a munin-node-like server the test runs on
//! 127.0.0.1 is reached from "the host", refusals say which and what to do, timeouts and
//! dropped futures close the tunnel, max_channels holds, over-cap answers are cut, a lost
//! connection comes back, and a waiting tunnel costs no CPU.
//!
//! The line server speaks the dialect of munin's own node (Munin::Node::Server in
//! munin-monitoring/munin, node/lib/Munin/Node/Server.pm): a `# munin node at HOST`
//! greeting, `list` answering one line of services, `fetch SERVICE` answering
//! `field.value N` lines and a `.` line, `# Unknown command. Try cap, list, nodes,
//! config, fetch, version or quit` for anything else, and `quit` closing the connection.

#[path = "support/sshd.rs"]
mod sshd;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sheriff::transport::ssh::{SshError, SshPool};
use sshd::{Sshd, TestHome};

const GREETING: &str = "# munin node at testhost.example.com\n";
const UNKNOWN: &str = "# Unknown command. Try cap, list, nodes, config, fetch, version or quit\n";

/// How a test server treats each connection.
#[derive(Clone, Copy)]
enum Behaviour {
    /// The munin dialect above; each answer waits `delay` first.
    Munin { delay: Duration },
    /// Accepts, reads, never writes a byte.
    Silent,
    /// Greets, then writes `bytes` bytes of numbered lines and waits without closing.
    Flood { bytes: usize },
}

/// A TCP server on 127.0.0.1 in threads of its own, one per connection.
struct LineServer {
    port: u16,
    /// Connections open right now, and the most there were at once.
    open: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    accepted: Arc<AtomicUsize>,
    /// When each connection was seen closed by the far side (sshd).
    closed: Arc<Mutex<Vec<Instant>>>,
}

impl LineServer {
    fn start(behaviour: Behaviour) -> LineServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local_addr").port();
        let server = LineServer {
            port,
            open: Arc::new(AtomicUsize::new(0)),
            most: Arc::new(AtomicUsize::new(0)),
            accepted: Arc::new(AtomicUsize::new(0)),
            closed: Arc::new(Mutex::new(Vec::new())),
        };
        let (open, most, accepted, closed) = (
            server.open.clone(),
            server.most.clone(),
            server.accepted.clone(),
            server.closed.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                accepted.fetch_add(1, Ordering::SeqCst);
                let now_open = open.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now_open, Ordering::SeqCst);
                let (open, closed) = (open.clone(), closed.clone());
                std::thread::spawn(move || {
                    serve(stream, behaviour);
                    open.fetch_sub(1, Ordering::SeqCst);
                    closed
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Instant::now());
                });
            }
        });
        server
    }

    fn closed_count(&self) -> usize {
        self.closed.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Waits until `n` connections were closed by the far side.
    fn wait_closed(&self, n: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while self.closed_count() < n {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }
}

/// One connection; returns when the connection is over (quit, or the peer closed it).
fn serve(stream: TcpStream, behaviour: Behaviour) {
    let mut out = match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    };
    match behaviour {
        Behaviour::Silent => {
            let mut sink = [0u8; 4096];
            let mut stream = stream;
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
        Behaviour::Flood { bytes } => {
            let mut text = GREETING.to_string();
            let mut i = 0;
            while text.len() < bytes {
                text.push_str(&format!("flood.value {i}\n"));
                i += 1;
            }
            if out.write_all(text.as_bytes()).is_err() {
                return;
            }
            // Holds the connection until sshd closes it.
            let mut sink = [0u8; 4096];
            let mut stream = stream;
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
        Behaviour::Munin { delay } => {
            if out.write_all(GREETING.as_bytes()).is_err() {
                return;
            }
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { return };
                std::thread::sleep(delay);
                let words: Vec<&str> = line.split_whitespace().collect();
                let answer = match words.as_slice() {
                    ["quit"] => return,
                    ["list"] => "cpu load memory\n".to_string(),
                    ["fetch", "load"] => "load.value 0.42\n.\n".to_string(),
                    ["fetch", service] => format!("{service}.value 7\n.\n"),
                    _ => UNKNOWN.to_string(),
                };
                if out.write_all(answer.as_bytes()).is_err() {
                    return;
                }
            }
        }
    }
}

fn pool_for(sshd: &Sshd, home: &TestHome, max_channels: usize) -> SshPool {
    home.trust(sshd);
    let mut host = home.host("box", sshd);
    host.max_channels = max_channels;
    SshPool::new(&[host], home.options(), None)
}

/// A port on 127.0.0.1 where nothing listens (bound, then let go).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("local_addr").port()
}

async fn still_runs_commands(pool: &SshPool) {
    let out = pool
        .exec("box", "echo still-here", Duration::from_secs(10))
        .await
        .expect("a command after the exchange");
    assert_eq!(out.stdout_text(), "still-here\n");
}

#[tokio::test]
async fn a_munin_conversation_comes_back_whole() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    let pool = pool_for(&sshd, &home, 8);
    let server = LineServer::start(Behaviour::Munin {
        delay: Duration::ZERO,
    });

    let answer = pool
        .exchange(
            "box",
            "127.0.0.1",
            server.port,
            b"list\nfetch load\nhelp\nquit\n".to_vec(),
            64 * 1024,
            Duration::from_secs(10),
        )
        .await
        .expect("exchange");
    let expected = format!("{GREETING}cpu load memory\nload.value 0.42\n.\n{UNKNOWN}");
    assert_eq!(String::from_utf8_lossy(&answer), expected);

    // A request far larger than one SSH packet and than sshd's window for the tunnel
    // (written in pieces as the far end takes it), answered line by line meanwhile.
    let lines = 20_000;
    let mut request = "help\n".repeat(lines).into_bytes();
    request.extend_from_slice(b"quit\n");
    let answer = pool
        .exchange(
            "box",
            "127.0.0.1",
            server.port,
            request,
            8 << 20,
            Duration::from_secs(30),
        )
        .await
        .expect("exchange with a large request");
    assert_eq!(answer.len(), GREETING.len() + lines * UNKNOWN.len());
    assert!(answer.ends_with(UNKNOWN.as_bytes()));

    // An empty request is a banner check: the server greets, then waits for a command
    // that never comes; a cap the size of the banner ends the exchange.
    let answer = pool
        .exchange(
            "box",
            "127.0.0.1",
            server.port,
            Vec::new(),
            GREETING.len(),
            Duration::from_secs(10),
        )
        .await
        .expect("banner");
    assert_eq!(answer, GREETING.as_bytes());

    assert!(server.wait_closed(3, Duration::from_secs(5)));
    assert_eq!(sshd.logins(), 1, "one connection for everything");
    still_runs_commands(&pool).await;
}

#[tokio::test]
async fn nothing_listening_is_a_refusal_that_says_what_to_check() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    let pool = pool_for(&sshd, &home, 8);
    let port = closed_port();
    let started = Instant::now();
    let err = pool
        .exchange(
            "box",
            "127.0.0.1",
            port,
            b"quit\n".to_vec(),
            1024,
            Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused at once"
    );
    let SshError::Channel { message, .. } = &err else {
        panic!("expected a channel error, got {err:?}");
    };
    assert!(
        message.contains(&format!("refused to forward to 127.0.0.1:{port}")),
        "{err}"
    );
    assert!(message.contains("connect failed"), "{err}");
    assert!(message.contains("listening"), "{err}");

    // A far end that is no host name at all is refused before anything is sent.
    let err = pool
        .exchange(
            "box",
            "127.0.0.1\0:22",
            port,
            Vec::new(),
            1024,
            Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, SshError::Channel { .. }), "{err:?}");
    assert!(err.to_string().contains("NUL"), "{err}");
    still_runs_commands(&pool).await;
}

#[tokio::test]
async fn a_server_without_forwarding_is_a_refusal_that_names_the_setting() {
    let home = TestHome::new();
    let sshd = Sshd::start_with("127.0.0.1", &[&home.key], "AllowTcpForwarding no");
    let pool = pool_for(&sshd, &home, 8);
    let server = LineServer::start(Behaviour::Munin {
        delay: Duration::ZERO,
    });
    let err = pool
        .exchange(
            "box",
            "127.0.0.1",
            server.port,
            b"quit\n".to_vec(),
            1024,
            Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    let SshError::Channel { message, .. } = &err else {
        panic!("expected a channel error, got {err:?}");
    };
    assert!(
        message.contains(&format!("refused to forward to 127.0.0.1:{}", server.port)),
        "{err}"
    );
    assert!(message.contains("administratively prohibited"), "{err}");
    assert!(message.contains("AllowTcpForwarding"), "{err}");
    assert_eq!(server.accepted.load(Ordering::SeqCst), 0);
    still_runs_commands(&pool).await;
}

#[tokio::test]
async fn a_silent_server_times_out_the_tunnel_closes_and_the_pool_goes_on() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    let pool = pool_for(&sshd, &home, 8);
    let server = LineServer::start(Behaviour::Silent);
    let started = Instant::now();
    let err = pool
        .exchange(
            "box",
            "127.0.0.1",
            server.port,
            b"fetch load\n".to_vec(),
            1024,
            Duration::from_millis(800),
        )
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, SshError::Timeout { .. }), "{err:?}");
    assert!(took >= Duration::from_millis(800), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let text = err.to_string();
    assert!(text.contains("tunnel to 127.0.0.1:"), "{text}");
    assert!(text.contains("the channel was closed"), "{text}");
    assert!(!text.contains("killed"), "{text}");
    // sheriff closed the channel, so sshd closed its connection to the server.
    assert!(
        server.wait_closed(1, Duration::from_secs(5)),
        "the tunnel is still open 5s after its timeout"
    );
    still_runs_commands(&pool).await;

    // Dropping the future closes the tunnel the same way.
    let exchange = pool.exchange(
        "box",
        "127.0.0.1",
        server.port,
        b"fetch load\n".to_vec(),
        1024,
        Duration::from_secs(60),
    );
    assert!(tokio::time::timeout(Duration::from_millis(500), exchange)
        .await
        .is_err());
    assert!(
        server.wait_closed(2, Duration::from_secs(5)),
        "the tunnel is still open 5s after its future was dropped"
    );
    still_runs_commands(&pool).await;
}

#[tokio::test]
async fn a_timeout_before_the_host_confirms_the_tunnel_leaves_the_pool_usable() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    let pool = pool_for(&sshd, &home, 8);
    let server = LineServer::start(Behaviour::Munin {
        delay: Duration::ZERO,
    });
    still_runs_commands(&pool).await;
    // A hung sshd never confirms the channel: the open is half done when time runs out.
    sshd.freeze();
    let err = pool
        .exchange(
            "box",
            "127.0.0.1",
            server.port,
            b"quit\n".to_vec(),
            1024,
            Duration::from_millis(600),
        )
        .await
        .unwrap_err();
    sshd.thaw();
    assert!(matches!(err, SshError::Timeout { .. }), "{err:?}");
    // The late confirmation must not hand that channel to the next caller: a command gets
    // a session and a tunnel gets its own far end.
    still_runs_commands(&pool).await;
    let answer = pool
        .exchange(
            "box",
            "127.0.0.1",
            server.port,
            b"fetch load\nquit\n".to_vec(),
            1024,
            Duration::from_secs(10),
        )
        .await
        .expect("exchange after a timed-out open");
    assert_eq!(
        String::from_utf8_lossy(&answer),
        format!("{GREETING}load.value 0.42\n.\n")
    );
}

#[tokio::test]
async fn twenty_exchanges_at_once_share_four_channels() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    let pool = pool_for(&sshd, &home, 4);
    let server = LineServer::start(Behaviour::Munin {
        delay: Duration::from_millis(100),
    });
    let runs = (0..20).map(|i| {
        let pool = pool.clone();
        let port = server.port;
        async move {
            let request = format!("fetch if_eth{i}\nquit\n").into_bytes();
            pool.exchange(
                "box",
                "127.0.0.1",
                port,
                request,
                4096,
                Duration::from_secs(30),
            )
            .await
        }
    });
    let started = Instant::now();
    let results = futures::future::join_all(runs).await;
    for (i, result) in results.into_iter().enumerate() {
        let answer = result.unwrap_or_else(|e| panic!("exchange {i}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&answer),
            format!("{GREETING}if_eth{i}.value 7\n.\n")
        );
    }
    let most = server.most.load(Ordering::SeqCst);
    eprintln!(
        "20 exchanges on 4 channels: {:?}, at most {most} at once",
        started.elapsed()
    );
    assert!(most <= 4, "{most} tunnels were open at once");
    assert!(most > 1, "the exchanges ran one after another");
    assert_eq!(server.accepted.load(Ordering::SeqCst), 20);
    assert_eq!(sshd.logins(), 1, "sshd log:\n{}", sshd.log());
    still_runs_commands(&pool).await;
}

#[tokio::test]
async fn an_answer_over_the_cap_is_cut_at_the_cap_and_the_tunnel_closed() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    let pool = pool_for(&sshd, &home, 8);
    let server = LineServer::start(Behaviour::Flood { bytes: 3 << 20 });
    let started = Instant::now();
    let answer = pool
        .exchange(
            "box",
            "127.0.0.1",
            server.port,
            b"fetch flood\n".to_vec(),
            1000,
            Duration::from_secs(20),
        )
        .await
        .expect("an over-cap answer is not an error");
    // The server never closes: only the cap can have ended the wait this early.
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(answer.len(), 1000);
    assert!(answer.starts_with(GREETING.as_bytes()));
    assert!(String::from_utf8_lossy(&answer[GREETING.len()..]).starts_with("flood.value 0\n"));
    assert!(
        server.wait_closed(1, Duration::from_secs(5)),
        "the tunnel is still open after the cap was reached"
    );
    still_runs_commands(&pool).await;
}

#[tokio::test]
async fn a_lost_connection_fails_the_exchange_and_the_next_one_reconnects() {
    let home = TestHome::new();
    let mut sshd = Sshd::start("127.0.0.1", &[&home.key]);
    let pool = pool_for(&sshd, &home, 8);
    let server = LineServer::start(Behaviour::Munin {
        delay: Duration::ZERO,
    });
    let fetch = || {
        pool.exchange(
            "box",
            "127.0.0.1",
            server.port,
            b"fetch load\nquit\n".to_vec(),
            1024,
            Duration::from_secs(5),
        )
    };
    let expected = format!("{GREETING}load.value 0.42\n.\n");
    assert_eq!(
        String::from_utf8_lossy(&fetch().await.expect("first")),
        expected
    );
    sshd.stop();
    let err = fetch().await.unwrap_err();
    assert!(
        matches!(
            err,
            SshError::Disconnected { .. }
                | SshError::Retrying { .. }
                | SshError::Unreachable { .. }
        ),
        "{err:?}"
    );
    sshd.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match fetch().await {
            Ok(answer) => {
                assert_eq!(String::from_utf8_lossy(&answer), expected);
                break;
            }
            Err(e) if Instant::now() < deadline => {
                eprintln!("not yet: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no exchange 15s after sshd came back: {e}"),
        }
    }
}

/// How long the thread named `name` was on a CPU or waiting for one
/// (`/proc/self/task/*/schedstat`): a thread asleep in poll(2) wants none.
fn time_wanting_cpu(name: &str) -> Duration {
    let mut found = None;
    for task in std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .flatten()
    {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end() == name {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            let mut fields = stat
                .split_whitespace()
                .map(|f| f.parse::<u64>().unwrap_or(0));
            found = Some(fields.next().unwrap_or(0) + fields.next().unwrap_or(0));
        }
    }
    Duration::from_nanos(found.unwrap_or_else(|| panic!("no thread named {name:?}")))
}

#[tokio::test]
async fn a_tunnel_waiting_for_its_answer_costs_no_cpu() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    home.trust(&sshd);
    // A host name no other test uses, so its thread (`ssh quiet-box`) is found.
    let pool = SshPool::new(&[home.host("quiet-box", &sshd)], home.options(), None);
    let server = LineServer::start(Behaviour::Silent);
    let exchange = pool.exchange(
        "quiet-box",
        "127.0.0.1",
        server.port,
        b"fetch load\n".to_vec(),
        1024,
        Duration::from_secs(30),
    );
    tokio::pin!(exchange);
    // Let the tunnel open and the request go out, then watch the host thread wait.
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.accepted.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the tunnel never reached the server"
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(20), &mut exchange)
                .await
                .is_err(),
            "the silent server cannot have answered"
        );
    }
    let before = time_wanting_cpu("ssh quiet-box");
    assert!(
        tokio::time::timeout(Duration::from_millis(700), &mut exchange)
            .await
            .is_err()
    );
    let spent = time_wanting_cpu("ssh quiet-box") - before;
    assert!(
        spent < Duration::from_millis(100),
        "the host thread wanted a CPU for {spent:?} of 700ms while the tunnel waited"
    );
}
