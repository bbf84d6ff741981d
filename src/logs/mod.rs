//! Log tails: lines, their level, and the bounded buffer the Logs pane reads.

pub mod buffer;
pub mod command;
pub mod level;
pub mod lines;
pub mod remote;
pub mod tail;

pub use buffer::LogBuffer;

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "TRACE",
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// One line from one source, as received.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Which `[[log]]` (and host) it came from, e.g. "app@prod".
    pub source: String,
    pub received: DateTime<Utc>,
    pub level: Option<Level>,
    pub text: String,
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
            level: None,
            text: format!("{MARK}{what}"),
        }
    }

    /// Whether this is a mark a tail added (`⋯ …`, no level) rather than a line of its
    /// source.
    pub fn is_mark(&self) -> bool {
        self.level.is_none() && self.text.starts_with(MARK)
    }
}
