//! The on-disk half of a row's history: one append-only JSON Lines file per row (see the
//! parent module for the format and why it is safe under kill -9 and two writers).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{History, RowKey, Sample};
use crate::checks::CheckStatus;

/// One directory of append-only files, one per row, so a sample costs one small write and
/// a kill -9 loses at most the line being written.
pub struct HistoryStore {
    dir: PathBuf,
    cap: usize,
    /// The file name of a row; replaced in tests to force two rows onto one file.
    name_of: fn(&RowKey) -> String,
    /// What this process last knew of each file, so an append counts only the lines
    /// written since instead of reading the whole file.
    tallies: Mutex<HashMap<RowKey, Tally>>,
}

/// A row's file as last seen (its header this row's): which file (a rewrite makes a new
/// one), how long, how many lines.
#[derive(Debug, Clone, Copy)]
struct Tally {
    dev: u64,
    ino: u64,
    len: u64,
    lines: u64,
}

/// The first line of a row's file.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Header {
    check: String,
    target: String,
    item: Option<String>,
}

/// One sample as a line of a row's file.
#[derive(Serialize, Deserialize)]
struct Line {
    at: DateTime<Utc>,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latency_ms: Option<f64>,
    #[serde(default)]
    values: Vec<(String, f64)>,
}

/// What the first line of an existing file says.
enum Owner {
    /// The file is empty: the row's first append writes the header.
    Nobody,
    /// The header names this row.
    This,
    /// The header names another row (the names collided).
    Other(Header),
    /// No readable header (a first write was torn): the file is rewritten.
    Unreadable,
}

/// Lines longer than this are skipped unread rather than held whole in memory; no line
/// sheriff writes comes near it.
const MAX_LINE: usize = 1 << 20;

/// A temporary file left by a process killed mid-rewrite is removed once this old.
const STALE_TEMP: Duration = Duration::from_secs(3600);

impl HistoryStore {
    /// Opens (creating it 0700) the directory that holds the rows' files; each row keeps
    /// `cap` samples (at least one).
    pub fn open(dir: &Path, cap: usize) -> io::Result<HistoryStore> {
        crate::paths::create_private_dir(dir)?;
        Ok(HistoryStore {
            dir: dir.to_path_buf(),
            cap: cap.max(1),
            name_of: hashed_name,
            tallies: Mutex::new(HashMap::new()),
        })
    }

    fn path_of(&self, key: &RowKey) -> PathBuf {
        self.dir.join((self.name_of)(key))
    }

    /// The last `cap` samples stored for `key`. A missing file, a file of another row, and
    /// lines that do not read as samples give fewer samples, never an error.
    pub fn load(&self, key: &RowKey) -> History {
        let mut history = History::new(self.cap);
        let Ok(file) = File::open(self.path_of(key)) else {
            return history;
        };
        let mut reader = BufReader::new(file);
        let mut line = Vec::new();
        match read_line(&mut reader, &mut line) {
            Ok(true) if is_header_of(&line, key) => {}
            _ => return history,
        }
        while let Ok(true) = read_line(&mut reader, &mut line) {
            if let Some(sample) = parse_sample(&line) {
                history.push(sample);
            }
        }
        history
    }

