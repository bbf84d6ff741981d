//! Checks that run on a host, against a real OpenSSH sshd on 127.0.0.1 (logging in as the
//! sshd support's test user) and on this machine: the Monitoring Plugins' own `check_*`
//! programs, the host probes (disk, load, memory, io, process, systemd, command), a plugin
//! that cannot run, a host that is down, and 200 checks sharing one connection.
//!
//! One sshd and one pool serve the whole binary. Statics are never dropped, so a watchdog
//! process kills that sshd and removes its temp dirs when this process exits.

#[path = "support/rows.rs"]
mod rows;
#[path = "support/sshd.rs"]
mod sshd;

use rows::{assert_state, only_row};
use std::collections::BTreeSet;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sheriff::checks::engine::{check_once, Resources};
use sheriff::checks::targets::expand;
use sheriff::checks::{CheckRun, CheckStatus};
use sheriff::config::Config;
use sheriff::transport::ssh::SshPool;
use sshd::{fingerprint_of, keygen, Sshd, TestHome};

const PLUGINS: &str = "/usr/lib/nagios/plugins";
/// No run may take longer than this, whatever the host does.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The shared sshd, the pool that reaches it, and the `[hosts]` every test config starts
/// with: `box` (the test user's key), `many` (a key of its own, so its logins can be counted
/// apart, and `max_channels = 8`), and `down` (a port nothing listens on).
struct Bed {
    _home: TestHome,
    sshd: Sshd,
    many_fingerprint: String,
    /// World-readable, so the test user can reach what tests put there.
    scratch: tempfile::TempDir,
    hosts: String,
    pool: SshPool,
    _watchdog: (Child, ChildStdin),
}

fn bed() -> &'static Bed {
    static BED: OnceLock<Bed> = OnceLock::new();
    BED.get_or_init(|| {
        assert!(
            Path::new(PLUGINS).join("check_dummy").exists(),
            "{PLUGINS} is missing: install monitoring-plugins-basic to run these tests"
        );
        let home = TestHome::new();
        let many_key = home.path().join(".ssh/id_many");
        keygen(&many_key, "");
        let sshd = Sshd::start("127.0.0.1", &[&home.key, &many_key]);
        home.trust(&sshd);
        let scratch = tempfile::Builder::new()
            .prefix("sheriff-kinds-")
            .tempdir()
            .expect("tempdir");
        fs::set_permissions(scratch.path(), fs::Permissions::from_mode(0o777)).expect("chmod");
        let watchdog = sshd.clean_up_at_exit(&[home.path(), sshd.dir.path(), scratch.path()]);
        let hosts = format!(
            "[hosts.box]\nssh = \"{dest}\"\nidentity_file = \"{key}\"\n\
             [hosts.many]\nssh = \"{dest}\"\nidentity_file = \"{many}\"\nmax_channels = 8\n\
             [hosts.down]\nssh = \"{user}@127.0.0.1:{closed}\"\nidentity_file = \"{key}\"\n",
            dest = sshd.destination(),
            key = home.key.display(),
            many = many_key.display(),
            user = sshd::TEST_USER,
            closed = closed_port(),
        );
        let pool = SshPool::new(&config(&hosts).hosts, home.options(), None);
        let many_fingerprint =
            fingerprint_of(&PathBuf::from(format!("{}.pub", many_key.display())));
        Bed {
            _home: home,
            sshd,
            many_fingerprint,
            scratch,
            hosts,
            pool,
            _watchdog: watchdog,
        }
    })
}

fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

fn config(toml: &str) -> Config {
    sheriff::config::parse(toml, Path::new("sheriff.toml"))
        .unwrap_or_else(|e| panic!("the config does not load:\n{e}\n---\n{toml}"))
}

/// `[[check]]` named `name` with `body`, on `on` (a host) or here.
fn check(name: &str, on: Option<&str>, body: &str) -> String {
    let on = on.map(|h| format!("on = \"{h}\"\n")).unwrap_or_default();
    format!("[[check]]\nname = \"{name}\"\n{on}{body}\n")
}

