//! The bounded buffer the Logs pane reads: the newest lines, oldest dropped first, within
//! a budget of bytes (64 MiB unless configured), so a flood of long lines and a trickle of
//! short ones both stay within what the sheriff allowed.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use regex::Regex;

use super::{Level, LogLine, Origin};

/// How far back a late line may go among the lines already kept: before lines of other
/// sources at most this much newer than it (clocks that disagree more stay in arrival
/// order, never reordered across a minute)…
pub const MERGE_SPAN: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// …and among the last this many lines, so a merge costs a bounded walk.
pub const MERGE_LINES: usize = 4096;

/// A ring of the most recent lines. Memory stays bounded however long sheriff runs; what
/// fell off the front is counted so the pane can say "12,400 older lines dropped".
///
/// Lines' texts are copied into large blocks, a new one started when the last is full,
/// and a block is let go when its last line falls off the front; the ring holds a small
/// fixed record per line. So what the buffer takes is what the allocator holds for it,
/// to the byte: one allocation per block rather than two per line, and no free space
/// left between lines of different lengths as old ones are freed and new ones made.
///
/// ```
/// use sheriff::logs::{buffer::LogBuffer, LogLine};
/// let line = |text: &str| LogLine { source: "app".into(), received: chrono::Utc::now(), time: None, level: None, text: text.into(), origin: None };
/// // The ring's empty slots count too: room for them and two lines, a block each.
/// let slots = LogBuffer::with_blocks(0, 1).usage().0;
/// let mut buf = LogBuffer::with_blocks(slots + 2 * LogBuffer::cost_of(&line("a")), 1);
/// for text in ["a", "b", "c"] {
///     buf.push_line(line(text));
/// }
/// assert_eq!(buf.len(), 2);
/// assert_eq!(buf.get(0).map(|l| l.text), Some("b"));
/// assert_eq!(buf.dropped(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<Slot>,
    /// The texts of the kept lines, oldest block first.
    blocks: VecDeque<Block>,
    /// The number of `blocks[0]`; a slot names its block by number (wrapping).
    first_block: u32,
    /// The size of a new block (a longer line gets one of its own length).
    block_size: usize,
    /// Every source name once; a slot holds its index.
    sources: Vec<String>,
    source_ids: HashMap<String, u32>,
    /// The most bytes the buffer may take: its blocks and the ring's slots, spare ones
    /// included.
    budget: usize,
    /// What the blocks take: their capacity and their records.
    held: usize,
    dropped: u64,
}

/// One kept line: where its text is, and what the pane asks of it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    received: DateTime<Utc>,
    time: Option<DateTime<Utc>>,
    block: u32,
    start: u32,
    len: u32,
    source: u32,
    level: Option<Level>,
    /// The line's [`Origin`] in three words (`NO_ORIGIN` in the first for none), so the
    /// record stays 4-byte aligned and small.
    origin: [u32; 3],
}

/// `Slot::origin[0]` of a line without an origin.
const NO_ORIGIN: u32 = u32::MAX;

fn pack(origin: Option<Origin>) -> [u32; 3] {
    match origin {
        Some(o) if o.file != NO_ORIGIN => [o.file, o.offset as u32, (o.offset >> 32) as u32],
        _ => [NO_ORIGIN, 0, 0],
    }
}

fn unpack(words: [u32; 3]) -> Option<Origin> {
    (words[0] != NO_ORIGIN).then(|| Origin {
        file: words[0],
        offset: u64::from(words[1]) | (u64::from(words[2]) << 32),
    })
}

#[derive(Debug, Clone)]
struct Block {
    bytes: Vec<u8>,
    /// Kept lines whose text is here.
    live: u32,
}

/// A kept line, as the buffer lends it out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kept<'a> {
    pub source: &'a str,
    pub received: DateTime<Utc>,
    pub time: Option<DateTime<Utc>>,
    pub level: Option<Level>,
    pub text: &'a str,
    pub origin: Option<Origin>,
}

