//! The HTTP check: one request within a timeout, with TLS verified (unless `insecure`),
//! redirects followed or not, the body read up to 1 MiB, and the certificate's days left.
//! What it saw becomes facts for `expect` (`status`, `time`, `body`, `json.…`,
//! `cert_days`); failures are named as an operator would name them: DNS, refused, which
//! TLS problem, timeout, body over the cap.

use std::collections::HashMap;
use std::error::Error as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::condition::Subject;
use super::observation::{Observation, Seen};
use super::{CheckStatus, Metric};
use crate::config::duration::format_duration;
use crate::config::HttpSpec;

/// The most of a body a check reads; past it the check says so and stops reading.
pub const BODY_CAP: usize = 1024 * 1024;
/// How much of a body the detail view shows.
const BODY_SHOWN: usize = 4 * 1024;

/// One client per TLS and redirect setting, shared by every check that uses it (each
/// pools its connections). Built on first use.
#[derive(Clone, Default)]
pub struct HttpClients {
    clients: Arc<Mutex<HashMap<ClientKind, reqwest::Client>>>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct ClientKind {
    insecure: bool,
    ca: Option<PathBuf>,
    follow_redirects: bool,
}

impl HttpClients {
    /// The client for a check with these settings.
    pub fn for_spec(&self, spec: &HttpSpec) -> Result<reqwest::Client, String> {
        let kind = ClientKind {
            insecure: spec.insecure,
            ca: spec.ca.clone(),
            follow_redirects: spec.follow_redirects,
        };
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&kind) {
            return Ok(client.clone());
        }
        let client = build(&kind)?;
        clients.insert(kind, client.clone());
        Ok(client)
    }

    /// The plain client (verified TLS, redirects followed), for API kinds.
    pub fn plain(&self) -> Result<reqwest::Client, String> {
        self.for_spec(&HttpSpec::get(""))
    }
}

fn build(kind: &ClientKind) -> Result<reqwest::Client, String> {
    let redirects = if kind.follow_redirects {
        reqwest::redirect::Policy::limited(10)
    } else {
        reqwest::redirect::Policy::none()
    };
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("sheriff/", env!("CARGO_PKG_VERSION")))
        .redirect(redirects)
        .tls_info(true)
        .tls_danger_accept_invalid_certs(kind.insecure);
    if let Some(path) = &kind.ca {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read ca file {}: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("ca file {} is not PEM certificates: {e}", path.display()))?;
        builder = builder.tls_certs_merge(certs);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// One request, judged by the HTTP status class unless `expect` says what status is right.
/// `status_by_expect`: a condition on `status` decides what is right, not the class.
pub async fn observe(
    clients: &HttpClients,
    spec: &HttpSpec,
    timeout: Duration,
    status_by_expect: bool,
) -> Observation {
    let request_line = format!("{} {}", spec.method, spec.url);
    let client = match clients.for_spec(spec) {
        Ok(client) => client,
        Err(why) => return Observation::failed(CheckStatus::Unknown, why, request_line),
    };
    let mut sent = format!("{request_line}\n");
    for (name, value) in &spec.headers {
        sent.push_str(&format!("{name}: {value}\n"));
    }
    if let Some(body) = &spec.body {
        sent.push_str(&format!("\n{body}\n"));
    }
    let started = Instant::now();
    let fetched = tokio::time::timeout(timeout, fetch(&client, spec, timeout)).await;
    let latency = started.elapsed();
    let timed_out = || format!("timed out after {}", format_duration(timeout));
    let fetched = match fetched {
        Err(_) => return Observation::failed(CheckStatus::Critical, timed_out(), sent),
        Ok(Err(err)) if err.is_timeout() => {
            return Observation::failed(CheckStatus::Critical, timed_out(), sent)
        }
        Ok(Err(err)) => {
            let detail = format!("{sent}\n{}\n", error_chain(&err));
            return Observation::failed(CheckStatus::Critical, describe(&err), detail);
        }
        Ok(Ok(fetched)) => fetched,
    };
    let mut seen = judge_status(fetched.status, latency, status_by_expect);
    if let Some(location) = &fetched.location {
        seen.summary.push_str(&format!(" → {location}"));
    }
    if fetched.over_cap {
        seen.status = CheckStatus::Critical;
        seen.summary = format!(
            "{}: body over the {} MiB cap; not read further",
            seen.summary,
            BODY_CAP / (1024 * 1024)
        );
    }
    if spec.insecure && spec.url.starts_with("https://") {
        seen.summary.push_str(" (TLS not verified)");
    }
    let body_text = String::from_utf8_lossy(&fetched.body).into_owned();
    let shown: String = body_text.chars().take(BODY_SHOWN).collect();
    seen.detail = format!(
        "{sent}\n{} {}\n{}\n{shown}",
        fetched.status, fetched.reason, fetched.head
    );
    let cert_days = fetched.cert_not_after.map(|not_after| {
        let left = not_after - chrono::Utc::now().timestamp();
        (left as f64 / 86_400.0 * 10.0).floor() / 10.0
    });
    if let Some(days) = cert_days {
        seen.metrics.push(Metric::new("cert_days", Some(days), ""));
        seen.detail = format!("certificate: {days} days left\n{}", seen.detail);
    }
    seen.metrics.push(Metric::new(
        "time",
        Some(latency.as_secs_f64() * 1000.0),
        "ms",
    ));
    seen.latency = Some(latency);
    seen.facts = Seen {
        status: Some(fetched.status),
        time: Some(latency),
        json: serde_json::from_slice(&fetched.body).ok(),
        body: Some(body_text),
        cert_days,
        ..Seen::default()
    };
    seen
}

