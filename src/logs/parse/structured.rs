//! Lines that name their fields: JSON objects (Go's slog, bunyan, pino, zap, ECS),
//! `journalctl -o json` entries, and logfmt pairs (Heroku, Go's slog text handler).

use serde_json::{Map, Value};

use super::clock::Clock;
use super::epoch;
use super::text::{any_time, level_number};
use super::time;
use super::Parsed;
use crate::logs::Level;

/// Fields that hold the time, the level and the message, most common first.
const TIME_KEYS: &[&str] = &["time", "timestamp", "@timestamp", "ts"];
const LEVEL_KEYS: &[&str] = &["level", "severity", "lvl", "log.level", "levelname"];
const MSG_KEYS: &[&str] = &["msg", "message", "@message"];

/// A JSON object, or `None` for anything else (another value, broken JSON).
pub(super) fn object(line: &str) -> Option<Map<String, Value>> {
    let line = line.trim();
    if !line.starts_with('{') {
        return None;
    }
    serde_json::from_str(line).ok()
}

fn first<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|k| obj.get(*k).filter(|v| !v.is_null()))
}

fn string(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    first(obj, keys).and_then(Value::as_str).map(str::to_string)
}

/// Whether a JSON object looks like a log entry: it has a time, level or message field.
pub(super) fn is_entry(obj: &Map<String, Value>) -> bool {
    [TIME_KEYS, LEVEL_KEYS, MSG_KEYS]
        .iter()
        .any(|keys| first(obj, keys).is_some())
}

/// One JSON object per line. Times may be strings in any known shape or numbers since
/// 1970 in s, ms, µs or ns; levels names or numbers (bunyan's 10–60, syslog's 0–7).
pub(super) fn json(line: &str, clock: &mut Clock) -> Parsed {
    let Some(obj) = object(line) else {
        return Parsed::text();
    };
    let time = first(&obj, TIME_KEYS).and_then(|v| match v {
        Value::String(s) => any_time(s, clock),
        Value::Number(n) => match n.as_i64() {
            Some(whole) => epoch::from_epoch_int(whole),
            None => n.as_f64().and_then(epoch::from_epoch),
        },
        _ => None,
    });
    let level = first(&obj, LEVEL_KEYS).and_then(|v| match v {
        Value::String(s) => {
            Level::from_name(s).or_else(|| s.trim().parse().ok().and_then(level_number))
        }
        Value::Number(n) => n.as_i64().and_then(level_number),
        _ => None,
    });
    Parsed {
        time,
        level,
        msg: 0,
        message: Some(first(&obj, MSG_KEYS).map_or_else(String::new, as_text)),
        host: string(&obj, &["hostname", "host"]),
        app: string(&obj, &["name", "service", "logger"]),
    }
}

/// A value as text: strings as they are, anything else as JSON.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `journalctl -o json`: `__REALTIME_TIMESTAMP` in µs (a string), `PRIORITY` 0–7 (a
/// string), `MESSAGE` (an array of bytes when it is not UTF-8). A JSON line that is not a
/// journal entry is read as plain JSON.
pub(super) fn journald(line: &str, clock: &mut Clock) -> Parsed {
    let Some(obj) = object(line) else {
        return Parsed::text();
    };
    let Some(micros) = obj.get("__REALTIME_TIMESTAMP").and_then(number) else {
        return json(line, clock);
    };
    let message = match obj.get("MESSAGE") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(bytes)) => {
            let bytes: Vec<u8> = bytes
                .iter()
                .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        _ => String::new(),
    };
    Parsed {
        time: chrono::DateTime::from_timestamp_micros(micros),
        level: obj
            .get("PRIORITY")
            .and_then(number)
            .and_then(|p| u8::try_from(p).ok())
            .filter(|p| *p <= 7)
            .map(Level::from_syslog),
        msg: 0,
        message: Some(message),
        host: string(&obj, &["_HOSTNAME"]),
        app: string(&obj, &["_SYSTEMD_UNIT", "SYSLOG_IDENTIFIER"]),
    }
}

/// A number journald writes as a string ("1714564801123456"), or as a number.
fn number(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// One `key=value` of a logfmt line: where the key starts, the key, the value decoded.
struct Pair<'a> {
    start: usize,
    key: &'a str,
    value: String,
}

