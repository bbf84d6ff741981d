//! Filing by itself (`[[autofile]]`): a row that stays critical for a rule's `after` gets
//! a bug through the same draft, dedupe and outbox as `b`, so a recurrence comments on
//! the open bug; the row's recovery adds a "recovered" comment; an acknowledged row is
//! left alone while its ack holds; each rule files at most `per_hour` bugs an hour, so a
//! storm does not file fifty. Only the process that records state changes runs this.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

use super::draft::BugDraft;
use super::outbox::Queued;
use super::record::{Filed, Source};
use super::{subjects, Bug, IssueState};
use crate::checks::{CheckResult, CheckStatus};
use crate::config::{AutofileRule, Config, Tier};
use crate::handoff::Entry;

/// What a row's new result asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Auto {
    /// File (or, by its fingerprint, comment on) a bug about this row.
    File {
        rule: usize,
        result: Box<CheckResult>,
        since: DateTime<Utc>,
    },
    /// The row recovered after a bug was filed for it.
    Recovered { result: Box<CheckResult> },
}

#[derive(Debug, Default)]
struct Watched {
    red_since: Option<DateTime<Utc>>,
    /// A bug was asked for in this red spell.
    filed: bool,
}

#[derive(Debug, Default)]
pub struct Autofile {
    rules: Vec<AutofileRule>,
    rows: HashMap<(String, String, Option<String>), Watched>,
    /// Per rule, when it filed in the last hour.
    recent: Vec<VecDeque<DateTime<Utc>>>,
}

