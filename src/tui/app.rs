//! The app's state and `update`: every state change happens here, from a `Msg`; `update`
//! does no I/O and returns the `Effect`s the runner carries out (DESIGN.md rule 1).

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::action::Action;
use super::bug_form::BugForm;
use super::input::{EditTarget, EntryForm, FormField, LineInput, SilenceTarget};
use super::key::KeyChord;
use super::keymap::Keymap;
use super::layout::{inner, screen_layout, too_small};
use super::panes::{
    Ask, Detail, DriftPane, Handled, HandoffPane, HealthPane, LogsPane, Pane, PaneId,
};
use super::theme::Theme;
use crate::checks::record::{recorder_of, StateChanges};
use crate::config::Config;
use crate::event::Event;
use crate::handoff::{Entry, EntryKind, Period, Report, Span as ReportSpan};
use crate::problems::Problems;
use crate::transport::ssh::{PromptReply, PromptRequest, Secret};
use crate::transport::HostState;
use ratatui::text::Line;

/// Everything that can happen to the app.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// About once a second: the clock moves on (relative times, notices expiring).
    Tick(DateTime<Utc>),
    Worker(Event),
    /// A reload finished: the new config, keymap and theme, or why the old ones stay.
    Reloaded(Result<Box<Reload>, String>),
    /// `$EDITOR` closed: the field's new text, or why it could not run.
    Edited {
        field: EditTarget,
        result: Result<String, String>,
    },
    /// News from the bug outbox: what was filed and how many wait, or one bug's fate.
    Bugs(Box<crate::tui::bugs::BugNews>),
    /// Something asked for (`d`: what fills a disk) arrived: shown in the detail view.
    Show(Detail),
    /// A page of a log's earlier lines, read back from its file, or why it could not be.
    Earlier {
        source: String,
        page: Result<crate::logs::earlier::Page, String>,
    },
}

#[derive(Debug)]
pub struct Reload {
    pub config: Config,
    pub keymap: Keymap,
    pub theme: Theme,
}

/// What the runner does for the app: all I/O lives there. The runner carries out every
/// effect `update` returns, whatever the message was.
#[derive(Debug)]
pub enum Effect {
    /// The one way out: the runner stops the workers and restores the terminal.
    Quit,
    /// Re-read config, keymap and theme off the render path; answers with `Msg::Reloaded`.
    Reload,
    /// Run what this config asks for, by difference with what runs now: unchanged workers
    /// and connections keep running, changed ones restart, removed ones stop.
    Reconfigure(Box<Config>),
    /// Answer a host's passphrase question (`None`: the sheriff declined).
    AnswerPrompt {
        reply: PromptReply,
        answer: Option<Secret>,
    },
    /// Append to the handoff log (locked, fsynced); answers with `HandoffSaved`/`Failed`,
    /// then, for a shared log, `HandoffCommitted`. `retry`: the entry may already be on
    /// disk from a try that timed out, so it is written only if its id is not there.
    AppendHandoff { entry: Box<Entry>, retry: bool },
    /// Suspend the screen and edit this text in `$EDITOR`; answers with `Msg::Edited`.
    EditExternally { text: String, field: EditTarget },
    /// Put a bug in the outbox (fsynced) and send it; answers with `Msg::Bugs`.
    FileBug(Box<crate::tracker::outbox::Queued>),
    /// Open a URL with `xdg-open`, or copy it to the clipboard (OSC 52) where there is none.
    OpenUrl(String),
    /// Copy text to the terminal's clipboard (OSC 52, which passes through ssh and tmux).
    Copy(String),
    /// A pane's word to the sheriff, shown as a notice (the app shows it; no I/O).
    Say(String),
    /// Run a check on a target now instead of at its next turn.
    RunCheck { check: String, target: String },
    /// Find the largest directories under a mount (here, or on `host`); answers with
    /// `Msg::Show`.
    DiskUsage { host: Option<String>, mount: String },
    /// Create a silence in Alertmanager, then record `entry` (the change, with its why);
    /// answers with a notice either way.
    Silence {
        target: SilenceTarget,
        duration: std::time::Duration,
        comment: String,
        entry: Box<Entry>,
    },
    /// Expire silences in Alertmanager, then record `entry`.
    Unsilence {
        url: String,
        ids: Vec<String>,
        entry: Box<Entry>,
    },
    /// Read these pages of logs' earlier lines from their files, off the render path;
    /// each answers with `Msg::Earlier`.
    ReadEarlier(Vec<crate::logs::earlier::Request>),
}

