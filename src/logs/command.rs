//! A command's output as a log source (`command = "kubectl logs -f deploy/api"`), run
//! through `sh -c` and restarted with backoff when it exits.
//!
//! A command's stdout cannot wait: stalling the pipe would stall the program, or make it
//! drop its own output without telling. So when the UI is behind, lines are dropped here,
//! counted, and the count is said in the log itself ("⋯ 1234 lines dropped: the screen
//! could not keep up") once there is room again. Files and remote tails wait instead.

use std::process::Stdio;

use chrono::Utc;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

use super::backoff::Backoff;
use super::lines::parsed_line;
use super::parse::{Format, LineParser};
use super::LogLine;
use crate::event::{Event, Events, TrySendError};

/// Lines read in one go are sent as one batch of at most this many.
const BATCH: usize = 512;

/// One command to follow.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandTail {
    /// The name lines carry, e.g. "api@production".
    pub source: String,
    pub command: String,
    /// How its lines are written; `Auto` tells from the first lines.
    pub format: Format,
    /// The waits before it is started again after it exits.
    pub backoff: Backoff,
}

impl CommandTail {
    pub fn new(source: impl Into<String>, command: impl Into<String>) -> Self {
        CommandTail {
            source: source.into(),
            command: command.into(),
            format: Format::Auto,
            backoff: Backoff::default(),
        }
    }

    /// The same tail, reading its lines in `format`.
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Runs the command until the receiver is gone, starting it again after it exits
    /// (1 s, doubling to 30 s while it keeps exiting quickly). Each exit is a line in the
    /// log itself, `⋯ command exited (status 1); restarting in 2s`, where the reader of
    /// the log sees why its lines stopped.
    pub async fn run(self, tx: Events) {
        let mut backoff = self.backoff;
        let mut sender = LossySender::new(self.source.clone(), tx.clone(), self.format.clone());
        while !tx.is_closed() {
            let started = std::time::Instant::now();
            let why = match self.run_once(&mut sender).await {
                Ok(status) => format!("command exited ({})", status_words(status)),
                Err(err) => format!("command could not start ({err})"),
            };
            if tx.is_closed() {
                return;
            }
            let wait = backoff.after_run(started.elapsed());
            let note = format!(
                "{why}; restarting in {}",
                crate::config::duration::format_duration(wait)
            );
            sender.push_note(&note);
            sender.flush();
            tokio::time::sleep(wait).await;
        }
    }

    async fn run_once(
        &self,
        sender: &mut LossySender,
    ) -> std::io::Result<std::process::ExitStatus> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        // stdout and stderr are read by one task each and meet here; the channel closes
        // when both have ended.
        let (line_tx, mut line_rx) = tokio::sync::mpsc::channel::<String>(BATCH);
        if let Some(out) = child.stdout.take() {
            tokio::spawn(read_lines(out, line_tx.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(read_lines(err, line_tx.clone()));
        }
        drop(line_tx);
        while let Some(text) = line_rx.recv().await {
            sender.push(text);
            // Take what else is ready so a burst goes out as one batch.
            while sender.batch.len() < BATCH {
                match line_rx.try_recv() {
                    Ok(text) => sender.push(text),
                    Err(_) => break,
                }
            }
            sender.flush();
        }
        sender.flush();
        child.wait().await
    }
}

async fn read_lines(stream: impl AsyncRead + Unpin, tx: tokio::sync::mpsc::Sender<String>) {
    // Split on bytes, not `lines()`: output that is not UTF-8 must not end the source.
    let mut lines = BufReader::new(stream).split(b'\n');
    // One redactor per stream: a private key printed line by line is masked whole.
    let mut redact = crate::redact::Lines::default();
    while let Ok(Some(mut bytes)) = lines.next_segment().await {
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        // Printable first, then masked, as every log line is before it is buffered.
        let line = redact.redact_owned(crate::text::printable_bytes(&bytes));
        if tx.send(line).await.is_err() {
            return;
        }
    }
}

/// `status 1`, `signal 9`.
pub(super) fn status_words(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("status {code}"),
        None => status.to_string(),
    }
}

