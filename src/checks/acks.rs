//! Acknowledgements: "I'm on it", written to the handoff log as `ack` entries about a
//! check row. The last ack of a row stands while the row is not OK; once it is OK again
//! the ack is spent. The Health pane and `sheriff check` read them the same way.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{CheckResult, CheckStatus};
use crate::handoff::{Entry, EntryKind};

/// Who acknowledged a row, when, and what they said.
#[derive(Debug, Clone, PartialEq)]
pub struct Ack {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// The standing acks, by (row title, target).
#[derive(Debug, Clone, Default)]
pub struct Acks {
    acks: HashMap<(String, String), Ack>,
}

impl Acks {
    pub fn from_log(entries: &[Entry]) -> Acks {
        let mut acks = Acks::default();
        acks.learn(entries);
        acks
    }

    /// Takes the ack entries among `entries` (any order): the newest per row wins.
    pub fn learn(&mut self, entries: &[Entry]) {
        for entry in entries.iter().filter(|e| e.kind == EntryKind::Ack) {
            let (Some(check), Some(target)) = (
                entry.refs.check.clone(),
                entry.refs.host.clone().or(entry.refs.env.clone()),
            ) else {
                continue;
            };
            let key = (check, target);
            if self.acks.get(&key).is_none_or(|a| a.at <= entry.time) {
                let ack = Ack {
                    by: entry.author.clone(),
                    at: entry.time,
                    note: entry.text.clone(),
                };
                self.acks.insert(key, ack);
            }
        }
    }

    /// The ack that stands for this row as it is now. A row that recovered after the ack
    /// spends it, so the next failure is news again.
    pub fn of(&mut self, row: &CheckResult) -> Option<&Ack> {
        let key = (row.title(), row.target.clone());
        if row.status == CheckStatus::Ok {
            if self.acks.get(&key).is_some_and(|a| a.at <= row.at) {
                self.acks.remove(&key);
            }
            return None;
        }
        self.acks.get(&key)
    }

    /// The ack for a row title and target, without spending anything.
    pub fn get(&self, title: &str, target: &str) -> Option<&Ack> {
        self.acks.get(&(title.to_string(), target.to_string()))
    }
}
