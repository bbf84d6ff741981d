//! Real monitoring servers for check tests, from Debian's packages: [`Prometheus`]
//! (`prometheus` 2.42), [`Alertmanager`] (`prometheus-alertmanager` 0.25) and [`MuninNode`]
//! (`munin-node` 2.0). Each listens on 127.0.0.1 and a free port, keeps its state in a temp dir,
//! and is killed with everything it started when dropped. `shared()` gives one server per test
//! binary: a static is never dropped, so a watchdog process kills the server's group and
//! removes its temp dir when the test process exits.
//!
//! Include with `#[path = "support/monitoring.rs"] mod monitoring;`. Every failure to set up
//! panics with what is missing or what the server said: a test that needs one must never pass
//! without it.
//!
//! What these servers need, found by running them:
//! - Prometheus reads the blocks that `promtool tsdb create-blocks-from openmetrics` writes when
//!   it starts. Since 2.39 blocks may overlap the head block, so backfilled samples may be of
//!   any age, a few seconds old included (even in the future); they need not be an hour or more
//!   old. At startup Prometheus deletes blocks older than its retention, measured back from the
//!   newest block; these servers keep 3650 days, so only older samples vanish (with the
//!   default 15 days, a 20-day-old backfill is gone before the first query). An instant
//!   query sees a sample for 5 minutes after its timestamp. promtool silently drops samples out
//!   of time order within a series, which is why [`openmetrics_series`] sorts them.
//! - Alertmanager shows a posted alert as `active` in `/api/v2/alerts` at once: the state is
//!   computed at query time, and `group_wait` only delays notifications (set to 0s anyway).
//!   Without `startsAt` an alert starts now; without `endsAt` it ends `resolve_timeout` (5 min)
//!   after it was posted, so a test longer than that must post it again. An alert whose
//!   `endsAt` is past is resolved and not listed; one whose `startsAt` is in the future and has
//!   no `endsAt` is refused (400, "start time must be before end time").
//! - munin-node has no option or config key for its plugin directory: it runs every executable
//!   in `$Munin::Common::Defaults::MUNIN_CONFDIR/plugins` (/etc/munin/plugins). [`MuninNode`]
//!   therefore loads /usr/sbin/munin-node into perl after setting that variable (and the plugin
//!   state dir) to its temp dir, and calls its `main`: nothing under /etc or /var is touched.
//!   Plugins run as `nobody`, so the temp dir is world-readable.
//!
//! The process handling and the HTTP calls live in `monitoring/daemon.rs` beside this file
//! (its comment says why the HTTP is written by hand).
#![allow(dead_code)]

#[path = "monitoring/daemon.rs"]
mod daemon;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use daemon::{http_call, json_call, percent_encode, require, start_on_free_port, temp_dir, Daemon};

const PROMETHEUS: &str = "/usr/bin/prometheus";
const PROMTOOL: &str = "/usr/bin/promtool";
const ALERTMANAGER: &str = "/usr/bin/prometheus-alertmanager";
const MUNIN_NODE: &str = "/usr/sbin/munin-node";

/// A gauge series as OpenMetrics text, for [`Prometheus::start`]'s backfill: `# TYPE`, one
/// sample line per point (`(unix seconds, value)`, sorted by time), then `# EOF`. Label values
/// are escaped; NaN and ±infinity are written as OpenMetrics spells them. Several series may be
/// concatenated: `Prometheus::start` keeps only the last `# EOF`.
pub fn openmetrics_series(name: &str, labels: &[(&str, &str)], points: &[(i64, f64)]) -> String {
    let labels: Vec<String> = labels
        .iter()
        .map(|(key, value)| {
            let value = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{key}=\"{value}\"")
        })
        .collect();
    let labels = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", labels.join(","))
    };
    let mut points = points.to_vec();
    points.sort_by_key(|(at, _)| *at);
    let mut text = format!("# TYPE {name} gauge\n");
    for (at, value) in points {
        let value = match value {
            v if v.is_nan() => "NaN".to_string(),
            v if v == f64::INFINITY => "+Inf".to_string(),
            v if v == f64::NEG_INFINITY => "-Inf".to_string(),
            v => format!("{v:?}"),
        };
        text.push_str(&format!("{name}{labels} {value} {at}\n"));
    }
    text.push_str("# EOF\n");
    text
}

