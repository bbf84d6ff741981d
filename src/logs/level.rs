//! Guessing a line's level from its text, for colour and the level filter.
//!
//! Logs name levels many ways: `ERROR`, `[error]` (nginx), `level=warn` (logfmt),
//! `"level":"info"` (JSON), `W0102` is left alone. The first word in the head of the line
//! that names a level wins: the level field almost always comes before the message, and a
//! message that mentions "error" later ("retrying after error") keeps its own level.

use super::Level;

/// Only the head of a line is scanned: levels sit near the start, and long lines (stack
/// traces, JSON blobs) should not cost a full scan each.
const HEAD: usize = 200;

/// The level a line announces, if any.
///
/// ```
/// use sheriff::logs::{level::detect_level, Level};
/// assert_eq!(detect_level("2024/05/01 12:00:01 [error] 12#0: upstream timed out"), Some(Level::Error));
/// assert_eq!(detect_level("ts=2024-05-01T12:00:01Z level=warn msg=retrying"), Some(Level::Warn));
/// assert_eq!(detect_level("GET /healthz 200"), None);
/// ```
pub fn detect_level(text: &str) -> Option<Level> {
    detect_level_bytes(text.as_bytes())
}

/// [`detect_level`] on raw bytes, for counting levels over a whole file without decoding it:
/// bytes that are not ASCII letters only ever separate words, so text that is not UTF-8 is
/// read the same way and never allocated for. Only the first 200 bytes are looked at, so
/// passing the whole line costs no more than passing its head.
///
/// ```
/// use sheriff::logs::{level::detect_level_bytes, Level};
/// assert_eq!(detect_level_bytes(b"\xff\xfe WARN disk 91%"), Some(Level::Warn));
/// ```
pub fn detect_level_bytes(line: &[u8]) -> Option<Level> {
    let bytes = &line[..line.len().min(HEAD)];
    let cut = bytes.len() < line.len();
    // Words are runs of ASCII letters; `_` and digits glue a run to its neighbours so that
    // `error_count` or `info2` is not taken for a level.
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word_byte(bytes[i]) {
            i += 1;
        }
        // A word cut by the HEAD limit may be longer than it looks; skip it.
        if i == bytes.len() && cut && is_word_byte(line[i]) {
            break;
        }
        if let Some(level) = level_word(&bytes[start..i]) {
            return Some(level);
        }
    }
    None
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The level one word names, in any case; the table behind [`Level::from_name`].
pub(crate) fn level_word(word: &[u8]) -> Option<Level> {
    if word.len() > 9 {
        return None;
    }
    let mut buf = [0u8; 9];
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word);
    lower.make_ascii_lowercase();
    let level = match &*lower {
        b"fatal" | b"panic" | b"emerg" | b"emergency" => Level::Fatal,
        b"crit" | b"critical" | b"alert" => Level::Critical,
        b"error" | b"err" => Level::Error,
        b"warn" | b"warning" => Level::Warn,
        b"notice" => Level::Notice,
        b"info" => Level::Info,
        b"debug" => Level::Debug,
        b"trace" => Level::Trace,
        _ => return None,
    };
    Some(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_common_spellings() {
        let cases = [
            (
                "2024-05-01T12:00:01Z ERROR api: db timeout",
                Some(Level::Error),
            ),
            ("2024-05-01 12:00:01 WARN retrying", Some(Level::Warn)),
            ("12:00:01 INFO started", Some(Level::Info)),
            ("12:00:01 DEBUG cache miss", Some(Level::Debug)),
            (
                "2024/05/01 12:00:01 [error] 12#0: *3 connect() failed",
                Some(Level::Error),
            ),
            (
                "2024/05/01 12:00:01 [warn] 12#0: an upstream response is buffered",
                Some(Level::Warn),
            ),
            (
                "2024/05/01 12:00:01 [notice] 1#1: signal process started",
                Some(Level::Notice),
            ),
            ("ts=1 level=warn msg=\"slow query\"", Some(Level::Warn)),
            ("{\"level\":\"error\",\"msg\":\"boom\"}", Some(Level::Error)),
            (
                "May  1 12:00:01 web1 kernel: warning: clock skew",
                Some(Level::Warn),
            ),
            ("GET /errors 200 12ms", None),
            ("error_count=0 all good", None),
            ("", None),
        ];
        for (line, want) in cases {
            assert_eq!(detect_level(line), want, "{line}");
        }
    }

    #[test]
    fn every_spelling_has_its_level() {
        let cases = [
            ("FATAL", Level::Fatal),
            ("PANIC", Level::Fatal),
            ("EMERG", Level::Fatal),
            ("ALERT", Level::Critical),
            ("CRIT", Level::Critical),
            ("CRITICAL", Level::Critical),
            ("ERROR", Level::Error),
            ("ERR", Level::Error),
            ("WARN", Level::Warn),
            ("WARNING", Level::Warn),
            ("NOTICE", Level::Notice),
            ("INFO", Level::Info),
            ("DEBUG", Level::Debug),
            ("TRACE", Level::Trace),
        ];
        for (word, want) in cases {
            let line = format!("12:00:01 [{word}] x");
            assert_eq!(detect_level(&line), Some(want), "{word}");
            assert_eq!(detect_level_bytes(line.as_bytes()), Some(want), "{word}");
            assert_eq!(Level::from_name(&word.to_lowercase()), Some(want), "{word}");
        }
        for level in Level::ALL {
            assert_eq!(Level::from_name(level.as_str()), Some(level));
            assert_eq!(Level::from_name(level.label()), Some(level));
        }
    }

    #[test]
    fn levels_are_ordered_and_syslog_severities_map() {
        assert!(Level::ALL.windows(2).all(|w| w[0] < w[1]));
        let want = [
            Level::Fatal,
            Level::Critical,
            Level::Critical,
            Level::Error,
            Level::Warn,
            Level::Notice,
            Level::Info,
            Level::Debug,
        ];
        for (severity, level) in want.into_iter().enumerate() {
            assert_eq!(Level::from_syslog(severity as u8), level);
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_only_separate_words() {
        assert_eq!(
            detect_level_bytes(b"\xc3\x28ERROR\xff x"),
            Some(Level::Error)
        );
        assert_eq!(
            detect_level_bytes(b"\x00\x07WARN\x1b[0m"),
            Some(Level::Warn)
        );
        assert_eq!(detect_level_bytes(b"\xe9rror x"), None);
        assert_eq!(detect_level_bytes(b""), None);
        let mut long = vec![0xffu8; 10_000];
        long.extend_from_slice(b" ERROR");
        assert_eq!(detect_level_bytes(&long), None);
    }

    #[test]
    fn first_level_word_wins() {
        assert_eq!(detect_level("INFO retrying after error"), Some(Level::Info));
    }

    #[test]
    fn long_and_multibyte_lines_are_safe() {
        let long = format!("{} ERROR late", "é".repeat(150));
        assert_eq!(detect_level(&long), None);
        // "error" fits in the head, but the word goes on past it.
        let cut = format!("{} errorzz", "x ".repeat(97));
        assert_eq!(cut.find("error"), Some(195));
        assert_eq!(detect_level(&cut), None);
    }
}
