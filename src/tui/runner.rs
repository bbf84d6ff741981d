//! The event loop and the effects runner. Everything that waits (disk, network, child
//! processes) runs here, off the render path and with a timeout; `App` stays pure.
//!
//! Every message, whatever its origin (a key, a worker, an effect's answer, the first
//! resize), goes through one queue into `App::update`, and every effect it returns is
//! carried out; `Effect::Quit` is the one way out.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::app::{App, Effect, Msg, Reload};
use super::editor::{self, Editor, Step};
use super::keymap::Keymap;
use super::services::Services;
use super::terminal::{self, Tui};
use super::theme::{ColorDepth, Theme};
use super::ui;
use crate::checks::alertmanager;
use crate::config::duration::format_duration;
use crate::config::{self, Config, ConfigError};
use crate::event::{self, Event, Events, EventsRx};
use crate::handoff::{self, Log};
use crate::tui::panes::Detail;
use ratatui::text::Line;

/// While data streams, draw at most this often (keys still draw at once).
const FRAME: Duration = Duration::from_millis(100);
/// A disk write that takes longer than this is reported as failed (and kept for retry).
const SAVE_TIMEOUT: Duration = Duration::from_secs(10);
/// A config file change is reloaded once writes have been quiet this long (an editor's
/// save is often several events).
const RELOAD_QUIET: Duration = Duration::from_millis(300);
/// The most worker events taken into one frame.
const BATCH: usize = 2048;

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
/// whatever happens, before the workers and connections are stopped.
pub async fn run(options: Options) -> anyhow::Result<()> {
    let mut tui = terminal::enter().context("cannot set up the terminal")?;
    let mut runner = Runner::new(options)?;
    let result = runner.event_loop(&mut tui).await;
    terminal::restore();
    drop(runner);
    result
}

/// Why the loop woke up.
enum Wake {
    Term(Option<std::io::Result<TermEvent>>),
    Worker(Option<Event>),
    Msg(Msg),
    Tick,
    DrawDue,
    Services(Box<Result<(Services, Option<String>), tokio::task::JoinError>>),
    Editor(Step),
    ConfigChanged,
    ReloadDue,
    Signal,
}

struct Runner {
    app: App,
    config_path: Option<PathBuf>,
    tx: Events,
    rx: EventsRx,
    msg_tx: UnboundedSender<Msg>,
    msg_rx: UnboundedReceiver<Msg>,
    /// Messages waiting for `App::update`, oldest first.
    queue: VecDeque<Msg>,
    /// The log appends go to (the services hold their own copy for the watch).
    log: Log,
    /// For the Alertmanager calls `s` and `u` make.
    http: crate::checks::HttpClients,
    /// The running services, or `None` while they start or reconfigure on a blocking
    /// thread (`services_job`).
    services: Option<Services>,
    services_job: Option<JoinHandle<(Services, Option<String>)>>,
    /// A config that arrived while the services were busy; applied when they are back.
    next_config: Option<Config>,
    config_changed: UnboundedReceiver<()>,
    reload_at: Option<tokio::time::Instant>,
    editor: Option<Editor>,
    /// Sends what the bug outbox holds; restarted when `[tracker]` changes.
    desk: super::bugs::Desk,
    term_events: Option<EventStream>,
    tick: tokio::time::Interval,
    signals: [Signal; 3],
    quit: bool,
}

impl Runner {
    fn new(options: Options) -> anyhow::Result<Runner> {
        let Options {
            config,
            config_path,
            look,
        } = options;
        let (tx, rx) = event::channel();
        let (msg_tx, msg_rx) = unbounded_channel::<Msg>();
        let (changed_tx, config_changed) = unbounded_channel();
        let author = handoff::author(&config.handoff);
        let log = Log::from_spec(&config.handoff);
        // Everything that reads files or builds clients starts on a blocking thread; the
        // first frame is drawn meanwhile.
        let services_job = {
            let (config, author, tx) = (config.clone(), author.clone(), tx.clone());
            let path = config_path.clone();
            tokio::task::spawn_blocking(move || {
                let watch = path.as_deref().map(|p| (p, changed_tx));
                (Services::start(config, author, tx, watch), None)
            })
        };
        let desk = super::bugs::Desk::start(config.tracker.clone(), msg_tx.clone());
        let app = App::new(config, look.keymap, look.theme, author);
        Ok(Runner {
            desk,
            app,
            config_path,
            tx,
            rx,
            msg_tx,
            msg_rx,
            queue: VecDeque::new(),
            log,
            http: crate::checks::HttpClients::default(),
            services: None,
            services_job: Some(services_job),
            next_config: None,
            config_changed,
            reload_at: None,
            editor: None,
            term_events: Some(EventStream::new()),
            tick: tokio::time::interval(Duration::from_secs(1)),
            signals: [
                signal(SignalKind::terminate())?,
                signal(SignalKind::hangup())?,
                signal(SignalKind::interrupt())?,
            ],
            quit: false,
        })
    }

