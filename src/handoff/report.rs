//! The shift report the next sheriff reads: what is still open, then what happened —
//! changes with their why, incidents, bugs filed, acknowledgements, notes — grouped,
//! newest first, short. Markdown for people, JSON for scripts.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Local, TimeDelta, TimeZone, Utc};
use serde::Serialize;

use super::{Entry, EntryKind};
use crate::config::duration::{format_duration, parse_duration, BadDuration};

/// How many entries of each group the Markdown report shows; JSON has them all.
pub const PER_GROUP: usize = 20;

/// Problems still open at handoff time. The log knows check states (see
/// [`OpenProblems::from_log`]); drift and the bug outbox live elsewhere, so their owners
/// fill those lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OpenProblems {
    pub checks: Vec<OpenCheck>,
    /// Unaccepted drift, one line each: `nginx production ↔ staging: 2 files differ`.
    pub drift: Vec<String>,
    /// Bugs still queued in the outbox, one line each (their titles).
    pub bugs: Vec<String>,
}

/// A check whose latest recorded state is not ok.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenCheck {
    pub check: String,
    pub env: Option<String>,
    pub host: Option<String>,
    /// `warning`, `critical` or `unknown`.
    pub state: String,
    pub summary: String,
    /// When the check entered this state.
    pub since: DateTime<Utc>,
}

impl OpenProblems {
    /// Checks whose latest `check-state` entry is not `ok`, worst first. `entries` must be
    /// oldest first, as [`super::Log::load`] returns them.
    pub fn from_log(entries: &[Entry]) -> OpenProblems {
        // Borrow while scanning (a busy log holds many check states); copy only the open ones.
        type Key<'e> = (&'e str, Option<&'e str>, Option<&'e str>);
        let mut latest: HashMap<Key, (&Entry, &str, DateTime<Utc>)> = HashMap::new();
        for e in entries.iter().filter(|e| e.kind == EntryKind::CheckState) {
            let (Some(check), Some(state)) = (e.refs.check.as_deref(), e.check_status()) else {
                continue;
            };
            let key = (check, e.refs.env.as_deref(), e.refs.host.as_deref());
            // One hash per entry: a busy log holds tens of thousands of check states.
            latest
                .entry(key)
                .and_modify(|(last, prev, since)| {
                    if *prev != state {
                        *since = e.time;
                    }
                    (*last, *prev) = (e, state);
                })
                .or_insert((e, state, e.time));
        }
        let open = latest
            .into_iter()
            .filter(|(_, (_, state, _))| *state != "ok");
        let open = open.map(|((check, env, host), (e, state, since))| OpenCheck {
            check: check.to_string(),
            env: env.map(str::to_string),
            host: host.map(str::to_string),
            state: state.to_string(),
            summary: e.headline().to_string(),
            since,
        });
        let mut checks: Vec<OpenCheck> = open.collect();
        sort_worst_first(&mut checks);
        OpenProblems {
            checks,
            ..OpenProblems::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty() && self.drift.is_empty() && self.bugs.is_empty()
    }

    fn len(&self) -> usize {
        self.checks.len() + self.drift.len() + self.bugs.len()
    }
}

/// Worst first (critical, warning, unknown), then longest open first.
pub fn sort_worst_first(checks: &mut [OpenCheck]) {
    checks.sort_by(|a, b| {
        severity(&b.state)
            .cmp(&severity(&a.state))
            .then(a.since.cmp(&b.since))
    });
}

fn severity(state: &str) -> u8 {
    match state {
        "critical" => 3,
        "warning" => 2,
        "unknown" => 1,
        _ => 0,
    }
}

fn symbol(state: &str) -> &'static str {
    match state {
        "critical" => "✖",
        "warning" => "▲",
        "ok" => "✔",
        _ => "?",
    }
}

