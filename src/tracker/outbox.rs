//! The outbox: every bug is a file here (`outbox/ID.json` in the data dir, written to a
//! temporary name, fsynced and renamed) before any network call, and leaves only once a
//! tracker took it. Sending an item holds an exclusive `flock` on its `ID.lock`, so two
//! sheriff processes on one machine never send the same bug; a killed sender's lock goes
//! with its descriptors, and the next start sends what it left.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::record::Source;
use super::{Bug, Destination, IssueRef};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queued {
    pub id: String,
    pub queued_at: DateTime<Utc>,
    pub bug: Bug,
    #[serde(default)]
    pub to: Destination,
    /// File a new bug even when an open one has the fingerprint (`--new`).
    #[serde(default)]
    pub new: bool,
    /// The sheriff chose to comment on this issue instead of filing.
    #[serde(default)]
    pub comment_on: Option<IssueRef>,
    #[serde(default)]
    pub source: Source,
    #[serde(default)]
    pub attempts: u32,
    pub next_try: DateTime<Utc>,
    #[serde(default)]
    pub last_error: Option<String>,
    /// False after an error that retrying alone will not fix (a refused token): the item
    /// waits for `sheriff bugs queue --retry` instead of being sent again and again.
    #[serde(default = "yes")]
    pub retrying: bool,
    /// Filed by an `[[autofile]]` rule, not by a sheriff.
    #[serde(default)]
    pub autofiled: bool,
}

fn yes() -> bool {
    true
}

impl Queued {
    pub fn new(bug: Bug, to: Destination, source: Source) -> Queued {
        let now = Utc::now();
        Queued {
            id: format!(
                "{}-{:08x}",
                now.format("%Y%m%dT%H%M%S"),
                rand::random::<u32>()
            ),
            queued_at: now,
            bug,
            to,
            new: false,
            comment_on: None,
            source,
            attempts: 0,
            next_try: now,
            last_error: None,
            retrying: true,
            autofiled: false,
        }
    }

    /// After a failed try: when to try again. Doubling from 30 s up to an hour, or what
    /// the tracker asked for (`Retry-After`), whichever is later.
    pub fn failed(&mut self, error: &super::TrackerError, now: DateTime<Utc>) {
        self.attempts += 1;
        self.last_error = Some(error.to_string());
        self.retrying = error.retryable();
        let backoff =
            Duration::from_secs((30u64 << self.attempts.min(7).saturating_sub(1)).min(3600));
        let wait = error
            .retry_after()
            .map_or(backoff, |asked| asked.max(Duration::from_secs(1)));
        self.next_try =
            now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
    }

    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.retrying && self.next_try <= now
    }
}

#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

/// The right to send one item, until dropped.
#[derive(Debug)]
pub struct Claim {
    _lock: File,
}

impl Outbox {
    pub fn at(dir: PathBuf) -> Outbox {
        Outbox { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn item_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Writes the item durably: when this returns, a crash cannot lose it.
    pub fn put(&self, item: &Queued) -> std::io::Result<()> {
        crate::paths::create_private_dir(&self.dir)?;
        let json = serde_json::to_vec_pretty(item).map_err(std::io::Error::other)?;
        let tmp = self.dir.join(format!(".{}.tmp", item.id));
        {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)?;
            file.write_all(&json)?;
            file.sync_all()?;
        }
        fs::rename(&tmp, self.item_path(&item.id))?;
        File::open(&self.dir)?.sync_all()
    }

    pub fn get(&self, id: &str) -> Option<Queued> {
        let text = fs::read(self.item_path(id)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Every queued item, oldest first.
    pub fn list(&self) -> Vec<Queued> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut items: Vec<Queued> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let id = name.strip_suffix(".json")?;
                if id.starts_with('.') {
                    return None;
                }
                self.get(id)
            })
            .collect();
        items.sort_by(|a, b| (a.queued_at, &a.id).cmp(&(b.queued_at, &b.id)));
        items
    }

    /// Takes the item's lock without waiting: `None` when another process is sending it.
    pub fn claim(&self, id: &str) -> std::io::Result<Option<Claim>> {
        crate::paths::create_private_dir(&self.dir)?;
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.dir.join(format!("{id}.lock")))?;
        match lock.try_lock() {
            Ok(()) => Ok(Some(Claim { _lock: lock })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Removes a sent (or dropped) item, durably.
    pub fn remove(&self, id: &str) -> std::io::Result<()> {
        match fs::remove_file(self.item_path(id)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let _ = fs::remove_file(self.dir.join(format!("{id}.lock")));
        File::open(&self.dir)?.sync_all()
    }
}
