//! Headless subcommands: each is a thin call into the library.
