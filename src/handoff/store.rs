//! One JSON Lines file: durable appends and fast, forgiving loads.
//!
//! Durability contract: [`append_line`] returns only after the whole line is on disk
//! (`fdatasync`), written under an exclusive `flock` so concurrent sheriffs never
//! interleave. A writer killed mid-line leaves a torn tail; the next appender fences it
//! off with a newline, so the torn fragment becomes one bad line that loading reports and
//! sets aside, and every entry after it still loads.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::Entry;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the handoff log {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot lock the handoff log {path}: {source}")]
    Lock { path: PathBuf, source: io::Error },
    #[error("cannot write to the handoff log {path}: {source} (the entry was NOT saved; retry)")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot read the handoff log {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("the entry is not valid: {0}")]
    Invalid(#[from] super::EntryError),
    #[error("cannot encode the entry as JSON: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot share the handoff log: {0}")]
    Share(#[from] super::share::ShareError),
}

/// A line that could not be read as an entry; set aside, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt {
    pub file: PathBuf,
    /// 1-based line number in `file`.
    pub line: usize,
    pub error: String,
}

impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.error)
    }
}

/// How far a file has been read: the byte just after the last complete line, and how many
/// lines precede it (for line numbers in reports).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub offset: u64,
    pub lines: usize,
}

/// An advisory lock (`flock(2)` on Linux, through `File::lock`) held until drop. `flock`
/// locks belong to the open file description, so the kernel also releases it when a killed
/// process's descriptors are closed: a crashed writer can never leave the log locked.
pub(crate) struct FileLock<'a>(&'a File);

impl<'a> FileLock<'a> {
    pub(crate) fn acquire(file: &'a File, exclusive: bool) -> io::Result<FileLock<'a>> {
        lock_file(file, exclusive)?;
        Ok(FileLock(file))
    }
}

/// Block until `file` is locked; the lock lasts until unlocked or the file is closed.
pub(crate) fn lock_file(file: &File, exclusive: bool) -> io::Result<()> {
    loop {
        let locked = if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        };
        // A signal (SIGWINCH from a resize) interrupts the wait; waiting again is right.
        match locked {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

impl Drop for FileLock<'_> {
    fn drop(&mut self) {
        // An unlock failure leaves the lock to be released when the file is closed.
        let _ = self.0.unlock();
    }
}

/// Append one JSON line (no newline inside) durably. Returns once it is fsynced.
pub fn append_line(path: &Path, json: &[u8], once: Option<&IdMarker>) -> Result<(), StoreError> {
    let open_err = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let write_err = |source| StoreError::Write {
        path: path.to_path_buf(),
        source,
    };
    // Private (0600, its directory 0700): a handoff log is nobody else's to read.
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::paths::create_private_dir(dir).map_err(open_err)?;
    }
    let file = crate::paths::open_private_append(path).map_err(open_err)?;
    let _lock = FileLock::acquire(&file, true).map_err(|source| StoreError::Lock {
        path: path.to_path_buf(),
        source,
    })?;

    let len = file.metadata().map_err(write_err)?.len();
    if let Some(marker) = once {
        // Under the lock, so a first try still in flight cannot slip in between.
        if marker.is_in(&file, len).map_err(write_err)? {
            return Ok(());
        }
    }
    let mut buf = Vec::with_capacity(json.len() + 2);
    if len > 0 {
        let mut last = [0u8; 1];
        file.read_exact_at(&mut last, len - 1).map_err(write_err)?;
        if last[0] != b'\n' {
            // A writer died mid-line: fence its fragment off so ours stays whole.
            buf.push(b'\n');
        }
    }
    buf.extend_from_slice(json);
    buf.push(b'\n');

    // One write(2) under the lock: with O_APPEND the line lands whole at the end.
    if let Err(e) = (&file).write_all(&buf).and_then(|()| file.sync_data()) {
        // Take back a partial line (disk full…) so a retry does not leave a fragment.
        let _ = file.set_len(len);
        return Err(write_err(e));
    }
    if len == 0 {
        // A new file is durable only once its directory entry is.
        sync_dir(path).map_err(write_err)?;
    }
    Ok(())
}

/// How an entry's id appears in its JSON line (`"id":"…"`), to tell whether an entry is
/// already in a file without parsing it.
#[derive(Debug, Clone)]
pub struct IdMarker(Vec<u8>);

impl IdMarker {
    pub fn new(id: &str) -> Self {
        let quoted = serde_json::to_string(id).unwrap_or_else(|_| format!("\"{id}\""));
        IdMarker(format!("\"id\":{quoted}").into_bytes())
    }

