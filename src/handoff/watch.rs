//! Live view of the log: every entry any process appends, sent once, as `Event`s.
//!
//! A thread keeps a read cursor per file and, on a file-system notification (or every
//! [`POLL`] in case notifications are unavailable, as on NFS), reads only the new complete
//! lines. A line still being written is left for the next round. A file that shrank or was
//! replaced (git rewrote it) is read again from the start; ids already sent are skipped, so
//! the UI never sees an entry twice.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::event::Events;
use notify::{RecursiveMode, Watcher};

use super::log::{Layout, Log};
use super::store::{self, Cursor};
use crate::event::Event;

/// How often files are checked when no notification arrives.
pub const POLL: Duration = Duration::from_secs(2);

/// Stops the watcher when dropped.
pub struct WatchHandle {
    stop: mpsc::Sender<Wake>,
    _watcher: Option<notify::RecommendedWatcher>,
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(Wake::Stop);
    }
}

enum Wake {
    Changed,
    Stop,
}

/// Send the whole log as one `Event::HandoffEntries` (even when empty: it tells the UI the
/// log is loaded), `Event::HandoffCorrupt` for each bad line, then each new batch of
/// entries as they are appended, by this process or any other, until the handle drops or
/// the receiver closes. The UI's own appends arrive this way too: add entries to the
/// timeline only from these events, and they appear exactly once.
pub fn watch(log: &Log, tx: Events) -> WatchHandle {
    let (wake_tx, wake_rx) = mpsc::channel();
    let watcher = start_notify(log, wake_tx.clone());
    let mut state = WatchState {
        log: log.clone(),
        files: HashMap::new(),
        seen: HashSet::new(),
        reported: HashSet::new(),
    };
    thread::spawn(move || {
        let mut first = true;
        loop {
            let (entries, corrupt) = state.scan();
            let send = first || !entries.is_empty();
            if send
                && tx
                    .send_data_blocking(Event::HandoffEntries(entries))
                    .is_err()
            {
                return;
            }
            for c in corrupt {
                let error = format!("{}: {}", c.file.display(), c.error);
                if tx
                    .send(Event::HandoffCorrupt {
                        line: c.line,
                        error,
                    })
                    .is_err()
                {
                    return;
                }
            }
            first = false;
            match wake_rx.recv_timeout(POLL) {
                Ok(Wake::Changed) | Err(mpsc::RecvTimeoutError::Timeout) => {
                    // Coalesce a burst of notifications into one read; a short pause lets
                    // a multi-line burst (a git merge) finish first.
                    thread::sleep(Duration::from_millis(15));
                    while let Ok(w) = wake_rx.try_recv() {
                        if matches!(w, Wake::Stop) {
                            return;
                        }
                    }
                }
                Ok(Wake::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    });
    WatchHandle {
        stop: wake_tx,
        _watcher: watcher,
    }
}

/// Notifications for the log's directory; None (poll only) when the platform refuses.
fn start_notify(log: &Log, wake: mpsc::Sender<Wake>) -> Option<notify::RecommendedWatcher> {
    let (target, mode) = match log.layout() {
        // Watch the directory, not the file: the file may not exist yet, or be replaced.
        Layout::File(p) => (
            p.parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            RecursiveMode::NonRecursive,
        ),
        Layout::Dir(d) => (d.clone(), RecursiveMode::Recursive),
    };
    crate::paths::create_private_dir(&target).ok()?;
    let file = match log.layout() {
        Layout::File(p) => Some(p.clone()),
        Layout::Dir(_) => None,
    };
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(event) = res else { return };
        if event.kind.is_access() {
            return;
        }
        // In a shared log every commit churns `.git/`; only the entry files matter.
        let in_git = |p: &Path| p.components().any(|c| c.as_os_str() == ".git");
        let relevant = event.paths.iter().any(|p| match &file {
            Some(f) => p == f,
            None => !in_git(p) && (p.extension().is_some_and(|e| e == "jsonl") || p.is_dir()),
        });
        if relevant {
            let _ = wake.send(Wake::Changed);
        }
    })
    .ok()?;
    watcher.watch(&target, mode).ok()?;
    Some(watcher)
}

struct FileState {
    cursor: Cursor,
    inode: u64,
}

struct WatchState {
    log: Log,
    files: HashMap<PathBuf, FileState>,
    /// Hashes of ids already sent: 8 bytes an entry, to dedupe after a file is re-read.
    seen: HashSet<u64>,
    /// Bad lines already reported, so a re-read file does not report them again.
    reported: HashSet<(PathBuf, usize)>,
}

impl WatchState {
    fn scan(&mut self) -> (Vec<super::Entry>, Vec<store::Corrupt>) {
        let mut entries = Vec::new();
        let mut corrupt = Vec::new();
        let Ok(files) = self.log.files() else {
            return (entries, corrupt);
        };
        for path in files {
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let state = self.files.entry(path.clone()).or_insert(FileState {
                cursor: Cursor::default(),
                inode: meta.ino(),
            });
            if meta.ino() != state.inode || meta.len() < state.cursor.offset {
                *state = FileState {
                    cursor: Cursor::default(),
                    inode: meta.ino(),
                };
            }
            if meta.len() == state.cursor.offset {
                continue;
            }
            let Ok(read) = store::read_from(&path, state.cursor, false) else {
                continue;
            };
            state.cursor = read.cursor;
            corrupt.extend(
                read.corrupt
                    .into_iter()
                    .filter(|c| self.reported.insert((c.file.clone(), c.line))),
            );
            for e in read.entries {
                if self.seen.insert(id_hash(&e.id)) {
                    entries.push(e);
                }
            }
        }
        entries.sort_by_key(|e| e.time);
        (entries, corrupt)
    }
}

fn id_hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}
