//! `sheriff watch`: the checks running with no screen (a systemd unit, a tmux window),
//! recording each state change to the handoff log and printing it, one line each, for the
//! journal. While it runs it holds the recorder role for the log (see
//! `checks::recorder`), so a TUI on the same log does not write the same change again.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _};
use chrono::{SecondsFormat, Utc};

use crate::checks::engine::Resources;
use crate::checks::record::StateChanges;
use crate::checks::recorder::RecorderLock;
use crate::event::Event;
use crate::handoff::{self, Log};
use crate::transport::ssh::{SshOptions, SshPool};

pub fn run(config_path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let Some((path, config)) = super::find_config(config_path).map_err(|e| anyhow!("{e}"))? else {
        return Err(anyhow!(
            "no config file: pass --config FILE or create sheriff.toml"
        ));
    };
    let log = Log::from_spec(&config.handoff);
    let author = handoff::author(&config.handoff);
    let _role = RecorderLock::take(log.root()).map_err(|e| anyhow!("{e}"))?;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async move {
        let (tx, mut rx) = crate::event::channel();
        let mut changes = StateChanges::new(&config);
        let loaded = {
            let log = log.clone();
            tokio::task::spawn_blocking(move || log.load()).await?
        }
        .with_context(|| format!("reading the handoff log {}", log.root().display()))?;
        changes.learn_from_log(&loaded.entries);
        let mut entries = loaded.entries;
        let mut acks = crate::checks::acks::Acks::from_log(&entries);
        let mut autofile = crate::tracker::autofile::Autofile::new(&config.autofile);
        let (outbox, record) = crate::tracker::places(&config.tracker);
        let _watch = handoff::watch(&log, tx.clone());
        let pool = (!config.hosts.is_empty()).then(|| {
            let pool = SshPool::new(&config.hosts, SshOptions::default(), Some(tx.clone()));
            pool.connect_all();
            pool
        });
        let resources = Resources::new(pool, Resources::open_history());
        let workers = crate::workers::start_with(&config, tx.clone(), resources);
        say(&format!(
            "watching {} checks from {} as {author}; recording to {}",
            workers.len(),
            path.display(),
            log.root().display()
        ));
        let mut stop = Box::pin(stopped());
        loop {
            let event = tokio::select! {
                event = rx.recv() => event,
                _ = &mut stop => break,
            };
            match event {
                Some(Event::Check(run)) => {
                    for result in &run.rows {
                        let acked = acks.of(result).is_some();
                        let tier = config
                            .checks
                            .iter()
                            .find(|c| c.name == result.check)
                            .map_or(Default::default(), |c| c.tier);
                        let env = crate::checks::record::target_refs(
                            &config,
                            &result.check,
                            &result.target,
                        )
                        .env;
                        let Some(auto) =
                            autofile.observe(result, env.as_deref(), tier, acked, Utc::now())
                        else {
                            continue;
                        };
                        let Some(item) = autofile.queued(&auto, &config, &entries, &record.load())
                        else {
                            continue;
                        };
                        match crate::tracker::send::file(&config.tracker, &outbox, &record, &item)
                            .await
                        {
                            Ok(outcome) => {
                                say(&autofiled(&outcome));
                                if let Some(entry) = outcome.entry(&author) {
                                    let log = log.clone();
                                    if let Ok(Err(e)) =
                                        tokio::task::spawn_blocking(move || log.append(entry)).await
                                    {
                                        say(&format!("not recorded: {e}"));
                                    }
                                }
                            }
                            Err(e) => say(&format!("bug not filed: cannot write the outbox: {e}")),
                        }
                    }
                    for entry in changes.observe_run(&run, &author) {
                        say(&entry.text);
                        let log = log.clone();
                        let saved = tokio::task::spawn_blocking(move || log.append(entry)).await;
                        match saved {
                            Ok(Ok(_)) => {}
                            Ok(Err(err)) => say(&format!("not recorded: {err}")),
                            Err(err) => say(&format!("not recorded: {err}")),
                        }
                    }
                }
                Some(Event::HandoffEntries(new)) => {
                    changes.learn_from_log(&new);
                    acks.learn(&new);
                    entries.extend(new);
                }
                Some(Event::Host { host, state }) => say(&format!("host {host}: {state}")),
                Some(Event::Notice(text)) => say(&text),
                Some(_) => {}
                None => break,
            }
        }
        drop(workers);
        say("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// What became of an autofiled bug, for the journal.
fn autofiled(outcome: &crate::tracker::send::Outcome) -> String {
    use crate::tracker::send::Outcome;
    match outcome {
        Outcome::Filed { item, issue } => format!(
            "autofiled {} {}: {}",
            issue.label(),
            issue.url,
            item.bug.title
        ),
        Outcome::Commented { item, issue } => format!(
            "commented on {} {}: {}",
            issue.label(),
            issue.url,
            item.bug.title
        ),
        Outcome::Queued { item, error } => format!("bug queued ({error}): {}", item.bug.title),
    }
}

/// One line for the journal, with the time.
fn say(text: &str) {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    println!("{now} {text}");
}

/// SIGTERM (systemd stop) or SIGINT (ctrl-c).
async fn stopped() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}
