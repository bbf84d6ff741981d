//! What a job is for and where its output goes: an exec's buffers and its caller's reply,
//! a stream's lines and its reader, or nothing at all for a keepalive probe.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::error::SshError;
use super::output::{ExecOutput, OutputStream, StreamItem};

/// A line longer than this is passed on in pieces.
const MAX_LINE: usize = 64 * 1024;

pub(crate) type Reply = oneshot::Sender<Result<ExecOutput, SshError>>;

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

/// What a caller asked for.
pub(crate) enum Work {
    Exec {
        command: String,
        timeout: Duration,
        deadline: Instant,
        cap: usize,
        /// Set for `read_file`: over-cap output is `FileTooLarge` for this path.
        file: Option<String>,
        reply: Option<Reply>,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
    Stream {
        command: String,
        tx: StreamTx,
        resumed: bool,
        /// Unfinished last lines of stdout and stderr.
        partial: [Vec<u8>; 2],
        /// Items the reader has no room for yet.
        pending: VecDeque<StreamItem>,
    },
    /// Opens and closes a channel: a round trip that proves the server answers (keepalive)
    /// and makes libssh2 read whatever the server sent while we were idle.
    Probe,
}

impl Work {
    pub fn exec(
        command: String,
        timeout: Duration,
        cap: usize,
        file: Option<String>,
        reply: Reply,
    ) -> Work {
        Work::Exec {
            command,
            timeout,
            deadline: Instant::now() + timeout,
            cap,
            file,
            reply: Some(reply),
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }

    pub fn stream(command: String, tx: StreamTx, resumed: bool) -> Work {
        Work::Stream {
            command,
            tx,
            resumed,
            partial: [Vec::new(), Vec::new()],
            pending: VecDeque::new(),
        }
    }

    pub fn command(&self) -> &str {
        match self {
            Work::Exec { command, .. } | Work::Stream { command, .. } => command,
            Work::Probe => "(keepalive)",
        }
    }

    pub fn is_probe(&self) -> bool {
        matches!(self, Work::Probe)
    }

    /// Nobody waits for the result any more (the future or the receiver was dropped).
    pub fn abandoned(&self) -> bool {
        match self {
            Work::Exec { reply, .. } => reply.as_ref().is_none_or(|r| r.is_closed()),
            Work::Stream { tx, .. } => tx.is_closed(),
            Work::Probe => false,
        }
    }

    /// A stream whose reader is behind: leave data in the channel until it catches up.
    pub fn backpressured(&self) -> bool {
        match self {
            Work::Stream { tx, pending, .. } => !pending.is_empty() || tx.capacity() == 0,
            _ => false,
        }
    }

    /// Asks a stream's reader to wake the host thread when it makes room.
    pub fn wake_me(&self) {
        if let Work::Stream { tx, .. } = self {
            tx.wake_me();
        }
    }

    /// Items still to hand to a stream's reader.
    pub fn has_pending(&self) -> bool {
        matches!(self, Work::Stream { pending, .. } if !pending.is_empty())
    }

    /// When an exec must have finished.
    pub fn deadline(&self) -> Option<Instant> {
        match self {
            Work::Exec { deadline, .. } => Some(*deadline),
            _ => None,
        }
    }

    /// Tells an exec's caller it timed out (the command is then killed).
    pub fn time_out(&mut self, host: &str) {
        if let Work::Exec {
            command, timeout, ..
        } = self
        {
            let error = SshError::Timeout {
                host: host.to_string(),
                command: command.clone(),
                after: *timeout,
            };
            self.answer(Err(error));
        }
    }

    /// Answers an exec now; later output is dropped.
    pub fn answer(&mut self, result: Result<ExecOutput, SshError>) {
        if let Work::Exec { reply, .. } = self {
            if let Some(reply) = reply.take() {
                let _ = reply.send(result);
            }
        }
    }

    /// The command cannot run: the exec's caller gets the error, a stream ends with it.
    pub fn refuse(&mut self, error: SshError) {
        if let Work::Stream { tx, .. } = self {
            let _ = tx.try_send(StreamItem::Failed(error.clone()));
        }
        self.answer(Err(error));
    }

    /// The command started.
    pub fn started(&mut self) {
        if let Work::Stream {
            pending, resumed, ..
        } = self
        {
            pending.push_back(StreamItem::Started { resumed: *resumed });
        }
        self.flush();
    }

    /// Takes output; false when an exec went over its cap (its caller is answered, the
    /// command should be stopped).
    pub fn take(&mut self, host: &str, source: OutputStream, data: &[u8]) -> bool {
        match self {
            Work::Exec {
                cap,
                file,
                command,
                stdout,
                stderr,
                ..
            } => {
                let out = match source {
                    OutputStream::Stdout => stdout,
                    OutputStream::Stderr => stderr,
                };
                out.extend_from_slice(data);
                if out.len() <= *cap {
                    return true;
                }
                let error = match file {
                    Some(path) => SshError::FileTooLarge {
                        host: host.to_string(),
                        path: path.clone(),
                        cap: *cap,
                    },
                    None => SshError::OutputTooLarge {
                        host: host.to_string(),
                        command: command.clone(),
                        cap: *cap,
                    },
                };
                self.answer(Err(error));
                false
            }
            Work::Stream {
                partial, pending, ..
            } => {
                let partial = &mut partial[source as usize];
                partial.extend_from_slice(data);
                while let Some(end) = partial.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = partial.drain(..=end).collect();
                    pending.push_back(line_item(source, &line));
                }
                while partial.len() >= MAX_LINE {
                    let piece: Vec<u8> = partial.drain(..MAX_LINE).collect();
                    pending.push_back(line_item(source, &piece));
                }
                self.flush();
                true
            }
            Work::Probe => true,
        }
    }

