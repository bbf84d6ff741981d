//! Keymaps: built-in presets (`keymaps/*.toml`, compiled in) with an optional user file
//! layered on top, one key at a time. Files map key names to action names; descriptions
//! come from `Action`, so help and `sheriff keys` cannot go stale.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::action::Action;
use super::key::KeyChord;
use crate::config::diagnostic::{did_you_mean, line_col, ConfigError};

/// The built-in keymaps, by name.
pub const PRESETS: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
    ("emacs", include_str!("../../keymaps/emacs.toml")),
];

/// Where a binding applies. Pane sections win over `[global]` while that pane has focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Global,
    Health,
    Logs,
    Drift,
    Handoff,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Global,
        Section::Health,
        Section::Logs,
        Section::Drift,
        Section::Handoff,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Section::Global => "global",
            Section::Health => "health",
            Section::Logs => "logs",
            Section::Drift => "drift",
            Section::Handoff => "handoff",
        }
    }
}

/// The effective keymap: for each section, keys in the order they were written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keymap {
    sections: BTreeMap<Section, Vec<(KeyChord, Action)>>,
}

/// Bindings read from one file; `None` unbinds a key the preset bound.
type Layer = BTreeMap<Section, Vec<(KeyChord, Option<Action>)>>;

impl Keymap {
    /// A preset by name, or a keymap file by path, with `user` (if any) layered on top.
    pub fn load(preset_or_path: &str, user: Option<&Path>) -> Result<Keymap, Vec<ConfigError>> {
        let mut keymap = Keymap::default();
        match PRESETS.iter().find(|(name, _)| *name == preset_or_path) {
            Some((name, text)) => {
                let label = PathBuf::from(format!("keymaps/{name}.toml"));
                keymap.apply(parse_layer(text, &label)?);
            }
            None => {
                let path = Path::new(preset_or_path);
                let text = std::fs::read_to_string(path).map_err(|err| {
                    let names: Vec<_> = PRESETS.iter().map(|(n, _)| *n).collect();
                    vec![ConfigError::new(
                        path,
                        0,
                        0,
                        format!(
                            "cannot read keymap: {err}; use a preset ({}) or a path to a keymap file",
                            names.join(", ")
                        ),
                    )]
                })?;
                keymap.apply(parse_layer(&text, path)?);
            }
        }
        if let Some(user) = user {
            let text = std::fs::read_to_string(user).map_err(|err| {
                vec![ConfigError::new(
                    user,
                    0,
                    0,
                    format!("cannot read keymap: {err}"),
                )]
            })?;
            keymap.apply(parse_layer(&text, user)?);
        }
        keymap.check_reachable(user.unwrap_or(Path::new(preset_or_path)))?;
        Ok(keymap)
    }

    /// The default preset; it is compiled in and tested, so it always parses.
    pub fn builtin_default() -> Keymap {
        Keymap::load("default", None).unwrap_or_default()
    }

    fn apply(&mut self, layer: Layer) {
        for (section, bindings) in layer {
            let keys = self.sections.entry(section).or_default();
            for (chord, action) in bindings {
                match (keys.iter().position(|(k, _)| *k == chord), action) {
                    (Some(i), Some(action)) => keys[i].1 = action,
                    (Some(i), None) => {
                        keys.remove(i);
                    }
                    (None, Some(action)) => keys.push((chord, action)),
                    (None, None) => {}
                }
            }
        }
    }

    /// A keymap that cannot quit or open help would trap the sheriff: refuse it.
    fn check_reachable(&self, blame: &Path) -> Result<(), Vec<ConfigError>> {
        let missing: Vec<_> = [Action::Quit, Action::Help, Action::Back]
            .into_iter()
            .filter(|a| self.keys_for(Section::Global, *a).is_empty())
            .map(|a| a.name())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(vec![ConfigError::new(
            blame,
            0,
            0,
            format!(
                "no key in [global] for {}: bind one so it stays reachable",
                missing.join(", ")
            ),
        )])
    }

