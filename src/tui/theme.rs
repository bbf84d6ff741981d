//! Themes: semantic slots (`status.ok`, `ui.border_focused`, `log.error`, `diff.added`…)
//! filled from built-in presets (`themes/*.toml`) or user files; widget code asks for a
//! slot, never a raw colour. Colours degrade to what the terminal can show, and
//! `NO_COLOR` drops them all (status stays readable by its symbols).

use std::path::{Path, PathBuf};

use ratatui::style::Style;
use toml::de::{DeTable, DeValue};

use crate::config::diagnostic::{did_you_mean, line_col, ConfigError};

mod degrade;
mod style;
pub use degrade::degrade_color;
use style::parse_style;

pub const PRESETS: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

macro_rules! slots {
    ($( $variant:ident => $name:literal; )*) => {
        /// A named place in the UI that a theme colours.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Slot { $( $variant, )* }

        impl Slot {
            pub const ALL: &'static [Slot] = &[ $( Slot::$variant, )* ];
            /// `section.key` as written in theme files.
            pub fn name(self) -> &'static str {
                match self { $( Slot::$variant => $name, )* }
            }
        }
    };
}

slots! {
    StatusOk => "status.ok";
    StatusWarn => "status.warn";
    StatusCrit => "status.crit";
    StatusUnknown => "status.unknown";
    Text => "ui.text";
    Muted => "ui.muted";
    Border => "ui.border";
    BorderFocused => "ui.border_focused";
    Title => "ui.title";
    TitleFocused => "ui.title_focused";
    Selection => "ui.selection";
    StatusLine => "ui.status_line";
    KeyHint => "ui.key_hint";
    Notice => "ui.notice";
    Error => "ui.error";
    Overlay => "ui.overlay";
    OverlayBorder => "ui.overlay_border";
    Input => "ui.input";
    LogError => "log.error";
    LogWarn => "log.warn";
    LogInfo => "log.info";
    LogDebug => "log.debug";
    LogTime => "log.time";
    LogSource => "log.source";
    LogMatch => "log.match";
    DiffAdded => "diff.added";
    DiffRemoved => "diff.removed";
    DiffAddedWord => "diff.added_word";
    DiffRemovedWord => "diff.removed_word";
    DiffHeader => "diff.header";
    DiffContext => "diff.context";
    HandoffTime => "handoff.time";
    HandoffAuthor => "handoff.author";
    HandoffChange => "handoff.change";
    HandoffNote => "handoff.note";
    HandoffWhy => "handoff.why";
    HandoffAutomatic => "handoff.automatic";
}

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorDepth {
    TrueColor,
    Ansi256,
    Ansi16,
    /// `NO_COLOR`: modifiers only.
    None,
}

impl ColorDepth {
    /// From `NO_COLOR`, `COLORTERM` and `TERM`, the way most terminal programs decide.
    pub fn detect() -> ColorDepth {
        let var = |name| std::env::var(name).unwrap_or_default();
        if !var("NO_COLOR").is_empty() {
            return ColorDepth::None;
        }
        let colorterm = var("COLORTERM").to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return ColorDepth::TrueColor;
        }
        if var("TERM").contains("256") {
            ColorDepth::Ansi256
        } else {
            ColorDepth::Ansi16
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: Vec<Style>,
}

impl Theme {
    pub fn style(&self, slot: Slot) -> Style {
        self.styles[slot as usize]
    }

    /// A preset by name, a user theme `<config dir>/themes/NAME.toml`, or a file path.
    /// A theme file may set `inherits = "light"`; anything it leaves out comes from there
    /// (default: dark). A chain that comes back to a theme already in it is an error
    /// naming the chain, not an endless descent.
    pub fn load(
        name_or_path: &str,
        user_dir: Option<&Path>,
        depth: ColorDepth,
    ) -> Result<Theme, Vec<ConfigError>> {
        let mut theme = load_chain(name_or_path, user_dir, &mut Vec::new())?;
        theme.name = theme_name(name_or_path);
        theme.degrade(depth);
        Ok(theme)
    }

    /// The dark preset; compiled in and tested, so it always parses.
    pub fn builtin_default(depth: ColorDepth) -> Theme {
        Theme::load("dark", None, depth).unwrap_or(Theme {
            name: "dark".into(),
            styles: vec![Style::default(); Slot::ALL.len()],
        })
    }

