//! Bugs in the TUI. App side: `b` opens a [`BugForm`] pre-filled from the focused pane's
//! [`Subject`](crate::tracker::draft::Subject), submitting asks the runner to file it,
//! and each outcome becomes a notice and a handoff entry. Runner side: the [`Desk`], a
//! task that sends what the outbox holds when it is due and tells the app what was filed
//! and how many wait (`2 queued ⟳` in the status line).

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::app::{App, Effect, Msg, NoticeKind, Overlay};
use super::bug_form::{BugField, BugForm};
use super::input::EditTarget;
use crate::config::TrackerSpec;
use crate::tracker::draft::BugDraft;
use crate::tracker::record::{Filed, Source};
use crate::tracker::send::{self, Outcome};
use crate::tracker::{self, IssueState};

/// How often the desk looks for due bugs in the outbox.
const RETRY_EVERY: Duration = Duration::from_secs(30);
/// How often it asks the tracker whether the bugs it filed are still open.
const FOLLOW_EVERY: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub enum BugNews {
    /// What the record and the outbox hold now.
    Book { filed: Vec<Filed>, queued: usize },
    /// One bug's fate.
    Outcome(Box<Outcome>),
    /// The outbox itself could not be written: nothing was sent.
    NotQueued(String),
}

/// What the app knows of the bugs sheriff filed.
#[derive(Debug, Default)]
pub struct BugBook {
    pub filed: Vec<Filed>,
    pub queued: usize,
    /// Bugs handed to the runner whose fate is not known yet.
    pub sending: usize,
    /// A bug form closed without filing; `b` on the same thing opens it again.
    pub draft: Option<Box<BugForm>>,
}

impl BugBook {
    /// The latest bug filed about this source.
    pub fn about(&self, source: &Source) -> Option<&Filed> {
        self.filed.iter().rev().find(|f| {
            f.source.check == source.check
                && f.source.target == source.target
                && f.source.item == source.item
                && f.source.drift == source.drift
                && f.source.host == source.host
        })
    }
}

impl App {
    pub(crate) fn open_bug_form(&mut self) {
        let Some(subject) = self.pane(self.focus).bug_subject() else {
            self.notify(
                NoticeKind::Info,
                "b files a bug about the selected thing: select a check, a host or an entry",
            );
            return;
        };
        let spec = &self.config.tracker;
        let draft = BugDraft::new(&subject, self.handoff.entries(), spec, self.now);
        if let Some(kept) = self.bugs.draft.take() {
            if kept.draft.fingerprint == draft.fingerprint {
                self.overlay = Some(Overlay::Bug(kept));
                return;
            }
        }
        let key = tracker::key(spec, &draft.to);
        let existing = self
            .bugs
            .filed
            .iter()
            .rev()
            .find(|f| {
                f.fingerprint == draft.fingerprint
                    && f.tracker == key
                    && f.state == IssueState::Open
            })
            .cloned();
        self.overlay = Some(Overlay::Bug(Box::new(BugForm::new(draft, existing, key))));
    }

