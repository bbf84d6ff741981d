//! What sheriff writes in its data and state dirs is private to the user (files 0600,
//! directories 0700), under the usual umask 022, as on a shared jump host where another
//! account must not read the handoff log. Run as the real binary.

#[path = "support/tmux.rs"]
mod tmux;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use tmux::{sheriff_bin, Tmux};

struct Home {
    tmp: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self) -> &Path {
        self.tmp.path()
    }

    fn data(&self) -> PathBuf {
        self.path().join("data/sheriff")
    }

    fn state(&self) -> PathBuf {
        self.path().join("state/sheriff")
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        let home = self.path();
        vec![
            ("HOME", home.display().to_string()),
            ("XDG_DATA_HOME", home.join("data").display().to_string()),
            ("XDG_CONFIG_HOME", home.join("config").display().to_string()),
            ("XDG_STATE_HOME", home.join("state").display().to_string()),
            ("USER", "alex".into()),
        ]
    }

    /// `sheriff ARGS` in this home, with umask 022 as a login shell has it.
    fn sheriff(&self, args: &[&str]) -> Output {
        let out = Command::new("sh")
            .arg("-c")
            .arg("umask 022; exec \"$0\" \"$@\"")
            .arg(sheriff_bin())
            .args(args)
            .current_dir(self.path())
            .envs(self.env())
            .env_remove("SHERIFF_CONFIG")
            .output()
            .expect("run sheriff");
        assert!(
            out.status.success(),
            "sheriff {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Every file and directory under `root` (itself included) that others may read.
fn readable_by_others(root: &Path) -> Vec<String> {
    let mut open = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path).expect("stat");
        if meta.permissions().mode() & 0o077 != 0 {
            open.push(format!(
                "{:o} {}",
                meta.permissions().mode() & 0o777,
                path.display()
            ));
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read dir") {
                stack.push(entry.expect("entry").path());
            }
        }
    }
    open
}

#[test]
fn a_note_writes_a_private_log_in_private_directories() {
    let home = Home::new();
    home.sheriff(&["note", "db1 failover rehearsed"]);
    let log = home.data().join("handoff.jsonl");
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(&home.data()), 0o700);
    assert!(std::fs::read_to_string(&log)
        .expect("read")
        .contains("failover"));
}

#[test]
fn a_log_an_older_sheriff_left_readable_is_made_private() {
    let home = Home::new();
    let log = home.data().join("handoff.jsonl");
    std::fs::create_dir_all(home.data()).expect("mkdir");
    std::fs::write(&log, "").expect("create");
    std::fs::set_permissions(home.data(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    home.sheriff(&["note", "rotated the api keys"]);
    assert_eq!(mode(&log), 0o600);
    assert_eq!(mode(&home.data()), 0o700);
}

#[test]
fn a_shared_log_is_private_with_everything_git_writes_in_it() {
    let remote = tempfile::tempdir().expect("tempdir");
    let bare = remote.path().join("handoff.git");
    let status = Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(&bare)
        .status()
        .expect("git init");
    assert!(status.success());
    let config = format!("[handoff]\nshare = {:?}\n", bare.display().to_string());
    let (alex, sam) = (Home::new(), Home::new());
    for home in [&alex, &sam] {
        std::fs::write(home.path().join("sheriff.toml"), &config).expect("config");
    }
    // sam's entry reaches alex's tree through git (fetch, merge, checkout).
    sam.sheriff(&["note", "sam: took the pager"]);
    alex.sheriff(&["note", "alex: handed over"]);
    alex.sheriff(&["handoff", "--since", "1h"]);
    let root = alex.data().join("handoff");
    let files: Vec<_> = readable_by_others(&root);
    assert!(
        files.is_empty(),
        "readable by others:\n{}",
        files.join("\n")
    );
    assert_eq!(mode(&alex.data()), 0o700);
    let md =
        String::from_utf8_lossy(&alex.sheriff(&["handoff", "--since", "1h"]).stdout).into_owned();
    assert!(md.contains("took the pager"), "sam's entry merged:\n{md}");
}

#[test]
fn the_tui_log_and_the_watched_directories_are_private() {
    let home = Home::new();
    let config = home.path().join("sheriff.toml");
    std::fs::write(&config, "[handoff]\n").expect("config");
    let env = home.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let command = format!(
        "umask 022; '{}' --config '{}'",
        sheriff_bin().display(),
        config.display()
    );
    let term = Tmux::start(&command, 100, 30, &env);
    term.wait_for("Handoff", Duration::from_secs(15));
    term.send(&["q"]);
    term.wait_for("EXIT=0", Duration::from_secs(15));
    assert_eq!(mode(&home.state().join("sheriff.log")), 0o600);
    assert_eq!(mode(&home.state()), 0o700);
    assert_eq!(mode(&home.data()), 0o700);
}
