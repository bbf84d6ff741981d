//! The lines before the buffer, read back from the sources' files a page at a time as the
//! sheriff scrolls up past the oldest kept line: the buffer stays within its budget, and
//! no line it dropped is out of reach.
//!
//! Several sources are read back together and shown merged by time. A page of one source
//! may reach further back than another's, so a line is shown only once every source that
//! has more to read has read back to its time; the rest wait for the other sources' next
//! pages. Lines without a time take the time of the line above them.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::logs::buffer::Kept;
use crate::logs::earlier::{Before, Page, Request};
use crate::logs::LogLine;

/// The most text read back before the pane stops asking for more.
pub const BUDGET: usize = 16 * 1024 * 1024;

#[derive(Debug, Default)]
struct Reading {
    /// Where its next page ends; `None` once its oldest copy is read.
    next: Option<Before>,
    /// Read but not shown yet (older than what another source has read back to), oldest
    /// first.
    pending: Vec<LogLine>,
    /// A page is on its way.
    asked: bool,
}

#[derive(Debug, Default)]
pub struct Earlier {
    /// Shown, oldest first.
    lines: VecDeque<LogLine>,
    /// Indices into `lines` of those the pane's filters let through.
    shown: Vec<usize>,
    /// Position in `shown` of the selected line.
    pub selected: usize,
    bytes: usize,
    sources: BTreeMap<String, Reading>,
    /// The buffer's dropped count when reading back started: once it grows, lines lie
    /// between these and the buffer, and reading starts again.
    pub dropped_at_start: u64,
    /// The last page that failed, and why.
    pub error: Option<String>,
}

impl Earlier {
    /// Reading back `starts` (each source and where its oldest kept line starts).
    pub fn start(starts: Vec<(String, Before)>, dropped: u64) -> Earlier {
        let sources = starts
            .into_iter()
            .map(|(source, before)| {
                let reading = Reading {
                    next: Some(before),
                    ..Reading::default()
                };
                (source, reading)
            })
            .collect();
        Earlier {
            sources,
            dropped_at_start: dropped,
            ..Earlier::default()
        }
    }

    pub fn len(&self) -> usize {
        self.shown.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// Lines read back and placed, shown or not.
    pub fn lines_read(&self) -> usize {
        self.lines.len()
    }

    /// The `at`th shown line.
    pub fn get(&self, at: usize) -> Option<Kept<'_>> {
        Some(self.lines.get(*self.shown.get(at)?)?.as_kept())
    }

    /// Whether a page is on its way.
    pub fn is_reading(&self) -> bool {
        self.sources.values().any(|r| r.asked)
    }

    /// Whether every source has been read back to its oldest copy's first line, and all
    /// of it is shown.
    pub fn is_done(&self) -> bool {
        self.sources
            .values()
            .all(|r| r.next.is_none() && r.pending.is_empty())
    }

    /// Whether reading stopped at the budget.
    pub fn is_full(&self) -> bool {
        self.bytes >= BUDGET
    }

    /// The pages to ask for now: of each source with more to read, no page on its way and
    /// nothing waiting to be shown (the others wait on it).
    pub fn wanted(&mut self) -> Vec<Request> {
        if self.is_full() {
            return Vec::new();
        }
        let mut wanted = Vec::new();
        for (source, reading) in &mut self.sources {
            if let (Some(before), false, true) =
                (reading.next, reading.asked, reading.pending.is_empty())
            {
                reading.asked = true;
                wanted.push(Request {
                    source: source.clone(),
                    before,
                });
            }
        }
        wanted
    }