/// "200 in 43ms", "503 Service Unavailable in 2ms". Without a condition on `status`,
/// what a browser would call success is success.
fn judge_status(code: u16, latency: Duration, status_by_expect: bool) -> Observation {
    let reason = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .filter(|_| !(200..300).contains(&code));
    let summary = match reason {
        Some(reason) => format!("{code} {reason} in {}", format_duration(latency)),
        None => format!("{code} in {}", format_duration(latency)),
    };
    let status = if code < 400 || status_by_expect {
        CheckStatus::Ok
    } else {
        CheckStatus::Critical
    };
    Observation {
        status,
        summary,
        ..Observation::default()
    }
}

/// Whether `expect` decides what status is right (then the status class does not).
pub fn expects_status(conditions: &[super::condition::Condition]) -> bool {
    conditions
        .iter()
        .any(|c| c.subjects().contains(&Subject::Status))
}

struct Fetched {
    status: u16,
    reason: String,
    head: String,
    body: Vec<u8>,
    over_cap: bool,
    location: Option<String>,
    cert_not_after: Option<i64>,
}

async fn fetch(
    client: &reqwest::Client,
    spec: &HttpSpec,
    timeout: Duration,
) -> reqwest::Result<Fetched> {
    let method =
        reqwest::Method::from_bytes(spec.method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut request = client.request(method, &spec.url).timeout(timeout);
    for (name, value) in &spec.headers {
        request = request.header(name, value);
    }
    if let Some(body) = &spec.body {
        request = request.body(body.clone());
    }
    let mut response = request.send().await?;
    let status = response.status();
    let cert_not_after = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .and_then(not_after);
    let head: String = response
        .headers()
        .iter()
        .map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or("…")))
        .collect();
    let location = status
        .is_redirection()
        .then(|| response.headers().get(reqwest::header::LOCATION))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // The time to the last byte counts towards latency, as curl's time_total does.
    let mut body = Vec::new();
    let mut over_cap = false;
    while let Some(chunk) = response.chunk().await? {
        let room = BODY_CAP.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            over_cap = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_string(),
        head,
        body,
        over_cap,
        location,
        cert_not_after,
    })
}

/// The leaf certificate's notAfter, as Unix seconds.
fn not_after(der: &[u8]) -> Option<i64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.validity().not_after.timestamp())
}

/// A one-line reason a request failed, in the words an operator would use.
pub fn describe(err: &reqwest::Error) -> String {
    let chain = error_chain(err);
    let lower = chain.to_ascii_lowercase();
    if lower.contains("certificate expired") || chain.contains("Expired") {
        return "TLS error: the certificate has expired".into();
    }
    if lower.contains("not valid for name") || chain.contains("NotValidForName") {
        return "TLS error: the certificate is for another name".into();
    }
    // A trusted CA with the issuer's name that did not sign the certificate is no CA we
    // know either: Debian's ssl-cert puts a snakeoil cert named `localhost` in
    // /etc/ssl/certs, and a self-signed `localhost` certificate then fails its signature
    // check against that one instead of finding no issuer.
    let not_signed_by_it = ["BadSignature", "UnsupportedSignatureAlgorithm"]
        .iter()
        .any(|e| chain.contains(e));
    if chain.contains("UnknownIssuer") || lower.contains("unknown issuer") || not_signed_by_it {
        return "TLS error: the certificate is signed by an unknown CA".into();
    }
    if lower.contains("invalid peer certificate") || lower.contains("tls handshake") {
        return format!("TLS error: {}", innermost(err));
    }
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        return format!("DNS failure: {}", innermost(err));
    }
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                std::io::ErrorKind::UnexpectedEof => return "connection closed early".into(),
                std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
                    return format!("network unreachable: {io}")
                }
                _ => {}
            }
        }
        source = cause.source();
    }
    if err.is_redirect() {
        return format!("too many redirects: {}", innermost(err));
    }
    if err.is_connect() {
        return format!("cannot connect: {}", innermost(err));
    }
    if err.is_builder() {
        return format!("bad URL: {}", innermost(err));
    }
    innermost(err)
}

fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &(dyn std::error::Error + 'static) = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// Every cause, including what an `io::Error` wraps (its `source` skips the wrapped one).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            out.push_str(&format!(" ({inner:?})"));
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_class_decides_without_conditions() {
        let ok = judge_status(200, Duration::from_millis(43), false);
        assert_eq!(
            (ok.status, ok.summary.as_str()),
            (CheckStatus::Ok, "200 in 43ms")
        );
        let bad = judge_status(503, Duration::from_millis(2), false);
        assert_eq!(bad.status, CheckStatus::Critical);
        assert_eq!(bad.summary, "503 Service Unavailable in 2ms");
        assert_eq!(
            judge_status(302, Duration::ZERO, false).status,
            CheckStatus::Ok
        );
        // With `expect = ["status == 503"]` the condition decides.
        assert_eq!(
            judge_status(503, Duration::ZERO, true).status,
            CheckStatus::Ok
        );
    }
}
