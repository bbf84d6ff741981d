//! Secrets with a shape of their own: provider tokens by their documented prefix (the
//! patterns follow gitleaks' rules), JWTs, PEM private keys, and the places a credential
//! sits by protocol: `Authorization` headers, cookies, `user:password@` in URLs and the
//! password flags of curl, mysql, sshpass and redis-cli.

use std::sync::LazyLock;

use regex::Regex;

use super::shape::{is_placeholder, looks_like_token};
use super::{Rule, Span, PEM_MASK};

/// A provider token: its kind, and a pattern whose group 1 (the prefix, kept so the reader
/// knows what was there) is followed by the secret part. `(?-u:\b)` is an ASCII word
/// boundary: the Unicode one would push the regex engine off its fast path on non-ASCII
/// text, and every token alphabet here is ASCII.
const PROVIDERS: &[(&str, &str)] = &[
    (
        "github-token",
        r"(?-u:\b)(gh[pousr]_)[A-Za-z0-9_]{30,251}(?-u:\b)",
    ),
    ("github-token", r"(?-u:\b)(github_pat_)[A-Za-z0-9_]{22,255}"),
    (
        "gitlab-token",
        r"(?-u:\b)(glpat-|gldt-|glrt-|glptt-)[A-Za-z0-9_\-]{20,}",
    ),
    (
        "slack-webhook",
        r"(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9_/+\-]{20,}",
    ),
    (
        "slack-token",
        r"(?-u:\b)(xox[abpors]-)(?:[0-9]+-)+[A-Za-z0-9\-]{6,}",
    ),
    (
        "slack-token",
        r"(?-u:\b)(xoxe\.xox[bp]-|xoxe-)[0-9]-[A-Za-z0-9]{40,}",
    ),
    (
        "slack-token",
        r"(?-u:\b)(xapp-)[0-9]-[A-Za-z0-9]+-[0-9]+-[A-Za-z0-9]+",
    ),
    (
        "aws-access-key",
        r"(?-u:\b)(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?-u:\b)",
    ),
    (
        "stripe-key",
        r"(?-u:\b)((?:sk|rk)_(?:live|test)_)[A-Za-z0-9]{16,247}",
    ),
    ("stripe-key", r"(?-u:\b)(whsec_)[A-Za-z0-9]{24,}"),
    (
        "google-api-key",
        r"(?-u:\b)(AIza)[A-Za-z0-9_\-]{35}(?-u:\b)",
    ),
    ("google-token", r"(?-u:\b)(ya29\.)[A-Za-z0-9_\-]{20,}"),
    ("google-token", r"(?-u:\b)(GOCSPX-)[A-Za-z0-9_\-]{24,}"),
    ("npm-token", r"(?-u:\b)(npm_)[A-Za-z0-9]{36}(?-u:\b)"),
    ("pypi-token", r"(?-u:\b)(pypi-)AgE[A-Za-z0-9_\-]{50,}"),
    (
        "jwt",
        r"(?-u:\b)()eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
    ),
];

static PROVIDER_RES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    PROVIDERS
        .iter()
        // The patterns are constants tested in this module; a failure is a bug here.
        .map(|(kind, re)| (*kind, Regex::new(re).expect("provider pattern compiles")))
        .collect()
});

/// Compiles one of this module's constant patterns.
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("redact pattern compiles")
}

pub fn provider_tokens(text: &str, out: &mut Vec<Span>) {
    for (kind, re) in PROVIDER_RES.iter() {
        for c in re.captures_iter(text) {
            let (Some(whole), Some(prefix)) = (c.get(0), c.get(1)) else {
                continue;
            };
            out.push(Span::new(Rule::Tokens, kind, prefix.end()..whole.end()));
        }
    }
}

/// A whole `-----BEGIN … PRIVATE KEY-----` block, or from its start to the end of the
/// text when the end marker has not arrived (a key cut short is still a key).
pub fn private_keys(text: &str, out: &mut Vec<Span>) {
    static PEM: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
        )
    });
    for m in PEM.find_iter(text) {
        let mut span = Span::new(Rule::PrivateKey, "private-key", m.range());
        span.with = PEM_MASK;
        out.push(span);
    }
}

/// `Authorization: Bearer x`, `Authorization: Basic x`, `"authorization": "token x"`, and a
/// bare `Bearer x` that looks like a token.
pub fn auth_headers(text: &str, out: &mut Vec<Span>) {
    static HEADER: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"(?i)authorization["']?[ \t]*[:=][ \t]*["']?(?:(?:bearer|basic|token|bot|digest|apikey|api-key|sso-key|negotiate|ntlm)[ \t]+)?([^\s"',;]+)"#,
        )
    });
    static BEARER: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?i)(?-u:\b)bearer[ \t]+([A-Za-z0-9._~+/=\-]{8,})"));
    for c in HEADER.captures_iter(text) {
        if let Some(v) = c.get(1).filter(|v| !is_placeholder(v.as_str())) {
            out.push(Span::new(Rule::AuthHeader, "bearer-token", v.range()));
        }
    }
    for c in BEARER.captures_iter(text) {
        if let Some(v) = c.get(1).filter(|v| looks_like_token(v.as_str())) {
            out.push(Span::new(Rule::AuthHeader, "bearer-token", v.range()));
        }
    }
}

