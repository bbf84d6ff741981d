//! Config drift between two environments: each side read where its environment is
//! (`fetch`), compared with the target's rules (`compare`), and the result a pane, `sheriff
//! drift` and the handoff report show (`DriftReport`). `run` ties them together and keeps
//! comparing; `side` is what one side holds between fetching and comparing.

pub mod accepted;
pub mod compare;
pub mod fetch;
mod peers;
pub mod run;
pub mod side;

use chrono::{DateTime, Utc};

use compare::{FileDiff, TargetDiff};

/// One `[[drift]]` target compared once.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftReport {
    pub name: String,
    pub between: (String, String),
    /// Where each side was read: its reference host, its local root, or its environment
    /// (for a URL).
    pub reference: (String, String),
    /// What differs; `None` when a side could not be read at all (see `error`).
    pub diff: Option<TargetDiff>,
    /// Hosts of either environment that differ from their reference.
    pub peers: Vec<PeerDrift>,
    /// Why a side could not be read at all (a hung host says so), masked.
    pub error: Option<String>,
    pub at: DateTime<Utc>,
    /// Bytes that crossed SSH for this comparison.
    pub transferred: u64,
    /// The drifted files an acceptance in the handoff log covers (see [`accepted`]).
    pub accepted: Vec<accepted::AcceptedDrift>,
    /// The peers an acceptance covers, each by its host's name.
    pub accepted_peers: Vec<accepted::AcceptedDrift>,
}

/// A host whose copy of a target is not its reference's.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerDrift {
    pub host: String,
    pub differs_from: String,
    /// The paths where it differs (or why it could not be read).
    pub paths: Vec<String>,
    /// The reference's copy (side a) against the host's (side b), for the paths that
    /// differ; `None` when the host could not be read.
    pub diff: Option<TargetDiff>,
}

impl DriftReport {
    /// A report of nothing compared yet.
    pub fn new(name: &str, between: &(String, String)) -> DriftReport {
        DriftReport {
            name: name.to_string(),
            between: between.clone(),
            reference: Default::default(),
            diff: None,
            peers: Vec::new(),
            error: None,
            at: Utc::now(),
            transferred: 0,
            accepted: Vec::new(),
            accepted_peers: Vec::new(),
        }
    }

    /// A report saying why the target could not be compared.
    pub fn failed(name: &str, between: &(String, String), error: String) -> DriftReport {
        DriftReport {
            error: Some(error),
            ..DriftReport::new(name, between)
        }
    }

    /// The files compared, same ones included.
    pub fn files(&self) -> &[FileDiff] {
        self.diff.as_ref().map_or(&[], |d| d.files.as_slice())
    }

    /// The files that differ in any way.
    pub fn drifted(&self) -> impl Iterator<Item = &FileDiff> {
        self.files().iter().filter(|f| f.is_drift())
    }

    /// The drifted files no acceptance covers: what counts as drift.
    pub fn unaccepted(&self) -> impl Iterator<Item = &FileDiff> {
        self.drifted()
            .filter(|f| !self.accepted.iter().any(|a| a.path == f.path))
    }

    /// The hosts that differ from their reference with no acceptance covering them.
    pub fn unaccepted_peers(&self) -> impl Iterator<Item = &PeerDrift> {
        self.peers
            .iter()
            .filter(|p| !self.accepted_peers.iter().any(|a| a.path == p.host))
    }

    /// Applies the acceptances current at `now`; whether that changed what is covered.
    pub fn apply_acceptances(
        &mut self,
        acceptances: &[accepted::Acceptance],
        now: DateTime<Utc>,
    ) -> bool {
        let files = accepted::covered(self, acceptances, now);
        let peers = accepted::covered_peers(self, acceptances, now);
        let changed = files != self.accepted || peers != self.accepted_peers;
        self.accepted = files;
        self.accepted_peers = peers;
        changed
    }

    /// Whether `other` says the same (its time and transfer aside): a worker sends a
    /// report only when it does not.
    pub fn same_result(&self, other: &DriftReport) -> bool {
        self.diff == other.diff
            && self.peers == other.peers
            && self.error == other.error
            && self.reference == other.reference
    }
}