impl Kept<'_> {
    /// See [`LogLine::is_mark`].
    pub fn is_mark(&self) -> bool {
        super::is_mark(self.level, self.text)
    }

    /// The line as its own value, for what outlives the buffer (a bug draft, a copy).
    pub fn to_line(&self) -> LogLine {
        LogLine {
            source: self.source.to_string(),
            received: self.received,
            time: self.time,
            level: self.level,
            text: self.text.to_string(),
            origin: self.origin,
        }
    }
}

impl LogLine {
    /// The line as the buffer lends its own, so what draws and filters kept lines takes
    /// this one too.
    pub fn as_kept(&self) -> Kept<'_> {
        Kept {
            source: &self.source,
            received: self.received,
            time: self.time,
            level: self.level,
            text: &self.text,
            origin: self.origin,
        }
    }
}

impl LogBuffer {
    /// 64 MiB, for all sources together.
    pub const DEFAULT_BUDGET: usize = 64 * 1024 * 1024;
    /// The largest block: small next to any budget worth having, big enough that its
    /// allocation is nothing per line.
    const MAX_BLOCK: usize = 256 * 1024;

    pub fn new() -> Self {
        Self::with_budget(Self::DEFAULT_BUDGET)
    }

    /// A buffer that takes at most `budget` bytes; the newest line is always kept. Blocks
    /// are a 256th of the budget (at most 256 KiB), so at most that much is held for lines
    /// already dropped.
    pub fn with_budget(budget: usize) -> Self {
        Self::with_blocks(budget, (budget / 256).clamp(4096, Self::MAX_BLOCK))
    }

    /// A buffer whose texts go in blocks of `block_size` bytes (1: a block per line).
    pub fn with_blocks(budget: usize, block_size: usize) -> Self {
        LogBuffer {
            lines: VecDeque::with_capacity(1024),
            blocks: VecDeque::new(),
            first_block: 0,
            block_size: block_size.max(1),
            sources: Vec::new(),
            source_ids: HashMap::new(),
            budget,
            held: 0,
            dropped: 0,
        }
    }

    /// What a line adds to the blocks when it has one of its own (`with_blocks(_, 1)`): its
    /// text and the block's record. (Its record takes a slot of the ring, counted with the
    /// ring.)
    pub fn cost_of(line: &LogLine) -> usize {
        line.text.len() + std::mem::size_of::<Block>()
    }

    /// What the buffer takes now: its blocks and the ring's slots.
    fn taken(&self) -> usize {
        self.held + self.lines.capacity() * std::mem::size_of::<Slot>()
    }

    /// Appends a line, dropping the oldest while over budget.
    pub fn push_line(&mut self, line: LogLine) {
        self.insert(self.lines.len(), line);
        self.trim();
    }

    /// Puts a message (a line with its time, then the lines under it with none) where its
    /// time goes among the newest lines of other sources, within [`MERGE_SPAN`] and
    /// [`MERGE_LINES`]; a line without a time, or one from a source whose lines it would
    /// pass, goes at the end. Returns the index of its first line. Call [`LogBuffer::trim`]
    /// after a batch to keep to the budget.
    pub fn merge_message(&mut self, message: Vec<LogLine>) -> usize {
        let at = message
            .first()
            .map_or(self.lines.len(), |head| self.merge_position(head));
        for (k, line) in message.into_iter().enumerate() {
            self.insert(at + k, line);
        }
        at
    }

