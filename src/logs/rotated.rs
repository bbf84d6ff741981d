//! The rotated copies beside a log (`app.log.1`, `app.log.2.gz`, `app.log-20240501.gz`),
//! read on demand: when the Logs pane scrolls back past the first line a tail showed, the
//! lines before it are in these.
//!
//! Reading is blocking (a whole file at once); call it from `spawn_blocking`.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::lines::parsed_line;
use super::parse::{Format, LineParser};
use super::LogLine;

/// The most read from one rotated file, after decompression: what is past it is left, and
/// a `.gz` that inflates without end (a zip bomb, a corrupt file) cannot fill the memory.
const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// The rotated copies of `log`, newest first: numbered ones (`.1`, `.2.gz`) by number, then
/// dated ones (`-20240501`, `.2024-05-01.gz`) latest first. A directory that cannot be read
/// is an error; names that are not copies of `log` are left out.
///
/// ```no_run
/// let copies = sheriff::logs::rotated::list(std::path::Path::new("/var/log/syslog"))?;
/// // [/var/log/syslog.1, /var/log/syslog.2.gz, /var/log/syslog.3.gz]
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn list(log: &Path) -> std::io::Result<Vec<PathBuf>> {
    let Some(name) = log.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let dir = match log.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        if let Some(file) = entry.file_name().to_str() {
            names.push(file.to_string());
        }
    }
    Ok(copies_among(name, names)
        .into_iter()
        .map(|copy| dir.join(copy))
        .collect())
}

/// The names among `names` (a directory's entries) that are rotated copies of the log
/// named `name`, newest first, as [`list`] orders them: also for a directory listed on a
/// host.
pub fn copies_among(name: &str, names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut numbered: Vec<(u64, String)> = Vec::new();
    let mut dated: Vec<(String, String)> = Vec::new();
    for file in names {
        let Some(rest) = file.strip_prefix(name) else {
            continue;
        };
        let Some(stamp) = rest.strip_prefix(['.', '-']) else {
            continue;
        };
        let stamp = stamp.strip_suffix(".gz").unwrap_or(stamp);
        if stamp.is_empty() || !stamp.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            continue;
        }
        // logrotate numbers from 1; 8 or more digits are a date (`dateext`).
        match stamp.parse::<u64>() {
            Ok(n) if stamp.len() < 8 => numbered.push((n, file)),
            _ => dated.push((stamp.to_string(), file)),
        }
    }
    numbered.sort();
    dated.sort_by(|a, b| b.cmp(a));
    let newest_first = numbered.into_iter().map(|(_, f)| f);
    newest_first
        .chain(dated.into_iter().map(|(_, f)| f))
        .collect()
}

/// Every line of the rotated copy at `path` (gzip'd when its name ends in `.gz`), oldest
/// first, as lines of `source`: made printable, masked and parsed in `format` as a tail's
/// lines are, the copy's mtime as the year of yearless times.
pub fn read(source: &str, path: &Path, format: Format) -> std::io::Result<Vec<LogLine>> {
    let file = std::fs::File::open(path)?;
    let mut parser = LineParser::new(format);
    if let Ok(modified) = file.metadata().and_then(|m| m.modified()) {
        parser = parser.with_year_hint(DateTime::<Utc>::from(modified));
    }
    let gzip = path.extension().is_some_and(|e| e == "gz");
    let raw: Box<dyn Read> = if gzip {
        // Multi: `gzip` appends members when a file is compressed in pieces.
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut reader = BufReader::new(raw.take(MAX_BYTES));
    let mut redact = crate::redact::Lines::default();
    let received = Utc::now();
    let mut lines = Vec::new();
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        while matches!(bytes.last(), Some(b'\n' | b'\r')) {
            bytes.pop();
        }
        let text = redact.redact_owned(crate::text::printable_bytes(&bytes));
        lines.push(parsed_line(source.to_string(), received, &mut parser, text));
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn lists_numbered_then_dated_copies_newest_first_and_reads_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        for name in [
            "app.log",
            "app.log.1",
            "app.log.10.gz",
            "app.log.2.gz",
            "app.log-20240501.gz",
            "app.log-20240502",
            "app.log.bak",
            "other.log.1",
        ] {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let names: Vec<String> = list(&log)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let want = [
            "app.log.1",
            "app.log.2.gz",
            "app.log.10.gz",
            "app.log-20240502",
            "app.log-20240501.gz",
        ];
        assert_eq!(names, want);

        let gz = dir.path().join("app.log.2.gz");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(b"2024-05-01T12:00:01Z ERROR first\r\nsecond\n")
            .unwrap();
        enc.finish().unwrap();
        let lines = read("app", &gz, Format::Auto).unwrap();
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["2024-05-01T12:00:01Z ERROR first", "second"]);
        assert_eq!(lines[0].level, Some(crate::logs::Level::Error));
        assert!(lines[0].time.is_some());
    }
}
