//! What one side of a drift target holds once read from its environment: the entries of a
//! tree (or the one file, command output or HTTP body), each with its hash, and the bytes
//! of those that are needed for a diff. Fetching fills it in; comparing reads it.
//!
//! Bytes travel only for entries whose hash differs from the other side's, so over SSH a
//! tree of 10,000 files with 50 changed moves 50 files, not 10,000.

use std::collections::BTreeMap;

/// One side of a drift target, keyed by the path relative to the target (the file name for a
/// single file, the command or URL's name for an output).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tree {
    pub entries: BTreeMap<String, Entry>,
    /// Problems that do not belong to one entry ("more than 10,000 files: showing the
    /// first 10,000"). A side that cannot be read at all is an `Err` of the fetch instead.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub kind: EntryKind,
    /// Permission bits (`0o644`), when the side reports them.
    pub mode: Option<u32>,
    /// `user:group`, when the side reports them.
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EntryKind {
    File {
        sha256: [u8; 32],
        size: u64,
        /// The bytes, once fetched; `None` while only the hash is known (the two sides'
        /// hashes agree, or the file is over the fetch cap).
        content: Option<Vec<u8>>,
    },
    Symlink {
        target: String,
    },
    /// Listed but not readable (permissions, a vanished file): reported for this entry only.
    Unreadable {
        reason: String,
    },
}

impl Entry {
    pub fn file(content: Vec<u8>) -> Entry {
        use sha2::Digest;
        let sha256 = sha2::Sha256::digest(&content).into();
        Entry {
            kind: EntryKind::File {
                sha256,
                size: content.len() as u64,
                content: Some(content),
            },
            mode: None,
            owner: None,
        }
    }
}
