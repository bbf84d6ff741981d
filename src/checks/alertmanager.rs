//! `alertmanager`: the active alerts of an Alertmanager (`GET /api/v2/alerts`) as rows,
//! their state from the `severity` label; and silencing one (`POST /api/v2/silences`,
//! with the sheriff's why as its comment) or expiring a silence
//! (`DELETE /api/v2/silence/{id}`), from the Health pane.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::observation::Observation;
use super::{CheckStatus, HttpClients};

/// The built-in reading of `severity`: critical/page/error are critical, warning/warn a
/// warning, info/none OK; anything else (or none) is a warning, since someone fired it.
pub fn severity_status(severity: Option<&str>, map: &BTreeMap<String, CheckStatus>) -> CheckStatus {
    let Some(severity) = severity else {
        return CheckStatus::Warning;
    };
    if let Some(status) = map.get(severity) {
        return *status;
    }
    match severity.to_ascii_lowercase().as_str() {
        "critical" | "page" | "error" => CheckStatus::Critical,
        "warning" | "warn" => CheckStatus::Warning,
        "info" | "none" => CheckStatus::Ok,
        _ => CheckStatus::Warning,
    }
}

pub async fn observe(
    clients: &HttpClients,
    base: &str,
    severity_map: &BTreeMap<String, CheckStatus>,
    timeout: Duration,
) -> Vec<Observation> {
    let base = base.trim_end_matches('/');
    let url = format!("{base}/api/v2/alerts");
    let request = format!("GET {url}?active=true&silenced=true&inhibited=true\n");
    let client = match clients.plain() {
        Ok(c) => c,
        Err(why) => return vec![Observation::failed(CheckStatus::Unknown, why, request)],
    };
    let started = Instant::now();
    let answer = client
        .get(&url)
        .query(&[
            ("active", "true"),
            ("silenced", "true"),
            ("inhibited", "true"),
        ])
        .timeout(timeout)
        .send()
        .await;
    let response = match answer {
        Ok(r) => r,
        Err(e) => {
            return vec![Observation::failed(
                CheckStatus::Critical,
                super::http::describe(&e),
                request,
            )]
        }
    };
    let code = response.status();
    if !code.is_success() {
        let why = format!("Alertmanager answered {code}");
        return vec![Observation::failed(CheckStatus::Critical, why, request)];
    }
    let alerts: Value = match response.json().await {
        Ok(v) => v,
        Err(e) => {
            let why = format!("the answer is not Alertmanager JSON ({e})");
            return vec![Observation::failed(CheckStatus::Unknown, why, request)];
        }
    };
    let latency = started.elapsed();
    let mut rows = rows_of(&alerts, severity_map, Utc::now());
    if rows.is_empty() {
        rows.push(Observation {
            status: CheckStatus::Ok,
            summary: "no active alerts".into(),
            ..Observation::default()
        });
    }
    for row in &mut rows {
        row.latency = Some(latency);
        row.detail = format!("{request}{}", row.detail);
    }
    rows
}

/// `alertname{instance="db1"}`: what tells two firings of one alert apart.
fn item_name(labels: &BTreeMap<String, String>) -> String {
    item_name_with(labels, false)
}

/// [`item_name`], with `severity` among the labels shown when `with_severity`.
fn item_name_with(labels: &BTreeMap<String, String>, with_severity: bool) -> String {
    let name = labels
        .get("alertname")
        .cloned()
        .unwrap_or_else(|| "alert".into());
    let rest: Vec<String> = labels
        .iter()
        .filter(|(k, _)| k.as_str() != "alertname" && (with_severity || k.as_str() != "severity"))
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    if rest.is_empty() {
        name
    } else {
        format!("{name}{{{}}}", rest.join(","))
    }
}

fn rows_of(
    alerts: &Value,
    map: &BTreeMap<String, CheckStatus>,
    now: DateTime<Utc>,
) -> Vec<Observation> {
    let Some(list) = alerts.as_array() else {
        return Vec::new();
    };
    let mut rows: Vec<Observation> = list
        .iter()
        .map(|alert| {
            let labels: BTreeMap<String, String> = alert["labels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let status = severity_status(labels.get("severity").map(String::as_str), map);
            let since = alert["startsAt"]
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc));
            let silenced: Vec<&str> = ids(&alert["status"]["silencedBy"]);
            let inhibited: Vec<&str> = ids(&alert["status"]["inhibitedBy"]);
            let summary_text = alert["annotations"]["summary"]
                .as_str()
                .or(alert["annotations"]["description"].as_str())
                .unwrap_or("");
            let mut summary = item_name(&labels);
            if !summary_text.is_empty() {
                summary = format!("{summary}: {summary_text}");
            }
            if let Some(since) = since {
                let age = (now - since).to_std().unwrap_or_default();
                summary.push_str(&format!(
                    " (firing for {})",
                    crate::config::duration::format_duration(Duration::from_secs(age.as_secs()))
                ));
            }
            if !silenced.is_empty() {
                summary.push_str(&format!(" [silenced by {}]", silenced.join(", ")));
            }
            if !inhibited.is_empty() {
                summary.push_str(" [inhibited]");
            }
            let detail = serde_json::to_string_pretty(alert).unwrap_or_default();
            let mut labels = labels;
            if !silenced.is_empty() {
                // The pane and `sheriff check --ignore-acked` read silences from here.
                labels.insert("silenced_by".into(), silenced.join(","));
            }
            Observation {
                item: Some(item_name(&labels_without_extras(&labels))),
                status,
                summary,
                detail: format!("{detail}\n"),
                labels,
                ..Observation::default()
            }
        })
        .collect();
    name_apart_by_severity(&mut rows);
    rows.sort_by(|a, b| a.item.cmp(&b.item));
    rows
}

