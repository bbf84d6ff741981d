//! A `file` that is a glob (`/var/log/nginx/*.log`): every file it matches, each its own
//! source named `log:file` (`nginx:access.log`, `nginx:access.log@production`), and the
//! files that match later, read from their first line.
//!
//! Each matched file is followed as a single `file` is (rotation, truncation). Rotated
//! copies are not followed, even when the glob matches them (`app.log*`), or their lines
//! would be read twice: a name that is another name the glob matches plus a rotation
//! suffix (`app.log.1`, `app.log.2.gz`, `app.log-20240501`), and a name that holds a file
//! being followed under another name (a rename the naming rule does not know). Compressed
//! files (`.gz`, `.xz`, `.bz2`, `.zst`) are never followed. Rotated copies are read on
//! demand instead (see [`super::rotated`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::follow::{file_id, FileId, Follower};
use super::tail::FileTail;
use crate::event::{Event, Events};

/// The glob is matched again every this many polls (about a second at the usual 150 ms).
const RESCAN_EVERY: u32 = 7;
/// A followed file whose name no longer matches is read to its end and let go after this
/// long: a writer keeps writing to a renamed file until it reopens its log.
const GONE_AFTER: Duration = Duration::from_secs(30);
const COMPRESSED: &[&str] = &["gz", "xz", "bz2", "zst"];

/// Whether a configured path is a glob rather than one file.
pub fn is_glob(path: &Path) -> bool {
    path.to_str().is_some_and(|p| p.contains(['*', '?', '[']))
}

/// The source name of one matched file: the file name after the log's name, before the
/// target, so that the log and its target still split at `@`.
///
/// ```
/// use sheriff::logs::glob::file_source;
/// use std::path::Path;
/// let path = Path::new("/var/log/nginx/access.log");
/// assert_eq!(file_source("nginx@production", path), "nginx:access.log@production");
/// assert_eq!(file_source("nginx", path), "nginx:access.log");
/// ```
pub fn file_source(source: &str, path: &Path) -> String {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match source.split_once('@') {
        Some((name, target)) => format!("{name}:{file}@{target}"),
        None => format!("{source}:{file}"),
    }
}

struct Watched {
    source: String,
    follower: Follower,
    /// When the glob stopped matching the file's name.
    missing_since: Option<Instant>,
}

/// Follows every file `tail.path` matches until the receiver is gone.
pub(super) async fn run(tail: FileTail, tx: Events) {
    let pattern = tail.path.to_string_lossy().into_owned();
    let mut files: BTreeMap<PathBuf, Watched> = BTreeMap::new();
    // Names the glob matches that are a file already read under another name.
    let mut copies: HashMap<PathBuf, FileId> = HashMap::new();
    let mut polls: u32 = 0;
    let mut said: Option<String> = None;
    loop {
        if tx.is_closed() {
            return;
        }
        if polls.is_multiple_of(RESCAN_EVERY) {
            let first = polls == 0;
            // Listing a directory of many logs is blocking work: off the runtime's threads.
            let listed = {
                let pattern = pattern.clone();
                tokio::task::spawn_blocking(move || matches(&pattern)).await
            };
            match listed.unwrap_or_else(|e| Err(format!("cannot match {pattern}: {e}"))) {
                Ok(found) => {
                    if found.is_empty() && files.is_empty() {
                        let why = format!("{}: no file matches {pattern} yet", tail.source);
                        say_once(&tx, &mut said, why);
                    }
                    let known =
                        |base: &Path| found.iter().any(|p| p == base) || files.contains_key(base);
                    let found: Vec<PathBuf> = found
                        .iter()
                        .filter(|p| !is_rotated_copy(p, known))
                        .cloned()
                        .collect();
                    let gone = rescan(&tail, &mut files, &mut copies, found, first).await;
                    for (source, lines) in gone {
                        if !send(&tx, source, lines).await {
                            return;
                        }
                    }
                }
                Err(why) => say_once(&tx, &mut said, format!("{}: {why}", tail.source)),
            }
        }
        polls = polls.wrapping_add(1);
        for (source, lines) in moved_in(&mut files, &mut copies).await {
            if !send(&tx, source, lines).await {
                return;
            }
        }
        let mut behind = false;
        for (path, watched) in files.iter_mut() {
            // A name that is gone for now is waited for by the rescan, not reported.
            let Ok(lines) = watched.follower.poll(path).await else {
                continue;
            };
            behind |= watched.follower.behind;
            if !send(&tx, watched.source.clone(), lines).await {
                return;
            }
        }
        if !behind {
            tokio::time::sleep(tail.poll).await;
        }
    }
}

