//! The redactor against a corpus of fake secrets in the contexts they leak from (env files,
//! YAML, JSON, nginx conf, log lines, shell history, curl commands) and of near misses that
//! must come through unchanged. Each text is redacted whole (as a note is) and line by line
//! (as a log tail delivers it); both must hide every secret.
//!
//! Fixture format (tests/fixtures/redact/): `%%` lines are comments, `%% kind: NAME` names
//! the format of the cases after it; every other line is one case, or `<<<` … `>>>` is one
//! case over several lines. In secrets.txt, `⟦…⟧` marks what must vanish.

use std::collections::BTreeSet;

use sheriff::redact::{redact, Lines};

struct Case {
    kind: String,
    /// The input, markers removed.
    text: String,
    /// The marked secrets.
    secrets: Vec<String>,
    /// The text around the secrets, in order: it must survive.
    kept: Vec<String>,
}

fn parse(fixture: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut kind = String::new();
    let mut block: Option<Vec<&str>> = None;
    for line in fixture.lines() {
        if let Some(lines) = block.as_mut() {
            if line == ">>>" {
                cases.push(case(&kind, &lines.join("\n")));
                block = None;
            } else {
                lines.push(line);
            }
            continue;
        }
        if let Some(comment) = line.strip_prefix("%%") {
            if let Some(k) = comment.trim().strip_prefix("kind:") {
                kind = k.trim().to_string();
            }
        } else if line == "<<<" {
            block = Some(Vec::new());
        } else if !line.is_empty() {
            cases.push(case(&kind, line));
        }
    }
    assert!(block.is_none(), "a <<< block is not closed");
    cases
}

fn case(kind: &str, marked: &str) -> Case {
    let (mut text, mut secrets, mut kept) = (String::new(), Vec::new(), Vec::new());
    let mut rest = marked;
    while let Some(open) = rest.find('⟦') {
        let close = rest[open..].find('⟧').expect("a ⟦ is closed") + open;
        kept.push(rest[..open].to_string());
        text.push_str(&rest[..open]);
        let secret = &rest[open + '⟦'.len_utf8()..close];
        text.push_str(secret);
        secrets.push(secret.to_string());
        rest = &rest[close + '⟧'.len_utf8()..];
    }
    kept.push(rest.to_string());
    text.push_str(rest);
    Case {
        kind: kind.to_string(),
        text,
        secrets,
        kept,
    }
}

fn line_by_line(text: &str) -> String {
    let mut lines = Lines::default();
    let out: Vec<String> = text
        .split('\n')
        .map(|l| lines.redact(l).into_owned())
        .collect();
    out.join("\n")
}

/// The pieces of a secret that must not survive: the whole of a short one, every 8
/// characters of a longer one; a PEM block's marker lines name the kind of key, not the key.
fn pieces(secret: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in secret.split("\\n").flat_map(|p| p.split('\n')) {
        if part.starts_with("-----") || part.is_empty() {
            continue;
        }
        let chars: Vec<char> = part.chars().collect();
        if chars.len() <= 8 {
            out.push(part.to_string());
        } else {
            out.extend(chars.windows(8).map(|w| w.iter().collect::<String>()));
        }
    }
    out
}

/// What is wrong with `out` as the redaction of `case`, if anything.
fn leaks(case: &Case, out: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for secret in &case.secrets {
        if let Some(piece) = pieces(secret).into_iter().find(|p| out.contains(p)) {
            problems.push(format!("`{piece}` of `{secret}` survived"));
        }
    }
    let mut at = 0;
    for kept in &case.kept {
        match out[at..].find(kept.as_str()) {
            Some(i) => at += i + kept.len(),
            None => problems.push(format!("the context `{kept}` was lost")),
        }
    }
    problems
}

#[test]
fn every_fake_secret_is_masked_and_its_context_kept() {
    let cases = parse(include_str!("fixtures/redact/secrets.txt"));
    let secrets: usize = cases.iter().map(|c| c.secrets.len()).sum();
    let kinds: BTreeSet<&str> = cases.iter().map(|c| c.kind.as_str()).collect();
    assert!(secrets >= 150, "only {secrets} secrets in the corpus");
    assert!(kinds.len() >= 15, "only {} formats: {kinds:?}", kinds.len());
    let mut failures = Vec::new();
    for case in &cases {
        assert!(!case.secrets.is_empty(), "a case without ⟦⟧: {}", case.text);
        let whole = redact(&case.text);
        for (how, out) in [
            ("whole", whole.text.clone()),
            ("by line", line_by_line(&case.text)),
        ] {
            for problem in leaks(case, &out) {
                failures.push(format!(
                    "[{}] {how}: {problem}\n  in:  {}\n  out: {out}",
                    case.kind, case.text
                ));
            }
        }
        if whole.is_clean() {
            failures.push(format!(
                "[{}] no kind reported for {}",
                case.kind, case.text
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn near_misses_come_through_unchanged() {
    let cases = parse(include_str!("fixtures/redact/negatives.txt"));
    assert!(cases.len() >= 50, "only {} near misses", cases.len());
    let mut altered = Vec::new();
    for case in &cases {
        let whole = redact(&case.text);
        let lines = line_by_line(&case.text);
        if whole.text != case.text || lines != case.text || !whole.is_clean() {
            altered.push(format!("  in:  {}\n  out: {}", case.text, whole.text));
        }
    }
    assert!(
        altered.is_empty(),
        "{} altered:\n{}",
        altered.len(),
        altered.join("\n")
    );
}

#[test]
fn the_leaks_a_new_user_found_are_closed() {
    let aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let note = redact(&format!(
        "rotated creds; the secret is {aws} until tomorrow"
    ));
    assert_eq!(
        note.text,
        "rotated creds; the secret is •••• until tomorrow"
    );

    let token = "ghp_R7bXq2Lm9TzVw4Ke8NjHa5Ys1Pc6Ud3Fo0Gi";
    let mut tail = Lines::default();
    let line = format!("2026-12-01T10:00:00Z api: DEBUG Authorization: Bearer {token}");
    assert_eq!(
        tail.redact(&line),
        "2026-12-01T10:00:00Z api: DEBUG Authorization: Bearer ghp_••••"
    );
    let line = "2026-12-01T10:00:01Z api: ERROR https://user:pass@db.example.org/x unreachable";
    assert_eq!(
        tail.redact(line),
        "2026-12-01T10:00:01Z api: ERROR https://user:••••@db.example.org/x unreachable"
    );
}
