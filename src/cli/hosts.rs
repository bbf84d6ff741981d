//! `sheriff hosts`: connect to each configured host and report whether it connects, its
//! host key fingerprint and the latency; exit 1 if any fails. The headless twin of the
//! Health pane's host rows, built on the same `SshPool`.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::config::duration::format_duration;
use crate::config::{discover, Host};
use crate::transport::ssh::{HostInfo, SshError, SshOptions, SshPool};

/// One host's outcome.
#[derive(Debug, Clone)]
pub struct HostReport {
    pub host: String,
    /// `user@hostname:port` (and the jump host), when the host's settings resolve.
    pub address: Option<String>,
    pub result: Result<HostInfo, SshError>,
}

/// Connects to every host in `hosts` at once, each within its own connect timeout.
pub async fn check_hosts(hosts: &[Host], options: SshOptions) -> Vec<HostReport> {
    let pool = SshPool::new(hosts, options, None);
    let checks = hosts.iter().map(|host| {
        let pool = pool.clone();
        async move {
            HostReport {
                host: host.name.clone(),
                address: pool.resolved(&host.name).ok().map(|r| r.address()),
                result: pool.connect(&host.name).await,
            }
        }
    });
    futures::future::join_all(checks).await
}

/// The report as a table, then each failure's full message (they say what to do).
pub fn render(reports: &[HostReport], elapsed: Duration) -> String {
    let rows: Vec<[String; 5]> = reports
        .iter()
        .map(|report| {
            let address = report.address.clone().unwrap_or_else(|| "-".into());
            match &report.result {
                Ok(info) => [
                    report.host.clone(),
                    "✔ up".into(),
                    format_duration(info.latency),
                    format!("{} {}", info.key_type, info.fingerprint),
                    info.address.clone(),
                ],
                Err(e) => {
                    let key = match e {
                        SshError::HostKeyUnknown { fingerprint, .. } => fingerprint.clone(),
                        SshError::HostKeyMismatch { found, .. } => found.clone(),
                        _ => "-".into(),
                    };
                    let state = format!("✖ {}", e.host_state().label());
                    [report.host.clone(), state, "-".into(), key, address]
                }
            }
        })
        .collect();
    let header = ["HOST", "STATE", "LATENCY", "HOST KEY", "ADDRESS"].map(String::from);
    let mut widths = [0usize; 5];
    for row in rows.iter().chain(std::iter::once(&header)) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: &[String; 5]| {
        format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {:<w3$}  {}\n",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        )
    };
    let mut out = line(&header);
    for row in &rows {
        out.push_str(&line(row));
    }
    let mut failed = 0;
    for report in reports {
        if let Err(e) = &report.result {
            failed += 1;
            out.push_str(&format!("\n{e}\n"));
        }
    }
    out.push_str(&format!(
        "\n{} of {} hosts connected in {}\n",
        reports.len() - failed,
        reports.len(),
        format_duration(elapsed)
    ));
    out
}

/// `sheriff hosts [NAME…]`: 0 when every host connects, 1 when any fails, 2 when the
/// config cannot be used.
pub fn run(cli_config: Option<&Path>, names: &[String]) -> anyhow::Result<ExitCode> {
    let config = match super::find_config(cli_config) {
        Ok(Some((_, config))) => config,
        Ok(None) => {
            eprintln!(
                "sheriff hosts: no config found (looked at {})",
                discover::search_order(cli_config).join(", ")
            );
            return Ok(ExitCode::from(2));
        }
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut hosts: Vec<Host> = config.hosts.clone();
    if !names.is_empty() {
        for name in names {
            if !hosts.iter().any(|h| &h.name == name) {
                eprintln!("sheriff hosts: {name:?} is not a configured host");
                return Ok(ExitCode::from(2));
            }
        }
        hosts.retain(|h| names.contains(&h.name));
    }
    if hosts.is_empty() {
        println!("no hosts configured");
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let reports = runtime.block_on(check_hosts(&hosts, SshOptions::default()));
    print!("{}", render(&reports, started.elapsed()));
    Ok(if reports.iter().all(|r| r.result.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
