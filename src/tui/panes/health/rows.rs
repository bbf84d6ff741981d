//! The Health pane's rows: one per check, target and item, kept in the order a sheriff
//! reads them. Environments (and hosts) are groups, the worst group first; inside a group
//! a check's rows stay together, placed by the check's worst state, then its tier; rows
//! of one check go worst first, then the longest in that state.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use unicode_width::UnicodeWidthStr;

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
/// arrived (a burst of 10,000 results costs one sort, not 10,000). What every frame
/// shows of all rows (the counts, the widest names) is kept as runs arrive, so drawing
/// reads only the rows on screen.
#[derive(Debug, Default)]
pub struct Rows {
    runs: Vec<Vec<Row>>,
    /// (check, target) -> index into `runs`.
    index: HashMap<(String, String), usize>,
    /// Per run, where its names sort; `None` when a run was added since.
    ranks: RefCell<Option<Ranks>>,
    /// (run, row) pairs in display order, after the filter; `None` when stale.
    order: RefCell<Option<Vec<(usize, usize)>>>,
    filter: String,
    /// All rows, filter or not.
    total: usize,
    counts: [usize; 4],
    /// The widest check title (with its item) and target of any row.
    widest: (usize, usize),
    pub acks: Acks,
}

/// Each run's group, check and target as their places in name order, and its (group,
/// check) pair as a dense id: the sort compares integers, not strings.
#[derive(Debug)]
struct Ranks {
    group: Vec<u32>,
    check: Vec<u32>,
    target: Vec<u32>,
    pair: Vec<u32>,
    pairs: usize,
    groups: usize,
}

impl Ranks {
    fn of(runs: &[Vec<Row>]) -> Ranks {
        let places = |pick: fn(&Row) -> &str| -> Vec<u32> {
            let mut names: Vec<&str> = runs.iter().filter_map(|r| r.first()).map(pick).collect();
            names.sort_unstable();
            names.dedup();
            runs.iter()
                .map(|r| {
                    r.first()
                        .map_or(0, |row| names.binary_search(&pick(row)).unwrap_or(0) as u32)
                })
                .collect()
        };
        let group = places(|r| r.group.as_str());
        let check = places(|r| r.check.as_str());
        let target = places(|r| r.target.as_str());
        let mut ids: HashMap<(u32, u32), u32> = HashMap::new();
        let pair = group
            .iter()
            .zip(&check)
            .map(|(g, c)| {
                let next = ids.len() as u32;
                *ids.entry((*g, *c)).or_insert(next)
            })
            .collect();
        Ranks {
            groups: group.iter().max().map_or(0, |g| *g as usize + 1),
            group,
            check,
            target,
            pair,
            pairs: ids.len(),
        }
    }
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
        self.counts = [0; 4];
        self.widest = (0, 0);
        let runs = std::mem::take(&mut self.runs);
        for rows in &runs {
            self.tally(rows, 1);
        }
        self.runs = runs;
        *self.ranks.get_mut() = None;
        self.invalidate();
    }

    /// Adds (`sign` 1) or takes away (-1) rows from the counts; the widths only grow
    /// until the next `configure`, so a column does not shrink while it is read.
    fn tally(&mut self, rows: &[Row], sign: isize) {
        for row in rows {
            let n = &mut self.counts[row.status() as usize];
            *n = n.saturating_add_signed(sign);
            let title = row.check.width() + row.item.as_deref().map_or(0, |i| i.width() + 1);
            self.widest.0 = self.widest.0.max(title);
            self.widest.1 = self.widest.1.max(row.target.width());
        }
    }

    /// The widest check title and target of any row, for the columns.
    pub fn widest(&self) -> (usize, usize) {
        self.widest
    }

    /// Takes one run: its rows replace the check's rows on that target.
    pub fn record(&mut self, run: &CheckRun) {
        let key = (run.check.clone(), run.target.clone());
        let at = match self.index.get(&key) {
            Some(i) => *i,
            None => {
                self.index.insert(key, self.runs.len());
                self.runs.push(Vec::new());
                *self.ranks.get_mut() = None;
                self.runs.len() - 1
            }
        };
        let before = self.runs[at].len();
        let mut old = std::mem::take(&mut self.runs[at]);
        self.tally(&old, -1);
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
        self.tally(&rows, 1);
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
        let mut ranks = self.ranks.borrow_mut();
        let ranks = ranks.get_or_insert_with(|| Ranks::of(&self.runs));
        let mut group_worst = vec![0u8; ranks.groups];
        let mut pair_worst = vec![0u8; ranks.pairs];
        for (i, rows) in self.runs.iter().enumerate() {
            let worst = rows
                .iter()
                .map(|r| r.status().severity())
                .max()
                .unwrap_or(0);
            let g = &mut group_worst[ranks.group[i] as usize];
            *g = (*g).max(worst);
            let p = &mut pair_worst[ranks.pair[i] as usize];
            *p = (*p).max(worst);
        }
        let mut order: Vec<(usize, usize)> = Vec::with_capacity(self.total);
        for (i, rows) in self.runs.iter().enumerate() {
            for (j, row) in rows.iter().enumerate() {
                if self.filter.is_empty() || row.matches(&self.filter) {
                    order.push((i, j));
                }
            }
        }
        let key = |&(i, j): &(usize, usize)| {
            let row = &self.runs[i][j];
            // Up to the row's state in one integer, highest bits first: worse groups,
            // group names, worse checks, tier, check names, worse rows; then the longest
            // in that state, then target and item names.
            let group = u128::from(ranks.group[i]);
            let first = (u128::from(u8::MAX - group_worst[group as usize]) << 88)
                | (group << 56)
                | (u128::from(u8::MAX - pair_worst[ranks.pair[i] as usize]) << 48)
                | ((row.tier as u128) << 40)
                | (u128::from(ranks.check[i]) << 8)
                | u128::from(u8::MAX - row.status().severity());
            (first, row.since, ranks.target[i], row.item.as_deref())
        };
        order.sort_by_cached_key(key);
        order
    }

    pub fn counts(&self) -> [usize; 4] {
        self.counts
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
