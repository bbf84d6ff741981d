//! One channel's life on a non-blocking session: open, exec, read stdout and stderr, and
//! close; or, on timeout or cancellation, SIGTERM, a grace period, SIGKILL, close. Each
//! `step` does whatever can be done without blocking and says whether anything moved.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use ssh2::Session;
use tokio::sync::{mpsc, oneshot};

use super::channel::{Io, RawChannel as Channel};
use super::error::SshError;
use super::pool::{ExecOutput, OutputStream, StreamItem};

/// A line longer than this is passed on in pieces.
const MAX_LINE: usize = 64 * 1024;
/// Bytes one job may read per pass, so one chatty channel cannot starve the others.
const READ_BUDGET: usize = 256 * 1024;

/// What a caller asked for.
pub(crate) enum Work {
    Exec {
        command: String,
        timeout: Duration,
        deadline: Instant,
        cap: usize,
        /// Set for `read_file`: over-cap output is `FileTooLarge` for this path.
        file: Option<String>,
        reply: Option<oneshot::Sender<Result<ExecOutput, SshError>>>,
    },
    Stream {
        command: String,
        tx: mpsc::Sender<StreamItem>,
        resumed: bool,
    },
    /// Opens and closes a channel: a round trip that proves the server answers (keepalive)
    /// and makes libssh2 read whatever the server sent while we were idle.
    Probe,
}

enum Phase {
    Opening,
    Starting(Channel),
    SendingEof(Channel),
    Running(Channel),
    Signalling(Channel, &'static str),
    Killing(Channel),
    Closing(Channel),
    Done,
}

/// Whether a step moved anything, or found the session dead.
pub(crate) enum Step {
    Idle,
    Progress,
    Fatal(String),
}

pub(crate) struct Job {
    pub work: Work,
    phase: Phase,
    host: String,
    started: Instant,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    pending: VecDeque<StreamItem>,
    kill_started: Option<Instant>,
    killed: bool,
    cancel_requested: bool,
    kill_grace: Duration,
    /// Set when a probe completes: its round trip.
    pub round_trip: Option<Duration>,
}

impl Job {
    pub fn new(work: Work, host: &str, kill_grace: Duration) -> Job {
        Job {
            work,
            phase: Phase::Opening,
            host: host.to_string(),
            started: Instant::now(),
            stdout: Vec::new(),
            stderr: Vec::new(),
            pending: VecDeque::new(),
            kill_started: None,
            killed: false,
            cancel_requested: false,
            kill_grace,
            round_trip: None,
        }
    }

    /// Finished, and everything it produced was handed over.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done) && self.pending.is_empty()
    }

    pub fn is_opening(&self) -> bool {
        matches!(self.phase, Phase::Opening)
    }

    pub fn is_probe(&self) -> bool {
        matches!(self.work, Work::Probe)
    }

    /// Waiting for the server to answer a request: libssh2 may already hold the answer.
    pub fn awaiting_reply(&self) -> bool {
        !matches!(self.phase, Phase::Running(_) | Phase::Killing(_) | Phase::Done)
    }

    /// Data or EOF is queued in libssh2 for this channel, so stepping again will move.
    pub fn needs_attention(&self) -> bool {
        match &self.phase {
            Phase::Running(ch) | Phase::Killing(ch) => {
                !self.backpressured() && (ch.available() > 0 || ch.eof())
            }
            _ => false,
        }
    }

    /// A stream whose reader is behind: leave data in the channel until it catches up.
    pub fn backpressured(&self) -> bool {
        match &self.work {
            Work::Stream { tx, .. } => !self.pending.is_empty() || tx.capacity() == 0,
            _ => false,
        }
    }

    /// The next moment a timer of this job fires.
    pub fn deadline(&self) -> Option<Instant> {
        match (&self.phase, &self.work) {
            (Phase::Killing(_), _) => self.kill_started.map(|t| t + self.kill_grace),
            (Phase::Running(_), Work::Exec { deadline, .. }) => Some(*deadline),
            _ => None,
        }
    }

