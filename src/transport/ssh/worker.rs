//! A host's own thread: it owns the host's one SSH session (libssh2 sessions are not
//! thread-safe). This half connects, reports host states, reconnects with jittered
//! exponential backoff and answers callers while the host is down; `online` runs the live
//! connection.

use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::connect::{connect, ConnectContext};
use super::error::SshError;
use super::output::{HostInfo, StreamItem};
use super::prompt::PromptRequest;
use super::resolve::ResolvedHost;
use super::wait::{wait, waker, Interest, WakeReceiver, Waker};
use super::work::{KeptStream, Work};
use crate::config::duration::format_duration;
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

pub(crate) struct Worker {
    pub host: ResolvedHost,
    pub ctx: ConnectContext,
    pub pacing: Pacing,
    pub rx: Receiver<Request>,
    pub wake: WakeReceiver,
    pub state: Arc<Mutex<HostState>>,
    pub events: Option<crate::event::Events>,
    /// Streams to (re)start on the next connection.
    pub streams: Vec<KeptStream>,
    pub failures: u32,
}

/// Records a host's new state and, when it changed, sends it as `Event::Host`.
pub(crate) fn publish(
    state: &Mutex<HostState>,
    events: Option<&crate::event::Events>,
    host: &str,
    new: HostState,
) {
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    if *state != new {
        *state = new.clone();
        if let Some(events) = events {
            let _ = events.send(Event::Host {
                host: host.to_string(),
                state: new,
            });
        }
    }
}

enum Offline {
    Retry,
    Shutdown,
}

impl Worker {
    /// Starts a host's thread (named `ssh HOST`, for debuggers and the tests' CPU
    /// accounting): the sender of its requests and the waker that makes it look at them.
    pub fn start(
        host: ResolvedHost,
        mut ctx: ConnectContext,
        pacing: Pacing,
        state: Arc<Mutex<HostState>>,
        events: Option<crate::event::Events>,
    ) -> std::io::Result<(Sender<Request>, Waker)> {
        let (wake_tx, wake_rx) = waker()?;
        let (tx, rx) = std::sync::mpsc::channel();
        let (for_prompt, prompt_events, name) = (state.clone(), events.clone(), host.name.clone());
        ctx.waiting = Some(Arc::new(move |request: Option<&PromptRequest>| {
            let new = match request {
                Some(r) => HostState::WaitingForPassphrase(
                    r.text().trim_end_matches([' ', ':']).to_string(),
                ),
                None => HostState::Connecting,
            };
            publish(&for_prompt, prompt_events.as_ref(), &name, new);
        }));
        let thread_name = format!("ssh {}", host.name);
        let worker = Worker {
            host,
            ctx,
            pacing,
            rx,
            wake: wake_rx,
            state,
            events,
            streams: Vec::new(),
            failures: 0,
        };
        std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || worker.run())?;
        Ok((tx, wake_tx))
    }

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
                for kept in self.streams.drain(..) {
                    let _ = kept.tx.try_send(StreamItem::Failed(error.clone()));
                }
                self.wait_offline(None, &error)
            } else {
                let delay = self.next_delay();
                let until = Instant::now() + delay;
                tracing::info!("{error}; retrying in {}", format_duration(delay));
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
        publish(&self.state, self.events.as_ref(), &self.host.name, new);
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
                    Request::Work(Work::Exec { reply, .. } | Work::Exchange { reply, .. }) => {
                        if let Some(reply) = reply {
                            let _ = reply.send(Err(for_callers));
                        }
                    }
                    Request::Work(Work::Stream {
                        command, tx, raw, ..
                    }) => {
                        if until.is_none() {
                            let _ = tx.try_send(StreamItem::Failed(error.clone()));
                        } else {
                            // A raw stream's reader waits for `Started`; `Interrupted` would
                            // tell it a run it never had was cut.
                            if !raw {
                                let _ = tx.try_send(StreamItem::Interrupted {
                                    reason: for_callers.reason(),
                                });
                            }
                            self.streams.push(KeptStream {
                                command,
                                tx,
                                ran: false,
                                raw,
                            });
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
}
