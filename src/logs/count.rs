//! Counting the messages of a big file that match a level or a regex, for
//! `sheriff logs FILE --level error --count` and `--grep RE --count`.
//!
//! A count must give the same number as parsing every message, but must not cost that:
//! the file is split at message starts into one range per core, each range is read in
//! 1 MiB windows (memory stays a few MiB whatever the file's size), and only lines that
//! can match are parsed. For a level, a line can only be `error` or worse if it holds one
//! of the words those levels are spelled with, so a multi-word search over the window
//! finds the candidates and the parser decides; for a regex, its own search finds them.
//! Formats whose level is not a word (access logs' status, syslog's `<PRI>`, glog's
//! letter, numeric JSON levels) are parsed line by line, still split across cores.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::thread;

use regex::bytes::Regex;

use super::parse::{Format, LineParser};
use super::Level;

/// What is read from the file at a time, per thread.
const WINDOW: usize = 1024 * 1024;
/// Lines read from the start to detect the format.
const SAMPLE_LINES: usize = 200;

/// Which messages to count.
#[derive(Debug, Clone, Default)]
pub struct CountQuery {
    /// This level or worse.
    pub level: Option<Level>,
    /// Some line of the message matches.
    pub grep: Option<Regex>,
    /// The format, when the config names one; else detected from the first lines.
    pub format: Option<Format>,
}

/// The number of messages in `path` that match `query`, using up to `threads` threads.
/// A message is a line with its own time and the lines under it that have none (a stack
/// trace); in a file whose lines carry no time, every line is a message.
pub fn count_file(path: &Path, query: &CountQuery, threads: usize) -> io::Result<u64> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let format = match &query.format {
        Some(format) => format.clone(),
        None => detect_format(&file, len)?,
    };
    let mut plan = Plan::new(query, &format);
    if plan.timed {
        let mut parser = LineParser::new(format.clone());
        plan.first_timed = next_message_start(&file, 0, len, &mut parser, true)?;
    }
    let bounds = split(&file, len, threads.max(1), &format)?;
    let counts = thread::scope(|scope| {
        let workers: Vec<_> = bounds
            .windows(2)
            .map(|range| {
                let (file, plan, format) = (&file, &plan, &format);
                let (from, to) = (range[0], range[1]);
                scope.spawn(move || count_range(file, from, to, plan, format))
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<io::Result<Vec<u64>>>()
    })?;
    Ok(counts.into_iter().sum())
}

/// The format the first lines of the file are written in.
fn detect_format(file: &File, len: u64) -> io::Result<Format> {
    let mut head = vec![0u8; WINDOW.min(len as usize)];
    read_full_at(file, &mut head, 0)?;
    let text = String::from_utf8_lossy(&head);
    let lines: Vec<&str> = text.lines().take(SAMPLE_LINES).collect();
    Ok(super::parse::detect(&lines))
}

/// How candidates are found, decided once per count.
struct Plan<'q> {
    level: Option<Level>,
    grep: Option<&'q Regex>,
    /// Finds every line that may be at `level` or worse; `None` when every line may be.
    level_words: Option<aho_corasick::packed::Searcher>,
    /// Whether the format's lines carry their own time, so that lines without one are
    /// continuations of the message above.
    timed: bool,
    /// Where the first line with a time starts: each line before it is a message of its
    /// own, as [`super::parse::Messages`] has it.
    first_timed: u64,
}

impl<'q> Plan<'q> {
    fn new(query: &'q CountQuery, format: &Format) -> Plan<'q> {
        let level_words = query
            .level
            .filter(|_| level_is_a_word(format))
            .and_then(words_for)
            .and_then(|words| {
                // Teddy (SIMD) by choice: the automaton's default prefilter looks for rare
                // bytes, and the letters of level words are not rare in log text.
                let mut teddy = aho_corasick::packed::Config::new().builder();
                teddy.extend(&words);
                teddy.build()
            });
        Plan {
            level: query.level,
            grep: query.grep.as_ref(),
            level_words,
            timed: !matches!(format, Format::Plain),
            first_timed: 0,
        }
    }
}

/// Formats whose level is a word in the line's head (`ERROR`, `[error]`, `level=warn`,
/// `"level":"error"`), so that a line without such a word cannot be at that level.
fn level_is_a_word(format: &Format) -> bool {
    matches!(
        format,
        Format::Iso8601
            | Format::Log4j
            | Format::Logfmt
            | Format::NginxError
            | Format::ApacheError
            | Format::Syslog3164
            | Format::Plain
    )
}

/// The prefixes every spelling of a level at `min` or worse starts with, in lower case
/// (they are searched for in a lower-cased copy of the text); `None` when nearly every
/// line qualifies and a search would not help.
fn words_for(min: Level) -> Option<Vec<&'static str>> {
    let mut words = vec!["err", "fatal", "panic", "crit", "alert", "emerg"];
    if min <= Level::Warn {
        words.push("warn");
    }
    if min <= Level::Notice {
        words.push("notice");
    }
    (min > Level::Info).then_some(words)
}

