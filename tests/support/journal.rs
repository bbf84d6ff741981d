//! Journal files for tests, written by `systemd-journal-remote` from export-format input:
//! PID 1 here is not systemd, so there is no system journal, and the tests read these with
//! `journalctl --directory`. `scripts/test` installs it.
//!
//! Include with `#[path = "support/journal.rs"] mod journal;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn journal_remote() -> PathBuf {
    ["/usr/lib/systemd/systemd-journal-remote", "/lib/systemd/systemd-journal-remote"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("systemd-journal-remote is needed: apt-get install systemd-journal-remote (scripts/test installs it)")
}

/// Appends the entries of `export` (journal export format) to `journal`, creating it.
pub fn append_export(journal: &Path, export: &str) {
    let input = journal.with_extension("export");
    std::fs::write(&input, export).expect("write the export");
    let out = Command::new(journal_remote())
        .arg(format!("--output={}", journal.display()))
        .arg(&input)
        .output()
        .expect("run systemd-journal-remote");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "systemd-journal-remote failed: {said}"
    );
}

/// One entry in export format, from host `web1`, for [`append_export`].
pub fn export_entry(
    realtime: i64,
    monotonic: i64,
    unit: &str,
    priority: u8,
    message: &str,
) -> String {
    format!(
        "__REALTIME_TIMESTAMP={realtime}\n__MONOTONIC_TIMESTAMP={monotonic}\n\
         _BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=web1\n\
         _SYSTEMD_UNIT={unit}\nPRIORITY={priority}\nMESSAGE={message}\n\n"
    )
}
