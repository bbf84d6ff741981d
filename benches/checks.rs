//! sheriff's check engine beside the tools people run checks with, in one run:
//!
//! 1. 1,000 HTTP checks every 10 s against a loopback server for 30 s: sheriff's CPU
//!    seconds against `curl` in a shell loop and Debian's `check_http` making the same
//!    number of requests (ratios of CPU seconds; the server is another process and counts
//!    for nobody).
//! 2. A burst of 10,000 HTTP checks started at once through the normal workers, while the
//!    TUI's app takes every result and draws a 200x50 frame: time until the last result,
//!    and the frame times.
//! 3. 200 `nagios` checks over SSH on a fleet of 20 sshd: wall time and logins, against
//!    OpenSSH `ssh` running the same 200 plugins, 20 at a time.
//!
//! Run: `cargo bench --bench checks` (as root: it starts sshd and creates the test user,
//! like the tests; needs python3, curl and monitoring-plugins-basic). Results go to
//! docs/performance.md.

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sheriff::checks::engine::{check_once, Resources};
use sheriff::checks::targets::expand;
use sheriff::config::{CheckKind, CheckSpec, Config, HttpSpec, Target};
use sheriff::event::Event;
use sheriff::transport::ssh::SshPool;
use sheriff::tui::app::{Msg, Reload};
use sheriff::tui::keymap::Keymap;
use sheriff::tui::theme::{ColorDepth, Theme};
use sheriff::tui::{sample, ui};
use sshd::{Sshd, TestHome};

/// The runner's `BATCH`: events taken per wake before a frame is drawn.
const BATCH: usize = 2048;
const PLUGIN: &str = "/usr/lib/nagios/plugins/check_load -w 5,4,3 -c 10,8,6";

fn cpu_self() -> Duration {
    rusage(libc::RUSAGE_SELF)
}

fn cpu_children() -> Duration {
    rusage(libc::RUSAGE_CHILDREN)
}

fn rusage(who: i32) -> Duration {
    // SAFETY: getrusage fills the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// `python3 -m http.server` on a free loopback port, serving one small file.
fn loopback_server() -> (Child, u16, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("healthz"), "{\"status\":\"ok\"}\n").expect("write");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m http.server");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port, dir)
}

fn http_config(url: &str, count: usize, every: Duration) -> Config {
    let mut config = Config::default();
    for i in 0..count {
        let mut spec = CheckSpec::new(
            &format!("http {i:05}"),
            Target::Local,
            CheckKind::Http(HttpSpec::get(url)),
        );
        spec.every = every;
        spec.timeout = Duration::from_secs(5);
        config.checks.push(spec);
    }
    config
}

/// The app's own runtime: its workers give way to the thread that draws.
fn runtime() -> tokio::runtime::Runtime {
    sheriff::workers::runtime().expect("tokio runtime")
}

/// Part 1: CPU per request, sheriff against curl and check_http.
fn steady_http() {
    let (mut server, port, _dir) = loopback_server();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let span = Duration::from_secs(30);
    let config = http_config(&url, 1000, Duration::from_secs(10));
    let rt = runtime();
    let cpu_before = cpu_self();
    let started = Instant::now();
    let requests = rt.block_on(async {
        let (tx, mut rx) = sheriff::event::channel();
        let workers = sheriff::workers::start(&config, tx);
        let mut seen = 0usize;
        let deadline = tokio::time::Instant::now() + span;
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            if let Event::Check(run) = event {
                seen += run.rows.len();
            }
        }
        drop(workers);
        seen
    });
    let wall = started.elapsed();
    let sheriff_cpu = cpu_self() - cpu_before;
    drop(rt);

    let peer = |label: &str, command: String| {
        let before = cpu_children();
        let started = Instant::now();
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "i=0; while [ $i -lt {requests} ]; do {command} >/dev/null 2>&1; i=$((i+1)); done"
            ))
            .status()
            .expect("sh");
        assert!(status.success(), "{label} loop failed");
        (cpu_children() - before, started.elapsed())
    };
    let (curl_cpu, curl_wall) = peer("curl", format!("curl -s -o /dev/null {url}"));
    let (plugin_cpu, plugin_wall) = peer(
        "check_http",
        format!("/usr/lib/nagios/plugins/check_http -H 127.0.0.1 -p {port} -u /healthz"),
    );
    let _ = server.kill();
    let core_share = sheriff_cpu.as_secs_f64() / wall.as_secs_f64() * 100.0;
    println!(
        "1,000 HTTP checks every 10 s, {:.0} s: {requests} requests",
        wall.as_secs_f64()
    );
    println!(
        "  sheriff    {:>7.3} s CPU ({core_share:.2}% of one core)",
        sheriff_cpu.as_secs_f64()
    );
    println!(
        "  curl loop  {:>7.3} s CPU ({:.1} s wall)  sheriff/curl = {:.3}",
        curl_cpu.as_secs_f64(),
        curl_wall.as_secs_f64(),
        sheriff_cpu.as_secs_f64() / curl_cpu.as_secs_f64()
    );
    println!(
        "  check_http {:>7.3} s CPU ({:.1} s wall)  sheriff/check_http = {:.3}",
        plugin_cpu.as_secs_f64(),
        plugin_wall.as_secs_f64(),
        sheriff_cpu.as_secs_f64() / plugin_cpu.as_secs_f64()
    );
}

