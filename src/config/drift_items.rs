//! `[[drift]]`: what is compared between two environments (a file, a tree, a command's
//! output or a URL's body) and what does not count as drift.

use std::collections::BTreeMap;
use std::ops::Range;

use regex::Regex;
use toml::de::{DeTable, DeValue};

use super::fields::{Fields, Problems};
use super::items::{one_of, required_name};
use super::model::{DriftSource, DriftSpec};
use super::sections::Located;
use crate::drift::compare::{Format, Whitespace};

const KEYS: &[&str] = &[
    "name",
    "path",
    "command",
    "url",
    "between",
    "include",
    "exclude",
    "ignore",
    "replace",
    "whitespace",
    "ignore_blank_lines",
    "comments",
    "unordered",
    "format",
    "reference",
    "every",
    "timeout",
];

pub(crate) fn drift(
    table: &DeTable<'_>,
    header: Range<usize>,
    problems: &mut Problems,
) -> Located<DriftSpec> {
    let mut f = Fields::new(table, "[[drift]]", KEYS, problems);
    f.report_unknown();
    let name = required_name(&mut f, "drift", header.clone());
    let source = source(&mut f, name.get_ref(), &header);
    let refs = between(&mut f, name.get_ref(), &header);
    let include = globs(&mut f, "include");
    let exclude = globs(&mut f, "exclude");
    let ignore = regexes(&mut f, "ignore");
    let (replace, vars) = replace(&mut f);
    let whitespace = match f.string("whitespace") {
        None => Whitespace::Exact,
        Some(text) => match Whitespace::from_name(text.get_ref()) {
            Some(rule) => rule,
            None => {
                let message = format!(
                    "whitespace \"{}\" is not a rule: use \"exact\", \"trailing\" (spaces at line ends do not count), \"changes\" (runs of spaces equal any other) or \"all\"",
                    text.get_ref()
                );
                f.problems.at(text.span(), message);
                Whitespace::Exact
            }
        },
    };
    let format = f.string("format").and_then(|text| {
        let format = Format::from_name(text.get_ref());
        if format.is_none() {
            let message = format!(
                "format \"{}\" is not one drift reads: use \"json\", \"yaml\", \"toml\", \"ini\", \"env\" or \"text\" (leave it out to tell by the file's name)",
                text.get_ref()
            );
            f.problems.at(text.span(), message);
        }
        format
    });
    let comments = comments(&mut f);
    let pair = |i: usize| refs.get(i).map(|s| s.get_ref().clone()).unwrap_or_default();
    let spec = DriftSpec {
        name: name.get_ref().clone(),
        source,
        between: (pair(0), pair(1)),
        include,
        exclude,
        ignore,
        replace,
        whitespace,
        ignore_blank_lines: f.bool("ignore_blank_lines").unwrap_or(false),
        comments,
        unordered: f.bool("unordered").unwrap_or(false),
        format,
        reference: f
            .strings("reference")
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.into_inner())
            .collect(),
        every: f.duration("every").map(|d| d.into_inner()),
        timeout: f.duration("timeout").map(|d| d.into_inner()),
    };
    let mut located = Located::new(spec, name.span());
    located.refs = refs;
    located.vars = vars;
    located
}

/// Exactly one of `path`, `command` and `url`.
fn source(f: &mut Fields<'_, '_>, name: &str, header: &Range<usize>) -> DriftSource {
    let found = one_of(f, &["path", "command", "url"], header, |keys| {
        format!(
            "drift \"{name}\" has {keys}: a drift target compares one thing; keep one, or split it into several [[drift]] sections"
        )
    });
    match found {
        Some((_, value)) if value.get_ref().trim().is_empty() => {
            let message = format!("drift \"{name}\": an empty value compares nothing");
            f.problems.at(value.span(), message);
            DriftSource::Path(String::new())
        }
        Some(("path", value)) => DriftSource::Path(value.into_inner()),
        Some(("command", value)) => DriftSource::Command(value.into_inner()),
        Some((_, value)) => DriftSource::Url(value.into_inner()),
        None => {
            let message = format!(
                "drift \"{name}\" compares nothing: add path = \"/etc/nginx/\" (a directory ends in /), command = \"nginx -T\" or url = \"{{base}}/version\""
            );
            f.problems.at(header.clone(), message);
            DriftSource::Path(String::new())
        }
    }
}

