//! Phorge (and Phabricator) through Conduit: `POST {url}/api/METHOD`, form-encoded, the
//! token as the `api.token` field (secure.phabricator.com/book/phabricator/article/conduit).
//! Tasks are made and commented with `maniphest.edit` transactions, found with
//! `maniphest.search` (the `query` constraint over the task's text, open statuses only).
//! Conduit answers HTTP 200 even for errors: `error_code`/`error_info` say what went wrong.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::Value;

use super::http::{Api, Auth};
use super::{Bug, Fingerprint, IssueRef, IssueState, Token, Tracker, TrackerError};
use crate::config::TrackerSpec;

#[derive(Debug)]
pub struct Phorge {
    api: Api,
    site: String,
    /// A project tag (`#ops`) or PHID to put tasks in, if configured.
    project: Option<String>,
    source: String,
}

impl Phorge {
    pub fn new(spec: &TrackerSpec) -> Result<Phorge, TrackerError> {
        let token = Token::from_spec(spec)?.ok_or_else(|| {
            TrackerError::Setup(
                "phorge needs a Conduit token: set token_env or token_file in [tracker]".into(),
            )
        })?;
        let site = spec
            .url
            .clone()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        Ok(Phorge {
            api: Api::for_spec("phorge", &format!("{site}/api"), Auth::InBody(token), spec)?,
            site,
            project: spec.project.clone(),
            source: Token::source(spec),
        })
    }

    async fn call(
        &self,
        method: &str,
        mut form: Vec<(String, String)>,
    ) -> Result<Value, TrackerError> {
        if let Some(token) = self.api.auth().token() {
            form.push(("api.token".into(), token.expose().to_string()));
        }
        let answer = self
            .api
            .send(self.api.request(Method::POST, method).form(&form))
            .await?;
        match answer["error_code"].as_str() {
            None => Ok(answer["result"].clone()),
            Some(code) => {
                let message = format!("{code}: {}", answer["error_info"].as_str().unwrap_or(""));
                Err(
                    if code == "ERR-INVALID-AUTH" || code == "ERR-INVALID-SESSION" {
                        TrackerError::Auth {
                            tracker: "phorge".into(),
                            status: 401,
                            message,
                            hint: self.source.clone(),
                        }
                    } else {
                        TrackerError::Rejected {
                            tracker: "phorge".into(),
                            status: 400,
                            message,
                        }
                    },
                )
            }
        }
    }

    fn issue(&self, id: u64) -> IssueRef {
        IssueRef {
            id: format!("T{id}"),
            url: format!("{}/T{id}", self.site),
        }
    }
}

/// Form fields of a transaction list: `transactions[0][type]=title&…[value]=…`.
fn transactions(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut form = Vec::new();
    for (i, (kind, value)) in list.iter().enumerate() {
        form.push((format!("transactions[{i}][type]"), kind.to_string()));
        form.push((format!("transactions[{i}][value]"), value.to_string()));
    }
    form
}

#[async_trait]
impl Tracker for Phorge {
    fn name(&self) -> &'static str {
        "phorge"
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        let me = self.call("user.whoami", Vec::new()).await?;
        Ok(format!(
            "token works (user {}) on {}",
            me["userName"].as_str().unwrap_or("?"),
            self.site
        ))
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        let mut list = vec![
            ("title", bug.title.as_str()),
            ("description", bug.body.as_str()),
        ];
        if let Some(project) = &self.project {
            list.push(("projects.add", project.as_str()));
        }
        let mut form = transactions(&list);
        if let Some(project) = &self.project {
            // A list-valued transaction takes `value[0]`, not `value`.
            let i = list.len() - 1;
            form.retain(|(k, _)| k != &format!("transactions[{i}][value]"));
            form.push((format!("transactions[{i}][value][0]"), project.clone()));
        }
        let made = self.call("maniphest.edit", form).await?;
        let id = made["object"]["id"]
            .as_u64()
            .ok_or_else(|| TrackerError::Protocol {
                tracker: "phorge".into(),
                message: "maniphest.edit returned no object id".into(),
            })?;
        Ok(self.issue(id))
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let mut form = transactions(&[("comment", body)]);
        form.push(("objectIdentifier".into(), issue.id.clone()));
        self.call("maniphest.edit", form).await?;
        Ok(())
    }

    async fn find_open(&self, fingerprint: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        let form = vec![
            ("constraints[query]".to_string(), fingerprint.to_string()),
            ("constraints[statuses][0]".to_string(), "open".to_string()),
        ];
        let found = self.call("maniphest.search", form).await?;
        Ok(found["data"]
            .as_array()
            .and_then(|d| d.iter().filter_map(|t| t["id"].as_u64()).max())
            .map(|id| self.issue(id)))
    }

    async fn state(&self, issue: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        let id = issue.id.trim_start_matches('T').to_string();
        let form = vec![("constraints[ids][0]".to_string(), id)];
        let found = self.call("maniphest.search", form).await?;
        // Open statuses are "open" and, by Phorge's defaults, "stalled"; the rest close.
        Ok(found["data"][0]["fields"]["status"]["value"]
            .as_str()
            .map(|s| {
                if s == "open" || s == "stalled" {
                    IssueState::Open
                } else {
                    IssueState::Closed
                }
            }))
    }
}
