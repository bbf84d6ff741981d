//! Targets that are one entry read whole: a command's output (on a host or locally) and
//! an HTTP body. The entry is named after the target; a command that fails or an HTTP
//! status that is not 2xx makes the entry unreadable with why, not the side an error.

use std::path::Path;
use std::process::Stdio;

use super::{DriftTarget, FetchError, HostPlace};
use crate::checks::http::describe;
use crate::drift::side::{Entry, EntryKind, Tree};

/// The most bytes of an HTTP body kept; a larger body is an unreadable entry.
const BODY_CAP: usize = 16 << 20;

pub async fn remote_command(
    target: &DriftTarget,
    command: &str,
    on: &HostPlace,
) -> Result<Tree, FetchError> {
    let out = on.exec(command, target.timeout).await?;
    let status = match (out.exit_status, &out.exit_signal) {
        (Some(0), _) => None,
        (Some(code), _) => Some(format!("exited with status {code}")),
        (None, Some(signal)) => Some(format!("ended by SIG{signal}")),
        (None, None) => Some("ended without a status".to_string()),
    };
    Ok(one_entry(target, out.stdout, status, &out.stderr))
}

/// Runs `command` with `sh -c` in `root` (a local environment's files are there).
pub async fn local_command(
    target: &DriftTarget,
    command: &str,
    root: &Path,
) -> Result<Tree, FetchError> {
    let local_error = |source| FetchError::Local {
        path: root.to_path_buf(),
        source,
    };
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(local_error)?;
    let out = tokio::time::timeout(target.timeout, child.wait_with_output())
        .await
        .map_err(|_| FetchError::Hung {
            host: "this machine".into(),
            after: target.timeout,
        })?
        .map_err(local_error)?;
    let status = match out.status.code() {
        Some(0) => None,
        Some(code) => Some(format!("exited with status {code}")),
        None => Some("ended by a signal".to_string()),
    };
    Ok(one_entry(target, out.stdout, status, &out.stderr))
}

pub async fn http(
    target: &DriftTarget,
    url: &str,
    client: &reqwest::Client,
) -> Result<Tree, FetchError> {
    // A URL may carry credentials (`https://user:pass@…`): the error shows it masked.
    let failed = |why: String| FetchError::Http {
        url: crate::redact::mask(url).into_owned(),
        why,
    };
    let timed_out = || {
        failed(format!(
            "no answer within {}",
            crate::config::duration::format_duration(target.timeout)
        ))
    };
    let fetch = async {
        let mut response = client
            .get(url)
            .timeout(target.timeout)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    timed_out()
                } else {
                    failed(describe(&e))
                }
            })?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(describe(&e)))? {
            if body.len() + chunk.len() > BODY_CAP {
                return Ok::<_, FetchError>((status, None));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, Some(body)))
    };
    let (status, body) = tokio::time::timeout(target.timeout, fetch)
        .await
        .map_err(|_| timed_out())??;
    let Some(body) = body else {
        return Ok(unreadable(
            target,
            format!("the body is over {} MiB", BODY_CAP >> 20),
        ));
    };
    let problem = (!status.is_success()).then(|| format!("HTTP {status}"));
    Ok(one_entry(target, body, problem, &[]))
}

/// The Tree of one output: its bytes, or why they are not the output (`problem`, with the
/// first stderr line, masked: it may quote a config line).
fn one_entry(target: &DriftTarget, bytes: Vec<u8>, problem: Option<String>, stderr: &[u8]) -> Tree {
    match problem {
        None => {
            let mut tree = Tree::default();
            tree.entries.insert(target.name.clone(), Entry::file(bytes));
            tree
        }
        Some(problem) => {
            let stderr = String::from_utf8_lossy(stderr);
            let reason = match stderr.lines().find(|l| !l.trim().is_empty()) {
                Some(line) => format!(
                    "{problem}: {}",
                    crate::redact::mask(&crate::text::into_printable(line.trim().to_string()))
                ),
                None => problem,
            };
            unreadable(target, reason)
        }
    }
}

fn unreadable(target: &DriftTarget, reason: String) -> Tree {
    let mut tree = Tree::default();
    let entry = Entry {
        kind: EntryKind::Unreadable { reason },
        mode: None,
        owner: None,
    };
    tree.entries.insert(target.name.clone(), entry);
    tree
}
