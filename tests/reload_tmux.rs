//! Reload by difference, in a real terminal against a real sshd: `R` on an unchanged
//! config keeps every worker (the log's backlog is not sent again) and every connection
//! (sshd sees no new login); an edit of the file shows without `R`; a bad edit keeps
//! everything and says why.

#[path = "support/sshd.rs"]
mod sshd;
#[path = "support/tmux.rs"]
mod tmux;

use std::time::{Duration, Instant};

use sshd::{Sshd, TestHome};
use tmux::Tmux;

const WAIT: Duration = Duration::from_secs(15);

fn config_text(home: &TestHome, sshd: &Sshd, log: &std::path::Path, extra: &str) -> String {
    format!(
        "[hosts.web1]\nssh = \"{}\"\nidentity_file = \"{}\"\n\n\
         [[log]]\nname = \"app\"\nfile = \"{}\"\n\n{extra}\
         [handoff]\npath = \"{}\"\n",
        sshd.destination(),
        home.key.display(),
        log.display(),
        home.path().join("handoff.jsonl").display()
    )
}

/// Waits until sshd's log shows `n` logins, and that it stays so for a moment.
fn logins_settle(sshd: &Sshd, n: usize) {
    let start = Instant::now();
    while sshd.logins() < n {
        assert!(start.elapsed() < WAIT, "sshd saw {} logins", sshd.logins());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn reload_keeps_what_did_not_change_and_a_file_edit_applies_itself() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.41", &[&home.key]);
    home.trust(&sshd);
    let log = home.path().join("app.log");
    let lines: String = (0..50).map(|i| format!("line {i}\n")).collect();
    std::fs::write(&log, lines).expect("write the log");
    let config = home.path().join("sheriff.toml");
    std::fs::write(&config, config_text(&home, &sshd, &log, "")).expect("write config");

    let term = Tmux::sheriff(home.path(), &config, (150, 36), &[("SSH_AUTH_SOCK", "")]);
    term.wait_for("Logs · 50 lines", WAIT);
    logins_settle(&sshd, 1);

    // R on the same config: nothing restarts.
    term.send(&["R"]);
    let screen = term.wait_for("config reloaded: 1 kept, 0 started, 0 stopped", WAIT);
    assert!(
        screen.contains("Logs · 50 lines"),
        "no second backlog:\n{screen}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sshd.logins(), 1, "no new SSH connection:\n{}", sshd.log());

    // An edit of the file applies without R: a second log appears, the first keeps going.
    let other = home.path().join("other.log");
    std::fs::write(&other, "other 1\nother 2\n").expect("write the second log");
    let extra = format!(
        "[[log]]\nname = \"other\"\nfile = \"{}\"\n\n",
        other.display()
    );
    std::fs::write(&config, config_text(&home, &sshd, &log, &extra)).expect("edit config");
    let screen = term.wait_for("config reloaded: 1 kept, 1 started, 0 stopped", WAIT);
    term.wait_for("Logs · 52 lines", WAIT);
    assert_eq!(sshd.logins(), 1, "hosts unchanged, no reconnect:\n{screen}");

    // A bad edit keeps everything as it was and says why.
    std::fs::write(&config, "[[log]]\nname = \"broken\"\nfiel = \"/x\"\n").expect("break config");
    let screen = term.wait_for("reload failed, old config kept", WAIT);
    assert!(
        screen.contains("fiel"),
        "the error names the key:\n{screen}"
    );
    assert!(screen.contains("Logs · 52 lines"), "{screen}");
    term.send(&["q"]);
    term.assert_restored();
}