/// What covers the panes, if anything. Keys go to the overlay first.
#[derive(Debug)]
pub enum Overlay {
    Help {
        scroll: usize,
    },
    Detail {
        detail: Detail,
        scroll: usize,
    },
    Command {
        input: LineInput,
        error: Option<String>,
    },
    /// A one-line prompt over a pane: a filter, an exclusion, a search, a time.
    Filter {
        pane: PaneId,
        ask: Ask,
        input: LineInput,
        error: Option<String>,
    },
    Form(Box<EntryForm>),
    Bug(Box<BugForm>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Success,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub kind: NoticeKind,
    pub until: DateTime<Utc>,
}

/// A passphrase question from a host, with what has been typed (never drawn, only counted).
#[derive(Debug)]
pub struct PendingPrompt {
    pub request: PromptRequest,
    reply: PromptReply,
    pub input: LineInput,
}

pub struct App {
    pub config: Config,
    pub keymap: Keymap,
    pub theme: Theme,
    pub health: HealthPane,
    pub logs: LogsPane,
    pub drift: DriftPane,
    pub handoff: HandoffPane,
    pub focus: PaneId,
    pub zoom: bool,
    pub overlay: Option<Overlay>,
    /// The terminal's size, for layout in mouse handling and page sizes.
    pub area: Rect,
    pub now: DateTime<Utc>,
    pub author: String,
    pub notice: Option<Notice>,
    /// Hosts whose connection is not up, for the status line.
    pub hosts_down: Vec<(String, HostState)>,
    /// Entries sent to the store, not yet confirmed on disk.
    pub pending: Vec<Entry>,
    /// Hosts asking for a key passphrase, oldest first; the first is shown over everything.
    pub prompts: std::collections::VecDeque<PendingPrompt>,
    /// A form closed without saving; `n`/`c` reopens it.
    draft: Option<Box<EntryForm>>,
    /// Check state changes to record in the handoff log, and whether this process is the
    /// one that records them (its author's shift is open; see `checks::record`).
    state_changes: StateChanges,
    pub recording: bool,
    /// What is still broken, from the log and live results; the report preview reads it.
    pub problems: Problems,
    /// The bugs sheriff filed and how many wait in the outbox.
    pub bugs: crate::tui::bugs::BugBook,
    /// `[[autofile]]` rules, run while this process records.
    pub(crate) autofile: crate::tracker::autofile::Autofile,
    /// Set by `update` when the screen must be drawn again.
    pub dirty: bool,
}

impl App {
    pub fn new(config: Config, keymap: Keymap, theme: Theme, author: String) -> Self {
        let mut app = App {
            keymap,
            theme,
            health: HealthPane::default(),
            logs: LogsPane::default(),
            drift: DriftPane::default(),
            handoff: HandoffPane::default(),
            focus: PaneId::Health,
            zoom: false,
            overlay: None,
            area: Rect::new(0, 0, 80, 24),
            now: Utc::now(),
            author,
            notice: None,
            hosts_down: Vec::new(),
            pending: Vec::new(),
            prompts: std::collections::VecDeque::new(),
            draft: None,
            state_changes: StateChanges::default(),
            problems: Problems::default(),
            bugs: Default::default(),
            autofile: Default::default(),
            recording: false,
            dirty: true,
            config: Config::default(),
        };
        app.apply_config(config);
        app
    }

    fn apply_config(&mut self, config: Config) {
        self.state_changes.configure(&config);
        self.problems.retain_configured(&config);
        self.health.configure(&config);
        self.drift.configure(&config);
        self.logs.configure(&config.logs_view);
        if self.config.autofile != config.autofile {
            self.autofile = crate::tracker::autofile::Autofile::new(&config.autofile);
        }
        self.config = config;
    }

    pub fn pane(&self, id: PaneId) -> &dyn Pane {
        match id {
            PaneId::Health => &self.health,
            PaneId::Logs => &self.logs,
            PaneId::Drift => &self.drift,
            PaneId::Handoff => &self.handoff,
        }
    }

    fn pane_mut(&mut self, id: PaneId) -> &mut dyn Pane {
        match id {
            PaneId::Health => &mut self.health,
            PaneId::Logs => &mut self.logs,
            PaneId::Drift => &mut self.drift,
            PaneId::Handoff => &mut self.handoff,
        }
    }

    /// Rows visible inside a pane, for paging.
    fn page_of(&self, id: PaneId) -> usize {
        let layout = screen_layout(self.area, self.focus, self.zoom);
        layout.rect_of(id).map_or(10, |r| inner(r).height as usize)
    }

