//! Health checks: what a check found, and the workers that run them.

pub mod http;
pub mod record;
pub mod status;
pub mod targets;

pub use status::CheckStatus;
pub use targets::CheckTarget;

use std::time::Duration;

use chrono::{DateTime, Utc};

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