/// Offsets that cut `file` into `parts` ranges at message starts, first 0, last `len`.
fn split(file: &File, len: u64, parts: usize, format: &Format) -> io::Result<Vec<u64>> {
    let mut bounds = vec![0];
    let mut parser = LineParser::new(format.clone());
    let timed = !matches!(format, Format::Plain);
    for part in 1..parts as u64 {
        let guess = (len / parts as u64 * part).max(*bounds.last().unwrap_or(&0));
        let start = next_message_start(file, guess, len, &mut parser, timed)?;
        if start >= len {
            break;
        }
        if start > *bounds.last().unwrap_or(&0) {
            bounds.push(start);
        }
    }
    bounds.push(len);
    Ok(bounds)
}

/// The first message start at or after the line following `at`.
fn next_message_start(
    file: &File,
    at: u64,
    len: u64,
    parser: &mut LineParser,
    timed: bool,
) -> io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = at;
    // Skip to the end of the line `at` falls in.
    let mut skipping = at > 0;
    while pos < len {
        let n = read_full_at(file, &mut buf, pos)?;
        let window = &buf[..n];
        let mut line_start = 0;
        for newline in memchr::memchr_iter(b'\n', window) {
            if skipping {
                skipping = false;
            } else if !timed || is_message_start(&window[line_start..newline], parser) {
                return Ok(pos + line_start as u64);
            }
            line_start = newline + 1;
        }
        if line_start == 0 {
            // A line longer than the buffer: keep looking after it.
            pos += n as u64;
        } else {
            pos += line_start as u64;
        }
    }
    Ok(len)
}

fn is_message_start(line: &[u8], parser: &mut LineParser) -> bool {
    let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line));
    parser.parse(&line).time.is_some()
}

/// Whether `grep` matches the line as it would be shown: a match on a secret alone is
/// no match, so a count cannot tell what a masked value is.
fn grep_line(grep: &Regex, raw: &[u8]) -> bool {
    grep.is_match(raw)
        && grep.is_match(crate::redact::mask(&String::from_utf8_lossy(raw)).as_bytes())
}

/// Reads as much of `buf` as the file holds from `offset`; returns how much.
fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Counts the matching messages that start in `from..to`.
fn count_range(file: &File, from: u64, to: u64, plan: &Plan, format: &Format) -> io::Result<u64> {
    let mut scan = RangeScan {
        plan,
        parser: LineParser::new(format.clone()),
        count: 0,
        last_start: None,
        last_counted: None,
        lowered: Vec::new(),
    };
    let mut buf = vec![0u8; WINDOW];
    let mut carry = 0usize;
    let mut pos = from;
    while pos < to {
        let want = ((to - pos) as usize).min(buf.len() - carry);
        let n = read_full_at(file, &mut buf[carry..carry + want], pos)?;
        if n == 0 {
            break;
        }
        pos += n as u64;
        let filled = carry + n;
        let window_offset = pos - filled as u64;
        // The window ends at its last newline; the rest waits for the next read (or is the
        // file's unterminated last line).
        let end = if pos >= to {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                // One line bigger than the window: judge it by its first WINDOW bytes.
                None => filled,
            }
        };
        scan.window(&buf[..end], window_offset);
        buf.copy_within(end..filled, 0);
        carry = filled - end;
    }
    Ok(scan.count)
}

struct RangeScan<'p, 'q> {
    plan: &'p Plan<'q>,
    parser: LineParser,
    count: u64,
    /// The file offset of the last message start seen before the current window.
    last_start: Option<u64>,
    /// The message start last counted, so a message with two matching lines counts once.
    last_counted: Option<u64>,
    /// The window in lower case, for the level words' search.
    lowered: Vec<u8>,
}

