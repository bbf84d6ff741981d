//! Telling a source's format from its first lines.
//!
//! Each line is matched against the formats from the most particular (a journal entry is
//! also JSON; a Heroku logfmt line also starts with an ISO time) to the least, and votes
//! for the first it fits. The format with most votes wins; a tie goes to the more
//! particular. Lines no format fits (stack traces, blank lines) do not vote, and a sample
//! where none fits is [`Format::Plain`].

use super::epoch;
use super::format::Format;
use super::structured;
use super::syslog;
use super::text;
use super::time;
use crate::logs::Level;

/// Lines of a sample looked at; the rest add little but time.
const SAMPLE: usize = 100;

/// The formats in the order lines are tried: most particular first.
const ORDER: [Format; 13] = [
    Format::Journald,
    Format::JsonLines,
    Format::Syslog5424,
    Format::Syslog3164,
    Format::NginxAccess,
    Format::NginxError,
    Format::ApacheError,
    Format::Glog,
    Format::Logfmt,
    Format::Log4j,
    Format::Iso8601,
    Format::Epoch,
    Format::Plain,
];

/// The format most of the first lines of a source are in; `Plain` when none fits.
///
/// ```
/// use sheriff::logs::parse::{detect, Format};
/// let lines = [
///     "2024/05/01 12:00:01 [error] 12#12: *3 connect() failed (111: Connection refused)",
///     "2024/05/01 12:00:02 [warn] 12#12: *4 upstream server temporarily disabled",
/// ];
/// assert_eq!(detect(&lines), Format::NginxError);
/// assert_eq!(detect(&["hello", "world"]), Format::Plain);
/// ```
pub fn detect(sample: &[&str]) -> Format {
    let mut votes: Vec<(Format, usize)> = Vec::new();
    for format in sample.iter().take(SAMPLE).filter_map(|l| detect_line(l)) {
        match votes.iter_mut().find(|(f, _)| *f == format) {
            Some((_, n)) => *n += 1,
            None => votes.push((format, 1)),
        }
    }
    winner(&votes)
}

/// The format with most votes; a tie goes to the one earlier in [`ORDER`].
pub(super) fn winner(votes: &[(Format, usize)]) -> Format {
    let rank = |f: &Format| ORDER.iter().position(|o| o == f).unwrap_or(ORDER.len());
    votes
        .iter()
        .max_by(|(a, n), (b, m)| n.cmp(m).then(rank(b).cmp(&rank(a))))
        .map_or(Format::Plain, |(f, _)| f.clone())
}

/// The most particular format one line fits, if any.
pub(super) fn detect_line(line: &str) -> Option<Format> {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.trim_start().starts_with('{') {
        let obj = structured::object(line)?;
        if obj.contains_key("__REALTIME_TIMESTAMP") {
            return Some(Format::Journald);
        }
        return structured::is_entry(&obj).then_some(Format::JsonLines);
    }
    if let Some((_, len)) = syslog::pri(line) {
        let rest = &line[len..];
        if rest.starts_with("1 ") {
            return Some(Format::Syslog5424);
        }
        if time::syslog(rest).is_some() || time::iso(rest).is_some() {
            return Some(Format::Syslog3164);
        }
    }
    if time::syslog(line).is_some() {
        return Some(Format::Syslog3164);
    }
    if is_rsyslog_iso(line) {
        return Some(Format::Syslog3164);
    }
    if is_access(line) {
        return Some(Format::NginxAccess);
    }
    if let Some((_, len)) = time::slashed(line) {
        if line[len..].starts_with(" [") {
            return Some(Format::NginxError);
        }
    }
    if line.strip_prefix('[').and_then(time::ctime).is_some() {
        return Some(Format::ApacheError);
    }
    if is_glog(line) {
        return Some(Format::Glog);
    }
    if structured::is_logfmt(line) {
        return Some(Format::Logfmt);
    }
    let stamp = line.strip_prefix('[').unwrap_or(line);
    if time::iso(stamp).is_some() {
        // log4j and Python write the milliseconds after a comma; that is their mark.
        let log4j = stamp.as_bytes().get(19) == Some(&b',');
        return Some(if log4j {
            Format::Log4j
        } else {
            Format::Iso8601
        });
    }
    if text::time_of_day(stamp, 0).is_some() {
        return Some(Format::Log4j);
    }
    epoch::epoch(line).map(|_| Format::Epoch)
}

