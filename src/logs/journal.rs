//! The systemd journal as a log source (`journal = "nginx.service"`, or `"*"` for all of
//! it), read from `journalctl -f -o json`.
//!
//! Every entry carries its cursor; the last one read is kept, and a `journalctl` that
//! ends (the journal rotated away, the process was killed) is started again after it
//! (`--after-cursor`), so each entry is shown exactly once across restarts. Unlike a
//! command's output, the journal keeps its entries: when the screen is behind, reading
//! waits rather than drops.
//!
//! What runs `journalctl` is [`JournalTail::argv`] plus a runner: here, a local process;
//! over SSH, the same words run on the host.

use std::process::Stdio;
use std::time::Instant;

use chrono::Utc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use super::backoff::Backoff;
use super::parse::{Format, LineParser};
use super::LogLine;
use crate::event::{Event, Events};

/// Entries read in one go are sent as one batch of at most this many.
const BATCH: usize = 512;

/// One journal to follow.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalTail {
    /// The name lines carry, e.g. "nginx@production".
    pub source: String,
    /// The unit (`--unit`); `None` for the whole journal (`journal = "*"`).
    pub unit: Option<String>,
    /// Which journal is read: empty for the system's; `["--file", path]` or
    /// `["--directory", dir]` for journal files kept elsewhere.
    pub journal: Vec<String>,
    /// Whether to wait for new entries (`-f`). Without it, `journalctl` ends at the last
    /// entry and is started again after the backoff, reading only what came since.
    pub follow: bool,
    /// Entries shown at the first start, like `journalctl -n`.
    pub backlog: usize,
    pub backoff: Backoff,
}

impl JournalTail {
    /// A tail of `unit` (`"*"` for every unit) in the system's journal.
    pub fn new(source: impl Into<String>, unit: &str) -> Self {
        let unit = unit.trim();
        JournalTail {
            source: source.into(),
            unit: (unit != "*" && !unit.is_empty()).then(|| unit.to_string()),
            journal: Vec::new(),
            follow: true,
            backlog: 200,
            backoff: Backoff::default(),
        }
    }

    /// The `journalctl` command line: from the backlog at the first start, from just after
    /// `cursor` once an entry was read.
    ///
    /// ```
    /// use sheriff::logs::journal::JournalTail;
    /// let tail = JournalTail::new("nginx", "nginx.service");
    /// assert_eq!(
    ///     tail.argv(Some("s=1;i=2")).join(" "),
    ///     "journalctl -o json -f --unit nginx.service --after-cursor s=1;i=2 --no-tail"
    /// );
    /// ```
    pub fn argv(&self, cursor: Option<&str>) -> Vec<String> {
        let mut argv: Vec<String> = vec!["journalctl".into(), "-o".into(), "json".into()];
        if self.follow {
            argv.push("-f".into());
        }
        argv.extend(self.journal.iter().cloned());
        if let Some(unit) = &self.unit {
            argv.extend(["--unit".into(), unit.clone()]);
        }
        match cursor {
            // `--no-tail`: `-f` alone would show only the last ten after the cursor.
            Some(cursor) => argv.extend([
                "--after-cursor".into(),
                cursor.to_string(),
                "--no-tail".into(),
            ]),
            None => argv.extend(["-n".into(), self.backlog.to_string()]),
        }
        argv
    }

