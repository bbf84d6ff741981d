//! What the pool hands back: a command's output, a stream's items and both ends of its
//! channel, and a connected host's facts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::error::SshError;
use super::wait::Waker;

/// What a finished command left behind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// None when the command was killed by a signal (see `exit_signal`).
    pub exit_status: Option<i32>,
    /// `TERM`, `KILL`…: the signal that ended the command, if one did.
    pub exit_signal: Option<String>,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.exit_status == Some(0)
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    Stdout,
    Stderr,
}

/// What a stream reports, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// The command started; `resumed`: again, after a reconnect (it may repeat lines).
    Started { resumed: bool },
    /// One line, without its newline.
    Line { source: OutputStream, text: String },
    /// Output exactly as it arrived, in a stream from
    /// [`SshPool::stream_raw`](super::SshPool::stream_raw) (which sends no `Line`s).
    Bytes { source: OutputStream, data: Vec<u8> },
    /// The connection dropped; the command runs again once the host is back (a raw
    /// stream ends here instead).
    Interrupted { reason: String },
    /// The command ended by itself; the stream is over.
    Exited {
        status: Option<i32>,
        signal: Option<String>,
    },
    /// The command cannot run (host key, authentication, refused): the stream is over.
    Failed(SshError),
}

/// The reading end of [`SshPool::stream`](super::SshPool::stream). When it falls behind, the host thread stops
/// reading the channel (SSH flow control holds the rest on the server); taking an item
/// lets the thread go on.
pub struct StreamReceiver {
    pub(crate) rx: mpsc::Receiver<StreamItem>,
    pub(crate) reader_waits: Arc<AtomicBool>,
    pub(crate) waker: Arc<Waker>,
}

impl StreamReceiver {
    /// The next item; None once the stream is over.
    pub async fn recv(&mut self) -> Option<StreamItem> {
        let item = self.rx.recv().await;
        self.made_room();
        item
    }

    /// The next item if one is ready.
    pub fn try_recv(&mut self) -> Result<StreamItem, mpsc::error::TryRecvError> {
        let item = self.rx.try_recv();
        self.made_room();
        item
    }

    /// Whether an item is waiting to be taken now.
    pub fn has_ready(&self) -> bool {
        !self.rx.is_empty()
    }

    fn made_room(&self) {
        if self.reader_waits.swap(false, Ordering::SeqCst) {
            self.waker.wake();
        }
    }
}

impl Drop for StreamReceiver {
    fn drop(&mut self) {
        // Closed first, so the woken host thread sees the stream abandoned and stops it.
        self.rx.close();
        self.waker.wake();
    }
}

/// The host thread's end of a stream: items go out here; when the reader has no room, the
/// thread raises `reader_waits` and the reader wakes it after taking an item.
#[derive(Clone)]
pub(crate) struct StreamTx {
    tx: mpsc::Sender<StreamItem>,
    reader_waits: Arc<AtomicBool>,
}

impl StreamTx {
    pub fn new(tx: mpsc::Sender<StreamItem>, reader_waits: Arc<AtomicBool>) -> StreamTx {
        StreamTx { tx, reader_waits }
    }

    pub fn try_send(&self, item: StreamItem) -> Result<(), mpsc::error::TrySendError<StreamItem>> {
        self.tx.try_send(item)
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    pub fn capacity(&self) -> usize {
        self.tx.capacity()
    }

    /// Asks the reader to wake the host thread when it takes the next item.
    pub fn wake_me(&self) {
        self.reader_waits.store(true, Ordering::SeqCst);
    }
}

/// An exec's pending answer: dropped unanswered (the caller gave up), it closes the answer
/// and wakes the host thread, which then stops the remote command.
pub(crate) struct AnswerGuard {
    pub rx: Option<oneshot::Receiver<Result<ExecOutput, SshError>>>,
    pub waker: Arc<Waker>,
}

impl Drop for AnswerGuard {
    fn drop(&mut self) {
        if let Some(rx) = self.rx.take() {
            drop(rx);
            self.waker.wake();
        }
    }
}

impl std::fmt::Debug for StreamReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamReceiver")
    }
}

/// A connected host, for `sheriff hosts`.
#[derive(Debug, Clone, PartialEq)]
pub struct HostInfo {
    pub host: String,
    /// `user@hostname:port` (and the jump host).
    pub address: String,
    /// `ED25519`, `RSA`, `ECDSA`.
    pub key_type: String,
    /// `SHA256:…`
    pub fingerprint: String,
    /// One SSH round trip after authentication.
    pub latency: Duration,
}
