//! `[[check]]`: one kind key per check, the keys each kind takes, and the keys every check
//! takes (conditions, scheduling, damping, forecast, owner and tier).
//!
//! Like the other sections, a check is built even when part of it is wrong, so one run
//! reports every problem in the file.

use std::ops::Range;
use std::sync::LazyLock;
use std::time::Duration;

use toml::de::DeTable;
use toml::Spanned;

use super::diagnostic::did_you_mean;
use super::duration::format_duration;
use super::fields::{Fields, Problems};
use super::model::{CheckKind, CheckSpec, Tier};
use super::sections::Located;
use crate::checks::condition::Condition;

const COMMON_KEYS: &[&str] = &[
    "name",
    "envs",
    "on",
    "every",
    "timeout",
    "expect",
    "expect_warn",
    "fail_after",
    "recover_after",
    "forecast",
    "forecast_window",
    "owner",
    "tier",
];

/// Keys that belong to some kinds only, and which.
const KIND_KEYS: &[(&str, &[&str])] = &[
    ("method", &["http"]),
    ("headers", &["http"]),
    ("body", &["http"]),
    ("insecure", &["http"]),
    ("ca", &["http"]),
    ("follow_redirects", &["http"]),
    ("send", &["tcp"]),
    ("banner", &["tcp"]),
    ("warn", &["disk", "load", "memory", "io"]),
    ("crit", &["disk", "load", "memory", "io"]),
    ("min", &["process"]),
    ("max", &["process"]),
    ("plugin", &["munin"]),
    ("query", &["prometheus"]),
    ("severity_map", &["alertmanager"]),
];

/// Every key a `[[check]]` takes, for "did you mean": the common ones, the kinds, and
/// the keys of kinds.
static ALL_KEYS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    COMMON_KEYS
        .iter()
        .chain(CheckKind::NAMES.iter())
        .chain(KIND_KEYS.iter().map(|(k, _)| k))
        .copied()
        .collect()
});

