//! A host's own thread: it owns the host's one SSH session (libssh2 sessions are not
//! thread-safe), connects and reconnects with backoff, and multiplexes every channel on the
//! session in non-blocking mode, sleeping in `poll(2)` when nothing can move.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ssh2::BlockDirections;
use tokio::sync::{mpsc, oneshot};

use super::connect::{connect, ConnectContext, Connection};
use super::error::{humantime, SshError};
use super::job::{Job, Step};
use super::pool::{HostInfo, StreamItem};
use super::resolve::ResolvedHost;
use super::wait::{wait, Interest, WakeReceiver};
use super::work::{StreamTx, Work};
use crate::event::Event;
use crate::transport::HostState;

/// What callers send a host thread.
pub(crate) enum Request {
    Work(Work),
    /// Answer once the current connection attempt has an outcome.
    Connect(oneshot::Sender<Result<HostInfo, SshError>>),
    /// Try again now (after a permanent failure was fixed, or during a backoff).
    Retry,
    Shutdown,
}

/// The pool-wide settings a host thread needs.
#[derive(Clone)]
pub(crate) struct Pacing {
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub kill_grace: Duration,
}

/// While a reply may be sitting in libssh2's buffers, do not sleep longer than this.
const REPLY_POLL: Duration = Duration::from_millis(5);
/// How often to look at a stream whose reader is behind (the reader also wakes us).
const BACKPRESSURE_POLL: Duration = Duration::from_millis(250);

pub(crate) struct Worker {
    pub host: ResolvedHost,
    pub ctx: ConnectContext,
    pub pacing: Pacing,
    pub rx: Receiver<Request>,
    pub wake: WakeReceiver,
    pub state: Arc<Mutex<HostState>>,
    pub events: Option<mpsc::UnboundedSender<Event>>,
    /// Streams to (re)start on the next connection: command, reader, ran before.
    pub streams: Vec<(String, StreamTx, bool)>,
    pub failures: u32,
}

enum Offline {
    Retry,
    Shutdown,
}

impl Worker {
    pub fn run(mut self) {
        loop {
            self.set_state(HostState::Connecting);
            let error = match connect(&self.host, &self.ctx) {
                Ok(conn) => {
                    self.failures = 0;
                    let info = HostInfo {
                        host: self.host.name.clone(),
                        address: self.host.address(),
                        key_type: conn.host_key.short_type().to_string(),
                        fingerprint: conn.host_key.fingerprint(),
                        latency: conn.latency,
                    };
                    self.set_state(HostState::Up {
                        latency: conn.latency,
                    });
                    match self.serve(conn, &info) {
                        None => return,
                        Some(reason) => SshError::Unreachable {
                            host: self.host.name.clone(),
                            address: self.host.address(),
                            reason: format!("connection lost: {reason}"),
                        },
                    }
                }
                Err(e) => e,
            };
            let outcome = if error.is_permanent() {
                tracing::warn!("{error}");
                self.set_state(error.host_state());
                for (_, tx, _) in self.streams.drain(..) {
                    let _ = tx.try_send(StreamItem::Failed(error.clone()));
                }
                self.wait_offline(None, &error)
            } else {
                let delay = self.next_delay();
                let until = Instant::now() + delay;
                tracing::info!("{error}; retrying in {}", humantime(delay));
                self.set_state(HostState::Retrying {
                    in_secs: delay.as_secs_f64().ceil() as u64,
                    reason: error.reason(),
                });
                self.wait_offline(Some(until), &error)
            };
            if let Offline::Shutdown = outcome {
                return;
            }
        }
    }

