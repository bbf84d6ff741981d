//! Health checks: what a check found, and the workers that run them.

pub mod acks;
pub mod alertmanager;
pub mod condition;
pub mod damper;
pub mod engine;
pub mod exec;
pub mod forecast;
pub mod history;
pub mod http;
mod kinds;
pub mod munin;
pub mod observation;
pub mod perfdata;
pub mod plugin;
pub mod probes;
pub mod prometheus;
pub mod record;
pub mod recorder;
pub mod rows;
pub mod status;
pub mod targets;
pub mod tcp;

pub use forecast::Forecast;
pub use history::RowKey;
pub use http::HttpClients;
pub use perfdata::Metric;
pub use status::CheckStatus;
pub use targets::CheckTarget;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// One row of one check on one target: a single-row check has one per run; a check over
/// many things (every mount, every series, every alert) has one per thing, named by `item`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub check: String,
    /// The env or host it ran against ("local" when neither).
    pub target: String,
    /// Which row within the check: the mount, the series, the alert, the munin field;
    /// `None` for a check with one row.
    pub item: Option<String>,
    /// The series' or alert's labels.
    pub labels: BTreeMap<String, String>,
    /// What the row shows: after `fail_after`/`recover_after`, flapping and forecast.
    pub status: CheckStatus,
    /// One line: "200 in 43ms", "503 Service Unavailable", "timed out after 5s".
    pub summary: String,
    /// Everything the check saw (the exact request or command, response head, plugin
    /// output), for the detail view.
    pub detail: String,
    pub latency: Option<Duration>,
    pub metrics: Vec<Metric>,
    /// A threshold the trend will cross within the check's horizon.
    pub forecast: Option<Forecast>,
    /// The host it runs on is not reachable: the host's state is the problem, not this check.
    pub unreachable: bool,
    /// The last raw states, oldest first, for the row's timeline.
    pub timeline: Vec<CheckStatus>,
    /// The row's main number over the last runs (a metric with a threshold, else latency
    /// in seconds), oldest first, for its sparkline.
    pub trend: Vec<f64>,
    pub at: DateTime<Utc>,
}

impl CheckResult {
    /// A row with nothing seen yet but its state and summary.
    pub fn new(check: &str, target: &str, status: CheckStatus, summary: impl Into<String>) -> Self {
        CheckResult {
            check: check.to_string(),
            target: target.to_string(),
            item: None,
            labels: BTreeMap::new(),
            status,
            summary: summary.into(),
            detail: String::new(),
            latency: None,
            metrics: Vec::new(),
            forecast: None,
            unreachable: false,
            timeline: Vec::new(),
            trend: Vec::new(),
            at: Utc::now(),
        }
    }

    /// What names this row among all rows: check, target and item.
    pub fn key(&self) -> RowKey {
        RowKey {
            check: self.check.clone(),
            target: self.target.clone(),
            item: self.item.clone(),
        }
    }

    /// "disk /srv" or "disk * /var": the check, and the item when there is one.
    pub fn title(&self) -> String {
        match &self.item {
            Some(item) => format!("{} {item}", self.check),
            None => self.check.clone(),
        }
    }
}

/// One run of one check on one target: every row it has now. A row missing from a later
/// run (an alert resolved, a mount gone) is gone.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub check: String,
    pub target: String,
    pub rows: Vec<CheckResult>,
}

impl CheckRun {
    /// A run with one row.
    pub fn single(result: CheckResult) -> CheckRun {
        CheckRun {
            check: result.check.clone(),
            target: result.target.clone(),
            rows: vec![result],
        }
    }
}
