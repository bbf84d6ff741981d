//! A host thread while its connection is up: every channel of the session driven in
//! non-blocking mode, one pass over all jobs after another, sleeping in `poll(2)` when
//! nothing can move; keepalive probes; and what happens to jobs when the connection dies.

use std::collections::VecDeque;
use std::sync::mpsc::TryRecvError;
use std::time::{Duration, Instant};

use ssh2::BlockDirections;

use super::connect::Connection;
use super::error::SshError;
use super::job::{Job, Step};
use super::output::{HostInfo, StreamItem};
use super::wait::{wait, Interest};
use super::work::Work;
use super::worker::{Request, Worker};
use crate::config::duration::format_duration;

/// While a reply may be sitting in libssh2's buffers, do not sleep longer than this.
const REPLY_POLL: Duration = Duration::from_millis(5);
/// How often to look at a stream whose reader is behind (the reader also wakes us).
const BACKPRESSURE_POLL: Duration = Duration::from_millis(250);

impl Worker {
    /// Runs jobs on a live connection. None: shut down; Some(reason): the connection died.
    pub(super) fn serve(&mut self, conn: Connection, info: &HostInfo) -> Option<String> {
        let session = &conn.session;
        session.set_blocking(false);
        let mut queue: VecDeque<Job> = VecDeque::new();
        let mut active: Vec<Job> = Vec::new();
        for kept in self.streams.drain(..) {
            let work = Work::stream(kept);
            queue.push_back(Job::new(work, &self.host.name, self.pacing.kill_grace));
        }
        let mut buf = vec![0u8; 32 * 1024];
        let keepalive = self.host.keepalive;
        let give_up = keepalive * self.host.keepalive_count_max;
        let mut last_heard = Instant::now();
        let mut shutting_down: Option<Instant> = None;

        let lost = loop {
            if shutting_down.is_none() && !self.intake(&mut queue, info) {
                shutting_down =
                    Some(Instant::now() + self.pacing.kill_grace * 2 + Duration::from_secs(1));
                for job in queue.drain(..) {
                    drop(job);
                }
                for job in &mut active {
                    job.cancel();
                }
            }
            let now = Instant::now();
            if let Some(deadline) = shutting_down {
                if active.is_empty() || now >= deadline {
                    break None;
                }
            }
            self.expire_queued(&mut queue, now);
            let max = self.host.max_channels;
            while !active.iter().any(Job::is_opening) {
                // A keepalive probe may use one channel beyond the cap.
                let room = active.len() < max
                    || (queue.front().is_some_and(Job::is_probe) && active.len() <= max);
                match queue.pop_front() {
                    Some(job) if room => active.push(job),
                    Some(job) => {
                        queue.push_front(job);
                        break;
                    }
                    None => break,
                }
            }
            // Jobs waiting for a reply go last: a read by an earlier job may fetch it.
            active.sort_by_key(Job::awaiting_reply);
            let mut progress = false;
            let mut fatal = None;
            for job in active.iter_mut() {
                match job.step(session, now, &mut buf) {
                    Step::Progress => progress = true,
                    Step::Idle => {}
                    Step::Fatal(reason) => {
                        fatal = Some(reason);
                        break;
                    }
                }
            }
            if let Some(reason) = fatal {
                break Some(reason);
            }
            active.retain(|job| !job.is_done());
            if progress {
                last_heard = now;
                continue;
            }
            if active.iter().any(Job::needs_attention) {
                continue;
            }
            let quiet = now.duration_since(last_heard);
            if quiet >= give_up {
                break Some(format!(
                    "no answer from the server for {}",
                    format_duration(quiet)
                ));
            }
            let probing = active.iter().chain(queue.iter()).any(Job::is_probe);
            if quiet >= keepalive && !probing && shutting_down.is_none() {
                queue.push_front(Job::new(
                    Work::Probe,
                    &self.host.name,
                    self.pacing.kill_grace,
                ));
                continue;
            }
            // Streams whose reader is behind: ask the reader to wake us, then look again
            // in case it made room just before.
            let mut reader_caught_up = false;
            for job in active.iter().filter(|j| j.backpressured()) {
                job.work.wake_me();
                reader_caught_up |= !job.backpressured();
            }
            if reader_caught_up {
                continue;
            }
            let mut timeout = [
                Some(last_heard + if probing { give_up } else { keepalive }),
                shutting_down,
            ]
            .into_iter()
            .flatten()
            .chain(active.iter().filter_map(Job::deadline))
            .chain(queue.iter().filter_map(Job::queued_deadline))
            .min()
            .map(|t| t.saturating_duration_since(now))
            .unwrap_or(keepalive);
            if active.iter().any(Job::awaiting_reply) {
                timeout = timeout.min(REPLY_POLL);
            }
            if active.iter().any(Job::backpressured) {
                timeout = timeout.min(BACKPRESSURE_POLL);
            }
            let outbound = matches!(
                session.block_directions(),
                BlockDirections::Outbound | BlockDirections::Both
            );
            // When every channel waits for a slow stream reader, unread data must not wake
            // us in a loop: SSH flow control holds it on the server meanwhile.
            let reading = active.is_empty() || active.iter().any(|j| !j.backpressured());
            let interests = [
                Interest {
                    fd: conn.fd,
                    read: reading,
                    write: outbound,
                },
                Interest {
                    fd: self.wake.fd(),
                    read: true,
                    write: false,
                },
            ];
            let ready = match wait(&interests, Some(timeout)) {
                Ok(r) => r,
                Err(e) => break Some(format!("poll: {e}")),
            };
            if ready[1].read {
                self.wake.drain();
            }
            if (ready[0].read || ready[0].closed) && active.is_empty() && !probing {
                // Something arrived while idle (a keepalive, a rekey, a disconnect): a probe
                // makes libssh2 read and handle it.
                queue.push_front(Job::new(
                    Work::Probe,
                    &self.host.name,
                    self.pacing.kill_grace,
                ));
            }
        };

        match &lost {
            Some(reason) => {
                tracing::warn!("{}: connection lost: {reason}", self.host.name);
                // Shut the socket so libssh2 frees channels without waiting for answers.
                // SAFETY: shutdown(2) on a descriptor the session still owns.
                unsafe { libc::shutdown(conn.fd, libc::SHUT_RDWR) };
                for mut job in active.drain(..) {
                    let error = SshError::Disconnected {
                        host: self.host.name.clone(),
                        command: job.command().to_string(),
                        reason: reason.clone(),
                    };
                    job.fail(error);
                    self.keep_stream(job, reason, true);
                }
                for mut job in queue.drain(..) {
                    let error = SshError::Unreachable {
                        host: self.host.name.clone(),
                        address: self.host.address(),
                        reason: format!("connection lost: {reason}"),
                    };
                    job.fail(error);
                    self.keep_stream(job, reason, false);
                }
            }
            None => {
                // Channels still open after the grace period are closed, briefly blocking.
                session.set_blocking(true);
                session.set_timeout(1000);
                drop(active);
                let _ = session.disconnect(None, "sheriff is closing", None);
            }
        }
        lost
    }