    pub fn notify(&mut self, kind: NoticeKind, text: impl Into<String>) {
        let seconds = if kind == NoticeKind::Error { 15 } else { 5 };
        self.notice = Some(Notice {
            text: text.into(),
            kind,
            until: self.now + ChronoDuration::seconds(seconds),
        });
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => {
                self.dirty = true;
                self.on_key(key)
            }
            Msg::Key(_) => Vec::new(),
            Msg::Mouse(mouse) => self.on_mouse(mouse),
            Msg::Paste(text) => {
                self.dirty = true;
                self.on_paste(&text);
                Vec::new()
            }
            Msg::Resize(width, height) => {
                self.area = Rect::new(0, 0, width, height);
                self.dirty = true;
                Vec::new()
            }
            Msg::Tick(now) => {
                self.now = now;
                self.drift.reapply_acceptances(now);
                if self.notice.as_ref().is_some_and(|n| n.until <= now) {
                    self.notice = None;
                }
                // Relative times and staleness move with the clock.
                self.dirty = true;
                Vec::new()
            }
            Msg::Worker(event) => self.on_worker(event),
            Msg::Reloaded(result) => self.on_reloaded(result),
            Msg::Bugs(news) => self.on_bug_news(*news),
            Msg::Show(detail) => {
                self.dirty = true;
                self.overlay = Some(Overlay::Detail { detail, scroll: 0 });
                Vec::new()
            }
            Msg::Earlier { source, page } => {
                self.dirty = true;
                let page_rows = self.page_of(PaneId::Logs);
                self.logs.earlier_arrived(&source, page, page_rows)
            }
            Msg::Edited { field, result } => {
                self.dirty = true;
                match (result, &mut self.overlay, field) {
                    (Ok(text), Some(Overlay::Form(form)), EditTarget::Entry(field)) => {
                        form.set_text(field, &text)
                    }
                    (Ok(text), Some(Overlay::Bug(form)), EditTarget::BugBody) => {
                        form.set_body(&text)
                    }
                    (Err(why), _, _) => self.notify(NoticeKind::Error, format!("editor: {why}")),
                    _ => {}
                }
                Vec::new()
            }
        }
    }

    fn on_worker(&mut self, mut event: Event) -> Vec<Effect> {
        if let Event::Drift(report) = &mut event {
            // What the handoff log accepts is not counted, here and in the problems.
            self.drift.apply_acceptances(report, self.now);
        }
        if let Event::HandoffEntries(entries) = event {
            self.drift.learn_acceptances(&entries, self.now);
            self.state_changes.learn_from_log(&entries);
            self.problems.learn_from_log(&entries);
            self.health.learn_acks(&entries);
            // The whole log arrives in one event: move it in rather than copy it.
            self.handoff.add_entries(entries);
            self.recording = recorder_of(self.handoff.entries()) == Some(self.author.as_str());
            self.dirty = true;
            return Vec::new();
        }
        if let Event::LogLines { lines, .. } = event {
            // Moved into the buffer, as the handoff log is: a copy of every line's text
            // would double what a flood costs, in time and in memory.
            self.logs.push_lines(lines);
            return Vec::new();
        }
        match &event {
            Event::Check(run) => self.problems.observe_run(&self.config, run),
            Event::Drift(report) => self.problems.observe_drift(report),
            _ => {}
        }
        let mut effects = Vec::new();
        if let (Event::Check(run), true) = (&event, self.recording) {
            for entry in self.state_changes.observe_run(run, &self.author) {
                effects.push(Effect::AppendHandoff {
                    entry: Box::new(entry),
                    retry: false,
                });
            }
            effects.extend(self.autofile_run(run));
        }
        match &event {
            Event::Host { host, state } => {
                self.hosts_down.retain(|(h, _)| h != host);
                if !state.is_up() {
                    self.hosts_down.push((host.clone(), state.clone()));
                }
            }
            Event::HandoffSaved { id, .. } if !self.is_own_entry(id) => {
                // Not the sheriff's own entry (a recorded check state): nothing to say.
            }
            Event::HandoffFailed { id, error } if !self.is_own_entry(id) => {
                self.notify(
                    NoticeKind::Error,
                    format!("a check state change was not recorded: {error}"),
                );
            }
            Event::HandoffSaved { id, redacted } => {
                self.pending.retain(|e| &e.id != id);
                // A save reported failed (timed out) that landed after all: its draft is
                // not needed any more.
                let late = self
                    .draft
                    .as_ref()
                    .is_some_and(|d| d.retry_of.as_ref() == Some(id));
                if late {
                    self.draft = None;
                }
                let text = match (*redacted, late) {
                    (true, _) => "saved ✔ — a secret in it was masked before it reached the disk",
                    (false, true) => {
                        "saved ✔ after all — the slow disk did answer; the draft is gone"
                    }
                    (false, false) => "saved ✔",
                };
                self.notify(NoticeKind::Success, text);
            }
            // Saved stays saved: sharing is reported on its own, never as a failure of the
            // save.
            Event::HandoffCommitted {
                error: Some(why), ..
            } => self.notify(
                NoticeKind::Info,
                format!("saved ✔, not shared yet ({why}); the next sync retries"),
            ),
            Event::HandoffFailed { id, error } => {
                if let Some(i) = self.pending.iter().position(|e| &e.id == id) {
                    let entry = self.pending.remove(i);
                    let mut form = form_from_entry(&entry);
                    form.retry_of = Some(entry.id.clone());
                    self.draft = Some(Box::new(form));
                }
                self.notify(
                    NoticeKind::Error,
                    format!("not saved: {error} — your text is kept, press n or c to retry"),
                );
            }
            Event::Notice(text) => self.notify(NoticeKind::Info, text.clone()),
            Event::Prompt { request, reply } => {
                self.prompts.push_back(PendingPrompt {
                    request: request.clone(),
                    reply: reply.clone(),
                    input: LineInput::default(),
                });
            }
            _ => {}
        }
        let mut changed = false;
        for id in PaneId::ALL {
            changed |= self.pane_mut(id).on_event(&event);
        }
        self.dirty |= changed || !matches!(event, Event::Check(_));
        effects
    }