/// The password in `scheme://user:password@host` (DSNs, git remotes, proxies).
pub fn url_passwords(text: &str, out: &mut Vec<Span>) {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&bytes[from..], b"://") {
        let sep = from + found;
        from = sep + 3;
        // A scheme: letters, then letters, digits, `+.-` (`mongodb+srv`, `git+ssh`).
        let scheme_start = bytes[..sep]
            .iter()
            .rposition(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-')))
            .map_or(0, |i| i + 1);
        if scheme_start == sep || !bytes[scheme_start].is_ascii_alphabetic() {
            continue;
        }
        let start = sep + 3;
        let end = bytes[start..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || b"/?#\"'<>`".contains(c))
            .map_or(bytes.len(), |i| start + i);
        let authority = &bytes[start..end];
        let Some(at) = authority.iter().rposition(|&c| c == b'@') else {
            continue;
        };
        let Some(colon) = authority[..at].iter().position(|&c| c == b':') else {
            continue;
        };
        let value = start + colon + 1..start + at;
        if !is_placeholder(&text[value.clone()]) {
            out.push(Span::new(Rule::UrlPassword, "url-credentials", value));
        }
        from = end.max(from);
    }
}

/// Each value of `Cookie: a=1; b=2`, and the cookie's value in `Set-Cookie: s=1; Path=/`
/// (the attributes after it are not secret).
pub fn cookies(text: &str, out: &mut Vec<Span>) {
    static COOKIE: LazyLock<Regex> =
        LazyLock::new(|| re(r#"(?i)(?-u:\b)(set-)?cookie["']?[ \t]*[:=][ \t]*["']?"#));
    for c in COOKIE.captures_iter(text) {
        let Some(whole) = c.get(0) else { continue };
        let only_first = c.get(1).is_some();
        let mut at = whole.end();
        let bytes = text.as_bytes();
        loop {
            let end = bytes[at..]
                .iter()
                .position(|&b| matches!(b, b';' | b'"' | b'\'' | b'\n' | b'\r'))
                .map_or(bytes.len(), |i| at + i);
            let pair = &text[at..end];
            if let Some(eq) = pair.find('=') {
                let value = at + eq + 1..end;
                let shown = text[value.clone()].trim();
                // `theme=dark`, `lang=en-US`: a preference, not a session.
                let word = shown.len() <= 12
                    && shown.bytes().all(|c| c.is_ascii_alphabetic() || c == b'-');
                if !shown.is_empty() && !is_placeholder(shown) && !word {
                    let mut span = Span::new(Rule::Cookie, "cookie", value);
                    span.key = Some(at..at + eq);
                    out.push(span);
                }
            }
            if only_first || end >= bytes.len() || bytes[end] != b';' {
                break;
            }
            at = end + 1;
            while at < bytes.len() && bytes[at] == b' ' {
                at += 1;
            }
        }
    }
}

/// `curl -u user:password`, `--user 'u:p'`, `mysql -pSECRET`, `mysql -p'x'`,
/// `sshpass -p x`, `redis-cli -a x`, `htpasswd -b FILE USER x`.
pub fn cli_passwords(text: &str, out: &mut Vec<Span>) {
    static CURL_USER: LazyLock<Regex> = LazyLock::new(|| {
        re(r#"(?:^|\s)(?:-u|--user|--proxy-user)(?:=|[ \t]*)["']?([^\s:"']*):([^\s"']+)"#)
    });
    static QUOTED_P: LazyLock<Regex> = LazyLock::new(|| re(r#"\s-p(?:'([^'\n]+)'|"([^"\n]+)")"#));
    // A value as a shell passes it: quoted, or up to the next space.
    const ARG: &str = r#"(?:'([^'\n]+)'|"([^"\n]+)"|([^\s'"-]\S*))"#;
    static TOOL_P: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        [
            r"(?-u:\b)(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)(?-u:\b)[^|;&\n]*?\s-p",
            r"(?-u:\b)sshpass[ \t]+-p[ \t]*",
            r"(?-u:\b)redis-cli(?-u:\b)[^|;&\n]*?\s-a[ \t]+",
            r"(?-u:\b)htpasswd[ \t]+-[A-Za-z]*b[A-Za-z]*[ \t]+\S+[ \t]+\S+[ \t]+",
        ]
        .iter()
        .map(|tool| re(&format!("{tool}{ARG}")))
        .collect()
    });
    for c in CURL_USER.captures_iter(text) {
        let (Some(user), Some(pass)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        // `docker run -u 1000:1000` is a uid and gid.
        if numeric(user.as_str()) && numeric(pass.as_str()) || is_placeholder(pass.as_str()) {
            continue;
        }
        out.push(Span::new(Rule::CliPassword, "basic-auth", pass.range()));
    }
    for re in std::iter::once(&*QUOTED_P).chain(TOOL_P.iter()) {
        for c in re.captures_iter(text) {
            if let Some(v) = c.iter().skip(1).flatten().next() {
                if !is_placeholder(v.as_str()) {
                    out.push(Span::new(Rule::CliPassword, "password", v.range()));
                }
            }
        }
    }
}
