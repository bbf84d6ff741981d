//! Syslog, as files hold it: RFC 3164's traditional `May  1 12:00:01 host app[pid]: text`
//! (also with rsyslog's RFC 3339 time in place of the short one) and RFC 5424's
//! `<PRI>1 time host app procid msgid [structured data] text`.
//!
//! The level is the priority's severity when the line carries `<PRI>`; files written by
//! rsyslog usually do not, and then it is guessed from the text after the tag.

use super::clock::Clock;
use super::text::level_at;
use super::time;
use super::Parsed;
use crate::logs::Level;

/// `<PRI>` at the start: the priority (at most 191: facility 23, severity 7) and its length.
pub(super) fn pri(line: &str) -> Option<(u8, usize)> {
    let b = line.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    let n = b[1..]
        .iter()
        .take(4)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if !(1..=3).contains(&n) || b.get(1 + n) != Some(&b'>') {
        return None;
    }
    let value: u8 = line.get(1..1 + n)?.parse().ok()?;
    (value <= 191).then_some((value, n + 2))
}

/// The next space-separated word from `at`, and where the one after it starts.
fn word(line: &str, at: usize) -> Option<(&str, usize)> {
    let rest = line.get(at..)?;
    let len = rest.find(' ').unwrap_or(rest.len());
    if len == 0 {
        return None;
    }
    let next = at + len + usize::from(len < rest.len());
    Some((&rest[..len], next))
}

/// An RFC 3164 line; one that is RFC 5424 after all is read as such.
pub(super) fn rfc3164(line: &str, clock: &mut Clock) -> Parsed {
    let (severity, start) = match pri(line) {
        Some((value, len)) => (Some(value & 7), len),
        None => (None, 0),
    };
    let Some(rest) = line.get(start..) else {
        return Parsed::text();
    };
    if rest.starts_with("1 ") && severity.is_some() {
        return rfc5424(line, clock);
    }
    let (time, len) = if let Some((yearless, len)) = time::syslog(rest) {
        (clock.yearless(yearless), len)
    } else if let Some((written, len)) = time::iso(rest) {
        (clock.instant(written), len)
    } else {
        return Parsed::text();
    };
    let mut at = start + len;
    if line.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    let mut parsed = Parsed {
        time,
        msg: at,
        ..Parsed::default()
    };
    if let Some((host, next)) = word(line, at) {
        parsed.host = Some(host.to_string());
        parsed.msg = next;
        // `app[pid]:` or `app:`; without one (`last message repeated 3 times`) the text
        // follows the host.
        if let Some((tag, after)) = word(line, next).filter(|(w, _)| w.ends_with(':')) {
            let tag = tag.trim_end_matches(':');
            let app = tag.split_once('[').map_or(tag, |(app, _)| app);
            parsed.app = Some(app.to_string());
            parsed.msg = after;
        }
    }
    parsed.msg = parsed.msg.min(line.len());
    let (level, _) = level_at(line, parsed.msg);
    parsed.level = severity.map(Level::from_syslog).or(level);
    parsed
}

/// An RFC 5424 line; a line without its `<PRI>1 ` head is tried as RFC 3164.
pub(super) fn rfc5424(line: &str, clock: &mut Clock) -> Parsed {
    let Some((value, len)) = pri(line) else {
        return rfc3164(line, clock);
    };
    if line.get(len..len + 2) != Some("1 ") {
        return rfc3164(line, clock);
    }
    let level = Some(Level::from_syslog(value & 7));
    let Some((stamp, next)) = word(line, len + 2) else {
        return Parsed {
            level,
            ..Parsed::default()
        };
    };
    let time = match time::iso(stamp) {
        Some((written, n)) if n == stamp.len() => clock.instant(written),
        _ => None,
    };
    let mut parsed = Parsed {
        time,
        level,
        msg: next,
        ..Parsed::default()
    };
    let nil = |w: &str| (w != "-").then(|| w.to_string());
    let mut at = next;
    // HOSTNAME APP-NAME PROCID MSGID, each `-` when not given.
    let mut fields = [None, None, None, None];
    for field in &mut fields {
        match word(line, at) {
            Some((w, n)) => {
                *field = nil(w);
                at = n;
            }
            None => {
                at = line.len();
                break;
            }
        }
    }
    let [host, app, _, _] = fields;
    parsed.host = host;
    parsed.app = app;
    at = structured_data_end(line, at);
    if line.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    // A message may start with a byte order mark to say it is UTF-8.
    if line.get(at..).is_some_and(|m| m.starts_with('\u{feff}')) {
        at += '\u{feff}'.len_utf8();
    }
    parsed.msg = at.min(line.len());
    parsed
}

/// Past the STRUCTURED-DATA at `at`: `-`, or `[id k="v" …]` elements one after another,
/// where a value may hold `\]` and `\"`.
fn structured_data_end(line: &str, at: usize) -> usize {
    let b = line.as_bytes();
    match b.get(at) {
        Some(b'-') => return at + 1,
        Some(b'[') => {}
        _ => return at,
    }
    let mut i = at;
    while b.get(i) == Some(&b'[') {
        let mut quoted = false;
        i += 1;
        loop {
            match b.get(i) {
                None => return b.len(),
                Some(b'\\') if quoted => i += 2,
                Some(b'"') => {
                    quoted = !quoted;
                    i += 1;
                }
                Some(b']') if !quoted => {
                    i += 1;
                    break;
                }
                Some(_) => i += 1,
            }
        }
    }
    i.min(b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities() {
        assert_eq!(pri("<34>1 x"), Some((34, 4)));
        assert_eq!(pri("<0>x"), Some((0, 3)));
        assert_eq!(pri("<191>"), Some((191, 5)));
        for bad in ["<192>", "<>", "<1234>", "<12", "34>", "", "<a>"] {
            assert_eq!(pri(bad), None, "{bad}");
        }
    }

    #[test]
    fn structured_data() {
        let line = r#"[a@1 k="v\]x" j="\"q"][b@2 c="d"] text"#;
        assert_eq!(&line[structured_data_end(line, 0)..], " text");
        assert_eq!(structured_data_end("- text", 0), 1);
        for cut in [r#"[a k="unterminated"#, r#"[a k="\"#, "[a"] {
            assert_eq!(structured_data_end(cut, 0), cut.len(), "{cut}");
        }
    }
}
