//! Redaction of a stream of lines, as a log tail delivers them. A private key printed to a
//! log arrives as its `BEGIN` line, then one line of base64 per read, then `END`: each body
//! line alone looks like nothing, so the stream remembers that it is inside a key.

use std::borrow::Cow;

use super::{mask, MASK};

/// A key block has at most this many lines (an RSA 8192 key in PEM has ~100); past it, a
/// lost `END` marker stops masking rather than hiding the rest of the log.
const MAX_BLOCK_LINES: u32 = 200;

/// The redactor for one stream of lines (one followed file, one command's output).
///
/// ```
/// let mut lines = sheriff::redact::Lines::default();
/// assert_eq!(lines.redact("-----BEGIN RSA PRIVATE KEY-----"), "-----BEGIN RSA PRIVATE KEY-----");
/// assert_eq!(lines.redact("MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn7ygWN"), "••••");
/// assert_eq!(lines.redact("-----END RSA PRIVATE KEY-----"), "-----END RSA PRIVATE KEY-----");
/// assert_eq!(lines.redact("GET /health 200"), "GET /health 200");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Lines {
    /// Lines left before an open key block is given up; 0 outside a block.
    in_key: u32,
}

impl Lines {
    /// `line` with its secrets masked, given the lines before it.
    pub fn redact<'a>(&mut self, line: &'a str) -> Cow<'a, str> {
        if self.in_key > 0 {
            if let Some(masked) = self.inside_key(line) {
                return masked;
            }
        }
        let masked = mask(line);
        // Only a line with something to mask can open a key block.
        let opened = match masked {
            Cow::Borrowed(_) => None,
            Cow::Owned(_) => opens_key(line),
        };
        let Some((begin, header_end)) = opened else {
            return masked;
        };
        self.in_key = MAX_BLOCK_LINES;
        // The marker names the kind of key and stays; what follows it is key text.
        let mut out = mask(&line[..begin]).into_owned();
        out.push_str(&line[begin..header_end]);
        if !line[header_end..].trim().is_empty() {
            out.push_str(MASK);
        }
        Cow::Owned(out)
    }

    /// [`Lines::redact`] for a line the caller owns: no copy when nothing is secret.
    pub fn redact_owned(&mut self, line: String) -> String {
        let masked = match self.redact(&line) {
            Cow::Owned(masked) => Some(masked),
            Cow::Borrowed(_) => None,
        };
        masked.unwrap_or(line)
    }

    /// A line while a key block is open: masked and still inside, or `None` when the line
    /// is plainly not part of the key (the block is then closed).
    fn inside_key<'a>(&mut self, line: &'a str) -> Option<Cow<'a, str>> {
        self.in_key -= 1;
        if let Some(end) = line.find("-----END ") {
            self.in_key = 0;
            let before = &line[..end];
            let body = before.trim_start().len();
            if before.trim().is_empty() || !is_key_text(before.trim()) {
                return Some(mask(line));
            }
            let keep = before.len() - body;
            return Some(Cow::Owned(format!(
                "{}{MASK}{}",
                &line[..keep],
                &line[end..]
            )));
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return Some(Cow::Borrowed(line));
        }
        // Encrypted PEM headers (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: AES-128-CBC,…`).
        if let Some(colon) = line.find(": ") {
            let name = line[..colon].trim();
            if matches!(name, "Proc-Type" | "DEK-Info" | "Comment") {
                return Some(Cow::Owned(format!("{}: {MASK}", &line[..colon])));
            }
        }
        // The key text, alone on the line or as the last word after a log prefix.
        let word_start = trimmed.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = &trimmed[word_start..];
        let alone = word_start == 0;
        if is_key_text(word) && (alone || word.len() >= 16 || word.ends_with('=')) {
            let start = line.len() - line.trim_start().len() + word_start;
            let end = start + word.len();
            return Some(Cow::Owned(format!(
                "{}{MASK}{}",
                &line[..start],
                &line[end..]
            )));
        }
        self.in_key = 0;
        None
    }
}

/// Base64, as a PEM body line is made of.
fn is_key_text(word: &str) -> bool {
    !word.is_empty()
        && word
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
}

/// Where a `BEGIN … PRIVATE KEY` marker with no `END` after it on the same line starts
/// and ends.
fn opens_key(line: &str) -> Option<(usize, usize)> {
    let begin = line.find("-----BEGIN ")?;
    let rest = &line[begin..];
    let (at, marker) = match rest.find("KEY-----") {
        Some(at) => (at, "KEY-----"),
        None => (rest.find("KEY BLOCK-----")?, "KEY BLOCK-----"),
    };
    let header_end = at + marker.len();
    (rest[..at].contains("PRIVATE") && !rest[header_end..].contains("-----END "))
        .then_some((begin, begin + header_end))
}
