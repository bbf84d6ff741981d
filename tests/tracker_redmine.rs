//! The `redmine` tracker against a real Redmine 5 on 127.0.0.1 (tests/support/redmine.rs):
//! what it files, comments and finds is read back with Redmine's own API, as a person
//! opening the issue would see it. One Redmine serves the whole binary; each test has
//! fingerprints of its own, so the tests do not see each other's issues.

#[path = "support/redmine.rs"]
mod redmine;

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sheriff::config::{TrackerKind, TrackerSpec};
use sheriff::tracker::outbox::{Outbox, Queued};
use sheriff::tracker::record::{Record, Source};
use sheriff::tracker::send::{flush, Outcome};
use sheriff::tracker::{connect, Bug, Destination, Fingerprint, IssueState, Tracker, TrackerError};

/// The `[tracker]` a sheriff would write for this Redmine, the admin key in a file.
fn spec(dir: &std::path::Path) -> TrackerSpec {
    let redmine = redmine::shared();
    TrackerSpec {
        kind: TrackerKind::Redmine,
        url: Some(redmine.url.clone()),
        project: Some("ops".into()),
        token_file: Some(redmine.key_file(dir)),
        ..TrackerSpec::default()
    }
}

fn tracker(dir: &std::path::Path) -> Box<dyn Tracker> {
    connect(&spec(dir), &Destination::default()).expect("connect to redmine")
}

/// A fingerprint no other test (or earlier run) has.
fn fresh_fingerprint(test: &str) -> Fingerprint {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    Fingerprint::of(&format!("{test} {nanos}"), "staging", "critical")
}

fn bug(title: &str, fingerprint: &Fingerprint, text: &str) -> Bug {
    Bug {
        title: title.into(),
        body: format!("{text}\n\nsheriff fingerprint: {fingerprint}\n"),
        labels: Vec::new(),
        assignee: None,
        fingerprint: fingerprint.clone(),
    }
}

fn issue_json(id: &str, include: &str) -> Value {
    redmine::shared().json("GET", &format!("/issues/{id}.json{include}"), None)["issue"].clone()
}

#[tokio::test]
async fn verify_names_the_user_and_the_project() {
    let dir = tempfile::tempdir().unwrap();
    let said = tracker(dir.path()).verify().await.unwrap();
    assert!(
        said.contains("as admin") && said.contains("project ops (\"Ops\")") && said.contains("Bug"),
        "{said}"
    );
    eprintln!(
        "redmine started in {:.1}s",
        redmine::shared().started_in.as_secs_f64()
    );
}

#[tokio::test]
async fn a_created_issue_is_in_redmine_with_labels_and_assignee() {
    let dir = tempfile::tempdir().unwrap();
    let t = tracker(dir.path());
    let fp = fresh_fingerprint("create");
    let mut filed = bug("[staging] api: CRITICAL — 503", &fp, "api answers 503");
    filed.labels = vec!["sheriff".into(), "staging".into()];
    filed.assignee = Some("alex".into());
    let issue = t.create(&filed).await.unwrap();
    let redmine = redmine::shared();
    assert_eq!(issue.url, format!("{}/issues/{}", redmine.url, issue.id));
    let seen = issue_json(&issue.id, "");
    assert_eq!(seen["subject"], "[staging] api: CRITICAL — 503");
    assert_eq!(seen["project"]["name"], "Ops");
    assert_eq!(seen["tracker"]["name"], "Bug");
    assert_eq!(seen["assigned_to"]["name"], "Alex Oncall");
    let description = seen["description"].as_str().unwrap();
    assert!(
        description.contains("api answers 503")
            && description.contains(fp.as_str())
            && description.contains("Labels: sheriff, staging"),
        "{description}"
    );
}

#[tokio::test]
async fn a_comment_is_a_note_in_the_issues_history() {
    let dir = tempfile::tempdir().unwrap();
    let t = tracker(dir.path());
    let fp = fresh_fingerprint("comment");
    let issue = t
        .create(&bug("[staging] queue: WARNING", &fp, "queue is deep"))
        .await
        .unwrap();
    t.comment(&issue, "Seen again at 12:05: depth 9000")
        .await
        .unwrap();
    let seen = issue_json(&issue.id, "?include=journals");
    let notes: Vec<&str> = seen["journals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|j| j["notes"].as_str())
        .collect();
    assert_eq!(notes, ["Seen again at 12:05: depth 9000"]);
}

#[tokio::test]
async fn an_open_issue_is_found_by_fingerprint_until_it_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let t = tracker(dir.path());
    let fp = fresh_fingerprint("dedupe");
    assert_eq!(t.find_open(&fp).await.unwrap(), None);
    let issue = t
        .create(&bug("[staging] disk: CRITICAL", &fp, "/ is full"))
        .await
        .unwrap();
    // Found at once: a database query, not a search index that catches up later.
    assert_eq!(t.find_open(&fp).await.unwrap(), Some(issue.clone()));
    assert_eq!(t.state(&issue).await.unwrap(), Some(IssueState::Open));
    // Another fingerprint that shares most of the text is not a match.
    assert_eq!(
        t.find_open(&fresh_fingerprint("dedupe")).await.unwrap(),
        None
    );
    redmine::shared().close(&issue.id);
    assert_eq!(t.find_open(&fp).await.unwrap(), None);
    assert_eq!(t.state(&issue).await.unwrap(), Some(IssueState::Closed));
}

