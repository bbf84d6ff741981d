//! One followed file between polls, as `tail -F` follows it: appended lines, the rest of
//! the old file and then the new one after a rotation by rename, the top again after a
//! truncation in place (`copytruncate`), and a file that appears only later.
//!
//! What polling cannot see, and `tail -F` does not either: lines appended and then cut off
//! by a `copytruncate` between two polls (they are in the copy, `app.log.1`), and a
//! truncation followed by as many bytes as were there before, within one poll.

use std::io::SeekFrom;
use std::path::Path;

use chrono::{DateTime, Utc};
use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::lines::LineCutter;
use super::parse::Format;
use super::LogLine;

/// The most read in one go; a file that grew by more is sent in several batches.
pub(super) const MAX_READ: usize = 256 * 1024;

/// How far back the first screen looks for the start of a line when the file ends in a
/// line longer than [`MAX_READ`].
const LONG_LINE_SCAN: u64 = 16 * 1024 * 1024;

/// (device, inode): what tells a rotated-in file from the one we have open.
pub(super) type FileId = (u64, u64);

/// The state of one followed file between polls.
pub(super) struct Follower {
    backlog: usize,
    open: Option<OpenFile>,
    /// Bytes into lines: cut, made printable, redacted, parsed.
    lines: LineCutter,
    /// The last read hit `MAX_READ`: there is more to read right away.
    pub(super) behind: bool,
    /// Whether the follower has looked at the path before. Only a file that was there at
    /// the first look shows a backlog: a rotated-in file, or one that appeared after the
    /// tail started, is read from its start, so no line written since is lost.
    seen: bool,
    /// The number the next file opened (or the file after a truncation) gets: lines carry
    /// it in their [`super::Origin`].
    next_file: u32,
}

struct OpenFile {
    file: File,
    id: Option<FileId>,
    pos: u64,
}

impl Follower {
    pub(super) fn new(source: String, backlog: usize, format: Format) -> Self {
        Follower {
            backlog,
            open: None,
            lines: LineCutter::with_format(source, format),
            behind: false,
            seen: false,
            next_file: 0,
        }
    }

    /// A follower for a file found after the tail started: read from its first line.
    pub(super) fn from_start(source: String, format: Format) -> Self {
        let mut follower = Follower::new(source, 0, format);
        follower.seen = true;
        follower
    }

    /// Reads what was appended since the last poll, following rotation and truncation.
    pub(super) async fn poll(&mut self, path: &Path) -> std::io::Result<Vec<LogLine>> {
        let mut lines = Vec::new();
        let on_disk = tokio::fs::metadata(path).await;
        // Rotated: the name now points at another file. Finish the old one first, so the
        // lines written just before the rotation are not lost.
        if let (Some(open), Ok(meta)) = (&self.open, &on_disk) {
            if open.id.is_some() && open.id != file_id(meta) {
                self.read_available(&mut lines).await?;
                if self.behind {
                    // More of the old file than one read: the rest of it comes first, on
                    // the next polls (which come at once while behind).
                    return Ok(lines);
                }
                self.lines.flush(&mut lines);
                self.open = None;
            }
        }
        if self.open.is_none() {
            // A file that vanished without a replacement: report, and keep what we read.
            if let Err(err) = on_disk {
                // Not there at the first look: whatever appears later is all new.
                self.seen = true;
                return if lines.is_empty() {
                    Err(err)
                } else {
                    Ok(lines)
                };
            }
            self.reopen(path).await?;
        }
        self.read_available(&mut lines).await?;
        Ok(lines)
    }

    /// The file it has open. While it is open its inode cannot be reused, so another name
    /// with this id is this file under a new name.
    pub(super) fn open_id(&self) -> Option<FileId> {
        self.open.as_ref().and_then(|o| o.id)
    }

    /// The last lines of a file that is going away: what is left, and a line without its
    /// newline.
    pub(super) async fn finish(&mut self) -> Vec<LogLine> {
        let mut lines = Vec::new();
        // An error here ends the file as much as its end does. At most 16 MiB: the lines
        // come in one batch.
        for _ in 0..64 {
            if self.read_available(&mut lines).await.is_err() || !self.behind {
                break;
            }
        }
        self.lines.flush(&mut lines);
        lines
    }

