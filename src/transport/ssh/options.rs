//! Pool-wide settings: where `~` is, which agent, timeouts and reconnect pacing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::prompt::{PassphrasePrompt, TtyPrompt};

/// Which ssh-agent to ask first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AgentChoice {
    /// `$SSH_AUTH_SOCK`, read when connecting (absent: no agent).
    #[default]
    FromEnv,
    /// This socket.
    Socket(PathBuf),
    /// Never use an agent.
    Off,
}

/// Settings for an [`SshPool`](super::SshPool). `Default` gives what the binary uses.
#[derive(Clone)]
pub struct SshOptions {
    /// The home directory for `~`, `~/.ssh/config` and `~/.ssh/known_hosts`.
    /// None: `$HOME`, read when the pool is created (so tests can point it elsewhere).
    pub home: Option<PathBuf>,
    /// The ssh config file. None: `HOME/.ssh/config`.
    pub ssh_config: Option<PathBuf>,
    /// System-wide known_hosts files, checked after the user's.
    pub system_known_hosts: Vec<PathBuf>,
    pub agent: AgentChoice,
    /// Asks for key passphrases (and passwords for hosts that opt in).
    pub prompt: Arc<dyn PassphrasePrompt>,
    /// How long a host waits while another host asks for the passphrase of a key they
    /// share; after it the host goes on with its other identities (or is "not unlocked").
    pub prompt_timeout: Duration,
    /// TCP connect plus SSH handshake and authentication, unless a host sets its own.
    pub connect_timeout: Duration,
    /// Probe a quiet connection this often (OpenSSH's ServerAliveInterval), unless a host
    /// sets its own; the connection is dropped after `keepalive_count_max` unanswered.
    pub keepalive: Duration,
    pub keepalive_count_max: u32,
    /// The first reconnect delay; each failure doubles it, up to `backoff_max`; each delay
    /// is jittered to between half and all of itself.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// After SIGTERM on a timed-out or cancelled command, wait this long before SIGKILL.
    pub kill_grace: Duration,
    /// The most bytes of stdout (and of stderr) one `exec` keeps.
    pub max_output: usize,
    /// Lines a stream buffers for a slow reader before sheriff stops reading the channel.
    pub stream_buffer: usize,
    /// The local user name (the default remote user). None: `$USER`, then the password file.
    pub local_user: Option<String>,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            home: None,
            ssh_config: None,
            system_known_hosts: vec![
                PathBuf::from("/etc/ssh/ssh_known_hosts"),
                PathBuf::from("/etc/ssh/ssh_known_hosts2"),
            ],
            agent: AgentChoice::FromEnv,
            prompt: Arc::new(TtyPrompt),
            prompt_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(30),
            keepalive_count_max: 3,
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            kill_grace: Duration::from_secs(1),
            max_output: 16 << 20,
            stream_buffer: 4096,
            local_user: None,
        }
    }
}

impl std::fmt::Debug for SshOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshOptions")
            .field("home", &self.home)
            .field("ssh_config", &self.ssh_config)
            .field("agent", &self.agent)
            .field("connect_timeout", &self.connect_timeout)
            .field("keepalive", &self.keepalive)
            .finish_non_exhaustive()
    }
}

/// The current user's name: `$USER`, `$LOGNAME`, then the password file.
pub(crate) fn local_user_name() -> Option<String> {
    for var in ["USER", "LOGNAME"] {
        if let Ok(name) = std::env::var(var) {
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    // SAFETY: geteuid cannot fail and touches no memory.
    crate::accounts::user_name(unsafe { libc::geteuid() })
}
