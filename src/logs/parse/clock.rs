//! From what a line writes to an instant: the zone for times without an offset, and the
//! year for times without one.
//!
//! Syslog's traditional format and glog write no year. As lnav does, the year comes from
//! the file's modification time: a line cannot be newer than the last write to its file, so
//! its year is the latest one that does not put it after that time (a day of slack allows
//! for the zone the line was written in). `Dec 31` in a file written to on Jan 2 is last
//! year's. From then on the year follows the file: reading forward, a month that jumps back
//! by more than half a year (Dec → Jan) starts the next year, and one that jumps forward as
//! far (a late Dec line after Jan ones, from a buffered writer) belongs to the year before.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};

use super::time::{Written, Yearless};
use super::zone::Zone;

/// The zone and the running year of one source.
#[derive(Debug, Clone)]
pub(super) struct Clock {
    pub zone: Zone,
    /// When the source was last written to; when not told, the time its first yearless or
    /// dateless line is read (a stream's lines are written as they arrive).
    hint: Option<DateTime<Utc>>,
    /// The year and month of the last yearless line read.
    last: Option<(i32, u32)>,
    /// The date and time of the last line that wrote only the time of day.
    last_day: Option<NaiveDateTime>,
}

impl Clock {
    pub fn new(zone: Zone, hint: Option<DateTime<Utc>>) -> Clock {
        Clock {
            zone,
            hint,
            last: None,
            last_day: None,
        }
    }

    /// Starts the year over from a new hint.
    pub fn set_hint(&mut self, hint: DateTime<Utc>) {
        self.hint = Some(hint);
        self.last = None;
        self.last_day = None;
    }

    /// The instant a written time names: its own offset, else the zone's.
    pub fn instant(&self, written: Written) -> Option<DateTime<Utc>> {
        match written.offset {
            Some(offset) => {
                let utc = written
                    .local
                    .checked_sub_signed(TimeDelta::seconds(offset.local_minus_utc().into()))?;
                Some(utc.and_utc())
            }
            None => self.zone.resolve(written.local),
        }
    }

    /// The instant of a time written without its year (see the module docs), in the zone.
    pub fn yearless(&mut self, t: Yearless) -> Option<DateTime<Utc>> {
        let year = match self.last {
            None => self.year_from_hint(t)?,
            Some((year, month)) => {
                let jump = t.month as i32 - month as i32;
                match jump {
                    j if j < -6 => year + 1,
                    j if j > 6 => year - 1,
                    _ => year,
                }
            }
        };
        let at = self.in_year(year, t)?;
        self.last = Some((year, t.month));
        Some(at)
    }

    /// A time with its year given (glog's newer `I20240501`), which also sets the year
    /// that later yearless lines follow.
    pub fn with_year(&mut self, year: i32, t: Yearless) -> Option<DateTime<Utc>> {
        let at = self.in_year(year, t)?;
        self.last = Some((year, t.month));
        Some(at)
    }

    /// The instant of a time of day written without its date (logback's and log4j2's
    /// default `HH:mm:ss.SSS`), by the year's rule with days for years: the latest day that
    /// does not put the first line after the hint, then a step back of more than half a day
    /// (23:59 → 00:00) is the next day.
    pub fn time_of_day(&mut self, t: NaiveTime) -> Option<DateTime<Utc>> {
        let local = match self.last_day {
            None => self.day_from_hint(t)?,
            Some(last) => {
                let jump = t.signed_duration_since(last.time());
                let date = match jump {
                    j if j < -TimeDelta::hours(12) => last.date().succ_opt()?,
                    j if j > TimeDelta::hours(12) => last.date().pred_opt()?,
                    _ => last.date(),
                };
                date.and_time(t)
            }
        };
        self.last_day = Some(local);
        self.zone.resolve(local)
    }

    fn day_from_hint(&self, t: NaiveTime) -> Option<NaiveDateTime> {
        // The reader's zone is the writer's here, so only a moment of slack is needed.
        let hint = self.hint.unwrap_or_else(Utc::now);
        let latest = hint.checked_add_signed(TimeDelta::minutes(1))?;
        let today = hint.date_naive();
        (-2..=1).rev().find_map(|days| {
            let date = today.checked_add_signed(TimeDelta::days(days))?;
            let local = date.and_time(t);
            self.zone
                .resolve(local)
                .is_some_and(|at| at <= latest)
                .then_some(local)
        })
    }