    async fn reopen(&mut self, path: &Path) -> std::io::Result<()> {
        let mut file = File::open(path).await?;
        let meta = file.metadata().await?;
        let pos = if self.seen {
            0
        } else {
            self.backlog_start(&mut file, meta.len()).await?
        };
        self.seen = true;
        self.start_file(pos);
        // Yearless times take their year from the file's mtime, as lnav does.
        self.lines
            .start_parser(meta.modified().ok().map(DateTime::<Utc>::from));
        let id = file_id(&meta);
        self.open = Some(OpenFile { file, id, pos });
        Ok(())
    }

    /// The bytes read from now on are a new file's (or the file's again after a truncation),
    /// from `offset` on.
    fn start_file(&mut self, offset: u64) {
        self.lines.at_file(self.next_file, offset);
        self.next_file = self.next_file.wrapping_add(1);
    }

    /// Where to start so that about `backlog` existing lines are shown: scan back from the
    /// end in blocks, counting newlines, over at most `MAX_READ` bytes; always at the start
    /// of a line, so a long last line is shown from its head (its level and time), looking
    /// back up to `LONG_LINE_SCAN` for it.
    async fn backlog_start(&self, file: &mut File, len: u64) -> std::io::Result<u64> {
        if self.backlog == 0 {
            return Ok(len);
        }
        let mut newlines = 0;
        let mut end = len;
        let mut block = vec![0u8; 16 * 1024];
        let mut line_start = None;
        while end > 0 {
            let scanned = len - end;
            if scanned >= LONG_LINE_SCAN || (scanned >= MAX_READ as u64 && line_start.is_some()) {
                break;
            }
            let start = end.saturating_sub(block.len() as u64);
            let n = (end - start) as usize;
            file.seek(SeekFrom::Start(start)).await?;
            file.read_exact(&mut block[..n]).await?;
            for i in (0..n).rev() {
                // The newline ending the last line does not start a new one.
                if block[i] == b'\n' && start + i as u64 + 1 != len {
                    newlines += 1;
                    line_start = Some(start + i as u64 + 1);
                    if newlines == self.backlog || len - start >= MAX_READ as u64 {
                        return Ok(start + i as u64 + 1);
                    }
                }
            }
            end = start;
        }
        // The top of the file, or (a line longer than `LONG_LINE_SCAN`) inside that line.
        Ok(line_start.filter(|_| end > 0).unwrap_or(end))
    }

    async fn read_available(&mut self, lines: &mut Vec<LogLine>) -> std::io::Result<()> {
        self.behind = false;
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        let len = open.file.metadata().await?.len();
        // Truncated in place (`> file`, copytruncate): start again from the top. A line
        // cut in half by the truncation is ended where it was cut.
        if len < open.pos {
            open.pos = 0;
            self.lines.flush(lines);
            self.start_file(0);
        }
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        if len == open.pos {
            return Ok(());
        }
        let want = ((len - open.pos) as usize).min(MAX_READ);
        let mut buf = vec![0u8; want];
        open.file.seek(SeekFrom::Start(open.pos)).await?;
        let mut got = 0;
        while got < want {
            match open.file.read(&mut buf[got..]).await? {
                0 => break,
                n => got += n,
            }
        }
        buf.truncate(got);
        open.pos += got as u64;
        self.behind = got == MAX_READ;
        self.lines.push(&buf, lines);
        Ok(())
    }
}

