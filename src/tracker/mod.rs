//! Filing bugs: one [`Tracker`] trait with an adapter per tracker, the draft a sheriff
//! edits ([`draft`]), the fingerprint that finds an earlier bug for the same breakage
//! ([`fingerprint`]), the on-disk outbox that keeps a bug until a tracker took it
//! ([`outbox`]), and the record of what was filed ([`record`]).
//!
//! A bug goes: draft → redacted [`Bug`] → outbox (fsynced) → [`send::deliver`]: the local
//! record, then the tracker's own open issues, are asked for the fingerprint first, so a
//! recurrence (or a retry after a lost response) comments instead of filing twice.

pub mod adf;
pub mod autofile;
pub mod bugzilla;
pub mod dir;
pub mod draft;
pub mod fingerprint;
pub mod gitea;
pub mod github;
pub mod gitlab;
pub mod http;
pub mod jira;
pub mod mail;
pub mod outbox;
pub mod phorge;
pub mod record;
pub mod redmine;
pub mod send;
pub mod subjects;
pub mod token;
pub mod webhook;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::config::{TrackerKind, TrackerSpec};
pub use fingerprint::Fingerprint;
pub use token::Token;

/// A bug as it is sent: already redacted, Markdown body, the fingerprint in the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bug {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub assignee: Option<String>,
    pub fingerprint: Fingerprint,
}

/// An issue in a tracker: its id there (`123`, `OPS-12`, `T45`) and where a person reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRef {
    pub id: String,
    pub url: String,
}

impl IssueRef {
    /// `#123` for numbered trackers, the key itself for `OPS-12` or `T45`.
    pub fn label(&self) -> String {
        if self.id.chars().all(|c| c.is_ascii_digit()) {
            format!("#{}", self.id)
        } else {
            self.id.clone()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueState {
    Open,
    Closed,
}

impl IssueState {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueState::Open => "open",
            IssueState::Closed => "closed",
        }
    }
}

/// What went wrong talking to a tracker, in words a sheriff can act on. `retryable`
/// decides whether the outbox keeps trying.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrackerError {
    #[error("cannot reach {0}")]
    Offline(String),
    #[error("{0} did not answer in time")]
    Timeout(String),
    #[error("{tracker} failed ({status}): {message}")]
    Server {
        tracker: String,
        status: u16,
        message: String,
    },
    /// 401/403: the token is missing, wrong or lacks a permission.
    #[error("{tracker} refused the token ({status}): {message}; check {hint}")]
    Auth {
        tracker: String,
        status: u16,
        message: String,
        hint: String,
    },
    /// 400/404/422: the tracker's own words about what it will not take.
    #[error("{tracker} rejected the bug ({status}): {message}")]
    Rejected {
        tracker: String,
        status: u16,
        message: String,
    },
    #[error("{tracker} is rate limiting{}", wait_text(*.retry_after))]
    RateLimited {
        tracker: String,
        retry_after: Option<Duration>,
    },
    /// The config or the environment is wrong (no token variable, a bad URL).
    #[error("{0}")]
    Setup(String),
    /// The tracker answered something this adapter cannot read.
    #[error("{tracker} answered something unexpected: {message}")]
    Protocol { tracker: String, message: String },
}

fn wait_text(after: Option<Duration>) -> String {
    match after {
        Some(d) => format!(
            ": retry after {}",
            crate::config::duration::format_duration(Duration::from_secs(d.as_secs().max(1)))
        ),
        None => String::new(),
    }
}

impl TrackerError {
    /// Worth trying again later by itself: the network, the tracker's load or its limits.
    /// A refused token or a rejected bug stays queued until the sheriff fixes it and
    /// retries (`sheriff bugs queue --retry`), but is not hammered.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            TrackerError::Offline(_)
                | TrackerError::Timeout(_)
                | TrackerError::Server { .. }
                | TrackerError::RateLimited { .. }
        )
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TrackerError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// One tracker. Every call is bounded by the adapter's timeout; none is retried inside:
/// retrying is the outbox's business.
#[async_trait]
pub trait Tracker: Send + Sync + fmt::Debug {
    /// `github`, `redmine`… for messages.
    fn name(&self) -> &'static str;