/// The first check of `checks`, run once on its first target with the shared pool.
async fn run_check(checks: &str) -> CheckRun {
    let bed = bed();
    let config = config(&format!("{}\n{checks}", bed.hosts));
    let spec = config.checks.first().expect("a [[check]]");
    let target = expand(&config, spec).into_iter().next().expect("a target");
    let res = Resources::new(Some(bed.pool.clone()), None);
    tokio::time::timeout(RUN_LIMIT, check_once(spec, target, &res))
        .await
        .unwrap_or_else(|_| panic!("the check did not finish within {RUN_LIMIT:?}:\n{checks}"))
}

fn nagios(plugin_and_args: &str) -> String {
    format!("nagios = \"{PLUGINS}/{plugin_and_args}\"")
}

/// Where each plugin test runs: here, and on `box` over SSH.
const PLACES: [Option<&str>; 2] = [None, Some("box")];

// ---- the Monitoring Plugins ------------------------------------------------------------

#[tokio::test]
async fn check_load_disk_and_procs_here_and_over_ssh() {
    for on in PLACES {
        let ran = if on.is_some() {
            "(ran box;"
        } else {
            "(ran here;"
        };
        let load = run_check(&check(
            "load",
            on,
            &nagios("check_load -w 1000,1000,1000 -c 2000,2000,2000"),
        ))
        .await;
        let row = only_row(&load);
        assert_state(row, CheckStatus::Ok, "LOAD OK - total load average: ");
        assert!(row.detail.contains(ran), "{}", row.detail);
        let labels: Vec<&str> = row.metrics.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["load1", "load5", "load15"]);
        for metric in &row.metrics {
            assert!(metric.value.is_some_and(|v| v >= 0.0), "{metric:?}");
            assert_eq!(metric.warn.as_deref(), Some("1000.000"), "{metric:?}");
            assert_eq!(metric.state(), Some(CheckStatus::Ok));
        }

        let disk = run_check(&check("disk", on, &nagios("check_disk -w 1% -c 1% -p /"))).await;
        let row = only_row(&disk);
        assert_state(row, CheckStatus::Ok, "DISK OK - free space: / ");
        let root = &row.metrics[0];
        assert_eq!(
            (root.label.as_str(), root.uom.as_str()),
            ("/", "B"),
            "{root:?}"
        );
        assert!(root.value.is_some_and(|v| v > 0.0) && root.max.is_some_and(|m| m > 0.0));
        let full = run_check(&check(
            "disk",
            on,
            &nagios("check_disk -w 100% -c 100% -p /"),
        ))
        .await;
        assert_state(
            only_row(&full),
            CheckStatus::Critical,
            "DISK CRITICAL - free space: / ",
        );

        let procs = run_check(&check("sshd", on, &nagios("check_procs -C sshd -c 1:"))).await;
        let row = only_row(&procs);
        assert_state(row, CheckStatus::Ok, "PROCS OK: ");
        assert!(
            row.summary.contains("with command name 'sshd'"),
            "{}",
            row.summary
        );
        let count = row
            .metrics
            .iter()
            .find(|m| m.label == "procs")
            .and_then(|m| m.value);
        assert!(count.is_some_and(|n| n >= 1.0), "{:?}", row.metrics);
    }
}

#[tokio::test]
async fn check_dummy_exit_codes_become_states_here_and_over_ssh() {
    let cases = [
        (0, CheckStatus::Ok, "OK: said 0"),
        (1, CheckStatus::Warning, "WARNING: said 1"),
        (2, CheckStatus::Critical, "CRITICAL: said 2"),
        (3, CheckStatus::Unknown, "UNKNOWN: said 3"),
        // check_dummy itself refuses a state outside the API, and exits 3.
        (
            5,
            CheckStatus::Unknown,
            "UNKNOWN: Status 5 is not a supported error state",
        ),
    ];
    for on in PLACES {
        for (code, status, summary) in cases {
            let run = run_check(&check(
                "dummy",
                on,
                &nagios(&format!("check_dummy {code} 'said {code}'")),
            ))
            .await;
            let row = only_row(&run);
            assert_eq!(
                (row.status, row.summary.as_str()),
                (status, summary),
                "{on:?} {code}"
            );
        }
        // A plugin that exits 5 itself is unknown, and the row says what it exited.
        let odd = run_check(&check("odd", on, "nagios = \"echo HUH; exit 5\"")).await;
        assert_state(
            only_row(&odd),
            CheckStatus::Unknown,
            "exit 5 is not a plugin state: HUH",
        );
    }
}