#[cfg(unix)]
pub(super) fn file_id(meta: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
pub(super) fn file_id(_meta: &std::fs::Metadata) -> Option<FileId> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn texts(lines: &[LogLine]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[tokio::test]
    async fn backlog_then_appends_then_partial_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
        let mut f = Follower::new("app".into(), 2, Format::Auto);
        let lines = f.poll(&path).await.unwrap();
        assert_eq!(texts(&lines), ["two", "three"]);
        let offsets: Vec<_> = lines.iter().map(|l| l.origin.map(|o| o.offset)).collect();
        assert_eq!(offsets, [Some(4), Some(8)]);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"four\nfi").unwrap();
        assert_eq!(texts(&f.poll(&path).await.unwrap()), ["four"]);
        file.write_all(b"ve ERROR\r\n").unwrap();
        let lines = f.poll(&path).await.unwrap();
        assert_eq!(texts(&lines), ["five ERROR"]);
        assert_eq!(lines[0].level, Some(crate::logs::Level::Error));
        assert!(f.poll(&path).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn rotation_finishes_the_old_file_then_reads_the_new() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "old\n").unwrap();
        let mut f = Follower::new("app".into(), 10, Format::Auto);
        assert_eq!(texts(&f.poll(&path).await.unwrap()), ["old"]);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"last words\n").unwrap();
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        std::fs::write(&path, "new\n").unwrap();
        let lines = f.poll(&path).await.unwrap();
        assert_eq!(texts(&lines), ["last words", "new"]);
        // Each line says where it starts: the old file (0) and the one after it (1).
        let origin = |file, offset| Some(crate::logs::Origin { file, offset });
        assert_eq!(lines[0].origin, origin(0, 4));
        assert_eq!(lines[1].origin, origin(1, 0));
        std::fs::write(&path, "c\n").unwrap();
        let lines = f.poll(&path).await.unwrap();
        assert_eq!(texts(&lines), ["c"]);
        assert_eq!(
            lines[0].origin,
            origin(2, 0),
            "a truncation starts a new file"
        );
    }

    #[tokio::test]
    async fn a_rotation_with_more_unread_than_one_read_loses_no_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "start\n").unwrap();
        let mut f = Follower::new("app".into(), 10, Format::Auto);
        assert_eq!(texts(&f.poll(&path).await.unwrap()), ["start"]);
        let burst: String = (0..40_000).map(|i| format!("old line {i:06}\n")).collect();
        assert!(burst.len() > 2 * MAX_READ);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(burst.as_bytes())
            .unwrap();
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        std::fs::write(&path, "new\n").unwrap();
        let mut got = Vec::new();
        for _ in 0..20 {
            got.extend(f.poll(&path).await.unwrap());
        }
        assert_eq!(got.len(), 40_001);
        assert_eq!(got[39_999].text, "old line 039999");
        assert_eq!(got[40_000].text, "new");
    }

    #[tokio::test]
    async fn a_file_ending_in_a_line_longer_than_a_read_shows_it_from_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let long = format!("ERROR dump {}\n", "x".repeat(3 * MAX_READ));
        std::fs::write(&path, format!("{}{long}", "short\n".repeat(1000))).unwrap();
        let mut f = Follower::new("app".into(), 200, Format::Auto);
        let lines = f.poll(&path).await.unwrap();
        assert!(
            lines[0].text.starts_with("ERROR dump"),
            "{:?}",
            &lines[0].text[..20]
        );
        assert_eq!(lines[0].level, Some(crate::logs::Level::Error));
        assert_eq!(lines[0].origin.map(|o| o.offset), Some(6000));
        // A long line before the last lines: the first screen keeps within one read, from a
        // line's start (the long line is read back when scrolling up).
        let tail = "end\n".repeat(10);
        std::fs::write(&path, format!("{}{long}{tail}", "short\n".repeat(1000))).unwrap();
        let mut f = Follower::new("app".into(), 200, Format::Auto);
        assert_eq!(texts(&f.poll(&path).await.unwrap()), ["end"; 10]);
    }

    #[tokio::test]
    async fn a_file_missing_at_the_start_is_read_from_its_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("late.log");
        let mut f = Follower::new("late".into(), 1, Format::Auto);
        assert!(f.poll(&path).await.is_err());
        std::fs::write(&path, "first\nsecond\n").unwrap();
        assert_eq!(texts(&f.poll(&path).await.unwrap()), ["first", "second"]);
    }

    #[tokio::test]
    async fn lines_carry_the_time_and_level_the_format_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("error.log");
        std::fs::write(&path, "2024/05/01 12:00:01 [warn] 12#12: *3 closed\n").unwrap();
        let mut f = Follower::new("nginx".into(), 10, Format::NginxError);
        let lines = f.poll(&path).await.unwrap();
        assert_eq!(lines[0].level, Some(crate::logs::Level::Warn));
        assert!(lines[0].time.is_some(), "{:?}", lines[0]);
    }
}
