//! The shapes timestamps are written in, read from the start of a string.
//!
//! Each reader returns what it read and how many bytes that took, so a format can go on
//! from there. They are hand-written over bytes rather than regexes: they run once per line
//! on files of hundreds of megabytes, and a shape that does not fit is given up on at the
//! first wrong byte.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

/// A time as a line writes it: the wall clock and, when the line says so, its offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Written {
    pub local: NaiveDateTime,
    pub offset: Option<FixedOffset>,
}

/// A time without its year (syslog's `May  1 12:00:01`, glog's `0501 12:00:01`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Yearless {
    pub month: u32,
    pub day: u32,
    pub time: NaiveTime,
}

/// `n` ASCII digits at `at`, as a number.
pub(super) fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let d = b.get(at..at.checked_add(n)?)?;
    d.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn byte_is(b: &[u8], at: usize, want: u8) -> bool {
    b.get(at) == Some(&want)
}

/// A fraction of a second after its `.` or `,`: nanoseconds, and the digits' length.
/// Digits past the ninth are read over and dropped.
pub(super) fn fraction(b: &[u8], at: usize) -> (u32, usize) {
    let mut nanos = 0u32;
    let mut len = 0;
    while let Some(c) = b.get(at + len).filter(|c| c.is_ascii_digit()) {
        if len < 9 {
            nanos = nanos * 10 + u32::from(c - b'0');
        }
        len += 1;
    }
    let scale = 10u32.pow(9 - len.min(9) as u32);
    (nanos * scale, len)
}

/// `hh:mm:ss` with an optional `.fff…` or `,fff`, at `at`.
pub(super) fn clock(b: &[u8], at: usize) -> Option<(NaiveTime, usize)> {
    let h = digits(b, at, 2)?;
    let m = digits(b, at + 3, 2).filter(|_| byte_is(b, at + 2, b':'))?;
    let s = digits(b, at + 6, 2).filter(|_| byte_is(b, at + 5, b':'))?;
    let mut len = 8;
    let mut nanos = 0;
    if matches!(b.get(at + 8), Some(b'.' | b',')) {
        let (n, flen) = fraction(b, at + 9);
        if flen > 0 {
            nanos = n;
            len += 1 + flen;
        }
    }
    // A leap second (`:60`) is kept as chrono keeps it: the 59th second, stretched.
    let time = if s == 60 {
        NaiveTime::from_hms_nano_opt(h, m, 59, 1_000_000_000 + nanos)
    } else {
        NaiveTime::from_hms_nano_opt(h, m, s, nanos)
    }?;
    Some((time, len))
}

/// An offset right after a time: `Z`, `+02:00`, `+0200`, `+02`, or one of those after
/// one space when it has a sign (`2024-05-01 12:00:01 -0700`, Go's default).
fn offset(b: &[u8], at: usize) -> Option<(FixedOffset, usize)> {
    match b.get(at) {
        Some(b'Z' | b'z') => return Some((FixedOffset::east_opt(0)?, 1)),
        Some(b' ') if matches!(b.get(at + 1), Some(b'+' | b'-')) => {
            let (off, len) = signed_offset(b, at + 1)?;
            return Some((off, len + 1));
        }
        _ => {}
    }
    signed_offset(b, at)
}

fn signed_offset(b: &[u8], at: usize) -> Option<(FixedOffset, usize)> {
    let sign = match b.get(at)? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = digits(b, at + 1, 2)?;
    let (m, len) = if byte_is(b, at + 3, b':') {
        (digits(b, at + 4, 2)?, 6)
    } else if let Some(m) = digits(b, at + 3, 2) {
        (m, 5)
    } else {
        (0, 3)
    };
    // `+021` or `+02:0` is not an offset; neither is a run of more digits.
    if b.get(at + len).is_some_and(u8::is_ascii_digit) || h > 23 || m > 59 {
        return None;
    }
    let off = FixedOffset::east_opt(sign * (h * 3600 + m * 60) as i32)?;
    Some((off, len))
}

