//! Running the workers a config asks for: one tokio task per check and target, per log
//! source, per drift target. Each sends `Event`s on the one channel (DESIGN.md, "Flow of
//! data"); dropping [`Workers`] stops them all.
//!
//! A config becomes a list of [`Job`]s, each a plain value. A reload compares the new
//! list with the running one: a job that is unchanged keeps running (a tail does not send
//! its backlog again), a changed one restarts, a removed one stops.
//!
//! What this build cannot serve yet (hosts over ssh, disk and nagios checks) is said once,
//! honestly, as an `Unknown` check or a notice; nothing is invented.

use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;

use crate::checks::http::{self, HttpCheck};
use crate::checks::{targets, CheckResult, CheckStatus};
use crate::config::{CheckKind, CheckSpec, Config, DriftSpec, Environment};
use crate::drift::DriftReport;
use crate::event::{Event, Events};
use crate::logs::command::CommandTail;
use crate::logs::tail::{self, FileTail, LogPlan};

/// How often local drift is compared again.
pub const DRIFT_EVERY: Duration = Duration::from_secs(5);

/// One unit of work a config asks for. Two equal jobs do the same thing, so a reload
/// keeps a running job whose value did not change.
#[derive(Debug, Clone)]
pub enum Job {
    Http(HttpCheck),
    Tail(FileTail),
    Command(CommandTail),
    Drift {
        spec: DriftSpec,
        left: Environment,
        right: Environment,
    },
    /// Something this build cannot run: the event that says so, sent once when the job
    /// appears.
    Unserved(Event),
}

impl Job {
    /// What makes two jobs the same job: their whole value. `DriftSpec` holds compiled
    /// regexes, which do not compare; their `Debug` form is their pattern, so the debug
    /// text of a job is a faithful identity.
    fn identity(&self) -> String {
        match self {
            // The event carries the time it was made; what it says is its identity.
            Job::Unserved(Event::Check(c)) => {
                format!(
                    "unserved check {:?} {:?} {:?}",
                    c.check, c.target, c.summary
                )
            }
            Job::Unserved(Event::Drift(d)) => format!("unserved drift {:?} {:?}", d.name, d.error),
            other => format!("{other:?}"),
        }
    }
}

/// What a call to [`Workers::update`] did, for the log and the tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    pub kept: usize,
    pub started: usize,
    pub stopped: usize,
}

struct Running {
    identity: String,
    task: Option<JoinHandle<()>>,
}

/// The running workers. Dropping this aborts every task.
#[derive(Default)]
pub struct Workers {
    running: Vec<Running>,
    client: Option<reqwest::Client>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("jobs", &self.running.len())
            .finish()
    }
}

/// Starts everything in `config` that this build can serve. Must be called inside a tokio
/// runtime. Events for what cannot be served are sent before this returns.
pub fn start(config: &Config, tx: Events) -> Workers {
    let mut workers = Workers::default();
    workers.update(config, &tx);
    workers
}

