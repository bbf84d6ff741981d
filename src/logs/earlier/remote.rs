//! Pages of a file on a host, read over the SSH pool with `sh` and coreutils only, as
//! [`super::read_page`] reads them here: the file, then its rotated copies beside it.
//!
//! A page is one round trip: `dd` skips to a block before where the page ends (so the host
//! reads at most a page's bytes, not the file up to it), `head -c` stops at the end and
//! `tail` keeps the page's lines, so only those cross the network. A gzip'd copy is
//! inflated on the host from its start, and only the page's lines come back.

use std::time::Duration;

use super::{cut, next_after, Before, Page, PAGE_BYTES};
use crate::logs::parse::Format;
use crate::transport::ssh::known_hosts::shell_quote;
use crate::transport::ssh::SshPool;

/// How long one round trip may take.
const TIMEOUT: Duration = Duration::from_secs(15);
/// The most a gzip'd copy is inflated on the host to find its length.
const MAX_INFLATED: u64 = 256 * 1024 * 1024;

/// Lists the copies beside the file (NUL-separated names; `find -printf` is GNU's).
const LIST: &str = r#"d=$1 b=$2
find "$d" -maxdepth 1 -name "$b*" -printf '%f\0' 2>/dev/null"#;

/// Prints `sheriff-page END MTIME`, then the page's bytes (see the module's comment).
/// Exits 4 when the file is shorter than END: it is not the file the lines came from.
const PAGE: &str = r#"f=$1 end=$2 lines=$3 max=$4 inflate=$5
mtime=$(stat -L -c %Y -- "$f") || exit 3
if [ -n "$inflate" ]; then
  [ -n "$end" ] || end=$(gzip -dc -- "$f" | head -c "$inflate" | wc -c)
  echo "sheriff-page $end $mtime"
  gzip -dc -- "$f" | head -c "$end" | tail -n "$lines" | tail -c "$max"
  exit 0
fi
size=$(stat -L -c %s -- "$f") || exit 3
[ -n "$end" ] || end=$size
if [ "$end" -gt "$size" ]; then echo "sheriff-page short $size"; exit 4; fi
from=$(( end > max ? (end - max) / 4096 : 0 ))
echo "sheriff-page $end $mtime"
dd if="$f" bs=4096 skip="$from" 2>/dev/null | head -c $((end - from * 4096)) | tail -n "$lines" | tail -c "$max""#;

/// Where the file a remote line came from is, and how to read it.
pub struct HostFile<'a> {
    pub pool: &'a SshPool,
    pub host: &'a str,
    pub path: &'a str,
}

/// The page of lines of `source` on `file` that ends where `before` says, going on to
/// older copies while a page is empty, as [`super::read_page`] does here.
pub async fn read_page(
    file: HostFile<'_>,
    source: &str,
    format: Format,
    before: Before,
    max_lines: usize,
) -> Result<Page, String> {
    let copies = copies(&file).await?;
    let mut at = before;
    loop {
        let Some(copy) = copies.get(at.copy) else {
            return Ok(Page {
                lines: Vec::new(),
                next: None,
                from: copies.last().cloned().unwrap_or_default().into(),
            });
        };
        let (start, bytes, modified) = page(&file, copy, at.offset, max_lines.max(1)).await?;
        let next = next_after(at, start, copies.len());
        let lines = cut(source, format.clone(), modified, start, &bytes);
        match next {
            Some(next) if lines.is_empty() => at = next,
            _ => {
                return Ok(Page {
                    lines,
                    next,
                    from: copy.into(),
                })
            }
        }
    }
}

/// The file and its rotated copies on the host, newest first.
async fn copies(file: &HostFile<'_>) -> Result<Vec<String>, String> {
    let (dir, name) = match file.path.rsplit_once('/') {
        Some(("", name)) => ("/", name),
        Some((dir, name)) => (dir, name),
        None => (".", file.path),
    };
    let command = format!(
        "sh -c {} sheriff-list {} {}",
        shell_quote(LIST),
        shell_quote(dir),
        shell_quote(name)
    );
    let out = file
        .pool
        .exec(file.host, &command, TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    let names = out
        .stdout
        .split(|&b| b == 0)
        .filter_map(|n| std::str::from_utf8(n).ok())
        .map(str::to_string);
    let join = |copy: String| match dir {
        "/" => format!("/{copy}"),
        _ => format!("{dir}/{copy}"),
    };
    let mut copies = vec![file.path.to_string()];
    copies.extend(
        crate::logs::rotated::copies_among(name, names)
            .into_iter()
            .map(join),
    );
    Ok(copies)
}

/// One round trip: where the page starts, its bytes, and the copy's mtime.
async fn page(
    file: &HostFile<'_>,
    copy: &str,
    end: Option<u64>,
    max_lines: usize,
) -> Result<(u64, Vec<u8>, Option<chrono::DateTime<chrono::Utc>>), String> {
    let inflate = if copy.ends_with(".gz") {
        MAX_INFLATED.to_string()
    } else {
        String::new()
    };
    let command = format!(
        "sh -c {} sheriff-page {} {} {max_lines} {PAGE_BYTES} {}",
        shell_quote(PAGE),
        shell_quote(copy),
        shell_quote(&end.map(|e| e.to_string()).unwrap_or_default()),
        shell_quote(&inflate),
    );
    let out = file
        .pool
        .exec(file.host, &command, TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    let newline = out.stdout.iter().position(|&b| b == b'\n');
    let header = newline.map(|n| String::from_utf8_lossy(&out.stdout[..n]).into_owned());
    let words: Vec<&str> = header.as_deref().unwrap_or("").split(' ').collect();
    match (out.exit_status, words.as_slice()) {
        (Some(0), ["sheriff-page", end, mtime]) => {
            let end: u64 = end
                .parse()
                .map_err(|_| "a page with a bad header".to_string())?;
            let bytes = out.stdout[newline.map_or(0, |n| n + 1)..].to_vec();
            let modified = mtime
                .parse::<i64>()
                .ok()
                .and_then(|s| chrono::DateTime::from_timestamp(s, 0));
            Ok((end.saturating_sub(bytes.len() as u64), bytes, modified))
        }
        (Some(4), ["sheriff-page", "short", size]) => Err(format!(
            "{copy} on {} has {size} bytes, fewer than the {} before the oldest line kept: \
             it is not the file that line came from any more",
            file.host,
            end.unwrap_or_default()
        )),
        (status, _) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let said = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
            Err(format!(
                "reading {copy} on {} failed ({}): {}",
                file.host,
                status.map_or("killed".to_string(), |s| format!("exit {s}")),
                said.trim()
            ))
        }
    }
}
