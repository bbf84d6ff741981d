//! The `redmine` tracker: Redmine's REST API (checked against Redmine 5.0), the API key in
//! `X-Redmine-API-Key`. `url` is the site root, `project` the project's identifier (the
//! name in `/projects/IDENTIFIER`).
//!
//! Redmine has no labels. They go at the end of the description as a `Labels:` line:
//! trackers and categories would need a project admin to create them first, and a line in
//! the description needs nothing and is found by the same filter as the fingerprint.
//! An assignee is a user's number or login (a login is looked up in `/users.json`, which
//! only an admin's key may read).
//!
//! Open bugs are found with the issue list's "description contains" filter, a query on
//! Redmine's database, so an issue filed a moment ago is found at once.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Value};

use super::http::{Api, Auth};
use super::{Bug, Fingerprint, IssueRef, IssueState, Token, Tracker, TrackerError};
use crate::config::TrackerSpec;

const NAME: &str = "redmine";

#[derive(Debug)]
pub struct RedmineTracker {
    api: Api,
    /// The site root without a trailing slash, for issue links.
    site: String,
    project: String,
}

impl RedmineTracker {
    pub fn new(spec: &TrackerSpec) -> Result<RedmineTracker, TrackerError> {
        let url = spec.url.as_deref().ok_or_else(|| {
            TrackerError::Setup(
                "redmine: set url in [tracker] to the site root, e.g. \"https://redmine.example.org\""
                    .into(),
            )
        })?;
        let project = spec
            .project
            .clone()
            .filter(|p| !p.trim().is_empty())
            .ok_or_else(|| {
                TrackerError::Setup(
                    "redmine: set project in [tracker] to the project's identifier \
                     (the name in its address, /projects/IDENTIFIER)"
                        .into(),
                )
            })?;
        let token = Token::from_spec(spec)?.ok_or_else(|| {
            TrackerError::Setup(
                "redmine needs an API key: set token_env (or token_file) in [tracker]; the key \
                 is under \"My account\" → \"API access key\" in Redmine"
                    .into(),
            )
        })?;
        let api = Api::for_spec(NAME, url, Auth::Header("X-Redmine-API-Key", token), spec)?;
        let site = api.url("").as_str().trim_end_matches('/').to_string();
        Ok(RedmineTracker { api, site, project })
    }

    fn issue_ref(&self, id: u64) -> IssueRef {
        IssueRef {
            id: id.to_string(),
            url: format!("{}/issues/{id}", self.site),
        }
    }

    /// `issues/123.json`; anything but a number is refused before it reaches a URL path.
    fn issue_path(issue: &IssueRef) -> Result<String, TrackerError> {
        let id = issue.id.trim_start_matches('#');
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TrackerError::Rejected {
                tracker: NAME.into(),
                status: 404,
                message: format!("\"{}\" is not a Redmine issue number", issue.id),
            });
        }
        Ok(format!("issues/{id}.json"))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, TrackerError> {
        self.api.send(request).await.map_err(explain)
    }

    fn protocol(&self, what: &str) -> TrackerError {
        TrackerError::Protocol {
            tracker: NAME.into(),
            message: what.into(),
        }
    }

    /// Redmine's user number for `who`: the number itself, or the user with that login.
    async fn user_id(&self, who: &str) -> Result<u64, TrackerError> {
        if let Ok(id) = who.parse::<u64>() {
            return Ok(id);
        }
        let request = self
            .api
            .request(Method::GET, "users.json")
            .query(&[("name", who), ("limit", "100")]);
        let answer = match self.send(request).await {
            Ok(answer) => answer,
            Err(TrackerError::Auth { status: 403, .. }) => {
                return Err(TrackerError::Setup(format!(
                    "redmine: assignee \"{who}\" is a login, and only an admin's key may look \
                     logins up; give the user's number instead (assignee = \"12\", from the \
                     address of their page, /users/12)"
                )))
            }
            Err(e) => return Err(e),
        };
        // `name` also matches first names, last names and e-mail; only the login counts.
        answer["users"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|u| u["login"].as_str() == Some(who))
            .and_then(|u| u["id"].as_u64())
            .ok_or_else(|| TrackerError::Rejected {
                tracker: NAME.into(),
                status: 422,
                message: format!("no active user with the login \"{who}\" (the assignee)"),
            })
    }

    /// Whether the status with this number counts as closed, from the status list: for a
    /// Redmine that does not say `is_closed` in the issue itself.
    async fn status_is_closed(&self, status_id: u64) -> Result<bool, TrackerError> {
        let answer = self
            .send(self.api.request(Method::GET, "issue_statuses.json"))
            .await?;
        answer["issue_statuses"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["id"].as_u64() == Some(status_id))
            .and_then(|s| s["is_closed"].as_bool())
            .ok_or_else(|| self.protocol(&format!("status {status_id} is not in the status list")))
    }
}

