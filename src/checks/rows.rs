//! From what a kind observed to what a row shows: conditions, history, forecast and
//! damping, in that order, for every kind alike. One [`Rows`] lives in each running check
//! (and in each one-shot `sheriff check`), holding the rows of one check on one target.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::damper::Damper;
use super::forecast::{self, Forecast, Rule};
use super::history::{History, HistoryStore, Sample};
use super::observation::{judge, Observation};
use super::{CheckResult, CheckStatus, Metric, RowKey};
use crate::checks::condition::{Subject, Threshold};
use crate::config::CheckSpec;

/// How many results each row keeps for its timeline, sparkline and forecast.
pub const HISTORY_CAP: usize = 2000;
/// How many of them the row itself carries to the screen.
const SHOWN: usize = 30;

struct RowState {
    damper: Damper,
    history: History,
}

/// The rows of one check on one target, and what each remembers.
pub struct Rows {
    spec: CheckSpec,
    target: String,
    store: Option<Arc<HistoryStore>>,
    rows: BTreeMap<Option<String>, RowState>,
}

impl Rows {
    pub fn new(spec: CheckSpec, target: String, store: Option<Arc<HistoryStore>>) -> Rows {
        Rows {
            spec,
            target,
            store,
            rows: BTreeMap::new(),
        }
    }

    /// Reads the stored history of the row without an item now (a blocking read: call
    /// it off the async threads), so the first run does not wait on the disk.
    pub fn preload(&mut self) {
        let key = self.key(&None);
        if let (Some(store), false) = (&self.store, self.rows.contains_key(&None)) {
            let state = RowState {
                damper: Damper::new(self.spec.fail_after, self.spec.recover_after),
                history: store.load(&key),
            };
            self.rows.insert(None, state);
        }
    }

    fn key(&self, item: &Option<String>) -> RowKey {
        RowKey {
            check: self.spec.name.clone(),
            target: self.target.clone(),
            item: item.clone(),
        }
    }

    /// Turns one run's observations into the rows it shows. Rows the run did not report
    /// are forgotten (their history stays on disk for when they come back).
    pub fn absorb(&mut self, observed: Vec<Observation>, now: DateTime<Utc>) -> Vec<CheckResult> {
        let mut results = Vec::with_capacity(observed.len());
        let mut seen_items = Vec::with_capacity(observed.len());
        for mut obs in observed {
            judge(&mut obs, &self.spec.expect, &self.spec.expect_warn);
            let key = self.key(&obs.item);
            seen_items.push(obs.item.clone());
            let (fail_after, recover_after) = (self.spec.fail_after, self.spec.recover_after);
            let store = self.store.clone();
            let state = self
                .rows
                .entry(obs.item.clone())
                .or_insert_with(|| RowState {
                    damper: Damper::new(fail_after, recover_after),
                    history: store
                        .as_deref()
                        .map_or_else(|| History::new(HISTORY_CAP), |s| s.load(&key)),
                });
            backfill(&mut state.history, &obs, store.as_deref(), &key);
            let sample = Sample {
                at: now,
                status: obs.status,
                latency_ms: obs.latency.map(|l| l.as_secs_f64() * 1000.0),
                values: if obs.unreachable {
                    Vec::new()
                } else {
                    obs.metrics
                        .iter()
                        .filter_map(|m| Some((m.label.clone(), m.value?)))
                        .collect()
                },
            };
            if let Some(store) = store.as_deref() {
                if let Err(err) = store.append(&key, &sample) {
                    tracing::warn!("check history for {key:?} not kept: {err}");
                }
            }
            state.history.push(sample);
            let forecast = match self.spec.forecast {
                Some(horizon) if !obs.unreachable => {
                    soonest_crossing(&state.history, &obs.metrics, &self.spec, now, horizon)
                }
                _ => None,
            };
            let mut status = obs.status;
            let mut summary = obs.summary.clone();
            if let Some((label, f)) = &forecast {
                summary = format!("{summary}; {}", forecast_words(label, f, &obs.metrics));
                if status == CheckStatus::Ok {
                    status = CheckStatus::Warning;
                }
            }
            if !obs.unreachable {
                let shown = state.damper.observe(status);
                if let Some(flap) = &shown.flapping {
                    summary = format!(
                        "flapping: {} changes in the last {} runs; now {}: {summary}",
                        flap.changes, flap.runs, status
                    );
                } else if let Some((pending, n, needed)) = shown.pending {
                    summary = format!("{summary} ({pending} {n} of {needed} before it shows)");
                }
                status = shown.status;
            }
            let timeline: Vec<CheckStatus> = state
                .history
                .samples()
                .rev()
                .take(SHOWN)
                .map(|s| s.status)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let trend = trend(&state.history, &obs.metrics);
            results.push(CheckResult {
                check: self.spec.name.clone(),
                target: self.target.clone(),
                item: obs.item,
                labels: obs.labels,
                status,
                summary: clean(summary),
                detail: clean(obs.detail),
                latency: obs.latency,
                metrics: obs.metrics,
                forecast: forecast.map(|(_, f)| f),
                unreachable: obs.unreachable,
                timeline,
                trend,
                at: now,
            });
        }
        self.rows.retain(|item, _| seen_items.contains(item));
        results
    }
}

