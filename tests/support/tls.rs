//! A test PKI and HTTPS servers, one for each TLS outcome a check must tell apart: a valid
//! certificate, one close to expiry, an expired one, one for another name, one from a CA the
//! client does not trust, and a self-signed one.
//!
//! Include with `#[path = "support/tls.rs"] mod tls;`; it pulls `http.rs` from beside it, so an
//! HTTPS server answers the same routes as `http::HttpServer` (`/`, `/ok`, `/status/N`, …) on
//! its own thread and runtime, and stops when dropped. Servers listen on 127.0.0.1 only and are
//! reached as `https://localhost:PORT/`: the valid certificates name `localhost` (a DNS name,
//! no IP address), so the name check is a real one and `WrongName` fails it.
//!
//! A client trusts the test CA by loading [`TestPki::ca_path`] (`ca.pem`); it must not trust
//! the system store alone, or every kind but `Valid` and `Expiring` would fail the same way.
//! The TLS stack is rustls with the aws-lc-rs provider, the one sheriff's reqwest uses, so the
//! tests compile no second crypto library.
#![allow(dead_code)]

#[path = "http.rs"]
mod http;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{crypto::aws_lc_rs, ServerConfig};
use tokio_rustls::TlsAcceptor;

const DAY: i64 = 24 * 60 * 60;
/// Added to every leaf's `not_after`, so whole days left come out the same whether a check
/// floors or rounds, and stay so for an hour of test time.
const MARGIN: i64 = 60 * 60;

/// The certificate an [`HttpsServer`] presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// Signed by the test CA, for `localhost`, 30 days left.
    Valid,
    /// Like `Valid`, with this many days left (negative: expired that many days ago).
    Expiring(i64),
    /// Like `Valid`, but `not_after` was one day ago (-1 days left).
    Expired,
    /// Signed by the test CA, 30 days left, but for `other.example`.
    WrongName,
    /// For `localhost`, 30 days left, signed by a second CA no client is told about.
    UnknownCa,
    /// For `localhost`, 30 days left, signed by its own key.
    SelfSigned,
}

impl CertKind {
    /// Whole days between now and the certificate's `not_after`, as a check should report it.
    pub fn days_left(self) -> i64 {
        match self {
            CertKind::Expiring(days) => days,
            CertKind::Expired => -1,
            _ => 30,
        }
    }

    fn name(self) -> &'static str {
        match self {
            CertKind::WrongName => "other.example",
            _ => "localhost",
        }
    }
}

/// A certificate authority for tests, its certificate written to `ca.pem` in a temp dir.
pub struct TestPki {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl TestPki {
    /// A new CA named "sheriff test CA N" (a name no other `TestPki` of this process has, so a
    /// client trusting another one fails with "unknown issuer", not "bad signature"), valid
    /// from yesterday for ten years.
    pub fn new() -> TestPki {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let n = MADE.fetch_add(1, Ordering::SeqCst) + 1;
        // The shared PKI is a static, never dropped: under the target dir its leftovers go
        // with `cargo clean` instead of piling up in /tmp.
        let base = option_env!("CARGO_TARGET_TMPDIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let _ = std::fs::create_dir_all(&base);
        let dir = tempfile::Builder::new()
            .prefix("sheriff-pki-")
            .tempdir_in(&base)
            .expect("tempdir for the test PKI");
        let ca = new_ca(&format!("sheriff test CA {n}"));
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write ca.pem");
        TestPki { dir, ca }
    }

    /// One PKI for the whole test binary; [`HttpsServer::start`] uses it.
    pub fn shared() -> &'static TestPki {
        static SHARED: OnceLock<TestPki> = OnceLock::new();
        SHARED.get_or_init(TestPki::new)
    }