    /// Whether `id` is an entry the sheriff typed: being saved, or kept as a draft after
    /// a save that timed out.
    fn is_own_entry(&self, id: &str) -> bool {
        self.pending.iter().any(|e| e.id == id)
            || self
                .draft
                .as_ref()
                .is_some_and(|d| d.retry_of.as_deref() == Some(id))
    }

    fn on_reloaded(&mut self, result: Result<Box<Reload>, String>) -> Vec<Effect> {
        self.dirty = true;
        match result {
            Ok(reload) => {
                let Reload {
                    config,
                    keymap,
                    theme,
                } = *reload;
                self.keymap = keymap;
                self.theme = theme;
                self.apply_config(config.clone());
                self.notify(NoticeKind::Success, "config reloaded");
                vec![Effect::Reconfigure(Box::new(config))]
            }
            Err(why) => {
                self.notify(
                    NoticeKind::Error,
                    format!("reload failed, old config kept: {why}"),
                );
                Vec::new()
            }
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl
            && key.code == KeyCode::Char('c')
            && !matches!(self.overlay, Some(Overlay::Form(_) | Overlay::Bug(_)))
        {
            // ctrl-c always gets out, whatever the keymap says.
            return self.quit();
        }
        if let Some(prompt) = self.prompts.pop_front() {
            return self.on_prompt_key(prompt, key);
        }
        if let Some(overlay) = self.overlay.take() {
            return self.on_overlay_key(overlay, key);
        }
        let Some(chord) = KeyChord::from_event(&key) else {
            return Vec::new();
        };
        match self.keymap.action_for(self.focus.section(), chord) {
            Some(action) => self.dispatch(action),
            None => Vec::new(),
        }
    }

    /// Quitting answers every open question with "declined", so no host waits on a UI
    /// that is gone.
    fn quit(&mut self) -> Vec<Effect> {
        let mut effects: Vec<Effect> = self
            .prompts
            .drain(..)
            .map(|prompt| {
                drop(Secret::new(prompt.input.text));
                Effect::AnswerPrompt {
                    reply: prompt.reply,
                    answer: None,
                }
            })
            .collect();
        effects.push(Effect::Quit);
        effects
    }

    /// A host's passphrase question takes every key until answered or cancelled.
    fn on_prompt_key(&mut self, mut prompt: PendingPrompt, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Enter => {
                let secret = Secret::new(std::mem::take(&mut prompt.input.text));
                vec![Effect::AnswerPrompt {
                    reply: prompt.reply,
                    answer: Some(secret),
                }]
            }
            KeyCode::Esc => {
                // What was typed is wiped, not just dropped.
                drop(Secret::new(std::mem::take(&mut prompt.input.text)));
                let host = &prompt.request.host;
                self.notify(
                    NoticeKind::Info,
                    format!("{host}: not unlocked; R (reload) asks again"),
                );
                vec![Effect::AnswerPrompt {
                    reply: prompt.reply,
                    answer: None,
                }]
            }
            KeyCode::Tab if !self.prompts.is_empty() => {
                // Another host asks too: answer that one first; this one waits its turn
                // (what was typed for it is wiped, not kept).
                drop(Secret::new(std::mem::take(&mut prompt.input.text)));
                self.prompts.push_back(prompt);
                Vec::new()
            }
            _ => {
                prompt.input.handle_key(&key);
                self.prompts.push_front(prompt);
                Vec::new()
            }
        }
    }