    async fn event_loop(&mut self, tui: &mut Tui) -> anyhow::Result<()> {
        let size = tui.size()?;
        self.queue.push_back(Msg::Resize(size.width, size.height));
        let mut last_draw = Instant::now() - FRAME;
        let mut urgent = true;
        let mut startup = StartupFigures::default();
        loop {
            while let Some(msg) = self.queue.pop_front() {
                if let Msg::Worker(event) = &msg {
                    startup.saw(event);
                }
                for effect in self.app.update(msg) {
                    self.carry_out(effect);
                }
                if self.quit {
                    return Ok(());
                }
            }
            let due = last_draw + FRAME;
            let can_draw = !self.editor.as_ref().is_some_and(Editor::owns_terminal);
            // Until every pane has had its first data, each arrival is drawn at once.
            if can_draw && self.app.dirty && (urgent || !startup.all_alive || Instant::now() >= due)
            {
                tui.draw(|frame| ui::draw(&self.app, frame))?;
                self.app.dirty = false;
                last_draw = Instant::now();
                startup.drawn();
            }
            let draw_later = can_draw && self.app.dirty;
            urgent = false;
            let [sigterm, sighup, sigint] = &mut self.signals;
            let wake = tokio::select! {
                event = next_term(&mut self.term_events) => Wake::Term(event),
                event = self.rx.recv() => Wake::Worker(event),
                Some(msg) = self.msg_rx.recv() => Wake::Msg(msg),
                _ = self.tick.tick() => Wake::Tick,
                _ = tokio::time::sleep_until(due.into()), if draw_later => Wake::DrawDue,
                done = join(&mut self.services_job) => Wake::Services(Box::new(done)),
                step = editor::next_step(&mut self.editor) => Wake::Editor(step),
                Some(()) = self.config_changed.recv() => Wake::ConfigChanged,
                _ = sleep_until_opt(self.reload_at) => Wake::ReloadDue,
                _ = sigterm.recv() => Wake::Signal,
                _ = sighup.recv() => Wake::Signal,
                _ = sigint.recv() => Wake::Signal,
            };
            match wake {
                Wake::Term(Some(Ok(event))) => {
                    urgent = true;
                    self.queue.extend(term_msg(event));
                }
                Wake::Term(Some(Err(err))) => return Err(err).context("reading the terminal"),
                Wake::Term(None) | Wake::Signal => return Ok(()),
                Wake::Worker(None) => {}
                Wake::Worker(Some(event)) => {
                    // Take whatever else is already queued so a burst costs one frame.
                    self.take_worker_event(event);
                    while self.queue.len() < BATCH {
                        match self.rx.try_recv() {
                            Ok(event) => self.take_worker_event(event),
                            Err(_) => break,
                        }
                    }
                }
                Wake::Msg(msg) => {
                    urgent = true;
                    self.queue.push_back(msg);
                }
                Wake::Tick => self.queue.push_back(Msg::Tick(chrono::Utc::now())),
                Wake::DrawDue => {}
                Wake::Services(done) => {
                    self.services_job = None;
                    self.services_back(*done);
                }
                Wake::Editor(step) => {
                    urgent = true;
                    self.editor_step(step, tui);
                }
                Wake::ConfigChanged => {
                    self.reload_at = Some(tokio::time::Instant::now() + RELOAD_QUIET);
                }
                Wake::ReloadDue => {
                    self.reload_at = None;
                    self.app.notify(
                        super::app::NoticeKind::Info,
                        "the config file changed: reloading…",
                    );
                    self.app.dirty = true;
                    reload(self.config_path.clone(), self.msg_tx.clone());
                }
            }
        }
    }

    fn take_worker_event(&mut self, event: Event) {
        if let (Event::HandoffCommitted { .. }, Some(services)) = (&event, &self.services) {
            // Share a new entry now rather than at the next period.
            services.nudge_sync();
        }
        self.queue.push_back(Msg::Worker(event));
    }

