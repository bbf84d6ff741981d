//! Themes: semantic slots (`status.ok`, `ui.border_focused`, `log.error`, `diff.added`…)
//! filled from built-in presets (`themes/*.toml`) or user files; widget code asks for a
//! slot, never a raw colour. Colours degrade to what the terminal can show, and
//! `NO_COLOR` drops them all (status stays readable by its symbols).

use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use toml::de::{DeTable, DeValue};

use crate::config::diagnostic::{did_you_mean, line_col, ConfigError};

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
    /// (default: dark).
    pub fn load(
        name_or_path: &str,
        user_dir: Option<&Path>,
        depth: ColorDepth,
    ) -> Result<Theme, Vec<ConfigError>> {
        let (text, label) = read_theme(name_or_path, user_dir)?;
        let mut theme = Theme {
            name: theme_name(name_or_path),
            styles: vec![Style::default(); Slot::ALL.len()],
        };
        let inherits = apply_file(&mut theme, &text, &label, true)?;
        if let Some(base) = inherits {
            let mut base_theme = Theme::load(&base, user_dir, ColorDepth::TrueColor)?;
            apply_file(&mut base_theme, &text, &label, false)?;
            base_theme.name = theme.name;
            theme = base_theme;
        }
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

/// Applies one theme file; returns its `inherits` when `want_inherits` and it has one.
fn apply_file(
    theme: &mut Theme,
    text: &str,
    path: &Path,
    want_inherits: bool,
) -> Result<Option<String>, Vec<ConfigError>> {
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
                DeValue::String(base) if want_inherits => inherits = Some(base.to_string()),
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

type StyleError = (String, Option<usize>);

fn parse_style(value: &DeValue) -> Result<Style, StyleError> {
    match value {
        DeValue::String(s) => Ok(Style::default().fg(parse_color(s)?)),
        DeValue::Integer(_) => Ok(Style::default().fg(parse_index(value)?)),
        DeValue::Table(table) => {
            let mut style = Style::default();
            for (key, v) in table.iter() {
                let at = Some(v.span().start);
                let flag = |m: Modifier, style: Style| match v.get_ref() {
                    DeValue::Boolean(true) => Ok(style.add_modifier(m)),
                    DeValue::Boolean(false) => Ok(style),
                    _ => Err((format!("\"{}\" must be true or false", key.get_ref()), at)),
                };
                style = match key.get_ref().as_ref() {
                    "fg" | "bg" => {
                        let color = match v.get_ref() {
                            DeValue::String(s) => parse_color(s).map_err(|(m, _)| (m, at))?,
                            other => parse_index(other).map_err(|(m, _)| (m, at))?,
                        };
                        if key.get_ref() == "fg" {
                            style.fg(color)
                        } else {
                            style.bg(color)
                        }
                    }
                    "bold" => flag(Modifier::BOLD, style)?,
                    "italic" => flag(Modifier::ITALIC, style)?,
                    "underline" => flag(Modifier::UNDERLINED, style)?,
                    "dim" => flag(Modifier::DIM, style)?,
                    "reversed" => flag(Modifier::REVERSED, style)?,
                    other => {
                        let keys = ["fg", "bg", "bold", "italic", "underline", "dim", "reversed"];
                        let hint = did_you_mean(other, keys)
                            .map(|s| format!(" (did you mean \"{s}\"?)"))
                            .unwrap_or_default();
                        return Err((
                            format!("unknown style key \"{other}\"{hint}"),
                            Some(key.span().start),
                        ));
                    }
                };
            }
            Ok(style)
        }
        _ => Err((
            "a style is a colour (\"green\", \"#e5c07b\", 208) or a table { fg, bg, bold, … }"
                .into(),
            None,
        )),
    }
}

const COLOR_NAMES: &[(&str, Color)] = &[
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark_gray", Color::DarkGray),
    ("light_red", Color::LightRed),
    ("light_green", Color::LightGreen),
    ("light_yellow", Color::LightYellow),
    ("light_blue", Color::LightBlue),
    ("light_magenta", Color::LightMagenta),
    ("light_cyan", Color::LightCyan),
    ("white", Color::White),
];

fn parse_color(text: &str) -> Result<Color, StyleError> {
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
            return Ok(Color::Rgb(byte(0), byte(2), byte(4)));
        }
        return Err((
            format!("bad colour \"{text}\": use #rrggbb with six hex digits"),
            None,
        ));
    }
    let lower = text.to_ascii_lowercase().replace(['-', ' '], "_");
    if let Some((_, color)) = COLOR_NAMES.iter().find(|(n, _)| *n == lower) {
        return Ok(*color);
    }
    let hint = did_you_mean(&lower, COLOR_NAMES.iter().map(|(n, _)| *n))
        .map(|s| format!(" (did you mean \"{s}\"?)"))
        .unwrap_or_default();
    Err((
        format!("bad colour \"{text}\"{hint}: use a name like \"cyan\", \"#rrggbb\" or 0-255"),
        None,
    ))
}

