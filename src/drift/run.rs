//! One drift target compared, end to end, and the worker that compares it again and again:
//! each side read where its environment is (its reference host over the SSH pool, its
//! local `root`, or a URL), hashes first; the bytes of only the entries whose hashes differ
//! fetched; both compared with the target's rules; and the other hosts of each environment
//! compared with their reference (see [`super::peers`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::compare::{Comparison, EnvVars, Rules};
use super::fetch::{self, DriftTarget, Globs, Place, TargetKind};
use super::side::{EntryKind, Tree};
use super::DriftReport;
use crate::config::{Config, DriftSource, DriftSpec, Environment};
use crate::event::{Event, Events};
use crate::transport::ssh::SshPool;

/// How often a target read over SSH is compared again, unless it says.
pub const EVERY_OVER_SSH: Duration = Duration::from_secs(5 * 60);
/// How often a target read from local roots (or a URL) is compared again, unless it says.
pub const EVERY_HERE: Duration = Duration::from_secs(30);
/// How long one call to a host or URL may take, unless the target says.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Where the two environments of a comparison are, and what reads them.
#[derive(Clone)]
pub struct Sides {
    pub a: Environment,
    pub b: Environment,
    pub pool: Option<SshPool>,
}

impl Sides {
    /// The two environments `spec` compares, from `config`.
    pub fn of(spec: &DriftSpec, config: &Config, pool: Option<SshPool>) -> Result<Sides, String> {
        let env = |name: &str| {
            config
                .environment(name)
                .cloned()
                .ok_or_else(|| format!("no environment \"{name}\""))
        };
        Ok(Sides {
            a: env(&spec.between.0)?,
            b: env(&spec.between.1)?,
            pool,
        })
    }

    /// Whether reading either side goes over SSH.
    pub fn uses_ssh(&self, spec: &DriftSpec) -> bool {
        !matches!(spec.source, DriftSource::Url(_))
            && [&self.a, &self.b].iter().any(|e| e.root.is_none())
    }
}

/// Compares `spec` every `every` (or its own `every`), sending a report when the result
/// changed (the first always), until the receiver is gone. `r` on the pane (`now`) compares
/// at once.
pub async fn run(spec: DriftSpec, sides: Sides, tx: Events, now: Arc<tokio::sync::Notify>) {
    let every = spec.every.unwrap_or(if sides.uses_ssh(&spec) {
        EVERY_OVER_SSH
    } else {
        EVERY_HERE
    });
    let mut last: Option<DriftReport> = None;
    loop {
        if tx.is_closed() {
            return;
        }
        let busy = |since| Event::DriftBusy {
            name: spec.name.clone(),
            since,
        };
        let _ = tx.send(busy(Some(Utc::now())));
        let report = compare(&spec, &sides).await;
        let changed = last.as_ref().is_none_or(|prev| !prev.same_result(&report));
        if changed {
            last = Some(report.clone());
            if tx.send_data(Event::Drift(Box::new(report))).await.is_err() {
                return;
            }
        }
        let _ = tx.send(busy(None));
        tokio::select! {
            () = tokio::time::sleep(every.max(Duration::from_millis(100))) => {}
            () = now.notified() => {}
        }
    }
}

/// One comparison of `spec` between its two environments.
pub async fn compare(spec: &DriftSpec, sides: &Sides) -> DriftReport {
    let mut report = DriftReport::new(&spec.name, &spec.between);
    match compare_sides(spec, sides, &mut report).await {
        Ok(()) => {}
        Err(error) => report.error = Some(crate::redact::mask(&error).into_owned()),
    }
    report.at = Utc::now();
    report
}

async fn compare_sides(
    spec: &DriftSpec,
    sides: &Sides,
    report: &mut DriftReport,
) -> Result<(), String> {
    let base = target(spec)?;
    let places_a = places(spec, &base, &sides.a, sides.pool.as_ref())?;
    let places_b = places(spec, &base, &sides.b, sides.pool.as_ref())?;
    let (reference_a, reference_b) = (&places_a[0], &places_b[0]);
    report.reference = (reference_a.name.clone(), reference_b.name.clone());
    let (target_a, target_b) = (&reference_a.target, &reference_b.target);
    let (a, b) = tokio::join!(
        fetch::list(target_a, &reference_a.place),
        fetch::list(target_b, &reference_b.place)
    );
    let (mut a, mut b) = (side(a, &sides.a)?, side(b, &sides.b)?);
    let differing = differing(&a, &b);
    let (filled_a, filled_b) = tokio::join!(
        fetch::fill(target_a, &mut a, &differing, &reference_a.place),
        fetch::fill(target_b, &mut b, &differing, &reference_b.place)
    );
    filled_a.map_err(|e| format!("{}: {e}", sides.a.name))?;
    filled_b.map_err(|e| format!("{}: {e}", sides.b.name))?;
    let rules = rules(spec);
    let vars = EnvVars {
        a: replaced_vars(spec, &reference_a.vars),
        b: replaced_vars(spec, &reference_b.vars),
    };
    // Secrets are hashed with a salt made for this comparison and dropped with it.
    report.diff = Some(Comparison::new(&rules, &vars).trees(&a, &b));
    for (places, tree) in [(&places_a, &mut a), (&places_b, &mut b)] {
        let (reference, others) = places.split_first().expect("a side has a reference");
        let found = super::peers::compare(spec, &rules, reference, tree, others).await;
        report.peers.extend(found);
    }
    report.transferred = places_a
        .iter()
        .chain(&places_b)
        .map(|p| p.place.bytes_transferred())
        .sum();
    Ok(())
}

