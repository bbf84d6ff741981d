//! The other hosts of an environment compared with its reference host: "web3.prod differs
//! from web1.prod in nginx.conf". Each is listed by hash in one round trip; only when a
//! hash differs are that file's bytes fetched from both, and compared under the target's
//! own rules, so a host name or address named in `replace` is not peer drift, and the
//! difference can be read (and accepted) as a diff like any other.

use super::compare::{Comparison, EnvVars, Rules, TargetDiff};
use super::fetch;
use super::run::{differing, replaced_vars, Reading};
use super::side::{EntryKind, Tree};
use super::PeerDrift;
use crate::config::DriftSpec;

/// The hosts of `others` whose copy differs from `reference`'s (`tree`, whose bytes are
/// fetched here as the peers need them).
pub(super) async fn compare(
    spec: &DriftSpec,
    rules: &Rules,
    reference: &Reading,
    tree: &mut Tree,
    others: &[Reading],
) -> Vec<PeerDrift> {
    let listings = others.iter().map(|o| fetch::list(&o.target, &o.place));
    let listings = futures::future::join_all(listings).await;
    let mut found = Vec::new();
    let mut listed = Vec::new();
    for (other, listing) in others.iter().zip(listings) {
        match listing {
            Ok(peer) => {
                let paths = paths_differing(tree, &peer);
                if !paths.is_empty() {
                    // The files whose bytes the diff needs, from both copies.
                    let wanted = differing(tree, &peer);
                    listed.push((other, peer, paths, wanted));
                }
            }
            Err(err) => found.push(unread(other, reference, &err.to_string())),
        }
    }
    if listed.is_empty() {
        return found;
    }
    let mut wanted: Vec<String> = listed
        .iter()
        .flat_map(|(_, _, _, wanted)| wanted.iter().cloned())
        .collect();
    wanted.sort();
    wanted.dedup();
    if let Err(err) = fetch::fill(&reference.target, tree, &wanted, &reference.place).await {
        let why = format!("{}: {err}", reference.name);
        found.extend(listed.iter().map(|(o, ..)| unread(o, reference, &why)));
        return found;
    }
    let fills = listed
        .iter_mut()
        .map(|(other, peer, _, wanted)| async move {
            fetch::fill(&other.target, peer, wanted, &other.place)
                .await
                .map_err(|e| e.to_string())
        });
    let filled = futures::future::join_all(fills).await;
    for ((other, peer, paths, _), fill) in listed.into_iter().zip(filled) {
        if let Err(why) = fill {
            found.push(unread(other, reference, &why));
            continue;
        }
        let diff = compare_copies(spec, rules, (reference, tree), (other, peer), &paths);
        let paths: Vec<String> = diff.drifted().map(|f| f.path.clone()).collect();
        if !paths.is_empty() {
            found.push(PeerDrift {
                host: other.name.clone(),
                differs_from: reference.name.clone(),
                paths,
                diff: Some(diff),
            });
        }
    }
    found
}

/// The two copies' entries at `paths` compared under the target's rules, each side with
/// its own host's vars.
fn compare_copies(
    spec: &DriftSpec,
    rules: &Rules,
    (reference, tree): (&Reading, &Tree),
    (other, peer): (&Reading, Tree),
    paths: &[String],
) -> TargetDiff {
    let only = |tree: &Tree| Tree {
        entries: paths
            .iter()
            .filter_map(|p| Some((p.clone(), tree.entries.get(p)?.clone())))
            .collect(),
        notes: tree.notes.clone(),
    };
    let vars = EnvVars {
        a: replaced_vars(spec, &reference.vars),
        b: replaced_vars(spec, &other.vars),
    };
    Comparison::new(rules, &vars).trees(&only(tree), &only(&peer))
}

fn unread(other: &Reading, reference: &Reading, why: &str) -> PeerDrift {
    PeerDrift {
        host: other.name.clone(),
        differs_from: reference.name.clone(),
        paths: vec![crate::redact::mask(&format!("(not read: {why})")).into_owned()],
        diff: None,
    }
}

/// The paths where two listings of the same target differ: in content, kind or mode, or
/// present in one only.
fn paths_differing(a: &Tree, b: &Tree) -> Vec<String> {
    let mut paths: Vec<&String> = a.entries.keys().chain(b.entries.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|path| {
            let (x, y) = (a.entries.get(*path), b.entries.get(*path));
            match (x, y) {
                (Some(x), Some(y)) => !same_entry(&x.kind, &y.kind) || x.mode != y.mode,
                _ => true,
            }
        })
        .cloned()
        .collect()
}

fn same_entry(a: &EntryKind, b: &EntryKind) -> bool {
    match (a, b) {
        (EntryKind::File { sha256: x, .. }, EntryKind::File { sha256: y, .. }) => x == y,
        (EntryKind::Symlink { target: x }, EntryKind::Symlink { target: y }) => x == y,
        (EntryKind::Unreadable { .. }, EntryKind::Unreadable { .. }) => true,
        _ => false,
    }
}
