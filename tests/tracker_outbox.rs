//! The outbox never loses a bug and never files one twice, against a loopback GitLab that
//! keeps issues (`support/gitlab.rs`): the tracker down, slow, answering 500 or 429 with
//! `Retry-After`, refusing the token, and creating an issue but dropping the connection
//! before its answer; a sheriff killed with SIGKILL between the outbox write and the send;
//! two sheriffs retrying the same queue at once.

#[path = "support/gitlab.rs"]
mod gitlab;
#[path = "support/http.rs"]
mod http;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use gitlab::{Faults, GitLab, TOKEN};
use sheriff::config::{TrackerKind, TrackerSpec};
use sheriff::tracker::outbox::{Outbox, Queued};
use sheriff::tracker::record::{Record, Source};
use sheriff::tracker::send::{self, Outcome};
use sheriff::tracker::{Bug, Destination, Fingerprint, TrackerError};

const TOKEN_VAR: &str = "SHERIFF_TEST_GITLAB_TOKEN";

fn spec(url: &str, timeout: Duration) -> TrackerSpec {
    // The variable is set once for the binary; every test uses the same value.
    std::env::set_var(TOKEN_VAR, TOKEN);
    TrackerSpec {
        kind: TrackerKind::Gitlab,
        url: Some(url.to_string()),
        repo: Some("ops/infra".into()),
        token_env: Some(TOKEN_VAR.into()),
        timeout: Some(timeout),
        ..TrackerSpec::default()
    }
}

fn bug(what: &str) -> Bug {
    let fingerprint = Fingerprint::of(what, "staging", "critical");
    Bug {
        title: format!("[staging] {what}: CRITICAL"),
        body: format!("{what} broke\n\nsheriff fingerprint: {fingerprint}\n"),
        labels: vec!["sheriff".into()],
        assignee: None,
        fingerprint,
    }
}

struct Desk {
    _dir: tempfile::TempDir,
    outbox: Outbox,
    record: Record,
}

fn desk() -> Desk {
    let dir = tempfile::tempdir().expect("temp dir");
    Desk {
        outbox: Outbox::at(dir.path().join("outbox")),
        record: Record::at(dir.path().join("filed.jsonl")),
        _dir: dir,
    }
}

fn file(spec: &TrackerSpec, desk: &Desk, item: &Queued) -> Outcome {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(send::file(spec, &desk.outbox, &desk.record, item))
        .expect("the outbox takes the bug")
}

fn retry(spec: &TrackerSpec, desk: &Desk) -> Vec<Outcome> {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(send::flush(spec, &desk.outbox, &desk.record, true))
}

fn queued_error(outcome: &Outcome) -> &TrackerError {
    match outcome {
        Outcome::Queued { error, .. } => error,
        other => panic!("expected the bug to stay queued, got {other:?}"),
    }
}

#[test]
fn a_recurrence_comments_and_a_bug_closed_meanwhile_is_filed_anew() {
    let server = GitLab::start();
    let (spec, desk) = (spec(&server.url(), Duration::from_secs(5)), desk());
    let first = file(
        &spec,
        &desk,
        &Queued::new(bug("api"), Destination::default(), Source::default()),
    );
    assert!(matches!(first, Outcome::Filed { .. }), "{first:?}");
    let again = file(
        &spec,
        &desk,
        &Queued::new(bug("api"), Destination::default(), Source::default()),
    );
    assert!(matches!(again, Outcome::Commented { .. }), "{again:?}");
    assert_eq!(server.issues().len(), 1);
    assert_eq!(server.notes().len(), 1);
    assert!(server.notes()[0].1.contains("Seen again"));
    server.close(1);
    let after_close = file(
        &spec,
        &desk,
        &Queued::new(bug("api"), Destination::default(), Source::default()),
    );
    assert!(
        matches!(after_close, Outcome::Filed { .. }),
        "{after_close:?}"
    );
    assert_eq!(server.issues().len(), 2);
    assert!(desk.outbox.list().is_empty());
}

