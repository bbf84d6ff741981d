//! Running the workers a config asks for: one tokio task per check and target, per log
//! source, per drift target. Each sends `Event`s on the one channel (DESIGN.md, "Flow of
//! data"); dropping [`Workers`] stops them all.
//!
//! A config becomes a list of [`Job`]s, each a plain value. A reload compares the new
//! list with the running one: a job that is unchanged keeps running (a tail does not send
//! its backlog again), a changed one restarts, a removed one stops.
//!
//! What this build cannot serve yet (drift over ssh) is said once, honestly, as a notice
//! or an error row; nothing is invented.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::checks::engine::{self, CheckJob, Resources};
use crate::checks::targets;
use crate::config::{CheckSpec, Config, DriftSpec, Environment};
use crate::drift::DriftReport;
use crate::event::{Event, Events};
use crate::logs::command::CommandTail;
use crate::logs::journal::JournalTail;
use crate::logs::remote::{self, RemoteTail};
use crate::logs::runner::Runner;
use crate::logs::tail::{self, FileTail, LogPlan};

/// The runtime the workers run on. Its threads run at a lower priority (nice 10) than
/// the thread that draws, which drives the app with `block_on`: under a burst of results
/// both cores are busy with checks, and a frame should not queue behind them. Workers
/// still get every cycle the screen does not want. Blocking threads (history appends, file
/// reads) stay a minute when idle, longer than the usual `every`, so a check does not
/// start a thread each run.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_keep_alive(Duration::from_secs(60))
        .on_thread_start(give_way_to_the_screen)
        .build()
}

fn give_way_to_the_screen() {
    // SAFETY: plain syscalls on the calling thread; Linux keeps a nice value per thread,
    // so only this worker is lowered. A refusal leaves it at the normal priority.
    unsafe {
        let thread = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, 10);
    }
}

/// One unit of work a config asks for. Two equal jobs do the same thing, so a reload
/// keeps a running job whose value did not change.
#[derive(Debug, Clone)]
pub enum Job {
    Check(CheckJob),
    Tail(FileTail),
    Command(CommandTail),
    /// A file on a host, over the SSH pool.
    RemoteTail(RemoteTail),
    Journal(JournalTail),
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
    /// For a check: (check, target) and the signal that runs it now.
    run_now: Option<((String, String), Arc<Notify>)>,
    uses_ssh: bool,
}

/// The running workers. Dropping this aborts every task.
pub struct Workers {
    running: Vec<Running>,
    resources: Resources,
    /// Bumped when the SSH pool is replaced, so jobs that use it restart on the new one.
    pool_generation: u64,
}

impl Default for Workers {
    fn default() -> Self {
        Workers {
            running: Vec::new(),
            resources: Resources::new(None, None),
            pool_generation: 0,
        }
    }
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("jobs", &self.running.len())
            .finish()
    }
}

/// Starts everything in `config` that this build can serve, with no SSH pool and no check
/// history on disk. Must be called inside a tokio runtime. Events for what cannot be
/// served are sent before this returns.
pub fn start(config: &Config, tx: Events) -> Workers {
    start_with(config, tx, Resources::new(None, None))
}

