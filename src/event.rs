//! What workers tell the app. Workers own their connections and send `Event`s on one
//! channel; they never touch UI state (DESIGN.md, "Flow of data").

use crate::checks::CheckRun;
use crate::drift::DriftReport;
use crate::handoff::Entry;
use crate::logs::LogLine;
use crate::transport::ssh::{PromptReply, PromptRequest};
use crate::transport::HostState;

#[derive(Debug, Clone)]
pub enum Event {
    /// One run of one check on one target finished.
    Check(CheckRun),
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
    /// A saved entry of ours was committed to the shared log (`error: None`), or could
    /// not be yet (it stays saved; the next sync commits it). Local logs send none.
    HandoffCommitted { id: String, error: Option<String> },
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

/// How many data events (log lines, check results, drift reports, handoff batches) may wait
/// for the UI. A source that can wait pauses when this is full; see [`Events`].
pub const DATA_CAPACITY: usize = 256;

/// The sending side of the one channel from workers to the UI.
///
/// Two lanes, because two kinds of event need different guarantees:
/// - **data** (bounded, [`DATA_CAPACITY`]): bulk streams. A source that can wait (a file,
///   a remote tail) awaits [`Events::send_data`] and so pauses reading, keeping its offset;
///   nothing is lost, it catches up when the UI does. A stream that cannot wait (a
///   command's stdout) uses [`Events::try_send_data`] and counts what it had to drop.
/// - **control** (unbounded, but rare by nature): host states, prompts, saves, notices.
///   These must never be dropped nor wait behind a flood of log lines, and are sent from
///   places that cannot await (OS threads, synchronous code).
///
/// A flood therefore holds at most `DATA_CAPACITY` batches in memory.
#[derive(Debug, Clone)]
pub struct Events {
    data: tokio::sync::mpsc::Sender<Event>,
    control: tokio::sync::mpsc::UnboundedSender<Event>,
}

/// The receiving side: control events first, then data.
#[derive(Debug)]
pub struct EventsRx {
    data: tokio::sync::mpsc::Receiver<Event>,
    control: tokio::sync::mpsc::UnboundedReceiver<Event>,
}

/// The UI is gone: the worker should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the receiver of events is gone")]
pub struct Closed;

/// Why [`Events::try_send_data`] did not send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrySendError {
    /// The UI is behind: the event was dropped (count it).
    Full,
    Closed,
}

/// A new channel from workers to the UI.
pub fn channel() -> (Events, EventsRx) {
    channel_with_capacity(DATA_CAPACITY)
}

/// [`channel`] with another data capacity (tests of backpressure use a small one).
pub fn channel_with_capacity(capacity: usize) -> (Events, EventsRx) {
    let (data, data_rx) = tokio::sync::mpsc::channel(capacity.max(1));
    let (control, control_rx) = tokio::sync::mpsc::unbounded_channel();
    (
        Events { data, control },
        EventsRx {
            data: data_rx,
            control: control_rx,
        },
    )
}

impl Events {
    /// Sends a control event (never waits, never dropped while the UI runs).
    pub fn send(&self, event: Event) -> Result<(), Closed> {
        self.control.send(event).map_err(|_| Closed)
    }

    /// Sends a data event, waiting while the UI is behind (backpressure).
    pub async fn send_data(&self, event: Event) -> Result<(), Closed> {
        self.data.send(event).await.map_err(|_| Closed)
    }

    /// [`Events::send_data`] from an OS thread (never from async code).
    pub fn send_data_blocking(&self, event: Event) -> Result<(), Closed> {
        self.data.blocking_send(event).map_err(|_| Closed)
    }

    /// Sends a data event if there is room now; for streams that cannot wait.
    pub fn try_send_data(&self, event: Event) -> Result<(), TrySendError> {
        use tokio::sync::mpsc::error::TrySendError as E;
        self.data.try_send(event).map_err(|e| match e {
            E::Full(_) => TrySendError::Full,
            E::Closed(_) => TrySendError::Closed,
        })
    }

    /// Whether the UI is gone.
    pub fn is_closed(&self) -> bool {
        self.data.is_closed() || self.control.is_closed()
    }
}

impl EventsRx {
    /// The next event, control first; `None` once every sender is gone.
    pub async fn recv(&mut self) -> Option<Event> {
        tokio::select! {
            biased;
            Some(event) = self.control.recv() => Some(event),
            Some(event) = self.data.recv() => Some(event),
            else => None,
        }
    }

    /// An event already queued, control first.
    pub fn try_recv(&mut self) -> Result<Event, tokio::sync::mpsc::error::TryRecvError> {
        match self.control.try_recv() {
            Ok(event) => Ok(event),
            Err(_) => self.data.try_recv(),
        }
    }
}
