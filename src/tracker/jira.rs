//! Jira issues. Two APIs under one adapter: Cloud is REST v3, with bodies in Atlassian
//! Document Format ([`super::adf`]) and Basic auth of the account's e-mail and an API
//! token; Data Center (and Server) is REST v2, with plain-text bodies and a personal
//! access token as Bearer.
//!
//! An open bug with the fingerprint is found with JQL `text ~`, which Jira answers
//! from its issue database, so a bug filed a moment ago is found too.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Value};

use super::http::{Api, Auth};
use super::{adf, Bug, Fingerprint, IssueRef, IssueState, Token, Tracker, TrackerError};
use crate::config::{JiraFlavor, TrackerSpec};

#[derive(Debug)]
pub struct JiraTracker {
    api: Api,
    flavor: JiraFlavor,
    /// The site a person browses (`https://acme.atlassian.net`), for `/browse/KEY` links.
    site: String,
    project: String,
}

/// What differs between the two APIs, kept in one place.
fn version(flavor: JiraFlavor) -> &'static str {
    match flavor {
        JiraFlavor::Cloud => "3",
        JiraFlavor::DataCenter => "2",
    }
}

/// A body as the flavor takes it: an ADF document on Cloud, the Markdown text on
/// Data Center (whose wiki renderer shows it as it is written).
pub fn body_value(flavor: JiraFlavor, markdown: &str) -> Value {
    match flavor {
        JiraFlavor::Cloud => adf::doc(markdown),
        JiraFlavor::DataCenter => Value::String(markdown.to_string()),
    }
}

/// Jira labels are single words: a space would make Jira refuse the whole issue.
pub fn label(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join("-")
}

/// The `fields` of a new bug.
pub fn create_fields(flavor: JiraFlavor, project: &str, bug: &Bug) -> Value {
    let labels: Vec<String> = bug
        .labels
        .iter()
        .map(|l| label(l))
        .filter(|l| !l.is_empty())
        .collect();
    let mut fields = json!({
        "project": {"key": project},
        "summary": bug.title,
        "issuetype": {"name": "Bug"},
        "description": body_value(flavor, &bug.body),
        "labels": labels,
    });
    if let Some(who) = &bug.assignee {
        // Cloud names people by account id only; Data Center by user name.
        fields["assignee"] = match flavor {
            JiraFlavor::Cloud => json!({"accountId": who}),
            JiraFlavor::DataCenter => json!({"name": who}),
        };
    }
    fields
}

/// JQL for an open bug in `project` carrying `fingerprint`. The fingerprint is one
/// alphanumeric word, so the text index matches it exactly; the key is quoted.
pub fn open_with(project: &str, fingerprint: &Fingerprint) -> String {
    let key = project.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "project = \"{key}\" AND statusCategory != Done AND text ~ \"{}\"",
        fingerprint.as_str()
    )
}

