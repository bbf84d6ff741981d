//! `sheriff note`, `sheriff change`, `sheriff shift start|end`, `sheriff handoff`: the
//! headless twins of the TUI's `n`, `c` and Handoff pane, on the same library calls.

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, Context as _};
use chrono::Utc;

use crate::config::HandoffSpec;
use crate::handoff::{self, parse_since, Entry, EntryKind, Log, Period, Refs, Report, Span};

/// How long a headless command waits for the shared remote before carrying on offline.
const SYNC_TIMEOUT: Duration = Duration::from_secs(15);

/// What an entry is about: the headless form of "the focused check/host/drift target".
#[derive(clap::Args, Debug, Default, Clone)]
pub struct RefArgs {
    /// The check this is about.
    #[arg(long)]
    pub check: Option<String>,
    /// The host this is about.
    #[arg(long)]
    pub host: Option<String>,
    /// The environment this is about.
    #[arg(long)]
    pub env: Option<String>,
    /// The drift target this is about.
    #[arg(long)]
    pub drift: Option<String>,
    /// A bug URL or id.
    #[arg(long)]
    pub bug: Option<String>,
    /// A free label; repeat for several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
}

impl RefArgs {
    fn refs(&self) -> Refs {
        Refs {
            check: self.check.clone(),
            host: self.host.clone(),
            env: self.env.clone(),
            drift: self.drift.clone(),
            bug: self.bug.clone(),
        }
    }
}

/// `sheriff note TEXT`
#[derive(clap::Args, Debug)]
pub struct NoteArgs {
    /// The note; `-` reads it from stdin (for long text).
    #[arg(required = true, num_args = 1..)]
    pub text: Vec<String>,
    #[command(flatten)]
    pub refs: RefArgs,
}

