//! Lines that are text after a time: ISO-stamped (log4j, logback, Python, rsyslog's file
//! format, Spring Boot), glog, epoch-stamped, a regex of the user's, and plain text.

use chrono::{DateTime, Utc};

use super::clock::Clock;
use super::epoch;
use super::format::NamedRegex;
use super::time::{self, Yearless};
use super::Parsed;
use crate::logs::level::{detect_level, level_word};
use crate::logs::Level;

/// The level word right at `at` (after spaces; bare, `[WARN]`, `WARN:` or `<WARN>`) and
/// where the message starts after it. Without one there, the first level word in the rest
/// of the line (Python's `- name - ERROR - text`), and the message starts at `at`.
pub(super) fn level_at(line: &str, at: usize) -> (Option<Level>, usize) {
    let b = line.as_bytes();
    let start = at
        + b.get(at..)
            .map_or(0, |r| r.iter().take_while(|c| **c == b' ').count());
    let open = matches!(b.get(start), Some(b'[' | b'<' | b'('));
    let word_start = start + usize::from(open);
    let word_len = b.get(word_start..).map_or(0, |r| {
        r.iter().take_while(|c| c.is_ascii_alphabetic()).count()
    });
    let mut end = word_start + word_len;
    if let Some(level) = b.get(word_start..end).and_then(level_word) {
        let closed = !open || matches!(b.get(end), Some(b']' | b'>' | b')'));
        let alone = matches!(
            b.get(end + usize::from(open)),
            None | Some(b' ' | b':' | b'\t')
        );
        if closed && alone {
            end += usize::from(open);
            if b.get(end) == Some(&b':') {
                end += 1;
            }
            end += b
                .get(end..)
                .map_or(0, |r| r.iter().take_while(|c| **c == b' ').count());
            return (Some(level), end);
        }
    }
    let rest = line.get(start..).unwrap_or("");
    (detect_level(rest), start.min(line.len()))
}

/// A line that starts with an ISO time or a time of day (in brackets or not), then the
/// level, then text.
pub(super) fn stamped(line: &str, clock: &mut Clock) -> Parsed {
    let bracketed = line.starts_with('[');
    let from = usize::from(bracketed);
    let (time, mut end) = if let Some((written, len)) = line.get(from..).and_then(time::iso) {
        (clock.instant(written), from + len)
    } else if let Some((t, len)) = time_of_day(line, from) {
        (clock.time_of_day(t), from + len)
    } else {
        return Parsed::text();
    };
    if bracketed {
        if line.as_bytes().get(end) != Some(&b']') {
            return Parsed::text();
        }
        end += 1;
    }
    let (level, msg) = level_at(line, end);
    Parsed {
        time,
        level,
        msg,
        ..Parsed::default()
    }
}

/// A time of day alone at `at` (`12:00:01.123 [main] INFO …`), as logback's and log4j2's
/// default patterns write it.
pub(super) fn time_of_day(line: &str, at: usize) -> Option<(chrono::NaiveTime, usize)> {
    let b = line.as_bytes();
    let (t, len) = time::clock(b, at)?;
    matches!(b.get(at + len), None | Some(b' ' | b']')).then_some((t, len))
}

/// glog: `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, L one of `IWEF`; glog 0.7 can
/// write the year too (`I20240501 …`).
pub(super) fn glog(line: &str, clock: &mut Clock) -> Parsed {
    glog_head(line, clock).unwrap_or_else(Parsed::text)
}

fn glog_head(line: &str, clock: &mut Clock) -> Option<Parsed> {
    let b = line.as_bytes();
    let level = glog_level(*b.first()?)?;
    let date_len = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    let (year, md) = match date_len {
        4 => (None, 1),
        8 => (Some(time::digits(b, 1, 4)? as i32), 5),
        _ => return None,
    };
    let month = time::digits(b, md, 2)?;
    let day = time::digits(b, md + 2, 2)?;
    if b.get(md + 4) != Some(&b' ') {
        return None;
    }
    let (clock_time, len) = time::clock(b, md + 5)?;
    let after = md + 5 + len;
    let t = Yearless {
        month,
        day,
        time: clock_time,
    };
    let time = match year {
        Some(year) => clock.with_year(year, t),
        None => clock.yearless(t),
    };
    // `threadid file:line] ` ends the header; a line without it keeps all as message.
    let msg = line
        .get(after..)
        .and_then(|rest| rest.find("] ").map(|i| after + i + 2))
        .unwrap_or(after);
    Some(Parsed {
        time,
        level: Some(level),
        msg: msg.min(line.len()),
        ..Parsed::default()
    })
}