    /// Carries out an action from a key, the mouse or the command bar.
    pub fn dispatch(&mut self, action: Action) -> Vec<Effect> {
        self.dirty = true;
        // While a search runs in the Logs pane, `n` steps to the next match and `esc`
        // ends the search; otherwise they keep their meaning (a note, back).
        let action = match action {
            Action::Note if self.focus == PaneId::Logs && self.logs.is_searching() => {
                Action::NextMatch
            }
            Action::Back if self.focus == PaneId::Logs && self.logs.is_searching() => {
                Action::EndSearch
            }
            other => other,
        };
        // A view a pane opened inside itself (the Drift pane's diff) takes `enter` and
        // `esc` first; only what the pane does not take opens an overlay or unzooms.
        if matches!(action, Action::Open | Action::Back) {
            let page = self.page_of(self.focus);
            if let Handled::Done(effects) = self.pane_mut(self.focus).handle(action, page) {
                return self.pane_effects(effects);
            }
        }
        match action {
            Action::Quit => return self.quit(),
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::CommandBar => {
                self.overlay = Some(Overlay::Command {
                    input: LineInput::default(),
                    error: None,
                })
            }
            Action::FocusNext => self.focus = self.focus.next(),
            Action::FocusPrev => self.focus = self.focus.prev(),
            Action::FocusHealth => self.focus = PaneId::Health,
            Action::FocusLogs => self.focus = PaneId::Logs,
            Action::FocusDrift => self.focus = PaneId::Drift,
            Action::FocusHandoff => self.focus = PaneId::Handoff,
            Action::Zoom => self.zoom = !self.zoom,
            Action::Back => {
                if self.zoom {
                    self.zoom = false;
                } else {
                    self.notice = None;
                }
            }
            Action::Open => match self.pane(self.focus).detail(&self.theme) {
                Some(detail) => self.overlay = Some(Overlay::Detail { detail, scroll: 0 }),
                None => self.notify(NoticeKind::Info, "nothing selected to open"),
            },
            Action::PreviewReport => {
                let detail = self.report_preview();
                self.overlay = Some(Overlay::Detail { detail, scroll: 0 });
            }
            Action::Note => self.open_form(EntryKind::Note),
            Action::FileBug => self.open_bug_form(),
            Action::OpenBug => return self.open_bug(),
            Action::RecordChange => self.open_form(EntryKind::Change),
            Action::Acknowledge if self.focus == PaneId::Health => self.open_form(EntryKind::Ack),
            Action::Acknowledge if self.focus == PaneId::Drift => match self.drift.to_accept() {
                Some(acceptance) => {
                    let refs = self.drift.selection_refs();
                    self.overlay =
                        Some(Overlay::Form(Box::new(EntryForm::accept(acceptance, refs))));
                }
                None => self.notify(
                    NoticeKind::Info,
                    "a accepts drift: select a target, a drifted file, or a hunk in a file's diff",
                ),
            },
            Action::DiskUsage if self.focus == PaneId::Health => match self.health.disk_target() {
                Some((host, mount)) => {
                    self.notify(
                        NoticeKind::Info,
                        format!("du -x {mount}: looking (at most 20s)…"),
                    );
                    return vec![Effect::DiskUsage { host, mount }];
                }
                None => self.notify(
                    NoticeKind::Info,
                    "d shows what fills a disk: select a disk row",
                ),
            },
            Action::Silence if self.focus == PaneId::Health => match self.health.silence_target() {
                Some(target) => {
                    let refs = self.health.selection_refs();
                    self.overlay = Some(Overlay::Form(Box::new(EntryForm::silence(target, refs))));
                }
                None => self.notify(
                    NoticeKind::Info,
                    "s silences an Alertmanager alert: select one",
                ),
            },
            Action::Unsilence if self.focus == PaneId::Health => match self.health.silences() {
                Some((target, ids)) => {
                    let text = format!("expired the silence of {} in Alertmanager", target.alert);
                    let mut entry = Entry::new(EntryKind::Note, self.author.as_str(), text)
                        .with_refs(self.health.selection_refs());
                    entry.time = self.now;
                    self.notify(NoticeKind::Info, "expiring the silence…");
                    return vec![Effect::Unsilence {
                        url: target.url,
                        ids,
                        entry: Box::new(entry),
                    }];
                }
                None => self.notify(
                    NoticeKind::Info,
                    "u expires a silence: select a silenced alert",
                ),
            },
            Action::Filter | Action::FilterOut | Action::Search | Action::JumpToTime => {
                let pane = self.focus;
                let ask = match action {
                    Action::FilterOut => Ask::Exclude,
                    Action::Search => Ask::Search,
                    Action::JumpToTime => Ask::Jump,
                    _ => Ask::Filter,
                };
                let can = match ask {
                    Ask::Filter => matches!(pane, PaneId::Health | PaneId::Logs | PaneId::Handoff),
                    _ => pane == PaneId::Logs,
                };
                if can {
                    let current = self.pane(pane).asked(ask).unwrap_or_default();
                    self.overlay = Some(Overlay::Filter {
                        pane,
                        ask,
                        input: LineInput::with_text(&current),
                        error: None,
                    });
                } else {
                    self.notify(
                        NoticeKind::Info,
                        format!("the {} pane cannot {}", pane.name(), ask.label()),
                    );
                }
            }
            Action::ReloadConfig => {
                self.notify(NoticeKind::Info, "reloading config…");
                return vec![Effect::Reload];
            }
            other => {
                let page = self.page_of(self.focus);
                match self.pane_mut(self.focus).handle(other, page) {
                    Handled::Done(effects) => return self.pane_effects(effects),
                    Handled::NotHere => self.notify(
                        NoticeKind::Info,
                        format!(
                            "{} does nothing in the {} pane",
                            other.name(),
                            self.focus.name()
                        ),
                    ),
                }
            }
        }
        Vec::new()
    }

