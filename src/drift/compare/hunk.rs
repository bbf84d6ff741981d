//! The diff of one file as the pane draws it: hunks of tagged, numbered lines with the
//! changed words marked, as unified text or as side-by-side rows.

use std::ops::Range;

use super::id::{self, ContentId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineTag {
    Equal,
    /// Only on side b.
    Insert,
    /// Only on side a.
    Delete,
}

impl LineTag {
    fn prefix(self) -> char {
        match self {
            LineTag::Equal => ' ',
            LineTag::Insert => '+',
            LineTag::Delete => '-',
        }
    }
}

/// One line of a hunk, redacted and printable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub tag: LineTag,
    /// 1-based line number in side a's file, for equal and deleted lines.
    pub old_no: Option<usize>,
    /// 1-based line number in side b's file, for equal and inserted lines.
    pub new_no: Option<usize>,
    pub text: String,
    /// Byte ranges of `text` that differ from the paired line on the other side.
    pub highlight: Vec<Range<usize>>,
}

/// A run of changes with context around it. Starts are line numbers in the files as read;
/// lengths count the lines the hunk shows, so lines the rules leave out (comments, ignored
/// lines) are not counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    pub lines: Vec<DiffLine>,
    /// Secrets that differ inside this hunk, by name: said even where the masked lines
    /// look the same ("DB_PASSWORD differs").
    pub secret_notes: Vec<String>,
}

/// One row of the side-by-side view: a line of side a on the left, of side b on the right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'h> {
    pub left: Option<&'h DiffLine>,
    pub right: Option<&'h DiffLine>,
}

impl Hunk {
    /// `@@ -a,b +c,d @@`, as `diff -u` writes it.
    pub fn header(&self) -> String {
        format!(
            "@@ -{},{} +{},{} @@",
            self.old_start, self.old_len, self.new_start, self.new_len
        )
    }

    /// The hunk as unified diff text, header first, one line per line, no trailing newline.
    /// Secret notes are not in it, so it stays a valid hunk; they are in the file's note.
    pub fn unified(&self) -> String {
        let mut out = self.header();
        for line in &self.lines {
            out.push('\n');
            out.push(line.tag.prefix());
            out.push_str(&line.text);
        }
        out
    }

    /// Rows for the side-by-side view: equal lines face each other, a run of deleted lines
    /// faces the run of inserted lines that follows it, pair by pair.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let mut rows = Vec::with_capacity(self.lines.len());
        let mut at = 0;
        while at < self.lines.len() {
            let line = &self.lines[at];
            if line.tag == LineTag::Equal {
                rows.push(Row {
                    left: Some(line),
                    right: Some(line),
                });
                at += 1;
                continue;
            }
            let deletes_end = run_end(&self.lines, at, LineTag::Delete);
            let inserts_end = run_end(&self.lines, deletes_end, LineTag::Insert);
            let (deletes, inserts) = (at..deletes_end, deletes_end..inserts_end);
            for pair in 0..deletes.len().max(inserts.len()) {
                rows.push(Row {
                    left: deletes.clone().nth(pair).map(|i| &self.lines[i]),
                    right: inserts.clone().nth(pair).map(|i| &self.lines[i]),
                });
            }
            at = inserts_end;
        }
        rows
    }

    /// The acceptance id of this hunk: the changed lines and secret notes, not the line
    /// numbers, so an accepted hunk stays accepted when lines above it move and shows
    /// again once what it changes is different.
    pub fn content_id(&self) -> ContentId {
        id::hunk_id(self)
    }
}

fn run_end(lines: &[DiffLine], from: usize, tag: LineTag) -> usize {
    lines[from..]
        .iter()
        .position(|l| l.tag != tag)
        .map_or(lines.len(), |n| from + n)
}
