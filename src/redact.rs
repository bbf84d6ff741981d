//! One secret redactor used by logs, drift, notes and bug bodies.
//!
//! [`redact`] masks what looks like a credential and says which kinds it found, so the
//! caller can tell the user ("a GitHub token was masked"). It errs on the side of masking:
//! a note that reads `password: rotated` loses the word "rotated", which is cheaper than a
//! live password in a shared git repository.
//!
//! ```
//! let r = sheriff::redact::redact("curl -H 'Authorization: Bearer abcdef0123456789'");
//! assert_eq!(r.text, "curl -H 'Authorization: Bearer ••••'");
//! assert_eq!(r.found, vec!["bearer-token"]);
//! ```

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex, RegexSet};

/// What replaces a secret. Never valid in any token alphabet, so redacting twice is a no-op.
pub const MASK: &str = "••••";

/// Redacted text and the kinds of secret found in it (each kind once, in rule order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub found: Vec<&'static str>,
}

impl Redacted {
    pub fn is_clean(&self) -> bool {
        self.found.is_empty()
    }
}

/// How a rule rewrites a match.
enum Mask {
    /// Replace the whole match with this text.
    Whole(&'static str),
    /// Keep capture group 1 (a key, a scheme, a prefix) and mask the rest.
    KeepFirst,
}

struct Rule {
    kind: &'static str,
    pattern: &'static str,
    mask: Mask,
}

// Order matters: a PEM block is masked before the token rules could chew on its body, and
// tokens before the `key=value` rule, which then sees a mask and leaves it alone. `(?-u:\b)`
// is an ASCII word boundary: the Unicode one would push the regex engine off its fast path
// on non-ASCII text, and every token alphabet here is ASCII.
const RULES: &[Rule] = &[
    Rule {
        kind: "private-key",
        pattern: r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\z)",
        mask: Mask::Whole("-----BEGIN PRIVATE KEY----- •••• -----END PRIVATE KEY-----"),
    },
    Rule {
        kind: "github-token",
        pattern: r"(?-u:\b)(gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,255}",
        mask: Mask::KeepFirst,
    },
    Rule {
        kind: "gitlab-token",
        pattern: r"(?-u:\b)(glpat-)[A-Za-z0-9_\-]{20,}",
        mask: Mask::KeepFirst,
    },
    Rule {
        kind: "aws-access-key",
        pattern: r"(?-u:\b)((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA))[0-9A-Z]{16}(?-u:\b)",
        mask: Mask::KeepFirst,
    },
    Rule {
        kind: "slack-token",
        pattern: r"(?-u:\b)(xox[bpars]-)[A-Za-z0-9\-]{10,}",
        mask: Mask::KeepFirst,
    },
    Rule {
        kind: "jwt",
        pattern: r"(?-u:\b)eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
        mask: Mask::Whole(MASK),
    },
    Rule {
        kind: "bearer-token",
        pattern: r"(?i)(?-u:\b)((?:authorization:\s*basic|bearer)\s+)[A-Za-z0-9._~+/=\-]{8,}",
        mask: Mask::KeepFirst,
    },
    Rule {
        kind: "url-credentials",
        pattern: r"(?i)(?-u:\b)([a-z][a-z0-9+.\-]*://[^/\s:@]+:)[^/\s@]+@",
        mask: Mask::KeepFirst,
    },
    Rule {
        // `DB_PASSWORD=x`, `"api_key": "x"`, `passwd: x`, `--secret=x`: a key naming a
        // secret, an optional closing quote, `=` or `:`, then the value up to a delimiter.
        kind: "password",
        pattern: r#"(?i)((?:[A-Za-z0-9_.\-]*?)(?:password|passwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key)[A-Za-z0-9_.\-]*["']?\s*[:=]\s*["']?)([^\s"'&,;<>]+)"#,
        mask: Mask::KeepFirst,
    },
];

struct Compiled {
    /// One pass over the text says which rules can match, so clean text (most log lines)
    /// costs one scan instead of one per rule.
    set: RegexSet,
    rules: Vec<(&'static Rule, Regex)>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    // The patterns are constants tested below; a failure here is a bug in this file.
    let set = RegexSet::new(RULES.iter().map(|r| r.pattern)).expect("redact patterns compile");
    let rules = RULES
        .iter()
        .map(|r| (r, Regex::new(r.pattern).expect("redact pattern compiles")))
        .collect();
    Compiled { set, rules }
});

