//! Keymaps and themes as a user writes them: overrides layered on presets, and clear
//! errors that name the file, line and column.

use std::path::Path;
use std::process::Command;

use ratatui::style::{Color, Modifier};
use sheriff::tui::action::Action;
use sheriff::tui::key::KeyChord;
use sheriff::tui::keymap::{Keymap, Section};
use sheriff::tui::theme::{ColorDepth, Slot, Theme};

fn key(text: &str) -> KeyChord {
    KeyChord::parse(text).expect("valid key")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, text).expect("write");
    path
}

fn keymap_errors(text: &str) -> (std::path::PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "keymap.toml", text);
    let errors = Keymap::load("default", Some(&path)).expect_err("should be refused");
    (path, errors.iter().map(ToString::to_string).collect())
}

#[test]
fn user_keymap_overrides_single_keys_of_a_preset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "keymap.toml", "[global]\n\"x\" = \"zoom\"\n\"z\" = \"none\"\n\"ctrl-q\" = \"quit\"\n[logs]\n\"F\" = \"toggle_follow\"\n");
    let keymap = Keymap::load("default", Some(&path)).expect("valid override");
    // Drift has no section of its own for x: the user's global binding applies. (In
    // Health and Logs the preset's own x, clear_filter, wins: a pane section beats global.)
    assert_eq!(
        keymap.action_for(Section::Drift, key("x")),
        Some(Action::Zoom)
    );
    assert_eq!(
        keymap.action_for(Section::Health, key("z")),
        None,
        "z was unbound"
    );
    assert_eq!(
        keymap.action_for(Section::Health, key("ctrl-q")),
        Some(Action::Quit)
    );
    assert_eq!(
        keymap.action_for(Section::Health, key("q")),
        Some(Action::Quit),
        "preset keys stay"
    );
    assert_eq!(
        keymap.action_for(Section::Logs, key("F")),
        Some(Action::ToggleFollow)
    );
    assert_eq!(
        keymap.action_for(Section::Logs, key("f")),
        Some(Action::ToggleFollow)
    );
}

#[test]
fn vim_preset_moves_with_j_and_k() {
    let keymap = Keymap::load("vim", None).expect("vim preset");
    assert_eq!(
        keymap.action_for(Section::Drift, key("j")),
        Some(Action::Down)
    );
    assert_eq!(
        keymap.action_for(Section::Drift, key("G")),
        Some(Action::Bottom)
    );
    let emacs = Keymap::load("emacs", None).expect("emacs preset");
    assert_eq!(
        emacs.action_for(Section::Health, key("ctrl-n")),
        Some(Action::Down)
    );
}

#[test]
fn two_spellings_of_one_key_conflict() {
    let (path, errors) =
        keymap_errors("[logs]\n\"ctrl-d\" = \"page_down\"\n\"C-d\" = \"toggle_follow\"\n");
    assert_eq!(
        errors,
        vec![format!(
            "{}:3:1: key \"C-d\" conflicts with line 2: both are ctrl-d in [logs]; keep one",
            path.display()
        )]
    );
}

#[test]
fn unknown_action_is_named_with_a_suggestion() {
    let (path, errors) = keymap_errors("[global]\n\"x\" = \"zooom\"\n");
    assert_eq!(
        errors,
        vec![format!("{}:2:7: unknown action \"zooom\" (did you mean \"zoom\"?); `sheriff keys --actions` lists them", path.display())]
    );
}

#[test]
fn unknown_key_name_and_section_are_refused() {
    let (path, errors) =
        keymap_errors("[global]\n\"ctrl-banana\" = \"quit\"\n[lgos]\n\"x\" = \"quit\"\n");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with(&format!(
            "{}:2:1: unknown key \"ctrl-banana\"",
            path.display()
        )),
        "{errors:?}"
    );
    assert_eq!(
        errors[1],
        format!(
            "{}:3:2: unknown keymap section [lgos] (did you mean \"logs\"?)",
            path.display()
        )
    );
}

#[test]
fn a_keymap_that_cannot_quit_is_refused() {
    let (path, errors) = keymap_errors("[global]\n\"q\" = \"none\"\n");
    assert_eq!(
        errors,
        vec![format!(
            "{}: no key in [global] for quit: bind one so it stays reachable",
            path.display()
        )]
    );
}

#[test]
fn user_theme_inherits_a_preset_and_overrides_slots() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "themes/mine.toml",
        "inherits = \"light\"\n[status]\nok = { fg = \"#00ff00\", bold = true }\n",
    );
    let theme = Theme::load("mine", Some(dir.path()), ColorDepth::TrueColor).expect("user theme");
    let ok = theme.style(Slot::StatusOk);
    assert_eq!(ok.fg, Some(Color::Rgb(0, 255, 0)));
    assert!(ok.add_modifier.contains(Modifier::BOLD));
    let light = Theme::load("light", None, ColorDepth::TrueColor).expect("light");
    assert_eq!(
        theme.style(Slot::StatusCrit),
        light.style(Slot::StatusCrit),
        "the rest comes from light"
    );
    assert_eq!(theme.name, "mine");
}

#[test]
fn theme_errors_point_at_the_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "bad.toml", "[status]\nok = \"gren\"\nwarn = \"#12345\"\n[ui]\nborderr = \"red\"\nbar = { fg = \"red\", blink = true }\n");
    let errors: Vec<String> = Theme::load(&path.to_string_lossy(), None, ColorDepth::TrueColor)
        .expect_err("bad theme")
        .iter()
        .map(ToString::to_string)
        .collect();
    let p = path.display();
    assert!(errors.contains(&format!("{p}:2:6: bad colour \"gren\" (did you mean \"green\"?): use a name like \"cyan\", \"#rrggbb\" or 0-255")), "{errors:#?}");
    assert!(
        errors.contains(&format!(
            "{p}:3:8: bad colour \"#12345\": use #rrggbb with six hex digits"
        )),
        "{errors:#?}"
    );
    assert!(
        errors.contains(&format!(
            "{p}:5:1: unknown theme slot \"ui.borderr\" (did you mean \"ui.border\"?)"
        )),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("{p}:6:1: unknown theme slot \"ui.bar\""))),
        "{errors:#?}"
    );
}

#[test]
fn colours_degrade_for_16_colour_terminals() {
    let theme = Theme::load("dark", None, ColorDepth::Ansi16).expect("dark");
    for slot in Slot::ALL {
        let style = theme.style(*slot);
        for color in [style.fg, style.bg].into_iter().flatten() {
            assert!(
                !matches!(color, Color::Rgb(..) | Color::Indexed(_)),
                "{} kept {color:?} on a 16-colour terminal",
                slot.name()
            );
        }
    }
}

#[test]
fn config_check_validates_the_keymap_and_theme_it_names() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = write(
        home.path(),
        "sheriff.toml",
        "[ui]\nkeymap = \"vim\"\ntheme = \"solarized\"\n",
    );
    write(
        home.path(),
        ".config/sheriff/keymap.toml",
        "[global]\n\"x\" = \"zooom\"\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_sheriff"))
        .args(["config", "check", "--config"])
        .arg(&config)
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .expect("run sheriff");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("keymap.toml:2:7: unknown action \"zooom\""),
        "{stderr}"
    );
    assert!(stderr.contains("cannot read theme"), "{stderr}");
}