pub(crate) fn check(
    table: &DeTable<'_>,
    header: Range<usize>,
    problems: &mut Problems,
) -> Located<CheckSpec> {
    let all_keys: &'static [&'static str] = ALL_KEYS.as_slice();
    let mut f = Fields::new(table, "[[check]]", all_keys, problems);
    // A mistyped kind ("htp") gets its own message, and stands in for the missing kind.
    let kind_typo = |key: &str| {
        did_you_mean(key, ALL_KEYS.iter().copied()).filter(|k| CheckKind::NAMES.contains(k))
    };
    let has_kind_typo = f
        .unknown_keys()
        .iter()
        .any(|k| kind_typo(k.get_ref()).is_some());
    f.report_unknown_with(|key| {
        kind_typo(key)
            .map(|kind| format!("unknown check kind \"{key}\" (did you mean \"{kind}\"?)"))
    });

    let name = super::items::required_name(&mut f, "check", header.clone());
    let target = super::items::target(&mut f);

    let mut kinds: Vec<(&'static str, Range<usize>)> = CheckKind::NAMES
        .iter()
        .filter_map(|k| f.key_span(k).map(|span| (*k, span)))
        .collect();
    kinds.sort_by_key(|(_, span)| span.start);
    if let [(first, _), (second, span), ..] = kinds.as_slice() {
        let message = format!(
            "check \"{}\" has two kinds, {first} and {second}: keep one, or split it into two \
             [[check]] sections",
            name.get_ref()
        );
        f.problems.at(span.clone(), message);
    } else if kinds.is_empty() && !has_kind_typo {
        let message = format!(
            "check \"{}\" has no kind: add one of http = \"URL\", tcp = \"HOST:PORT\", \
             nagios = \"PLUGIN ARGS\", command = \"COMMAND\", disk = \"PATH\", load = 5, \
             memory = true, io = \"DEVICE\", process = \"NAME\", systemd = \"UNIT\", \
             munin = \"HOST:4949\", prometheus = \"URL\" or alertmanager = \"URL\"",
            name.get_ref()
        );
        f.problems.at(header.clone(), message);
    }
    let kind_name = kinds.first().map(|(k, _)| *k);
    if let Some(kind) = kind_name {
        for (key, applies_to) in KIND_KEYS {
            if let Some(span) = f.key_span(key) {
                if !applies_to.contains(&kind) {
                    let message = format!(
                        "{key} only applies to {} checks, not {kind}: remove it",
                        applies_to.join(" and ")
                    );
                    f.problems.at(span, message);
                }
            }
        }
    }

    let kind = match kind_name {
        Some(kind) => super::check_kinds::kind_spec(&mut f, kind, header.clone()),
        None => CheckKind::Command {
            command: String::new(),
        },
    };
    let mut spec = CheckSpec::new(name.get_ref(), target.0, kind);
    spec.every = positive_duration(&mut f, "every", spec.every);
    spec.timeout = positive_duration(&mut f, "timeout", spec.timeout);
    spec.expect = conditions(&mut f, "expect");
    spec.expect_warn = conditions(&mut f, "expect_warn");
    spec.fail_after = count(&mut f, "fail_after", 1);
    spec.recover_after = count(&mut f, "recover_after", 1);
    spec.forecast = f.duration("forecast").map(Spanned::into_inner);
    spec.forecast_window = positive_duration(&mut f, "forecast_window", spec.forecast_window);
    if let (Some(span), None) = (f.key_span("forecast_window"), spec.forecast) {
        let message = "forecast_window without forecast does nothing: add forecast = \"3d\", \
                       the horizon to warn within";
        f.problems.at(span, message);
    }
    spec.owner = f.string("owner").map(Spanned::into_inner);
    if let Some(tier) = f.string("tier") {
        match Tier::parse(tier.get_ref()) {
            Some(t) => spec.tier = t,
            None => {
                let message = format!(
                    "tier must be one of {}; found \"{}\"",
                    Tier::NAMES.join(", "),
                    tier.get_ref()
                );
                f.problems.at(tier.span(), message);
            }
        }
    }
    let mut located = Located::new(spec, name.span());
    (located.refs, located.on) = (target.1, target.2);
    located
}

/// `expect = [...]`, each condition parsed now so a mistake is reported at its column.
fn conditions(f: &mut Fields<'_, '_>, key: &str) -> Vec<Condition> {
    let mut out = Vec::new();
    for text in f.strings(key).unwrap_or_default() {
        match Condition::parse(text.get_ref()) {
            Ok(condition) => out.push(condition),
            Err(err) => {
                // The column counts characters of the condition; the span starts at the
                // opening quote.
                let offset: usize = text
                    .get_ref()
                    .chars()
                    .take(err.column.saturating_sub(1))
                    .map(char::len_utf8)
                    .sum();
                let at = text.span().start + 1 + offset;
                let mut message = format!("in {key} '{}': {}", text.get_ref(), err.message);
                if let Some(hint) = &err.hint {
                    message.push_str(&format!(" ({hint})"));
                }
                f.problems.at(at..at + 1, message);
            }
        }
    }
    out
}

fn count(f: &mut Fields<'_, '_>, key: &str, default: u32) -> u32 {
    match f.integer(key) {
        Some(n) if (1..=100).contains(n.get_ref()) => *n.get_ref() as u32,
        Some(n) => {
            let message = format!("{key} counts results in a row: a number from 1 to 100");
            f.problems.at(n.span(), message);
            default
        }
        None => default,
    }
}

fn positive_duration(f: &mut Fields<'_, '_>, key: &str, default: Duration) -> Duration {
    match f.duration(key) {
        Some(d) if d.get_ref().is_zero() => {
            f.problems.at(
                d.span(),
                format!(
                    "{key} must be more than 0s, e.g. \"{}\"",
                    format_duration(default)
                ),
            );
            default
        }
        Some(d) => d.into_inner(),
        None => default,
    }
}
