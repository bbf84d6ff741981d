//! Host key verification against real servers: unknown keys refused with the fingerprint
//! and the command to trust them, changed keys refused loudly, hashed entries accepted.

#[path = "support/sshd.rs"]
mod sshd;

use std::process::Command;
use std::time::Duration;

use sheriff::event::Event;
use sheriff::transport::ssh::{SshError, SshPool};
use sheriff::transport::HostState;
use sshd::{Sshd, TestHome};

const STEP: Duration = Duration::from_secs(10);

#[tokio::test]
async fn unknown_host_key_is_refused_with_fingerprint_and_trust_command() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.3", &[&home.key]);
    let (tx, mut events) = sheriff::event::channel();
    let pool = SshPool::new(&[home.host("web", &sshd)], home.options(), Some(tx));

    let err = pool.exec("web", "true", STEP).await.unwrap_err();
    let (fingerprint, trust_command) = match &err {
        SshError::HostKeyUnknown {
            fingerprint,
            trust_command,
            ..
        } => (fingerprint.clone(), trust_command.clone()),
        other => panic!("expected HostKeyUnknown, got {other:?}"),
    };
    assert_eq!(fingerprint, sshd.fingerprint());
    let message = err.to_string();
    assert!(message.contains(&sshd.fingerprint()), "{message}");
    assert!(message.contains(&trust_command), "{message}");
    // The server never saw a login attempt: credentials go only to verified hosts.
    assert!(!sshd.log().contains("publickey"), "{}", sshd.log());

    // The state is an event the UI shows.
    let mut saw_unknown = false;
    while let Ok(Event::Host { host, state }) = events.try_recv() {
        assert_eq!(host, "web");
        if let HostState::UnknownKey { fingerprint: f, .. } = state {
            assert_eq!(f, sshd.fingerprint());
            saw_unknown = true;
        }
    }
    assert!(saw_unknown, "no UnknownKey event");
    assert!(pool.state("web").is_some_and(|s| s.needs_attention()));

    // The exact command trusts the key; after a retry the host connects.
    let status = Command::new("sh")
        .arg("-c")
        .arg(&trust_command)
        .status()
        .expect("sh");
    assert!(status.success(), "{trust_command}");
    pool.retry("web");
    let out = pool
        .exec("web", "echo trusted", STEP)
        .await
        .expect("exec after trust");
    assert_eq!(out.stdout_text(), "trusted\n");
}

#[tokio::test]
async fn changed_host_key_is_refused_loudly() {
    let home = TestHome::new();
    let mut sshd = Sshd::start("127.0.0.3", &[&home.key]);
    home.trust(&sshd);
    let old = sshd.fingerprint();
    sshd.new_host_key();
    let (tx, mut events) = sheriff::event::channel();
    let mut host = home.host("db", &sshd);
    // accept_new never covers a changed key.
    host.accept_new = true;
    let pool = SshPool::new(&[host], home.options(), Some(tx));

    let err = pool.exec("db", "true", STEP).await.unwrap_err();
    match &err {
        SshError::HostKeyMismatch {
            expected,
            found,
            remove_command,
            ..
        } => {
            assert!(expected.contains(&old), "{expected}");
            assert!(found.contains(&sshd.fingerprint()), "{found}");
            assert!(
                remove_command.starts_with("ssh-keygen -R"),
                "{remove_command}"
            );
        }
        other => panic!("expected HostKeyMismatch, got {other:?}"),
    }
    assert!(err.to_string().contains("HOST KEY CHANGED"), "{err}");
    assert!(!sshd.log().contains("publickey"), "{}", sshd.log());
    let mut saw = false;
    while let Ok(Event::Host { state, .. }) = events.try_recv() {
        saw |= matches!(state, HostState::KeyMismatch { .. });
    }
    assert!(saw, "no KeyMismatch event");
    // Nothing was added to known_hosts.
    let known = std::fs::read_to_string(home.known_hosts()).expect("known_hosts");
    assert_eq!(known.lines().count(), 1, "{known}");
}

#[tokio::test]
async fn hashed_known_hosts_entry_is_accepted() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.3", &[&home.key]);
    home.trust(&sshd);
    let status = Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(home.known_hosts())
        .output()
        .expect("ssh-keygen -H");
    assert!(status.status.success());
    let known = std::fs::read_to_string(home.known_hosts()).expect("known_hosts");
    assert!(known.starts_with("|1|"), "not hashed: {known}");
    assert!(!known.contains("127.0.0.3"));

    let pool = SshPool::new(&[home.host("web", &sshd)], home.options(), None);
    let info = pool.connect("web").await.expect("connect");
    assert_eq!(info.fingerprint, sshd.fingerprint());
    assert_eq!(info.key_type, "ED25519");
}

#[tokio::test]
async fn accept_new_trusts_a_first_key_and_records_it() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.3", &[&home.key]);
    let mut host = home.host("new", &sshd);
    host.accept_new = true;
    let pool = SshPool::new(&[host], home.options(), None);
    pool.connect("new").await.expect("accept_new connects");
    let known = std::fs::read_to_string(home.known_hosts()).expect("known_hosts written");
    assert_eq!(known, sshd.known_hosts_line());
}

#[tokio::test]
async fn known_hosts_path_from_sheriff_config_is_used() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.3", &[&home.key]);
    let extra = home.path().join("team_known_hosts");
    std::fs::write(&extra, sshd.known_hosts_line()).expect("write");
    let mut host = home.host("web", &sshd);
    host.known_hosts = Some(extra);
    let pool = SshPool::new(&[host], home.options(), None);
    pool.connect("web")
        .await
        .expect("key from the host's known_hosts file");
}