    /// Hands queued stream items to the reader as far as it has room.
    pub fn flush(&mut self) -> bool {
        let Work::Stream { tx, pending, .. } = self else {
            return false;
        };
        let mut moved = false;
        while let Some(item) = pending.pop_front() {
            match tx.try_send(item) {
                Ok(()) => moved = true,
                Err(mpsc::error::TrySendError::Full(item)) => {
                    pending.push_front(item);
                    break;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    pending.clear();
                    break;
                }
            }
        }
        moved
    }

    /// The channel closed: answer with the exit status, or end the stream (`stopped`: we
    /// killed it, so there is no exit to report).
    pub fn finish(&mut self, status: Option<i32>, signal: Option<String>, stopped: bool) {
        match self {
            Work::Exec { stdout, stderr, .. } => {
                let output = ExecOutput {
                    stdout: std::mem::take(stdout),
                    stderr: std::mem::take(stderr),
                    exit_status: status,
                    exit_signal: signal,
                };
                self.answer(Ok(output));
            }
            Work::Stream {
                partial, pending, ..
            } => {
                for source in [OutputStream::Stdout, OutputStream::Stderr] {
                    let rest = std::mem::take(&mut partial[source as usize]);
                    if !rest.is_empty() {
                        pending.push_back(line_item(source, &rest));
                    }
                }
                if !stopped {
                    pending.push_back(StreamItem::Exited { status, signal });
                }
                self.flush();
            }
            Work::Probe => {}
        }
    }

    /// A stream whose connection is gone, to run again later (None: not a live stream).
    pub fn into_stream(self) -> Option<(String, StreamTx)> {
        match self {
            Work::Stream { command, tx, .. } if !tx.is_closed() => Some((command, tx)),
            _ => None,
        }
    }
}

fn line_item(source: OutputStream, line: &[u8]) -> StreamItem {
    let mut text = String::from_utf8_lossy(line).into_owned();
    while text.ends_with(['\n', '\r']) {
        text.pop();
    }
    StreamItem::Line { source, text }
}