    /// The action a key triggers in `section`, falling back to `[global]`.
    pub fn action_for(&self, section: Section, key: KeyChord) -> Option<Action> {
        let find = |s: Section| {
            self.sections
                .get(&s)?
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, a)| *a)
        };
        find(section).or_else(|| find(Section::Global))
    }

    /// Keys that trigger `action` while `section` has focus (pane keys first).
    pub fn keys_for(&self, section: Section, action: Action) -> Vec<KeyChord> {
        let mut keys = Vec::new();
        for s in [section, Section::Global] {
            for (key, a) in self.sections.get(&s).into_iter().flatten() {
                // A global key shadowed by a pane key means something else here.
                let shadowed = s == Section::Global
                    && section != Section::Global
                    && self.action_for(section, *key) != Some(action);
                if *a == action && !shadowed && !keys.contains(key) {
                    keys.push(*key);
                }
            }
            if section == Section::Global {
                break;
            }
        }
        keys
    }

    /// The bindings of one section, in file order.
    pub fn section(&self, section: Section) -> &[(KeyChord, Action)] {
        self.sections
            .get(&section)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

fn parse_layer(text: &str, path: &Path) -> Result<Layer, Vec<ConfigError>> {
    let err_at = |offset: usize, message: String| {
        let (line, col) = line_col(text, offset);
        ConfigError::new(path, line, col, message)
    };
    let root = DeTable::parse(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        vec![err_at(offset, e.message().trim().to_string())]
    })?;
    let mut layer = Layer::new();
    let mut errors = Vec::new();
    let mut tables: Vec<_> = root.get_ref().iter().collect();
    tables.sort_by_key(|(k, _)| k.span().start);
    for (name, value) in tables {
        let Some(section) = Section::ALL
            .into_iter()
            .find(|s| s.name() == name.get_ref().as_ref())
        else {
            let hint = did_you_mean(name.get_ref(), Section::ALL.iter().map(|s| s.name()))
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            errors.push(err_at(
                name.span().start,
                format!("unknown keymap section [{}]{hint}", name.get_ref()),
            ));
            continue;
        };
        let DeValue::Table(entries) = value.get_ref() else {
            errors.push(err_at(
                value.span().start,
                format!("[{}] must be a table", section.name()),
            ));
            continue;
        };
        let mut entries: Vec<_> = entries.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        let mut seen: Vec<(KeyChord, usize)> = Vec::new();
        for (key, action) in entries {
            let chord = match KeyChord::parse(key.get_ref()) {
                Ok(chord) => chord,
                Err(message) => {
                    errors.push(err_at(key.span().start, message));
                    continue;
                }
            };
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == chord) {
                errors.push(err_at(
                    key.span().start,
                    format!(
                        "key \"{}\" conflicts with line {first}: both are {chord} in [{}]; \
                         keep one",
                        key.get_ref(),
                        section.name()
                    ),
                ));
                continue;
            }
            seen.push((chord, line_col(text, key.span().start).0));
            let DeValue::String(name) = action.get_ref() else {
                errors.push(err_at(
                    action.span().start,
                    "an action must be a string, e.g. \"quit\"".to_string(),
                ));
                continue;
            };
            let bound = if name == "none" {
                None
            } else if let Some(action) = Action::from_name(name) {
                Some(action)
            } else {
                let hint = did_you_mean(name, Action::ALL.iter().map(|a| a.name()))
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                errors.push(err_at(
                    action.span().start,
                    format!("unknown action \"{name}\"{hint}; `sheriff keys --actions` lists them"),
                ));
                continue;
            };
            layer.entry(section).or_default().push((chord, bound));
        }
    }
    if errors.is_empty() {
        Ok(layer)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::key::KeyCodeOrd;

    fn key(text: &str) -> KeyChord {
        KeyChord::parse(text).expect("valid key")
    }

    #[test]
    fn every_preset_loads() {
        for (name, _) in PRESETS {
            let keymap = Keymap::load(name, None);
            assert!(keymap.is_ok(), "{name}: {keymap:?}");
        }
    }

    #[test]
    fn pane_section_wins_over_global() {
        let keymap = Keymap::builtin_default();
        assert_eq!(
            keymap.action_for(Section::Logs, key("f")),
            Some(Action::ToggleFollow)
        );
        assert_eq!(keymap.action_for(Section::Health, key("f")), None);
        assert_eq!(
            keymap.action_for(Section::Health, key("q")),
            Some(Action::Quit)
        );
        assert_eq!(
            keymap.keys_for(Section::Logs, Action::PageDown),
            vec![key("ctrl-d"), key("pagedown")]
        );
    }

    #[test]
    fn plain_char_keys_match() {
        let keymap = Keymap::builtin_default();
        let q = KeyChord::plain(KeyCodeOrd::Char('q'));
        assert_eq!(keymap.action_for(Section::Drift, q), Some(Action::Quit));
    }
}
