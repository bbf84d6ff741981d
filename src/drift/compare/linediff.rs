//! The line diff of two normalised texts, as hunks. Lines are compared by their keys (the
//! normalised text, clear values included, so a changed secret is a changed line) and
//! shown as read, masked: a value the redactor finds on any line of a hunk is masked on
//! every line of it, and a secret that differs is said by name even where the masked
//! lines look the same.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Instant;

use similar::{Algorithm, DiffOp};

use super::hunk::{DiffLine, Hunk, LineTag};
use super::normalise::{Line, Normalised};
use super::secret::{self, Salt, SecretDigest};
use crate::redact;

/// Longer shown lines are cut; the comparison still saw all of them.
const MAX_SHOWN_CHARS: usize = 2_000;

pub(crate) struct LineDiff<'n, 't> {
    pub a: &'n Normalised<'t>,
    pub b: &'n Normalised<'t>,
    pub context: usize,
    pub deadline: Instant,
    pub salt: &'n Salt,
    /// Values known to be secret from elsewhere (the file's structure), masked too.
    pub secrets: &'n [&'n str],
}

impl LineDiff<'_, '_> {
    /// The hunks, empty when every line compares equal.
    pub(crate) fn hunks(&self) -> Vec<Hunk> {
        let keys_a: Vec<&str> = self.a.lines.iter().map(|l| l.key.as_ref()).collect();
        let keys_b: Vec<&str> = self.b.lines.iter().map(|l| l.key.as_ref()).collect();
        let ops = super::sweep::line_ops(&keys_a, &keys_b, self.deadline);
        if ops.iter().all(|op| matches!(op, DiffOp::Equal { .. })) {
            return Vec::new();
        }
        similar::group_diff_ops(ops, self.context)
            .iter()
            .map(|group| self.hunk(group))
            .collect()
    }

    fn hunk(&self, ops: &[DiffOp]) -> Hunk {
        let (a, b) = (&self.a.lines, &self.b.lines);
        let mut raw: Vec<(LineTag, Option<&Line<'_>>, Option<&Line<'_>>)> = Vec::new();
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        for op in ops {
            let (old, new) = (op.old_range(), op.new_range());
            match op {
                DiffOp::Equal { .. } => {
                    for (i, j) in old.zip(new) {
                        raw.push((LineTag::Equal, Some(&a[i]), Some(&b[j])));
                    }
                }
                _ => {
                    let first_delete = raw.len();
                    raw.extend(old.clone().map(|i| (LineTag::Delete, Some(&a[i]), None)));
                    let first_insert = raw.len();
                    raw.extend(new.clone().map(|j| (LineTag::Insert, None, Some(&b[j]))));
                    for n in 0..old.len().min(new.len()) {
                        pairs.push((first_delete + n, first_insert + n));
                    }
                }
            }
        }
        let texts: Vec<&str> = raw
            .iter()
            .map(|(_, x, y)| x.or(*y).map_or("", |l| l.raw))
            .collect();
        let shown = mask_together(&texts, self.secrets);
        let mut lines: Vec<DiffLine> = raw
            .iter()
            .zip(shown)
            .map(|((tag, x, y), text)| DiffLine {
                tag: *tag,
                old_no: x.map(|l| l.no),
                new_no: y.map(|l| l.no),
                text,
                highlight: Vec::new(),
            })
            .collect();
        for &(old, new) in &pairs {
            let (left, right) = word_changes(&lines[old].text, &lines[new].text, self.deadline);
            lines[old].highlight = left;
            lines[new].highlight = right;
        }
        let secret_notes = self.secret_notes(&raw, &lines, &pairs);
        let first = &ops[0];
        let old_len = lines.iter().filter(|l| l.old_no.is_some()).count();
        let new_len = lines.iter().filter(|l| l.new_no.is_some()).count();
        Hunk {
            old_start: start(a, first.old_range(), old_len),
            old_len,
            new_start: start(b, first.new_range(), new_len),
            new_len,
            lines,
            secret_notes,
        }
    }