    /// One read-only call that proves the token and the project: what it found, in words.
    async fn verify(&self) -> Result<String, TrackerError>;

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError>;

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError>;

    /// An open issue whose body holds the fingerprint, read from the tracker's database
    /// where it has a query for it (search indexes lag). `Ok(None)` also for trackers
    /// that cannot be asked (`mail`, `webhook`): sheriff's own record answers for them.
    async fn find_open(&self, fingerprint: &Fingerprint) -> Result<Option<IssueRef>, TrackerError>;

    /// Whether the issue is still open; `None` where the tracker cannot say.
    async fn state(&self, issue: &IssueRef) -> Result<Option<IssueState>, TrackerError>;
}

/// Where bugs go when a route or the sheriff names another project: `[tracker]` with
/// `repo`/`project` replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
}

/// The record's name for a tracker and the place bugs go in it:
/// `github https://api.github.com acme/infra`.
pub fn key(spec: &TrackerSpec, to: &Destination) -> String {
    let place = [
        spec.url.as_deref(),
        to.repo.as_deref().or(spec.repo.as_deref()),
        to.project.as_deref().or(spec.project.as_deref()),
    ];
    let mut key = spec.kind.name().to_string();
    for part in place.into_iter().flatten() {
        key.push(' ');
        key.push_str(part);
    }
    if spec.kind == TrackerKind::Dir {
        key.push(' ');
        key.push_str(&dir::bug_dir(spec).display().to_string());
    }
    key
}

/// Where a tracker's outbox and record live: beside the bugs for `dir` (so a demo or a
/// test folder keeps its own), else per tracker in the data dir, so a bug queued for one
/// tracker is never sent to another after the config changes.
pub fn places(spec: &TrackerSpec) -> (outbox::Outbox, record::Record) {
    let root = match spec.kind {
        TrackerKind::Dir => dir::bug_dir(spec).join(".sheriff"),
        kind => {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(key(spec, &Destination::default()).as_bytes());
            let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
            crate::paths::data_dir()
                .join("bugs")
                .join(format!("{}-{short}", kind.name()))
        }
    };
    (
        outbox::Outbox::at(root.join("outbox")),
        record::Record::at(root.join("filed.jsonl")),
    )
}

/// The adapter `spec` names, its token read now (from the environment or a file).
pub fn connect(spec: &TrackerSpec, to: &Destination) -> Result<Box<dyn Tracker>, TrackerError> {
    let mut spec = spec.clone();
    if to.repo.is_some() {
        spec.repo = to.repo.clone();
    }
    if to.project.is_some() {
        spec.project = to.project.clone();
    }
    match spec.kind {
        TrackerKind::Dir => Ok(Box::new(dir::DirTracker::new(dir::bug_dir(&spec)))),
        TrackerKind::Gitlab => Ok(Box::new(gitlab::GitLab::new(&spec)?)),
        TrackerKind::Bugzilla => Ok(Box::new(bugzilla::Bugzilla::new(&spec)?)),
        TrackerKind::Phorge => Ok(Box::new(phorge::Phorge::new(&spec)?)),
        TrackerKind::Webhook => Ok(Box::new(webhook::Webhook::new(&spec)?)),
        TrackerKind::Mail => Ok(Box::new(mail::Mail::new(&spec)?)),
        TrackerKind::Github => Ok(Box::new(github::GithubTracker::from_spec(&spec)?)),
        TrackerKind::Gitea => Ok(Box::new(gitea::GiteaTracker::from_spec(&spec)?)),
        TrackerKind::Jira => Ok(Box::new(jira::JiraTracker::from_spec(&spec)?)),
        TrackerKind::Redmine => Ok(Box::new(redmine::RedmineTracker::new(&spec)?)),
    }
}
