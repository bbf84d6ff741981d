//! `sheriff bug`, `sheriff bugs queue` and `sheriff tracker check`: filing, the outbox and
//! the tracker's credentials, headless. A bug that cannot be sent stays in the outbox and
//! the command exits 75 (EX_TEMPFAIL), so a script knows to look later, not to file again.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use chrono::Utc;

use crate::config::Config;
use crate::handoff::Log;
use crate::tracker::draft::{BugDraft, Subject};
use crate::tracker::outbox::Queued;
use crate::tracker::send::{self, Outcome};
use crate::tracker::{self, subjects};

/// Exit code for "queued, not sent" (sysexits' EX_TEMPFAIL).
const QUEUED: u8 = 75;

#[derive(clap::Args, Debug)]
pub struct BugArgs {
    /// The bug's title (default: made from --from-check or --from-drift).
    #[arg(long)]
    pub title: Option<String>,
    /// The body in Markdown, from a file or `-` for stdin (added after what sheriff knows).
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// Run this check now and file about what it shows.
    #[arg(long, value_name = "NAME")]
    pub from_check: Option<String>,
    /// File about this drift target.
    #[arg(long, value_name = "NAME")]
    pub from_drift: Option<String>,
    /// More labels (repeatable).
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// The environment it is about (and, with --from-check, the one to run).
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// File a new bug even when an open one has the same fingerprint.
    #[arg(long)]
    pub new: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum BugsCommand {
    /// List the bugs waiting to be sent; --retry sends them now, --drop ID forgets one.
    Queue {
        #[arg(long)]
        retry: bool,
        #[arg(long, value_name = "ID")]
        drop: Option<String>,
    },
}

fn load(config_path: Option<&Path>) -> anyhow::Result<Config> {
    match super::find_config(config_path).map_err(anyhow::Error::msg)? {
        Some((_, config)) => Ok(config),
        None => bail!("no config file: pass --config FILE or create sheriff.toml"),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn bug(config_path: Option<&Path>, args: &BugArgs) -> anyhow::Result<ExitCode> {
    let config = load(config_path)?;
    let runtime = runtime()?;
    let mut subject = match (&args.from_check, &args.from_drift) {
        (Some(name), _) => runtime.block_on(from_check(&config, name, args.env.as_deref()))?,
        (None, Some(name)) => from_drift(&config, name, args.env.as_deref())?,
        (None, None) => Subject {
            kind: "entry",
            name: "note".into(),
            env: args.env.clone(),
            state: "reported".into(),
            ..Subject::default()
        },
    };
    let extra = match &args.body_file {
        Some(path) => Some(read_body(path)?),
        None => None,
    };
    if let Some(text) = &extra {
        subject.output = Some(match subject.output.take() {
            Some(known) => format!("{known}\n\n{text}"),
            None => text.clone(),
        });
    }
    let entries = Log::from_spec(&config.handoff)
        .load()
        .map(|l| l.entries)
        .unwrap_or_default();
    let mut draft = BugDraft::new(&subject, &entries, &config.tracker, Utc::now());
    match (
        &args.title,
        args.from_check.is_none() && args.from_drift.is_none(),
    ) {
        (Some(title), _) => draft.title = crate::redact::mask(title).into_owned(),
        (None, true) => {
            bail!("say what the bug is: --title T, --from-check NAME or --from-drift NAME")
        }
        (None, false) => {}
    }
    if args.from_check.is_none() && args.from_drift.is_none() {
        // A bug that is only a title and a body: its fingerprint is its title.
        draft.fingerprint =
            tracker::Fingerprint::of(&draft.title, args.env.as_deref().unwrap_or(""), "");
        draft.body = format!(
            "{}\n\n---\nsheriff fingerprint: {}\n",
            extra.unwrap_or_default().trim_end(),
            draft.fingerprint
        );
    }
    draft.labels.extend(args.labels.iter().cloned());
    let mut item = Queued::new(draft.bug(), draft.to.clone(), draft.source.clone());
    item.new = args.new;
    let (outbox, record) = tracker::places(&config.tracker);
    let outcome = runtime
        .block_on(send::file(&config.tracker, &outbox, &record, &item))
        .with_context(|| {
            format!(
                "cannot write the bug to the outbox in {}",
                outbox.dir().display()
            )
        })?;
    Ok(report(&outcome))
}

fn report(outcome: &Outcome) -> ExitCode {
    match outcome {
        Outcome::Filed { issue, .. } => {
            println!("{}", issue.url);
            ExitCode::SUCCESS
        }
        Outcome::Commented { issue, .. } => {
            println!(
                "commented on {} (an open bug has this fingerprint; --new files anyway)",
                issue.url
            );
            ExitCode::SUCCESS
        }
        Outcome::Queued { item, error } => {
            println!(
                "queued: {error} (id {}; `sheriff bugs queue --retry` sends it)",
                item.id
            );
            ExitCode::from(QUEUED)
        }
    }
}

/// The body as text: bytes that are not UTF-8 become U+FFFD rather than refusing the bug.
fn read_body(path: &Path) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading the body from stdin")?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(crate::text::printable_bytes(&bytes))
}

async fn from_check(config: &Config, name: &str, env: Option<&str>) -> anyhow::Result<Subject> {
    if !config.checks.iter().any(|c| c.name == name) {
        let known: Vec<&str> = config.checks.iter().map(|c| c.name.as_str()).collect();
        bail!(
            "no check named {name:?}; the checks are: {}",
            known.join(", ")
        );
    }
    let args = super::check::CheckArgs {
        json: false,
        env: env.map(str::to_string),
        host: None,
        ignore_acked: false,
        names: vec![name.to_string()],
    };
    let work = super::check::selected(config, &args);
    let rows = super::check::run_all(config, work).await;
    // The worst row is the one worth a bug.
    let Some(row) = rows.iter().max_by_key(|r| r.result.status.severity()) else {
        bail!(
            "check {name:?} has no target{}",
            env.map(|e| format!(" in {e}")).unwrap_or_default()
        );
    };
    Ok(subjects::check(
        &row.result,
        row.env.as_deref(),
        row.spec.owner.as_deref(),
        row.spec.tier,
        Some(row.result.at),
        &[],
    ))
}

fn from_drift(config: &Config, name: &str, env: Option<&str>) -> anyhow::Result<Subject> {
    let Some(spec) = config.drifts.iter().find(|d| d.name == name) else {
        let known: Vec<&str> = config.drifts.iter().map(|d| d.name.as_str()).collect();
        bail!(
            "no drift target named {name:?}; the drift targets are: {}",
            known.join(", ")
        );
    };
    let (left, right) = &spec.between;
    Ok(Subject {
        kind: "drift",
        name: spec.name.clone(),
        env: env.map(str::to_string).or_else(|| Some(left.clone())),
        target: Some(format!("{left} ↔ {right}")),
        state: "DRIFT".into(),
        summary: format!("{} differs between {left} and {right}", spec.source.text()),
        ..Subject::default()
    })
}

pub fn queue(config_path: Option<&Path>, command: &BugsCommand) -> anyhow::Result<ExitCode> {
    let config = load(config_path)?;
    let (outbox, record) = tracker::places(&config.tracker);
    let BugsCommand::Queue { retry, drop } = command;
    if let Some(id) = drop {
        if outbox.get(id).is_none() {
            bail!("no queued bug {id} in {}", outbox.dir().display());
        }
        outbox
            .remove(id)
            .with_context(|| format!("dropping {id}"))?;
        println!("dropped {id}");
        return Ok(ExitCode::SUCCESS);
    }
    if *retry {
        let outcomes = runtime()?.block_on(send::flush(&config.tracker, &outbox, &record, true));
        let mut code = ExitCode::SUCCESS;
        for outcome in &outcomes {
            print!("{}: ", outcome.item().id);
            if matches!(report(outcome), c if c != ExitCode::SUCCESS) {
                code = ExitCode::from(QUEUED);
            }
        }
        if outcomes.is_empty() {
            println!("nothing queued");
        }
        return Ok(code);
    }
    let items = outbox.list();
    if items.is_empty() {
        println!("nothing queued");
    }
    for item in items {
        let next = if item.retrying {
            format!("next try {}", item.next_try.format("%H:%M:%S"))
        } else {
            "waits for --retry".into()
        };
        println!(
            "{}  {}  tries {}  {next}\n    {}",
            item.id,
            item.bug.title,
            item.attempts,
            item.last_error.as_deref().unwrap_or("not tried yet")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `sheriff tracker check`: one read-only call, said in words; exit 1 when it fails.
pub fn check(config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = load(config_path)?;
    let runtime = runtime()?;
    let outcome = tracker::connect(&config.tracker, &Default::default());
    let result = match outcome {
        Ok(tracker) => runtime.block_on(tracker.verify()),
        Err(e) => Err(e),
    };
    match result {
        Ok(words) => {
            println!("{}: {words}", config.tracker.kind.name());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{}: {e}", config.tracker.kind.name());
            Ok(ExitCode::from(1))
        }
    }
}
