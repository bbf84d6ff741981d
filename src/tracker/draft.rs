//! The draft a sheriff edits before filing: a title, a Markdown body of sections, labels,
//! an assignee and the fingerprint. Each pane offers what it knows as a [`Subject`] (a
//! check's output and history, a log's lines, a drift target's files, a handoff entry, a
//! host); the draft adds the changes recorded in the handoff log in the last hours, with
//! their why, and routes the bug by `[[tracker.route]]`. A `[tracker.template.KIND]`
//! replaces the built-in title and body, its `{placeholders}` filled from the same parts.
//! Everything is redacted when the draft is made and again in [`BugDraft::bug`].

use chrono::{DateTime, Duration, Utc};

use super::fingerprint::{error_class, Fingerprint};
use super::record::Source;
use super::{Bug, Destination};
use crate::config::{Tier, TrackerSpec};
use crate::handoff::{Entry, EntryKind};

/// How far back "suspect changes" reach.
pub const SUSPECT_HOURS: i64 = 6;
/// How many log lines a bug carries when none are marked.
pub const LOG_LINES: usize = 20;

/// What the bug is about, as the pane it came from knows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    /// Template kind: `check`, `log`, `drift`, `entry` or `host`.
    pub kind: &'static str,
    /// `api`, `nginx errors`, a drift target's name, a host's name.
    pub name: String,
    pub env: Option<String>,
    pub target: Option<String>,
    pub item: Option<String>,
    /// `CRITICAL`, `drift`, `down`…
    pub state: String,
    /// One line: what a sheriff sees on the row.
    pub summary: String,
    pub since: Option<DateTime<Utc>>,
    pub owner: Option<String>,
    pub tier: Option<Tier>,
    /// The exact request or command, if there is one.
    pub request: Option<String>,
    /// The last output (a check's), the diff excerpt (drift), the entry's text.
    pub output: Option<String>,
    /// Earlier states, newest last: `12:03 CRITICAL 503 Service Unavailable`.
    pub history: Vec<String>,
    /// Related log lines (marked ones, else the last few).
    pub log_lines: Vec<String>,
    /// Host facts: address, connection state, fingerprint.
    pub host_facts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BugDraft {
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub assignee: Option<String>,
    pub fingerprint: Fingerprint,
    pub to: Destination,
    pub source: Source,
}

impl BugDraft {
    /// The draft for `subject`, with the changes among `entries` made in the last hours.
    pub fn new(
        subject: &Subject,
        entries: &[Entry],
        spec: &TrackerSpec,
        now: DateTime<Utc>,
    ) -> BugDraft {
        let env = subject.env.clone().unwrap_or_default();
        let what = match (&subject.target, &subject.item) {
            (Some(t), Some(i)) => format!("{} {i} on {t}", subject.name),
            (Some(t), None) => format!("{} on {t}", subject.name),
            (None, Some(i)) => format!("{} {i}", subject.name),
            (None, None) => subject.name.clone(),
        };
        let fingerprint = Fingerprint::of(
            &format!("{} {what}", subject.kind),
            &env,
            &error_class(&subject.state, &subject.summary),
        );
        let parts = Parts::of(subject, entries, now, &fingerprint);
        let template = spec.templates.get(subject.kind);
        let title = template
            .and_then(|t| t.title.as_deref())
            .map(|t| parts.fill(t))
            .unwrap_or_else(|| parts.title.clone());
        let body = template
            .and_then(|t| t.body.as_deref())
            .map(|t| format!("{}\n\n{}\n", parts.fill(t).trim_end(), parts.footer))
            .unwrap_or_else(|| parts.body());
        let mut labels = spec.labels.clone();
        let mut assignee = spec.assignee.clone();
        let mut to = Destination::default();
        if let Some(route) = spec.routes.iter().find(|r| {
            r.env
                .as_ref()
                .is_none_or(|e| Some(e) == subject.env.as_ref())
                && r.check
                    .as_ref()
                    .is_none_or(|c| subject.kind == "check" && *c == subject.name)
                && r.owner
                    .as_ref()
                    .is_none_or(|o| Some(o) == subject.owner.as_ref())
                && r.tier.is_none_or(|t| Some(t) == subject.tier)
        }) {
            to.repo = route.repo.clone();
            to.project = route.project.clone();
            labels.extend(route.labels.iter().cloned());
            if route.assignee.is_some() {
                assignee = route.assignee.clone();
            }
        }
        if assignee.is_none() && subject.kind == "check" {
            assignee = subject.owner.clone();
        }
        labels.dedup();
        BugDraft {
            title: crate::redact::mask(&title).into_owned(),
            body: crate::redact::mask(&body).into_owned(),
            labels,
            assignee,
            fingerprint,
            to,
            source: Source {
                check: (subject.kind == "check").then(|| subject.name.clone()),
                target: subject.target.clone(),
                item: subject.item.clone(),
                env: subject.env.clone(),
                drift: (subject.kind == "drift").then(|| subject.name.clone()),
                host: (subject.kind == "host").then(|| subject.name.clone()),
            },
        }
    }

