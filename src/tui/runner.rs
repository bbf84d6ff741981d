//! The event loop and the effects runner. Everything that waits (disk, network, child
//! processes) runs here, off the render path and with a timeout; `App` stays pure.

use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::app::{App, Effect, Msg, Reload};
use super::keymap::Keymap;
use super::terminal::{self, Tui};
use super::theme::{ColorDepth, Theme};
use super::ui;
use crate::config::duration::format_duration;
use crate::config::{self, Config, ConfigError};
use crate::event::Event;
use crate::handoff::{self, Log};
use crate::transport::ssh::{ChannelPrompt, SshOptions, SshPool};
use crate::workers;
use std::sync::Arc;

/// While data streams, draw at most this often (keys still draw at once).
const FRAME: Duration = Duration::from_millis(100);
/// A disk write that takes longer than this is reported as failed (and kept for retry).
const SAVE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a shared handoff log is pulled and pushed (and after each save).
const SYNC_EVERY: Duration = Duration::from_secs(60);

/// What the TUI runs on.
pub struct Options {
    pub config: Config,
    /// Where `config` came from, for reloads (None: nothing to reload).
    pub config_path: Option<PathBuf>,
    pub look: Look,
}

/// The keymap and theme in force.
pub struct Look {
    pub keymap: Keymap,
    pub theme: Theme,
}

/// Loads the keymap and theme a config names, with the user's keymap file on top.
pub fn try_load_look(config: &Config) -> Result<Look, Vec<ConfigError>> {
    let user_dir = crate::paths::config_dir();
    let user_keymap = user_dir
        .as_ref()
        .map(|d| d.join("keymap.toml"))
        .filter(|p| p.exists());
    let keymap = Keymap::load(&config.ui.keymap, user_keymap.as_deref());
    let theme = Theme::load(&config.ui.theme, user_dir.as_deref(), ColorDepth::detect());
    match (keymap, theme) {
        (Ok(keymap), Ok(theme)) => Ok(Look { keymap, theme }),
        (keymap, theme) => Err(keymap
            .err()
            .into_iter()
            .chain(theme.err())
            .flatten()
            .collect()),
    }
}

