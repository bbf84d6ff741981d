//! Durations and percentages: the one parser for every duration a user writes (the
//! config's `every = "1h30m"`, the command line's `--since 1.5h`) and the one formatter
//! for every duration sheriff shows (latencies, timeouts, a report's length).
//!
//! Written here rather than taken from `humantime`: that crate rejects decimals (`1.5h`)
//! and formats exactly to the nanosecond (`1h 30m 12s 345ms 12us`), while a pane cell
//! wants the two largest units (`1h30m`) and a latency one decimal (`1.2s`). The parser
//! reads back everything the formatter writes.

use std::time::Duration;

/// A duration that did not parse; the message says what was wrong and how to write one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad duration \"{text}\": {why}; write a number and a unit (ms, s, m, h, d or w), e.g. \"90s\", \"1h30m\" or \"1.5h\"")]
pub struct BadDuration {
    pub text: String,
    pub why: &'static str,
}

/// A percentage that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad percentage \"{0}\": use a number from 0 to 100 and %, e.g. \"80%\"")]
pub struct BadPercent(pub String);

const NANOS_PER_MS: u128 = 1_000_000;
const UNITS: [(&str, u128); 6] = [
    // "ms" before "m", or "5ms" would read as five minutes and a stray "s".
    ("ms", NANOS_PER_MS),
    ("s", 1_000 * NANOS_PER_MS),
    ("m", 60_000 * NANOS_PER_MS),
    ("h", 3_600_000 * NANOS_PER_MS),
    ("d", 86_400_000 * NANOS_PER_MS),
    ("w", 604_800_000 * NANOS_PER_MS),
];

/// Parses one or more `<number><unit>` parts, units `ms`, `s`, `m`, `h`, `d`, `w`; a
/// number may have decimals (`1.5h`). A bare `0` is zero; any other number needs a unit.
///
/// ```
/// use std::time::Duration;
/// use sheriff::config::duration::parse_duration;
/// assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
/// assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert!(parse_duration("5x").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, BadDuration> {
    let bad = |why| BadDuration {
        text: text.to_string(),
        why,
    };
    let trimmed = text.trim();
    match trimmed {
        "" => return Err(bad("it is empty")),
        "0" => return Ok(Duration::ZERO),
        t if t.starts_with('-') => return Err(bad("a duration cannot be negative")),
        _ => {}
    }
    let mut total: u128 = 0;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let whole_len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if whole_len == 0 {
            return Err(bad("a number must come before each unit"));
        }
        let (whole, after) = rest.split_at(whole_len);
        let (fraction, after) = match after.strip_prefix('.') {
            Some(f) => {
                let len = f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len());
                if len == 0 {
                    return Err(bad("a decimal point needs digits after it"));
                }
                f.split_at(len)
            }
            None => ("", after),
        };
        let Some((unit, unit_nanos)) = UNITS.iter().find(|(u, _)| after.starts_with(u)) else {
            return Err(bad(if after.is_empty() {
                "the number has no unit"
            } else {
                "the unit is not one of ms, s, m, h, d, w"
            }));
        };
        rest = &after[unit.len()..];
        let part = part_nanos(whole, fraction, *unit_nanos).ok_or_else(|| bad("it is too long"))?;
        total = total
            .checked_add(part)
            .filter(|t| *t <= u128::from(u64::MAX))
            .ok_or_else(|| bad("it is too long"))?;
    }
    // The limit above (u64 nanoseconds, 584 years) keeps every duration convertible to a
    // `chrono::TimeDelta` and subtractable from now.
    Ok(Duration::from_nanos(total as u64))
}

/// `whole.fraction` units in nanoseconds, or None when it cannot be held.
fn part_nanos(whole: &str, fraction: &str, unit_nanos: u128) -> Option<u128> {
    let whole: u128 = whole.parse().ok()?;
    let mut nanos = whole.checked_mul(unit_nanos)?;
    // Digits past the 18th are below a nanosecond even for weeks.
    let fraction = &fraction[..fraction.len().min(18)];
    if !fraction.is_empty() {
        let digits: u128 = fraction.parse().ok()?;
        let scale = 10u128.pow(fraction.len() as u32);
        nanos = nanos.checked_add(digits * unit_nanos / scale)?;
    }
    Some(nanos)
}

/// The one way sheriff shows a duration: the two largest units (`1h30m`, `3d`, `5m30s`,
/// `45s`), one decimal under ten seconds (`1.2s`) and under ten milliseconds (`2.5ms`).
/// Lesser units are cut, not rounded, so a time shown never exceeds the time taken.
///
/// ```
/// use std::time::Duration;
/// use sheriff::config::duration::format_duration;
/// assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
/// assert_eq!(format_duration(Duration::from_millis(1234)), "1.2s");
/// assert_eq!(format_duration(Duration::from_secs(3 * 86_400 + 59)), "3d");
/// ```
pub fn format_duration(d: Duration) -> String {
    const MS: u128 = 1_000_000;
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    if nanos < 10 * MS {
        let tenths = nanos / (MS / 10);
        return if nanos.is_multiple_of(MS) {
            format!("{}ms", nanos / MS)
        } else {
            format!("{}.{}ms", tenths / 10, tenths % 10)
        };
    }
    let ms = nanos / MS;
    if ms < 1_000 {
        return format!("{ms}ms");
    }
    if ms < 10_000 {
        let tenth = ms % 1_000 / 100;
        return if tenth == 0 {
            format!("{}s", ms / 1_000)
        } else {
            format!("{}.{tenth}s", ms / 1_000)
        };
    }
    let secs = d.as_secs();
    let (big, big_unit, small, small_unit) = match secs {
        0..60 => return format!("{secs}s"),
        60..3_600 => (secs / 60, "m", secs % 60, "s"),
        3_600..86_400 => (secs / 3_600, "h", secs % 3_600 / 60, "m"),
        _ => (secs / 86_400, "d", secs % 86_400 / 3_600, "h"),
    };
    if small == 0 {
        format!("{big}{big_unit}")
    } else {
        format!("{big}{big_unit}{small}{small_unit}")
    }
}

