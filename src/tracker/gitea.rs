//! Gitea and Forgejo issues over API v1 (`{site}/api/v1`). Forgejo keeps Gitea's API for
//! issues, so one adapter serves both.
//!
//! Labels are not sent: Gitea's create call takes label *ids*, not names, and turning
//! names into ids needs the repository's label list, a call this adapter does not make
//! yet. A Gitea bug is filed without the draft's labels.

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder};
use serde_json::json;

use super::github::{issue_number, issue_ref, owner_repo, pick_open, repo_summary, state_of};
use super::http::{Api, Auth};
use super::{Bug, Fingerprint, IssueRef, IssueState, Token, Tracker, TrackerError};
use crate::config::TrackerSpec;

/// How many open issues `find_open` reads (Gitea's default page is 30, its cap 50).
const RECENT: u32 = 50;

#[derive(Debug)]
pub struct GiteaTracker {
    api: Api,
    owner: String,
    repo: String,
}

/// The API root under a site: `https://git.example.org` → `…/api/v1` (kept when given).
pub fn api_base(site: &str) -> String {
    let site = site.trim().trim_end_matches('/');
    if site.ends_with("/api/v1") {
        site.to_string()
    } else {
        format!("{site}/api/v1")
    }
}

impl GiteaTracker {
    /// `site` is the Gitea root a person browses (the adapter adds `/api/v1`).
    pub fn new(
        site: &str,
        repo: Option<&str>,
        auth: Auth,
        token_source: String,
    ) -> Result<Self, TrackerError> {
        let (owner, repo) = owner_repo("gitea", repo)?;
        Ok(GiteaTracker {
            api: Api::new("gitea", &api_base(site), auth, token_source)?,
            owner,
            repo,
        })
    }

    pub fn from_spec(spec: &TrackerSpec) -> Result<Self, TrackerError> {
        let site = spec.url.as_deref().ok_or_else(|| {
            TrackerError::Setup("gitea needs url = \"https://git.example.org\" in [tracker]".into())
        })?;
        let token = Token::from_spec(spec)?.ok_or_else(|| {
            TrackerError::Setup(
                "gitea needs a token: set token_env = \"GITEA_TOKEN\" (or token_file) in \
                 [tracker]"
                    .into(),
            )
        })?;
        let mut tracker = GiteaTracker::new(
            site,
            spec.repo.as_deref(),
            Auth::TokenScheme(token),
            Token::source(spec),
        )?;
        tracker.api.retime(spec.timeout)?;
        Ok(tracker)
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut full = format!("repos/{}/{}", self.owner, self.repo);
        if !path.is_empty() {
            full = format!("{full}/{path}");
        }
        self.api
            .request(method, &full)
            .header("Accept", "application/json")
    }
}

#[async_trait]
impl Tracker for GiteaTracker {
    fn name(&self) -> &'static str {
        "gitea"
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        let repo = self.api.send(self.request(Method::GET, "")).await?;
        repo_summary("gitea", &format!("{}/{}", self.owner, self.repo), &repo)
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        let mut body = json!({ "title": bug.title, "body": bug.body });
        if let Some(a) = &bug.assignee {
            body["assignees"] = json!([a]);
        }
        let issue = self
            .api
            .send(self.request(Method::POST, "issues").json(&body))
            .await?;
        issue_ref("gitea", &issue)
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let n = issue_number("gitea", issue)?;
        self.api
            .send(
                self.request(Method::POST, &format!("issues/{n}/comments"))
                    .json(&json!({ "body": body })),
            )
            .await
            .map(drop)
    }

    async fn find_open(&self, fingerprint: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        // The list takes no sort parameter; `type=issues` leaves pull requests out on
        // the server, and `pick_open` skips any that come all the same.
        let limit = RECENT.to_string();
        let list = self
            .api
            .send(self.request(Method::GET, "issues").query(&[
                ("state", "open"),
                ("type", "issues"),
                ("limit", limit.as_str()),
            ]))
            .await?;
        pick_open("gitea", &list, fingerprint)
    }

    async fn state(&self, issue: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        let n = issue_number("gitea", issue)?;
        let issue = self
            .api
            .send(self.request(Method::GET, &format!("issues/{n}")))
            .await?;
        state_of("gitea", &issue).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_lives_under_the_site() {
        assert_eq!(
            api_base("https://git.example.org/"),
            "https://git.example.org/api/v1"
        );
        assert_eq!(
            api_base("https://example.org/git/api/v1"),
            "https://example.org/git/api/v1"
        );
    }
}
