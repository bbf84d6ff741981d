//! The Handoff timeline: which entries show for a filter, and how automatic entries (check
//! states, bugs filed, drift accepted) fold into one row so they never drown the notes.
//! The TUI's Handoff pane draws these rows; anything else that lists the log can use them.

use chrono::{DateTime, Utc};

use super::{Entry, EntryKind};

/// Which entries the timeline shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub kind: Option<EntryKind>,
    /// Only entries since the last `shift-start`.
    pub this_shift: bool,
    /// Words that must all appear; `author:NAME` and `env:NAME` match those fields.
    pub text: String,
    /// Show automatic entries one by one instead of folded.
    pub unfold_automatic: bool,
}

impl Filter {
    /// Whether `entry` shows; `shift_start` is when the current shift began.
    pub fn matches(&self, entry: &Entry, shift_start: Option<DateTime<Utc>>) -> bool {
        if self.kind.is_some_and(|k| k != entry.kind) {
            return false;
        }
        if self.this_shift && shift_start.is_some_and(|start| entry.time < start) {
            return false;
        }
        self.text.split_whitespace().all(|word| {
            let word = word.to_lowercase();
            if let Some(author) = word.strip_prefix("author:") {
                entry.author.to_lowercase() == author
            } else if let Some(env) = word.strip_prefix("env:") {
                entry
                    .refs
                    .env
                    .as_deref()
                    .is_some_and(|e| e.to_lowercase() == env)
            } else {
                entry.text.to_lowercase().contains(&word)
                    || entry
                        .why
                        .as_deref()
                        .is_some_and(|w| w.to_lowercase().contains(&word))
                    || entry.author.to_lowercase().contains(&word)
            }
        })
    }

    /// Automatic entries fold unless unfolded or a kind is picked (then each is wanted).
    fn folds(&self) -> bool {
        !self.unfold_automatic && self.kind.is_none()
    }
}

/// One row of the timeline, by index into the entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Entry(usize),
    /// A run of automatic entries next to each other, oldest first.
    Folded(Vec<usize>),
}

/// When the current shift began: the latest `shift-start`. `entries` oldest first.
pub fn shift_start(entries: &[Entry]) -> Option<DateTime<Utc>> {
    entries
        .iter()
        .rev()
        .find(|e| e.kind == EntryKind::ShiftStart)
        .map(|e| e.time)
}

/// The rows `filter` shows of `entries` (oldest first), in one pass.
pub fn rows(entries: &[Entry], filter: &Filter) -> Vec<Row> {
    let start = shift_start(entries);
    let fold = filter.folds();
    let mut rows = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        if !filter.matches(entry, start) {
            continue;
        }
        match (fold && entry.is_automatic(), rows.last_mut()) {
            (true, Some(Row::Folded(run))) => run.push(i),
            (true, _) => rows.push(Row::Folded(vec![i])),
            (false, _) => rows.push(Row::Entry(i)),
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handoff::Refs;

    fn at(minutes: i64, entry: Entry) -> Entry {
        let mut entry = entry;
        entry.time = DateTime::from_timestamp(1_700_000_000 + minutes * 60, 0).unwrap_or_default();
        entry
    }

    fn state(text: &str) -> Entry {
        let refs = Refs {
            check: Some("api".into()),
            env: Some("staging".into()),
            ..Refs::default()
        };
        Entry::check_state("sheriff", refs, "critical", text)
    }

    fn log() -> Vec<Entry> {
        vec![
            at(0, Entry::new(EntryKind::Note, "sam", "old shift note")),
            at(10, Entry::new(EntryKind::ShiftStart, "alex", "")),
            at(11, state("api staging: ok → critical")),
            at(12, state("api staging: critical → ok")),
            at(
                13,
                Entry::new(EntryKind::Change, "alex", "restarted php-fpm").with_why("stuck"),
            ),
            at(14, state("api staging: ok → critical")),
        ]
    }

    #[test]
    fn automatic_runs_fold_and_human_entries_stand_alone() {
        let rows = rows(&log(), &Filter::default());
        assert_eq!(
            rows,
            [
                Row::Entry(0),
                Row::Entry(1),
                Row::Folded(vec![2, 3]),
                Row::Entry(4),
                Row::Folded(vec![5]),
            ]
        );
        let unfolded = Filter {
            unfold_automatic: true,
            ..Filter::default()
        };
        assert_eq!(super::rows(&log(), &unfolded).len(), 6);
    }

    #[test]
    fn a_bug_the_sheriff_filed_stands_alone_and_an_autofiled_one_folds() {
        let bug = |tags: Vec<String>| {
            at(
                20,
                Entry::new(EntryKind::Bug, "alex", "filed #3 https://t/3: api").with_tags(tags),
            )
        };
        let mut entries = log();
        entries.push(bug(Vec::new()));
        entries.push(bug(vec!["autofiled".into()]));
        let rows = rows(&entries, &Filter::default());
        assert_eq!(
            rows[rows.len() - 2..],
            [Row::Entry(6), Row::Folded(vec![7])]
        );
    }

    #[test]
    fn filters_by_kind_shift_and_words() {
        let entries = log();
        let kind = Filter {
            kind: Some(EntryKind::CheckState),
            ..Filter::default()
        };
        assert_eq!(
            rows(&entries, &kind),
            [Row::Entry(2), Row::Entry(3), Row::Entry(5)]
        );
        let shift = Filter {
            this_shift: true,
            ..Filter::default()
        };
        assert!(
            !rows(&entries, &shift).contains(&Row::Entry(0)),
            "before the shift"
        );
        let words = Filter {
            text: "author:alex PHP".into(),
            ..Filter::default()
        };
        assert_eq!(rows(&entries, &words), [Row::Entry(4)]);
        let why = Filter {
            text: "stuck".into(),
            ..Filter::default()
        };
        assert_eq!(
            rows(&entries, &why),
            [Row::Entry(4)],
            "the why is searched too"
        );
    }
}
