//! Two fetched files' bytes compared: binary by size, text by key path when its format
//! parses on both sides, else line by line.

use std::time::Instant;

use super::linediff::LineDiff;
use super::model::{FileDiff, Shown, Status};
use super::normalise::normalise;
use super::rules::{Format, Whitespace};
use super::structured::{self, Reader};
use super::Comparison;

/// Bytes looked at for a NUL, as git and GNU diff do, to call a file binary.
const BINARY_SNIFF: usize = 8 * 1024;

impl Comparison<'_> {
    pub(crate) fn contents(&self, path: &str, a: &[u8], b: &[u8]) -> FileDiff {
        let (text_a, text_b) = match (as_text(a), as_text(b)) {
            (Some(x), Some(y)) => (x, y),
            _ => {
                let note = format!("binary, {} → {}", human_size(a.len()), human_size(b.len()));
                return FileDiff::new(path, Status::Changed).with_note(note);
            }
        };
        let format = self.rules.format.unwrap_or_else(|| Format::for_path(path));
        if format == Format::Text {
            return self.text(path, text_a, text_b, None, &[]);
        }
        let read = |text: &str, placeholders| {
            let reader = Reader {
                rules: self.rules,
                placeholders,
                salt: &self.salt,
            };
            reader.read(text, format)
        };
        match (
            read(text_a, &self.placeholders_a),
            read(text_b, &self.placeholders_b),
        ) {
            (Ok(keys_a), Ok(keys_b)) => {
                let keys = structured::key_changes(&keys_a, &keys_b);
                if keys.is_empty() {
                    return FileDiff::new(path, Status::Same);
                }
                let secret_lines: Vec<&str> = keys_a
                    .secret_lines
                    .iter()
                    .chain(&keys_b.secret_lines)
                    .map(|line| line.as_str())
                    .collect();
                let mut file = self.text(path, text_a, text_b, None, &secret_lines);
                file.status = Status::Changed;
                let secrets: Vec<String> = keys
                    .iter()
                    .filter(|k| k.a == Some(Shown::Secret) && k.b == Some(Shown::Secret))
                    .map(|k| k.describe())
                    .collect();
                file.note = (!secrets.is_empty()).then(|| secrets.join(", "));
                self.prefer_key_paths(&mut file, &keys_a, &keys_b, &keys);
                file.keys = keys;
                file
            }
            (a_read, b_read) => {
                let side = if a_read.is_err() { "a" } else { "b" };
                let why = a_read.err().or(b_read.err()).map_or(String::new(), |e| e.0);
                let note = format!("{side}: not {} ({why}); compared as text", format.name());
                self.text(path, text_a, text_b, Some(note), &[])
            }
        }
    }

    /// A line diff of the normalised texts; `secrets` are masked wherever they appear.
    fn text(
        &self,
        path: &str,
        a: &str,
        b: &str,
        note: Option<String>,
        secrets: &[&str],
    ) -> FileDiff {
        let lines_a = normalise(a, self.rules, &self.placeholders_a);
        let lines_b = normalise(b, self.rules, &self.placeholders_b);
        let hunks = LineDiff {
            a: &lines_a,
            b: &lines_b,
            context: self.rules.context,
            deadline: Instant::now() + self.rules.diff_timeout,
            salt: &self.salt,
            secrets,
        }
        .hunks();
        let mut file = FileDiff::new(path, Status::Changed);
        file.note = note;
        if hunks.is_empty() {
            if lines_a.crlf != lines_b.crlf && self.rules.whitespace == Whitespace::Exact {
                let ending = |crlf| if crlf { "CRLF" } else { "LF" };
                let change = format!(
                    "line endings differ: {} → {}",
                    ending(lines_a.crlf),
                    ending(lines_b.crlf)
                );
                return file.with_note(change);
            }
            file.status = Status::Same;
            return file;
        }
        let secret_notes: Vec<&str> = hunks
            .iter()
            .flat_map(|h| &h.secret_notes)
            .map(String::as_str)
            .collect();
        if file.note.is_none() && !secret_notes.is_empty() {
            file.note = Some(secret_notes.join(", "));
        }
        file.hunks = hunks;
        file
    }
}

/// The bytes as text, or `None` for a binary file: a NUL early on, or not UTF-8.
fn as_text(bytes: &[u8]) -> Option<&str> {
    let sniffed = &bytes[..bytes.len().min(BINARY_SNIFF)];
    if memchr::memchr(0, sniffed).is_some() {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// `812 B`, `1.2 KiB`, `3.4 MiB`.
pub(crate) fn human_size(bytes: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}
