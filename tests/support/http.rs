//! Loopback servers for check tests, in process: [`HttpServer`] answers a fixed set of HTTP/1.1
//! routes a check can be pointed at, [`TcpBannerServer`] greets and echoes for a `tcp` check.
//!
//! Include with `#[path = "support/http.rs"] mod http;`. Each server binds 127.0.0.1 on a port
//! the system picks, and runs on a thread of its own with its own tokio runtime, so sync tests
//! and `#[tokio::test]` tests alike can use it and a test that blocks its runtime does not stall
//! the server. Dropping a server stops that runtime, which closes every connection it holds (a
//! client waiting on `/hang` sees the connection close). `shared()` gives one server per test
//! binary; its request count then includes other tests' requests.
//!
//! The HTTP is written by hand rather than with hyper: `/echo` must return the request bytes
//! exactly as they arrived and `/hang` must hold a connection without answering, and one
//! request per connection (every answer says `Connection: close`) keeps that to a page.
#![allow(dead_code)]

use std::future::Future;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

#[path = "http/request.rs"]
mod request;
pub use request::{read_request, Refusal};

/// The body `/ok` answers with (as `application/json`).
pub const OK_BODY: &str = r#"{"status":"ok","items":[{"state":"up"}]}"#;
/// What `/big/BYTES` repeats, one write at a time, so a huge answer needs no huge buffer.
static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// A thread running one server future on its own runtime until dropped.
pub struct ServerThread {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl ServerThread {
    /// Runs `serve()` on a new thread named `name`.
    pub fn spawn<F, Fut>(name: &str, serve: F) -> ServerThread
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("cannot build a tokio runtime for a test server");
                runtime.block_on(async move {
                    tokio::select! {
                        _ = serve() => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime cancels every connection task, closing its socket.
            })
            .expect("cannot spawn a test server thread");
        ServerThread {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Binds 127.0.0.1 on a free port, ready to hand to [`accept_each`].
pub fn bind_loopback() -> StdListener {
    let listener = StdListener::bind(("127.0.0.1", 0))
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0 for a test server: {e}"));
    listener
        .set_nonblocking(true)
        .expect("cannot make the test listener non-blocking");
    listener
}

/// Accepts connections for ever, handing each to `handle` on a task of its own.
pub async fn accept_each<F, Fut>(listener: StdListener, handle: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::from_std(listener).expect("cannot register the test listener");
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(handle(stream));
            }
            // Out of file descriptors, or a connection reset before accept: try again soon.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// The routes, and what they keep between requests. Shared by the HTTP and HTTPS servers.
#[derive(Default)]
pub struct Routes {
    requests: AtomicUsize,
    flaps: AtomicUsize,
}

impl Routes {
    /// Requests whose head arrived so far, answered or not (a `/hang` counts).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Reads one request from `stream`, answers it and closes the connection.
    pub async fn answer<S: AsyncRead + AsyncWrite + Unpin>(&self, mut stream: S) {
        let request = match read_request(&mut stream).await {
            Ok(request) => request,
            Err(Refusal::Closed) => return,
            Err(Refusal::Status(code)) => {
                let _ = respond(&mut stream, code, &[], reason(code).as_bytes(), false).await;
                close(stream).await;
                return;
            }
        };
        let count = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let head_only = request.method.eq_ignore_ascii_case("HEAD");
        let path = request.target.split('?').next().unwrap_or("");
        let text = [("Content-Type", "text/plain".to_string())];
        let _ = match path {
            "/" => respond(&mut stream, 200, &text, b"sheriff test server\n", head_only).await,
            "/ok" => {
                let json = [("Content-Type", "application/json".to_string())];
                respond(&mut stream, 200, &json, OK_BODY.as_bytes(), head_only).await
            }
            "/hang" => std::future::pending().await,
            "/flap" => {
                // The first answer is 200, then 503, 200, …
                let code = if self.flaps.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
                    200
                } else {
                    503
                };
                respond(&mut stream, code, &text, reason(code).as_bytes(), head_only).await
            }
            "/redirect" => {
                let to = [("Location", "/ok".to_string())];
                respond(&mut stream, 302, &to, b"", head_only).await
            }
            "/echo" => respond(&mut stream, 200, &text, &request.raw, head_only).await,
            "/count" => {
                let body = format!("{count}\n");
                respond(&mut stream, 200, &text, body.as_bytes(), head_only).await
            }
            _ => self.answer_numbered(&mut stream, path, head_only).await,
        };
        close(stream).await;
    }

    /// `/status/N`, `/slow/MS`, `/big/BYTES`, and 404 for anything else.
    async fn answer_numbered<S: AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        path: &str,
        head_only: bool,
    ) -> std::io::Result<()> {
        let text = [("Content-Type", "text/plain".to_string())];
        let number = |prefix: &str| {
            path.strip_prefix(prefix)
                .and_then(|n| n.parse::<u64>().ok())
        };
        if let Some(code) = number("/status/") {
            match u16::try_from(code) {
                Ok(code @ 200..=599) => {
                    respond(stream, code, &text, reason(code).as_bytes(), head_only).await
                }
                _ => respond(stream, 400, &text, b"status must be 200..=599\n", head_only).await,
            }
        } else if let Some(ms) = number("/slow/") {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            respond(stream, 200, &text, b"slow\n", head_only).await
        } else if let Some(bytes) = number("/big/") {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {bytes}\r\n\
                 Connection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).await?;
            let mut left = if head_only { 0 } else { bytes };
            while left > 0 {
                let n = left.min(FILLER.len() as u64) as usize;
                stream.write_all(&FILLER[..n]).await?;
                left -= n as u64;
            }
            stream.flush().await
        } else {
            respond(stream, 404, &text, b"Not Found\n", head_only).await
        }
    }
}

/// Ends the answer, then reads what the client still sends (for at most a second) before
/// closing: closing a socket with unread input makes the kernel send a reset, which can
/// reach the client before it has read the answer.
async fn close<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let _ = stream.shutdown().await;
    let drain = async {
        let mut sink = [0u8; 16 * 1024];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

/// Writes one whole answer. 204 and 304 carry no body, and 204 no `Content-Length`.
async fn respond<S: AsyncWrite + Unpin>(
    stream: &mut S,
    code: u16,
    headers: &[(&str, String)],
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {code} {}\r\n", reason(code));
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let bodiless = code == 204 || code == 304;
    if code != 204 {
        let length = if bodiless { 0 } else { body.len() };
        head.push_str(&format!("Content-Length: {length}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    let mut out = head.into_bytes();
    if !bodiless && !head_only {
        out.extend_from_slice(body);
    }
    stream.write_all(&out).await?;
    stream.flush().await
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// An HTTP/1.1 server on 127.0.0.1 with these routes (any method; HEAD gets no body):
/// `/` and `/ok` (200, `/ok` with [`OK_BODY`] as JSON), `/status/N` (N in 200..=599),
/// `/slow/MS` (200 after MS milliseconds), `/hang` (never answers), `/flap` (200, 503, 200, …
/// across requests), `/redirect` (302 to `/ok`), `/big/BYTES` (200 with that many bytes),
/// `/echo` (200; the body is the request head as received, then its body), `/count` (200; the
/// body is [`HttpServer::requests`] counting this request). Anything else is 404.
pub struct HttpServer {
    addr: SocketAddr,
    routes: Arc<Routes>,
    _thread: ServerThread,
}

impl HttpServer {
    /// Starts a server of its own; it stops when dropped.
    pub fn start() -> HttpServer {
        let listener = bind_loopback();
        let addr = listener
            .local_addr()
            .expect("local_addr of the test listener");
        let routes = Arc::new(Routes::default());
        let served = routes.clone();
        let thread = ServerThread::spawn("test-http", move || {
            accept_each(listener, move |stream| {
                let routes = served.clone();
                async move { routes.answer(stream).await }
            })
        });
        HttpServer {
            addr,
            routes,
            _thread: thread,
        }
    }

    /// One server for the whole test binary, started on first use.
    pub fn shared() -> &'static HttpServer {
        static SHARED: OnceLock<HttpServer> = OnceLock::new();
        SHARED.get_or_init(HttpServer::start)
    }

    /// `http://127.0.0.1:PORT` followed by `path` (a leading `/` is added if missing).
    pub fn url(&self, path: &str) -> String {
        let slash = if path.starts_with('/') { "" } else { "/" };
        format!("http://{}{slash}{path}", self.addr)
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests whose head arrived so far, answered or not (a `/hang` counts).
    pub fn requests(&self) -> usize {
        self.routes.requests()
    }
}

/// A TCP server on 127.0.0.1 that writes `banner` and CRLF to each connection, then echoes
/// back whatever it receives until the client closes.
pub struct TcpBannerServer {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    _thread: ServerThread,
}

impl TcpBannerServer {
    /// Starts the server; it stops, closing every connection, when dropped.
    pub fn start(banner: &str) -> TcpBannerServer {
        let listener = bind_loopback();
        let addr = listener
            .local_addr()
            .expect("local_addr of the test listener");
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let greeting = Arc::new(format!("{banner}\r\n").into_bytes());
        let thread = ServerThread::spawn("test-tcp-banner", move || {
            accept_each(listener, move |mut stream| {
                counted.fetch_add(1, Ordering::SeqCst);
                let greeting = greeting.clone();
                async move {
                    if stream.write_all(&greeting).await.is_err() {
                        return;
                    }
                    let (mut from, mut to) = stream.split();
                    let _ = tokio::io::copy(&mut from, &mut to).await;
                }
            })
        });
        TcpBannerServer {
            addr,
            connections,
            _thread: thread,
        }
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port of [`TcpBannerServer::addr`].
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}
