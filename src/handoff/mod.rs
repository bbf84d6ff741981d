//! The handoff log: an append-only record of what the sheriff did and why.
//!
//! - [`Log`]: where the entries live and the one way to append ([`Log::append`]: redact,
//!   validate, `flock`, write, `fsync`, commit when shared) and to read ([`Log::load`]).
//! - [`watch`]: entries appended by any process, live, as `Event`s for the TUI.
//! - [`Report`]: the shift report, Markdown or JSON.
//! - [`Share`]: the git-shared layout and its background sync.
//!
//! Everything here blocks on I/O; the TUI runs it in `spawn_blocking` or its own thread.
//! The format and guarantees are described in `docs/handoff.md`.

mod entry;
mod log;
mod post;
mod report;
mod share;
pub(crate) mod store;
pub mod timeline;
mod watch;

pub use entry::{Entry, EntryError, EntryKind, Refs};
pub use log::{Layout, Loaded, Log, Saved};
pub use post::{post_report, url_without_secrets};
pub use report::{
    parse_since, sort_worst_first, OpenCheck, OpenProblems, Period, Report, Span, PER_GROUP,
};
pub use share::{spawn_sync, Share, ShareError, SyncHandle, SyncReport};
pub use store::{Corrupt, StoreError};
pub use watch::{watch, WatchHandle, POLL};

/// Who writes: `[handoff] author`, else `$USER`, else `$LOGNAME`, else `unknown`.
pub fn author(spec: &crate::config::HandoffSpec) -> String {
    spec.author
        .clone()
        .filter(|a| !a.trim().is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|a| !a.is_empty()))
        .or_else(|| std::env::var("LOGNAME").ok().filter(|a| !a.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}