/// A Prometheus server scraping itself every second (`up{job="prometheus"}` is 1 within a few
/// seconds of the start), data in a temp dir, 3650 days' retention.
pub struct Prometheus {
    port: u16,
    daemon: Daemon,
    dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus, first backfilling `backfill_openmetrics` (OpenMetrics text, such as
    /// [`openmetrics_series`] makes) with promtool, so those samples exist at their own
    /// timestamps. See the module comment for which timestamps work. Waits for `/-/ready`.
    pub fn start(backfill_openmetrics: Option<&str>) -> Prometheus {
        require(PROMETHEUS, "prometheus");
        require(PROMTOOL, "prometheus");
        let dir = temp_dir("sheriff-prometheus-");
        let data = dir.path().join("data");
        if let Some(text) = backfill_openmetrics {
            backfill(dir.path(), &data, text);
        }
        let (port, daemon) = start_on_free_port("prometheus", |port| {
            let config = dir.path().join("prometheus.yml");
            let yaml = format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: prometheus\n    static_configs:\n\
                 \x20     - targets: ['127.0.0.1:{port}']\n"
            );
            fs::write(&config, yaml).expect("write prometheus.yml");
            let mut command = Command::new(PROMETHEUS);
            command
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg("--storage.tsdb.retention.time=3650d")
                .arg(format!("--web.listen-address=127.0.0.1:{port}"));
            let mut daemon = Daemon::spawn(command, dir.path(), "prometheus.log");
            daemon.wait_ready("prometheus", || {
                matches!(http_call(port, "GET", "/-/ready", None), Ok((200, _)))
            })?;
            Ok(daemon)
        });
        Prometheus { port, daemon, dir }
    }

    /// One Prometheus without backfill for the whole test binary.
    pub fn shared() -> &'static Prometheus {
        static SHARED: OnceLock<Prometheus> = OnceLock::new();
        SHARED.get_or_init(|| Prometheus::start(None))
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `data.result` of an instant query at the current time.
    pub fn query(&self, promql: &str) -> serde_json::Value {
        let path = format!("/api/v1/query?query={}", percent_encode(promql));
        json_call(self.port, "GET", &path, None)["data"]["result"].clone()
    }