/// The `key=value` pairs of a line, values bare or quoted with `\` escapes; words without
/// `=` (Heroku's `heroku[router]:` prefix) are passed over.
fn pairs(line: &str) -> Vec<Pair<'_>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' || b[i] == b'\t' {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'=' | b'"') {
            i += 1;
        }
        if b.get(i) != Some(&b'=') || i == start {
            // Not a pair: skip the rest of the word, a quoted part included.
            i = skip_word(b, i);
            continue;
        }
        let key = &line[start..i];
        i += 1;
        let (value, next) = if b.get(i) == Some(&b'"') {
            quoted(line, i + 1)
        } else {
            let end = i + b[i..]
                .iter()
                .take_while(|c| !matches!(c, b' ' | b'\t'))
                .count();
            (line[i..end].to_string(), end)
        };
        out.push(Pair { start, key, value });
        i = next;
    }
    out
}

fn skip_word(b: &[u8], mut i: usize) -> usize {
    let mut quoted = false;
    while i < b.len() {
        match b[i] {
            b'"' => quoted = !quoted,
            b'\\' if quoted => i += 1,
            b' ' | b'\t' if !quoted => break,
            _ => {}
        }
        i += 1;
    }
    i.min(b.len())
}

/// A quoted value from just after its opening quote: the text and where it ends.
fn quoted(line: &str, from: usize) -> (String, usize) {
    let mut value = String::new();
    let mut chars = line[from..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (value, from + i + 1),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, other)) => value.push(other),
                None => break,
            },
            c => value.push(c),
        }
    }
    (value, line.len())
}

/// Whether a line is logfmt: two pairs or more, one of them a time, level or message.
pub(super) fn is_logfmt(line: &str) -> bool {
    let pairs = pairs(line);
    pairs.len() >= 2 && pairs.iter().any(|p| known_key(p.key))
}

fn known_key(key: &str) -> bool {
    matches!(key, "t" | "at")
        || [TIME_KEYS, LEVEL_KEYS, MSG_KEYS]
            .iter()
            .any(|k| k.contains(&key))
}

/// `time=2024-05-01T12:00:01.123+02:00 level=INFO msg="hello world" n=3`. The time may
/// also lead the line unpaired, as Heroku's router writes it; Heroku's `at=` is its level.
pub(super) fn logfmt(line: &str, clock: &mut Clock) -> Parsed {
    let pairs = pairs(line);
    let leading = time::iso(line);
    if pairs.is_empty() && leading.is_none() {
        return Parsed::text();
    }
    let find = |keys: &[&str]| keys.iter().find_map(|k| pairs.iter().find(|p| p.key == *k));
    let time = match find(&["time", "ts", "t", "timestamp", "@timestamp"]) {
        Some(p) => any_time(&p.value, clock),
        None => leading.and_then(|(written, _)| clock.instant(written)),
    };
    let level = find(&["level", "lvl", "severity", "at"]).and_then(|p| {
        Level::from_name(&p.value).or_else(|| p.value.parse().ok().and_then(level_number))
    });
    let (msg, message) = match find(&["msg", "message"]) {
        Some(p) => (p.start, Some(p.value.clone())),
        // Heroku's app lines are text after the time and the dyno.
        None => (
            leading.map_or(0, |(_, len)| (len + 1).min(line.len())),
            None,
        ),
    };
    Parsed {
        time,
        level,
        msg,
        message,
        ..Parsed::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logfmt_pairs() {
        let line = r#"heroku[router]: at=info path="/a b" q="x\"y\n" empty= bare "#;
        let got: Vec<(&str, String)> = pairs(line).into_iter().map(|p| (p.key, p.value)).collect();
        let want = [
            ("at", "info"),
            ("path", "/a b"),
            ("q", "x\"y\n"),
            ("empty", ""),
        ];
        let want: Vec<(&str, String)> = want.iter().map(|(k, v)| (*k, v.to_string())).collect();
        assert_eq!(got, want);
        assert_eq!(pairs("=x \"a=b\" k=\"unterminated").len(), 1);
        assert!(is_logfmt("level=warn msg=x"));
        assert!(!is_logfmt("user=bob action=login"));
        assert!(!is_logfmt("level=warn"));
    }

    #[test]
    fn odd_json_is_no_entry() {
        assert!(object("[1,2]").is_none());
        assert!(object("{\"a\":").is_none());
        let deep = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        assert!(object(&deep).is_none());
        assert!(object(r#"{"x":1}"#).is_some_and(|o| !is_entry(&o)));
    }
}
