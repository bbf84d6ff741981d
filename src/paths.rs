//! Where sheriff keeps its files, from the `directories` crate (XDG on Linux), and the one
//! way to create them.
//!
//! What sheriff writes there (the handoff log, crash reports, its own log) is private to
//! the user, as `~/.ssh` is: on a shared jump host another account must not read a note
//! about an incident. Files are created 0600 and directories 0700 from the start, whatever
//! the umask, so there is no moment when another user can open them; a file or directory
//! inside sheriff's own dirs that an older version left readable by others is tightened
//! when sheriff opens it. Paths a user configured elsewhere (a `[handoff] path` in a
//! group-shared directory) are created private but existing ones are left as the user set
//! them.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use directories::ProjectDirs;

/// The mode of every file sheriff creates in its dirs.
pub const PRIVATE_FILE: u32 = 0o600;
/// The mode of every directory sheriff creates in its dirs.
pub const PRIVATE_DIR: u32 = 0o700;

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "sheriff")
}

/// `~/.config/sheriff`: the user's config, keymaps and themes.
pub fn config_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

/// `~/.local/share/sheriff`: the handoff log and the bug outbox.
pub fn data_dir() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("sheriff-data"))
}

/// `~/.local/state/sheriff`: the log file and crash reports.
pub fn state_dir() -> PathBuf {
    project_dirs()
        .and_then(|d| d.state_dir().map(|p| p.to_path_buf()))
        .unwrap_or_else(|| data_dir().join("state"))
}

/// Whether `path` lies in one of sheriff's own dirs, whose modes sheriff may correct.
fn in_own_dirs(path: &Path) -> bool {
    [data_dir(), state_dir()]
        .iter()
        .any(|root| path.starts_with(root))
}

/// Create `dir` and any missing parents 0700. Existing directories from `dir` up to the
/// top of sheriff's own dir are tightened to 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR)
        .create(dir)?;
    for ancestor in dir.ancestors().take_while(|d| in_own_dirs(d)) {
        let mode = std::fs::metadata(ancestor)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(ancestor, Permissions::from_mode(mode & PRIVATE_DIR))?;
        }
    }
    Ok(())
}

/// Open `path` to read and append, created 0600 if missing. Its directory must exist
/// (`create_private_dir`).
pub fn open_private_append(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(PRIVATE_FILE)
        .open(path)?;
    tighten(&file, path)?;
    Ok(file)
}

/// Write `bytes` as the whole of `path` (a crash report), created 0600. Its directory
/// must exist (`create_private_dir`).
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(PRIVATE_FILE)
        .open(path)?;
    tighten(&file, path)?;
    file.write_all(bytes)
}

/// `mode` applies only to a file the open creates: correct one that already existed.
fn tighten(file: &File, path: &Path) -> io::Result<()> {
    if !in_own_dirs(path) {
        return Ok(());
    }
    let mode = file.metadata()?.permissions().mode();
    if mode & 0o077 != 0 {
        file.set_permissions(Permissions::from_mode(mode & PRIVATE_FILE))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn new_files_and_dirs_are_private_whatever_the_umask() {
        // The test process keeps the umask it was started with (022 on most systems);
        // the modes below must not depend on it.
        let tmp = tempfile::tempdir().expect("tempdir");
        let file = tmp.path().join("a/b/log.jsonl");
        create_private_dir(&tmp.path().join("a/b")).expect("mkdir");
        open_private_append(&file).expect("open");
        assert_eq!(mode(&file), PRIVATE_FILE);
        assert_eq!(mode(&tmp.path().join("a")), PRIVATE_DIR);
        assert_eq!(mode(&tmp.path().join("a/b")), PRIVATE_DIR);
        let report = tmp.path().join("crash.txt");
        write_private(&report, b"report").expect("write");
        assert_eq!(mode(&report), PRIVATE_FILE);
        assert_eq!(std::fs::read(&report).expect("read"), b"report");
    }

    #[test]
    fn files_outside_sheriffs_dirs_keep_the_mode_their_owner_gave_them() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let shared = tmp.path().join("team.jsonl");
        std::fs::write(&shared, "").expect("create");
        std::fs::set_permissions(&shared, Permissions::from_mode(0o640)).expect("chmod");
        open_private_append(&shared).expect("open");
        assert_eq!(mode(&shared), 0o640);
    }
}
