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
    let mut end = text.len().min(HEAD);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // Words are runs of ASCII letters; `_` and digits glue a run to its neighbours so that
    // `error_count` or `info2` is not taken for a level.
    let bytes = &text.as_bytes()[..end];
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
        if i == bytes.len() && end < text.len() {
            break;
        }
        if let Some(level) = level_word(&text[start..i]) {
            return Some(level);
        }
    }
    None
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn level_word(word: &str) -> Option<Level> {
    if word.len() > 8 {
        return None;
    }
    let mut buf = [0u8; 8];
    let lower = &mut buf[..word.len()];
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    let level = match &*lower {
        b"error" | b"err" | b"fatal" | b"panic" | b"crit" | b"critical" | b"alert" | b"emerg" => {
            Level::Error
        }
        b"warn" | b"warning" => Level::Warn,
        b"info" | b"notice" => Level::Info,
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
                Some(Level::Info),
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
