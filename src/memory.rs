//! How sheriff asks glibc's allocator to hold memory, so that what `[logs] buffer` allows
//! is what the process takes (measured in `cargo bench --bench logs -- ingest`).
//!
//! Two settings, made once at start:
//! - **Large blocks in their own mappings.** glibc serves a large allocation from a
//!   mapping of its own, given back whole when freed, but after the first such free it
//!   raises that threshold and serves the next ones from the heap, where a freed block
//!   can stay held. The Logs buffer frees a 256 KiB block each time its oldest lines go:
//!   a fixed threshold keeps every block, and the ring of line records, in a mapping.
//! - **Two arenas, not sixteen.** Each thread glibc sees gets an arena of its own (up to
//!   eight per core), and memory freed into one is not reused by another; a tail's lines
//!   are made on the runtime's threads and freed on the UI's. Two are enough for the
//!   runtime's two threads to rarely wait on each other.

/// Sets the allocator up as described above; call once, before threads start.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; both values are in range.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