/// ISO 8601 / RFC 3339: `2024-05-01T12:00:01`, a space for the `T`, fractions to the
/// nanosecond with `.` or `,` (log4j, Python), and an optional offset.
pub(super) fn iso(s: &str) -> Option<(Written, usize)> {
    let b = s.as_bytes();
    let y = digits(b, 0, 4)?;
    let mo = digits(b, 5, 2).filter(|_| byte_is(b, 4, b'-'))?;
    let d = digits(b, 8, 2).filter(|_| byte_is(b, 7, b'-'))?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (time, len) = clock(b, 11)?;
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let mut end = 11 + len;
    let offset = offset(b, end).map(|(off, len)| {
        end += len;
        off
    });
    let local = date.and_time(time);
    Some((Written { local, offset }, end))
}

const MONTHS: [&[u8; 3]; 12] = [
    b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec",
];
const DAYS: [&[u8; 3]; 7] = [b"mon", b"tue", b"wed", b"thu", b"fri", b"sat", b"sun"];

fn name_index(b: &[u8], at: usize, names: &[&[u8; 3]]) -> Option<usize> {
    let word = b.get(at..at + 3)?;
    names.iter().position(|n| word.eq_ignore_ascii_case(&n[..]))
}

fn month(b: &[u8], at: usize) -> Option<u32> {
    name_index(b, at, &MONTHS).map(|i| i as u32 + 1)
}

/// A day of the month in two places, zero- or space-padded (`01`, ` 1`).
fn day(b: &[u8], at: usize) -> Option<u32> {
    let d = if byte_is(b, at, b' ') {
        digits(b, at + 1, 1)?
    } else {
        digits(b, at, 2)?
    };
    (1..=31).contains(&d).then_some(d)
}

/// Syslog's RFC 3164 `Mmm dd hh:mm:ss` (`May  1 12:00:01`), which has no year.
pub(super) fn syslog(s: &str) -> Option<(Yearless, usize)> {
    let b = s.as_bytes();
    let month = month(b, 0)?;
    let day = day(b, 4).filter(|_| byte_is(b, 3, b' '))?;
    if !byte_is(b, 6, b' ') {
        return None;
    }
    let (time, len) = clock(b, 7)?;
    Some((Yearless { month, day, time }, 7 + len))
}

/// The access log's `10/Oct/2000:13:55:36 -0700` (inside the brackets).
pub(super) fn access(s: &str) -> Option<(Written, usize)> {
    let b = s.as_bytes();
    let d = digits(b, 0, 2)?;
    let mo = month(b, 3).filter(|_| byte_is(b, 2, b'/') && byte_is(b, 6, b'/'))?;
    let y = digits(b, 7, 4).filter(|_| byte_is(b, 11, b':'))?;
    let (time, len) = clock(b, 12)?;
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let mut end = 12 + len;
    let offset = offset(b, end).map(|(off, len)| {
        end += len;
        off
    });
    Some((
        Written {
            local: date.and_time(time),
            offset,
        },
        end,
    ))
}

/// nginx's error log `2024/05/01 12:00:01` (local time).
pub(super) fn slashed(s: &str) -> Option<(Written, usize)> {
    let b = s.as_bytes();
    let y = digits(b, 0, 4)?;
    let mo = digits(b, 5, 2).filter(|_| byte_is(b, 4, b'/'))?;
    let d = digits(b, 8, 2).filter(|_| byte_is(b, 7, b'/') && byte_is(b, 10, b' '))?;
    let (time, len) = clock(b, 11)?;
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let local = date.and_time(time);
    Some((
        Written {
            local,
            offset: None,
        },
        11 + len,
    ))
}

