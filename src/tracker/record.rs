//! What sheriff filed: one JSON line per bug filed or commented on, and per state seen
//! when it is followed (`filed.jsonl` in the data dir, appended under a lock and fsynced).
//! The last line for a fingerprint and tracker wins. It answers "is there an open bug for
//! this?" the moment a create returns, before any tracker's search index has caught up,
//! and it is the only dedupe for trackers that cannot be searched (`mail`, `webhook`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Fingerprint, IssueRef, IssueState};
use crate::handoff::store::append_line;

/// What a bug was about, so its row can show it (`#12 open`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filed {
    pub fingerprint: Fingerprint,
    /// The tracker and where in it: `github acme/infra`, `dir /var/lib/sheriff/bugs`.
    pub tracker: String,
    pub issue: IssueRef,
    pub title: String,
    pub at: DateTime<Utc>,
    pub state: IssueState,
    #[serde(default)]
    pub source: Source,
    /// Where a route sent it, so following it asks the right repo or project.
    #[serde(default)]
    pub to: super::Destination,
}

#[derive(Debug, Clone)]
pub struct Record {
    path: PathBuf,
}

impl Record {
    pub fn at(path: PathBuf) -> Record {
        Record { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append(&self, filed: &Filed) -> std::io::Result<()> {
        let json = serde_json::to_vec(filed).map_err(std::io::Error::other)?;
        append_line(&self.path, &json, None).map_err(std::io::Error::other)
    }

    /// Every bug, its latest line each, oldest first. Unreadable lines are skipped: a
    /// record written by a newer sheriff must not stop this one filing.
    pub fn load(&self) -> Vec<Filed> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        let mut latest: Vec<Filed> = Vec::new();
        for line in text.lines() {
            let Ok(filed) = serde_json::from_str::<Filed>(line) else {
                continue;
            };
            match latest
                .iter_mut()
                .find(|f| f.issue == filed.issue && f.tracker == filed.tracker)
            {
                Some(known) => {
                    // A state line keeps the first filing's source and title.
                    known.state = filed.state;
                    known.at = known.at.max(filed.at);
                }
                None => latest.push(filed),
            }
        }
        latest
    }

    /// Records a state seen while following a bug; a line only when it changed.
    pub fn note_state(&self, filed: &Filed, state: IssueState) -> std::io::Result<bool> {
        if filed.state == state {
            return Ok(false);
        }
        let mut line = filed.clone();
        line.state = state;
        line.at = chrono::Utc::now();
        self.append(&line).map(|()| true)
    }

    /// The open bug sheriff filed for this fingerprint in this tracker, if any.
    pub fn open_for(&self, fingerprint: &Fingerprint, tracker: &str) -> Option<Filed> {
        self.load().into_iter().rev().find(|f| {
            &f.fingerprint == fingerprint && f.tracker == tracker && f.state == IssueState::Open
        })
    }
}
