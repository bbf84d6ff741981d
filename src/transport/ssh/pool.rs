//! The async face of the SSH transport: one connection per host, many channels on it.
//!
//! ```no_run
//! # async fn demo(hosts: Vec<sheriff::config::Host>) -> Result<(), sheriff::transport::ssh::SshError> {
//! use std::time::Duration;
//! use sheriff::transport::ssh::{SshOptions, SshPool};
//! let pool = SshPool::new(&hosts, SshOptions::default(), None);
//! let out = pool.exec("web1.prod", "uptime", Duration::from_secs(5)).await?;
//! println!("{}", out.stdout_text());
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::ffi::CString;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::connect::ConnectContext;
use super::error::SshError;
use super::known_hosts::shell_quote;
use super::options::SshOptions;
use super::output::{AnswerGuard, ExecOutput, HostInfo, StreamReceiver, StreamTx};
use super::prompt::Answers;
use super::resolve::{resolve, ResolvedHost};
use super::ssh_config::SshConfig;
use super::wait::Waker;
use super::work::{KeptStream, Work};
use super::worker::{Pacing, Request, Worker};
use crate::config::Host;

use crate::transport::HostState;

struct Slot {
    resolved: Result<ResolvedHost, SshError>,
    state: Arc<Mutex<HostState>>,
    handle: Mutex<Option<Handle>>,
}

#[derive(Clone)]
struct Handle {
    tx: Sender<Request>,
    waker: Arc<Waker>,
}

impl Handle {
    fn send(&self, request: Request) -> bool {
        let sent = self.tx.send(request).is_ok();
        self.waker.wake();
        sent
    }
}

struct Inner {
    hosts: BTreeMap<String, Slot>,
    options: SshOptions,
    ctx: ConnectContext,
    events: Option<crate::event::Events>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for slot in self.hosts.values() {
            let handle = slot.handle.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(handle) = handle.as_ref() {
                handle.send(Request::Shutdown);
            }
        }
    }
}

/// SSH connections to sheriff's hosts. Cheap to clone; the last clone dropped closes every
/// connection (running commands are signalled first).
#[derive(Clone)]
pub struct SshPool {
    inner: Arc<Inner>,
}

impl SshPool {
    /// A pool for `hosts`. Nothing connects until a host is first used (or `connect_all`).
    /// `~/.ssh/config` is read now, from `options.home` or `$HOME`. Host state changes are
    /// sent on `events` as `Event::Host`.
    pub fn new(
        hosts: &[Host],
        options: SshOptions,
        events: Option<crate::event::Events>,
    ) -> SshPool {
        let home = options
            .home
            .clone()
            .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/"));
        let config_path = options
            .ssh_config
            .clone()
            .unwrap_or_else(|| home.join(".ssh/config"));
        let ssh_config = SshConfig::load(&config_path, &home);
        let find = |name: &str| hosts.iter().find(|h| h.name == name).cloned();
        let map = hosts
            .iter()
            .map(|host| {
                let resolved = resolve(host, &ssh_config, &options, &home, &find);
                if let Ok(r) = &resolved {
                    for note in &r.notes {
                        tracing::info!("{}: ~/.ssh/config: {note}", host.name);
                    }
                }
                let state = match &resolved {
                    Ok(_) => HostState::Connecting,
                    Err(e) => e.host_state(),
                };
                let slot = Slot {
                    resolved,
                    state: Arc::new(Mutex::new(state)),
                    handle: Mutex::new(None),
                };
                (host.name.clone(), slot)
            })
            .collect();
        let ctx = ConnectContext {
            prompt: options.prompt.clone(),
            answers: Arc::new(Answers::default()),
            prompt_timeout: options.prompt_timeout,
            waiting: None,
        };
        SshPool {
            inner: Arc::new(Inner {
                hosts: map,
                options,
                ctx,
                events,
            }),
        }
    }

    /// The configured host names, sorted.
    pub fn hosts(&self) -> Vec<String> {
        self.inner.hosts.keys().cloned().collect()
    }

    /// How sheriff will reach `host` (all config sources merged), or why it cannot.
    pub fn resolved(&self, host: &str) -> Result<ResolvedHost, SshError> {
        self.slot(host)?.resolved.clone()
    }

    /// The host's current state (Connecting before first use).
    pub fn state(&self, host: &str) -> Option<HostState> {
        let slot = self.inner.hosts.get(host)?;
        let state = slot.state.lock().unwrap_or_else(|e| e.into_inner());
        Some(state.clone())
    }