/// rsyslog's high-precision file format: an RFC 3339 time with its offset, then
/// `host app[pid]:` (a host that is not a level word, so `… INFO main: x` is not taken).
fn is_rsyslog_iso(line: &str) -> bool {
    let Some((written, len)) = time::iso(line) else {
        return false;
    };
    let mut words = line[len..].split(' ');
    let (Some(""), Some(host), Some(tag)) = (words.next(), words.next(), words.next()) else {
        return false;
    };
    written.offset.is_some()
        && !host.is_empty()
        && Level::from_name(host.trim_matches(|c| c == '[' || c == ']')).is_none()
        && tag.len() > 1
        && tag.ends_with(':')
        && !tag.contains('=')
}

fn is_access(line: &str) -> bool {
    // The time sits after the client, ident and user: look for it near the start only.
    let head = line.get(..line.len().min(300)).unwrap_or(line);
    let Some(open) = head.find(" [") else {
        return false;
    };
    let Some((_, len)) = time::access(&line[open + 2..]) else {
        return false;
    };
    line[open + 2 + len..].starts_with("] \"")
}

fn is_glog(line: &str) -> bool {
    let b = line.as_bytes();
    if !matches!(b.first(), Some(b'I' | b'W' | b'E' | b'F')) {
        return false;
    }
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    let at = 1 + digits;
    matches!(digits, 4 | 8)
        && b.get(at) == Some(&b' ')
        && time::clock(b, at + 1).is_some()
        && line.contains("] ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_fits_its_most_particular_format() {
        let cases = [
            (
                r#"{"__REALTIME_TIMESTAMP":"1714564801000000","MESSAGE":"x"}"#,
                Some(Format::Journald),
            ),
            (
                r#"{"time":"2024-05-01T12:00:01Z","level":"INFO","msg":"x"}"#,
                Some(Format::JsonLines),
            ),
            (r#"{"user":"bob"}"#, None),
            ("{broken", None),
            (
                "<34>1 2003-10-11T22:14:15.003Z host su - ID47 - x",
                Some(Format::Syslog5424),
            ),
            ("<13>May  1 12:00:01 host app: x", Some(Format::Syslog3164)),
            ("May  1 12:00:01 host app[1]: x", Some(Format::Syslog3164)),
            (
                "2024-05-01T12:00:01.123456+02:00 web1 sshd[12]: x",
                Some(Format::Syslog3164),
            ),
            (
                "2024-05-01T12:00:01.123Z INFO main: x",
                Some(Format::Iso8601),
            ),
            (
                "2024-05-01 12:00:01 web1 sshd[12]: x",
                Some(Format::Iso8601),
            ),
            (
                r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326"#,
                Some(Format::NginxAccess),
            ),
            (
                "2024/05/01 12:00:01 [error] 1#1: x",
                Some(Format::NginxError),
            ),
            (
                "[Wed Oct 11 14:32:52 2000] [error] [client 1.2.3.4] x",
                Some(Format::ApacheError),
            ),
            (
                "I0501 12:00:01.123456  1234 main.cc:12] x",
                Some(Format::Glog),
            ),
            (
                "time=2024-05-01T12:00:01Z level=INFO msg=x",
                Some(Format::Logfmt),
            ),
            (
                "2024-05-01T12:00:01Z app[web.1]: at=info method=GET path=/",
                Some(Format::Logfmt),
            ),
            (
                "2024-05-01 12:00:01,123 ERROR [main] x",
                Some(Format::Log4j),
            ),
            ("2024-05-01T12:00:01.123Z INFO x", Some(Format::Iso8601)),
            (
                "[2024-05-01 12:00:01] local.ERROR: x",
                Some(Format::Iso8601),
            ),
            ("1714564801 x", Some(Format::Epoch)),
            (
                "12:00:01.123 [main] INFO  c.e.App -- x",
                Some(Format::Log4j),
            ),
            ("12:00:01x", None),
            ("\tat com.example.App.main(App.java:12)", None),
            ("", None),
        ];
        for (line, want) in cases {
            assert_eq!(detect_line(line), want, "{line}");
        }
    }

    #[test]
    fn the_majority_wins_and_ties_go_to_the_particular() {
        let lines = [
            "2024-05-01 12:00:01,123 ERROR [main] failed",
            "java.lang.IllegalStateException: boom",
            "\tat com.example.App.main(App.java:12)",
            "2024-05-01 12:00:02,123 INFO [main] ok",
            "2024-05-01T12:00:03Z INFO other",
        ];
        assert_eq!(detect(&lines), Format::Log4j);
        assert_eq!(
            detect(&["1714564801 a", "2024-05-01T12:00:03Z b"]),
            Format::Iso8601
        );
        assert_eq!(detect(&[]), Format::Plain);
        assert_eq!(
            winner(&[(Format::Plain, 1), (Format::Glog, 1)]),
            Format::Glog
        );
    }
}
