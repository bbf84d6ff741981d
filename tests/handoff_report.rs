//! The shift report: what counts as still open, which period a shift covers, grouping,
//! newest first, folding, and the Markdown the next sheriff reads.

use chrono::{DateTime, TimeDelta, Utc};
use sheriff::handoff::{
    parse_since, Entry, EntryKind, OpenProblems, Period, Refs, Report, Span, PER_GROUP,
};

fn at(minutes: i64) -> DateTime<Utc> {
    "2026-11-23T08:00:00Z"
        .parse::<DateTime<Utc>>()
        .expect("time")
        + TimeDelta::minutes(minutes)
}

fn entry(minutes: i64, kind: EntryKind, author: &str, text: &str) -> Entry {
    let mut e = Entry::new(kind, author, text);
    e.time = at(minutes);
    e
}

fn state(minutes: i64, check: &str, env: &str, state: &str, summary: &str) -> Entry {
    let refs = Refs {
        check: Some(check.into()),
        env: Some(env.into()),
        ..Refs::default()
    };
    let mut e = Entry::check_state("sheriff", refs, state, summary);
    e.time = at(minutes);
    e
}

#[test]
fn a_check_is_open_when_its_latest_state_is_not_ok() {
    let log = vec![
        state(0, "api", "staging", "critical", "503"),
        state(5, "api", "prod", "warning", "slow"),
        state(10, "api", "staging", "critical", "503 again"),
        state(20, "disk", "prod", "critical", "91%"),
        state(30, "disk", "prod", "ok", "70%"),
        // The demo's form: the state after the arrow.
        entry(
            40,
            EntryKind::CheckState,
            "demo",
            "load web1: ok → unknown (timeout)",
        )
        .with_refs(Refs {
            check: Some("load".into()),
            ..Refs::default()
        }),
    ];
    let open = OpenProblems::from_log(&log);
    let summary: Vec<(&str, &str, &str)> = open
        .checks
        .iter()
        .map(|c| (c.check.as_str(), c.state.as_str(), c.summary.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("api", "critical", "503 again"),
            ("api", "warning", "slow"),
            ("load", "unknown", "load web1: ok → unknown (timeout)")
        ]
    );
    assert_eq!(
        open.checks[0].since,
        at(0),
        "critical since the first of the run, not the latest"
    );
}

#[test]
fn the_shift_runs_from_the_last_start_to_its_end_or_now() {
    let now = at(600);
    let log = vec![
        entry(0, EntryKind::ShiftStart, "sam", ""),
        entry(100, EntryKind::ShiftEnd, "sam", ""),
        entry(120, EntryKind::ShiftStart, "alex", ""),
        entry(300, EntryKind::ShiftEnd, "alex", "quiet night"),
        entry(310, EntryKind::Note, "alex", "after the shift"),
    ];
    let span = Span::resolve(Period::Shift, &log, now);
    assert_eq!(
        (span.from, span.to, span.shift_of.as_deref()),
        (at(120), at(300), Some("alex"))
    );
    let open = Span::resolve(Period::Shift, &log[..3], now);
    assert_eq!((open.from, open.to), (at(120), now));
    let none = Span::resolve(Period::Shift, &[], now);
    assert_eq!(
        (none.from, none.shift_of),
        (now - TimeDelta::hours(12), None)
    );
    let last = Span::resolve(Period::Last(TimeDelta::minutes(90)), &log, now);
    assert_eq!(last.from, at(510));
}

