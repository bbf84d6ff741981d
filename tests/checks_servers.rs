//! Every check kind that talks to a server, against real ones on 127.0.0.1: what a sheriff
//! would see (each row's state and summary) for http and TLS, tcp, munin, Prometheus and
//! Alertmanager, and a forecast that survives a restart through the history on disk.
//!
//! Checks are written as a user writes them, in `[[check]]` TOML, and run the way
//! `sheriff check` runs them. Prometheus, Alertmanager and munin-node start once for the
//! whole binary; the HTTP servers are cheap and start per test.

// tls.rs brings its own private copy of http.rs for its servers; the plain servers here
// need one too.
#![allow(clippy::duplicate_mod)]

#[path = "support/http.rs"]
mod http;
#[path = "support/monitoring.rs"]
mod monitoring;
#[path = "support/rows.rs"]
mod rows;
#[path = "support/tls.rs"]
mod tls;

use rows::{assert_state, only_row};
use std::collections::BTreeMap;
use std::net::{TcpListener, ToSocketAddrs};
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};
use sheriff::checks::alertmanager::{create_silence, expire_silence};
use sheriff::checks::engine::{check_once, run_once, CheckJob, Resources};
use sheriff::checks::history::HistoryStore;
use sheriff::checks::rows::{Rows, HISTORY_CAP};
use sheriff::checks::targets::expand;
use sheriff::checks::{CheckResult, CheckRun, CheckStatus, HttpClients};
use sheriff::config::Config;

use http::{HttpServer, TcpBannerServer};
use monitoring::{munin_plugin, openmetrics_series, Alertmanager, MuninNode, Prometheus};
use tls::{CertKind, HttpsServer};

/// No run may take longer than this, whatever the server does.
const RUN_LIMIT: Duration = Duration::from_secs(30);

fn config(toml: &str) -> Config {
    sheriff::config::parse(toml, Path::new("sheriff.toml"))
        .unwrap_or_else(|e| panic!("the config does not load:\n{e}\n---\n{toml}"))
}

/// The first check of `toml`, run once on its first target.
async fn run_check(toml: &str) -> CheckRun {
    run_with(toml, &Resources::new(None, None)).await
}

async fn run_with(toml: &str, res: &Resources) -> CheckRun {
    let config = config(toml);
    let spec = config.checks.first().expect("the config has a [[check]]");
    let target = expand(&config, spec)
        .into_iter()
        .next()
        .expect("the check has a target");
    tokio::time::timeout(RUN_LIMIT, check_once(spec, target, res))
        .await
        .unwrap_or_else(|_| panic!("the check did not finish within {RUN_LIMIT:?}:\n{toml}"))
}

fn http_check(url: &str, extra: &str) -> String {
    format!("[[check]]\nname = \"web\"\nhttp = \"{url}\"\n{extra}\n")
}

/// A port on 127.0.0.1 that nothing listens on (bound, then let go).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local_addr").port();
    drop(listener);
    port
}

// ---- http -------------------------------------------------------------------------------