    pub(crate) fn on_bug_key(&mut self, mut form: Box<BugForm>, key: KeyEvent) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => {
                self.notify(
                    NoticeKind::Info,
                    "bug draft kept — b on the same thing opens it again",
                );
                self.bugs.draft = Some(form);
                return Vec::new();
            }
            KeyCode::Char('s') if ctrl => return self.file_bug(form, false),
            KeyCode::Char('n') if ctrl => return self.file_bug(form, true),
            KeyCode::Enter if ctrl || alt || form.field != BugField::Body => {
                return self.file_bug(form, false)
            }
            KeyCode::Tab => form.field = form.field.next(false),
            KeyCode::BackTab => form.field = form.field.next(true),
            KeyCode::Char('e') if ctrl => {
                let text = form.body_text();
                self.overlay = Some(Overlay::Bug(form));
                return vec![Effect::EditExternally {
                    text,
                    field: EditTarget::BugBody,
                }];
            }
            _ => {
                form.problem = None;
                match form.field {
                    BugField::Title => {
                        form.title.handle_key(&key);
                    }
                    BugField::Labels => {
                        form.labels.handle_key(&key);
                    }
                    BugField::Assignee => {
                        form.assignee.handle_key(&key);
                    }
                    BugField::Body => {
                        form.body.input(key);
                    }
                }
            }
        }
        self.overlay = Some(Overlay::Bug(form));
        Vec::new()
    }

    fn file_bug(&mut self, mut form: Box<BugForm>, new: bool) -> Vec<Effect> {
        match form.to_queued(new) {
            Ok(item) => {
                self.bugs.sending += 1;
                let verb = if item.comment_on.is_some() {
                    "commenting"
                } else {
                    "filing"
                };
                self.notify(NoticeKind::Info, format!("{verb}…"));
                vec![Effect::FileBug(Box::new(item))]
            }
            Err(problem) => {
                form.problem = Some(problem);
                self.overlay = Some(Overlay::Bug(form));
                Vec::new()
            }
        }
    }

    pub(crate) fn on_bug_news(&mut self, news: BugNews) -> Vec<Effect> {
        self.dirty = true;
        match news {
            BugNews::Book { filed, queued } => {
                let effects = self.closed_while_red(&filed);
                self.health.set_bugs(&filed);
                self.handoff.set_bug_states(&filed);
                self.bugs.filed = filed;
                self.bugs.queued = queued;
                effects
            }
            BugNews::NotQueued(why) => {
                self.bugs.sending = self.bugs.sending.saturating_sub(1);
                self.notify(NoticeKind::Error, format!("bug not filed: {why}"));
                Vec::new()
            }
            BugNews::Outcome(outcome) => {
                let outcome = *outcome;
                self.bugs.sending = self.bugs.sending.saturating_sub(1);
                let (verb, issue) = match &outcome {
                    Outcome::Filed { issue, .. } => ("filed", issue),
                    Outcome::Commented { issue, .. } => ("commented on", issue),
                    Outcome::Queued { error, .. } => {
                        let again = if error.retryable() {
                            "queued, sheriff retries by itself"
                        } else {
                            "queued until `sheriff bugs queue --retry`"
                        };
                        self.notify(
                            NoticeKind::Error,
                            format!("bug not sent yet: {error} ({again})"),
                        );
                        return Vec::new();
                    }
                };
                self.notify(
                    NoticeKind::Success,
                    format!("{verb} {} — o opens it", issue.label()),
                );
                let Some(mut entry) = outcome.entry(&self.author) else {
                    return Vec::new();
                };
                entry.time = self.now;
                self.pending.push(entry.clone());
                vec![Effect::AppendHandoff {
                    entry: Box::new(entry),
                    retry: false,
                }]
            }
        }
    }

    /// Bugs that closed since the last book while their row is still red: said, and
    /// recorded so the shift report carries it; the sheriff reopens or files again.
    fn closed_while_red(&mut self, filed: &[Filed]) -> Vec<Effect> {
        let mut effects = Vec::new();
        for now in filed.iter().filter(|f| f.state == IssueState::Closed) {
            let was_open = self.bugs.filed.iter().any(|b| {
                b.issue == now.issue && b.tracker == now.tracker && b.state == IssueState::Open
            });
            let (Some(check), Some(target)) = (&now.source.check, &now.source.target) else {
                continue;
            };
            if !was_open
                || !self
                    .health
                    .is_red(check, target, now.source.item.as_deref())
            {
                continue;
            }
            let text = format!(
                "{} was closed while {check} on {target} is still red: reopen it or file again ({})",
                now.issue.label(),
                now.issue.url
            );
            self.notify(NoticeKind::Error, text.clone());
            let mut entry = crate::handoff::Entry::new(
                crate::handoff::EntryKind::Bug,
                self.author.as_str(),
                text,
            )
            .with_refs(crate::handoff::Refs {
                check: Some(check.clone()),
                env: now.source.env.clone(),
                bug: Some(now.issue.url.clone()),
                ..Default::default()
            })
            .with_tags(vec!["closed-while-red".into()]);
            entry.time = self.now;
            if self.recording {
                effects.push(Effect::AppendHandoff {
                    entry: Box::new(entry),
                    retry: false,
                });
            }
        }
        effects
    }

    pub(crate) fn open_bug(&mut self) -> Vec<Effect> {
        let Some(subject) = self.pane(self.focus).bug_subject() else {
            self.notify(
                NoticeKind::Info,
                "o opens the bug filed about the selected thing",
            );
            return Vec::new();
        };
        let draft = BugDraft::new(&subject, &[], &self.config.tracker, self.now);
        match self.bugs.about(&draft.source) {
            Some(filed) => vec![Effect::OpenUrl(filed.issue.url.clone())],
            None => {
                self.notify(NoticeKind::Info, "no bug filed about this yet: b files one");
                Vec::new()
            }
        }
    }
}

