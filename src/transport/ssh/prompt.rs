//! Asking a person for a key passphrase (or a password, for hosts that opt in).
//!
//! The TUI implements [`PassphrasePrompt`] with an input overlay; headless commands use
//! [`TtyPrompt`], which reads `/dev/tty` with echo off. A passphrase is asked once per key
//! and kept only in this process's memory (wiped on drop) so reconnects do not ask again;
//! it is never written anywhere or logged.
//!
//! Each key has its own slot: a host waiting for a person to unlock one key never holds up
//! a host that needs another key (or none), and a host that shares the key waits for the
//! answer only up to the prompt timeout, then goes on with its other identities.

use std::collections::HashMap;
use std::fmt;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

/// A secret string: not printed by `Debug`, overwritten with zeros when dropped.
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
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

/// One question on the terminal at a time: hosts that need different keys ask in turn.
static TTY: Mutex<()> = Mutex::new(());

impl PassphrasePrompt for TtyPrompt {
    fn ask(&self, request: &PromptRequest) -> Option<Secret> {
        let _turn = TTY.lock().unwrap_or_else(|e| e.into_inner());
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
    /// Nobody answered (declined, no one to ask, or the prompt timed out).
    NoAnswer,
    /// Every answer was wrong.
    WrongAnswers,
    /// Another host is still asking for this key; it was not answered in time.
    StillAsked,
}

/// Answers that worked, per key file (or per `user@host` password), shared by all hosts of
/// a pool. One host at a time asks for a given key; the others wait for its answer (up to
/// a bound), so a key is asked once, and a wrong answer is never handed to another host.
#[derive(Default)]
pub(crate) struct Answers {
    slots: Mutex<HashMap<String, Arc<KeySlot>>>,
}

#[derive(Default)]
struct KeySlot {
    state: Mutex<SlotState>,
    changed: Condvar,
}

#[derive(Default)]
struct SlotState {
    /// A host is asking a person for this key right now.
    asking: bool,
    known: Option<Secret>,
}

/// How one host asks: the person, how long to wait for another host's question about the
/// same key, and what to tell the host's watchers while a question is open.
pub(crate) struct Asker<'a> {
    pub prompt: &'a dyn PassphrasePrompt,
    pub wait_for_others: Duration,
    pub waiting: &'a dyn Fn(Option<&PromptRequest>),
}

impl Answers {
    fn slot(&self, name: &str) -> Arc<KeySlot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(name.to_string()).or_default().clone()
    }

    /// Tries the answer that worked before for `slot`, else asks up to `tries` times;
    /// `wrong` tells a wrong answer from other failures. Only answers that work are kept.
    pub fn unlock<T, E>(
        &self,
        slot: &str,
        asker: &Asker<'_>,
        mut request: PromptRequest,
        tries: usize,
        mut attempt: impl FnMut(&str) -> Result<T, E>,
        wrong: impl Fn(&E) -> bool,
    ) -> Unlock<T, E> {
        let key = self.slot(slot);
        let deadline = Instant::now() + asker.wait_for_others;
        let mut state = key.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.asking {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Unlock::StillAsked;
            }
            state = key
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        if let Some(secret) = &state.known {
            match attempt(secret.expose()) {
                Err(e) if wrong(&e) => {
                    state.known = None;
                    request.retry = true;
                }
                other => return Unlock::Used(other),
            }
        }
        state.asking = true;
        drop(state);

        let mut worked = None;
        let mut outcome = Unlock::WrongAnswers;
        for _ in 0..tries {
            (asker.waiting)(Some(&request));
            let answer = asker.prompt.ask(&request);
            (asker.waiting)(None);
            let Some(answer) = answer else {
                outcome = Unlock::NoAnswer;
                break;
            };
            match attempt(answer.expose()) {
                Err(e) if wrong(&e) => request.retry = true,
                other => {
                    if other.is_ok() {
                        worked = Some(answer);
                    }
                    outcome = Unlock::Used(other);
                    break;
                }
            }
        }

        let mut state = key.state.lock().unwrap_or_else(|e| e.into_inner());
        state.asking = false;
        if worked.is_some() {
            state.known = worked;
        }
        key.changed.notify_all();
        outcome
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
    /// How long to wait for the sheriff before giving up (the host is then "not unlocked"
    /// and asks again on retry).
    pub wait: Duration,
}

impl ChannelPrompt {
    /// The default wait is two minutes, OpenSSH's default `LoginGraceTime`: the server
    /// closes a login left longer than that anyway.
    pub fn new(events: crate::event::Events) -> Self {
        ChannelPrompt {
            events,
            wait: Duration::from_secs(120),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Answers `answer` once `open` is set; until then the question stays open.
    struct Gate {
        open: AtomicBool,
        answer: &'static str,
    }

    impl PassphrasePrompt for Gate {
        fn ask(&self, _request: &PromptRequest) -> Option<Secret> {
            while !self.open.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(5));
            }
            Some(Secret::new(self.answer.into()))
        }
    }

    fn request(host: &str) -> PromptRequest {
        PromptRequest {
            host: host.into(),
            kind: PromptKind::KeyPassphrase { key: "/k".into() },
            retry: false,
        }
    }

    fn try_unlock(
        answers: &Answers,
        slot: &str,
        prompt: &dyn PassphrasePrompt,
        wait: Duration,
    ) -> Unlock<(), ()> {
        let asker = Asker {
            prompt,
            wait_for_others: wait,
            waiting: &|_| {},
        };
        answers.unlock(
            slot,
            &asker,
            request("h"),
            3,
            |pass| if pass == "right" { Ok(()) } else { Err(()) },
            |_| true,
        )
    }

    #[test]
    fn an_open_question_holds_up_only_its_own_key() {
        let answers = Arc::new(Answers::default());
        let gate = Arc::new(Gate {
            open: AtomicBool::new(false),
            answer: "right",
        });
        let first = {
            let (answers, gate) = (answers.clone(), gate.clone());
            std::thread::spawn(move || {
                matches!(
                    try_unlock(&answers, "key:a", gate.as_ref(), Duration::ZERO),
                    Unlock::Used(Ok(()))
                )
            })
        };
        while !answers.slot("key:a").state.lock().unwrap().asking {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Another key is asked and unlocked at once.
        let other = Gate {
            open: AtomicBool::new(true),
            answer: "right",
        };
        assert!(matches!(
            try_unlock(&answers, "key:b", &other, Duration::ZERO),
            Unlock::Used(Ok(()))
        ));
        // The same key waits for the open question only as long as it is told to.
        let started = Instant::now();
        assert!(matches!(
            try_unlock(&answers, "key:a", &other, Duration::from_millis(50)),
            Unlock::StillAsked
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
        // Once answered, the answer serves the other hosts without asking again.
        gate.open.store(true, Ordering::SeqCst);
        assert!(first.join().unwrap());
        let never = Gate {
            open: AtomicBool::new(true),
            answer: "wrong",
        };
        assert!(matches!(
            try_unlock(&answers, "key:a", &never, Duration::from_secs(1)),
            Unlock::Used(Ok(()))
        ));
    }
}
