//! Starting the TUI: on the discovered config, or on the embedded demo sandbox.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::config::{self, discover};
use crate::tui;

/// Tracing goes to a file in the state dir, never to the screen. Returns the file's path
/// and the guard that flushes it.
pub fn init_logging() -> Option<(PathBuf, tracing_appender::non_blocking::WorkerGuard)> {
    let dir = crate::paths::state_dir();
    crate::paths::create_private_dir(&dir).ok()?;
    let file = crate::paths::open_private_append(&dir.join("sheriff.log")).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("SHERIFF_LOG")
        .unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some((dir.join("sheriff.log"), guard))
}

/// `sheriff` with no subcommand: the TUI on the found config.
pub fn run_tui(cli_config: Option<&Path>) -> anyhow::Result<ExitCode> {
    let path = match discover::discover(cli_config) {
        Ok(Some(path)) => path,
        Ok(None) => {
            eprintln!(
                "sheriff: no config found (looked in: {}).",
                discover::search_order(cli_config).join(", ")
            );
            eprintln!("Try `sheriff demo` to see sheriff on a built-in sandbox, or write sheriff.toml (docs/configuration.md).");
            return Ok(ExitCode::from(2));
        }
        Err(err) => {
            eprintln!("{err}");
            return Ok(ExitCode::from(2));
        }
    };
    start(&path)
}

/// `sheriff demo`: builds the sandbox, then runs the normal app on its generated config.
pub fn run_demo() -> anyhow::Result<ExitCode> {
    let runtime = crate::workers::runtime().context("cannot start the async runtime")?;
    let sandbox = runtime
        .block_on(crate::demo::Sandbox::create())
        .context("cannot build the demo sandbox")?;
    let path = sandbox.config_path().to_path_buf();
    let code = start_on(&runtime, &path);
    drop(sandbox);
    code
}

fn start(path: &Path) -> anyhow::Result<ExitCode> {
    let runtime = crate::workers::runtime().context("cannot start the async runtime")?;
    start_on(&runtime, path)
}

fn start_on(runtime: &tokio::runtime::Runtime, path: &Path) -> anyhow::Result<ExitCode> {
    let config = match config::load(path) {
        Ok(config) => config,
        Err(errors) => {
            for error in errors.iter() {
                eprintln!("{error}");
            }
            eprintln!("sheriff: fix the config above, then start again (`sheriff config check` re-checks it).");
            return Ok(ExitCode::from(2));
        }
    };
    let look = match tui::load_look(&config) {
        Ok(look) => look,
        Err(errors) => {
            eprintln!("{errors}");
            return Ok(ExitCode::from(2));
        }
    };
    let logging = init_logging();
    tui::terminal::install_panic_hook(logging.as_ref().map(|(p, _)| p.clone()));
    tracing::info!(config = %path.display(), "starting");
    let options = tui::Options {
        config,
        config_path: Some(path.to_path_buf()),
        look,
    };
    runtime.block_on(tui::run(options))?;
    Ok(ExitCode::SUCCESS)
}
