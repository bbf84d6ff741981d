//! The handoff log as a whole: where its files are, and the one way to append to it
//! (redact, validate, write durably, commit when shared).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::Datelike;

use super::share::Share;
use super::store::{self, Corrupt, Cursor, StoreError};
use super::{Entry, EntryKind};
use crate::config::HandoffSpec;
use crate::redact::redact;

/// Where the entries live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// One JSON Lines file (the default: `~/.local/share/sheriff/handoff.jsonl`).
    File(PathBuf),
    /// A directory of `YYYY/MM/DD-author.jsonl` files (the git-shared layout).
    Dir(PathBuf),
}

/// The handoff log. Cheap to clone; every method does its own I/O and blocks, so from the
/// TUI call them inside `tokio::task::spawn_blocking`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    layout: Layout,
    share: Option<Share>,
}

/// An append that reached the disk.
#[derive(Debug, Clone)]
pub struct Saved {
    /// The entry as written, after redaction.
    pub entry: Entry,
    /// Kinds of secret masked before saving (`github-token`, `password`…): tell the author.
    pub masked: Vec<&'static str>,
    /// Shared logs only: why the commit failed. The entry is saved all the same and the
    /// next sync commits it.
    pub commit_error: Option<String>,
}

/// Everything in the log, oldest first, and the lines that could not be read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub entries: Vec<Entry>,
    pub corrupt: Vec<Corrupt>,
}

impl Log {
    /// A single-file log.
    pub fn file(path: impl Into<PathBuf>) -> Log {
        Log {
            layout: Layout::File(path.into()),
            share: None,
        }
    }

    /// A directory log shared through the git `remote`, `dir` being its work tree.
    pub fn shared(dir: impl Into<PathBuf>, remote: impl Into<String>) -> Log {
        let dir = dir.into();
        Log {
            share: Some(Share::new(dir.clone(), remote)),
            layout: Layout::Dir(dir),
        }
    }

    /// A directory log that is not shared (the shared layout, kept locally).
    pub fn dir(dir: impl Into<PathBuf>) -> Log {
        Log {
            layout: Layout::Dir(dir.into()),
            share: None,
        }
    }