    /// Carries out one effect. Nothing here waits: what takes time is spawned, and its
    /// answer comes back as a message or an event.
    fn carry_out(&mut self, effect: Effect) {
        match effect {
            Effect::Quit => self.quit = true,
            Effect::Reload => reload(self.config_path.clone(), self.msg_tx.clone()),
            Effect::Reconfigure(config) => {
                self.log = Log::from_spec(&config.handoff);
                if self.desk.spec() != &config.tracker {
                    self.desk =
                        super::bugs::Desk::start(config.tracker.clone(), self.msg_tx.clone());
                }
                self.next_config = Some(*config);
                self.reconfigure_if_idle();
            }
            Effect::AnswerPrompt { reply, answer } => reply.answer(answer),
            Effect::FileBug(item) => self.desk.file(*item, self.msg_tx.clone()),
            Effect::OpenUrl(url) => {
                let notice = open_url(&url);
                self.queue.push_back(Msg::Worker(Event::Notice(notice)));
            }
            Effect::Copy(text) => {
                let lines = text.lines().count();
                let notice = match copy_to_clipboard(&text) {
                    Ok(()) => format!("copied {lines} line(s) to the clipboard (OSC 52)"),
                    Err(e) => format!("cannot copy: {e}"),
                };
                self.queue.push_back(Msg::Worker(Event::Notice(notice)));
            }
            Effect::Say(text) => self.queue.push_back(Msg::Worker(Event::Notice(text))),
            Effect::AppendHandoff { entry, retry } => {
                save(self.log.clone(), *entry, retry, self.tx.clone())
            }
            Effect::EditExternally { text, field } => {
                if self.editor.is_none() {
                    self.editor = Some(Editor::start(text, field));
                }
            }
            Effect::Silence {
                target,
                duration,
                comment,
                entry,
            } => {
                let (http, log, tx) = (self.http.clone(), self.log.clone(), self.tx.clone());
                let author = entry.author.clone();
                tokio::spawn(async move {
                    let made = match http.plain() {
                        Ok(client) => {
                            alertmanager::create_silence(
                                &client,
                                &target.url,
                                &target.labels,
                                duration,
                                &author,
                                &comment,
                            )
                            .await
                        }
                        Err(why) => Err(why),
                    };
                    let notice = match made {
                        Ok(id) => {
                            let mut entry = *entry;
                            entry.text = format!("{} (silence {id})", entry.text);
                            save(log, entry, false, tx.clone());
                            format!("silenced {} (silence {id})", target.alert)
                        }
                        Err(why) => format!("not silenced: {why}"),
                    };
                    let _ = tx.send(Event::Notice(notice));
                });
            }
            Effect::Unsilence { url, ids, entry } => {
                let (http, log, tx) = (self.http.clone(), self.log.clone(), self.tx.clone());
                tokio::spawn(async move {
                    let mut failed = Vec::new();
                    match http.plain() {
                        Ok(client) => {
                            for id in &ids {
                                if let Err(why) =
                                    alertmanager::expire_silence(&client, &url, id).await
                                {
                                    failed.push(why);
                                }
                            }
                        }
                        Err(why) => failed.push(why),
                    }
                    let notice = if failed.is_empty() {
                        let mut entry = *entry;
                        entry.text = format!("{} ({})", entry.text, ids.join(", "));
                        save(log, entry, false, tx.clone());
                        format!("expired silence {}", ids.join(", "))
                    } else {
                        format!("silence not expired: {}", failed.join("; "))
                    };
                    let _ = tx.send(Event::Notice(notice));
                });
            }
            Effect::DiskUsage { host, mount } => {
                let pool = self.services.as_ref().and_then(Services::pool);
                let msg_tx = self.msg_tx.clone();
                tokio::spawn(async move {
                    let detail = disk_usage(host, mount, pool).await;
                    let _ = msg_tx.send(Msg::Show(detail));
                });
            }
            Effect::ReadEarlier(requests) => {
                let config = std::sync::Arc::new(self.app.config.clone());
                let pool = self.services.as_ref().and_then(Services::pool);
                for request in requests {
                    let (config, msg_tx) = (config.clone(), self.msg_tx.clone());
                    let pool = pool.clone();
                    tokio::spawn(async move {
                        let source = request.source.clone();
                        let page = read_earlier(config, pool, request).await;
                        let _ = msg_tx.send(Msg::Earlier { source, page });
                    });
                }
            }
            Effect::RunCheck { check, target } => {
                let notice = match &self.services {
                    Some(services) if services.run_now(&check, &target) => {
                        match check.strip_prefix("drift ") {
                            Some(name) if target.is_empty() => format!("comparing {name} now"),
                            _ => format!("running {check} on {target} now"),
                        }
                    }
                    Some(_) => format!("{check} on {target} is not running"),
                    None => {
                        "the checks are restarting after a reload; try again in a moment".into()
                    }
                };
                self.queue.push_back(Msg::Worker(Event::Notice(notice)));
            }
        }
    }