/// Sends batches without waiting; what does not fit is counted and reported.
struct LossySender {
    source: String,
    tx: Events,
    parser: LineParser,
    batch: Vec<LogLine>,
    dropped: u64,
}

impl LossySender {
    fn new(source: String, tx: Events, format: Format) -> Self {
        LossySender {
            source,
            tx,
            parser: LineParser::new(format),
            batch: Vec::new(),
            dropped: 0,
        }
    }

    fn push(&mut self, text: String) {
        let line = parsed_line(self.source.clone(), Utc::now(), &mut self.parser, text);
        self.batch.push(line);
    }

    /// A mark of sheriff's own about the source: not parsed, so it never counts as one of
    /// the command's lines for format detection.
    fn push_note(&mut self, what: &str) {
        self.batch.push(LogLine::mark(self.source.clone(), what));
    }

    /// Sends the batch if there is room; else drops it and counts its lines. The first
    /// batch that fits after a drop starts with a line saying how many were lost.
    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let mut lines = std::mem::take(&mut self.batch);
        let dropped_before = self.dropped;
        if dropped_before > 0 {
            let note = format!(
                "{dropped_before} lines dropped: the screen could not keep up with this command"
            );
            lines.insert(0, LogLine::mark(self.source.clone(), &note));
        }
        let count = lines.len() as u64;
        let event = Event::LogLines {
            source: self.source.clone(),
            lines,
        };
        match self.tx.try_send_data(event) {
            Ok(()) => self.dropped = 0,
            Err(TrySendError::Full) => {
                let own_note = u64::from(dropped_before > 0);
                self.dropped = dropped_before + count - own_note;
            }
            Err(TrySendError::Closed) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_flood_drops_lines_and_says_how_many() {
        // Room for two batches only, and nobody reading until the command is done.
        let (tx, mut rx) = crate::event::channel_with_capacity(2);
        let tail = CommandTail::new("flood", "seq 1 100000");
        let mut sender = LossySender::new(tail.source.clone(), tx.clone(), Format::Auto);
        tail.run_once(&mut sender).await.expect("seq runs");
        let mut received = Vec::new();
        while let Ok(event) = rx.try_recv() {
            if let Event::LogLines { lines, .. } = event {
                received.extend(lines.into_iter().map(|l| l.text));
            }
        }
        assert!(received.len() < 100_000, "the channel is bounded");
        assert_eq!(received[0], "1", "the first batch fits");
        // Room again: the next batch starts with the count of what was lost.
        sender.push("after".into());
        sender.flush();
        let Ok(Event::LogLines { lines, .. }) = rx.try_recv() else {
            panic!("the batch after the flood is sent");
        };
        let note = &lines[0].text;
        let dropped: u64 = note
            .trim_start_matches("⋯ ")
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a count of dropped lines: {note}"));
        assert_eq!(
            received.len() as u64 + dropped,
            100_000,
            "every line is either shown or counted"
        );
        assert_eq!(lines[1].text, "after");
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[tokio::test]
    async fn a_token_printed_by_a_command_never_reaches_the_screen() {
        let (tx, mut rx) = crate::event::channel();
        let token = "ghp_Xk3b9QmZr2Lw8Vt5Nc1Hy7Ud4Jf6Ps0Ae2Ri";
        let command = format!("printf 'Authorization: Bearer {token}\\tok\\n'");
        let tail = CommandTail::new("deploy", command);
        let mut sender = LossySender::new(tail.source.clone(), tx.clone(), Format::Auto);
        tail.run_once(&mut sender).await.expect("printf runs");
        let Ok(Event::LogLines { lines, .. }) = rx.try_recv() else {
            panic!("the line arrives");
        };
        assert!(!lines[0].text.contains(&token[4..]), "{}", lines[0].text);
        assert!(
            lines[0].text.starts_with("Authorization: Bearer "),
            "{}",
            lines[0].text
        );
        assert!(
            !lines[0].text.contains('\t'),
            "tabs expanded: {}",
            lines[0].text
        );
    }
}
