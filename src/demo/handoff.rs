//! The demo's handoff log: a shift already under way, so the Handoff pane has a story.

use std::io::Write as _;
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};

use crate::handoff::{Entry, EntryKind, Refs};

/// The sandbox's `[handoff] author`.
const AUTHOR: &str = "demo";

/// Writes `path` as JSON Lines of [`Entry`]: a shift start, a change with its why, a note
/// that explains the drifted secret, an automatic check-state and an ack.
pub fn seed(path: &Path, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    for entry in entries(now) {
        serde_json::to_writer(&mut file, &entry)?;
        file.write_all(b"\n")?;
    }
    file.flush()?;
    Ok(())
}

fn entries(now: DateTime<Utc>) -> Vec<Entry> {
    // Built as the store builds them (fresh ids), then moved back in time.
    let at = |minutes: i64, mut entry: Entry| {
        entry.time = now - TimeDelta::minutes(minutes);
        entry
    };
    let staging_api = Refs {
        check: Some("api".into()),
        env: Some("staging".into()),
        ..Refs::default()
    };
    let web1 = Refs {
        host: Some("web1.staging".into()),
        env: Some("staging".into()),
        ..Refs::default()
    };
    vec![
        at(
            150,
            Entry::new(
                EntryKind::ShiftStart,
                AUTHOR,
                "took over from sam: staging api flaky since deploy 4.2",
            ),
        ),
        at(
            110,
            Entry::new(
                EntryKind::Change,
                AUTHOR,
                "restarted php-fpm on web1.staging",
            )
            .with_why("workers stuck after deploy 4.2, queue at 3k")
            .with_refs(web1)
            .with_tags(vec!["deploy-4.2".into()]),
        ),
        at(
            70,
            Entry::new(
                EntryKind::Note,
                AUTHOR,
                "staging DB password rotated by the DBA team; production rotation is Thursday",
            )
            .with_refs(Refs {
                drift: Some("app config".into()),
                ..Refs::default()
            }),
        ),
        at(
            25,
            Entry::check_state(
                AUTHOR,
                staging_api.clone(),
                "critical",
                "api staging: ok → critical (503 Service Unavailable)",
            ),
        ),
        at(
            20,
            Entry::new(
                EntryKind::Ack,
                AUTHOR,
                "api staging: looking at the upstream pool, 503s every few checks",
            )
            .with_refs(staging_api),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_as_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("handoff.jsonl");
        seed(&path, Utc::now()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let read: Vec<Entry> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(read.len(), 5);
        assert_eq!(read[0].kind, EntryKind::ShiftStart);
        assert!(read
            .iter()
            .any(|e| e.kind == EntryKind::Change && e.why.is_some()));
        assert!(read.windows(2).all(|w| w[0].time < w[1].time));
        assert!(read.iter().all(|e| e.validate().is_ok()));
    }
}
