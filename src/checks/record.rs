//! Check state changes in the handoff log: one `check-state` entry per change, rate
//! limited, written by one process only.
//!
//! Ten sheriffs sharing one log through git all watch the same checks; if each wrote the
//! changes it saw, every change would be in the log ten times. So the log itself says who
//! records: the author of the open shift (the latest `shift-start` not followed by a
//! `shift-end`, written by `sheriff shift start`). Every other process shows changes and
//! does not record them. With no open shift nobody records from the TUI; a team that wants
//! changes recorded around the clock runs one headless recorder. See docs/handoff.md.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{CheckResult, CheckRun, CheckStatus};
use crate::config::Config;
use crate::handoff::{Entry, EntryKind, Refs};

/// Changes of one check on one target closer together than this are folded: the state it
/// settles in is written once the gap has passed (a flapping check writes a line a minute,
/// not one per run).
pub const MIN_GAP: Duration = Duration::from_secs(60);

/// The author who records check state changes for this log, if any: the sheriff whose
/// shift is open. `entries` oldest first.
pub fn recorder_of(entries: &[Entry]) -> Option<&str> {
    let last_marker = entries
        .iter()
        .rev()
        .find(|e| matches!(e.kind, EntryKind::ShiftStart | EntryKind::ShiftEnd))?;
    (last_marker.kind == EntryKind::ShiftStart).then_some(last_marker.author.as_str())
}

#[derive(Debug, Clone)]
struct Tracked {
    /// The state the log holds for this check and target (ok when it holds none).
    recorded: CheckStatus,
    /// When that state's line was written; `None` for the ok the log assumes.
    written_at: Option<DateTime<Utc>>,
}

/// Turns check results into the `check-state` entries to write.
#[derive(Debug, Default)]
pub struct StateChanges {
    tracked: HashMap<(String, String), Tracked>,
    /// Which targets are envs and which hosts, to fill an entry's refs.
    config: Config,
}

impl StateChanges {
    pub fn new(config: &Config) -> StateChanges {
        let mut changes = StateChanges::default();
        changes.configure(config);
        changes
    }

    /// Learns which targets are envs and which hosts (a reload may change them).
    pub fn configure(&mut self, config: &Config) {
        self.config = Config {
            environments: config.environments.clone(),
            ..Config::default()
        };
    }

    /// Takes the states already in the log (written by this process or any other), so a
    /// restart or another recorder's line is not written again.
    pub fn learn_from_log(&mut self, entries: &[Entry]) {
        for e in entries.iter().filter(|e| e.kind == EntryKind::CheckState) {
            let (Some(check), Some(state)) = (e.refs.check.as_deref(), e.check_status()) else {
                continue;
            };
            let Some(target) = e.refs.host.as_deref().or(e.refs.env.as_deref()) else {
                continue;
            };
            let Some(status) = parse_status(state) else {
                continue;
            };
            let key = (check.to_string(), target.to_string());
            let newer = self
                .tracked
                .get(&key)
                .is_none_or(|t| t.written_at.is_none_or(|at| at <= e.time));
            if newer {
                self.tracked.insert(
                    key,
                    Tracked {
                        recorded: status,
                        written_at: Some(e.time),
                    },
                );
            }
        }
    }

    /// The entries to write for one run: each row's change, and for a row the run no
    /// longer has (an alert resolved, a failed unit gone) a change back to ok.
    pub fn observe_run(&mut self, run: &CheckRun, author: &str) -> Vec<Entry> {
        let mut entries: Vec<Entry> = run
            .rows
            .iter()
            .filter_map(|row| self.observe(row, author))
            .collect();
        let present: Vec<String> = run.rows.iter().map(CheckResult::title).collect();
        let gone: Vec<String> = self
            .tracked
            .iter()
            .filter(|((title, target), t)| {
                *target == run.target
                    && t.recorded != CheckStatus::Ok
                    && title
                        .strip_prefix(&run.check)
                        .is_some_and(|r| r.starts_with(' '))
                    && !present.contains(title)
            })
            .map(|((title, _), _)| title.clone())
            .collect();
        for title in gone {
            let item = title[run.check.len() + 1..].to_string();
            let mut ok = CheckResult::new(
                &run.check,
                &run.target,
                CheckStatus::Ok,
                "no longer reported",
            );
            ok.item = Some(item);
            entries.extend(self.observe(&ok, author));
        }
        entries
    }

