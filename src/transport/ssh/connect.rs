//! One connection: TCP (or a tunnel through a jump host), the SSH handshake, the host key
//! check, then authentication. Credentials are only offered to a verified host.

use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ssh2::{MethodType, Session};

use super::auth::{authenticate, AuthContext};
use super::error::SshError;
use super::jump::{self, JumpTunnel};
use super::known_hosts::{self, HostKey, Verdict};
use super::prompt::{Answers, Asker, PassphrasePrompt, PromptRequest};
use super::resolve::ResolvedHost;

/// Told when a host starts (`Some`) and stops (`None`) waiting for a person to answer.
pub(crate) type WaitingHook = Arc<dyn Fn(Option<&PromptRequest>) + Send + Sync>;

/// What every connection of a pool shares.
#[derive(Clone)]
pub(crate) struct ConnectContext {
    pub prompt: Arc<dyn PassphrasePrompt>,
    pub answers: Arc<Answers>,
    /// How long a host waits for another host's question about the same key.
    pub prompt_timeout: Duration,
    /// Told when this host starts and stops waiting for a person (its state shows it).
    pub waiting: Option<WaitingHook>,
}

/// An authenticated session, still in blocking mode.
pub(crate) struct Connection {
    pub session: Session,
    /// The descriptor libssh2 reads and writes (a TCP socket or a tunnel's socket).
    pub fd: RawFd,
    pub host_key: HostKey,
    /// One protocol round trip (opening a channel), measured after authentication.
    pub latency: Duration,
    /// Kept alive for as long as the session uses it.
    pub _tunnel: Option<JumpTunnel>,
}

/// Connects, verifies the host key and authenticates, all within `connect_timeout`
/// (except time spent waiting for a person to type a passphrase).
pub(crate) fn connect(host: &ResolvedHost, ctx: &ConnectContext) -> Result<Connection, SshError> {
    let unreachable = |reason: String| SshError::Unreachable {
        host: host.name.clone(),
        address: host.address(),
        reason,
    };
    let started = Instant::now();
    let mut session = Session::new().map_err(|e| unreachable(e.message().to_string()))?;
    let (fd, tunnel) = match &host.proxy_jump {
        Some(jump_host) => {
            let (stream, tunnel) =
                jump::open(jump_host, &host.name, &host.hostname, host.port, ctx)?;
            let fd = stream.as_raw_fd();
            session.set_tcp_stream(stream);
            (fd, Some(tunnel))
        }
        None => {
            let stream = tcp_connect(&host.hostname, host.port, host.connect_timeout)
                .map_err(unreachable)?;
            let fd = stream.as_raw_fd();
            session.set_tcp_stream(stream);
            (fd, None)
        }
    };
    let remaining = host.connect_timeout.saturating_sub(started.elapsed());
    session.set_timeout(remaining.as_millis().clamp(1, u32::MAX as u128) as u32);

    let known = known_hosts::entries_for(&host.known_hosts_files, host.key_name(), host.port);
    if let Ok(supported) = session.supported_algs(MethodType::HostKey) {
        let prefs = known_hosts::preferred_algorithms(&known, &supported);
        if !prefs.is_empty() {
            let _ = session.method_pref(MethodType::HostKey, &prefs.join(","));
        }
    }
    session
        .handshake()
        .map_err(|e| unreachable(format!("SSH handshake failed: {}", e.message())))?;

    let host_key = session
        .host_key()
        .and_then(|(blob, _)| HostKey::from_blob(blob))
        .ok_or_else(|| unreachable("the server sent no usable host key".into()))?;
    verify_host_key(host, &host_key)?;

    let waiting = |request: Option<&PromptRequest>| {
        if let Some(notify) = &ctx.waiting {
            notify(request);
        }
    };
    authenticate(
        &session,
        host,
        &AuthContext {
            asker: Asker {
                prompt: ctx.prompt.as_ref(),
                wait_for_others: ctx.prompt_timeout,
                waiting: &waiting,
            },
            answers: &ctx.answers,
        },
    )?;

    // Typing a passphrase does not count against the connect timeout; the round trip does.
    session.set_timeout(host.connect_timeout.as_millis().clamp(1, u32::MAX as u128) as u32);
    // The first channel after authentication waits for sshd's post-login setup (tens of
    // ms on loopback); the second open is one network round trip: that is the latency.
    let mut latency = Duration::ZERO;
    for _ in 0..2 {
        let opened = Instant::now();
        let mut channel = session
            .channel_session()
            .map_err(|e| unreachable(format!("opening a channel: {}", e.message())))?;
        latency = opened.elapsed();
        let _ = channel.close();
    }

    Ok(Connection {
        session,
        fd,
        host_key,
        latency,
        _tunnel: tunnel,
    })
}

/// A TCP connection with `TCP_NODELAY` (without it every request waits ~40 ms for a delayed
/// ACK), trying each address of `host` until `timeout` is spent.
pub(crate) fn tcp_connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let deadline = Instant::now() + timeout;
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let several = addrs.len() > 1;
    let mut last = format!("{host} has no addresses");
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            last = format!(
                "no answer within {}",
                crate::config::duration::format_duration(timeout)
            );
            break;
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(stream) => {
                stream
                    .set_nodelay(true)
                    .map_err(|e| format!("setting TCP_NODELAY: {e}"))?;
                return Ok(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                last = format!(
                    "no answer from {addr} within {}",
                    crate::config::duration::format_duration(timeout)
                )
            }
            Err(e) if several => last = format!("{addr}: {e}"),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

fn verify_host_key(host: &ResolvedHost, key: &HostKey) -> Result<(), SshError> {
    let name = host.key_name();
    match known_hosts::verify(&host.known_hosts_files, name, host.port, key) {
        Verdict::Trusted { .. } => Ok(()),
        Verdict::Revoked { file, line } => Err(SshError::HostKeyRevoked {
            host: host.name.clone(),
            fingerprint: key.fingerprint(),
            file: format!("{}:{line}", file.display()),
        }),
        Verdict::Changed { known } => {
            let expected = known
                .iter()
                .map(|e| format!("{} ({}:{})", e.key.describe(), e.file.display(), e.line))
                .collect::<Vec<_>>()
                .join(", ");
            let file = known
                .first()
                .map(|e| e.file.clone())
                .unwrap_or_else(|| host.home.join(".ssh/known_hosts"));
            Err(SshError::HostKeyMismatch {
                host: host.name.clone(),
                expected,
                found: key.describe(),
                remove_command: known_hosts::remove_command(&file, name, host.port),
            })
        }
        Verdict::Unknown => {
            let file = host
                .known_hosts_files
                .first()
                .cloned()
                .unwrap_or_else(|| host.home.join(".ssh/known_hosts"));
            if host.accept_new {
                known_hosts::append(&file, name, host.port, key).map_err(|e| SshError::Config {
                    host: host.name.clone(),
                    message: format!(
                        "accept_new: cannot add the host key to {}: {e}",
                        file.display()
                    ),
                })?;
                tracing::warn!(
                    "{}: trusted new host key {} (accept_new), added to {}",
                    host.name,
                    key.describe(),
                    file.display()
                );
                return Ok(());
            }
            Err(SshError::HostKeyUnknown {
                host: host.name.clone(),
                fingerprint: key.fingerprint(),
                trust_command: known_hosts::trust_command(&file, name, host.port, key),
            })
        }
    }
}