    /// A line stream runs again on the next connection; a raw one that ran ends here, with
    /// `Interrupted`, since only its reader knows where to go on from.
    fn keep_stream(&mut self, job: Job, reason: &str, ran: bool) {
        let Some(kept) = job.work.into_stream(ran) else {
            return;
        };
        // A raw stream still queued has not run: it waits for its first run, quietly.
        let first_run_waits = kept.raw && !kept.ran;
        let runs_again = !kept.raw || !kept.ran;
        if !first_run_waits {
            let _ = kept.tx.try_send(StreamItem::Interrupted {
                reason: format!("connection lost: {reason}"),
            });
        }
        if runs_again {
            self.streams.push(kept);
        }
    }

    /// Moves new requests into the queue; false when the pool is shutting down.
    fn intake(&mut self, queue: &mut VecDeque<Job>, info: &HostInfo) -> bool {
        loop {
            match self.rx.try_recv() {
                Ok(Request::Work(work)) => {
                    queue.push_back(Job::new(work, &self.host.name, self.pacing.kill_grace))
                }
                Ok(Request::Connect(reply)) => {
                    let _ = reply.send(Ok(info.clone()));
                }
                Ok(Request::Retry) => {}
                Ok(Request::Shutdown) | Err(TryRecvError::Disconnected) => return false,
                Err(TryRecvError::Empty) => return true,
            }
        }
    }

    /// Fails queued commands whose deadline passed before a channel came free.
    fn expire_queued(&self, queue: &mut VecDeque<Job>, now: Instant) {
        let max = self.host.max_channels;
        queue.retain_mut(|job| {
            let expired = job.queued_deadline().is_some_and(|d| now >= d);
            if expired {
                let message = format!(
                    "`{}` timed out waiting for one of the {max} channels (max_channels) to come free",
                    job.command()
                );
                job.fail(SshError::Channel {
                    host: self.host.name.clone(),
                    message,
                });
            }
            !expired
        });
    }
}
