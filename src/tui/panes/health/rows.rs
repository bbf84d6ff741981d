//! The Health pane's rows: one per check, target and item, kept in the order a sheriff
//! reads them. Environments (and hosts) are groups, the worst group first; inside a group
//! a check's rows stay together, placed by the check's worst state, then its tier; rows
//! of one check go worst first, then the longest in that state.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::checks::acks::{Ack, Acks};
use crate::checks::{CheckResult, CheckRun, CheckStatus};
use crate::config::{Config, Tier};

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
    /// Oldest first.
    pub history: VecDeque<CheckResult>,
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

#[derive(Debug, Default)]
pub struct Rows {
    rows: Vec<Row>,
    /// Indices into `rows` in display order, after the filter.
    order: Vec<usize>,
    filter: String,
    pub acks: Acks,
}

impl Rows {
    /// One waiting row per configured (check, target), keeping the rows (and history)
    /// that are still configured.
    pub fn configure(&mut self, config: &Config) {
        let mut rows = Vec::new();
        for check in &config.checks {
            for target in crate::checks::targets::expand(config, check) {
                let group = group_of(config, &target.name);
                let mut kept: Vec<Row> = self
                    .rows
                    .iter()
                    .filter(|r| r.check == check.name && r.target == target.name)
                    .cloned()
                    .collect();
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
                rows.extend(kept);
            }
        }
        self.rows = rows;
        self.refresh();
    }

    /// Takes one run: its rows replace the check's rows on that target.
    pub fn record(&mut self, run: &CheckRun) {
        let template = self
            .rows
            .iter()
            .find(|r| r.check == run.check && r.target == run.target)
            .cloned();
        let mut old: Vec<Row> = Vec::new();
        self.rows.retain(|r| {
            let ours = r.check == run.check && r.target == run.target;
            if ours {
                old.push(r.clone());
            }
            !ours
        });
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
            row.history.push_back(result.clone());
            row.last = Some(result.clone());
            // An OK result spends the row's ack.
            let _ = self.acks.of(result);
            self.rows.push(row);
        }
        self.refresh();
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.trim().to_lowercase();
        self.refresh();
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn get(&self, shown: usize) -> Option<&Row> {
        self.order.get(shown).map(|i| &self.rows[*i])
    }

    pub fn shown(&self) -> impl Iterator<Item = &Row> {
        self.order.iter().map(|i| &self.rows[*i])
    }

    pub fn all(&self) -> &[Row] {
        &self.rows
    }

    pub fn ack_of(&self, row: &Row) -> Option<&Ack> {
        if row.status() == CheckStatus::Ok {
            return None;
        }
        self.acks.get(&row.title(), &row.target)
    }

    /// Sorts and filters into `order`.
    fn refresh(&mut self) {
        let mut group_worst: BTreeMap<&str, u8> = BTreeMap::new();
        let mut check_worst: BTreeMap<(&str, &str), u8> = BTreeMap::new();
        for row in &self.rows {
            let s = row.status().severity();
            let g = group_worst.entry(row.group.as_str()).or_default();
            *g = (*g).max(s);
            let c = check_worst
                .entry((row.group.as_str(), row.check.as_str()))
                .or_default();
            *c = (*c).max(s);
        }
        let mut order: Vec<usize> = (0..self.rows.len())
            .filter(|i| self.filter.is_empty() || self.rows[*i].matches(&self.filter))
            .collect();
        let key = |row: &Row| {
            (
                std::cmp::Reverse(group_worst.get(row.group.as_str()).copied().unwrap_or(0)),
                row.group.clone(),
                std::cmp::Reverse(
                    check_worst
                        .get(&(row.group.as_str(), row.check.as_str()))
                        .copied()
                        .unwrap_or(0),
                ),
                row.tier,
                row.check.clone(),
                std::cmp::Reverse(row.status().severity()),
                row.since,
                row.target.clone(),
                row.item.clone(),
            )
        };
        order.sort_by_cached_key(|i| key(&self.rows[*i]));
        self.order = order;
    }

    pub fn counts(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for row in &self.rows {
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