    /// What a pane asked for: what it says becomes a notice, the rest goes to the runner.
    fn pane_effects(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        let mut out = Vec::with_capacity(effects.len());
        for effect in effects {
            match effect {
                Effect::Say(text) => self.notify(NoticeKind::Info, text),
                other => out.push(other),
            }
        }
        out
    }

    /// The shift report as `sheriff handoff` prints it, with the open problems the screen
    /// knows now (current check states and drift), from the entries already in memory.
    fn report_preview(&self) -> Detail {
        let entries = self.handoff.entries();
        let open = self.problems.open();
        let span = ReportSpan::resolve(Period::Shift, entries, self.now);
        let markdown = Report::build(entries, span, open).to_markdown();
        let lines = markdown.lines().map(|l| Line::raw(l.to_string())).collect();
        Detail {
            title: "shift report preview · sheriff handoff prints the same".into(),
            lines,
        }
    }

    fn open_form(&mut self, kind: EntryKind) {
        let form = match self.draft.take() {
            Some(draft) if draft.kind == kind => draft,
            other => {
                self.draft = other;
                Box::new(EntryForm::new(kind, self.pane(self.focus).selection_refs()))
            }
        };
        self.overlay = Some(Overlay::Form(form));
    }

    fn on_overlay_key(&mut self, overlay: Overlay, key: KeyEvent) -> Vec<Effect> {
        let chord = KeyChord::from_event(&key);
        let action = chord.and_then(|c| self.keymap.action_for(self.focus.section(), c));
        match overlay {
            Overlay::Help { scroll } | Overlay::Detail { scroll, .. }
                if matches!(
                    action,
                    Some(Action::Back) | Some(Action::Quit) | Some(Action::Help)
                ) || key.code == KeyCode::Esc =>
            {
                let _ = scroll;
            }
            Overlay::Help { scroll } => {
                self.overlay = Some(Overlay::Help {
                    scroll: scroll_by(scroll, action, 10),
                })
            }
            Overlay::Detail { detail, scroll } => {
                let page = self.area.height.saturating_sub(4) as usize;
                let scroll =
                    scroll_by(scroll, action, page).min(detail.lines.len().saturating_sub(1));
                self.overlay = Some(Overlay::Detail { detail, scroll });
            }
            Overlay::Command { input, error } => return self.on_command_key(input, error, key),
            Overlay::Filter {
                pane,
                ask,
                mut input,
                ..
            } => match key.code {
                KeyCode::Esc => {}
                KeyCode::Enter => {
                    if let Err(error) = self.pane_mut(pane).ask(ask, &input.text) {
                        self.overlay = Some(Overlay::Filter {
                            pane,
                            ask,
                            input,
                            error: Some(error),
                        });
                    }
                }
                _ => {
                    input.handle_key(&key);
                    // Filter and search as the sheriff types; a half-typed regex waits for
                    // more. A time is only read on enter.
                    let error = match ask {
                        Ask::Jump => None,
                        _ => self.pane_mut(pane).ask(ask, &input.text).err(),
                    };
                    self.overlay = Some(Overlay::Filter {
                        pane,
                        ask,
                        input,
                        error,
                    });
                }
            },
            Overlay::Form(form) => return self.on_form_key(form, key),
            Overlay::Bug(form) => return self.on_bug_key(form, key),
        }
        Vec::new()
    }