#[tokio::test]
async fn a_plugin_without_execute_permission_says_permission_denied() {
    let bed = bed();
    let script = bed.scratch.path().join("check_noexec");
    fs::write(&script, "#!/bin/sh\necho OK\n").expect("write the plugin");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).expect("chmod");
    for on in PLACES {
        let run = run_check(&check(
            "noexec",
            on,
            &format!("nagios = \"{}\"", script.display()),
        ))
        .await;
        assert_state(
            only_row(&run),
            CheckStatus::Unknown,
            "permission denied running the plugin",
        );
    }
}

// ---- host probes over SSH --------------------------------------------------------------

/// `df`'s share in use of `/`, read here: used / (used + available).
fn root_used_percent() -> f64 {
    let out = Command::new("df")
        .args(["-P", "-k", "/"])
        .output()
        .expect("df");
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = text
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    fields[1] * 100.0 / (fields[1] + fields[2])
}

#[tokio::test]
async fn disk_probes_give_a_row_for_a_path_and_one_per_mount() {
    let one = run_check(&check(
        "disk /",
        Some("box"),
        "disk = \"/\"\nwarn = \"99%\"\ncrit = \"99.5%\"",
    ))
    .await;
    let row = only_row(&one);
    assert_eq!(row.item, None);
    assert_state(row, CheckStatus::Ok, "% used, ");
    assert!(row.summary.starts_with("/ "), "{}", row.summary);
    let labels: Vec<&str> = row.metrics.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["used", "free", "inodes"]);
    let used = row.metrics[0].value.expect("used %");
    assert!(
        (used - root_used_percent()).abs() < 1.0,
        "{used}% vs df here"
    );

    let all = run_check(&check("disk *", Some("box"), "disk = \"*\"")).await;
    let mounts: BTreeSet<&str> = all.rows.iter().filter_map(|r| r.item.as_deref()).collect();
    assert_eq!(
        mounts.len(),
        all.rows.len(),
        "one row per mount: {:#?}",
        all.rows
    );
    assert!(mounts.contains("/"), "{mounts:?}");
    for row in &all.rows {
        let mount = row.item.as_deref().unwrap_or_default();
        assert!(
            row.summary.starts_with(&format!("{mount} ")),
            "{}",
            row.summary
        );
        assert!(!row.unreachable);
    }
}

/// A block device this machine has, from /proc/diskstats: the first that is not a loop or
/// ram device, else the first.
fn some_block_device() -> String {
    let stats = fs::read_to_string("/proc/diskstats").expect("read /proc/diskstats");
    let names: Vec<&str> = stats
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    names
        .iter()
        .find(|n| !n.starts_with("loop") && !n.starts_with("ram"))
        .or(names.first())
        .expect("a device in /proc/diskstats")
        .to_string()
}