    /// When a queued exec gives up waiting for a channel.
    pub fn queued_deadline(&self) -> Option<Instant> {
        match (&self.phase, &self.work) {
            (Phase::Opening, Work::Exec { deadline, .. }) => Some(*deadline),
            _ => None,
        }
    }

    /// Stops the job as soon as possible (the remote command is signalled if it runs).
    pub fn cancel(&mut self) {
        self.cancel_requested = true;
    }

    fn cancelled(&self) -> bool {
        if self.cancel_requested {
            return true;
        }
        match &self.work {
            Work::Exec { reply, .. } => reply.as_ref().is_none_or(|r| r.is_closed()),
            Work::Stream { tx, .. } => tx.is_closed(),
            Work::Probe => false,
        }
    }

    /// Answers an exec now (on timeout, over-cap output or failure); later output is dropped.
    fn answer(&mut self, result: Result<ExecOutput, SshError>) {
        if let Work::Exec { reply, .. } = &mut self.work {
            if let Some(reply) = reply.take() {
                let _ = reply.send(result);
            }
        }
    }

    /// Fails a job that never ran or lost its connection.
    pub fn fail(&mut self, error: SshError) {
        self.answer(Err(error));
    }

    /// Takes the stream out of a job whose connection is gone, to run it again later.
    pub fn into_stream(self) -> Option<(String, mpsc::Sender<StreamItem>)> {
        match self.work {
            Work::Stream { command, tx, .. } if !tx.is_closed() => Some((command, tx)),
            _ => None,
        }
    }

    pub fn command(&self) -> &str {
        match &self.work {
            Work::Exec { command, .. } | Work::Stream { command, .. } => command,
            Work::Probe => "(keepalive)",
        }
    }

    /// Does what can be done now without blocking.
    pub fn step(&mut self, session: &Session, now: Instant, buf: &mut [u8]) -> Step {
        let flushed = self.flush_pending();
        let phase = std::mem::replace(&mut self.phase, Phase::Done);
        let (next, step) = self.advance(phase, session, now, buf);
        self.phase = next;
        match step {
            Step::Idle if flushed => Step::Progress,
            other => other,
        }
    }