/// Which stretch of the log a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The last so long (`--since 12h`).
    Last(TimeDelta),
    /// The latest shift: from the last `shift-start` to its `shift-end`, or now. Without
    /// any shift recorded, the last 12 hours.
    Shift,
}

/// A resolved period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The sheriff whose shift this is, when the span is a shift.
    pub shift_of: Option<String>,
}

impl Span {
    /// Resolve `period` against the log (oldest first) at time `now`.
    pub fn resolve(period: Period, entries: &[Entry], now: DateTime<Utc>) -> Span {
        let last = |d| Span {
            from: now
                .checked_sub_signed(d)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            to: now,
            shift_of: None,
        };
        match period {
            Period::Last(d) => last(d),
            Period::Shift => {
                let Some(start) = entries
                    .iter()
                    .rposition(|e| e.kind == EntryKind::ShiftStart)
                else {
                    return last(TimeDelta::hours(12));
                };
                let to = entries[start..]
                    .iter()
                    .find(|e| e.kind == EntryKind::ShiftEnd)
                    .map_or(now, |e| e.time);
                Span {
                    from: entries[start].time,
                    to,
                    shift_of: Some(entries[start].author.clone()),
                }
            }
        }
    }
}

/// The report: open problems, then the period's entries by group, newest first.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    #[serde(flatten)]
    pub span: Span,
    pub open: OpenProblems,
    pub changes: Vec<&'a Entry>,
    pub incidents: Vec<&'a Entry>,
    pub bugs: Vec<&'a Entry>,
    /// `ack` and `drift-accepted` entries.
    pub acks: Vec<&'a Entry>,
    pub notes: Vec<&'a Entry>,
    /// `check-state` and shift markers in the period: folded, counted, not listed.
    pub automatic: usize,
}

