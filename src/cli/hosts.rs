//! `sheriff hosts`: connect to each configured host and report whether it connects, its
//! host key fingerprint and the latency; exit 1 if any fails. The headless twin of the
//! Health pane's host rows, built on the same `SshPool`.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::config::{self, discover, Host};
use crate::transport::ssh::{HostInfo, SshError, SshOptions, SshPool};

/// One host's outcome.
#[derive(Debug, Clone)]
pub struct HostReport {
    pub host: String,
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
                result: pool.connect(&host.name).await,
            }
        }
    });
    futures::future::join_all(checks).await
}

/// The report as a table, then each failure's full message (they say what to do).
pub fn render(reports: &[HostReport], elapsed: Duration) -> String {
    let width = reports
        .iter()
        .map(|r| r.host.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!(
        "{:<width$}  {:<6}  {:>8}  {:<58}  ADDRESS\n",
        "HOST", "STATE", "LATENCY", "HOST KEY"
    );
    for report in reports {
        match &report.result {
            Ok(info) => out.push_str(&format!(
                "{:<width$}  {:<6}  {:>8}  {:<58}  {}\n",
                report.host,
                "✔ ok",
                format_latency(info.latency),
                format!("{} {}", info.key_type, info.fingerprint),
                info.address
            )),
            Err(e) => out.push_str(&format!(
                "{:<width$}  {:<6}  {:>8}  {:<58}  {}\n",
                report.host,
                "✖ fail",
                "-",
                "-",
                e.host_state().label()
            )),
        }
    }
    let failed: Vec<&HostReport> = reports.iter().filter(|r| r.result.is_err()).collect();
    for report in &failed {
        if let Err(e) = &report.result {
            out.push_str(&format!("\n{e}\n"));
        }
    }
    out.push_str(&format!(
        "\n{} of {} hosts connected in {}\n",
        reports.len() - failed.len(),
        reports.len(),
        format_latency(elapsed)
    ));
    out
}

fn format_latency(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// `sheriff hosts [NAME…]`: 0 when every host connects, 1 when any fails, 2 when the
/// config cannot be used.
pub fn run(cli_config: Option<&Path>, names: &[String]) -> anyhow::Result<ExitCode> {
    let config = match discover::discover(cli_config) {
        Ok(Some(path)) => match config::load(&path) {
            Ok(config) => config,
            Err(errors) => {
                for error in errors.iter() {
                    eprintln!("{error}");
                }
                return Ok(ExitCode::from(2));
            }
        },
        Ok(None) => {
            eprintln!(
                "sheriff hosts: no config found (looked at {})",
                discover::search_order(cli_config).join(", ")
            );
            return Ok(ExitCode::from(2));
        }
        Err(err) => {
            eprintln!("{err}");
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
