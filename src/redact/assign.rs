//! Values assigned to a key that names a secret, in every syntax an on-call person pastes:
//! `DB_PASSWORD=x` (env), `password = x` (INI, TOML), `secret: x` (YAML), `"apiKey": "x"`
//! (JSON), `'pw' => 'x'` (PHP, Ruby), `fastcgi_param DB_PASSWORD x;` (nginx),
//! `--password x` (CLI flags), `<password>x</password>` (XML) — and, in prose, a random
//! value a few words after such a key ("the secret is wJalr…").
//!
//! A key names a secret when its last word does (`DB_PASSWORD`, `clientSecret`,
//! `AWS_SECRET_ACCESS_KEY`); `password_file`, `token_url` and `secret_name` name something
//! else. A bare `key` (`cache_key`, `ssl_certificate_key`) is only believed with a random
//! value.

use super::shape::{is_path, is_placeholder, looks_random};
use super::{Rule, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    /// Names a secret: any real value is one.
    Strong,
    /// `key` without a qualifier: only a random value is a secret.
    Weak,
}

/// Word endings that name a secret (`pgpassword`, `apitoken` count too).
const SECRET_ENDINGS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
];
/// Whole words that name a secret.
const SECRET_WORDS: &[&str] = &["pass", "pwd", "pw", "auth", "psk"];
/// Words after which `key` names a secret (`api_key`, `AWS_SECRET_ACCESS_KEY`).
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "signing",
    "encryption",
    "master",
    "auth",
    "client",
    "app",
    "account",
    "service",
    "shared",
    "license",
    "deploy",
    "session",
    "hmac",
    "jwt",
    "webhook",
    "admin",
    "consumer",
    "subscription",
    "storage",
    "ingest",
];
/// Words that may follow the secret word and still name the secret itself
/// (`SECRET_KEY_BASE`, `password_hash`, `token_value`).
const NEUTRAL_SUFFIXES: &[&str] = &[
    "value",
    "base",
    "b64",
    "base64",
    "hash",
    "str",
    "string",
    "raw",
    "plain",
    "hex",
    "enc",
    "encrypted",
    "data",
];
/// Words a sentence may put between a key word and its value ("the secret access key is …").
const FILLERS: &[&str] = &[
    "is", "was", "are", "=", ":", "-", "->", "now", "set", "to", "for", "the", "a", "my", "our",
    "new", "old", "access", "key", "api", "aws", "value", "here", "of", "this", "it's", "its",
    "be", "should", "will",
];

/// Splits a key into lower-case words at `_ - .` and camelCase humps.
fn words(key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn classify(key: &str) -> Option<KeyClass> {
    let mut words = words(key);
    while words
        .last()
        .is_some_and(|w| NEUTRAL_SUFFIXES.contains(&w.as_str()))
    {
        words.pop();
    }
    let last = words.last()?.trim_end_matches(|c: char| c.is_ascii_digit());
    if last == "pass" && passes_to_an_upstream(&words) {
        return None;
    }
    if SECRET_ENDINGS.iter().any(|e| last.ends_with(e)) || SECRET_WORDS.contains(&last) {
        return Some(KeyClass::Strong);
    }
    let qualifier = if last == "key" || last == "keys" {
        words.len().checked_sub(2).map(|i| words[i].as_str())
    } else {
        last.strip_suffix("key")
    };
    match qualifier {
        Some(q) if KEY_QUALIFIERS.contains(&q) => Some(KeyClass::Strong),
        _ if last == "key" => Some(KeyClass::Weak),
        _ => None,
    }
}

/// nginx's `proxy_pass`, `fastcgi_pass`… name where a request is passed (a URL or an
/// upstream), not a password; credentials in such a URL are still masked as a URL's.
fn passes_to_an_upstream(words: &[String]) -> bool {
    const UPSTREAMS: &[&str] = &["proxy", "fastcgi", "uwsgi", "scgi", "grpc", "memcached"];
    words.len() == 2 && UPSTREAMS.contains(&words[0].as_str())
}

/// How a value is introduced, which decides how much of it is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `key=value`, `key: value`, `--key value`, `key value;`: any real value.
    Assigned,
    /// `key: word more words`: prose unless the value could be a password.
    Colon,
}

