//! One style value of a theme file: a colour name, `#rrggbb`, a 0-255 index, or a table
//! `{ fg, bg, bold, … }`; errors carry the offset of the bad part when it is known.

use ratatui::style::{Color, Modifier, Style};
use toml::de::DeValue;

use crate::config::diagnostic::did_you_mean;

type StyleError = (String, Option<usize>);

pub(super) fn parse_style(value: &DeValue) -> Result<Style, StyleError> {
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