/// The regular, uncompressed files `pattern` matches, in name order.
/// The files `pattern` matches now, sorted, compressed copies left out.
pub fn matches(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let paths = glob::glob(pattern).map_err(|e| format!("bad glob {pattern}: {e}"))?;
    let mut found: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_none_or(|e| !COMPRESSED.contains(&e))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Starts following new matches, lets go of files gone long enough, and returns the last
/// lines of those.
async fn rescan(
    tail: &FileTail,
    files: &mut BTreeMap<PathBuf, Watched>,
    copies: &mut HashMap<PathBuf, FileId>,
    found: Vec<PathBuf>,
    first: bool,
) -> Vec<(String, Vec<super::LogLine>)> {
    copies.retain(|path, _| found.contains(path));
    for path in &found {
        if let Some(watched) = files.get_mut(path) {
            watched.missing_since = None;
            continue;
        }
        let id = tokio::fs::metadata(path)
            .await
            .ok()
            .and_then(|m| file_id(&m));
        if let Some(id) = id {
            let open_elsewhere = files.values().any(|w| w.follower.open_id() == Some(id));
            if open_elsewhere || copies.get(path) == Some(&id) {
                copies.insert(path.clone(), id);
                continue;
            }
        }
        let source = file_source(&tail.source, path);
        let format = tail.format.clone();
        // Files there at the start show a backlog; a file that matches later is all new.
        let follower = if first {
            Follower::new(source.clone(), tail.backlog, format)
        } else {
            Follower::from_start(source.clone(), format)
        };
        let watched = Watched {
            source,
            follower,
            missing_since: None,
        };
        files.insert(path.clone(), watched);
    }
    let now = Instant::now();
    let mut gone = Vec::new();
    for (path, watched) in files.iter_mut() {
        if !found.contains(path) {
            let since = *watched.missing_since.get_or_insert(now);
            if now.duration_since(since) >= GONE_AFTER {
                gone.push(path.clone());
            }
        }
    }
    let mut last = Vec::new();
    for path in gone {
        if let Some(mut watched) = files.remove(&path) {
            let lines = watched.follower.finish().await;
            last.push((watched.source, lines));
        }
    }
    last
}

/// Followed names that now hold the file another follower has open: a rename moved it
/// here (`app.log` → `app.log.1` under a glob the naming rule does not cover). Each such
/// follower reads its own file to the end and stops; the name is a copy from then on.
async fn moved_in(
    files: &mut BTreeMap<PathBuf, Watched>,
    copies: &mut HashMap<PathBuf, FileId>,
) -> Vec<(String, Vec<super::LogLine>)> {
    let mut moved = Vec::new();
    for (path, watched) in files.iter() {
        let meta = tokio::fs::metadata(path).await;
        let Some(id) = meta.ok().and_then(|m| file_id(&m)) else {
            continue;
        };
        if watched.follower.open_id() == Some(id) {
            continue;
        }
        let elsewhere = files
            .iter()
            .any(|(other, w)| other != path && w.follower.open_id() == Some(id));
        if elsewhere {
            moved.push((path.clone(), id));
        }
    }
    let mut last = Vec::new();
    for (path, id) in moved {
        if let Some(mut watched) = files.remove(&path) {
            last.push((watched.source, watched.follower.finish().await));
        }
        copies.insert(path, id);
    }
    last
}

/// Whether `path` is a rotated copy of a file the glob `known`s: its name plus `.1`,
/// `.2.gz`, `-20240501`, `.2024-05-01`. (`worker-2` is not a copy when there is no
/// `worker`.)
fn is_rotated_copy(path: &Path, known: impl Fn(&Path) -> bool) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let name = COMPRESSED
        .iter()
        .find_map(|ext| name.strip_suffix(&format!(".{ext}")[..]))
        .unwrap_or(name);
    let Some(cut) = name.rfind(['.', '-']) else {
        return false;
    };
    let (base, stamp) = (&name[..cut], &name[cut + 1..]);
    let is_stamp = !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit());
    // `.2024-05-01`: the date has dashes of its own, so its start is the last dot.
    let dated = name.rfind('.').filter(|&dot| {
        let date = &name[dot + 1..];
        date.len() >= 8 && date.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    });
    let base = match (is_stamp, dated) {
        (_, Some(dot)) => &name[..dot],
        (true, None) => base,
        (false, None) => return false,
    };
    !base.is_empty() && known(&path.with_file_name(base))
}

async fn send(tx: &Events, source: String, lines: Vec<super::LogLine>) -> bool {
    if lines.is_empty() {
        return true;
    }
    tx.send_data(Event::LogLines { source, lines })
        .await
        .is_ok()
}

fn say_once(tx: &Events, said: &mut Option<String>, why: String) {
    if said.as_ref() != Some(&why) {
        let _ = tx.send(Event::Notice(why.clone()));
        *said = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_copies_are_told_by_name() {
        let dir = Path::new("/var/log/nginx");
        let known = |p: &Path| p == dir.join("access.log") || p == dir.join("x");
        let copy = |name: &str| is_rotated_copy(&dir.join(name), known);
        for name in [
            "access.log.1",
            "access.log.2.gz",
            "access.log-20240501",
            "access.log.2024-05-01",
        ] {
            assert!(copy(name), "{name}");
        }
        for name in [
            "access.log",
            "error.log",
            "access.log.bak",
            "worker-2",
            "x.y",
        ] {
            assert!(!copy(name), "{name}");
        }
    }
}