#[test]
fn a_tracker_that_is_down_or_failing_keeps_the_bug_until_it_takes_it_once() {
    let server = GitLab::start();
    let (spec, desk) = (spec(&server.url(), Duration::from_secs(5)), desk());
    server.set(Faults {
        reset: true,
        ..Faults::default()
    });
    let item = Queued::new(bug("queue"), Destination::default(), Source::default());
    let outcome = file(&spec, &desk, &item);
    let error = queued_error(&outcome);
    assert!(matches!(error, TrackerError::Offline(_)), "{error:?}");
    assert!(error.retryable());
    let waiting = desk.outbox.list();
    assert_eq!(waiting.len(), 1, "still in the outbox");
    assert!(
        waiting[0].next_try > Utc::now() + chrono::Duration::seconds(20),
        "backs off"
    );

    server.set(Faults {
        errors: 1,
        ..Faults::default()
    });
    let outcome = retry(&spec, &desk);
    assert!(matches!(
        queued_error(&outcome[0]),
        TrackerError::Server { status: 500, .. }
    ));
    assert_eq!(desk.outbox.list()[0].attempts, 2);

    server.set(Faults::default());
    let outcome = retry(&spec, &desk);
    assert!(matches!(outcome[0], Outcome::Filed { .. }), "{outcome:?}");
    assert_eq!(server.issues().len(), 1);
    assert!(desk.outbox.list().is_empty());
}

#[test]
fn a_rate_limit_waits_as_long_as_the_tracker_says() {
    let server = GitLab::start();
    let (spec, desk) = (spec(&server.url(), Duration::from_secs(5)), desk());
    server.set(Faults {
        rate_limited: 1,
        ..Faults::default()
    });
    let outcome = file(
        &spec,
        &desk,
        &Queued::new(bug("disk"), Destination::default(), Source::default()),
    );
    let error = queued_error(&outcome);
    assert_eq!(
        error.retry_after(),
        Some(Duration::from_secs(1)),
        "{error:?}"
    );
    let next = desk.outbox.list()[0].next_try;
    assert!(
        next <= Utc::now() + chrono::Duration::seconds(2),
        "Retry-After, not the backoff"
    );
    std::thread::sleep(Duration::from_millis(1100));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcome = rt.block_on(send::flush(&spec, &desk.outbox, &desk.record, false));
    assert!(
        matches!(outcome[..], [Outcome::Filed { .. }]),
        "due again: {outcome:?}"
    );
}