    /// The log the config asks for: `path` or the data dir, shared when `share` is set.
    pub fn from_spec(spec: &HandoffSpec) -> Log {
        match &spec.share {
            Some(remote) => {
                let dir = spec
                    .path
                    .clone()
                    .unwrap_or_else(|| crate::paths::data_dir().join("handoff"));
                Log::shared(dir, remote.clone())
            }
            None => Log::file(
                spec.path
                    .clone()
                    .unwrap_or_else(|| crate::paths::data_dir().join("handoff.jsonl")),
            ),
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    pub fn share(&self) -> Option<&Share> {
        self.share.as_ref()
    }

    /// The file or directory to watch.
    pub fn root(&self) -> &Path {
        match &self.layout {
            Layout::File(p) | Layout::Dir(p) => p,
        }
    }

    /// The file an entry goes to: the log file, or its author's file for its (UTC) day.
    pub fn file_for(&self, entry: &Entry) -> PathBuf {
        match &self.layout {
            Layout::File(p) => p.clone(),
            Layout::Dir(dir) => {
                let t = entry.time;
                let name = format!("{:02}-{}.jsonl", t.day(), file_safe(&entry.author));
                dir.join(format!("{:04}", t.year()))
                    .join(format!("{:02}", t.month()))
                    .join(name)
            }
        }
    }

    /// The log's files that exist now, in a stable order.
    pub fn files(&self) -> io::Result<Vec<PathBuf>> {
        match &self.layout {
            Layout::File(p) => Ok(if p.exists() {
                vec![p.clone()]
            } else {
                Vec::new()
            }),
            Layout::Dir(dir) => {
                let mut out = Vec::new();
                collect_jsonl(dir, &mut out)?;
                out.sort();
                Ok(out)
            }
        }
    }

    /// Redact, validate and durably append `entry`; in a shared log, commit it too.
    /// For headless commands, which wait for both; the TUI saves and commits in two steps
    /// ([`Log::save`], [`Log::commit`]) so "saved" never waits on git.
    pub fn append(&self, entry: Entry) -> Result<Saved, StoreError> {
        let mut saved = self.save(entry)?;
        if let Err(e) = self.commit(&saved.entry) {
            saved.commit_error = Some(e.to_string());
        }
        Ok(saved)
    }

    /// Redact, validate and durably append `entry`. Returns once the line is fsynced: then
    /// the UI may say "saved".
    pub fn save(&self, entry: Entry) -> Result<Saved, StoreError> {
        self.save_with(entry, None)
    }

    /// [`Log::save`] for an entry that may already be on disk (a retry after a timeout
    /// whose first try did land): idempotent by entry id, it is written at most once.
    pub fn save_again(&self, entry: Entry) -> Result<Saved, StoreError> {
        let marker = store::IdMarker::new(&entry.id);
        self.save_with(entry, Some(marker))
    }

    fn save_with(&self, entry: Entry, once: Option<store::IdMarker>) -> Result<Saved, StoreError> {
        let (entry, masked) = redact_entry(entry);
        entry.validate()?;
        let mut json = serde_json::to_vec(&entry)?;
        // serde_json escapes control characters, so a line never holds a raw newline.
        json.retain(|&b| b != b'\n');
        let path = self.file_for(&entry);
        match &self.share {
            None => store::append_line(&path, &json, once.as_ref())?,
            Some(share) => {
                share.ensure_repo()?;
                let _shared = share.lock(false)?;
                store::append_line(&path, &json, once.as_ref())?;
            }
        }
        Ok(Saved {
            entry,
            masked,
            commit_error: None,
        })
    }

    /// In a shared log, commit what is saved and not yet committed (nothing to do for a
    /// local log). A failure loses nothing: the entry is on disk and the next sync commits.
    pub fn commit(&self, entry: &Entry) -> Result<(), StoreError> {
        match &self.share {
            None => Ok(()),
            Some(share) => share
                .commit_pending(&entry.author, &commit_message(entry))
                .map(|_| ())
                .map_err(StoreError::from),
        }
    }

    /// Read the whole log, oldest first. Bad lines are reported in `corrupt`, never fatal.
    pub fn load(&self) -> Result<Loaded, StoreError> {
        let files = self.files().map_err(|source| StoreError::Read {
            path: self.root().to_path_buf(),
            source,
        })?;
        let mut loaded = Loaded::default();
        for file in &files {
            let read = store::read_from(file, Cursor::default(), true)?;
            if loaded.entries.is_empty() {
                loaded.entries = read.entries;
            } else {
                loaded.entries.extend(read.entries);
            }
            loaded.corrupt.extend(read.corrupt);
        }
        // One file is nearly always in time order already; checking is a cheap scan, while
        // the stable sort would first set aside scratch space for half the entries.
        if !loaded.entries.is_sorted_by_key(|e| e.time) {
            loaded.entries.sort_by_key(|e| e.time);
        }
        Ok(loaded)
    }
}

/// Mask secrets in everything a person typed, and say which kinds were found.
fn redact_entry(mut entry: Entry) -> (Entry, Vec<&'static str>) {
    let mut masked: Vec<&'static str> = Vec::new();
    let mut clean = |s: &mut String| {
        let r = redact(s);
        if !r.found.is_empty() {
            *s = r.text;
            for kind in r.found {
                if !masked.contains(&kind) {
                    masked.push(kind);
                }
            }
        }
    };
    clean(&mut entry.text);
    entry.why.iter_mut().for_each(&mut clean);
    let refs = &mut entry.refs;
    for r in [
        &mut refs.check,
        &mut refs.host,
        &mut refs.env,
        &mut refs.drift,
        &mut refs.bug,
    ] {
        r.iter_mut().for_each(&mut clean);
    }
    entry.tags.iter_mut().for_each(&mut clean);
    (entry, masked)
}

fn commit_message(entry: &Entry) -> String {
    let mut head: String = entry.headline().chars().take(72).collect();
    if head.is_empty() && matches!(entry.kind, EntryKind::ShiftStart | EntryKind::ShiftEnd) {
        head = entry.author.clone();
    }
    format!("{}: {head}\n\nsheriff-entry: {}", entry.kind, entry.id)
}

/// An author name as a file name: no separators, no dot files, never empty.
fn file_safe(author: &str) -> String {
    let s: String = author
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    match s.trim_start_matches('.') {
        "" => "unknown".to_string(),
        t => t.to_string(),
    }
}

fn collect_jsonl(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        // Skip `.git` and any other hidden directory or file.
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_jsonl(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_layout_is_one_file_per_author_per_day() {
        let log = Log::dir("/x");
        let mut e = Entry::new(EntryKind::Note, "alex/../root", "hi");
        e.time = "2026-11-23T23:59:00Z".parse().expect("time");
        assert_eq!(
            log.file_for(&e),
            PathBuf::from("/x/2026/11/23-alex_.._root.jsonl")
        );
        e.author = "..".into();
        assert_eq!(
            log.file_for(&e),
            PathBuf::from("/x/2026/11/23-unknown.jsonl")
        );
    }

    #[test]
    fn append_masks_secrets_before_writing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = Log::file(dir.path().join("log.jsonl"));
        let saved = log
            .append(
                Entry::new(EntryKind::Change, "alex", "rotated DB_PASSWORD=hunter2")
                    .with_why("leaked"),
            )
            .expect("append");
        assert_eq!(saved.masked, vec!["password"]);
        let raw = fs::read_to_string(dir.path().join("log.jsonl")).expect("read");
        assert!(!raw.contains("hunter2") && raw.contains("DB_PASSWORD=••••"));
    }
}
