//! Silencing an alert from the Health pane, against a real Alertmanager: `s` asks for how
//! long and why, the silence is created with the why as its comment (checked through
//! `GET /api/v2/silences`), the row shows it silenced, a change is recorded; `u` expires it.

#[path = "support/monitoring.rs"]
mod monitoring;
#[path = "support/tmux.rs"]
mod tmux;

use std::path::Path;
use std::time::{Duration, Instant};

use monitoring::Alertmanager;
use serde_json::{json, Value};
use tmux::Tmux;

const WAIT: Duration = Duration::from_secs(20);

fn entries(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn silences_for(am: &Alertmanager, alertname: &str) -> Vec<Value> {
    am.silences()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|s| {
            s["matchers"].as_array().is_some_and(|m| {
                m.iter()
                    .any(|m| m["name"] == "alertname" && m["value"] == alertname)
            })
        })
        .collect()
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < WAIT, "{what}: not within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_alert_is_silenced_with_its_why_and_then_expired() {
    let am = Alertmanager::shared();
    let alertname = format!("DiskFull{}", std::process::id());
    am.post_alerts(json!([{
        "labels": {"alertname": alertname, "instance": "db1", "severity": "critical"},
        "annotations": {"summary": "/srv is 97% full"}
    }]));
    let home = tempfile::tempdir().expect("temp home");
    let log = home.path().join("handoff.jsonl");
    let config = home.path().join("sheriff.toml");
    std::fs::write(
        &config,
        format!(
            "[[check]]\nname = \"alerts\"\nalertmanager = \"{}\"\nevery = \"1s\"\n\n\
             [handoff]\nauthor = \"alex\"\npath = \"{}\"\n",
            am.url(),
            log.display()
        ),
    )
    .expect("write config");

    let term = Tmux::sheriff(home.path(), &config, (160, 40), &[]);
    term.wait_for(&format!("✖ alerts {alertname}"), WAIT);
    term.send(&["1"]);
    term.send(&["s"]);
    term.wait_for("Silence", WAIT);
    term.send(&["Tab"]);
    term.send(&["known: cleanup job running, ticket OPS-42"]);
    term.send(&["C-s"]);
    term.wait_for("silenced", WAIT);

    wait_until("the silence exists", || {
        !silences_for(am, &alertname).is_empty()
    });
    let silence = silences_for(am, &alertname).remove(0);
    assert_eq!(
        silence["comment"],
        "known: cleanup job running, ticket OPS-42"
    );
    assert_eq!(silence["createdBy"], "alex");
    assert_eq!(silence["status"]["state"], "active");
    let matchers = silence["matchers"].as_array().cloned().unwrap_or_default();
    assert!(matchers
        .iter()
        .any(|m| m["name"] == "instance" && m["value"] == "db1"));

    // The next run shows the alert silenced (zoomed, so the whole summary fits); the
    // change is in the handoff log with its why.
    term.send(&["z"]);
    term.wait_for("[silenced by", WAIT);
    wait_until("the change is recorded", || {
        entries(&log).iter().any(|e| {
            e["kind"] == "change"
                && e["why"] == "known: cleanup job running, ticket OPS-42"
                && e["text"].as_str().unwrap_or("").contains("silenced")
        })
    });

    term.send(&["u"]);
    term.wait_for("expired silence", WAIT);
    wait_until("the silence is expired", || {
        silences_for(am, &alertname)
            .iter()
            .all(|s| s["status"]["state"] == "expired")
    });
    term.send(&["q"]);
    term.assert_restored();
}
