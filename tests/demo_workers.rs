//! The demo sandbox through the real workers, and the workers against real sockets and
//! files: what `sheriff demo` shows in its first seconds, and the failures it must name.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::time::{Duration, Instant};

use sheriff::checks::engine::{check_once, Resources};
use sheriff::checks::{CheckResult, CheckStatus, CheckTarget};
use sheriff::config::{condition_list, CheckKind, CheckSpec, HttpSpec, Target};
use sheriff::demo::{Sandbox, PROD_DB_PASSWORD, STAGING_DB_PASSWORD};
use sheriff::drift::compare::Status;
use sheriff::drift::DriftReport;
use sheriff::event::Event;
use sheriff::event::{channel, EventsRx};
use sheriff::logs::tail::{self, FileTail};

/// What the four panes have been fed so far.
#[derive(Default)]
struct Seen {
    checks: Vec<CheckResult>,
    log_sources: BTreeSet<String>,
    /// What the demo's command log printed, as the Logs pane gets it.
    deploys: Vec<String>,
    drift: Option<DriftReport>,
}

impl Seen {
    fn check(&self, target: &str, status: CheckStatus) -> bool {
        self.checks
            .iter()
            .any(|c| c.check == "api" && c.target == target && c.status == status)
    }

    fn row(&self, check: &str, target: &str) -> Option<&CheckResult> {
        self.checks
            .iter()
            .rev()
            .find(|c| c.check == check && c.target == target)
    }

    fn complete(&self) -> bool {
        self.check("production", CheckStatus::Ok)
            && self.check("staging", CheckStatus::Critical)
            && self.row("disk /srv", "production").is_some()
            && self.row("queue", "production").is_some()
            && self.row("app running", "staging").is_some()
            && self.row("app running", "production").is_some()
            && self.log_sources.contains("app@production")
            && self.log_sources.contains("nginx@staging")
            && !self.deploys.is_empty()
            && self.drift.is_some()
    }
}

