//! Starting the workers a config asks for: one tokio task per check and target, per log
//! source, per drift target. Each sends `Event`s on the one channel (DESIGN.md, "Flow of
//! data"); dropping [`Workers`] stops them all.
//!
//! What this build cannot serve yet (hosts over ssh, disk and nagios checks) is said once,
//! honestly, as an `Unknown` check or a notice; nothing is invented.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::checks::http::{self, HttpCheck};
use crate::checks::{CheckResult, CheckStatus};
use crate::config::{CheckKind, CheckSpec, Config, DriftSpec, Target};
use crate::drift::DriftReport;
use crate::event::Event;
use crate::logs::tail::{self, LogPlan};

/// How often local drift is compared again.
pub const DRIFT_EVERY: Duration = Duration::from_secs(5);

/// The running workers. Dropping this aborts every task.
#[derive(Debug, Default)]
pub struct Workers {
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// How many tasks were started.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Stops every task now (also done on drop).
    pub fn abort_all(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.abort_all();
    }
}

/// Spawns a task for everything in `config` that this build can serve: HTTP checks, local
/// file logs and drift between envs with a `root`. Must be called inside a tokio runtime.
///
/// Events for what cannot be served are sent before this returns, so a caller sees them
/// first.
pub fn start(config: &Config, tx: UnboundedSender<Event>) -> Workers {
    let mut workers = Workers::default();
    let client = match http::client() {
        Ok(client) => Some(client),
        Err(err) => {
            let _ = tx.send(Event::Notice(format!("HTTP checks cannot run: {err}")));
            None
        }
    };
    for spec in &config.checks {
        start_check(config, spec, client.as_ref(), &tx, &mut workers);
    }
    for spec in &config.logs {
        for plan in tail::plan(spec, config) {
            match plan {
                LogPlan::File(file) => workers
                    .tasks
                    .push(tokio::spawn(tail::run(file, tx.clone()))),
                LogPlan::Unserved { source, reason } => {
                    let _ = tx.send(Event::Notice(format!("log {source}: {reason}")));
                }
            }
        }
    }
    for spec in &config.drifts {
        start_drift(config, spec, &tx, &mut workers);
    }
    workers
}

fn start_check(
    config: &Config,
    spec: &CheckSpec,
    client: Option<&reqwest::Client>,
    tx: &UnboundedSender<Event>,
    workers: &mut Workers,
) {
    match (&spec.kind, client) {
        (CheckKind::Http { url, expect }, Some(client)) => {
            for (target, vars) in http_targets(config, &spec.target) {
                let check = HttpCheck {
                    name: spec.name.clone(),
                    target,
                    url: crate::config::template_vars(url, &vars),
                    expect: expect.clone(),
                    every: spec.every,
                    timeout: spec.timeout,
                };
                workers
                    .tasks
                    .push(tokio::spawn(http::run(check, client.clone(), tx.clone())));
            }
        }
        (CheckKind::Http { .. }, None) => {
            for target in host_targets(config, &spec.target) {
                let _ = tx.send(unknown(spec, target, "no HTTP client (see the notice)"));
            }
        }
        (kind, _) => {
            let why = format!("{} checks arrive with the checks engine", kind.label());
            for target in host_targets(config, &spec.target) {
                let _ = tx.send(unknown(spec, target, &why));
            }
        }
    }
}

/// An HTTP check runs from here once per env (with the env's vars), or once for a host or
/// for no target.
fn http_targets(config: &Config, target: &Target) -> Vec<(String, BTreeMap<String, String>)> {
    let env_vars = |name: &str| {
        config
            .environment(name)
            .map(|e| e.vars.clone())
            .unwrap_or_default()
    };
    match target {
        Target::Local => vec![("local".to_string(), BTreeMap::new())],
        Target::Envs(envs) => envs.iter().map(|e| (e.clone(), env_vars(e))).collect(),
        Target::Env(env) => vec![(env.clone(), env_vars(env))],
        Target::Host(host) => {
            // A host borrows the vars of the env it belongs to, plus its own name.
            let mut vars = config
                .environments
                .iter()
                .find(|e| e.hosts.contains(host))
                .map(|e| e.vars.clone())
                .unwrap_or_default();
            vars.insert("host".into(), host.clone());
            vec![(host.clone(), vars)]
        }
    }
}

