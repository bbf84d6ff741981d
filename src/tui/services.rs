//! What the TUI runs besides the screen: the SSH pool, the handoff watch and sync, the
//! config file watch and the workers. Starting them reads `~/.ssh/config`, creates
//! directories, sets up inotify and builds the HTTP client, so [`Services::start`] and
//! [`Services::reconfigure`] block: the runner calls them on a blocking thread and the
//! first frame never waits for them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::Watcher;
use tokio::sync::mpsc::UnboundedSender;

use crate::checks::engine::Resources;
use crate::config::Config;
use crate::event::{Event, Events};
use crate::handoff::{self, Log};
use crate::transport::ssh::{ChannelPrompt, SshOptions, SshPool};
use crate::workers::{self, Changes, Workers};

/// How often a shared handoff log is pulled and pushed (and after each save).
const SYNC_EVERY: Duration = Duration::from_secs(60);

pub struct Services {
    config: Config,
    tx: Events,
    author: String,
    pool: Option<SshPool>,
    log: Log,
    watch: handoff::WatchHandle,
    sync: Option<handoff::SyncHandle>,
    workers: Workers,
    /// Kept alive for the file watch on the config; `None` without a config file.
    _config_watch: Option<notify::RecommendedWatcher>,
}

/// What a reload changed, said in the status line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconfigured {
    pub workers: Changes,
    pub hosts_reconnected: bool,
    pub handoff_reopened: bool,
}

impl std::fmt::Display for Reconfigured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Changes {
            kept,
            started,
            stopped,
        } = self.workers;
        write!(f, "{kept} kept, {started} started, {stopped} stopped")?;
        if self.hosts_reconnected {
            f.write_str("; hosts reconnected")?;
        }
        if self.handoff_reopened {
            f.write_str("; handoff log reopened")?;
        }
        Ok(())
    }
}

impl Services {
    /// Starts everything `config` asks for. Blocks (see the module notes); must run
    /// inside the tokio runtime (a blocking thread of it is right).
    pub fn start(
        config: Config,
        author: String,
        tx: Events,
        config_file: Option<(&Path, UnboundedSender<()>)>,
    ) -> Services {
        // Before any worker reads a line, so none waits for the redactor's tables.
        crate::redact::warm_up();
        let log = Log::from_spec(&config.handoff);
        let watch = handoff::watch(&log, tx.clone());
        let sync = start_sync(&log, &author, &tx);
        let pool = start_pool(&config, &tx);
        let resources = Resources::new(pool.clone(), Resources::open_history());
        let workers = workers::start_with(&config, tx.clone(), resources);
        let config_watch = config_file.and_then(|(path, changed)| {
            watch_config(path, changed)
                .map_err(|err| {
                    let notice = format!("config changes need R: cannot watch the file ({err})");
                    let _ = tx.send(Event::Notice(notice));
                })
                .ok()
        });
        Services {
            config,
            tx,
            author,
            pool,
            log,
            watch,
            sync,
            workers,
            _config_watch: config_watch,
        }
    }

    /// Runs what `config` asks for by difference with what runs now: unchanged workers
    /// keep running, the SSH pool is rebuilt only when hosts changed, the handoff watch
    /// and sync only when the log moved. Blocks, like [`Services::start`].
    pub fn reconfigure(&mut self, config: Config) -> Reconfigured {
        let mut done = Reconfigured::default();
        if hosts_changed(&self.config, &config) {
            // The old connections close before the new ones open; the checks that use
            // them restart on the new pool.
            self.workers.set_pool(None);
            self.pool = None;
            self.pool = start_pool(&config, &self.tx);
            self.workers.set_pool(self.pool.clone());
            done.hosts_reconnected = true;
        }
        done.workers = self.workers.update(&config, &self.tx);
        let log = Log::from_spec(&config.handoff);
        let author = handoff::author(&config.handoff);
        if log != self.log || author != self.author {
            self.watch = handoff::watch(&log, self.tx.clone());
            self.sync = start_sync(&log, &author, &self.tx);
            self.log = log;
            self.author = author;
            done.handoff_reopened = true;
        }
        self.config = config;
        done
    }

    /// The SSH pool, when hosts are configured.
    pub fn pool(&self) -> Option<SshPool> {
        self.pool.clone()
    }

    /// Runs a check on a target now; false when it does not run.
    pub fn run_now(&self, check: &str, target: &str) -> bool {
        self.workers.run_now(check, target)
    }

    /// Share a new entry now rather than at the next period.
    pub fn nudge_sync(&self) {
        if let Some(sync) = &self.sync {
            sync.nudge();
        }
    }
}

fn hosts_changed(old: &Config, new: &Config) -> bool {
    old.hosts != new.hosts || env_hosts(old) != env_hosts(new)
}

fn env_hosts(config: &Config) -> Vec<&String> {
    let mut named: Vec<&String> = config.environments.iter().flat_map(|e| &e.hosts).collect();
    named.sort();
    named.dedup();
    named
}

/// One SSH connection per configured host, connecting now so Health and the status line
/// show every host's state (connecting, up, unknown key, auth failed…) from the start.
/// An encrypted key's passphrase is asked for in the TUI's own prompt, once per key.
fn start_pool(config: &Config, tx: &Events) -> Option<SshPool> {
    if config.hosts.is_empty() {
        return None;
    }
    let options = SshOptions {
        prompt: Arc::new(ChannelPrompt::new(tx.clone())),
        ..SshOptions::default()
    };
    let pool = SshPool::new(&config.hosts, options, Some(tx.clone()));
    pool.connect_all();
    Some(pool)
}

/// With `share = "<git remote>"`, pull and push the log in the background.
fn start_sync(log: &Log, author: &str, tx: &Events) -> Option<handoff::SyncHandle> {
    let share = log.share()?.clone();
    Some(handoff::spawn_sync(
        share,
        author.to_string(),
        SYNC_EVERY,
        tx.clone(),
    ))
}

/// Tells `changed` whenever the config file is written, replaced (editors that save by
/// rename) or created. The directory is watched, not the file, because a rename-save
/// replaces the inode a file watch would hold.
fn watch_config(
    path: &Path,
    changed: UnboundedSender<()>,
) -> notify::Result<notify::RecommendedWatcher> {
    let path: PathBuf = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = path.file_name().map(|n| n.to_os_string());
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(event) = res else { return };
        if event.kind.is_access() {
            return;
        }
        if event.paths.iter().any(|p| p.file_name() == name.as_deref()) {
            let _ = changed.send(());
        }
    })?;
    watcher.watch(&dir, notify::RecursiveMode::NonRecursive)?;
    Ok(watcher)
}
