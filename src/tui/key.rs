//! Key chords as written in keymap files ("ctrl-d", "shift-tab", "?", "enter").

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key with its modifiers, normalised so that two spellings of one key compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyChord {
    pub code: KeyCodeOrd,
    pub ctrl: bool,
    pub alt: bool,
}

/// `KeyCode` without the variants a keymap cannot name, made orderable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
}

const NAMED: &[(&str, KeyCodeOrd)] = &[
    ("enter", KeyCodeOrd::Enter),
    ("return", KeyCodeOrd::Enter),
    ("esc", KeyCodeOrd::Esc),
    ("escape", KeyCodeOrd::Esc),
    ("tab", KeyCodeOrd::Tab),
    ("backtab", KeyCodeOrd::BackTab),
    ("backspace", KeyCodeOrd::Backspace),
    ("delete", KeyCodeOrd::Delete),
    ("del", KeyCodeOrd::Delete),
    ("insert", KeyCodeOrd::Insert),
    ("up", KeyCodeOrd::Up),
    ("down", KeyCodeOrd::Down),
    ("left", KeyCodeOrd::Left),
    ("right", KeyCodeOrd::Right),
    ("pageup", KeyCodeOrd::PageUp),
    ("pgup", KeyCodeOrd::PageUp),
    ("pagedown", KeyCodeOrd::PageDown),
    ("pgdn", KeyCodeOrd::PageDown),
    ("home", KeyCodeOrd::Home),
    ("end", KeyCodeOrd::End),
    ("space", KeyCodeOrd::Char(' ')),
];

impl KeyChord {
    pub fn plain(code: KeyCodeOrd) -> Self {
        KeyChord {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// Parses "x", "X", "ctrl-d", "alt-x", "shift-tab", "f5", "pagedown".
    pub fn parse(text: &str) -> Result<KeyChord, String> {
        let mut chord = KeyChord::plain(KeyCodeOrd::Esc);
        let mut shift = false;
        let mut rest = text;
        // A single character is always itself, even "-" or "+".
        while rest.chars().count() > 1 {
            let lower = rest.to_ascii_lowercase();
            let prefix = [
                "ctrl-", "ctrl+", "c-", "alt-", "alt+", "m-", "shift-", "shift+", "s-",
            ]
            .into_iter()
            .find(|p| lower.starts_with(p));
            let Some(prefix) = prefix else { break };
            match prefix.chars().next() {
                Some('c') => chord.ctrl = true,
                Some('a') | Some('m') => chord.alt = true,
                _ => shift = true,
            }
            rest = &rest[prefix.len()..];
        }
        let mut chars = rest.chars();
        chord.code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCodeOrd::Char(if shift { c.to_ascii_uppercase() } else { c }),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    if !(1..=12).contains(&n) {
                        return Err(format!(
                            "unknown key \"{text}\": function keys are f1 to f12"
                        ));
                    }
                    KeyCodeOrd::F(n)
                } else if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == lower) {
                    match (code, shift) {
                        (KeyCodeOrd::Tab, true) => KeyCodeOrd::BackTab,
                        (code, _) => *code,
                    }
                } else {
                    return Err(format!(
                        "unknown key \"{text}\": use a character, or ctrl-/alt-/shift- with one of \
                         enter, esc, tab, backspace, delete, up, down, left, right, pageup, \
                         pagedown, home, end, space, f1-f12"
                    ));
                }
            }
        };
        Ok(chord)
    }

    /// The chord a terminal key event stands for.
    pub fn from_event(event: &KeyEvent) -> Option<KeyChord> {
        let code = match event.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(c),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::BackTab => KeyCodeOrd::BackTab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            KeyCode::Delete => KeyCodeOrd::Delete,
            KeyCode::Insert => KeyCodeOrd::Insert,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            _ => return None,
        };
        Some(KeyChord {
            code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
            alt: event.modifiers.contains(KeyModifiers::ALT),
        })
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "f{n}"),
            KeyCodeOrd::BackTab => f.write_str("shift-tab"),
            other => {
                let name = NAMED
                    .iter()
                    .find(|(_, code)| *code == other)
                    .map(|(n, _)| *n);
                f.write_str(name.unwrap_or("?"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_key_are_equal() {
        assert_eq!(KeyChord::parse("ctrl-d"), KeyChord::parse("C-d"));
        assert_eq!(KeyChord::parse("shift-tab"), KeyChord::parse("backtab"));
        assert_eq!(KeyChord::parse("PgDn"), KeyChord::parse("pagedown"));
        assert_eq!(KeyChord::parse("shift-r"), KeyChord::parse("R"));
        assert_ne!(KeyChord::parse("r"), KeyChord::parse("R"));
    }

    #[test]
    fn displays_canonically() {
        for (text, shown) in [
            ("C-d", "ctrl-d"),
            ("-", "-"),
            ("space", "space"),
            ("F5", "f5"),
        ] {
            assert_eq!(
                KeyChord::parse(text).map(|k| k.to_string()),
                Ok(shown.to_string())
            );
        }
    }

    #[test]
    fn rejects_unknown_names() {
        assert!(KeyChord::parse("ctrl-banana").is_err());
        assert!(KeyChord::parse("f13").is_err());
    }
}