/// Project and issue keys go into paths as they are, so only their own characters pass.
fn key_shaped(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl JiraTracker {
    pub fn new(
        site: &str,
        flavor: JiraFlavor,
        project: Option<&str>,
        auth: Auth,
        token_source: String,
    ) -> Result<Self, TrackerError> {
        let project = project.unwrap_or("").trim().to_string();
        if !key_shaped(&project) {
            return Err(TrackerError::Setup(format!(
                "jira: project = \"{project}\" in [tracker] is not a project key like \"OPS\""
            )));
        }
        let site = site.trim().trim_end_matches('/').to_string();
        let base = format!("{site}/rest/api/{}", version(flavor));
        Ok(JiraTracker {
            api: Api::new("jira", &base, auth, token_source)?,
            flavor,
            site,
            project,
        })
    }

    pub fn from_spec(spec: &TrackerSpec) -> Result<Self, TrackerError> {
        let site = spec.url.as_deref().ok_or_else(|| {
            TrackerError::Setup(
                "jira needs url = \"https://acme.atlassian.net\" in [tracker]".into(),
            )
        })?;
        let token = Token::from_spec(spec)?.ok_or_else(|| {
            TrackerError::Setup(
                "jira needs a token: set token_env = \"JIRA_TOKEN\" (or token_file) in \
                 [tracker]"
                    .into(),
            )
        })?;
        let auth = match spec.flavor {
            JiraFlavor::Cloud => {
                let user = spec.user.clone().filter(|u| !u.trim().is_empty());
                let user = user.ok_or_else(|| {
                    TrackerError::Setup(
                        "jira cloud signs in with the API token's account: set user = \
                         \"sam@example.org\" in [tracker]"
                            .into(),
                    )
                })?;
                Auth::Basic { user, token }
            }
            JiraFlavor::DataCenter => Auth::Bearer(token),
        };
        let mut tracker = JiraTracker::new(
            site,
            spec.flavor,
            spec.project.as_deref(),
            auth,
            Token::source(spec),
        )?;
        tracker.api.retime(spec.timeout)?;
        Ok(tracker)
    }

    fn browse(&self, key: &str) -> IssueRef {
        IssueRef {
            id: key.to_string(),
            url: format!("{}/browse/{key}", self.site),
        }
    }

    fn issue_key<'a>(&self, issue: &'a IssueRef) -> Result<&'a str, TrackerError> {
        if key_shaped(&issue.id) {
            Ok(&issue.id)
        } else {
            Err(TrackerError::Rejected {
                tracker: "jira".into(),
                status: 404,
                message: format!("\"{}\" is not an issue key like OPS-12", issue.id),
            })
        }
    }

    fn protocol(message: impl Into<String>) -> TrackerError {
        TrackerError::Protocol {
            tracker: "jira".into(),
            message: message.into(),
        }
    }
}

/// Whether `GET …/project/KEY` lets us file a Bug there, as `verify` reports it.
pub fn project_summary(asked: &str, project: &Value) -> Result<String, TrackerError> {
    let name = project.get("name").and_then(Value::as_str).unwrap_or(asked);
    let types: Vec<&str> = project
        .get("issueTypes")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    // Jira leaves `issueTypes` out when asked without `expand`; only a list that lacks
    // Bug is a reason to stop.
    if !types.is_empty() && !types.contains(&"Bug") {
        return Err(TrackerError::Setup(format!(
            "jira: project {asked} has no issue type \"Bug\" (it has {}); sheriff files Bugs",
            types.join(", ")
        )));
    }
    Ok(format!(
        "token works; project {asked} (\"{name}\") is reachable"
    ))
}

