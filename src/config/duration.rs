//! Durations ("250ms", "15s", "1m30s", "2d") and percentages ("80%") as written in the
//! config and on the command line (`--since 1h`).

use std::time::Duration;

/// A duration that did not parse; the message says how to write one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad duration \"{0}\": use a number and ms, s, m, h or d, e.g. \"15s\"")]
pub struct BadDuration(pub String);

/// A percentage that did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad percentage \"{0}\": use a number from 0 to 100 and %, e.g. \"80%\"")]
pub struct BadPercent(pub String);

/// Parses one or more `<number><unit>` parts, units `ms`, `s`, `m`, `h`, `d`.
///
/// ```
/// use std::time::Duration;
/// use sheriff::config::duration::parse_duration;
/// assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
/// assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
/// assert!(parse_duration("5x").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, BadDuration> {
    let bad = || BadDuration(text.to_string());
    if text.is_empty() {
        return Err(bad());
    }
    let mut total_ms: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        // "ms" before "m", or "5ms" would read as five minutes and a stray "s".
        let (unit_ms, len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            match rest.chars().next() {
                Some('s') => (1_000, 1),
                Some('m') => (60_000, 1),
                Some('h') => (3_600_000, 1),
                Some('d') => (86_400_000, 1),
                _ => return Err(bad()),
            }
        };
        rest = &rest[len..];
        let part = number.checked_mul(unit_ms).ok_or_else(bad)?;
        total_ms = total_ms.checked_add(part).ok_or_else(bad)?;
    }
    Ok(Duration::from_millis(total_ms))
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

    #[test]
    fn parses_each_unit_and_combinations() {
        assert_eq!(parse_duration("15s"), Ok(Duration::from_secs(15)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("1h5m10s"), Ok(Duration::from_secs(3910)));
        assert_eq!(parse_duration("1s500ms"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for text in [
            "",
            "5",
            "s",
            "5x",
            "1.5s",
            "5 s",
            "-5s",
            "99999999999999999999s",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} should not parse");
        }
        assert_eq!(
            parse_duration("5x").unwrap_err().to_string(),
            "bad duration \"5x\": use a number and ms, s, m, h or d, e.g. \"15s\""
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