    /// Reads the journal until the receiver is gone, starting `journalctl` again after
    /// the last entry read whenever it ends.
    pub async fn run(self, tx: Events) {
        let mut reader = EntryReader::new(self.source.clone());
        let mut backoff = self.backoff;
        while !tx.is_closed() {
            let started = Instant::now();
            let (why, failed) = match self.run_once(&mut reader, &tx).await {
                Ok(None) => return,
                Ok(Some(ended)) => ended,
                Err(err) => (format!("journalctl could not start ({err})"), true),
            };
            let wait = backoff.after_run(started.elapsed());
            // Reaching the end is how a tail without `-f` works: not worth a word.
            if self.follow || failed {
                let note = format!(
                    "{why}; restarting in {}",
                    crate::config::duration::format_duration(wait)
                );
                let line = LogLine::mark(self.source.clone(), &note);
                let event = Event::LogLines {
                    source: self.source.clone(),
                    lines: vec![line],
                };
                if tx.send_data(event).await.is_err() {
                    return;
                }
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// One run of `journalctl`: `Ok(None)` when the receiver went away, else why it ended
    /// and whether that was a failure.
    async fn run_once(
        &self,
        reader: &mut EntryReader,
        tx: &Events,
    ) -> std::io::Result<Option<(String, bool)>> {
        let argv = self.argv(reader.cursor.as_deref());
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        // Its complaints (a unit with no entries is not one; a bad file is) are kept for
        // the line that says why it ended.
        let stderr = child.stderr.take().map(|mut err| {
            tokio::spawn(async move {
                // Read to the end so that it never blocks on a full pipe; keep the start.
                let mut kept = Vec::new();
                let mut chunk = [0u8; 4096];
                while let Ok(n @ 1..) = err.read(&mut chunk).await {
                    let room = 4096usize.saturating_sub(kept.len()).min(n);
                    kept.extend_from_slice(&chunk[..room]);
                }
                String::from_utf8_lossy(&kept).into_owned()
            })
        });
        if let Some(out) = child.stdout.take() {
            let mut out = BufReader::new(out);
            let mut batch = Vec::new();
            let mut bytes = Vec::new();
            loop {
                bytes.clear();
                match out.read_until(b'\n', &mut bytes).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                if let Some(line) = reader.entry(&bytes) {
                    batch.push(line);
                }
                // Send at a pause in the output, or when the batch is full.
                let pause = batch.len() >= BATCH || out.buffer().is_empty();
                if pause && !send(tx, &self.source, &mut batch).await {
                    return Ok(None);
                }
            }
            if !send(tx, &self.source, &mut batch).await {
                return Ok(None);
            }
        }
        let status = child.wait().await?;
        let said = match stderr {
            Some(task) => task.await.unwrap_or_default(),
            None => String::new(),
        };
        let said = said.lines().next().unwrap_or("").trim().to_string();
        let mut why = format!(
            "journalctl exited ({})",
            super::command::status_words(status)
        );
        if !said.is_empty() {
            why = format!("{why}: {said}");
        }
        Ok(Some((why, !status.success())))
    }
}

async fn send(tx: &Events, source: &str, batch: &mut Vec<LogLine>) -> bool {
    if batch.is_empty() {
        return true;
    }
    let lines = std::mem::take(batch);
    let event = Event::LogLines {
        source: source.to_string(),
        lines,
    };
    tx.send_data(event).await.is_ok()
}

/// Makes lines of `journalctl -o json` entries and remembers the last cursor.
struct EntryReader {
    source: String,
    parser: LineParser,
    /// The cursor of the last entry made into a line.
    cursor: Option<String>,
    redact: crate::redact::Lines,
}

impl EntryReader {
    fn new(source: String) -> Self {
        EntryReader {
            source,
            parser: LineParser::new(Format::Journald),
            cursor: None,
            redact: crate::redact::Lines::default(),
        }
    }

    /// The line of one entry: `host unit: message`, so that a filter on the host or the
    /// unit finds it, with the entry's time and its priority as the level. `None` for
    /// output that is not an entry.
    fn entry(&mut self, bytes: &[u8]) -> Option<LogLine> {
        let raw = String::from_utf8_lossy(bytes);
        let raw = raw.trim_end_matches(['\r', '\n']);
        let entry: serde_json::Value = serde_json::from_str(raw).ok()?;
        let cursor = entry.get("__CURSOR")?.as_str()?.to_string();
        let parsed = self.parser.parse(raw);
        let message = parsed.message_of(raw);
        let mut text = String::new();
        for part in [&parsed.host, &parsed.app].into_iter().flatten() {
            text.push_str(part);
            text.push(' ');
        }
        if !text.is_empty() {
            text.pop();
            text.push_str(": ");
        }
        text.push_str(message);
        let text = self.redact.redact_owned(crate::text::into_printable(text));
        self.cursor = Some(cursor);
        Some(LogLine {
            source: self.source.clone(),
            received: Utc::now(),
            time: parsed.time,
            level: parsed.level.or_else(|| super::level::detect_level(&text)),
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_host_unit_and_message_with_its_time_and_priority() {
        let mut reader = EntryReader::new("j".into());
        let raw = r#"{"__CURSOR":"s=a;i=1","__REALTIME_TIMESTAMP":"1733100001000000","PRIORITY":"3","_HOSTNAME":"web1","_SYSTEMD_UNIT":"nginx.service","MESSAGE":"upstream timed out"}"#;
        let line = reader.entry(raw.as_bytes()).expect("an entry");
        assert_eq!(line.text, "web1 nginx.service: upstream timed out");
        assert_eq!(line.level, Some(crate::logs::Level::Error));
        assert_eq!(
            line.time.map(|t| t.timestamp_micros()),
            Some(1_733_100_001_000_000)
        );
        assert_eq!(reader.cursor.as_deref(), Some("s=a;i=1"));
        assert!(reader.entry(b"-- No entries --").is_none());
    }

    #[test]
    fn a_star_is_the_whole_journal() {
        assert_eq!(JournalTail::new("all", "*").unit, None);
        let argv = JournalTail::new("all", "*").argv(None).join(" ");
        assert_eq!(argv, "journalctl -o json -f -n 200");
    }
}
