//! The generic JSON webhook: for a tracker sheriff has no adapter for, or a chat channel.
//! A new bug is `POST url` with `{"event":"bug","title","body","labels","assignee",
//! "fingerprint"}`; a comment is `{"event":"comment","issue","body","fingerprint"}`.
//! The receiver may answer `{"id": "...", "url": "..."}` for the issue it made; else the
//! bug is known by its fingerprint. A webhook cannot be searched: dedupe is sheriff's
//! own record of what it sent. `Authorization: Bearer` when a token is configured.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::json;

use super::http::{Api, Auth};
use super::{Bug, Fingerprint, IssueRef, IssueState, Token, Tracker, TrackerError};
use crate::config::TrackerSpec;

#[derive(Debug)]
pub struct Webhook {
    api: Api,
    url: String,
}

impl Webhook {
    pub fn new(spec: &TrackerSpec) -> Result<Webhook, TrackerError> {
        let url = spec.url.clone().unwrap_or_default();
        let auth = match Token::from_spec(spec)? {
            Some(token) => Auth::Bearer(token),
            None => Auth::None,
        };
        Ok(Webhook {
            api: Api::for_spec("webhook", &url, auth, spec)?,
            url,
        })
    }

    async fn post(&self, body: serde_json::Value) -> Result<serde_json::Value, TrackerError> {
        // The URL itself is the endpoint: "" joins to it unchanged.
        let request = self.api.request(Method::POST, "").json(&body);
        self.api.send(request).await
    }
}

#[async_trait]
impl Tracker for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        // A webhook has no read-only call; a ping event is the least a receiver must take.
        self.post(json!({"event": "ping"})).await?;
        Ok(format!(
            "{} took a ping event",
            crate::handoff::url_without_secrets(&self.url)
        ))
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        let answer = self
            .post(json!({
                "event": "bug",
                "title": bug.title,
                "body": bug.body,
                "labels": bug.labels,
                "assignee": bug.assignee,
                "fingerprint": bug.fingerprint,
            }))
            .await?;
        let id = match &answer["id"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => bug.fingerprint.to_string(),
        };
        let url = answer["url"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| crate::handoff::url_without_secrets(&self.url));
        Ok(IssueRef { id, url })
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let fingerprint = Fingerprint::find_in(body);
        self.post(json!({
            "event": "comment",
            "issue": issue.id,
            "body": body,
            "fingerprint": fingerprint,
        }))
        .await?;
        Ok(())
    }

    async fn find_open(&self, _: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        Ok(None)
    }

    async fn state(&self, _: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        Ok(None)
    }
}
