//! Asking a person for a key passphrase (or a password, for hosts that opt in).
//!
//! The TUI implements [`PassphrasePrompt`] with an input overlay; headless commands use
//! [`TtyPrompt`], which reads `/dev/tty` with echo off. A passphrase is asked once per key
//! and kept only in this process's memory (wiped on drop) so reconnects do not ask again;
//! it is never written anywhere or logged.

use std::collections::HashMap;
use std::fmt;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::Mutex;

/// A secret string: not printed by `Debug`, overwritten with zeros when dropped.
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // SAFETY: zero bytes are valid UTF-8; the string is dropped right after.
        for b in unsafe { self.0.as_bytes_mut() } {
            // Volatile so the wipe is not optimised away.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(••)")
    }
}

/// What is being asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// The passphrase of an encrypted private key file.
    KeyPassphrase { key: PathBuf },
    /// The login password of `user` (only for hosts with `password_auth = true`).
    Password { user: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptRequest {
    /// The host being connected to (a key may serve several).
    pub host: String,
    pub kind: PromptKind,
    /// True when the previous answer was wrong.
    pub retry: bool,
}

impl PromptRequest {
    /// `Passphrase for key '/home/u/.ssh/id_ed25519' (web1): `
    pub fn text(&self) -> String {
        let again = if self.retry { "Wrong; try again. " } else { "" };
        match &self.kind {
            PromptKind::KeyPassphrase { key } => format!(
                "{again}Passphrase for key '{}' ({}): ",
                key.display(),
                self.host
            ),
            PromptKind::Password { user } => format!("{again}Password for {user}@{}: ", self.host),
        }
    }
}

/// Asks a person. Called on a host's own thread, so it may block until answered.
pub trait PassphrasePrompt: Send + Sync {
    /// The answer, or None when there is nobody to ask or the person declined.
    fn ask(&self, request: &PromptRequest) -> Option<Secret>;
}

/// Reads from the controlling terminal with echo off; None without a terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct TtyPrompt;

impl PassphrasePrompt for TtyPrompt {
    fn ask(&self, request: &PromptRequest) -> Option<Secret> {
        let mut tty = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        let fd = tty.as_raw_fd();
        // SAFETY: plain termios calls on a descriptor we own for this scope.
        let saved = unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut t) != 0 {
                return None;
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            t.c_lflag |= libc::ECHONL;
            libc::tcsetattr(fd, libc::TCSANOW, &t);
            saved
        };
        let _ = tty.write_all(request.text().as_bytes());
        let _ = tty.flush();
        let mut line = String::new();
        let read = BufReader::new(&tty).read_line(&mut line);
        // SAFETY: restores the settings read above.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
        read.ok()?;
        let answer = line.trim_end_matches(['\n', '\r']).to_string();
        drop(Secret::new(line));
        Some(Secret::new(answer))
    }
}

/// Never asks: for scripts and tests that must not block on a terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPrompt;

impl PassphrasePrompt for NoPrompt {
    fn ask(&self, _request: &PromptRequest) -> Option<Secret> {
        None
    }
}

/// How asking went.
pub(crate) enum Unlock<T, E> {
    /// An answer (cached or fresh) was used; the outcome of using it.
    Used(Result<T, E>),
    /// Nobody answered.
    NoAnswer,
    /// Every answer was wrong.
    WrongAnswers,
}

/// Answers that worked, per key file (or per `user@host` password), shared by all hosts of
/// a pool. The lock is held while asking and trying, so hosts sharing a key ask once, not
/// at once, and a wrong answer is never handed to another host.
#[derive(Default)]
pub(crate) struct Answers {
    known: Mutex<HashMap<String, Secret>>,
}

impl Answers {
    /// Tries the answer that worked before for `slot`, else asks up to `tries` times;
    /// `wrong` tells a wrong answer from other failures. Only answers that work are kept.
    pub fn unlock<T, E>(
        &self,
        slot: &str,
        prompt: &dyn PassphrasePrompt,
        mut request: PromptRequest,
        tries: usize,
        mut attempt: impl FnMut(&str) -> Result<T, E>,
        wrong: impl Fn(&E) -> bool,
    ) -> Unlock<T, E> {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(secret) = known.get(slot) {
            match attempt(secret.expose()) {
                Err(e) if wrong(&e) => {
                    known.remove(slot);
                    request.retry = true;
                }
                other => return Unlock::Used(other),
            }
        }
        for _ in 0..tries {
            let Some(answer) = prompt.ask(&request) else {
                return Unlock::NoAnswer;
            };
            match attempt(answer.expose()) {
                Err(e) if wrong(&e) => request.retry = true,
                other => {
                    if other.is_ok() {
                        known.insert(slot.to_string(), answer);
                    }
                    return Unlock::Used(other);
                }
            }
        }
        Unlock::WrongAnswers
    }
}

/// Where a [`ChannelPrompt`] answer goes: the UI takes it once, with the secret or with
/// `None` for "cancelled".
#[derive(Clone)]
pub struct PromptReply(std::sync::Arc<Mutex<Option<std::sync::mpsc::Sender<Option<Secret>>>>>);

impl PromptReply {
    /// Answers the request; later answers (and answers after the asker gave up) are dropped.
    pub fn answer(&self, secret: Option<Secret>) {
        let sender = self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.send(secret);
        }
    }
}

impl fmt::Debug for PromptReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PromptReply")
    }
}

/// Asks through the app's event channel (`Event::Prompt`), so a TUI can show the question
/// in its own overlay instead of writing to the terminal under it. The host's thread waits
/// for the answer; nothing else waits on it.
pub struct ChannelPrompt {
    events: crate::event::Events,
    /// How long to wait for the sheriff before giving up (the host then says why).
    pub wait: std::time::Duration,
}

impl ChannelPrompt {
    pub fn new(events: crate::event::Events) -> Self {
        ChannelPrompt {
            events,
            wait: std::time::Duration::from_secs(300),
        }
    }
}

impl PassphrasePrompt for ChannelPrompt {
    fn ask(&self, request: &PromptRequest) -> Option<Secret> {
        let (tx, rx) = std::sync::mpsc::channel();
        let reply = PromptReply(std::sync::Arc::new(Mutex::new(Some(tx))));
        self.events
            .send(crate::event::Event::Prompt {
                request: request.clone(),
                reply,
            })
            .ok()?;
        rx.recv_timeout(self.wait).ok().flatten()
    }
}