#[async_trait]
impl Tracker for JiraTracker {
    fn name(&self) -> &'static str {
        "jira"
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        let path = format!("project/{}", self.project);
        let project = self.api.send(self.api.request(Method::GET, &path)).await?;
        project_summary(&self.project, &project)
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        let body = json!({ "fields": create_fields(self.flavor, &self.project, bug) });
        let created = self
            .api
            .send(self.api.request(Method::POST, "issue").json(&body))
            .await?;
        let key = created
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| JiraTracker::protocol("a created issue without a key"))?;
        Ok(self.browse(key))
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let path = format!("issue/{}/comment", self.issue_key(issue)?);
        let body = json!({ "body": body_value(self.flavor, body) });
        self.api
            .send(self.api.request(Method::POST, &path).json(&body))
            .await
            .map(drop)
    }

    async fn find_open(&self, fingerprint: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        // Cloud retired `/search` for `/search/jql`; Data Center only has `/search`.
        let path = match self.flavor {
            JiraFlavor::Cloud => "search/jql",
            JiraFlavor::DataCenter => "search",
        };
        let query = json!({
            "jql": open_with(&self.project, fingerprint),
            "fields": ["summary"],
            "maxResults": 1,
        });
        let found = self
            .api
            .send(self.api.request(Method::POST, path).json(&query))
            .await?;
        let issues = found
            .get("issues")
            .and_then(Value::as_array)
            .ok_or_else(|| JiraTracker::protocol("a search answer without issues"))?;
        Ok(issues
            .first()
            .and_then(|i| i.get("key"))
            .and_then(Value::as_str)
            .map(|key| self.browse(key)))
    }

    async fn state(&self, issue: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        let path = format!("issue/{}", self.issue_key(issue)?);
        let found = self
            .api
            .send(
                self.api
                    .request(Method::GET, &path)
                    .query(&[("fields", "status")]),
            )
            .await?;
        // Workflows name their statuses freely; the category is Jira's own three.
        let category = found
            .pointer("/fields/status/statusCategory/key")
            .and_then(Value::as_str);
        Ok(category.map(|key| {
            if key == "done" {
                IssueState::Closed
            } else {
                IssueState::Open
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bug() -> Bug {
        Bug {
            title: "[staging] api: CRITICAL".into(),
            body: "api answers 503\n\n```\nGET /health 503\n```".into(),
            labels: vec!["sheriff".into(), "on call".into()],
            assignee: None,
            fingerprint: Fingerprint::of("check api", "staging", "critical"),
        }
    }

    #[test]
    fn cloud_descriptions_are_adf_documents() {
        let fields = create_fields(JiraFlavor::Cloud, "OPS", &bug());
        assert_eq!(fields["project"], json!({"key": "OPS"}));
        assert_eq!(fields["issuetype"], json!({"name": "Bug"}));
        assert_eq!(fields["labels"], json!(["sheriff", "on-call"]));
        let description = &fields["description"];
        assert_eq!(description["type"], "doc");
        assert_eq!(description["version"], 1);
        assert_eq!(
            description["content"],
            json!([
                {"type": "paragraph", "content": [{"type": "text", "text": "api answers 503"}]},
                {"type": "codeBlock", "content": [{"type": "text", "text": "GET /health 503"}]},
            ])
        );
    }

    #[test]
    fn data_center_descriptions_are_the_text() {
        let mut b = bug();
        b.assignee = Some("sam".into());
        let fields = create_fields(JiraFlavor::DataCenter, "OPS", &b);
        assert_eq!(fields["description"], json!(b.body));
        assert_eq!(fields["assignee"], json!({"name": "sam"}));
        assert_eq!(body_value(JiraFlavor::DataCenter, "again"), json!("again"));
    }

    #[test]
    fn the_query_names_the_project_and_the_fingerprint() {
        let fp = Fingerprint::of("check api", "staging", "critical");
        assert_eq!(
            open_with("OPS", &fp),
            format!("project = \"OPS\" AND statusCategory != Done AND text ~ \"{fp}\"")
        );
    }

    #[test]
    fn a_project_without_bugs_is_refused_at_verify() {
        let project = json!({"name": "Ops", "issueTypes": [{"name": "Task"}, {"name": "Story"}]});
        let err = project_summary("OPS", &project).unwrap_err().to_string();
        assert!(err.contains("no issue type \"Bug\""), "{err}");
        let project = json!({"name": "Ops", "issueTypes": [{"name": "Bug"}]});
        assert_eq!(
            project_summary("OPS", &project).unwrap(),
            "token works; project OPS (\"Ops\") is reachable"
        );
    }

    #[test]
    fn flavors_choose_their_api_version_and_sign_in() {
        let spec = TrackerSpec {
            url: Some("https://acme.atlassian.net/".into()),
            project: Some("OPS".into()),
            ..TrackerSpec::default()
        };
        let err = JiraTracker::from_spec(&spec).unwrap_err().to_string();
        assert!(err.contains("needs a token"), "{err}");
        let t = JiraTracker::new(
            "https://jira.example.org",
            JiraFlavor::DataCenter,
            Some("OPS"),
            Auth::None,
            String::new(),
        )
        .unwrap();
        assert_eq!(
            t.api.url("issue").as_str(),
            "https://jira.example.org/rest/api/2/issue"
        );
        assert_eq!(
            t.browse("OPS-3").url,
            "https://jira.example.org/browse/OPS-3"
        );
        assert!(JiraTracker::new(
            "https://jira.example.org",
            JiraFlavor::Cloud,
            Some("OPS; DROP"),
            Auth::None,
            String::new()
        )
        .is_err());
    }
}