    /// Whether the first `len` bytes of `file` hold this id, read in blocks that overlap by
    /// the marker's length so a match across two blocks is not missed.
    fn is_in(&self, file: &File, len: u64) -> io::Result<bool> {
        const BLOCK: usize = 1 << 20;
        let finder = memchr::memmem::Finder::new(&self.0);
        let overlap = self.0.len().saturating_sub(1) as u64;
        let mut buf = vec![0u8; BLOCK];
        let mut start = 0u64;
        while start < len {
            let n = (len - start).min(BLOCK as u64) as usize;
            file.read_exact_at(&mut buf[..n], start)?;
            if finder.find(&buf[..n]).is_some() {
                return Ok(true);
            }
            if start + n as u64 >= len {
                break;
            }
            start += (n as u64).saturating_sub(overlap).max(1);
        }
        Ok(false)
    }
}

fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => File::open(dir)?.sync_all(),
        None => File::open(".")?.sync_all(),
    }
}

/// Entries and bad lines read from one file.
#[derive(Debug, Default)]
pub struct FileRead {
    pub entries: Vec<Entry>,
    pub corrupt: Vec<Corrupt>,
    pub cursor: Cursor,
}

/// Files (or unread tails) past this size are parsed in two halves on two threads.
const PARALLEL_FROM: u64 = 16 << 20;

/// Read the complete lines of `path` after `from`. With `to_end`, a final line that lacks
/// its newline is read too (a whole load); without it that tail is left for the next call,
/// because a writer may be in the middle of it (the watcher).
pub fn read_from(path: &Path, from: Cursor, to_end: bool) -> Result<FileRead, StoreError> {
    read_split(path, from, to_end, PARALLEL_FROM)
}

/// `read_from`, in two halves on two threads when more than `split_from` bytes are unread.
fn read_split(
    path: &Path,
    from: Cursor,
    to_end: bool,
    split_from: u64,
) -> Result<FileRead, StoreError> {
    let read_err = |source| StoreError::Read {
        path: path.to_path_buf(),
        source,
    };
    let len = match fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(FileRead {
                cursor: from,
                ..FileRead::default()
            })
        }
        Err(e) => return Err(read_err(e)),
    };
    let size = len.saturating_sub(from.offset);
    // ~150-250 bytes a line: reserving up front saves the vector's doublings.
    let expected = (size / 200) as usize;
    if size < split_from {
        return read_range(path, from, u64::MAX, to_end, expected);
    }
    // A big log (a 1M-entry file is ~200 MB) loads in half the time on two cores: parsing,
    // and the page faults of the memory it fills, split cleanly at a line boundary.
    let mid = next_line_start(path, from.offset + size / 2).map_err(read_err)?;
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| {
            read_range(
                path,
                Cursor {
                    offset: mid,
                    lines: 0,
                },
                u64::MAX,
                to_end,
                expected / 2,
            )
        });
        (read_range(path, from, mid, true, expected), second.join())
    });
    let mut out = first?;
    let mut second = match second {
        Ok(read) => read?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    for c in &mut second.corrupt {
        c.line += out.cursor.lines;
    }
    out.entries.append(&mut second.entries);
    out.corrupt.append(&mut second.corrupt);
    out.cursor = Cursor {
        offset: second.cursor.offset,
        lines: out.cursor.lines + second.cursor.lines,
    };
    Ok(out)
}

/// The offset just after the first newline at or after `at` (the file's end if none).
fn next_line_start(path: &Path, at: u64) -> io::Result<u64> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(at))?;
    let mut reader = BufReader::with_capacity(64 << 10, file);
    let mut skipped = Vec::new();
    let n = reader.read_until(b'\n', &mut skipped)?;
    Ok(at + n as u64)
}

/// Parse lines from `from` up to byte `end` (exclusive), reserving room for `capacity`.
fn read_range(
    path: &Path,
    from: Cursor,
    end: u64,
    to_end: bool,
    capacity: usize,
) -> Result<FileRead, StoreError> {
    let read_err = |source| StoreError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(read_err)?;
    file.seek(SeekFrom::Start(from.offset)).map_err(read_err)?;
    // Streamed through a 1 MiB buffer rather than read whole: a 200 MB log then costs no
    // 200 MB allocation (whose page faults alone took a fifth of the load time).
    let mut reader = BufReader::with_capacity(1 << 20, file.take(end.saturating_sub(from.offset)));
    let mut out = FileRead {
        entries: Vec::with_capacity(capacity),
        ..FileRead::default()
    };
    let mut cursor = from;
    let mut line = Vec::with_capacity(1024);
    loop {
        // Most lines lie whole inside the reader's buffer: parse them there, uncopied.
        let buf = reader.fill_buf().map_err(read_err)?;
        if buf.is_empty() {
            break;
        }
        if let Some(i) = memchr::memchr(b'\n', buf) {
            cursor.offset += i as u64 + 1;
            cursor.lines += 1;
            parse_line(&buf[..i], path, cursor.lines, true, &mut out);
            reader.consume(i + 1);
            continue;
        }
        // A line across the buffer's end (or the unfinished last line): gather it.
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(read_err)?;
        let complete = line.last() == Some(&b'\n');
        if !complete && !to_end {
            break;
        }
        cursor.offset += n as u64;
        cursor.lines += 1;
        let text = if complete { &line[..n - 1] } else { &line[..] };
        parse_line(text, path, cursor.lines, complete, &mut out);
    }
    out.cursor = cursor;
    Ok(out)
}

