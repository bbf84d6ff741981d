//! Drift a sheriff said is expected, with a why and maybe an expiry, kept in the handoff
//! log as a `drift-accepted` entry, so the whole team sees it and it outlives a restart.
//!
//! An acceptance holds the content id of what was accepted (a whole target, one file, or
//! one hunk of a file; or how one host's copy differs from its reference's; see
//! [`super::compare::ContentId`]): it holds only while that is what the comparison finds,
//! so a change in the accepted content shows as drift again, as does the end of its time.
//! The entry's tags carry it: `path:…`, `hunk:…`, `host:…`, `content:…`, `until:…` (RFC
//! 3339).

use chrono::{DateTime, Utc};

use super::compare::FileDiff;
use super::DriftReport;
use crate::handoff::{Entry, EntryKind, Refs};

/// One acceptance, as read from its entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub target: String,
    /// The file accepted, or every file of the target.
    pub path: Option<String>,
    /// The hunk accepted (its content id), or the whole file.
    pub hunk: Option<String>,
    /// The host whose difference from its reference was accepted (a [`super::PeerDrift`]),
    /// instead of drift between the environments.
    pub host: Option<String>,
    /// The content id of what was accepted when it was.
    pub content: String,
    pub why: String,
    pub by: String,
    pub at: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// An accepted file (or host) as a report says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedDrift {
    /// The file's path; in [`DriftReport::accepted_peers`], the host's name.
    pub path: String,
    pub why: String,
    pub by: String,
    pub until: Option<DateTime<Utc>>,
}

impl Acceptance {
    /// The acceptance an entry records, if it is one.
    pub fn from_entry(entry: &Entry) -> Option<Acceptance> {
        if entry.kind != EntryKind::DriftAccepted {
            return None;
        }
        let tag = |name: &str| {
            entry
                .tags
                .iter()
                .find_map(|t| t.strip_prefix(name)?.strip_prefix(':'))
                .map(str::to_string)
        };
        Some(Acceptance {
            target: entry.refs.drift.clone()?,
            path: tag("path"),
            hunk: tag("hunk"),
            host: tag("host"),
            content: tag("content")?,
            why: entry.why.clone().unwrap_or_default(),
            by: entry.author.clone(),
            at: entry.time,
            until: tag("until")
                .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.with_timezone(&Utc)),
        })
    }

    /// The entry that records this acceptance.
    pub fn to_entry(&self) -> Entry {
        let what = match (&self.path, &self.hunk) {
            _ if self.host.is_some() => {
                format!("how {}'s copy differs", self.host.as_deref().unwrap_or(""))
            }
            (None, _) => "all its drift".to_string(),
            (Some(path), None) => path.clone(),
            (Some(path), Some(_)) => format!("a hunk of {path}"),
        };
        let until = match self.until {
            Some(until) => format!(" until {}", until.format("%Y-%m-%d %H:%M UTC")),
            None => String::new(),
        };
        let text = format!("accepted drift in {}: {what}{until}", self.target);
        let mut tags = vec![format!("content:{}", self.content)];
        if let Some(path) = &self.path {
            tags.push(format!("path:{path}"));
        }
        if let Some(hunk) = &self.hunk {
            tags.push(format!("hunk:{hunk}"));
        }
        if let Some(host) = &self.host {
            tags.push(format!("host:{host}"));
        }
        if let Some(until) = self.until {
            tags.push(format!("until:{}", until.to_rfc3339()));
        }
        let mut entry = Entry::new(EntryKind::DriftAccepted, self.by.clone(), text)
            .with_why(self.why.clone())
            .with_refs(Refs {
                drift: Some(self.target.clone()),
                ..Refs::default()
            })
            .with_tags(tags);
        entry.time = self.at;
        entry
    }

    /// Whether it still holds at `now` (its time is not up).
    pub fn is_current(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// Every acceptance in a handoff log, oldest first.
pub fn from_log(entries: &[Entry]) -> Vec<Acceptance> {
    entries.iter().filter_map(Acceptance::from_entry).collect()
}

/// The drifted files of `report` that `acceptances` cover at `now`: the whole target with
/// the same content, the file with the same content, or every hunk of the file.
pub fn covered(
    report: &DriftReport,
    acceptances: &[Acceptance],
    now: DateTime<Utc>,
) -> Vec<AcceptedDrift> {
    let current = current(report, acceptances, now, false);
    let Some(diff) = report.diff.as_ref().filter(|_| !current.is_empty()) else {
        // Nothing to cover: the content ids (a hash of every shown line) are not worked out.
        return Vec::new();
    };
    let whole = diff.content_id().to_string();
    let target_wide = current
        .iter()
        .rev()
        .find(|a| a.path.is_none() && a.content == whole);
    let mut accepted = Vec::new();
    for file in diff.drifted() {
        // The most particular says why: the file's own acceptance before the target's.
        let by = file_acceptance(file, &current).or(target_wide.copied());
        if let Some(acceptance) = by {
            accepted.push(AcceptedDrift {
                path: file.path.clone(),
                why: acceptance.why.clone(),
                by: acceptance.by.clone(),
                until: acceptance.until,
            });
        }
    }
    accepted
}

/// The hosts of `report.peers` whose difference `acceptances` cover at `now`: accepted
/// for that host with the same content, the latest saying why.
pub fn covered_peers(
    report: &DriftReport,
    acceptances: &[Acceptance],
    now: DateTime<Utc>,
) -> Vec<AcceptedDrift> {
    let current = current(report, acceptances, now, true);
    if current.is_empty() {
        return Vec::new();
    }
    report
        .peers
        .iter()
        .filter_map(|peer| {
            let content = peer.diff.as_ref()?.content_id().to_string();
            let by = current
                .iter()
                .rev()
                .find(|a| a.host.as_deref() == Some(peer.host.as_str()) && a.content == content)?;
            Some(AcceptedDrift {
                path: peer.host.clone(),
                why: by.why.clone(),
                by: by.by.clone(),
                until: by.until,
            })
        })
        .collect()
}

/// The acceptances of `report`'s target that hold at `now`: of its hosts, or of its
/// drift between the environments.
fn current<'a>(
    report: &DriftReport,
    acceptances: &'a [Acceptance],
    now: DateTime<Utc>,
    of_hosts: bool,
) -> Vec<&'a Acceptance> {
    acceptances
        .iter()
        .filter(|a| a.target == report.name && a.host.is_some() == of_hosts && a.is_current(now))
        .collect()
}