/// Parses `"80%"` (or `"99.5%"`) into `80.0`, between 0 and 100.
pub fn parse_percent(text: &str) -> Result<f64, BadPercent> {
    let bad = || BadPercent(text.to_string());
    let number = text.strip_suffix('%').ok_or_else(bad)?;
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    if !(0.0..=100.0).contains(&value) {
        return Err(bad());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn parses_each_unit_combinations_and_decimals() {
        for (text, want) in [
            ("90s", secs(90)),
            ("5m", secs(300)),
            ("1h", secs(3600)),
            ("2d", secs(172_800)),
            ("1w", secs(604_800)),
            ("1h30m", secs(5400)),
            ("1h5m10s", secs(3910)),
            ("1s500ms", Duration::from_millis(1500)),
            ("1.5h", secs(5400)),
            ("0.5s", Duration::from_millis(500)),
            ("2.5ms", Duration::from_micros(2500)),
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
            (" 12h ", secs(43_200)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_duration_and_says_why() {
        for (text, why) in [
            ("", "it is empty"),
            ("5", "the number has no unit"),
            ("12", "the number has no unit"),
            ("s", "a number must come before each unit"),
            ("1x", "the unit is not one of ms, s, m, h, d, w"),
            ("5y", "the unit is not one of ms, s, m, h, d, w"),
            ("5 s", "the unit is not one of ms, s, m, h, d, w"),
            ("1.s", "a decimal point needs digits after it"),
            (".5s", "a number must come before each unit"),
            ("-1s", "a duration cannot be negative"),
            ("99999999999999999999s", "it is too long"),
            (
                "999999999999999999999999999999999999999999w",
                "it is too long",
            ),
            ("30501w", "it is too long"),
            ("30500w", "ok"),
            ("1h1h", "ok"),
        ] {
            match parse_duration(text) {
                Err(e) => assert_eq!(e.why, why, "{text:?}"),
                Ok(d) => assert_eq!(why, "ok", "{text:?} parsed as {d:?}"),
            }
        }
        assert_eq!(
            parse_duration("5x").unwrap_err().to_string(),
            "bad duration \"5x\": the unit is not one of ms, s, m, h, d, w; write a number \
             and a unit (ms, s, m, h, d or w), e.g. \"90s\", \"1h30m\" or \"1.5h\""
        );
    }

    #[test]
    fn formats_the_two_largest_units() {
        for (d, want) in [
            (Duration::ZERO, "0s"),
            (Duration::from_micros(400), "0.4ms"),
            (Duration::from_millis(3), "3ms"),
            (Duration::from_micros(2_560), "2.5ms"),
            (Duration::from_millis(43), "43ms"),
            (Duration::from_millis(999), "999ms"),
            (secs(5), "5s"),
            (Duration::from_millis(1_234), "1.2s"),
            (Duration::from_millis(9_999), "9.9s"),
            (secs(45), "45s"),
            (secs(60), "1m"),
            (secs(330), "5m30s"),
            (secs(5400), "1h30m"),
            (secs(3600 + 59), "1h"),
            (secs(3 * 86_400), "3d"),
            (secs(2 * 86_400 + 4 * 3600 + 7), "2d4h"),
            (Duration::MAX, "213503982334601d7h"),
        ] {
            assert_eq!(format_duration(d), want, "{d:?}");
        }
    }

    #[test]
    fn what_is_shown_reads_back_as_at_most_the_time_taken() {
        for ms in [
            1, 7, 43, 999, 1_000, 1_234, 59_999, 61_000, 5_400_000, 90_061_000,
        ] {
            let d = Duration::from_millis(ms);
            let shown = format_duration(d);
            let back = parse_duration(&shown).expect("the formatter writes what parses");
            assert!(back <= d, "{shown} reads as {back:?}, more than {d:?}");
        }
        // Durations a user writes are shown as written.
        for text in ["90s", "1h30m", "3d", "45s", "250ms", "5m30s"] {
            let shown = format_duration(parse_duration(text).expect("parses"));
            let again = format_duration(parse_duration(&shown).expect("reads back"));
            assert_eq!(shown, again);
        }
        assert_eq!(
            format_duration(parse_duration("90s").expect("parses")),
            "1m30s"
        );
    }

    #[test]
    fn parses_percentages() {
        assert_eq!(parse_percent("80%"), Ok(80.0));
        assert_eq!(parse_percent("99.5%"), Ok(99.5));
        assert!(parse_percent("80").is_err());
        assert!(parse_percent("180%").is_err());
    }
}
