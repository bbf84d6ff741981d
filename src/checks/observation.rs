//! What one kind saw for one row, before the engine judges `expect`, damps flapping,
//! records history and forecasts: the seam between "how to ask" (each kind) and "what it
//! means" (one place, [`judge`]).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::condition::{Condition, Facts, Verdict};
use super::{CheckStatus, Metric};

/// One row as a kind saw it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    pub item: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// The kind's own verdict (exit code, thresholds, HTTP status class).
    pub status: CheckStatus,
    pub summary: String,
    pub detail: String,
    pub latency: Option<Duration>,
    pub metrics: Vec<Metric>,
    /// The host could not be reached; see its host row.
    pub unreachable: bool,
    /// What conditions can ask about besides metrics and labels.
    pub facts: Seen,
    /// Samples of the row's metrics from before this run, oldest first (a Prometheus
    /// range query), so a forecast need not wait for its own history.
    pub past: Vec<(DateTime<Utc>, String, f64)>,
}

/// The facts of one run, owned; [`Seen::facts`] lends them to the condition language.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Seen {
    pub status: Option<u16>,
    pub time: Option<Duration>,
    pub body: Option<String>,
    pub json: Option<serde_json::Value>,
    pub output: Option<String>,
    pub banner: Option<String>,
    pub cert_days: Option<f64>,
    pub value: Option<f64>,
    pub exit: Option<i32>,
}

impl Observation {
    /// A row that says one thing: a failure before anything could be measured.
    pub fn failed(status: CheckStatus, summary: impl Into<String>, detail: String) -> Self {
        Observation {
            status,
            summary: summary.into(),
            detail,
            ..Observation::default()
        }
    }

    fn facts(&self) -> Facts<'_> {
        let seen = &self.facts;
        Facts {
            status: seen.status,
            time: seen.time.or(self.latency),
            body: seen.body.as_deref(),
            json: seen.json.as_ref(),
            output: seen.output.as_deref(),
            banner: seen.banner.as_deref(),
            cert_days: seen.cert_days,
            value: seen.value,
            exit: seen.exit,
            metrics: &self.metrics,
            labels: Some(&self.labels),
        }
    }
}

/// Applies `expect` (a failure is critical) and `expect_warn` (a failure is a warning) to
/// the kind's own verdict; the worse wins. A condition that cannot be judged on this row
/// (a missing JSON field, a metric the plugin did not print) makes an OK row unknown and
/// says why. An unreachable row is left as it is: there was nothing to judge.
pub fn judge(seen: &mut Observation, expect: &[Condition], expect_warn: &[Condition]) {
    if seen.unreachable || (expect.is_empty() && expect_warn.is_empty()) {
        return;
    }
    let mut failed = Vec::new();
    let mut unknown = Vec::new();
    let mut worst = seen.status;
    {
        let facts = seen.facts();
        for (conditions, on_fail) in [
            (expect, CheckStatus::Critical),
            (expect_warn, CheckStatus::Warning),
        ] {
            for condition in conditions {
                match condition.eval(&facts) {
                    Verdict::Holds => {}
                    Verdict::Fails(why) => {
                        worst = worse(worst, on_fail);
                        failed.push(why);
                    }
                    Verdict::Unknown(why) => unknown.push(format!("{condition}: {why}")),
                }
            }
        }
    }
    if !failed.is_empty() {
        seen.summary = format!("{} ({})", seen.summary, failed.join("; "));
    } else if !unknown.is_empty() && worst == CheckStatus::Ok {
        worst = CheckStatus::Unknown;
        seen.summary = format!("{} (cannot judge {})", seen.summary, unknown.join("; "));
    }
    seen.status = worst;
}

/// The worse of two states: critical > warning > unknown > ok.
pub fn worse(a: CheckStatus, b: CheckStatus) -> CheckStatus {
    if b.severity() > a.severity() {
        b
    } else {
        a
    }
}