    fn advance(
        &mut self,
        phase: Phase,
        session: &Session,
        now: Instant,
        buf: &mut [u8],
    ) -> (Phase, Step) {
        if self.cancelled() {
            match phase {
                Phase::Opening => return (Phase::Done, Step::Progress),
                Phase::Starting(ch) | Phase::SendingEof(ch) => {
                    return (Phase::Closing(ch), Step::Progress)
                }
                _ => {}
            }
        }
        match phase {
            Phase::Opening => match Channel::open(session) {
                Io::Done(ch) if self.is_probe() => (Phase::Closing(ch), Step::Progress),
                Io::Done(ch) => (Phase::Starting(ch), Step::Progress),
                Io::WouldBlock => (Phase::Opening, Step::Idle),
                Io::Failed(e) if e.is_fatal() => (Phase::Done, Step::Fatal(e.message)),
                Io::Failed(e) => {
                    let message = format!(
                        "the server refused a new channel ({}); is max_channels above its MaxSessions?",
                        e.message
                    );
                    self.refuse(message);
                    (Phase::Done, Step::Progress)
                }
            },
            Phase::Starting(mut ch) => match ch.exec(self.command()) {
                Io::Done(()) => {
                    if let Work::Stream { resumed, .. } = &self.work {
                        self.pending.push_back(StreamItem::Started { resumed: *resumed });
                        self.flush_pending();
                    }
                    (Phase::SendingEof(ch), Step::Progress)
                }
                Io::WouldBlock => (Phase::Starting(ch), Step::Idle),
                Io::Failed(e) if e.is_fatal() => (Phase::Done, Step::Fatal(e.message)),
                Io::Failed(e) => {
                    let message = format!(
                        "the server refused to run `{}`: {}",
                        self.command(),
                        e.message
                    );
                    self.refuse(message);
                    (Phase::Closing(ch), Step::Progress)
                }
            },
            Phase::SendingEof(mut ch) => match ch.send_eof() {
                Io::WouldBlock => (Phase::SendingEof(ch), Step::Idle),
                Io::Failed(e) if e.is_fatal() => (Phase::Done, Step::Fatal(e.message)),
                // The remote command's stdin is closed: it cannot wait on a terminal.
                _ => (Phase::Running(ch), Step::Progress),
            },
            Phase::Running(mut ch) => {
                if self.cancelled() {
                    self.kill_started = Some(now);
                    return (Phase::Signalling(ch, "TERM"), Step::Progress);
                }
                if let Work::Exec {
                    deadline,
                    timeout,
                    command,
                    ..
                } = &self.work
                {
                    if now >= *deadline {
                        let error = SshError::Timeout {
                            host: self.host.clone(),
                            command: command.clone(),
                            after: *timeout,
                        };
                        self.answer(Err(error));
                        self.kill_started = Some(now);
                        return (Phase::Signalling(ch, "TERM"), Step::Progress);
                    }
                }
                let progress = match self.read(&mut ch, buf) {
                    Ok(p) => p,
                    Err(fatal) => return (Phase::Done, Step::Fatal(fatal)),
                };
                if self.kill_started.is_some() {
                    // Output over the cap: `read` answered the caller already.
                    return (Phase::Signalling(ch, "TERM"), Step::Progress);
                }
                if ch.eof() && !self.backpressured() {
                    return (Phase::Closing(ch), Step::Progress);
                }
                (Phase::Running(ch), step_of(progress))
            }
            Phase::Signalling(mut ch, signal) => match ch.signal(signal) {
                Io::WouldBlock => (Phase::Signalling(ch, signal), Step::Idle),
                Io::Failed(e) if e.is_fatal() => (Phase::Done, Step::Fatal(e.message)),
                Io::Failed(e) => {
                    tracing::warn!(
                        "{}: could not signal `{}` ({}); it may keep running",
                        self.host,
                        self.command(),
                        e.message
                    );
                    (Phase::Closing(ch), Step::Progress)
                }
                Io::Done(()) => (Phase::Killing(ch), Step::Progress),
            },
            Phase::Killing(mut ch) => {
                let progress = match discard(&mut ch, buf) {
                    Ok(p) => p,
                    Err(fatal) => return (Phase::Done, Step::Fatal(fatal)),
                };
                let since = self.kill_started.map(|t| now.duration_since(t));
                if ch.eof() {
                    (Phase::Closing(ch), Step::Progress)
                } else if since >= Some(self.kill_grace) && !self.killed {
                    self.killed = true;
                    self.kill_started = Some(now);
                    (Phase::Signalling(ch, "KILL"), Step::Progress)
                } else if since >= Some(self.kill_grace) {
                    (Phase::Closing(ch), Step::Progress)
                } else {
                    (Phase::Killing(ch), step_of(progress))
                }
            }
            Phase::Closing(mut ch) => match ch.close() {
                Io::WouldBlock => (Phase::Closing(ch), Step::Idle),
                Io::Failed(e) if e.is_fatal() => (Phase::Done, Step::Fatal(e.message)),
                _ => {
                    self.finish(&ch);
                    (Phase::Done, Step::Progress)
                }
            },
            Phase::Done => (Phase::Done, Step::Idle),
        }
    }

    /// The server said no (channel or exec refused): tell the caller, end a stream.
    fn refuse(&mut self, message: String) {
        let error = SshError::Channel {
            host: self.host.clone(),
            message,
        };
        if let Work::Stream { tx, .. } = &self.work {
            let _ = tx.try_send(StreamItem::Failed(error.clone()));
        }
        self.answer(Err(error));
    }

    /// Reads what is queued on stdout and stderr, within the pass's budget.
    fn read(&mut self, ch: &mut Channel, buf: &mut [u8]) -> Result<bool, String> {
        let mut total = 0;
        for source in [OutputStream::Stdout, OutputStream::Stderr] {
            while total < READ_BUDGET && !self.backpressured() && self.kill_started.is_none() {
                match ch.read(source, buf) {
                    Io::Done(0) | Io::WouldBlock => break,
                    Io::Done(n) => {
                        total += n;
                        self.take(source, &buf[..n]);
                    }
                    Io::Failed(e) if e.is_fatal() => return Err(e.message),
                    // A channel-level error (closed under us): treat as the end of output.
                    Io::Failed(_) => break,
                }
            }
        }
        Ok(total > 0)
    }