/// Apache's error log `Wed Oct 11 14:32:52.123456 2000` (ctime, local time; 2.4 adds
/// the microseconds).
pub(super) fn ctime(s: &str) -> Option<(Written, usize)> {
    let b = s.as_bytes();
    name_index(b, 0, &DAYS).filter(|_| byte_is(b, 3, b' '))?;
    let mo = month(b, 4).filter(|_| byte_is(b, 7, b' '))?;
    let d = day(b, 8).filter(|_| byte_is(b, 10, b' '))?;
    let (time, len) = clock(b, 11)?;
    let at = 11 + len;
    let y = digits(b, at + 1, 4).filter(|_| byte_is(b, at, b' '))?;
    let date = NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    Some((
        Written {
            local: date.and_time(time),
            offset: None,
        },
        at + 5,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(s: &str) -> (String, usize) {
        let (w, len) = iso(s).expect(s);
        let off = w.offset.map_or("local".to_string(), |o| o.to_string());
        (
            format!("{} {off}", w.local.format("%Y-%m-%d %H:%M:%S%.9f")),
            len,
        )
    }

    #[test]
    fn iso_shapes() {
        let cases = [
            (
                "2024-05-01T12:00:01Z x",
                "2024-05-01 12:00:01.000000000 +00:00",
                20,
            ),
            (
                "2024-05-01 12:00:01 x",
                "2024-05-01 12:00:01.000000000 local",
                19,
            ),
            (
                "2024-05-01T12:00:01.5+02:00",
                "2024-05-01 12:00:01.500000000 +02:00",
                27,
            ),
            (
                "2024-05-01T12:00:01.123456789-0700",
                "2024-05-01 12:00:01.123456789 -07:00",
                34,
            ),
            (
                "2024-05-01T12:00:01.1234567891Z",
                "2024-05-01 12:00:01.123456789 +00:00",
                31,
            ),
            (
                "2024-05-01 12:00:01,123 ERROR",
                "2024-05-01 12:00:01.123000000 local",
                23,
            ),
            (
                "2024-05-01 12:00:01 +0530 IST",
                "2024-05-01 12:00:01.000000000 +05:30",
                25,
            ),
            (
                "2024-05-01 12:00:01 - name - INFO",
                "2024-05-01 12:00:01.000000000 local",
                19,
            ),
            (
                "2024-05-01T12:00:01+01 x",
                "2024-05-01 12:00:01.000000000 +01:00",
                22,
            ),
            (
                "2016-12-31T23:59:60Z",
                "2016-12-31 23:59:60.000000000 +00:00",
                20,
            ),
        ];
        for (line, want, len) in cases {
            assert_eq!(written(line), (want.to_string(), len), "{line}");
        }
        for bad in [
            "2024-13-01T12:00:01Z",
            "2024-02-30 12:00:01",
            "2024-05-01T25:00:01",
            "2024-05-01",
            "12:00:01",
            "2024-05-01T12:00",
            "",
        ] {
            assert_eq!(iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn other_shapes() {
        let (y, len) = syslog("May  1 12:00:01 host").expect("syslog");
        assert_eq!(
            (y.month, y.day, y.time.to_string(), len),
            (5, 1, "12:00:01".into(), 15)
        );
        assert_eq!(
            syslog("Dec 31 23:59:59.250 h").map(|(y, _)| y.time.to_string()),
            Some("23:59:59.250".into())
        );
        assert_eq!(syslog("Foo  1 12:00:01"), None);
        let (w, len) = access("10/Oct/2000:13:55:36 -0700]").expect("access");
        assert_eq!(
            (w.local.to_string(), w.offset.map(|o| o.to_string()), len),
            ("2000-10-10 13:55:36".into(), Some("-07:00".into()), 26)
        );
        let (w, _) = slashed("2024/05/01 12:00:01 [error]").expect("slashed");
        assert_eq!(w.local.to_string(), "2024-05-01 12:00:01");
        let (w, len) = ctime("Wed Oct 11 14:32:52.123456 2000] [core:error]").expect("ctime");
        assert_eq!(
            (w.local.to_string(), len),
            ("2000-10-11 14:32:52.123456".into(), 31)
        );
        assert_eq!(
            ctime("Sun Mar  7 09:05:01 2021]").map(|(w, _)| w.local.to_string()),
            Some("2021-03-07 09:05:01".into())
        );
    }
}
