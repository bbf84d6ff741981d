//! A breakage's fingerprint: what broke (a check on a target, a drift target, a host),
//! where (the environment) and how (the error class), hashed into one alphanumeric token
//! such as `sheriff3f9a0c1b7d2e4f68`. Search tokenisers split words on punctuation, so
//! the token has none: a tracker's search for it finds exactly the bugs that carry it.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// `subject` names what broke (`check api on staging`), `class` how
    /// ([`error_class`] of its summary).
    pub fn of(subject: &str, env: &str, class: &str) -> Fingerprint {
        let mut hash = Sha256::new();
        for part in [subject, env, class] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        let digest = hash.finalize();
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Fingerprint(format!("sheriff{hex}"))
    }

    /// A fingerprint read back from a body or a record, if it has the shape.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let hex = text.strip_prefix("sheriff")?;
        (hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Fingerprint(text.to_ascii_lowercase()))
    }

    /// The first fingerprint in `text` (a bug body), if any.
    pub fn find_in(text: &str) -> Option<Fingerprint> {
        text.match_indices("sheriff")
            .find_map(|(at, _)| text.get(at..at + 23).and_then(Fingerprint::parse))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a thing failed, without what changes from one run to the next: the state and up
/// to three words of the summary, dropping words with digits (latencies, counts, times)
/// but keeping an HTTP status. `503 Service Unavailable in 31ms` and `503 Service
/// Unavailable in 40ms` are one class; `connection refused` is another.
pub fn error_class(state: &str, summary: &str) -> String {
    let words: Vec<String> = summary
        .split(|c: char| c.is_whitespace() || matches!(c, ':' | ',' | '(' | ')' | '"'))
        .filter(|w| !w.is_empty())
        .filter(|w| {
            let status = w.len() == 3 && w.bytes().all(|b| b.is_ascii_digit());
            status || !w.bytes().any(|b| b.is_ascii_digit())
        })
        .take(3)
        .map(str::to_lowercase)
        .collect();
    format!("{} {}", state.to_lowercase(), words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_breakage_has_one_token_and_another_breakage_another() {
        let a = Fingerprint::of(
            "check api on staging",
            "staging",
            &error_class("CRITICAL", "503 Service Unavailable in 31ms"),
        );
        let b = Fingerprint::of(
            "check api on staging",
            "staging",
            &error_class("CRITICAL", "503 Service Unavailable in 40ms"),
        );
        let c = Fingerprint::of(
            "check api on staging",
            "staging",
            &error_class("CRITICAL", "connection refused (127.0.0.1:8080)"),
        );
        let d = Fingerprint::of(
            "check api on production",
            "production",
            &error_class("CRITICAL", "503 Service Unavailable"),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert!(a.as_str().chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(a.as_str().len(), 23);
    }

    #[test]
    fn a_fingerprint_is_found_again_in_a_body() {
        let fp = Fingerprint::of("x", "y", "z");
        let body = format!("text\n\nsheriff fingerprint: {fp}\n");
        assert_eq!(Fingerprint::find_in(&body), Some(fp));
        assert_eq!(Fingerprint::find_in("sheriff on call"), None);
    }
}
