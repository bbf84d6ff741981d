//! Times as counts since 1970: at the start of a line (`1714564801 …`, squid's
//! `1714564801.250`) and in JSON and logfmt values, whose unit is told by their size.

use chrono::{DateTime, Utc};

use super::time::fraction;

/// Seconds from 2000 to 2100: an epoch number outside them is more likely a counter or an
/// id than a time.
const PLAUSIBLE: std::ops::Range<i64> = 946_684_800..4_102_444_800;

/// An instant from a count since the epoch, its unit told by its size: seconds, then
/// milliseconds, microseconds, nanoseconds. `None` outside 2000..2100.
pub(super) fn from_epoch_int(value: i64) -> Option<DateTime<Utc>> {
    let end = PLAUSIBLE.end;
    let at = match value {
        v if v < end => DateTime::from_timestamp(v, 0),
        v if v < end * 1_000 => DateTime::from_timestamp_millis(v),
        v if v < end * 1_000_000 => DateTime::from_timestamp_micros(v),
        v if v < end.saturating_mul(1_000_000_000) => Some(DateTime::from_timestamp_nanos(v)),
        _ => None,
    }?;
    PLAUSIBLE.contains(&at.timestamp()).then_some(at)
}

/// [`from_epoch_int`] for a number with a fraction (zap's `1714564801.123456`), kept to
/// the microsecond: a double holds no more for times of this size.
pub(super) fn from_epoch(value: f64) -> Option<DateTime<Utc>> {
    if !value.is_finite() || value <= 0.0 || value >= 9.0e18 {
        return None;
    }
    if value.fract() == 0.0 {
        return from_epoch_int(value as i64);
    }
    let seconds = [1.0, 1e3, 1e6, 1e9]
        .into_iter()
        .map(|unit| value / unit)
        .find(|s| *s < PLAUSIBLE.end as f64)?;
    let whole = seconds.floor();
    let micros = ((seconds - whole) * 1e6).round().min(999_999.0) as u32;
    let at = DateTime::from_timestamp(whole as i64, micros * 1000)?;
    PLAUSIBLE.contains(&at.timestamp()).then_some(at)
}

/// An epoch time at the start of a line: 10 digits of seconds (with an optional fraction,
/// as squid writes) or 13 of milliseconds, not followed by another digit.
pub(super) fn epoch(s: &str) -> Option<(DateTime<Utc>, usize)> {
    let b = s.as_bytes();
    let run = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let whole: i64 = s.get(..run)?.parse().ok()?;
    match run {
        10 => {
            let (nanos, flen) = match b.get(10) {
                Some(b'.') => fraction(b, 11),
                _ => (0, 0),
            };
            let len = if flen > 0 { 11 + flen } else { 10 };
            PLAUSIBLE.contains(&whole).then_some(())?;
            Some((DateTime::from_timestamp(whole, nanos)?, len))
        }
        13 => {
            PLAUSIBLE.contains(&(whole / 1000)).then_some(())?;
            Some((DateTime::from_timestamp_millis(whole)?, 13))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_numbers_only_in_a_plausible_range() {
        let at = |s| epoch(s).map(|(t, len)| (t.to_rfc3339(), len));
        assert_eq!(
            at("1714564801 x"),
            Some(("2024-05-01T12:00:01+00:00".into(), 10))
        );
        assert_eq!(
            at("1714564801.250    123 TCP_MISS"),
            Some(("2024-05-01T12:00:01.250+00:00".into(), 14))
        );
        assert_eq!(
            at("1714564801123 x"),
            Some(("2024-05-01T12:00:01.123+00:00".into(), 13))
        );
        for bad in [
            "0000000001 x",
            "9999999999 x",
            "12345678901 x",
            "171456480 x",
            "1714564801x",
        ] {
            assert_eq!(
                epoch(bad).map(|(_, l)| l),
                if bad == "1714564801x" { Some(10) } else { None },
                "{bad}"
            );
        }
        assert_eq!(
            from_epoch(1_714_564_801_123.0).map(|t| t.timestamp_millis()),
            Some(1_714_564_801_123)
        );
        assert_eq!(
            from_epoch(1_714_564_801.123_456).map(|t| t.timestamp_subsec_micros()),
            Some(123_456)
        );
        assert_eq!(
            from_epoch_int(1_714_564_801_123_456).map(|t| t.timestamp_subsec_micros()),
            Some(123_456)
        );
        assert_eq!(
            from_epoch_int(1_714_564_801_123_456_789).map(|t| t.timestamp_subsec_nanos()),
            Some(123_456_789)
        );
        assert_eq!(from_epoch_int(i64::MAX), None);
        assert_eq!(
            from_epoch(1_714_564_801_123_456_789.0).map(|t| t.timestamp()),
            Some(1_714_564_801)
        );
        assert_eq!(
            from_epoch(1_714_564_801.5).map(|t| t.timestamp_subsec_millis()),
            Some(500)
        );
        for bad in [0.0, -1.0, 42.0, f64::NAN, f64::INFINITY, 1e30] {
            assert_eq!(from_epoch(bad), None, "{bad}");
        }
    }
}
