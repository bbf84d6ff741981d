//! The `sheriff` binary: a clap front end; each subcommand is a thin call into the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "sheriff",
    version,
    about = "One terminal screen for the person on call"
)]
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
    /// Measure sheriff beside a peer doing the same work (see docs/performance.md).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Print the effective keymap, each key with what it does.
    Keys {
        /// List every action name a keymap file can use.
        #[arg(long)]
        actions: bool,
    },
    /// Work with the config file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Append a note to the handoff log.
    Note(sheriff::cli::handoff::NoteArgs),
    /// Record a change with its why.
    Change(sheriff::cli::handoff::ChangeArgs),
    /// Mark the start or end of your shift.
    Shift(sheriff::cli::handoff::ShiftArgs),
    /// Print the shift report for the next sheriff.
    Handoff(sheriff::cli::handoff::HandoffArgs),
    /// Run checks once; exit 0 ok, 1 warning, 2 critical, 3 unknown (a Nagios plugin).
    Check(sheriff::cli::check::CheckArgs),
    /// Read a log with no screen: a `[[log]]` (on every host of it, over SSH) or a file;
    /// filtered by time, level and regex, as text, JSON lines or a count.
    Logs(sheriff::cli::logs::LogsArgs),
    /// Compare the drift targets once: a unified diff (secrets masked) or JSON; exit 0 no
    /// drift, 1 drift, 2 a target could not be compared.
    Drift(sheriff::cli::drift::DriftArgs),
    /// Run the checks with no screen, recording each state change to the handoff log.
    Watch,
    /// File a bug (or comment on the open one with its fingerprint); prints its URL, or
    /// "queued: …" and exits 75 when the tracker cannot be reached.
    Bug(sheriff::cli::bug::BugArgs),
    /// The bug outbox.
    #[command(subcommand)]
    Bugs(sheriff::cli::bug::BugsCommand),
    /// The bug tracker.
    #[command(subcommand)]
    Tracker(TrackerCommand),
    /// Connect to each host: ok, host key fingerprint, latency; exit 1 if any fails.
    Hosts {
        /// Only these hosts (default: every configured host); with --resolve, any
        /// configured host or ~/.ssh/config alias.
        names: Vec<String>,
        /// Print what sheriff will use for each NAME, in `ssh -G` style; connect to nothing.
        #[arg(long)]
        resolve: bool,
        /// Read this file instead of ~/.ssh/config (as `ssh -F` does).
        #[arg(long, value_name = "FILE")]
        ssh_config: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum BenchCommand {
    /// Draw the full 200x50 screen with many retained log lines.
    Draw {
        #[arg(long, default_value_t = 10_000)]
        lines: usize,
        #[arg(long, default_value_t = 2_000)]
        frames: usize,
    },
    /// Redact generated log lines, beside sed and grep on the same text.
    Redact {
        /// Megabytes of log text.
        #[arg(long, default_value_t = 100)]
        mb: usize,
        /// Runs; the best is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
}

#[derive(Subcommand, Debug)]
enum TrackerCommand {
    /// One read-only call: does the token work, is the project there; said in words.
    Check,
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Validate the config; print each error as file:line:col, exit 1 if any.
    Check,
}

fn main() -> ExitCode {
    sheriff::STARTED.get_or_init(std::time::Instant::now);
    sheriff::memory::tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `sheriff check` is called as a Nagios plugin: a usage error is UNKNOWN (3).
        Err(err) if is_check_call() && err.use_stderr() => {
            let _ = err.print();
            return ExitCode::from(3);
        }
        Err(err) => err.exit(),
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("sheriff: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => sheriff::cli::launch::run_tui(cli.config.as_deref()),
        Some(Command::Demo) => sheriff::cli::launch::run_demo(),
        Some(Command::Bench(BenchCommand::Draw { lines, frames })) => {
            sheriff::cli::bench::draw(lines, frames)
        }
        Some(Command::Bench(BenchCommand::Redact { mb, runs })) => {
            sheriff::cli::bench::redact(mb, runs)
        }
        Some(Command::Keys { actions }) => sheriff::cli::keys::run(cli.config.as_deref(), actions),
        Some(Command::Config {
            command: ConfigCommand::Check,
        }) => {
            sheriff::cli::config_check::run_with(cli.config.as_deref(), &[sheriff::tui::check_look])
        }
        Some(Command::Note(args)) => sheriff::cli::handoff::note(cli.config.as_deref(), &args),
        Some(Command::Change(args)) => sheriff::cli::handoff::change(cli.config.as_deref(), &args),
        Some(Command::Shift(args)) => sheriff::cli::handoff::shift(cli.config.as_deref(), &args),
        Some(Command::Handoff(args)) => {
            sheriff::cli::handoff::handoff(cli.config.as_deref(), &args)
        }
        Some(Command::Check(args)) => Ok(sheriff::cli::check::run(cli.config.as_deref(), &args)),
        Some(Command::Logs(args)) => Ok(sheriff::cli::logs::run(cli.config.as_deref(), &args)),
        Some(Command::Drift(args)) => Ok(sheriff::cli::drift::run(cli.config.as_deref(), &args)),
        Some(Command::Watch) => sheriff::cli::watch::run(cli.config.as_deref()),
        Some(Command::Bug(args)) => sheriff::cli::bug::bug(cli.config.as_deref(), &args),
        Some(Command::Bugs(command)) => sheriff::cli::bug::queue(cli.config.as_deref(), &command),
        Some(Command::Tracker(TrackerCommand::Check)) => {
            sheriff::cli::bug::check(cli.config.as_deref())
        }
        Some(Command::Hosts {
            names,
            resolve: true,
            ssh_config,
        }) => {
            sheriff::cli::hosts::run_resolve(cli.config.as_deref(), &names, ssh_config.as_deref())
        }
        Some(Command::Hosts {
            names, ssh_config, ..
        }) => {
            if ssh_config.is_some() {
                eprintln!("sheriff hosts: --ssh-config goes with --resolve");
                return Ok(ExitCode::from(2));
            }
            sheriff::cli::hosts::run(cli.config.as_deref(), &names)
        }
    }
}

/// Whether the command line asks for `sheriff check` (its first word that is not an option
/// or an option's value).
fn is_check_call() -> bool {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--config" {
            args.next();
            continue;
        }
        if arg.starts_with('-') {
            continue;
        }
        return arg == "check";
    }
    false
}
