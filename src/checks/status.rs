//! A check's state, on its own so every part of the engine can name it.

use std::fmt;

/// A check's state. Shown with a symbol as well as a colour, so it reads without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum CheckStatus {
    Ok,
    Warning,
    Critical,
    /// Also what a row is before its first result.
    #[default]
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