    /// Copies `text` into the last block, or a new one when it does not fit; returns the
    /// block's number and where the text starts in it.
    fn store(&mut self, text: &str) -> (u32, u32) {
        let fits = self
            .blocks
            .back()
            .is_some_and(|b| b.bytes.capacity() - b.bytes.len() >= text.len());
        if !fits {
            // The full block keeps its spare room (less than this line): shrinking it would
            // leave a hole no later block fits in.
            let size = text.len().max(self.block_size);
            self.blocks.push_back(Block {
                bytes: Vec::with_capacity(size),
                live: 0,
            });
            self.held += size + std::mem::size_of::<Block>();
        }
        let number = self.first_block.wrapping_add(self.blocks.len() as u32 - 1);
        let block = self.blocks.back_mut().expect("a block was just made");
        let start = block.bytes.len() as u32;
        block.bytes.extend_from_slice(text.as_bytes());
        block.live += 1;
        (number, start)
    }

    fn source_id(&mut self, source: String) -> u32 {
        if let Some(&id) = self.source_ids.get(&source) {
            return id;
        }
        let id = self.sources.len() as u32;
        self.sources.push(source.clone());
        self.source_ids.insert(source, id);
        id
    }

    /// Puts `line` at index `at` (at most `len()`); see [`LogBuffer::merge_position`].
    pub fn insert(&mut self, at: usize, line: LogLine) {
        if self.lines.len() == self.lines.capacity() {
            // A quarter more at a time rather than twice as many: the spare slots count
            // against the budget, and doubling would leave up to half of them empty.
            self.lines.reserve_exact((self.lines.len() / 4).max(1024));
        }
        let (block, start) = self.store(&line.text);
        let slot = Slot {
            received: line.received,
            time: line.time,
            block,
            start,
            len: line.text.len() as u32,
            source: self.source_id(line.source),
            level: line.level,
            origin: pack(line.origin),
        };
        if at >= self.lines.len() {
            self.lines.push_back(slot);
        } else {
            self.lines.insert(at, slot);
        }
    }

    /// Where a message whose first line is `head` goes, as [`LogBuffer::merge_message`]
    /// puts it: the end, unless its time puts it among the newest lines of other sources.
    pub fn merge_position(&self, head: &LogLine) -> usize {
        let Some(time) = head.time else {
            return self.lines.len();
        };
        let own = self.source_ids.get(&head.source).copied();
        let floor = self.lines.len().saturating_sub(MERGE_LINES);
        let mut at = self.lines.len();
        while at > floor {
            // The message that ends just before `at`: back to its first line.
            let mut start = at - 1;
            while start > floor
                && self.lines[start].time.is_none()
                && self.lines[start - 1].source == self.lines[start].source
            {
                start -= 1;
            }
            let before = &self.lines[start];
            // A source's own lines keep the order it wrote them in.
            if Some(before.source) == own {
                break;
            }
            match before.time {
                Some(t) if t > time && t - time <= MERGE_SPAN => at = start,
                _ => break,
            }
        }
        at
    }

    /// Drops the oldest lines while over budget (keeping at least one); returns how many.
    pub fn trim(&mut self) -> usize {
        let mut dropped = 0;
        while self.taken() > self.budget && self.lines.len() > 1 {
            if let Some(old) = self.lines.pop_front() {
                self.release(old.block);
                self.dropped += 1;
                dropped += 1;
            }
        }
        dropped
    }

    /// A line whose text is in block `number` is gone: the blocks at the front that no
    /// kept line needs are let go (the last one stays, to be filled).
    fn release(&mut self, number: u32) {
        let at = number.wrapping_sub(self.first_block) as usize;
        if let Some(block) = self.blocks.get_mut(at) {
            block.live -= 1;
        }
        while self.blocks.len() > 1 && self.blocks.front().is_some_and(|b| b.live == 0) {
            if let Some(block) = self.blocks.pop_front() {
                self.held -= block.bytes.capacity() + std::mem::size_of::<Block>();
                self.first_block = self.first_block.wrapping_add(1);
            }
        }
    }

