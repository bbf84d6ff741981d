//! One channel's life on a non-blocking session: open, exec, read stdout and stderr, and
//! close; or, on timeout or cancellation, SIGTERM, a grace period, SIGKILL, close. A
//! tunnel exchange opens a direct-tcpip channel instead, writes its request while reading
//! the answer, and closes. Each `step` does whatever can be done without blocking and
//! says whether anything moved.
//!
//! A channel open that libssh2 has begun (it answered EAGAIN) is driven to its end even
//! when its job is cancelled or times out: libssh2 keeps one half-done open per session,
//! and the next open of any kind would otherwise continue it and get the wrong channel.

use std::time::{Duration, Instant};

use ssh2::Session;

use super::channel::{Io, RawChannel as Channel};
use super::error::SshError;
use super::output::OutputStream;
use super::work::Work;

mod tunnel;

/// Bytes one job may read per pass, so one chatty channel cannot starve the others.
const READ_BUDGET: usize = 256 * 1024;

enum Phase {
    Opening,
    Starting(Channel),
    /// A tunnel: writing the request and reading the answer, until EOF, cap or deadline.
    Talking(Channel),
    SendingEof(Channel),
    Running(Channel),
    Signalling(Channel, &'static str),
    Killing(Channel),
    Closing(Channel),
    /// Closed on our side; waiting for the server's CLOSE, after which the exit status is
    /// known.
    AwaitingClose(Channel),
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
    /// When the command was first signalled (timeout, over-cap output, cancellation).
    kill_started: Option<Instant>,
    sent_kill: bool,
    cancel_requested: bool,
    kill_grace: Duration,
    /// libssh2 has started opening this job's channel (see the module comment).
    open_in_flight: bool,
}

impl Job {
    pub fn new(work: Work, host: &str, kill_grace: Duration) -> Job {
        Job {
            work,
            phase: Phase::Opening,
            host: host.to_string(),
            kill_started: None,
            sent_kill: false,
            cancel_requested: false,
            kill_grace,
            open_in_flight: false,
        }
    }

