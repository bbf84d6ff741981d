//! `sheriff config check`: validate the config and print every problem as `file:line:col`.

use std::path::Path;
use std::process::ExitCode;

use crate::config::{self, Config, ConfigError};

/// A further check run on a config that loaded cleanly, such as "the keymap and theme it
/// names load": it returns its problems, each pointing into whichever file is at fault.
pub type ExtraCheck = fn(&Config) -> Vec<ConfigError>;

/// Validates the config found from `config` (the `--config` flag): exit 0 and a summary
/// line on stdout when it is good, exit 1 and one error per line on stderr when not.
pub fn run(config: Option<&Path>) -> anyhow::Result<ExitCode> {
    run_with(config, &[])
}

/// `run`, plus `extra` checks on the loaded config (keymaps, themes).
pub fn run_with(config: Option<&Path>, extra: &[ExtraCheck]) -> anyhow::Result<ExitCode> {
    let path = match config::discover(config) {
        Ok(Some(path)) => path,
        Ok(None) => {
            eprintln!(
                "no config found; looked in: {}\ncreate {} (docs/configuration.md has an example)",
                config::search_order(config).join(", "),
                config::FILE_NAME
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(err) => {
            eprintln!("{err}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let loaded = match config::load(&path) {
        Ok(loaded) => loaded,
        Err(errors) => {
            for err in errors {
                eprintln!("{err}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let problems: Vec<ConfigError> = extra.iter().flat_map(|check| check(&loaded)).collect();
    if !problems.is_empty() {
        for err in &problems {
            eprintln!("{err}");
        }
        return Ok(ExitCode::FAILURE);
    }
    println!("{}", summary(&path, &loaded));
    Ok(ExitCode::SUCCESS)
}

/// `sheriff.toml: ok — 3 environments, 5 hosts, 7 checks, 2 logs, 1 drift target`
pub fn summary(path: &Path, config: &Config) -> String {
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}: ok — {}, {}, {}, {}, {}",
        path.display(),
        count(config.environments.len(), "environment", "environments"),
        count(config.hosts.len(), "host", "hosts"),
        count(config.checks.len(), "check", "checks"),
        count(config.logs.len(), "log", "logs"),
        count(config.drifts.len(), "drift target", "drift targets"),
    )
}