/// The runner's side: sends due bugs, files new ones, reports to the app.
pub struct Desk {
    spec: TrackerSpec,
    wake: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Desk {
    pub fn start(spec: TrackerSpec, msg_tx: UnboundedSender<Msg>) -> Desk {
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(run(spec.clone(), msg_tx, wake.clone()));
        Desk { spec, wake, task }
    }

    pub fn spec(&self) -> &TrackerSpec {
        &self.spec
    }

    /// Files one bug now (outbox first), then has the book read again.
    pub fn file(&self, item: crate::tracker::outbox::Queued, msg_tx: UnboundedSender<Msg>) {
        let (spec, wake) = (self.spec.clone(), self.wake.clone());
        tokio::spawn(async move {
            let (outbox, record) = tracker::places(&spec);
            let news = match send::file(&spec, &outbox, &record, &item).await {
                Ok(outcome) => BugNews::Outcome(Box::new(outcome)),
                Err(e) => BugNews::NotQueued(format!(
                    "cannot write the outbox in {}: {e}",
                    outbox.dir().display()
                )),
            };
            let _ = msg_tx.send(Msg::Bugs(Box::new(news)));
            wake.notify_one();
        });
    }
}

impl Drop for Desk {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(spec: TrackerSpec, msg_tx: UnboundedSender<Msg>, wake: Arc<Notify>) {
    let (outbox, record) = tracker::places(&spec);
    let mut followed: Option<tokio::time::Instant> = None;
    loop {
        for outcome in send::flush(&spec, &outbox, &record, false).await {
            let _ = msg_tx.send(Msg::Bugs(Box::new(BugNews::Outcome(Box::new(outcome)))));
        }
        if followed.is_none_or(|at| at.elapsed() >= FOLLOW_EVERY) {
            followed = Some(tokio::time::Instant::now());
            send::follow(&spec, &record).await;
        }
        let book = BugNews::Book {
            filed: record.load(),
            queued: outbox.list().len(),
        };
        if msg_tx.send(Msg::Bugs(Box::new(book))).is_err() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(RETRY_EVERY) => {}
            () = wake.notified() => {}
        }
    }
}

impl App {
    /// `[[autofile]]` on one run's rows: bugs (or comments) to file, through the outbox.
    pub(crate) fn autofile_run(&mut self, run: &crate::checks::CheckRun) -> Vec<Effect> {
        if self.autofile.is_empty() {
            return Vec::new();
        }
        let mut effects = Vec::new();
        for result in &run.rows {
            let spec = self.config.checks.iter().find(|c| c.name == result.check);
            let tier = spec.map_or(Default::default(), |s| s.tier);
            let env =
                crate::checks::record::target_refs(&self.config, &result.check, &result.target).env;
            let acked = self.health.is_acked(result);
            let Some(auto) =
                self.autofile
                    .observe(result, env.as_deref(), tier, acked, self.now.max(result.at))
            else {
                continue;
            };
            if let Some(item) = self.autofile.queued(
                &auto,
                &self.config,
                self.handoff.entries(),
                &self.bugs.filed,
            ) {
                self.bugs.sending += 1;
                effects.push(Effect::FileBug(Box::new(item)));
            }
        }
        effects
    }
}
