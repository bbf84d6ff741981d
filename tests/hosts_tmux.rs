//! Host states on the screen: a real sshd whose key is not trusted, and a port where
//! nothing listens, shown in Health and the status line while the keys still answer.

#[path = "support/sshd.rs"]
mod sshd;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::Duration;

use sshd::{Sshd, TestHome};
use tmux::Tmux;

#[test]
fn untrusted_and_unreachable_hosts_show_in_health_and_the_status_line() {
    let home = TestHome::new();
    let trusted = Sshd::start("127.0.0.31", &[&home.key]);
    let untrusted = Sshd::start("127.0.0.32", &[&home.key]);
    home.trust(&trusted);
    let config = home.path().join("sheriff.toml");
    let key = home.key.display();
    std::fs::write(
        &config,
        format!(
            "[environments.prod]\nhosts = [\"web1\", \"web2\", \"web3\"]\n\n\
             [hosts.web1]\nssh = \"{}\"\nidentity_file = \"{key}\"\n\
             [hosts.web2]\nssh = \"{}\"\nidentity_file = \"{key}\"\n\
             [hosts.web3]\nssh = \"sheriff-test@127.0.0.1:1\"\nidentity_file = \"{key}\"\n\
             [handoff]\npath = \"{}\"\n",
            trusted.destination(),
            untrusted.destination(),
            home.path().join("handoff.jsonl").display()
        ),
    )
    .expect("write config");
    let term = Tmux::sheriff(home.path(), &config, (160, 36), &[("SSH_AUTH_SOCK", "")]);
    let wait = Duration::from_secs(15);
    term.wait_for("unknown host key", wait);
    let screen = term.wait_for("host web3", wait);
    assert!(
        screen.contains("web2 unknown host key") && screen.contains("✖ web3"),
        "status line names the host:\n{screen}"
    );
    // Zoomed, the whole line fits: the fingerprint and how to trust it.
    term.send(&["z"]);
    let screen = term.wait_gone("Drift", wait);
    assert!(
        screen.contains(&untrusted.fingerprint()),
        "the fingerprint is shown:\n{screen}"
    );
    assert!(screen.contains("to trust it"), "{screen}");
    // The trusted host connects and so is not listed as a problem; keys still answer.
    assert!(!screen.contains("host web1"), "{screen}");
    term.send(&["z"]);
    term.wait_for("Drift", wait);
    term.send(&["q"]);
    term.assert_restored();
}

#[test]
fn an_encrypted_key_is_unlocked_once_in_the_tui() {
    let home = TestHome::new();
    let locked_key = home.path().join(".ssh/id_locked");
    sshd::keygen(&locked_key, "hunter2-horse");
    let sshd = Sshd::start("127.0.0.33", &[&locked_key]);
    home.trust(&sshd);
    let config = home.path().join("sheriff.toml");
    std::fs::write(
        &config,
        format!(
            "[hosts.vault]\nssh = \"{}\"\nidentity_file = \"{}\"\n[handoff]\npath = \"{}\"\n",
            sshd.destination(),
            locked_key.display(),
            home.path().join("handoff.jsonl").display()
        ),
    )
    .expect("write config");
    let term = Tmux::sheriff(home.path(), &config, (140, 34), &[("SSH_AUTH_SOCK", "")]);
    let wait = Duration::from_secs(15);
    term.wait_for("vault needs a secret", wait);
    term.wait_for("Passphrase for key", wait);
    term.type_text("wrong-one");
    let screen = term.wait_for("•••••••••", wait);
    assert!(
        !screen.contains("wrong-one"),
        "typed text is shown:\n{screen}"
    );
    term.send(&["Enter"]);
    term.wait_for("Wrong; try again", wait);
    term.type_text("hunter2-horse");
    term.send(&["Enter"]);
    let screen = term.wait_gone("needs a secret", wait);
    assert!(!screen.contains("hunter2"), "{screen}");
    // Connected: the host is no longer listed as a problem, and the login used the key.
    let started = std::time::Instant::now();
    while sshd.logins() == 0 && started.elapsed() < wait {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(sshd.logins(), 1, "{}", sshd.log());
    let screen = term.wait_gone("host vault", wait);
    assert!(!screen.contains("vault"), "{screen}");
    term.send(&["q"]);
    term.assert_restored();
}