/// The description Redmine stores: the body, then the labels it has no field for.
pub fn description(bug: &Bug) -> String {
    let mut text = bug.body.trim_end().to_string();
    if !bug.labels.is_empty() {
        text.push_str(&format!("\n\nLabels: {}", bug.labels.join(", ")));
    }
    text.push('\n');
    text
}

/// Redmine answers 401, 403 and 404 with an empty body: words for them instead.
fn explain(error: TrackerError) -> TrackerError {
    const EMPTY: &str = "(empty answer)";
    match error {
        TrackerError::Auth {
            tracker,
            status,
            message,
            hint,
        } if message == EMPTY => TrackerError::Auth {
            message: if status == 401 {
                "the API key was not accepted".into()
            } else {
                "the key's user may not do this in the project, or the REST API is off \
                 (Administration → Settings → API)"
                    .into()
            },
            tracker,
            status,
            hint,
        },
        TrackerError::Rejected {
            tracker,
            status: 404,
            message,
        } if message == EMPTY => TrackerError::Rejected {
            tracker,
            status: 404,
            message: "not found, or not visible to the key's user".into(),
        },
        other => other,
    }
}

#[async_trait]
impl Tracker for RedmineTracker {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        let me = self
            .send(self.api.request(Method::GET, "users/current.json"))
            .await?;
        let login = me["user"]["login"].as_str().unwrap_or("?").to_string();
        let request = self
            .api
            .request(Method::GET, &format!("projects/{}.json", self.project))
            .query(&[("include", "trackers")]);
        let project = match self.send(request).await {
            Ok(project) => project,
            Err(TrackerError::Rejected { status: 404, .. }) => {
                return Err(TrackerError::Rejected {
                    tracker: NAME.into(),
                    status: 404,
                    message: format!(
                        "no project \"{}\" at {}, or {login} is not a member of it",
                        self.project, self.site
                    ),
                })
            }
            Err(e) => return Err(e),
        };
        let name = project["project"]["name"].as_str().unwrap_or(&self.project);
        let trackers: Vec<&str> = project["project"]["trackers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str())
            .collect();
        let takes = if trackers.is_empty() {
            "no trackers enabled, so it cannot take issues".to_string()
        } else {
            format!("new issues go to its {} tracker", trackers[0])
        };
        Ok(format!(
            "signed in to {} as {login}; project {} (\"{name}\") is there, {takes}",
            self.site, self.project
        ))
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        let mut issue = json!({
            "project_id": self.project,
            "subject": bug.title,
            "description": description(bug),
        });
        if let Some(who) = bug.assignee.as_deref().filter(|a| !a.trim().is_empty()) {
            issue["assigned_to_id"] = json!(self.user_id(who.trim()).await?);
        }
        let request = self
            .api
            .request(Method::POST, "issues.json")
            .json(&json!({ "issue": issue }));
        let answer = self.send(request).await?;
        let id = answer["issue"]["id"]
            .as_u64()
            .ok_or_else(|| self.protocol("the new issue has no id"))?;
        Ok(self.issue_ref(id))
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let request = self
            .api
            .request(Method::PUT, &Self::issue_path(issue)?)
            .json(&json!({ "issue": { "notes": body } }));
        self.send(request).await.map(|_| ())
    }

    async fn find_open(&self, fingerprint: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        // The issue list's own filter syntax (`f[]`, `op[..]`, `v[..][]`): status "o" is
        // any open status, `~` is "contains". The newest match wins, as in `dir`.
        let request = self.api.request(Method::GET, "issues.json").query(&[
            ("project_id", self.project.as_str()),
            ("set_filter", "1"),
            ("f[]", "status_id"),
            ("op[status_id]", "o"),
            ("f[]", "description"),
            ("op[description]", "~"),
            ("v[description][]", fingerprint.as_str()),
            ("sort", "id:desc"),
            ("limit", "1"),
        ]);
        let answer = self.send(request).await?;
        let issues = answer["issues"]
            .as_array()
            .ok_or_else(|| self.protocol("the issue list has no \"issues\""))?;
        Ok(issues
            .first()
            .and_then(|i| i["id"].as_u64())
            .map(|id| self.issue_ref(id)))
    }