    fn on_command_key(
        &mut self,
        mut input: LineInput,
        error: Option<String>,
        key: KeyEvent,
    ) -> Vec<Effect> {
        match key.code {
            KeyCode::Esc => Vec::new(),
            KeyCode::Enter => {
                let name = input.text.trim().to_string();
                let name = match name.as_str() {
                    "q" | "q!" | "exit" => "quit",
                    other => other,
                };
                match Action::from_name(name) {
                    Some(action) => self.dispatch(action),
                    None => {
                        let hint = crate::config::diagnostic::suggestion(
                            name,
                            Action::ALL.iter().map(|a| a.name()),
                        );
                        let error =
                            Some(format!("unknown command \"{name}\"{hint}; tab completes"));
                        self.overlay = Some(Overlay::Command { input, error });
                        Vec::new()
                    }
                }
            }
            KeyCode::Tab => {
                let matches = command_completions(&input.text);
                match common_prefix(&matches) {
                    Some(common) if common.len() > input.text.trim().len() => {
                        input = LineInput::with_text(&common)
                    }
                    _ => {}
                }
                self.overlay = Some(Overlay::Command { input, error: None });
                Vec::new()
            }
            _ => {
                let changed = input.handle_key(&key);
                self.overlay = Some(Overlay::Command {
                    input,
                    error: if changed { None } else { error },
                });
                Vec::new()
            }
        }
    }

