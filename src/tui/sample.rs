//! A fixed, realistic screen for UI tests and `sheriff bench`: the app on a small config,
//! fed the same events the workers would send, at fixed times, so every draw is
//! reproducible.

use std::path::Path;
use std::time::Duration;

use crate::checks::{CheckResult, CheckRun, CheckStatus};
use crate::drift::side::Tree;
use crate::drift::DriftReport;
use crate::event::Event;
use crate::handoff::{Entry, EntryKind, Refs};
use crate::logs::{Level, LogLine};
use crate::tui::app::{App, Msg};
use crate::tui::keymap::Keymap;
use crate::tui::theme::{ColorDepth, Theme};
use chrono::{DateTime, TimeZone, Utc};

pub const CONFIG: &str = r#"
[environments.production]
hosts = ["web1.prod"]
vars = { base = "http://127.0.0.1:1" }
[environments.staging]
hosts = ["web1.staging"]
vars = { base = "http://127.0.0.1:2" }

[hosts."web1.prod"]
ssh = "deploy@10.0.0.5:22"
[hosts."web1.staging"]
ssh = "deploy@10.0.1.5:22"

[[check]]
name = "api"
envs = ["production", "staging"]
http = "{base}/healthz"

[[check]]
name = "disk /srv"
on = "production"
disk = "/srv"
warn = "80%"
crit = "90%"

[[log]]
name = "app"
on = "production"
file = "/var/log/app.log"

[[drift]]
name = "app config"
path = "/etc/app/"
between = ["production", "staging"]
"#;

pub fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, m, s)
        .single()
        .unwrap_or_default()
}

fn check(
    name: &str,
    target: &str,
    status: CheckStatus,
    summary: &str,
    ms: u64,
    time: DateTime<Utc>,
) -> Event {
    let mut result = CheckResult::new(name, target, status, summary);
    result.detail = format!("GET /healthz\n{summary}");
    result.latency = Some(Duration::from_millis(ms));
    result.at = time;
    Event::Check(CheckRun::single(result))
}

fn entry(id: &str, time: DateTime<Utc>, kind: EntryKind, text: &str, why: Option<&str>) -> Entry {
    let mut entry = Entry::new(kind, "alex", text);
    entry.id = id.into();
    entry.time = time;
    entry.why = why.map(str::to_string);
    entry.refs = Refs {
        env: Some("staging".into()),
        ..Refs::default()
    };
    entry
}

/// The app on `CONFIG` after a few minutes of a shift, with `log_lines` log lines.
/// Times are shown in local time: set `TZ` first for output that agrees everywhere.
pub fn app_with(log_lines: usize) -> App {
    let config = crate::config::parse(CONFIG, Path::new("sheriff.toml")).unwrap_or_default();
    let keymap = Keymap::builtin_default();
    let theme = Theme::builtin_default(ColorDepth::TrueColor);
    let mut app = App::new(config, keymap, theme, "alex".into());
    app.update(Msg::Tick(at(12, 5, 0)));
    let mut events = Vec::new();
    for (i, ms) in [40u64, 43, 51, 38, 45].iter().enumerate() {
        events.push(check(
            "api",
            "production",
            CheckStatus::Ok,
            "200 in 43ms",
            *ms,
            at(12, i as u32, 0),
        ));
        events.push(check(
            "api",
            "staging",
            CheckStatus::Critical,
            "503 Service Unavailable",
            900 + 100 * i as u64,
            at(12, i as u32, 0),
        ));
    }
    let mut disk = CheckResult::new(
        "disk /srv",
        "web1.prod",
        CheckStatus::Warning,
        "/srv 81% used, 1.9 GiB free; 90% full in 3d4h",
    );
    disk.at = at(12, 1, 0);
    events.push(Event::Check(CheckRun::single(disk)));
    let lines = (0..log_lines)
        .map(|i| {
            let level = match i % 7 {
                0 => Some(Level::Error),
                1 | 4 => Some(Level::Warn),
                _ => Some(Level::Info),
            };
            LogLine {
                source: "app@production".into(),
                received: at(12, 1, 0) + chrono::Duration::milliseconds(i as i64 * 10),
                time: None,
                level,
                text: format!(
                    "{} request {i} upstream=10.0.0.{} took {}ms path=/api/orders/{i}",
                    level.map_or("INFO", Level::label),
                    i % 250,
                    i % 900
                ),
                origin: None,
            }
        })
        .collect();
    events.push(Event::LogLines {
        source: "app@production".into(),
        lines,
    });
    events.push(Event::Drift(Box::new(sample_drift(at(12, 2, 0)))));
    events.push(Event::HandoffEntries(vec![
        entry(
            "e1",
            at(8, 0, 0),
            EntryKind::ShiftStart,
            "took over from sam",
            None,
        ),
        entry(
            "e2",
            at(11, 40, 0),
            EntryKind::Change,
            "restarted php-fpm on web1",
            Some("workers stuck after deploy 4.2"),
        ),
        entry(
            "e3",
            at(11, 45, 0),
            EntryKind::CheckState,
            "api staging: ok → critical",
            None,
        ),
        entry(
            "e4",
            at(11, 46, 0),
            EntryKind::CheckState,
            "disk /srv web1.prod: ok → warning",
            None,
        ),
        entry(
            "e5",
            at(11, 52, 0),
            EntryKind::Note,
            "staging 503s are the upstream pool, not the app",
            None,
        ),
    ]));
    for event in events {
        app.update(Msg::Worker(event));
    }
    app
}

/// An nginx.conf as a package ships it, with the values that drift between environments;
/// the changes are far enough apart to make two hunks, and the log format is long.
fn nginx_conf(worker_connections: &str, keepalive: &str, body_size: &str) -> String {
    format!(
        r#"user www-data;
worker_processes auto;
pid /run/nginx.pid;

events {{
    worker_connections {worker_connections};
}}

http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format main '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
    access_log /var/log/nginx/access.log main;
    keepalive_timeout {keepalive};
    client_max_body_size {body_size};
    gzip on;
    include /etc/nginx/conf.d/*.conf;
}}
"#
    )
}

/// The sample's drift target: two small config trees compared by the real comparison, a
/// changed nginx.conf, a changed secret in app.env, a sysctl.conf that is the same.
fn sample_drift(at: DateTime<Utc>) -> DriftReport {
    use crate::drift::compare::{compare_trees, EnvVars, Rules};
    let tree = |files: &[(&str, &str)]| Tree {
        entries: files
            .iter()
            .map(|(path, text)| {
                let entry = crate::drift::side::Entry::file(text.as_bytes().to_vec());
                (path.to_string(), entry)
            })
            .collect(),
        notes: Vec::new(),
    };
    let production = tree(&[
        ("nginx.conf", nginx_conf("1024", "65", "10m").as_str()),
        ("app.env", "DB_HOST=db1\nDB_PASSWORD=Zq8vN2mW4kLp7Rt\n"),
        ("sysctl.conf", "vm.swappiness = 10\n"),
    ]);
    let staging = tree(&[
        ("nginx.conf", nginx_conf("512", "30", "50m").as_str()),
        ("app.env", "DB_HOST=db1\nDB_PASSWORD=Hx3cJ9sT6yBn1Qe\n"),
        ("sysctl.conf", "vm.swappiness = 10\n"),
    ]);
    let between = ("production".to_string(), "staging".to_string());
    let mut report = DriftReport::new("app config", &between);
    report.reference = ("web1.prod".into(), "web1.staging".into());
    report.diff = Some(compare_trees(
        &production,
        &staging,
        &Rules::default(),
        &EnvVars::default(),
    ));
    report.at = at;
    report
}
