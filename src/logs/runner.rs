//! What runs a command source (a `[[log]] command`, `journalctl`): a local process, or the
//! same words on a host over the SSH pool. Both hand back the same items (stdout and stderr
//! bytes as they come, then how the run ended), so the tails that read them keep one loop
//! for either: [`run_restarting`] starts a run, gives its bytes to a [`Reading`], marks the
//! log when it ends and starts it again after the [`Backoff`].
//!
//! On a host the run is the pool's raw stream ([`SshPool::stream_raw`]): it is never run
//! again by the pool after a reconnect (the reader, not the pool, knows where to go on, as
//! a journal's cursor), and a host that is down delays the start until it is back.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::backoff::Backoff;
use super::LogLine;
use crate::config::duration::format_duration;
use crate::event::Events;
use crate::transport::ssh::known_hosts::shell_quote;
use crate::transport::ssh::{OutputStream, SshPool, StreamItem, StreamReceiver};

/// Where a source's command runs.
#[derive(Clone)]
pub enum Runner {
    Local,
    Host { pool: SshPool, host: String },
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Program {
    /// Words run as they are: locally with no shell, on a host each one shell-quoted.
    Argv(Vec<String>),
    /// A shell command line: `sh -c` locally, the host's login shell as is.
    Shell(String),
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ended {
    /// It ended by itself: `status 1`, `signal 9`.
    Exited { status: String, success: bool },
    /// The connection to its host dropped.
    Dropped(String),
    /// It could not start, or the host would not run it.
    Failed(String),
}

/// One item of a run, in order: `Started` (on a host, once it runs), output, one `End`.
#[derive(Debug)]
pub enum Item {
    Started,
    Output(OutputStream, Vec<u8>),
    End(Ended),
}

/// A run in progress; dropping it stops the command (the local process is killed, the
/// remote channel closed).
pub struct Run {
    inner: RunInner,
    ended: bool,
}

enum RunInner {
    Local {
        child: Child,
        rx: mpsc::Receiver<(OutputStream, Vec<u8>)>,
        said_start: bool,
    },
    Host(StreamReceiver),
}

impl Runner {
    /// Starts `program`; an error is a run that could not start.
    pub fn start(&self, program: &Program) -> Result<Run, String> {
        let inner = match self {
            Runner::Local => start_local(program).map_err(|err| err.to_string())?,
            Runner::Host { pool, host } => {
                let command = match program {
                    Program::Argv(argv) => argv
                        .iter()
                        .map(|w| shell_quote(w))
                        .collect::<Vec<_>>()
                        .join(" "),
                    Program::Shell(line) => line.clone(),
                };
                RunInner::Host(pool.stream_raw(host, &command).map_err(|e| e.to_string())?)
            }
        };
        Ok(Run {
            inner,
            ended: false,
        })
    }
}

fn start_local(program: &Program) -> std::io::Result<RunInner> {
    let mut command = match program {
        Program::Argv(argv) => {
            let (first, rest) = argv
                .split_first()
                .ok_or_else(|| std::io::Error::other("nothing to run"))?;
            let mut command = Command::new(first);
            command.args(rest);
            command
        }
        Program::Shell(line) => {
            let mut command = Command::new("sh");
            command.arg("-c").arg(line);
            command
        }
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    // Bounded: a reader that waits stops the pipes being read, as SSH flow control does.
    let (tx, rx) = mpsc::channel(64);
    if let Some(out) = child.stdout.take() {
        tokio::spawn(read_chunks(out, OutputStream::Stdout, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(read_chunks(err, OutputStream::Stderr, tx));
    }
    Ok(RunInner::Local {
        child,
        rx,
        said_start: false,
    })
}

async fn read_chunks(
    mut stream: impl AsyncRead + Unpin,
    which: OutputStream,
    tx: mpsc::Sender<(OutputStream, Vec<u8>)>,
) {
    let mut chunk = vec![0u8; 16 * 1024];
    while let Ok(n @ 1..) = stream.read(&mut chunk).await {
        if tx.send((which, chunk[..n].to_vec())).await.is_err() {
            return;
        }
    }
}

impl Run {
    /// Whether more output is waiting to be taken now (so a burst goes out as one batch).
    fn has_ready(&self) -> bool {
        match &self.inner {
            RunInner::Local { rx, .. } => !rx.is_empty(),
            RunInner::Host(rx) => rx.has_ready(),
        }
    }

    /// The next item; `None` after the `End`.
    pub async fn next(&mut self) -> Option<Item> {
        if self.ended {
            return None;
        }
        let item = match &mut self.inner {
            RunInner::Local {
                child,
                rx,
                said_start,
            } => {
                if !*said_start {
                    *said_start = true;
                    return Some(Item::Started);
                }
                match rx.recv().await {
                    Some((which, data)) => Item::Output(which, data),
                    // Both pipes closed: only the status is left.
                    None => Item::End(match child.wait().await {
                        Ok(status) => Ended::Exited {
                            status: super::command::status_words(status),
                            success: status.success(),
                        },
                        Err(err) => Ended::Failed(err.to_string()),
                    }),
                }
            }
            RunInner::Host(rx) => loop {
                match rx.recv().await {
                    Some(StreamItem::Started { .. }) => break Item::Started,
                    Some(StreamItem::Bytes { source, data }) => break Item::Output(source, data),
                    // A raw stream sends none.
                    Some(StreamItem::Line { .. }) => continue,
                    Some(StreamItem::Interrupted { reason }) => {
                        break Item::End(Ended::Dropped(reason))
                    }
                    Some(StreamItem::Exited { status, signal }) => {
                        let words = match (status, signal) {
                            (_, Some(signal)) => format!("signal {signal}"),
                            (Some(code), None) => format!("status {code}"),
                            (None, None) => "no status".to_string(),
                        };
                        break Item::End(Ended::Exited {
                            status: words,
                            success: status == Some(0),
                        });
                    }
                    Some(StreamItem::Failed(err)) => {
                        break Item::End(Ended::Failed(err.to_string()))
                    }
                    // Closed without a word: the pool could not even say it was cut.
                    None => break Item::End(Ended::Dropped("the connection closed".into())),
                }
            },
        };
        self.ended = matches!(item, Item::End(_));
        Some(item)
    }
}

/// A source read from runs of a command: what to run next, and what its output means.
pub trait Reading {
    /// What the mark calls it: "command", "journalctl".
    fn what(&self) -> &str;
    /// What to run now (a journal asks for what comes after its last cursor).
    fn program(&self) -> Program;
    /// Output of the run, made into lines appended to `lines`.
    fn output(&mut self, stream: OutputStream, data: &[u8], lines: &mut Vec<LogLine>);
    /// The run ended: the unfinished lines go to `lines`; returns what its stderr said
    /// that belongs in the mark, if anything.
    fn ended(&mut self, lines: &mut Vec<LogLine>) -> Option<String>;
    /// Whether a clean exit is worth a mark (a journal read without `-f` ends each run).
    fn marks_clean_exit(&self) -> bool {
        true
    }
}

/// How lines reach the UI.
pub trait Delivery {
    /// Sends `lines`; false when the receiver is gone.
    fn deliver(&mut self, lines: Vec<LogLine>) -> impl std::future::Future<Output = bool> + Send;
    fn is_closed(&self) -> bool;
}

/// The journal's way: wait for room, never drop (the journal keeps its entries).
pub struct Waiting {
    pub source: String,
    pub tx: Events,
}

impl Delivery for Waiting {
    async fn deliver(&mut self, lines: Vec<LogLine>) -> bool {
        if lines.is_empty() {
            return true;
        }
        let event = crate::event::Event::LogLines {
            source: self.source.clone(),
            lines,
        };
        self.tx.send_data(event).await.is_ok()
    }

    fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// Lines of one burst of output are sent as one batch of at most this many.
const BATCH: usize = 512;

/// One run to its end: `Some(how it ended)`, `None` when the receiver went away. A drop is
/// remembered in `cut_at`, and the next run's start says how long the source was away.
pub async fn run_once<R: Reading, D: Delivery>(
    reading: &mut R,
    runner: &Runner,
    delivery: &mut D,
    source: &str,
    cut_at: &mut Option<Instant>,
) -> Option<Ended> {
    let mut run = match runner.start(&reading.program()) {
        Ok(run) => run,
        Err(err) => return Some(Ended::Failed(err)),
    };
    let mut lines = Vec::new();
    loop {
        let item = run.next().await?;
        let ended = match item {
            Item::Started => {
                if let Some(at) = cut_at.take() {
                    // Tenths are enough to read, and keep the mark short.
                    let away = Duration::from_millis(at.elapsed().as_millis() as u64 / 100 * 100);
                    let what = format!("reconnected after {}", format_duration(away));
                    lines.push(LogLine::mark(source, &what));
                }
                None
            }
            Item::Output(stream, data) => {
                reading.output(stream, &data, &mut lines);
                None
            }
            Item::End(ended) => Some(ended),
        };
        // Send at a pause in the output, or when the batch is full.
        if ended.is_some() || lines.len() >= BATCH || !run.has_ready() {
            if !delivery.deliver(std::mem::take(&mut lines)).await {
                return None;
            }
            if let Some(ended) = ended {
                if let Ended::Dropped(_) = ended {
                    cut_at.get_or_insert_with(Instant::now);
                }
                return Some(ended);
            }
        }
    }
}

/// Runs `reading` until the receiver is gone: each run's end is a mark in the log
/// (`⋯ journalctl exited (status 1): …; restarting in 2s`), then the backoff's wait, then
/// the next run. After a dropped connection the next run's start is marked too
/// (`⋯ reconnected after 3.2s`).
pub async fn run_restarting<R: Reading, D: Delivery>(
    mut reading: R,
    runner: Runner,
    mut delivery: D,
    source: String,
    mut backoff: Backoff,
) {
    let mut cut_at = None;
    while !delivery.is_closed() {
        let started = Instant::now();
        let Some(ended) =
            run_once(&mut reading, &runner, &mut delivery, &source, &mut cut_at).await
        else {
            return;
        };
        let mut lines = Vec::new();
        let said = reading.ended(&mut lines);
        let wait = backoff.after_run(started.elapsed());
        let why = match &ended {
            Ended::Exited { status, .. } => format!("{} exited ({status})", reading.what()),
            Ended::Dropped(reason) => format!("connection lost ({reason})"),
            Ended::Failed(err) => format!("{} could not start ({err})", reading.what()),
        };
        let why = match said {
            Some(said) if !matches!(ended, Ended::Dropped(_)) => format!("{why}: {said}"),
            _ => why,
        };
        let clean = matches!(ended, Ended::Exited { success: true, .. });
        if !clean || reading.marks_clean_exit() {
            let note = format!("{why}; restarting in {}", format_duration(wait));
            lines.push(LogLine::mark(&source, &note));
        }
        if !delivery.deliver(lines).await {
            return;
        }
        tokio::time::sleep(wait).await;
    }
}
