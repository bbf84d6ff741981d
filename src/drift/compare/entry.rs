//! One path present on both sides: unreadable, kind, symlink target, hash, mode and owner,
//! and only then the bytes.

use super::content::human_size;
use super::model::{FileDiff, Status};
use super::secret::shown;
use super::Comparison;
use crate::drift::side::{Entry, EntryKind};

impl Comparison<'_> {
    pub(crate) fn entries(&self, path: &str, a: &Entry, b: &Entry) -> FileDiff {
        use EntryKind::{File, Symlink, Unreadable};
        let diff = match (&a.kind, &b.kind) {
            (Unreadable { reason }, _) | (_, Unreadable { reason }) => {
                let side = if matches!(a.kind, Unreadable { .. }) {
                    "a"
                } else {
                    "b"
                };
                let note = format!("{side}: {}", shown(reason));
                return FileDiff::new(path, Status::Unreadable).with_note(note);
            }
            (Symlink { target: x }, Symlink { target: y }) if x == y => {
                FileDiff::new(path, Status::Same)
            }
            (Symlink { target: x }, Symlink { target: y }) => FileDiff::new(path, Status::Changed)
                .with_note(format!("symlink to {} → {}", shown(x), shown(y))),
            (File { .. }, Symlink { target }) => FileDiff::new(path, Status::Changed)
                .with_note(format!("file → symlink to {}", shown(target))),
            (Symlink { target }, File { .. }) => FileDiff::new(path, Status::Changed)
                .with_note(format!("symlink to {} → file", shown(target))),
            (
                File {
                    sha256: hash_a,
                    size: size_a,
                    content: bytes_a,
                },
                File {
                    sha256: hash_b,
                    size: size_b,
                    content: bytes_b,
                },
            ) => {
                if hash_a == hash_b {
                    FileDiff::new(path, Status::Same)
                } else {
                    let over_cap = |size: &u64| *size > self.rules.max_diff_bytes;
                    match (bytes_a, bytes_b) {
                        (Some(x), Some(y)) if !over_cap(size_a) && !over_cap(size_b) => {
                            self.contents(path, x, y)
                        }
                        _ => FileDiff::new(path, Status::Changed).with_note(format!(
                            "contents differ (compared by hash), {} → {}",
                            human_size(*size_a as usize),
                            human_size(*size_b as usize)
                        )),
                    }
                }
            }
        };
        with_mode(diff, a, b)
    }
}

/// A same-content file whose permissions or owner differ is `mode` drift; a changed one
/// says the mode change in its note too.
fn with_mode(mut diff: FileDiff, a: &Entry, b: &Entry) -> FileDiff {
    let mut changes = Vec::new();
    if let (Some(x), Some(y)) = (a.mode, b.mode) {
        if x != y {
            changes.push(format!("mode {x:o} → {y:o}"));
        }
    }
    if let (Some(x), Some(y)) = (&a.owner, &b.owner) {
        if x != y {
            changes.push(format!("owner {} → {}", shown(x), shown(y)));
        }
    }
    if changes.is_empty() {
        return diff;
    }
    let changes = changes.join(", ");
    if diff.status == Status::Same {
        diff.status = Status::Mode;
    }
    diff.note = Some(match diff.note.take() {
        Some(note) => format!("{note}; {changes}"),
        None => changes,
    });
    diff
}
