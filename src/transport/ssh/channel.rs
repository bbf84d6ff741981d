//! A channel (a command's session, or a direct-tcpip tunnel) driven through libssh2
//! directly, for the non-blocking host thread.
//!
//! Why not `ssh2::Channel`: killing a remote command needs the RFC 4254 "signal" request
//! (`libssh2_channel_signal_ex`), which the `ssh2` crate does not expose, and a channel's
//! raw pointer cannot be had from it. Everything here is one libssh2 call per method, made
//! while holding the session's lock, on the thread that owns the session.

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void, CStr};
use std::ptr::null_mut;

use libssh2_sys as raw;
use ssh2::Session;

use super::error::{is_fatal_code, EAGAIN};
use super::output::OutputStream;

/// RFC 4254's data type code for stderr.
const SSH_EXTENDED_DATA_STDERR: c_int = 1;

extern "C" {
    // In libssh2 since 1.11.0 (vendored by libssh2-sys 0.3.4), not declared by libssh2-sys.
    fn libssh2_channel_signal_ex(
        channel: *mut raw::LIBSSH2_CHANNEL,
        signame: *const c_char,
        signame_len: usize,
    ) -> c_int;
}

/// A libssh2 failure on a channel.
#[derive(Debug, Clone)]
pub(crate) struct ChannelError {
    pub code: i32,
    pub message: String,
}

impl ChannelError {
    /// The session is unusable after this: reconnect.
    pub fn is_fatal(&self) -> bool {
        is_fatal_code(self.code)
    }
}

/// The outcome of a non-blocking call.
pub(crate) enum Io<T> {
    Done(T),
    WouldBlock,
    Failed(ChannelError),
}

/// An open channel. Dropping it frees libssh2's side (close it first).
pub(crate) struct RawChannel {
    ptr: *mut raw::LIBSSH2_CHANNEL,
    /// Keeps the session alive for as long as the channel.
    session: Session,
}

// SAFETY: a RawChannel is only used on the thread that owns its session (the host thread)
// and every call goes through the session's lock.
unsafe impl Send for RawChannel {}

