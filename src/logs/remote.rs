//! Following a file on a host over the SSH pool, exactly: each byte of the file is shown
//! once, across reconnects and rotations, and where bytes may really be missing a mark
//! says so (`⋯ gap: …`). A reconnect is marked too (`⋯ reconnected after 12s`).
//!
//! How:
//! - **Offsets are counted in bytes received**, from the pool's raw stream
//!   ([`SshPool::stream_raw`]): lines are cut here (as the local tail cuts them), so a
//!   non-UTF-8 byte or a 64 KiB piece cannot make the count drift. Only bytes that reached
//!   this task count; what the pool held when the connection dropped is read again.
//! - **One run of the host's script reads one file** (one inode) from an offset, and says
//!   first which inode and offset its bytes start at (see [`script`]). The run ends when
//!   that file is done (rotated away and read to its end), truncated, or the connection
//!   drops; this task then starts the next run from what it knows: the same inode at the
//!   saved offset, or the file now under the name from its start.
//! - **No rerun by the pool**: a raw stream is never run again after a reconnect (a rerun
//!   would start at the old offset and repeat lines). The next run is asked for at once;
//!   the pool holds it until the host is back, with its own backoff.
//! - **Resuming**: the same inode under the name, at least as long as the offset: go on,
//!   no mark. Another inode under the name: the old one is looked for next to it
//!   (`find -inum`, e.g. `app.log.1`) and read from the offset, then the new file from its
//!   start: nothing lost, no mark. The old one gone: a gap mark, then the new file from its
//!   start. The same inode, shorter than the offset (copytruncate): a gap mark, then from
//!   its start. Inode numbers are reused, so "the same inode" also means the bytes just
//!   before the offset are still the last ones received; other bytes there (a new file
//!   with the old number, or truncated and rewritten past the offset): a gap mark, then
//!   from its start. No file: said once, and waited for.
//! - **Rotation while connected** is seen by the script's poll (it never relies on
//!   `tail -F`'s messages on stderr); a truncation while connected is marked as a gap too,
//!   as lines written just before it may not have been read.
//! - **Backlog**: on the first start only, the last `backlog` lines of what the file holds
//!   when the script opens it; the script says at which offset they start.
//!
//! Not caught (as with the local tail): a file truncated and written past the old offset
//! between two polls (250 ms). Several rotations while disconnected: the file the tail was
//! in is finished, then the one under the name now is read; those in between are skipped
//! without a mark; while connected, so are files rotated in and out within one poll.

mod script;

use std::time::{Duration, Instant};

use self::script::{Change, Header, Start};
use super::lines::LineCutter;
use super::LogLine;
use crate::config::duration::format_duration;
use crate::event::{Event, Events};
use crate::transport::ssh::{OutputStream, SshPool, StreamItem, StreamReceiver};

/// Lines read in one go are sent as one batch of at most this many.
const BATCH: usize = 1024;
/// The wait before trying again after a run failed (the file unreadable, the host refusing).
const RETRY: Duration = Duration::from_secs(5);
/// How much of a run's stderr is kept.
const MAX_STDERR: usize = 4096;
/// The wait before running again when the file changed under the script's feet.
const AGAIN: Duration = Duration::from_millis(100);

/// One file on one host to follow.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteTail {
    /// The name lines carry, e.g. "app@web1".
    pub source: String,
    /// The host's name in the config (and the pool).
    pub host: String,
    pub path: String,
    /// Lines of existing content sent first, like `tail -n`.
    pub backlog: usize,
    /// How its lines are written (`[[log]] format`), `Auto` to tell from the first lines.
    pub format: crate::logs::parse::Format,
}

impl RemoteTail {
    pub fn new(
        source: impl Into<String>,
        host: impl Into<String>,
        path: impl Into<String>,
    ) -> Self {
        RemoteTail {
            source: source.into(),
            host: host.into(),
            path: path.into(),
            backlog: 200,
            format: crate::logs::parse::Format::Auto,
        }
    }

    /// The same tail reading its lines in `format`.
    pub fn with_format(self, format: crate::logs::parse::Format) -> Self {
        RemoteTail { format, ..self }
    }
}

