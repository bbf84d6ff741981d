//! The bounded buffer the Logs pane reads: the newest lines, oldest dropped first.

use std::collections::VecDeque;

use regex::Regex;

use super::LogLine;

/// A ring of the most recent lines. Memory stays bounded however long sheriff runs; what
/// fell off the front is counted so the pane can say "12,400 older lines dropped".
///
/// ```
/// use sheriff::logs::{buffer::LogBuffer, LogLine};
/// let mut buf = LogBuffer::with_capacity(2);
/// for text in ["a", "b", "c"] {
///     buf.push_line(LogLine { source: "app".into(), received: chrono::Utc::now(), time: None, level: None, text: text.into() });
/// }
/// assert_eq!(buf.len(), 2);
/// assert_eq!(buf.get(0).map(|l| l.text.as_str()), Some("b"));
/// assert_eq!(buf.dropped(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    capacity: usize,
    dropped: u64,
}

impl LogBuffer {
    pub const DEFAULT_CAPACITY: usize = 10_000;

    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A buffer keeping at most `capacity` lines (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        LogBuffer {
            lines: VecDeque::with_capacity(capacity.min(1024)),
            capacity,
            dropped: 0,
        }
    }

    /// Appends a line, dropping the oldest when full.
    pub fn push_line(&mut self, line: LogLine) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    pub fn extend(&mut self, lines: impl IntoIterator<Item = LogLine>) {
        for line in lines {
            self.push_line(line);
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The `i`th kept line, oldest first.
    pub fn get(&self, i: usize) -> Option<&LogLine> {
        self.lines.get(i)
    }

    /// Kept lines, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.lines.iter()
    }

    /// How many lines have fallen off the front since the buffer was made.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Total lines ever pushed; with `dropped` this turns an index into a stable line number
    /// (`dropped + i`), so a selection survives lines scrolling off the front.
    pub fn total(&self) -> u64 {
        self.dropped + self.lines.len() as u64
    }

    pub fn clear(&mut self) {
        self.dropped += self.lines.len() as u64;
        self.lines.clear();
    }

    /// Indices (as for [`get`](Self::get)) of lines whose text matches, oldest first.
    pub fn filter_indices(&self, re: &Regex) -> Vec<usize> {
        self.filter_indices_from(re, 0)
    }

    /// Like [`filter_indices`](Self::filter_indices) from index `start` on, so a live filter
    /// only looks at lines that arrived since its last pass.
    pub fn filter_indices_from(&self, re: &Regex, start: usize) -> Vec<usize> {
        // The two halves of the ring are plain slices: iterating them directly keeps the
        // loop free of VecDeque's index arithmetic.
        let (front, back) = self.lines.as_slices();
        let mut out = Vec::new();
        let scan = |slice: &[LogLine], offset: usize, out: &mut Vec<usize>| {
            let skip = start.saturating_sub(offset).min(slice.len());
            for (i, line) in slice.iter().enumerate().skip(skip) {
                if re.is_match(&line.text) {
                    out.push(offset + i);
                }
            }
        };
        scan(front, 0, &mut out);
        scan(back, front.len(), &mut out);
        out
    }
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn line(text: &str) -> LogLine {
        LogLine {
            source: "app@prod".into(),
            received: Utc::now(),
            time: None,
            level: None,
            text: text.into(),
        }
    }

    #[test]
    fn keeps_the_newest_and_counts_the_rest() {
        let mut buf = LogBuffer::with_capacity(3);
        for i in 0..10 {
            buf.push_line(line(&format!("line {i}")));
        }
        assert_eq!(buf.len(), 3);
        assert_eq!(buf.dropped(), 7);
        assert_eq!(buf.total(), 10);
        let texts: Vec<&str> = buf.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["line 7", "line 8", "line 9"]);
        assert!(buf.get(3).is_none());
    }

    #[test]
    fn default_holds_ten_thousand() {
        let mut buf = LogBuffer::default();
        buf.extend((0..10_500).map(|i| line(&i.to_string())));
        assert_eq!(buf.len(), 10_000);
        assert_eq!(buf.dropped(), 500);
        assert_eq!(buf.get(0).map(|l| l.text.as_str()), Some("500"));
    }

    #[test]
    fn filters_across_the_ring_seam() {
        // Wrap the ring so its storage is split in two slices.
        let mut buf = LogBuffer::with_capacity(4);
        buf.extend(["ok", "ERROR a", "ok", "ERROR b", "ok", "ERROR c"].map(line));
        let re = Regex::new("ERROR").unwrap();
        let hits = buf.filter_indices(&re);
        let texts: Vec<&str> = hits
            .iter()
            .filter_map(|&i| buf.get(i))
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(texts, ["ERROR b", "ERROR c"]);
        assert_eq!(buf.filter_indices_from(&re, 2), vec![3]);
        assert_eq!(buf.filter_indices_from(&re, 99), Vec::<usize>::new());
    }
}
