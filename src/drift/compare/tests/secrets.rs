use super::fixtures::{COMPOSE_A, DOT_ENV};
use super::*;
use crate::drift::compare::{Shown, Status};

fn assert_hidden(diff: &TargetDiff, values: &[&str]) {
    let shown = everything_shown(diff);
    for value in values {
        assert!(!shown.contains(value), "{value:?} shown in:\n{shown}");
    }
}

fn one_file(path: &str, a: &str, b: &str) -> TargetDiff {
    target_with(path, a, b, &Rules::default(), &EnvVars::default())
}

#[test]
fn a_changed_env_password_differs_and_neither_value_is_shown() {
    let b = DOT_ENV.replace("Pr0d-Sup3r-S3cret!", "Rotated-N3w-Pw-2026");
    let diff = one_file(".env", DOT_ENV, &b);
    let file = &diff.files[0];
    assert_eq!(file.status, Status::Changed);
    assert_eq!(key_lines(file), ["DB_PASSWORD differs"]);
    assert_eq!(file.keys[0].a, Some(Shown::Secret));
    assert_eq!(file.note.as_deref(), Some("DB_PASSWORD differs"));
    let json = file.to_json();
    assert_eq!(json["keys"][0]["a"], "••");
    assert_eq!(json["keys"][0]["b"], "••");
    assert_hidden(
        &diff,
        &[
            "Pr0d-Sup3r-S3cret!",
            "Rotated-N3w-Pw-2026",
            "Sup3r",
            "N3w-Pw",
        ],
    );
}

#[test]
fn an_unchanged_secret_is_not_drift_and_not_shown_beside_other_drift() {
    let b = DOT_ENV.replace("DB_PORT=5432", "DB_PORT=6432");
    let diff = one_file(".env", DOT_ENV, &b);
    assert_eq!(key_lines(&diff.files[0]), ["DB_PORT: 5432 → 6432"]);
    // The hunk's context holds the password line: masked there.
    assert!(diff.files[0].hunks[0].unified().contains("DB_PASSWORD="));
    assert_hidden(&diff, &["Pr0d-Sup3r-S3cret!"]);
}

#[test]
fn a_changed_password_in_a_compose_dsn_differs_without_showing_it() {
    let b = COMPOSE_A.replace("s3cr3t-Prod-Pw", "n3w-R0tated-Pw");
    let diff = one_file("docker-compose.yml", COMPOSE_A, &b);
    let file = &diff.files[0];
    assert_eq!(
        key_lines(file),
        ["services.web.environment.DATABASE_URL differs"]
    );
    assert_hidden(&diff, &["s3cr3t-Prod-Pw", "n3w-R0tated-Pw"]);
}

#[test]
fn a_yaml_password_key_is_compared_by_hash() {
    let a = "database:\n  host: db.internal\n  password: hunter2-but-longer\n";
    let b = "database:\n  password: correct-horse-battery\n  host: db.internal\n";
    let diff = one_file("app.yaml", a, b);
    assert_eq!(key_lines(&diff.files[0]), ["database.password differs"]);
    assert_hidden(&diff, &["hunter2-but-longer", "correct-horse-battery"]);
    // The same password, keys in another order: equal digests, no drift.
    let reordered = "database:\n  password: hunter2-but-longer\n  host: db.internal\n";
    let same = one_file("app.yaml", a, reordered);
    assert_eq!(same.files[0].status, Status::Same);
}

#[test]
fn a_changed_secret_in_a_text_diff_is_masked_and_still_said() {
    let a = "[client]\nuser = backup\npassword = Old-Backup-Pw-77\nhost = db1\n";
    let b = "[client]\nuser = backup\npassword = New-Backup-Pw-88\nhost = db1\n";
    // Read as text (not INI), the masked lines look the same: the note says what changed.
    let rules = Rules {
        format: Some(crate::drift::compare::Format::Text),
        ..Rules::default()
    };
    let diff = target_with("my.cnf", a, b, &rules, &EnvVars::default());
    let file = &diff.files[0];
    assert_eq!(file.status, Status::Changed);
    assert_eq!(file.note.as_deref(), Some("password differs"));
    let unified = file.hunks[0].unified();
    assert!(
        unified.contains("-password = ••••\n+password = ••••"),
        "{unified}"
    );
    assert_eq!(file.hunks[0].secret_notes, ["password differs"]);
    assert_hidden(&diff, &["Old-Backup-Pw-77", "New-Backup-Pw-88"]);
}

#[test]
fn a_secret_found_on_a_changed_line_is_masked_where_it_reappears() {
    let a = "TOKEN=ghp_1234567890abcdefghijklmnopqrstuvwxyzAB\nx=1\necho ghp_1234567890abcdefghijklmnopqrstuvwxyzAB\n";
    let b = "TOKEN=ghp_1234567890abcdefghijklmnopqrstuvwxyzAB\nx=2\necho ghp_1234567890abcdefghijklmnopqrstuvwxyzAB\n";
    let diff = one_file("run.sh", a, b);
    assert_eq!(diff.files[0].status, Status::Changed);
    assert_hidden(&diff, &["1234567890abcdefghij"]);
}

#[test]
fn a_secret_the_structure_finds_is_masked_in_the_line_diff_too() {
    // The list item's line alone does not look secret; its key path does.
    let a = "db:\n  password:\n    - first-Secret-Value-1\n  pool: 5\n";
    let b = "db:\n  password:\n    - second-Secret-Value-2\n  pool: 5\n";
    let diff = one_file("app.yaml", a, b);
    assert_eq!(key_lines(&diff.files[0]), ["db.password[0] differs"]);
    assert_eq!(diff.files[0].hunks.len(), 1);
    assert_hidden(&diff, &["first-Secret-Value-1", "second-Secret-Value-2"]);
}

#[test]
fn an_unnamed_secret_that_changed_under_the_mask_is_still_said() {
    let a = "curl -H 'Authorization: Bearer abcdef0123456789old' https://api\n";
    let b = "curl -H 'Authorization: Bearer abcdef0123456789new' https://api\n";
    let diff = one_file("probe.sh", a, b);
    let file = &diff.files[0];
    assert_eq!(file.status, Status::Changed);
    let unified = file.hunks[0].unified();
    let (minus, plus) = unified.split_once("\n+").unwrap();
    assert_eq!(minus.split_once("\n-").unwrap().1, plus, "{unified}");
    assert_eq!(
        file.note.as_deref(),
        Some("a masked value differs on line 1")
    );
    assert_hidden(&diff, &["abcdef0123456789"]);
}

#[test]
fn a_changed_secret_in_a_reordered_file_is_a_masked_line_said_by_name() {
    let a = "database:\n  host: db.internal\n  port: 5432\n  user: shop\n  pool: 10\n  password: hunter2-but-longer\ncache:\n  ttl: 60\n  size: 512\n  host: cache.internal\n";
    let b = "cache:\n  host: cache.internal\n  size: 512\n  ttl: 60\ndatabase:\n  password: correct-horse-battery\n  pool: 10\n  user: shop\n  port: 5432\n  host: db.internal\n";
    let diff = one_file("app.yaml", a, b);
    let file = &diff.files[0];
    assert_eq!(key_lines(file), ["database.password differs"]);
    assert_eq!(file.hunks.len(), 1, "{file:?}");
    let unified = file.hunks[0].unified();
    assert!(
        unified.contains("-database.password = ••\n+database.password = ••\n"),
        "{unified}"
    );
    assert_eq!(file.hunks[0].secret_notes, ["database.password differs"]);
    assert_hidden(&diff, &["hunter2-but-longer", "correct-horse-battery"]);
}
