//! GitHub and GitHub Enterprise Server issues over the REST API (version 2022-11-28).
//! A repository's open issues are listed newest first and their bodies searched for the
//! fingerprint: the list reads the database, while `/search/issues` reads an index that
//! lags behind a bug filed seconds ago.

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

use super::http::{Api, Auth};
use super::{Bug, Fingerprint, IssueRef, IssueState, Token, Tracker, TrackerError};
use crate::config::TrackerSpec;

/// How many of the newest open issues `find_open` reads: a recurrence is filed again
/// within days, when its bug is still near the top.
const RECENT: u32 = 50;

#[derive(Debug)]
pub struct GithubTracker {
    api: Api,
    owner: String,
    repo: String,
}

/// The API root for `url`: none or `github.com` is `api.github.com`; an Enterprise Server
/// site root (`https://ghe.example.org`) gets its `/api/v3`; a URL that already names
/// an API path is taken as it is.
pub fn api_base(url: Option<&str>) -> String {
    let Some(url) = url.map(|u| u.trim().trim_end_matches('/')) else {
        return "https://api.github.com".into();
    };
    let Ok(parsed) = reqwest::Url::parse(url) else {
        // `Api::new` reports the malformed URL with its reason.
        return url.to_string();
    };
    let host = parsed.host_str().unwrap_or("");
    if matches!(host, "github.com" | "www.github.com" | "api.github.com") {
        return "https://api.github.com".into();
    }
    if parsed.path() == "/" || parsed.path().is_empty() {
        format!("{url}/api/v3")
    } else {
        url.to_string()
    }
}

/// `owner/name` split, each half in the characters GitHub and Gitea allow, so it can be
/// put in a path as it is.
pub(crate) fn owner_repo(
    tracker: &str,
    repo: Option<&str>,
) -> Result<(String, String), TrackerError> {
    let repo = repo.unwrap_or("").trim();
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match repo.split_once('/') {
        Some((owner, name)) if safe(owner) && safe(name) => Ok((owner.into(), name.into())),
        _ => Err(TrackerError::Setup(format!(
            "{tracker}: repo = \"{repo}\" in [tracker] is not \"owner/name\""
        ))),
    }
}

/// The issue number an [`IssueRef`] of a numbered tracker holds.
pub(crate) fn issue_number(tracker: &str, issue: &IssueRef) -> Result<u64, TrackerError> {
    issue.id.parse().map_err(|_| TrackerError::Rejected {
        tracker: tracker.into(),
        status: 404,
        message: format!("\"{}\" is not an issue number", issue.id),
    })
}

/// A number and `html_url` out of an issue object.
pub(crate) fn issue_ref(tracker: &str, issue: &Value) -> Result<IssueRef, TrackerError> {
    let number = issue.get("number").and_then(Value::as_i64);
    let url = issue.get("html_url").and_then(Value::as_str);
    match (number, url) {
        (Some(n), Some(url)) => Ok(IssueRef {
            id: n.to_string(),
            url: url.to_string(),
        }),
        _ => Err(TrackerError::Protocol {
            tracker: tracker.into(),
            message: "an issue without a number or html_url".into(),
        }),
    }
}

/// The first open issue (not a pull request: both come from the issues list) whose body
/// holds the fingerprint.
pub(crate) fn pick_open(
    tracker: &str,
    list: &Value,
    fingerprint: &Fingerprint,
) -> Result<Option<IssueRef>, TrackerError> {
    let Some(items) = list.as_array() else {
        return Err(TrackerError::Protocol {
            tracker: tracker.into(),
            message: "the issue list is not a list".into(),
        });
    };
    for item in items {
        let is_pull = item.get("pull_request").is_some_and(|p| !p.is_null());
        let open = item.get("state").and_then(Value::as_str) == Some("open");
        let body = item.get("body").and_then(Value::as_str).unwrap_or("");
        if !is_pull && open && body.contains(fingerprint.as_str()) {
            return issue_ref(tracker, item).map(Some);
        }
    }
    Ok(None)
}

/// `open`/`closed` from an issue object.
pub(crate) fn state_of(tracker: &str, issue: &Value) -> Result<IssueState, TrackerError> {
    match issue.get("state").and_then(Value::as_str) {
        Some("open") => Ok(IssueState::Open),
        Some("closed") => Ok(IssueState::Closed),
        other => Err(TrackerError::Protocol {
            tracker: tracker.into(),
            message: format!("issue state {other:?}"),
        }),
    }
}

/// What `GET /repos/{owner}/{repo}` says about filing there, as `verify` reports it.
pub(crate) fn repo_summary(
    tracker: &str,
    name: &str,
    repo: &Value,
) -> Result<String, TrackerError> {
    if repo.get("has_issues").and_then(Value::as_bool) == Some(false) {
        return Err(TrackerError::Setup(format!(
            "{tracker}: {name} is reachable but its issues are turned off; enable them in \
             the repository's settings or point repo at another"
        )));
    }
    if repo.get("archived").and_then(Value::as_bool) == Some(true) {
        return Err(TrackerError::Setup(format!(
            "{tracker}: {name} is archived (read-only): no bug can be filed there"
        )));
    }
    Ok(format!("token works; {name} is reachable (issues enabled)"))
}

