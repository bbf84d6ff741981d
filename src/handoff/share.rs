//! Team sharing through git: the log directory is a git work tree, one file per author per
//! day (`2026/11/23-alex.jsonl`), each entry committed, synced with the system `git`.
//!
//! Why it never conflicts: each author appends to their own files, and
//! `.git/info/attributes` sets `*.jsonl merge=union`, so even one author on two machines
//! (the same file changed on both sides) merges by keeping both sides' lines.
//!
//! Why merge and not `pull --rebase`: a rebase rewinds our own files to upstream and
//! replays our commits, so a file being watched (or appended to) would shrink and regrow.
//! A merge only adds teammates' lines. Network steps (fetch, push) run without any lock;
//! only the short local steps (commit, merge) take the repository lock exclusively, and
//! appends take it shared, so an append never lands in a file git is rewriting.

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::event::Events;

use super::store::lock_file;
use crate::event::Event;

/// The branch every sheriff reads and writes.
const BRANCH: &str = "main";
/// Local git steps (add, commit, merge) should take milliseconds; this only stops a hang.
const LOCAL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    #[error("cannot run git (is it installed?): {0}")]
    Spawn(io::Error),
    #[error("`git {command}` took longer than {} and was stopped (offline? the entry is kept and syncs later)", crate::config::duration::format_duration(*limit))]
    Timeout { command: String, limit: Duration },
    #[error("`git {command}` failed: {stderr}")]
    Git { command: String, stderr: String },
    #[error("cannot prepare the shared log directory {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// What one [`Share::sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Teammates' commits merged in.
    pub merged: bool,
    /// Our commits sent to the remote.
    pub pushed: bool,
}

/// A log directory shared through a git remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    dir: PathBuf,
    remote: String,
}

/// The repository lock, held until dropped (closing the file releases the `flock`).
pub(crate) struct RepoLock {
    _file: File,
}

