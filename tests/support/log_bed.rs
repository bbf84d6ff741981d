//! A shared sshd for the tests that follow logs on a host (one per test binary, logged in
//! as the sshd support's test user), a scratch directory the test user can read, and what
//! a tail sent so far.
//!
//! Include after `sshd.rs`: `#[path = "support/sshd.rs"] mod sshd;` then
//! `#[path = "support/log_bed.rs"] mod log_bed;`.
//!
//! Statics are never dropped, so a watchdog process kills that sshd and removes its temp
//! dirs when the test process exits.
#![allow(dead_code)]

use std::fs;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::sshd::{Sshd, TestHome};
use sheriff::event::{Event, EventsRx};
use sheriff::logs::LogLine;

/// No wait in these tests may take longer than this.
pub const LIMIT: Duration = Duration::from_secs(30);

pub struct Bed {
    pub home: TestHome,
    /// Async-aware: a test holds it across its awaits (and a failed one does not poison it).
    sshd: tokio::sync::Mutex<Sshd>,
    /// World-readable, so the test user can read the logs tests write there.
    scratch: tempfile::TempDir,
    _watchdog: (Child, ChildStdin),
}

pub fn bed() -> &'static Bed {
    static BED: OnceLock<Bed> = OnceLock::new();
    BED.get_or_init(|| {
        let home = TestHome::new();
        let sshd = Sshd::start("127.0.0.1", &[&home.key]);
        home.trust(&sshd);
        let scratch = tempfile::Builder::new()
            .prefix("sheriff-log-bed-")
            .tempdir()
            .expect("tempdir");
        fs::set_permissions(scratch.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let watchdog = sshd.clean_up_at_exit(&[home.path(), sshd.dir.path(), scratch.path()]);
        Bed {
            home,
            sshd: tokio::sync::Mutex::new(sshd),
            scratch,
            _watchdog: watchdog,
        }
    })
}

/// The shared sshd, running, for this test alone (the tests that kill it take turns).
pub async fn sshd() -> tokio::sync::MutexGuard<'static, Sshd> {
    let mut sshd = bed().sshd.lock().await;
    // A test that failed while sshd was down leaves it so.
    if TcpStream::connect((sshd.addr.as_str(), sshd.port)).is_err() {
        sshd.restart();
    }
    sshd
}

/// A fresh directory for one test's log files.
pub fn log_dir(name: &str) -> PathBuf {
    let dir = bed().scratch.path().join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).expect("mkdir");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// What a tail sent so far.
pub struct Seen {
    pub rx: EventsRx,
    pub lines: Vec<LogLine>,
    pub notices: Vec<String>,
}

impl Seen {
    pub fn new(rx: EventsRx) -> Seen {
        Seen {
            rx,
            lines: Vec::new(),
            notices: Vec::new(),
        }
    }

    /// Takes events until `done` holds for the lines, within [`LIMIT`].
    pub async fn until(&mut self, what: &str, done: impl Fn(&[LogLine]) -> bool) {
        let deadline = Instant::now() + LIMIT;
        while !done(&self.lines) {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = tokio::time::timeout(left, self.rx.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{what}: not within {LIMIT:?}; got {:?}, notices {:?}",
                        self.texts(),
                        self.notices
                    )
                })
                .expect("the tail runs");
            self.take(event);
        }
    }

    /// Until the line `text` arrived, then a moment more for anything repeated after it.
    pub async fn until_line(&mut self, text: &str) {
        self.until(text, |lines| lines.iter().any(|l| l.text == text))
            .await;
        let settle = Instant::now() + Duration::from_millis(700);
        while let Ok(Some(event)) = tokio::time::timeout_at(settle.into(), self.rx.recv()).await {
            self.take(event);
        }
    }

    pub fn take(&mut self, event: Event) {
        match event {
            Event::LogLines { lines, .. } => self.lines.extend(lines),
            Event::Notice(notice) => self.notices.push(notice),
            _ => {}
        }
    }

    pub fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(|l| l.text.as_str()).collect()
    }

    /// The file's lines, marks left out.
    pub fn file_lines(&self) -> Vec<&str> {
        let lines = self.lines.iter().filter(|l| !l.is_mark());
        lines.map(|l| l.text.as_str()).collect()
    }

    pub fn marks(&self) -> Vec<&str> {
        let marks = self.lines.iter().filter(|l| l.is_mark());
        marks.map(|l| l.text.as_str()).collect()
    }
}
