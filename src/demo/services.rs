//! Two tiny HTTP services for the demo's health checks, on loopback ephemeral ports.
//!
//! Plain tokio and just enough HTTP/1.1 to answer a GET: read the request head, write a
//! response with `Connection: close`. Real sockets, so the checks run their normal path.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How a demo service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 200 `{"status":"ok"}` at once, every time.
    Healthy,
    /// Cycles through [`FLAKY_CYCLE`], one step per request, so the Health pane flaps
    /// visibly: the first request already fails.
    Flaky,
}

/// One answer of a flaky service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub delay: Duration,
}

const fn reply(status: u16, delay_ms: u64) -> Reply {
    Reply {
        status,
        delay: Duration::from_millis(delay_ms),
    }
}

/// 503, then healthy, then slow (over the demo's `time < 300ms`), then healthy, then a
/// hang past the demo's 1s timeout, then healthy: every state a check can show.
pub const FLAKY_CYCLE: [Reply; 6] = [
    reply(503, 0),
    reply(200, 3),
    reply(200, 450),
    reply(200, 8),
    reply(200, 1500),
    reply(200, 5),
];

/// A bound, not yet serving, service: bind first so the port is known when the config is
/// written, serve later in a task.
pub struct Service {
    listener: TcpListener,
    behaviour: Behaviour,
}

impl Service {
    pub async fn bind(behaviour: Behaviour) -> std::io::Result<Service> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Ok(Service {
            listener,
            behaviour,
        })
    }

    pub fn addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until the task is aborted; each is answered in its own task.
    pub async fn serve(self) {
        let served = Arc::new(AtomicU64::new(0));
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                // Out of file descriptors and the like: back off rather than spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let n = served.fetch_add(1, Ordering::Relaxed);
            let answer = match self.behaviour {
                Behaviour::Healthy => reply(200, 0),
                Behaviour::Flaky => FLAKY_CYCLE[(n % FLAKY_CYCLE.len() as u64) as usize],
            };
            tokio::spawn(answer_one(stream, answer));
        }
    }
}

async fn answer_one(mut stream: TcpStream, reply: Reply) {
    if !read_head(&mut stream).await {
        return;
    }
    tokio::time::sleep(reply.delay).await;
    let (reason, body) = match reply.status {
        200 => ("OK", r#"{"status":"ok"}"#),
        _ => (
            "Service Unavailable",
            r#"{"status":"degraded","error":"upstream db pool exhausted"}"#,
        ),
    };
    let response = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reply.status,
        body.len()
    );
    // The client may have given up (a timed-out check): nothing to do about a failed write.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads up to the blank line ending the request head. False if the peer went away, was
/// too slow, or sent more than a request head should be.
async fn read_head(stream: &mut TcpStream) -> bool {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
            if head.windows(4).any(|w| w == b"\r\n\r\n") {
                return true;
            }
            if head.len() > 16 * 1024 {
                return false;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .unwrap_or(false)
}
