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
                Some(Event::HandoffEntries(entries)) => changes.learn_from_log(&entries),
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
