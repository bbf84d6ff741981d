//! Reading back past the buffer: the lines of a local log before a given place, a page at
//! a time, from the file and then from its rotated copies (`app.log.1`, `app.log.2.gz`),
//! newest first, as `less` would show them scrolling up. A line dropped from the buffer is
//! still in its file, and this is how the Logs pane shows it again.
//!
//! A page is found by reading backwards from its end in blocks, so the first page of a
//! 2 GB file costs what its last few hundred lines do. A gzip'd copy cannot be read
//! backwards: it is inflated from its start each page, keeping only the page's lines.
//!
//! Reading is blocking; call it from `spawn_blocking`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::lines::LineCutter;
use super::parse::Format;
use super::{LogLine, Origin};

pub mod remote;

/// The lines a page holds, at most.
pub const PAGE_LINES: usize = 2000;
/// The bytes a page holds, at most: a page of lines longer than this starts inside its
/// first line.
pub(crate) const PAGE_BYTES: u64 = 4 * 1024 * 1024;
/// The most inflated from one gzip'd copy, as [`super::rotated`] reads them.
const MAX_INFLATED: u64 = 256 * 1024 * 1024;
/// What a backwards scan reads at once.
const BLOCK: usize = 64 * 1024;

/// Where a page ends: the lines of copy `copy` (0 the file itself, then its rotated
/// copies, newest first) that start before `offset` (`None`: all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Before {
    pub copy: usize,
    pub offset: Option<u64>,
}

impl Before {
    /// The lines before `origin`, a line of a tail whose latest file is number `latest`:
    /// the file `latest - origin.file` rotations back.
    pub fn origin(origin: Origin, latest: u32) -> Before {
        Before {
            copy: latest.wrapping_sub(origin.file) as usize,
            offset: Some(origin.offset),
        }
    }
}

/// A page of one source to read, as the Logs pane asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub source: String,
    pub before: Before,
}

/// Reads the page `request` asks for: finds its source's file in `config`, then reads it
/// here on a blocking thread, or on its host over `pool`.
pub async fn read_request(
    config: std::sync::Arc<crate::config::Config>,
    pool: Option<crate::transport::ssh::SshPool>,
    request: Request,
) -> Result<Page, String> {
    let Some((place, format)) = locate(&config, &request.source) else {
        return Err("its file is no longer in the config".into());
    };
    match place {
        Located::Here(path) => {
            let read = tokio::task::spawn_blocking(move || {
                read_page(&request.source, &path, format, request.before, PAGE_LINES)
                    .map_err(|err| format!("{}: {err}", path.display()))
            });
            read.await
                .unwrap_or_else(|err| Err(format!("reading stopped: {err}")))
        }
        Located::Host { host, path } => {
            let Some(pool) = pool else {
                return Err("the SSH pool is restarting; try again in a moment".into());
            };
            let file = remote::HostFile {
                pool: &pool,
                host: &host,
                path: &path,
            };
            remote::read_page(file, &request.source, format, request.before, PAGE_LINES).await
        }
    }
}

/// Where a source's file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// On this machine (a file, or one under an environment's root).
    Here(PathBuf),
    /// On a host, read over the SSH pool.
    Host { host: String, path: String },
}

/// One page of earlier lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Oldest first, made printable, masked and parsed as a tail's lines are.
    pub lines: Vec<LogLine>,
    /// Where the page before this one ends; `None` when this page starts at the top of
    /// the oldest copy.
    pub next: Option<Before>,
    /// The copy the page was read from.
    pub from: PathBuf,
}

/// The page of lines of `source`, whose file is `path`, that ends where `before` says:
/// read from the file or its rotated copies, going on to older copies while a page is
/// empty. An offset past the end of its copy is an error: that copy is not the file the
/// lines came from (it was replaced, or the copies were renamed by hand).
///
/// ```no_run
/// use sheriff::logs::earlier::{read_page, Before};
/// use sheriff::logs::parse::Format;
/// let path = std::path::Path::new("/var/log/syslog");
/// let end = Before { copy: 0, offset: None };
/// let last = read_page("syslog", path, Format::Auto, end, 100)?;
/// // The 100 lines before those, from syslog.1 when the file has no more.
/// let before = read_page("syslog", path, Format::Auto, last.next.unwrap(), 100)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_page(
    source: &str,
    path: &Path,
    format: Format,
    before: Before,
    max_lines: usize,
) -> std::io::Result<Page> {
    let mut copies = vec![path.to_path_buf()];
    copies.extend(super::rotated::list(path)?);
    let mut at = before;
    loop {
        let Some(copy) = copies.get(at.copy) else {
            return Ok(Page {
                lines: Vec::new(),
                next: None,
                from: copies.last().cloned().unwrap_or_default(),
            });
        };
        let (start, bytes, modified) = read_tail(copy, at.offset, max_lines.max(1))?;
        let next = next_after(at, start, copies.len());
        let lines = cut(source, format.clone(), modified, start, &bytes);
        match next {
            Some(next) if lines.is_empty() => at = next,
            _ => {
                return Ok(Page {
                    lines,
                    next,
                    from: copy.clone(),
                })
            }
        }
    }
}

