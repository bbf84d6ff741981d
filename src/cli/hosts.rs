//! `sheriff hosts`: connect to each configured host and report whether it connects, its
//! host key fingerprint and the latency; exit 1 if any fails. The headless twin of the
//! Health pane's host rows, built on the same `SshPool`. `sheriff hosts --resolve` prints
//! what sheriff will use for a host, in `ssh -G` style, without connecting.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::config::duration::format_duration;
use crate::config::{discover, Host};
use crate::transport::ssh::resolve::{resolve, ResolvedHost};
use crate::transport::ssh::ssh_config::SshConfig;
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

/// `sheriff hosts --resolve NAME… [--ssh-config FILE]`: each name (a host of sheriff's
/// config, or any `~/.ssh/config` alias) as sheriff will reach it. Exit 0 when every name
/// resolves, 1 when any cannot (a config `ssh` would refuse too, a setting sheriff cannot
/// use), 2 when sheriff's own config cannot be used.
pub fn run_resolve(
    cli_config: Option<&Path>,
    names: &[String],
    ssh_config: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    if names.is_empty() {
        eprintln!("sheriff hosts --resolve: name at least one host or ~/.ssh/config alias");
        return Ok(ExitCode::from(2));
    }
    // Only aliases need no sheriff config; a broken one is still reported.
    let configured: Vec<Host> = match super::find_config(cli_config) {
        Ok(Some((_, config))) => config.hosts.clone(),
        Ok(None) => Vec::new(),
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(2));
        }
    };
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"));
    let ssh_config = match ssh_config {
        Some(path) => SshConfig::load_required(path, &home),
        None => SshConfig::load(&home.join(".ssh/config"), &home),
    };
    let options = SshOptions::default();
    let find = |name: &str| configured.iter().find(|h| h.name == name).cloned();
    let mut failed = false;
    let mut blocks = Vec::new();
    for name in names {
        let host = find(name).unwrap_or_else(|| Host::named(name));
        match resolve(&host, &ssh_config, &options, &home, &find) {
            Ok(resolved) => {
                for note in &resolved.notes {
                    eprintln!("sheriff: {name}: {note}");
                }
                blocks.push(render_resolved(&resolved));
            }
            Err(e) => {
                failed = true;
                eprintln!("sheriff: {e}");
            }
        }
    }
    print!("{}", blocks.join("\n"));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One host in `ssh -G`'s words: lowercase keywords, one per line, values as sheriff will
/// use them (paths expanded, sheriff's defaults filled in).
pub fn render_resolved(host: &ResolvedHost) -> String {
    let paths = |files: &[PathBuf]| -> String {
        if files.is_empty() {
            "none".into()
        } else {
            let shown: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
            shown.join(" ")
        }
    };
    let mut out = format!(
        "host {}\nhostname {}\nport {}\nuser {}\n",
        host.name, host.hostname, host.port, host.user
    );
    let identities = if host.identity_files.is_empty() {
        crate::transport::ssh::auth::default_identity_files(&host.home)
    } else {
        host.identity_files.clone()
    };
    for file in identities {
        out.push_str(&format!("identityfile {}\n", file.display()));
    }
    if let Some(jump) = &host.proxy_jump_spec {
        out.push_str(&format!("proxyjump {jump}\n"));
    }
    out.push_str(&format!(
        "userknownhostsfile {}\nglobalknownhostsfile {}\n",
        paths(&host.user_known_hosts_files),
        paths(&host.global_known_hosts_files)
    ));
    if let Some(alias) = &host.host_key_alias {
        out.push_str(&format!("hostkeyalias {alias}\n"));
    }
    out.push_str(&format!(
        "identitiesonly {}\nconnecttimeout {}\nserveraliveinterval {}\nserveralivecountmax {}\n",
        if host.identities_only { "yes" } else { "no" },
        host.connect_timeout.as_secs(),
        host.keepalive.as_secs(),
        host.keepalive_count_max
    ));
    out
}
