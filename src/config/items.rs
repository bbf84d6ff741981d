//! The repeated section `[[log]]` (`[[check]]` is in `check_items`, `[[drift]]` in
//! `drift_items`), and the name and target keys they share.
//!
//! Each item is built even when part of it is wrong (with a placeholder for the bad part),
//! so that its references and name are still checked and one run reports every problem.

use std::ops::Range;

use toml::de::DeTable;
use toml::Spanned;

use super::fields::{Fields, Problems};
use super::model::{LogSource, LogSpec, Target};
use super::sections::Located;
use crate::logs::parse::Format;

pub(crate) fn log(
    table: &DeTable<'_>,
    header: Range<usize>,
    problems: &mut Problems,
) -> Located<LogSpec> {
    let mut f = Fields::new(
        table,
        "[[log]]",
        &["name", "on", "file", "command", "journal", "format"],
        problems,
    );
    f.report_unknown();
    let name = required_name(&mut f, "log", header.clone());
    let on = f.string("on");
    let source = one_of(&mut f, &["file", "command", "journal"], &header, |keys| {
        format!(
            "log \"{}\" has {keys}: a log reads one source; keep one, or split it into several [[log]] sections",
            name.get_ref()
        )
    });
    let source = match source {
        Some(("file", file)) => LogSource::File(file.into_inner()),
        Some(("journal", unit)) => LogSource::Journal(unit.into_inner()),
        Some((_, command)) => LogSource::Command(command.into_inner()),
        None => {
            let message = format!(
                "log \"{}\" has no source: add file = \"/var/log/...\", journal = \"nginx.service\" or command = \"kubectl logs -f ...\"",
                name.get_ref()
            );
            f.problems.at(header, message);
            LogSource::Command(String::new())
        }
    };
    let format = match f.string("format") {
        None => Format::Auto,
        Some(value) if matches!(source, LogSource::Journal(_)) => {
            let message = "a journal is always read as journald's entries: remove format";
            f.problems.at(value.span(), message);
            Format::Auto
        }
        Some(value) => {
            let written = value.get_ref();
            let read = match written.strip_prefix("regex:") {
                Some(regex) => Format::custom(regex),
                None => Format::from_config(written),
            };
            read.unwrap_or_else(|message| {
                f.problems.at(value.span(), message);
                Format::Auto
            })
        }
    };
    let target = on
        .as_ref()
        .map_or(Target::Local, |on| Target::Env(on.get_ref().clone()));
    let mut located = Located::new(
        LogSpec {
            name: name.get_ref().clone(),
            target,
            source,
            format,
        },
        name.span(),
    );
    located.on = on;
    located
}

/// The first of `keys` the table sets. When it sets more than one, the first is kept and
/// `too_many` (given the keys set, "path and command") is reported at the last written.
pub(crate) fn one_of<'k>(
    f: &mut Fields<'_, '_>,
    keys: &[&'k str],
    header: &Range<usize>,
    too_many: impl FnOnce(&str) -> String,
) -> Option<(&'k str, Spanned<String>)> {
    let mut found: Vec<(&'k str, Spanned<String>)> = Vec::new();
    for key in keys {
        if let Some(value) = f.string(key) {
            found.push((key, value));
        }
    }
    if found.len() > 1 {
        let set: Vec<&str> = found.iter().map(|(k, _)| *k).collect();
        let later = set
            .iter()
            .filter_map(|k| f.key_span(k))
            .max_by_key(|s| s.start);
        let message = too_many(&set.join(" and "));
        f.problems.at(later.unwrap_or(header.clone()), message);
    }
    found.into_iter().next()
}

pub(crate) fn required_name(
    f: &mut Fields<'_, '_>,
    what: &str,
    header: Range<usize>,
) -> Spanned<String> {
    match f.string("name") {
        Some(name) if !name.get_ref().trim().is_empty() => name,
        Some(name) => {
            f.problems
                .at(name.span(), format!("a {what}'s name must not be empty"));
            name
        }
        None => {
            if f.get("name").is_none() {
                let message =
                    format!("[[{what}]] needs a name, like name = \"api\"; names must be unique");
                f.problems.at(header.clone(), message);
            }
            Spanned::new(header, String::new())
        }
    }
}

/// Where a check runs: `envs = [...]`, `on = "..."`, or neither (this machine). Returns the
/// provisional target with the references `validate` checks.
pub(crate) fn target(
    f: &mut Fields<'_, '_>,
) -> (Target, Vec<Spanned<String>>, Option<Spanned<String>>) {
    let envs = f.strings("envs");
    let on = f.string("on");
    if let (Some(envs_span), Some(on_span)) = (f.key_span("envs"), f.key_span("on")) {
        let later = if envs_span.start > on_span.start {
            envs_span
        } else {
            on_span
        };
        let message = "set envs or on in a check, not both: envs runs it once per environment, \
                       on runs it on every host of one environment or on one host";
        f.problems.at(later, message);
    }
    match (envs, on) {
        // With both set (reported above), the envs are still checked for typos.
        (envs, Some(on)) => (
            Target::Env(on.get_ref().clone()),
            envs.unwrap_or_default(),
            Some(on),
        ),
        (Some(envs), None) => {
            if envs.is_empty() {
                if let Some(value) = f.get("envs") {
                    f.problems.at(
                        value.span(),
                        "envs is empty: list environments, or remove envs to run here",
                    );
                }
            }
            (
                Target::Envs(envs.iter().map(|e| e.get_ref().clone()).collect()),
                envs,
                None,
            )
        }
        (None, None) => (Target::Local, Vec::new(), None),
    }
}
