//! `sheriff drift`: every drift target compared once, as a unified diff (secrets masked)
//! or JSON, for scripts and CI. Exit 0 when nothing drifted, 1 when something did, 2 when a
//! target could not be compared (or the config or the arguments are wrong).

use std::path::Path;
use std::process::ExitCode;

use serde_json::{json, Value};

use chrono::Utc;

use crate::config::duration::parse_duration;
use crate::config::{Config, DriftSpec};
use crate::drift::accepted;
use crate::drift::compare::{FileDiff, Status};
use crate::drift::run::{compare, Sides};
use crate::drift::DriftReport;
use crate::handoff::Log;
use crate::transport::ssh::{SshOptions, SshPool};

/// What `sheriff drift` was asked.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DriftArgs {
    #[command(subcommand)]
    pub accept: Option<DriftCommand>,
    /// Only these targets (default: all).
    pub names: Vec<String>,
    /// Compare these two environments instead of each target's own.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub between: Option<Vec<String>>,
    /// Read the environment that has this host from it, instead of its first host.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Print JSON instead of a diff.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum DriftCommand {
    /// Accept a target's drift (or one file's) as expected, with a why and maybe an
    /// expiry: recorded in the handoff log, and not counted while its content stays.
    Accept(AcceptArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct AcceptArgs {
    /// The drift target.
    pub name: String,
    /// One file of it (default: all its drift as it is now).
    pub path: Option<String>,
    /// Why this drift is expected.
    #[arg(long)]
    pub why: String,
    /// For how long (`7d`, `12h`); default: until its content changes.
    #[arg(long = "for", value_name = "DURATION")]
    pub for_: Option<String>,
    /// Compare these two environments instead of the target's own.
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub between: Option<Vec<String>>,
    /// Accept how this host's copy differs from its environment's reference host, as it
    /// differs now, instead of drift between the environments.
    #[arg(long, value_name = "HOST", conflicts_with = "path")]
    pub host: Option<String>,
}

pub fn run(config_path: Option<&Path>, args: &DriftArgs) -> ExitCode {
    match run_inner(config_path, args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("sheriff drift: {message}");
            ExitCode::from(2)
        }
    }
}

fn run_inner(config_path: Option<&Path>, args: &DriftArgs) -> Result<ExitCode, String> {
    let Some((_, config)) = super::find_config(config_path)? else {
        return Err("no config file: pass --config FILE or create sheriff.toml".into());
    };
    if let Some(DriftCommand::Accept(accept)) = &args.accept {
        return accept_drift(&config, accept);
    }
    let specs = selected(&config, args)?;
    let reports = compare_all(&config, &specs)?;
    if args.json {
        let targets: Vec<Value> = reports.iter().map(to_json).collect();
        println!("{}", json!({ "targets": targets }));
    } else {
        for report in &reports {
            print!("{}", as_text(report));
        }
    }
    Ok(ExitCode::from(exit_code(&reports)))
}

/// Each target compared once, side by side, with the acceptances in the handoff log
/// applied.
fn compare_all(config: &Config, specs: &[DriftSpec]) -> Result<Vec<DriftReport>, String> {
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start: {e}"))?;
    let pool = SshPool::new(&config.hosts, SshOptions::default(), None);
    let mut reports: Vec<DriftReport> = runtime.block_on(async {
        let runs = specs.iter().map(|spec| {
            let pool = pool.clone();
            async move {
                match Sides::of(spec, config, Some(pool)) {
                    Ok(sides) => compare(spec, &sides).await,
                    Err(error) => DriftReport::failed(&spec.name, &spec.between, error),
                }
            }
        });
        futures::future::join_all(runs).await
    });
    let entries = Log::from_spec(&config.handoff)
        .load()
        .map(|loaded| loaded.entries)
        .map_err(|e| format!("reading the handoff log for accepted drift: {e:#}"))?;
    let acceptances = accepted::from_log(&entries);
    for report in &mut reports {
        report.apply_acceptances(&acceptances, Utc::now());
    }
    Ok(reports)
}