    /// Starts connecting to every host now (the TUI does this to fill Health).
    pub fn connect_all(&self) {
        for name in self.inner.hosts.keys() {
            let _ = self.handle(name);
        }
    }

    /// Waits for the host's current connection attempt: its key and latency, or the error.
    pub async fn connect(&self, host: &str) -> Result<HostInfo, SshError> {
        let (reply, answer) = oneshot::channel();
        self.send(host, Request::Connect(reply))?;
        answer.await.map_err(|_| self.shutdown_error(host))?
    }

    /// Asks a host in a permanent failure state (unknown key, auth) to try again now.
    pub fn retry(&self, host: &str) {
        let _ = self.send(host, Request::Retry);
    }

    /// Runs `command` and collects its output. After `timeout` the caller gets
    /// [`SshError::Timeout`] and the remote command is sent SIGTERM, then SIGKILL.
    /// Dropping the future cancels the command the same way.
    pub async fn exec(
        &self,
        host: &str,
        command: &str,
        timeout: Duration,
    ) -> Result<ExecOutput, SshError> {
        let cap = self.inner.options.max_output;
        self.run(host, command.to_string(), timeout, cap, None)
            .await
    }

    /// Runs a long-lived command and hands over its output line by line. If the connection
    /// drops, the command runs again once the host is back (`Started { resumed: true }`).
    /// Dropping the receiver stops the remote command.
    pub fn stream(&self, host: &str, command: &str) -> Result<StreamReceiver, SshError> {
        self.start_stream(host, command, false)
    }

    /// Runs a long-lived command once and hands over its output as it arrives, unchanged
    /// (`StreamItem::Bytes`), for a reader that counts bytes: a remote tail resuming at an
    /// offset. A host that is down delays the start until it is back (no `Interrupted`
    /// first); a connection lost while it runs ends the stream with `Interrupted` (or the
    /// receiver closing): it is not run again, the reader starts what comes next.
    pub fn stream_raw(&self, host: &str, command: &str) -> Result<StreamReceiver, SshError> {
        self.start_stream(host, command, true)
    }

    fn start_stream(
        &self,
        host: &str,
        command: &str,
        raw: bool,
    ) -> Result<StreamReceiver, SshError> {
        let handle = self.handle(host)?;
        let (tx, rx) = mpsc::channel(self.inner.options.stream_buffer.max(1));
        let reader_waits = Arc::new(AtomicBool::new(false));
        let tx = StreamTx::new(tx, reader_waits.clone());
        let work = Work::stream(KeptStream {
            command: command.to_string(),
            tx,
            ran: false,
            raw,
        });
        if !handle.send(Request::Work(work)) {
            return Err(self.shutdown_error(host));
        }
        Ok(StreamReceiver {
            rx,
            reader_waits,
            waker: handle.waker,
        })
    }

    /// Reads a remote file of at most `cap` bytes (with `cat`, so it works on any server
    /// that runs commands), within the pool's connect timeout.
    pub async fn read_file(&self, host: &str, path: &str, cap: usize) -> Result<Vec<u8>, SshError> {
        let command = format!("cat -- {}", shell_quote(path));
        let timeout = self
            .inner
            .options
            .connect_timeout
            .max(Duration::from_secs(30));
        let out = self
            .run(host, command, timeout, cap, Some(path.to_string()))
            .await?;
        if out.success() {
            return Ok(out.stdout);
        }
        let stderr = out.stderr_text();
        let message = stderr
            .trim()
            .strip_prefix("cat: ")
            .unwrap_or(stderr.trim())
            .to_string();
        Err(SshError::RemoteFile {
            host: host.to_string(),
            path: path.to_string(),
            message: if message.is_empty() {
                format!("cat exited with {:?}", out.exit_status)
            } else {
                message
            },
        })
    }

