//! One secret redactor used by logs, check output, drift, notes, crash reports and bug
//! bodies: the one place that decides what is secret.
//!
//! [`redact`] masks what looks like a credential, keeps the text around it, and says which
//! kinds it found, so the caller can tell the user ("a GitHub token was masked"). The
//! formats are the ones public secret scanners (gitleaks, detect-secrets, trufflehog) look
//! for: provider tokens by their prefix, JWTs, PEM private keys, URLs with a password,
//! `Authorization`/`Cookie` headers, `password=`-style assignments in env, INI, YAML, JSON,
//! nginx and CLI flags, and random-looking values right after a word like "secret".
//!
//! It errs on the side of masking where a value is assigned (`password: rotated` loses the
//! word "rotated", cheaper than a live password in a shared git repository), and on the side
//! of leaving prose alone where a key word is only mentioned ("password reset link sent").
//!
//! Speed: every log line goes through it. A line first meets one scan of a dense DFA
//! (case-insensitive) for the literals every rule needs (`ghp_`, `://`, `token`, …); a line
//! with none of them — most lines — costs that one scan and no allocation. Only the rules
//! whose literals were seen then run. Log lines arrive one at a time, so a private key
//! logged line by line is followed across lines by [`Lines`].
//!
//! ```
//! let r = sheriff::redact::redact("curl -H 'Authorization: Bearer abcdef0123456789'");
//! assert_eq!(r.text, "curl -H 'Authorization: Bearer ••••'");
//! assert_eq!(r.found, vec!["bearer-token"]);
//! ```

mod assign;
mod lines;
mod shape;
mod tokens;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

pub use lines::Lines;

/// What replaces a secret. Never valid in any token alphabet, so redacting twice is a no-op.
pub const MASK: &str = "••••";

/// What a whole PEM private key block becomes when it arrives in one piece.
const PEM_MASK: &str = "-----BEGIN PRIVATE KEY----- •••• -----END PRIVATE KEY-----";

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

/// One secret found in a text: its kind, the name it was assigned to (`DB_PASSWORD` in
/// `DB_PASSWORD=x`, a cookie's name; none for a token known by its shape or a URL's
/// password) and the value itself, so a caller can compare or hash values without deciding
/// on its own what is secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret<'a> {
    pub kind: &'static str,
    pub key: Option<&'a str>,
    pub value: &'a str,
}

/// A stretch of text to mask, as a rule found it. `value` is what is replaced, by `with`.
#[derive(Debug, Clone)]
struct Span {
    /// The rule's place in [`Rule`]: lower wins where two spans overlap.
    rule: Rule,
    kind: &'static str,
    key: Option<Range<usize>>,
    value: Range<usize>,
    with: &'static str,
}

impl Span {
    fn new(rule: Rule, kind: &'static str, value: Range<usize>) -> Span {
        Span {
            rule,
            kind,
            key: None,
            value,
            with: MASK,
        }
    }
}

/// The rule families, in priority order: a provider token inside `token=ghp_…` is masked
/// by its own rule (keeping `ghp_`), and the assignment rule, seeing the overlap, stands back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rule {
    PrivateKey,
    Tokens,
    AuthHeader,
    UrlPassword,
    Cookie,
    CliPassword,
    Assignment,
}

/// A set of [`Rule`]s, one bit each.
type Rules = u8;

const fn bit(rule: Rule) -> Rules {
    1 << rule as u8
}

const TOKENS: Rules = bit(Rule::Tokens);
const CLI: Rules = bit(Rule::CliPassword);

/// Literals at least one of which a line must contain for a rule to run, and the rules
/// they start. Matched without regard to ASCII case, leftmost first without overlaps, so a
/// literal inside another (`auth` in `authorization`) starts the rules of both. The rules
/// themselves are as strict as the format.
const TRIGGERS: &[(&str, Rules)] = &[
    ("ghp_", TOKENS),
    ("gho_", TOKENS),
    ("ghu_", TOKENS),
    ("ghs_", TOKENS),
    ("ghr_", TOKENS),
    ("github_pat_", TOKENS),
    ("glpat-", TOKENS),
    ("gldt-", TOKENS),
    ("glrt-", TOKENS),
    ("glptt-", TOKENS),
    ("hooks.slack.com/", TOKENS),
    ("xox", TOKENS),
    ("xapp-", TOKENS),
    ("AKIA", TOKENS),
    ("ASIA", TOKENS),
    ("ABIA", TOKENS),
    ("ACCA", TOKENS),
    ("A3T", TOKENS),
    ("k_live_", TOKENS),
    ("k_test_", TOKENS),
    ("whsec_", TOKENS),
    ("AIza", TOKENS),
    ("ya29.", TOKENS),
    ("GOCSPX-", TOKENS),
    ("npm_", TOKENS),
    ("pypi-AgE", TOKENS),
    ("eyJ", TOKENS),
    ("bearer", bit(Rule::AuthHeader)),
    ("://", bit(Rule::UrlPassword)),
    ("cookie", bit(Rule::Cookie)),
    ("--user", CLI),
    ("-u", CLI),
    ("mysql", CLI),
    ("mariadb", CLI),
    ("redis-cli", CLI),
    (" -p", CLI),
    // `sshpass`, `htpasswd` and `--password` all hold `pass`.
    ("pass", bit(Rule::Assignment) | CLI),
    ("pwd", bit(Rule::Assignment)),
    ("secret", bit(Rule::Assignment)),
    ("token", bit(Rule::Assignment)),
    ("key", bit(Rule::Assignment) | bit(Rule::PrivateKey)),
    ("auth", bit(Rule::Assignment) | bit(Rule::AuthHeader)),
    ("credential", bit(Rule::Assignment)),
];

