//! The Logs pane under a flood, in one run: 200,000 lines a second appended to a followed
//! file for 10 s while the app takes every batch and draws a 200x50 frame. Every line
//! written must be counted by the pane (shown, or dropped from its buffer and counted);
//! frames are timed; memory is read from /proc before and at the end.
//!
//! Then 10 hosts (sshd on 127.0.0.2–11) each appending 1,000 lines a second for 20 s:
//! sheriff's remote tails on the SSH pool against 10 OpenSSH `ssh HOST tail -F` processes,
//! as CPU seconds on this machine (the sshd side counts for neither).
//!
//! Run: `cargo bench --bench logs` (`-- ingest` or `-- fleet` for one part; as root, like
//! the SSH tests). Results go to docs/performance.md.

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use sheriff::config::{Config, LogSource, LogSpec, Target};
use sheriff::event::Event;
use sheriff::logs::parse::Format;
use sheriff::tui::app::Msg;
use sheriff::tui::{sample, ui};

const RATE: u64 = 200_000;
const SECONDS: u64 = 10;
/// The runner's `BATCH`: events taken per wake before a frame is drawn.
const BATCH: usize = 2048;

/// VmRSS and VmHWM (peak) of this process, in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn pick(sorted: &[Duration], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0
}

fn live_ingest(cap_mib: usize) {
    // As `sheriff` itself does first thing.
    sheriff::memory::tune_allocator();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("app.log");
    std::fs::write(&path, "").expect("create log");
    let mut config = Config::default();
    config.logs.push(LogSpec {
        name: "app".into(),
        target: Target::Local,
        source: LogSource::File(path.display().to_string()),
        format: Format::Auto,
    });
    config.logs_view.buffer = cap_mib * 1024 * 1024;
    let cap = config.logs_view.buffer;
    let rt = sheriff::workers::runtime().expect("runtime");
    let mut app = sample::app_with(0);
    app.logs.configure(&config.logs_view);
    app.update(Msg::Resize(200, 50));
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let (tx, mut rx) = sheriff::event::channel();
    let workers = {
        let _guard = rt.enter();
        sheriff::workers::start(&config, tx)
    };
    let (rss_before, _) = memory();
    let mut writer = Some(std::thread::spawn(move || {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        let started = Instant::now();
        let mut written = 0u64;
        let mut chunk = Vec::with_capacity(1 << 20);
        while started.elapsed() < Duration::from_secs(SECONDS) {
            // Catch up to the rate every 5 ms.
            let due = (started.elapsed().as_secs_f64() * RATE as f64) as u64;
            chunk.clear();
            while written < due {
                let _ = writeln!(
                    chunk,
                    "2026-12-01T10:{:02}:{:02}.{:06}Z INFO  [exec-{}] orders - GET /api/orders/{written} 200 {}ms",
                    written / 60_000_000 % 60,
                    written / 1_000_000 % 60,
                    written % 1_000_000,
                    written % 20,
                    written % 900
                );
                written += 1;
            }
            file.write_all(&chunk).expect("append");
            std::thread::sleep(Duration::from_millis(5));
        }
        written
    }));
    let started = Instant::now();
    let mut frames = Vec::new();
    let mut draws = Vec::new();
    let mut written = None;
    loop {
        let frame = Instant::now();
        for _ in 0..BATCH {
            let Ok(event) = rx.try_recv() else { break };
            if matches!(event, Event::LogLines { .. }) {
                app.update(Msg::Worker(event));
            }
        }
        let drawing = Instant::now();
        terminal.draw(|f| ui::draw(&app, f)).expect("draw");
        draws.push(drawing.elapsed());
        frames.push(frame.elapsed());
        if writer.as_ref().is_some_and(|w| w.is_finished()) {
            written = writer.take().and_then(|w| w.join().ok());
        }
        let (taken, _, _) = app.logs.counts();
        if written.is_some_and(|w| taken >= w)
            || started.elapsed() > Duration::from_secs(SECONDS + 30)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(16).saturating_sub(frame.elapsed()));
    }
    let took = started.elapsed();
    drop(workers);
    let (rss_after, peak) = memory();
    // SAFETY: mallinfo2 only reads the allocator's counters.
    let heap = unsafe { libc::mallinfo2() };
    let mib = |b: usize| b as f64 / 1048576.0;
    println!(
        "  heap: {:.1} MiB in use, {:.1} MiB free but held, {:.1} MiB mapped",
        mib(heap.uordblks + heap.hblkhd),
        mib(heap.fordblks),
        mib(heap.hblkhd)
    );
    let written = written.unwrap_or(0);
    let (taken, dropped, used) = app.logs.counts();
    frames.sort();
    draws.sort();
    println!(
        "live ingest: {RATE} lines/s for {SECONDS} s into a followed file, a 200x50 frame every 16 ms"
    );
    println!(
        "  written {written}, taken by the pane {taken} (kept {}, dropped from the buffer and counted {dropped}), lost {}",
        taken - dropped,
        written.saturating_sub(taken)
    );
    println!(
        "  all taken {:.1} s after the writer started",
        took.as_secs_f64()
    );
    println!(
        "  drawing a frame: median {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} frames)",
        pick(&draws, 0.5),
        pick(&draws, 0.99),
        pick(&draws, 1.0),
        draws.len()
    );
    println!(
        "  taking the frame's batches and drawing: median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pick(&frames, 0.5),
        pick(&frames, 0.99),
        pick(&frames, 1.0)
    );
    println!(
        "  buffer: {:.1} MiB of a {:.0} MiB cap; RSS {:.1} MiB before, {:.1} MiB after, peak {:.1} MiB: growth {:.1} MiB = {:.0}% of the cap",
        used as f64 / 1048576.0,
        cap as f64 / 1048576.0,
        rss_before,
        rss_after,
        peak,
        peak - rss_before,
        (peak - rss_before) / (cap as f64 / 1048576.0) * 100.0
    );
}