    /// Appends one sample to `key`'s file, creating it (0600) with its header, and
    /// rewriting it with the last `cap` samples once it holds 2×cap. Fails if the file
    /// belongs to another row, or on an I/O error; the history in memory is unaffected.
    pub fn append(&self, key: &RowKey, sample: &Sample) -> io::Result<()> {
        let path = self.path_of(key);
        let mut line = serde_json::to_vec(&to_line(sample)).map_err(io::Error::other)?;
        line.push(b'\n');
        // Another process's rewrite may replace the file between our open and our lock;
        // each such race costs one more try, and a few in a row mean something is wrong.
        for _ in 0..8 {
            let file = crate::paths::open_private_append(&path)?;
            lock(&file)?;
            let meta = file.metadata()?;
            let replaced = match fs::metadata(&path) {
                Ok(now) => (now.dev(), now.ino()) != (meta.dev(), meta.ino()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => true,
                Err(e) => return Err(e),
            };
            if replaced {
                continue;
            }
            return self.append_locked(&file, &meta, &path, key, &line);
        }
        Err(io::Error::other(format!(
            "{} kept being replaced while appending; is another sheriff rewriting it?",
            path.display()
        )))
    }

    /// `append` once `file` is locked and known to be the file at `path`.
    fn append_locked(
        &self,
        file: &File,
        meta: &fs::Metadata,
        path: &Path,
        key: &RowKey,
        line: &[u8],
    ) -> io::Result<()> {
        let len = meta.len();
        let known = self
            .tallies()
            .get(key)
            .copied()
            .filter(|t| (t.dev, t.ino) == (meta.dev(), meta.ino()) && t.len <= len);
        let (owner, lines) = match known {
            Some(t) => (Owner::This, t.lines + count_newlines(file, t.len, len)?),
            None => (owner_of(file, key)?, count_newlines(file, 0, len)?),
        };
        match owner {
            Owner::Other(theirs) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} holds the history of {} on {}, not of {} on {}; \
                         remove it to keep this row's history",
                        path.display(),
                        theirs.check,
                        theirs.target,
                        key.check,
                        key.target
                    ),
                ))
            }
            Owner::Unreadable => return self.rewrite(file, path, key, line, false),
            Owner::This if lines > 2 * self.cap as u64 => {
                return self.rewrite(file, path, key, line, true)
            }
            Owner::Nobody | Owner::This => {}
        }
        let mut buf = Vec::with_capacity(line.len() + 256);
        if len == 0 {
            buf.extend_from_slice(&header_line(key)?);
        } else {
            let mut last = [0u8; 1];
            file.read_exact_at(&mut last, len - 1)?;
            if last[0] != b'\n' {
                // A writer died mid-line: fence its fragment off so ours stays whole.
                buf.push(b'\n');
            }
        }
        buf.extend_from_slice(line);
        // One write(2) under the lock: with O_APPEND the line lands whole at the end.
        let mut writer = file;
        if let Err(e) = writer.write_all(&buf) {
            // Take back a partial line (disk full) so the file stays line-aligned.
            let _ = file.set_len(len);
            self.tallies().remove(key);
            return Err(e);
        }
        let written = buf.iter().filter(|&&b| b == b'\n').count() as u64;
        self.tallies().insert(
            key.clone(),
            Tally {
                dev: meta.dev(),
                ino: meta.ino(),
                len: len + buf.len() as u64,
                lines: lines + written,
            },
        );
        Ok(())
    }

    /// Replaces `path` (whose `file` is locked) by the header, the last cap-1 samples it
    /// holds (none when `keep` is false) and `line`.
    fn rewrite(
        &self,
        file: &File,
        path: &Path,
        key: &RowKey,
        line: &[u8],
        keep: bool,
    ) -> io::Result<()> {
        self.tallies().remove(key);
        let mut kept: VecDeque<Vec<u8>> = VecDeque::with_capacity(self.cap);
        if keep {
            let mut reader = BufReader::new(file);
            reader.seek(SeekFrom::Start(0))?;
            let mut text = Vec::new();
            read_line(&mut reader, &mut text)?; // the header
            while read_line(&mut reader, &mut text)? {
                if parse_sample(&text).is_some() {
                    if kept.len() + 1 >= self.cap {
                        kept.pop_front();
                    }
                    if self.cap > 1 {
                        kept.push_back(std::mem::take(&mut text));
                    }
                }
            }
        }
        let mut bytes = header_line(key)?;
        for text in &kept {
            bytes.extend_from_slice(text);
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(line);
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let temp = path.with_file_name(format!("{name}.tmp{}", std::process::id()));
        let renamed =
            crate::paths::write_private(&temp, &bytes).and_then(|()| fs::rename(&temp, path));
        if renamed.is_err() {
            let _ = fs::remove_file(&temp);
        }
        renamed
    }

    /// Removes the files of every row not in `keep` (rows no longer configured), and
    /// temporary files left by a killed rewrite; returns how many rows' files went.
    /// Files in the directory that sheriff did not name are left alone.
    pub fn forget_except(&self, keep: &[RowKey]) -> io::Result<usize> {
        let kept: HashSet<String> = keep.iter().map(self.name_of).collect();
        let mut removed = 0;
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some((row, _)) = name.split_once(".jsonl.tmp") {
                let old = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > STALE_TEMP);
                if old && is_row_file_stem(row) {
                    let _ = fs::remove_file(entry.path());
                }
                continue;
            }
            let Some(row) = name.strip_suffix(".jsonl") else {
                continue;
            };
            if is_row_file_stem(row) && !kept.contains(&name) {
                match fs::remove_file(entry.path()) {
                    Ok(()) => removed += 1,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        // A removed file's tally would describe a file that is gone.
        self.tallies().clear();
        Ok(removed)
    }

    fn tallies(&self) -> std::sync::MutexGuard<'_, HashMap<RowKey, Tally>> {
        // A tally is only a shortcut; one left by a panicking thread is still usable.
        self.tallies.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The first 32 hex digits of the SHA-256 of the row's header line, and `.jsonl`. The
/// header's JSON is an unambiguous encoding of the key (no separator a name could hold).
fn hashed_name(key: &RowKey) -> String {
    let header = header_line(key).unwrap_or_default();
    let digest = Sha256::digest(&header);
    let mut name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    name.push_str(".jsonl");
    name
}

fn is_row_file_stem(stem: &str) -> bool {
    !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_hexdigit())
}

fn header_line(key: &RowKey) -> io::Result<Vec<u8>> {
    let header = Header {
        check: key.check.clone(),
        target: key.target.clone(),
        item: key.item.clone(),
    };
    let mut line = serde_json::to_vec(&header).map_err(io::Error::other)?;
    line.push(b'\n');
    Ok(line)
}

fn is_header_of(line: &[u8], key: &RowKey) -> bool {
    serde_json::from_slice::<Header>(line)
        .is_ok_and(|h| h.check == key.check && h.target == key.target && h.item == key.item)
}

/// Whose file `file` is, from its first line.
fn owner_of(file: &File, key: &RowKey) -> io::Result<Owner> {
    let mut reader = BufReader::new(file);
    reader.seek(SeekFrom::Start(0))?;
    let mut line = Vec::new();
    let n = reader
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(Owner::Nobody);
    }
    // A header without its newline is a torn first write (or not sheriff's).
    if !line.ends_with(b"\n") {
        return Ok(Owner::Unreadable);
    }
    line.pop();
    Ok(match serde_json::from_slice::<Header>(&line) {
        Ok(h) if h.check == key.check && h.target == key.target && h.item == key.item => {
            Owner::This
        }
        Ok(h) => Owner::Other(h),
        Err(_) => Owner::Unreadable,
    })
}

