//! How sheriff reaches hosts: the SSH session pool, and the state each host is in.

// rust-version 1.91 has clippy ask for `is_multiple_of` in ssh/error.rs's latency
// formatter, which is to give way to `config::duration::format_duration` with the next
// change to ssh/. Remove this then.
#[allow(clippy::manual_is_multiple_of)]
pub mod ssh;
mod state;

pub use state::HostState;
