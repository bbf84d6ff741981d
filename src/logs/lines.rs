//! Bytes into log lines, for the tails that read files (local and over ssh): split at
//! `\n`, a line longer than [`MAX_LINE`] sent in pieces rather than held forever, `\r\n`
//! taken as a newline, text made printable and then redacted, its time and level read by
//! the source's parser. [`LineSplitter`] does the splitting alone, for the command and
//! journal sources, which make their own lines of each one.

use chrono::{DateTime, Utc};

use super::level::detect_level;
use super::parse::{Format, LineParser};
use super::{LogLine, Origin};

/// A line longer than this is sent in pieces rather than held forever waiting for `\n`.
pub const MAX_LINE: usize = 64 * 1024;

/// The lines of one source, and the bytes after its last newline.
pub struct LineCutter {
    source: String,
    /// Bytes after the last newline, waiting for the rest of their line.
    partial: Vec<u8>,
    /// Secrets are masked as each line is made, before anything buffers or searches it.
    redact: crate::redact::Lines,
    format: Format,
    /// Made with the first line, or by [`LineCutter::start_parser`] with a year hint.
    parser: Option<LineParser>,
    /// Which file the bytes come from and where the next byte pushed is in it, once
    /// [`LineCutter::at_file`] said: then each line carries its [`Origin`].
    file: Option<u32>,
    at: u64,
    /// Where the bytes in `partial` start in the file.
    partial_start: u64,
}

impl LineCutter {
    /// A cutter whose lines' format is told from the first of them.
    pub fn new(source: impl Into<String>) -> Self {
        LineCutter::with_format(source, Format::Auto)
    }

    pub fn with_format(source: impl Into<String>, format: Format) -> Self {
        LineCutter {
            source: source.into(),
            partial: Vec::new(),
            redact: crate::redact::Lines::default(),
            format,
            parser: None,
            file: None,
            at: 0,
            partial_start: 0,
        }
    }

    /// The bytes pushed from now on are file number `file` (see [`Origin`]) from byte
    /// `offset` on; an unfinished line is forgotten.
    pub fn at_file(&mut self, file: u32, offset: u64) {
        self.partial.clear();
        self.file = Some(file);
        self.at = offset;
        self.partial_start = offset;
    }

    /// Makes the parser now, with `modified` (the file's mtime) as the year of yearless
    /// times; a parser made already is kept.
    pub fn start_parser(&mut self, modified: Option<DateTime<Utc>>) {
        if self.parser.is_none() {
            let mut parser = LineParser::new(self.format.clone());
            if let Some(modified) = modified {
                parser = parser.with_year_hint(modified);
            }
            self.parser = Some(parser);
        }
    }

    /// Adds `buf`, appending each line it completes to `lines`. A line longer than
    /// [`MAX_LINE`] is cut into pieces of exactly that size, wherever the reads fell, so the
    /// same file gives the same lines read in any chunks.
    pub fn push(&mut self, buf: &[u8], lines: &mut Vec<LogLine>) {
        let received = Utc::now();
        for segment in buf.split_inclusive(|&b| b == b'\n') {
            let (mut body, ends) = match segment.split_last() {
                Some((b'\n', body)) => (body, true),
                _ => (segment, false),
            };
            loop {
                let room = MAX_LINE - self.partial.len();
                if body.len() <= room {
                    self.partial.extend_from_slice(body);
                    self.at += body.len() as u64;
                    break;
                }
                self.partial.extend_from_slice(&body[..room]);
                body = &body[room..];
                self.at += room as u64;
                lines.push(self.take_line(received));
            }
            if ends {
                self.at += 1;
                lines.push(self.take_line(received));
            }
        }
    }

    /// The unfinished last line as a line of its own (its file is done).
    pub fn flush(&mut self, lines: &mut Vec<LogLine>) {
        if !self.partial.is_empty() {
            lines.push(self.take_line(Utc::now()));
        }
    }

    /// Forgets the unfinished last line.
    pub fn clear(&mut self) {
        self.partial.clear();
        self.partial_start = self.at;
    }

    fn take_line(&mut self, received: DateTime<Utc>) -> LogLine {
        let bytes = std::mem::take(&mut self.partial);
        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        if text.ends_with('\r') {
            text.pop();
        }
        // Printable first, then masked, so an escape code inside a secret cannot hide it.
        let text = self.redact.redact_owned(crate::text::into_printable(text));
        self.start_parser(None);
        let origin = self.file.map(|file| Origin {
            file,
            offset: self.partial_start,
        });
        self.partial_start = self.at;
        let mut line = match self.parser.as_mut() {
            Some(parser) => parsed_line(self.source.clone(), received, parser, text),
            None => LogLine {
                source: self.source.clone(),
                received,
                time: None,
                level: detect_level(&text),
                text,
                origin: None,
            },
        };
        line.origin = origin;
        line
    }
}

/// Bytes cut into lines at `\n`, the unfinished last line kept between chunks; a line
/// longer than [`MAX_LINE`] is given in pieces rather than held forever.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Adds `data`, calling `line` with each line it completes (without `\n` or `\r`).
    pub fn push(&mut self, data: &[u8], mut line: impl FnMut(&[u8])) {
        for segment in data.split_inclusive(|&b| b == b'\n') {
            let (body, ends) = match segment.split_last() {
                Some((b'\n', body)) => (body, true),
                _ => (segment, false),
            };
            self.partial.extend_from_slice(body);
            if ends || self.partial.len() >= MAX_LINE {
                self.take(&mut line);
            }
        }
    }

    /// The unfinished last line, if any (its run ended).
    pub fn finish(&mut self, mut line: impl FnMut(&[u8])) {
        if !self.partial.is_empty() {
            self.take(&mut line);
        }
    }

    fn take(&mut self, line: &mut impl FnMut(&[u8])) {
        let mut bytes = std::mem::take(&mut self.partial);
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        line(&bytes);
    }
}

/// A line with what `parser` reads in it: its time, and its level (else the first level
/// word in it).
pub(crate) fn parsed_line(
    source: String,
    received: DateTime<Utc>,
    parser: &mut LineParser,
    text: String,
) -> LogLine {
    let parsed = parser.parse(&text);
    LogLine {
        source,
        received,
        time: parsed.time,
        level: parsed.level.or_else(|| detect_level(&text)),
        text,
        origin: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_cut_the_same_however_it_was_read() {
        let mut text = vec![b'x'; MAX_LINE + 10];
        text.extend_from_slice(b"\nshort\n");
        let cut = |chunk: usize| {
            let mut cutter = LineCutter::new("app");
            let mut lines = Vec::new();
            for piece in text.chunks(chunk) {
                cutter.push(piece, &mut lines);
            }
            lines.iter().map(|l| l.text.len()).collect::<Vec<_>>()
        };
        assert_eq!(cut(text.len()), [MAX_LINE, 10, 5]);
        assert_eq!(cut(1000), [MAX_LINE, 10, 5]);
        assert_eq!(cut(7), [MAX_LINE, 10, 5]);
    }

    #[test]
    fn a_line_split_across_chunks_is_one_line() {
        let mut splitter = LineSplitter::default();
        let mut got = Vec::new();
        for chunk in [&b"one\r\ntw"[..], b"o\nthr", b"ee"] {
            splitter.push(chunk, |l| got.push(l.to_vec()));
        }
        splitter.finish(|l| got.push(l.to_vec()));
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]);
    }
}
