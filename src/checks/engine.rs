//! The check scheduler: one task per check and target, started at a spread so 500 checks
//! do not fire in the same millisecond, each run bounded by the check's timeout and by one
//! limit on how many run at once across sheriff; the SSH pool adds its own per-host channel
//! limit. `r` in the Health pane wakes a check to run now.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{Notify, Semaphore};

use super::history::HistoryStore;
use super::kinds;
use super::rows::Rows;
use super::targets::CheckTarget;
use super::{CheckRun, HttpClients};
use crate::config::CheckSpec;
use crate::event::{Event, Events};
use crate::transport::ssh::SshPool;

/// How many checks may run at once, across every check and target.
pub const CONCURRENCY: usize = 64;
/// The first runs of all checks are spread over at most this long.
const FIRST_RUN_SPREAD: Duration = Duration::from_secs(1);

/// One check on one target: a plain value, so a reload can tell an unchanged job.
#[derive(Debug, Clone)]
pub struct CheckJob {
    pub spec: CheckSpec,
    pub target: CheckTarget,
}

impl CheckJob {
    /// Whether it needs the SSH pool (so a new pool restarts it).
    pub fn uses_ssh(&self) -> bool {
        self.target.host.is_some()
    }
}

/// What every check shares: the SSH pool, HTTP clients, the history on disk and the one
/// limit on how many run at once.
#[derive(Clone)]
pub struct Resources {
    pub pool: Option<SshPool>,
    pub http: HttpClients,
    pub history: Option<Arc<HistoryStore>>,
    pub limit: Arc<Semaphore>,
}

impl Resources {
    pub fn new(pool: Option<SshPool>, history: Option<Arc<HistoryStore>>) -> Resources {
        Resources {
            pool,
            http: HttpClients::default(),
            history,
            limit: Arc::new(Semaphore::new(CONCURRENCY)),
        }
    }

    /// The history kept in the state dir, or none (with a warning) when it cannot be made.
    pub fn open_history() -> Option<Arc<HistoryStore>> {
        let dir = crate::paths::state_dir().join("checks");
        match HistoryStore::open(&dir, super::rows::HISTORY_CAP) {
            Ok(store) => Some(Arc::new(store)),
            Err(err) => {
                tracing::warn!("check history off: cannot open {}: {err}", dir.display());
                None
            }
        }
    }
}

/// Runs `job` every `spec.every` (and whenever `now` is notified) until the receiver is
/// gone or the task is aborted.
pub async fn run(job: CheckJob, res: Resources, tx: Events, now: Arc<Notify>) {
    let fresh = || {
        Rows::new(
            job.spec.clone(),
            job.target.name.clone(),
            res.history.clone(),
        )
    };
    // A row's history is a file read: done on a blocking thread, not a runtime one.
    let mut preloading = fresh();
    let mut rows = match tokio::task::spawn_blocking(move || {
        preloading.preload();
        preloading
    })
    .await
    {
        Ok(rows) => rows,
        Err(_) => fresh(),
    };
    let first = spread(&job);
    tokio::select! {
        _ = tokio::time::sleep(first) => {}
        _ = now.notified() => {}
    }
    loop {
        let run = run_once(&job, &res, &mut rows).await;
        if tx.send_data(Event::Check(run)).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(next_in(&job)) => {}
            _ = now.notified() => {}
        }
    }
}

/// One run: waits its turn under the limit, observes, and turns that into rows.
pub async fn run_once(job: &CheckJob, res: &Resources, rows: &mut Rows) -> CheckRun {
    let observed = {
        // The semaphore is never closed; without a permit the check still runs.
        let _permit = res.limit.acquire().await.ok();
        kinds::observe(job, res).await
    };
    CheckRun {
        check: job.spec.name.clone(),
        target: job.target.name.clone(),
        rows: rows.absorb(observed, Utc::now()),
    }
}

/// One run of `spec` on `target` with no history behind it: what `sheriff check` and
/// tests ask for.
pub async fn check_once(spec: &CheckSpec, target: CheckTarget, res: &Resources) -> CheckRun {
    let job = CheckJob {
        spec: spec.clone(),
        target,
    };
    let mut rows = Rows::new(spec.clone(), job.target.name.clone(), res.history.clone());
    run_once(&job, res, &mut rows).await
}

fn identity_hash(job: &CheckJob) -> u64 {
    let mut hasher = DefaultHasher::new();
    job.spec.name.hash(&mut hasher);
    job.target.name.hash(&mut hasher);
    hasher.finish()
}

/// Where in the first second this job first runs: fixed per job, spread across jobs.
fn spread(job: &CheckJob) -> Duration {
    let window = FIRST_RUN_SPREAD.min(job.spec.every);
    let nanos = window.as_nanos().max(1) as u64;
    Duration::from_nanos(identity_hash(job) % nanos)
}

/// `every`, give or take 5%, so checks that started together drift apart.
fn next_in(job: &CheckJob) -> Duration {
    let every = job.spec.every.max(Duration::from_millis(100));
    let span = every.as_millis() as u64 / 10;
    if span == 0 {
        return every;
    }
    let offset = rand::random_range(0..span);
    every - Duration::from_millis(span / 2) + Duration::from_millis(offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CheckKind, Target};
    use std::collections::BTreeMap;

    fn job(name: &str) -> CheckJob {
        CheckJob {
            spec: CheckSpec::new(
                name,
                Target::Local,
                CheckKind::Command {
                    command: "true".into(),
                },
            ),
            target: CheckTarget {
                name: "local".into(),
                host: None,
                vars: BTreeMap::new(),
            },
        }
    }

    #[test]
    fn first_runs_spread_over_the_first_second() {
        let offsets: Vec<Duration> = (0..500).map(|i| spread(&job(&format!("c{i}")))).collect();
        assert!(offsets.iter().all(|d| *d < FIRST_RUN_SPREAD));
        let mut millis: Vec<u128> = offsets.iter().map(|d| d.as_millis()).collect();
        millis.sort();
        millis.dedup();
        // 500 checks land on hundreds of different milliseconds, not a handful.
        assert!(millis.len() > 250, "{} distinct", millis.len());
    }

    #[test]
    fn later_runs_stay_within_five_percent_of_every() {
        let j = job("x");
        for _ in 0..200 {
            let d = next_in(&j);
            assert!(
                d >= Duration::from_millis(28_500) && d <= Duration::from_millis(31_500),
                "{d:?}"
            );
        }
    }
}