    /// The bug to send: redacted again (the sheriff may have pasted into the draft), the
    /// fingerprint kept in the body even if the sheriff deleted its line.
    pub fn bug(&self) -> Bug {
        // Escapes and control characters out too: the bug is read in terminals (`dir`),
        // mail clients and web pages, and a pasted ESC sequence has no business there.
        let body = crate::text::printable(&self.body);
        let mut body = crate::redact::mask(&body).into_owned();
        if !body.contains(self.fingerprint.as_str()) {
            body = format!(
                "{}\n\nsheriff fingerprint: {}\n",
                body.trim_end(),
                self.fingerprint
            );
        }
        Bug {
            title: crate::redact::mask(crate::text::printable(self.title.trim()).trim())
                .into_owned(),
            body,
            labels: self
                .labels
                .iter()
                .filter(|l| !l.trim().is_empty())
                .cloned()
                .collect(),
            assignee: self.assignee.clone().filter(|a| !a.trim().is_empty()),
            fingerprint: self.fingerprint.clone(),
        }
    }
}

/// The pieces a body is built of, each also a `{placeholder}`.
struct Parts {
    title: String,
    fields: Vec<(&'static str, String)>,
    footer: String,
}

impl Parts {
    fn of(s: &Subject, entries: &[Entry], now: DateTime<Utc>, fp: &Fingerprint) -> Parts {
        let env = s.env.clone().unwrap_or_default();
        let label = match &s.item {
            Some(item) => format!("{} {item}", s.name),
            None => s.name.clone(),
        };
        let title = match s.env.as_deref() {
            Some(env) => format!("[{env}] {label}: {} — {}", s.state, s.summary),
            None => format!("{label}: {} — {}", s.state, s.summary),
        };
        let since = s
            .since
            .map(|t| format!("{} ({} ago)", t.format("%Y-%m-%d %H:%M UTC"), ago(now - t)))
            .unwrap_or_default();
        let mut what = vec![format!(
            "- **What:** {label} is {} — {}",
            s.state, s.summary
        )];
        if let Some(t) = &s.target {
            what.push(format!(
                "- **Where:** {t}{}",
                if env.is_empty() || env == *t {
                    String::new()
                } else {
                    format!(" ({env})")
                }
            ));
        } else if !env.is_empty() {
            what.push(format!("- **Where:** {env}"));
        }
        if !since.is_empty() {
            what.push(format!("- **Since:** {since}"));
        }
        if let Some(o) = &s.owner {
            what.push(format!("- **Owner:** {o}"));
        }
        if let Some(t) = s.tier {
            what.push(format!("- **Tier:** {}", t.as_str()));
        }
        let cutoff = now - Duration::hours(SUSPECT_HOURS);
        let changes: Vec<String> = entries
            .iter()
            .filter(|e| e.kind == EntryKind::Change && e.time >= cutoff)
            .map(|e| {
                let why = e
                    .why
                    .as_deref()
                    .map(|w| format!(" — why: {w}"))
                    .unwrap_or_default();
                let about = e.refs.label();
                let about = if about.is_empty() {
                    String::new()
                } else {
                    format!(" [{about}]")
                };
                format!(
                    "- {} {}: {}{why}{about}",
                    e.time.format("%H:%M"),
                    e.author,
                    e.text
                )
            })
            .collect();
        let fenced = |text: &str| format!("```\n{}\n```", text.trim_end().replace("```", "'''"));
        let fields = vec![
            ("env", env.clone()),
            ("check", s.name.clone()),
            ("name", s.name.clone()),
            ("target", s.target.clone().unwrap_or_default()),
            ("item", s.item.clone().unwrap_or_default()),
            ("state", s.state.clone()),
            ("summary", s.summary.clone()),
            ("since", since),
            ("owner", s.owner.clone().unwrap_or_default()),
            ("what", what.join("\n")),
            (
                "request",
                s.request.clone().map(|r| fenced(&r)).unwrap_or_default(),
            ),
            (
                "output",
                s.output.clone().map(|o| fenced(&o)).unwrap_or_default(),
            ),
            (
                "history",
                s.history
                    .iter()
                    .map(|h| format!("- {h}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            (
                "logs",
                if s.log_lines.is_empty() {
                    String::new()
                } else {
                    fenced(&s.log_lines.join("\n"))
                },
            ),
            ("changes", changes.join("\n")),
            (
                "host",
                s.host_facts
                    .iter()
                    .map(|h| format!("- {h}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            ("fingerprint", fp.to_string()),
        ];
        Parts {
            title,
            fields,
            footer: format!("sheriff fingerprint: {fp}"),
        }
    }

    fn get(&self, key: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The built-in body: each non-empty section under its heading.
    fn body(&self) -> String {
        let mut out = String::new();
        out.push_str(self.get("what"));
        out.push('\n');
        for (heading, key) in [
            ("Request", "request"),
            ("Last output", "output"),
            ("State history", "history"),
            ("Log lines", "logs"),
            ("Suspect changes (recorded in the last 6 hours)", "changes"),
            ("Host", "host"),
        ] {
            let text = self.get(key);
            if !text.is_empty() {
                out.push_str(&format!("\n### {heading}\n\n{text}\n"));
            }
        }
        out.push_str(&format!("\n---\n{}\n", self.footer));
        out
    }

    /// A template with its `{placeholders}` filled; an unknown one stays as written.
    fn fill(&self, template: &str) -> String {
        let mut out = template.to_string();
        for (key, value) in &self.fields {
            out = out.replace(&format!("{{{key}}}"), value);
        }
        out
    }
}

fn ago(d: Duration) -> String {
    let secs = d.num_seconds().max(0) as u64;
    crate::config::duration::format_duration(
        std::time::Duration::from_secs(secs - secs % 60).max(std::time::Duration::from_secs(60)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BugTemplate, Route};
    use crate::handoff::Refs;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 2, h, m, 0).unwrap()
    }

    fn subject() -> Subject {
        Subject {
            kind: "check",
            name: "api".into(),
            env: Some("staging".into()),
            target: Some("staging".into()),
            state: "CRITICAL".into(),
            summary: "503 Service Unavailable".into(),
            since: Some(at(11, 40)),
            owner: Some("alex".into()),
            output: Some("HTTP/1.1 503 Service Unavailable\npassword=hunter2hunter2".into()),
            history: vec!["11:40 CRITICAL 503 Service Unavailable".into()],
            ..Subject::default()
        }
    }

    fn change(time: DateTime<Utc>, text: &str, why: &str) -> Entry {
        Entry {
            id: text.into(),
            time,
            author: "sam".into(),
            kind: EntryKind::Change,
            text: text.into(),
            why: Some(why.into()),
            refs: Refs::default(),
            tags: Vec::new(),
        }
    }

    #[test]
    fn a_check_draft_has_what_where_since_output_and_the_recent_changes_with_their_why() {
        let entries = [
            change(at(3, 0), "rotated certs", "old change, out of the window"),
            change(at(11, 30), "deployed api 2.4", "fix the login timeout"),
        ];
        let d = BugDraft::new(&subject(), &entries, &TrackerSpec::default(), at(12, 0));
        assert_eq!(d.title, "[staging] api: CRITICAL — 503 Service Unavailable");
        assert!(
            d.body.contains("**Since:** 2026-12-02 11:40 UTC (20m ago)"),
            "{}",
            d.body
        );
        assert!(
            d.body
                .contains("deployed api 2.4 — why: fix the login timeout"),
            "{}",
            d.body
        );
        assert!(!d.body.contains("rotated certs"));
        assert!(d.body.contains(d.fingerprint.as_str()));
        assert!(!d.body.contains("hunter2hunter2"), "redacted: {}", d.body);
        assert_eq!(d.assignee.as_deref(), Some("alex"));
    }

    #[test]
    fn routes_and_templates_shape_the_bug() {
        let mut spec = TrackerSpec::default();
        spec.routes.push(Route {
            env: Some("production".into()),
            repo: Some("acme/prod".into()),
            ..Route::default()
        });
        spec.routes.push(Route {
            env: Some("staging".into()),
            repo: Some("acme/staging".into()),
            labels: vec!["staging".into()],
            ..Route::default()
        });
        spec.templates.insert(
            "check".into(),
            BugTemplate {
                title: Some("{check} down in {env}".into()),
                body: Some("State: {state}\n{output}".into()),
            },
        );
        let d = BugDraft::new(&subject(), &[], &spec, at(12, 0));
        assert_eq!(d.to.repo.as_deref(), Some("acme/staging"));
        assert_eq!(d.labels, ["staging"]);
        assert_eq!(d.title, "api down in staging");
        assert!(d.body.starts_with("State: CRITICAL\n```"), "{}", d.body);
        let mut edited = d.clone();
        edited.body = "all text replaced by the sheriff".into();
        assert!(edited.bug().body.contains(d.fingerprint.as_str()));
        edited.body = "pasted \x1b[31mred\x1b[0m and a bell\x07\nsecond line".into();
        let sent = edited.bug().body;
        assert!(
            sent.starts_with("pasted red and a bell␇\nsecond line"),
            "{sent}"
        );
    }
}
