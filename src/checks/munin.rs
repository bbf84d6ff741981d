//! `munin`: read one plugin of a munin-node (its text protocol on TCP 4949), each field a
//! row judged by the plugin's own `warning`/`critical` from `config`.
//!
//! The whole conversation is sent at once (`config`, `fetch`, `quit`) and read to the
//! node's close, so it is one round trip, directly or through an SSH tunnel from the host
//! (`on = "db1.prod"`: the address is as that host sees it).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::observation::{Observation, Seen};
use super::{CheckStatus, Metric};
use crate::config::duration::format_duration;
use crate::transport::ssh::SshPool;

/// A node's answer for one plugin is a few KiB; this bounds a confused one.
const REPLY_CAP: usize = 1024 * 1024;

pub async fn observe(
    address: &str,
    plugin: &str,
    via: Option<(&SshPool, &str)>,
    timeout: Duration,
) -> Vec<Observation> {
    let request = format!("config {plugin}\nfetch {plugin}\nquit\n");
    let started = Instant::now();
    let route = match via {
        Some((_, host)) => format!("munin-node {address} via {host}"),
        None => format!("munin-node {address}"),
    };
    let reply = match via {
        Some((pool, host)) => {
            let Some((to_host, to_port)) = split_address(address) else {
                return vec![bad_address(address)];
            };
            pool.exchange(
                host,
                &to_host,
                to_port,
                request.into_bytes(),
                REPLY_CAP,
                timeout,
            )
            .await
            .map_err(|e| e.reason())
        }
        None => direct(address, request.as_bytes(), timeout).await,
    };
    let reply = match reply {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(why) => {
            return vec![Observation::failed(
                CheckStatus::Critical,
                why,
                format!("{route}\n"),
            )]
        }
    };
    let latency = started.elapsed();
    let mut rows = rows_of(plugin, &reply);
    for row in &mut rows {
        row.latency = Some(latency);
        row.detail = format!("{route}: config {plugin}, fetch {plugin}\n{}", row.detail);
    }
    rows
}

fn bad_address(address: &str) -> Observation {
    Observation::failed(
        CheckStatus::Unknown,
        format!("munin address {address:?} is not host:port"),
        String::new(),
    )
}

/// `host:port`, `[::1]:4949`, or a bare host (port 4949).
fn split_address(address: &str) -> Option<(String, u16)> {
    if let Some(rest) = address.strip_prefix('[') {
        let (host, port) = rest.split_once(']')?;
        let port = port
            .strip_prefix(':')
            .map_or(Some(4949), |p| p.parse().ok())?;
        return Some((host.to_string(), port));
    }
    match address.rsplit_once(':') {
        Some((host, port)) => Some((host.to_string(), port.parse().ok()?)),
        None if !address.is_empty() => Some((address.to_string(), 4949)),
        None => None,
    }
}

async fn direct(address: &str, request: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
    let (host, port) = split_address(address)
        .ok_or_else(|| format!("munin address {address:?} is not host:port"))?;
    let work = async {
        let mut stream = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    format!("connection refused: is munin-node listening on {address}?")
                }
                _ => format!("cannot connect to {address}: {e}"),
            })?;
        stream
            .write_all(request)
            .await
            .map_err(|e| format!("sending to {address}: {e}"))?;
        let mut reply = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => {
                    reply.extend_from_slice(&buf[..n]);
                    if reply.len() >= REPLY_CAP {
                        break;
                    }
                }
                Err(e) => return Err(format!("reading from {address}: {e}")),
            }
        }
        Ok(reply)
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(format!("timed out after {}", format_duration(timeout))))
}

/// One field's `config` lines.
#[derive(Debug, Default, Clone)]
struct Field {
    label: Option<String>,
    warning: Option<String>,
    critical: Option<String>,
    kind: Option<String>,
    value: Option<String>,
}

/// Splits the node's reply (greeting, `config` block, `fetch` block, each ending in a
/// line `.`) into one row per field, in the order `config` lists them.
fn rows_of(plugin: &str, reply: &str) -> Vec<Observation> {
    let mut lines = reply.lines().skip_while(|l| l.starts_with("# munin node"));
    let config: Vec<&str> = lines.by_ref().take_while(|l| *l != ".").collect();
    let fetch: Vec<&str> = lines.take_while(|l| *l != ".").collect();
    if config.iter().any(|l| l.starts_with("# Unknown service")) {
        return vec![Observation::failed(
            CheckStatus::Unknown,
            format!("munin-node has no plugin {plugin:?} (`list` names those it has)"),
            reply.to_string(),
        )];
    }
    let mut order = Vec::new();
    let mut fields: BTreeMap<String, Field> = BTreeMap::new();
    let mut title = None;
    let mut graph_warning = None;
    let mut graph_critical = None;
    for line in &config {
        let Some((key, value)) = line.split_once(' ') else {
            continue;
        };
        match key {
            "graph_title" => title = Some(value.to_string()),
            // Plugin-wide thresholds apply to fields that set none.
            "warning" => graph_warning = Some(value.to_string()),
            "critical" => graph_critical = Some(value.to_string()),
            _ => {}
        }
        let Some((name, attribute)) = key.rsplit_once('.') else {
            continue;
        };
        if !fields.contains_key(name) {
            order.push(name.to_string());
        }
        let field = fields.entry(name.to_string()).or_default();
        let value = Some(value.trim().to_string());
        match attribute {
            "label" => field.label = value,
            "warning" => field.warning = value,
            "critical" => field.critical = value,
            "type" => field.kind = value,
            _ => {}
        }
    }
    for line in &fetch {
        let Some((key, value)) = line.split_once(' ') else {
            continue;
        };
        if let Some(name) = key.strip_suffix(".value") {
            if !fields.contains_key(name) {
                order.push(name.to_string());
            }
            fields.entry(name.to_string()).or_default().value = Some(value.trim().to_string());
        }
    }
    if order.is_empty() {
        return vec![Observation::failed(
            CheckStatus::Unknown,
            format!("munin-node said nothing about {plugin:?}"),
            reply.to_string(),
        )];
    }
    let title = title.unwrap_or_else(|| plugin.to_string());
    order
        .iter()
        .filter_map(|name| {
            let mut field = fields.get(name)?.clone();
            field.warning = field.warning.or_else(|| graph_warning.clone());
            field.critical = field.critical.or_else(|| graph_critical.clone());
            Some(field_row(name, &field, &title))
        })
        .collect()
}

