//! Sending what the outbox holds. For each due item, under its claim: comment where the
//! sheriff chose an issue; else, unless `new`, look for an open bug with the fingerprint
//! (sheriff's own record first, then the tracker) and comment on it; else create. The
//! result is recorded before the item leaves the outbox, so a crash in between costs at
//! most a repeated lookup, never a second bug.

use chrono::Utc;

use super::outbox::{Outbox, Queued};
use super::record::{Filed, Record};
use super::{IssueRef, IssueState, Tracker, TrackerError};

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
    pub fn item(&self) -> &Queued {
        match self {
            Outcome::Filed { item, .. }
            | Outcome::Commented { item, .. }
            | Outcome::Queued { item, .. } => item,
        }
    }
}

/// `github acme/infra`: the tracker and the place in it, as the record keys it.
pub fn tracker_key(tracker: &dyn Tracker, place: &str) -> String {
    if place.is_empty() {
        tracker.name().to_string()
    } else {
        format!("{} {place}", tracker.name())
    }
}

/// Sends one item (the caller holds its claim).
pub async fn deliver(
    tracker: &dyn Tracker,
    key: &str,
    record: &Record,
    item: &Queued,
) -> Result<(IssueRef, bool), TrackerError> {
    if let Some(issue) = &item.comment_on {
        tracker.comment(issue, &item.bug.body).await?;
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
                tracker.comment(&known.issue, &item.bug.body).await?;
                return Ok((known.issue, true));
            }
        }
        if let Some(found) = tracker.find_open(&item.bug.fingerprint).await? {
            if item.attempts > 0 {
                // Most likely our own create whose answer was lost: adopt it, do not
                // comment the same text under it.
                return Ok((found, false));
            }
            tracker.comment(&found, &item.bug.body).await?;
            return Ok((found, true));
        }
    }
    let issue = tracker.create(&item.bug).await?;
    Ok((issue, false))
}

/// Sends every due item (all of them with `force`), one at a time.
pub async fn flush(
    tracker: &dyn Tracker,
    key: &str,
    outbox: &Outbox,
    record: &Record,
    force: bool,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for listed in outbox.list() {
        if !force && !listed.is_due(Utc::now()) {
            continue;
        }
        let Ok(Some(_claim)) = outbox.claim(&listed.id) else {
            continue;
        };
        // Read again under the claim: another process may have sent it meanwhile.
        let Some(mut item) = outbox.get(&listed.id) else {
            continue;
        };
        match deliver(tracker, key, record, &item).await {
            Ok((issue, commented)) => {
                let filed = Filed {
                    fingerprint: item.bug.fingerprint.clone(),
                    tracker: key.to_string(),
                    issue: issue.clone(),
                    title: item.bug.title.clone(),
                    at: Utc::now(),
                    state: IssueState::Open,
                    source: item.source.clone(),
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
                    outcomes.push(Outcome::Queued { item, error });
                    continue;
                }
                let _ = outbox.remove(&item.id);
                outcomes.push(if commented {
                    Outcome::Commented { item, issue }
                } else {
                    Outcome::Filed { item, issue }
                });
            }
            Err(error) => {
                item.failed(&error, Utc::now());
                let _ = outbox.put(&item);
                outcomes.push(Outcome::Queued { item, error });
            }
        }
    }
    outcomes
}
