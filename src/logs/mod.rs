//! Log tails: lines, their level, and the bounded buffer the Logs pane reads.

pub mod backoff;
pub mod buffer;
pub mod command;
pub mod count;
pub mod earlier;
mod follow;
pub mod glob;
pub mod journal;
pub mod level;
pub mod lines;
pub mod parse;
pub mod query;
pub mod remote;
pub mod rotated;
pub mod runner;
pub mod tail;

pub use buffer::LogBuffer;

use chrono::{DateTime, Utc};

/// How severe a line says it is, least to most. The eight steps cover what logs write:
/// syslog's `notice` and `crit`, glog's `F`, bunyan's numbers, Java's `FATAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Notice,
    Warn,
    Error,
    Critical,
    Fatal,
}

impl Level {
    /// Every level, least severe first.
    pub const ALL: [Level; 8] = [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Notice,
        Level::Warn,
        Level::Error,
        Level::Critical,
        Level::Fatal,
    ];

    /// The level's name in lower case, as machine output and config write it
    /// (`"warning"`, `"critical"`); [`Level::from_name`] reads it back.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Notice => "notice",
            Level::Warn => "warning",
            Level::Error => "error",
            Level::Critical => "critical",
            Level::Fatal => "fatal",
        }
    }

    /// The short upper-case tag the screen shows (`"WARN"`, `"CRIT"`).
    pub fn label(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Notice => "NOTICE",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
            Level::Critical => "CRIT",
            Level::Fatal => "FATAL",
        }
    }

    /// A level from any of the spellings logs use, in any case: `WARN`, `warning`,
    /// `ERR`, `crit`, `emerg`, `panic`…  `None` for anything else.
    ///
    /// ```
    /// use sheriff::logs::Level;
    /// assert_eq!(Level::from_name("Warning"), Some(Level::Warn));
    /// assert_eq!(Level::from_name("EMERG"), Some(Level::Fatal));
    /// assert_eq!(Level::from_name("loud"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Level> {
        level::level_word(name.as_bytes())
    }

    /// The level of a syslog severity (the low three bits of `<PRI>`, journald's
    /// `PRIORITY`): 0 emerg is fatal, 1 alert and 2 crit critical, 7 debug.
    pub fn from_syslog(severity: u8) -> Level {
        match severity & 7 {
            0 => Level::Fatal,
            1 | 2 => Level::Critical,
            3 => Level::Error,
            4 => Level::Warn,
            5 => Level::Notice,
            6 => Level::Info,
            _ => Level::Debug,
        }
    }
}

/// One line from one source, as received.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Which `[[log]]` (and host) it came from, e.g. "app@prod".
    pub source: String,
    pub received: DateTime<Utc>,
    /// When the line says it was written, as its source's format reads it; `None` for a
    /// line that does not say (a continuation, a plain-text source).
    pub time: Option<DateTime<Utc>>,
    pub level: Option<Level>,
    pub text: String,
    /// Where the line starts in the file it was read from, for a local file's lines: what
    /// reading back past the buffer starts from. `None` for other sources and for marks.
    pub origin: Option<Origin>,
}

/// Where a line starts in its file: which of the files its tail opened (0 the first, one
/// more at each rotation or truncation, so the `n`th before the current one is the `n`th
/// rotated copy), and the byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Origin {
    pub file: u32,
    pub offset: u64,
}

/// What the text of a line sheriff adds to a log starts with: a mark where lines were cut,
/// lost or resumed (`⋯ reconnected after 12s`), never a line of the source itself.
pub const MARK: &str = "⋯ ";

impl LogLine {
    /// A mark: `MARK` and `what`, with no level, so it is never counted as an error.
    pub fn mark(source: impl Into<String>, what: &str) -> LogLine {
        LogLine {
            source: source.into(),
            received: Utc::now(),
            time: None,
            level: None,
            text: format!("{MARK}{what}"),
            origin: None,
        }
    }

    /// Whether this is a mark a tail added (`⋯ …`, no level) rather than a line of its
    /// source.
    pub fn is_mark(&self) -> bool {
        is_mark(self.level, &self.text)
    }
}

/// A mark is a line with no level whose text starts with [`MARK`].
fn is_mark(level: Option<Level>, text: &str) -> bool {
    level.is_none() && text.starts_with(MARK)
}
