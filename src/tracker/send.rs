//! Sending what the outbox holds. For each due item, under its claim: comment where the
//! sheriff chose an issue; else, unless `new`, look for an open bug with the fingerprint
//! (sheriff's own record first, then the tracker) and comment on it; else create. The
//! result is recorded before the item leaves the outbox, so a crash in between costs at
//! most a repeated lookup, never a second bug.

use chrono::Utc;

use super::outbox::{Outbox, Queued};
use super::record::{Filed, Record};
use super::{IssueRef, IssueState, Tracker, TrackerError};
use crate::config::TrackerSpec;

/// What became of one item.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Filed {
        item: Queued,
        issue: IssueRef,
    },
    Commented {
        item: Queued,
        issue: IssueRef,
    },
    /// Still queued: why, and whether it will be retried by itself.
    Queued {
        item: Queued,
        error: TrackerError,
    },
}

impl Outcome {
    /// The handoff entry that records a bug filed or commented on, by `author`.
    pub fn entry(&self, author: &str) -> Option<crate::handoff::Entry> {
        let (verb, item, issue) = match self {
            Outcome::Filed { item, issue } => ("filed", item, issue),
            Outcome::Commented { item, issue } => ("commented on", item, issue),
            Outcome::Queued { .. } => return None,
        };
        let s = &item.source;
        let refs = crate::handoff::Refs {
            check: s.check.clone(),
            host: s
                .host
                .clone()
                .or_else(|| s.target.clone().filter(|t| s.env.as_ref() != Some(t))),
            env: s.env.clone(),
            drift: s.drift.clone(),
            bug: Some(issue.url.clone()),
        };
        let text = format!("{verb} {} {}: {}", issue.label(), issue.url, item.bug.title);
        let entry = crate::handoff::Entry::new(crate::handoff::EntryKind::Bug, author, text)
            .with_refs(refs);
        Some(if item.autofiled {
            entry.with_tags(vec!["autofiled".into()])
        } else {
            entry
        })
    }

    pub fn item(&self) -> &Queued {
        match self {
            Outcome::Filed { item, .. }
            | Outcome::Commented { item, .. }
            | Outcome::Queued { item, .. } => item,
        }
    }
}

/// Sends one item (the caller holds its claim).
pub async fn deliver(
    tracker: &dyn Tracker,
    key: &str,
    record: &Record,
    item: &Queued,
) -> Result<(IssueRef, bool), TrackerError> {
    let again = format!(
        "**Seen again** {} by sheriff:\n\n{}",
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
        item.bug.body
    );
    if let Some(issue) = &item.comment_on {
        tracker.comment(issue, &again).await?;
        return Ok((issue.clone(), true));
    }
    if !item.new {
        if let Some(known) = record.open_for(&item.bug.fingerprint, key) {
            // Closed since it was recorded: a fresh bug, not a comment on a closed one.
            let still_open = !matches!(
                tracker.state(&known.issue).await,
                Ok(Some(IssueState::Closed))
            );
            if still_open {
                tracker.comment(&known.issue, &again).await?;
                return Ok((known.issue, true));
            }
        }
        if let Some(found) = tracker.find_open(&item.bug.fingerprint).await? {
            if item.attempts > 0 {
                // Most likely our own create whose answer was lost: adopt it, do not
                // comment the same text under it.
                return Ok((found, false));
            }
            tracker.comment(&found, &again).await?;
            return Ok((found, true));
        }
    }
    let issue = tracker.create(&item.bug).await?;
    Ok((issue, false))
}

/// How many open bugs one round of following asks about: trackers' rate limits are per
/// hour, and a round runs every few minutes.
pub const FOLLOW_AT_MOST: usize = 30;

/// Asks the tracker about the open bugs sheriff filed there (the longest unasked first,
/// at most [`FOLLOW_AT_MOST`]) and records each that changed state; returns those.
pub async fn follow(spec: &TrackerSpec, record: &Record) -> Vec<Filed> {
    let mut open: Vec<Filed> = record
        .load()
        .into_iter()
        .filter(|f| f.state == IssueState::Open && f.tracker == super::key(spec, &f.to))
        .collect();
    open.sort_by_key(|f| f.at);
    let mut changed = Vec::new();
    for filed in open.into_iter().take(FOLLOW_AT_MOST) {
        let Ok(tracker) = super::connect(spec, &filed.to) else {
            break;
        };
        match tracker.state(&filed.issue).await {
            Ok(Some(state)) if state != filed.state => {
                if record.note_state(&filed, state).unwrap_or(false) {
                    let mut now = filed.clone();
                    now.state = state;
                    changed.push(now);
                }
            }
            // Unchanged, or a tracker that cannot say: nothing to record.
            Ok(_) => {}
            // Limited or offline: the next round asks again.
            Err(_) => break,
        }
    }
    changed
}

/// Sends every due item (all of them with `force`) to `spec`'s tracker, one at a time.
pub async fn flush(
    spec: &TrackerSpec,
    outbox: &Outbox,
    record: &Record,
    force: bool,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for listed in outbox.list() {
        if !force && !listed.is_due(Utc::now()) {
            continue;
        }
        outcomes.extend(send_one(spec, outbox, record, &listed.id).await);
    }
    outcomes
}

/// Puts a new bug in the outbox (durably), then sends it. `Err` only when the outbox
/// itself cannot be written: then nothing was sent and the caller must say so.
pub async fn file(
    spec: &TrackerSpec,
    outbox: &Outbox,
    record: &Record,
    item: &Queued,
) -> std::io::Result<Outcome> {
    outbox.put(item)?;
    Ok(send_one(spec, outbox, record, &item.id)
        .await
        .unwrap_or_else(|| Outcome::Queued {
            item: item.clone(),
            error: TrackerError::Setup("another sheriff is sending it".into()),
        }))
}

/// Sends one queued item under its claim; `None` when another process holds it or has
/// sent it already.
async fn send_one(
    spec: &TrackerSpec,
    outbox: &Outbox,
    record: &Record,
    id: &str,
) -> Option<Outcome> {
    let _claim = outbox.claim(id).ok()??;
    // Read again under the claim: another process may have sent it meanwhile.
    let mut item = outbox.get(id)?;
    let key = super::key(spec, &item.to);
    let tracker = match super::connect(spec, &item.to) {
        Ok(tracker) => tracker,
        Err(error) => {
            item.failed(&error, Utc::now());
            let _ = outbox.put(&item);
            return Some(Outcome::Queued { item, error });
        }
    };
    Some(match deliver(tracker.as_ref(), &key, record, &item).await {
        Ok((issue, commented)) => {
            let filed = Filed {
                fingerprint: item.bug.fingerprint.clone(),
                tracker: key.clone(),
                issue: issue.clone(),
                title: item.bug.title.clone(),
                at: Utc::now(),
                state: IssueState::Open,
                source: item.source.clone(),
                to: item.to.clone(),
            };
            if let Err(e) = record.append(&filed) {
                let error = TrackerError::Setup(format!(
                    "filed {} but cannot record it in {}: {e}",
                    issue.url,
                    record.path().display()
                ));
                // Keep the item, but as a comment on what was filed: never a second bug.
                item.comment_on = Some(issue);
                item.failed(&error, Utc::now());
                let _ = outbox.put(&item);
                return Some(Outcome::Queued { item, error });
            }
            let _ = outbox.remove(&item.id);
            if commented {
                Outcome::Commented { item, issue }
            } else {
                Outcome::Filed { item, issue }
            }
        }
        Err(error) => {
            item.failed(&error, Utc::now());
            let _ = outbox.put(&item);
            Outcome::Queued { item, error }
        }
    })
}
