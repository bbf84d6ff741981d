//! The bounded buffer the Logs pane reads: the newest lines, oldest dropped first, within
//! a budget of bytes (64 MiB unless configured), so a flood of long lines and a trickle of
//! short ones both stay within what the sheriff allowed.

use std::collections::VecDeque;

use regex::Regex;

use super::LogLine;

/// A ring of the most recent lines. Memory stays bounded however long sheriff runs; what
/// fell off the front is counted so the pane can say "12,400 older lines dropped".
///
/// ```
/// use sheriff::logs::{buffer::LogBuffer, LogLine};
/// let line_cost = LogBuffer::cost_of(&LogLine { source: "app".into(), received: chrono::Utc::now(), time: None, level: None, text: "a".into() });
/// let mut buf = LogBuffer::with_budget(2 * line_cost);
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
    /// The most bytes the kept lines may take, as [`LogBuffer::cost_of`] counts them.
    budget: usize,
    used: usize,
    dropped: u64,
}

impl LogBuffer {
    /// 64 MiB, for all sources together.
    pub const DEFAULT_BUDGET: usize = 64 * 1024 * 1024;

    pub fn new() -> Self {
        Self::with_budget(Self::DEFAULT_BUDGET)
    }

    /// A buffer whose lines take at most `budget` bytes; the newest line is always kept.
    pub fn with_budget(budget: usize) -> Self {
        LogBuffer {
            lines: VecDeque::with_capacity(1024),
            budget,
            used: 0,
            dropped: 0,
        }
    }

    /// What a kept line costs: its text, its source's name and the record around them.
    pub fn cost_of(line: &LogLine) -> usize {
        std::mem::size_of::<LogLine>() + line.text.capacity() + line.source.capacity()
    }

    /// Appends a line, dropping the oldest while over budget.
    pub fn push_line(&mut self, line: LogLine) {
        self.used += Self::cost_of(&line);
        self.lines.push_back(line);
        while self.used > self.budget && self.lines.len() > 1 {
            if let Some(old) = self.lines.pop_front() {
                self.used -= Self::cost_of(&old);
                self.dropped += 1;
            }
        }
    }

    /// Counts `n` more lines as dropped (lines a previous buffer let go).
    pub fn count_dropped(&mut self, n: u64) {
        self.dropped += n;
    }

    /// The bytes the kept lines take, and the most they may.
    pub fn usage(&self) -> (usize, usize) {
        (self.used, self.budget)
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
        self.used = 0;
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

    /// A buffer that holds `n` lines like `line("line 0")`.
    fn holding(n: usize) -> LogBuffer {
        LogBuffer::with_budget(n * LogBuffer::cost_of(&line("line 0")))
    }

    #[test]
    fn keeps_the_newest_and_counts_the_rest() {
        let mut buf = holding(3);
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
    fn the_budget_is_bytes_not_lines() {
        let mut buf = holding(10);
        // One long line takes the room of many short ones.
        buf.push_line(line(&"x".repeat(5 * LogBuffer::cost_of(&line("line 0")))));
        buf.extend((0..10).map(|i| line(&format!("line {i}"))));
        assert_eq!(buf.dropped(), 1, "the long line went first");
        assert_eq!(buf.len(), 10);
        let (used, budget) = buf.usage();
        assert!(used <= budget);
        // A line bigger than the whole budget is still shown, alone.
        buf.push_line(line(&"y".repeat(100_000)));
        assert_eq!(buf.len(), 1);
        assert_eq!(buf.dropped(), 11);
    }

    #[test]
    fn the_default_budget_is_64_mib() {
        let mut buf = LogBuffer::default();
        let one = LogBuffer::cost_of(&line("line 0"));
        buf.extend((0..(64 << 20) / one + 100).map(|_| line("line 0")));
        assert_eq!(buf.dropped(), 100);
        assert!(buf.usage().0 <= 64 << 20);
    }

    #[test]
    fn filters_across_the_ring_seam() {
        // Wrap the ring so its storage is split in two slices.
        let mut buf = holding(4);
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
