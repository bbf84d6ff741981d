//! Log tails: lines, their level, and the bounded buffer the Logs pane reads.

pub mod buffer;
pub mod command;
pub mod level;
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
