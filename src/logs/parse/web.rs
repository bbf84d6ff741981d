//! Web servers' logs: the access log nginx and Apache share (`common`, `combined`), nginx's
//! error log and Apache's error log (2.2 and 2.4).

use super::clock::Clock;
use super::time;
use super::Parsed;
use crate::logs::Level;

/// `addr - user [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 2326 "ref" "agent"`.
/// The whole line is the message; the level is the status's: 5xx error, 4xx warning,
/// others info.
pub(super) fn access(line: &str, clock: &mut Clock) -> Parsed {
    let Some(open) = line.find('[') else {
        return Parsed::text();
    };
    let Some((written, len)) = time::access(&line[open + 1..]) else {
        return Parsed::text();
    };
    let close = open + 1 + len;
    if line.as_bytes().get(close) != Some(&b']') {
        return Parsed::text();
    }
    Parsed {
        time: clock.instant(written),
        level: status_after(line, close + 1).map(status_level),
        ..Parsed::default()
    }
}

/// The status after the quoted request that follows the time.
fn status_after(line: &str, at: usize) -> Option<u16> {
    let b = line.as_bytes();
    let mut i = at;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    if b.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    // Apache writes a quote in the request as `\"`, nginx as `\x22`.
    loop {
        match b.get(i)? {
            b'\\' => i += 2,
            b'"' => break,
            _ => i += 1,
        }
    }
    i += 1;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    let status = time::digits(b, i + 1, 3)?;
    let alone = matches!(b.get(i + 4), None | Some(b' '));
    (alone && (100..=599).contains(&status)).then_some(status as u16)
}

fn status_level(status: u16) -> Level {
    match status {
        500.. => Level::Error,
        400..=499 => Level::Warn,
        _ => Level::Info,
    }
}

/// `2024/05/01 12:00:01 [error] 1234#1234: *5 connect() failed …`: local time, nginx's
/// level, the message after `pid#tid: `.
pub(super) fn nginx_error(line: &str, clock: &mut Clock) -> Parsed {
    let Some((written, len)) = time::slashed(line) else {
        return Parsed::text();
    };
    let mut parsed = Parsed {
        time: clock.instant(written),
        msg: (len + 1).min(line.len()),
        ..Parsed::default()
    };
    let rest = line.get(len..).unwrap_or("");
    if let Some(word) = rest.strip_prefix(" [").and_then(|r| r.split_once(']')) {
        if let Some(level) = Level::from_name(word.0) {
            parsed.level = Some(level);
            let at = len + 2 + word.0.len() + 1;
            parsed.msg = (at + 1).min(line.len());
            // `1234#1234: ` is the process and thread; the message follows.
            let after = line.get(parsed.msg..).unwrap_or("");
            if let Some((ids, _)) = after.split_once(": ") {
                if ids.bytes().all(|c| c.is_ascii_digit() || c == b'#') && ids.contains('#') {
                    parsed.msg += ids.len() + 2;
                }
            }
        }
    }
    parsed
}

/// `[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234:tid 5678] [client …] text`
/// (2.4) or `[Wed Oct 11 14:32:52 2000] [error] [client …] text` (2.2).
pub(super) fn apache_error(line: &str, clock: &mut Clock) -> Parsed {
    let Some((written, len)) = line.strip_prefix('[').and_then(time::ctime) else {
        return Parsed::text();
    };
    let mut at = 1 + len;
    if line.as_bytes().get(at) != Some(&b']') {
        return Parsed::text();
    }
    at += 1;
    let mut parsed = Parsed {
        time: clock.instant(written),
        ..Parsed::default()
    };
    // The bracketed fields before the text; the first that names a level gives it.
    while let Some(field) = line.get(at..).and_then(|r| r.strip_prefix(" [")) {
        let Some(end) = field.find(']') else { break };
        let inner = &field[..end];
        if parsed.level.is_none() && !inner.contains(' ') {
            let name = inner.rsplit(':').next().unwrap_or(inner);
            parsed.level = apache_level(name);
        }
        at += 2 + end + 1;
    }
    if line.as_bytes().get(at) == Some(&b' ') {
        at += 1;
    }
    parsed.msg = at.min(line.len());
    parsed
}

/// Apache's levels: syslog's names, and `trace1` to `trace8`.
fn apache_level(name: &str) -> Option<Level> {
    Level::from_name(name).or_else(|| {
        let n = name.strip_prefix("trace")?;
        (n.len() == 1 && n.as_bytes()[0].is_ascii_digit()).then_some(Level::Trace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let status = |s: &str| status_after(s, 0);
        assert_eq!(status(r#" "GET / HTTP/1.1" 200 12"#), Some(200));
        assert_eq!(status(r#" "GET /\"x\" HTTP/1.1" 404 12"#), Some(404));
        assert_eq!(status(r#" "GET /\x22x HTTP/1.1" 503"#), Some(503));
        assert_eq!(status(r#" "-" 400 0"#), Some(400));
        for bad in [
            r#" "GET / HTTP/1.1" 2000"#,
            r#" "GET"#,
            r#" "GET" -"#,
            " 200",
            r#" "\"#,
        ] {
            assert_eq!(status(bad), None, "{bad}");
        }
        assert_eq!(status_level(502), Level::Error);
        assert_eq!(status_level(429), Level::Warn);
        assert_eq!(status_level(304), Level::Info);
    }

    #[test]
    fn apache_levels() {
        assert_eq!(apache_level("trace3"), Some(Level::Trace));
        assert_eq!(apache_level("emerg"), Some(Level::Fatal));
        assert_eq!(apache_level("trace"), Some(Level::Trace));
        assert_eq!(apache_level("trace10"), None);
        assert_eq!(apache_level("pid 12"), None);
    }
}
