//! Health checks: what a check found, and the workers that run them.

pub mod http;
pub mod record;
pub mod targets;

pub use targets::CheckTarget;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A check's state. Shown with a symbol as well as a colour, so it reads without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CheckStatus {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl CheckStatus {
    pub const ALL: [CheckStatus; 4] = [
        CheckStatus::Ok,
        CheckStatus::Warning,
        CheckStatus::Critical,
        CheckStatus::Unknown,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            CheckStatus::Ok => "✔",
            CheckStatus::Warning => "▲",
            CheckStatus::Critical => "✖",
            CheckStatus::Unknown => "?",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warning => "warning",
            CheckStatus::Critical => "critical",
            CheckStatus::Unknown => "unknown",
        }
    }

    /// How bad, for sorting the worst first: critical > warning > unknown > ok.
    pub fn severity(self) -> u8 {
        match self {
            CheckStatus::Critical => 3,
            CheckStatus::Warning => 2,
            CheckStatus::Unknown => 1,
            CheckStatus::Ok => 0,
        }
    }
}

impl fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run of one check against one target (an env, or a host).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub check: String,
    /// The env or host it ran against ("local" when neither).
    pub target: String,
    pub status: CheckStatus,
    /// One line: "200 in 43ms", "503 Service Unavailable", "timed out after 5s".
    pub summary: String,
    /// Everything the check saw (response head, plugin output), for the detail view.
    pub detail: String,
    pub latency: Option<Duration>,
    pub at: DateTime<Utc>,
}