    async fn state(&self, issue: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        let answer = self
            .send(self.api.request(Method::GET, &Self::issue_path(issue)?))
            .await?;
        let status = &answer["issue"]["status"];
        let closed = match status["is_closed"].as_bool() {
            Some(closed) => closed,
            None => {
                let id = status["id"]
                    .as_u64()
                    .ok_or_else(|| self.protocol("the issue has no status"))?;
                self.status_is_closed(id).await?
            }
        };
        Ok(Some(if closed {
            IssueState::Closed
        } else {
            IssueState::Open
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrackerKind;

    fn spec() -> TrackerSpec {
        TrackerSpec {
            kind: TrackerKind::Redmine,
            url: Some("https://redmine.example.org/".into()),
            project: Some("ops".into()),
            token_env: Some("SHERIFF_TEST_NO_SUCH_REDMINE_KEY".into()),
            ..TrackerSpec::default()
        }
    }

    #[test]
    fn labels_end_the_description_because_redmine_has_none() {
        let bug = Bug {
            title: "[prod] api: CRITICAL".into(),
            body: "what broke\n\nsheriff fingerprint: sheriff0123456789abcdef\n\n".into(),
            labels: vec!["sheriff".into(), "prod".into()],
            assignee: None,
            fingerprint: Fingerprint::of("api", "prod", "critical"),
        };
        assert_eq!(
            description(&bug),
            "what broke\n\nsheriff fingerprint: sheriff0123456789abcdef\n\nLabels: sheriff, prod\n"
        );
        let plain = Bug {
            labels: Vec::new(),
            ..bug
        };
        assert!(!description(&plain).contains("Labels"));
    }

    #[test]
    fn a_missing_url_project_or_key_is_named() {
        let no_url = TrackerSpec {
            url: None,
            ..spec()
        };
        let err = RedmineTracker::new(&no_url).unwrap_err().to_string();
        assert!(err.contains("set url"), "{err}");
        let no_project = TrackerSpec {
            project: None,
            ..spec()
        };
        let err = RedmineTracker::new(&no_project).unwrap_err().to_string();
        assert!(err.contains("set project"), "{err}");
        let err = RedmineTracker::new(&spec()).unwrap_err().to_string();
        assert!(err.contains("$SHERIFF_TEST_NO_SUCH_REDMINE_KEY"), "{err}");
        let no_key = TrackerSpec {
            token_env: None,
            ..spec()
        };
        let err = RedmineTracker::new(&no_key).unwrap_err().to_string();
        assert!(err.contains("API key"), "{err}");
    }

    #[test]
    fn only_issue_numbers_reach_a_url_path() {
        let issue = |id: &str| IssueRef {
            id: id.into(),
            url: String::new(),
        };
        assert_eq!(
            RedmineTracker::issue_path(&issue("12")).unwrap(),
            "issues/12.json"
        );
        assert_eq!(
            RedmineTracker::issue_path(&issue("#12")).unwrap(),
            "issues/12.json"
        );
        for bad in ["", "../projects/ops", "12?x=1"] {
            let err = RedmineTracker::issue_path(&issue(bad)).unwrap_err();
            assert!(
                matches!(err, TrackerError::Rejected { status: 404, .. }),
                "{err}"
            );
        }
    }

    #[test]
    fn empty_refusals_get_words() {
        let refused = explain(TrackerError::Auth {
            tracker: NAME.into(),
            status: 401,
            message: "(empty answer)".into(),
            hint: "$REDMINE_KEY".into(),
        })
        .to_string();
        assert!(
            refused.contains("not accepted") && refused.contains("$REDMINE_KEY"),
            "{refused}"
        );
        let kept = explain(TrackerError::Rejected {
            tracker: NAME.into(),
            status: 422,
            message: "Subject cannot be blank".into(),
        });
        assert!(kept.to_string().contains("Subject cannot be blank"));
    }
}
