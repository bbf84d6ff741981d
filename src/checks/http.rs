//! The HTTP check: GET a URL within a timeout, judge status and latency against `expect`.
//!
//! This is the simplest real check worker; the full condition language (`json.status`,
//! headers, body matches) arrives with the checks engine and will replace [`Condition`].

use std::error::Error as _;
use std::fmt;
use std::time::{Duration, Instant};

use crate::event::Events;
use chrono::Utc;
use tokio::time::MissedTickBehavior;

use super::{CheckResult, CheckStatus};
use crate::config::duration::{format_duration, parse_duration};
use crate::event::Event;

/// How much of a response body the detail view keeps.
const BODY_KEEP: usize = 4 * 1024;

/// One HTTP check bound to one target, with the target's vars already in the URL.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpCheck {
    /// The `[[check]]` name.
    pub name: String,
    /// The env (or host) it runs for; shown in the Health pane.
    pub target: String,
    pub url: String,
    pub expect: Vec<String>,
    pub every: Duration,
    pub timeout: Duration,
}

/// One `expect` condition this worker understands.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    StatusEq(u16),
    StatusNe(u16),
    TimeLt(Duration),
    /// Kept verbatim so the summary can name it.
    Unsupported(String),
}

impl Condition {
    /// Parses `status == 200`, `status != 503`, `time < 500ms`; anything else is kept as
    /// [`Condition::Unsupported`] rather than rejected, so one new condition does not stop
    /// the check from running.
    pub fn parse(text: &str) -> Condition {
        let words: Vec<&str> = text.split_whitespace().collect();
        let parsed = match words.as_slice() {
            ["status", "==", n] => n.parse().ok().map(Condition::StatusEq),
            ["status", "!=", n] => n.parse().ok().map(Condition::StatusNe),
            ["time", "<", d] => parse_duration(d).ok().map(Condition::TimeLt),
            _ => None,
        };
        parsed.unwrap_or_else(|| Condition::Unsupported(text.trim().to_string()))
    }

    /// Whether a response with this status and latency meets the condition; None when the
    /// condition cannot be judged here.
    fn holds(&self, status: u16, latency: Duration) -> Option<bool> {
        match self {
            Condition::StatusEq(n) => Some(status == *n),
            Condition::StatusNe(n) => Some(status != *n),
            Condition::TimeLt(limit) => Some(latency < *limit),
            Condition::Unsupported(_) => None,
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::StatusEq(n) => write!(f, "status == {n}"),
            Condition::StatusNe(n) => write!(f, "status != {n}"),
            Condition::TimeLt(d) => write!(f, "time < {}", format_duration(*d)),
            Condition::Unsupported(text) => f.write_str(text),
        }
    }
}

/// A client for HTTP checks. Redirects are followed as a browser would; proxies come from
/// the environment (`HTTPS_PROXY`, `NO_PROXY`) as they do for curl.
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("sheriff/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Runs `check` every `check.every` until the receiver is gone. The first run starts at once.
pub async fn run(check: HttpCheck, client: reqwest::Client, tx: Events) {
    let mut ticks = tokio::time::interval(check.every.max(Duration::from_millis(100)));
    // A slow run must not be followed by a burst of catch-up runs.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let result = check_once(&client, &check).await;
        if tx.send_data(Event::Check(result)).await.is_err() {
            return;
        }
    }
}

/// One GET, judged against the check's conditions. Never takes longer than the timeout.
pub async fn check_once(client: &reqwest::Client, check: &HttpCheck) -> CheckResult {
    let started = Instant::now();
    // The outer timeout is the guarantee; reqwest's own covers the same span but we do not
    // want a hung DNS lookup or TLS handshake to depend on its internals.
    let fetched =
        tokio::time::timeout(check.timeout, fetch(client, &check.url, check.timeout)).await;
    let latency = started.elapsed();
    let timed_out = || format!("timed out after {}", format_duration(check.timeout));
    let (status, summary, detail, latency) = match fetched {
        Err(_) => (
            CheckStatus::Critical,
            timed_out(),
            format!("GET {}\n", check.url),
            None,
        ),
        Ok(Err(err)) if err.is_timeout() => (
            CheckStatus::Critical,
            timed_out(),
            format!("GET {}\n{err:#}\n", check.url),
            None,
        ),
        Ok(Err(err)) => (
            CheckStatus::Critical,
            describe_error(&err),
            format!("GET {}\n{}\n", check.url, error_chain(&err)),
            None,
        ),
        Ok(Ok(response)) => {
            let (status, summary) = judge(check, response.status, latency);
            (status, summary, response.detail(&check.url), Some(latency))
        }
    };
    CheckResult {
        check: check.name.clone(),
        target: check.target.clone(),
        status,
        // A body or error message may carry tabs, colours and other control characters;
        // the URL, headers (`Set-Cookie`, `Authorization`) and body are shown and kept, so
        // they are made printable, then masked (in that order, so an escape code inside a
        // secret cannot hide it from the redactor).
        summary: crate::redact::mask(&crate::text::into_printable(summary)).into_owned(),
        detail: crate::redact::mask(&crate::text::into_printable(detail)).into_owned(),
        latency,
        at: Utc::now(),
    }
}