fn cpu(who: i32) -> Duration {
    // SAFETY: getrusage fills the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut usage) };
    let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Appends `per_second` lines a second to each file for `span`, in 10 ms steps.
fn write_lines(files: Vec<std::path::PathBuf>, per_second: u64, span: Duration) -> u64 {
    let mut open: Vec<std::fs::File> = files
        .iter()
        .map(|p| {
            std::fs::OpenOptions::new()
                .append(true)
                .open(p)
                .expect("open")
        })
        .collect();
    let started = Instant::now();
    let mut written = 0u64;
    while started.elapsed() < span {
        let due = (started.elapsed().as_secs_f64() * per_second as f64) as u64;
        while written < due {
            for (host, file) in open.iter_mut().enumerate() {
                let _ = writeln!(
                    file,
                    "2026-12-01T10:00:{:02}.{:03}Z INFO  [exec-{host}] orders - GET /api/orders/{written} 200 12ms",
                    written / 1000 % 60,
                    written % 1000
                );
            }
            written += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    written * files.len() as u64
}

fn remote_fleet() {
    use sheriff::logs::remote::{self, RemoteTail};
    use sheriff::transport::ssh::SshPool;
    use sshd::{Sshd, TestHome};
    const HOSTS: usize = 10;
    const PER_SECOND: u64 = 1000;
    let span = Duration::from_secs(20);
    let home = TestHome::new();
    let fleet = Sshd::start_fleet(2..2 + HOSTS, &[&home.key]);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let files: Vec<std::path::PathBuf> = (0..HOSTS)
        .map(|i| {
            let path = dir.path().join(format!("app{i}.log"));
            std::fs::write(&path, "").expect("create");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            path
        })
        .collect();
    let mut config = Config::default();
    for (i, sshd) in fleet.iter().enumerate() {
        home.trust(sshd);
        config.hosts.push(home.host(&format!("host{i:02}"), sshd));
    }

    // sheriff: one remote tail per host on one pool, every line counted.
    let rt = sheriff::workers::runtime().expect("runtime");
    let pool = SshPool::new(&config.hosts, home.options(), None);
    let (tx, mut rx) = sheriff::event::channel();
    let before = cpu(libc::RUSAGE_SELF);
    let tails: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let tail = RemoteTail::new(
                format!("app@host{i:02}"),
                format!("host{i:02}"),
                path.display().to_string(),
            );
            rt.spawn(remote::run(tail, pool.clone(), tx.clone()))
        })
        .collect();
    // Let every tail connect and start before the writing starts.
    std::thread::sleep(Duration::from_secs(2));
    let writer = {
        let files = files.clone();
        std::thread::spawn(move || write_lines(files, PER_SECOND, span))
    };
    let mut received = 0u64;
    let deadline = Instant::now() + span + Duration::from_secs(10);
    let mut written = None;
    let mut writer = Some(writer);
    while Instant::now() < deadline {
        let next = rt
            .block_on(async { tokio::time::timeout(Duration::from_millis(100), rx.recv()).await });
        if let Ok(Some(Event::LogLines { lines, .. })) = next {
            received += lines.iter().filter(|l| !l.is_mark()).count() as u64;
        }
        if writer.as_ref().is_some_and(|w| w.is_finished()) {
            written = writer.take().and_then(|w| w.join().ok());
        }
        if written.is_some_and(|w| received >= w) {
            break;
        }
    }
    let sheriff_cpu = cpu(libc::RUSAGE_SELF) - before;
    for tail in tails {
        tail.abort();
    }
    drop(pool);
    let written = written.unwrap_or(0);

    // OpenSSH: `ssh HOST tail -F FILE` per host, the same lines again.
    for path in &files {
        std::fs::write(path, "").expect("truncate");
    }
    let before = cpu(libc::RUSAGE_CHILDREN);
    let mut children: Vec<Child> = fleet
        .iter()
        .zip(&files)
        .map(|(sshd, path)| {
            let mut cmd = home.openssh(sshd, &[]);
            cmd.arg(format!("tail -n 0 -F {}", path.display()))
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            cmd.spawn().expect("ssh")
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    write_lines(files.clone(), PER_SECOND, span);
    std::thread::sleep(Duration::from_secs(1));
    for child in &mut children {
        let _ = child.kill();
        let _ = child.wait();
    }
    let openssh_cpu = cpu(libc::RUSAGE_CHILDREN) - before;
    println!(
        "remote tails: {HOSTS} hosts over SSH, {PER_SECOND} lines/s each for {} s",
        span.as_secs()
    );
    println!(
        "  sheriff (one pool, {HOSTS} tails): {:.2} s CPU; written {written}, received {received}, lost {}",
        sheriff_cpu.as_secs_f64(),
        written.saturating_sub(received)
    );
    println!(
        "  OpenSSH ({HOSTS} x `ssh HOST tail -F`): {:.2} s CPU",
        openssh_cpu.as_secs_f64()
    );
    println!(
        "  sheriff/OpenSSH = {:.2}",
        sheriff_cpu.as_secs_f64() / openssh_cpu.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` (CI) runs this binary
    // without it, and a benchmark has no place there: compiled, not run.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benches/logs.rs: run with `cargo bench --bench logs`");
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    // `--cap MIB`: the buffer's budget (default: the default, 64 MiB).
    let cap = args
        .iter()
        .position(|a| a == "--cap")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let only = args
        .iter()
        .find(|a| ["ingest", "fleet"].contains(&a.as_str()));
    if only.is_none_or(|o| o == "ingest") {
        live_ingest(cap);
    }
    if only.is_none_or(|o| o == "fleet") {
        remote_fleet();
    }
}