fn last_error(sess: *mut raw::LIBSSH2_SESSION, code: i32) -> ChannelError {
    let mut msg: *mut c_char = null_mut();
    let mut len: c_int = 0;
    // SAFETY: with want_buf = 0 libssh2 points `msg` at its own buffer, valid until the
    // next call on the session; we copy it at once.
    let message = unsafe {
        raw::libssh2_session_last_error(sess, &mut msg, &mut len, 0);
        if msg.is_null() || len <= 0 {
            format!("libssh2 error {code}")
        } else {
            let bytes = std::slice::from_raw_parts(msg as *const u8, len as usize);
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    ChannelError { code, message }
}

fn io_of(sess: *mut raw::LIBSSH2_SESSION, rc: c_int) -> Io<()> {
    match rc {
        0.. => Io::Done(()),
        EAGAIN => Io::WouldBlock,
        code => Io::Failed(last_error(sess, code)),
    }
}

impl RawChannel {
    /// Opens a session channel (call again after `WouldBlock`; one open at a time).
    pub fn open(session: &Session) -> Io<RawChannel> {
        let kind = "session";
        // SAFETY: a valid session; libssh2 copies the type string.
        RawChannel::opened(session, |sess| unsafe {
            raw::libssh2_channel_open_ex(
                sess,
                kind.as_ptr() as *const c_char,
                kind.len() as c_uint,
                raw::LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                raw::LIBSSH2_CHANNEL_PACKET_DEFAULT,
                null_mut(),
                0,
            )
        })
    }

    /// Opens a "direct-tcpip" channel: the server connects to `host:port` and the channel
    /// carries that TCP connection (what `ssh -L` does). Call again after `WouldBlock`
    /// with the same arguments: libssh2 keeps the half-sent open in the session, so it
    /// must be driven to its end before any other channel opens.
    pub fn open_direct_tcpip(session: &Session, host: &CStr, port: u16) -> Io<RawChannel> {
        // The originator address is informational (sshd logs it); ssh -L sends its own
        // listening address, which sheriff does not have.
        let origin = c"127.0.0.1";
        // SAFETY: a valid session; both strings are NUL-terminated and copied by libssh2.
        RawChannel::opened(session, |sess| unsafe {
            raw::libssh2_channel_direct_tcpip_ex(
                sess,
                host.as_ptr(),
                c_int::from(port),
                origin.as_ptr(),
                0,
            )
        })
    }

    /// Calls a libssh2 channel constructor under the session's lock.
    fn opened(
        session: &Session,
        open: impl FnOnce(*mut raw::LIBSSH2_SESSION) -> *mut raw::LIBSSH2_CHANNEL,
    ) -> Io<RawChannel> {
        let ptr = {
            let mut guard = session.raw();
            let sess: *mut raw::LIBSSH2_SESSION = &mut *guard;
            let ptr = open(sess);
            if ptr.is_null() {
                // SAFETY: a valid session.
                let code = unsafe { raw::libssh2_session_last_errno(sess) };
                return match code {
                    EAGAIN => Io::WouldBlock,
                    code => Io::Failed(last_error(sess, code)),
                };
            }
            ptr
        };
        Io::Done(RawChannel {
            ptr,
            session: session.clone(),
        })
    }

    fn call(&self, f: impl FnOnce(*mut raw::LIBSSH2_CHANNEL) -> c_int) -> Io<()> {
        let mut guard = self.session.raw();
        let sess: *mut raw::LIBSSH2_SESSION = &mut *guard;
        io_of(sess, f(self.ptr))
    }

    /// Starts `command` (call again after `WouldBlock`).
    pub fn exec(&mut self, command: &str) -> Io<()> {
        let request = "exec";
        // SAFETY: valid channel; libssh2 copies both strings into its packet.
        self.call(|ch| unsafe {
            raw::libssh2_channel_process_startup(
                ch,
                request.as_ptr() as *const c_char,
                request.len() as c_uint,
                command.as_ptr() as *const c_char,
                command.len() as c_uint,
            )
        })
    }

    /// Sends a signal (`TERM`, `KILL`) to the remote command; OpenSSH's sshd delivers it
    /// to the command's whole process group.
    pub fn signal(&mut self, name: &str) -> Io<()> {
        // SAFETY: valid channel; libssh2 copies the name.
        self.call(|ch| unsafe {
            libssh2_channel_signal_ex(ch, name.as_ptr() as *const c_char, name.len())
        })
    }

    /// Closes the command's stdin.
    pub fn send_eof(&mut self) -> Io<()> {
        // SAFETY: valid channel.
        self.call(|ch| unsafe { raw::libssh2_channel_send_eof(ch) })
    }

    /// Writes the start of `data` to the channel: how many bytes went (at most one packet;
    /// `Done(0)` while the far end's window is full). After `WouldBlock`, call again with
    /// the same bytes: libssh2 may hold a half-sent packet pointing into them.
    pub fn write(&mut self, data: &[u8]) -> Io<usize> {
        let mut guard = self.session.raw();
        let sess: *mut raw::LIBSSH2_SESSION = &mut *guard;
        // SAFETY: valid channel; libssh2 reads at most data.len() bytes from data.
        let rc = unsafe {
            raw::libssh2_channel_write_ex(self.ptr, 0, data.as_ptr() as *const c_char, data.len())
        };
        match rc {
            0.. => Io::Done(rc as usize),
            rc if rc == EAGAIN as isize => Io::WouldBlock,
            code => Io::Failed(last_error(sess, code as i32)),
        }
    }

    /// Reads what is queued on one output stream: `Done(0)` at its end.
    pub fn read(&mut self, source: OutputStream, buf: &mut [u8]) -> Io<usize> {
        let stream_id = match source {
            OutputStream::Stdout => 0,
            OutputStream::Stderr => SSH_EXTENDED_DATA_STDERR,
        };
        let mut guard = self.session.raw();
        let sess: *mut raw::LIBSSH2_SESSION = &mut *guard;
        // SAFETY: valid channel; libssh2 writes at most buf.len() bytes into buf.
        let rc = unsafe {
            raw::libssh2_channel_read_ex(
                self.ptr,
                stream_id,
                buf.as_mut_ptr() as *mut c_char,
                buf.len(),
            )
        };
        match rc {
            0.. => Io::Done(rc as usize),
            rc if rc == EAGAIN as isize => Io::WouldBlock,
            code => Io::Failed(last_error(sess, code as i32)),
        }
    }

    /// The server sent EOF and nothing is left to read.
    pub fn eof(&self) -> bool {
        let _guard = self.session.raw();
        // SAFETY: valid channel.
        unsafe { raw::libssh2_channel_eof(self.ptr) == 1 }
    }

    /// Bytes libssh2 has received for this channel and not yet handed out.
    pub fn available(&self) -> c_ulong {
        let _guard = self.session.raw();
        let (mut avail, mut initial): (c_ulong, c_ulong) = (0, 0);
        // SAFETY: valid channel and out-pointers.
        unsafe { raw::libssh2_channel_window_read_ex(self.ptr, &mut avail, &mut initial) };
        avail
    }

    /// Sends EOF and CLOSE and waits for the server's CLOSE (call again after
    /// `WouldBlock`); the exit status is known afterwards.
    pub fn close(&mut self) -> Io<()> {
        // SAFETY: valid channel.
        self.call(|ch| unsafe { raw::libssh2_channel_close(ch) })
    }

    /// Waits for the server's CLOSE after its EOF (call again after `WouldBlock`); fails
    /// at once on a channel the server sent no EOF on. `close` can return before that
    /// CLOSE: libssh2 stops waiting once it has read any packet, and with several
    /// channels open that is often another channel's, so the exit status, sent just before
    /// the CLOSE, would still read 0.
    pub fn wait_closed(&mut self) -> Io<()> {
        // SAFETY: valid channel.
        self.call(|ch| unsafe { raw::libssh2_channel_wait_closed(ch) })
    }

    pub fn exit_status(&self) -> i32 {
        let _guard = self.session.raw();
        // SAFETY: valid channel.
        unsafe { raw::libssh2_channel_get_exit_status(self.ptr) }
    }

    /// The signal that ended the command (`KILL`), if the server reported one.
    pub fn exit_signal(&self) -> Option<String> {
        let mut guard = self.session.raw();
        let sess: *mut raw::LIBSSH2_SESSION = &mut *guard;
        let mut sig: *mut c_char = null_mut();
        let mut len: usize = 0;
        // SAFETY: valid channel; libssh2 allocates `sig` with the session's allocator and
        // we free it with the same; null out-pointers are allowed for the other fields.
        unsafe {
            let rc = raw::libssh2_channel_get_exit_signal(
                self.ptr,
                &mut sig,
                &mut len,
                null_mut(),
                null_mut(),
                null_mut(),
                null_mut(),
            );
            if rc != 0 || sig.is_null() {
                return None;
            }
            let name = String::from_utf8_lossy(std::slice::from_raw_parts(sig as *const u8, len))
                .into_owned();
            raw::libssh2_free(sess, sig as *mut c_void);
            Some(name)
        }
    }
}

impl Drop for RawChannel {
    fn drop(&mut self) {
        let _guard = self.session.raw();
        // SAFETY: the channel is freed once, here. After a completed close (or on a dead
        // socket) this does not wait for the server.
        unsafe { raw::libssh2_channel_free(self.ptr) };
    }
}
