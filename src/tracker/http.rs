//! What every HTTP tracker adapter shares: HTTPS (except to loopback), the token in the
//! header its tracker documents, a timeout on every call, and one reading of error
//! answers — 401/403 name the token's source, 400/404/422 carry the tracker's own message,
//! 429 (and GitHub's 403 with no requests left) wait as `Retry-After` or the reset header
//! says, 5xx are the tracker's trouble.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde_json::Value;

use super::{Token, TrackerError};

/// How long one call to a tracker may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// How an adapter presents its token.
#[derive(Debug)]
pub enum Auth {
    None,
    /// `Authorization: Bearer TOKEN` (GitHub, Jira Data Center, the webhook).
    Bearer(Token),
    /// `Authorization: token TOKEN` (Gitea).
    TokenScheme(Token),
    /// A header of its own: `PRIVATE-TOKEN` (GitLab), `X-Redmine-API-Key`,
    /// `X-BUGZILLA-API-KEY`.
    Header(&'static str, Token),
    /// `Authorization: Basic user:token` (Jira Cloud: the account's e-mail and an API token).
    Basic {
        user: String,
        token: Token,
    },
    /// Sent by the adapter in the body itself (Phorge's `api.token` form field).
    InBody(Token),
}

impl Auth {
    pub fn token(&self) -> Option<&Token> {
        match self {
            Auth::None => None,
            Auth::Bearer(t) | Auth::TokenScheme(t) | Auth::Header(_, t) | Auth::InBody(t) => {
                Some(t)
            }
            Auth::Basic { token, .. } => Some(token),
        }
    }
}

#[derive(Debug)]
pub struct Api {
    pub tracker: &'static str,
    client: reqwest::Client,
    base: Url,
    /// The URL exactly as configured: a webhook's endpoint, where a `/` would matter.
    endpoint: Url,
    auth: Auth,
    /// Where the token came from (`$GITHUB_TOKEN`), for the message when it is refused.
    token_source: String,
}

impl Api {
    /// [`Api::new`] with the token's source and the `timeout` from `[tracker]`.
    pub fn for_spec(
        tracker: &'static str,
        base: &str,
        auth: Auth,
        spec: &crate::config::TrackerSpec,
    ) -> Result<Api, TrackerError> {
        Api::with_timeout(
            tracker,
            base,
            auth,
            super::Token::source(spec),
            spec.timeout.unwrap_or(TIMEOUT),
        )
    }

    /// `base` is the tracker's API root; paths given to [`Api::request`] are joined to it.
    pub fn new(
        tracker: &'static str,
        base: &str,
        auth: Auth,
        token_source: String,
    ) -> Result<Api, TrackerError> {
        Api::with_timeout(tracker, base, auth, token_source, TIMEOUT)
    }

    fn with_timeout(
        tracker: &'static str,
        base: &str,
        auth: Auth,
        token_source: String,
        timeout: Duration,
    ) -> Result<Api, TrackerError> {
        let mut base = require_https(tracker, base)?;
        let endpoint = base.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let client = client(tracker, timeout)?;
        Ok(Api {
            tracker,
            client,
            base,
            endpoint,
            auth,
            token_source,
        })
    }

    /// `path` under the base; `""` is the configured URL itself.
    /// Uses `[tracker] timeout` instead of the default, when one is set.
    pub fn retime(&mut self, timeout: Option<Duration>) -> Result<(), TrackerError> {
        if let Some(timeout) = timeout {
            self.client = client(self.tracker, timeout)?;
        }
        Ok(())
    }

    /// `path` under the base; `""` is the configured URL itself.
    pub fn url(&self, path: &str) -> Url {
        if path.is_empty() {
            return self.endpoint.clone();
        }
        self.base
            .join(path.trim_start_matches('/'))
            .unwrap_or_else(|_| self.base.clone())
    }

    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// A request to `path` under the base, with the token on it.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.client.request(method, self.url(path));
        match &self.auth {
            Auth::None | Auth::InBody(_) => request,
            Auth::Bearer(t) => request.bearer_auth(t.expose()),
            Auth::TokenScheme(t) => {
                request.header("Authorization", format!("token {}", t.expose()))
            }
            Auth::Header(name, t) => request.header(*name, t.expose()),
            Auth::Basic { user, token } => request.basic_auth(user, Some(token.expose())),
        }
    }

