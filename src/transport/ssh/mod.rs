//! SSH to sheriff's hosts with the `ssh2` crate (libssh2), done carefully:
//!
//! - hosts from sheriff's config merged with `~/.ssh/config` ([`resolve`](resolve::resolve));
//! - host keys checked against known_hosts files, hashed entries too ([`known_hosts`]);
//!   unknown keys refused with the command to trust them, changed keys refused outright;
//! - ssh-agent first, then key files, passwords only where a host opts in ([`auth`]);
//! - one connection per host, owned by the host's own thread (`worker`, `online`), with
//!   many channels on it (`job`, `work`, `channel`), behind an async API ([`SshPool`]);
//! - keepalive probes, command timeouts that kill the remote command, reconnects with
//!   jittered exponential backoff, and every host state change sent as `Event::Host`.

pub mod auth;
mod channel;
mod connect;
mod error;
mod job;
mod jump;
pub mod known_hosts;
mod online;
mod options;
mod output;
mod pool;
mod prompt;
pub mod resolve;
pub mod ssh_config;
mod tokens;
mod wait;
mod work;
mod worker;

pub use error::SshError;
pub use known_hosts::HostKey;
pub use options::{AgentChoice, SshOptions};
pub use output::{ExecOutput, HostInfo, OutputStream, StreamItem, StreamReceiver};
pub use pool::SshPool;
pub use prompt::{
    ChannelPrompt, NoPrompt, PassphrasePrompt, PromptKind, PromptReply, PromptRequest, Secret,
    TtyPrompt,
};
pub use resolve::ResolvedHost;
