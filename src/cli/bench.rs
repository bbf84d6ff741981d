//! `sheriff bench`: figures measured in-process, each beside a named peer doing the same
//! work, for docs/performance.md. `scripts/bench` runs these and the external peers.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, List, ListState};
use ratatui::Terminal;

use crate::event::Event;
use crate::logs::LogLine;
use crate::tui::app::Msg;
use crate::tui::{sample, ui};

/// Median and 99th percentile of a set of timings (zero for none).
fn summary(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let last = times.len().saturating_sub(1);
    let at = |q: f64| {
        let index = (last as f64 * q).round() as usize;
        times.get(index).copied().unwrap_or_default()
    };
    (at(0.5), at(0.99))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Draws the full 200x50 screen with `lines` retained log lines, `frames` times, one new
/// line arriving between frames (as while a log streams). The peer is the plain way to
/// show a log in ratatui: a `List` given every retained line each frame.
pub fn draw(lines: usize, frames: usize) -> anyhow::Result<ExitCode> {
    if frames == 0 {
        eprintln!(
            "sheriff bench draw: --frames must be at least 1 (nothing is measured in 0 frames)"
        );
        return Ok(ExitCode::from(2));
    }
    let (width, height) = (200, 50);
    let mut app = sample::app_with(lines);
    app.update(Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height))?;
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames.saturating_add(50) {
        let line = LogLine {
            source: "app@production".into(),
            received: chrono::Utc::now(),
            time: None,
            level: None,
            text: format!("streamed line {i}"),
            origin: None,
        };
        app.update(Msg::Worker(Event::LogLines {
            source: line.source.clone(),
            lines: vec![line],
        }));
        let start = Instant::now();
        terminal.draw(|frame| ui::draw(&app, frame))?;
        if i >= 50 {
            times.push(start.elapsed());
        }
    }
    let (median, p99) = summary(times);

    let texts: Vec<String> = (0..lines)
        .map(|i| {
            format!(
                "12:01:01 app@production INFO request {i} upstream=10.0.0.{} took {}ms",
                i % 250,
                i % 900
            )
        })
        .collect();
    let mut peer_terminal = Terminal::new(TestBackend::new(width, height))?;
    let mut peer_times = Vec::with_capacity(frames);
    for i in 0..frames.saturating_add(50) {
        let start = Instant::now();
        peer_terminal.draw(|frame| {
            let items: Vec<Line> = texts.iter().map(|t| Line::raw(t.as_str())).collect();
            let list = List::new(items).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!("Logs {i}")),
            );
            let mut state = ListState::default().with_selected(Some(lines.saturating_sub(1)));
            frame.render_stateful_widget(list, frame.area(), &mut state);
        })?;
        if i >= 50 {
            peer_times.push(start.elapsed());
        }
    }
    let (peer_median, peer_p99) = summary(peer_times);
    println!("draw 200x50, {lines} retained log lines, {frames} frames");
    println!(
        "  sheriff full screen:             median {} p99 {}",
        ms(median),
        ms(p99)
    );
    println!(
        "  peer (ratatui List, all lines):  median {} p99 {}",
        ms(peer_median),
        ms(peer_p99)
    );
    println!(
        "  ratio sheriff/peer (median):     {:.2}",
        median.as_secs_f64() / peer_median.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Log-like text for the redaction benchmark: access-log, application and structured lines,
/// some with words the prefilter reacts to ("auth", "token", URLs), and a planted secret
/// every `1000 / SECRETS_PER_1000` lines. Deterministic, so runs compare.
pub fn redact_input(bytes: usize) -> (String, usize) {
    const SECRETS: [&str; 5] = [
        "Authorization: Bearer ghp_R7bXq2Lm9TzVw4Ke8NjHa5Ys1Pc6Ud3Fo0Gi",
        "connecting to postgres://app:Wq8zL3vN5t@db1.prod:5432/app",
        "loaded config DB_PASSWORD=Zx9-mK4vQ2pL7sT1 from env",
        "aws key AKIAQ3EGRTY7HJ5KMN2W in use",
        "retry with token=glpat-Hq7Zk2Vm9Xw4Lp8Nc5Bd",
    ];
    const SECRETS_PER_1000: u64 = 3;
    let mut out = String::with_capacity(bytes + 256);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut line, mut planted) = (0u64, 0usize);
    while out.len() < bytes {
        let r = next();
        let ip = format!("10.{}.{}.{}", r % 256, (r >> 8) % 256, (r >> 16) % 256);
        let ms = (r >> 24) % 900;
        let text = if next() % 1000 < SECRETS_PER_1000 {
            planted += 1;
            format!(
                "2026-12-01T12:{:02}:{:02}Z app[{}]: WARN {}",
                line / 60 % 60,
                line % 60,
                r % 30000,
                SECRETS[(r % 5) as usize]
            )
        } else {
            match r % 6 {
                0 | 1 => format!(
                    "{ip} - - [01/Dec/2026:12:00:{:02} +0000] \"GET /api/v1/orders/{} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
                    line % 60,
                    r % 100_000,
                    ms * 7
                ),
                2 => format!(
                    "2026-12-01T12:00:{:02}.{:03}Z INFO  api::handler request_id={:016x} method=GET path=/api/v1/orders status=200 latency_ms={ms}",
                    line % 60,
                    ms,
                    r
                ),
                3 => format!(
                    "2026-12-01T12:00:{:02}Z app[{}]: INFO  user {} signed in via auth-service, session refreshed",
                    line % 60,
                    r % 30000,
                    r % 5000
                ),
                4 => format!(
                    "2026-12-01T12:00:{:02}Z worker[{}]: DEBUG fetched https://cdn.example.org/assets/{:x}.js in {ms}ms",
                    line % 60,
                    r % 30000,
                    r >> 20
                ),
                _ => format!(
                    "2026-12-01T12:00:{:02}Z db[{}]: WARN  slow query took {ms}ms: SELECT id, total FROM orders WHERE customer_id = {}",
                    line % 60,
                    r % 30000,
                    r % 100_000
                ),
            }
        };
        out.push_str(&text);
        out.push('\n');
        line += 1;
    }
    (out, planted)
}