fn parse_line(text: &[u8], path: &Path, line: usize, complete: bool, out: &mut FileRead) {
    if text.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    // One UTF-8 check over the line, then `from_str`, is cheaper than `from_slice`, which
    // checks string by string (a tenth of a load's instructions, measured).
    let parsed = match std::str::from_utf8(text) {
        Ok(text) => serde_json::from_str::<Entry>(text)
            .map_err(|e| describe(text.as_bytes(), &e, !complete)),
        Err(e) => Err(format!(
            "not UTF-8 ({e}); set aside: {:?}",
            String::from_utf8_lossy(&text[..text.len().min(60)])
        )),
    };
    match parsed {
        Ok(entry) => out.entries.push(entry),
        Err(error) => out.corrupt.push(Corrupt {
            file: path.to_path_buf(),
            line,
            error,
        }),
    }
}

fn describe(line: &[u8], err: &serde_json::Error, last: bool) -> String {
    let snippet: String = String::from_utf8_lossy(&line[..line.len().min(60)]).into_owned();
    let torn = if err.is_eof() || last {
        " (torn: a writer was interrupted)"
    } else {
        ""
    };
    format!("{err}{torn}; set aside: {snippet:?}")
}

#[cfg(test)]
mod tests {
    use std::fs::OpenOptions;

    use super::*;
    use crate::handoff::EntryKind;

    fn line(text: &str) -> Vec<u8> {
        serde_json::to_vec(&Entry::new(EntryKind::Note, "alex", text)).expect("encodes")
    }

    #[test]
    fn a_lock_excludes_other_openers_until_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.jsonl");
        let ours = File::create(&path).expect("create");
        // A second open is another open file description, as another process's would be.
        let theirs = File::open(&path).expect("open again");
        let held = FileLock::acquire(&ours, true).expect("lock");
        assert!(matches!(
            theirs.try_lock_shared(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        theirs
            .try_lock()
            .expect("free once the holder drops its lock");
        // Closing a file releases its lock, as a killed writer's exit does.
        drop(theirs);
        ours.try_lock_shared()
            .expect("free once the other file is closed");
    }

    #[test]
    fn a_torn_tail_is_fenced_off_and_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.jsonl");
        append_line(&path, &line("one"), None).expect("append");
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(br#"{"id":"x","time":"2026-"#)
            .expect("torn write");
        append_line(&path, &line("two"), None).expect("append after torn");
        let read = read_from(&path, Cursor::default(), true).expect("read");
        let texts: Vec<_> = read.entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["one", "two"]);
        assert_eq!(read.corrupt.len(), 1);
        assert_eq!(read.corrupt[0].line, 2);
        assert!(
            read.corrupt[0].error.contains("torn"),
            "{}",
            read.corrupt[0].error
        );
    }

    #[test]
    fn a_split_read_equals_a_sequential_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.jsonl");
        for i in 0..200 {
            append_line(&path, &line(&format!("entry {i}")), None).expect("append");
            if i % 37 == 5 {
                let mut f = OpenOptions::new().append(true).open(&path).expect("open");
                f.write_all(b"not json\n").expect("junk");
            }
        }
        let whole = read_split(&path, Cursor::default(), true, u64::MAX).expect("sequential");
        for split_from in [0, 1, 5000] {
            let split = read_split(&path, Cursor::default(), true, split_from).expect("split");
            assert_eq!(split.entries, whole.entries);
            assert_eq!(split.corrupt, whole.corrupt);
            assert_eq!(split.cursor, whole.cursor);
        }
        assert_eq!(whole.entries.len(), 200);
        assert_eq!(
            whole.corrupt.iter().map(|c| c.line).collect::<Vec<_>>(),
            [7, 45, 83, 121, 159, 197]
        );
    }

    #[test]
    fn incremental_reads_leave_an_unfinished_line_for_later() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log.jsonl");
        append_line(&path, &line("one"), None).expect("append");
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        let two = line("two");
        f.write_all(&two[..10]).expect("half a line");
        let first = read_from(&path, Cursor::default(), false).expect("read");
        assert_eq!(first.entries.len(), 1);
        assert!(first.corrupt.is_empty());
        f.write_all(&two[10..])
            .and_then(|()| f.write_all(b"\n"))
            .expect("rest");
        let second = read_from(&path, first.cursor, false).expect("read more");
        assert_eq!(second.entries[0].text, "two");
        assert_eq!(second.cursor.lines, 2);
    }
}
