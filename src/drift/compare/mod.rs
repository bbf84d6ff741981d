//! The comparison core of config drift: two sides already fetched ([`Tree`]) in, what
//! differs out ([`TargetDiff`]), as the Drift pane, `sheriff drift` and `--json` show it.
//! No I/O happens here.
//!
//! Each path present on either side gets a [`FileDiff`]: same or not by hash first (bytes
//! are not even needed then), then by content after the target's [`Rules`] — key by key
//! for JSON, YAML, TOML, INI and env files, line by line otherwise. Secrets are decided by
//! the one redactor, compared by salted hash and never kept or shown in clear.
//!
//! ```
//! use sheriff::drift::compare::{compare_trees, EnvVars, Rules, Status};
//! use sheriff::drift::side::{Entry, Tree};
//!
//! let side = |text: &str| Tree {
//!     entries: [("app.json".to_string(), Entry::file(text.as_bytes().to_vec()))].into(),
//!     notes: vec![],
//! };
//! let a = side(r#"{"server": {"workers": 8, "host": "web"}}"#);
//! let b = side(r#"{"server": {"host": "web", "workers": 4}}"#);
//! let diff = compare_trees(&a, &b, &Rules::default(), &EnvVars::default());
//! assert_eq!(diff.files[0].status, Status::Changed);
//! assert_eq!(diff.files[0].keys[0].describe(), "server.workers: 8 → 4");
//! ```

mod canonical;
mod content;
mod entry;
mod hunk;
mod id;
mod ini;
mod linediff;
mod model;
mod normalise;
mod rules;
mod secret;
mod structured;
mod sweep;

#[cfg(test)]
mod tests;

pub use hunk::{DiffLine, Hunk, LineTag, Row};
pub use id::ContentId;
pub use model::{Counts, FileDiff, KeyChange, Shown, Status, TargetDiff};
pub use rules::{EnvVars, Format, Rules, Whitespace, COMMON_COMMENT_PREFIXES};
pub use secret::SECRET_SHOWN;

use super::side::{Entry, Tree};
use rules::Placeholders;
use secret::Salt;

/// One comparison run: the rules, each side's placeholders, and the salt both sides'
/// secrets are hashed with.
pub struct Comparison<'r> {
    rules: &'r Rules,
    placeholders_a: Placeholders,
    placeholders_b: Placeholders,
    salt: Salt,
}

impl<'r> Comparison<'r> {
    /// A comparison with a fresh random salt.
    pub fn new(rules: &'r Rules, vars: &EnvVars) -> Comparison<'r> {
        Comparison {
            rules,
            placeholders_a: Placeholders::new(rules, &vars.a),
            placeholders_b: Placeholders::new(rules, &vars.b),
            salt: Salt::random(),
        }
    }

    /// Every path of either side compared, in path order.
    pub fn trees(&self, a: &Tree, b: &Tree) -> TargetDiff {
        let mut paths: Vec<&String> = a.entries.keys().chain(b.entries.keys()).collect();
        paths.sort();
        paths.dedup();
        let files = paths
            .into_iter()
            .map(|path| self.file(path, a.entries.get(path), b.entries.get(path)))
            .collect();
        let notes = a
            .notes
            .iter()
            .map(|n| format!("a: {}", secret::shown(n)))
            .chain(b.notes.iter().map(|n| format!("b: {}", secret::shown(n))))
            .collect();
        TargetDiff { files, notes }
    }

    /// One path compared; `None` where the path is missing on that side.
    pub fn file(&self, path: &str, a: Option<&Entry>, b: Option<&Entry>) -> FileDiff {
        match (a, b) {
            (Some(a), Some(b)) => self.entries(path, a, b),
            (Some(_), None) => FileDiff::new(path, Status::OnlyA),
            (None, Some(_)) => FileDiff::new(path, Status::OnlyB),
            (None, None) => FileDiff::new(path, Status::Same),
        }
    }
}

/// [`Comparison::trees`] with a fresh comparison.
pub fn compare_trees(a: &Tree, b: &Tree, rules: &Rules, vars: &EnvVars) -> TargetDiff {
    Comparison::new(rules, vars).trees(a, b)
}