/// [`start`] with the SSH pool and history store the checks should use.
pub fn start_with(config: &Config, tx: Events, resources: Resources) -> Workers {
    let mut workers = Workers {
        running: Vec::new(),
        resources,
        pool_generation: 0,
    };
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
            let mut identity = job.identity();
            let uses_ssh = match &job {
                Job::Check(check) => check.uses_ssh(),
                Job::RemoteTail(_) => true,
                Job::Command(command) => command.host.is_some(),
                Job::Journal(journal) => journal.host.is_some(),
                Job::Drift { spec, left, right } => crate::drift::run::Sides {
                    a: left.clone(),
                    b: right.clone(),
                    pool: None,
                }
                .uses_ssh(spec),
                _ => false,
            };
            if uses_ssh {
                identity.push_str(&format!(" pool#{}", self.pool_generation));
            }
            if let Some(i) = old.iter().position(|r| r.identity == identity) {
                self.running.push(old.swap_remove(i));
                changes.kept += 1;
                continue;
            }
            let run_now = match &job {
                Job::Check(check) => Some((
                    (check.spec.name.clone(), check.target.name.clone()),
                    Arc::new(Notify::new()),
                )),
                // `r` on a drift target: asked for as the check `drift NAME`.
                Job::Drift { spec, .. } => Some((
                    (format!("drift {}", spec.name), String::new()),
                    Arc::new(Notify::new()),
                )),
                _ => None,
            };
            let task = self.spawn(job, tx, run_now.as_ref().map(|(_, n)| n.clone()));
            self.running.push(Running {
                identity,
                task,
                run_now,
                uses_ssh,
            });
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

    fn spawn(&mut self, job: Job, tx: &Events, now: Option<Arc<Notify>>) -> Option<JoinHandle<()>> {
        match job {
            Job::Check(check) => {
                let now = now.unwrap_or_default();
                let task = engine::run(check, self.resources.clone(), tx.clone(), now);
                Some(tokio::spawn(task))
            }
            Job::Tail(file) => Some(tokio::spawn(tail::run(file, tx.clone()))),
            Job::Command(command) => {
                let runner = self.runner_for(command.host.as_deref(), &command.source, tx)?;
                Some(tokio::spawn(command.run_on(runner, tx.clone())))
            }
            Job::RemoteTail(file) => match self.resources.pool.clone() {
                Some(pool) => Some(tokio::spawn(remote::run(file, pool, tx.clone()))),
                None => {
                    let notice = format!(
                        "log {}: {} is not reachable: no SSH pool is configured",
                        file.source, file.host
                    );
                    let _ = tx.send(Event::Notice(notice));
                    None
                }
            },
            Job::Journal(journal) => {
                let runner = self.runner_for(journal.host.as_deref(), &journal.source, tx)?;
                Some(tokio::spawn(journal.run_on(runner, tx.clone())))
            }
            Job::Drift { spec, left, right } => {
                let sides = crate::drift::run::Sides {
                    a: left,
                    b: right,
                    pool: self.resources.pool.clone(),
                };
                let now = now.unwrap_or_default();
                let task = crate::drift::run::run(spec, sides, tx.clone(), now);
                Some(tokio::spawn(task))
            }
            Job::Unserved(event) => {
                let _ = tx.send(event);
                None
            }
        }
    }

    /// Where a command or journal source runs: here with no host, else over the pool (and
    /// without one, a notice and nothing).
    fn runner_for(&self, host: Option<&str>, source: &str, tx: &Events) -> Option<Runner> {
        let Some(host) = host else {
            return Some(Runner::Local);
        };
        match self.resources.pool.clone() {
            Some(pool) => Some(Runner::Host {
                pool,
                host: host.to_string(),
            }),
            None => {
                let notice =
                    format!("log {source}: {host} is not reachable: no SSH pool is configured");
                let _ = tx.send(Event::Notice(notice));
                None
            }
        }
    }

    /// Uses `pool` from now on; the checks and tails that run over SSH restart on it at the
    /// next [`Workers::update`] (a tail then sends its backlog again).
    /// Those that used the old pool stop now, so its connections close first.
    pub fn set_pool(&mut self, pool: Option<crate::transport::ssh::SshPool>) {
        self.running.retain(|running| {
            if running.uses_ssh {
                if let Some(task) = &running.task {
                    task.abort();
                }
            }
            !running.uses_ssh
        });
        self.resources.pool = pool;
        self.pool_generation += 1;
    }

    /// What the checks share (the HTTP clients, for silences from the pane).
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// Runs a check on a target now instead of at its next turn; false when no such
    /// check runs.
    pub fn run_now(&self, check: &str, target: &str) -> bool {
        let mut found = false;
        for running in &self.running {
            if let Some(((c, t), notify)) = &running.run_now {
                if c == check && (t == target || target.is_empty()) {
                    notify.notify_one();
                    found = true;
                }
            }
        }
        found
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
                LogPlan::Remote(file) => Job::RemoteTail(file),
                LogPlan::Journal(journal) => Job::Journal(journal),
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
        jobs.push(Job::Check(CheckJob {
            spec: spec.clone(),
            target,
        }));
    }
}