/// `between = ["A", "B"]`: two different environments.
fn between(
    f: &mut Fields<'_, '_>,
    name: &str,
    header: &Range<usize>,
) -> Vec<toml::Spanned<String>> {
    match f.strings("between") {
        Some(envs) if envs.len() == 2 => {
            if envs[0].get_ref() == envs[1].get_ref() {
                let message = format!(
                    "between names \"{}\" twice: drift compares two different environments",
                    envs[1].get_ref()
                );
                f.problems.at(envs[1].span(), message);
            }
            envs
        }
        Some(envs) => {
            let at = f.get("between").map_or(header.clone(), |v| v.span());
            let message = format!(
                "between must name two environments, like between = [\"production\", \"staging\"]; found {}",
                envs.len()
            );
            f.problems.at(at, message);
            Vec::new()
        }
        None if f.get("between").is_none() => {
            let message = format!(
                "drift \"{name}\" needs between = [\"ENV\", \"ENV\"]: the two environments to compare"
            );
            f.problems.at(header.clone(), message);
            Vec::new()
        }
        None => Vec::new(),
    }
}

fn globs(f: &mut Fields<'_, '_>, key: &str) -> Vec<String> {
    let mut globs = Vec::new();
    for text in f.strings(key).unwrap_or_default() {
        match glob::Pattern::new(text.get_ref()) {
            Ok(_) => globs.push(text.into_inner()),
            Err(err) => {
                let message = format!("bad glob '{}' in {key}: {}", text.get_ref(), err.msg);
                f.problems.at(text.span(), message);
            }
        }
    }
    globs
}

fn regexes(f: &mut Fields<'_, '_>, key: &str) -> Vec<Regex> {
    let mut regexes = Vec::new();
    for pattern in f.strings(key).unwrap_or_default() {
        match Regex::new(pattern.get_ref()) {
            Ok(re) => regexes.push(re),
            Err(err) => {
                let message = format!(
                    "bad regex '{}' in {key}: {}",
                    pattern.get_ref(),
                    super::diagnostic::regex_reason(&err)
                );
                f.problems.at(pattern.span(), message);
            }
        }
    }
    regexes
}

/// `replace = ["domain"]`, or `{ "{domain}" = "domain" }` naming the placeholder too: the
/// placeholders by var name, and the vars (each env of the target must set them).
fn replace(f: &mut Fields<'_, '_>) -> (BTreeMap<String, String>, Vec<toml::Spanned<String>>) {
    let list = matches!(
        f.get("replace").map(|v| v.get_ref()),
        Some(DeValue::Array(_))
    );
    if list {
        let vars = f.strings("replace").unwrap_or_default();
        let map = vars
            .iter()
            .map(|v| (format!("{{{}}}", v.get_ref()), v.get_ref().clone()))
            .collect();
        return (map, vars);
    }
    let pairs = f.string_map("replace").unwrap_or_default();
    let map = pairs
        .iter()
        .map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone()))
        .collect();
    (map, pairs.into_iter().map(|(_, v)| v).collect())
}

/// `comments = true` (`#`, `;` and `//` lines do not count) or a list of prefixes.
fn comments(f: &mut Fields<'_, '_>) -> Vec<String> {
    match f.get("comments").map(|v| v.get_ref()) {
        Some(DeValue::Boolean(_)) => match f.bool("comments") {
            Some(true) => ["#", ";", "//"].map(String::from).to_vec(),
            _ => Vec::new(),
        },
        Some(_) => {
            let prefixes = f.strings("comments").unwrap_or_default();
            prefixes.into_iter().map(|p| p.into_inner()).collect()
        }
        None => Vec::new(),
    }
}