/// Output shown and kept is made printable, then masked (in that order, so an escape code
/// inside a secret cannot hide it from the redactor).
fn clean(text: String) -> String {
    crate::redact::mask(&crate::text::into_printable(text)).into_owned()
}

/// Samples a kind knows from before (a Prometheus range) go in front of a row's history
/// once: only those older than anything the row has seen itself.
fn backfill(history: &mut History, obs: &Observation, store: Option<&HistoryStore>, key: &RowKey) {
    if obs.past.is_empty() {
        return;
    }
    let first = history.samples().next().map(|s| s.at);
    let mut by_time: BTreeMap<DateTime<Utc>, Vec<(String, f64)>> = BTreeMap::new();
    for (at, label, value) in &obs.past {
        if first.is_none_or(|f| *at < f) {
            by_time
                .entry(*at)
                .or_default()
                .push((label.clone(), *value));
        }
    }
    if by_time.is_empty() {
        return;
    }
    let mut merged: Vec<Sample> = by_time
        .into_iter()
        .map(|(at, values)| Sample {
            at,
            status: obs.status,
            latency_ms: None,
            values,
        })
        .collect();
    merged.extend(history.samples().cloned());
    let mut rebuilt = History::new(HISTORY_CAP);
    for sample in merged {
        if let Some(store) = store {
            if first.is_none() {
                let _ = store.append(key, &sample);
            }
        }
        rebuilt.push(sample);
    }
    *history = rebuilt;
}

/// The nearest threshold crossing among the row's metrics (their warn/crit ranges) and the
/// numbers its conditions compare with (`cert_days > 14`, `value < 0.9`).
fn soonest_crossing(
    history: &History,
    metrics: &[Metric],
    spec: &CheckSpec,
    now: DateTime<Utc>,
    horizon: std::time::Duration,
) -> Option<(String, Forecast)> {
    let window = spec.forecast_window;
    let rule = Rule::default();
    let mut candidates: Vec<(String, f64)> = Vec::new();
    for metric in metrics {
        for rising in [true, false] {
            if let Some(boundary) = metric.next_boundary(rising) {
                candidates.push((metric.label.clone(), boundary));
            }
        }
    }
    for condition in spec.expect.iter().chain(&spec.expect_warn) {
        for Threshold { subject, value, .. } in condition.thresholds() {
            if let Some(label) = metric_label(&subject) {
                candidates.push((label, value));
            }
        }
    }
    candidates
        .into_iter()
        .filter_map(|(label, threshold)| {
            let series = history.series(&label, now, window);
            let f = forecast::forecast(&series, threshold, now, window, horizon, &rule)?;
            Some((label, f))
        })
        .min_by_key(|(_, f)| f.in_seconds)
}

/// The metric a condition's subject is recorded as, for a forecast on it.
fn metric_label(subject: &Subject) -> Option<String> {
    match subject {
        Subject::CertDays => Some("cert_days".into()),
        Subject::Value => Some("value".into()),
        Subject::Metric(name) => Some(name.clone()),
        _ => None,
    }
}

/// "full in 3d 4h" for a disk; "cert_days reaches 14 in 2d 1h" otherwise.
fn forecast_words(label: &str, f: &Forecast, metrics: &[Metric]) -> String {
    let when = forecast::describe(f.in_seconds);
    let uom = metrics
        .iter()
        .find(|m| m.label == label)
        .map_or("", |m| m.uom.as_str());
    match (label, uom) {
        ("used" | "inodes", "%") => format!("{}% full in {when}", trim(f.threshold)),
        _ => format!("{label} reaches {}{uom} in {when}", trim(f.threshold)),
    }
}

fn trim(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The row's main number over time: its first metric with a threshold, else its first
/// metric, else latency.
fn trend(history: &History, metrics: &[Metric]) -> Vec<f64> {
    let main = metrics
        .iter()
        .find(|m| m.value.is_some() && (m.warn.is_some() || m.crit.is_some()))
        .or_else(|| metrics.iter().find(|m| m.value.is_some()));
    let values: Vec<f64> = match main {
        Some(metric) => history
            .samples()
            .rev()
            .filter_map(|s| {
                s.values
                    .iter()
                    .find(|(l, _)| *l == metric.label)
                    .map(|(_, v)| *v)
            })
            .take(SHOWN)
            .collect(),
        None => history
            .samples()
            .rev()
            .filter_map(|s| s.latency_ms.map(|ms| ms / 1000.0))
            .take(SHOWN)
            .collect(),
    };
    values.into_iter().rev().collect()
}
