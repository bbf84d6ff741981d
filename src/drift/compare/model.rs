//! What a comparison finds, as the Drift pane, `sheriff drift` and `--json` show it. Every
//! string in here has been through the redactor and made printable; no clear secret value
//! is ever held by these types.

use serde_json::{json, Value};

use super::hunk::{Hunk, LineTag};
use super::id::{self, ContentId};
use super::secret::SECRET_SHOWN;

/// One drift target compared: a file diff per path present on either side.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetDiff {
    pub files: Vec<FileDiff>,
    /// Problems of a side as a whole ("more than 10,000 files"), printable and redacted.
    pub notes: Vec<String>,
}

/// What became of one path between side a and side b.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The content differs (after the rules).
    Changed,
    OnlyA,
    OnlyB,
    /// The content is the same; permissions or owner are not.
    Mode,
    Same,
    /// One side could not read the file.
    Unreadable,
}

impl Status {
    /// The name used in JSON and by `sheriff drift`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Changed => "changed",
            Status::OnlyA => "only_a",
            Status::OnlyB => "only_b",
            Status::Mode => "mode",
            Status::Same => "same",
            Status::Unreadable => "unreadable",
        }
    }
}

/// A value as it may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    Value(String),
    /// A value that looks secret: only whether it differs is known.
    Secret,
}

impl Shown {
    pub fn as_str(&self) -> &str {
        match self {
            Shown::Value(value) => value,
            Shown::Secret => SECRET_SHOWN,
        }
    }
}

/// One key path that differs in a structured file. `a` or `b` is `None` where the key is
/// missing on that side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    pub key: String,
    pub a: Option<Shown>,
    pub b: Option<Shown>,
}

impl KeyChange {
    /// `server.workers: 8 → 4`, `+ cache.ttl: 60`, `- debug: true`, `DB_PASSWORD differs`.
    pub fn describe(&self) -> String {
        match (&self.a, &self.b) {
            (Some(Shown::Secret), Some(Shown::Secret)) => format!("{} differs", self.key),
            (Some(a), Some(b)) => format!("{}: {} → {}", self.key, a.as_str(), b.as_str()),
            (None, Some(b)) => format!("+ {}: {}", self.key, b.as_str()),
            (Some(a), None) => format!("- {}: {}", self.key, a.as_str()),
            (None, None) => self.key.clone(),
        }
    }
}

/// Lines added and removed going from side a to side b (`+4 −3`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub added: usize,
    pub removed: usize,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "+{} −{}", self.added, self.removed)
    }
}

/// One path compared.
#[derive(Debug, Clone, PartialEq)]
pub struct FileDiff {
    pub path: String,
    pub status: Status,
    /// Key paths that differ, for a file compared by structure.
    pub keys: Vec<KeyChange>,
    /// The line diff of the normalised text (for structured files too, so the real
    /// change can be read in context).
    pub hunks: Vec<Hunk>,
    /// One line for what hunks and keys cannot say: "binary, 1.2 KiB → 1.3 KiB",
    /// "DB_PASSWORD differs", "mode 644 → 600".
    pub note: Option<String>,
}

impl FileDiff {
    pub(crate) fn new(path: &str, status: Status) -> FileDiff {
        FileDiff {
            path: super::secret::shown(path),
            status,
            keys: Vec::new(),
            hunks: Vec::new(),
            note: None,
        }
    }

    pub(crate) fn with_note(mut self, note: impl Into<String>) -> FileDiff {
        self.note = Some(note.into());
        self
    }

    pub fn is_drift(&self) -> bool {
        self.status != Status::Same
    }

    /// Lines added and removed in the hunks; for a file compared by key with no hunks, one
    /// per key added or removed and both for a key changed.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for line in self.hunks.iter().flat_map(|h| &h.lines) {
            match line.tag {
                LineTag::Insert => counts.added += 1,
                LineTag::Delete => counts.removed += 1,
                LineTag::Equal => {}
            }
        }
        if self.hunks.is_empty() {
            for key in &self.keys {
                counts.added += usize::from(key.b.is_some());
                counts.removed += usize::from(key.a.is_some());
            }
        }
        counts
    }

    /// The acceptance id of this file's drift: changes when anything shown changes.
    pub fn content_id(&self) -> ContentId {
        id::file_id(self)
    }

    /// `{"path","status","keys":[{"key","a","b"}],"hunks":["@@ …"]}` with `note` when
    /// there is one; secret values are `"••"`.
    pub fn to_json(&self) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|k| json!({"key": k.key, "a": k.a.as_ref().map(Shown::as_str), "b": k.b.as_ref().map(Shown::as_str)}))
            .collect();
        let hunks: Vec<String> = self.hunks.iter().map(Hunk::unified).collect();
        let mut file = json!({"path": self.path, "status": self.status.as_str(), "keys": keys, "hunks": hunks});
        if let Some(note) = &self.note {
            file["note"] = Value::from(note.as_str());
        }
        file
    }
}

impl TargetDiff {
    /// The files that differ in any way.
    pub fn drifted(&self) -> impl Iterator<Item = &FileDiff> {
        self.files.iter().filter(|f| f.is_drift())
    }

    /// The acceptance id of the whole target's drift.
    pub fn content_id(&self) -> ContentId {
        id::target_id(self)
    }

    /// The `files` array of the JSON.
    pub fn files_json(&self) -> Value {
        Value::Array(self.files.iter().map(FileDiff::to_json).collect())
    }
}
