//! Config drift between two environments: what differs, file by file.

pub mod compare;
pub mod fetch;
pub mod local;
pub mod side;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileDrift {
    /// Same on both sides (after ignore/replace rules).
    Same,
    /// Differs: lines added and removed going from the first env to the second.
    Changed {
        added: usize,
        removed: usize,
    },
    OnlyLeft,
    OnlyRight,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DriftFile {
    pub path: String,
    pub drift: FileDrift,
    /// A one-line note for the pane, e.g. "DB_PASSWORD differs (••)".
    pub note: Option<String>,
    /// The redacted unified diff, for the detail view.
    pub diff: String,
}

/// One `[[drift]]` target compared once.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftReport {
    pub name: String,
    pub between: (String, String),
    pub files: Vec<DriftFile>,
    /// Set when a side could not be read at all.
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

impl DriftReport {
    pub fn drifted(&self) -> impl Iterator<Item = &DriftFile> {
        self.files.iter().filter(|f| f.drift != FileDrift::Same)
    }
}
