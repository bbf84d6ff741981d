use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One line of the handoff log (JSON Lines). Time is stored UTC and shown local.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub time: DateTime<Utc>,
    pub author: String,
    pub kind: EntryKind,
    pub text: String,
    /// Required for `change`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    #[serde(default, skip_serializing_if = "Refs::is_empty")]
    pub refs: Refs,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// What an entry is about; any may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bug: Option<String>,
}

impl Refs {
    pub fn is_empty(&self) -> bool {
        self == &Refs::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    Note,
    Change,
    Ack,
    Incident,
    Bug,
    DriftAccepted,
    CheckState,
    ShiftStart,
    ShiftEnd,
}

impl EntryKind {
    pub const ALL: [EntryKind; 9] = [
        EntryKind::Note,
        EntryKind::Change,
        EntryKind::Ack,
        EntryKind::Incident,
        EntryKind::Bug,
        EntryKind::DriftAccepted,
        EntryKind::CheckState,
        EntryKind::ShiftStart,
        EntryKind::ShiftEnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Change => "change",
            EntryKind::Ack => "ack",
            EntryKind::Incident => "incident",
            EntryKind::Bug => "bug",
            EntryKind::DriftAccepted => "drift-accepted",
            EntryKind::CheckState => "check-state",
            EntryKind::ShiftStart => "shift-start",
            EntryKind::ShiftEnd => "shift-end",
        }
    }

    /// Written by sheriff itself rather than typed by a person; folded in the timeline.
    pub fn is_automatic(self) -> bool {
        matches!(self, EntryKind::CheckState | EntryKind::Bug | EntryKind::DriftAccepted)
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown entry kind \"{s}\""))
    }
}
