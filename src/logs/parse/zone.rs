//! Turning a wall-clock time written without a zone into an instant.
//!
//! Most logs write local time with no offset (nginx's error log, log4j, glog, syslog's
//! traditional format). The zone they were written in is taken to be the reader's: chrono's
//! `Local`, which follows `$TZ` and the system's zone files. Twice a year the wall clock
//! does not name exactly one instant:
//! - a time the clock ran through twice (autumn, 02:30 in Berlin) is the earlier one: a
//!   log read top to bottom meets the first pass first;
//! - a time the clock skipped (spring, 02:30 in Berlin) is read with the offset in force
//!   just before the gap, so it lands as far after the gap's start as it was written
//!   (02:30 → 03:30 summer time), the way a clock that missed the change would have meant it.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, Local, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};

/// The offsets a zone gives a wall-clock time: one, two (the clock ran through it twice)
/// or none (the clock skipped it).
pub type ZoneRule = dyn Fn(NaiveDateTime) -> LocalResult<FixedOffset> + Send + Sync;

/// The zone in which times written without an offset are read.
#[derive(Clone, Default)]
pub enum Zone {
    /// The reader's zone (`$TZ`, else the system's), through chrono's `Local`.
    #[default]
    Local,
    /// One offset all year, e.g. UTC for servers that log in UTC without saying so.
    Fixed(FixedOffset),
    /// Any other rule, e.g. a zone with daylight saving that is not the reader's.
    Rule(Arc<ZoneRule>),
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Local => f.write_str("Local"),
            Zone::Fixed(offset) => write!(f, "Fixed({offset})"),
            Zone::Rule(_) => f.write_str("Rule(..)"),
        }
    }
}

impl Zone {
    /// A zone from a rule mapping a wall-clock time to its offsets.
    pub fn rule(
        rule: impl Fn(NaiveDateTime) -> LocalResult<FixedOffset> + Send + Sync + 'static,
    ) -> Zone {
        Zone::Rule(Arc::new(rule))
    }

    fn offsets(&self, local: NaiveDateTime) -> LocalResult<FixedOffset> {
        match self {
            Zone::Local => local_offsets(local),
            Zone::Fixed(offset) => LocalResult::Single(*offset),
            Zone::Rule(rule) => rule(local),
        }
    }

    /// The instant a wall-clock time names here (see the module docs for the twice-a-year
    /// cases). `None` only for times at the very ends of chrono's range.
    pub fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.offsets(local) {
            LocalResult::Single(offset) => at(local, offset),
            LocalResult::Ambiguous(a, b) => at(local, a).min(at(local, b)),
            LocalResult::None => {
                // Walk back to the last time the clock did show, and use its offset. Gaps
                // are an hour, rarely more; a day covers any a zone has had.
                let step = TimeDelta::minutes(15);
                let mut probe = local;
                for _ in 0..96 {
                    probe = probe.checked_sub_signed(step)?;
                    match self.offsets(probe) {
                        LocalResult::Single(offset) => return at(local, offset),
                        LocalResult::Ambiguous(a, b) => {
                            let offset = if a.local_minus_utc() < b.local_minus_utc() {
                                a
                            } else {
                                b
                            };
                            return at(local, offset);
                        }
                        LocalResult::None => {}
                    }
                }
                None
            }
        }
    }
}

/// chrono's `Local` calls the end of an autumn overlap ambiguous too (03:00 in Berlin,
/// which only winter time shows): keep the offsets that give the time back.
fn local_offsets(local: NaiveDateTime) -> LocalResult<FixedOffset> {
    match Local.offset_from_local_datetime(&local) {
        LocalResult::Ambiguous(a, b) => {
            let shows = |offset: FixedOffset| {
                at(local, offset)
                    .is_some_and(|utc| Local.offset_from_utc_datetime(&utc.naive_utc()) == offset)
            };
            match (shows(a), shows(b)) {
                (true, false) => LocalResult::Single(a),
                (false, true) => LocalResult::Single(b),
                _ => LocalResult::Ambiguous(a, b),
            }
        }
        other => other,
    }
}

fn at(local: NaiveDateTime, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let utc = local.checked_sub_signed(TimeDelta::seconds(offset.local_minus_utc().into()))?;
    Some(utc.and_utc())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::{NaiveDate, Timelike};

    fn naive(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, 0))
            .expect("valid test date")
    }

    /// Europe/Berlin for 2024 only: CET, CEST from 2024-03-31 01:00 UTC to 2024-10-27
    /// 01:00 UTC. chrono carries no zone database, so tests spell the rule out.
    pub(crate) fn berlin_2024() -> Zone {
        let cet = FixedOffset::east_opt(3600).expect("offset");
        let cest = FixedOffset::east_opt(7200).expect("offset");
        Zone::rule(move |t| {
            let spring_gap = (naive(2024, 3, 31, 2, 0), naive(2024, 3, 31, 3, 0));
            let autumn_twice = (naive(2024, 10, 27, 2, 0), naive(2024, 10, 27, 3, 0));
            if t >= spring_gap.0 && t < spring_gap.1 {
                LocalResult::None
            } else if t >= autumn_twice.0 && t < autumn_twice.1 {
                LocalResult::Ambiguous(cest, cet)
            } else if t >= spring_gap.1 && t < autumn_twice.0 {
                LocalResult::Single(cest)
            } else {
                LocalResult::Single(cet)
            }
        })
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Option<DateTime<Utc>> {
        Some(naive(y, mo, d, h, mi).and_utc())
    }

    #[test]
    fn a_skipped_time_moves_forward_by_the_gap() {
        let zone = berlin_2024();
        // 02:30 does not exist; read with CET it is 01:30 UTC, which is 03:30 CEST.
        assert_eq!(
            zone.resolve(naive(2024, 3, 31, 2, 30)),
            utc(2024, 3, 31, 1, 30)
        );
        assert_eq!(
            zone.resolve(naive(2024, 3, 31, 1, 59)),
            utc(2024, 3, 31, 0, 59)
        );
        assert_eq!(
            zone.resolve(naive(2024, 3, 31, 3, 0)),
            utc(2024, 3, 31, 1, 0)
        );
    }

    #[test]
    fn a_time_seen_twice_is_the_earlier() {
        let zone = berlin_2024();
        assert_eq!(
            zone.resolve(naive(2024, 10, 27, 2, 30)),
            utc(2024, 10, 27, 0, 30)
        );
        assert_eq!(
            zone.resolve(naive(2024, 10, 27, 3, 0)),
            utc(2024, 10, 27, 2, 0)
        );
    }

    #[test]
    fn fixed_offsets_and_the_range_ends() {
        let zone = Zone::Fixed(FixedOffset::west_opt(7 * 3600).expect("offset"));
        assert_eq!(
            zone.resolve(naive(2024, 5, 1, 5, 0)),
            utc(2024, 5, 1, 12, 0)
        );
        assert_eq!(zone.resolve(NaiveDateTime::MAX), None);
        let never = Zone::rule(|_| LocalResult::None);
        assert_eq!(never.resolve(naive(2024, 5, 1, 5, 0)), None);
        assert_eq!(
            Zone::Local
                .resolve(naive(2024, 5, 1, 5, 0))
                .map(|t| t.second()),
            Some(0)
        );
    }
}
