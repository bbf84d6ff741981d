//! Running a check's command: here with `sh -c`, or on a host over the SSH pool. Both give
//! the same [`Ran`], so a plugin or probe reads its output the same way wherever it ran.
//!
//! A host that cannot be reached is [`ExecError::Unreachable`]: the host's state is the
//! problem (shown on the host's own row), not a failure of every check on it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;

use crate::config::duration::format_duration;
use crate::transport::ssh::{SshError, SshPool};

/// The most output a check keeps from one command; the rest is cut (a plugin that prints
/// megabytes is broken, and its first lines say why).
pub const OUTPUT_CAP: usize = 1024 * 1024;

/// What a finished command left.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran {
    /// `None` when a signal ended it.
    pub exit: Option<i32>,
    pub signal: Option<String>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExecError {
    /// The host is down, refuses us, or is not configured: its state says which.
    #[error("host unreachable: {0}")]
    Unreachable(String),
    #[error("timed out after {}", format_duration(*.0))]
    Timeout(Duration),
    /// `sh` could not start here (no such shell, out of processes).
    #[error("cannot run: {0}")]
    Spawn(String),
    #[error("{0}")]
    Other(String),
}

/// Where a command runs.
#[derive(Clone, Copy)]
pub enum Place<'a> {
    Here,
    Host { pool: &'a SshPool, host: &'a str },
}

impl Place<'_> {
    pub async fn run(&self, command: &str, timeout: Duration) -> Result<Ran, ExecError> {
        match self {
            Place::Here => run_here(command, timeout).await,
            Place::Host { pool, host } => run_there(pool, host, command, timeout).await,
        }
    }

    /// "here" or the host name, for the detail view's "ran on".
    pub fn name(&self) -> &str {
        match self {
            Place::Here => "here",
            Place::Host { host, .. } => host,
        }
    }
}

async fn run_there(
    pool: &SshPool,
    host: &str,
    command: &str,
    timeout: Duration,
) -> Result<Ran, ExecError> {
    let started = Instant::now();
    match pool.exec(host, command, timeout).await {
        Ok(out) => Ok(Ran {
            exit: out.exit_status,
            signal: out.exit_signal.clone(),
            stdout: out.stdout_text(),
            stderr: out.stderr_text(),
            elapsed: started.elapsed(),
        }),
        Err(SshError::Timeout { after, .. }) => Err(ExecError::Timeout(after)),
        Err(err @ SshError::OutputTooLarge { .. }) => Err(ExecError::Other(err.reason())),
        Err(err @ (SshError::Disconnected { .. } | SshError::Channel { .. })) => {
            Err(ExecError::Other(err.reason()))
        }
        Err(err) => Err(ExecError::Unreachable(err.host_state().to_string())),
    }
}

async fn run_here(command: &str, timeout: Duration) -> Result<Ran, ExecError> {
    let started = Instant::now();
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout ends the plugin's children too.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ExecError::Spawn(e.to_string()))?;
    let pid = child.id();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let work = async {
        let (out, err) = tokio::join!(read_capped(stdout.as_mut()), read_capped(stderr.as_mut()));
        let status = child.wait().await;
        (out, err, status)
    };
    let Ok((out, err, status)) = tokio::time::timeout(timeout, work).await else {
        if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) on a process group we created; no memory is involved.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        return Err(ExecError::Timeout(timeout));
    };
    let status = status.map_err(|e| ExecError::Other(e.to_string()))?;
    use std::os::unix::process::ExitStatusExt;
    Ok(Ran {
        exit: status.code(),
        signal: status.signal().map(signal_name),
        stdout: String::from_utf8_lossy(&out).into_owned(),
        stderr: String::from_utf8_lossy(&err).into_owned(),
        elapsed: started.elapsed(),
    })
}

async fn read_capped<R: tokio::io::AsyncRead + Unpin>(reader: Option<&mut R>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(reader) = reader else {
        return kept;
    };
    let mut buf = [0u8; 8192];
    // Reading on past the cap (and dropping it) lets the command finish instead of
    // blocking on a full pipe.
    while let Ok(n) = reader.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = OUTPUT_CAP.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    kept
}

fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGKILL => "KILL".into(),
        libc::SIGTERM => "TERM".into(),
        libc::SIGSEGV => "SEGV".into(),
        libc::SIGABRT => "ABRT".into(),
        libc::SIGINT => "INT".into(),
        libc::SIGPIPE => "PIPE".into(),
        other => other.to_string(),
    }
}

/// Quotes `text` for `sh` as one word.
pub fn shell_word(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_here_and_keeps_exit_code_and_both_streams() {
        let ran = Place::Here
            .run("echo out; echo err >&2; exit 3", Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(ran.exit, Some(3));
        assert_eq!(ran.stdout, "out\n");
        assert_eq!(ran.stderr, "err\n");
    }

    #[tokio::test]
    async fn a_hung_command_times_out_and_its_children_die() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("late");
        let command = format!("(sleep 1; touch {}) & sleep 30", marker.display());
        let started = Instant::now();
        let err = Place::Here
            .run(&command, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert_eq!(err, ExecError::Timeout(Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(
            !marker.exists(),
            "the background child outlived the timeout"
        );
    }

    #[tokio::test]
    async fn huge_output_is_capped_and_the_command_still_finishes() {
        let ran = Place::Here
            .run("head -c 3000000 /dev/zero; exit 0", Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(ran.exit, Some(0));
        assert_eq!(ran.stdout.len(), OUTPUT_CAP);
    }

    #[test]
    fn shell_words_survive_quotes() {
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