#[tokio::test]
async fn load_memory_io_and_process_probes_over_ssh() {
    let load = run_check(&check(
        "load",
        Some("box"),
        "load = 5\nwarn = 1000\ncrit = 2000",
    ))
    .await;
    let row = only_row(&load);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_state(row, CheckStatus::Ok, &format!("(5 min) on {cores} cores: "));
    assert_eq!(row.metrics.len(), 3);

    let memory = run_check(&check(
        "memory",
        Some("box"),
        "memory = true\nwarn = \"99.8%\"\ncrit = \"99.9%\"",
    ))
    .await;
    let row = only_row(&memory);
    assert_state(row, CheckStatus::Ok, " used (");
    assert!(row.summary.starts_with("memory "), "{}", row.summary);
    let used = row.metrics[0].value.expect("used %");
    assert!((0.0..=100.0).contains(&used), "{used}");

    let device = some_block_device();
    let io = run_check(&check(
        "io",
        Some("box"),
        &format!("io = \"{device}\"\nwarn = \"100%\"\ncrit = \"100%\""),
    ))
    .await;
    let row = only_row(&io);
    assert!(
        row.summary.starts_with(&format!("{device} ")),
        "{}",
        row.summary
    );
    assert!(row.summary.ends_with(" busy"), "{}", row.summary);
    let util = row.metrics[0].value.expect("util %");
    assert!((0.0..=100.0).contains(&util), "{util}");
    assert_ne!(row.status, CheckStatus::Unknown, "{}", row.summary);
    let none = run_check(&check("io", Some("box"), "io = \"nosuchdisk9\"")).await;
    assert_state(
        only_row(&none),
        CheckStatus::Unknown,
        "no device nosuchdisk9 in /proc/diskstats",
    );

    let sshd = run_check(&check("sshd", Some("box"), "process = \"sshd\"")).await;
    let row = only_row(&sshd);
    assert_state(row, CheckStatus::Ok, "sshd process");
    assert!(
        row.metrics[0].value.is_some_and(|n| n >= 1.0),
        "{:?}",
        row.metrics
    );
    let missing = run_check(&check("ghost", Some("box"), "process = \"no-such-daemon\"")).await;
    assert_state(
        only_row(&missing),
        CheckStatus::Critical,
        "no no-such-daemon process running (want at least 1)",
    );
}

#[tokio::test]
async fn systemd_probes_without_systemd_are_unknown_and_say_so() {
    // This machine runs no systemd (PID 1 is something else), though systemctl exists.
    let one = run_check(&check(
        "sshd unit",
        Some("box"),
        "systemd = \"ssh.service\"",
    ))
    .await;
    let row = only_row(&one);
    assert_state(row, CheckStatus::Unknown, "is systemd running here?");
    assert!(
        row.summary.contains("not been booted with systemd"),
        "{}",
        row.summary
    );

    let failed = run_check(&check("failed units", Some("box"), "systemd = \"*\"")).await;
    let row = only_row(&failed);
    assert_state(row, CheckStatus::Unknown, "not been booted with systemd");
}

#[tokio::test]
async fn command_checks_are_ok_on_exit_zero_only() {
    let ok = run_check(&check(
        "ok",
        Some("box"),
        "command = \"echo all good; id -un\"",
    ))
    .await;
    assert_state(only_row(&ok), CheckStatus::Ok, "all good");
    assert!(
        only_row(&ok).detail.contains(sshd::TEST_USER),
        "it ran as the test user"
    );
    let bad = run_check(&check(
        "bad",
        Some("box"),
        "command = \"echo backup is 3 days old >&2; exit 1\"",
    ))
    .await;
    let row = only_row(&bad);
    assert_eq!(
        (row.status, row.summary.as_str()),
        (CheckStatus::Critical, "exit 1: backup is 3 days old")
    );
}

#[tokio::test]
async fn a_host_that_is_down_makes_its_rows_unreachable_not_critical() {
    let bed = bed();
    for body in [
        nagios("check_dummy 0 fine"),
        "disk = \"/\"".to_string(),
        "load = 5".to_string(),
    ] {
        let run = run_check(&check("on a dead host", Some("down"), &body)).await;
        let row = only_row(&run);
        assert!(row.unreachable, "{body}: {row:#?}");
        assert_eq!(row.status, CheckStatus::Unknown, "{body}: {}", row.summary);
        assert!(row.summary.contains("refused"), "{body}: {}", row.summary);
        let state = bed.pool.state("down").expect("the host's state");
        assert!(!state.is_up(), "{state}");
        assert!(
            ["unreachable", "retrying"]
                .iter()
                .any(|w| row.summary.starts_with(w)),
            "the host's state, not the check's: {}",
            row.summary
        );
    }
}

