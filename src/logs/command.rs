//! A command's output as a log source (`command = "kubectl logs -f deploy/api"`), run
//! through `sh -c` and restarted with backoff when it exits.
//!
//! A command's stdout cannot wait: stalling the pipe would stall the program, or make it
//! drop its own output without telling. So when the UI is behind, lines are dropped here,
//! counted, and the count is said in the log itself ("⋯ 1234 lines dropped: the screen
//! could not keep up") once there is room again. Files and remote tails wait instead.

use chrono::Utc;

use super::backoff::Backoff;
use super::lines::parsed_line;
use super::lines::LineSplitter;
use super::parse::{Format, LineParser};
use super::runner::{self, Delivery, Program, Reading, Runner};
use super::LogLine;
use crate::event::{Event, Events, TrySendError};
use crate::transport::ssh::OutputStream;

/// One command to follow.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandTail {
    /// The name lines carry, e.g. "api@production", "api@web1".
    pub source: String,
    pub command: String,
    /// The host it runs on (over the SSH pool); `None` to run it here.
    pub host: Option<String>,
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
            host: None,
            format: Format::Auto,
            backoff: Backoff::default(),
        }
    }

    /// The same command, run on `host` by its shell.
    pub fn on_host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// The same tail, reading its lines in `format`.
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Runs the command here until the receiver is gone; see [`CommandTail::run_on`].
    pub async fn run(self, tx: Events) {
        self.run_on(Runner::Local, tx).await
    }

    /// Runs the command with `runner` until the receiver is gone, starting it again after
    /// it exits (1 s, doubling to 30 s while it keeps exiting quickly). Each exit is a line
    /// in the log itself, `⋯ command exited (status 1); restarting in 2s`, where the reader
    /// of the log sees why its lines stopped; on a host, so is a dropped connection.
    pub async fn run_on(self, runner: Runner, tx: Events) {
        let sender = LossySender::new(self.source.clone(), tx);
        let source = self.source.clone();
        let backoff = self.backoff;
        runner::run_restarting(self.reading(), runner, sender, source, backoff).await
    }

    fn reading(&self) -> CommandReading {
        CommandReading {
            source: self.source.clone(),
            command: self.command.clone(),
            parser: LineParser::new(self.format.clone()),
            stdout: StreamLines::default(),
            stderr: StreamLines::default(),
        }
    }
}

/// A command's output made into lines: stdout and stderr both shown.
struct CommandReading {
    source: String,
    command: String,
    parser: LineParser,
    stdout: StreamLines,
    stderr: StreamLines,
}

/// The lines of one of a command's streams. One redactor per stream: a private key printed
/// line by line is masked whole.
#[derive(Default)]
struct StreamLines {
    splitter: LineSplitter,
    redact: crate::redact::Lines,
}

impl StreamLines {
    /// Printable first, then masked, as every log line is before it is buffered. Bytes,
    /// not `str`: output that is not UTF-8 must not end the source.
    fn texts(&mut self, data: Option<&[u8]>) -> Vec<String> {
        let mut texts = Vec::new();
        let redact = &mut self.redact;
        let mut take = |bytes: &[u8]| {
            texts.push(redact.redact_owned(crate::text::printable_bytes(bytes)));
        };
        match data {
            Some(data) => self.splitter.push(data, &mut take),
            None => self.splitter.finish(&mut take),
        }
        texts
    }
}

impl CommandReading {
    fn lines_of(&mut self, texts: Vec<String>, lines: &mut Vec<LogLine>) {
        for text in texts {
            let line = parsed_line(self.source.clone(), Utc::now(), &mut self.parser, text);
            lines.push(line);
        }
    }
}

impl Reading for CommandReading {
    fn what(&self) -> &str {
        "command"
    }

    fn program(&self) -> Program {
        Program::Shell(self.command.clone())
    }

    fn output(&mut self, stream: OutputStream, data: &[u8], lines: &mut Vec<LogLine>) {
        let texts = match stream {
            OutputStream::Stdout => self.stdout.texts(Some(data)),
            OutputStream::Stderr => self.stderr.texts(Some(data)),
        };
        self.lines_of(texts, lines);
    }

    fn ended(&mut self, lines: &mut Vec<LogLine>) -> Option<String> {
        let mut texts = self.stdout.texts(None);
        texts.extend(self.stderr.texts(None));
        self.lines_of(texts, lines);
        None
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
    dropped: u64,
}

impl LossySender {
    fn new(source: String, tx: Events) -> Self {
        LossySender {
            source,
            tx,
            dropped: 0,
        }
    }

    /// Sends the batch if there is room; else drops it and counts its lines. The first
    /// batch that fits after a drop starts with a line saying how many were lost.
    fn send(&mut self, mut lines: Vec<LogLine>) -> bool {
        if lines.is_empty() {
            return !self.tx.is_closed();
        }
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
            Err(TrySendError::Closed) => return false,
        }
        true
    }
}

impl Delivery for LossySender {
    async fn deliver(&mut self, lines: Vec<LogLine>) -> bool {
        self.send(lines)
    }

    fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One run of `tail` here, to its end.
    pub(super) async fn run_once(tail: &CommandTail, sender: &mut LossySender) {
        let mut reading = tail.reading();
        let ended = runner::run_once(&mut reading, &Runner::Local, sender, "t", &mut None).await;
        assert!(
            matches!(ended, Some(runner::Ended::Exited { .. })),
            "{ended:?}"
        );
        let mut rest = Vec::new();
        reading.ended(&mut rest);
        sender.send(rest);
    }

    #[tokio::test]
    async fn a_flood_drops_lines_and_says_how_many() {
        // Room for two batches only, and nobody reading until the command is done.
        let (tx, mut rx) = crate::event::channel_with_capacity(2);
        let tail = CommandTail::new("flood", "seq 1 100000");
        let mut sender = LossySender::new(tail.source.clone(), tx.clone());
        run_once(&tail, &mut sender).await;
        let mut received = Vec::new();
        while let Ok(event) = rx.try_recv() {
            if let Event::LogLines { lines, .. } = event {
                received.extend(lines.into_iter().map(|l| l.text));
            }
        }
        assert!(received.len() < 100_000, "the channel is bounded");
        assert_eq!(received[0], "1", "the first batch fits");
        // Room again: the next batch starts with the count of what was lost.
        let after = LogLine::mark("flood", "after");
        sender.send(vec![after]);
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
        assert_eq!(lines[1].text, "⋯ after");
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
        let mut sender = LossySender::new(tail.source.clone(), tx.clone());
        super::tests::run_once(&tail, &mut sender).await;
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