/// `sheriff drift accept`: the target compared now, and what drifts of it (or of the one
/// file) accepted as it is, in the handoff log.
fn accept_drift(config: &Config, args: &AcceptArgs) -> Result<ExitCode, String> {
    let select = DriftArgs {
        names: vec![args.name.clone()],
        between: args.between.clone(),
        ..DriftArgs::default()
    };
    let specs = selected(config, &select)?;
    let until = match &args.for_ {
        Some(text) => {
            let length = parse_duration(text).map_err(|e| format!("--for {text}: {e}"))?;
            let length = chrono::TimeDelta::from_std(length).map_err(|e| e.to_string())?;
            Some(Utc::now() + length)
        }
        None => None,
    };
    if args.why.trim().is_empty() {
        return Err("--why says why this drift is expected; it cannot be empty".into());
    }
    let report = compare_all(config, &specs)?.remove(0);
    if let Some(error) = &report.error {
        return Err(format!("{} could not be compared: {error}", report.name));
    }
    let Some(diff) = &report.diff else {
        return Err(format!("{} could not be compared", report.name));
    };
    let content = match (&args.path, &args.host) {
        (_, Some(host)) => peer_content(&report, host)?,
        (None, None) if diff.drifted().next().is_none() => {
            return Err(format!("{} does not drift: nothing to accept", report.name))
        }
        (None, None) => diff.content_id().to_string(),
        (Some(path), None) => match diff.drifted().find(|f| &f.path == path) {
            Some(file) => file.content_id().to_string(),
            None => {
                let drifted: Vec<&str> = diff.drifted().map(|f| f.path.as_str()).collect();
                return Err(format!(
                    "{path} does not drift in {}; what drifts: {}",
                    report.name,
                    if drifted.is_empty() {
                        "nothing".into()
                    } else {
                        drifted.join(", ")
                    }
                ));
            }
        },
    };
    let log = Log::from_spec(&config.handoff);
    let acceptance = accepted::Acceptance {
        target: report.name.clone(),
        path: args.path.clone(),
        hunk: None,
        host: args.host.clone(),
        content,
        why: args.why.trim().to_string(),
        by: crate::handoff::author(&config.handoff),
        at: Utc::now(),
        until,
    };
    let saved = log
        .append(acceptance.to_entry())
        .map_err(|e| format!("the handoff log: {e:#}"))?;
    println!("saved {}: {}", saved.entry.kind, saved.entry.text);
    Ok(ExitCode::SUCCESS)
}

/// The content id of how `host` differs from its reference in `report`, to accept.
fn peer_content(report: &DriftReport, host: &str) -> Result<String, String> {
    let differing = || {
        let hosts: Vec<&str> = report.peers.iter().map(|p| p.host.as_str()).collect();
        match hosts.is_empty() {
            true => "none".to_string(),
            false => hosts.join(", "),
        }
    };
    let Some(peer) = report.peers.iter().find(|p| p.host == host) else {
        return Err(format!(
            "{host} does not differ from its reference in {}; the hosts that do: {}",
            report.name,
            differing()
        ));
    };
    match &peer.diff {
        Some(diff) => Ok(diff.content_id().to_string()),
        None => Err(format!(
            "{host} could not be read ({}): there is nothing to accept",
            peer.paths.join(", ")
        )),
    }
}

/// The targets asked for, with `--between` and `--host` applied.
fn selected(config: &Config, args: &DriftArgs) -> Result<Vec<DriftSpec>, String> {
    for name in &args.names {
        if !config.drifts.iter().any(|d| &d.name == name) {
            let known: Vec<&str> = config.drifts.iter().map(|d| d.name.as_str()).collect();
            return Err(format!(
                "no drift target named {name:?}; the targets are: {}",
                known.join(", ")
            ));
        }
    }
    if let Some(envs) = &args.between {
        for env in envs {
            if config.environment(env).is_none() {
                return Err(format!("no environment {env:?} in the config"));
            }
        }
        if envs[0] == envs[1] {
            return Err("--between names one environment twice".into());
        }
    }
    if let Some(host) = &args.host {
        if !config.environments.iter().any(|e| e.hosts.contains(host)) {
            return Err(format!("{host:?} is not a host of any environment"));
        }
    }
    let specs: Vec<DriftSpec> = config
        .drifts
        .iter()
        .filter(|d| args.names.is_empty() || args.names.contains(&d.name))
        .map(|spec| {
            let mut spec = spec.clone();
            if let Some(envs) = &args.between {
                spec.between = (envs[0].clone(), envs[1].clone());
            }
            if let Some(host) = &args.host {
                spec.reference.insert(0, host.clone());
            }
            spec
        })
        .collect();
    if specs.is_empty() {
        return Err("no drift targets in the config: add [[drift]] sections".into());
    }
    Ok(specs)
}

/// 2 if any target could not be compared, else 1 if any drifted, else 0.
fn exit_code(reports: &[DriftReport]) -> u8 {
    if reports.iter().any(|r| r.error.is_some()) {
        2
    } else if reports
        .iter()
        .any(|r| r.unaccepted().next().is_some() || r.unaccepted_peers().next().is_some())
    {
        1
    } else {
        0
    }
}