/// Newlines in bytes `from..to` of `file`: the lines there, less a torn fragment at the end
/// (which the next append's fence turns into a line, and counts then).
fn count_newlines(file: &File, from: u64, to: u64) -> io::Result<u64> {
    let mut buf = vec![0u8; 64 << 10];
    let (mut at, mut lines) = (from, 0u64);
    while at < to {
        let n = (to - at).min(buf.len() as u64) as usize;
        file.read_exact_at(&mut buf[..n], at)?;
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        at += n as u64;
    }
    Ok(lines)
}

/// Reads the next line into `line` without its newline; false at the end of the file. A
/// line longer than [`MAX_LINE`] comes back empty, skipped to its end.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    let n = reader
        .by_ref()
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', line)?;
    if n == 0 {
        return Ok(false);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if n > MAX_LINE {
        line.clear();
        loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            if let Some(i) = buf.iter().position(|&b| b == b'\n') {
                reader.consume(i + 1);
                break;
            }
            let all = buf.len();
            reader.consume(all);
        }
    }
    Ok(true)
}

fn to_line(sample: &Sample) -> Line {
    Line {
        at: sample.at,
        status: sample.status.as_str().to_string(),
        // JSON has no NaN: serde_json would write `null`, which would not read back.
        latency_ms: sample.latency_ms.filter(|l| l.is_finite()),
        values: sample
            .values
            .iter()
            .filter(|(_, v)| v.is_finite())
            .cloned()
            .collect(),
    }
}

