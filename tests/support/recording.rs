//! The recording tests' shared setup: a config whose one check is critical on every run,
//! and the check-state lines of a handoff log. Include with
//! `#[path = "support/recording.rs"] mod recording;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `AUTHOR.toml` in `dir`: one HTTP check on an env with nothing listening (port 1), so
/// it is critical on every run, recording to `log` as `author`.
pub fn write_config(dir: &Path, author: &str, log: &Path) -> PathBuf {
    let config = dir.join(format!("{author}.toml"));
    // Nothing listens on port 1: the check is critical on every run.
    std::fs::write(
        &config,
        format!(
            "[environments.staging]\nroot = \"{}\"\n\n\
             [[check]]\nname = \"api\"\nenvs = [\"staging\"]\nhttp = \"http://127.0.0.1:1/healthz\"\n\
             every = \"1s\"\ntimeout = \"1s\"\n\n\
             [handoff]\nauthor = \"{author}\"\npath = \"{}\"\n",
            dir.display(),
            log.display()
        ),
    )
    .expect("write config");
    config
}

/// The `check-state` entries of the log, oldest first.
pub fn check_states(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["kind"] == "check-state")
        .collect()
}