/// Where the page before one read at `at`, starting at byte `start`, ends: earlier in the
/// same copy, else at the end of the next older one of `copies`; `None` at the top of the
/// oldest.
fn next_after(at: Before, start: u64, copies: usize) -> Option<Before> {
    if start > 0 {
        return Some(Before {
            copy: at.copy,
            offset: Some(start),
        });
    }
    (at.copy + 1 < copies).then_some(Before {
        copy: at.copy + 1,
        offset: None,
    })
}

/// The bytes of the last `max_lines` lines of `path` that start before `end`, where they
/// start, and the file's mtime (the year of yearless times).
fn read_tail(
    path: &Path,
    end: Option<u64>,
    max_lines: usize,
) -> std::io::Result<(u64, Vec<u8>, Option<DateTime<Utc>>)> {
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let modified = meta.modified().ok().map(DateTime::<Utc>::from);
    let gzip = path.extension().is_some_and(|e| e == "gz");
    let (start, bytes) = if gzip {
        inflated_tail(file, end, max_lines)?
    } else {
        let len = meta.len();
        let end = match end {
            Some(end) if end > len => return Err(not_the_file(path, end, len)),
            Some(end) => end,
            None => len,
        };
        let start = backwards_start(&mut file, end, max_lines)?;
        let mut bytes = vec![0; (end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut bytes)?;
        (start, bytes)
    };
    Ok((start, bytes, modified))
}

fn not_the_file(path: &Path, end: u64, len: u64) -> std::io::Error {
    std::io::Error::other(format!(
        "{} has {len} bytes, fewer than the {end} before the oldest line kept: it is not \
         the file that line came from any more",
        path.display()
    ))
}

/// Where the last `max_lines` lines before `end` start: after the newline that ends the
/// line before them, or the file's start, or `PAGE_BYTES` before `end` when they are that
/// long.
fn backwards_start(file: &mut std::fs::File, end: u64, max_lines: usize) -> std::io::Result<u64> {
    let floor = end.saturating_sub(PAGE_BYTES);
    let mut block = vec![0u8; BLOCK];
    let mut newlines = 0;
    let mut to = end;
    while to > floor {
        let from = to.saturating_sub(BLOCK as u64).max(floor);
        let n = (to - from) as usize;
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut block[..n])?;
        for i in (0..n).rev() {
            // The newline that ends the page's last line starts no line of the page.
            if block[i] == b'\n' && from + i as u64 + 1 != end {
                newlines += 1;
                if newlines == max_lines {
                    return Ok(from + i as u64 + 1);
                }
            }
        }
        to = from;
    }
    Ok(floor)
}

/// The last `max_lines` lines of a gzip'd copy that start before `end` (inflated bytes),
/// found by inflating it from the start and keeping only those.
fn inflated_tail(
    file: std::fs::File,
    end: Option<u64>,
    max_lines: usize,
) -> std::io::Result<(u64, Vec<u8>)> {
    // Multi: `gzip` appends members when a file is compressed in pieces.
    let inflated = flate2::read::MultiGzDecoder::new(file);
    let limit = end.unwrap_or(MAX_INFLATED).min(MAX_INFLATED);
    let mut reader = BufReader::new(inflated.take(limit));
    let mut kept: VecDeque<(u64, Vec<u8>)> = VecDeque::new();
    let mut kept_bytes = 0u64;
    let mut at = 0u64;
    loop {
        let mut line = Vec::new();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        kept_bytes += n as u64;
        kept.push_back((at, line));
        at += n as u64;
        while kept.len() > max_lines || (kept_bytes > PAGE_BYTES && kept.len() > 1) {
            if let Some((_, dropped)) = kept.pop_front() {
                kept_bytes -= dropped.len() as u64;
            }
        }
    }
    if let Some(end) = end.filter(|&end| end > at) {
        return Err(std::io::Error::other(format!(
            "the copy inflates to {at} bytes, fewer than the {end} before the oldest line \
             kept: it is not the file that line came from"
        )));
    }
    let start = kept.front().map_or(at, |(start, _)| *start);
    Ok((start, kept.into_iter().flat_map(|(_, line)| line).collect()))
}

