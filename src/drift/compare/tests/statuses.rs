use super::*;
use crate::drift::compare::Status;
use crate::drift::side::EntryKind;

fn with_mode(mut entry: Entry, mode: u32, owner: &str) -> Entry {
    entry.mode = Some(mode);
    entry.owner = Some(owner.to_string());
    entry
}

fn without_bytes(entry: Entry) -> Entry {
    match entry.kind {
        EntryKind::File { sha256, size, .. } => Entry {
            kind: EntryKind::File {
                sha256,
                size,
                content: None,
            },
            ..entry
        },
        _ => entry,
    }
}

fn kind(kind: EntryKind) -> Entry {
    Entry {
        kind,
        mode: None,
        owner: None,
    }
}

fn statuses(a: Tree, b: Tree) -> Vec<(String, &'static str, Option<String>)> {
    compare_trees(&a, &b, &Rules::default(), &EnvVars::default())
        .files
        .into_iter()
        .map(|f| (f.path, f.status.as_str(), f.note))
        .collect()
}

fn entries(list: Vec<(&str, Entry)>) -> Tree {
    Tree {
        entries: list.into_iter().map(|(p, e)| (p.to_string(), e)).collect(),
        notes: Vec::new(),
    }
}

#[test]
fn every_status_a_tree_can_have() {
    let cert = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_vec();
    let a = entries(vec![
        ("app.conf", Entry::file(b"workers 8\n".to_vec())),
        ("old.conf", Entry::file(b"x\n".to_vec())),
        (
            "tls/cert.pem",
            with_mode(Entry::file(cert.clone()), 0o644, "root:root"),
        ),
        ("same.conf", without_bytes(Entry::file(b"kept\n".to_vec()))),
        (
            "secret.key",
            kind(EntryKind::Unreadable {
                reason: "Permission denied".into(),
            }),
        ),
        (
            "current",
            kind(EntryKind::Symlink {
                target: "releases/41".into(),
            }),
        ),
        (
            "logo.png",
            Entry::file(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".repeat(100)),
        ),
    ]);
    let b = entries(vec![
        ("app.conf", Entry::file(b"workers 4\n".to_vec())),
        ("new.conf", Entry::file(b"y\n".to_vec())),
        (
            "tls/cert.pem",
            with_mode(Entry::file(cert), 0o600, "root:ssl-cert"),
        ),
        ("same.conf", without_bytes(Entry::file(b"kept\n".to_vec()))),
        ("secret.key", Entry::file(b"k\n".to_vec())),
        (
            "current",
            kind(EntryKind::Symlink {
                target: "releases/42".into(),
            }),
        ),
        (
            "logo.png",
            Entry::file(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".repeat(110)),
        ),
    ]);
    let got = statuses(a, b);
    let note = |s: &str| Some(s.to_string());
    assert_eq!(
        got,
        [
            ("app.conf".into(), "changed", None),
            (
                "current".into(),
                "changed",
                note("symlink to releases/41 → releases/42")
            ),
            (
                "logo.png".into(),
                "changed",
                note("binary, 1.6 KiB → 1.7 KiB")
            ),
            ("new.conf".into(), "only_b", None),
            ("old.conf".into(), "only_a", None),
            ("same.conf".into(), "same", None),
            (
                "secret.key".into(),
                "unreadable",
                note("a: Permission denied")
            ),
            (
                "tls/cert.pem".into(),
                "mode",
                note("mode 644 → 600, owner root:root → root:ssl-cert")
            ),
        ]
    );
}

#[test]
fn files_without_bytes_or_over_the_cap_are_compared_by_hash() {
    let a = entries(vec![(
        "big.db",
        without_bytes(Entry::file(vec![b'a'; 3000])),
    )]);
    let b = entries(vec![(
        "big.db",
        without_bytes(Entry::file(vec![b'b'; 3100])),
    )]);
    assert_eq!(
        statuses(a, b),
        [(
            "big.db".into(),
            "changed",
            Some("contents differ (compared by hash), 2.9 KiB → 3.0 KiB".into())
        )]
    );

    let rules = Rules {
        max_diff_bytes: 10,
        ..Rules::default()
    };
    let a = tree(&[("log.txt", b"a much longer line\n")]);
    let b = tree(&[("log.txt", b"another long line\n")]);
    let diff = compare_trees(&a, &b, &rules, &EnvVars::default());
    assert!(diff.files[0].hunks.is_empty());
    assert_eq!(diff.files[0].status, Status::Changed);
}

#[test]
fn a_file_replaced_by_a_symlink_is_changed() {
    let a = entries(vec![("app.conf", Entry::file(b"x\n".to_vec()))]);
    let b = entries(vec![(
        "app.conf",
        kind(EntryKind::Symlink {
            target: "/etc/app.conf".into(),
        }),
    )]);
    assert_eq!(
        statuses(a, b),
        [(
            "app.conf".into(),
            "changed",
            Some("file → symlink to /etc/app.conf".into())
        )]
    );
}

#[test]
fn the_json_of_a_file_has_the_fields_the_issue_names() {
    let a = tree(&[("app.json", br#"{"server": {"workers": 8}}"#)]);
    let b = tree(&[("app.json", br#"{"server": {"workers": 4}}"#)]);
    let diff = compare_trees(&a, &b, &Rules::default(), &EnvVars::default());
    let json = diff.files[0].to_json();
    assert_eq!(json["path"], "app.json");
    assert_eq!(json["status"], "changed");
    assert_eq!(
        json["keys"],
        serde_json::json!([{"key": "server.workers", "a": "8", "b": "4"}])
    );
    assert_eq!(
        json["hunks"],
        serde_json::json!([
            "@@ -1,1 +1,1 @@\n-{\"server\": {\"workers\": 8}}\n+{\"server\": {\"workers\": 4}}"
        ])
    );
    assert!(json.get("note").is_none());
    assert_eq!(diff.drifted().count(), 1);
}

#[test]
fn side_notes_are_kept_and_redacted() {
    let mut a = tree(&[]);
    a.notes
        .push("more than 10,000 files: showing the first 10,000".into());
    let mut b = tree(&[]);
    b.notes.push("find failed: password=Hunter22-Secret".into());
    let diff = compare_trees(&a, &b, &Rules::default(), &EnvVars::default());
    assert_eq!(
        diff.notes[0],
        "a: more than 10,000 files: showing the first 10,000"
    );
    assert!(!diff.notes[1].contains("Hunter22"), "{}", diff.notes[1]);
}