impl Workers {
    /// How many tasks are running.
    pub fn len(&self) -> usize {
        self.running.iter().filter(|r| r.task.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Brings the running jobs in line with `config`: unchanged jobs keep running,
    /// changed ones restart, removed ones stop.
    pub fn update(&mut self, config: &Config, tx: &Events) -> Changes {
        let jobs = plan(config);
        let mut changes = Changes::default();
        let mut old = std::mem::take(&mut self.running);
        for job in jobs {
            let identity = job.identity();
            if let Some(i) = old.iter().position(|r| r.identity == identity) {
                self.running.push(old.swap_remove(i));
                changes.kept += 1;
                continue;
            }
            let task = self.spawn(job, tx);
            self.running.push(Running { identity, task });
            changes.started += 1;
        }
        for gone in old {
            if let Some(task) = gone.task {
                task.abort();
            }
            changes.stopped += 1;
        }
        changes
    }

    fn spawn(&mut self, job: Job, tx: &Events) -> Option<JoinHandle<()>> {
        match job {
            Job::Http(check) => match self.http_client(tx) {
                Some(client) => Some(tokio::spawn(http::run(check, client, tx.clone()))),
                None => {
                    let why = "no HTTP client (see the notice)";
                    let _ = tx.send(unknown(&check.name, check.target, why));
                    None
                }
            },
            Job::Tail(file) => Some(tokio::spawn(tail::run(file, tx.clone()))),
            Job::Command(command) => Some(tokio::spawn(command.run(tx.clone()))),
            Job::Drift { spec, left, right } => {
                let task = crate::drift::local::run(spec, left, right, DRIFT_EVERY, tx.clone());
                Some(tokio::spawn(task))
            }
            Job::Unserved(event) => {
                let _ = tx.send(event);
                None
            }
        }
    }

    /// One HTTP client for every check (it pools connections); built when first needed.
    fn http_client(&mut self, tx: &Events) -> Option<reqwest::Client> {
        if self.client.is_none() {
            match http::client() {
                Ok(client) => self.client = Some(client),
                Err(err) => {
                    let _ = tx.send(Event::Notice(format!("HTTP checks cannot run: {err}")));
                }
            }
        }
        self.client.clone()
    }

    /// Stops every task now (also done on drop).
    pub fn abort_all(&mut self) {
        for running in self.running.drain(..) {
            if let Some(task) = running.task {
                task.abort();
            }
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.abort_all();
    }
}

/// The jobs `config` asks for, in config order.
pub fn plan(config: &Config) -> Vec<Job> {
    let mut jobs = Vec::new();
    for spec in &config.checks {
        plan_check(config, spec, &mut jobs);
    }
    for spec in &config.logs {
        for plan in tail::plan(spec, config) {
            jobs.push(match plan {
                LogPlan::File(file) => Job::Tail(file),
                LogPlan::Command(command) => Job::Command(command),
                LogPlan::Unserved { source, reason } => {
                    Job::Unserved(Event::Notice(format!("log {source}: {reason}")))
                }
            });
        }
    }
    for spec in &config.drifts {
        jobs.push(plan_drift(config, spec));
    }
    jobs
}

fn plan_check(config: &Config, spec: &CheckSpec, jobs: &mut Vec<Job>) {
    for target in targets::expand(config, spec) {
        jobs.push(match &spec.kind {
            CheckKind::Http { url, expect } => Job::Http(HttpCheck {
                name: spec.name.clone(),
                url: crate::config::template_vars(url, &target.vars),
                target: target.name,
                expect: expect.clone(),
                every: spec.every,
                timeout: spec.timeout,
            }),
            kind => {
                let why = format!("{} checks arrive with the checks engine", kind.label());
                Job::Unserved(unknown(&spec.name, target.name, &why))
            }
        });
    }
}

fn unknown(check: &str, target: String, why: &str) -> Event {
    Event::Check(CheckResult {
        check: check.to_string(),
        target,
        status: CheckStatus::Unknown,
        summary: why.to_string(),
        detail: String::new(),
        latency: None,
        at: Utc::now(),
    })
}

fn plan_drift(config: &Config, spec: &DriftSpec) -> Job {
    let (a, b) = &spec.between;
    match (config.environment(a), config.environment(b)) {
        (Some(left), Some(right)) if left.root.is_some() && right.root.is_some() => Job::Drift {
            spec: spec.clone(),
            left: left.clone(),
            right: right.clone(),
        },
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
            Job::Unserved(Event::Drift(DriftReport {
                name: spec.name.clone(),
                between: spec.between.clone(),
                files: Vec::new(),
                error: Some(error),
                at: Utc::now(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Target;
    use std::collections::BTreeMap;

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
        let (tx, mut rx) = crate::event::channel();
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

#[cfg(test)]
mod reload_tests {
    use super::*;
    use crate::config::{LogSource, LogSpec, Target};

    fn log(name: &str, path: &std::path::Path) -> LogSpec {
        LogSpec {
            name: name.into(),
            target: Target::Local,
            source: LogSource::File(path.display().to_string()),
        }
    }

    #[tokio::test]
    async fn an_unchanged_config_keeps_every_worker_and_a_change_restarts_only_it() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.log");
        let b = dir.path().join("b.log");
        let mut config = Config::default();
        config.logs.push(log("a", &a));
        config.logs.push(log("b", &b));
        let (tx, _rx) = crate::event::channel();
        let mut workers = start(&config, tx.clone());
        assert_eq!(workers.len(), 2);
        let same = workers.update(&config.clone(), &tx);
        assert_eq!(
            same,
            Changes {
                kept: 2,
                started: 0,
                stopped: 0
            }
        );
        config.logs[1] = log("b", &dir.path().join("c.log"));
        config.logs.push(log("d", &a));
        let changed = workers.update(&config, &tx);
        assert_eq!(
            changed,
            Changes {
                kept: 1,
                started: 2,
                stopped: 1
            }
        );
        config.logs.truncate(1);
        let removed = workers.update(&config, &tx);
        assert_eq!(
            removed,
            Changes {
                kept: 1,
                started: 0,
                stopped: 2
            }
        );
        assert_eq!(workers.len(), 1);
    }
}