async fn collect_until(rx: &mut EventsRx, seen: &mut Seen, deadline: Duration) {
    let until = tokio::time::Instant::now() + deadline;
    while !seen.complete() {
        let event = match tokio::time::timeout_at(until, rx.recv()).await {
            Ok(Some(event)) => event,
            _ => return,
        };
        match event {
            Event::Check(run) => seen.checks.extend(run.rows),
            Event::LogLines { source, lines } => {
                assert!(lines.iter().all(|l| l.source == source));
                if source == "deploys" {
                    seen.deploys.extend(lines.iter().map(|l| l.text.clone()));
                }
                if !lines.is_empty() {
                    seen.log_sources.insert(source);
                }
            }
            Event::Drift(d) => seen.drift = Some(*d),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_feeds_all_four_panes() {
    let started = Instant::now();
    let sandbox = Sandbox::create().await.expect("sandbox");
    let took = started.elapsed();
    // The 50 ms budget is measured by `scripts/bench startup` (start to every pane
    // alive); here only a wait on something that does not answer would fail.
    assert!(
        took < Duration::from_secs(5),
        "Sandbox::create took {took:?}"
    );

    let config = sheriff::config::load(sandbox.config_path()).expect("the demo config loads");
    assert!(sandbox.dir().join("handoff.jsonl").is_file());
    assert!(sandbox.dir().join("bugs").is_dir());

    let (tx, mut rx) = channel();
    let workers = sheriff::workers::start(&config, tx);
    assert_eq!(
        workers.len(),
        6 + 3 + 1,
        "six checks (api and app running on two envs, disk and queue on production), \
         three logs (two files, one command), one drift"
    );

    let mut seen = Seen::default();
    collect_until(&mut rx, &mut seen, Duration::from_secs(6)).await;
    let summaries: Vec<String> = seen
        .checks
        .iter()
        .map(|c| format!("{} {} {}", c.target, c.status, c.summary))
        .collect();
    // The Nagios-style plugin's perfdata is a metric with its thresholds, for the forecast.
    let disk = seen.row("disk /srv", "production").expect("disk row");
    let used = disk
        .metrics
        .iter()
        .find(|m| m.label == "used")
        .expect("used metric");
    assert_eq!(
        (used.warn.as_deref(), used.crit.as_deref()),
        (Some("80"), Some("90"))
    );
    assert!(
        disk.summary.starts_with("DISK OK - /srv 6"),
        "{}",
        disk.summary
    );
    let queue = seen.row("queue", "production").expect("queue row");
    assert!(queue.summary.starts_with("QUEUE "), "{}", queue.summary);
    // The command check: production's app writes its pid file, staging's does not run.
    let up = seen.row("app running", "production").expect("app row");
    assert_eq!(up.status, CheckStatus::Ok, "{}", up.summary);
    assert!(up.summary.starts_with("app up, pid "), "{}", up.summary);
    let down = seen.row("app running", "staging").expect("app row");
    assert_eq!(down.status, CheckStatus::Critical, "{}", down.summary);
    assert!(seen.check("production", CheckStatus::Ok), "{summaries:#?}");
    assert!(
        seen.check("staging", CheckStatus::Critical),
        "{summaries:#?}"
    );
    assert!(
        seen.log_sources.contains("app@production"),
        "{:?}",
        seen.log_sources
    );
    assert!(
        seen.log_sources.contains("nginx@staging"),
        "{:?}",
        seen.log_sources
    );

    // The command prints colours and tabs; the pane gets them stripped and expanded.
    let deploy = seen.deploys.first().expect("the deploy agent's output");
    assert!(
        deploy.starts_with("INFO    deploy-agent    heartbeat 1"),
        "{deploy:?}"
    );
    assert!(!deploy.contains('\u{1b}'), "{deploy:?}");

    let drift = seen.drift.expect("a drift report");
    assert_eq!(drift.name, "app config");
    assert_eq!(drift.error, None);
    let file = |name: &str| drift.files().iter().find(|f| f.path == name).expect(name);
    let nginx = file("nginx.conf");
    assert_eq!(nginx.status, Status::Changed);
    let counts = nginx.counts();
    assert!(counts.added > 0 && counts.removed > 0, "{counts}");
    let app = file("app.env");
    assert_eq!(app.status, Status::Changed);
    assert!(
        app.keys
            .iter()
            .any(|k| k.describe() == "DB_PASSWORD differs"),
        "{:?}",
        app.keys
    );
    assert_eq!(
        file("sysctl.conf").status,
        Status::Same,
        "replace makes the domains equal"
    );
    // Nothing of either secret anywhere in what the report holds or prints.
    let everything = format!("{drift:?}{}", drift.diff.as_ref().unwrap().files_json());
    for secret in [PROD_DB_PASSWORD, STAGING_DB_PASSWORD] {
        assert!(!everything.contains(secret), "a secret in the report");
    }

    drop(workers);
    let dir = sandbox.dir().to_path_buf();
    drop(sandbox);
    assert!(!dir.exists(), "the sandbox removes its directory");
}

#[tokio::test]
async fn tail_starts_over_after_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    std::fs::write(&path, "before 1\nbefore 2\n").unwrap();
    let (tx, mut rx) = channel();
    let mut tail = FileTail::new("app", &path);
    tail.poll = Duration::from_millis(20);
    let task = tokio::spawn(tail::run(tail, tx));

    let mut texts = Vec::new();
    read_lines(&mut rx, &mut texts, 2).await;
    assert_eq!(texts, ["before 1", "before 2"]);

    // `> app.log` then a shorter write: the tail must notice the shrink and read from 0.
    std::fs::write(&path, "").unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(b"after\n").unwrap();
    read_lines(&mut rx, &mut texts, 3).await;
    assert_eq!(texts, ["before 1", "before 2", "after"]);
    task.abort();
}

/// Reads log lines until `texts` holds `want` of them, or 3 s pass.
async fn read_lines(rx: &mut EventsRx, texts: &mut Vec<String>, want: usize) {
    while texts.len() < want {
        match tokio::time::timeout(Duration::from_secs(3), rx.recv()).await {
            Ok(Some(Event::LogLines { lines, .. })) => {
                texts.extend(lines.into_iter().map(|l| l.text))
            }
            Ok(Some(_)) => {}
            _ => break,
        }
    }
}

fn check(url: String, timeout: Duration) -> CheckSpec {
    let mut spec = CheckSpec::new("api", Target::Local, CheckKind::Http(HttpSpec::get(&url)));
    spec.expect = condition_list(&["status == 200"]);
    spec.timeout = timeout;
    spec
}

/// One run of `spec`, its one row.
async fn run(spec: &CheckSpec) -> CheckResult {
    let run = check_once(spec, CheckTarget::local(), &Resources::new(None, None)).await;
    run.rows.into_iter().next().expect("a row")
}

#[tokio::test]
async fn http_check_names_a_refused_connection() {
    // Bind then close: nothing listens on the port any more.
    let port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let result = run(&check(
        format!("http://127.0.0.1:{port}/"),
        Duration::from_secs(2),
    ))
    .await;
    assert_eq!(result.status, CheckStatus::Critical);
    assert_eq!(result.summary, "connection refused");
}

#[tokio::test]
async fn http_check_times_out_on_a_silent_server() {
    // Accepts and reads, never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let result = run(&check(
        format!("http://{addr}/"),
        Duration::from_millis(300),
    ))
    .await;
    // Well under the 10 s default timeout: the check's own 300 ms applied.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(result.status, CheckStatus::Critical);
    assert_eq!(result.summary, "timed out after 300ms");
    server.abort();
}

#[tokio::test]
async fn http_check_reports_status_latency_and_flaky_cycle() {
    let sandbox = Sandbox::create().await.unwrap();
    let prod = check(
        format!("http://{}/healthz", sandbox.production_addr()),
        Duration::from_secs(1),
    );
    let ok = run(&prod).await;
    assert_eq!(ok.status, CheckStatus::Ok, "{}", ok.summary);
    assert!(ok.summary.starts_with("200 in "), "{}", ok.summary);
    assert!(ok.latency.is_some());
    assert!(ok.detail.contains(r#"{"status":"ok"}"#), "{}", ok.detail);

    // The staging service starts its cycle with a 503.
    let staging = check(
        format!("http://{}/healthz", sandbox.staging_addr()),
        Duration::from_secs(1),
    );
    let bad = run(&staging).await;
    assert_eq!(bad.status, CheckStatus::Critical);
    assert!(
        bad.summary.starts_with("503 Service Unavailable in "),
        "{}",
        bad.summary
    );
}