/// The triggers compiled into one dense DFA: its search loop scans a clean line (the hot
/// path) much faster than a case-insensitive Aho-Corasick DFA. Leftmost first, in list
/// order, as `aho_corasick::MatchKind::LeftmostFirst` would; each literal has a fixed
/// length, so a match's start is its end minus that length.
static PREFILTER: LazyLock<regex_automata::dfa::dense::DFA<Vec<u32>>> = LazyLock::new(|| {
    let patterns: Vec<String> = TRIGGERS
        .iter()
        .map(|(literal, _)| regex::escape(literal))
        .collect();
    regex_automata::dfa::dense::Builder::new()
        .syntax(
            regex_automata::util::syntax::Config::new()
                .case_insensitive(true)
                .unicode(false)
                .utf8(false),
        )
        .configure(regex_automata::dfa::dense::Config::new().minimize(false))
        .build_many(&patterns)
        // The literals are constants tested below; a failure here is a bug in this file.
        .expect("redact triggers build")
});

/// Builds the redactor's tables now (about 30 ms of CPU, once), so the first log line does
/// not wait for them; the TUI calls it on a blocking thread at startup.
pub fn warm_up() {
    LazyLock::force(&PREFILTER);
}

/// Which rules can match in `text` (none: the common, cheap case), and where the key words
/// the assignment rule starts from are.
fn rules_for(text: &str) -> (Rules, Vec<usize>) {
    use regex_automata::dfa::Automaton;
    let mut wanted = 0;
    let mut keys = Vec::new();
    let mut input = regex_automata::Input::new(text);
    while let Ok(Some(m)) = PREFILTER.try_search_fwd(&input) {
        let (literal, rules) = TRIGGERS[m.pattern().as_usize()];
        wanted |= rules;
        if rules & bit(Rule::Assignment) != 0 {
            keys.push(m.offset() - literal.len());
        }
        if m.offset() >= text.len() {
            break;
        }
        input.set_start(m.offset());
    }
    (wanted, keys)
}

/// Every secret span in `text`, overlaps resolved (the higher-priority rule wins), sorted
/// by position.
fn spans(text: &str) -> Vec<Span> {
    let (wanted, keys) = rules_for(text);
    if wanted == 0 {
        return Vec::new();
    }
    let mut found = Vec::new();
    let on = |rule: Rule| wanted & bit(rule) != 0;
    if on(Rule::PrivateKey) {
        tokens::private_keys(text, &mut found);
    }
    if on(Rule::Tokens) {
        tokens::provider_tokens(text, &mut found);
    }
    if on(Rule::AuthHeader) {
        tokens::auth_headers(text, &mut found);
    }
    if on(Rule::UrlPassword) {
        tokens::url_passwords(text, &mut found);
    }
    if on(Rule::Cookie) {
        tokens::cookies(text, &mut found);
    }
    if on(Rule::CliPassword) {
        tokens::cli_passwords(text, &mut found);
    }
    if on(Rule::Assignment) {
        assign::assignments(text, &keys, &mut found);
    }
    found.sort_by_key(|s| (s.rule, s.value.start));
    let mut kept: Vec<Span> = Vec::with_capacity(found.len());
    for span in found {
        let overlaps = kept
            .iter()
            .any(|k| span.value.start < k.value.end && k.value.start < span.value.end);
        if !overlaps && !span.value.is_empty() {
            kept.push(span);
        }
    }
    kept.sort_by_key(|s| s.value.start);
    kept
}

/// `text` with every span replaced.
fn apply(text: &str, spans: &[Span]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in spans {
        out.push_str(&text[at..span.value.start]);
        out.push_str(span.with);
        at = span.value.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Mask every secret-looking value in `text`.
pub fn redact(text: &str) -> Redacted {
    let spans = spans(text);
    let mut found: Vec<(Rule, &'static str)> = Vec::new();
    for span in &spans {
        if !found.iter().any(|(_, kind)| *kind == span.kind) {
            found.push((span.rule, span.kind));
        }
    }
    found.sort_by_key(|(rule, _)| *rule);
    Redacted {
        text: apply(text, &spans),
        found: found.into_iter().map(|(_, kind)| kind).collect(),
    }
}

/// [`redact`] for the hot path: no kinds, and no copy when nothing is secret.
pub fn mask(text: &str) -> Cow<'_, str> {
    let spans = spans(text);
    if spans.is_empty() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(apply(text, &spans))
    }
}

/// The secrets in `text`, in order, without masking anything.
pub fn secrets(text: &str) -> Vec<Secret<'_>> {
    spans(text)
        .into_iter()
        .map(|s| Secret {
            kind: s.kind,
            key: s.key.map(|k| &text[k]),
            value: &text[s.value],
        })
        .collect()
}

/// [`redact`], and then every one of `known` masked wherever it still appears: values a
/// caller found secret in one place (a changed line of a diff) stay hidden where they
/// reappear in a form no rule knows (a context line, an echo).
pub fn redact_with(text: &str, known: &[&str]) -> String {
    let mut out = mask(text).into_owned();
    for value in known {
        // Very short values would mask ordinary text; they are not worth hiding either.
        if value.len() >= 4 && !value.contains(MASK) {
            out = out.replace(value, MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests;
