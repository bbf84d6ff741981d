//! The Health pane's rows: one per check, target and item, kept in the order a sheriff
//! reads them. Environments (and hosts) are groups, the worst group first; inside a group
//! a check's rows stay together, placed by the check's worst state, then its tier; rows
//! of one check go worst first, then the longest in that state.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::checks::acks::{Ack, Acks};
use crate::checks::{CheckResult, CheckRun, CheckStatus};
use crate::config::{Config, Tier};

/// One earlier result, as the detail view's history lists it.
#[derive(Debug, Clone)]
pub struct Past {
    pub status: CheckStatus,
    pub at: DateTime<Utc>,
    pub summary: String,
    pub latency: Option<std::time::Duration>,
}

/// How many results a row keeps for its detail view.
const HISTORY: usize = 30;

#[derive(Debug, Clone)]
pub struct Row {
    pub check: String,
    pub target: String,
    pub item: Option<String>,
    /// The environment the target belongs to (the group), or the target itself.
    pub group: String,
    pub kind: &'static str,
    pub tier: Tier,
    pub owner: Option<String>,
    /// For an `alertmanager` check: its base URL, so `s` can silence an alert.
    pub alertmanager: Option<String>,
    pub last: Option<CheckResult>,
    /// Earlier results in brief, oldest first: the full last one is `last`, so 10,000 rows
    /// do not each keep 30 copies of a response.
    pub history: VecDeque<Past>,
    /// When the row entered its current state.
    pub since: Option<DateTime<Utc>>,
}

impl Row {
    pub fn status(&self) -> CheckStatus {
        self.last
            .as_ref()
            .map_or(CheckStatus::Unknown, |r| r.status)
    }

    pub fn title(&self) -> String {
        match &self.item {
            Some(item) => format!("{} {item}", self.check),
            None => self.check.clone(),
        }
    }

    fn matches(&self, needle: &str) -> bool {
        let summary = self.last.as_ref().map_or("", |r| r.summary.as_str());
        [
            self.check.as_str(),
            self.target.as_str(),
            self.item.as_deref().unwrap_or(""),
            summary,
            self.owner.as_deref().unwrap_or(""),
            self.status().as_str(),
            self.kind,
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(needle))
    }
}

/// The rows, kept per (check, target) so one run replaces its rows in O(its rows); the
/// display order is worked out when it is next read, once per frame however many runs
/// arrived (a burst of 10,000 results costs one sort, not 10,000).
#[derive(Debug, Default)]
pub struct Rows {
    runs: Vec<Vec<Row>>,
    /// (check, target) -> index into `runs`.
    index: HashMap<(String, String), usize>,
    /// (run, row) pairs in display order, after the filter; `None` when stale.
    order: RefCell<Option<Vec<(usize, usize)>>>,
    filter: String,
    /// All rows, filter or not.
    total: usize,
    pub acks: Acks,
}

impl Rows {
    /// One waiting row per configured (check, target), keeping the rows (and history)
    /// that are still configured.
    pub fn configure(&mut self, config: &Config) {
        let mut old = std::mem::take(&mut self.runs);
        let old_index = std::mem::take(&mut self.index);
        for check in &config.checks {
            for target in crate::checks::targets::expand(config, check) {
                let group = group_of(config, &target.name);
                let key = (check.name.clone(), target.name.clone());
                let mut kept = old_index
                    .get(&key)
                    .map(|i| std::mem::take(&mut old[*i]))
                    .unwrap_or_default();
                if kept.is_empty() {
                    kept.push(Row {
                        check: check.name.clone(),
                        target: target.name.clone(),
                        item: None,
                        group: group.clone(),
                        kind: "",
                        tier: check.tier,
                        owner: None,
                        alertmanager: None,
                        last: None,
                        history: VecDeque::new(),
                        since: None,
                    });
                }
                let alertmanager = match &check.kind {
                    crate::config::CheckKind::Alertmanager { url, .. } => {
                        Some(crate::config::template_vars(url, &target.vars))
                    }
                    _ => None,
                };
                for row in &mut kept {
                    row.alertmanager = alertmanager.clone();
                    row.kind = check.kind.label();
                    row.tier = check.tier;
                    row.owner = check.owner.clone();
                    row.group = group.clone();
                }
                if !self.index.contains_key(&key) {
                    self.index.insert(key, self.runs.len());
                    self.runs.push(kept);
                }
            }
        }
        self.total = self.runs.iter().map(Vec::len).sum();
        self.invalidate();
    }