    /// "KEY differs" for each named secret whose values differ between the deleted and
    /// inserted lines, and a note for an unnamed one whose masked lines look equal.
    fn secret_notes(
        &self,
        raw: &[(LineTag, Option<&Line<'_>>, Option<&Line<'_>>)],
        lines: &[DiffLine],
        pairs: &[(usize, usize)],
    ) -> Vec<String> {
        let mut digests: [BTreeMap<String, Vec<SecretDigest>>; 2] = Default::default();
        for (tag, x, y) in raw {
            let side = match tag {
                LineTag::Delete => 0,
                LineTag::Insert => 1,
                LineTag::Equal => continue,
            };
            let line = x.or(*y).map_or("", |l| l.raw);
            for (key, digest) in secret::line_secrets(line, self.salt) {
                if let Some(key) = key {
                    digests[side].entry(key).or_default().push(digest);
                }
            }
        }
        let mut notes: Vec<String> = digests[0]
            .iter()
            .filter(|(key, a)| digests[1].get(*key).is_some_and(|b| b != *a))
            .map(|(key, _)| format!("{key} differs"))
            .collect();
        for &(old, new) in pairs {
            // Equal-looking lines with different keys: the difference is under a mask
            // (or under a placeholder of one side only, which is no secret).
            let looks_same =
                lines[old].text == lines[new].text && lines[new].text.contains(redact::MASK);
            let named = secret::line_secrets(raw[old].1.map_or("", |l| l.raw), self.salt)
                .iter()
                .any(|(key, _)| key.as_ref().is_some_and(|k| digests[1].contains_key(k)));
            if looks_same && !named {
                let no = lines[new].new_no.unwrap_or(0);
                notes.push(format!("a masked value differs on line {no}"));
            }
        }
        notes
    }
}

/// Where a hunk starts on one side: its first line there, or the line before it when the
/// hunk has none on that side (as `diff -u` counts).
fn start(lines: &[Line<'_>], range: Range<usize>, len: usize) -> usize {
    match (len, range.start) {
        (0, 0) => 0,
        (0, i) => lines[i - 1].no,
        (_, i) => lines.get(i).map_or(0, |l| l.no),
    }
}

/// The lines of one hunk as shown: each value the redactor finds on any of them is masked
/// on all of them (a secret on a changed line may reappear on a context line in a form no
/// rule knows), then made printable and cut to a readable length.
fn mask_together(texts: &[&str], secrets: &[&str]) -> Vec<String> {
    let mut known: Vec<&str> = texts
        .iter()
        .flat_map(|t| redact::secrets(t))
        .map(|s| s.value)
        .collect();
    known.extend_from_slice(secrets);
    // Longest first, so a value is masked whole before a shorter one inside it.
    known.sort_by_key(|value| std::cmp::Reverse(value.len()));
    texts
        .iter()
        .map(|text| {
            let masked = crate::text::into_printable(redact::redact_with(text, &known));
            cut(masked)
        })
        .collect()
}

fn cut(text: String) -> String {
    match text.char_indices().nth(MAX_SHOWN_CHARS) {
        None => text,
        Some((at, _)) => format!("{}… ({} more bytes)", &text[..at], text.len() - at),
    }
}

/// Byte ranges of the words that differ between two paired lines.
fn word_changes(old: &str, new: &str, deadline: Instant) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let (old_words, new_words) = (words(old), words(new));
    let old_tokens: Vec<&str> = old_words.iter().map(|r| &old[r.clone()]).collect();
    let new_tokens: Vec<&str> = new_words.iter().map(|r| &new[r.clone()]).collect();
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_tokens,
        &new_tokens,
        Some(deadline),
    );
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for op in ops.iter().filter(|op| !matches!(op, DiffOp::Equal { .. })) {
        push_span(&mut left, &old_words, op.old_range());
        push_span(&mut right, &new_words, op.new_range());
    }
    (left, right)
}

fn push_span(out: &mut Vec<Range<usize>>, words: &[Range<usize>], tokens: Range<usize>) {
    if tokens.is_empty() {
        return;
    }
    let span = words[tokens.start].start..words[tokens.end - 1].end;
    match out.last_mut() {
        Some(last) if last.end == span.start => last.end = span.end,
        _ => out.push(span),
    }
}

/// Words (runs of letters, digits and `_`), runs of whitespace, and single other
/// characters, as byte ranges.
fn words(text: &str) -> Vec<Range<usize>> {
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            1
        } else if c.is_whitespace() {
            2
        } else {
            0
        }
    };
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut last_class = None;
    for (at, c) in text.char_indices() {
        let now = class(c);
        match out.last_mut() {
            Some(word) if now != 0 && last_class == Some(now) => word.end = at + c.len_utf8(),
            _ => out.push(at..at + c.len_utf8()),
        }
        last_class = Some(now);
    }
    out
}