fn plan_drift(config: &Config, spec: &DriftSpec) -> Job {
    let (a, b) = &spec.between;
    match (config.environment(a), config.environment(b)) {
        (Some(left), Some(right)) => Job::Drift {
            spec: spec.clone(),
            left: left.clone(),
            right: right.clone(),
        },
        (left, _) => {
            let missing = if left.is_none() { a } else { b };
            let error = format!("no environment \"{missing}\"");
            Job::Unserved(Event::Drift(Box::new(DriftReport::failed(
                &spec.name,
                &spec.between,
                error,
            ))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CheckKind, DiskLimit, Target};

    fn disk_check() -> CheckSpec {
        CheckSpec::new(
            "disk /srv",
            Target::Env("production".into()),
            CheckKind::Disk {
                path: "/srv".into(),
                warn: DiskLimit::UsedPercent(80.0),
                crit: DiskLimit::UsedPercent(90.0),
            },
        )
    }

    #[tokio::test]
    async fn host_checks_run_per_host_and_unserved_drift_says_so_once() {
        let mut config = Config::default();
        config.environments.push(Environment {
            name: "production".into(),
            hosts: vec!["web1.prod".into(), "db1.prod".into()],
            ..Default::default()
        });
        config.checks.push(disk_check());
        config.drifts.push(DriftSpec::path(
            "nginx",
            "/etc/nginx/",
            ("production", "staging"),
        ));
        let (tx, mut rx) = crate::event::channel();
        let workers = start(&config, tx);
        assert_eq!(workers.len(), 2, "one disk check per host, no drift worker");
        let mut drifts = Vec::new();
        while let Ok(event) = rx.try_recv() {
            if let Event::Drift(d) = event {
                drifts.push(d);
            }
        }
        assert_eq!(drifts.len(), 1);
        let error = drifts[0].error.clone().unwrap_or_default();
        assert_eq!(error, "no environment \"staging\"");
    }

    #[tokio::test]
    async fn a_host_check_without_a_pool_says_the_host_is_unreachable() {
        let mut config = Config::default();
        config.environments.push(Environment {
            name: "production".into(),
            hosts: vec!["web1.prod".into()],
            ..Default::default()
        });
        config.checks.push(disk_check());
        let (tx, mut rx) = crate::event::channel();
        let _workers = start(&config, tx);
        let run = loop {
            match rx.recv().await {
                Some(Event::Check(run)) => break run,
                Some(_) => continue,
                None => panic!("no check result"),
            }
        };
        assert_eq!(run.target, "web1.prod");
        let row = &run.rows[0];
        assert!(row.unreachable);
        assert_eq!(row.status, crate::checks::CheckStatus::Unknown);
        assert!(
            row.summary.contains("not a configured host"),
            "{}",
            row.summary
        );
    }
}

#[cfg(test)]
mod remote_tail_tests {
    use super::*;
    use crate::config::{LogSource, LogSpec, Target};

    #[tokio::test]
    async fn a_log_on_an_env_with_hosts_is_one_remote_tail_per_host() {
        let mut config = Config::default();
        config.environments.push(Environment {
            name: "production".into(),
            hosts: vec!["web1".into(), "web2".into()],
            ..Default::default()
        });
        config.logs.push(LogSpec {
            name: "app".into(),
            target: Target::Env("production".into()),
            source: LogSource::File("/var/log/app.log".into()),
            format: crate::logs::parse::Format::Auto,
        });
        let sources: Vec<String> = plan(&config)
            .into_iter()
            .filter_map(|job| match job {
                Job::RemoteTail(tail) => Some(format!("{} {}", tail.source, tail.path)),
                _ => None,
            })
            .collect();
        assert_eq!(
            sources,
            ["app@web1 /var/log/app.log", "app@web2 /var/log/app.log"]
        );
        // No pool: said, not faked.
        let (tx, mut rx) = crate::event::channel();
        let workers = start(&config, tx);
        assert_eq!(workers.len(), 0);
        let Ok(Event::Notice(notice)) = rx.try_recv() else {
            panic!("a notice for the tail that cannot run");
        };
        assert!(notice.contains("app@web1"), "{notice}");
    }

    #[tokio::test]
    async fn a_journal_on_hosts_runs_over_the_pool_and_says_so_without_one() {
        let mut config = Config::default();
        config.environments.push(Environment {
            name: "production".into(),
            hosts: vec!["web1".into()],
            ..Default::default()
        });
        config.logs.push(LogSpec {
            name: "nginx".into(),
            target: Target::Env("production".into()),
            source: LogSource::Journal("nginx.service".into()),
            format: crate::logs::parse::Format::Auto,
        });
        let hosts: Vec<Option<String>> = plan(&config)
            .into_iter()
            .filter_map(|job| match job {
                Job::Journal(tail) => Some(tail.host),
                _ => None,
            })
            .collect();
        assert_eq!(hosts, [Some("web1".to_string())]);
        let (tx, mut rx) = crate::event::channel();
        let workers = start(&config, tx);
        assert_eq!(workers.len(), 0, "nothing runs without a pool");
        let Ok(Event::Notice(notice)) = rx.try_recv() else {
            panic!("a notice for the journal that cannot run");
        };
        assert!(notice.contains("nginx@web1"), "{notice}");
        assert!(notice.contains("no SSH pool"), "{notice}");
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
            format: crate::logs::parse::Format::Auto,
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
