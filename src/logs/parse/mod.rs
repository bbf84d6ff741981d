//! What a log line says about itself: when it was written, how severe it is, and where
//! its text starts.
//!
//! A source's lines share a [`Format`], named in the config or told by [`detect`] from the
//! first lines. A [`LineParser`] per source reads each line in it; it keeps what the lines
//! leave out — the zone of times written without an offset, the year of syslog's and glog's
//! times — and never panics, whatever the line holds.
//!
//! ```
//! use sheriff::logs::parse::{Format, LineParser};
//! use sheriff::logs::Level;
//!
//! let mut parser = LineParser::new(Format::NginxAccess);
//! let line = r#"203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 502 157 "-" "curl/8.5.0""#;
//! let parsed = parser.parse(line);
//! assert_eq!(parsed.time.map(|t| t.to_rfc3339()), Some("2000-10-10T20:55:36+00:00".into()));
//! assert_eq!(parsed.level, Some(Level::Error));
//! ```
//!
//! A line that has no time of its own in a source whose lines do (a Java stack trace's
//! `at …` lines, the rest of a multi-line message) continues the message above it;
//! [`Messages`] groups lines that way.

mod clock;
mod detect;
mod epoch;
mod format;
mod messages;
mod structured;
mod syslog;
mod text;
mod time;
mod web;
mod zone;

pub use detect::detect;
pub use format::{Format, NamedRegex};
pub use messages::{Message, Messages};
pub use zone::{Zone, ZoneRule};

use chrono::{DateTime, Utc};

use super::Level;
use clock::Clock;

/// What one line says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// When the line says it was written; `None` when it does not say (a continuation).
    pub time: Option<DateTime<Utc>>,
    pub level: Option<Level>,
    /// The byte offset in the line where its message starts, after the time, level and
    /// the like. 0 for lines that are all message (access logs, continuations) and for
    /// JSON, whose message is in [`Parsed::message`].
    pub msg: usize,
    /// The message, when the line holds it encoded (a JSON or quoted logfmt string) and it
    /// had to be decoded; `None` when the message is the line from `msg` on. Read it with
    /// [`Parsed::message_of`].
    pub message: Option<String>,
    /// The host the line names (syslog's, journald's `_HOSTNAME`, bunyan's `hostname`).
    pub host: Option<String>,
    /// The program or unit the line names (syslog's tag, journald's `_SYSTEMD_UNIT`).
    pub app: Option<String>,
}

impl Parsed {
    /// The message of `line`, the line this was parsed from.
    ///
    /// ```
    /// use sheriff::logs::parse::{Format, LineParser};
    /// let line = "2024/05/01 12:00:01 [warn] 12#12: *3 client closed connection";
    /// let parsed = LineParser::new(Format::NginxError).parse(line);
    /// assert_eq!(parsed.message_of(line), "*3 client closed connection");
    /// ```
    pub fn message_of<'a>(&'a self, line: &'a str) -> &'a str {
        match &self.message {
            Some(message) => message,
            None => line
                .get(self.msg..)
                .unwrap_or("")
                .trim_end_matches(['\r', '\n']),
        }
    }

    /// A line that is only message: no time, no level.
    fn text() -> Parsed {
        Parsed::default()
    }
}

/// Lines an `Auto` parser reads before it settles on the format most of them had.
const AUTO_VOTES: usize = 8;

/// Reads the lines of one source, in order.
#[derive(Debug, Clone)]
pub struct LineParser {
    format: Format,
    clock: Clock,
    /// For `Format::Auto`: how many lines so far fitted each format.
    votes: Vec<(Format, usize)>,
}

impl LineParser {
    /// A parser for lines in `format`. Times without an offset are read in the local zone
    /// ([`Zone::Local`]); times without a year take it from the moment the first such line
    /// is read, as for a stream written as it is read (see [`LineParser::with_year_hint`]).
    pub fn new(format: Format) -> Self {
        LineParser {
            format,
            clock: Clock::new(Zone::Local, None),
            votes: Vec::new(),
        }
    }

    /// Takes the year of yearless times (syslog's `May  1 12:00:01`, glog) from the time the
    /// file was last modified, as lnav does: a line's year is the latest that does not put
    /// it after `modified` (`Dec 31` in a file modified in January is last year's), and
    /// reading on, a Dec → Jan step moves to the next year. Times of day without a date
    /// (logback's default pattern) take their day the same way.
    pub fn with_year_hint(mut self, modified: DateTime<Utc>) -> Self {
        self.clock.set_hint(modified);
        self
    }

    /// Reads times written without an offset in `zone` rather than the local one.
    pub fn with_zone(mut self, zone: Zone) -> Self {
        self.clock.zone = zone;
        self
    }

    /// The format lines are read in: for `Auto`, the one settled on, or `Auto` until then.
    pub fn format(&self) -> &Format {
        &self.format
    }

    /// What `line` says about itself. A trailing `\r` or `\n` is ignored; a line that does
    /// not fit the format has no time and no level.
    pub fn parse(&mut self, line: &str) -> Parsed {
        let line = line.trim_end_matches(['\n', '\r']);
        if self.format == Format::Auto {
            return match detect::detect_line(line) {
                Some(format) => {
                    let parsed = parse_as(&format, line, &mut self.clock);
                    self.vote(format);
                    parsed
                }
                // After timed lines, one that fits nothing continues them.
                None if !self.votes.is_empty() => Parsed::text(),
                None => text::plain(line),
            };
        }
        parse_as(&self.format, line, &mut self.clock)
    }

    fn vote(&mut self, format: Format) {
        match self.votes.iter_mut().find(|(f, _)| *f == format) {
            Some((_, n)) => *n += 1,
            None => self.votes.push((format, 1)),
        }
        let total: usize = self.votes.iter().map(|(_, n)| n).sum();
        if total >= AUTO_VOTES {
            let winner = detect::winner(&self.votes);
            self.format = winner;
            self.votes = Vec::new();
        }
    }
}

fn parse_as(format: &Format, line: &str, clock: &mut Clock) -> Parsed {
    match format {
        Format::Iso8601 | Format::Log4j => text::stamped(line, clock),
        Format::Syslog3164 => syslog::rfc3164(line, clock),
        Format::Syslog5424 => syslog::rfc5424(line, clock),
        Format::NginxAccess => web::access(line, clock),
        Format::NginxError => web::nginx_error(line, clock),
        Format::ApacheError => web::apache_error(line, clock),
        Format::Glog => text::glog(line, clock),
        Format::Epoch => text::epoch(line),
        Format::Logfmt => structured::logfmt(line, clock),
        Format::JsonLines => structured::json(line, clock),
        Format::Journald => structured::journald(line, clock),
        Format::Custom(re) => text::custom(re, line, clock),
        Format::Auto | Format::Plain => text::plain(line),
    }
}