    /// Sends and reads the JSON answer (`Value::Null` for an empty one), every failure as
    /// a [`TrackerError`].
    pub async fn send(&self, request: RequestBuilder) -> Result<Value, TrackerError> {
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_error(&e))?;
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text).map_err(|e| TrackerError::Protocol {
                tracker: self.tracker.into(),
                message: format!("not JSON ({e}): {}", excerpt(&text)),
            });
        }
        Err(self.status_error(status, &headers, &text))
    }

    fn transport_error(&self, e: &reqwest::Error) -> TrackerError {
        let host = self.base.host_str().unwrap_or(self.tracker).to_string();
        if e.is_timeout() {
            TrackerError::Timeout(host)
        } else {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                why = inner.to_string();
                source = inner.source();
            }
            TrackerError::Offline(format!("{host} ({why})"))
        }
    }

    /// What a non-2xx answer means.
    pub fn status_error(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &str,
    ) -> TrackerError {
        let tracker = self.tracker.to_string();
        let message = error_message(body);
        let code = status.as_u16();
        let exhausted = header(headers, "x-ratelimit-remaining").is_some_and(|v| v.trim() == "0");
        match code {
            429 => TrackerError::RateLimited {
                tracker,
                retry_after: rate_limit_wait(headers),
            },
            403 if exhausted || message.to_lowercase().contains("rate limit") => {
                TrackerError::RateLimited {
                    tracker,
                    retry_after: rate_limit_wait(headers),
                }
            }
            401 | 403 => TrackerError::Auth {
                tracker,
                status: code,
                message,
                hint: self.token_source.clone(),
            },
            400 | 404 | 409 | 410 | 413 | 422 => TrackerError::Rejected {
                tracker,
                status: code,
                message,
            },
            500..=599 => TrackerError::Server {
                tracker,
                status: code,
                message,
            },
            _ => TrackerError::Protocol {
                tracker,
                message: format!("{status}: {message}"),
            },
        }
    }
}

fn client(tracker: &str, timeout: Duration) -> Result<reqwest::Client, TrackerError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("sheriff/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| TrackerError::Setup(format!("{tracker}: {e}")))
}

