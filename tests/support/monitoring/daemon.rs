//! Running a test server's process, and talking HTTP to it, for `monitoring.rs`.
//!
//! The HTTP calls are written by hand over a std `TcpStream` so that the sync functions of
//! `monitoring.rs` work in sync tests and inside `#[tokio::test]` alike (a blocking reqwest
//! client would nest runtimes, and would build reqwest a second time with its `blocking`
//! feature). They speak HTTP/1.0, so the Go servers answer without chunking and close the
//! connection at the end.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to become ready.
pub const READY_WITHIN: Duration = Duration::from_secs(20);

/// A running server process in a process group of its own, with its output in `log`.
pub struct Daemon {
    child: Option<Child>,
    /// `sh` reading our end of a pipe; when this test process exits, however it exits, the
    /// pipe closes and the watchdog kills the server's group and removes its temp dir. It has
    /// a group of its own, so a Ctrl-C meant for the tests does not stop it first.
    watchdog: Option<(Child, ChildStdin)>,
    log: PathBuf,
}

impl Daemon {
    /// Starts `command` with its output in `dir/log_name`.
    pub fn spawn(mut command: Command, dir: &Path, log_name: &str) -> Daemon {
        let log = dir.join(log_name);
        let out =
            fs::File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone the log file handle");
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
        let group = child.id();
        let watchdog = Command::new("/bin/sh")
            .arg("-c")
            .arg("while read -r _; do :; done; kill -s KILL -- \"-$1\"; rm -rf -- \"$2\"")
            .arg("watchdog")
            .arg(group.to_string())
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()
            .and_then(|mut w| w.stdin.take().map(|stdin| (w, stdin)));
        Daemon {
            child: Some(child),
            watchdog,
            log,
        }
    }

    /// What the server printed so far (stdout and stderr).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `Some(description)` once the server has exited.
    pub fn exited(&mut self) -> Option<String> {
        let status = self.child.as_mut()?.try_wait().ok()??;
        Some(status.to_string())
    }

    /// Polls `ready` until it holds; Err with the server's output if it exits or times out.
    pub fn wait_ready(
        &mut self,
        what: &str,
        mut ready: impl FnMut() -> bool,
    ) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = self.exited() {
                return Err(format!(
                    "{what} exited ({status}) at start:\n{}",
                    self.log()
                ));
            }
            if ready() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{what} was not ready within {}s:\n{}",
                    READY_WITHIN.as_secs(),
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server's process group: the server and everything it forked.
    pub fn stop(&mut self) {
        // The watchdog first, so it cannot signal a group id the system has reused.
        if let Some((mut watchdog, stdin)) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
            drop(stdin);
        }
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Panics unless `binary` exists, naming the Debian package that installs it.
pub fn require(binary: &str, package: &str) {
    assert!(
        Path::new(binary).exists(),
        "{binary} is missing: install the Debian package {package} (scripts/test does) \
         to run these tests"
    );
}

/// A temp dir others may read (removed when dropped).
pub fn temp_dir(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("tempdir for a test server");
    // munin-node's plugins run as nobody and must reach their scripts.
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod tempdir");
    dir
}

/// A port nothing listens on at 127.0.0.1 just now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0 to find a free port: {e}"));
    listener.local_addr().expect("local_addr").port()
}

/// Starts a server up to five times on fresh ports: another process may take the free port
/// between our probe and the server's bind.
pub fn start_on_free_port(
    what: &str,
    mut launch: impl FnMut(u16) -> Result<Daemon, String>,
) -> (u16, Daemon) {
    for attempt in 1..=5 {
        let port = free_port();
        match launch(port) {
            Ok(daemon) => return (port, daemon),
            Err(why) if attempt < 5 && why.to_lowercase().contains("address already in use") => {}
            Err(why) => panic!("{why}"),
        }
    }
    unreachable!("the last attempt of starting {what} panics")
}

/// One HTTP/1.0 exchange with 127.0.0.1:`port`: `(status, body)`.
pub fn http_call(
    port: u16,
    method: &str,
    path: &str,
    json: Option<&str>,
) -> Result<(u16, String), String> {
    http_exchange(port, method, path, json, &[], Duration::from_secs(10))
}

/// [`http_call`] with extra request headers and its own socket timeout.
pub fn http_exchange(
    port: u16,
    method: &str,
    path: &str,
    json: Option<&str>,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .map_err(|e| format!("connect to port {port}: {e}"))?;
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let body = json.unwrap_or("");
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    if json.is_some() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let request = format!("{head}Content-Length: {}\r\n\r\n{body}", body.len());
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{method} {path}: no HTTP status in {head:?}"))?;
    Ok((status, body.to_string()))
}

/// `http_call` expecting 200 and JSON; panics with what came back otherwise.
pub fn json_call(port: u16, method: &str, path: &str, json: Option<&str>) -> serde_json::Value {
    match http_call(port, method, path, json) {
        Ok((200, body)) if body.trim().is_empty() => serde_json::Value::Null,
        Ok((200, body)) => serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {body}")),
        Ok((status, body)) => panic!("{method} {path} answered {status}: {body}"),
        Err(why) => panic!("{why}"),
    }
}

/// `text` as a URL query value.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
