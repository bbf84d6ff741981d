//! `sheriff check`: every configured check once, as a table or JSON, with the exit code of
//! a Nagios plugin, so cron, CI and a Nagios or Icinga server can call sheriff itself.
//!
//! Exit: 2 if any row is critical, else 3 if any is unknown, else 1 if any is a warning,
//! else 0; a bad config or usage is 3 with its message, as plugins do.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::checks::acks::Acks;
use crate::checks::engine::{check_once, Resources};
use crate::checks::targets::{self, CheckTarget};
use crate::checks::{CheckResult, CheckStatus};
use crate::config::{CheckSpec, Config};
use crate::handoff::Log;
use crate::transport::ssh::{SshOptions, SshPool};

/// What `sheriff check` was asked.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CheckArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only the targets of this environment (its hosts, or itself).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Only this host.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Acknowledged and silenced rows do not count towards the exit code.
    #[arg(long)]
    pub ignore_acked: bool,
    /// Only these checks (default: all).
    pub names: Vec<String>,
}

/// One row with what the report adds to it.
pub(crate) struct Reported {
    pub(crate) result: CheckResult,
    pub(crate) env: Option<String>,
    host: Option<String>,
    kind: &'static str,
    pub(crate) spec: CheckSpec,
    acked_by: Option<String>,
}

impl Reported {
    /// Acknowledged in the handoff log, or silenced in Alertmanager.
    fn quieted(&self) -> bool {
        self.acked_by.is_some() || self.result.labels.contains_key("silenced_by")
    }
}

pub fn run(config_path: Option<&Path>, args: &CheckArgs) -> ExitCode {
    match run_inner(config_path, args) {
        Ok(code) => code,
        Err(message) => {
            println!("SHERIFF UNKNOWN - {}", message.lines().next().unwrap_or(""));
            eprintln!("sheriff check: {message}");
            ExitCode::from(3)
        }
    }
}

fn run_inner(config_path: Option<&Path>, args: &CheckArgs) -> Result<ExitCode, String> {
    let Some((_, config)) = super::find_config(config_path)? else {
        return Err("no config file: pass --config FILE or create sheriff.toml".into());
    };
    for name in &args.names {
        if !config.checks.iter().any(|c| &c.name == name) {
            let known: Vec<&str> = config.checks.iter().map(|c| c.name.as_str()).collect();
            return Err(format!(
                "no check named {name:?}; the checks are: {}",
                known.join(", ")
            ));
        }
    }
    if let Some(env) = &args.env {
        if config.environment(env).is_none() {
            return Err(format!("no environment {env:?} in the config"));
        }
    }
    let work = selected(&config, args);
    if work.is_empty() {
        return Err("no check matches: see --env, --host and the names given".into());
    }
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start: {e}"))?;
    let mut rows = runtime.block_on(run_all(&config, work));
    let mut acks = Log::from_spec(&config.handoff)
        .load()
        .map(|loaded| Acks::from_log(&loaded.entries))
        .unwrap_or_default();
    for row in &mut rows {
        row.acked_by = acks.of(&row.result).map(|a| a.by.clone());
    }
    if args.json {
        println!(
            "{}",
            json!({ "checks": rows.iter().map(to_json).collect::<Vec<_>>() })
        );
    } else {
        print_table(&rows);
    }
    let counted = rows.iter().filter(|r| !(args.ignore_acked && r.quieted()));
    Ok(ExitCode::from(exit_code(counted.map(|r| r.result.status))))
}

/// The Nagios exit code for a set of states.
pub fn exit_code(states: impl Iterator<Item = CheckStatus>) -> u8 {
    let states: Vec<CheckStatus> = states.collect();
    if states.contains(&CheckStatus::Critical) {
        2
    } else if states.contains(&CheckStatus::Unknown) {
        3
    } else if states.contains(&CheckStatus::Warning) {
        1
    } else {
        0
    }
}