/// `bytes` (from `start` in their file) into lines as a tail cuts them.
fn cut(
    source: &str,
    format: Format,
    modified: Option<DateTime<Utc>>,
    start: u64,
    bytes: &[u8],
) -> Vec<LogLine> {
    let mut cutter = LineCutter::with_format(source, format);
    cutter.start_parser(modified);
    cutter.at_file(0, start);
    let mut lines = Vec::new();
    cutter.push(bytes, &mut lines);
    cutter.flush(&mut lines);
    for line in &mut lines {
        // The offsets are of a copy, not of a file the tail opened.
        line.origin = None;
    }
    lines
}

/// Where the file of `source`'s lines is, and their format: a `[[log]]`'s file here, under
/// an environment's root or on a host, or a file its glob matches.
pub fn locate(config: &crate::config::Config, source: &str) -> Option<(Located, Format)> {
    use super::tail::LogPlan;
    for spec in &config.logs {
        for plan in super::tail::plan(spec, config) {
            let tail = match plan {
                LogPlan::File(tail) => tail,
                LogPlan::Remote(tail) if tail.source == source => {
                    let place = Located::Host {
                        host: tail.host,
                        path: tail.path,
                    };
                    return Some((place, tail.format));
                }
                _ => continue,
            };
            if !super::glob::is_glob(&tail.path) {
                if tail.source == source {
                    return Some((Located::Here(tail.path), tail.format));
                }
                continue;
            }
            let pattern = tail.path.to_string_lossy();
            let matched = super::glob::matches(&pattern).unwrap_or_default();
            if let Some(path) = matched
                .into_iter()
                .find(|p| super::glob::file_source(&tail.source, p) == source)
            {
                return Some((Located::Here(path), tail.format));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn texts(page: &Page) -> Vec<&str> {
        page.lines.iter().map(|l| l.text.as_str()).collect()
    }

    fn numbered(from: usize, to: usize) -> String {
        (from..to).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn pages_go_back_through_the_file_then_its_copies_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(numbered(0, 5).as_bytes()).unwrap();
        std::fs::write(dir.path().join("app.log.2.gz"), gz.finish().unwrap()).unwrap();
        std::fs::write(dir.path().join("app.log.1"), numbered(5, 8)).unwrap();
        std::fs::write(&log, numbered(8, 12)).unwrap();
        let mut at = Before {
            copy: 0,
            offset: Some(numbered(8, 10).len() as u64),
        };
        let mut seen = Vec::new();
        loop {
            let page = read_page("app", &log, Format::Auto, at, 2).unwrap();
            seen.push(texts(&page).join(","));
            match page.next {
                Some(next) => at = next,
                None => break,
            }
        }
        assert_eq!(
            seen,
            [
                "line 8,line 9",
                "line 6,line 7",
                "line 5",
                "line 3,line 4",
                "line 1,line 2",
                "line 0"
            ]
        );
    }

    #[test]
    fn a_page_ends_where_the_oldest_kept_line_starts_and_lines_are_masked() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        let text = "2026-12-01T10:00:00Z ERROR login password=hunter2hunter2\r\nsecond\nthird\n";
        std::fs::write(&log, text).unwrap();
        let before = Before::origin(
            Origin {
                file: 3,
                offset: text.find("third").unwrap() as u64,
            },
            3,
        );
        let page = read_page("app", &log, Format::Auto, before, 10).unwrap();
        assert_eq!(page.lines.len(), 2);
        assert!(
            !page.lines[0].text.contains("hunter2"),
            "{:?}",
            page.lines[0]
        );
        assert_eq!(page.lines[0].level, Some(crate::logs::Level::Error));
        assert!(page.lines[0].time.is_some());
        assert_eq!(page.lines[1].text, "second");
        assert_eq!(page.next, None);
    }

    #[test]
    fn an_offset_past_the_end_says_the_file_is_not_the_one() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        std::fs::write(&log, "short\n").unwrap();
        let before = Before {
            copy: 0,
            offset: Some(1000),
        };
        let err = read_page("app", &log, Format::Auto, before, 10).unwrap_err();
        assert!(err.to_string().contains("not the file"), "{err}");
    }

    #[test]
    fn a_page_of_very_long_lines_stops_at_the_byte_cap() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        let long = "x".repeat(3 * 1024 * 1024);
        std::fs::write(&log, format!("{long}\n{long}\nlast\n")).unwrap();
        let page = read_page(
            "app",
            &log,
            Format::Auto,
            Before {
                copy: 0,
                offset: None,
            },
            10,
        )
        .unwrap();
        let bytes: usize = page.lines.iter().map(|l| l.text.len()).sum();
        assert!(bytes as u64 <= PAGE_BYTES, "{bytes}");
        assert_eq!(page.lines.last().unwrap().text, "last");
        assert!(page.next.is_some());
    }
}
