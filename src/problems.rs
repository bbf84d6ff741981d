//! What is still broken: one type that the shift report (`sheriff handoff`), its preview
//! in the TUI (`p`) and the status of the panes all read, fed by the handoff log (the
//! check states recorded there) and, where a process watches, by live results. Later
//! sources (queued bugs, forecasts) add their lists here.

use std::collections::BTreeMap;

use crate::checks::record::target_refs;
use crate::checks::{CheckResult, CheckRun, CheckStatus};
use crate::config::Config;
use crate::drift::DriftReport;
use crate::handoff::{sort_worst_first, Entry, EntryKind, OpenCheck, OpenProblems};

type CheckKey = (String, Option<String>, Option<String>);

/// Open problems as they stand; [`Problems::open`] gives the report's view of them.
#[derive(Debug, Default, Clone)]
pub struct Problems {
    checks: BTreeMap<CheckKey, OpenCheck>,
    /// Drift targets with unaccepted drift: name → one line.
    drift: BTreeMap<String, String>,
}

impl Problems {
    /// What the log says is open: checks whose latest recorded state is not ok.
    pub fn from_log(entries: &[Entry]) -> Problems {
        let mut problems = Problems::default();
        problems.learn_from_log(entries);
        problems
    }

    /// Takes the check states in `entries` (oldest first), a batch at a time as the log
    /// grows: a later `ok` closes a problem an earlier batch opened. What is already known
    /// from a newer line or a live result is kept.
    pub fn learn_from_log(&mut self, entries: &[Entry]) {
        for e in entries.iter().filter(|e| e.kind == EntryKind::CheckState) {
            let (Some(check), Some(state)) = (e.refs.check.as_deref(), e.check_status()) else {
                continue;
            };
            let key = (check.to_string(), e.refs.env.clone(), e.refs.host.clone());
            let known = self.checks.get(&key);
            if known.is_some_and(|k| k.since > e.time) {
                continue;
            }
            if state == "ok" {
                self.checks.remove(&key);
                continue;
            }
            let since = match known {
                Some(k) if k.state == state => k.since,
                _ => e.time,
            };
            self.checks.insert(
                key,
                OpenCheck {
                    check: check.to_string(),
                    env: e.refs.env.clone(),
                    host: e.refs.host.clone(),
                    state: state.to_string(),
                    summary: e.headline().to_string(),
                    since,
                },
            );
        }
    }

    /// One run of a check: each row opens or closes its problem, and a row the run no
    /// longer has is closed.
    pub fn observe_run(&mut self, config: &Config, run: &CheckRun) {
        let refs = target_refs(config, &run.check, &run.target);
        let present: Vec<String> = run.rows.iter().map(CheckResult::title).collect();
        let prefix = format!("{} ", run.check);
        self.checks.retain(|(title, env, host), _| {
            !(*env == refs.env
                && *host == refs.host
                && title.starts_with(&prefix)
                && !present.contains(title))
        });
        for row in &run.rows {
            self.observe_check(config, row);
        }
    }

    /// A live check result: open when not ok, closed when ok.
    pub fn observe_check(&mut self, config: &Config, result: &CheckResult) {
        if result.unreachable {
            return;
        }
        let refs = target_refs(config, &result.check, &result.target);
        let key = (result.title(), refs.env.clone(), refs.host.clone());
        if result.status == CheckStatus::Ok {
            self.checks.remove(&key);
            return;
        }
        let state = result.status.as_str().to_string();
        // Still in the same state: it has been open since it entered it.
        let since = match self.checks.get(&key) {
            Some(open) if open.state == state => open.since,
            _ => result.at,
        };
        self.checks.insert(
            key,
            OpenCheck {
                check: result.title(),
                env: refs.env,
                host: refs.host,
                state,
                summary: result.summary.clone(),
                since,
            },
        );
    }