/// The JSON for one target; secret values are `"••"`.
fn to_json(report: &DriftReport) -> Value {
    let (a, b) = &report.between;
    let (ra, rb) = &report.reference;
    let peers: Vec<Value> = report
        .peers
        .iter()
        .map(|p| {
            let accepted = report.accepted_peers.iter().find(|a| a.path == p.host);
            json!({
                "host": p.host,
                "differs_from": p.differs_from,
                "paths": p.paths,
                "files": p.diff.as_ref().map(|d| d.drifted().map(FileDiff::to_json).collect::<Vec<_>>()),
                "accepted": accepted.map(accepted_json),
            })
        })
        .collect();
    let mut target = json!({
        "name": report.name,
        "between": [a, b],
        "reference_hosts": [ra, rb],
        "files": report.files().iter().map(FileDiff::to_json).collect::<Vec<_>>(),
        "accepted": report.accepted.iter().map(|a| {
            let mut said = accepted_json(a);
            said["path"] = Value::from(a.path.as_str());
            said
        }).collect::<Vec<_>>(),
        "peers": peers,
    });
    if let Some(error) = &report.error {
        target["error"] = Value::from(error.as_str());
    }
    target
}

/// `{"why","by","until"}` of an acceptance.
fn accepted_json(accepted: &accepted::AcceptedDrift) -> Value {
    json!({
        "why": accepted.why,
        "by": accepted.by,
        "until": accepted.until.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    })
}

/// A target as text: a line saying what was compared and how it went, then each file that
/// drifted, as a unified diff or one line, then the peers.
fn as_text(report: &DriftReport) -> String {
    let (a, b) = &report.between;
    let (ra, rb) = &report.reference;
    let mut out = String::new();
    let side = |env: &str, from: &str| match from.is_empty() || from == env {
        true => env.to_string(),
        false => format!("{env} ({from})"),
    };
    let head = format!("drift {}: {} ↔ {}", report.name, side(a, ra), side(b, rb));
    if let Some(error) = &report.error {
        out.push_str(&format!("{head}: not compared: {error}\n"));
        return out;
    }
    let drifted: Vec<&FileDiff> = report.unaccepted().collect();
    let accepted = match report.accepted.len() {
        0 => String::new(),
        n => format!(" ({n} accepted)"),
    };
    match drifted.len() {
        0 => out.push_str(&format!("{head}: no drift{accepted}\n")),
        1 => out.push_str(&format!("{head}: 1 file differs{accepted}\n")),
        n => out.push_str(&format!("{head}: {n} files differ{accepted}\n")),
    }
    for file in drifted {
        out.push_str(&file_text(file, a, b));
    }
    for file in &report.accepted {
        out.push_str(&format!("accepted: {}{}\n", file.path, accepted_text(file)));
    }
    for peer in &report.peers {
        let said = format!(
            "{} differs from {} in {}",
            peer.host,
            peer.differs_from,
            peer.paths.join(", ")
        );
        match report.accepted_peers.iter().find(|a| a.path == peer.host) {
            Some(accepted) => {
                out.push_str(&format!("accepted: {said}{}\n", accepted_text(accepted)))
            }
            None => {
                out.push_str(&format!("{said}\n"));
                for file in peer.diff.iter().flat_map(|d| d.drifted()) {
                    out.push_str(&file_text(file, &peer.differs_from, &peer.host));
                }
            }
        }
    }
    out
}

/// ` by alex, until 2026-12-09 10:00 UTC: why`
fn accepted_text(accepted: &accepted::AcceptedDrift) -> String {
    let until = match accepted.until {
        Some(until) => format!(", until {}", until.format("%Y-%m-%d %H:%M UTC")),
        None => String::new(),
    };
    format!(" by {}{until}: {}", accepted.by, accepted.why)
}

fn file_text(file: &FileDiff, a: &str, b: &str) -> String {
    let mut out = String::new();
    let path = &file.path;
    match file.status {
        Status::OnlyA => out.push_str(&format!("only in {a}: {path}\n")),
        Status::OnlyB => out.push_str(&format!("only in {b}: {path}\n")),
        Status::Unreadable | Status::Mode => {
            let note = file.note.as_deref().unwrap_or(file.status.as_str());
            out.push_str(&format!("{path}: {note}\n"));
        }
        Status::Changed | Status::Same => {
            for key in &file.keys {
                out.push_str(&format!("{path}: {}\n", key.describe()));
            }
            if file.hunks.is_empty() {
                if let Some(note) = &file.note {
                    out.push_str(&format!("{path}: {note}\n"));
                }
            } else {
                out.push_str(&format!("--- {a}/{path}\n+++ {b}/{path}\n"));
                for hunk in &file.hunks {
                    out.push_str(&hunk.unified());
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
        }
    }
    out
}