/// `sheriff change TEXT --why WHY`
#[derive(clap::Args, Debug)]
pub struct ChangeArgs {
    /// What was changed; `-` reads it from stdin.
    #[arg(required = true, num_args = 1..)]
    pub text: Vec<String>,
    /// Why it was changed (required: the next sheriff needs it more than the what).
    #[arg(long, required = true)]
    pub why: String,
    #[command(flatten)]
    pub refs: RefArgs,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftEdge {
    Start,
    End,
}

/// `sheriff shift start|end [TEXT]`
#[derive(clap::Args, Debug)]
pub struct ShiftArgs {
    pub edge: ShiftEdge,
    /// An optional word for the record ("took over from sam").
    pub text: Vec<String>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Md,
    Json,
}

/// `sheriff handoff [--since 12h|--shift] [--format md|json]`
#[derive(clap::Args, Debug)]
pub struct HandoffArgs {
    /// Cover the last so long: 90m, 1h30m, 1.5h, 12h, 2d, 1w (as durations in the config).
    #[arg(long, value_name = "DURATION", conflicts_with = "shift")]
    pub since: Option<String>,
    /// Cover the latest shift (the default; the last 12h when no shift was started).
    #[arg(long)]
    pub shift: bool,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    pub format: Format,
    /// Also POST the report to this webhook: JSON `{"text": <Markdown>, "report": {…}}`,
    /// which Slack, Mattermost and Rocket.Chat incoming webhooks accept.
    #[arg(long, value_name = "URL")]
    pub post: Option<String>,
    /// Name of an environment variable holding a bearer token for --post (tokens never
    /// go on the command line).
    #[arg(long, value_name = "VAR", requires = "post")]
    pub post_token_env: Option<String>,
    /// Also mail the report to this address (SMTP or sendmail, as `[handoff]` or a mail
    /// `[tracker]` configure it).
    #[arg(long, value_name = "ADDRESS")]
    pub mail: Option<String>,
}

/// `sheriff note TEXT`: append a note.
pub fn note(config: Option<&Path>, args: &NoteArgs) -> anyhow::Result<ExitCode> {
    let (log, author) = open(config)?;
    let entry = Entry::new(EntryKind::Note, author, text_of(&args.text)?)
        .with_refs(args.refs.refs())
        .with_tags(args.refs.tags.clone());
    save(&log, entry)
}

/// `sheriff change TEXT --why WHY`: record a change with its why.
pub fn change(config: Option<&Path>, args: &ChangeArgs) -> anyhow::Result<ExitCode> {
    let (log, author) = open(config)?;
    let entry = Entry::new(EntryKind::Change, author, text_of(&args.text)?)
        .with_why(args.why.clone())
        .with_refs(args.refs.refs())
        .with_tags(args.refs.tags.clone());
    save(&log, entry)
}

/// `sheriff shift start|end`: mark a shift's edge; `--shift` reports start from here.
pub fn shift(config: Option<&Path>, args: &ShiftArgs) -> anyhow::Result<ExitCode> {
    let (log, author) = open(config)?;
    let kind = match args.edge {
        ShiftEdge::Start => EntryKind::ShiftStart,
        ShiftEdge::End => EntryKind::ShiftEnd,
    };
    let saved = save(&log, Entry::new(kind, author, args.text.join(" ")))?;
    if args.edge == ShiftEdge::End {
        if let Some((_, config)) = super::find_config(config).map_err(|e| anyhow!("{e}"))? {
            if let Some(to) = &config.handoff.mail {
                let loaded = log.load().context("reading the handoff log")?;
                let span = Span::resolve(Period::Shift, &loaded.entries, Utc::now());
                let open = crate::problems::Problems::from_log(&loaded.entries).open();
                let markdown = Report::build(&loaded.entries, span, open).to_markdown();
                if let Err(e) = mail_report(&config, to, &markdown) {
                    eprintln!("sheriff: the shift report was not mailed: {e:#}");
                    return Ok(ExitCode::FAILURE);
                }
                eprintln!("sheriff: shift report mailed to {to}");
            }
        }
    }
    Ok(saved)
}

/// Mails the shift report through the mail transport: `[handoff]`'s `mail_from` and
/// `smtp`, else a mail `[tracker]`'s `from` and `smtp` (its credentials too), else the
/// local sendmail.
fn mail_report(config: &crate::config::Config, to: &str, markdown: &str) -> anyhow::Result<()> {
    let tracker = &config.tracker;
    let mut spec = crate::config::TrackerSpec {
        kind: crate::config::TrackerKind::Mail,
        to: Some(to.to_string()),
        from: config
            .handoff
            .mail_from
            .clone()
            .or_else(|| tracker.from.clone()),
        smtp: config.handoff.smtp.clone().or_else(|| tracker.smtp.clone()),
        ..crate::config::TrackerSpec::default()
    };
    if tracker.kind == crate::config::TrackerKind::Mail && spec.smtp == tracker.smtp {
        spec.user = tracker.user.clone();
        spec.token_env = tracker.token_env.clone();
        spec.token_file = tracker.token_file.clone();
    }
    if spec.from.is_none() {
        let host = std::fs::read_to_string("/etc/hostname").unwrap_or_else(|_| "localhost".into());
        spec.from = Some(format!("sheriff@{}", host.trim()));
    }
    let mail = crate::tracker::mail::Mail::new(&spec).map_err(|e| anyhow!("{e}"))?;
    let body = crate::redact::mask(markdown).into_owned();
    let subject = format!("Shift report {}", Utc::now().format("%Y-%m-%d %H:%M UTC"));
    let id = format!(
        "<report.{}.{:08x}@sheriff>",
        Utc::now().format("%Y%m%d%H%M%S"),
        rand::random::<u32>()
    );
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(mail.send(&subject, &body, &id, None))
        .map_err(|e| anyhow!("{e}"))
}

/// `sheriff handoff`: print the shift report.
pub fn handoff(config: Option<&Path>, args: &HandoffArgs) -> anyhow::Result<ExitCode> {
    let (log, author) = open(config)?;
    if let Some(share) = log.share() {
        // Teammates' latest entries belong in the report; offline, report what we have.
        if let Err(e) = share.sync(&author, SYNC_TIMEOUT) {
            eprintln!(
                "sheriff: not synced with {} ({e}); reporting local entries",
                share.remote()
            );
        }
    }
    let period = match &args.since {
        Some(text) => Period::Last(parse_since(text).map_err(|e| anyhow!(e))?),
        None => Period::Shift,
    };
    let loaded = log
        .load()
        .with_context(|| format!("reading the handoff log {}", log.root().display()))?;
    for c in loaded.corrupt.iter().take(5) {
        eprintln!("sheriff: warning: {c}");
    }
    if loaded.corrupt.len() > 5 {
        eprintln!(
            "sheriff: warning: … and {} more unreadable lines, set aside",
            loaded.corrupt.len() - 5
        );
    }
    let span = Span::resolve(period, &loaded.entries, Utc::now());
    let report = Report::build(
        &loaded.entries,
        span,
        // The same type the TUI's preview reads; here only the log feeds it.
        crate::problems::Problems::from_log(&loaded.entries).open(),
    );
    let markdown = report.to_markdown();
    let json = report.to_json();
    match args.format {
        Format::Md => print!("{markdown}"),
        Format::Json => println!("{json}"),
    }
    drop(report);
    if let Some(url) = &args.post {
        let token = match &args.post_token_env {
            Some(var) => Some(
                std::env::var(var)
                    .map_err(|_| anyhow!("--post-token-env {var}: the variable is not set"))?,
            ),
            None => None,
        };
        if let Err(e) = crate::handoff::post_report(url, token.as_deref(), &markdown, &json) {
            eprintln!("sheriff: the report was not posted: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
        eprintln!(
            "sheriff: report posted to {}",
            crate::handoff::url_without_secrets(url)
        );
    }
    if let Some(to) = &args.mail {
        let config = super::find_config(config)
            .map_err(|e| anyhow!("{e}"))?
            .map(|(_, c)| c)
            .unwrap_or_default();
        if let Err(e) = mail_report(&config, to, &markdown) {
            eprintln!("sheriff: the report was not mailed: {e:#}");
            return Ok(ExitCode::FAILURE);
        }
        eprintln!("sheriff: report mailed to {to}");
    }
    // The process exits next: freeing a large log string by string would only add ~10% to
    // the command's time (measured over 100,000 entries), so leave it to the OS.
    std::mem::forget(loaded);
    Ok(ExitCode::SUCCESS)
}

/// The log and author from the config; with no config file anywhere, the defaults (data
/// dir store, `$USER`), so a first `sheriff note` works before any setup.
fn open(config: Option<&Path>) -> anyhow::Result<(Log, String)> {
    let spec = match super::find_config(config).map_err(|e| anyhow!("{e}"))? {
        Some((_, config)) => config.handoff,
        None => HandoffSpec::default(),
    };
    Ok((Log::from_spec(&spec), handoff::author(&spec)))
}

fn text_of(words: &[String]) -> anyhow::Result<String> {
    if words.len() == 1 && words[0] == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the text from stdin")?;
        return Ok(text.trim_end().to_string());
    }
    Ok(words.join(" "))
}

fn save(log: &Log, entry: Entry) -> anyhow::Result<ExitCode> {
    let kind = entry.kind;
    let saved = log.append(entry)?;
    if !saved.masked.is_empty() {
        eprintln!(
            "sheriff: masked {} before saving; the secret never reached the disk",
            saved.masked.join(", ")
        );
    }
    println!("saved {kind} {}", saved.entry.id);
    if let Some(share) = log.share() {
        if let Some(e) = &saved.commit_error {
            eprintln!("sheriff: saved but not committed yet ({e}); the next sync commits it");
        }
        match share.sync(&saved.entry.author, SYNC_TIMEOUT) {
            Ok(_) => eprintln!("sheriff: shared with {}", share.remote()),
            Err(e) => eprintln!("sheriff: saved locally, will sync later: {e}"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
