//! `sheriff keys`: the effective keymap, each key with its action's description.

use std::path::Path;
use std::process::ExitCode;

use crate::tui::action::Action;
use crate::tui::keymap::Section;

pub fn run(cli_config: Option<&Path>, list_actions: bool) -> anyhow::Result<ExitCode> {
    if list_actions {
        for action in Action::ALL {
            println!("{:<18} {}", action.name(), action.description());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let config = match super::find_config(cli_config) {
        Ok(found) => found.map(|(_, config)| config).unwrap_or_default(),
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(1));
        }
    };
    let look = match crate::tui::load_look(&config) {
        Ok(look) => look,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(1));
        }
    };
    println!("keymap: {}", config.ui.keymap);
    for section in Section::ALL {
        let bindings = look.keymap.section(section);
        if bindings.is_empty() {
            continue;
        }
        println!("\n[{}]", section.name());
        for (key, action) in bindings {
            println!(
                "  {:<12} {:<18} {}",
                key.to_string(),
                action.name(),
                action.description()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