    /// The entry to write for `result`, if its state differs from what the log holds and
    /// the last line for it is at least [`MIN_GAP`] old. A check never seen before that is
    /// ok writes nothing: ok is what the log assumes.
    pub fn observe(&mut self, result: &CheckResult, author: &str) -> Option<Entry> {
        // A host that is down is recorded as the host's state, not once per check on it.
        if result.unreachable {
            return None;
        }
        let title = result.title();
        let key = (title.clone(), result.target.clone());
        let before = match self.tracked.get(&key) {
            None if result.status == CheckStatus::Ok => return None,
            None => CheckStatus::Ok,
            Some(t) if t.recorded == result.status => return None,
            Some(t) => {
                if let Some(at) = t.written_at {
                    if (result.at - at).to_std().unwrap_or_default() < MIN_GAP {
                        return None;
                    }
                }
                t.recorded
            }
        };
        self.tracked.insert(
            key,
            Tracked {
                recorded: result.status,
                written_at: Some(result.at),
            },
        );
        let mut refs = target_refs(&self.config, &result.check, &result.target);
        refs.check = Some(title.clone());
        let mut entry = Entry::check_state(
            author,
            refs,
            result.status.as_str(),
            format!(
                "{title} {}: {before} → {} ({})",
                result.target, result.status, result.summary
            ),
        );
        entry.time = result.at;
        Some(entry)
    }
}

fn parse_status(state: &str) -> Option<CheckStatus> {
    CheckStatus::ALL.into_iter().find(|s| s.as_str() == state)
}

/// What a result of `check` on `target` is about, as the log records it: an env (or
/// "local"), or a host with the env it belongs to.
pub fn target_refs(config: &Config, check: &str, target: &str) -> Refs {
    let is_env = target == "local" || config.environment(target).is_some();
    let env_of_host = || {
        config
            .environments
            .iter()
            .find(|e| e.hosts.iter().any(|h| h == target))
            .map(|e| e.name.clone())
    };
    let (env, host) = if is_env {
        (Some(target.to_string()), None)
    } else {
        (env_of_host(), Some(target.to_string()))
    };
    Refs {
        check: Some(check.to_string()),
        env,
        host,
        ..Refs::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    fn result(status: CheckStatus, secs: i64) -> CheckResult {
        let mut result = CheckResult::new("api", "staging", status, "503");
        result.at = DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default();
        result
    }

    fn config() -> Config {
        let mut config = Config::default();
        config.environments.push(Environment {
            name: "staging".into(),
            ..Default::default()
        });
        config
    }

    #[test]
    fn one_line_per_change_and_flapping_is_folded() {
        let mut changes = StateChanges::new(&config());
        assert!(changes
            .observe(&result(CheckStatus::Ok, 0), "alex")
            .is_none());
        let down = changes.observe(&result(CheckStatus::Critical, 15), "alex");
        let down = down.expect("ok → critical is written");
        assert_eq!(down.check_status(), Some("critical"));
        assert_eq!(down.refs.env.as_deref(), Some("staging"));
        assert!(down.text.contains("ok → critical"), "{}", down.text);
        assert!(changes
            .observe(&result(CheckStatus::Critical, 30), "alex")
            .is_none());
        // Back to ok 15 s later: folded, the gap has not passed.
        assert!(changes
            .observe(&result(CheckStatus::Ok, 30), "alex")
            .is_none());
        // Still ok after the gap: now written.
        let up = changes.observe(&result(CheckStatus::Ok, 80), "alex");
        assert_eq!(
            up.and_then(|e| e.check_status().map(str::to_string)),
            Some("ok".into())
        );
    }

    #[test]
    fn states_in_the_log_are_not_written_again() {
        let mut changes = StateChanges::new(&config());
        let r = result(CheckStatus::Critical, 0);
        let written = changes.observe(&r, "sam").expect("written once");
        let mut other = StateChanges::new(&config());
        other.learn_from_log(&[written]);
        assert!(other
            .observe(&result(CheckStatus::Critical, 100), "alex")
            .is_none());
    }

    #[test]
    fn the_open_shift_decides_who_records() {
        let start = |who: &str| Entry::new(EntryKind::ShiftStart, who, "");
        let end = |who: &str| Entry::new(EntryKind::ShiftEnd, who, "");
        assert_eq!(recorder_of(&[]), None);
        assert_eq!(recorder_of(&[start("alex")]), Some("alex"));
        assert_eq!(recorder_of(&[start("alex"), end("alex")]), None);
        assert_eq!(
            recorder_of(&[start("alex"), end("alex"), start("sam")]),
            Some("sam")
        );
    }
}
