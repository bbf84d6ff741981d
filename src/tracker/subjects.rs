//! What each kind of red thing tells a bug draft: the [`Subject`] of a check row, a host
//! that is down, a handoff entry. The panes and `sheriff bug --from-check` build them
//! here, so a bug says the same whichever way it was filed.

use chrono::{DateTime, Utc};

use super::draft::Subject;
use crate::checks::CheckResult;
use crate::config::Tier;
use crate::handoff::Entry;

/// One earlier state of a row, for the bug's state history.
pub struct PastState<'a> {
    pub at: DateTime<Utc>,
    pub state: &'a str,
    pub summary: &'a str,
}

/// A check row: its last result, the environment it belongs to, who owns it.
pub fn check(
    result: &CheckResult,
    env: Option<&str>,
    owner: Option<&str>,
    tier: Tier,
    since: Option<DateTime<Utc>>,
    history: &[PastState<'_>],
) -> Subject {
    let mut history: Vec<String> = history
        .iter()
        .rev()
        .take(20)
        .rev()
        .map(|p| format!("{} {} {}", p.at.format("%H:%M:%S"), p.state, p.summary))
        .collect();
    history.dedup();
    Subject {
        kind: "check",
        name: result.check.clone(),
        env: env.map(str::to_string),
        target: Some(result.target.clone()),
        item: result.item.clone(),
        state: result.status.as_str().to_uppercase(),
        summary: result.summary.clone(),
        since,
        owner: owner.map(str::to_string),
        tier: Some(tier),
        request: None,
        output: (!result.detail.trim().is_empty()).then(|| result.detail.clone()),
        history,
        ..Subject::default()
    }
}

/// A handoff entry: a bug about what it records.
pub fn entry(entry: &Entry) -> Subject {
    Subject {
        kind: "entry",
        name: entry
            .refs
            .check
            .clone()
            .unwrap_or_else(|| entry.kind.to_string()),
        env: entry.refs.env.clone(),
        target: entry.refs.host.clone(),
        state: entry.kind.to_string(),
        summary: entry.text.lines().next().unwrap_or("").to_string(),
        since: Some(entry.time),
        output: Some(match &entry.why {
            Some(why) => format!("{}\n\nwhy: {why}", entry.text),
            None => entry.text.clone(),
        }),
        history: vec![format!(
            "{} {} by {}",
            entry.time.format("%Y-%m-%d %H:%M"),
            entry.kind,
            entry.author
        )],
        ..Subject::default()
    }
}

/// A host whose connection is down.
pub fn host(name: &str, env: Option<&str>, state: &str, facts: Vec<String>) -> Subject {
    Subject {
        kind: "host",
        name: name.to_string(),
        env: env.map(str::to_string),
        target: Some(name.to_string()),
        state: "DOWN".into(),
        summary: state.to_string(),
        host_facts: facts,
        ..Subject::default()
    }
}