    fn take(&mut self, source: OutputStream, data: &[u8]) {
        match &self.work {
            Work::Exec {
                cap, file, command, ..
            } => {
                let out = match source {
                    OutputStream::Stdout => &mut self.stdout,
                    OutputStream::Stderr => &mut self.stderr,
                };
                out.extend_from_slice(data);
                if out.len() > *cap {
                    let error = match file {
                        Some(path) => SshError::FileTooLarge {
                            host: self.host.clone(),
                            path: path.clone(),
                            cap: *cap,
                        },
                        None => SshError::OutputTooLarge {
                            host: self.host.clone(),
                            command: command.clone(),
                            cap: *cap,
                        },
                    };
                    self.answer(Err(error));
                    self.kill_started = Some(Instant::now());
                }
            }
            Work::Stream { .. } => {
                let partial = match source {
                    OutputStream::Stdout => &mut self.stdout,
                    OutputStream::Stderr => &mut self.stderr,
                };
                partial.extend_from_slice(data);
                let mut lines = Vec::new();
                while let Some(end) = partial.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = partial.drain(..=end).collect();
                    lines.push(line);
                }
                while partial.len() >= MAX_LINE {
                    lines.push(partial.drain(..MAX_LINE).collect());
                }
                for line in lines {
                    self.pending.push_back(line_item(source, &line));
                }
                self.flush_pending();
            }
            Work::Probe => {}
        }
    }

    /// Hands queued stream items to the reader as far as it has room.
    fn flush_pending(&mut self) -> bool {
        let Work::Stream { tx, .. } = &self.work else {
            return false;
        };
        let mut moved = false;
        while let Some(item) = self.pending.pop_front() {
            match tx.try_send(item) {
                Ok(()) => moved = true,
                Err(mpsc::error::TrySendError::Full(item)) => {
                    self.pending.push_front(item);
                    break;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.pending.clear();
                    break;
                }
            }
        }
        moved
    }

    /// The channel is closed: answer with the exit status, or end the stream.
    fn finish(&mut self, ch: &Channel) {
        let signal = ch.exit_signal();
        let status = if signal.is_some() {
            None
        } else {
            Some(ch.exit_status())
        };
        match &self.work {
            Work::Exec { .. } => {
                let output = ExecOutput {
                    stdout: std::mem::take(&mut self.stdout),
                    stderr: std::mem::take(&mut self.stderr),
                    exit_status: status,
                    exit_signal: signal,
                };
                self.answer(Ok(output));
            }
            Work::Stream { .. } => {
                for source in [OutputStream::Stdout, OutputStream::Stderr] {
                    let rest = match source {
                        OutputStream::Stdout => std::mem::take(&mut self.stdout),
                        OutputStream::Stderr => std::mem::take(&mut self.stderr),
                    };
                    if !rest.is_empty() {
                        self.pending.push_back(line_item(source, &rest));
                    }
                }
                if self.kill_started.is_none() {
                    self.pending.push_back(StreamItem::Exited { status, signal });
                }
                self.flush_pending();
            }
            Work::Probe => self.round_trip = Some(self.started.elapsed()),
        }
    }

}

fn step_of(progress: bool) -> Step {
    if progress {
        Step::Progress
    } else {
        Step::Idle
    }
}

fn line_item(source: OutputStream, line: &[u8]) -> StreamItem {
    let mut text = String::from_utf8_lossy(line).into_owned();
    while text.ends_with(['\n', '\r']) {
        text.pop();
    }
    StreamItem::Line { source, text }
}

/// Reads and drops output of a command being killed.
fn discard(ch: &mut Channel, buf: &mut [u8]) -> Result<bool, String> {
    let mut progress = false;
    for source in [OutputStream::Stdout, OutputStream::Stderr] {
        loop {
            match ch.read(source, buf) {
                Io::Done(0) | Io::WouldBlock => break,
                Io::Done(_) => progress = true,
                Io::Failed(e) if e.is_fatal() => return Err(e.message),
                Io::Failed(_) => break,
            }
        }
    }
    Ok(progress)
}