    /// Hands the services a new config on a blocking thread, unless they are busy (then
    /// the newest config waits for them).
    fn reconfigure_if_idle(&mut self) {
        if self.services.is_none() || self.next_config.is_none() {
            return;
        }
        let (Some(mut services), Some(config)) = (self.services.take(), self.next_config.take())
        else {
            return;
        };
        self.services_job = Some(tokio::task::spawn_blocking(move || {
            let done = services.reconfigure(config);
            (services, Some(done.to_string()))
        }));
    }

    fn services_back(&mut self, done: Result<(Services, Option<String>), tokio::task::JoinError>) {
        match done {
            Ok((services, summary)) => {
                self.services = Some(services);
                if let Some(summary) = summary {
                    tracing::info!(%summary, "reconfigured");
                    let _ = self
                        .tx
                        .send(Event::Notice(format!("config reloaded: {summary}")));
                }
                self.reconfigure_if_idle();
            }
            Err(err) => {
                let text = format!("background services stopped: {err}; restart sheriff");
                let _ = self.tx.send(Event::Notice(text));
            }
        }
    }

    fn editor_step(&mut self, step: Step, tui: &mut Tui) {
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        let field = editor.field;
        let finished = match step {
            Step::Written(Ok(file)) => {
                // The editor owns the terminal meanwhile: stop reading keys from it.
                self.term_events = None;
                terminal::suspend();
                match editor.launch(file) {
                    Ok(()) => None,
                    Err(why) => {
                        self.resume(tui);
                        Some(Err(why))
                    }
                }
            }
            Step::Written(Err(why)) => Some(Err(why)),
            Step::Exited => {
                self.resume(tui);
                None
            }
            Step::Done(result) => Some(result),
        };
        if let Some(result) = finished {
            self.editor = None;
            self.queue.push_back(Msg::Edited { field, result });
        }
    }

    fn resume(&mut self, tui: &mut Tui) {
        if let Err(err) = terminal::resume(tui) {
            let text = format!("the screen could not be restored after the editor: {err}");
            self.app.notify(super::app::NoticeKind::Error, text);
        }
        self.term_events = Some(EventStream::new());
        self.app.dirty = true;
    }
}

async fn next_term(events: &mut Option<EventStream>) -> Option<std::io::Result<TermEvent>> {
    match events {
        Some(events) => events.next().await,
        None => std::future::pending().await,
    }
}

