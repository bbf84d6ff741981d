//! The line diff of a structured file laid out one key path per line, shown instead of
//! the diff of the file as written when the two sides are laid out differently: a file
//! reordered or reformatted around one real change would otherwise show every moved line,
//! and the one change is lost among them.
//!
//! Each side becomes `path = value` lines in key order. A secret's line reads
//! `path = ••` on both sides but is compared by its salted digest, so a changed secret is
//! a changed line whose value never shows.

use std::borrow::Cow;
use std::time::Instant;

use super::hunk::{Hunk, LineTag};
use super::linediff::LineDiff;
use super::model::{FileDiff, KeyChange, Shown};
use super::normalise::{Line, Normalised};
use super::structured::KeyMap;
use super::Comparison;

/// What the file's note says when its hunks are of key paths.
pub(crate) const KEY_PATH_NOTE: &str = "laid out differently on each side: the diff is by key path";

impl Comparison<'_> {
    /// Replaces `file`'s hunks with the key-path diff when that says the same changes in
    /// far fewer lines.
    pub(crate) fn prefer_key_paths(
        &self,
        file: &mut FileDiff,
        a: &KeyMap,
        b: &KeyMap,
        keys: &[KeyChange],
    ) {
        let as_written = changed_lines(&file.hunks);
        // A small difference is read best where it is in the file.
        if as_written <= 2 * keys.len() + 4 {
            return;
        }
        let (lines_a, lines_b) = (a.laid_out(), b.laid_out());
        let (side_a, side_b) = (normalised(&lines_a), normalised(&lines_b));
        let mut hunks = LineDiff {
            a: &side_a,
            b: &side_b,
            context: self.rules.context,
            deadline: Instant::now() + self.rules.diff_timeout,
            salt: &self.salt,
            secrets: &[],
        }
        .hunks();
        if hunks.is_empty() || 2 * changed_lines(&hunks) > as_written {
            return;
        }
        for hunk in &mut hunks {
            hunk.secret_notes = secrets_in(hunk, keys);
        }
        file.hunks = hunks;
        file.note = Some(match file.note.take() {
            Some(secrets) => format!("{secrets}; {KEY_PATH_NOTE}"),
            None => KEY_PATH_NOTE.to_string(),
        });
    }
}

/// One side as lines to compare: each shown as `text` and compared by `key`.
pub(crate) struct LaidOut {
    pub text: String,
    pub key: String,
}

fn normalised(lines: &[LaidOut]) -> Normalised<'_> {
    Normalised {
        lines: lines
            .iter()
            .enumerate()
            .map(|(index, line)| Line {
                no: index + 1,
                raw: &line.text,
                key: Cow::Borrowed(&line.key),
            })
            .collect(),
        crlf: false,
    }
}

fn changed_lines(hunks: &[Hunk]) -> usize {
    hunks
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.tag != LineTag::Equal)
        .count()
}

/// "KEY differs" for the changed secrets whose lines are in `hunk`: their masked lines
/// look the same, so the hunk says it in words.
fn secrets_in(hunk: &Hunk, keys: &[KeyChange]) -> Vec<String> {
    keys.iter()
        .filter(|k| k.a == Some(Shown::Secret) && k.b == Some(Shown::Secret))
        .filter(|k| {
            let start = format!("{} = ", k.key);
            hunk.lines
                .iter()
                .any(|l| l.tag != LineTag::Equal && l.text.starts_with(&start))
        })
        .map(KeyChange::describe)
        .collect()
}