fn field_row(name: &str, field: &Field, title: &str) -> Observation {
    let label = field.label.clone().unwrap_or_else(|| name.to_string());
    let value = field
        .value
        .as_deref()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite());
    let counter = matches!(
        field.kind.as_deref(),
        Some("DERIVE" | "COUNTER" | "ABSOLUTE")
    );
    let metric = Metric::new(name, value, "").with_thresholds(
        field.warning.as_deref().map(nagios_range),
        field.critical.as_deref().map(nagios_range),
    );
    let (status, summary) = match (value, counter) {
        (None, _) => (CheckStatus::Unknown, format!("{label}: no value (U)")),
        // Munin judges these per second between two reads; one read has no rate.
        (Some(v), true) => (
            CheckStatus::Ok,
            format!("{label}: counter at {v} (rate not judged)"),
        ),
        (Some(v), false) => (
            metric.state().unwrap_or(CheckStatus::Ok),
            format!("{label}: {v}"),
        ),
    };
    let detail = format!(
        "{title}\nfield {name} ({label}): value {}\nwarning {}, critical {} (from the plugin's config)\n",
        field.value.as_deref().unwrap_or("none"),
        field.warning.as_deref().unwrap_or("none"),
        field.critical.as_deref().unwrap_or("none"),
    );
    Observation {
        item: Some(name.to_string()),
        status,
        summary,
        detail,
        metrics: if counter { Vec::new() } else { vec![metric] },
        facts: Seen {
            value,
            ..Seen::default()
        },
        ..Observation::default()
    }
}

/// Munin writes `max`, `min:max`, `min:` or `:max`, where a single number is an upper
/// bound; the Nagios form of the same range is `~:max`, `min:max`, `min:`.
fn nagios_range(munin: &str) -> String {
    let t = munin.trim();
    match t.split_once(':') {
        None => format!("~:{t}"),
        Some(("", max)) => format!("~:{max}"),
        Some((min, "")) => format!("{min}:"),
        Some(_) => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What munin-node 2.0 (Debian 12) answers for its `load` plugin, with thresholds set
    /// in plugin-conf.d (`env.load_warning 0.01`).
    const LOAD: &str = "# munin node at web1.example.org\ngraph_title Load average\ngraph_args --base 1000 -l 0\ngraph_vlabel load\ngraph_scale no\ngraph_category system\nload.label load\nload.warning 0.01\nload.critical 5\ngraph_info The load average of the machine describes how many processes are in the run-queue (scheduled to run \"immediately\").\nload.info 5 minute load average\n.\nload.value 0.52\n.\n";

    #[test]
    fn thresholds_come_from_the_plugins_config() {
        let rows = rows_of("load", LOAD);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].item.as_deref(), Some("load"));
        assert_eq!(rows[0].status, CheckStatus::Warning);
        assert_eq!(rows[0].summary, "load: 0.52");
        assert_eq!(rows[0].metrics[0].warn.as_deref(), Some("~:0.01"));
        assert!(rows[0].detail.contains("warning 0.01, critical 5"));
    }

    #[test]
    fn each_field_is_a_row_and_unknown_plugins_say_so() {
        let reply = "# munin node at x\nused.label used\nused.critical 90\nfree.label free\nfree.warning 10:\n.\nused.value 95\nfree.value 5\n.\n";
        let rows = rows_of("df", reply);
        assert_eq!(
            rows.iter().map(|r| r.status).collect::<Vec<_>>(),
            [CheckStatus::Critical, CheckStatus::Warning]
        );
        let none = rows_of(
            "nope",
            "# munin node at x\n# Unknown service\n.\n# Unknown service\n.\n",
        );
        assert!(
            none[0].summary.contains("no plugin \"nope\""),
            "{}",
            none[0].summary
        );
        let u = rows_of("x", "a.label a\n.\na.value U\n.\n");
        assert_eq!(u[0].status, CheckStatus::Unknown);
    }

    #[test]
    fn munin_ranges_become_nagios_ranges() {
        assert_eq!(nagios_range("10"), "~:10");
        assert_eq!(nagios_range(":10"), "~:10");
        assert_eq!(nagios_range("5:"), "5:");
        assert_eq!(nagios_range("5:10"), "5:10");
        assert_eq!(split_address("db1:4949"), Some(("db1".into(), 4949)));
        assert_eq!(split_address("[::1]:4950"), Some(("::1".into(), 4950)));
        assert_eq!(split_address("db1"), Some(("db1".into(), 4949)));
    }
}
