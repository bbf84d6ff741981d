//! The embedded demo sandbox.
