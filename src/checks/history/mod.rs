//! What each Health row saw: a bounded ring in memory ([`History`]) and one append-only
//! file per row on disk ([`HistoryStore`]), so sparklines, latency figures and forecasts
//! survive a restart.
//!
//! On disk a row is one JSON Lines file named by the row's key hash. Its first line is a
//! header naming the row (`{"check":…,"target":…,"item":…}`), so a person can tell what a
//! file is and a load can refuse a file that belongs to another row; every later line is
//! one sample. A sample costs one `write(2)` with `O_APPEND` under an exclusive `flock`,
//! so two sheriffs appending to one row never interleave within a line, and a kill -9
//! loses at most the line being written: the next append starts on a fresh line and a load
//! skips the fragment. No `fdatasync`: unlike a handoff note, history is not a promise,
//! and a power cut may lose its last seconds.
//!
//! Files are kept short by rewriting, not by rotating: once a file holds 2×cap samples the
//! next append writes the last cap to a temporary file in the same directory and renames
//! it over the old one, so a reader sees either the old file or the new one, never a
//! half-written one. An appender that waited for the lock on the replaced file notices
//! (the path no longer names the file it holds) and starts again on the new one.
//!
//! Plain files rather than an embedded database: a row's history is a few thousand small
//! lines, read once at startup and appended once a run, and a text file per row can be
//! read with `tail` when a sheriff wants to know what a check saw overnight.

mod store;

pub use store::HistoryStore;

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::CheckStatus;

/// One row of the Health pane: a check on a target, and which of its items (a mount
/// point, a Prometheus series) when the check has several rows; `None` for a single row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    pub check: String,
    pub target: String,
    pub item: Option<String>,
}

/// What one run of a check saw for one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub at: DateTime<Utc>,
    /// The raw state of that run, before any damping.
    pub status: CheckStatus,
    pub latency_ms: Option<f64>,
    /// Metric label and value, only for numbers that were known. A value that is not
    /// finite (NaN, infinity) is not stored on disk.
    pub values: Vec<(String, f64)>,
}

/// The last `cap` samples of one row, oldest first.
#[derive(Debug, Clone)]
pub struct History {
    samples: VecDeque<Sample>,
    cap: usize,
}

impl History {
    /// An empty history holding at most `cap` samples (at least one).
    pub fn new(cap: usize) -> History {
        let cap = cap.max(1);
        History {
            samples: VecDeque::with_capacity(cap.min(4096)),
            cap,
        }
    }

    /// Adds the newest sample, dropping the oldest once `cap` are held.
    pub fn push(&mut self, sample: Sample) {
        while self.samples.len() >= self.cap {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    /// Every sample held, oldest first.
    pub fn samples(&self) -> impl DoubleEndedIterator<Item = &Sample> {
        self.samples.iter()
    }

    /// The newest sample.
    pub fn last(&self) -> Option<&Sample> {
        self.samples.back()
    }

    /// How many samples are held.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no sample is held.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// (time, value) of the metric `label` in the samples taken within `window` before
    /// `now` (both ends included), oldest first; samples without it, or with a value that
    /// is not finite, are left out.
    pub fn series(
        &self,
        label: &str,
        now: DateTime<Utc>,
        window: Duration,
    ) -> Vec<(DateTime<Utc>, f64)> {
        let from = TimeDelta::from_std(window)
            .ok()
            .and_then(|w| now.checked_sub_signed(w))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        self.samples
            .iter()
            .filter(|s| s.at >= from && s.at <= now)
            .filter_map(|s| {
                let (_, value) = s.values.iter().find(|(l, _)| l == label)?;
                value.is_finite().then_some((s.at, *value))
            })
            .collect()
    }

    /// The latencies (milliseconds) of the samples that have one, oldest first.
    pub fn latencies(&self) -> impl Iterator<Item = f64> + '_ {
        self.samples
            .iter()
            .filter_map(|s| s.latency_ms.filter(|l| l.is_finite()))
    }
}