/// Plugins that close their output, then exit 2 a moment later, while other commands on
/// the same connection keep printing: the server's EOF comes before the exit status, and
/// other channels' packets arrive in between.
#[tokio::test]
async fn an_exit_status_after_eof_is_still_the_plugins() {
    let late = check(
        "late exit",
        Some("box"),
        "nagios = \"exec >/dev/null 2>&1; sleep 0.2; exit 2\"",
    );
    let chatter = check(
        "chatter",
        Some("box"),
        "command = \"seq 1 60000 | while read -r n; do echo line $n; done\"",
    );
    let lates = (0..4).map(|_| run_check(&late));
    let chatters = (0..4).map(|_| run_check(&chatter));
    let (lates, chatters) = tokio::join!(
        futures::future::join_all(lates),
        futures::future::join_all(chatters)
    );
    for run in &chatters {
        assert_state(only_row(run), CheckStatus::Ok, "line 1");
    }
    for run in &lates {
        let row = only_row(run);
        assert_state(row, CheckStatus::Critical, "the plugin printed nothing");
        assert!(row.detail.contains("exit 2)"), "{}", row.detail);
    }
}

// ---- many checks, one connection -------------------------------------------------------

/// What check_dummy 0, 1, 2 and 3 give.
const STATES: [(CheckStatus, &str); 4] = [
    (CheckStatus::Ok, "OK"),
    (CheckStatus::Warning, "WARNING"),
    (CheckStatus::Critical, "CRITICAL"),
    (CheckStatus::Unknown, "UNKNOWN"),
];

#[tokio::test]
async fn two_hundred_checks_on_one_host_share_one_connection() {
    let bed = bed();
    let log = bed.scratch.path().join("many.log");
    fs::File::create(&log).expect("create the log");
    fs::set_permissions(&log, fs::Permissions::from_mode(0o666)).expect("chmod");
    // Each check notes its start and end, so the most at once can be counted afterwards.
    let mut checks = String::new();
    // Exit codes 0..3 in turn: each row must get its own plugin's state, however the
    // channels' packets interleave on the one connection.
    for i in 0..200 {
        let code = i % 4;
        checks.push_str(&format!(
            "[[check]]\nname = \"n{i}\"\non = \"many\"\ntimeout = \"50s\"\n\
             nagios = \"echo + >> {log}; sleep 0.05; echo - >> {log}; {PLUGINS}/check_dummy {code} 'n{i}'\"\n",
            log = log.display()
        ));
    }
    let logins_before = many_logins(bed);
    let config = config(&format!("{}\n{checks}", bed.hosts));
    let res = Resources::new(Some(bed.pool.clone()), None);
    let started = Instant::now();
    let runs = config.checks.iter().map(|spec| {
        let target = expand(&config, spec).remove(0);
        let res = res.clone();
        async move { check_once(spec, target, &res).await }
    });
    let runs = tokio::time::timeout(RUN_LIMIT, futures::future::join_all(runs))
        .await
        .expect("200 checks within the limit");
    for (i, run) in runs.iter().enumerate() {
        let row = only_row(run);
        let (status, word) = STATES[i % 4];
        assert_eq!(
            (row.status, row.summary.as_str()),
            (status, format!("{word}: n{i}").as_str()),
            "{}",
            row.detail
        );
    }
    assert_eq!(
        many_logins(bed) - logins_before,
        1,
        "one login for 200 checks"
    );
    let marks = fs::read_to_string(&log).expect("read the log");
    let (mut running, mut most) = (0i32, 0i32);
    for mark in marks.lines() {
        running += if mark == "+" { 1 } else { -1 };
        most = most.max(running);
    }
    assert_eq!(marks.lines().count(), 400);
    assert!(
        (2..=8).contains(&most),
        "at most max_channels at once, and more than one: {most}"
    );
    eprintln!(
        "200 checks over one connection in {:?}, {most} at once",
        started.elapsed()
    );
}

/// Logins sshd accepted with `many`'s key.
fn many_logins(bed: &Bed) -> usize {
    bed.sshd
        .log()
        .lines()
        .filter(|l| l.contains("Accepted publickey for") && l.contains(&bed.many_fingerprint))
        .count()
}