async fn join<T>(job: &mut Option<JoinHandle<T>>) -> Result<T, tokio::task::JoinError> {
    match job {
        Some(job) => job.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
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

/// Saves off the render path; the UI says "saved" only after the fsync returned, and
/// learns of the commit (shared logs) separately. A save that outlives the timeout is
/// reported failed (the text is kept as a draft) and still awaited: if it lands after all,
/// `HandoffSaved` follows and the draft is dropped; a retry is idempotent by id.
fn save(log: Log, entry: handoff::Entry, retry: bool, events: Events) {
    let id = entry.id.clone();
    tokio::spawn(async move {
        let saving = {
            let log = log.clone();
            tokio::task::spawn_blocking(move || {
                // A `sheriff watch` on this log records check states; it writes this one.
                let automatic = entry.kind == handoff::EntryKind::CheckState;
                if automatic && crate::checks::recorder::watch_records(log.root()) {
                    return Ok(None);
                }
                if retry {
                    log.save_again(entry).map(Some)
                } else {
                    log.save(entry).map(Some)
                }
            })
        };
        tokio::pin!(saving);
        let mut failure_said = false;
        let saved = match tokio::time::timeout(SAVE_TIMEOUT, &mut saving).await {
            Ok(result) => result,
            Err(_) => {
                let error = format!(
                    "the disk did not answer in {}",
                    format_duration(SAVE_TIMEOUT)
                );
                let _ = events.send(Event::HandoffFailed {
                    id: id.clone(),
                    error,
                });
                failure_said = true;
                saving.await
            }
        };
        let error = match saved {
            Ok(Ok(None)) => return,
            Ok(Ok(Some(saved))) => Ok(saved),
            Ok(Err(err)) => Err(err.to_string()),
            Err(err) => Err(format!("the writer stopped: {err}")),
        };
        let saved = match error {
            Ok(saved) => saved,
            Err(error) => {
                if !failure_said {
                    let _ = events.send(Event::HandoffFailed { id, error });
                }
                return;
            }
        };
        let _ = events.send(Event::HandoffSaved {
            id: id.clone(),
            redacted: !saved.masked.is_empty(),
        });
        if log.share().is_none() {
            return;
        }
        let committed = tokio::task::spawn_blocking(move || log.commit(&saved.entry)).await;
        let error = match committed {
            Ok(Ok(())) => None,
            Ok(Err(err)) => Some(err.to_string()),
            Err(err) => Some(format!("the commit stopped: {err}")),
        };
        let _ = events.send(Event::HandoffCommitted { id, error });
    });
}

/// How long a page of earlier lines may take to read (a gzip'd copy is inflated from its
/// start; a file on a hung NFS mount never answers).
const EARLIER_TIMEOUT: Duration = Duration::from_secs(20);

/// One page of a log's earlier lines, read within [`EARLIER_TIMEOUT`].
async fn read_earlier(
    config: std::sync::Arc<Config>,
    pool: Option<crate::transport::ssh::SshPool>,
    request: crate::logs::earlier::Request,
) -> Result<crate::logs::earlier::Page, String> {
    let read = crate::logs::earlier::read_request(config, pool, request);
    match tokio::time::timeout(EARLIER_TIMEOUT, read).await {
        Ok(page) => page,
        Err(_) => Err(format!(
            "no answer from the file in {}s",
            EARLIER_TIMEOUT.as_secs()
        )),
    }
}

/// The largest directories under `mount`, from a time-bounded `du -x` run where the disk
/// is, for the detail view.
async fn disk_usage(
    host: Option<String>,
    mount: String,
    pool: Option<crate::transport::ssh::SshPool>,
) -> Detail {
    use crate::checks::exec::Place;
    use crate::checks::probes::{bytes_text, disk};
    let command = disk::du_command(&mount);
    let place = match (&host, &pool) {
        (Some(host), Some(pool)) => Place::Host { pool, host },
        _ => Place::Here,
    };
    let title = format!(
        "what fills {mount} on {}",
        host.as_deref().unwrap_or("this machine")
    );
    let mut lines = vec![Line::raw(format!("$ {command}")), Line::raw("")];
    match place.run(&command, Duration::from_secs(25)).await {
        Ok(ran) => {
            let rows = disk::parse_du(&ran.stdout);
            if rows.is_empty() {
                lines.push(Line::raw("du found nothing it could read"));
            }
            for (bytes, path) in rows {
                let path = crate::text::into_printable(path);
                lines.push(Line::raw(format!("{:>10}  {path}", bytes_text(bytes))));
            }
            if ran.exit != Some(0) {
                lines.push(Line::raw(""));
                lines.push(Line::raw(
                    "du stopped early (20s limit) or could not read everything: the sizes are at least these",
                ));
            }
        }
        Err(err) => lines.push(Line::raw(format!("du did not run: {err}"))),
    }
    Detail { title, lines }
}

/// `o`: hands the URL to `xdg-open` (not waited for) where there is one; else copies it
/// with OSC 52, which terminals pass to the clipboard, even over ssh.
fn open_url(url: &str) -> String {
    let opened = std::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if opened.is_ok() {
        return format!("opening {url}");
    }
    match copy_to_clipboard(url) {
        Ok(()) => format!("copied {url} (no xdg-open here)"),
        Err(e) => format!("no xdg-open here, and cannot copy {url}: {e}"),
    }
}

/// Puts `text` on the clipboard with OSC 52: terminals pass it on, even over ssh.
fn copy_to_clipboard(text: &str) -> std::io::Result<()> {
    use crossterm::clipboard::CopyToClipboard;
    crossterm::execute!(std::io::stdout(), CopyToClipboard::to_clipboard_from(text))
}