/// Where a host-side check (disk, nagios, command) would run: each host of an env named by
/// `on`, the env itself when it has no hosts.
fn host_targets(config: &Config, target: &Target) -> Vec<String> {
    let env_hosts = |name: &str| match config.environment(name) {
        Some(env) if !env.hosts.is_empty() => env.hosts.clone(),
        _ => vec![name.to_string()],
    };
    match target {
        Target::Local => vec!["local".into()],
        Target::Envs(envs) => envs.iter().flat_map(|e| env_hosts(e)).collect(),
        Target::Env(env) => env_hosts(env),
        Target::Host(host) => vec![host.clone()],
    }
}

fn unknown(spec: &CheckSpec, target: String, why: &str) -> Event {
    Event::Check(CheckResult {
        check: spec.name.clone(),
        target,
        status: CheckStatus::Unknown,
        summary: why.to_string(),
        detail: String::new(),
        latency: None,
        at: Utc::now(),
    })
}

fn start_drift(
    config: &Config,
    spec: &DriftSpec,
    tx: &UnboundedSender<Event>,
    workers: &mut Workers,
) {
    let (a, b) = &spec.between;
    match (config.environment(a), config.environment(b)) {
        (Some(left), Some(right)) if left.root.is_some() && right.root.is_some() => {
            let task = crate::drift::local::run(
                spec.clone(),
                left.clone(),
                right.clone(),
                DRIFT_EVERY,
                tx.clone(),
            );
            workers.tasks.push(tokio::spawn(task));
        }
        (left, right) => {
            let remote = match (left, right) {
                (Some(l), _) if l.root.is_some() => b,
                _ => a,
            };
            let error = if left.is_none() || right.is_none() {
                format!("no environment \"{remote}\"")
            } else {
                format!("{remote} has no root: drift over ssh arrives with the transport")
            };
            let _ = tx.send(Event::Drift(DriftReport {
                name: spec.name.clone(),
                between: spec.between.clone(),
                files: Vec::new(),
                error: Some(error),
                at: Utc::now(),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    fn disk_check() -> CheckSpec {
        CheckSpec {
            name: "disk /srv".into(),
            target: Target::Env("production".into()),
            kind: CheckKind::Disk {
                path: "/srv".into(),
                warn: 80.0,
                crit: 90.0,
            },
            every: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn unserved_specs_say_so_once() {
        let mut config = Config::default();
        config.environments.push(Environment {
            name: "production".into(),
            hosts: vec!["web1.prod".into(), "db1.prod".into()],
            ..Default::default()
        });
        config.checks.push(disk_check());
        config.drifts.push(DriftSpec {
            name: "nginx".into(),
            path: "/etc/nginx/".into(),
            between: ("production".into(), "production".into()),
            ignore: vec![],
            replace: BTreeMap::new(),
        });
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let workers = start(&config, tx);
        assert!(workers.is_empty());
        let mut events = Vec::new();
        while let Ok(event) = rx.try_recv() {
            events.push(event);
        }
        let checks: Vec<&CheckResult> = events
            .iter()
            .filter_map(|e| {
                if let Event::Check(c) = e {
                    Some(c)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].target, "web1.prod");
        assert_eq!(checks[0].status, CheckStatus::Unknown);
        assert_eq!(
            checks[0].summary,
            "disk checks arrive with the checks engine"
        );
        let drift = events.iter().find_map(|e| {
            if let Event::Drift(d) = e {
                Some(d)
            } else {
                None
            }
        });
        let error = drift.and_then(|d| d.error.clone()).unwrap_or_default();
        assert!(
            error.contains("drift over ssh arrives with the transport"),
            "{error}"
        );
    }
}