/// The acceptance that covers `file`: of it whole with its content now, else (for a file
/// with hunks) of each of its hunks, the latest of those standing for them all.
fn file_acceptance<'a>(file: &FileDiff, current: &[&'a Acceptance]) -> Option<&'a Acceptance> {
    let of_file = current
        .iter()
        .filter(|a| a.path.as_deref() == Some(file.path.as_str()));
    let content = file.content_id().to_string();
    if let Some(whole) = of_file
        .clone()
        .rev()
        .find(|a| a.hunk.is_none() && a.content == content)
    {
        return Some(whole);
    }
    if file.hunks.is_empty() {
        return None;
    }
    let mut latest = None;
    for hunk in &file.hunks {
        let id = hunk.content_id().to_string();
        let by = of_file
            .clone()
            .rev()
            .find(|a| a.hunk.as_deref() == Some(id.as_str()))?;
        latest = Some(*by);
    }
    latest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::compare::{compare_trees, EnvVars, Rules};
    use crate::drift::side::{Entry as Side, Tree};
    use chrono::TimeDelta;

    fn report(files: &[(&str, &str, &str)]) -> DriftReport {
        let tree = |b_side: bool| Tree {
            entries: files
                .iter()
                .map(|f| {
                    let text = if b_side { f.2 } else { f.1 };
                    (f.0.to_string(), Side::file(text.as_bytes().to_vec()))
                })
                .collect(),
            notes: Vec::new(),
        };
        let between = ("production".to_string(), "staging".to_string());
        let mut report = DriftReport::new("app", &between);
        report.diff = Some(compare_trees(
            &tree(false),
            &tree(true),
            &Rules::default(),
            &EnvVars::default(),
        ));
        report
    }

    fn accept(
        report: &DriftReport,
        path: Option<&str>,
        until: Option<DateTime<Utc>>,
    ) -> Acceptance {
        let diff = report.diff.as_ref().unwrap();
        let content = match path {
            None => diff.content_id().to_string(),
            Some(path) => diff
                .files
                .iter()
                .find(|f| f.path == path)
                .unwrap()
                .content_id()
                .to_string(),
        };
        Acceptance {
            target: "app".into(),
            path: path.map(str::to_string),
            hunk: None,
            host: None,
            content,
            why: "staging runs fewer workers on purpose".into(),
            by: "alex".into(),
            at: Utc::now(),
            until,
        }
    }

    #[test]
    fn an_accepted_file_is_covered_until_it_expires_or_its_content_changes() {
        let now = Utc::now();
        let before = report(&[
            ("a.conf", "workers 8\n", "workers 4\n"),
            ("b.conf", "x 1\n", "x 2\n"),
        ]);
        let acceptance = accept(&before, Some("a.conf"), Some(now + TimeDelta::days(7)));
        // Through the log and back: the entry carries all of it.
        let entry = acceptance.to_entry();
        assert_eq!(entry.kind, EntryKind::DriftAccepted);
        let read = Acceptance::from_entry(&entry).unwrap();
        assert_eq!(
            read.until.map(|t| t.timestamp()),
            acceptance.until.map(|t| t.timestamp())
        );
        assert_eq!(read.content, acceptance.content);
        let covered_now = covered(&before, std::slice::from_ref(&read), now);
        assert_eq!(covered_now.len(), 1);
        assert_eq!(covered_now[0].path, "a.conf");
        assert_eq!(covered_now[0].why, "staging runs fewer workers on purpose");
        assert!(
            covered(
                &before,
                std::slice::from_ref(&read),
                now + TimeDelta::days(8)
            )
            .is_empty(),
            "expired"
        );
        let after = report(&[
            ("a.conf", "workers 8\n", "workers 2\n"),
            ("b.conf", "x 1\n", "x 2\n"),
        ]);
        assert!(
            covered(&after, &[read], now).is_empty(),
            "the content changed"
        );
    }

    #[test]
    fn a_target_accepted_whole_covers_every_file_while_nothing_changes() {
        let now = Utc::now();
        let before = report(&[("a.conf", "1\n", "2\n"), ("b.conf", "3\n", "4\n")]);
        let acceptance = accept(&before, None, None);
        assert_eq!(
            covered(&before, std::slice::from_ref(&acceptance), now).len(),
            2
        );
        let after = report(&[("a.conf", "1\n", "2\n"), ("b.conf", "3\n", "5\n")]);
        assert!(covered(&after, &[acceptance], now).is_empty());
    }

    #[test]
    fn a_file_whose_every_hunk_is_accepted_is_covered_and_a_changed_hunk_shows_again() {
        let now = Utc::now();
        let lines = |changed: &[usize], value: &str| -> String {
            (0..40)
                .map(|i| match changed.contains(&i) {
                    true => format!("line {i} {value}\n"),
                    false => format!("line {i}\n"),
                })
                .collect()
        };
        let (a, b) = (lines(&[], ""), lines(&[2, 30], "changed"));
        let before = report(&[("big.conf", &a, &b)]);
        let file = &before.diff.as_ref().unwrap().files[0];
        assert_eq!(file.hunks.len(), 2);
        let hunks: Vec<Acceptance> = file
            .hunks
            .iter()
            .map(|h| Acceptance {
                path: Some("big.conf".into()),
                hunk: Some(h.content_id().to_string()),
                ..accept(&before, Some("big.conf"), None)
            })
            .collect();
        assert!(
            covered(&before, &hunks[..1], now).is_empty(),
            "one hunk of two"
        );
        assert_eq!(covered(&before, &hunks, now).len(), 1);
        let after = report(&[("big.conf", &a, &lines(&[2, 30], "changed again"))]);
        assert!(covered(&after, &hunks, now).is_empty());
    }
}
