//! Configuration: schema, discovery, loading and validation with `file:line:col` errors.
//!
//! `load` reads TOML into the resolved types of `model`. It reports every problem it finds
//! in one pass (unknown keys with a "did you mean", wrong types, bad durations, names that
//! refer to nothing), each at its line and column; only a TOML syntax error stops it early.
//!
//! ```
//! use std::path::Path;
//! let text = "[environments.local]\nroot = \"/srv\"\n[[check]]\nname = \"up\"\ncommand = \"true\"\n";
//! let config = sheriff::config::parse(text, Path::new("sheriff.toml")).unwrap();
//! assert_eq!(config.checks[0].every, std::time::Duration::from_secs(30));
//!
//! let errors = sheriff::config::parse("[[check]]\nname = \"x\"\nhtp = \"u\"\n", Path::new("s.toml"))
//!     .unwrap_err();
//! assert_eq!(errors.to_string(), "s.toml:3:1: unknown check kind \"htp\" (did you mean \"http\"?)");
//! ```

mod check_items;
mod check_kinds;
pub mod diagnostic;
pub mod discover;
mod drift_items;
pub mod duration;
mod fields;
mod items;
mod model;
mod sections;
mod template;
pub mod tracker;
mod validate;

use std::path::Path;

use toml::de::DeTable;

pub use diagnostic::{ConfigError, ConfigErrors};
pub use discover::{discover, search_order, FILE_NAME};
pub use model::*;
pub use template::template_vars;

/// Conditions from text known to be valid (tests, the demo); one that does not parse
/// panics with its error, as a wrong literal in code should.
pub fn condition_list(texts: &[&str]) -> Vec<crate::checks::condition::Condition> {
    texts
        .iter()
        .map(|t| {
            crate::checks::condition::Condition::parse(t)
                .unwrap_or_else(|e| panic!("condition {t:?}: {e}"))
        })
        .collect()
}

use fields::{Fields, Problems};
use validate::Parsed;

/// Reads and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        let message = match err.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ => format!("cannot read: {err}"),
        };
        ConfigError::file(path, message)
    })?;
    parse(&text, path)
}

/// Validates config `text`; `path` is where it came from, for messages and `Config::source`.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
    let root = DeTable::parse(text).map_err(|err| {
        let offset = err.span().map_or(0, |s| s.start);
        let message = format!("invalid TOML: {}", err.message().trim());
        ConfigError::at(path, text, offset, message)
    })?;
    let mut problems = Problems::default();
    let parsed = read_sections(root.get_ref(), &mut problems);
    let mut config = validate::resolve(parsed, text, &mut problems);
    if problems.0.is_empty() {
        config.source = Some(path.to_path_buf());
        return Ok(config);
    }
    // Stable, so two problems at one place keep the order they were found in.
    problems.0.sort_by_key(|(offset, _)| *offset);
    let errors = problems
        .0
        .into_iter()
        .map(|(offset, message)| ConfigError::at(path, text, offset, message));
    Err(ConfigErrors(errors.collect()))
}

const SECTIONS: &[&str] = &[
    "environments",
    "hosts",
    "check",
    "log",
    "drift",
    "tracker",
    "autofile",
    "handoff",
    "ui",
    "logs",
];

fn read_sections(root: &DeTable<'_>, problems: &mut Problems) -> Parsed {
    let mut f = Fields::new(root, "the file", SECTIONS, problems);
    f.report_unknown_with(|key| {
        let header = |s: &str| match s {
            "check" | "log" | "drift" | "autofile" => format!("[[{s}]]"),
            _ => format!("[{s}]"),
        };
        Some(
            match diagnostic::did_you_mean(key, SECTIONS.iter().copied()) {
                Some(s) => format!("unknown section [{key}] (did you mean {}?)", header(s)),
                None => format!(
                    "unknown section [{key}]; sheriff reads [environments.NAME], [hosts.NAME], \
                 [[check]], [[log]], [[drift]], [tracker], [[autofile]], [handoff] and [ui]"
                ),
            },
        )
    });

    let mut parsed = Parsed::default();
    for (name, table, header) in f.named_tables("environments") {
        parsed
            .environments
            .push(sections::environment(name, table, header, f.problems));
    }
    for (name, table, _) in f.named_tables("hosts") {
        parsed.hosts.push(sections::host(name, table, f.problems));
    }
    for (table, header) in f.tables("check") {
        parsed
            .checks
            .push(check_items::check(table, header, f.problems));
    }
    for (table, header) in f.tables("log") {
        parsed.logs.push(items::log(table, header, f.problems));
    }
    for (table, header) in f.tables("drift") {
        parsed
            .drifts
            .push(drift_items::drift(table, header, f.problems));
    }
    if let Some((table, header)) = f.table("tracker") {
        parsed.tracker = tracker::tracker(table, header, f.problems);
    }
    for (table, _) in f.tables("autofile") {
        parsed.autofile.push(tracker::autofile(table, f.problems));
    }
    if let Some((table, _)) = f.table("handoff") {
        parsed.handoff = sections::handoff(table, f.problems);
    }
    if let Some((table, _)) = f.table("ui") {
        parsed.ui = sections::ui(table, f.problems);
    }
    if let Some((table, _)) = f.table("logs") {
        parsed.logs_view = sections::logs_view(table, f.problems);
    }
    parsed
}