    fn on_form_key(&mut self, mut form: Box<EntryForm>, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => {
                if !form.is_empty() {
                    self.notify(NoticeKind::Info, "draft kept — n or c opens it again");
                    self.draft = Some(form);
                }
                return Vec::new();
            }
            KeyCode::Char('s') if ctrl => return self.submit(form),
            KeyCode::Enter if alt || ctrl => return self.submit(form),
            KeyCode::Tab | KeyCode::BackTab if form.needs_why() => {
                form.field = if form.field == FormField::What {
                    FormField::Why
                } else {
                    FormField::What
                };
            }
            KeyCode::Char('e') if ctrl => {
                let field = form.field;
                let text = form.text(field);
                self.overlay = Some(Overlay::Form(form));
                return vec![Effect::EditExternally {
                    text,
                    field: EditTarget::Entry(field),
                }];
            }
            _ => {
                form.problem = None;
                form.field_mut().input(key);
            }
        }
        self.overlay = Some(Overlay::Form(form));
        Vec::new()
    }

    fn submit(&mut self, mut form: Box<EntryForm>) -> Vec<Effect> {
        if let Err(problem) = form.validate() {
            form.problem = Some(problem);
            self.overlay = Some(Overlay::Form(form));
            return Vec::new();
        }
        let mut entry = Entry::new(form.kind, self.author.as_str(), form.text(FormField::What))
            .with_refs(form.refs.clone());
        if form.needs_why() {
            entry = entry.with_why(form.text(FormField::Why));
        }
        entry.time = self.now;
        if let Some(mut acceptance) = form.accept.clone() {
            let Ok(length) = form.accept_for() else {
                return Vec::new();
            };
            acceptance.why = form.text(FormField::Why);
            acceptance.by = self.author.clone();
            acceptance.at = self.now;
            acceptance.until = length
                .and_then(|l| chrono::TimeDelta::from_std(l).ok())
                .map(|l| self.now + l);
            entry = acceptance.to_entry();
        }
        if let Some(target) = form.silence.clone() {
            let Ok(duration) = form.silence_for() else {
                return Vec::new();
            };
            let comment = form.text(FormField::Why);
            entry.text = format!(
                "silenced {} in Alertmanager for {}",
                target.alert,
                crate::config::duration::format_duration(duration)
            );
            self.notify(NoticeKind::Info, "silencing…");
            return vec![Effect::Silence {
                target,
                duration,
                comment,
                entry: Box::new(entry),
            }];
        }
        let retry = form.retry_of.is_some();
        if let Some(id) = form.retry_of.take() {
            entry.id = id;
        }
        self.pending.push(entry.clone());
        self.notify(NoticeKind::Info, "saving…");
        vec![Effect::AppendHandoff {
            entry: Box::new(entry),
            retry,
        }]
    }

    fn on_paste(&mut self, text: &str) {
        if let Some(prompt) = self.prompts.front_mut() {
            prompt.input.insert_str(text);
            return;
        }
        match &mut self.overlay {
            Some(Overlay::Form(form)) => {
                form.field_mut().insert_str(text);
            }
            Some(Overlay::Bug(form)) => form.paste(text),
            Some(Overlay::Command { input, .. }) => input.insert_str(text),
            Some(Overlay::Filter {
                pane,
                ask,
                input,
                error,
            }) => {
                input.insert_str(text);
                let (pane, ask) = (*pane, *ask);
                let filter = input.text.clone();
                *error = None;
                if ask == Ask::Jump {
                    return;
                }
                if let Err(e) = self.pane_mut(pane).ask(ask, &filter) {
                    if let Some(Overlay::Filter { error, .. }) = &mut self.overlay {
                        *error = Some(e);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        if too_small(self.area) {
            return Vec::new();
        }
        let scroll = match mouse.kind {
            MouseEventKind::ScrollUp => Some(Action::Up),
            MouseEventKind::ScrollDown => Some(Action::Down),
            _ => None,
        };
        if let Some(Overlay::Detail {
            scroll: offset,
            detail,
        }) = &mut self.overlay
        {
            if let Some(action) = scroll {
                *offset =
                    scroll_by(*offset, Some(action), 3).min(detail.lines.len().saturating_sub(1));
                self.dirty = true;
            }
            return Vec::new();
        }
        if self.overlay.is_some() {
            return Vec::new();
        }
        let layout = screen_layout(self.area, self.focus, self.zoom);
        let Some((pane, rect)) = layout.pane_at(mouse.column, mouse.row) else {
            return Vec::new();
        };
        let page = inner(rect).height as usize;
        match (mouse.kind, scroll) {
            (MouseEventKind::Down(_), _) => {
                self.focus = pane;
                let body = inner(rect);
                if body.contains((mouse.column, mouse.row).into()) {
                    self.pane_mut(pane)
                        .click_row((mouse.row - body.y) as usize, page);
                }
                self.dirty = true;
            }
            (_, Some(action)) => {
                // The wheel only moves the view; what a movement asks for is not wanted
                // three times, so only the last step's effects are kept.
                let mut effects = Vec::new();
                for _ in 0..3 {
                    if let Handled::Done(more) = self.pane_mut(pane).handle(action, page) {
                        effects = more;
                    }
                }
                self.dirty = true;
                return effects;
            }
            _ => {}
        }
        Vec::new()
    }
}

fn scroll_by(scroll: usize, action: Option<Action>, page: usize) -> usize {
    match action {
        Some(Action::Up) => scroll.saturating_sub(1),
        Some(Action::Down) => scroll + 1,
        Some(Action::PageUp) => scroll.saturating_sub(page),
        Some(Action::PageDown) => scroll + page,
        Some(Action::Top) => 0,
        _ => scroll,
    }
}

/// Action names the command bar offers for what has been typed.
pub fn command_completions(typed: &str) -> Vec<&'static str> {
    let typed = typed.trim();
    let mut names: Vec<_> = Action::ALL
        .iter()
        .map(|a| a.name())
        .filter(|n| n.starts_with(typed))
        .collect();
    if names.is_empty() {
        // Nothing starts so; offer names containing it ("follow" finds toggle_follow).
        names = Action::ALL
            .iter()
            .map(|a| a.name())
            .filter(|n| n.contains(typed))
            .collect();
    }
    names
}

fn common_prefix(names: &[&str]) -> Option<String> {
    let first = names.first()?;
    let mut prefix = first.to_string();
    for name in &names[1..] {
        while !name.starts_with(&prefix) {
            prefix.pop();
        }
    }
    Some(prefix)
}

fn form_from_entry(entry: &Entry) -> EntryForm {
    let mut form = EntryForm::new(entry.kind, entry.refs.clone());
    form.set_text(FormField::What, &entry.text);
    if let Some(why) = &entry.why {
        form.set_text(FormField::Why, why);
    }
    form
}