    fn set_state(&self, new: HostState) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if *state != new {
            *state = new.clone();
            if let Some(events) = &self.events {
                let _ = events.send(Event::Host {
                    host: self.host.name.clone(),
                    state: new,
                });
            }
        }
    }

    /// Exponential backoff from `backoff_min` to `backoff_max`, jittered to 50–100 %.
    fn next_delay(&mut self) -> Duration {
        let doubled = self
            .pacing
            .backoff_min
            .saturating_mul(1u32 << self.failures.min(20));
        self.failures = self.failures.saturating_add(1);
        doubled
            .min(self.pacing.backoff_max)
            .mul_f64(rand::random_range(0.5..=1.0))
    }

    /// Answers callers while there is no connection: `until` is the next attempt (None:
    /// only a `Retry` request starts one). Streams wait for the next connection.
    fn wait_offline(&mut self, until: Option<Instant>, error: &SshError) -> Offline {
        loop {
            loop {
                let request = match self.rx.try_recv() {
                    Ok(r) => r,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return Offline::Shutdown,
                };
                let now = Instant::now();
                let for_callers = match until {
                    Some(t) => SshError::Retrying {
                        host: self.host.name.clone(),
                        reason: error.reason(),
                        in_secs: t.saturating_duration_since(now).as_secs_f64().ceil() as u64,
                    },
                    None => error.clone(),
                };
                match request {
                    Request::Work(Work::Exec { reply, .. }) => {
                        if let Some(reply) = reply {
                            let _ = reply.send(Err(for_callers));
                        }
                    }
                    Request::Work(Work::Stream { command, tx, .. }) => {
                        if until.is_none() {
                            let _ = tx.try_send(StreamItem::Failed(error.clone()));
                        } else {
                            let _ = tx.try_send(StreamItem::Interrupted {
                                reason: for_callers.reason(),
                            });
                            self.streams.push((command, tx, false));
                        }
                    }
                    Request::Work(Work::Probe) => {}
                    Request::Connect(reply) => {
                        let _ = reply.send(Err(error.clone()));
                    }
                    Request::Retry => return Offline::Retry,
                    Request::Shutdown => return Offline::Shutdown,
                }
            }
            let now = Instant::now();
            if until.is_some_and(|t| now >= t) {
                return Offline::Retry;
            }
            let timeout = until.map(|t| t.saturating_duration_since(now));
            let interest = Interest {
                fd: self.wake.fd(),
                read: true,
                write: false,
            };
            if wait(&[interest], timeout).is_err() {
                std::thread::sleep(Duration::from_millis(50));
            }
            self.wake.drain();
        }
    }

    /// Runs jobs on a live connection. None: shut down; Some(reason): the connection died.
    fn serve(&mut self, conn: Connection, info: &HostInfo) -> Option<String> {
        let session = &conn.session;
        session.set_blocking(false);
        let mut queue: VecDeque<Job> = VecDeque::new();
        let mut active: Vec<Job> = Vec::new();
        for (command, tx, ran) in self.streams.drain(..) {
            let work = Work::stream(command, tx, ran);
            queue.push_back(Job::new(work, &self.host.name, self.pacing.kill_grace));
        }
        let mut buf = vec![0u8; 32 * 1024];
        let keepalive = self.host.keepalive;
        let give_up = keepalive * self.host.keepalive_count_max;
        let mut last_heard = Instant::now();
        let mut shutting_down: Option<Instant> = None;

        let lost = loop {
            if shutting_down.is_none() && !self.intake(&mut queue, info) {
                shutting_down =
                    Some(Instant::now() + self.pacing.kill_grace * 2 + Duration::from_secs(1));
                for job in queue.drain(..) {
                    drop(job);
                }
                for job in &mut active {
                    job.cancel();
                }
            }
            let now = Instant::now();
            if let Some(deadline) = shutting_down {
                if active.is_empty() || now >= deadline {
                    break None;
                }
            }
            self.expire_queued(&mut queue, now);
            let max = self.host.max_channels;
            while !active.iter().any(Job::is_opening) {
                // A keepalive probe may use one channel beyond the cap.
                let room = active.len() < max
                    || (queue.front().is_some_and(Job::is_probe) && active.len() <= max);
                match queue.pop_front() {
                    Some(job) if room => active.push(job),
                    Some(job) => {
                        queue.push_front(job);
                        break;
                    }
                    None => break,
                }
            }
            // Jobs waiting for a reply go last: a read by an earlier job may fetch it.
            active.sort_by_key(Job::awaiting_reply);
            let mut progress = false;
            let mut fatal = None;
            for job in active.iter_mut() {
                match job.step(session, now, &mut buf) {
                    Step::Progress => progress = true,
                    Step::Idle => {}
                    Step::Fatal(reason) => {
                        fatal = Some(reason);
                        break;
                    }
                }
            }
            if let Some(reason) = fatal {
                break Some(reason);
            }
            active.retain(|job| !job.is_done());
            if progress {
                last_heard = now;
                continue;
            }
            if active.iter().any(Job::needs_attention) {
                continue;
            }
            let quiet = now.duration_since(last_heard);
            if quiet >= give_up {
                break Some(format!(
                    "no answer from the server for {}",
                    humantime(quiet)
                ));
            }
            let probing = active.iter().chain(queue.iter()).any(Job::is_probe);
            if quiet >= keepalive && !probing && shutting_down.is_none() {
                queue.push_front(Job::new(
                    Work::Probe,
                    &self.host.name,
                    self.pacing.kill_grace,
                ));
                continue;
            }
            // Streams whose reader is behind: ask the reader to wake us, then look again
            // in case it made room just before.
            let mut reader_caught_up = false;
            for job in active.iter().filter(|j| j.backpressured()) {
                job.work.wake_me();
                reader_caught_up |= !job.backpressured();
            }
            if reader_caught_up {
                continue;
            }
            let mut timeout = [
                Some(last_heard + if probing { give_up } else { keepalive }),
                shutting_down,
            ]
            .into_iter()
            .flatten()
            .chain(active.iter().filter_map(Job::deadline))
            .chain(queue.iter().filter_map(Job::queued_deadline))
            .min()
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or(keepalive);
            if active.iter().any(Job::awaiting_reply) {
                timeout = timeout.min(REPLY_POLL);
            }
            if active.iter().any(Job::backpressured) {
                timeout = timeout.min(BACKPRESSURE_POLL);
            }
            let outbound = matches!(
                session.block_directions(),
                BlockDirections::Outbound | BlockDirections::Both
            );
            // When every channel waits for a slow stream reader, unread data must not wake
            // us in a loop: SSH flow control holds it on the server meanwhile.
            let reading = active.is_empty() || active.iter().any(|j| !j.backpressured());
            let interests = [
                Interest {
                    fd: conn.fd,
                    read: reading,
                    write: outbound,
                },
                Interest {
                    fd: self.wake.fd(),
                    read: true,
                    write: false,
                },
            ];
            let ready = match wait(&interests, Some(timeout)) {
                Ok(r) => r,
                Err(e) => break Some(format!("poll: {e}")),
            };
            if ready[1].read {
                self.wake.drain();
            }
            if (ready[0].read || ready[0].closed) && active.is_empty() && !probing {
                // Something arrived while idle (a keepalive, a rekey, a disconnect): a probe
                // makes libssh2 read and handle it.
                queue.push_front(Job::new(
                    Work::Probe,
                    &self.host.name,
                    self.pacing.kill_grace,
                ));
            }
        };

        match &lost {
            Some(reason) => {
                tracing::warn!("{}: connection lost: {reason}", self.host.name);
                // Shut the socket so libssh2 frees channels without waiting for answers.
                // SAFETY: shutdown(2) on a descriptor the session still owns.
                unsafe { libc::shutdown(conn.fd, libc::SHUT_RDWR) };
                for mut job in active.drain(..) {
                    let error = SshError::Disconnected {
                        host: self.host.name.clone(),
                        command: job.command().to_string(),
                        reason: reason.clone(),
                    };
                    job.fail(error);
                    self.keep_stream(job, reason, true);
                }
                for mut job in queue.drain(..) {
                    let error = SshError::Unreachable {
                        host: self.host.name.clone(),
                        address: self.host.address(),
                        reason: format!("connection lost: {reason}"),
                    };
                    job.fail(error);
                    self.keep_stream(job, reason, false);
                }
            }
            None => {
                // Channels still open after the grace period are closed, briefly blocking.
                session.set_blocking(true);
                session.set_timeout(1000);
                drop(active);
                let _ = session.disconnect(None, "sheriff is closing", None);
            }
        }
        lost
    }

    fn keep_stream(&mut self, job: Job, reason: &str, ran: bool) {
        if let Some((command, tx)) = job.work.into_stream() {
            let _ = tx.try_send(StreamItem::Interrupted {
                reason: format!("connection lost: {reason}"),
            });
            self.streams.push((command, tx, ran));
        }
    }

    /// Moves new requests into the queue; false when the pool is shutting down.
    fn intake(&mut self, queue: &mut VecDeque<Job>, info: &HostInfo) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(Request::Work(work)) => {
                    queue.push_back(Job::new(work, &self.host.name, self.pacing.kill_grace))
                }
                Ok(Request::Connect(reply)) => {
                    let _ = reply.send(Ok(info.clone()));
                }
                Ok(Request::Retry) => {}
                Ok(Request::Shutdown) | Err(TryRecvError::Disconnected) => return false,
                Err(TryRecvError::Empty) => return true,
            }
        }
    }

    /// Fails queued commands whose deadline passed before a channel came free.
    fn expire_queued(&self, queue: &mut VecDeque<Job>, now: Instant) {
        let max = self.host.max_channels;
        queue.retain_mut(|job| {
            let expired = job.queued_deadline().is_some_and(|d| now >= d);
            if expired {
                let message = format!(
                    "`{}` timed out waiting for one of the {max} channels (max_channels) to come free",
                    job.command()
                );
                job.fail(SshError::Channel {
                    host: self.host.name.clone(),
                    message,
                });
            }
            !expired
        });
    }
}
