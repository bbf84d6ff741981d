//! Every adapter whose tracker cannot run here, against a loopback server answering as
//! that tracker's documentation says (GitLab REST v4, Bugzilla 5 WebService, Phorge
//! Conduit, the webhook contract in docs/bugs.md), recording what it received: the exact
//! requests of create, comment and the open-bug search, and each tracker's shapes of a
//! refused token, a rejected bug and a rate limit with its reset header. Jira Data Center
//! (REST v2) is here too: Prism serves only the Cloud description.

#[path = "support/http.rs"]
mod http;
#[path = "support/recorder.rs"]
mod recorder;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use recorder::{Answer, Recorder, Seen};
use sheriff::config::{TrackerKind, TrackerSpec};
use sheriff::tracker::{self, Bug, Destination, Fingerprint, IssueRef, Tracker, TrackerError};

const TOKEN_VAR: &str = "SHERIFF_TEST_CONTRACT_TOKEN";
const TOKEN: &str = "tok-0123456789abcdef";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Normal,
    Unauthorized,
    Rejected,
    RateLimited,
}

type Responder = fn(&Seen, Mode) -> Answer;

struct Bed {
    server: Recorder,
    mode: Arc<Mutex<Mode>>,
    tracker: Box<dyn Tracker>,
}

fn bed(kind: TrackerKind, tweak: fn(&mut TrackerSpec), respond: Responder) -> Bed {
    let mode = Arc::new(Mutex::new(Mode::Normal));
    let m = mode.clone();
    let server = Recorder::start(move |seen| respond(seen, *m.lock().unwrap()));
    std::env::set_var(TOKEN_VAR, TOKEN);
    let mut spec = TrackerSpec {
        kind,
        url: Some(server.url()),
        token_env: Some(TOKEN_VAR.into()),
        timeout: Some(Duration::from_secs(5)),
        ..TrackerSpec::default()
    };
    tweak(&mut spec);
    let tracker = tracker::connect(&spec, &Destination::default()).expect("adapter");
    Bed {
        server,
        mode,
        tracker,
    }
}

fn bug() -> Bug {
    let fingerprint = Fingerprint::of("check api on staging", "staging", "critical 503");
    Bug {
        title: "[staging] api: CRITICAL — 503".into(),
        body: format!("api broke\n\nsheriff fingerprint: {fingerprint}\n"),
        labels: vec!["sheriff".into(), "staging".into()],
        assignee: None,
        fingerprint,
    }
}

fn json(text: &str) -> Answer {
    (200, vec![], text.to_string())
}

fn limited() -> Answer {
    (
        429,
        vec![("Retry-After", "7".into())],
        r#"{"message":"slow down"}"#.into(),
    )
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// The matrix every adapter goes through: create, comment, search, 401, reject, 429.
fn matrix(bed: &Bed, issue: &str) -> (IssueRef, Vec<Seen>) {
    let b = bug();
    let made = run(bed.tracker.create(&b)).expect("create");
    assert_eq!(made.id, issue);
    run(bed.tracker.comment(&made, "seen again")).expect("comment");
    let found = run(bed.tracker.find_open(&b.fingerprint)).expect("search");
    let seen = bed.server.seen();
    *bed.mode.lock().unwrap() = Mode::Unauthorized;
    let err = run(bed.tracker.create(&b)).unwrap_err();
    assert!(matches!(err, TrackerError::Auth { .. }), "{err:?}");
    assert!(err.to_string().contains(&format!("${TOKEN_VAR}")), "{err}");
    *bed.mode.lock().unwrap() = Mode::Rejected;
    let err = run(bed.tracker.create(&b)).unwrap_err();
    assert!(matches!(err, TrackerError::Rejected { .. }), "{err:?}");
    assert!(!err.retryable());
    *bed.mode.lock().unwrap() = Mode::RateLimited;
    let err = run(bed.tracker.create(&b)).unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)), "{err:?}");
    assert!(err.retryable());
    let _ = found;
    (made, seen)
}

