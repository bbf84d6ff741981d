//! Posting the shift report to a webhook, for teams whose handoff happens in chat.

use std::time::Duration;

use anyhow::{anyhow, Context as _};

use crate::config::duration::format_duration;

/// How long a webhook may take before the post counts as failed.
const POST_TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs `{"text": markdown, "report": json}` to `url`, with `Authorization: Bearer` when a
/// token is given. Blocks (on its own small runtime) for at most ten seconds.
pub fn post_report(
    url: &str,
    token: Option<&str>,
    markdown: &str,
    json: &str,
) -> anyhow::Result<()> {
    let report: serde_json::Value = serde_json::from_str(json).context("encoding the report")?;
    let body = serde_json::json!({ "text": markdown, "report": report });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(POST_TIMEOUT).build()?;
        let mut request = client.post(url).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| {
            let what = if e.is_timeout() {
                format!("no answer in {}", format_duration(POST_TIMEOUT))
            } else {
                e.without_url().to_string()
            };
            anyhow!("{}: {what}", url_without_secrets(url))
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        let text = crate::redact::redact(text.trim()).text;
        Err(anyhow!(
            "{} answered {status}: {}",
            url_without_secrets(url),
            text.chars().take(200).collect::<String>()
        ))
    })
}

/// The URL as it may be printed: only its origin. Webhook secrets live in the path
/// (Slack's `/services/T…/B…/secret`), the query or `user:password@`.
pub fn url_without_secrets(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(parsed) => format!("{}/…", parsed.origin().ascii_serialization()),
        Err(_) => "(the --post URL)".to_string(),
    }
}