#[tokio::test]
async fn http_method_headers_and_body_reach_the_server() {
    let server = HttpServer::start();
    let toml = http_check(
        &server.url("/echo"),
        r#"method = "post"
headers = { "X-Sheriff-Test" = "on call", Accept = "text/plain" }
body = '{"ping":1}'
expect = ['body ~ "(?i)^POST /echo HTTP/1.1"', 'body ~ "(?i)x-sheriff-test: on call"', 'body ~ "\{\"ping\":1\}$"']"#,
    );
    let run = run_check(&toml).await;
    let row = only_row(&run);
    assert_state(row, CheckStatus::Ok, "200 in ");
    // The detail view shows what was sent and what came back.
    assert!(
        row.detail
            .starts_with(&format!("POST {}\n", server.url("/echo"))),
        "{}",
        row.detail
    );
    assert!(
        row.detail.contains("X-Sheriff-Test: on call"),
        "{}",
        row.detail
    );
    assert!(
        row.detail
            .to_ascii_lowercase()
            .contains("content-length: 10"),
        "{}",
        row.detail
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn http_redirects_are_followed_unless_told_not_to() {
    let server = HttpServer::start();
    let followed = run_check(&http_check(
        &server.url("/redirect"),
        r#"expect = ['json.status == "ok"']"#,
    ))
    .await;
    let row = only_row(&followed);
    assert_state(row, CheckStatus::Ok, "200 in ");
    assert!(!row.summary.contains('→'), "{}", row.summary);

    let stopped = run_check(&http_check(
        &server.url("/redirect"),
        "follow_redirects = false",
    ))
    .await;
    let row = only_row(&stopped);
    assert_state(row, CheckStatus::Ok, "302 Found in ");
    assert!(row.summary.ends_with("→ /ok"), "{}", row.summary);
}

#[tokio::test]
async fn http_body_over_one_mib_is_critical_and_one_mib_is_not() {
    let server = HttpServer::start();
    let big = run_check(&http_check(&server.url("/big/3000000"), "")).await;
    assert_state(
        only_row(&big),
        CheckStatus::Critical,
        "body over the 1 MiB cap",
    );
    let exact = run_check(&http_check(&server.url("/big/1048576"), "")).await;
    let row = only_row(&exact);
    assert_state(row, CheckStatus::Ok, "200 in ");
    assert!(!row.summary.contains("cap"), "{}", row.summary);
}

#[tokio::test]
async fn http_expect_judges_json_body_time_and_status() {
    let server = HttpServer::start();
    let ok = run_check(&http_check(
        &server.url("/ok"),
        r#"expect = ['json.status == "ok"', 'json.items[0].state == "up"', 'body ~ "ok"', "time < 2s"]"#,
    ))
    .await;
    assert_state(only_row(&ok), CheckStatus::Ok, "200 in ");

    let down = run_check(&http_check(
        &server.url("/ok"),
        r#"expect = ['json.items[0].state == "down"']"#,
    ))
    .await;
    assert_state(
        only_row(&down),
        CheckStatus::Critical,
        r#"json.items[0].state is "up""#,
    );

    // A 503 is critical by its class, and ok when `expect` says 503 is right.
    let by_class = run_check(&http_check(&server.url("/status/503"), "")).await;
    assert_state(
        only_row(&by_class),
        CheckStatus::Critical,
        "503 Service Unavailable in ",
    );
    let by_expect = run_check(&http_check(
        &server.url("/status/503"),
        r#"expect = ["status == 503"]"#,
    ))
    .await;
    assert_state(
        only_row(&by_expect),
        CheckStatus::Ok,
        "503 Service Unavailable in ",
    );
}

#[tokio::test]
async fn http_expect_warn_gives_a_warning() {
    let server = HttpServer::start();
    let run = run_check(&http_check(
        &server.url("/slow/300"),
        r#"expect = ["status == 200"]
expect_warn = ["time < 100ms"]"#,
    ))
    .await;
    let row = only_row(&run);
    assert_state(row, CheckStatus::Warning, "200 in ");
    assert!(row.summary.contains("time"), "{}", row.summary);
}

#[tokio::test]
async fn http_json_condition_on_a_text_body_is_unknown_and_says_why() {
    let server = HttpServer::start();
    let run = run_check(&http_check(
        &server.url("/"),
        r#"expect = ['json.status == "ok"']"#,
    ))
    .await;
    let row = only_row(&run);
    assert_state(row, CheckStatus::Unknown, "cannot judge json.status");
    assert!(row.summary.contains("not JSON"), "{}", row.summary);
}

#[tokio::test]
async fn http_hang_times_out_at_the_checks_timeout() {
    let server = HttpServer::start();
    let started = Instant::now();
    let run = run_check(&http_check(&server.url("/hang"), r#"timeout = "1s""#)).await;
    assert_state(only_row(&run), CheckStatus::Critical, "timed out after 1s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn http_refused_and_dns_failure_are_named() {
    let port = closed_port();
    let refused = run_check(&http_check(&format!("http://127.0.0.1:{port}/"), "")).await;
    assert_state(
        only_row(&refused),
        CheckStatus::Critical,
        "connection refused",
    );

    // `.invalid` never resolves (RFC 6761): the resolver says so at once, no network needed.
    let name = "sheriff-check.invalid";
    let started = Instant::now();
    assert!(
        (name, 80).to_socket_addrs().is_err(),
        "{name} resolves on this machine: the DNS test cannot run here"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the resolver is slow here"
    );
    let dns = run_check(&http_check(&format!("http://{name}/"), r#"timeout = "5s""#)).await;
    let row = only_row(&dns);
    assert_state(row, CheckStatus::Critical, "DNS failure");
    assert!(row.summary.starts_with("DNS failure"), "{}", row.summary);
}

// ---- TLS --------------------------------------------------------------------------------

fn tls_check(server: &HttpsServer, extra: &str) -> String {
    let ca = server.ca_path().display().to_string();
    http_check(
        &format!("{}ok", server.url()),
        &format!("ca = '{ca}'\n{extra}"),
    )
}

#[tokio::test]
async fn tls_each_failure_has_its_own_summary() {
    let cases = [
        (CertKind::Expired, "TLS error: the certificate has expired"),
        (
            CertKind::WrongName,
            "TLS error: the certificate is for another name",
        ),
        (
            CertKind::UnknownCa,
            "TLS error: the certificate is signed by an unknown CA",
        ),
        // A self-signed certificate is one whose issuer nobody vouches for.
        (
            CertKind::SelfSigned,
            "TLS error: the certificate is signed by an unknown CA",
        ),
    ];
    for (kind, summary) in cases {
        let server = HttpsServer::start(kind);
        let run = run_check(&tls_check(&server, "")).await;
        let row = only_row(&run);
        assert_eq!(
            (row.status, row.summary.as_str()),
            (CheckStatus::Critical, summary),
            "{kind:?}: {}",
            row.detail
        );
        assert_eq!(
            server.requests(),
            0,
            "{kind:?}: no request passes a bad handshake"
        );
    }
}

#[tokio::test]
async fn tls_without_the_ca_the_test_certificate_is_not_trusted() {
    let server = HttpsServer::start(CertKind::Valid);
    let run = run_check(&http_check(&server.url(), "")).await;
    assert_state(
        only_row(&run),
        CheckStatus::Critical,
        "TLS error: the certificate is signed by an unknown CA",
    );
}

#[tokio::test]
async fn tls_cert_days_match_the_certificate_and_expect_judges_them() {
    let server = HttpsServer::start(CertKind::Expiring(45));
    let run = run_check(&tls_check(&server, r#"expect = ['json.status == "ok"']"#)).await;
    let row = only_row(&run);
    assert_state(row, CheckStatus::Ok, "200 in ");
    let days = row
        .metrics
        .iter()
        .find(|m| m.label == "cert_days")
        .and_then(|m| m.value)
        .expect("a cert_days metric");
    assert!(
        (days - server.days_left() as f64).abs() <= 1.0,
        "{days} days"
    );
    assert!(row.detail.contains("days left"), "{}", row.detail);

    let thirty = HttpsServer::start(CertKind::Valid);
    let run = run_check(&tls_check(&thirty, r#"expect = ["cert_days > 40"]"#)).await;
    assert_state(only_row(&run), CheckStatus::Critical, "cert_days");
}

#[tokio::test]
async fn tls_insecure_accepts_the_wrong_name_and_says_so() {
    let server = HttpsServer::start(CertKind::WrongName);
    let run = run_check(&http_check(
        &format!("{}ok", server.url()),
        "insecure = true",
    ))
    .await;
    let row = only_row(&run);
    assert_state(row, CheckStatus::Ok, "(TLS not verified)");
    assert!(row.summary.starts_with("200 in "), "{}", row.summary);
}

// ---- tcp --------------------------------------------------------------------------------

#[tokio::test]
async fn tcp_banner_match_mismatch_and_refused() {
    let server = TcpBannerServer::start("220 mail.sheriff.test ESMTP ready");
    let tcp = |extra: &str| {
        format!(
            "[[check]]\nname = \"smtp\"\ntcp = \"{}\"\n{extra}\n",
            server.addr()
        )
    };
    let ok = run_check(&tcp(r#"banner = '^220 '"#)).await;
    let row = only_row(&ok);
    assert_state(row, CheckStatus::Ok, "220 mail.sheriff.test ESMTP ready");
    assert!(row.summary.starts_with("220 "), "{}", row.summary);

    let bad = run_check(&tcp(r#"banner = '^\+PONG'"#)).await;
    assert_state(only_row(&bad), CheckStatus::Critical, "does not match");

    // The server echoes what it is sent, after its greeting.
    let sent = run_check(&tcp(r#"send = 'PING\r\n'
banner = 'PING'"#))
    .await;
    assert_state(only_row(&sent), CheckStatus::Ok, "220 ");

    let refused = run_check(&format!(
        "[[check]]\nname = \"smtp\"\ntcp = \"127.0.0.1:{}\"\n",
        closed_port()
    ))
    .await;
    assert_state(
        only_row(&refused),
        CheckStatus::Critical,
        "connection refused",
    );
}

// ---- munin ------------------------------------------------------------------------------

fn munin() -> &'static MuninNode {
    static NODE: OnceLock<MuninNode> = OnceLock::new();
    NODE.get_or_init(|| {
        let two_fields = "if [ \"$1\" = config ]; then\n\
             echo 'graph_title Disk usage in percent'\n\
             echo 'root.label /'\n echo 'root.warning 80'\n echo 'root.critical 90'\n\
             echo 'srv.label /srv'\n echo 'srv.warning 80'\n echo 'srv.critical 90'\n\
             exit 0\nfi\necho 'root.value 41.5'\necho 'srv.value 95'\n";
        MuninNode::start(&[
            (
                "temp_low",
                &munin_plugin("Temperature", "temp", "10", "50", "80"),
            ),
            (
                "temp_mid",
                &munin_plugin("Temperature", "temp", "60", "50", "80"),
            ),
            (
                "temp_high",
                &munin_plugin("Temperature", "temp", "95", "50", "80"),
            ),
            ("df_pct", two_fields),
        ])
    })
}

fn munin_check(plugin: &str) -> String {
    format!(
        "[[check]]\nname = \"munin {plugin}\"\nmunin = \"{}\"\nplugin = \"{plugin}\"\n",
        munin().addr()
    )
}

#[tokio::test]
async fn munin_thresholds_come_from_the_plugins_config() {
    for (plugin, status, summary) in [
        ("temp_low", CheckStatus::Ok, "temp: 10"),
        ("temp_mid", CheckStatus::Warning, "temp: 60"),
        ("temp_high", CheckStatus::Critical, "temp: 95"),
    ] {
        let run = run_check(&munin_check(plugin)).await;
        let row = only_row(&run);
        assert_eq!(row.item.as_deref(), Some("temp"));
        assert_eq!(
            (row.status, row.summary.as_str()),
            (status, summary),
            "{plugin}"
        );
        assert!(
            row.detail
                .contains("warning 50, critical 80 (from the plugin's config)"),
            "{}",
            row.detail
        );
    }
}

#[tokio::test]
async fn munin_one_row_per_field_and_an_unknown_plugin_is_named() {
    let run = run_check(&munin_check("df_pct")).await;
    let rows: Vec<(Option<&str>, CheckStatus, &str)> = run
        .rows
        .iter()
        .map(|r| (r.item.as_deref(), r.status, r.summary.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (Some("root"), CheckStatus::Ok, "/: 41.5"),
            (Some("srv"), CheckStatus::Critical, "/srv: 95"),
        ]
    );
    let none = run_check(&munin_check("nope")).await;
    assert_state(only_row(&none), CheckStatus::Unknown, "no plugin \"nope\"");
}

// ---- prometheus -------------------------------------------------------------------------

const HOUR: i64 = 3600;

/// One Prometheus with two series backfilled over the last 6 h: a steady rise from 50 to 70
/// by now, and noise between 40 and 80. None lies ahead of the start: Prometheus refuses
/// scraped samples older than its newest block, so `up` would never appear. An instant
/// query sees the last sample for 5 minutes, far longer than these tests take.
fn prometheus() -> &'static Prometheus {
    static SERVER: OnceLock<Prometheus> = OnceLock::new();
    SERVER.get_or_init(|| {
        let now = Utc::now().timestamp();
        let times: Vec<i64> = (now - 6 * HOUR..=now - 10).step_by(60).collect();
        let steady: Vec<(i64, f64)> = times
            .iter()
            .map(|t| (*t, 70.0 - 20.0 * (now - t) as f64 / (6 * HOUR) as f64))
            .collect();
        // A fixed xorshift, so a failure can be replayed.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let noisy: Vec<(i64, f64)> = times
            .iter()
            .map(|t| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (*t, 40.0 + (x % 4000) as f64 / 100.0)
            })
            .collect();
        let text = openmetrics_series("kt_disk_used_percent", &[("mount", "/srv")], &steady)
            + &openmetrics_series("kt_noisy_percent", &[("mount", "/tmp")], &noisy);
        Prometheus::start(Some(&text))
    })
}

fn prometheus_check(query: &str, extra: &str) -> String {
    format!(
        "[[check]]\nname = \"prom\"\nprometheus = \"{}\"\nquery = '{query}'\n{extra}\n",
        prometheus().url()
    )
}

#[tokio::test]
async fn prometheus_one_row_per_series_with_its_labels() {
    let prom = prometheus();
    prom.wait_for_series(r#"up{job="prometheus"}"#, Duration::from_secs(20));
    let up = run_check(&prometheus_check("up", r#"expect = ["value == 1"]"#)).await;
    let row = only_row(&up);
    assert_state(row, CheckStatus::Ok, " = 1");
    assert_eq!(
        row.labels.get("job").map(String::as_str),
        Some("prometheus")
    );
    let instance = &row.labels["instance"];
    assert_eq!(
        row.item.as_deref(),
        Some(format!("up{{instance=\"{instance}\",job=\"prometheus\"}}").as_str())
    );

    let both = run_check(&prometheus_check(r#"{__name__=~"kt_.*"}"#, "")).await;
    let mut mounts: Vec<&str> = both
        .rows
        .iter()
        .map(|r| r.labels["mount"].as_str())
        .collect();
    mounts.sort();
    assert_eq!(mounts, ["/srv", "/tmp"], "{:#?}", both.rows);
    assert!(both.rows.iter().all(|r| r.status == CheckStatus::Ok));

    let none = run_check(&prometheus_check("up == 0", r#"expect = ["value == 1"]"#)).await;
    assert_state(
        only_row(&none),
        CheckStatus::Unknown,
        "the query matches no series",
    );
}

#[tokio::test]
async fn prometheus_steady_rise_forecasts_on_the_first_run_and_noise_does_not() {
    let settings = r#"forecast = "3d"
forecast_window = "6h"
expect = ["value < 90"]"#;
    let steady = run_check(&prometheus_check("kt_disk_used_percent", settings)).await;
    let row = only_row(&steady);
    assert_state(row, CheckStatus::Warning, "value reaches 90 in ");
    let forecast = row.forecast.as_ref().expect("a forecast");
    // 20 points in 6 h, 20 to go: about 6 h from now.
    let hours = forecast.in_seconds as f64 / 3600.0;
    assert!((5.0..=7.0).contains(&hours), "{hours} h: {}", row.summary);

    let noisy = run_check(&prometheus_check("kt_noisy_percent", settings)).await;
    let row = only_row(&noisy);
    assert_eq!(row.forecast, None, "{}", row.summary);
    assert!(!row.summary.contains("reaches"), "{}", row.summary);
    assert_eq!(row.status, CheckStatus::Ok, "{}", row.summary);
}

// ---- alertmanager -----------------------------------------------------------------------

fn alertmanager_check(extra: &str) -> String {
    format!(
        "[[check]]\nname = \"alerts\"\nalertmanager = \"{}\"\n{extra}\n",
        Alertmanager::shared().url()
    )
}

/// The rows of alerts named `alertname`, by item.
fn alert_rows(run: &CheckRun, alertname: &str) -> BTreeMap<String, CheckResult> {
    run.rows
        .iter()
        .filter(|r| r.labels.get("alertname").map(String::as_str) == Some(alertname))
        .map(|r| (r.item.clone().unwrap_or_default(), r.clone()))
        .collect()
}

/// Runs the check until `done` holds of its rows (Alertmanager applies a silence within a
/// moment, not at once); panics after 10 s.
async fn run_until(toml: &str, what: &str, done: impl Fn(&CheckRun) -> bool) -> CheckRun {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let run = run_check(toml).await;
        if done(&run) {
            return run;
        }
        assert!(
            Instant::now() < deadline,
            "{what} within 10s: {:#?}",
            run.rows
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn alert(name: &str, instance: &str, severity: &str) -> Value {
    json!({
        "labels": {"alertname": name, "instance": instance, "severity": severity},
        "annotations": {"summary": format!("{instance} is unwell")},
    })
}

#[tokio::test]
async fn alertmanager_alerts_are_rows_by_severity_and_silences_show() {
    let am = Alertmanager::shared();
    am.post_alerts(json!([
        alert("KtSeverity", "a", "critical"),
        alert("KtSeverity", "b", "warning"),
        alert("KtSeverity", "c", "info"),
        alert("KtSeverity", "d", "P3"),
        alert("KtSeverity", "e", "P4"),
        alert("KtSilenced", "s", "critical"),
    ]));
    let now = Utc::now();
    let silence = am.post_silence(json!({
        "matchers": [{"name": "alertname", "value": "KtSilenced", "isRegex": false, "isEqual": true}],
        "startsAt": now.to_rfc3339(),
        "endsAt": (now + chrono::Duration::hours(1)).to_rfc3339(),
        "createdBy": "sam",
        "comment": "maintenance",
    }));
    let toml = alertmanager_check(r#"severity_map = { P3 = "critical" }"#);
    let run = run_until(&toml, "the silence shows", |run| {
        alert_rows(run, "KtSilenced")
            .values()
            .any(|r| r.summary.contains("[silenced by"))
    })
    .await;
    let rows = alert_rows(&run, "KtSeverity");
    let states: Vec<(&str, CheckStatus)> = rows
        .iter()
        .map(|(item, r)| (item.as_str(), r.status))
        .collect();
    assert_eq!(
        states,
        [
            (r#"KtSeverity{instance="a"}"#, CheckStatus::Critical),
            (r#"KtSeverity{instance="b"}"#, CheckStatus::Warning),
            (r#"KtSeverity{instance="c"}"#, CheckStatus::Ok),
            // Mapped by severity_map; without it P3 would be a warning, like P4.
            (r#"KtSeverity{instance="d"}"#, CheckStatus::Critical),
            (r#"KtSeverity{instance="e"}"#, CheckStatus::Warning),
        ]
    );
    let a = &rows[r#"KtSeverity{instance="a"}"#];
    assert!(
        a.summary
            .starts_with(r#"KtSeverity{instance="a"}: a is unwell (firing for"#),
        "{}",
        a.summary
    );
    let silenced = alert_rows(&run, "KtSilenced");
    let row = silenced.values().next().expect("the silenced alert's row");
    assert!(
        row.summary.ends_with(&format!("[silenced by {silence}]")),
        "{}",
        row.summary
    );
    assert_eq!(row.labels.get("silenced_by"), Some(&silence));
}

#[tokio::test]
async fn alertmanager_two_alerts_that_differ_in_severity_are_two_rows() {
    // A common rule pair: the same alert at warning and, further on, at critical.
    let am = Alertmanager::shared();
    am.post_alerts(json!([
        alert("KtTwoLevels", "db1", "warning"),
        alert("KtTwoLevels", "db1", "critical"),
    ]));
    let run = run_check(&alertmanager_check("")).await;
    let rows: Vec<&CheckResult> = run
        .rows
        .iter()
        .filter(|r| r.labels.get("alertname").map(String::as_str) == Some("KtTwoLevels"))
        .collect();
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert_ne!(
        rows[0].key(),
        rows[1].key(),
        "each alert is a row of its own"
    );
    let mut states: Vec<CheckStatus> = rows.iter().map(|r| r.status).collect();
    states.sort_by_key(|s| s.severity());
    assert_eq!(states, [CheckStatus::Warning, CheckStatus::Critical]);
}

fn silence_by_id(id: &str) -> Value {
    let all = Alertmanager::shared().silences();
    all.as_array()
        .and_then(|list| list.iter().find(|s| s["id"] == id).cloned())
        .unwrap_or_else(|| panic!("no silence {id} in {all}"))
}

#[tokio::test]
async fn alertmanager_silence_from_sheriff_then_expire_it() {
    let am = Alertmanager::shared();
    am.post_alerts(json!([alert("KtSilenceMe", "db2", "critical")]));
    let toml = alertmanager_check("");
    let first = run_check(&toml).await;
    let rows = alert_rows(&first, "KtSilenceMe");
    let row = rows.values().next().expect("the alert's row");
    assert_eq!(row.status, CheckStatus::Critical);
    assert!(!row.summary.contains("silenced"), "{}", row.summary);

    let client = HttpClients::default().plain().expect("an HTTP client");
    let why = "disk cleanup running, see OPS-1234";
    let id = create_silence(
        &client,
        &am.url(),
        &row.labels,
        Duration::from_secs(3600),
        "alex",
        why,
    )
    .await
    .expect("Alertmanager takes the silence");
    let silence = silence_by_id(&id);
    assert_eq!(silence["comment"], why);
    assert_eq!(silence["createdBy"], "alex");
    assert_eq!(silence["status"]["state"], "active");
    let matchers: BTreeMap<String, String> = silence["matchers"]
        .as_array()
        .expect("matchers")
        .iter()
        .map(|m| {
            assert_eq!(
                (&m["isRegex"], &m["isEqual"]),
                (&json!(false), &json!(true)),
                "{m}"
            );
            (
                m["name"].as_str().unwrap_or_default().to_string(),
                m["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(matchers, row.labels, "the matchers are the alert's labels");

    let silenced = run_until(&toml, "the row shows the silence", |run| {
        alert_rows(run, "KtSilenceMe")
            .values()
            .any(|r| r.summary.contains(&format!("[silenced by {id}]")))
    })
    .await;
    let row = alert_rows(&silenced, "KtSilenceMe")
        .into_values()
        .next()
        .expect("row");
    assert_eq!(row.labels.get("silenced_by"), Some(&id));

    expire_silence(&client, &am.url(), &id)
        .await
        .expect("Alertmanager expires the silence");
    let deadline = Instant::now() + Duration::from_secs(10);
    while silence_by_id(&id)["status"]["state"] != "expired" {
        assert!(Instant::now() < deadline, "{}", silence_by_id(&id));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    run_until(&toml, "the row is no longer silenced", |run| {
        alert_rows(run, "KtSilenceMe")
            .values()
            .any(|r| !r.summary.contains("silenced"))
    })
    .await;
}

// ---- history and forecast across a restart ----------------------------------------------

/// A disk filling by one point a run: a Nagios plugin reading and bumping a counter file.
fn filling_disk_check(dir: &Path) -> String {
    let counter = dir.join("counter");
    let script = dir.join("check_filling");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nn=$(cat '{c}' 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > '{c}'\n\
             used=$((40 + n))\necho \"DISK OK - /srv $used% used|used=$used%;90;95;0;100\"\n",
            c = counter.display()
        ),
    )
    .expect("write the plugin");
    format!(
        "[[check]]\nname = \"disk /srv\"\nnagios = \"sh {}\"\nforecast = \"1h\"\n\
         forecast_window = \"2s\"\n",
        script.display()
    )
}

#[tokio::test]
async fn history_on_disk_lets_a_restarted_sheriff_forecast_at_once() {
    let plugin_dir = tempfile::tempdir().expect("tempdir");
    let history_dir = tempfile::tempdir().expect("tempdir");
    let config = config(&filling_disk_check(plugin_dir.path()));
    let spec = config.checks[0].clone();
    let job = CheckJob {
        target: expand(&config, &spec).remove(0),
        spec: spec.clone(),
    };
    let open = |dir: &Path| {
        let store = HistoryStore::open(dir, HISTORY_CAP).expect("open the history store");
        Some(Arc::new(store))
    };
    let res = Resources::new(None, open(history_dir.path()));
    {
        let mut rows = Rows::new(spec.clone(), job.target.name.clone(), res.history.clone());
        // Ten runs over 1.35 s: more than half the 2 s window, so the trend counts.
        for i in 0..10 {
            let run = tokio::time::timeout(RUN_LIMIT, run_once(&job, &res, &mut rows))
                .await
                .expect("a run within the limit");
            assert_eq!(run.rows[0].metrics[0].value, Some(41.0 + i as f64));
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    // A new sheriff on the same state dir: its first run already knows the trend.
    let res = Resources::new(None, open(history_dir.path()));
    let mut rows = Rows::new(spec.clone(), job.target.name.clone(), res.history.clone());
    let run = run_once(&job, &res, &mut rows).await;
    let row = only_row(&run);
    assert_state(
        row,
        CheckStatus::Warning,
        "DISK OK - /srv 51% used; 95% full in ",
    );
    let forecast = row
        .forecast
        .as_ref()
        .expect("a forecast from the kept history");
    // The crossing forecast is the critical one (95), as for every metric with both.
    assert_eq!(forecast.threshold, 95.0);
    assert!(
        row.timeline.len() >= 11,
        "the timeline too: {:?}",
        row.timeline
    );
    assert!(row.trend.len() >= 11, "and the sparkline: {:?}", row.trend);

    // Without the kept history, one run is one point: no forecast.
    let fresh = tempfile::tempdir().expect("tempdir");
    let res = Resources::new(None, open(fresh.path()));
    let mut rows = Rows::new(spec, job.target.name.clone(), res.history.clone());
    let run = run_once(&job, &res, &mut rows).await;
    let row = only_row(&run);
    assert_state(row, CheckStatus::Ok, "DISK OK - /srv 52% used");
    assert_eq!(row.forecast, None);
}
