//! The demo's host checks, as a real host would have them: two Nagios-style plugin
//! scripts with perfdata, run by the normal `nagios` check, and a pid file for a
//! `command` check. Nothing here needs a server.
//!
//! - `check_fill`: /srv filling at a steady rate since the demo started (0.05% a
//!   second from 62%), so the forecast says when it will be full within a minute.
//! - `check_queue`: a job queue whose depth rises and drains, crossing its warning.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where the scripts go in the sandbox.
pub const BIN_DIR: &str = "bin";
/// The pid file production's app writes (staging's app is not running).
pub const PID_FILE: &str = "/var/run/app.pid";

const FILL: &str = r#"#!/bin/sh
# /srv on the demo's production: filling at 0.05% a second since the demo started.
t=$(( $(date +%s) - @START@ ))
awk -v t="$t" 'BEGIN {
  used = 62 + t * 0.05 + (t % 3) * 0.02
  if (used > 100) used = 100
  state = "OK"; code = 0
  if (used > 90) { state = "CRITICAL"; code = 2 } else if (used > 80) { state = "WARNING"; code = 1 }
  free = (100 - used) * 2
  printf "DISK %s - /srv %.1f%% used, %.1f GiB free | used=%.2f%%;80;90;0;100 free=%.1fGB;;;0;200\n", state, used, free, used, free
  printf "filesystem /dev/vdb1 mounted on /srv\n"
  exit code
}'
"#;

const QUEUE: &str = r#"#!/bin/sh
# The demo's job queue: rises for a minute, drains for a minute.
t=$(( $(date +%s) % 120 ))
if [ "$t" -lt 60 ]; then jobs=$(( t / 2 )); else jobs=$(( (120 - t) / 2 )); fi
if [ "$jobs" -gt 40 ]; then echo "QUEUE CRITICAL - $jobs jobs waiting | jobs=$jobs;20;40;0"; exit 2; fi
if [ "$jobs" -gt 20 ]; then echo "QUEUE WARNING - $jobs jobs waiting | jobs=$jobs;20;40;0"; exit 1; fi
echo "QUEUE OK - $jobs jobs waiting | jobs=$jobs;20;40;0"
"#;

/// Writes the scripts (executable) and production's pid file; returns the script paths
/// (fill, queue).
pub fn write(
    dir: &Path,
    prod_root: &Path,
    started_unix: i64,
) -> std::io::Result<(PathBuf, PathBuf)> {
    let bin = dir.join(BIN_DIR);
    std::fs::create_dir_all(&bin)?;
    let fill = bin.join("check_fill");
    let queue = bin.join("check_queue");
    std::fs::write(&fill, FILL.replace("@START@", &started_unix.to_string()))?;
    std::fs::write(&queue, QUEUE)?;
    for script in [&fill, &queue] {
        std::fs::set_permissions(script, std::fs::Permissions::from_mode(0o755))?;
    }
    let pid = crate::logs::tail::under_root(prod_root, PID_FILE);
    if let Some(parent) = pid.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(pid, format!("{}\n", std::process::id()))?;
    Ok((fill, queue))
}
