//! ProxyJump through one jump host: a thread owns the jump host's session, opens a
//! `direct-tcpip` channel to the target and copies bytes between it and one end of a Unix
//! socket pair; the target's session runs over the other end as if it were TCP.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::thread::JoinHandle;
use std::time::Duration;

use ssh2::{BlockDirections, Channel};

use super::connect::{connect, ConnectContext, Connection};
use super::error::SshError;
use super::resolve::ResolvedHost;
use super::wait::{wait, Interest};

/// Bytes buffered in each direction before the tunnel stops reading that side.
const BUFFER_CAP: usize = 256 * 1024;

/// The running tunnel; it ends when the target's session closes its end.
pub(crate) struct JumpTunnel {
    _thread: JoinHandle<()>,
}

/// Connects to `jump` (verifying its host key and authenticating, like any host) and opens
/// a tunnel to `to_host:to_port`. Returns the socket the target's session should use.
pub(crate) fn open(
    jump: &ResolvedHost,
    target_name: &str,
    to_host: &str,
    to_port: u16,
    ctx: &ConnectContext,
) -> Result<(UnixStream, JumpTunnel), SshError> {
    let io_error = |e: io::Error| SshError::Unreachable {
        host: target_name.to_string(),
        address: format!("{to_host}:{to_port} via {}", jump.hostname),
        reason: format!("cannot make a socket pair for the tunnel: {e}"),
    };
    let (ours, theirs) = UnixStream::pair().map_err(io_error)?;
    let (tx, rx) = std::sync::mpsc::channel();
    let (jump_name, jump_address) = (jump.name.clone(), jump.address());
    let (jump, ctx) = (jump.clone(), ctx.clone());
    let (target_name, to_host) = (target_name.to_string(), to_host.to_string());
    let thread = std::thread::Builder::new()
        .name(format!("ssh-jump {}", jump.alias))
        .spawn(move || {
            let conn = match connect(&jump, &ctx) {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let channel = match conn.session.channel_direct_tcpip(&to_host, to_port, None) {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(Err(SshError::Unreachable {
                        host: target_name,
                        address: format!("{to_host}:{to_port} via {}", jump.address()),
                        reason: format!(
                            "the jump host could not open a connection to it: {}",
                            e.message()
                        ),
                    }));
                    return;
                }
            };
            if tx.send(Ok(())).is_ok() {
                pump(conn, channel, theirs);
            }
        })
        .map_err(io_error)?;
    match rx.recv() {
        Ok(Ok(())) => Ok((ours, JumpTunnel { _thread: thread })),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(SshError::Unreachable {
            host: jump_name,
            address: jump_address,
            reason: "the tunnel thread stopped before connecting".into(),
        }),
    }
}

/// Copies bytes both ways until either side closes.
fn pump(conn: Connection, mut channel: Channel, mut local: UnixStream) {
    let session = &conn.session;
    session.set_blocking(false);
    if local.set_nonblocking(true).is_err() {
        return;
    }
    let mut to_local: Vec<u8> = Vec::new();
    let mut to_remote: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    let mut local_eof = false;
    loop {
        let mut progress = false;
        if to_local.len() < BUFFER_CAP {
            match channel.read(&mut buf) {
                Ok(0) if channel.eof() => break,
                Ok(0) => {}
                Ok(n) => {
                    to_local.extend_from_slice(&buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if !to_local.is_empty() {
            match local.write(&to_local) {
                Ok(n) => {
                    to_local.drain(..n);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if !local_eof && to_remote.len() < BUFFER_CAP {
            match local.read(&mut buf) {
                Ok(0) => {
                    local_eof = true;
                    progress = true;
                }
                Ok(n) => {
                    to_remote.extend_from_slice(&buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if !to_remote.is_empty() {
            match channel.write(&to_remote) {
                Ok(n) => {
                    to_remote.drain(..n);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if local_eof && to_remote.is_empty() {
            break;
        }
        if !progress {
            let outbound = matches!(
                session.block_directions(),
                BlockDirections::Outbound | BlockDirections::Both
            );
            let interests = [
                Interest {
                    fd: conn.fd,
                    read: to_local.len() < BUFFER_CAP,
                    write: outbound,
                },
                Interest {
                    fd: local.as_raw_fd(),
                    read: !local_eof && to_remote.len() < BUFFER_CAP,
                    write: !to_local.is_empty(),
                },
            ];
            if wait(&interests, Some(Duration::from_secs(5))).is_err() {
                break;
            }
        }
    }
    // The target sees the tunnel close as a dropped connection.
    let _ = local.shutdown(std::net::Shutdown::Both);
    session.set_blocking(true);
    session.set_timeout(1000);
    let _ = channel.close();
    let _ = session.disconnect(None, "tunnel closed", None);
}