#[test]
fn groups_newest_first_with_open_problems_on_top() {
    let log = vec![
        entry(0, EntryKind::ShiftStart, "alex", ""),
        entry(
            10,
            EntryKind::Note,
            "alex",
            "api staging flaky since deploy 4.2",
        ),
        entry(20, EntryKind::Change, "alex", "restarted php-fpm on web1").with_why("workers stuck"),
        state(25, "api", "staging", "critical", "503 Service Unavailable"),
        entry(
            30,
            EntryKind::Change,
            "sam",
            "rolled back 4.2\nfull notes in the ticket",
        )
        .with_why("503s"),
        entry(40, EntryKind::Ack, "alex", "looking at the pool"),
        entry(50, EntryKind::Bug, "alex", "#123 api staging 503").with_refs(Refs {
            bug: Some("https://git.example.org/ops/issues/123".into()),
            ..Refs::default()
        }),
        entry(60, EntryKind::Incident, "alex", "staging down 10 minutes"),
    ];
    let mut open = OpenProblems::from_log(&log);
    open.drift
        .push("nginx production ↔ staging: 2 files differ".into());
    open.bugs.push("disk /srv full in 3d".into());
    let span = Span::resolve(Period::Shift, &log, at(70));
    let report = Report::build(&log, span, open);
    assert_eq!(
        report
            .changes
            .iter()
            .map(|e| e.author.as_str())
            .collect::<Vec<_>>(),
        ["sam", "alex"]
    );
    assert_eq!(
        report.automatic, 2,
        "the shift marker and the check state are folded"
    );

    let md = report.to_markdown_in(&Utc);
    let expected = "\
# Handoff: shift of alex, since Mon 23 Nov 08:00 (1h10m)

## Still open (3)
- ✖ critical api · staging: 503 Service Unavailable (since 08:25)
- ~ drift nginx production ↔ staging: 2 files differ
- ⟳ bug queued: disk /srv full in 3d

## Changes (2)
- 08:30 sam: rolled back 4.2 …
  why: 503s
- 08:20 alex: restarted php-fpm on web1
  why: workers stuck

## Incidents (1)
- 09:00 alex: staging down 10 minutes

## Bugs filed (1)
- 08:50 alex: #123 api staging 503 [https://git.example.org/ops/issues/123]

## Acknowledged (1)
- 08:40 alex: ack: looking at the pool

## Notes (1)
- 08:10 alex: api staging flaky since deploy 4.2

_2 automatic entries (check states, shift markers) folded._
";
    assert_eq!(md, expected);

    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("JSON");
    assert_eq!(
        json["changes"][0]["text"], "rolled back 4.2\nfull notes in the ticket",
        "JSON keeps full text"
    );
    assert_eq!(json["open"]["checks"][0]["state"], "critical");
}

#[test]
fn long_groups_are_capped_in_markdown_only() {
    let log: Vec<Entry> = (0..50)
        .map(|i| entry(i, EntryKind::Note, "alex", &format!("note {i}")))
        .collect();
    let span = Span::resolve(Period::Last(TimeDelta::hours(2)), &log, at(60));
    let report = Report::build(&log, span, OpenProblems::default());
    let md = report.to_markdown_in(&Utc);
    assert_eq!(md.matches("\n- ").count(), PER_GROUP + 1);
    assert!(
        md.contains("note 49") && !md.contains("note 29\n"),
        "newest first"
    );
    assert!(md.contains(&format!("… and {} more", 50 - PER_GROUP)));
    assert_eq!(report.notes.len(), 50);
}

#[test]
fn an_empty_period_says_so() {
    let span = Span::resolve(Period::Last(TimeDelta::hours(1)), &[], at(0));
    let md = Report::build(&[], span, OpenProblems::default()).to_markdown_in(&Utc);
    assert!(md.ends_with("Nothing recorded in this period.\n"), "{md}");
}

#[test]
fn durations_for_since() {
    assert_eq!(parse_since("90m"), Ok(TimeDelta::minutes(90)));
    assert_eq!(parse_since("12h"), Ok(TimeDelta::hours(12)));
    assert_eq!(parse_since("2d"), Ok(TimeDelta::days(2)));
    assert_eq!(parse_since("1w"), Ok(TimeDelta::weeks(1)));
    // The config's grammar: combined units and decimals read the same on the command line.
    assert_eq!(parse_since("1h30m"), Ok(TimeDelta::minutes(90)));
    assert_eq!(parse_since("1.5h"), Ok(TimeDelta::minutes(90)));
    assert_eq!(parse_since("0"), Ok(TimeDelta::zero()));
    for bad in ["soon", "5y", "", "12", "-1h", "1x", "99999999999999999999d"] {
        assert!(parse_since(bad).is_err(), "{bad:?}");
    }
}