    /// The CA certificate (PEM) a client must trust.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The CA certificate itself, PEM.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// A leaf certificate of `kind` and its key, as rustls wants them.
    fn leaf(&self, kind: CertKind) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().expect("generate a leaf key");
        let mut params = CertificateParams::new(vec![kind.name().to_string()])
            .expect("leaf certificate parameters");
        params
            .distinguished_name
            .push(DnType::CommonName, kind.name());
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let days = kind.days_left();
        set_validity(&mut params, days.min(0) - 30, days * DAY + MARGIN);
        let cert = match kind {
            CertKind::SelfSigned => params.self_signed(&key),
            CertKind::UnknownCa => params.signed_by(&key, &new_ca("sheriff unknown CA")),
            _ => params.signed_by(&key, &self.ca),
        }
        .expect("sign a leaf certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (cert.der().clone(), key)
    }
}

fn new_ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let key = KeyPair::generate().expect("generate a CA key");
    let mut params = CertificateParams::new(Vec::new()).expect("CA certificate parameters");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params, -1, 3650 * DAY);
    CertifiedIssuer::self_signed(params, key).expect("self-sign the CA")
}

/// Valid from `from_days` days from now until `until_secs` seconds from now. rcgen takes a
/// `time::OffsetDateTime`; building it from the epoch and a std `Duration` spares the tests a
/// direct dependency on `time`.
fn set_validity(params: &mut CertificateParams, from_days: i64, until_secs: i64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64;
    let since_epoch = |secs: i64| Duration::from_secs(secs.max(0) as u64);
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    params.not_before = epoch + since_epoch(now + from_days * DAY);
    params.not_after = epoch + since_epoch(now + until_secs);
}

/// An HTTPS server on 127.0.0.1 presenting one [`CertKind`], answering the routes of
/// `http::HttpServer`. Stops when dropped.
pub struct HttpsServer {
    addr: SocketAddr,
    kind: CertKind,
    ca_path: PathBuf,
    routes: Arc<http::Routes>,
    _thread: http::ServerThread,
}

impl HttpsServer {
    /// Starts a server whose certificate (except `UnknownCa`, `SelfSigned`) comes from
    /// [`TestPki::shared`].
    pub fn start(kind: CertKind) -> HttpsServer {
        HttpsServer::start_with(TestPki::shared(), kind)
    }

    /// Like `start`, with certificates from `pki`.
    pub fn start_with(pki: &TestPki, kind: CertKind) -> HttpsServer {
        let (cert, key) = pki.leaf(kind);
        let mut config =
            ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("TLS versions of the aws-lc-rs provider")
                .with_no_client_auth()
                .with_single_cert(vec![cert], key)
                .expect("a TLS server config for the test certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = http::bind_loopback();
        let addr = listener
            .local_addr()
            .expect("local_addr of the test listener");
        let routes = Arc::new(http::Routes::default());
        let served = routes.clone();
        let thread = http::ServerThread::spawn("test-https", move || {
            http::accept_each(listener, move |stream| {
                let (acceptor, routes) = (acceptor.clone(), served.clone());
                async move {
                    // A client that rejects the certificate aborts the handshake: nothing to do.
                    if let Ok(tls) = acceptor.accept(stream).await {
                        routes.answer(tls).await;
                    }
                }
            })
        });
        HttpsServer {
            addr,
            kind,
            ca_path: pki.ca_path(),
            routes,
            _thread: thread,
        }
    }

    /// `https://localhost:PORT/`
    pub fn url(&self) -> String {
        format!("https://localhost:{}/", self.addr.port())
    }

    /// The port it listens on at 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The CA file a client should trust (the PKI's, also for `UnknownCa` and `SelfSigned`).
    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// The certificate it presents.
    pub fn kind(&self) -> CertKind {
        self.kind
    }

    /// Whole days left on the certificate, as a check should report it (±0 for an hour).
    pub fn days_left(&self) -> i64 {
        self.kind.days_left()
    }

    /// HTTP requests that got through the handshake so far.
    pub fn requests(&self) -> usize {
        self.routes.requests()
    }
}