/// A side as read, or why it could not be, naming its environment.
fn side(listed: Result<Tree, fetch::FetchError>, env: &Environment) -> Result<Tree, String> {
    listed.map_err(|e| format!("{}: {e}", env.name))
}

/// The paths whose bytes a diff needs: files on both sides whose hashes differ.
pub(super) fn differing(a: &Tree, b: &Tree) -> Vec<String> {
    a.entries
        .iter()
        .filter_map(|(path, entry)| {
            let other = b.entries.get(path)?;
            match (&entry.kind, &other.kind) {
                (EntryKind::File { sha256: x, .. }, EntryKind::File { sha256: y, .. })
                    if x != y =>
                {
                    Some(path.clone())
                }
                _ => None,
            }
        })
        .collect()
}

/// What the fetch reads for `spec`.
fn target(spec: &DriftSpec) -> Result<DriftTarget, String> {
    let kind = match &spec.source {
        DriftSource::Path(path) if path.ends_with('/') => {
            let include: Vec<&str> = spec.include.iter().map(String::as_str).collect();
            let exclude: Vec<&str> = spec.exclude.iter().map(String::as_str).collect();
            let globs = Globs::new(&include, &exclude).map_err(|e| e.to_string())?;
            TargetKind::Tree {
                path: path.clone(),
                globs,
            }
        }
        DriftSource::Path(path) => TargetKind::File { path: path.clone() },
        DriftSource::Command(command) => TargetKind::Command {
            command: command.clone(),
        },
        DriftSource::Url(url) => TargetKind::Http { url: url.clone() },
    };
    let mut target = DriftTarget::new(&spec.name, kind);
    target.timeout = spec.timeout.unwrap_or(TIMEOUT);
    Ok(target)
}

/// One place a side (or a peer of its reference) is read from, and the target as read
/// there: templated with its environment's vars and `{host}`, the host's name.
pub(super) struct Reading {
    /// The host, the local root, or the environment (for a URL).
    pub name: String,
    pub place: Place,
    pub target: DriftTarget,
    /// The vars the target was templated with, `host` included for a host.
    pub vars: BTreeMap<String, String>,
}

/// Where `env`'s side is read: its reference first, then its other hosts (compared with
/// the reference as peers).
fn places(
    spec: &DriftSpec,
    base: &DriftTarget,
    env: &Environment,
    pool: Option<&SshPool>,
) -> Result<Vec<Reading>, String> {
    if let DriftSource::Url(_) = spec.source {
        let place = Place::http().map_err(|e| e.to_string())?;
        let target = base.for_vars(&env.vars);
        let name = env.name.clone();
        return Ok(vec![Reading {
            name,
            place,
            target,
            vars: env.vars.clone(),
        }]);
    }
    if let Some(root) = &env.root {
        let name = root.display().to_string();
        let (place, target) = (Place::local(root), base.for_vars(&env.vars));
        return Ok(vec![Reading {
            name,
            place,
            target,
            vars: env.vars.clone(),
        }]);
    }
    let reference = spec
        .reference
        .iter()
        .find(|h| env.hosts.contains(h))
        .map(String::as_str);
    let hosts = fetch::hosts_by_reference(env, reference).map_err(|e| e.to_string())?;
    let Some(pool) = pool else {
        return Err(format!(
            "{}: its hosts are not reachable: no SSH pool is configured",
            env.name
        ));
    };
    Ok(hosts
        .into_iter()
        .map(|host| {
            let mut vars = env.vars.clone();
            vars.insert("host".into(), host.clone());
            Reading {
                place: Place::host(pool.clone(), &host),
                target: base.for_vars(&vars),
                name: host,
                vars,
            }
        })
        .collect())
}

/// The comparison rules `spec` asks for.
pub fn rules(spec: &DriftSpec) -> Rules {
    let patterns: Vec<&str> = spec.ignore.iter().map(|r| r.as_str()).collect();
    Rules {
        ignore_lines: (!patterns.is_empty())
            .then(|| regex::RegexSet::new(&patterns).ok())
            .flatten(),
        replace: spec.replace.values().cloned().collect(),
        whitespace: spec.whitespace,
        ignore_blank_lines: spec.ignore_blank_lines,
        comment_prefixes: spec.comments.clone(),
        order_insensitive: spec.unordered,
        format: spec.format,
        ..Rules::default()
    }
}

/// The vars of a reading that `spec` names in `replace`: only those become placeholders.
pub(super) fn replaced_vars(
    spec: &DriftSpec,
    vars: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    spec.replace
        .values()
        .filter_map(|var| Some((var.clone(), vars.get(var)?.clone())))
        .collect()
}
