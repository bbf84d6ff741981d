//! The benchmark's pair at test size: what `benches/drift.rs` times in release mode is
//! checked for being right here.

use super::*;
use crate::drift::compare::{LineTag, Status};

#[path = "../../../../benches/support/drift_pair.rs"]
mod drift_pair;
use drift_pair::pair;

#[test]
fn two_200k_line_files_with_200_changed_lines_give_200_hunks() {
    let (a, b) = pair();
    let file = compare("big.txt", &a, &b);
    assert_eq!(file.status, Status::Changed);
    assert_eq!(file.hunks.len(), 200);
    assert_eq!(file.counts().to_string(), "+200 −200");
    let hunk = &file.hunks[7];
    assert_eq!(hunk.header(), "@@ -7498,7 +7498,7 @@");
    let deleted: Vec<&str> = hunk
        .lines
        .iter()
        .filter(|l| l.tag == LineTag::Delete)
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(
        deleted,
        ["setting_007500 = value for line 7500 of the file"]
    );
}
