//! A tunnel job's conversation through its direct-tcpip channel, and what the server's
//! refusal to open one means for the person who set up the check.

use std::time::Instant;

use super::super::channel::{Io, RawChannel as Channel};
use super::super::work::{target, Work};
use super::{step_of, Job, Phase, Step};

impl Job {
    /// A tunnel's conversation: the request goes out as fast as the far end takes it, and
    /// the answer is read meanwhile (a server may answer before it has read everything).
    /// The far end never gets EOF from sheriff: the protocol must end the conversation.
    pub(super) fn talk(&mut self, mut ch: Channel, now: Instant, buf: &mut [u8]) -> (Phase, Step) {
        if self.cancelled() {
            return (Phase::Closing(ch), Step::Progress);
        }
        if self.work.deadline().is_some_and(|d| now >= d) {
            self.work.time_out(&self.host);
            return (Phase::Closing(ch), Step::Progress);
        }
        let mut wrote = false;
        while !self.work.unwritten().is_empty() {
            match ch.write(self.work.unwritten()) {
                // 0: the far end's window is full; its window adjust will wake us.
                Io::Done(0) | Io::WouldBlock => break,
                Io::Done(n) => {
                    self.work.wrote(n);
                    wrote = true;
                }
                Io::Failed(e) if e.is_fatal() => return (Phase::Done, Step::Fatal(e.message)),
                // The far end went away mid-request: what it sent before is read below.
                Io::Failed(_) if ch.eof() => break,
                Io::Failed(e) => {
                    let error = self.channel_error(format!(
                        "writing the request into the {} failed: {}",
                        self.work.command(),
                        e.message
                    ));
                    self.work.refuse(error);
                    return (Phase::Closing(ch), Step::Progress);
                }
            }
        }
        let (read, at_cap) = match self.read(&mut ch, buf) {
            Ok(read) => read,
            Err(fatal) => return (Phase::Done, Step::Fatal(fatal)),
        };
        if at_cap {
            return (Phase::Closing(ch), Step::Progress);
        }
        if ch.eof() {
            self.work.finish(None, None, false);
            return (Phase::Closing(ch), Step::Progress);
        }
        (Phase::Talking(ch), step_of(wrote || read))
    }
}

/// Why the server refused a tunnel, and what to do about it.
pub(super) fn refused(work: &Work, why: &str) -> String {
    let Some((host, port)) = work.tunnel_target() else {
        return why.to_string();
    };
    let to = target(host, port);
    // libssh2 names the RFC 4254 reason code in its message; OpenSSH's sshd answers
    // "administratively prohibited" for AllowTcpForwarding/PermitOpen and "connect
    // failed" when nothing accepts the TCP connection.
    if why.contains("administratively prohibited") {
        format!(
            "the host refused to forward to {to} (administratively prohibited): its sshd \
             does not allow this forward; set AllowTcpForwarding yes (or local) and check \
             PermitOpen in its sshd_config"
        )
    } else if why.contains("connect failed") {
        format!(
            "the host refused to forward to {to}: nothing there accepted the connection \
             (connect failed); is the service running on the host and listening on {to}?"
        )
    } else {
        format!(
            "the host refused to forward to {to} ({why}): is the service running there, \
             and does its sshd allow TCP forwarding (AllowTcpForwarding)?"
        )
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;
    use std::time::Duration;

    use tokio::sync::oneshot;

    use super::super::super::error::SshError;
    use super::super::super::output::{ExecOutput, OutputStream};
    use super::*;

    type Answer = oneshot::Receiver<Result<ExecOutput, SshError>>;

    fn exchange(host: &str, port: u16, cap: usize) -> (Work, Answer) {
        let (reply, answer) = oneshot::channel();
        let host = CString::new(host).unwrap_or_default();
        let work = Work::exchange(
            host,
            port,
            b"quit\n".to_vec(),
            Duration::from_secs(5),
            cap,
            reply,
        );
        (work, answer)
    }

    #[test]
    fn refusals_say_which_and_what_to_do() {
        let (work, _answer) = exchange("127.0.0.1", 4949, 1024);
        let text = refused(&work, "Channel open failure (connect failed)");
        assert!(
            text.starts_with("the host refused to forward to 127.0.0.1:4949:"),
            "{text}"
        );
        assert!(text.contains("listening on 127.0.0.1:4949?"), "{text}");
        let text = refused(&work, "Channel open failure (administratively prohibited)");
        assert!(text.contains("AllowTcpForwarding yes"), "{text}");
        assert!(text.contains("PermitOpen"), "{text}");
        // Reasons libssh2 reports without a known code keep its words.
        let text = refused(&work, "Channel open failure (resource shortage)");
        assert!(
            text.contains("(Channel open failure (resource shortage))"),
            "{text}"
        );
    }

    #[test]
    fn an_ipv6_far_end_is_written_with_brackets() {
        let (work, _answer) = exchange("::1", 4949, 1024);
        assert_eq!(work.command(), "tunnel to [::1]:4949");
        assert!(refused(&work, "connect failed").contains("[::1]:4949"));
    }

    #[test]
    fn the_answer_stops_at_the_cap_and_keeps_what_came_before() {
        let (mut work, mut answer) = exchange("127.0.0.1", 4949, 10);
        assert!(work.take("box", OutputStream::Stdout, b"# munin "));
        // Not part of a TCP stream's answer.
        assert!(work.take("box", OutputStream::Stderr, b"noise"));
        assert!(!work.take("box", OutputStream::Stdout, b"node at x\n"));
        let out = answer
            .try_recv()
            .expect("answered at the cap")
            .expect("not an error");
        assert_eq!(out.stdout, b"# munin no");
    }

    #[test]
    fn the_request_is_handed_out_in_the_pieces_the_channel_takes() {
        let (mut work, _answer) = exchange("127.0.0.1", 4949, 10);
        assert_eq!(work.unwritten(), b"quit\n");
        work.wrote(2);
        assert_eq!(work.unwritten(), b"it\n");
        // More than is left (never from libssh2, but never a panic either).
        work.wrote(100);
        assert!(work.unwritten().is_empty());
    }

    #[test]
    fn a_timeout_names_the_tunnel_and_kills_nothing() {
        let (mut work, mut answer) = exchange("127.0.0.1", 4949, 10);
        work.time_out("box");
        let err = answer.try_recv().expect("answered").unwrap_err();
        assert!(
            matches!(err, SshError::Timeout { killed: false, .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "box: `tunnel to 127.0.0.1:4949` did not finish within 5s; the channel was closed"
        );
    }
}
