//! The mail tracker against a real SMTP server on loopback (aiosmtpd): a bug is one
//! message to the list, a recurrence a reply threaded under it; the shift report goes by
//! the same transport with `sheriff handoff --mail`.

#[path = "support/smtp.rs"]
mod smtp;

use sheriff::config::{TrackerKind, TrackerSpec};
use sheriff::tracker::outbox::{Outbox, Queued};
use sheriff::tracker::record::{Record, Source};
use sheriff::tracker::send::{self, Outcome};
use sheriff::tracker::{Bug, Destination, Fingerprint};
use smtp::Smtp;

/// A header as a mail reader decodes it (RFC 2047 words, folded lines), by `mailparse`.
fn header(message: &str, name: &str) -> Option<String> {
    use mailparse::MailHeaderMap;
    let parsed = mailparse::parse_mail(message.as_bytes()).expect("a parsable message");
    parsed.headers.get_first_value(name)
}

fn body(message: &str) -> String {
    mailparse::parse_mail(message.as_bytes())
        .and_then(|m| m.get_body())
        .expect("a body")
}

#[test]
fn a_bug_is_a_message_and_a_recurrence_a_threaded_reply() {
    let server = Smtp::start();
    let spec = TrackerSpec {
        kind: TrackerKind::Mail,
        to: Some("ops-bugs@example.org".into()),
        from: Some("sheriff@example.org".into()),
        smtp: Some(server.relay()),
        ..TrackerSpec::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (outbox, record) = (
        Outbox::at(dir.path().join("outbox")),
        Record::at(dir.path().join("filed.jsonl")),
    );
    let fingerprint = Fingerprint::of("check queue on production", "production", "warning");
    let bug = Bug {
        title: "[production] queue: WARNING — 27 jobs waiting".into(),
        body: format!("- **What:** queue is WARNING\n\nsheriff fingerprint: {fingerprint}\n"),
        labels: vec!["sheriff".into()],
        assignee: None,
        fingerprint,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let first = rt
        .block_on(send::file(
            &spec,
            &outbox,
            &record,
            &Queued::new(bug.clone(), Destination::default(), Source::default()),
        ))
        .unwrap();
    let Outcome::Filed { issue, .. } = &first else {
        panic!("{first:?}")
    };
    let again = rt
        .block_on(send::file(
            &spec,
            &outbox,
            &record,
            &Queued::new(bug.clone(), Destination::default(), Source::default()),
        ))
        .unwrap();
    assert!(
        matches!(again, Outcome::Commented { .. }),
        "deduped by the record: {again:?}"
    );
    let messages = server.wait_for(2);
    let (bug_mail, reply) = (&messages[0], &messages[1]);
    assert_eq!(
        header(bug_mail, "To").as_deref(),
        Some("ops-bugs@example.org")
    );
    assert_eq!(
        header(bug_mail, "From").as_deref(),
        Some("sheriff@example.org")
    );
    assert_eq!(
        header(bug_mail, "Subject").as_deref(),
        Some("[sheriff] [production] queue: WARNING — 27 jobs waiting")
    );
    assert_eq!(
        header(bug_mail, "Message-ID").as_deref(),
        Some(issue.id.as_str())
    );
    assert!(
        body(bug_mail).contains(bug.fingerprint.as_str()),
        "{bug_mail}"
    );
    assert_eq!(
        header(reply, "In-Reply-To").as_deref(),
        Some(issue.id.as_str()),
        "{reply}"
    );
    assert!(
        header(reply, "Subject").is_some_and(|s| s.starts_with("Re: ")),
        "{reply}"
    );
    assert!(body(reply).contains("Seen again"), "{reply}");
}

#[test]
fn the_shift_report_goes_by_mail_on_request_and_at_shift_end() {
    let server = Smtp::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("sheriff.toml");
    std::fs::write(
        &config,
        format!(
            "[handoff]\nauthor = \"alex\"\npath = \"{}\"\nmail = \"systems@example.org\"\n\
             mail_from = \"sheriff@example.org\"\nsmtp = \"{}\"\n",
            home.path().join("handoff.jsonl").display(),
            server.relay()
        ),
    )
    .unwrap();
    let sheriff = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sheriff"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("HOME", home.path())
            .output()
            .expect("run sheriff");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sheriff(&["shift", "start"]);
    sheriff(&[
        "change",
        "restarted php-fpm on web1",
        "--why",
        "workers stuck after deploy 4.2",
    ]);
    sheriff(&["handoff", "--mail", "oncall@example.org"]);
    let first = server.wait_for(1);
    assert_eq!(
        header(&first[0], "To").as_deref(),
        Some("oncall@example.org")
    );
    assert!(header(&first[0], "Subject").is_some_and(|s| s.starts_with("Shift report")));
    assert!(
        body(&first[0]).contains("workers stuck after deploy 4.2"),
        "{}",
        first[0]
    );
    sheriff(&["shift", "end"]);
    let both = server.wait_for(2);
    assert_eq!(
        header(&both[1], "To").as_deref(),
        Some("systems@example.org")
    );
    assert!(
        body(&both[1]).contains("restarted php-fpm on web1"),
        "{}",
        both[1]
    );
}
