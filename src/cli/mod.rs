//! Headless subcommands: each is a thin call into the library.

pub mod bench;
pub mod bug;
pub mod check;
pub mod config_check;
pub mod drift;
pub mod handoff;
pub mod hosts;
pub mod keys;
pub mod launch;
pub mod logs;
pub mod watch;

use std::path::{Path, PathBuf};

use crate::config::{self, Config};

/// The config `--config` (or discovery) finds: `Ok(None)` when there is no config file,
/// `Err` with every problem, one per line, when there is one that cannot be used.
pub fn find_config(cli_config: Option<&Path>) -> Result<Option<(PathBuf, Config)>, String> {
    let Some(path) = config::discover(cli_config).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let config = config::load(&path).map_err(|errors| errors.to_string())?;
    Ok(Some((path, config)))
}