struct Fetched {
    status: u16,
    reason: String,
    head: String,
    body: String,
}

impl Fetched {
    fn detail(&self, url: &str) -> String {
        format!(
            "GET {url}\n{} {}\n{}\n{}",
            self.status, self.reason, self.head, self.body
        )
    }
}

async fn fetch(client: &reqwest::Client, url: &str, timeout: Duration) -> reqwest::Result<Fetched> {
    let mut response = client.get(url).timeout(timeout).send().await?;
    let status = response.status();
    let head: String = response
        .headers()
        .iter()
        .map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or("…")))
        .collect();
    // Read the body in chunks so a huge response costs no more than what we keep; the time
    // to the last byte counts towards latency, as curl's time_total does.
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = BODY_KEEP.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(Fetched {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_string(),
        head,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The status and one-line summary for a response: "200 in 43ms", or the first failed
/// condition, "503 Service Unavailable in 2ms (expected status == 200)".
fn judge(check: &HttpCheck, code: u16, latency: Duration) -> (CheckStatus, String) {
    let conditions: Vec<Condition> = check.expect.iter().map(|c| Condition::parse(c)).collect();
    let reason = reqwest::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .filter(|_| !(200..300).contains(&code));
    let seen = match reason {
        Some(reason) => format!("{code} {reason} in {}", format_duration(latency)),
        None => format!("{code} in {}", format_duration(latency)),
    };
    // Without conditions, what a browser would call success is success.
    if conditions.is_empty() {
        let status = if code < 400 {
            CheckStatus::Ok
        } else {
            CheckStatus::Critical
        };
        return (status, seen);
    }
    let failed: Vec<&Condition> = conditions
        .iter()
        .filter(|c| c.holds(code, latency) == Some(false))
        .collect();
    if !failed.is_empty() {
        let names: Vec<String> = failed.iter().map(|c| c.to_string()).collect();
        return (
            CheckStatus::Critical,
            format!("{seen} (expected {})", names.join(", ")),
        );
    }
    if let Some(unsupported) = conditions
        .iter()
        .find(|c| matches!(c, Condition::Unsupported(_)))
    {
        let summary = format!("{seen}; condition `{unsupported}` is not supported yet");
        return (CheckStatus::Unknown, summary);
    }
    (CheckStatus::Ok, seen)
}

/// A one-line reason a request failed, in the words an operator would use.
fn describe_error(err: &reqwest::Error) -> String {
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".into(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".into(),
                std::io::ErrorKind::UnexpectedEof => return "connection closed early".into(),
                _ => return io.to_string(),
            }
        }
        source = cause.source();
    }
    if err.is_connect() {
        // DNS failures and TLS errors land here; the innermost cause says which.
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

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(expect: &[&str]) -> HttpCheck {
        HttpCheck {
            name: "api".into(),
            target: "production".into(),
            url: "http://127.0.0.1:1/".into(),
            expect: expect.iter().map(|s| s.to_string()).collect(),
            every: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn parses_the_conditions_it_knows() {
        assert_eq!(Condition::parse("status == 200"), Condition::StatusEq(200));
        assert_eq!(
            Condition::parse(" status  !=  503 "),
            Condition::StatusNe(503)
        );
        assert_eq!(
            Condition::parse("time < 500ms"),
            Condition::TimeLt(Duration::from_millis(500))
        );
        assert_eq!(
            Condition::parse("time < 2s"),
            Condition::TimeLt(Duration::from_secs(2))
        );
        assert_eq!(
            Condition::parse("json.status == \"ok\""),
            Condition::Unsupported("json.status == \"ok\"".into())
        );
        assert!(matches!(
            Condition::parse("status == abc"),
            Condition::Unsupported(_)
        ));
    }

    #[test]
    fn judges_status_and_time() {
        let s = spec(&["status == 200", "time < 300ms"]);
        let fast = Duration::from_millis(43);
        assert_eq!(
            judge(&s, 200, fast),
            (CheckStatus::Ok, "200 in 43ms".into())
        );
        let (status, summary) = judge(&s, 503, fast);
        assert_eq!(status, CheckStatus::Critical);
        assert_eq!(
            summary,
            "503 Service Unavailable in 43ms (expected status == 200)"
        );
        let (status, summary) = judge(&s, 200, Duration::from_millis(450));
        assert_eq!(status, CheckStatus::Critical);
        assert!(summary.contains("time < 300ms"), "{summary}");
    }

    #[test]
    fn unsupported_condition_is_unknown_not_ok() {
        let s = spec(&["status == 200", "json.status == \"ok\""]);
        let (status, summary) = judge(&s, 200, Duration::from_millis(5));
        assert_eq!(status, CheckStatus::Unknown);
        assert!(summary.contains("not supported yet"), "{summary}");
        // A failed condition outranks one we cannot judge.
        assert_eq!(
            judge(&s, 500, Duration::from_millis(5)).0,
            CheckStatus::Critical
        );
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(format_duration(Duration::from_millis(43)), "43ms");
        assert_eq!(format_duration(Duration::from_secs(5)), "5s");
        assert_eq!(format_duration(Duration::from_millis(1200)), "1.2s");
    }
}