    /// Opens a direct-tcpip channel from `host` to `to_host:to_port` (what `ssh -L` does;
    /// `to_host` is resolved on `host`, so `127.0.0.1` is the host itself), writes
    /// `request`, then reads what comes back until the far end closes, `cap` bytes, or
    /// `timeout`. For line protocols that end the conversation themselves (munin's `quit`,
    /// a banner check): sheriff never half-closes the connection, so a server that waits
    /// for more input runs into the timeout.
    ///
    /// More than `cap` bytes is not an error: the answer is cut to its first `cap` bytes
    /// and the tunnel closed at once. An answer of exactly `cap` bytes may thus have been
    /// cut; ask for one byte more than you accept to tell.
    ///
    /// The channel counts against the host's `max_channels` like a command's. A server
    /// that refuses the forward (sshd's `AllowTcpForwarding no`, or nothing listening at
    /// `to_host:to_port`) is [`SshError::Channel`] saying which; after `timeout` the
    /// caller gets [`SshError::Timeout`] and the tunnel is closed. Dropping the future
    /// closes it too.
    pub async fn exchange(
        &self,
        host: &str,
        to_host: &str,
        to_port: u16,
        request: Vec<u8>,
        cap: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, SshError> {
        let Ok(c_host) = CString::new(to_host) else {
            return Err(SshError::Channel {
                host: host.to_string(),
                message: format!("cannot forward to {to_host:?}: a host name has no NUL byte"),
            });
        };
        let (reply, answer) = oneshot::channel();
        let work = Work::exchange(c_host, to_port, request, timeout, cap, reply);
        let out = self.submit(host, work, answer, timeout).await?;
        Ok(out.stdout)
    }

    async fn run(
        &self,
        host: &str,
        command: String,
        timeout: Duration,
        cap: usize,
        file: Option<String>,
    ) -> Result<ExecOutput, SshError> {
        let (reply, answer) = oneshot::channel();
        let work = Work::exec(command, timeout, cap, file, reply);
        self.submit(host, work, answer, timeout).await
    }

    /// Hands an exec or exchange to the host's thread and waits for its answer.
    async fn submit(
        &self,
        host: &str,
        work: Work,
        answer: oneshot::Receiver<Result<ExecOutput, SshError>>,
        timeout: Duration,
    ) -> Result<ExecOutput, SshError> {
        let handle = self.handle(host)?;
        if !handle.send(Request::Work(work)) {
            return Err(self.shutdown_error(host));
        }
        // If this future is dropped, the guard tells the host thread to stop the work.
        let mut answer = AnswerGuard {
            rx: Some(answer),
            waker: handle.waker,
        };
        let Some(rx) = answer.rx.as_mut() else {
            return Err(self.shutdown_error(host));
        };
        // The host thread answers at the deadline; this covers a thread still busy
        // connecting (the guard then cancels the queued command).
        let grace = self
            .inner
            .options
            .kill_grace
            .max(Duration::from_millis(200));
        match tokio::time::timeout(timeout + grace, rx).await {
            Ok(result) => {
                answer.rx = None;
                result.map_err(|_| self.shutdown_error(host))?
            }
            Err(_) => {
                let state = self
                    .state(host)
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unknown".into());
                let address = self.resolved(host).map(|r| r.address()).unwrap_or_default();
                Err(SshError::Unreachable {
                    host: host.to_string(),
                    address,
                    reason: format!(
                        "no answer within {} (the host is {state})",
                        crate::config::duration::format_duration(timeout)
                    ),
                })
            }
        }
    }

    fn slot(&self, host: &str) -> Result<&Slot, SshError> {
        self.inner
            .hosts
            .get(host)
            .ok_or_else(|| SshError::UnknownHost {
                host: host.to_string(),
            })
    }

    fn shutdown_error(&self, host: &str) -> SshError {
        SshError::Shutdown {
            host: host.to_string(),
        }
    }

    fn send(&self, host: &str, request: Request) -> Result<(), SshError> {
        let handle = self.handle(host)?;
        if handle.send(request) {
            Ok(())
        } else {
            Err(self.shutdown_error(host))
        }
    }

    /// The host's thread, started on first use.
    fn handle(&self, host: &str) -> Result<Handle, SshError> {
        let slot = self.slot(host)?;
        let resolved = slot.resolved.clone()?;
        let mut handle = slot.handle.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = handle.as_ref() {
            return Ok(h.clone());
        }
        let spawn_error = |e: std::io::Error| SshError::Unreachable {
            host: host.to_string(),
            address: resolved.address(),
            reason: format!("cannot start the host's thread: {e}"),
        };
        let options = &self.inner.options;
        let pacing = Pacing {
            backoff_min: options.backoff_min,
            backoff_max: options.backoff_max,
            kill_grace: options.kill_grace,
        };
        let (tx, wake_tx) = Worker::start(
            resolved.clone(),
            self.inner.ctx.clone(),
            pacing,
            slot.state.clone(),
            self.inner.events.clone(),
        )
        .map_err(spawn_error)?;
        let h = Handle {
            tx,
            waker: Arc::new(wake_tx),
        };
        *handle = Some(h.clone());
        Ok(h)
    }
}
