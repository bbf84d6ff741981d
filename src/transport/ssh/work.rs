//! What a job is for and where its output goes: an exec's buffers and its caller's reply,
//! a stream's lines and its reader, a tunnel exchange's request and answer, or nothing at
//! all for a keepalive probe.

use std::collections::VecDeque;
use std::ffi::CString;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::error::SshError;
use super::output::{ExecOutput, OutputStream, StreamItem, StreamTx};

/// A line longer than this is passed on in pieces.
const MAX_LINE: usize = 64 * 1024;

pub(crate) type Reply = oneshot::Sender<Result<ExecOutput, SshError>>;

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
        /// Raw chunks instead of lines, and no second run after a reconnect
        /// (`SshPool::stream_raw`).
        raw: bool,
        /// Unfinished last lines of stdout and stderr.
        partial: [Vec<u8>; 2],
        /// Items the reader has no room for yet.
        pending: VecDeque<StreamItem>,
    },
    /// A request written into a direct-tcpip channel and the bytes that come back. The
    /// answer travels as an `ExecOutput` whose stdout holds those bytes, so it shares the
    /// exec's reply, cancellation and timeout plumbing.
    Exchange {
        /// `tunnel to HOST:PORT`, for messages.
        label: String,
        to_host: CString,
        to_port: u16,
        request: Vec<u8>,
        /// How much of `request` the channel has taken.
        written: usize,
        timeout: Duration,
        deadline: Instant,
        /// More than this is cut off, not an error (see `SshPool::exchange`).
        cap: usize,
        reply: Option<Reply>,
        received: Vec<u8>,
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

    /// `to_host` is checked by the caller: a C string, as libssh2 wants it.
    pub fn exchange(
        to_host: CString,
        to_port: u16,
        request: Vec<u8>,
        timeout: Duration,
        cap: usize,
        reply: Reply,
    ) -> Work {
        Work::Exchange {
            label: format!("tunnel to {}", target(&to_host, to_port)),
            to_host,
            to_port,
            request,
            written: 0,
            timeout,
            deadline: Instant::now() + timeout,
            cap,
            reply: Some(reply),
            received: Vec::new(),
        }
    }

    pub fn stream(kept: KeptStream) -> Work {
        Work::Stream {
            command: kept.command,
            tx: kept.tx,
            resumed: kept.ran,
            raw: kept.raw,
            partial: [Vec::new(), Vec::new()],
            pending: VecDeque::new(),
        }
    }

    pub fn command(&self) -> &str {
        match self {
            Work::Exec { command, .. } | Work::Stream { command, .. } => command,
            Work::Exchange { label, .. } => label,
            Work::Probe => "(keepalive)",
        }
    }

    pub fn is_probe(&self) -> bool {
        matches!(self, Work::Probe)
    }

    /// Where a tunnel exchange connects to (None: a session channel's work).
    pub fn tunnel_target(&self) -> Option<(&std::ffi::CStr, u16)> {
        match self {
            Work::Exchange {
                to_host, to_port, ..
            } => Some((to_host.as_c_str(), *to_port)),
            _ => None,
        }
    }

    /// The part of an exchange's request the channel has not taken yet.
    pub fn unwritten(&self) -> &[u8] {
        match self {
            Work::Exchange {
                request, written, ..
            } => request.get(*written..).unwrap_or_default(),
            _ => &[],
        }
    }

    /// The channel took `n` more bytes of the request.
    pub fn wrote(&mut self, n: usize) {
        if let Work::Exchange {
            request, written, ..
        } = self
        {
            *written = (*written + n).min(request.len());
        }
    }

    /// Nobody waits for the result any more (the future or the receiver was dropped).
    pub fn abandoned(&self) -> bool {
        match self {
            Work::Exec { reply, .. } | Work::Exchange { reply, .. } => {
                reply.as_ref().is_none_or(|r| r.is_closed())
            }
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

    /// When an exec or an exchange must have finished.
    pub fn deadline(&self) -> Option<Instant> {
        match self {
            Work::Exec { deadline, .. } | Work::Exchange { deadline, .. } => Some(*deadline),
            _ => None,
        }
    }

    /// Tells an exec's caller it timed out (the command is then killed), or an exchange's
    /// (its channel is then closed).
    pub fn time_out(&mut self, host: &str) {
        let error = match self {
            Work::Exec {
                command, timeout, ..
            } => SshError::Timeout {
                host: host.to_string(),
                command: command.clone(),
                after: *timeout,
                killed: true,
            },
            Work::Exchange { label, timeout, .. } => SshError::Timeout {
                host: host.to_string(),
                command: label.clone(),
                after: *timeout,
                killed: false,
            },
            _ => return,
        };
        self.answer(Err(error));
    }

    /// Answers an exec or an exchange now; later output is dropped.
    pub fn answer(&mut self, result: Result<ExecOutput, SshError>) {
        if let Work::Exec { reply, .. } | Work::Exchange { reply, .. } = self {
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

    /// Takes output; false when an exec went over its cap or an exchange reached it (its
    /// caller is answered, the command should be stopped, the channel closed).
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
            Work::Exchange { cap, received, .. } => {
                // A direct-tcpip channel carries no stderr; anything there is not the answer.
                if source == OutputStream::Stderr {
                    return true;
                }
                let room = cap.saturating_sub(received.len());
                received.extend_from_slice(&data[..data.len().min(room)]);
                if received.len() < *cap {
                    return true;
                }
                self.finish(None, None, false);
                false
            }
            Work::Stream {
                raw: true, pending, ..
            } => {
                // Byte for byte, so the reader can count exactly what it got.
                pending.push_back(StreamItem::Bytes {
                    source,
                    data: data.to_vec(),
                });
                self.flush();
                true
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
            Work::Exchange { received, .. } => {
                let output = ExecOutput {
                    stdout: std::mem::take(received),
                    ..ExecOutput::default()
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
    /// `ran`: whether its command ran before.
    pub fn into_stream(self, ran: bool) -> Option<KeptStream> {
        match self {
            Work::Stream {
                command, tx, raw, ..
            } if !tx.is_closed() => Some(KeptStream {
                command,
                tx,
                ran,
                raw,
            }),
            _ => None,
        }
    }
}

/// A stream waiting for the next connection to run its command.
pub(crate) struct KeptStream {
    pub command: String,
    pub tx: StreamTx,
    /// It ran before: the next run is a rerun (`Started { resumed: true }`).
    pub ran: bool,
    /// See `Work::Stream`; a raw stream that ran is never kept.
    pub raw: bool,
}

/// `host:port`, `[v6]:port`.
pub(crate) fn target(host: &std::ffi::CStr, port: u16) -> String {
    let host = host.to_string_lossy();
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn line_item(source: OutputStream, line: &[u8]) -> StreamItem {
    let mut text = String::from_utf8_lossy(line).into_owned();
    while text.ends_with(['\n', '\r']) {
        text.pop();
    }
    StreamItem::Line { source, text }
}