impl GithubTracker {
    /// `base` is the API root (see [`api_base`]).
    pub fn new(
        base: &str,
        repo: Option<&str>,
        auth: Auth,
        token_source: String,
    ) -> Result<Self, TrackerError> {
        let (owner, repo) = owner_repo("github", repo)?;
        Ok(GithubTracker {
            api: Api::new("github", base, auth, token_source)?,
            owner,
            repo,
        })
    }

    pub fn from_spec(spec: &TrackerSpec) -> Result<Self, TrackerError> {
        let token = Token::from_spec(spec)?.ok_or_else(|| {
            TrackerError::Setup(
                "github needs a token: set token_env = \"GITHUB_TOKEN\" (or token_file) in \
                 [tracker]"
                    .into(),
            )
        })?;
        let mut tracker = GithubTracker::new(
            &api_base(spec.url.as_deref()),
            spec.repo.as_deref(),
            Auth::Bearer(token),
            Token::source(spec),
        )?;
        tracker.api.retime(spec.timeout)?;
        Ok(tracker)
    }

    /// A request with the media type and API version GitHub documents for every call.
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let mut full = format!("repos/{}/{}", self.owner, self.repo);
        if !path.is_empty() {
            full = format!("{full}/{path}");
        }
        self.api
            .request(method, &full)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
    }

    fn name_of_repo(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }
}

#[async_trait]
impl Tracker for GithubTracker {
    fn name(&self) -> &'static str {
        "github"
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        let repo = self.api.send(self.request(Method::GET, "")).await?;
        repo_summary("github", &self.name_of_repo(), &repo)
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        let assignees: Vec<&str> = bug.assignee.as_deref().into_iter().collect();
        let body = json!({
            "title": bug.title,
            "body": bug.body,
            "labels": bug.labels,
            "assignees": assignees,
        });
        let issue = self
            .api
            .send(self.request(Method::POST, "issues").json(&body))
            .await?;
        issue_ref("github", &issue)
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let n = issue_number("github", issue)?;
        self.api
            .send(
                self.request(Method::POST, &format!("issues/{n}/comments"))
                    .json(&json!({ "body": body })),
            )
            .await
            .map(drop)
    }

    async fn find_open(&self, fingerprint: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        let per_page = RECENT.to_string();
        let list = self
            .api
            .send(self.request(Method::GET, "issues").query(&[
                ("state", "open"),
                ("sort", "created"),
                ("direction", "desc"),
                ("per_page", per_page.as_str()),
            ]))
            .await?;
        pick_open("github", &list, fingerprint)
    }

    async fn state(&self, issue: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        let n = issue_number("github", issue)?;
        let issue = self
            .api
            .send(self.request(Method::GET, &format!("issues/{n}")))
            .await?;
        state_of("github", &issue).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enterprise_site_roots_get_their_api_path() {
        assert_eq!(api_base(None), "https://api.github.com");
        assert_eq!(
            api_base(Some("https://github.com/")),
            "https://api.github.com"
        );
        assert_eq!(
            api_base(Some("https://ghe.example.org")),
            "https://ghe.example.org/api/v3"
        );
        assert_eq!(
            api_base(Some("https://ghe.example.org/api/v3/")),
            "https://ghe.example.org/api/v3"
        );
    }

    #[test]
    fn repos_must_be_owner_slash_name() {
        assert!(owner_repo("github", Some("acme/infra")).is_ok());
        for bad in ["acme", "acme/", "/infra", "acme/in fra", "a/b/c"] {
            let err = owner_repo("github", Some(bad)).unwrap_err().to_string();
            assert!(err.contains("owner/name"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_open_issue_with_the_fingerprint_is_found_and_pull_requests_are_not() {
        let fp = Fingerprint::of("check api", "staging", "critical");
        let body = format!("broke\n\nsheriff fingerprint: {fp}");
        let list = json!([
            {"number": 9, "html_url": "https://github.com/a/b/pull/9", "state": "open",
             "body": body, "pull_request": {"url": "x"}},
            {"number": 8, "html_url": "https://github.com/a/b/issues/8", "state": "open",
             "body": "another breakage"},
            {"number": 7, "html_url": "https://github.com/a/b/issues/7", "state": "open",
             "body": body, "pull_request": null},
        ]);
        let found = pick_open("github", &list, &fp).unwrap().unwrap();
        assert_eq!(found.id, "7");
        assert_eq!(found.url, "https://github.com/a/b/issues/7");
        let other = Fingerprint::of("check db", "staging", "critical");
        assert_eq!(pick_open("github", &list, &other).unwrap(), None);
    }

    #[test]
    fn repos_without_issues_fail_verification_in_words() {
        let off = json!({"has_issues": false});
        let err = repo_summary("github", "acme/infra", &off).unwrap_err();
        assert!(err.to_string().contains("issues are turned off"), "{err}");
        let on = json!({"has_issues": true, "archived": false});
        assert_eq!(
            repo_summary("github", "acme/infra", &on).unwrap(),
            "token works; acme/infra is reachable (issues enabled)"
        );
    }
}