/// The identifier around a key word found at `at`: `DB_PASSWORD` around `PASS`.
fn key_around(text: &str, at: usize) -> std::ops::Range<usize> {
    let b = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-');
    let start = b[..at]
        .iter()
        .rposition(|&c| !ident(c))
        .map_or(0, |i| i + 1);
    let end = b[at..]
        .iter()
        .position(|&c| !ident(c))
        .map_or(b.len(), |i| at + i);
    start..end
}

/// Secrets assigned to the keys around the key words found at `words` (positions of
/// `pass`, `token`, `key`, … in `text`, in order).
pub fn assignments(text: &str, words: &[usize], out: &mut Vec<Span>) {
    let mut last_key = 0..0;
    for &at in words {
        let key = key_around(text, at);
        if key == last_key {
            continue;
        }
        last_key = key.clone();
        let Some(class) = classify(&text[key.clone()]) else {
            continue;
        };
        let found = assigned(text, key.start, key.end)
            .or_else(|| free_text(text, key.start, key.end, class));
        let Some((value, form)) = found else { continue };
        let v = &text[value.clone()];
        let prose = form == Form::Colon && is_prose(v, &text[value.end..]);
        let believed = match class {
            KeyClass::Strong => !is_placeholder(v) && !is_path(v) && !prose,
            KeyClass::Weak => looks_random(v),
        };
        if believed {
            let mut span = Span::new(Rule::Assignment, "password", value);
            span.key = Some(key);
            out.push(span);
        }
    }
}