fn glog_level(c: u8) -> Option<Level> {
    match c {
        b'I' => Some(Level::Info),
        b'W' => Some(Level::Warn),
        b'E' => Some(Level::Error),
        b'F' => Some(Level::Fatal),
        _ => None,
    }
}

/// A line starting with seconds or milliseconds since 1970.
pub(super) fn epoch(line: &str) -> Parsed {
    let Some((at, len)) = epoch::epoch(line) else {
        return Parsed::text();
    };
    let (level, msg) = level_at(line, len);
    Parsed {
        time: Some(at),
        level,
        msg,
        ..Parsed::default()
    }
}

/// A line read by the user's regex; a line it does not match is a continuation.
pub(super) fn custom(re: &NamedRegex, line: &str, clock: &mut Clock) -> Parsed {
    let Some(caps) = re.regex.captures(line) else {
        return Parsed::text();
    };
    let time = caps.name("time").and_then(|m| any_time(m.as_str(), clock));
    let level = caps.name("level").and_then(|m| {
        let word = m.as_str().trim();
        Level::from_name(word)
            .or_else(|| word.parse::<i64>().ok().and_then(level_number))
            .or_else(|| {
                word.bytes()
                    .next()
                    .and_then(glog_level)
                    .filter(|_| word.len() == 1)
            })
            .or_else(|| detect_level(word))
    });
    let msg = caps.name("msg").map_or(0, |m| m.start());
    Parsed {
        time,
        level,
        msg,
        ..Parsed::default()
    }
}

/// A number as a level: syslog's severities 0–7, bunyan's and pino's 10 (trace) to 60
/// (fatal) in steps of ten.
pub(super) fn level_number(n: i64) -> Option<Level> {
    let level = match n {
        0..=7 => Level::from_syslog(n as u8),
        10..=19 => Level::Trace,
        20..=29 => Level::Debug,
        30..=39 => Level::Info,
        40..=49 => Level::Warn,
        50..=59 => Level::Error,
        60..=69 => Level::Fatal,
        _ => return None,
    };
    Some(level)
}

/// A time in any of the shapes the formats write, alone in `s` (a regex group, a JSON or
/// logfmt value); brackets around it are allowed.
pub(super) fn any_time(s: &str, clock: &mut Clock) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    let written = time::iso(s)
        .or_else(|| time::access(s))
        .or_else(|| time::slashed(s))
        .or_else(|| time::ctime(s));
    if let Some((written, _)) = written {
        return clock.instant(written);
    }
    if let Some((yearless, _)) = time::syslog(s) {
        return clock.yearless(yearless);
    }
    if let Ok(whole) = s.parse::<i64>() {
        return epoch::from_epoch_int(whole);
    }
    if let Ok(number) = s.parse::<f64>() {
        return epoch::from_epoch(number);
    }
    epoch::epoch(s).map(|(at, _)| at)
}

/// A line in no known format: no time, the level from its words.
pub(super) fn plain(line: &str) -> Parsed {
    Parsed {
        level: detect_level(line),
        ..Parsed::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_right_after_the_time() {
        let cases = [
            (
                " ERROR [main] c.e.App - boom",
                Some(Level::Error),
                "[main] c.e.App - boom",
            ),
            (
                "  INFO 1234 --- [main] o.s.b.App : Started",
                Some(Level::Info),
                "1234 --- [main] o.s.b.App : Started",
            ),
            (" [warn] disk", Some(Level::Warn), "disk"),
            (" <CRIT>: fan", Some(Level::Critical), "fan"),
            (" WARNING: low", Some(Level::Warn), "low"),
            (
                " - app - ERROR - failed",
                Some(Level::Error),
                "- app - ERROR - failed",
            ),
            (" web1 sshd[12]: started", None, "web1 sshd[12]: started"),
            (" [warnx] x", None, "[warnx] x"),
            ("", None, ""),
        ];
        for (rest, level, msg) in cases {
            let (got, at) = level_at(rest, 0);
            assert_eq!((got, &rest[at..]), (level, msg), "{rest}");
        }
    }

    #[test]
    fn numbers_as_levels() {
        assert_eq!(level_number(30), Some(Level::Info));
        assert_eq!(level_number(60), Some(Level::Fatal));
        assert_eq!(level_number(3), Some(Level::Error));
        assert_eq!(level_number(8), None);
        assert_eq!(level_number(-1), None);
        assert_eq!(level_number(100), None);
    }
}