/// `try_load_look` with the problems as one message, one per line.
pub fn load_look(config: &Config) -> Result<Look, String> {
    try_load_look(config).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// For `sheriff config check`: the keymap and theme the config names must load too.
pub fn check_look(config: &Config) -> Vec<ConfigError> {
    try_load_look(config).err().unwrap_or_default()
}

/// Runs the TUI until the sheriff quits or a signal ends it; the terminal is restored
/// whatever happens.
pub async fn run(options: Options) -> anyhow::Result<()> {
    let mut tui = terminal::enter().context("cannot set up the terminal")?;
    let result = event_loop(&mut tui, options).await;
    terminal::restore();
    result
}

async fn event_loop(tui: &mut Tui, options: Options) -> anyhow::Result<()> {
    let Options {
        config,
        config_path,
        look,
    } = options;
    let (tx, mut rx) = unbounded_channel::<Event>();
    let (msg_tx, mut msg_rx) = unbounded_channel::<Msg>();
    let author = handoff::author(&config.handoff);
    let mut log = Log::from_spec(&config.handoff);
    let mut watch = handoff::watch(&log, tx.clone());
    let mut sync = start_sync(&log, &author, &tx);
    let mut pool = start_pool(&config, &tx);
    let mut workers = workers::start(&config, tx.clone());
    let mut app = App::new(config, look.keymap, look.theme, author);
    let size = tui.size()?;
    app.update(Msg::Resize(size.width, size.height));

    let mut term_events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut last_draw = Instant::now() - FRAME;
    let mut urgent = true;
    let mut startup = StartupFigures::default();

    loop {
        let due = last_draw + FRAME;
        // Until every pane has had its first data, each arrival is drawn at once.
        if app.dirty && (urgent || !startup.all_alive || Instant::now() >= due) {
            tui.draw(|frame| ui::draw(&app, frame))?;
            app.dirty = false;
            last_draw = Instant::now();
            startup.drawn();
        }
        let draw_later = app.dirty;
        urgent = false;
        let msgs: Vec<Msg> = tokio::select! {
            event = term_events.next() => match event {
                Some(Ok(event)) => {
                    urgent = true;
                    term_msg(event).into_iter().collect()
                }
                Some(Err(err)) => return Err(err).context("reading the terminal"),
                None => break,
            },
            Some(event) = rx.recv() => {
                // Take whatever else is already queued so a burst costs one frame.
                startup.saw(&event);
                let mut batch = vec![Msg::Worker(event)];
                while batch.len() < 2048 {
                    match rx.try_recv() {
                        Ok(event) => {
                            startup.saw(&event);
                            batch.push(Msg::Worker(event));
                        }
                        Err(_) => break,
                    }
                }
                batch
            }
            Some(msg) = msg_rx.recv() => {
                urgent = true;
                vec![msg]
            }
            _ = tick.tick() => vec![Msg::Tick(chrono::Utc::now())],
            _ = tokio::time::sleep_until(due.into()), if draw_later => Vec::new(),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
            _ = sigint.recv() => break,
        };
        for msg in msgs {
            if let (Msg::Worker(Event::HandoffSaved { .. }), Some(sync)) = (&msg, &sync) {
                // Share a new entry now rather than at the next period.
                sync.nudge();
            }
            for effect in app.update(msg) {
                match effect {
                    Effect::Quit => {}
                    Effect::Reload => reload(config_path.clone(), msg_tx.clone()),
                    Effect::StartWorkers(config) => {
                        drop(workers);
                        pool = start_pool(&config, &tx);
                        workers = workers::start(&config, tx.clone());
                        let new_log = Log::from_spec(&config.handoff);
                        if new_log != log {
                            log = new_log;
                            watch = handoff::watch(&log, tx.clone());
                            sync = start_sync(&log, &app.author, &tx);
                        }
                    }
                    Effect::AppendHandoff(entry) => append(log.clone(), *entry, tx.clone()),
                    Effect::EditExternally { text, field } => {
                        // The editor owns the terminal meanwhile: stop reading keys from it.
                        drop(term_events);
                        let result = edit_externally(tui, &text).await;
                        term_events = EventStream::new();
                        app.update(Msg::Edited { field, result });
                        urgent = true;
                    }
                }
            }
            if app.should_quit {
                break;
            }
        }
        if app.should_quit {
            break;
        }
    }
    drop(watch);
    drop(sync);
    drop(workers);
    drop(pool);
    Ok(())
}

/// One SSH connection per configured host, connecting now so Health and the status line
/// show every host's state (connecting, up, unknown key, auth failed…) from the start.
/// An encrypted key's passphrase is asked for in the TUI's own prompt, once per key.
fn start_pool(config: &Config, tx: &UnboundedSender<Event>) -> Option<SshPool> {
    if config.hosts.is_empty() {
        return None;
    }
    let options = SshOptions {
        prompt: Arc::new(ChannelPrompt::new(tx.clone())),
        ..SshOptions::default()
    };
    let pool = SshPool::new(&config.hosts, options, Some(tx.clone()));
    pool.connect_all();
    Some(pool)
}

/// With `share = "<git remote>"`, pull and push the log in the background.
fn start_sync(log: &Log, author: &str, tx: &UnboundedSender<Event>) -> Option<handoff::SyncHandle> {
    let share = log.share()?.clone();
    Some(handoff::spawn_sync(
        share,
        author.to_string(),
        SYNC_EVERY,
        tx.clone(),
    ))
}

/// Logs how long after process start the first frame, and the first frame with data in
/// every pane, were drawn: the startup figures of docs/performance.md.
#[derive(Default)]
struct StartupFigures {
    first_frame: bool,
    /// Check, log lines, drift, handoff: which panes have had data.
    fed: [bool; 4],
    all_alive: bool,
}

impl StartupFigures {
    fn saw(&mut self, event: &Event) {
        match event {
            Event::Check(_) => self.fed[0] = true,
            Event::LogLines { .. } => self.fed[1] = true,
            Event::Drift(_) => self.fed[2] = true,
            Event::HandoffEntries(_) => self.fed[3] = true,
            _ => {}
        }
    }

    fn drawn(&mut self) {
        let since_start = || {
            crate::STARTED
                .get()
                .map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0)
        };
        if !self.first_frame {
            self.first_frame = true;
            tracing::info!(ms = since_start(), "first frame");
        }
        if !self.all_alive && self.fed.iter().all(|f| *f) {
            self.all_alive = true;
            tracing::info!(ms = since_start(), "every pane alive");
        }
    }
}

