//! Reading one TOML table into typed values while collecting every problem with its
//! position, instead of stopping at the first as serde would.
//!
//! Each getter checks the type and records a problem at the value when it is wrong, so one
//! pass over a file reports all wrong types and unknown keys together.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use toml::de::{DeString, DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::did_you_mean;
use super::duration::parse_duration;

/// Problems found so far, each at a byte offset into the file.
#[derive(Debug, Default)]
pub(crate) struct Problems(pub Vec<(usize, String)>);

impl Problems {
    pub fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.0.push((span.start, message.into()));
    }
}

/// The keys of one table, read by type. `section` names the table in messages
/// (`[[check]]`, `[hosts."web1.prod"]`); `known` lists its keys for "did you mean".
pub(crate) struct Fields<'a, 'i> {
    table: &'a DeTable<'i>,
    section: String,
    known: &'static [&'static str],
    pub problems: &'a mut Problems,
}

impl<'a, 'i> Fields<'a, 'i> {
    pub fn new(
        table: &'a DeTable<'i>,
        section: impl Into<String>,
        known: &'static [&'static str],
        problems: &'a mut Problems,
    ) -> Self {
        Fields {
            table,
            section: section.into(),
            known,
            problems,
        }
    }

    pub fn section(&self) -> &str {
        &self.section
    }

    pub fn get(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v)
    }

    pub fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.table
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(k, _)| k.span())
    }

    /// Keys not in `known`, in file order.
    pub fn unknown_keys(&self) -> Vec<&'a Spanned<DeString<'i>>> {
        let mut keys: Vec<_> = self
            .table
            .keys()
            .filter(|k| !self.known.contains(&k.get_ref().as_ref()))
            .collect();
        keys.sort_by_key(|k| k.span().start);
        keys
    }

    /// Reports each unknown key, with a message from `special` when it has one.
    pub fn report_unknown_with(&mut self, special: impl Fn(&str) -> Option<String>) {
        for key in self.unknown_keys() {
            let message =
                special(key.get_ref()).unwrap_or_else(|| self.unknown_key_message(key.get_ref()));
            self.problems.at(key.span(), message);
        }
    }

    pub fn report_unknown(&mut self) {
        self.report_unknown_with(|_| None);
    }

    fn unknown_key_message(&self, key: &str) -> String {
        match did_you_mean(key, self.known.iter().copied()) {
            Some(known) => format!(
                "unknown key \"{key}\" in {} (did you mean \"{known}\"?)",
                self.section
            ),
            None => format!(
                "unknown key \"{key}\" in {}; the keys it takes are: {}",
                self.section,
                self.known.join(", ")
            ),
        }
    }

    fn wrong_type(&mut self, key: &str, value: &Spanned<DeValue<'_>>, what: &str, example: &str) {
        let found = match value.get_ref() {
            DeValue::String(_) => "a string",
            DeValue::Integer(_) => "an integer",
            DeValue::Float(_) => "a float",
            DeValue::Boolean(_) => "true/false",
            DeValue::Datetime(_) => "a date",
            DeValue::Array(_) => "a list",
            DeValue::Table(_) => "a table",
        };
        let message = format!(
            "{key} in {} must be {what}, like {key} = {example}; found {found}",
            self.section
        );
        self.problems.at(value.span(), message);
    }

    pub fn string(&mut self, key: &str) -> Option<Spanned<String>> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            _ => {
                self.wrong_type(key, value, "a string in quotes", "\"...\"");
                None
            }
        }
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.wrong_type(key, value, "true or false (no quotes)", "true");
                None
            }
        }
    }

    pub fn integer(&mut self, key: &str) -> Option<Spanned<i64>> {
        let value = self.get(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.wrong_type(key, value, "a whole number (no quotes)", "8");
        }
        parsed.map(|n| Spanned::new(value.span(), n))
    }

    /// A number, whole or not (`load = 5`, `warn = 1.5`).
    pub fn number(&mut self, key: &str) -> Option<Spanned<f64>> {
        let value = self.get(key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(x) => x.as_str().parse::<f64>().ok().filter(|x| x.is_finite()),
            _ => None,
        };
        if parsed.is_none() {
            self.wrong_type(key, value, "a number (no quotes)", "1.5");
        }
        parsed.map(|n| Spanned::new(value.span(), n))
    }

    pub fn strings(&mut self, key: &str) -> Option<Vec<Spanned<String>>> {
        let value = self.get(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, value, "a list of strings", "[\"a\", \"b\"]");
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push(Spanned::new(item.span(), s.to_string())),
                _ => self.wrong_type(key, item, "a list of strings", "[\"a\", \"b\"]"),
            }
        }
        Some(out)
    }

    /// An inline table of strings (`vars = { domain = "example.org" }`), in file order.
    pub fn string_map(&mut self, key: &str) -> Option<Vec<(Spanned<String>, Spanned<String>)>> {
        let value = self.get(key)?;
        let DeValue::Table(table) = value.get_ref() else {
            self.wrong_type(key, value, "a table of strings", "{ name = \"value\" }");
            return None;
        };
        let mut out = Vec::with_capacity(table.len());
        for (k, v) in table.iter() {
            match v.get_ref() {
                DeValue::String(s) => out.push((
                    Spanned::new(k.span(), k.get_ref().to_string()),
                    Spanned::new(v.span(), s.to_string()),
                )),
                _ => self.wrong_type(key, v, "a table of strings", "{ name = \"value\" }"),
            }
        }
        out.sort_by_key(|(k, _)| k.span().start);
        Some(out)
    }

    pub fn duration(&mut self, key: &str) -> Option<Spanned<Duration>> {
        let value = self.get(key)?;
        let DeValue::String(text) = value.get_ref() else {
            self.wrong_type(key, value, "a duration in quotes", "\"15s\"");
            return None;
        };
        match parse_duration(text) {
            Ok(duration) => Some(Spanned::new(value.span(), duration)),
            Err(err) => {
                self.problems.at(value.span(), err.to_string());
                None
            }
        }
    }

    /// A path; a leading `~/` is the home directory, as in a shell.
    pub fn path(&mut self, key: &str) -> Option<PathBuf> {
        self.string(key).map(|s| expand_home(s.get_ref()))
    }

    /// A sub-table such as `[tracker]`, with its span.
    pub fn table(&mut self, key: &str) -> Option<(&'a DeTable<'i>, Range<usize>)> {
        let value = self.get(key)?;
        match value.get_ref() {
            DeValue::Table(table) => Some((table, value.span())),
            _ => {
                self.wrong_type(
                    key,
                    value,
                    "a table",
                    &format!("{{ ... }}, or a [{key}] section"),
                );
                None
            }
        }
    }

    /// An array of tables such as `[[check]]`, each with its span (the `[[check]]` line).
    pub fn tables(&mut self, key: &str) -> Vec<(&'a DeTable<'i>, Range<usize>)> {
        let Some(value) = self.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!("write each {key} as its own [[{key}]] section (two brackets)");
            self.problems.at(value.span(), message);
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::Table(table) => out.push((table, item.span())),
                _ => self.wrong_type(key, item, "a list of tables", &format!("[[{key}]]")),
            }
        }
        out
    }

    /// Tables keyed by name such as `[hosts.NAME]`, in file order: (name, table, span of
    /// the section header).
    pub fn named_tables(
        &mut self,
        key: &str,
    ) -> Vec<(Spanned<String>, &'a DeTable<'i>, Range<usize>)> {
        let Some((outer, _)) = self.table(key) else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(outer.len());
        for (name, value) in outer.iter() {
            match value.get_ref() {
                DeValue::Table(table) => out.push((
                    Spanned::new(name.span(), name.get_ref().to_string()),
                    table,
                    value.span(),
                )),
                _ => {
                    let message = format!(
                        "{key}.{} must be a table: write a [{key}.{}] section",
                        name.get_ref(),
                        name.get_ref()
                    );
                    self.problems.at(value.span(), message);
                }
            }
        }
        out.sort_by_key(|(name, _, _)| name.span().start);
        out
    }
}

fn expand_home(path: &str) -> PathBuf {
    let home = || directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    match path.strip_prefix("~/") {
        Some(rest) => home().map_or_else(|| PathBuf::from(path), |h| h.join(rest)),
        None if path == "~" => home().unwrap_or_else(|| PathBuf::from(path)),
        None => PathBuf::from(path),
    }
}

/// `web1` as is, `"web1.prod"` quoted: how a name is written in a TOML section header.
pub(crate) fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
