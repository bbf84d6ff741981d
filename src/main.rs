//! The `sheriff` binary: a clap front end; each subcommand is a thin call into the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "sheriff", version, about = "One terminal screen for the person on call")]
struct Cli {
    /// Config file (default: $SHERIFF_CONFIG, ./sheriff.toml, ~/.config/sheriff/sheriff.toml).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The TUI on the embedded demo sandbox (no config, no servers needed).
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("sheriff: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let _ = &cli.config;
    match cli.command {
        None | Some(Command::Demo) => Ok(ExitCode::SUCCESS),
    }
}
