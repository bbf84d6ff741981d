//! How sheriff reaches hosts: the SSH session pool, and the state each host is in.

mod state;

pub use state::HostState;