    /// Takes one run: its rows replace the check's rows on that target.
    pub fn record(&mut self, run: &CheckRun) {
        let key = (run.check.clone(), run.target.clone());
        let at = match self.index.get(&key) {
            Some(i) => *i,
            None => {
                self.index.insert(key, self.runs.len());
                self.runs.push(Vec::new());
                self.runs.len() - 1
            }
        };
        let before = self.runs[at].len();
        let mut old = std::mem::take(&mut self.runs[at]);
        let template = old.first().cloned();
        let mut rows = Vec::with_capacity(run.rows.len());
        for result in &run.rows {
            let mut row = old
                .iter()
                .position(|r| r.item == result.item)
                .map(|i| old.swap_remove(i))
                .or_else(|| {
                    template.clone().map(|mut t| {
                        t.item = result.item.clone();
                        t.last = None;
                        t.history.clear();
                        t.since = None;
                        t
                    })
                })
                .unwrap_or_else(|| Row {
                    check: result.check.clone(),
                    target: result.target.clone(),
                    item: result.item.clone(),
                    group: result.target.clone(),
                    kind: "",
                    tier: Tier::default(),
                    owner: None,
                    alertmanager: None,
                    last: None,
                    history: VecDeque::new(),
                    since: None,
                });
            if row.status() != result.status || row.since.is_none() {
                row.since = Some(result.at);
            }
            if row.history.len() == HISTORY {
                row.history.pop_front();
            }
            row.history.push_back(Past {
                status: result.status,
                at: result.at,
                summary: result.summary.clone(),
                latency: result.latency,
            });
            row.last = Some(result.clone());
            // An OK result spends the row's ack.
            let _ = self.acks.of(result);
            rows.push(row);
        }
        self.total = self.total + rows.len() - before;
        self.runs[at] = rows;
        self.invalidate();
    }

    fn invalidate(&mut self) {
        *self.order.get_mut() = None;
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.trim().to_lowercase();
        self.invalidate();
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// How many rows show (after the filter).
    pub fn len(&self) -> usize {
        if self.filter.is_empty() {
            return self.total;
        }
        self.with_order(|order| order.len())
    }

    /// The row shown at `shown`.
    pub fn get(&self, shown: usize) -> Option<&Row> {
        let (run, row) = self.with_order(|order| order.get(shown).copied())?;
        self.runs.get(run)?.get(row)
    }

    pub fn all(&self) -> impl Iterator<Item = &Row> {
        self.runs.iter().flatten()
    }

    pub fn ack_of(&self, row: &Row) -> Option<&Ack> {
        if row.status() == CheckStatus::Ok {
            return None;
        }
        self.acks.get(&row.title(), &row.target)
    }

    fn with_order<T>(&self, f: impl FnOnce(&[(usize, usize)]) -> T) -> T {
        let mut order = self.order.borrow_mut();
        let order = order.get_or_insert_with(|| self.sorted());
        f(order)
    }

    /// Sorts and filters: groups worst first, a check's rows together.
    fn sorted(&self) -> Vec<(usize, usize)> {
        let mut group_worst: HashMap<&str, u8> = HashMap::new();
        let mut check_worst: HashMap<(&str, &str), u8> = HashMap::new();
        for row in self.all() {
            let s = row.status().severity();
            let g = group_worst.entry(row.group.as_str()).or_default();
            *g = (*g).max(s);
            let c = check_worst
                .entry((row.group.as_str(), row.check.as_str()))
                .or_default();
            *c = (*c).max(s);
        }
        let mut order: Vec<(usize, usize)> = self
            .runs
            .iter()
            .enumerate()
            .flat_map(|(i, rows)| (0..rows.len()).map(move |j| (i, j)))
            .filter(|(i, j)| self.filter.is_empty() || self.runs[*i][*j].matches(&self.filter))
            .collect();
        let key = |&(i, j): &(usize, usize)| {
            let row = &self.runs[i][j];
            let group = group_worst.get(row.group.as_str()).copied().unwrap_or(0);
            let check = check_worst
                .get(&(row.group.as_str(), row.check.as_str()))
                .copied()
                .unwrap_or(0);
            (
                std::cmp::Reverse(group),
                row.group.as_str(),
                std::cmp::Reverse(check),
                row.tier,
                row.check.as_str(),
                std::cmp::Reverse(row.status().severity()),
                row.since,
                row.target.as_str(),
                row.item.as_deref(),
            )
        };
        // Each key once, not twice per comparison: the group and check lookups are hashes.
        order.sort_by_cached_key(key);
        order
    }

    pub fn counts(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for row in self.all() {
            counts[row.status() as usize] += 1;
        }
        counts
    }
}

/// The environment a target belongs to: itself when it is one, else the env listing the
/// host, else the target's own name.
fn group_of(config: &Config, target: &str) -> String {
    if config.environment(target).is_some() {
        return target.to_string();
    }
    config
        .environments
        .iter()
        .find(|e| e.hosts.iter().any(|h| h == target))
        .map_or_else(|| target.to_string(), |e| e.name.clone())
}
