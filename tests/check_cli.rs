//! `sheriff check` as Nagios, Icinga, cron and CI call it: the exit code for each mix of
//! states, the JSON rows, the filters, acknowledged rows, and UNKNOWN (3) for a bad config
//! or bad usage.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sheriff::handoff::{Entry, EntryKind, Log, Refs};

fn sheriff_bin() -> PathBuf {
    std::env::var_os("SHERIFF_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sheriff")))
}

/// A check of each state, by name: `ok`, `warning`, `unknown`, `critical`.
fn check(state: &str) -> String {
    let kind = match state {
        "ok" => r#"command = "echo all good""#.to_string(),
        "warning" => r#"nagios = "echo 'SLOW WARNING - 5s | time=5s;1;10;0'; exit 1""#.to_string(),
        "unknown" => r#"nagios = "echo 'CONFUSED - no data'; exit 3""#.to_string(),
        _ => r#"command = "echo down >&2; exit 1""#.to_string(),
    };
    format!("[[check]]\nname = \"{state}\"\n{kind}\nowner = \"alex\"\ntier = \"critical\"\n\n")
}

fn config(dir: &Path, checks: &[&str]) -> PathBuf {
    let path = dir.join(format!("{}.toml", checks.join("-")));
    let mut text: String = checks.iter().map(|c| check(c)).collect();
    text.push_str(&format!(
        "[handoff]\nauthor = \"alex\"\npath = \"{}\"\n",
        dir.join("handoff.jsonl").display()
    ));
    std::fs::write(&path, text).expect("write config");
    path
}

fn run(home: &Path, args: &[&str]) -> Output {
    Command::new(sheriff_bin())
        .arg("check")
        .args(args)
        .env("HOME", home)
        .output()
        .expect("run sheriff check")
}

#[test]
fn the_exit_code_follows_the_worst_row_in_nagios_order() {
    let home = tempfile::tempdir().expect("temp home");
    for (mix, code) in [
        (&["ok"][..], 0),
        (&["ok", "warning"][..], 1),
        (&["ok", "warning", "unknown"][..], 3),
        (&["unknown", "critical"][..], 2),
        (&["ok", "warning", "unknown", "critical"][..], 2),
        (&["critical"][..], 2),
    ] {
        let path = config(home.path(), mix);
        let out = run(home.path(), &["--config", path.to_str().unwrap()]);
        let table = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(code), "{mix:?}:\n{table}");
        assert_eq!(table.lines().count(), mix.len(), "a line per row:\n{table}");
    }
}

#[test]
fn json_has_one_object_per_row_with_metrics_as_the_plugin_wrote_them() {
    let home = tempfile::tempdir().expect("temp home");
    let path = config(home.path(), &["ok", "warning"]);
    let out = run(home.path(), &["--json", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = json["checks"].as_array().expect("checks");
    assert_eq!(rows.len(), 2);
    let warning = rows.iter().find(|r| r["name"] == "warning").expect("row");
    assert_eq!(warning["state"], "warning");
    assert_eq!(warning["kind"], "nagios");
    assert_eq!(warning["summary"], "SLOW WARNING - 5s");
    assert_eq!(warning["item"], serde_json::Value::Null);
    assert_eq!(warning["env"], serde_json::Value::Null);
    assert_eq!(warning["owner"], "alex");
    assert_eq!(warning["tier"], "critical");
    assert_eq!(warning["forecast"], serde_json::Value::Null);
    assert_eq!(warning["acked_by"], serde_json::Value::Null);
    assert!(warning["latency_ms"].as_f64().is_some());
    let metric = &warning["metrics"][0];
    assert_eq!(metric["label"], "time");
    assert_eq!(metric["value"], 5.0);
    assert_eq!(metric["uom"], "s");
    assert_eq!(metric["warn"], "1");
    assert_eq!(metric["crit"], "10");
    assert_eq!(metric["min"], 0.0);
    assert_eq!(metric["max"], serde_json::Value::Null);
}

#[test]
fn names_pick_checks_and_an_acknowledged_row_can_be_left_out() {
    let home = tempfile::tempdir().expect("temp home");
    let path = config(home.path(), &["ok", "critical"]);
    let p = path.to_str().unwrap();
    let only_ok = run(home.path(), &["--config", p, "ok"]);
    assert_eq!(only_ok.status.code(), Some(0));
    assert_eq!(run(home.path(), &["--config", p]).status.code(), Some(2));

    let log = Log::from_spec(&sheriff::config::load(&path).unwrap().handoff);
    let refs = Refs {
        check: Some("critical".into()),
        env: Some("local".into()),
        ..Refs::default()
    };
    let ack = Entry::new(EntryKind::Ack, "sam", "on it").with_refs(refs);
    log.append(ack).expect("append the ack");

    let out = run(home.path(), &["--json", "--config", p]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let critical = json["checks"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == "critical"))
        .cloned()
        .expect("row");
    assert_eq!(critical["acked_by"], "sam");
    assert_eq!(
        out.status.code(),
        Some(2),
        "acknowledged rows count by default"
    );
    let ignoring = run(home.path(), &["--ignore-acked", "--config", p]);
    assert_eq!(ignoring.status.code(), Some(0));
}

#[test]
fn bad_config_unknown_names_and_bad_usage_are_unknown() {
    let home = tempfile::tempdir().expect("temp home");
    let bad = home.path().join("bad.toml");
    std::fs::write(&bad, "[[check]]\nname = \"x\"\nhtp = \"http://x/\"\n").unwrap();
    let out = run(home.path(), &["--config", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("SHERIFF UNKNOWN - "), "{said}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.toml:3:1"),
        "the error names the file and line"
    );

    let good = config(home.path(), &["ok"]);
    let out = run(home.path(), &["--config", good.to_str().unwrap(), "nope"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no check named \"nope\""));

    let out = run(home.path(), &["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(3));
}
