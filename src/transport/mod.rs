//! How sheriff reaches hosts: the SSH session pool, and the state each host is in.

pub mod ssh;
mod state;

pub use state::HostState;
