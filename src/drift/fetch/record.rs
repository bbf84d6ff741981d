//! What a listing says about one path, the same whether `find` on a host or a walk of the
//! local filesystem produced it, and how a list of them becomes a [`Tree`]: one code path
//! for both places, so a local env and a remote one give the same Tree for the same files.

use super::key;
use super::target::Globs;
use crate::drift::side::{Entry, EntryKind, Tree};

/// The reason an entry shows when the listing user may not read it.
pub const PERMISSION_DENIED: &str = "permission denied";

/// One path as listed. `rel` is relative to the target's path; empty for the path itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub rel: Vec<u8>,
    pub kind: ListedKind,
    /// The listing user may read it (and enter it, for a directory).
    pub readable: bool,
    /// Permission bits with setuid, setgid and sticky (`0o4755`).
    pub mode: u32,
    pub owner: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ListedKind {
    /// `sha256` is None when the file could not be hashed though it looked readable.
    File {
        size: u64,
        sha256: Option<[u8; 32]>,
    },
    Dir,
    Symlink {
        target: Vec<u8>,
    },
    /// A fifo, socket or device: never read, counted in a note.
    Special,
}

/// The Tree of a listing of `base` (`base_name` is the key of a target that is one file).
/// `file_target`: the target names one file, so a directory there is not descended.
/// A directory target the listing user cannot enter is an error: nothing of it is known.
pub fn into_tree(
    listed: Vec<Listed>,
    base_name: &str,
    globs: &Globs,
    file_target: bool,
    max_entries: usize,
) -> Result<Tree, String> {
    let mut tree = Tree::default();
    let mut specials = 0usize;
    for item in listed {
        let is_base = item.rel.is_empty();
        if is_base && item.kind == ListedKind::Dir && !file_target {
            if !item.readable {
                return Err(format!(
                    "{PERMISSION_DENIED}: the directory cannot be listed"
                ));
            }
            continue;
        }
        let name = if is_base {
            base_name.to_string()
        } else {
            key::from_bytes(&item.rel)
        };
        if !is_base && !globs.admits(&name) {
            continue;
        }
        let kind = match item.kind {
            ListedKind::Special => {
                specials += 1;
                continue;
            }
            ListedKind::Dir if is_base => EntryKind::Unreadable {
                reason: "a directory, not a file: make this a tree target".into(),
            },
            // Directories are not entries; one that cannot be entered hides its files.
            ListedKind::Dir if item.readable => continue,
            ListedKind::Dir => EntryKind::Unreadable {
                reason: format!("{PERMISSION_DENIED}: the directory's files are not listed"),
            },
            ListedKind::Symlink { target } => EntryKind::Symlink {
                target: key::from_bytes(&target),
            },
            ListedKind::File { .. } if !item.readable => EntryKind::Unreadable {
                reason: PERMISSION_DENIED.into(),
            },
            ListedKind::File { size, sha256 } => match sha256 {
                Some(sha256) => EntryKind::File {
                    sha256,
                    size,
                    content: None,
                },
                None => EntryKind::Unreadable {
                    reason: "could not be read while listing (changed or removed?)".into(),
                },
            },
        };
        let entry = Entry {
            kind,
            mode: Some(item.mode),
            owner: Some(item.owner),
        };
        tree.entries.insert(name, entry);
    }
    if specials > 0 {
        tree.notes.push(format!(
            "{specials} fifo, socket or device file(s) not compared"
        ));
    }
    let total = tree.entries.len();
    if total > max_entries {
        tree.entries = std::mem::take(&mut tree.entries)
            .into_iter()
            .take(max_entries)
            .collect();
        tree.notes.push(format!(
            "{total} entries: comparing the first {max_entries} by name"
        ));
    }
    Ok(tree)
}

/// The key of a target that is one file: its path's last component.
pub fn base_name(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if name.is_empty() {
        path.to_string()
    } else {
        name.to_string()
    }
}