fn parse_index(value: &DeValue) -> Result<Color, StyleError> {
    let index = match value {
        DeValue::Integer(i) => i.as_str().parse::<u8>().ok(),
        _ => None,
    };
    index.map(Color::Indexed).ok_or_else(|| {
        (
            "a colour index is a whole number from 0 to 255".into(),
            None,
        )
    })
}

/// The closest colour the terminal can show.
pub fn degrade_color(color: Color, depth: ColorDepth) -> Option<Color> {
    match (depth, color) {
        (ColorDepth::None, _) => None,
        (ColorDepth::TrueColor, c) => Some(c),
        (ColorDepth::Ansi256, Color::Rgb(r, g, b)) => Some(Color::Indexed(rgb_to_256(r, g, b))),
        (ColorDepth::Ansi16, Color::Rgb(r, g, b)) => Some(nearest_16(r, g, b)),
        (ColorDepth::Ansi16, Color::Indexed(i)) if i >= 16 => {
            let (r, g, b) = indexed_to_rgb(i);
            Some(nearest_16(r, g, b))
        }
        (_, c) => Some(c),
    }
}

/// xterm's 6x6x6 cube and grey ramp.
fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    let cube = |v: u8| {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    let (cr, cg, cb) = (cube(r), cube(g), cube(b));
    let cube_index = 16 + 36 * cr + 6 * cg + cb;
    let avg = (r as u16 + g as u16 + b as u16) / 3;
    let grey_index = if avg > 238 {
        23
    } else {
        (avg.saturating_sub(3) / 10) as u8
    };
    let grey_level = 8 + 10 * grey_index as u16;
    let (cube_rgb, grey) = (
        indexed_to_rgb(cube_index),
        (grey_level, grey_level, grey_level),
    );
    let dist = |a: (u8, u8, u8)| sq(a.0, r) + sq(a.1, g) + sq(a.2, b);
    let grey_dist = sq(grey.0 as u8, r) + sq(grey.1 as u8, g) + sq(grey.2 as u8, b);
    if grey_dist < dist(cube_rgb) {
        232 + grey_index
    } else {
        cube_index
    }
}

fn indexed_to_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => BASE16[i as usize].1,
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

const BASE16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn nearest_16(r: u8, g: u8, b: u8) -> Color {
    BASE16
        .iter()
        .min_by_key(|(_, (br, bg, bb))| sq(*br, r) + sq(*bg, g) + sq(*bb, b))
        .map(|(c, _)| *c)
        .unwrap_or(Color::Reset)
}

fn sq(a: u8, b: u8) -> u32 {
    let d = a as i32 - b as i32;
    (d * d) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn colours_degrade() {
        assert_eq!(
            degrade_color(Color::Rgb(255, 85, 85), ColorDepth::Ansi16),
            Some(Color::LightRed)
        );
        assert_eq!(
            degrade_color(Color::Rgb(0, 0, 0), ColorDepth::Ansi256),
            Some(Color::Indexed(16))
        );
        assert_eq!(
            degrade_color(Color::Rgb(255, 255, 255), ColorDepth::Ansi256),
            Some(Color::Indexed(231))
        );
        assert_eq!(
            degrade_color(Color::Rgb(128, 128, 128), ColorDepth::Ansi256),
            Some(Color::Indexed(244))
        );
        assert_eq!(degrade_color(Color::Cyan, ColorDepth::None), None);
    }

    #[test]
    fn no_color_keeps_modifiers() {
        let theme = Theme::load("high-contrast", None, ColorDepth::None).expect("preset");
        let sel = theme.style(Slot::Selection);
        assert!(sel.add_modifier.contains(Modifier::REVERSED));
        assert_eq!(sel.fg, None);
    }
}
