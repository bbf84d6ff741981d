//! Drives the real `sheriff` binary in a real terminal: tmux `send-keys` and
//! `capture-pane`, on a private tmux server per test.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// The binary under test: `$SHERIFF_BIN` (the release build `scripts/test` makes), else
/// the one cargo built for these tests.
pub fn sheriff_bin() -> PathBuf {
    std::env::var_os("SHERIFF_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sheriff")))
}

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` in a `width`x`height` terminal. After it exits the pane prints
    /// `EXIT=<code>` and the terminal's `stty` settings, then stays open to be read.
    pub fn start(command: &str, width: u16, height: u16, env: &[(&str, &str)]) -> Tmux {
        assert!(
            Command::new("tmux")
                .arg("-V")
                .output()
                .is_ok_and(|o| o.status.success()),
            "tmux is required for end-to-end tests: apt-get install tmux (scripts/test does)"
        );
        let socket = format!("sheriff-test-{}-{}", std::process::id(), rand_suffix());
        let mut exports = String::new();
        for (key, value) in env {
            exports.push_str(&format!("export {key}='{value}'; "));
        }
        let script = format!("{exports}{command}; echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 600");
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                "sh",
                "-c",
                &script,
            ])
            .env("TERM", "xterm-256color")
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux new-session failed");
        Tmux { socket }
    }

    /// Runs `sheriff --config CONFIG` with `HOME` set to `home`, plus `env`.
    pub fn sheriff(
        home: &std::path::Path,
        config: &std::path::Path,
        size: (u16, u16),
        env: &[(&str, &str)],
    ) -> Tmux {
        let home = home.to_string_lossy().into_owned();
        let mut all = vec![("HOME", home.as_str())];
        all.extend_from_slice(env);
        let command = format!(
            "'{}' --config '{}'",
            sheriff_bin().display(),
            config.display()
        );
        Tmux::start(&command, size.0, size.1, &all)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Keys in tmux's names: "Tab", "Escape", "C-s", "Enter", or literal text.
    pub fn send(&self, keys: &[&str]) {
        for key in keys {
            self.tmux(&["send-keys", "-t", "0", key]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.tmux(&[
            "resize-window",
            "-t",
            "0",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Types text literally (no key-name interpretation).
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "0", "-l", text]);
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn capture(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "0"])
    }

    /// The screen with SGR escapes kept, to check colours.
    pub fn capture_styled(&self) -> String {
        self.tmux(&["capture-pane", "-e", "-p", "-t", "0"])
    }

    pub fn display(&self, format: &str) -> String {
        self.tmux(&["display", "-p", "-t", "0", format])
            .trim()
            .to_string()
    }

    /// Waits until the screen shows `needle`; panics with the screen if it never does.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(needle) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("waited {timeout:?} for {needle:?}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the screen no longer shows `needle`.
    pub fn wait_gone(&self, needle: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if !screen.contains(needle) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("waited {timeout:?} for {needle:?} to go; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The pid of the program started in the pane (the child of the pane's shell).
    pub fn program_pid(&self) -> u32 {
        let shell = self.display("#{pane_pid}");
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .find(|pid: &u32| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "sheriff")
            })
            .unwrap_or_else(|| panic!("no sheriff process under the pane's shell {shell}"))
    }

    /// Asserts the terminal is as the shell left it: normal screen, cursor shown, cooked mode.
    pub fn assert_restored(&self) {
        let screen = self.wait_for("EXIT=", Duration::from_secs(10));
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "still on the alternate screen:\n{screen}"
        );
        assert_eq!(
            self.display("#{cursor_flag}"),
            "1",
            "cursor left hidden:\n{screen}"
        );
        let screen = self.wait_for("icanon", Duration::from_secs(5));
        assert!(
            screen.lines().any(|l| l.trim() == "icanon"),
            "raw mode left on (no icanon):\n{screen}"
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}