impl RangeScan<'_, '_> {
    /// Counts in one window of whole lines starting at file offset `offset`.
    fn window(&mut self, window: &[u8], offset: u64) {
        if self.plan.level_words.is_some() {
            // One pass the compiler vectorises, so that the search can be case-sensitive
            // on a few patterns (a case-insensitive one reads byte by byte, 8x slower).
            self.lowered.clear();
            self.lowered
                .extend(window.iter().map(u8::to_ascii_lowercase));
        }
        let mut pos = 0;
        while pos < window.len() {
            let Some(hit) = self.next_candidate(window, pos) else {
                break;
            };
            let line_start = memchr::memrchr(b'\n', &window[..hit]).map_or(0, |i| i + 1);
            let line_end = memchr::memchr(b'\n', &window[hit..]).map_or(window.len(), |i| hit + i);
            pos = self.judge(window, line_start, line_end, offset) + 1;
        }
        if self.plan.timed {
            if let Some(start) = self.start_before(window, window.len(), offset) {
                self.last_start = Some(start);
            }
        }
    }

    /// Where the next line that may match begins its match, at or after `from`.
    fn next_candidate(&self, window: &[u8], from: usize) -> Option<usize> {
        let rest = &window[from..];
        let found = match (&self.plan.level_words, self.plan.grep) {
            (Some(words), _) => words.find(&self.lowered[from..]).map(|m| m.start()),
            (None, Some(grep)) if self.plan.level.is_none() => grep.find(rest).map(|m| m.start()),
            // Every line is a candidate.
            _ => (!rest.is_empty()).then_some(0),
        };
        found.map(|at| from + at)
    }

    /// Decides the line `window[start..end]` and counts its message if it matches;
    /// returns where the lines it looked at end.
    fn judge(&mut self, window: &[u8], start: usize, end: usize, offset: u64) -> usize {
        let parsed = self.parse(&window[start..end]);
        let starts_message = !self.plan.timed
            || parsed.time.is_some()
            || offset + (start as u64) < self.plan.first_timed;
        let mut looked_to = end;
        if let Some(min) = self.plan.level {
            // A continuation has no level of its own; its message was judged by its start.
            if !starts_message || parsed.level.is_none_or(|level| level < min) {
                return end;
            }
            if let Some(grep) = self.plan.grep {
                // The level is the start line's; the regex may match any line under it.
                let (matched, to) = self.grep_message(grep, window, start, end);
                looked_to = to;
                if !matched {
                    return looked_to;
                }
            }
        } else if let Some(grep) = self.plan.grep {
            if !grep_line(grep, &window[start..end]) {
                return end;
            }
        }
        let message = if starts_message {
            Some(offset + start as u64)
        } else {
            self.start_before(window, start, offset).or(self.last_start)
        };
        // Lines before the range's first message start belong to the range before.
        if let Some(message) = message {
            if self.last_counted != Some(message) {
                self.last_counted = Some(message);
                self.count += 1;
            }
        }
        looked_to
    }

    /// Whether `grep` matches the message starting with the line `start..end`, or one of
    /// the continuation lines under it in this window; and where the lines looked at end.
    fn grep_message(
        &mut self,
        grep: &Regex,
        window: &[u8],
        start: usize,
        end: usize,
    ) -> (bool, usize) {
        if grep_line(grep, &window[start..end]) {
            return (true, end);
        }
        let mut line_end = end;
        while line_end < window.len() {
            let next = line_end + 1;
            let next_end =
                memchr::memchr(b'\n', &window[next..]).map_or(window.len(), |i| next + i);
            if next >= window.len() || self.parse(&window[next..next_end]).time.is_some() {
                break;
            }
            if grep_line(grep, &window[next..next_end]) {
                return (true, next_end);
            }
            line_end = next_end;
        }
        (false, line_end)
    }

    fn parse(&mut self, raw: &[u8]) -> super::parse::Parsed {
        let line = String::from_utf8_lossy(raw.strip_suffix(b"\r").unwrap_or(raw));
        self.parser.parse(&line)
    }

    /// The offset of the last message start among the lines before `before` in `window`.
    fn start_before(&mut self, window: &[u8], before: usize, offset: u64) -> Option<u64> {
        let mut end = before;
        while end > 0 {
            let line_end = if window[end - 1] == b'\n' {
                end - 1
            } else {
                end
            };
            let line_start = memchr::memrchr(b'\n', &window[..line_end]).map_or(0, |i| i + 1);
            if self.parse(&window[line_start..line_end]).time.is_some() {
                return Some(offset + line_start as u64);
            }
            end = line_start;
        }
        None
    }
}