#[tokio::test]
async fn an_empty_subject_is_rejected_in_redmines_own_words() {
    let dir = tempfile::tempdir().unwrap();
    let fp = fresh_fingerprint("reject");
    let err = tracker(dir.path())
        .create(&bug("", &fp, "no title"))
        .await
        .unwrap_err();
    match &err {
        TrackerError::Rejected {
            status, message, ..
        } => {
            assert_eq!(*status, 422);
            assert_eq!(message, "Subject cannot be blank");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(!err.retryable());
}

const WRONG_KEY_VAR: &str = "SHERIFF_TEST_REDMINE_WRONG_KEY";
const URL_VAR: &str = "SHERIFF_TEST_REDMINE_URL";

/// The token variable is set in a child run of this test: `set_var` while other tests'
/// threads read the environment is a data race. The child is given the running Redmine's
/// address, so it starts none of its own.
#[tokio::test]
async fn a_wrong_key_is_refused_naming_its_variable() {
    let Ok(url) = std::env::var(URL_VAR) else {
        let redmine = redmine::shared();
        let exe = std::env::current_exe().expect("the test binary's path");
        let out = Command::new(exe)
            .args([
                "a_wrong_key_is_refused_naming_its_variable",
                "--exact",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(WRONG_KEY_VAR, "0123456789abcdef0123456789abcdef01234567")
            .env(URL_VAR, &redmine.url)
            .output()
            .expect("run the test again with the wrong key set");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "the child run failed:\n{stdout}\n{stderr}"
        );
        return;
    };
    let spec = TrackerSpec {
        kind: TrackerKind::Redmine,
        url: Some(url),
        project: Some("ops".into()),
        token_env: Some(WRONG_KEY_VAR.into()),
        ..TrackerSpec::default()
    };
    let t = connect(&spec, &Destination::default()).unwrap();
    let fp = fresh_fingerprint("wrong key");
    for err in [
        t.verify().await.unwrap_err(),
        t.create(&bug("[staging] api: CRITICAL", &fp, "x"))
            .await
            .unwrap_err(),
    ] {
        assert!(
            matches!(err, TrackerError::Auth { status: 401, .. }),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("${WRONG_KEY_VAR}")) && text.contains("not accepted"),
            "{text}"
        );
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert!(!err.retryable());
    }
}

#[tokio::test]
async fn a_second_bug_with_the_same_fingerprint_becomes_a_comment() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path());
    let outbox = Outbox::at(dir.path().join("outbox"));
    let record = Record::at(dir.path().join("filed.jsonl"));
    let fp = fresh_fingerprint("flush");
    for text in ["api answers 503", "api answers 503 again"] {
        let item = Queued::new(
            bug("[staging] api: CRITICAL — 503", &fp, text),
            Destination::default(),
            Source::default(),
        );
        outbox.put(&item).unwrap();
    }
    let outcomes = flush(&spec, &outbox, &record, true).await;
    let (filed, commented) = match outcomes.as_slice() {
        [Outcome::Filed { issue: a, .. }, Outcome::Commented { issue: b, item }] => {
            (a.clone(), (b.clone(), item.bug.body.clone()))
        }
        other => panic!("expected one filed and one comment, got {other:#?}"),
    };
    assert_eq!(filed, commented.0);
    assert!(outbox.list().is_empty(), "both items left the outbox");

    // Redmine holds one issue with the fingerprint, the second bug as its note.
    let redmine = redmine::shared();
    let all = redmine.json(
        "GET",
        &format!("/issues.json?project_id=ops&status_id=*&description=~{fp}"),
        None,
    );
    assert_eq!(all["total_count"], 1, "{all}");
    let seen = issue_json(&filed.id, "?include=journals");
    let note = seen["journals"][0]["notes"].as_str().unwrap_or_default();
    let note = note.replace("\r\n", "\n");
    assert!(note.starts_with("**Seen again**"), "{note}");
    assert!(note.contains(commented.1.trim()), "{note}");

    // With no record of it (another machine's sheriff), Redmine's own query dedupes.
    let elsewhere = Record::at(dir.path().join("elsewhere.jsonl"));
    outbox
        .put(&Queued::new(
            bug("[staging] api: CRITICAL — 503", &fp, "seen from elsewhere"),
            Destination::default(),
            Source::default(),
        ))
        .unwrap();
    let outcomes = flush(&spec, &outbox, &elsewhere, true).await;
    match outcomes.as_slice() {
        [Outcome::Commented { issue, .. }] => assert_eq!(issue, &filed),
        other => panic!("expected a comment on {}, got {other:#?}", filed.id),
    }
}