fn parse_sample(text: &[u8]) -> Option<Sample> {
    let line: Line = serde_json::from_slice(text).ok()?;
    let status = CheckStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == line.status)?;
    Some(Sample {
        at: line.at,
        status,
        latency_ms: line.latency_ms,
        values: line.values,
    })
}

/// Blocks until `file` is locked exclusively; closing it releases the lock, so a killed
/// writer never leaves a row locked.
fn lock(file: &File) -> io::Result<()> {
    loop {
        match file.lock() {
            // A signal (SIGWINCH from a resize) interrupts the wait; waiting again is right.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use std::fs::OpenOptions;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn key(check: &str, item: Option<&str>) -> RowKey {
        RowKey {
            check: check.to_string(),
            target: "prod".to_string(),
            item: item.map(str::to_string),
        }
    }

    fn at(minute: i64) -> DateTime<Utc> {
        let start = DateTime::from_timestamp(1_767_225_600, 0).expect("a valid time");
        start + TimeDelta::minutes(minute)
    }

    fn sample(minute: i64, status: CheckStatus) -> Sample {
        Sample {
            at: at(minute),
            status,
            latency_ms: Some(40.0 + minute as f64),
            values: vec![("used".to_string(), 0.5 + minute as f64)],
        }
    }

    fn put(store: &HistoryStore, row: &RowKey, minute: i64, status: CheckStatus) {
        store.append(row, &sample(minute, status)).expect("append");
    }

    fn minutes(history: &History) -> Vec<i64> {
        history
            .samples()
            .map(|s| (s.at - at(0)).num_minutes())
            .collect()
    }

    fn file_lines(store: &HistoryStore, key: &RowKey) -> Vec<String> {
        let text = fs::read_to_string(store.path_of(key)).expect("read the row's file");
        text.lines().map(str::to_string).collect()
    }

    fn append_raw(store: &HistoryStore, key: &RowKey, bytes: &[u8]) {
        let mut f = OpenOptions::new()
            .append(true)
            .open(store.path_of(key))
            .expect("open");
        f.write_all(bytes).expect("raw write");
    }

    #[test]
    fn samples_come_back_as_they_were_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = HistoryStore::open(&dir.path().join("history"), 10).expect("open");
        let row = key("disk", Some("/var"));
        let written = vec![
            sample(0, CheckStatus::Ok),
            Sample {
                latency_ms: None,
                values: vec![],
                ..sample(1, CheckStatus::Critical)
            },
            sample(2, CheckStatus::Unknown),
            sample(3, CheckStatus::Warning),
        ];
        for s in &written {
            store.append(&row, s).expect("append");
        }
        let loaded = store.load(&row);
        assert_eq!(loaded.samples().cloned().collect::<Vec<_>>(), written);
        // A person reading the file can tell which row it is.
        let header = &file_lines(&store, &row)[0];
        assert_eq!(header, r#"{"check":"disk","target":"prod","item":"/var"}"#);
        assert_eq!(store.load(&key("disk", None)).len(), 0, "another row");
    }

    #[test]
    fn files_and_their_directory_are_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store_dir = dir.path().join("state/history");
        let store = HistoryStore::open(&store_dir, 10).expect("open");
        let row = key("http", None);
        put(&store, &row, 0, CheckStatus::Ok);
        let mode = |p: &Path| fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&store_dir), 0o700);
        assert_eq!(mode(&store.path_of(&row)), 0o600);
        let name = store.path_of(&row);
        let name = name.file_name().and_then(|n| n.to_str()).expect("a name");
        assert_eq!(name.len(), 32 + ".jsonl".len());
    }

    #[test]
    fn the_ring_and_a_load_keep_the_newest_cap_samples() {
        let mut ring = History::new(3);
        for m in 0..5 {
            ring.push(sample(m, CheckStatus::Ok));
        }
        assert_eq!(minutes(&ring), [2, 3, 4]);
        assert_eq!(ring.last().map(|s| s.at), Some(at(4)));

        let dir = tempfile::tempdir().expect("tempdir");
        let store = HistoryStore::open(dir.path(), 5).expect("open");
        let row = key("http", None);
        for m in 0..12 {
            put(&store, &row, m, CheckStatus::Ok);
        }
        assert_eq!(minutes(&store.load(&row)), [7, 8, 9, 10, 11]);
    }

    #[test]
    fn a_torn_line_is_skipped_and_the_next_append_starts_a_fresh_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = HistoryStore::open(dir.path(), 100).expect("open");
        let row = key("http", None);
        put(&store, &row, 0, CheckStatus::Ok);
        put(&store, &row, 1, CheckStatus::Ok);
        // What a kill -9 in the middle of a write leaves.
        append_raw(&store, &row, br#"{"at":"2026-01-01T00:02:00Z","sta"#);
        assert_eq!(minutes(&store.load(&row)), [0, 1]);
        put(&store, &row, 3, CheckStatus::Critical);
        let loaded = store.load(&row);
        assert_eq!(minutes(&loaded), [0, 1, 3]);
        assert_eq!(loaded.last().map(|s| s.status), Some(CheckStatus::Critical));
        assert_eq!(file_lines(&store, &row).len(), 5, "header, 2, torn, 1");
    }

    #[test]
    fn a_corrupt_middle_line_loses_only_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = HistoryStore::open(dir.path(), 100).expect("open");
        let row = key("http", None);
        put(&store, &row, 0, CheckStatus::Ok);
        append_raw(&store, &row, b"\xff\xfe not json\n");
        append_raw(
            &store,
            &row,
            br#"{"at":"2026-01-01T00:01:00Z","status":"sideways"}"#,
        );
        append_raw(&store, &row, b"\n\n");
        // A line too long to be sheriff's is skipped without being held whole.
        let mut huge = vec![b'x'; MAX_LINE + 10];
        huge.push(b'\n');
        append_raw(&store, &row, &huge);
        put(&store, &row, 2, CheckStatus::Ok);
        assert_eq!(minutes(&store.load(&row)), [0, 2]);
    }

    #[test]
    fn a_first_write_torn_inside_the_header_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = HistoryStore::open(dir.path(), 100).expect("open");
        let row = key("http", None);
        fs::write(store.path_of(&row), br#"{"check":"ht"#).expect("torn header");
        assert!(store.load(&row).is_empty());
        put(&store, &row, 0, CheckStatus::Ok);
        assert_eq!(minutes(&store.load(&row)), [0]);
    }

    #[test]
    fn two_rows_on_one_file_name_never_mix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = HistoryStore::open(dir.path(), 100).expect("open");
        store.name_of = |_| "same.jsonl".to_string();
        let (disk, http) = (key("disk", Some("/")), key("http", None));
        put(&store, &disk, 0, CheckStatus::Ok);
        let err = store
            .append(&http, &sample(1, CheckStatus::Critical))
            .expect_err("the file is the disk row's");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(err.to_string().contains("disk on prod"), "{err}");
        assert!(store.load(&http).is_empty());
        assert_eq!(minutes(&store.load(&disk)), [0]);

        // The same when the file was written by another process (no tally here).
        let fresh = HistoryStore {
            name_of: |_| "same.jsonl".to_string(),
            ..HistoryStore::open(dir.path(), 100).expect("open")
        };
        assert!(fresh.append(&http, &sample(2, CheckStatus::Ok)).is_err());
        assert_eq!(minutes(&fresh.load(&disk)), [0]);
    }

    #[test]
    fn forget_except_removes_only_other_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = HistoryStore::open(dir.path(), 100).expect("open");
        let rows = [
            key("disk", Some("/")),
            key("disk", Some("/var")),
            key("http", None),
        ];
        for row in &rows {
            put(&store, row, 0, CheckStatus::Ok);
        }
        fs::write(dir.path().join("README"), "mine").expect("a file of the user's");
        assert_eq!(store.forget_except(&rows[2..]).expect("forget"), 2);
        assert!(store.load(&rows[0]).is_empty());
        assert!(store.load(&rows[1]).is_empty());
        assert_eq!(store.load(&rows[2]).len(), 1);
        assert!(dir.path().join("README").exists());
        assert_eq!(store.forget_except(&rows[2..]).expect("again"), 0);
        // A forgotten row that comes back starts afresh.
        put(&store, &rows[0], 5, CheckStatus::Ok);
        assert_eq!(minutes(&store.load(&rows[0])), [5]);
    }

    #[test]
    fn ten_thousand_appends_stay_within_twice_the_cap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cap = 50;
        let store = HistoryStore::open(dir.path(), cap).expect("open");
        let row = key("http", None);
        for m in 0..10_000 {
            put(&store, &row, m, CheckStatus::Ok);
            if m % 997 == 0 {
                let samples = file_lines(&store, &row).len() - 1;
                assert!(samples <= 2 * cap, "{samples} samples after {m}");
            }
        }
        let samples = file_lines(&store, &row).len() - 1;
        assert!((cap..=2 * cap).contains(&samples), "{samples}");
        let expected: Vec<i64> = (10_000 - cap as i64..10_000).collect();
        assert_eq!(minutes(&store.load(&row)), expected);
        // No temporary file is left behind by the rewrites.
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 1);
    }

    #[test]
    fn concurrent_appenders_never_interleave_within_a_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let row = key("http", None);
        // Each store opens its own file descriptions and keeps its own tallies, as a
        // second sheriff process would; a small cap makes them race with rewrites too.
        for cap in [10_000, 20] {
            let path = {
                let store = HistoryStore::open(dir.path(), cap).expect("open");
                let _ = fs::remove_file(store.path_of(&row));
                store.path_of(&row)
            };
            std::thread::scope(|scope| {
                for t in 0..4 {
                    let (row, dir) = (&row, dir.path());
                    scope.spawn(move || {
                        let store = HistoryStore::open(dir, cap).expect("open");
                        for m in 0..250 {
                            let mut s = sample(t * 1000 + m, CheckStatus::Ok);
                            s.values.push(("padding".repeat(50), 1.0));
                            store.append(row, &s).expect("append");
                        }
                    });
                }
            });
            let text = fs::read_to_string(&path).expect("read");
            let mut lines = text.lines();
            assert!(is_header_of(lines.next().unwrap_or("").as_bytes(), &row));
            for line in lines {
                assert!(parse_sample(line.as_bytes()).is_some(), "mixed: {line}");
            }
            let store = HistoryStore::open(dir.path(), cap).expect("open");
            assert_eq!(store.load(&row).len(), cap.min(1000));
        }
    }

    #[test]
    fn numbers_that_are_not_finite_are_left_out_not_lost_with_the_sample() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = HistoryStore::open(dir.path(), 10).expect("open");
        let row = key("prom", Some("up"));
        let s = Sample {
            at: at(0),
            status: CheckStatus::Ok,
            latency_ms: Some(f64::INFINITY),
            values: vec![("a".into(), f64::NAN), ("b".into(), 2.0)],
        };
        store.append(&row, &s).expect("append");
        let loaded = store.load(&row);
        let got = loaded.last().expect("the sample is kept");
        assert_eq!(got.latency_ms, None);
        assert_eq!(got.values, [("b".to_string(), 2.0)]);
    }

    #[test]
    fn series_and_latencies_read_the_window_the_caller_asks_for() {
        let mut ring = History::new(100);
        for m in 0..10 {
            ring.push(sample(m, CheckStatus::Ok));
        }
        ring.push(Sample {
            values: vec![("used".into(), f64::NAN)],
            latency_ms: None,
            ..sample(10, CheckStatus::Ok)
        });
        let series = ring.series("used", at(10), Duration::from_secs(3 * 60));
        assert_eq!(series, [(at(7), 7.5), (at(8), 8.5), (at(9), 9.5)]);
        assert!(ring.series("free", at(10), Duration::MAX).is_empty());
        assert_eq!(ring.series("used", at(10), Duration::MAX).len(), 10);
        assert_eq!(ring.latencies().count(), 10);
        assert_eq!(ring.latencies().next(), Some(40.0));
    }
}