impl Autofile {
    pub fn new(rules: &[AutofileRule]) -> Autofile {
        Autofile {
            rules: rules.to_vec(),
            rows: HashMap::new(),
            recent: vec![VecDeque::new(); rules.len()],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Takes one row's result; `acked` while the row's ack holds.
    pub fn observe(
        &mut self,
        result: &CheckResult,
        env: Option<&str>,
        tier: Tier,
        acked: bool,
        now: DateTime<Utc>,
    ) -> Option<Auto> {
        let rule = self.rules.iter().position(|r| {
            (r.checks.is_empty() || r.checks.contains(&result.check))
                && (r.envs.is_empty() || env.is_some_and(|e| r.envs.iter().any(|x| x == e)))
                && (r.tiers.is_empty() || r.tiers.contains(&tier))
        })?;
        let key = (
            result.check.clone(),
            result.target.clone(),
            result.item.clone(),
        );
        let row = self.rows.entry(key).or_default();
        match result.status {
            CheckStatus::Critical => {
                let since = *row.red_since.get_or_insert(now);
                let after = Duration::from_std(self.rules[rule].after).unwrap_or(Duration::zero());
                if row.filed || acked || now - since < after {
                    return None;
                }
                let recent = &mut self.recent[rule];
                while recent
                    .front()
                    .is_some_and(|t| now - *t >= Duration::hours(1))
                {
                    recent.pop_front();
                }
                if recent.len() >= self.rules[rule].per_hour as usize {
                    return None;
                }
                recent.push_back(now);
                row.filed = true;
                Some(Auto::File {
                    rule,
                    result: Box::new(result.clone()),
                    since,
                })
            }
            CheckStatus::Ok => {
                let was_filed = row.filed;
                *row = Watched::default();
                was_filed.then(|| Auto::Recovered {
                    result: Box::new(result.clone()),
                })
            }
            // Warning and unknown neither start nor end a red spell.
            _ => None,
        }
    }

    /// The outbox item an [`Auto`] becomes: a bug drafted as `b` would draft it, with the
    /// rule's labels; or a "recovered" comment on the open bug filed about the row
    /// (`None` when there is none to comment on).
    pub fn queued(
        &self,
        auto: &Auto,
        config: &Config,
        entries: &[Entry],
        filed: &[Filed],
    ) -> Option<Queued> {
        match auto {
            Auto::File {
                rule,
                result,
                since,
            } => {
                let spec = config.checks.iter().find(|c| c.name == result.check);
                let env = env_of(config, &result.target);
                let subject = subjects::check(
                    result,
                    env.as_deref(),
                    spec.and_then(|s| s.owner.as_deref()),
                    spec.map_or(Tier::default(), |s| s.tier),
                    Some(*since),
                    &[],
                );
                let mut draft = BugDraft::new(&subject, entries, &config.tracker, result.at);
                draft
                    .labels
                    .extend(self.rules[*rule].labels.iter().cloned());
                draft.labels.dedup();
                let mut item = Queued::new(draft.bug(), draft.to.clone(), draft.source.clone());
                item.autofiled = true;
                Some(item)
            }
            Auto::Recovered { result } => {
                let source = Source {
                    check: Some(result.check.clone()),
                    target: Some(result.target.clone()),
                    item: result.item.clone(),
                    ..Source::default()
                };
                let open = filed.iter().rev().find(|f| {
                    f.state == IssueState::Open
                        && f.source.check == source.check
                        && f.source.target == source.target
                        && f.source.item == source.item
                })?;
                let body = format!(
                    "recovered at {}: {}\n\nsheriff fingerprint: {}\n",
                    result.at.format("%Y-%m-%d %H:%M UTC"),
                    crate::redact::mask(&result.summary),
                    open.fingerprint
                );
                let bug = Bug {
                    title: open.title.clone(),
                    body,
                    labels: Vec::new(),
                    assignee: None,
                    fingerprint: open.fingerprint.clone(),
                };
                let mut item = Queued::new(bug, Default::default(), source);
                item.comment_on = Some(open.issue.clone());
                item.autofiled = true;
                Some(item)
            }
        }
    }
}

fn env_of(config: &Config, target: &str) -> Option<String> {
    if config.environment(target).is_some() {
        return Some(target.to_string());
    }
    config
        .environments
        .iter()
        .find(|e| e.hosts.iter().any(|h| h == target))
        .map(|e| e.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrackerSpec;
    use crate::tracker::send::{self, Outcome};

    fn at(minute: i64) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 2, 3, 0, 0).unwrap()
            + Duration::minutes(minute)
    }

    fn result(check: &str, status: CheckStatus, minute: i64) -> CheckResult {
        let mut r = CheckResult::new(
            check,
            "production",
            status,
            if status == CheckStatus::Ok {
                "200 in 4ms"
            } else {
                "503 Service Unavailable"
            },
        );
        r.at = at(minute);
        r
    }

    fn rule(per_hour: u32) -> AutofileRule {
        AutofileRule {
            after: std::time::Duration::from_secs(600),
            labels: vec!["autofiled".into()],
            per_hour,
            ..AutofileRule::default()
        }
    }

    #[test]
    fn files_once_after_the_delay_and_not_while_acked() {
        let mut auto = Autofile::new(&[rule(5)]);
        let observe = |a: &mut Autofile, status, minute, acked| {
            a.observe(
                &result("api", status, minute),
                Some("production"),
                Tier::Critical,
                acked,
                at(minute),
            )
        };
        assert_eq!(observe(&mut auto, CheckStatus::Critical, 0, false), None);
        assert_eq!(
            observe(&mut auto, CheckStatus::Critical, 9, false),
            None,
            "not before `after`"
        );
        assert_eq!(
            observe(&mut auto, CheckStatus::Critical, 10, true),
            None,
            "acked"
        );
        assert!(matches!(
            observe(&mut auto, CheckStatus::Critical, 11, false),
            Some(Auto::File { .. })
        ));
        assert_eq!(
            observe(&mut auto, CheckStatus::Critical, 12, false),
            None,
            "once a red spell"
        );
        assert!(matches!(
            observe(&mut auto, CheckStatus::Ok, 13, false),
            Some(Auto::Recovered { .. })
        ));
        assert_eq!(observe(&mut auto, CheckStatus::Ok, 14, false), None);
    }

    #[test]
    fn the_hourly_cap_stops_a_storm() {
        let mut auto = Autofile::new(&[rule(2)]);
        let mut filed = 0;
        for i in 0..10 {
            let r = result(&format!("check{i}"), CheckStatus::Critical, 0);
            auto.observe(&r, None, Tier::Important, false, at(0));
            let r = result(&format!("check{i}"), CheckStatus::Critical, 20);
            filed += usize::from(
                auto.observe(&r, None, Tier::Important, false, at(20))
                    .is_some(),
            );
        }
        assert_eq!(filed, 2);
        let late = result("check9", CheckStatus::Critical, 81);
        assert!(
            auto.observe(&late, None, Tier::Important, false, at(81))
                .is_some(),
            "the hour is over"
        );
    }

    #[tokio::test]
    async fn a_recurrence_comments_on_the_open_bug_and_recovery_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            tracker: TrackerSpec {
                path: Some(dir.path().join("bugs")),
                ..TrackerSpec::default()
            },
            ..Config::default()
        };
        let (outbox, record) = crate::tracker::places(&config.tracker);
        let mut auto = Autofile::new(&[rule(5)]);
        let mut outcomes = Vec::new();
        for (status, minute) in [
            (CheckStatus::Critical, 0),
            (CheckStatus::Critical, 10),
            (CheckStatus::Ok, 20),
            (CheckStatus::Critical, 30),
            (CheckStatus::Critical, 45),
        ] {
            let r = result("api", status, minute);
            let Some(a) = auto.observe(&r, Some("production"), Tier::Critical, false, at(minute))
            else {
                continue;
            };
            let item = auto
                .queued(&a, &config, &[], &record.load())
                .expect("an item");
            outcomes.push(
                send::file(&config.tracker, &outbox, &record, &item)
                    .await
                    .unwrap(),
            );
        }
        assert!(
            matches!(
                &outcomes[..],
                [
                    Outcome::Filed { .. },
                    Outcome::Commented { .. },
                    Outcome::Commented { .. }
                ]
            ),
            "{outcomes:?}"
        );
        let files: Vec<_> = std::fs::read_dir(dir.path().join("bugs"))
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
            .collect();
        assert_eq!(files.len(), 1, "one bug for the row");
        let text = std::fs::read_to_string(files[0].path()).unwrap();
        assert!(text.contains("labels: autofiled"), "{text}");
        assert!(text.contains("recovered at 2026-12-02 03:20 UTC"), "{text}");
        assert_eq!(
            text.matches("**Seen again**").count(),
            2,
            "the recovery and the recurrence: {text}"
        );
    }
}