impl Share {
    pub fn new(dir: impl Into<PathBuf>, remote: impl Into<String>) -> Share {
        Share {
            dir: dir.into(),
            remote: remote.into(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn remote(&self) -> &str {
        &self.remote
    }

    /// Make `dir` a git work tree with the union merge rule, once; cheap when it already
    /// is one. Works offline: the first sync that reaches the remote merges its history.
    pub fn ensure_repo(&self) -> Result<(), ShareError> {
        let io_err = |source| ShareError::Io {
            path: self.dir.clone(),
            source,
        };
        crate::paths::create_private_dir(&self.dir).map_err(io_err)?;
        if !self.dir.join(".git").exists() {
            self.git(&["init", "-q", "-b", BRANCH], LOCAL_TIMEOUT)?;
        }
        let attributes = self.dir.join(".git/info/attributes");
        if fs::read_to_string(&attributes).map_or(true, |s| !s.contains("merge=union")) {
            crate::paths::create_private_dir(&self.dir.join(".git/info")).map_err(io_err)?;
            crate::paths::write_private(&attributes, b"*.jsonl merge=union\n").map_err(io_err)?;
        }
        Ok(())
    }

    /// Point `origin` at the configured remote (the config may have changed it).
    fn ensure_remote(&self) -> Result<(), ShareError> {
        let current = self
            .git(&["config", "--get", "remote.origin.url"], LOCAL_TIMEOUT)
            .ok();
        match current.as_deref().map(str::trim) {
            Some(url) if url == self.remote => {}
            Some(_) => drop(self.git(
                &["remote", "set-url", "origin", &self.remote],
                LOCAL_TIMEOUT,
            )?),
            None => drop(self.git(&["remote", "add", "origin", &self.remote], LOCAL_TIMEOUT)?),
        }
        Ok(())
    }

    /// Take the repository lock: shared for appends, exclusive for git's local steps.
    pub(crate) fn lock(&self, exclusive: bool) -> Result<RepoLock, ShareError> {
        let path = self.dir.join(".git/sheriff.lock");
        let io_err = |source| ShareError::Io {
            path: path.clone(),
            source,
        };
        let file = crate::paths::open_private_append(&path).map_err(io_err)?;
        lock_file(&file, exclusive).map_err(io_err)?;
        Ok(RepoLock { _file: file })
    }

    /// Commit whatever is appended but not committed yet, as `author`.
    pub fn commit_pending(&self, author: &str, message: &str) -> Result<bool, ShareError> {
        let _lock = self.lock(true)?;
        self.commit_locked(author, message)
    }

    fn commit_locked(&self, author: &str, message: &str) -> Result<bool, ShareError> {
        self.git(&["add", "-A", "--", "."], LOCAL_TIMEOUT)?;
        // `diff --cached --quiet` exits 1 when something is staged.
        if self
            .git(&["diff", "--cached", "--quiet"], LOCAL_TIMEOUT)
            .is_ok()
        {
            return Ok(false);
        }
        let name = format!("user.name={author}");
        let email = format!("user.email={author}@sheriff.invalid");
        self.git(
            &[
                "-c",
                &name,
                "-c",
                &email,
                "commit",
                "-q",
                "--no-verify",
                "-m",
                message,
            ],
            LOCAL_TIMEOUT,
        )?;
        Ok(true)
    }

    /// Fetch, commit what is pending, merge teammates' entries, push ours. Safe to call
    /// offline: it fails on the fetch and leaves local commits for the next call.
    pub fn sync(&self, author: &str, network_timeout: Duration) -> Result<SyncReport, ShareError> {
        self.ensure_repo()?;
        self.ensure_remote()?;
        let mut report = SyncReport::default();
        // A push races teammates' pushes; on rejection, fetch and merge again.
        for _ in 0..3 {
            let fetched = self.git(&["fetch", "-q", "origin"], network_timeout);
            let upstream = format!("refs/remotes/origin/{BRANCH}");
            let has_upstream = self
                .git(&["rev-parse", "-q", "--verify", &upstream], LOCAL_TIMEOUT)
                .is_ok();
            {
                let _lock = self.lock(true)?;
                self.commit_locked(author, "sheriff: pending handoff entries")?;
                fetched?;
                if has_upstream {
                    let before = self.head();
                    let merge = self.git(
                        &[
                            "-c",
                            "user.name=sheriff",
                            "-c",
                            "user.email=sheriff@sheriff.invalid",
                            "merge",
                            "-q",
                            "--no-edit",
                            "--no-verify",
                            "--allow-unrelated-histories",
                            &upstream,
                        ],
                        LOCAL_TIMEOUT,
                    );
                    if let Err(e) = merge {
                        let _ = self.git(&["merge", "--abort"], LOCAL_TIMEOUT);
                        return Err(e);
                    }
                    report.merged |= self.head() != before;
                }
            }
            let Some(head) = self.head() else {
                return Ok(report);
            };
            let ahead = !has_upstream
                || self
                    .git(
                        &["rev-list", "--count", &format!("{upstream}..{head}")],
                        LOCAL_TIMEOUT,
                    )?
                    .trim()
                    != "0";
            if !ahead {
                return Ok(report);
            }
            match self.git(
                &["push", "-q", "origin", &format!("HEAD:refs/heads/{BRANCH}")],
                network_timeout,
            ) {
                Ok(_) => {
                    report.pushed = true;
                    return Ok(report);
                }
                Err(ShareError::Git { stderr, .. })
                    if stderr.contains("rejected") || stderr.contains("fetch first") =>
                {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    fn head(&self) -> Option<String> {
        self.git(&["rev-parse", "-q", "--verify", "HEAD"], LOCAL_TIMEOUT)
            .ok()
            .map(|s| s.trim().to_string())
    }

    /// Run `git -C dir ARGS` with a time limit; stdout on success.
    fn git(&self, args: &[&str], timeout: Duration) -> Result<String, ShareError> {
        let command = args.join(" ");
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.dir).args(args);
        cmd.env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C")
            .env("GIT_MERGE_AUTOEDIT", "no");
        if std::env::var_os("GIT_SSH_COMMAND").is_none() {
            // A background sync must never wait for a password prompt nobody can see.
            cmd.env(
                "GIT_SSH_COMMAND",
                "ssh -o BatchMode=yes -o ConnectTimeout=10",
            );
        }
        // Its own process group, so a timeout also stops git's helpers (ssh, remote-http).
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // What git writes (entry files merged from teammates, objects) is as private as
        // what sheriff writes itself.
        // SAFETY: umask(2) is async-signal-safe and touches only the child's own state.
        unsafe {
            cmd.pre_exec(|| {
                libc::umask(0o077);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(ShareError::Spawn)?;
        let pid = child.id() as i32;
        let (tx, rx) = mpsc::channel();
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        thread::spawn(move || {
            let mut out = String::new();
            let mut err = String::new();
            let err_reader = stderr.take().map(|mut s| {
                thread::spawn(move || {
                    let mut e = String::new();
                    let _ = s.read_to_string(&mut e);
                    e
                })
            });
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_string(&mut out);
            }
            if let Some(h) = err_reader {
                err = h.join().unwrap_or_default();
            }
            let _ = tx.send((child.wait(), out, err));
        });
        match rx.recv_timeout(timeout) {
            Ok((Ok(status), out, _)) if status.success() => Ok(out),
            Ok((Ok(_), _, err)) => Err(ShareError::Git {
                command,
                stderr: err.trim().to_string(),
            }),
            Ok((Err(e), _, _)) => Err(ShareError::Spawn(e)),
            Err(_) => {
                // SAFETY: signalling the process group we created; the waiter reaps it.
                unsafe { libc::kill(-pid, libc::SIGKILL) };
                Err(ShareError::Timeout {
                    command,
                    limit: timeout,
                })
            }
        }
    }
}

/// A background sync loop; dropping the handle stops it after its current step.
pub struct SyncHandle {
    nudge: mpsc::Sender<()>,
}

impl SyncHandle {
    /// Sync soon (after an append) instead of waiting for the next period.
    pub fn nudge(&self) {
        let _ = self.nudge.send(());
    }
}

/// Sync every `every` and when nudged, telling the UI (as `Event::Notice`) only when the
/// state changes, so an offline laptop is one notice, not one a minute.
pub fn spawn_sync(share: Share, author: String, every: Duration, events: Events) -> SyncHandle {
    let (nudge, wake) = mpsc::channel();
    thread::spawn(move || {
        let mut last_ok: Option<bool> = None;
        loop {
            let result = share.sync(&author, Duration::from_secs(30));
            let ok = result.is_ok();
            if last_ok != Some(ok) {
                let notice = match &result {
                    Ok(_) => format!("handoff: shared with {}", share.remote()),
                    Err(e) => {
                        format!("handoff: not shared ({e}); entries are saved and sync later")
                    }
                };
                if events.send(Event::Notice(notice)).is_err() {
                    return;
                }
                last_ok = Some(ok);
            }
            match wake.recv_timeout(every) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {
                    // Several appends in a burst need one sync, not one each.
                    while wake.try_recv().is_ok() {}
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    });
    SyncHandle { nudge }
}
