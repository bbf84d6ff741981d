//! Who records check state changes: while a `sheriff watch` runs on a log it holds this
//! lock, and a TUI on the same machine leaves the recording to it, so each change is
//! written once. Without a watch, the TUI of the sheriff whose shift is open records.
//!
//! An advisory `flock` on a file in the state dir, named after the log: the kernel drops
//! it when the watch exits however it exits, so a crash never leaves a stale lock.

use std::fs::File;
use std::io;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Held by a running `sheriff watch`; dropping it gives the role up.
#[derive(Debug)]
pub struct RecorderLock {
    _file: File,
    pub path: PathBuf,
}

/// The lock file for the log at `root`.
fn lock_path(root: &Path) -> PathBuf {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let digest = Sha256::digest(root.as_os_str().as_encoded_bytes());
    let name: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    crate::paths::state_dir().join(format!("recorder-{name}.lock"))
}

fn open(path: &Path) -> io::Result<File> {
    if let Some(dir) = path.parent() {
        crate::paths::create_private_dir(dir)?;
    }
    crate::paths::open_private_append(path)
}

fn try_lock(file: &File) -> io::Result<bool> {
    // SAFETY: flock(2) on a descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

impl RecorderLock {
    /// Takes the role for the log at `root`; an error when another watch holds it.
    pub fn take(root: &Path) -> io::Result<RecorderLock> {
        let path = lock_path(root);
        let file = open(&path)?;
        if try_lock(&file)? {
            Ok(RecorderLock { _file: file, path })
        } else {
            Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "another sheriff watch records {} (lock {})",
                    root.display(),
                    path.display()
                ),
            ))
        }
    }
}

/// Whether a `sheriff watch` records the log at `root` now (a quick, non-blocking look).
pub fn watch_records(root: &Path) -> bool {
    let Ok(file) = open(&lock_path(root)) else {
        return false;
    };
    // Taking it means nobody held it; the lock is dropped with `file` at once.
    matches!(try_lock(&file), Ok(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_watch_holds_the_role_and_others_see_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("handoff.jsonl");
        assert!(!watch_records(&log));
        let held = RecorderLock::take(&log).unwrap();
        assert!(watch_records(&log));
        assert!(RecorderLock::take(&log).is_err());
        drop(held);
        assert!(!watch_records(&log));
    }
}