/// The URL parsed; plain `http` only to loopback, where a test or a tunnel listens.
pub fn require_https(tracker: &str, url: &str) -> Result<Url, TrackerError> {
    let parsed = Url::parse(url)
        .map_err(|e| TrackerError::Setup(format!("{tracker}: url \"{url}\" is not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(TrackerError::Setup(format!(
            "{tracker}: url \"{url}\" is plain http: the token would cross the network in the \
             clear; use https:// (plain http is only for 127.0.0.1 and localhost)"
        ))),
        other => Err(TrackerError::Setup(format!(
            "{tracker}: url \"{url}\" has scheme \"{other}\"; use https://"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// How long a rate-limited tracker asks us to wait: `Retry-After` (seconds or an HTTP
/// date), else a reset header — `X-RateLimit-Reset` (GitHub, Gitea: epoch seconds),
/// `RateLimit-Reset` (GitLab: epoch seconds; the IETF draft: seconds from now).
pub fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    let now = chrono::Utc::now();
    if let Some(value) = header(headers, "retry-after") {
        if let Ok(secs) = value.trim().parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(value.trim()) {
            let wait = (at.with_timezone(&chrono::Utc) - now).num_seconds().max(0);
            return Some(Duration::from_secs(wait as u64));
        }
    }
    for name in ["x-ratelimit-reset", "ratelimit-reset"] {
        if let Some(n) = header(headers, name).and_then(|v| v.trim().parse::<i64>().ok()) {
            // Epoch seconds are past 2001; anything smaller is a delay.
            let wait = if n > 1_000_000_000 {
                n - now.timestamp()
            } else {
                n
            };
            return Some(Duration::from_secs(wait.max(0) as u64));
        }
    }
    None
}

/// The tracker's own words from an error body, whichever shape it uses: `message`
/// (GitHub, Gitea, GitLab, Bugzilla), `errors` as strings (Redmine) or objects (GitHub's
/// `{resource, field, code}`), Jira's `errorMessages` and `errors` map, Phorge's
/// `error_info`; else the start of the text.
pub fn error_message(body: &str) -> String {
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        return excerpt(body);
    };
    let mut parts: Vec<String> = Vec::new();
    for key in ["message", "error_info", "error", "error_description"] {
        match json.get(key) {
            Some(Value::String(s)) if !s.is_empty() => parts.push(s.clone()),
            Some(Value::Object(o)) => match o.get("message") {
                Some(Value::String(s)) => parts.push(s.clone()),
                // GitLab: {"message": {"title": ["can't be blank"]}}.
                _ => {
                    for (field, why) in o {
                        let why = match why {
                            Value::Array(list) => list
                                .iter()
                                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                                .collect::<Vec<_>>()
                                .join(", "),
                            other => other
                                .as_str()
                                .map_or_else(|| other.to_string(), str::to_string),
                        };
                        parts.push(format!("{field}: {why}"));
                    }
                }
            },
            _ => {}
        }
    }
    if let Some(Value::Array(list)) = json.get("errorMessages") {
        parts.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
    }
    match json.get("errors") {
        Some(Value::Array(list)) => {
            for e in list {
                match e {
                    Value::String(s) => parts.push(s.clone()),
                    Value::Object(o) => {
                        let text = ["message", "field", "code"]
                            .iter()
                            .filter_map(|k| o.get(*k).and_then(Value::as_str))
                            .collect::<Vec<_>>()
                            .join(" ");
                        if !text.is_empty() {
                            parts.push(text);
                        }
                    }
                    _ => {}
                }
            }
        }
        Some(Value::Object(map)) => {
            for (field, why) in map {
                let why = why.as_str().map_or_else(|| why.to_string(), str::to_string);
                parts.push(format!("{field}: {why}"));
            }
        }
        _ => {}
    }
    if parts.is_empty() {
        excerpt(body)
    } else {
        crate::redact::mask(&parts.join("; ")).into_owned()
    }
}

/// The first 200 characters, redacted, on one line.
fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = one_line.chars().take(200).collect();
    let cut = if cut.is_empty() {
        "(empty answer)".into()
    } else {
        cut
    };
    crate::redact::mask(&cut).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn plain_http_is_refused_except_to_loopback() {
        assert!(require_https("github", "http://127.0.0.1:4010").is_ok());
        assert!(require_https("github", "http://localhost:4010").is_ok());
        assert!(require_https("github", "https://api.github.com").is_ok());
        let err = require_https("github", "http://git.example.org").unwrap_err();
        assert!(err.to_string().contains("plain http"), "{err}");
    }

    #[test]
    fn waits_come_from_retry_after_or_the_reset_headers() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("30"));
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(30)));
        let mut h = HeaderMap::new();
        let reset = chrono::Utc::now().timestamp() + 120;
        h.insert("x-ratelimit-reset", HeaderValue::from(reset));
        let wait = rate_limit_wait(&h).unwrap().as_secs();
        assert!((118..=120).contains(&wait), "{wait}");
        let mut h = HeaderMap::new();
        h.insert("ratelimit-reset", HeaderValue::from_static("7"));
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(7)));
    }

    /// A loopback server that answers every request with `response` (status line,
    /// headers and body as one text): for the statuses no tracker's API description
    /// lets a contract mock send (429, GitHub's 401 and rate-limited 403).
    async fn answering(response: &'static str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                // The request is small and is not read further: one read takes it.
                let mut buf = [0u8; 8192];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        base
    }

    async fn status_of(response: &'static str) -> TrackerError {
        let base = answering(response).await;
        let api = Api::new("github", &base, Auth::None, "$GITHUB_TOKEN".into()).unwrap();
        api.send(api.request(Method::GET, "repos/acme/infra"))
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn refusals_and_rate_limits_read_from_real_answers() {
        let err = status_of(
            "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 29\r\nconnection: close\r\n\r\n{\"message\":\"Bad credentials\"}",
        )
        .await;
        assert_eq!(
            err.to_string(),
            "github refused the token (401): Bad credentials; check $GITHUB_TOKEN"
        );
        assert!(!err.retryable());

        let err = status_of(
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 30\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
        assert!(err.retryable());
        assert!(err.to_string().contains("rate limiting"), "{err}");

        // GitHub's primary limit: 403 with no requests left and the reset as epoch seconds.
        let err = status_of(
            "HTTP/1.1 403 Forbidden\r\nx-ratelimit-remaining: 0\r\nx-ratelimit-reset: 1\r\ncontent-length: 37\r\nconnection: close\r\n\r\n{\"message\":\"API rate limit exceeded\"}",
        )
        .await;
        assert!(matches!(err, TrackerError::RateLimited { .. }), "{err:?}");
    }

    #[test]
    fn error_bodies_of_each_shape_read_as_the_trackers_words() {
        // GitHub's validation failure (docs.github.com, "Client errors").
        let github = r#"{"message":"Validation Failed","errors":[{"resource":"Issue","field":"title","code":"missing_field"}]}"#;
        assert_eq!(
            error_message(github),
            "Validation Failed; title missing_field"
        );
        // Redmine: {"errors": [...]}.
        assert_eq!(
            error_message(r#"{"errors":["Subject cannot be blank"]}"#),
            "Subject cannot be blank"
        );
        // Jira: errorMessages and a field map.
        let jira = r#"{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue."}}"#;
        assert_eq!(
            error_message(jira),
            "summary: You must specify a summary of the issue."
        );
        assert_eq!(
            error_message("<html>Bad Gateway</html>"),
            "<html>Bad Gateway</html>"
        );
    }
}