    /// A page arrived (or failed): what can be shown now goes above what is shown, and the
    /// selection stays on its line. `passes` is the pane's filter.
    pub fn arrived(
        &mut self,
        source: &str,
        page: Result<Page, String>,
        passes: impl Fn(Kept<'_>) -> bool,
    ) {
        let Some(reading) = self.sources.get_mut(source) else {
            return;
        };
        reading.asked = false;
        match page {
            Ok(page) => {
                reading.next = page.next;
                let mut lines = page.lines;
                lines.append(&mut reading.pending);
                reading.pending = lines;
            }
            Err(error) => {
                // Nothing more can be read of it; what was read stays.
                reading.next = None;
                self.error = Some(format!("{source}: {error}"));
            }
        }
        self.release(passes);
    }

    /// Shows each source's pending lines from the time every source with more to read has
    /// read back to; all of them once nothing is left to read.
    fn release(&mut self, passes: impl Fn(Kept<'_>) -> bool) {
        let mut boundary: Option<DateTime<Utc>> = None;
        for reading in self.sources.values() {
            if reading.next.is_none() {
                continue;
            }
            match reading.pending.first() {
                // This source must be read further before anything can be placed.
                None => return,
                Some(_) => {
                    let oldest = times(&reading.pending)[0];
                    boundary = Some(boundary.map_or(oldest, |b| b.max(oldest)));
                }
            }
        }
        let mut runs: Vec<Vec<Timed>> = Vec::new();
        for reading in self.sources.values_mut() {
            let times = times(&reading.pending);
            let from = boundary.map_or(0, |b| times.partition_point(|&t| t < b));
            let released: Vec<LogLine> = reading.pending.split_off(from);
            runs.push(times[from..].iter().copied().zip(released).collect());
        }
        let merged = merge(runs);
        let n = merged.len();
        if n == 0 {
            return;
        }
        let mut shown: Vec<usize> = Vec::new();
        for (i, line) in merged.iter().enumerate() {
            if passes(line.as_kept()) {
                shown.push(i);
            }
        }
        let added = shown.len();
        // The first lines shown start with the newest selected, next to the buffer.
        self.selected = match self.shown.is_empty() {
            true => added.saturating_sub(1),
            false => self.selected + added,
        };
        for i in &mut self.shown {
            *i += n;
        }
        shown.append(&mut self.shown);
        self.shown = shown;
        for line in merged.into_iter().rev() {
            self.bytes += line.text.len();
            self.lines.push_front(line);
        }
    }

    /// After the pane's filters changed: which lines show, the selection on the nearest.
    pub fn refilter(&mut self, passes: impl Fn(Kept<'_>) -> bool) {
        let was = self.shown.get(self.selected).copied().unwrap_or(0);
        self.shown = (0..self.lines.len())
            .filter(|&i| passes(self.lines[i].as_kept()))
            .collect();
        self.selected = self
            .shown
            .partition_point(|&i| i < was)
            .min(self.shown.len().saturating_sub(1));
    }
}

/// When each line happened: its time, else the time of the line above it, else (for the
/// lines at the top of a page) the first time below them, else when it was read.
fn times(lines: &[LogLine]) -> Vec<DateTime<Utc>> {
    let first = lines.iter().find_map(|l| l.time);
    let mut last = None;
    lines
        .iter()
        .map(|line| {
            last = line.time.or(last);
            last.or(first).unwrap_or(line.received)
        })
        .collect()
}

/// A line with the time it is placed by.
type Timed = (DateTime<Utc>, LogLine);

/// Runs each in time order into one, the earlier source first on a tie.
fn merge(runs: Vec<Vec<Timed>>) -> Vec<LogLine> {
    let total = runs.iter().map(Vec::len).sum();
    let mut runs: Vec<std::iter::Peekable<std::vec::IntoIter<Timed>>> =
        runs.into_iter().map(|r| r.into_iter().peekable()).collect();
    let mut merged = Vec::with_capacity(total);
    loop {
        let next = runs
            .iter_mut()
            .enumerate()
            .filter_map(|(i, run)| run.peek().map(|(t, _)| (*t, i)))
            .min();
        let Some((_, i)) = next else { break };
        if let Some((_, line)) = runs[i].next() {
            merged.push(line);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(source: &str, second: u32, text: &str) -> LogLine {
        LogLine {
            source: source.into(),
            received: Utc::now(),
            time: Some(Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, second).unwrap()),
            level: None,
            text: text.into(),
            origin: None,
        }
    }

    fn page(lines: Vec<LogLine>, next: Option<u64>) -> Result<Page, String> {
        Ok(Page {
            lines,
            next: next.map(|offset| Before {
                copy: 0,
                offset: Some(offset),
            }),
            from: "app.log".into(),
        })
    }

    fn texts(earlier: &Earlier) -> Vec<&str> {
        (0..earlier.len())
            .filter_map(|i| earlier.get(i))
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn two_sources_merge_by_time_and_wait_for_the_one_that_has_not_read_back_as_far() {
        let before = Before {
            copy: 0,
            offset: Some(100),
        };
        let mut earlier = Earlier::start(vec![("a".into(), before), ("b".into(), before)], 0);
        let asked = earlier.wanted();
        assert_eq!(asked.len(), 2);
        assert!(
            earlier.wanted().is_empty(),
            "pages on their way are not asked again"
        );
        let all = |_: Kept<'_>| true;
        earlier.arrived(
            "a",
            page(vec![at("a", 10, "a10"), at("a", 20, "a20")], Some(50)),
            all,
        );
        assert!(earlier.is_empty(), "b has read nothing yet");
        // b's page goes back only to :15, so a10 waits for b's next page.
        earlier.arrived(
            "b",
            page(vec![at("b", 15, "b15"), at("b", 25, "b25")], Some(40)),
            all,
        );
        assert_eq!(texts(&earlier), ["b15", "a20", "b25"]);
        assert_eq!(earlier.selected, 2, "the newest line is selected");
        let asked = earlier.wanted();
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0].source, "b");
        // b reaches its first line; b5 waits, as a may have lines between :05 and :10.
        earlier.arrived("b", page(vec![at("b", 5, "b5")], None), all);
        assert_eq!(texts(&earlier), ["a10", "b15", "a20", "b25"]);
        assert_eq!(earlier.selected, 3, "the selection stays on its line");
        assert_eq!(earlier.wanted()[0].source, "a");
        earlier.arrived("a", page(vec![at("a", 1, "a1")], None), all);
        assert_eq!(texts(&earlier), ["a1", "b5", "a10", "b15", "a20", "b25"]);
        assert!(earlier.is_done());
    }

    #[test]
    fn continuation_lines_go_with_the_line_above_and_filters_apply() {
        let before = Before {
            copy: 0,
            offset: None,
        };
        let mut earlier = Earlier::start(vec![("a".into(), before)], 0);
        earlier.wanted();
        let mut trace = at("a", 30, "\tat Main.run");
        trace.time = None;
        let lines = vec![at("a", 20, "ERROR boom"), trace, at("a", 40, "ok")];
        let errors = |l: Kept<'_>| !l.text.contains("ok");
        earlier.arrived("a", page(lines, None), errors);
        assert_eq!(texts(&earlier), ["ERROR boom", "\tat Main.run"]);
        earlier.refilter(|_| true);
        assert_eq!(texts(&earlier), ["ERROR boom", "\tat Main.run", "ok"]);
    }

    #[test]
    fn a_failed_page_keeps_what_was_read_and_says_why() {
        let before = Before {
            copy: 0,
            offset: None,
        };
        let mut earlier = Earlier::start(vec![("a".into(), before)], 0);
        earlier.wanted();
        earlier.arrived("a", page(vec![at("a", 1, "one")], Some(10)), |_| true);
        earlier.wanted();
        earlier.arrived("a", Err("gone".into()), |_| true);
        assert_eq!(texts(&earlier), ["one"]);
        assert_eq!(earlier.error.as_deref(), Some("a: gone"));
        assert!(earlier.is_done());
    }
}