/// Two alerts whose labels differ only in `severity` (a rule pair firing at warning and,
/// further on, at critical) are two rows: their items name the severity too, so neither
/// takes the other's history and damping.
fn name_apart_by_severity(rows: &mut [Observation]) {
    let mut seen: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for row in rows.iter() {
        *seen.entry(row.item.clone()).or_default() += 1;
    }
    for row in rows.iter_mut() {
        if seen.get(&row.item).is_some_and(|n| *n > 1) {
            row.item = Some(item_name_with(&labels_without_extras(&row.labels), true));
        }
    }
}

fn labels_without_extras(labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    labels
        .iter()
        .filter(|(k, _)| *k != "silenced_by")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Silences the alert with these labels for `duration`; returns the silence's id.
pub async fn create_silence(
    client: &reqwest::Client,
    base: &str,
    labels: &BTreeMap<String, String>,
    duration: Duration,
    author: &str,
    comment: &str,
) -> Result<String, String> {
    let now = Utc::now();
    let ends = now + chrono::Duration::from_std(duration).map_err(|e| e.to_string())?;
    let matchers: Vec<Value> = labels
        .iter()
        .filter(|(k, _)| *k != "silenced_by")
        .map(|(k, v)| json!({"name": k, "value": v, "isRegex": false, "isEqual": true}))
        .collect();
    let body = json!({
        "matchers": matchers,
        "startsAt": now.to_rfc3339(),
        "endsAt": ends.to_rfc3339(),
        "createdBy": author,
        "comment": comment,
    });
    let url = format!("{}/api/v2/silences", base.trim_end_matches('/'));
    let response = client
        .post(&url)
        .json(&body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| super::http::describe(&e))?;
    let code = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !code.is_success() {
        return Err(format!(
            "Alertmanager refused the silence ({code}): {answer}"
        ));
    }
    answer["silenceID"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("Alertmanager answered without a silence id: {answer}"))
}

/// Ends a silence now.
pub async fn expire_silence(client: &reqwest::Client, base: &str, id: &str) -> Result<(), String> {
    let url = format!("{}/api/v2/silence/{id}", base.trim_end_matches('/'));
    let response = client
        .delete(&url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| super::http::describe(&e))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!(
            "Alertmanager would not expire silence {id}: {}",
            response.status()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_maps_to_states_with_overrides() {
        let none = BTreeMap::new();
        assert_eq!(severity_status(Some("page"), &none), CheckStatus::Critical);
        assert_eq!(severity_status(Some("warn"), &none), CheckStatus::Warning);
        assert_eq!(severity_status(Some("info"), &none), CheckStatus::Ok);
        assert_eq!(severity_status(Some("P3"), &none), CheckStatus::Warning);
        assert_eq!(severity_status(None, &none), CheckStatus::Warning);
        let map = BTreeMap::from([("P3".to_string(), CheckStatus::Ok)]);
        assert_eq!(severity_status(Some("P3"), &map), CheckStatus::Ok);
    }

    #[test]
    fn alerts_become_rows_with_silences_shown() {
        // The shape of Alertmanager 0.25's GET /api/v2/alerts.
        let alerts = serde_json::json!([{
            "labels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
            "annotations": {"summary": "/srv is 97% full"},
            "startsAt": "2026-12-01T10:00:00Z", "endsAt": "2026-12-01T11:00:00Z",
            "fingerprint": "abc", "receivers": [{"name": "null"}],
            "status": {"state": "suppressed", "silencedBy": ["5a1"], "inhibitedBy": []}
        }]);
        let now = DateTime::parse_from_rfc3339("2026-12-01T10:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let rows = rows_of(&alerts, &BTreeMap::new(), now);
        assert_eq!(rows[0].item.as_deref(), Some(r#"DiskFull{instance="db1"}"#));
        assert_eq!(rows[0].status, CheckStatus::Critical);
        assert_eq!(
            rows[0].summary,
            r#"DiskFull{instance="db1"}: /srv is 97% full (firing for 30m) [silenced by 5a1]"#
        );
        assert_eq!(rows[0].labels["silenced_by"], "5a1");
    }

    #[test]
    fn alerts_that_differ_only_in_severity_are_two_rows() {
        let alert = |severity: &str| {
            serde_json::json!({
                "labels": {"alertname": "DiskFull", "instance": "db1", "severity": severity},
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []}
            })
        };
        let alerts = serde_json::json!([alert("warning"), alert("critical"), {
            "labels": {"alertname": "DiskFull", "instance": "db2", "severity": "warning"},
        }]);
        let rows = rows_of(&alerts, &BTreeMap::new(), Utc::now());
        let items: Vec<(Option<&str>, CheckStatus)> =
            rows.iter().map(|r| (r.item.as_deref(), r.status)).collect();
        assert_eq!(
            items,
            [
                (
                    Some(r#"DiskFull{instance="db1",severity="critical"}"#),
                    CheckStatus::Critical
                ),
                (
                    Some(r#"DiskFull{instance="db1",severity="warning"}"#),
                    CheckStatus::Warning
                ),
                // Alone of its kind, a row keeps its name when its severity changes.
                (Some(r#"DiskFull{instance="db2"}"#), CheckStatus::Warning),
            ]
        );
    }
}
