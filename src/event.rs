//! What workers tell the app. Workers own their connections and send `Event`s on one
//! channel; they never touch UI state (DESIGN.md, "Flow of data").

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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
    Drift(Box<DriftReport>),
    /// A drift target's comparison started (`since`) or ended (`None`), so a slow one
    /// shows it is under way.
    DriftBusy {
        name: String,
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
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
/// A flood therefore holds at most `DATA_CAPACITY` batches in memory, and of log lines at
/// most [`LINES_IN_FLIGHT`] bytes: batches are counted in bytes too, as a batch can be
/// one line or thousands.
#[derive(Debug, Clone)]
pub struct Events {
    data: tokio::sync::mpsc::Sender<Event>,
    control: tokio::sync::mpsc::UnboundedSender<Event>,
    in_flight: Arc<InFlight>,
}

/// The receiving side: control events first, then data.
#[derive(Debug)]
pub struct EventsRx {
    data: tokio::sync::mpsc::Receiver<Event>,
    control: tokio::sync::mpsc::UnboundedReceiver<Event>,
    in_flight: Arc<InFlight>,
}

/// The most bytes of log lines (their texts, names and records) sent and not yet taken
/// by the UI, all sources together. Beside the Logs pane's buffer this is what a flood
/// can hold: 2 MiB is about a tenth of a second of 200,000 lines a second, ten frames.
pub const LINES_IN_FLIGHT: usize = 2 * 1024 * 1024;

/// The log lines between workers and the UI, in bytes.
#[derive(Debug, Default)]
struct InFlight {
    bytes: AtomicUsize,
    /// Told each time the UI takes lines.
    taken: tokio::sync::Notify,
}

/// What a batch of log lines takes while it waits; `None` for other events.
fn line_bytes(event: &Event) -> Option<usize> {
    let Event::LogLines { lines, .. } = event else {
        return None;
    };
    let each = std::mem::size_of::<LogLine>();
    Some(
        lines
            .iter()
            .map(|l| l.text.capacity() + l.source.capacity() + each)
            .sum(),
    )
}

impl InFlight {
    /// Counts `bytes` more in flight if they fit (or nothing is in flight: a batch bigger
    /// than the limit still goes, alone).
    fn try_add(&self, bytes: usize) -> bool {
        self.bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now == 0 || now + bytes <= LINES_IN_FLIGHT).then_some(now + bytes)
            })
            .is_ok()
    }

    /// Waits until `bytes` more fit, and counts them.
    async fn add(&self, bytes: usize) {
        loop {
            let taken = self.taken.notified();
            tokio::pin!(taken);
            // Registered before the check, so a take between the two is not missed.
            taken.as_mut().enable();
            if self.try_add(bytes) {
                return;
            }
            taken.await;
        }
    }

    /// The UI took `event` (or it was not sent after all): its lines are no longer in
    /// flight.
    fn take(&self, event: &Event) {
        if let Some(bytes) = line_bytes(event) {
            self.remove(bytes);
        }
    }

    fn remove(&self, bytes: usize) {
        self.bytes.fetch_sub(bytes, Ordering::AcqRel);
        self.taken.notify_waiters();
    }
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
    let in_flight = Arc::new(InFlight::default());
    (
        Events {
            data,
            control,
            in_flight: in_flight.clone(),
        },
        EventsRx {
            data: data_rx,
            control: control_rx,
            in_flight,
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
        let bytes = line_bytes(&event);
        if let Some(bytes) = bytes {
            tokio::select! {
                () = self.in_flight.add(bytes) => {}
                () = self.data.closed() => return Err(Closed),
            }
        }
        self.data.send(event).await.map_err(|_| {
            self.give_back(bytes);
            Closed
        })
    }

    /// [`Events::send_data`] from an OS thread (never from async code), for events other
    /// than log lines.
    pub fn send_data_blocking(&self, event: Event) -> Result<(), Closed> {
        debug_assert!(
            line_bytes(&event).is_none(),
            "log lines are sent from tasks"
        );
        self.data.blocking_send(event).map_err(|_| Closed)
    }

    /// Sends a data event if there is room now; for streams that cannot wait.
    pub fn try_send_data(&self, event: Event) -> Result<(), TrySendError> {
        use tokio::sync::mpsc::error::TrySendError as E;
        let bytes = line_bytes(&event);
        if bytes.is_some_and(|b| !self.in_flight.try_add(b)) {
            return Err(TrySendError::Full);
        }
        self.data.try_send(event).map_err(|e| {
            self.give_back(bytes);
            match e {
                E::Full(_) => TrySendError::Full,
                E::Closed(_) => TrySendError::Closed,
            }
        })
    }

    /// Lines counted in flight that were not sent after all.
    fn give_back(&self, bytes: Option<usize>) {
        if let Some(bytes) = bytes {
            self.in_flight.remove(bytes);
        }
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
            Some(event) = self.data.recv() => {
                self.in_flight.take(&event);
                Some(event)
            }
            else => None,
        }
    }

    /// An event already queued, control first.
    pub fn try_recv(&mut self) -> Result<Event, tokio::sync::mpsc::error::TryRecvError> {
        match self.control.try_recv() {
            Ok(event) => Ok(event),
            Err(_) => {
                let event = self.data.try_recv()?;
                self.in_flight.take(&event);
                Ok(event)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(lines: usize, text_len: usize) -> Event {
        let line = LogLine::mark("app", &"x".repeat(text_len));
        Event::LogLines {
            source: "app".into(),
            lines: vec![line; lines],
        }
    }

    #[tokio::test]
    async fn a_flood_of_lines_waits_once_the_bytes_in_flight_are_used_up() {
        let (tx, mut rx) = channel();
        // About a tenth of the bytes each: ten batches fit, the eleventh waits.
        let each = LINES_IN_FLIGHT / 10 / (1024 + std::mem::size_of::<LogLine>());
        let mut sent = 0;
        while tokio::time::timeout(
            std::time::Duration::from_millis(200),
            tx.send_data(batch(each, 1020)),
        )
        .await
        .is_ok()
        {
            sent += 1;
            assert!(sent <= 10, "more than the bytes in flight were let through");
        }
        assert!(sent >= 9, "only {sent} batches went");
        assert_eq!(
            tx.try_send_data(batch(each, 1020)),
            Err(TrySendError::Full),
            "a command's lines are dropped, not queued"
        );
        // The UI takes one: there is room again.
        assert!(matches!(rx.try_recv(), Ok(Event::LogLines { .. })));
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tx.send_data(batch(each, 1020)),
        )
        .await
        .expect("room once a batch was taken")
        .expect("the UI is there");
        // Other data never waits on log lines' bytes.
        assert!(tx.try_send_data(Event::HandoffEntries(Vec::new())).is_ok());
    }

    #[tokio::test]
    async fn a_batch_bigger_than_the_limit_still_goes_alone() {
        let (tx, mut rx) = channel();
        let huge = batch(1, LINES_IN_FLIGHT * 2);
        tx.send_data(huge).await.expect("sent");
        assert!(tx.try_send_data(batch(1, 10)).is_err(), "nothing beside it");
        assert!(matches!(rx.recv().await, Some(Event::LogLines { .. })));
        assert!(tx.try_send_data(batch(1, 10)).is_ok());
    }
}
