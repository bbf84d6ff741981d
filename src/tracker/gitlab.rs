//! GitLab (gitlab.com or self-hosted), REST v4 under `{url}/api/v4`, the token in
//! `PRIVATE-TOKEN`. `repo` is the project's path (`group/project`), sent URL-encoded as
//! the project id. The open-issue lookup uses the issues list's `search` in the
//! description: a database query, current the moment a create returns.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Value};

use super::http::{Api, Auth};
use super::{Bug, Fingerprint, IssueRef, IssueState, Token, Tracker, TrackerError};
use crate::config::TrackerSpec;

#[derive(Debug)]
pub struct GitLab {
    api: Api,
    /// `group%2Fproject`.
    project: String,
    path: String,
}

impl GitLab {
    pub fn new(spec: &TrackerSpec) -> Result<GitLab, TrackerError> {
        let token = Token::from_spec(spec)?.ok_or_else(|| {
            TrackerError::Setup(
                "gitlab needs a token: set token_env or token_file in [tracker]".into(),
            )
        })?;
        let site = spec
            .url
            .as_deref()
            .unwrap_or("https://gitlab.com")
            .trim_end_matches('/');
        let api = Api::for_spec(
            "gitlab",
            &format!("{site}/api/v4"),
            Auth::Header("PRIVATE-TOKEN", token),
            spec,
        )?;
        let path = spec.repo.clone().unwrap_or_default();
        Ok(GitLab {
            api,
            project: url::form_urlencoded::byte_serialize(path.as_bytes()).collect(),
            path,
        })
    }

    fn issue_ref(&self, issue: &Value) -> Result<IssueRef, TrackerError> {
        let iid = issue["iid"]
            .as_u64()
            .ok_or_else(|| self.protocol("an issue without iid"))?;
        Ok(IssueRef {
            id: iid.to_string(),
            url: issue["web_url"].as_str().unwrap_or_default().to_string(),
        })
    }

    fn protocol(&self, message: &str) -> TrackerError {
        TrackerError::Protocol {
            tracker: "gitlab".into(),
            message: message.into(),
        }
    }

    /// A username's id, for `assignee_ids`; `None` when GitLab knows no such user.
    async fn user_id(&self, username: &str) -> Result<Option<u64>, TrackerError> {
        let users = self
            .api
            .send(
                self.api
                    .request(Method::GET, "users")
                    .query(&[("username", username)]),
            )
            .await?;
        Ok(users.get(0).and_then(|u| u["id"].as_u64()))
    }
}

#[async_trait]
impl Tracker for GitLab {
    fn name(&self) -> &'static str {
        "gitlab"
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        let project = self
            .api
            .send(
                self.api
                    .request(Method::GET, &format!("projects/{}", self.project)),
            )
            .await?;
        let issues = if project["issues_enabled"].as_bool() == Some(false) {
            "issues are disabled there"
        } else {
            "issues enabled"
        };
        Ok(format!(
            "token works; project {} is reachable ({issues})",
            project["path_with_namespace"]
                .as_str()
                .unwrap_or(&self.path)
        ))
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        let mut body = json!({
            "title": bug.title,
            "description": bug.body,
            "labels": bug.labels.join(","),
        });
        if let Some(name) = &bug.assignee {
            if let Some(id) = self.user_id(name).await? {
                body["assignee_ids"] = json!([id]);
            }
        }
        let issue = self
            .api
            .send(
                self.api
                    .request(Method::POST, &format!("projects/{}/issues", self.project))
                    .json(&body),
            )
            .await?;
        self.issue_ref(&issue)
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let path = format!("projects/{}/issues/{}/notes", self.project, issue.id);
        self.api
            .send(
                self.api
                    .request(Method::POST, &path)
                    .json(&json!({ "body": body })),
            )
            .await?;
        Ok(())
    }

    async fn find_open(&self, fingerprint: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        let path = format!("projects/{}/issues", self.project);
        let found = self
            .api
            .send(self.api.request(Method::GET, &path).query(&[
                ("state", "opened"),
                ("search", fingerprint.as_str()),
                ("in", "description"),
            ]))
            .await?;
        let list = found.as_array().cloned().unwrap_or_default();
        // `search` matches words; keep only bodies that hold the exact token.
        match list.iter().find(|i| {
            i["description"]
                .as_str()
                .is_some_and(|d| d.contains(fingerprint.as_str()))
        }) {
            Some(issue) => self.issue_ref(issue).map(Some),
            None => Ok(None),
        }
    }

    async fn state(&self, issue: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        let path = format!("projects/{}/issues/{}", self.project, issue.id);
        let got = self.api.send(self.api.request(Method::GET, &path)).await?;
        Ok(match got["state"].as_str() {
            Some("closed") => Some(IssueState::Closed),
            Some(_) => Some(IssueState::Open),
            None => None,
        })
    }
}
