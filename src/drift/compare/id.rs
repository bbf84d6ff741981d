//! Stable ids of what was compared, for accepting drift: the handoff log stores the id of
//! an accepted target, file or hunk, and the acceptance holds only while the id is the
//! same. Ids are SHA-256 of what is shown (normalised and redacted), never of clear secret
//! values: a stored id must not let anyone test guesses of a password. A secret that
//! changes again under an accepted hunk is still said by the hunk's "differs" note.

use sha2::{Digest, Sha256};

use super::hunk::{Hunk, LineTag};
use super::model::{FileDiff, TargetDiff};

/// A content hash, shown as 64 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId(pub [u8; 32]);

impl std::fmt::Display for ContentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// Feeds fields with a separator no shown text contains, so ("ab","c") ≠ ("a","bc").
struct Fields(Sha256);

impl Fields {
    fn new(kind: &str) -> Fields {
        let mut fields = Fields(Sha256::new());
        fields.add(kind);
        fields
    }

    fn add(&mut self, field: &str) {
        self.0.update(field.as_bytes());
        self.0.update([0]);
    }

    fn finish(self) -> ContentId {
        ContentId(self.0.finalize().into())
    }
}

pub(crate) fn hunk_id(hunk: &Hunk) -> ContentId {
    let mut fields = Fields::new("hunk");
    for line in hunk.lines.iter().filter(|l| l.tag != LineTag::Equal) {
        fields.add(if line.tag == LineTag::Insert {
            "+"
        } else {
            "-"
        });
        fields.add(&line.text);
    }
    for note in &hunk.secret_notes {
        fields.add(note);
    }
    fields.finish()
}

pub(crate) fn file_id(file: &FileDiff) -> ContentId {
    let mut fields = Fields::new("file");
    fields.add(&file.path);
    fields.add(file.status.as_str());
    for key in &file.keys {
        fields.add(&key.describe());
    }
    for hunk in &file.hunks {
        fields.add(&hunk_id(hunk).to_string());
    }
    fields.add(file.note.as_deref().unwrap_or(""));
    fields.finish()
}

pub(crate) fn target_id(target: &TargetDiff) -> ContentId {
    let mut fields = Fields::new("target");
    for file in target.drifted() {
        fields.add(&file_id(file).to_string());
    }
    fields.finish()
}