    fn degrade(&mut self, depth: ColorDepth) {
        for style in &mut self.styles {
            style.fg = style.fg.and_then(|c| degrade_color(c, depth));
            style.bg = style.bg.and_then(|c| degrade_color(c, depth));
        }
    }
}

/// Longer chains than this are surely a mistake, even without a loop.
const MAX_INHERITS: usize = 16;

/// A theme file on the way down an `inherits` chain.
struct Link {
    name: String,
    /// The file as read, canonical where possible, so two spellings of one file match.
    identity: PathBuf,
    label: PathBuf,
    text: String,
    /// Byte offset of its `inherits` key, where a loop is reported.
    inherits_at: usize,
}

/// Loads a theme and, before it, the themes it inherits from; `chain` holds the files
/// that led here.
fn load_chain(
    name_or_path: &str,
    user_dir: Option<&Path>,
    chain: &mut Vec<Link>,
) -> Result<Theme, Vec<ConfigError>> {
    let (text, label) = read_theme(name_or_path, user_dir)?;
    let name = theme_name(name_or_path);
    let identity = std::fs::canonicalize(&label).unwrap_or_else(|_| label.clone());
    if let Some(start) = chain.iter().position(|l| l.identity == identity) {
        let names: Vec<&str> = chain[start..]
            .iter()
            .map(|l| l.name.as_str())
            .chain([name.as_str()])
            .collect();
        let first = &chain[start];
        return Err(vec![ConfigError::at(
            &first.label,
            &first.text,
            first.inherits_at,
            format!("theme inheritance loops: {}", names.join(" → ")),
        )]);
    }
    if chain.len() >= MAX_INHERITS {
        let first = &chain[0];
        return Err(vec![ConfigError::at(
            &first.label,
            &first.text,
            first.inherits_at,
            format!("theme inheritance is more than {MAX_INHERITS} themes deep"),
        )]);
    }
    let mut theme = Theme {
        name: name.clone(),
        styles: vec![Style::default(); Slot::ALL.len()],
    };
    if let Some((base, inherits_at)) = apply_file(&mut theme, &text, &label, true)? {
        chain.push(Link {
            name,
            identity,
            label: label.clone(),
            text: text.clone(),
            inherits_at,
        });
        let mut base_theme = load_chain(&base, user_dir, chain)?;
        apply_file(&mut base_theme, &text, &label, false)?;
        theme = base_theme;
    }
    Ok(theme)
}

fn theme_name(name_or_path: &str) -> String {
    Path::new(name_or_path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_theme(
    name_or_path: &str,
    user_dir: Option<&Path>,
) -> Result<(String, PathBuf), Vec<ConfigError>> {
    if let Some((name, text)) = PRESETS.iter().find(|(n, _)| *n == name_or_path) {
        return Ok((
            text.to_string(),
            PathBuf::from(format!("themes/{name}.toml")),
        ));
    }
    let user_file = user_dir.map(|d| d.join("themes").join(format!("{name_or_path}.toml")));
    let path = match user_file {
        Some(p) if p.exists() => p,
        _ => PathBuf::from(name_or_path),
    };
    std::fs::read_to_string(&path).map(|text| (text, path.clone())).map_err(|err| {
        let names: Vec<_> = PRESETS.iter().map(|(n, _)| *n).collect();
        vec![ConfigError::new(
            &path,
            0,
            0,
            format!("cannot read theme: {err}; use a preset ({}), a file in the config dir's themes/, or a path", names.join(", ")),
        )]
    })
}

/// Applies one theme file; returns its `inherits` (and where it is written) when
/// `want_inherits` and it has one.
fn apply_file(
    theme: &mut Theme,
    text: &str,
    path: &Path,
    want_inherits: bool,
) -> Result<Option<(String, usize)>, Vec<ConfigError>> {
    let err_at = |offset: usize, message: String| {
        let (line, col) = line_col(text, offset);
        ConfigError::new(path, line, col, message)
    };
    let root = DeTable::parse(text).map_err(|e| {
        vec![err_at(
            e.span().map(|s| s.start).unwrap_or(0),
            e.message().trim().to_string(),
        )]
    })?;
    let mut errors = Vec::new();
    let mut inherits = None;
    let sections: Vec<&str> = Slot::ALL
        .iter()
        .filter_map(|s| s.name().split('.').next())
        .collect();
    for (section, value) in root.get_ref().iter() {
        if section.get_ref() == "inherits" {
            match value.get_ref() {
                DeValue::String(base) if want_inherits => {
                    inherits = Some((base.to_string(), section.span().start))
                }
                DeValue::String(_) => {}
                _ => errors.push(err_at(
                    value.span().start,
                    "inherits must be a theme name, e.g. \"dark\"".into(),
                )),
            }
            continue;
        }
        let DeValue::Table(keys) = value.get_ref() else {
            errors.push(err_at(
                section.span().start,
                format!(
                    "\"{}\" must be a table like [{}]",
                    section.get_ref(),
                    section.get_ref()
                ),
            ));
            continue;
        };
        for (key, value) in keys.iter() {
            let full = format!("{}.{}", section.get_ref(), key.get_ref());
            let Some(slot) = Slot::ALL.iter().find(|s| s.name() == full) else {
                let in_section = sections.contains(&section.get_ref().as_ref());
                let hint = did_you_mean(&full, Slot::ALL.iter().map(|s| s.name()))
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                let what = if in_section {
                    "theme slot"
                } else {
                    "theme section"
                };
                let offset = if in_section {
                    key.span().start
                } else {
                    section.span().start
                };
                errors.push(err_at(offset, format!("unknown {what} \"{full}\"{hint}")));
                continue;
            };
            match parse_style(value.get_ref()) {
                Ok(style) => theme.styles[*slot as usize] = style,
                Err((message, inner)) => {
                    errors.push(err_at(inner.unwrap_or(value.span().start), message))
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(inherits)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Modifier;

    #[test]
    fn every_preset_fills_every_slot() {
        for (name, text) in PRESETS {
            let theme = Theme::load(name, None, ColorDepth::TrueColor).expect("preset parses");
            let root = DeTable::parse(text).expect("toml");
            for slot in Slot::ALL {
                let (section, key) = slot.name().split_once('.').expect("dotted");
                let present = root.get_ref().get(section).and_then(|v| match v.get_ref() {
                    DeValue::Table(t) => t.get(key).map(|_| ()),
                    _ => None,
                });
                assert!(present.is_some(), "{name} lacks {}", slot.name());
            }
            assert_eq!(theme.name, *name);
        }
    }

    #[test]
    fn no_color_keeps_modifiers() {
        let theme = Theme::load("high-contrast", None, ColorDepth::None).expect("preset");
        let sel = theme.style(Slot::Selection);
        assert!(sel.add_modifier.contains(Modifier::REVERSED));
        assert_eq!(sel.fg, None);
    }
}
