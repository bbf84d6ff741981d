//! Headless subcommands: each is a thin call into the library.

pub mod bench;
pub mod config_check;
pub mod handoff;
pub mod hosts;
pub mod keys;
pub mod launch;