fn term_msg(event: TermEvent) -> Option<Msg> {
    match event {
        TermEvent::Key(key) => Some(Msg::Key(key)),
        TermEvent::Mouse(mouse) => Some(Msg::Mouse(mouse)),
        TermEvent::Paste(text) => Some(Msg::Paste(text)),
        TermEvent::Resize(w, h) => Some(Msg::Resize(w, h)),
        _ => None,
    }
}

/// Reloads config, keymap and theme on a blocking thread; a bad file keeps the old ones.
fn reload(path: Option<PathBuf>, msgs: UnboundedSender<Msg>) {
    tokio::task::spawn_blocking(move || {
        let result = match path {
            None => Err("this session has no config file to reload".to_string()),
            Some(path) => config::load(&path)
                .map_err(|errors| errors.to_string())
                .and_then(|config| {
                    let look = load_look(&config)?;
                    Ok(Box::new(Reload {
                        config,
                        keymap: look.keymap,
                        theme: look.theme,
                    }))
                }),
        };
        let _ = msgs.send(Msg::Reloaded(result));
    });
}

/// Appends off the render path; the UI says "saved" only after the fsync returned.
fn append(log: Log, entry: handoff::Entry, events: UnboundedSender<Event>) {
    let id = entry.id.clone();
    tokio::spawn(async move {
        let task = tokio::task::spawn_blocking(move || log.append(entry));
        let event = match tokio::time::timeout(SAVE_TIMEOUT, task).await {
            Ok(Ok(Ok(saved))) => Event::HandoffSaved {
                id,
                redacted: !saved.masked.is_empty(),
            },
            Ok(Ok(Err(err))) => Event::HandoffFailed {
                id,
                error: err.to_string(),
            },
            Ok(Err(err)) => Event::HandoffFailed {
                id,
                error: format!("the writer stopped: {err}"),
            },
            Err(_) => Event::HandoffFailed {
                id,
                error: format!(
                    "the disk did not answer in {}",
                    format_duration(SAVE_TIMEOUT)
                ),
            },
        };
        let _ = events.send(event);
    });
}

/// Runs `$VISUAL`/`$EDITOR` (default `vi`) on a private temp file holding `text`.
async fn edit_externally(tui: &mut Tui, text: &str) -> Result<String, String> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let file = tempfile::Builder::new()
        .prefix("sheriff-")
        .suffix(".md")
        .tempfile()
        .map_err(|e| e.to_string())?;
    std::fs::write(file.path(), text).map_err(|e| e.to_string())?;
    terminal::suspend();
    // `$EDITOR` may carry arguments ("code --wait"), so the shell splits it.
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status()
        .await;
    terminal::resume(tui).map_err(|e: io::Error| e.to_string())?;
    match status {
        Ok(s) if s.success() => std::fs::read_to_string(file.path()).map_err(|e| e.to_string()),
        Ok(s) => Err(format!("{editor} exited with {s}; the text is unchanged")),
        Err(e) => Err(format!("cannot run {editor}: {e}")),
    }
}