fn gitlab(seen: &Seen, mode: Mode) -> Answer {
    match mode {
        Mode::Unauthorized => return (401, vec![], r#"{"message":"401 Unauthorized"}"#.into()),
        Mode::Rejected => {
            return (
                400,
                vec![],
                r#"{"message":{"title":["can't be blank"]}}"#.into(),
            )
        }
        Mode::RateLimited => {
            return (
                429,
                vec![("Retry-After", "7".into()), ("RateLimit-Reset", "0".into())],
                "{}".into(),
            )
        }
        Mode::Normal => {}
    }
    let fp = bug().fingerprint;
    match (seen.method.as_str(), seen.target.split('?').next().unwrap()) {
        ("POST", "/api/v4/projects/ops%2Finfra/issues") => (201, vec![], r#"{"iid":12,"web_url":"https://gitlab.example/ops/infra/-/issues/12","state":"opened"}"#.into()),
        ("POST", "/api/v4/projects/ops%2Finfra/issues/12/notes") => (201, vec![], r#"{"id":5,"body":"seen again"}"#.into()),
        ("GET", "/api/v4/projects/ops%2Finfra/issues") => json(&format!(r#"[{{"iid":12,"web_url":"https://gitlab.example/ops/infra/-/issues/12","description":"x {fp}"}}]"#)),
        _ => (404, vec![], r#"{"message":"404 Not found"}"#.into()),
    }
}

#[test]
fn gitlab_requests_are_the_documented_ones() {
    let bed = bed(
        TrackerKind::Gitlab,
        |s| s.repo = Some("ops/infra".into()),
        gitlab,
    );
    let (_, seen) = matrix(&bed, "12");
    let create = &seen[0];
    assert_eq!(create.header("PRIVATE-TOKEN"), Some(TOKEN));
    assert_eq!(create.json()["labels"], "sheriff,staging");
    assert_eq!(create.json()["title"], "[staging] api: CRITICAL — 503");
    assert_eq!(seen[1].json()["body"], "seen again");
    let search = &seen[2].target;
    assert!(
        search.contains("state=opened") && search.contains("in=description"),
        "{search}"
    );
    assert!(
        search.contains(&format!("search={}", bug().fingerprint)),
        "{search}"
    );
}

fn bugzilla(seen: &Seen, mode: Mode) -> Answer {
    match mode {
        // Bugzilla 5 answers a bad key under 400 with code 306.
        Mode::Unauthorized => return (400, vec![], r#"{"error":true,"code":306,"message":"The API key you specified is invalid. Please check that you typed it correctly.","documentation":"https://bugzilla.readthedocs.org/en/5.0/api/"}"#.into()),
        Mode::Rejected => return (400, vec![], r#"{"error":true,"code":51,"message":"There is no component named 'General' in the 'Ops' product."}"#.into()),
        Mode::RateLimited => return limited(),
        Mode::Normal => {}
    }
    match (seen.method.as_str(), seen.target.split('?').next().unwrap()) {
        ("POST", "/rest/bug") => json(r#"{"id":1234}"#),
        ("POST", "/rest/bug/1234/comment") => json(r#"{"id":98765}"#),
        ("GET", "/rest/bug") => json(r#"{"bugs":[{"id":1234}]}"#),
        _ => (
            404,
            vec![],
            r#"{"error":true,"code":32614,"message":"no such method"}"#.into(),
        ),
    }
}

#[test]
fn bugzilla_requests_are_the_documented_ones() {
    let bed = bed(
        TrackerKind::Bugzilla,
        |s| s.project = Some("Ops".into()),
        bugzilla,
    );
    let (issue, seen) = matrix(&bed, "1234");
    assert!(
        issue.url.ends_with("/show_bug.cgi?id=1234"),
        "{}",
        issue.url
    );
    let create = &seen[0];
    assert_eq!(create.header("X-BUGZILLA-API-KEY"), Some(TOKEN));
    let body = create.json();
    assert_eq!(
        (
            body["product"].as_str(),
            body["component"].as_str(),
            body["summary"].as_str(),
            body["version"].as_str()
        ),
        (
            Some("Ops"),
            Some("General"),
            Some("[staging] api: CRITICAL — 503"),
            Some("unspecified")
        )
    );
    assert_eq!(body["keywords"], serde_json::json!(["sheriff", "staging"]));
    assert_eq!(seen[1].json()["comment"], "seen again");
    let search = &seen[2].target;
    for part in [
        "product=Ops",
        "resolution=---",
        "f1=longdesc",
        "o1=substring",
        &format!("v1={}", bug().fingerprint),
    ] {
        assert!(search.contains(part), "{part} in {search}");
    }
}

fn phorge(seen: &Seen, mode: Mode) -> Answer {
    match mode {
        Mode::Unauthorized => {
            return json(
                r#"{"result":null,"error_code":"ERR-INVALID-AUTH","error_info":"API token \"tok-0123456789abcdef\" has the wrong length. API tokens should be 32 characters long."}"#,
            )
        }
        Mode::Rejected => {
            return json(
                r#"{"result":null,"error_code":"ERR-CONDUIT-CORE","error_info":"Validation errors:\n  - Tasks must have a title."}"#,
            )
        }
        Mode::RateLimited => return limited(),
        Mode::Normal => {}
    }
    match seen.target.as_str() {
        "/api/maniphest.edit" => json(
            r#"{"result":{"object":{"id":77,"phid":"PHID-TASK-abc"},"transactions":[]},"error_code":null,"error_info":null}"#,
        ),
        "/api/maniphest.search" => json(
            r#"{"result":{"data":[{"id":77,"type":"TASK","phid":"PHID-TASK-abc","fields":{"status":{"value":"open"}}}],"cursor":{}},"error_code":null,"error_info":null}"#,
        ),
        _ => {
            json(r#"{"result":null,"error_code":"ERR-CONDUIT-CALL","error_info":"no such method"}"#)
        }
    }
}

#[test]
fn phorge_requests_are_the_documented_ones() {
    let bed = bed(
        TrackerKind::Phorge,
        |s| s.project = Some("ops".into()),
        phorge,
    );
    let (issue, seen) = matrix(&bed, "T77");
    assert!(issue.url.ends_with("/T77"));
    let create = &seen[0];
    assert_eq!(create.method, "POST");
    assert_eq!(create.field("api.token").as_deref(), Some(TOKEN));
    assert_eq!(
        create.field("transactions[0][type]").as_deref(),
        Some("title")
    );
    assert_eq!(
        create.field("transactions[0][value]").as_deref(),
        Some("[staging] api: CRITICAL — 503")
    );
    assert_eq!(
        create.field("transactions[1][type]").as_deref(),
        Some("description")
    );
    assert_eq!(
        create.field("transactions[2][type]").as_deref(),
        Some("projects.add")
    );
    assert_eq!(
        create.field("transactions[2][value][0]").as_deref(),
        Some("ops")
    );
    assert_eq!(seen[1].field("objectIdentifier").as_deref(), Some("T77"));
    assert_eq!(
        seen[1].field("transactions[0][type]").as_deref(),
        Some("comment")
    );
    assert_eq!(seen[2].target, "/api/maniphest.search");
    assert_eq!(
        seen[2].field("constraints[query]"),
        Some(bug().fingerprint.to_string())
    );
    assert_eq!(
        seen[2].field("constraints[statuses][0]").as_deref(),
        Some("open")
    );
}

fn webhook(seen: &Seen, mode: Mode) -> Answer {
    match mode {
        Mode::Unauthorized => return (401, vec![], r#"{"message":"bad token"}"#.into()),
        Mode::Rejected => return (422, vec![], r#"{"message":"title is required"}"#.into()),
        Mode::RateLimited => return limited(),
        Mode::Normal => {}
    }
    match seen.json()["event"].as_str() {
        Some("bug") => json(r#"{"id":"42","url":"https://hooks.example/bugs/42"}"#),
        _ => json("{}"),
    }
}

#[test]
fn the_webhook_sends_the_documented_events_and_dedupes_by_the_record() {
    let bed = bed(
        TrackerKind::Webhook,
        |s| s.url = Some(format!("{}/hooks/bugs", s.url.clone().unwrap())),
        webhook,
    );
    let b = bug();
    let made = run(bed.tracker.create(&b)).expect("create");
    assert_eq!(
        (made.id.as_str(), made.url.as_str()),
        ("42", "https://hooks.example/bugs/42")
    );
    run(bed.tracker.comment(
        &made,
        &format!("again\nsheriff fingerprint: {}", b.fingerprint),
    ))
    .expect("comment");
    assert_eq!(
        run(bed.tracker.find_open(&b.fingerprint)).unwrap(),
        None,
        "no search: the record answers"
    );
    let seen = bed.server.seen();
    assert_eq!(seen[0].target, "/hooks/bugs");
    assert_eq!(
        seen[0].header("Authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let event = seen[0].json();
    assert_eq!(event["event"], "bug");
    assert_eq!(event["fingerprint"], b.fingerprint.as_str());
    assert_eq!(event["labels"], serde_json::json!(["sheriff", "staging"]));
    assert_eq!(seen[1].json()["event"], "comment");
    assert_eq!(seen[1].json()["issue"], "42");
    matrix(&bed, "42");
}

/// Jira Data Center's REST v2 (docs.atlassian.com/software/jira/docs/api/REST/9.12.0).
fn jira_datacenter(seen: &Seen, mode: Mode) -> Answer {
    match mode {
        Mode::Unauthorized => return (401, vec![], r#"{"errorMessages":["You are not authenticated. Authentication required to perform this operation."],"errors":{}}"#.into()),
        Mode::Rejected => return (400, vec![], r#"{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue."}}"#.into()),
        Mode::RateLimited => return limited(),
        Mode::Normal => {}
    }
    match (seen.method.as_str(), seen.target.as_str()) {
        ("POST", "/rest/api/2/issue") => (
            201,
            vec![],
            r#"{"id":"10002","key":"OPS-12","self":"http://jira.example/rest/api/2/issue/10002"}"#
                .into(),
        ),
        ("POST", "/rest/api/2/issue/OPS-12/comment") => {
            (201, vec![], r#"{"id":"10000","body":"seen again"}"#.into())
        }
        ("POST", "/rest/api/2/search") => json(
            r#"{"startAt":0,"maxResults":1,"total":1,"issues":[{"id":"10002","key":"OPS-12","fields":{"summary":"x"}}]}"#,
        ),
        _ => (
            404,
            vec![],
            r#"{"errorMessages":["not found"],"errors":{}}"#.into(),
        ),
    }
}

#[test]
fn jira_data_center_requests_are_the_documented_ones() {
    let bed = bed(
        TrackerKind::Jira,
        |s| {
            s.project = Some("OPS".into());
            s.flavor = sheriff::config::JiraFlavor::DataCenter;
        },
        jira_datacenter,
    );
    let (issue, seen) = matrix(&bed, "OPS-12");
    assert!(issue.url.ends_with("/browse/OPS-12"), "{}", issue.url);
    let create = &seen[0];
    assert_eq!(
        create.header("Authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let fields = &create.json()["fields"];
    assert_eq!(fields["project"]["key"], "OPS");
    assert_eq!(fields["summary"], "[staging] api: CRITICAL — 503");
    assert!(
        fields["description"].is_string(),
        "v2 takes a plain text description: {fields}"
    );
    assert_eq!(seen[1].json()["body"], "seen again");
    let jql = seen[2].json()["jql"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        jql.contains("project = \"OPS\"") && jql.contains(bug().fingerprint.as_str()),
        "{jql}"
    );
}
