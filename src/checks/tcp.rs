//! `tcp = "host:port"`: can we connect, how fast, and (with `send`/`banner`) does the
//! service answer as it should: an SMTP greeting, a Redis `+PONG`, an SSH banner.

use std::time::{Duration, Instant};

use regex::Regex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::observation::{Observation, Seen};
use super::{CheckStatus, Metric};
use crate::config::duration::format_duration;

/// How much of a reply is read while looking for the banner.
const REPLY_CAP: usize = 16 * 1024;
/// Without a banner to wait for, how long a reply to `send` is awaited for `expect`.
const REPLY_WAIT: Duration = Duration::from_millis(500);

pub async fn observe(
    address: &str,
    send: Option<&str>,
    banner: Option<&str>,
    timeout: Duration,
) -> Observation {
    let mut detail = format!("connect {address}\n");
    if let Some(send) = send {
        detail.push_str(&format!("send {send:?}\n"));
    }
    let banner = match banner.map(Regex::new).transpose() {
        Ok(b) => b,
        Err(err) => {
            return Observation::failed(
                CheckStatus::Unknown,
                format!("bad banner regex: {err}"),
                detail,
            )
        }
    };
    let started = Instant::now();
    let deadline = started + timeout;
    let connected = tokio::time::timeout(timeout, TcpStream::connect(address)).await;
    let mut stream = match connected {
        Err(_) => {
            let why = format!("timed out connecting after {}", format_duration(timeout));
            return Observation::failed(CheckStatus::Critical, why, detail);
        }
        Ok(Err(err)) => {
            return Observation::failed(CheckStatus::Critical, connect_error(&err), detail)
        }
        Ok(Ok(stream)) => stream,
    };
    let connect_time = started.elapsed();
    let _ = stream.set_nodelay(true);
    if let Some(send) = send {
        let text = unescape(send);
        if let Err(err) = stream.write_all(text.as_bytes()).await {
            let why = format!("connected, but sending failed: {err}");
            return Observation::failed(CheckStatus::Critical, why, detail);
        }
    }
    let mut reply = Vec::new();
    let mut matched = banner.is_none();
    if banner.is_some() || send.is_some() {
        let wait_until = match &banner {
            Some(_) => deadline,
            None => (Instant::now() + REPLY_WAIT).min(deadline),
        };
        let mut buf = [0u8; 4096];
        while reply.len() < REPLY_CAP {
            let left = wait_until.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, stream.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                Ok(Ok(n)) => reply.extend_from_slice(&buf[..n]),
            }
            if let Some(re) = &banner {
                if re.is_match(&String::from_utf8_lossy(&reply)) {
                    matched = true;
                    break;
                }
            }
        }
    }
    let reply_text = String::from_utf8_lossy(&reply).into_owned();
    detail.push_str(&format!(
        "connected in {}\n{reply_text}",
        format_duration(connect_time)
    ));
    let first_line = reply_text.lines().next().unwrap_or("").trim().to_string();
    let (status, summary) = match (&banner, matched) {
        (Some(re), false) if reply.is_empty() => (
            CheckStatus::Critical,
            format!(
                "connected in {}, but no reply (expected /{re}/)",
                format_duration(connect_time)
            ),
        ),
        (Some(re), false) => (
            CheckStatus::Critical,
            format!("reply {first_line:?} does not match /{re}/"),
        ),
        (Some(_), true) => (
            CheckStatus::Ok,
            format!("{first_line} (in {})", format_duration(connect_time)),
        ),
        (None, _) => (
            CheckStatus::Ok,
            format!("connected in {}", format_duration(connect_time)),
        ),
    };
    Observation {
        status,
        summary,
        detail,
        latency: Some(connect_time),
        metrics: vec![Metric::new(
            "time",
            Some(connect_time.as_secs_f64() * 1000.0),
            "ms",
        )],
        facts: Seen {
            time: Some(connect_time),
            banner: Some(reply_text),
            ..Seen::default()
        },
        ..Observation::default()
    }
}

fn connect_error(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
            format!("network unreachable: {err}")
        }
        _ if err.to_string().contains("lookup") || err.to_string().contains("resolve") => {
            format!("DNS failure: {err}")
        }
        _ => format!("cannot connect: {err}"),
    }
}

/// `\r`, `\n`, `\t` and `\\` in `send`, so `send = "PING\r\n"` works from TOML literal
/// strings as well as basic ones.
fn unescape(text: &str) -> String {
    text.replace("\\r", "\r")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn a_banner_that_matches_is_ok_and_one_that_does_not_is_critical() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let _ = s.write_all(b"220 mail.example.org ESMTP\r\n").await;
                let mut buf = [0u8; 64];
                let _ = s.read(&mut buf).await;
            }
        });
        let t = Duration::from_secs(2);
        let ok = observe(&addr, None, Some(r"^220 "), t).await;
        assert_eq!(ok.status, CheckStatus::Ok, "{}", ok.summary);
        assert!(ok.summary.starts_with("220 mail.example.org ESMTP"));
        let bad = observe(&addr, None, Some(r"^\+PONG"), t).await;
        assert_eq!(bad.status, CheckStatus::Critical);
        assert!(bad.summary.contains("does not match"), "{}", bad.summary);
    }

    #[tokio::test]
    async fn a_closed_port_is_refused() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let seen = observe(&addr, None, None, Duration::from_secs(2)).await;
        assert_eq!(seen.summary, "connection refused");
    }
}
