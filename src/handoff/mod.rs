//! The handoff log: an append-only record of what the sheriff did and why.

mod entry;

pub use entry::{Entry, EntryKind, Refs};
