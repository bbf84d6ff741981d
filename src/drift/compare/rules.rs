//! What counts as drift: the normalisation a target asks for before its two sides are
//! compared, and the per-environment values that `replace` turns into placeholders.

use std::collections::BTreeMap;
use std::time::Duration;

use regex::RegexSet;

/// How whitespace is compared, from strictest to loosest (GNU diff's `-Z`, `-b`, `-w`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Whitespace {
    /// Every byte counts.
    #[default]
    Exact,
    /// Spaces and tabs at the end of a line do not count.
    IgnoreTrailing,
    /// A run of whitespace equals any other run; leading and trailing runs do not count.
    IgnoreChanges,
    /// No whitespace counts at all.
    IgnoreAll,
}

impl Whitespace {
    /// The rule a config names: `exact`, `trailing`, `changes` or `all`.
    pub fn from_name(name: &str) -> Option<Whitespace> {
        Some(match name {
            "exact" => Whitespace::Exact,
            "trailing" => Whitespace::IgnoreTrailing,
            "changes" => Whitespace::IgnoreChanges,
            "all" => Whitespace::IgnoreAll,
            _ => return None,
        })
    }
}

/// The shape a file is read as. Chosen by extension unless a target names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Toml,
    /// `[section]` and `key = value` lines: php.ini, systemd units, my.cnf.
    Ini,
    /// `KEY=value` lines, `export` and quotes allowed: .env files.
    Env,
    /// Lines, compared as a diff.
    Text,
}

impl Format {
    /// The format's name as a person writes it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Yaml => "YAML",
            Format::Toml => "TOML",
            Format::Ini => "INI",
            Format::Env => "env",
            Format::Text => "text",
        }
    }

    /// The format a config names: `json`, `yaml`, `toml`, `ini`, `env` or `text`.
    pub fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "json" => Format::Json,
            "yaml" => Format::Yaml,
            "toml" => Format::Toml,
            "ini" => Format::Ini,
            "env" => Format::Env,
            "text" => Format::Text,
            _ => return None,
        })
    }

    /// The format a path's name suggests; `Text` for anything else (nginx.conf is not INI).
    pub fn for_path(path: &str) -> Format {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        let extension = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        if name == ".env" || name.starts_with(".env.") || extension == "env" {
            return Format::Env;
        }
        match extension {
            "json" => Format::Json,
            "yaml" | "yml" => Format::Yaml,
            "toml" => Format::Toml,
            "ini" | "cnf" | "service" | "socket" | "timer" | "mount" | "target" | "path" => {
                Format::Ini
            }
            _ => Format::Text,
        }
    }
}

/// The comment prefixes of the config formats a sheriff meets most.
pub const COMMON_COMMENT_PREFIXES: &[&str] = &["#", ";", "//"];

/// Normalisation applied to both sides before they are compared.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Lines matching any of these are left out of the comparison (`^# generated at`).
    pub ignore_lines: Option<RegexSet>,
    /// Names of the vars whose per-environment values become `{name}` placeholders. Only
    /// these: a var such as `workers` never hides drift unless it is named here.
    pub replace: Vec<String>,
    pub whitespace: Whitespace,
    pub ignore_blank_lines: bool,
    /// Lines starting (after indentation) with one of these are left out.
    pub comment_prefixes: Vec<String>,
    /// Lines within a section (`[name]` starts one) are sorted before comparing, for
    /// key=value files and package lists whose order carries no meaning.
    pub order_insensitive: bool,
    /// Read every file as this format instead of guessing from its name.
    pub format: Option<Format>,
    /// Files larger than this are compared by hash only.
    pub max_diff_bytes: u64,
    /// Lines of context around a change in a hunk.
    pub context: usize,
    /// How long one file's line diff may take before it settles for a coarser answer.
    pub diff_timeout: Duration,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            ignore_lines: None,
            replace: Vec::new(),
            whitespace: Whitespace::Exact,
            ignore_blank_lines: false,
            comment_prefixes: Vec::new(),
            order_insensitive: false,
            format: None,
            max_diff_bytes: 32 * 1024 * 1024,
            context: 3,
            diff_timeout: Duration::from_secs(2),
        }
    }
}

impl Rules {
    /// Rules with these ignore-line patterns.
    ///
    /// ```
    /// let rules = sheriff::drift::compare::Rules::ignoring(&["^# generated"]).unwrap();
    /// assert!(rules.ignore_lines.is_some());
    /// ```
    pub fn ignoring(patterns: &[&str]) -> Result<Rules, regex::Error> {
        Ok(Rules {
            ignore_lines: Some(RegexSet::new(patterns)?),
            ..Rules::default()
        })
    }

    /// True when no rule changes a line, so lines are compared as they are.
    pub(crate) fn is_verbatim(&self) -> bool {
        self.ignore_lines.is_none()
            && self.whitespace == Whitespace::Exact
            && !self.ignore_blank_lines
            && self.comment_prefixes.is_empty()
            && !self.order_insensitive
    }
}

/// The vars of the two environments being compared (`{domain}` is `example.org` on one
/// side and `staging.example.org` on the other).
#[derive(Debug, Clone, Default)]
pub struct EnvVars {
    pub a: BTreeMap<String, String>,
    pub b: BTreeMap<String, String>,
}

/// One side's `replace` values and their placeholders, longest value first so that
/// `staging.example.org` is replaced whole before `example.org` could match inside it.
#[derive(Debug, Clone)]
pub(crate) struct Placeholders {
    finder: Option<aho_corasick::AhoCorasick>,
    names: Vec<String>,
}

impl Placeholders {
    pub(crate) fn new(rules: &Rules, vars: &BTreeMap<String, String>) -> Placeholders {
        let mut pairs: Vec<(&str, String)> = rules
            .replace
            .iter()
            .filter_map(|name| vars.get(name).map(|v| (v.as_str(), format!("{{{name}}}"))))
            .filter(|(value, _)| !value.is_empty())
            .collect();
        pairs.sort_by(|x, y| y.0.len().cmp(&x.0.len()).then(x.0.cmp(y.0)));
        pairs.dedup_by(|x, y| x.0 == y.0);
        let finder = if pairs.is_empty() {
            None
        } else {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(pairs.iter().map(|(v, _)| v))
                .ok()
        };
        Placeholders {
            finder,
            names: pairs.into_iter().map(|(_, p)| p).collect(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.finder.is_none()
    }

    /// `text` with every value replaced by its placeholder, or `None` when none occurs.
    pub(crate) fn apply(&self, text: &str) -> Option<String> {
        let finder = self.finder.as_ref()?;
        finder.find(text)?;
        Some(finder.replace_all(text, &self.names))
    }
}