/// Part 2: 10,000 checks at once through the workers while the app draws.
fn burst_while_drawing() {
    let rt = runtime();
    let server = rt.block_on(async {
        sheriff::demo::services::Service::bind(sheriff::demo::services::Behaviour::Healthy)
            .await
            .expect("bind")
    });
    let addr = server.addr().expect("address");
    rt.spawn(server.serve());
    let url = format!("http://{addr}/healthz");
    let count = 10_000;
    let config = http_config(&url, count, Duration::from_secs(3600));
    let mut app = sample::app_with(2_000);
    // As the runner does: the app is configured with the checks the workers run.
    app.update(Msg::Reloaded(Ok(Box::new(Reload {
        config: config.clone(),
        keymap: Keymap::builtin_default(),
        theme: Theme::builtin_default(ColorDepth::TrueColor),
    }))));
    app.update(Msg::Resize(200, 50));
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let (tx, mut rx) = sheriff::event::channel();
    let started = Instant::now();
    let workers = {
        let _guard = rt.enter();
        sheriff::workers::start(&config, tx)
    };
    let mut results = 0;
    let mut frames = Vec::new();
    let mut draws = Vec::new();
    while results < count {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "burst did not finish"
        );
        let frame = Instant::now();
        // As the runner does: at most a batch of queued events per frame.
        for _ in 0..BATCH {
            let Ok(event) = rx.try_recv() else { break };
            if let Event::Check(run) = &event {
                results += run.rows.len();
            }
            app.update(Msg::Worker(event));
        }
        let drawing = Instant::now();
        terminal.draw(|f| ui::draw(&app, f)).expect("draw");
        draws.push(drawing.elapsed());
        frames.push(frame.elapsed());
        std::thread::sleep(Duration::from_millis(16).saturating_sub(frame.elapsed()));
    }
    let burst = started.elapsed();
    drop(workers);
    frames.sort();
    draws.sort();
    let pick =
        |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!(
        "burst of {count} HTTP checks: last result after {:.2} s; {} frames",
        burst.as_secs_f64(),
        frames.len(),
    );
    println!(
        "  drawing a frame: median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pick(&draws, 0.5),
        pick(&draws, 0.99),
        pick(&draws, 1.0)
    );
    println!(
        "  taking the frame's results and drawing: median {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pick(&frames, 0.5),
        pick(&frames, 0.99),
        pick(&frames, 1.0)
    );
}

/// Part 3: 200 plugins over SSH on 20 hosts, sheriff against OpenSSH.
fn fleet_nagios() {
    let home = TestHome::new();
    let fleet = Sshd::start_fleet(2..22, &[&home.key]);
    let mut config = Config::default();
    for (i, sshd) in fleet.iter().enumerate() {
        home.trust(sshd);
        config.hosts.push(home.host(&format!("host{i:02}"), sshd));
    }
    for i in 0..10 {
        for host in 0..fleet.len() {
            let mut spec = CheckSpec::new(
                &format!("load {i}"),
                Target::Host(format!("host{host:02}")),
                CheckKind::Nagios {
                    command: PLUGIN.into(),
                },
            );
            spec.timeout = Duration::from_secs(30);
            config.checks.push(spec);
        }
    }
    let rt = runtime();
    let pool = SshPool::new(&config.hosts, home.options(), None);
    let resources = Resources::new(Some(pool), None);
    let started = Instant::now();
    let states = rt.block_on(async {
        let runs = config.checks.iter().flat_map(|spec| {
            expand(&config, spec)
                .into_iter()
                .map(|target| check_once(spec, target, &resources))
        });
        futures::future::join_all(runs).await
    });
    let sheriff_wall = started.elapsed();
    let ok = states
        .iter()
        .flat_map(|r| &r.rows)
        .filter(|r| r.summary.starts_with("LOAD"))
        .count();
    let logins: usize = fleet.iter().map(Sshd::logins).sum();
    drop(resources);

    let started = Instant::now();
    let mut pending: Vec<Child> = Vec::new();
    let mut done = 0;
    for round in 0..10 {
        let _ = round;
        for sshd in &fleet {
            let mut cmd = home.openssh(sshd, &[]);
            cmd.arg(PLUGIN).stdout(Stdio::null()).stderr(Stdio::null());
            pending.push(cmd.spawn().expect("ssh"));
        }
        for mut child in pending.drain(..) {
            if child.wait().is_ok() {
                done += 1;
            }
        }
    }
    let openssh_wall = started.elapsed();
    let openssh_logins: usize = fleet.iter().map(Sshd::logins).sum::<usize>() - logins;
    println!("200 nagios checks over SSH on 20 hosts:");
    println!(
        "  sheriff  {:.2} s, {ok} plugin answers, {logins} logins",
        sheriff_wall.as_secs_f64()
    );
    println!(
        "  openssh  {:.2} s, {done} runs (20 at a time), {openssh_logins} logins  sheriff/openssh = {:.3}",
        openssh_wall.as_secs_f64(),
        sheriff_wall.as_secs_f64() / openssh_wall.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` (CI) runs this binary
    // without it, and a benchmark has no place there: compiled, not run.
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("benches/checks.rs: run with `cargo bench --bench checks`");
        return;
    }
    let only = args
        .iter()
        .find(|a| ["steady", "burst", "fleet"].contains(&a.as_str()));
    if only.is_none_or(|o| o == "burst") {
        burst_while_drawing();
    }
    if only.is_none_or(|o| o == "fleet") {
        fleet_nagios();
    }
    if only.is_none_or(|o| o == "steady") {
        steady_http();
    }
}
