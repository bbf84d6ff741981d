//! Asserting on check rows as the Health pane shows them (state and summary), with the
//! row's detail in the failure message. Include with `#[path = "support/rows.rs"] mod rows;`.
#![allow(dead_code)]

use sheriff::checks::{CheckResult, CheckRun, CheckStatus};

/// The one row of a single-row check.
pub fn only_row(run: &CheckRun) -> &CheckResult {
    assert_eq!(run.rows.len(), 1, "one row expected: {:#?}", run.rows);
    &run.rows[0]
}

#[track_caller]
pub fn assert_state(row: &CheckResult, status: CheckStatus, summary_has: &str) {
    assert_eq!(
        row.status,
        status,
        "{} on {}: {} (detail:\n{})",
        row.title(),
        row.target,
        row.summary,
        row.detail
    );
    assert!(
        row.summary.contains(summary_has),
        "{} on {}: summary {:?} lacks {summary_has:?}",
        row.title(),
        row.target,
        row.summary
    );
}
