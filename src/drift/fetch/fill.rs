//! Which asked-for files a `fill` reads (within the caps), and how what came back goes
//! into the Tree: the same for a local root and a host.

use sha2::Digest;

use super::key;
use super::target::Limits;
use crate::drift::side::{EntryKind, Tree};

/// One file to read: its key in the Tree and its path relative to the target.
#[derive(Debug, Clone)]
pub struct Wanted {
    pub key: String,
    pub rel: Vec<u8>,
}

/// What reading one wanted file gave.
#[derive(Debug)]
pub enum Read {
    Bytes(Vec<u8>),
    /// Its size changed while it was read: the bytes are not one version of the file.
    Changed,
    /// It cannot be read now (removed, permissions changed).
    Gone(String),
}

/// The files among `paths` worth reading: files of the Tree not yet read, each within the
/// per-file cap, together within the total cap. A note counts the ones left hash-only.
pub fn plan(tree: &mut Tree, paths: &[String], limits: &Limits) -> Vec<Wanted> {
    let (mut wanted, mut total) = (Vec::new(), 0u64);
    let (mut over_file_cap, mut over_total_cap) = (0usize, 0usize);
    for path in paths {
        let Some(entry) = tree.entries.get(path) else {
            continue;
        };
        let EntryKind::File {
            size,
            content: None,
            ..
        } = entry.kind
        else {
            continue;
        };
        let Some(rel) = key::to_bytes(path) else {
            continue;
        };
        if size > limits.file_cap {
            over_file_cap += 1;
        } else if total + size > limits.total_cap {
            over_total_cap += 1;
        } else {
            total += size;
            wanted.push(Wanted {
                key: path.clone(),
                rel,
            });
        }
    }
    if over_file_cap > 0 {
        tree.notes.push(format!(
            "{over_file_cap} file(s) over {} each: compared by hash only",
            bytes_text(limits.file_cap)
        ));
    }
    if over_total_cap > 0 {
        tree.notes.push(format!(
            "{over_total_cap} file(s) not read: the files to diff pass {} together",
            bytes_text(limits.total_cap)
        ));
    }
    wanted
}

/// Puts what was read into the Tree. Bytes whose hash is not the listed one are a newer
/// version of the file: the entry takes their hash, and a note says the file changed.
pub fn apply(tree: &mut Tree, read: Vec<(String, Read)>) {
    let mut changed = 0usize;
    for (path, result) in read {
        let Some(entry) = tree.entries.get_mut(&path) else {
            continue;
        };
        entry.kind = match (result, &entry.kind) {
            (Read::Bytes(bytes), EntryKind::File { sha256, .. }) => {
                let fresh: [u8; 32] = sha2::Sha256::digest(&bytes).into();
                if fresh != *sha256 {
                    changed += 1;
                }
                EntryKind::File {
                    sha256: fresh,
                    size: bytes.len() as u64,
                    content: Some(bytes),
                }
            }
            (Read::Bytes(_), other) => other.clone(),
            (Read::Changed, _) => EntryKind::Unreadable {
                reason: "changed while being read: compare again".into(),
            },
            (Read::Gone(reason), _) => EntryKind::Unreadable { reason },
        };
    }
    if changed > 0 {
        tree.notes.push(format!(
            "{changed} file(s) changed between listing and reading: their newer hash is shown"
        ));
    }
}

fn bytes_text(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}