    /// A drift comparison: open while any file differs.
    pub fn observe_drift(&mut self, report: &DriftReport) {
        let n = report.unaccepted().count();
        if n == 0 {
            self.drift.remove(&report.name);
            return;
        }
        let (a, b) = &report.between;
        let line = format!(
            "{} {a} ↔ {b}: {n} file{} differ",
            report.name,
            if n == 1 { "" } else { "s" }
        );
        self.drift.insert(report.name.clone(), line);
    }

    /// Forgets checks and drift targets the config no longer has.
    pub fn retain_configured(&mut self, config: &Config) {
        self.checks
            .retain(|(title, _, _), _| config.checks.iter().any(|c| is_row_of(title, &c.name)));
        self.drift
            .retain(|name, _| config.drifts.iter().any(|d| &d.name == name));
    }

    /// The report's view: checks worst first (then longest open), drift by name.
    pub fn open(&self) -> OpenProblems {
        let mut checks: Vec<OpenCheck> = self.checks.values().cloned().collect();
        sort_worst_first(&mut checks);
        OpenProblems {
            checks,
            drift: self.drift.values().cloned().collect(),
            bugs: Vec::new(),
        }
    }
}

/// Whether a row title ("disk * /srv", or just "api") belongs to the check `name`.
fn is_row_of(title: &str, name: &str) -> bool {
    title == name
        || title
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(' '))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;
    use crate::handoff::Refs;
    use chrono::DateTime;

    fn config() -> Config {
        let mut config = Config::default();
        config.environments.push(Environment {
            name: "staging".into(),
            ..Default::default()
        });
        config.checks.push(crate::config::CheckSpec::new(
            "api",
            crate::config::Target::Env("staging".into()),
            crate::config::CheckKind::Http(crate::config::HttpSpec::get("http://x/")),
        ));
        config
    }

    fn result(status: CheckStatus, secs: i64) -> CheckResult {
        let mut result = CheckResult::new("api", "staging", status, "503 Service Unavailable");
        result.at = DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default();
        result
    }

    #[test]
    fn the_log_and_live_results_give_the_same_open_problem() {
        let config = config();
        let mut live = Problems::default();
        live.observe_check(&config, &result(CheckStatus::Critical, 0));
        live.observe_check(&config, &result(CheckStatus::Critical, 15));
        let open = live.open();
        assert_eq!(open.checks.len(), 1);
        assert_eq!(open.checks[0].since, result(CheckStatus::Critical, 0).at);
        assert_eq!(open.checks[0].env.as_deref(), Some("staging"));

        let refs = Refs {
            check: Some("api".into()),
            env: Some("staging".into()),
            ..Refs::default()
        };
        let mut entry = Entry::check_state("alex", refs, "critical", "api staging: ok → critical");
        entry.time = result(CheckStatus::Critical, 0).at;
        let logged = Problems::from_log(&[entry]).open();
        assert_eq!(logged.checks[0].check, open.checks[0].check);
        assert_eq!(logged.checks[0].env, open.checks[0].env);
        assert_eq!(logged.checks[0].since, open.checks[0].since);

        live.observe_check(&config, &result(CheckStatus::Ok, 30));
        assert!(live.open().is_empty(), "an ok result closes it");

        // Batch by batch, as the log's watch sends them: a later ok closes it too.
        let mut from_log = Problems::default();
        let mut critical = Entry::check_state(
            "alex",
            Refs {
                check: Some("api".into()),
                env: Some("staging".into()),
                ..Refs::default()
            },
            "critical",
            "api staging: ok → critical",
        );
        critical.time = result(CheckStatus::Critical, 0).at;
        from_log.learn_from_log(&[critical.clone()]);
        assert_eq!(from_log.open().checks.len(), 1);
        let mut ok = Entry::check_state(
            "alex",
            critical.refs.clone(),
            "ok",
            "api staging: critical → ok",
        );
        ok.time = result(CheckStatus::Ok, 60).at;
        from_log.learn_from_log(&[ok]);
        assert!(from_log.open().is_empty(), "the later ok closes it");
    }
}
