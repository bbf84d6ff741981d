//! `sheriff hosts` against a fleet of 20 real sshd on 127.0.0.2–127.0.0.21: every host
//! reported, with its key fingerprint, within 2 s; any failure makes it exit 1.

#[path = "support/sshd.rs"]
mod sshd;

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use sshd::{Sshd, TestHome};

fn start_fleet(home: &TestHome, count: usize) -> Vec<Sshd> {
    let fleet = Sshd::start_fleet(2..2 + count, &[&home.key]);
    for sshd in &fleet {
        home.trust(sshd);
    }
    fleet
}

fn write_config(home: &TestHome, fleet: &[Sshd], extra: &str) -> std::path::PathBuf {
    let mut text = String::new();
    for (i, sshd) in fleet.iter().enumerate() {
        let _ = write!(
            text,
            "[hosts.\"host{:02}\"]\nssh = \"{}\"\nidentity_file = \"{}\"\n\n",
            i + 2,
            sshd.destination(),
            home.key.display()
        );
    }
    text.push_str(extra);
    let path = home.path().join("sheriff.toml");
    std::fs::write(&path, text).expect("write sheriff.toml");
    path
}

fn sheriff_hosts(home: &TestHome, config: &std::path::Path) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_sheriff"))
        .arg("hosts")
        .arg("--config")
        .arg(config)
        .env("HOME", home.path())
        .env_remove("SSH_AUTH_SOCK")
        .current_dir(home.path())
        .output()
        .expect("run sheriff hosts");
    (out, started.elapsed())
}

#[test]
fn sheriff_hosts_reports_a_fleet_of_twenty() {
    let home = TestHome::new();
    let fleet = start_fleet(&home, 20);
    let config = write_config(&home, &fleet, "");
    let (out, took) = sheriff_hosts(&home, &config);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for (i, sshd) in fleet.iter().enumerate() {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("host{:02} ", i + 2)))
            .unwrap_or_else(|| panic!("no line for host{:02}:\n{stdout}", i + 2));
        assert!(line.contains("✔ up"), "{line}");
        assert!(line.contains(&sshd.fingerprint()), "{line}");
        assert!(
            line.split_whitespace()
                .any(|w| sheriff::config::duration::parse_duration(w).is_ok()),
            "a latency: {line}"
        );
    }
    assert!(stdout.contains("20 of 20 hosts connected"), "{stdout}");
    eprintln!("sheriff hosts, 20 hosts: {took:?}\n{stdout}");
    // The 2 s floor for this is kept by `cargo bench --bench ssh`, on a quiet machine;
    // here only a fleet that waits on each host in turn would fail.
    assert!(took < Duration::from_secs(30), "took {took:?}:\n{stdout}");
    for sshd in &fleet {
        assert_eq!(sshd.logins(), 1, "{}", sshd.log());
    }
}

#[test]
fn sheriff_hosts_exits_one_when_a_host_fails() {
    let home = TestHome::new();
    let fleet = start_fleet(&home, 2);
    let mut stranger = Sshd::start("127.0.0.22", &[&home.key]);
    let port = stranger.port;
    stranger.stop();
    let extra = format!(
        "[hosts.\"down\"]\nssh = \"{}@127.0.0.22:{port}\"\nidentity_file = \"{}\"\nconnect_timeout = \"1s\"\n",
        sshd::TEST_USER,
        home.key.display()
    );
    let config = write_config(&home, &fleet, &extra);
    let (out, _) = sheriff_hosts(&home, &config);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let down = stdout
        .lines()
        .find(|l| l.starts_with("down "))
        .expect("a line for the down host");
    assert!(down.contains("✖ unreachable"), "{down}");
    assert!(down.contains("127.0.0.22"), "{down}");
    assert!(stdout.contains("Connection refused"), "{stdout}");
    assert!(stdout.contains("2 of 3 hosts connected"), "{stdout}");
}