/// A `sed -E` script doing comparable work: the same token shapes, URL passwords,
/// bearer tokens and `password=`-style assignments, substituted in place.
const SED_SCRIPT: &str = r#"s/(gh[pousr]_|github_pat_)[A-Za-z0-9_]{30,}/\1****/g
s/(glpat-)[A-Za-z0-9_-]{20,}/\1****/g
s/(xox[abpors]-)[0-9]+-[A-Za-z0-9-]{6,}/\1****/g
s/(AKIA|ASIA)[A-Z0-9]{16}/\1****/g
s/((sk|rk)_(live|test)_)[A-Za-z0-9]{16,}/\1****/g
s/(AIza)[A-Za-z0-9_-]{35}/\1****/g
s/(npm_)[A-Za-z0-9]{36}/\1****/g
s/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/****/g
s/(bearer +)[A-Za-z0-9._~+\/=-]{8,}/\1****/gI
s/(:\/\/[^\/ :@]+:)[^\/ @]+@/\1****@/g
s/((password|passwd|secret|token|api_?key)[A-Za-z0-9_]*["']? *[:=] *["']?)[^ "',;&]+/\1****/gI
"#;

/// The same shapes as one `grep -E` pattern, for a peer that only finds the lines.
const GREP_PATTERN: &str = r#"(gh[pousr]_|github_pat_)[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|xox[abpors]-[0-9]+-|(AKIA|ASIA)[A-Z0-9]{16}|(sk|rk)_(live|test)_[A-Za-z0-9]{16,}|AIza[A-Za-z0-9_-]{35}|npm_[A-Za-z0-9]{36}|eyJ[A-Za-z0-9_-]{8,}\.eyJ|bearer +[A-Za-z0-9._~+/=-]{8,}|://[^/ :@]+:[^/ @]+@|(password|passwd|secret|token|api_?key)[A-Za-z0-9_]*["']? *[:=]"#;

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

/// CPU time (user + system) this thread has used, or its waited-for children have.
fn cpu_time(children: bool) -> Duration {
    // SAFETY: both calls only write into the zeroed structs passed to them.
    unsafe {
        if children {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
            let tv = |t: libc::timeval| {
                Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
            };
            tv(usage.ru_utime) + tv(usage.ru_stime)
        } else {
            let mut ts: libc::timespec = std::mem::zeroed();
            libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
            Duration::from_secs(ts.tv_sec as u64) + Duration::from_nanos(ts.tv_nsec as u64)
        }
    }
}

/// Times an external peer: the best wall time and the best CPU time of `runs`; None (said
/// why) when it cannot run.
fn time_peer(program: &str, args: &[&str], runs: usize) -> Option<(Duration, Duration)> {
    let mut best: Option<(Duration, Duration)> = None;
    for _ in 0..runs {
        let (start, cpu) = (Instant::now(), cpu_time(true));
        // Output goes to a pipe that is read: GNU grep stops at the first match when its
        // output is /dev/null.
        let out = std::process::Command::new(program)
            .args(args)
            .env("LC_ALL", "C")
            .output();
        let took = (start.elapsed(), cpu_time(true).saturating_sub(cpu));
        match out {
            // grep exits 1 when nothing matched; only a failure to run counts.
            Ok(out) if out.status.code().is_some_and(|c| c <= 1) => {}
            Ok(out) => {
                eprintln!("  {program} failed: {}", out.status);
                return None;
            }
            Err(err) => {
                eprintln!("  {program} not run: {err}");
                return None;
            }
        }
        best = Some(best.map_or(took, |b| (b.0.min(took.0), b.1.min(took.1))));
    }
    best
}

/// Redacts `mb` MB of generated log lines one line at a time, as a log tail does, and runs
/// `sed -E` (the same substitutions) and `grep -E -c` (finding the lines) on the same text.
pub fn redact(mb: usize, runs: usize) -> anyhow::Result<ExitCode> {
    let runs = runs.max(1);
    let (text, planted) = redact_input(mb.max(1) * 1_000_000);
    let lines: Vec<&str> = text.lines().collect();
    let (mut best, mut best_cpu) = (Duration::MAX, Duration::MAX);
    let mut masked = 0;
    for _ in 0..runs {
        let mut stream = crate::redact::Lines::default();
        masked = 0;
        let (start, cpu) = (Instant::now(), cpu_time(false));
        for line in &lines {
            if let std::borrow::Cow::Owned(out) = stream.redact(line) {
                masked += 1;
                std::hint::black_box(out);
            }
        }
        best = best.min(start.elapsed());
        best_cpu = best_cpu.min(cpu_time(false).saturating_sub(cpu));
    }
    let mut file = tempfile::NamedTempFile::new()?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    let mut script = tempfile::NamedTempFile::new()?;
    std::io::Write::write_all(&mut script, SED_SCRIPT.as_bytes())?;
    let path = file.path().to_string_lossy().into_owned();
    let script_path = script.path().to_string_lossy().into_owned();
    let sed = time_peer("sed", &["-E", "-f", &script_path, &path], runs);
    let grep = time_peer("grep", &["-E", "-i", "-c", GREP_PATTERN, &path], runs);

    let bytes = text.len();
    let (ours, ours_cpu) = (mb_per_s(bytes, best), mb_per_s(bytes, best_cpu));
    println!(
        "redact {:.0} MB of log lines ({} lines, {planted} planted secrets), best of {runs}: MB/s of wall time (of CPU time)",
        bytes as f64 / 1e6,
        lines.len()
    );
    println!("  sheriff redact::Lines, one line at a time: {ours:.0} MB/s ({ours_cpu:.0}), {masked} lines masked");
    for (name, took) in [
        ("sed -E -f (same substitutions)", sed),
        ("grep -E -i -c (finds the lines)", grep),
    ] {
        if let Some((wall, cpu)) = took {
            let (theirs, theirs_cpu) = (mb_per_s(bytes, wall), mb_per_s(bytes, cpu));
            println!(
                "  peer {name:<32} {theirs:.0} MB/s ({theirs_cpu:.0}), ratio sheriff/peer {:.2} ({:.2})",
                ours / theirs,
                ours_cpu / theirs_cpu
            );
        }
    }
    // Every planted secret masked, and no clean line touched.
    Ok(if masked == planted {
        ExitCode::SUCCESS
    } else {
        eprintln!("{masked} lines masked, {planted} secrets planted: they should be equal");
        ExitCode::FAILURE
    })
}