    /// Polls [`Prometheus::query`] until it returns a series; panics after `within`.
    pub fn wait_for_series(&self, promql: &str, within: Duration) -> serde_json::Value {
        let deadline = Instant::now() + within;
        loop {
            let result = self.query(promql);
            if result.as_array().is_some_and(|series| !series.is_empty()) {
                return result;
            }
            assert!(
                Instant::now() < deadline,
                "no series for {promql:?} within {within:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What the server printed so far.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// Writes `text` (with one `# EOF`, at the end) and runs promtool's backfill into `data`.
fn backfill(dir: &Path, data: &Path, text: &str) {
    let mut normalized: String = text
        .lines()
        .filter(|line| line.trim() != "# EOF")
        .map(|line| format!("{line}\n"))
        .collect();
    normalized.push_str("# EOF\n");
    let file = dir.join("backfill.om");
    fs::write(&file, normalized).expect("write the backfill file");
    let out = Command::new(PROMTOOL)
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&file)
        .arg(data)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {PROMTOOL}: {e}"));
    assert!(
        out.status.success(),
        "promtool could not backfill {}:\n{}{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An Alertmanager with one receiver (no notifier) and a route to it, clustering off.
pub struct Alertmanager {
    port: u16,
    daemon: Daemon,
    dir: tempfile::TempDir,
}

impl Alertmanager {
    /// Starts Alertmanager and waits for `/-/ready`.
    pub fn start() -> Alertmanager {
        require(ALERTMANAGER, "prometheus-alertmanager");
        let dir = temp_dir("sheriff-alertmanager-");
        let config = dir.path().join("alertmanager.yml");
        fs::write(
            &config,
            "route:\n  receiver: sheriff-test\n  group_wait: 0s\n  group_interval: 1s\n\
             \x20 repeat_interval: 1h\nreceivers:\n  - name: sheriff-test\n",
        )
        .expect("write alertmanager.yml");
        let (port, daemon) = start_on_free_port("alertmanager", |port| {
            let mut command = Command::new(ALERTMANAGER);
            command
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                // Empty: no cluster listener at all (it would bind every address).
                .arg("--cluster.listen-address=");
            let mut daemon = Daemon::spawn(command, dir.path(), "alertmanager.log");
            daemon.wait_ready("alertmanager", || {
                matches!(http_call(port, "GET", "/-/ready", None), Ok((200, _)))
            })?;
            Ok(daemon)
        });
        Alertmanager { port, daemon, dir }
    }

    /// One Alertmanager for the whole test binary; tests sharing it should use their own
    /// `alertname`s.
    pub fn shared() -> &'static Alertmanager {
        static SHARED: OnceLock<Alertmanager> = OnceLock::new();
        SHARED.get_or_init(Alertmanager::start)
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// POSTs `alerts` (a JSON array of `{labels, annotations?, startsAt?, endsAt?}`) to
    /// `/api/v2/alerts`; panics unless Alertmanager accepts them all.
    pub fn post_alerts(&self, alerts: serde_json::Value) {
        json_call(
            self.port,
            "POST",
            "/api/v2/alerts",
            Some(&alerts.to_string()),
        );
    }

    /// POSTs a silence (`{matchers, startsAt, endsAt, createdBy, comment}`); returns its id.
    pub fn post_silence(&self, silence: serde_json::Value) -> String {
        let answer = json_call(
            self.port,
            "POST",
            "/api/v2/silences",
            Some(&silence.to_string()),
        );
        answer["silenceID"].as_str().unwrap_or_default().to_string()
    }

    /// `GET /api/v2/alerts`: every alert not yet resolved, silenced ones included.
    pub fn alerts(&self) -> serde_json::Value {
        json_call(self.port, "GET", "/api/v2/alerts", None)
    }

    /// `GET /api/v2/silences`: every silence, expired ones included.
    pub fn silences(&self) -> serde_json::Value {
        json_call(self.port, "GET", "/api/v2/silences", None)
    }

    /// What the server printed so far.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// A plugin script for [`MuninNode::start`] with one field: `config` prints `graph_title`,
/// `FIELD.label`, `FIELD.warning` and `FIELD.critical`; a fetch prints `FIELD.value VALUE`.
pub fn munin_plugin(
    title: &str,
    field: &str,
    value: &str,
    warning: &str,
    critical: &str,
) -> String {
    // Each text goes inside '…' in the script.
    let quoted = |text: &str| text.replace('\'', "'\\''");
    let (title, field, value) = (quoted(title), quoted(field), quoted(value));
    let (warning, critical) = (quoted(warning), quoted(critical));
    format!(
        "if [ \"$1\" = config ]; then\n\
         \x20 echo 'graph_title {title}'\n\
         \x20 echo '{field}.label {field}'\n\
         \x20 echo '{field}.warning {warning}'\n\
         \x20 echo '{field}.critical {critical}'\n\
         \x20 exit 0\n\
         fi\n\
         echo '{field}.value {value}'\n"
    )
}

/// A munin-node serving the test's own plugins, in the foreground, answering 127.0.0.1 only.
pub struct MuninNode {
    port: u16,
    daemon: Daemon,
    dir: tempfile::TempDir,
}

impl MuninNode {
    /// Starts munin-node with `plugins` (`(name, shell script)`; a script without `#!` gets
    /// `#!/bin/sh`). Names must match munin's `^[-\w@.:]+$`. Waits until `list` answers.
    pub fn start(plugins: &[(&str, &str)]) -> MuninNode {
        require(MUNIN_NODE, "munin-node");
        let dir = temp_dir("sheriff-munin-");
        for sub in ["plugins", "plugin-conf.d", "state"] {
            fs::create_dir(dir.path().join(sub)).expect("mkdir in the munin temp dir");
            fs::set_permissions(dir.path().join(sub), fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        for (name, script) in plugins {
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_@.:".contains(c))
                    && !name.starts_with('.'),
                "munin-node would ignore a plugin named {name:?}"
            );
            let path = dir.path().join("plugins").join(name);
            let shebang = if script.starts_with("#!") {
                ""
            } else {
                "#!/bin/sh\n"
            };
            fs::write(&path, format!("{shebang}{script}")).expect("write a munin plugin");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod plugin");
        }
        let (port, daemon) = start_on_free_port("munin-node", |port| {
            let config = dir.path().join("munin-node.conf");
            fs::write(
                &config,
                format!(
                    "log_level 4\nbackground 0\nsetsid 0\nuser root\ngroup root\n\
                     host_name sheriff-test\nallow ^127\\.0\\.0\\.1$\nhost 127.0.0.1\nport {port}\n"
                ),
            )
            .expect("write munin-node.conf");
            let mut command = Command::new("perl");
            command
                .arg("-e")
                .arg(
                    "use Munin::Common::Defaults;\n\
                     $Munin::Common::Defaults::MUNIN_CONFDIR = shift @ARGV;\n\
                     $Munin::Common::Defaults::MUNIN_PLUGSTATE = shift @ARGV;\n\
                     do $ARGV[0] or die \"cannot load munin-node: $@ $!\\n\"; shift @ARGV;\n\
                     exit main();",
                )
                .arg(dir.path())
                .arg(dir.path().join("state"))
                .arg(MUNIN_NODE)
                .arg("--config")
                .arg(&config);
            let mut daemon = Daemon::spawn(command, dir.path(), "munin-node.log");
            daemon.wait_ready("munin-node", || munin_ask(port, "list").is_ok())?;
            Ok(daemon)
        });
        MuninNode { port, daemon, dir }
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port of [`MuninNode::addr`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Sends one command (`list`, `fetch NAME`, `config NAME`, …) and returns the answer, up
    /// to and without the closing `.` line for `fetch`, `config` and `nodes`.
    pub fn ask(&self, command: &str) -> String {
        munin_ask(self.port, command)
            .unwrap_or_else(|why| panic!("munin-node: {why}\n{}", self.log()))
    }

    /// What the node logged so far (it logs to stderr, which goes here).
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// One munin conversation: the greeting, `command`, its answer, `quit`.
fn munin_ask(port: u16, command: &str) -> Result<String, String> {
    let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    if !line.starts_with("# munin node at ") {
        return Err(format!("unexpected greeting {line:?}"));
    }
    (&stream)
        .write_all(format!("{command}\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let multiline = ["fetch", "config", "nodes"]
        .iter()
        .any(|c| command.starts_with(c));
    let mut answer = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err(format!("connection closed after {answer:?}"));
        }
        if multiline && line.trim_end() == "." {
            break;
        }
        answer.push_str(&line);
        if !multiline {
            break;
        }
    }
    let _ = (&stream).write_all(b"quit\n");
    Ok(answer)
}