/// The value assigned to the key at `start..end`, if the text assigns one.
fn assigned(text: &str, start: usize, end: usize) -> Option<(std::ops::Range<usize>, Form)> {
    let b = text.as_bytes();
    let mut i = end;
    let in_xml = start > 0 && b[start - 1] == b'<' && b.get(end) == Some(&b'>');
    if in_xml {
        let from = end + 1;
        let to = text[from..].find('<').map_or(text.len(), |n| from + n);
        return Some((from..to, Form::Assigned));
    }
    if matches!(b.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    let spaces = |mut i: usize| {
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        i
    };
    let after_key = i;
    i = spaces(i);
    let form = match (b.get(i), b.get(i + 1)) {
        (Some(b':'), Some(b'=')) | (Some(b'='), Some(b'>')) => {
            i += 2;
            Form::Assigned
        }
        (Some(b'='), _) => {
            i += 1;
            Form::Assigned
        }
        (Some(b':'), next) if next != Some(&b':') && next != Some(&b'/') => {
            i += 1;
            Form::Colon
        }
        _ => {
            // `--password x` and nginx's `fastcgi_param DB_PASSWORD x;`.
            let flag = b[start] == b'-';
            if i == after_key || !(flag || nginx_directive(text, i)) {
                return None;
            }
            let value = value_at(text, i)?;
            return (!text[value.clone()].starts_with('-')).then_some((value, Form::Assigned));
        }
    };
    value_at(text, spaces(i)).map(|v| (v, form))
}

/// `name value;` at the end of a line, as nginx writes directives.
fn nginx_directive(text: &str, at: usize) -> bool {
    let line_end = text[at..].find('\n').map_or(text.len(), |n| at + n);
    text[at..line_end].trim_end().ends_with(';')
}

/// The value starting at `at`: quoted (up to the closing quote) or bare (up to a space or
/// a delimiter).
fn value_at(text: &str, at: usize) -> Option<std::ops::Range<usize>> {
    let b = text.as_bytes();
    let first = *b.get(at)?;
    if matches!(first, b'"' | b'\'') {
        let from = at + 1;
        let len = b[from..].iter().position(|&c| c == first || c == b'\n')?;
        return (len > 0).then_some(from..from + len);
    }
    let len = b[at..]
        .iter()
        .position(|&c| c.is_ascii_whitespace() || b"\"';&<>`,)]}".contains(&c))
        .unwrap_or(b.len() - at);
    (len > 0).then_some(at..at + len)
}

/// Words a log puts after `auth:` or `token:` to say how it went, not what it is.
const STATUS_WORDS: &[&str] = &[
    "ok",
    "success",
    "succeeded",
    "failed",
    "failure",
    "error",
    "denied",
    "expired",
    "invalid",
    "missing",
    "required",
    "unknown",
    "disabled",
    "enabled",
    "accepted",
    "rejected",
    "valid",
];

/// "invalid token: signature mismatch", "auth: INFO user signed in", "auth: ok": a short
/// word of letters followed by more words, or a status word.
fn is_prose(value: &str, after: &str) -> bool {
    let word = value.len() <= 12 && value.bytes().all(|c| c.is_ascii_alphabetic());
    let more = after.starts_with(' ') && after[1..].starts_with(|c: char| c.is_ascii_alphabetic());
    word && (more || STATUS_WORDS.contains(&value))
}

/// In prose, a random value right after the key word and filler words ("the secret is
/// …"), or after a colon a few words later ("access key for the backup bucket: …").
fn free_text(
    text: &str,
    start: usize,
    end: usize,
    class: KeyClass,
) -> Option<(std::ops::Range<usize>, Form)> {
    if class == KeyClass::Weak && !qualified_in_prose(&text[..start]) {
        return None;
    }
    let line_end = text[end..].find('\n').map_or(text.len(), |n| end + n);
    let (mut at, mut content, mut after_colon) = (end, false, false);
    for _ in 0..6 {
        let rest = &text[at..line_end];
        let skipped = rest.len() - rest.trim_start().len();
        if skipped == 0 {
            return None;
        }
        let word_start = at + skipped;
        let word_len = text[word_start..line_end]
            .find(char::is_whitespace)
            .unwrap_or(line_end - word_start);
        let word = &text[word_start..word_start + word_len];
        at = word_start + word_len;
        let bare = word.trim_matches(|c: char| "\"'`()[]{},;:.".contains(c));
        if bare.is_empty() || FILLERS.contains(&bare.to_ascii_lowercase().as_str()) {
            continue;
        }
        if (!content || after_colon) && looks_random(bare) {
            let offset = word.find(bare).unwrap_or(0);
            let value = word_start + offset..word_start + offset + bare.len();
            return Some((value, Form::Assigned));
        }
        if after_colon {
            return None;
        }
        content = true;
        after_colon = word.ends_with(':');
    }
    None
}

/// "api key …", "access key …": a qualifier as the word before a bare `key` in a sentence.
fn qualified_in_prose(before: &str) -> bool {
    before
        .trim_end()
        .rsplit(char::is_whitespace)
        .next()
        .is_some_and(|w| KEY_QUALIFIERS.contains(&w.to_ascii_lowercase().as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_secrets_by_their_last_word() {
        for strong in [
            "DB_PASSWORD",
            "PGPASSWORD",
            "clientSecret",
            "AWS_SECRET_ACCESS_KEY",
            "secret_key_base",
            "api-key",
            "X-Api-Key",
            "--password",
            "accessToken",
            "password2",
        ] {
            assert_eq!(classify(strong), Some(KeyClass::Strong), "{strong}");
        }
        for weak in ["cache_key", "ssl_certificate_key", "key"] {
            assert_eq!(classify(weak), Some(KeyClass::Weak), "{weak}");
        }
        for none in [
            "password_file",
            "token_url",
            "secret_name",
            "max_tokens",
            "auth_basic",
            "monkey",
            "passed",
            "bypass",
            "author",
        ] {
            assert_eq!(classify(none), None, "{none}");
        }
    }
}