impl<'a> Report<'a> {
    /// Group the entries of `span` (from `entries`, oldest first).
    pub fn build(entries: &'a [Entry], span: Span, open: OpenProblems) -> Report<'a> {
        // The log is in time order, so the period is found by binary search, not a scan.
        let lo = entries.partition_point(|e| e.time < span.from);
        let hi = entries.partition_point(|e| e.time <= span.to);
        let mut r = Report {
            span,
            open,
            changes: Vec::new(),
            incidents: Vec::new(),
            bugs: Vec::new(),
            acks: Vec::new(),
            notes: Vec::new(),
            automatic: 0,
        };
        for e in entries[lo..hi.max(lo)].iter().rev() {
            match e.kind {
                EntryKind::Change => r.changes.push(e),
                EntryKind::Incident => r.incidents.push(e),
                EntryKind::Bug => r.bugs.push(e),
                EntryKind::Ack | EntryKind::DriftAccepted => r.acks.push(e),
                EntryKind::Note => r.notes.push(e),
                // A shift marker with words ("took over from sam") is a note; a bare one
                // only marks time.
                EntryKind::ShiftStart | EntryKind::ShiftEnd if !e.text.trim().is_empty() => {
                    r.notes.push(e)
                }
                EntryKind::CheckState | EntryKind::ShiftStart | EntryKind::ShiftEnd => {
                    r.automatic += 1
                }
            }
        }
        r
    }

    pub fn to_json(&self) -> String {
        // Serializing plain data with string keys cannot fail; keep a valid document anyway.
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()))
    }

    /// Markdown in the local time zone.
    pub fn to_markdown(&self) -> String {
        self.to_markdown_in(&Local)
    }

    /// Markdown with times shown in `tz` (tests pin it to UTC).
    pub fn to_markdown_in<Tz: TimeZone>(&self, tz: &Tz) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        let mut md = String::new();
        let from = self.span.from.with_timezone(tz);
        let to_day = self.span.to.with_timezone(tz).date_naive();
        let length = self.span.to - self.span.from;
        let length = format_duration(length.to_std().unwrap_or_default());
        let _ = match &self.span.shift_of {
            Some(who) => writeln!(
                md,
                "# Handoff: shift of {who}, since {} ({length})",
                from.format("%a %d %b %H:%M")
            ),
            None => writeln!(
                md,
                "# Handoff: since {} ({length})",
                from.format("%a %d %b %H:%M")
            ),
        };
        let when = |t: &DateTime<Utc>| {
            let t = t.with_timezone(tz);
            if t.date_naive() == to_day {
                t.format("%H:%M").to_string()
            } else {
                t.format("%d %b %H:%M").to_string()
            }
        };

        if !self.open.is_empty() {
            let _ = writeln!(md, "\n## Still open ({})", self.open.len());
            for c in &self.open.checks {
                let place = [Some(&c.check), c.env.as_ref(), c.host.as_ref()]
                    .into_iter()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" · ");
                let _ = writeln!(
                    md,
                    "- {} {} {place}: {} (since {})",
                    symbol(&c.state),
                    c.state,
                    one_line(&c.summary),
                    when(&c.since)
                );
            }
            for d in &self.open.drift {
                let _ = writeln!(md, "- ~ drift {}", one_line(d));
            }
            for b in &self.open.bugs {
                let _ = writeln!(md, "- ⟳ bug queued: {}", one_line(b));
            }
        }
        let groups: [(&str, &Vec<&Entry>); 5] = [
            ("Changes", &self.changes),
            ("Incidents", &self.incidents),
            ("Bugs filed", &self.bugs),
            ("Acknowledged", &self.acks),
            ("Notes", &self.notes),
        ];
        for (title, list) in groups.into_iter().filter(|(_, l)| !l.is_empty()) {
            let _ = writeln!(md, "\n## {title} ({})", list.len());
            for e in list.iter().take(PER_GROUP) {
                let refs = e.refs.label();
                let refs = if refs.is_empty() {
                    String::new()
                } else {
                    format!(" [{refs}]")
                };
                // Groups that hold more than one kind say which (`ack`, `shift-start`).
                let kind = match e.kind {
                    EntryKind::Note | EntryKind::Change | EntryKind::Incident | EntryKind::Bug => {
                        String::new()
                    }
                    k => format!("{k}: "),
                };
                let _ = writeln!(
                    md,
                    "- {} {}: {kind}{}{refs}",
                    when(&e.time),
                    e.author,
                    one_line(&e.text)
                );
                if let Some(why) = &e.why {
                    let _ = writeln!(md, "  why: {}", one_line(why));
                }
            }
            if list.len() > PER_GROUP {
                let _ = writeln!(
                    md,
                    "- … and {} more (`--format json` lists them all)",
                    list.len() - PER_GROUP
                );
            }
        }
        let listed = self.changes.len()
            + self.incidents.len()
            + self.bugs.len()
            + self.acks.len()
            + self.notes.len();
        if listed == 0 && self.open.is_empty() {
            md.push_str("\nNothing recorded in this period.\n");
        }
        if self.automatic > 0 {
            let _ = writeln!(
                md,
                "\n_{} automatic {} (check states, shift markers) folded._",
                self.automatic,
                if self.automatic == 1 {
                    "entry"
                } else {
                    "entries"
                }
            );
        }
        md
    }
}

/// The first line, at most 160 characters, marked with `…` when cut: a report is read in
/// a minute, the full text is one `--format json` away.
fn one_line(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    let cut = first.chars().count() > 160 || text.trim_end().contains('\n');
    let mut s: String = first.chars().take(160).collect();
    if cut {
        s.push_str(" …");
    }
    s
}

/// A period length (`90m`, `1h30m`, `1.5h`, `2d`, `1w`), read as every duration is.
pub fn parse_since(text: &str) -> Result<TimeDelta, BadDuration> {
    let d = parse_duration(text)?;
    // Cannot fail: durations stop at 584 years, far inside `TimeDelta`'s range.
    TimeDelta::from_std(d).map_err(|_| BadDuration {
        text: text.to_string(),
        why: "it is too long",
    })
}
