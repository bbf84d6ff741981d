//! sheriff: one terminal screen for the person on call.
//!
//! The library holds everything; `main.rs` is a thin clap front end. Modules are split by
//! responsibility (`config`, `transport`, `checks`, `logs`, `drift`, `handoff`) and each is
//! usable headless; `tui` depends on them, never the other way round.

pub mod accounts;
pub mod checks;
pub mod cli;
pub mod config;
pub mod demo;
pub mod drift;
pub mod event;
pub mod handoff;
pub mod logs;
pub mod memory;
pub mod paths;
pub mod problems;
pub mod redact;
pub mod text;
pub mod tracker;
pub mod transport;
pub mod tui;
pub mod workers;

/// When the process started (set first thing in `main`), for the startup figures the TUI
/// writes to its log ("first frame after N ms").
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