/// Follows `tail.path` on `tail.host` until the receiver is gone, sending what it reads as
/// `LogLines`. Nothing ends it but the receiver: a host that is down is waited for, a file
/// that is missing too (said once), errors are said and tried again.
pub async fn run(tail: RemoteTail, pool: SshPool, tx: Events) {
    let mut reader = Reader::new(&tail);
    loop {
        if tx.is_closed() {
            return;
        }
        let command = script::command(&tail.path, &reader.start);
        let end = match pool.stream_raw(&tail.host, &command) {
            Ok(mut rx) => reader.follow(&mut rx, &tx).await,
            Err(err) => End::Pause(err.to_string()),
        };
        match end {
            End::Closed => return,
            End::Next => {}
            End::Again => tokio::time::sleep(AGAIN).await,
            End::Pause(why) => {
                let notice = format!(
                    "{}: cannot follow {} on {}: {why}; trying again in {}",
                    tail.source,
                    tail.path,
                    tail.host,
                    format_duration(RETRY)
                );
                reader.say(&tx, notice);
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

/// How a run ended, and what to do next.
enum End {
    /// Run again now (from where the reader is).
    Next,
    /// Run again after a moment.
    Again,
    /// Say why, wait, and run again.
    Pause(String),
    /// The receiver of events is gone.
    Closed,
}

/// What a tail knows between runs: where to go on, the unfinished last line, and what it
/// said already.
struct Reader {
    source: String,
    path: String,
    /// What the next run is asked for; a content header and each byte move it on.
    start: Start,
    lines: LineCutter,
    /// The current run's stdout before its content begins (header lines).
    head: Vec<u8>,
    in_content: bool,
    /// The current run started (its command runs on the host).
    running: bool,
    /// The current run's last words on stderr, for a failure's reason.
    stderr: Vec<u8>,
    /// When a run was cut by the connection, until the next one starts.
    cut_at: Option<Instant>,
    /// The last notice sent, not repeated while nothing changes.
    said: Option<String>,
    /// The number the next file read gets in its lines' [`super::Origin`].
    next_file: u32,
    /// The run that ended read its file to the end (rotated) or saw it truncated: the
    /// next bytes are another file's, even at the offset the last run left.
    new_file: bool,
}

impl Reader {
    fn new(tail: &RemoteTail) -> Reader {
        Reader {
            source: tail.source.clone(),
            path: tail.path.clone(),
            start: Start::Backlog(tail.backlog),
            lines: LineCutter::with_format(tail.source.clone(), tail.format.clone()),
            head: Vec::new(),
            in_content: false,
            running: false,
            stderr: Vec::new(),
            cut_at: None,
            said: None,
            next_file: 0,
            new_file: false,
        }
    }

    /// Reads one run to its end, sending lines as they come (waiting when the UI is
    /// behind: the host thread then stops reading and SSH holds the rest).
    async fn follow(&mut self, rx: &mut StreamReceiver, tx: &Events) -> End {
        self.head.clear();
        self.in_content = false;
        self.running = false;
        self.stderr.clear();
        let mut lines = Vec::new();
        loop {
            let mut end = match rx.recv().await {
                Some(item) => self.take(item, &mut lines, tx),
                // Closed without a word: the pool could not even say it was cut.
                None => Some(self.interrupted()),
            };
            while end.is_none() && lines.len() < BATCH {
                match rx.try_recv() {
                    Ok(item) => end = self.take(item, &mut lines, tx),
                    Err(_) => break,
                }
            }
            if !lines.is_empty() {
                let event = Event::LogLines {
                    source: self.source.clone(),
                    lines: std::mem::take(&mut lines),
                };
                if tx.send_data(event).await.is_err() {
                    return End::Closed;
                }
            }
            if let Some(end) = end {
                return end;
            }
        }
    }

    fn take(&mut self, item: StreamItem, lines: &mut Vec<LogLine>, tx: &Events) -> Option<End> {
        match item {
            StreamItem::Started { .. } => {
                self.running = true;
                if let Some(at) = self.cut_at.take() {
                    // Tenths are enough to read, and keep the mark short.
                    let away = Duration::from_millis(at.elapsed().as_millis() as u64 / 100 * 100);
                    let what = format!("reconnected after {}", format_duration(away));
                    lines.push(LogLine::mark(&self.source, &what));
                }
                None
            }
            StreamItem::Bytes {
                source: OutputStream::Stdout,
                data,
            } => self.stdout(&data, lines, tx),
            StreamItem::Bytes {
                source: OutputStream::Stderr,
                data,
            } => {
                self.stderr.extend_from_slice(&data);
                // Only the last words matter (the reason a run failed, the next file).
                let over = self.stderr.len().saturating_sub(MAX_STDERR);
                self.stderr.drain(..over);
                None
            }
            // A raw stream sends none.
            StreamItem::Line { .. } => None,
            StreamItem::Interrupted { .. } => Some(self.interrupted()),
            StreamItem::Exited { status, .. } => Some(self.exited(status, lines)),
            StreamItem::Failed(err) => Some(End::Pause(err.to_string())),
        }
    }

    fn interrupted(&mut self) -> End {
        if self.running && self.cut_at.is_none() {
            self.cut_at = Some(Instant::now());
        }
        End::Next
    }

    fn exited(&mut self, status: Option<i32>, lines: &mut Vec<LogLine>) -> End {
        match status {
            Some(script::FILE_DONE) => {
                self.lines.flush(lines);
                self.new_file = true;
                self.start = match script::next_file(&self.stderr) {
                    Some(id) => Start::Resume {
                        id,
                        offset: 0,
                        recent: Vec::new(),
                    },
                    None => Start::Top,
                };
                End::Next
            }
            Some(script::TRUNCATED) => {
                self.lines.flush(lines);
                self.new_file = true;
                let what = format!("gap: {} was truncated; lines may be missing", self.path);
                lines.push(LogLine::mark(&self.source, &what));
                if let Start::Resume { offset, recent, .. } = &mut self.start {
                    *offset = 0;
                    recent.clear();
                }
                End::Next
            }
            Some(script::TRY_AGAIN) => End::Again,
            other => {
                let stderr = String::from_utf8_lossy(&self.stderr);
                let said = stderr.lines().rfind(|l| !l.trim().is_empty());
                let said = said.unwrap_or_default().trim().to_string();
                End::Pause(match (said.is_empty(), other) {
                    (false, _) => said,
                    (true, Some(code)) => format!("its reader exited with {code}"),
                    (true, None) => "its reader was killed".to_string(),
                })
            }
        }
    }

    /// Stdout: header lines, then the file's bytes.
    fn stdout(&mut self, data: &[u8], lines: &mut Vec<LogLine>, tx: &Events) -> Option<End> {
        let mut data = data;
        while !self.in_content && !data.is_empty() {
            let Some(nl) = data.iter().position(|&b| b == b'\n') else {
                self.head.extend_from_slice(data);
                return (self.head.len() > script::MAX_HEADER)
                    .then(|| End::Pause("the host sent something that is not a tail".into()));
            };
            self.head.extend_from_slice(&data[..nl]);
            data = &data[nl + 1..];
            let line = std::mem::take(&mut self.head);
            match script::parse_header(&line) {
                Some(header) => self.header(header, lines, tx),
                None => {
                    let said = String::from_utf8_lossy(&line).into_owned();
                    return Some(End::Pause(format!("unexpected output {said:?}")));
                }
            }
        }
        if self.in_content && !data.is_empty() {
            if let Start::Resume { offset, recent, .. } = &mut self.start {
                *offset += data.len() as u64;
                recent.extend_from_slice(data);
                let over = recent.len().saturating_sub(script::CHECK);
                recent.drain(..over);
            }
            self.lines.push(data, lines);
        }
        None
    }

    fn header(&mut self, header: Header, lines: &mut Vec<LogLine>, tx: &Events) {
        match header {
            Header::Missing => {
                let notice = format!("{}: waiting for {}: no such file", self.source, self.path);
                self.say(tx, notice);
            }
            Header::Gone => {
                self.lines.flush(lines);
                let what = format!(
                    "gap: {} was replaced while disconnected and the old file is gone; lines may be missing",
                    self.path
                );
                lines.push(LogLine::mark(&self.source, &what));
                self.start = Start::Top;
            }
            Header::Content {
                id,
                offset,
                changed,
                ..
            } => {
                self.said = None;
                let resumed = matches!(&self.start, Start::Resume { id: i, offset: o, .. } if *i == id && *o == offset);
                if !resumed {
                    // Not where the last line was left: it ends here.
                    self.lines.flush(lines);
                }
                if !resumed || std::mem::take(&mut self.new_file) {
                    // Lines from here on say where they are in this file.
                    self.lines.at_file(self.next_file, offset);
                    self.next_file = self.next_file.wrapping_add(1);
                }
                let how = match changed {
                    Some(Change::Truncated) => Some("truncated"),
                    Some(Change::Replaced) => Some("replaced"),
                    None => None,
                };
                if let Some(how) = how {
                    let what = format!(
                        "gap: {} was {how} while disconnected; lines may be missing",
                        self.path
                    );
                    lines.push(LogLine::mark(&self.source, &what));
                }
                let recent = match &mut self.start {
                    Start::Resume { recent, .. } if resumed => std::mem::take(recent),
                    _ => Vec::new(),
                };
                self.start = Start::Resume { id, offset, recent };
                self.in_content = true;
            }
        }
    }

    /// Sends a notice unless it is the one sent last.
    fn say(&mut self, tx: &Events, notice: String) {
        if self.said.as_ref() != Some(&notice) {
            let _ = tx.send(Event::Notice(notice.clone()));
            self.said = Some(notice);
        }
    }
}