pub(crate) fn selected(config: &Config, args: &CheckArgs) -> Vec<(CheckSpec, CheckTarget)> {
    let mut work = Vec::new();
    for spec in &config.checks {
        if !args.names.is_empty() && !args.names.contains(&spec.name) {
            continue;
        }
        for target in targets::expand(config, spec) {
            let env = env_of(config, &target);
            if args.env.as_ref().is_some_and(|e| env.as_ref() != Some(e)) {
                continue;
            }
            if args
                .host
                .as_ref()
                .is_some_and(|h| target.host.as_ref() != Some(h))
            {
                continue;
            }
            work.push((spec.clone(), target));
        }
    }
    work
}

fn env_of(config: &Config, target: &CheckTarget) -> Option<String> {
    match &target.host {
        Some(host) => config
            .environments
            .iter()
            .find(|e| e.hosts.contains(host))
            .map(|e| e.name.clone()),
        None => config.environment(&target.name).map(|e| e.name.clone()),
    }
}

pub(crate) async fn run_all(config: &Config, work: Vec<(CheckSpec, CheckTarget)>) -> Vec<Reported> {
    let needs_ssh = work.iter().any(|(_, t)| t.host.is_some());
    let pool = needs_ssh.then(|| SshPool::new(&config.hosts, SshOptions::default(), None));
    let resources = Resources::new(pool, Resources::open_history());
    let resources = Arc::new(resources);
    let tasks: Vec<_> = work
        .into_iter()
        .map(|(spec, target)| {
            let resources = resources.clone();
            let env = env_of(config, &target);
            tokio::spawn(async move {
                let host = target.host.clone();
                let run = check_once(&spec, target, &resources).await;
                (spec, env, host, run)
            })
        })
        .collect();
    let mut rows = Vec::new();
    for task in tasks {
        let Ok((spec, env, host, run)) = task.await else {
            continue;
        };
        for result in run.rows {
            rows.push(Reported {
                result,
                env: env.clone(),
                host: host.clone(),
                kind: spec.kind.label(),
                spec: spec.clone(),
                acked_by: None,
            });
        }
    }
    rows
}

fn to_json(row: &Reported) -> Value {
    let r = &row.result;
    json!({
        "name": r.check,
        "env": row.env,
        "host": row.host,
        "item": r.item,
        "labels": r.labels,
        "kind": row.kind,
        "state": r.status.as_str(),
        "summary": r.summary,
        "latency_ms": r.latency.map(|l| l.as_secs_f64() * 1000.0),
        "metrics": r.metrics.iter().map(|m| json!({
            "label": m.label,
            "value": m.value,
            "uom": m.uom,
            "warn": m.warn,
            "crit": m.crit,
            "min": m.min,
            "max": m.max,
        })).collect::<Vec<_>>(),
        "forecast": r.forecast.as_ref().map(|f| json!({
            "threshold": f.threshold,
            "crosses_at": f.crosses_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "in_seconds": f.in_seconds,
        })),
        "owner": row.spec.owner,
        "tier": row.spec.tier.as_str(),
        "acked_by": row.acked_by,
    })
}

fn print_table(rows: &[Reported]) {
    let title_w = rows
        .iter()
        .map(|r| r.result.title().chars().count())
        .max()
        .unwrap_or(5)
        .min(40);
    let target_w = rows
        .iter()
        .map(|r| r.result.target.chars().count())
        .max()
        .unwrap_or(6)
        .min(24);
    for row in rows {
        let r = &row.result;
        let latency = r
            .latency
            .map(crate::config::duration::format_duration)
            .unwrap_or_default();
        let acked = row
            .acked_by
            .as_ref()
            .map(|a| format!(" [acked by {a}]"))
            .unwrap_or_default();
        println!(
            "{} {:<8} {:<title_w$} {:<target_w$} {}{acked} {latency}",
            r.status.symbol(),
            r.status.as_str(),
            r.title(),
            r.target,
            r.summary,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CheckStatus::*;

    #[test]
    fn exit_codes_follow_the_nagios_order() {
        assert_eq!(exit_code([].into_iter()), 0);
        assert_eq!(exit_code([Ok, Ok].into_iter()), 0);
        assert_eq!(exit_code([Ok, Warning].into_iter()), 1);
        assert_eq!(exit_code([Warning, Unknown].into_iter()), 3);
        assert_eq!(exit_code([Unknown, Critical, Warning].into_iter()), 2);
        assert_eq!(exit_code([Critical].into_iter()), 2);
    }
}
