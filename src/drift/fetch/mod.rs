//! Reading one side of a drift target from one place: a local root, a host over the SSH
//! pool, or a URL. Two steps, so only what differs travels:
//!
//! 1. [`list`] gives the [`Tree`]: every entry with its kind, mode, owner, size, symlink
//!    target and sha256, but no file bytes (one round trip on a host: `find -printf` and
//!    `sha256sum`). A command's output and an HTTP body are one entry, read whole.
//! 2. [`fill`] reads the bytes of the entries the comparison asks for (one round trip on a
//!    host), within a per-file and a total cap; larger files stay hash-only.
//!
//! ```no_run
//! # async fn demo(pool: sheriff::transport::ssh::SshPool) -> Result<(), sheriff::drift::fetch::FetchError> {
//! use sheriff::drift::fetch::{self, DriftTarget, Globs, Place, TargetKind};
//! let target = DriftTarget::new("nginx", TargetKind::Tree {
//!     path: "/etc/nginx/".into(),
//!     globs: Globs::new(&[], &["*.bak"])?,
//! });
//! let place = Place::host(pool, "web1.prod");
//! let mut tree = fetch::list(&target, &place).await?;
//! fetch::fill(&target, &mut tree, &["nginx.conf".to_string()], &place).await?;
//! println!("{} bytes over SSH", place.bytes_transferred());
//! # Ok(()) }
//! ```
//!
//! A local root and a host give the same Tree for the same files: both listings become
//! [`record::Listed`] and one function makes the Tree. File contents are never logged.

mod fill;
mod key;
mod local;
mod output;
mod record;
mod remote;
mod target;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::config::duration::format_duration;
use crate::config::Environment;
use crate::drift::side::Tree;
use crate::transport::ssh::{SshError, SshPool};

pub use target::{DriftTarget, Globs, Limits, TargetKind};

/// Where a side is read from.
#[derive(Clone)]
pub enum Place {
    /// An environment with a `root`: absolute paths are read under it, commands run in it.
    Local { root: PathBuf },
    /// One host of an environment, over the pool.
    Host(HostPlace),
    /// HTTP targets, fetched from this machine.
    Http { client: reqwest::Client },
}

impl Place {
    pub fn local(root: impl Into<PathBuf>) -> Place {
        Place::Local { root: root.into() }
    }

    pub fn host(pool: SshPool, host: &str) -> Place {
        Place::Host(HostPlace {
            pool,
            host: host.to_string(),
            transferred: Arc::default(),
        })
    }

    /// The client HTTP checks use (verified TLS, redirects followed).
    pub fn http() -> Result<Place, FetchError> {
        let client = crate::checks::http::HttpClients::default()
            .plain()
            .map_err(|why| FetchError::Http {
                url: String::new(),
                why,
            })?;
        Ok(Place::Http { client })
    }

    /// Bytes sent and received over SSH by every call on this place so far (0 elsewhere).
    pub fn bytes_transferred(&self) -> u64 {
        match self {
            Place::Host(on) => on.transferred.load(Ordering::Relaxed),
            _ => 0,
        }
    }