/// Mask every secret-looking value in `text`.
pub fn redact(text: &str) -> Redacted {
    let compiled = &*COMPILED;
    let hits = compiled.set.matches(text);
    if !hits.matched_any() {
        return Redacted {
            text: text.to_string(),
            found: Vec::new(),
        };
    }
    let mut out = Cow::Borrowed(text);
    let mut found = Vec::new();
    for (i, (rule, re)) in compiled.rules.iter().enumerate() {
        if !hits.matched(i) {
            continue;
        }
        let mut masked_any = false;
        let next = re.replace_all(&out, |c: &Captures| {
            let whole = c.get(0).map_or("", |m| m.as_str());
            let keep = c.get(1).map_or("", |m| m.as_str());
            // Already masked by an earlier rule (a token after `token=`): leave it.
            if whole[keep.len()..].contains(MASK) {
                return whole.to_string();
            }
            masked_any = true;
            match rule.mask {
                Mask::Whole(with) => with.to_string(),
                Mask::KeepFirst if rule.kind == "url-credentials" => format!("{keep}{MASK}@"),
                Mask::KeepFirst => format!("{keep}{MASK}"),
            }
        });
        if masked_any {
            out = Cow::Owned(next.into_owned());
            found.push(rule.kind);
        }
    }
    Redacted {
        text: out.into_owned(),
        found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(text: &str) -> (String, Vec<&'static str>) {
        let r = redact(text);
        (r.text, r.found)
    }

    #[test]
    fn tokens_are_masked_keeping_their_prefix() {
        let gh = format!("pushed with ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
        assert_eq!(
            masked(&gh),
            ("pushed with ghp_••••".into(), vec!["github-token"])
        );
        let (t, f) = masked("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz");
        assert_eq!((t.as_str(), f), ("github_pat_••••", vec!["github-token"]));
        assert_eq!(masked("glpat-abcdefghij0123456789").1, vec!["gitlab-token"]);
        assert_eq!(
            masked("key AKIAIOSFODNN7EXAMPLE here").0,
            "key AKIA•••• here"
        );
        assert_eq!(
            masked("xoxb-123456789012-abcdefghij").1,
            vec!["slack-token"]
        );
    }

    #[test]
    fn jwt_bearer_and_url_credentials() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(masked(&format!("token {jwt}")).0, "token ••••");
        assert_eq!(
            masked("Authorization: Bearer abc.def-ghi_jkl").0,
            "Authorization: Bearer ••••"
        );
        assert_eq!(
            masked("git clone https://alex:s3cr3t@git.example.org/ops.git"),
            (
                "git clone https://alex:••••@git.example.org/ops.git".into(),
                vec!["url-credentials"]
            )
        );
    }

    #[test]
    fn key_value_secrets() {
        assert_eq!(
            masked("DB_PASSWORD=hunter2 restarted").0,
            "DB_PASSWORD=•••• restarted"
        );
        assert_eq!(masked("passwd: hunter2").0, "passwd: ••••");
        assert_eq!(
            masked(r#"{"api_key": "abc123"}"#).0,
            r#"{"api_key": "••••"}"#
        );
        assert_eq!(masked("--secret=xyz --other").0, "--secret=•••• --other");
        let (t, f) = masked("token=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
        assert_eq!(t, "token=ghp_••••");
        assert_eq!(f, vec!["github-token"]);
    }

    #[test]
    fn pem_blocks_even_unterminated() {
        let pem = "see\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----\nok";
        let (t, f) = masked(pem);
        assert_eq!(
            t,
            "see\n-----BEGIN PRIVATE KEY----- •••• -----END PRIVATE KEY-----\nok"
        );
        assert_eq!(f, vec!["private-key"]);
        assert!(!masked("-----BEGIN RSA PRIVATE KEY-----\nMIIEow")
            .0
            .contains("MIIEow"));
    }

    #[test]
    fn ordinary_prose_is_left_alone() {
        for prose in [
            "author: alex",
            "reset the token yesterday afternoon",
            "basic troubleshooting done",
            "see https://wiki.example.org/runbooks/api",
            "ssh deploy@web1.prod",
        ] {
            assert!(redact(prose).is_clean(), "{prose}");
        }
    }

    #[test]
    fn clean_text_is_untouched_and_redaction_is_idempotent() {
        for clean in [
            "restarted php-fpm on web1",
            "disk /srv 91%, full in 3d",
            "née, 東京",
        ] {
            assert_eq!(masked(clean), (clean.to_string(), vec![]));
        }
        let once = redact("DB_PASSWORD=x https://u:p@h/ Bearer abcdefghijk").text;
        assert_eq!(redact(&once).text, once);
        assert!(redact(&once).is_clean());
    }
}
