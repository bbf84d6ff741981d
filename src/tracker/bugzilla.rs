//! Bugzilla 5 through its REST API (`{url}/rest`, bugzilla.readthedocs.io "WebService
//! API"), the key in `X-BUGZILLA-API-KEY`. `project` is the product; `component` the
//! component (default "General"). Errors come as `{"error": true, "code": N, "message"}`,
//! with code 410 for a bad key even under HTTP 400; the open-bug lookup is a bug search
//! on the comments (`longdesc` contains the fingerprint), which reads the database.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Value};

use super::http::{Api, Auth};
use super::{Bug, Fingerprint, IssueRef, IssueState, Token, Tracker, TrackerError};
use crate::config::TrackerSpec;

/// Bugzilla's error codes for a missing or wrong API key (Bugzilla::WebService::Constants).
const AUTH_CODES: [i64; 3] = [306, 410, 411];

#[derive(Debug)]
pub struct Bugzilla {
    api: Api,
    site: String,
    product: String,
    component: String,
    source: String,
}

impl Bugzilla {
    pub fn new(spec: &TrackerSpec) -> Result<Bugzilla, TrackerError> {
        let token = Token::from_spec(spec)?.ok_or_else(|| {
            TrackerError::Setup(
                "bugzilla needs an API key: set token_env or token_file in [tracker]".into(),
            )
        })?;
        let site = spec
            .url
            .clone()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        Ok(Bugzilla {
            api: Api::for_spec(
                "bugzilla",
                &format!("{site}/rest"),
                Auth::Header("X-BUGZILLA-API-KEY", token),
                spec,
            )?,
            site,
            product: spec.project.clone().unwrap_or_default(),
            component: spec.component.clone().unwrap_or_else(|| "General".into()),
            source: Token::source(spec),
        })
    }

    /// Bugzilla answers some refusals under HTTP 400 or even 200 with `"error": true`.
    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Value, TrackerError> {
        let answer = match self.api.send(request).await {
            Err(TrackerError::Rejected {
                status, message, ..
            }) if message.contains("API key") => {
                return Err(TrackerError::Auth {
                    tracker: "bugzilla".into(),
                    status,
                    message,
                    hint: self.source.clone(),
                })
            }
            other => other?,
        };
        if answer["error"].as_bool() == Some(true) {
            let message = answer["message"].as_str().unwrap_or("error").to_string();
            let code = answer["code"].as_i64().unwrap_or(0);
            return Err(if AUTH_CODES.contains(&code) {
                TrackerError::Auth {
                    tracker: "bugzilla".into(),
                    status: 401,
                    message,
                    hint: self.source.clone(),
                }
            } else {
                TrackerError::Rejected {
                    tracker: "bugzilla".into(),
                    status: 400,
                    message,
                }
            });
        }
        Ok(answer)
    }

    fn issue(&self, id: u64) -> IssueRef {
        IssueRef {
            id: id.to_string(),
            url: format!("{}/show_bug.cgi?id={id}", self.site),
        }
    }
}

#[async_trait]
impl Tracker for Bugzilla {
    fn name(&self) -> &'static str {
        "bugzilla"
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        let who = self.call(self.api.request(Method::GET, "whoami")).await?;
        let products = self
            .call(
                self.api
                    .request(Method::GET, "product")
                    .query(&[("names", self.product.as_str())]),
            )
            .await?;
        if products["products"].as_array().is_none_or(|p| p.is_empty()) {
            return Err(TrackerError::Rejected {
                tracker: "bugzilla".into(),
                status: 404,
                message: format!(
                    "no product {:?} visible to this key (project in [tracker])",
                    self.product
                ),
            });
        }
        Ok(format!(
            "key works (logged in as {}); product {} is there",
            who["login"].as_str().unwrap_or("?"),
            self.product
        ))
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        let mut body = json!({
            "product": self.product,
            "component": self.component,
            "summary": bug.title,
            "version": "unspecified",
            "description": bug.body,
            "op_sys": "All",
            "platform": "All",
        });
        if !bug.labels.is_empty() {
            body["keywords"] = json!(bug.labels);
        }
        if let Some(a) = &bug.assignee {
            body["assigned_to"] = json!(a);
        }
        let made = self
            .call(self.api.request(Method::POST, "bug").json(&body))
            .await?;
        let id = made["id"].as_u64().ok_or_else(|| TrackerError::Protocol {
            tracker: "bugzilla".into(),
            message: "a created bug without an id".into(),
        })?;
        Ok(self.issue(id))
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let path = format!("bug/{}/comment", issue.id);
        self.call(
            self.api
                .request(Method::POST, &path)
                .json(&json!({ "comment": body })),
        )
        .await?;
        Ok(())
    }

    async fn find_open(&self, fingerprint: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        let found = self
            .call(self.api.request(Method::GET, "bug").query(&[
                ("product", self.product.as_str()),
                ("resolution", "---"),
                ("f1", "longdesc"),
                ("o1", "substring"),
                ("v1", fingerprint.as_str()),
                ("include_fields", "id"),
            ]))
            .await?;
        Ok(found["bugs"]
            .as_array()
            .and_then(|b| b.iter().filter_map(|b| b["id"].as_u64()).max())
            .map(|id| self.issue(id)))
    }

    async fn state(&self, issue: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        let path = format!("bug/{}", issue.id);
        let got = self
            .call(
                self.api
                    .request(Method::GET, &path)
                    .query(&[("include_fields", "id,is_open")]),
            )
            .await?;
        Ok(got["bugs"][0]["is_open"].as_bool().map(|open| {
            if open {
                IssueState::Open
            } else {
                IssueState::Closed
            }
        }))
    }
}
