//! The systemd journal as a log source (`journal = "nginx.service"`, or `"*"` for all of
//! it), read from `journalctl -f -o json`.
//!
//! Every entry carries its cursor; the last one read is kept, and a `journalctl` that
//! ends (the journal rotated away, the process was killed) is started again after it
//! (`--after-cursor`), so each entry is shown exactly once across restarts. Unlike a
//! command's output, the journal keeps its entries: when the screen is behind, reading
//! waits rather than drops.
//!
//! What runs `journalctl` is [`JournalTail::argv`] plus a [`Runner`]: here, a local
//! process; on a host, the same words shell-quoted, over the SSH pool's raw stream. A
//! dropped connection is a run that ended: the next starts after the last cursor once the
//! host is back, so an entry is shown once across an sshd restart too.

use chrono::Utc;

use super::backoff::Backoff;
use super::lines::LineSplitter;
use super::parse::{Format, LineParser};
use super::runner::{self, Program, Reading, Runner, Waiting};
use super::LogLine;
use crate::event::Events;
use crate::transport::ssh::OutputStream;

/// How much of a run's stderr is kept for the mark that says why it ended.
const MAX_STDERR: usize = 4096;

/// One journal to follow.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalTail {
    /// The name lines carry, e.g. "nginx@production".
    pub source: String,
    /// The host whose journal it is (over the SSH pool); `None` for this machine's.
    pub host: Option<String>,
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
            host: None,
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

    /// The same tail, of the journal on `host` (its `journalctl` run over the SSH pool).
    pub fn on_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Reads the journal here until the receiver is gone; see [`JournalTail::run_on`].
    pub async fn run(self, tx: Events) {
        self.run_on(Runner::Local, tx).await
    }

    /// Reads the journal with `runner` until the receiver is gone, starting `journalctl`
    /// again after the last entry read whenever it ends (or its connection drops).
    pub async fn run_on(self, runner: Runner, tx: Events) {
        let reading = JournalReading {
            tail: self.clone(),
            entries: EntryReader::new(self.source.clone()),
            stdout: LineSplitter::default(),
            stderr: Vec::new(),
        };
        let delivery = Waiting {
            source: self.source.clone(),
            tx,
        };
        runner::run_restarting(reading, runner, delivery, self.source, self.backoff).await
    }
}

/// `journalctl`'s output: entries on stdout, complaints on stderr (a unit with no entries
/// is not one; a bad file is), kept for the mark that says why it ended.
struct JournalReading {
    tail: JournalTail,
    entries: EntryReader,
    stdout: LineSplitter,
    /// The start of the run's stderr.
    stderr: Vec<u8>,
}

impl Reading for JournalReading {
    fn what(&self) -> &str {
        "journalctl"
    }

    fn program(&self) -> Program {
        Program::Argv(self.tail.argv(self.entries.cursor.as_deref()))
    }

    fn output(&mut self, stream: OutputStream, data: &[u8], lines: &mut Vec<LogLine>) {
        match stream {
            OutputStream::Stdout => {
                let entries = &mut self.entries;
                self.stdout
                    .push(data, |bytes| lines.extend(entries.entry(bytes)));
            }
            OutputStream::Stderr => {
                let room = MAX_STDERR.saturating_sub(self.stderr.len()).min(data.len());
                self.stderr.extend_from_slice(&data[..room]);
            }
        }
    }

    fn ended(&mut self, lines: &mut Vec<LogLine>) -> Option<String> {
        // An entry cut by a dropped connection is not whole JSON: it is not read, and the
        // next run starts before it (its cursor was never kept).
        let entries = &mut self.entries;
        self.stdout
            .finish(|bytes| lines.extend(entries.entry(bytes)));
        let said = String::from_utf8_lossy(&self.stderr).into_owned();
        self.stderr.clear();
        let said = said.lines().next().unwrap_or("").trim().to_string();
        (!said.is_empty()).then_some(said)
    }

    fn marks_clean_exit(&self) -> bool {
        // Reaching the end is how a tail without `-f` works: not worth a word.
        self.tail.follow
    }
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
            origin: None,
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
