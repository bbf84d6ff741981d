//! What workers tell the app. Workers own their connections and send `Event`s on one
//! channel; they never touch UI state (DESIGN.md, "Flow of data").

use crate::checks::CheckResult;
use crate::drift::DriftReport;
use crate::handoff::Entry;
use crate::logs::LogLine;
use crate::transport::ssh::{PromptReply, PromptRequest};
use crate::transport::HostState;

#[derive(Debug, Clone)]
pub enum Event {
    /// One run of one check on one target finished.
    Check(CheckResult),
    /// New lines from a log source, oldest first.
    LogLines { source: String, lines: Vec<LogLine> },
    /// A drift target was compared.
    Drift(DriftReport),
    /// Handoff entries that appeared in the store (ours after a save, or another
    /// process's, seen by the file watch), oldest first.
    HandoffEntries(Vec<Entry>),
    /// An append of ours reached the disk (fsynced): the UI may now say "saved".
    HandoffSaved { id: String, redacted: bool },
    /// An append failed; the entry's text is kept so the user can retry.
    HandoffFailed { id: String, error: String },
    /// Lines of the handoff log that could not be read, set aside.
    HandoffCorrupt { line: usize, error: String },
    /// A host's connection changed state.
    Host { host: String, state: HostState },
    /// A host needs a key passphrase (or a password, where the host opted in): ask the
    /// sheriff, once, and answer on `reply`. The answer is never stored by the UI.
    Prompt {
        request: PromptRequest,
        reply: PromptReply,
    },
    /// Something a worker wants the sheriff to read in the status line.
    Notice(String),
}