    fn describe(&self) -> String {
        match self {
            Place::Local { root } => format!("the local root {}", root.display()),
            Place::Host(on) => on.host.clone(),
            Place::Http { .. } => "a URL".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The host took the connection but did not answer in time.
    #[error("{host} hung: no answer within {}; the call was given up (is the host overloaded or stopped?)", format_duration(*after))]
    Hung { host: String, after: Duration },

    #[error(transparent)]
    Ssh(#[from] SshError),

    /// The host's answer is not what the listing script prints: no GNU find, or cut short.
    #[error("{host}: cannot read the listing of {path}: {why}. sheriff needs sh, GNU find and coreutils on the host")]
    BadOutput {
        host: String,
        path: String,
        why: String,
    },

    /// The target's directory is there but cannot be read: the whole side is unknown.
    #[error("{place}: cannot read {path}: {why}")]
    Closed {
        place: String,
        path: String,
        why: String,
    },

    #[error("{path}: {source}")]
    Local {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{url}: {why}")]
    Http { url: String, why: String },

    #[error("drift target {target}: a {kind} target cannot be read from {place}")]
    WrongPlace {
        target: String,
        kind: &'static str,
        place: String,
    },

    #[error("bad glob {glob:?}: {why}")]
    BadGlob { glob: String, why: String },

    #[error("environment {env}: {why}")]
    Hosts { env: String, why: String },
}

/// Lists one side: entries with hashes, the bytes only of a command's output or HTTP body.
/// `target` is already filled for the place's environment ([`DriftTarget::for_vars`]).
pub async fn list(target: &DriftTarget, place: &Place) -> Result<Tree, FetchError> {
    match (&target.kind, place) {
        (TargetKind::File { .. } | TargetKind::Tree { .. }, Place::Local { root }) => {
            local::list(target, root).await
        }
        (TargetKind::File { .. } | TargetKind::Tree { .. }, Place::Host(on)) => {
            remote::list(target, on).await
        }
        (TargetKind::Command { command }, Place::Local { root }) => {
            output::local_command(target, command, root).await
        }
        (TargetKind::Command { command }, Place::Host(on)) => {
            output::remote_command(target, command, on).await
        }
        (TargetKind::Http { url }, Place::Http { client }) => {
            output::http(target, url, client).await
        }
        (kind, place) => Err(FetchError::WrongPlace {
            target: target.name.clone(),
            kind: kind_name(kind),
            place: place.describe(),
        }),
    }
}

/// Reads the bytes of `paths` (keys of `tree`) into their entries. Entries over the
/// per-file cap, past the total cap, not files, or already read are left as they are
/// (a note says how many); a file that vanished or changed since the listing becomes
/// unreadable or gets its new hash. One round trip on a host for a usual list of paths.
pub async fn fill(
    target: &DriftTarget,
    tree: &mut Tree,
    paths: &[String],
    place: &Place,
) -> Result<(), FetchError> {
    let Some((base, _)) = target.path() else {
        // A command's output or an HTTP body is read whole by `list`.
        return Ok(());
    };
    let wanted = fill::plan(tree, paths, &target.limits);
    if wanted.is_empty() {
        return Ok(());
    }
    let read = match place {
        Place::Local { root } => local::read(root, base, &wanted, &target.limits).await?,
        Place::Host(on) => remote::read(target, base, &wanted, on).await?,
        Place::Http { .. } => {
            return Err(FetchError::WrongPlace {
                target: target.name.clone(),
                kind: kind_name(&target.kind),
                place: place.describe(),
            })
        }
    };
    fill::apply(tree, read);
    Ok(())
}

/// The hosts of `env` in the order a drift reads them: the reference first (`reference`,
/// else the first listed), then its peers, which the caller compares with the reference.
pub fn hosts_by_reference(
    env: &Environment,
    reference: Option<&str>,
) -> Result<Vec<String>, FetchError> {
    let first = match reference {
        Some(name) if env.hosts.iter().any(|h| h == name) => name,
        Some(name) => {
            return Err(FetchError::Hosts {
                env: env.name.clone(),
                why: format!(
                    "the reference host {name} is not one of its hosts ({})",
                    env.hosts.join(", ")
                ),
            })
        }
        None => env.hosts.first().ok_or_else(|| FetchError::Hosts {
            env: env.name.clone(),
            why: "no hosts and no root: nothing to read a drift target from".into(),
        })?,
    };
    let peers = env.hosts.iter().filter(|h| *h != first).cloned();
    Ok(std::iter::once(first.to_string()).chain(peers).collect())
}

fn kind_name(kind: &TargetKind) -> &'static str {
    match kind {
        TargetKind::File { .. } => "file",
        TargetKind::Tree { .. } => "tree",
        TargetKind::Command { .. } => "command",
        TargetKind::Http { .. } => "HTTP",
    }
}

/// One host of an environment and the pool that reaches it. `transferred` counts the
/// bytes of every call (commands sent, output received) for the transfer benchmark.
#[derive(Clone)]
pub struct HostPlace {
    pub pool: SshPool,
    pub host: String,
    pub transferred: Arc<AtomicU64>,
}

impl HostPlace {
    /// Runs `command` within `timeout`, counting its bytes; a timeout is
    /// [`FetchError::Hung`].
    async fn exec(
        &self,
        command: &str,
        timeout: Duration,
    ) -> Result<crate::transport::ssh::ExecOutput, FetchError> {
        let hung = || FetchError::Hung {
            host: self.host.clone(),
            after: timeout,
        };
        // The pool answers a timeout itself; this bounds a host thread stuck elsewhere.
        let out = tokio::time::timeout(timeout, self.pool.exec(&self.host, command, timeout))
            .await
            .map_err(|_| hung())?
            .map_err(|e| match e {
                SshError::Timeout { .. } => hung(),
                other => FetchError::Ssh(other),
            })?;
        let bytes = command.len() + out.stdout.len() + out.stderr.len();
        self.transferred.fetch_add(bytes as u64, Ordering::Relaxed);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(hosts: &[&str]) -> Environment {
        Environment {
            name: "prod".into(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            ..Environment::default()
        }
    }

    #[test]
    fn the_reference_host_comes_first_then_its_peers() {
        let prod = env(&["web1", "web2", "web3"]);
        assert_eq!(
            hosts_by_reference(&prod, None).unwrap(),
            ["web1", "web2", "web3"]
        );
        assert_eq!(
            hosts_by_reference(&prod, Some("web2")).unwrap(),
            ["web2", "web1", "web3"]
        );
        let err = hosts_by_reference(&prod, Some("db1")).unwrap_err();
        assert!(
            err.to_string().contains("db1 is not one of its hosts"),
            "{err}"
        );
        assert!(hosts_by_reference(&env(&[]), None).is_err());
    }
}