    fn kept(&self, slot: &Slot) -> Kept<'_> {
        let block = &self.blocks[slot.block.wrapping_sub(self.first_block) as usize];
        let bytes = &block.bytes[slot.start as usize..(slot.start + slot.len) as usize];
        Kept {
            source: &self.sources[slot.source as usize],
            received: slot.received,
            time: slot.time,
            level: slot.level,
            // SAFETY: the bytes were copied from a `str` whole, and a block's bytes are
            // never changed after they are written.
            text: unsafe { std::str::from_utf8_unchecked(bytes) },
            origin: unpack(slot.origin),
        }
    }

    /// Counts `n` more lines as dropped (lines a previous buffer let go).
    pub fn count_dropped(&mut self, n: u64) {
        self.dropped += n;
    }

    /// The bytes the kept lines take, and the most they may.
    pub fn usage(&self) -> (usize, usize) {
        (self.taken(), self.budget)
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
    pub fn get(&self, i: usize) -> Option<Kept<'_>> {
        self.lines.get(i).map(|slot| self.kept(slot))
    }

    /// Kept lines, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Kept<'_>> + ExactSizeIterator {
        self.lines.iter().map(|slot| self.kept(slot))
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
        self.blocks.clear();
        self.held = 0;
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
        let scan = |slice: &[Slot], offset: usize, out: &mut Vec<usize>| {
            let skip = start.saturating_sub(offset).min(slice.len());
            for (i, slot) in slice.iter().enumerate().skip(skip) {
                if re.is_match(self.kept(slot).text) {
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
            origin: None,
        }
    }

    /// A buffer that holds `n` lines like `line("line 0")` beside its ring's first slots,
    /// each line in a block of its own.
    fn holding(n: usize) -> LogBuffer {
        let slots = LogBuffer::with_blocks(0, 1).taken();
        LogBuffer::with_blocks(slots + n * LogBuffer::cost_of(&line("line 0")), 1)
    }

    fn timed(source: &str, second: i64, text: &str) -> LogLine {
        let t = chrono::DateTime::<Utc>::from_timestamp(1_796_112_000 + second, 0);
        LogLine {
            source: source.into(),
            received: Utc::now(),
            time: t,
            level: None,
            text: text.into(),
            origin: None,
        }
    }

    fn merge(buf: &mut LogBuffer, lines: Vec<LogLine>) {
        // As the pane does: a line with a time and the lines under it without one.
        let mut messages: Vec<Vec<LogLine>> = Vec::new();
        for line in lines {
            match messages.last_mut() {
                Some(open) if line.time.is_none() => open.push(line),
                _ => messages.push(vec![line]),
            }
        }
        for message in messages {
            buf.merge_message(message);
        }
    }

    fn texts(buf: &LogBuffer) -> Vec<&str> {
        buf.iter().map(|l| l.text).collect()
    }

    #[test]
    fn three_sources_with_interleaved_times_merge_into_time_order() {
        let mut buf = LogBuffer::new();
        merge(
            &mut buf,
            vec![
                timed("a", 0, "a0"),
                timed("a", 3, "a3"),
                timed("a", 6, "a6"),
            ],
        );
        merge(
            &mut buf,
            vec![
                timed("b", 1, "b1"),
                timed("b", 4, "b4"),
                timed("b", 7, "b7"),
            ],
        );
        let mut trace = timed("c", 2, "c2 failed");
        trace.text = "c2 failed".into();
        let mut at = timed("c", 0, "\tat Foo.bar");
        at.time = None;
        merge(
            &mut buf,
            vec![trace, at, timed("c", 5, "c5"), timed("c", 8, "c8")],
        );
        assert_eq!(
            texts(&buf),
            [
                "a0",
                "b1",
                "c2 failed",
                "\tat Foo.bar",
                "a3",
                "b4",
                "c5",
                "a6",
                "b7",
                "c8"
            ]
        );
    }

    #[test]
    fn clocks_that_disagree_by_more_than_a_minute_keep_arrival_order() {
        let mut buf = LogBuffer::new();
        merge(
            &mut buf,
            vec![timed("a", 100, "a100"), timed("a", 200, "a200")],
        );
        // Two hours behind: it stays where it arrived, not at the top of the screen.
        merge(&mut buf, vec![timed("skewed", 200 - 7200, "skewed")]);
        // 61 s older than the newest line: past the span, so at the end too.
        merge(&mut buf, vec![timed("b", 200 - 61, "b139")]);
        // 30 s older: within the span, it goes before a200.
        merge(&mut buf, vec![timed("c", 170, "c170")]);
        assert_eq!(texts(&buf), ["a100", "a200", "skewed", "b139", "c170"]);
        let mut buf = LogBuffer::new();
        merge(
            &mut buf,
            vec![timed("a", 100, "a100"), timed("b", 120, "b120")],
        );
        merge(&mut buf, vec![timed("c", 110, "c110")]);
        assert_eq!(texts(&buf), ["a100", "c110", "b120"]);
    }

    #[test]
    fn a_source_never_passes_its_own_lines_nor_untimed_ones_move() {
        let mut buf = LogBuffer::new();
        merge(
            &mut buf,
            vec![
                timed("a", 10, "a10"),
                timed("a", 5, "a5 clock stepped back"),
            ],
        );
        let mut plain = timed("b", 0, "no time");
        plain.time = None;
        merge(&mut buf, vec![plain]);
        assert_eq!(texts(&buf), ["a10", "a5 clock stepped back", "no time"]);
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
        let texts: Vec<&str> = buf.iter().map(|l| l.text).collect();
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
    fn the_default_budget_is_64_mib_in_blocks_of_256_kib() {
        let mut buf = LogBuffer::default();
        // A line's text and its slot in the ring, spare slots at most a quarter more.
        let one = "line 0".len() + std::mem::size_of::<Slot>();
        let fits = (64 << 20) / one;
        buf.extend((0..2 * fits).map(|_| line("line 0")));
        assert!(buf.dropped() > 0);
        assert!(buf.usage().0 <= 64 << 20);
        assert!(
            buf.len() * 10 >= fits * 7,
            "{} of {fits} lines kept",
            buf.len()
        );
        assert!(buf.blocks.iter().all(|b| b.bytes.capacity() <= 256 * 1024));
        assert_eq!(
            std::mem::size_of::<Slot>(),
            56,
            "the record docs/logs.md gives"
        );
    }

    #[test]
    fn a_block_is_let_go_with_its_last_line() {
        // Blocks of 64 bytes: eight lines of 8 bytes each.
        let slots = LogBuffer::with_blocks(0, 64).taken();
        let block = 64 + std::mem::size_of::<Block>();
        let mut buf = LogBuffer::with_blocks(slots + 3 * block, 64);
        for i in 0..40 {
            buf.push_line(line(&format!("line {i:02}")));
            assert!(buf.usage().0 <= buf.usage().1, "after line {i}");
        }
        // Three blocks' worth at most, the oldest block dropped whole.
        assert!(buf.blocks.len() <= 3, "{} blocks", buf.blocks.len());
        assert!(buf.len() > 16, "{} kept", buf.len());
        assert_eq!(buf.get(buf.len() - 1).map(|l| l.text), Some("line 39"));
        assert_eq!(buf.total(), 40);
        // A late line lands among the newest and its text is still right.
        let texts: Vec<String> = buf.iter().map(|l| l.text.to_string()).collect();
        let first: u32 = texts[0][5..].parse().unwrap();
        let want: Vec<String> = (first..40).map(|i| format!("line {i:02}")).collect();
        assert_eq!(texts, want);
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
            .map(|l| l.text)
            .collect();
        assert_eq!(texts, ["ERROR b", "ERROR c"]);
        assert_eq!(buf.filter_indices_from(&re, 2), vec![3]);
        assert_eq!(buf.filter_indices_from(&re, 99), Vec::<usize>::new());
    }
}
