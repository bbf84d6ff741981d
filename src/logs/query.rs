//! Lines grouped into messages, and the questions `sheriff logs` asks of them.
//!
//! Messages are grouped by [`parse::Messages`]: a line with its own time and the lines
//! under it that have none (a stack trace); here they get their source and are redacted.

use chrono::{DateTime, Utc};
use regex::bytes::Regex;

use super::parse::{self, Format, LineParser, Messages};
use super::Level;

/// One message, redacted, as printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The `[[log]]` (with `@host` or `@env`) or the file's path.
    pub source: String,
    pub host: Option<String>,
    /// The 1-based line number where the message starts in its file.
    pub line: u64,
    pub time: Option<DateTime<Utc>>,
    pub level: Option<Level>,
    /// Its lines, joined by `\n`, secrets masked and line ends (`\r\n`) stripped.
    pub text: String,
}

/// What a message must be to be shown.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Some line of the message matches (compiled multi-line, so `^` is a line's start).
    pub grep: Option<Regex>,
    /// This level or worse.
    pub level: Option<Level>,
}

impl Query {
    /// Whether `message` answers the query. A message with no time is outside any
    /// `since`/`until`; one with no level is below any `level`.
    pub fn matches(&self, message: &Message) -> bool {
        if self.since.is_some() || self.until.is_some() {
            let Some(time) = message.time else {
                return false;
            };
            if self.since.is_some_and(|since| time < since)
                || self.until.is_some_and(|until| time >= until)
            {
                return false;
            }
        }
        if let Some(min) = self.level {
            if message.level.is_none_or(|level| level < min) {
                return false;
            }
        }
        match &self.grep {
            Some(grep) => grep.is_match(message.text.as_bytes()),
            None => true,
        }
    }
}

/// One source's lines, in file order, as redacted [`Message`]s.
pub struct MessageReader {
    source: String,
    host: Option<String>,
    messages: Messages,
    redact: crate::redact::Lines,
}

impl MessageReader {
    /// A reader for lines in `format`; `modified` (the file's mtime) gives the year of
    /// times written without one.
    pub fn new(
        source: &str,
        host: Option<&str>,
        format: Format,
        modified: Option<DateTime<Utc>>,
    ) -> MessageReader {
        let mut parser = LineParser::new(format);
        if let Some(modified) = modified {
            parser = parser.with_year_hint(modified);
        }
        MessageReader {
            source: source.to_string(),
            host: host.map(str::to_string),
            messages: Messages::new(parser),
            redact: crate::redact::Lines::default(),
        }
    }

    /// Takes the next line (with or without its line end); returns the message it closed.
    pub fn push(&mut self, raw: &[u8]) -> Option<Message> {
        let line = String::from_utf8_lossy(raw);
        let done = self.messages.push(&line)?;
        Some(self.finish(done))
    }

    /// The message still open, once the input has ended (or paused, when following).
    pub fn flush(&mut self) -> Option<Message> {
        let done = self.messages.finish()?;
        Some(self.finish(done))
    }

    fn finish(&mut self, done: parse::Message) -> Message {
        let mut text = String::with_capacity(done.text.len());
        for (i, line) in done.text.split('\n').enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(&self.redact.redact(line));
        }
        Message {
            source: self.source.clone(),
            host: self.host.clone(),
            line: done.line as u64,
            time: done.parsed.time,
            level: done.parsed.level,
            text,
        }
    }
}

/// `1h` (that long ago), an RFC 3339 time, `YYYY-MM-DD HH:MM[:SS]` or `HH:MM[:SS]` today
/// (local time).
pub fn parse_when(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    use chrono::{Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
    if let Ok(ago) = crate::config::duration::parse_duration(text) {
        let ago = chrono::Duration::from_std(ago).map_err(|e| e.to_string())?;
        return Ok(now - ago);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let local = |naive: NaiveDateTime| {
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| "that local time does not exist (a DST gap)".to_string())
    };
    for shape in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, shape) {
            return local(naive);
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return local(day.and_time(NaiveTime::MIN));
    }
    for shape in ["%H:%M:%S", "%H:%M"] {
        if let Ok(time) = NaiveTime::parse_from_str(text, shape) {
            let today = now.with_timezone(&Local).date_naive();
            return local(today.and_time(time));
        }
    }
    Err("not a time: use 1h, 30m, 2026-12-01T10:00:00Z, \"2026-12-01 10:00\" or 10:00".into())
}
