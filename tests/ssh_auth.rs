//! Authentication against real servers: clear errors for wrong keys, ssh-agent first,
//! encrypted keys asking for their passphrase once, passwords off unless opted in.

#[path = "support/sshd.rs"]
mod sshd;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sheriff::event::Event;
use sheriff::transport::ssh::{
    AgentChoice, PassphrasePrompt, PromptKind, PromptRequest, Secret, SshError, SshPool,
};
use sheriff::transport::HostState;
use sshd::{keygen, Sshd, TestHome};

const STEP: Duration = Duration::from_secs(10);

#[tokio::test]
async fn wrong_key_gives_a_clear_auth_error() {
    let home = TestHome::new();
    let stranger = home.path().join(".ssh/id_stranger");
    keygen(&stranger, "");
    let sshd = Sshd::start("127.0.0.7", &[&home.key]);
    home.trust(&sshd);
    let mut host = home.host("web", &sshd);
    host.identity_file = Some(stranger.clone());
    let (tx, mut events) = sheriff::event::channel();
    let pool = SshPool::new(&[host], home.options(), Some(tx));
    let err = pool.exec("web", "true", STEP).await.unwrap_err();
    match &err {
        SshError::AuthFailed {
            user,
            tried,
            server_allows,
            ..
        } => {
            assert_eq!(user, sshd::TEST_USER);
            assert_eq!(tried.len(), 1, "{tried:?}");
            assert!(
                tried[0].contains(&stranger.display().to_string()),
                "{tried:?}"
            );
            assert!(tried[0].contains("refused by the server"), "{tried:?}");
            assert_eq!(server_allows, "publickey");
        }
        other => panic!("expected AuthFailed, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("ssh-add"), "says what to do: {text}");
    let mut saw = false;
    while let Ok(Event::Host { state, .. }) = events.try_recv() {
        saw |= matches!(state, HostState::AuthFailed(_));
    }
    assert!(saw, "no AuthFailed event");

    // A missing key file is named as such.
    let mut host = home.host("web", &sshd);
    host.identity_file = Some(home.path().join(".ssh/missing"));
    let pool = SshPool::new(&[host], home.options(), None);
    let err = pool.exec("web", "true", STEP).await.unwrap_err();
    assert!(err.to_string().contains("missing: cannot read"), "{err}");
}

/// Answers with scripted passphrases and counts the questions.
struct Scripted {
    answers: Vec<&'static str>,
    asked: AtomicUsize,
}

impl PassphrasePrompt for Scripted {
    fn ask(&self, request: &PromptRequest) -> Option<Secret> {
        assert!(matches!(request.kind, PromptKind::KeyPassphrase { .. }));
        let n = self.asked.fetch_add(1, Ordering::SeqCst);
        self.answers.get(n).map(|a| Secret::new(a.to_string()))
    }
}

#[tokio::test]
async fn encrypted_key_asks_for_its_passphrase_once() {
    let home = TestHome::new();
    let locked = home.path().join(".ssh/id_locked");
    keygen(&locked, "correct horse");
    let mut a = Sshd::start("127.0.0.7", &[&locked]);
    let b = Sshd::start("127.0.0.8", &[&locked]);
    home.trust(&a);
    home.trust(&b);
    let hosts: Vec<_> = [("a", &a), ("b", &b)]
        .into_iter()
        .map(|(name, sshd)| {
            let mut host = home.host(name, sshd);
            host.identity_file = Some(locked.clone());
            host
        })
        .collect();
    let prompt = Arc::new(Scripted {
        answers: vec!["wrong", "correct horse"],
        asked: AtomicUsize::new(0),
    });
    let mut options = home.options();
    options.prompt = prompt.clone();
    let pool = SshPool::new(&hosts, options, None);
    let (ra, rb) = tokio::join!(
        pool.exec("a", "echo a", STEP),
        pool.exec("b", "echo b", STEP)
    );
    assert_eq!(ra.expect("a").stdout_text(), "a\n");
    assert_eq!(rb.expect("b").stdout_text(), "b\n");
    // One wrong answer, one right one; the second host did not ask again.
    assert_eq!(prompt.asked.load(Ordering::SeqCst), 2);

    // A reconnect does not ask again either.
    a.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match pool.exec("a", "echo again", STEP).await {
            Ok(out) => {
                assert_eq!(out.stdout_text(), "again\n");
                break;
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "no reconnect: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(prompt.asked.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn encrypted_key_without_anyone_to_ask_says_use_the_agent() {
    let home = TestHome::new();
    let locked = home.path().join(".ssh/id_locked");
    keygen(&locked, "secret");
    let sshd = Sshd::start("127.0.0.7", &[&locked]);
    home.trust(&sshd);
    let mut host = home.host("web", &sshd);
    host.identity_file = Some(locked.clone());
    let pool = SshPool::new(&[host], home.options(), None);
    let err = pool.exec("web", "true", STEP).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("encrypted"), "{text}");
    assert!(
        text.contains(&format!("ssh-add {}", locked.display())),
        "{text}"
    );
}

/// A private ssh-agent, killed when dropped.
struct Agent {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Agent {
    fn start(keys: &[&std::path::Path]) -> Agent {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .spawn()
            .expect("ssh-agent (openssh-client)");
        let deadline = Instant::now() + Duration::from_secs(5);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "ssh-agent did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        for key in keys {
            let status = Command::new("ssh-add")
                .arg("-q")
                .arg(key)
                .env("SSH_AUTH_SOCK", &socket)
                .status()
                .expect("ssh-add");
            assert!(status.success(), "ssh-add {}", key.display());
        }
        Agent {
            child,
            socket,
            _dir: dir,
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn agent_is_tried_first_then_key_files() {
    let home = TestHome::new();
    let other = home.path().join(".ssh/id_other");
    keygen(&other, "");
    let sshd = Sshd::start("127.0.0.7", &[&home.key]);
    home.trust(&sshd);

    // The agent holds the right key: no key file needed.
    let agent = Agent::start(&[&home.key]);
    let mut host = home.host("web", &sshd);
    host.identity_file = Some(home.path().join(".ssh/not-there"));
    let mut options = home.options();
    options.agent = AgentChoice::Socket(agent.socket.clone());
    let pool = SshPool::new(&[host], options, None);
    pool.exec("web", "true", STEP)
        .await
        .expect("agent key works");
    drop(pool);
    drop(agent);

    // The agent holds a wrong key: it is offered first, then the file succeeds.
    let agent = Agent::start(&[&other]);
    let mut options = home.options();
    options.agent = AgentChoice::Socket(agent.socket.clone());
    let pool = SshPool::new(&[home.host("web", &sshd)], options.clone(), None);
    pool.exec("web", "true", STEP)
        .await
        .expect("file key after agent");

    // With IdentitiesOnly the agent's key is offered only if it is a configured identity.
    let stranger = home.path().join(".ssh/id_stranger");
    keygen(&stranger, "");
    home.write_ssh_config(&format!("Host {}\n  IdentitiesOnly yes\n", sshd.addr));
    let mut host = home.host("web", &sshd);
    host.identity_file = Some(stranger.clone());
    let pool = SshPool::new(&[host], options, None);
    let err = pool.exec("web", "true", STEP).await.unwrap_err();
    let SshError::AuthFailed { tried, .. } = &err else {
        panic!("expected AuthFailed, got {err:?}");
    };
    assert_eq!(tried.len(), 1, "only the identity file: {tried:?}");
    assert!(
        tried[0].starts_with(&stranger.display().to_string()),
        "{tried:?}"
    );
}

#[tokio::test]
async fn password_auth_is_off_unless_the_host_opts_in() {
    let home = TestHome::new();
    let stranger = home.path().join(".ssh/id_stranger");
    keygen(&stranger, "");
    let sshd = Sshd::start_with("127.0.0.7", &[&home.key], "PasswordAuthentication yes");
    home.trust(&sshd);
    let mut host = home.host("web", &sshd);
    host.identity_file = Some(stranger);
    let pool = SshPool::new(&[host], home.options(), None);
    let err = pool.exec("web", "true", STEP).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("password: off for this host"), "{text}");
    assert!(text.contains("allows: publickey,password"), "{text}");
}

/// The TUI's prompt (`ChannelPrompt`): questions arrive as `Event::Prompt`. Host a's
/// question is left open; host b, with another encrypted key, is answered and must log in
/// while a still waits. Then a's wait ends and a is "not unlocked", without a login.
#[tokio::test]
async fn an_unanswered_prompt_does_not_hold_up_other_hosts() {
    let home = TestHome::new();
    let key_a = home.path().join(".ssh/id_locked_a");
    let key_b = home.path().join(".ssh/id_locked_b");
    keygen(&key_a, "alpha");
    keygen(&key_b, "bravo");
    let a = Sshd::start("127.0.0.7", &[&key_a]);
    let b = Sshd::start("127.0.0.8", &[&key_b]);
    home.trust(&a);
    home.trust(&b);
    let mut host_a = home.host("a", &a);
    host_a.identity_file = Some(key_a.clone());
    let mut host_b = home.host("b", &b);
    host_b.identity_file = Some(key_b.clone());

    let (tx, mut events) = sheriff::event::channel();
    let mut prompt = sheriff::transport::ssh::ChannelPrompt::new(tx.clone());
    // Long enough that b's login (well under a second here) ends first on a busy machine.
    let wait = Duration::from_secs(8);
    prompt.wait = wait;
    let mut options = home.options();
    options.prompt = Arc::new(prompt);
    let pool = SshPool::new(&[host_a, host_b], options, Some(tx));

    // a asks first, and nobody answers.
    let a_connect = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.connect("a").await })
    };
    let asked_at = Instant::now();
    let mut open_questions = Vec::new();
    let mut saw_waiting = false;
    loop {
        let event = tokio::time::timeout(STEP, events.recv())
            .await
            .expect("a asks for its passphrase")
            .expect("events");
        match event {
            Event::Prompt { request, reply } if request.host == "a" => {
                open_questions.push(reply);
                break;
            }
            Event::Host { host, state } if host == "a" => {
                saw_waiting |= matches!(state, HostState::WaitingForPassphrase(_));
            }
            _ => {}
        }
    }

    // b logs in meanwhile: its question is answered as it comes.
    let mut b_exec = {
        let pool = pool.clone();
        tokio::spawn(async move { pool.exec("b", "echo b", STEP).await })
    };
    let b_out = loop {
        tokio::select! {
            done = &mut b_exec => break done.expect("b's task"),
            event = events.recv() => match event.expect("events") {
                Event::Prompt { request, reply } if request.host == "b" => {
                    assert!(request.text().contains("id_locked_b"), "{}", request.text());
                    reply.answer(Some(Secret::new("bravo".into())));
                }
                Event::Prompt { reply, .. } => open_questions.push(reply),
                Event::Host { host, state } if host == "a" => {
                    saw_waiting |= matches!(state, HostState::WaitingForPassphrase(_));
                }
                _ => {}
            },
        }
    };
    assert_eq!(b_out.expect("b logs in").stdout_text(), "b\n");
    assert!(
        asked_at.elapsed() < wait,
        "b took until a's question timed out"
    );
    assert!(saw_waiting, "a was not shown as waiting for its passphrase");
    assert!(
        matches!(pool.state("a"), Some(HostState::WaitingForPassphrase(_))),
        "a's question is still open: {:?}",
        pool.state("a")
    );

    // a's wait is bounded: then a is "not unlocked" and did not log in.
    let err = tokio::time::timeout(wait + STEP, a_connect)
        .await
        .expect("a's wait ends")
        .expect("a's task")
        .unwrap_err();
    assert!(matches!(err, SshError::NotUnlocked { .. }), "{err}");
    assert!(err.to_string().contains("id_locked_a"), "{err}");
    assert!(
        matches!(pool.state("a"), Some(HostState::NotUnlocked(_))),
        "{:?}",
        pool.state("a")
    );
    assert_eq!(pool.state("a").map(|s| s.label()), Some("not unlocked"));
    assert_eq!(a.logins(), 0);
    assert_eq!(b.logins(), 1);
    drop(open_questions);
}
