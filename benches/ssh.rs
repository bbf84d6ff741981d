//! sheriff's SSH transport beside OpenSSH on the same throwaway sshd, in one run:
//!
//! - 100 sequential `true` over sheriff's one connection, against OpenSSH `ssh` with
//!   ControlMaster/ControlPersist (one multiplexed connection too), and plain `ssh`;
//! - 100 concurrent `true` on one host through sheriff;
//! - `sheriff hosts`' work (connect, verify, authenticate) on a fleet of 20 sshd.
//!
//! Run: `cargo bench --bench ssh` (as root: it starts sshd and creates the `sheriff-test`
//! user with shell /bin/sh, like the tests). Results go to docs/performance.md.

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sheriff::transport::ssh::SshPool;
use sshd::{Sshd, TestHome};

const RUNS: usize = 100;
const STEP: Duration = Duration::from_secs(30);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and mean of per-command times, in ms.
fn stats(samples: &mut [Duration]) -> (f64, f64) {
    samples.sort();
    let median = ms(samples[samples.len() / 2]);
    let mean = ms(samples.iter().sum::<Duration>()) / samples.len() as f64;
    (median, mean)
}

fn openssh(home: &TestHome, sshd: &Sshd, control: Option<&Path>) -> Command {
    match control {
        Some(path) => {
            let control_path = format!("ControlPath={}", path.display());
            let options = ["-o", "ControlMaster=auto", "-o", "ControlPersist=60", "-o"];
            let mut all: Vec<&str> = options.to_vec();
            all.push(&control_path);
            home.openssh(sshd, &all)
        }
        None => home.openssh(sshd, &[]),
    }
}

fn run_openssh(home: &TestHome, sshd: &Sshd, control: Option<&Path>, runs: usize) -> Vec<Duration> {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            let status = openssh(home, sshd, control)
                .arg("true")
                .status()
                .expect("ssh (openssh-client)");
            assert!(status.success(), "ssh true failed");
            started.elapsed()
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` (CI) runs this binary
    // without it, and a benchmark has no place there: compiled, not run.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benches/ssh.rs: run with `cargo bench --bench ssh`");
        return;
    }
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.1", &[&home.key]);
    home.trust(&sshd);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let pool = SshPool::new(&[home.host("bench", &sshd)], home.options(), None);

    let connect_started = Instant::now();
    let info = runtime
        .block_on(pool.connect("bench"))
        .expect("sheriff connects");
    let connect_time = connect_started.elapsed();

    // Warm up both sides before measuring.
    runtime.block_on(async {
        for _ in 0..10 {
            pool.exec("bench", "true", STEP).await.expect("warm-up");
        }
    });
    let mut sheriff_seq: Vec<Duration> = runtime.block_on(async {
        let mut samples = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let started = Instant::now();
            let out = pool.exec("bench", "true", STEP).await.expect("exec true");
            assert!(out.success());
            samples.push(started.elapsed());
        }
        samples
    });

    let concurrent = runtime.block_on(async {
        let started = Instant::now();
        let runs = (0..RUNS).map(|_| {
            let pool = pool.clone();
            async move { pool.exec("bench", "true", STEP).await }
        });
        for result in futures::future::join_all(runs).await {
            assert!(result.expect("concurrent exec").success());
        }
        started.elapsed()
    });

    let sheriff_logins = sshd.logins();

    let control_dir = tempfile::tempdir().expect("tempdir");
    let control = control_dir.path().join("cm");
    let master_started = Instant::now();
    run_openssh(&home, &sshd, Some(&control), 1);
    let master_time = master_started.elapsed();
    run_openssh(&home, &sshd, Some(&control), 10);
    let mut openssh_mux = run_openssh(&home, &sshd, Some(&control), RUNS);
    let _ = openssh(&home, &sshd, Some(&control))
        .args(["-O", "exit"])
        .stderr(Stdio::null())
        .status();
    let mut openssh_plain = run_openssh(&home, &sshd, None, 20);

    let fleet = Sshd::start_fleet(2..22, &[&home.key]);
    let hosts: Vec<_> = fleet
        .iter()
        .enumerate()
        .map(|(i, sshd)| {
            home.trust(sshd);
            home.host(&format!("host{i:02}"), sshd)
        })
        .collect();
    let fleet_time = runtime.block_on(async {
        let started = Instant::now();
        let reports = sheriff::cli::hosts::check_hosts(&hosts, home.options()).await;
        assert!(
            reports.iter().all(|r| r.result.is_ok()),
            "a fleet host failed"
        );
        started.elapsed()
    });

    let (s_med, s_mean) = stats(&mut sheriff_seq);
    let (m_med, m_mean) = stats(&mut openssh_mux);
    let (p_med, p_mean) = stats(&mut openssh_plain);
    println!(
        "ssh transport benchmark: sshd on {}:{} (OpenSSH), user {} (/bin/sh)",
        sshd.addr,
        sshd.port,
        sshd::TEST_USER
    );
    println!(
        "connect (TCP, key exchange, host key check, auth): sheriff {:.1} ms, first OpenSSH master {:.1} ms; sheriff round trip (channel open) {:.2} ms",
        ms(connect_time),
        ms(master_time),
        ms(info.latency)
    );
    println!(
        "{:<44} {:>10} {:>10}",
        "100 sequential `true`", "median ms", "mean ms"
    );
    println!(
        "{:<44} {:>10.2} {:>10.2}",
        "sheriff (one ssh2 session, TCP_NODELAY)", s_med, s_mean
    );
    println!(
        "{:<44} {:>10.2} {:>10.2}",
        "OpenSSH ssh, ControlMaster/ControlPersist", m_med, m_mean
    );
    println!(
        "{:<44} {:>10.2} {:>10.2}",
        "OpenSSH ssh, new connection each (20 runs)", p_med, p_mean
    );
    println!(
        "sheriff / OpenSSH-with-master per command (mean): {:.2}x  (floor: <= 1.00x)",
        s_mean / m_mean
    );
    println!(
        "100 concurrent `true` on one host through sheriff: {:.1} ms wall (floor: <= 1000 ms); \
         sheriff's logins on sshd for all of its {} commands: {}",
        ms(concurrent),
        2 * RUNS + 10,
        sheriff_logins
    );
    println!(
        "sheriff hosts on a fleet of 20 sshd (127.0.0.2-21): {:.1} ms wall (floor: <= 2000 ms)",
        ms(fleet_time)
    );
    assert!(
        s_mean <= m_mean,
        "floor missed: sheriff {s_mean:.2} ms > OpenSSH master {m_mean:.2} ms"
    );
    assert_eq!(sheriff_logins, 1, "sheriff used more than one connection");
    assert!(
        fleet_time <= Duration::from_secs(2),
        "floor missed: the fleet took {fleet_time:?}"
    );
    assert!(
        concurrent <= Duration::from_secs(1),
        "floor missed: 100 concurrent took {concurrent:?}"
    );
}