    fn year_from_hint(&self, t: Yearless) -> Option<i32> {
        let hint = self.hint.unwrap_or_else(Utc::now);
        let latest = hint.checked_add_signed(TimeDelta::days(1))?;
        let year = hint.year();
        // Feb 29 exists only every fourth year, so look back that far.
        (year - 4..=year + 1)
            .rev()
            .find(|&y| self.in_year(y, t).is_some_and(|at| at <= latest))
    }

    fn in_year(&self, year: i32, t: Yearless) -> Option<DateTime<Utc>> {
        let date = NaiveDate::from_ymd_opt(year, t.month, t.day)?;
        self.zone.resolve(date.and_time(t.time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeZone};

    fn clock(hint: &str) -> Clock {
        let hint = DateTime::parse_from_rfc3339(hint).expect("hint").to_utc();
        Clock::new(
            Zone::Fixed(FixedOffset::east_opt(0).expect("utc")),
            Some(hint),
        )
    }

    fn t(month: u32, day: u32) -> Yearless {
        let time = NaiveTime::from_hms_opt(12, 0, 0).expect("time");
        Yearless { month, day, time }
    }

    fn year(at: Option<DateTime<Utc>>) -> Option<i32> {
        at.map(|a| a.year())
    }

    #[test]
    fn the_year_is_the_latest_not_after_the_modification() {
        let mut c = clock("2025-01-02T20:00:00Z");
        assert_eq!(year(c.yearless(t(12, 30))), Some(2024));
        let mut c = clock("2025-01-02T20:00:00Z");
        assert_eq!(year(c.yearless(t(1, 2))), Some(2025));
        // A day of slack for a line written in a zone ahead of the reader's.
        let mut c = clock("2025-01-02T20:00:00Z");
        assert_eq!(year(c.yearless(t(1, 3))), Some(2025));
        let mut c = clock("2025-01-02T20:00:00Z");
        assert_eq!(year(c.yearless(t(1, 4))), Some(2024));
    }

    #[test]
    fn reading_forward_follows_the_new_year() {
        // A file from Nov to Feb, modified in Feb, read top to bottom.
        let mut c = clock("2025-02-10T00:00:00Z");
        let months = [(11, 2024), (12, 2024), (12, 2024), (1, 2025), (2, 2025)];
        for (month, want) in months {
            assert_eq!(year(c.yearless(t(month, 1))), Some(want), "{month}");
        }
        // Tailing past the hint: the file was last written in Dec, Jan lines arrive.
        let mut c = clock("2024-12-31T23:00:00Z");
        assert_eq!(year(c.yearless(t(12, 31))), Some(2024));
        assert_eq!(year(c.yearless(t(1, 1))), Some(2025));
        // A late line from the old year after the first of the new one.
        assert_eq!(year(c.yearless(t(12, 31))), Some(2024));
    }

    #[test]
    fn feb_29_goes_back_to_a_leap_year() {
        let mut c = clock("2027-03-01T00:00:00Z");
        assert_eq!(year(c.yearless(t(2, 29))), Some(2024));
        // Once the year is set, a day that year lacks has no instant.
        let mut c = clock("2025-03-01T00:00:00Z");
        assert_eq!(year(c.yearless(t(2, 28))), Some(2025));
        assert_eq!(c.yearless(t(2, 29)), None);
    }

    #[test]
    fn times_of_day_take_the_date_from_the_hint_and_roll_over() {
        let mut c = clock("2024-05-02T00:00:05Z");
        let at = |h, m, s| NaiveTime::from_hms_opt(h, m, s).expect("time");
        let stamp = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339());
        let day = "2024-05-01T23:59:58+00:00";
        assert_eq!(stamp(c.time_of_day(at(23, 59, 58))), Some(day.into()));
        let next = "2024-05-02T00:00:01+00:00";
        assert_eq!(stamp(c.time_of_day(at(0, 0, 1))), Some(next.into()));
        let late = "2024-05-01T23:59:59+00:00";
        assert_eq!(stamp(c.time_of_day(at(23, 59, 59))), Some(late.into()));
        // Within the hint's own day when it fits before it.
        let mut c = clock("2024-05-02T12:00:00Z");
        let noon = "2024-05-02T11:00:00+00:00";
        assert_eq!(stamp(c.time_of_day(at(11, 0, 0))), Some(noon.into()));
    }

    #[test]
    fn written_offsets_win_over_the_zone() {
        let c = clock("2025-01-01T00:00:00Z");
        let local = NaiveDate::from_ymd_opt(2024, 5, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("date");
        let offset = FixedOffset::east_opt(2 * 3600);
        let at = c.instant(Written { local, offset });
        assert_eq!(at, Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single());
    }
}
