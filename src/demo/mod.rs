//! The embedded demo sandbox: everything `sheriff demo` needs, built in a temp dir in a
//! few milliseconds, fed to the normal workers through a normal `sheriff.toml`.
//!
//! The demo grows with the product (DESIGN.md): each new capability adds its part here
//! (a flapping service, a rotating log, a drifted secret, a queued bug), so the demo
//! always shows everything sheriff can do, through the same code paths as a real config.
//!
//! ```text
//! <tmp>/sheriff.toml          describes all of the below
//!       handoff.jsonl         a shift under way
//!       bugs/                 the `dir` tracker
//!       prod/etc/app/…        config trees that drift
//!       prod/var/log/app/app.log
//!       staging/etc/app/…
//!       staging/var/log/nginx/error.log
//! ```

mod handoff;
mod logwriter;
mod plugins;
pub mod services;
mod trees;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use chrono::Utc;
use tempfile::TempDir;
use tokio::task::JoinHandle;

use logwriter::LogWriter;
use services::{Behaviour, Service};

pub use trees::{PROD_DB_PASSWORD, STAGING_DB_PASSWORD};

/// Each env's `root`, relative to the sandbox.
const PROD_DIR: &str = "prod";
const STAGING_DIR: &str = "staging";
/// The `[[log]]` files, as the config names them (under each env's root).
const APP_LOG: &str = "/var/log/app/app.log";
const NGINX_LOG: &str = "/var/log/nginx/error.log";
const HANDOFF_FILE: &str = "handoff.jsonl";
const CONFIG_FILE: &str = "sheriff.toml";

/// A running demo world. Its services and log writer run until it is dropped; then the
/// tasks stop and the directory is removed.
pub struct Sandbox {
    // Field order matters: `Drop` aborts the tasks first, then `dir` is removed.
    tasks: Vec<JoinHandle<()>>,
    production: SocketAddr,
    staging: SocketAddr,
    config_path: PathBuf,
    dir: TempDir,
}

impl Sandbox {
    /// Builds the sandbox and starts its services. Must be called inside a tokio runtime.
    /// Nothing here waits: files are small and ports are ephemeral.
    pub async fn create() -> anyhow::Result<Sandbox> {
        let dir = tempfile::Builder::new()
            .prefix("sheriff-demo-")
            .tempdir()
            .context("cannot create the demo's temp dir")?;
        let root = dir.path();
        let now = Utc::now();

        trees::write_trees(root).context("cannot write the demo's config trees")?;
        plugins::write(root, &root.join(PROD_DIR), now.timestamp())
            .context("cannot write the demo's check plugins")?;
        std::fs::create_dir_all(root.join("bugs")).context("cannot create the demo's bugs dir")?;
        handoff::seed(&root.join(HANDOFF_FILE), now)
            .context("cannot seed the demo's handoff log")?;
        let writer = LogWriter {
            app: logs_path(root, PROD_DIR, APP_LOG),
            nginx: logs_path(root, STAGING_DIR, NGINX_LOG),
        };
        writer
            .seed(now)
            .context("cannot write the demo's log files")?;

        let production = Service::bind(Behaviour::Healthy)
            .await
            .context("cannot bind the demo's production service")?;
        let staging = Service::bind(Behaviour::Flaky)
            .await
            .context("cannot bind the demo's staging service")?;
        let (production_addr, staging_addr) = (production.addr()?, staging.addr()?);

        let config_path = root.join(CONFIG_FILE);
        std::fs::write(
            &config_path,
            trees::config_toml(root, production_addr, staging_addr),
        )
        .context("cannot write the demo's sheriff.toml")?;

        let tasks = vec![
            tokio::spawn(production.serve()),
            tokio::spawn(staging.serve()),
            tokio::spawn(writer.run()),
        ];
        Ok(Sandbox {
            tasks,
            production: production_addr,
            staging: staging_addr,
            config_path,
            dir,
        })
    }

    /// The sandbox's `sheriff.toml`.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The sandbox directory (removed when the sandbox is dropped).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The healthy "production" service, e.g. `127.0.0.1:41234`.
    pub fn production_addr(&self) -> SocketAddr {
        self.production
    }

    /// The flaky "staging" service; its answers follow [`services::FLAKY_CYCLE`].
    pub fn staging_addr(&self) -> SocketAddr {
        self.staging
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn logs_path(root: &Path, env_dir: &str, log: &str) -> PathBuf {
    crate::logs::tail::under_root(&root.join(env_dir), log)
}
