use std::fmt;
use std::time::Duration;

use crate::config::duration::format_duration;

/// A host connection's state, sent as `Event::Host` and shown in Health and the status line.
#[derive(Debug, Clone, PartialEq)]
pub enum HostState {
    Connecting,
    Up {
        latency: Duration,
    },
    /// No identity was accepted; says which were tried and what the server allows.
    AuthFailed(String),
    /// A person is being asked for this key's passphrase (or password); the login waits
    /// for the answer, up to the prompt's timeout. Other hosts do not wait for it.
    WaitingForPassphrase(String),
    /// The passphrase was not given (declined or timed out): waits for a retry.
    NotUnlocked(String),
    /// The host key is not in any known_hosts file: refused, never trusted silently.
    UnknownKey {
        fingerprint: String,
        trust_command: String,
    },
    /// The host key differs from the known one: refused loudly, never overridable here.
    KeyMismatch {
        expected: String,
        found: String,
    },
    Unreachable(String),
    /// Waiting before the next reconnect attempt.
    Retrying {
        in_secs: u64,
        reason: String,
    },
    /// sheriff's config or `~/.ssh/config` cannot work for this host (says why).
    ConfigError(String),
}

impl HostState {
    pub fn is_up(&self) -> bool {
        matches!(self, HostState::Up { .. })
    }

    /// Needs a person (a key to trust, a credential, a config fix): no automatic retry.
    pub fn needs_attention(&self) -> bool {
        matches!(
            self,
            HostState::AuthFailed(_)
                | HostState::NotUnlocked(_)
                | HostState::UnknownKey { .. }
                | HostState::KeyMismatch { .. }
                | HostState::ConfigError(_)
        )
    }

    /// A status symbol that does not rely on colour: ✔ up, … connecting, ▲ retrying,
    /// ✖ everything else.
    pub fn symbol(&self) -> &'static str {
        match self {
            HostState::Up { .. } => "✔",
            HostState::Connecting | HostState::WaitingForPassphrase(_) => "…",
            HostState::Retrying { .. } => "▲",
            _ => "✖",
        }
    }

    /// A short word for the status line and `sheriff hosts`.
    pub fn label(&self) -> &'static str {
        match self {
            HostState::Connecting => "connecting",
            HostState::Up { .. } => "up",
            HostState::AuthFailed(_) => "auth failed",
            HostState::WaitingForPassphrase(_) => "waiting for passphrase",
            HostState::NotUnlocked(_) => "not unlocked",
            HostState::UnknownKey { .. } => "unknown host key",
            HostState::KeyMismatch { .. } => "HOST KEY CHANGED",
            HostState::Unreachable(_) => "unreachable",
            HostState::Retrying { .. } => "retrying",
            HostState::ConfigError(_) => "config error",
        }
    }
}

impl fmt::Display for HostState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostState::Connecting => write!(f, "connecting"),
            HostState::Up { latency } => write!(f, "up ({})", format_duration(*latency)),
            HostState::AuthFailed(why) => write!(f, "auth failed: {why}"),
            HostState::WaitingForPassphrase(what) => write!(f, "waiting for passphrase: {what}"),
            HostState::NotUnlocked(why) => write!(f, "{why}"),
            HostState::UnknownKey {
                fingerprint,
                trust_command,
            } => {
                write!(
                    f,
                    "unknown host key {fingerprint}; to trust it: {trust_command}"
                )
            }
            HostState::KeyMismatch { expected, found } => write!(
                f,
                "HOST KEY CHANGED: expected {expected}, server sent {found}; refusing to connect"
            ),
            HostState::Unreachable(why) => write!(f, "unreachable: {why}"),
            HostState::Retrying { in_secs, reason } => {
                write!(f, "retrying in {in_secs}s ({reason})")
            }
            HostState::ConfigError(why) => write!(f, "config error: {why}"),
        }
    }
}