#[test]
fn a_refused_token_names_its_variable_and_waits_for_the_sheriff() {
    let server = GitLab::start();
    let (mut spec, desk) = (spec(&server.url(), Duration::from_secs(5)), desk());
    spec.token_env = Some("SHERIFF_TEST_WRONG_GITLAB_TOKEN".into());
    std::env::set_var("SHERIFF_TEST_WRONG_GITLAB_TOKEN", "glpat-wrong");
    let outcome = file(
        &spec,
        &desk,
        &Queued::new(bug("auth"), Destination::default(), Source::default()),
    );
    let error = queued_error(&outcome);
    assert!(
        matches!(error, TrackerError::Auth { status: 401, .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("$SHERIFF_TEST_WRONG_GITLAB_TOKEN"),
        "{error}"
    );
    let item = &desk.outbox.list()[0];
    assert!(!item.retrying && !item.is_due(Utc::now() + chrono::Duration::days(1)));
}

#[test]
fn a_slow_tracker_times_out_and_the_bug_stays_queued() {
    let server = GitLab::start();
    let (spec, desk) = (spec(&server.url(), Duration::from_secs(1)), desk());
    server.set(Faults {
        hang: true,
        ..Faults::default()
    });
    let started = Instant::now();
    let outcome = file(
        &spec,
        &desk,
        &Queued::new(bug("slow"), Destination::default(), Source::default()),
    );
    assert!(
        matches!(queued_error(&outcome), TrackerError::Timeout(_)),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by the timeout"
    );
    assert_eq!(desk.outbox.list().len(), 1);
}

#[test]
fn an_answer_lost_after_the_create_does_not_file_twice() {
    let server = GitLab::start();
    let (spec, desk) = (spec(&server.url(), Duration::from_secs(5)), desk());
    server.set(Faults {
        drop_after_create: true,
        ..Faults::default()
    });
    let outcome = file(
        &spec,
        &desk,
        &Queued::new(bug("lost"), Destination::default(), Source::default()),
    );
    queued_error(&outcome);
    assert_eq!(server.issues().len(), 1, "GitLab did create it");
    let outcome = retry(&spec, &desk);
    match &outcome[..] {
        [Outcome::Filed { issue, .. }] => assert_eq!(issue.id, "1", "the issue that was created"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.issues().len(), 1, "no second issue");
    assert!(server.notes().is_empty(), "and no comment repeating it");
}

fn sheriff(home: &Path, config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sheriff"));
    command
        .arg("--config")
        .arg(config)
        .args(args)
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .env(TOKEN_VAR, TOKEN)
        .stdin(Stdio::null());
    command
}

fn config(home: &Path, url: &str) -> std::path::PathBuf {
    let path = home.join("sheriff.toml");
    std::fs::write(
        &path,
        format!(
            "[tracker]\nkind = \"gitlab\"\nurl = \"{url}\"\nrepo = \"ops/infra\"\n\
             token_env = \"{TOKEN_VAR}\"\ntimeout = \"30s\"\n\n[handoff]\nauthor = \"alex\"\n\
             path = \"{}\"\n",
            home.join("handoff.jsonl").display()
        ),
    )
    .expect("write config");
    path
}

fn outbox_items(home: &Path) -> Vec<std::path::PathBuf> {
    let bugs = home.join(".local/share/sheriff/bugs");
    let mut found = Vec::new();
    for tracker in std::fs::read_dir(bugs).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(tracker.path().join("outbox"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.path().extension().is_some_and(|e| e == "json") {
                found.push(f.path());
            }
        }
    }
    found
}

#[test]
fn killed_between_the_outbox_and_the_send_the_bug_goes_once_after_restart() {
    let server = GitLab::start();
    let home = tempfile::tempdir().expect("home");
    let config = config(home.path(), &server.url());
    server.set(Faults {
        hang: true,
        ..Faults::default()
    });
    let mut child = sheriff(
        home.path(),
        &config,
        &["bug", "--title", "db1 disk full", "--env", "production"],
    )
    .stdout(Stdio::null())
    .spawn()
    .expect("start sheriff bug");
    let start = Instant::now();
    while outbox_items(home.path()).is_empty() || server.requests().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the bug never reached the outbox"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(server.issues().is_empty());
    server.set(Faults::default());
    let out = sheriff(home.path(), &config, &["bugs", "queue", "--retry"])
        .output()
        .expect("retry");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("/-/issues/1"),
        "{text}"
    );
    assert_eq!(server.issues().len(), 1);
    let out = sheriff(home.path(), &config, &["bugs", "queue"])
        .output()
        .expect("list");
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing queued"));
}

#[test]
fn a_tracker_that_cannot_be_reached_exits_75_with_queued_and_two_retries_send_once() {
    let server = GitLab::start();
    let home = tempfile::tempdir().expect("home");
    let config = config(home.path(), &server.url());
    server.set(Faults {
        reset: true,
        ..Faults::default()
    });
    let out = sheriff(home.path(), &config, &["bug", "--title", "queue stuck"])
        .output()
        .expect("bug");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(75), "{text}");
    assert!(text.starts_with("queued: cannot reach"), "{text}");
    // Two sheriffs retry at once, against a tracker that takes a second to answer.
    server.set(Faults {
        delay: Duration::from_millis(800),
        ..Faults::default()
    });
    let a = sheriff(home.path(), &config, &["bugs", "queue", "--retry"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let b = sheriff(home.path(), &config, &["bugs", "queue", "--retry"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success());
    assert_eq!(server.issues().len(), 1, "{a:?} {b:?}");
    assert!(outbox_items(home.path()).is_empty());
}

#[test]
fn filed_bugs_are_followed_to_their_close() {
    let server = GitLab::start();
    let (spec, desk) = (spec(&server.url(), Duration::from_secs(5)), desk());
    file(
        &spec,
        &desk,
        &Queued::new(bug("followed"), Destination::default(), Source::default()),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    assert!(
        rt.block_on(send::follow(&spec, &desk.record)).is_empty(),
        "still open"
    );
    server.close(1);
    let changed = rt.block_on(send::follow(&spec, &desk.record));
    assert_eq!(changed.len(), 1);
    assert_eq!(
        desk.record.load()[0].state,
        sheriff::tracker::IssueState::Closed
    );
    assert!(
        rt.block_on(send::follow(&spec, &desk.record)).is_empty(),
        "closed bugs are not asked again"
    );
    // A recurrence after the close files a new bug, not a comment on the closed one.
    let again = file(
        &spec,
        &desk,
        &Queued::new(bug("followed"), Destination::default(), Source::default()),
    );
    assert!(matches!(again, Outcome::Filed { .. }), "{again:?}");
}
