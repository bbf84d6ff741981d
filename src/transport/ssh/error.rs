//! What can go wrong talking to a host, named for what went wrong, with a message that says
//! what to do next.

use crate::config::duration::format_duration;
use std::time::Duration;

use crate::transport::HostState;

/// An SSH failure. Cloneable, so one connection failure can answer every waiting caller.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SshError {
    /// The host is not in the pool (not in sheriff's config).
    #[error("{host}: not a configured host; add [hosts.\"{host}\"] to sheriff's config")]
    UnknownHost { host: String },

    /// sheriff's config or `~/.ssh/config` says something sheriff cannot do.
    #[error("{host}: {message}")]
    Config { host: String, message: String },

    /// TCP connect, DNS or the SSH handshake failed.
    #[error("{host}: cannot connect to {address}: {reason}")]
    Unreachable {
        host: String,
        address: String,
        reason: String,
    },

    /// The host is down and sheriff waits before the next attempt.
    #[error("{host} is down ({reason}); next connection attempt in {in_secs}s")]
    Retrying {
        host: String,
        reason: String,
        in_secs: u64,
    },

    /// The server's host key is in no known_hosts file: refused, never trusted silently.
    #[error(
        "{host}: the server's host key {fingerprint} is not in any known_hosts file; refusing \
         to connect.\n  Check this fingerprint with the host's owner (on the host: \
         ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then trust it with:\n    {trust_command}\n  \
         or set accept_new = true for this host in sheriff's config"
    )]
    HostKeyUnknown {
        host: String,
        fingerprint: String,
        trust_command: String,
    },

    /// The server's host key differs from the known one. Never overridable from sheriff.
    #[error(
        "{host}: HOST KEY CHANGED. known_hosts has {expected}, the server sent {found}. \
         Someone may be intercepting the connection, or the host was reinstalled. sheriff \
         refuses to connect and cannot be told otherwise. If the change is expected, remove \
         the old key with\n    {remove_command}\n  and trust the new one after checking its \
         fingerprint"
    )]
    HostKeyMismatch {
        host: String,
        expected: String,
        found: String,
        remove_command: String,
    },

    /// The server's host key is marked `@revoked`.
    #[error("{host}: the server's host key {fingerprint} is marked @revoked in {file}; refusing to connect")]
    HostKeyRevoked {
        host: String,
        fingerprint: String,
        file: String,
    },

    /// No identity was accepted.
    #[error(
        "{host}: authentication as {user:?} failed. Tried: {}. The server allows: {server_allows}. \
         Add the right key to ssh-agent (ssh-add KEY) or set identity_file for this host",
        tried.join("; ")
    )]
    AuthFailed {
        host: String,
        user: String,
        tried: Vec<String>,
        server_allows: String,
    },

    /// No identity was accepted and at least one key is still locked: its passphrase was
    /// not given (the prompt was declined or timed out). A retry asks again.
    #[error(
        "{host}: not unlocked: {} waits for its passphrase. Tried: {}. \
         Retry to be asked again, or add the key to ssh-agent (ssh-add KEY)",
        locked.join(", "),
        tried.join("; ")
    )]
    NotUnlocked {
        host: String,
        user: String,
        locked: Vec<String>,
        tried: Vec<String>,
    },

    /// A command ran past its timeout; the remote process was signalled. For an exchange
    /// through a tunnel, `command` names the tunnel and its channel was closed instead.
    #[error(
        "{host}: `{command}` did not finish within {}; {}",
        format_duration(*after),
        if *killed { "the remote command was killed" } else { "the channel was closed" }
    )]
    Timeout {
        host: String,
        command: String,
        after: Duration,
        /// A remote command was signalled (false: a tunnel, which has none).
        killed: bool,
    },

    /// The connection dropped while a command ran: it may or may not have completed.
    #[error("{host}: the connection was lost while running `{command}` ({reason}); it may or may not have completed")]
    Disconnected {
        host: String,
        command: String,
        reason: String,
    },

    /// The server refused a channel or a command on an open connection.
    #[error("{host}: {message}")]
    Channel { host: String, message: String },

    /// A command printed more than sheriff keeps.
    #[error("{host}: `{command}` printed more than {cap} bytes; it was stopped")]
    OutputTooLarge {
        host: String,
        command: String,
        cap: usize,
    },

    /// A remote file is larger than the caller's cap.
    #[error("{host}: {path} is larger than {cap} bytes; not read")]
    FileTooLarge {
        host: String,
        path: String,
        cap: usize,
    },

    /// Reading a remote file failed (missing, unreadable).
    #[error("{host}: cannot read {path}: {message}")]
    RemoteFile {
        host: String,
        path: String,
        message: String,
    },

    /// The pool was shut down.
    #[error("{host}: the SSH pool is shutting down")]
    Shutdown { host: String },
}