    /// Finished, and everything it produced was handed over.
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done) && !self.work.has_pending()
    }

    pub fn is_opening(&self) -> bool {
        matches!(self.phase, Phase::Opening)
    }

    pub fn is_probe(&self) -> bool {
        self.work.is_probe()
    }

    pub fn backpressured(&self) -> bool {
        self.work.backpressured()
    }

    /// Waiting for the server to answer a request: libssh2 may already hold the answer.
    pub fn awaiting_reply(&self) -> bool {
        !matches!(
            self.phase,
            Phase::Running(_) | Phase::Talking(_) | Phase::Killing(_) | Phase::Done
        )
    }

    /// Data or EOF is queued in libssh2 for this channel, so stepping again will move.
    pub fn needs_attention(&self) -> bool {
        match &self.phase {
            Phase::Running(ch) | Phase::Talking(ch) | Phase::Killing(ch) => {
                !self.backpressured() && (ch.available() > 0 || ch.eof())
            }
            _ => false,
        }
    }

    /// The next moment a timer of this job fires.
    pub fn deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Killing(_) => self.kill_started.map(|t| t + self.kill_grace),
            Phase::Running(_) | Phase::Talking(_) | Phase::AwaitingClose(_) => self.work.deadline(),
            // A tunnel's caller hears at its deadline even while the open is under way.
            Phase::Opening
                if self.open_in_flight
                    && self.work.tunnel_target().is_some()
                    && !self.work.abandoned() =>
            {
                self.work.deadline()
            }
            _ => None,
        }
    }

    /// When a queued exec or exchange gives up waiting for a channel.
    pub fn queued_deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Opening if !self.open_in_flight => self.work.deadline(),
            _ => None,
        }
    }

    /// Stops the job as soon as possible (the remote command is signalled if it runs).
    pub fn cancel(&mut self) {
        self.cancel_requested = true;
    }

    fn cancelled(&self) -> bool {
        self.cancel_requested || self.work.abandoned()
    }

    /// Fails a job that never ran or lost its connection.
    pub fn fail(&mut self, error: SshError) {
        self.work.answer(Err(error));
    }

    pub fn command(&self) -> &str {
        self.work.command()
    }

    /// Does what can be done now without blocking.
    pub fn step(&mut self, session: &Session, now: Instant, buf: &mut [u8]) -> Step {
        let flushed = self.work.flush();
        let phase = std::mem::replace(&mut self.phase, Phase::Done);
        let (next, step) = self.advance(phase, session, now, buf);
        self.phase = next;
        match step {
            Step::Idle if flushed => Step::Progress,
            other => other,
        }
    }

    fn channel_error(&self, message: String) -> SshError {
        SshError::Channel {
            host: self.host.clone(),
            message,
        }
    }

    fn advance(
        &mut self,
        phase: Phase,
        session: &Session,
        now: Instant,
        buf: &mut [u8],
    ) -> (Phase, Step) {
        let tunnel = self.work.tunnel_target().is_some();
        if tunnel
            && matches!(phase, Phase::Opening)
            && self.work.deadline().is_some_and(|d| now >= d)
        {
            // The server has not confirmed the tunnel yet (it is still connecting to the
            // far end): the caller hears now; an open in flight is finished, then closed.
            self.work.time_out(&self.host);
            self.cancel_requested = true;
        }
        if self.cancelled() {
            match phase {
                Phase::Opening if !self.open_in_flight => return (Phase::Done, Step::Progress),
                Phase::Starting(ch) | Phase::SendingEof(ch) => {
                    return (Phase::Closing(ch), Step::Progress)
                }
                _ => {}
            }
        }
        match phase {
            Phase::Opening => self.open(session),
            Phase::Talking(ch) => self.talk(ch, now, buf),
            Phase::Starting(mut ch) => match ch.exec(self.work.command()) {
                Io::Done(()) => {
                    self.work.started();
                    (Phase::SendingEof(ch), Step::Progress)
                }
                Io::WouldBlock => (Phase::Starting(ch), Step::Idle),
                Io::Failed(e) if e.is_fatal() => (Phase::Done, Step::Fatal(e.message)),
                Io::Failed(e) => {
                    let error = self.channel_error(format!(
                        "the server refused to run `{}`: {}",
                        self.work.command(),
                        e.message
                    ));
                    self.work.refuse(error);
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
                    return self.stop(ch, now);
                }
                if self.work.deadline().is_some_and(|d| now >= d) {
                    self.work.time_out(&self.host);
                    return self.stop(ch, now);
                }
                let (progress, over_cap) = match self.read(&mut ch, buf) {
                    Ok(read) => read,
                    Err(fatal) => return (Phase::Done, Step::Fatal(fatal)),
                };
                if over_cap {
                    return self.stop(ch, now);
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
                        self.work.command(),
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
                let grace_over = self
                    .kill_started
                    .is_some_and(|t| now.duration_since(t) >= self.kill_grace);
                if ch.eof() {
                    (Phase::Closing(ch), Step::Progress)
                } else if grace_over && !self.sent_kill {
                    self.sent_kill = true;
                    self.kill_started = Some(now);
                    (Phase::Signalling(ch, "KILL"), Step::Progress)
                } else if grace_over {
                    (Phase::Closing(ch), Step::Progress)
                } else {
                    (Phase::Killing(ch), step_of(progress))
                }
            }
            Phase::Closing(mut ch) => match ch.close() {
                Io::WouldBlock => (Phase::Closing(ch), Step::Idle),
                Io::Failed(e) if e.is_fatal() => (Phase::Done, Step::Fatal(e.message)),
                _ => (Phase::AwaitingClose(ch), Step::Progress),
            },
            Phase::AwaitingClose(mut ch) => match ch.wait_closed() {
                // A server that never closes: past the deadline its status is not known,
                // and must not read as the 0 libssh2 reports before it has one.
                Io::WouldBlock if self.work.deadline().is_some_and(|d| now >= d) => {
                    self.work.finish(None, None, self.kill_started.is_some());
                    (Phase::Done, Step::Progress)
                }
                Io::WouldBlock => (Phase::AwaitingClose(ch), Step::Idle),
                Io::Failed(e) if e.is_fatal() => (Phase::Done, Step::Fatal(e.message)),
                // Closed, or never at EOF (a refused or killed command): what the server
                // reported is all there is.
                _ => {
                    let signal = ch.exit_signal();
                    let status = signal.is_none().then(|| ch.exit_status());
                    self.work
                        .finish(status, signal, self.kill_started.is_some());
                    (Phase::Done, Step::Progress)
                }
            },
            Phase::Done => (Phase::Done, Step::Idle),
        }
    }

    /// Opens the job's channel: a session for a command, direct-tcpip for a tunnel.
    fn open(&mut self, session: &Session) -> (Phase, Step) {
        let opened = match self.work.tunnel_target() {
            Some((host, port)) => Channel::open_direct_tcpip(session, host, port),
            None => Channel::open(session),
        };
        self.open_in_flight = matches!(opened, Io::WouldBlock);
        match opened {
            Io::Done(ch) if self.is_probe() || self.cancelled() => {
                (Phase::Closing(ch), Step::Progress)
            }
            Io::Done(ch) if self.work.tunnel_target().is_some() => {
                (Phase::Talking(ch), Step::Progress)
            }
            Io::Done(ch) => (Phase::Starting(ch), Step::Progress),
            Io::WouldBlock => (Phase::Opening, Step::Idle),
            Io::Failed(e) if e.is_fatal() => (Phase::Done, Step::Fatal(e.message)),
            Io::Failed(e) if self.work.tunnel_target().is_some() => {
                let error = self.channel_error(tunnel::refused(&self.work, &e.message));
                self.work.refuse(error);
                (Phase::Done, Step::Progress)
            }
            Io::Failed(e) => {
                let error = self.channel_error(format!(
                    "the server refused a new channel ({}); is max_channels above its MaxSessions?",
                    e.message
                ));
                self.work.refuse(error);
                (Phase::Done, Step::Progress)
            }
        }
    }

    /// SIGTERM now, SIGKILL after the grace period, then close.
    fn stop(&mut self, ch: Channel, now: Instant) -> (Phase, Step) {
        self.kill_started = Some(now);
        (Phase::Signalling(ch, "TERM"), Step::Progress)
    }

    /// Reads what is queued on stdout and stderr within the pass's budget: (anything read,
    /// output went over the cap).
    fn read(&mut self, ch: &mut Channel, buf: &mut [u8]) -> Result<(bool, bool), String> {
        let mut total = 0;
        for source in [OutputStream::Stdout, OutputStream::Stderr] {
            while total < READ_BUDGET && !self.backpressured() {
                match ch.read(source, buf) {
                    Io::Done(0) | Io::WouldBlock => break,
                    Io::Done(n) => {
                        total += n;
                        if !self.work.take(&self.host, source, &buf[..n]) {
                            return Ok((true, true));
                        }
                    }
                    Io::Failed(e) if e.is_fatal() => return Err(e.message),
                    // A channel-level error (closed under us): the end of this output.
                    Io::Failed(_) => break,
                }
            }
        }
        Ok((total > 0, false))
    }
}

fn step_of(progress: bool) -> Step {
    if progress {
        Step::Progress
    } else {
        Step::Idle
    }
}

/// Reads and drops the output of a command being killed.
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