impl SshError {
    /// The host this error is about.
    pub fn host(&self) -> &str {
        match self {
            SshError::UnknownHost { host }
            | SshError::Config { host, .. }
            | SshError::Unreachable { host, .. }
            | SshError::Retrying { host, .. }
            | SshError::HostKeyUnknown { host, .. }
            | SshError::HostKeyMismatch { host, .. }
            | SshError::HostKeyRevoked { host, .. }
            | SshError::AuthFailed { host, .. }
            | SshError::NotUnlocked { host, .. }
            | SshError::Timeout { host, .. }
            | SshError::Disconnected { host, .. }
            | SshError::Channel { host, .. }
            | SshError::OutputTooLarge { host, .. }
            | SshError::FileTooLarge { host, .. }
            | SshError::RemoteFile { host, .. }
            | SshError::Shutdown { host } => host,
        }
    }

    /// Failures that retrying cannot fix without a person (keys, config): the host stays in
    /// this state instead of reconnecting in a loop.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            SshError::HostKeyUnknown { .. }
                | SshError::HostKeyMismatch { .. }
                | SshError::HostKeyRevoked { .. }
                | SshError::AuthFailed { .. }
                | SshError::NotUnlocked { .. }
                | SshError::Config { .. }
                | SshError::UnknownHost { .. }
        )
    }

    /// The host state a connection failure puts the host in.
    pub fn host_state(&self) -> HostState {
        match self {
            SshError::HostKeyUnknown {
                fingerprint,
                trust_command,
                ..
            } => HostState::UnknownKey {
                fingerprint: fingerprint.clone(),
                trust_command: trust_command.clone(),
            },
            SshError::HostKeyMismatch {
                expected, found, ..
            } => HostState::KeyMismatch {
                expected: expected.clone(),
                found: found.clone(),
            },
            SshError::HostKeyRevoked { fingerprint, .. } => HostState::KeyMismatch {
                expected: "not revoked".into(),
                found: format!("{fingerprint} (revoked)"),
            },
            SshError::AuthFailed { .. } => HostState::AuthFailed(self.to_string()),
            SshError::NotUnlocked { .. } => HostState::NotUnlocked(self.reason()),
            SshError::Config { message, .. } => HostState::ConfigError(message.clone()),
            SshError::Retrying {
                reason, in_secs, ..
            } => HostState::Retrying {
                in_secs: *in_secs,
                reason: reason.clone(),
            },
            other => HostState::Unreachable(other.reason()),
        }
    }

    /// The message without the leading host name, for places that already show the host.
    pub fn reason(&self) -> String {
        let text = self.to_string();
        let prefix = format!("{}: ", self.host());
        text.strip_prefix(&prefix)
            .map(str::to_string)
            .unwrap_or(text)
    }
}

/// libssh2's `LIBSSH2_ERROR_EAGAIN`: try again when the socket is ready.
pub(crate) const EAGAIN: i32 = -37;

/// Errors after which the session is unusable, so the host reconnects: socket, banner,
/// MAC/decrypt, key exchange, protocol and timeout failures (libssh2's codes).
pub(crate) fn is_fatal_code(code: i32) -> bool {
    matches!(code, -14..=-1 | -30 | -43 | -44 | -45 | -52) && code != -6
}
