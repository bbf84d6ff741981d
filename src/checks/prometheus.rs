//! `prometheus`: an instant query (`/api/v1/query`), one row per series judged by
//! `expect` on `value` and `label.NAME`; with `forecast`, the series' recent past from
//! `/api/v1/query_range` over `forecast_window`, so a new sheriff sees the trend at once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::observation::{Observation, Seen};
use super::{CheckStatus, HttpClients, Metric};
use crate::config::CheckSpec;

/// Points asked of `query_range` over the window: enough to fit a line, few enough to be
/// cheap for the server.
const RANGE_POINTS: i64 = 120;

pub async fn observe(
    clients: &HttpClients,
    base: &str,
    query: &str,
    spec: &CheckSpec,
    timeout: Duration,
) -> Vec<Observation> {
    let client = match clients.plain() {
        Ok(c) => c,
        Err(why) => {
            return vec![Observation::failed(
                CheckStatus::Unknown,
                why,
                String::new(),
            )]
        }
    };
    let base = base.trim_end_matches('/');
    let url = format!("{base}/api/v1/query");
    let request = format!("GET {url}?query={query}\n");
    let started = Instant::now();
    let answer = get(&client, &url, &[("query", query.to_string())], timeout).await;
    let latency = started.elapsed();
    let data = match answer {
        Ok(data) => data,
        Err(why) => return vec![Observation::failed(CheckStatus::Critical, why, request)],
    };
    let mut rows = match vector_rows(&data) {
        Ok(rows) => rows,
        Err(why) => {
            return vec![Observation::failed(
                CheckStatus::Unknown,
                why,
                format!("{request}{data}\n"),
            )]
        }
    };
    if rows.is_empty() {
        let status = if spec.expect.is_empty() && spec.expect_warn.is_empty() {
            CheckStatus::Ok
        } else {
            CheckStatus::Unknown
        };
        rows.push(Observation::failed(
            status,
            "the query matches no series",
            request.clone(),
        ));
    }
    if spec.forecast.is_some() {
        let past = range(&client, base, query, spec.forecast_window, timeout).await;
        for row in &mut rows {
            if let Some(series) = past.get(&row.labels) {
                row.past = series
                    .iter()
                    .map(|(at, v)| (*at, "value".to_string(), *v))
                    .collect();
            }
        }
    }
    for row in &mut rows {
        row.latency = Some(latency);
        row.detail = format!("{request}{}", row.detail);
    }
    rows
}

async fn get(
    client: &reqwest::Client,
    url: &str,
    params: &[(&str, String)],
    timeout: Duration,
) -> Result<Value, String> {
    let response = client
        .get(url)
        .query(params)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| super::http::describe(&e))?;
    let code = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("{code}: the answer is not Prometheus JSON ({e})"))?;
    if body["status"] != "success" {
        let kind = body["errorType"].as_str().unwrap_or("error");
        let message = body["error"].as_str().unwrap_or("no message");
        return Err(format!("query failed ({kind}): {message}"));
    }
    Ok(body["data"].clone())
}

/// `name{a="1",b="2"}`: how Prometheus itself writes a series.
fn series_name(labels: &BTreeMap<String, String>) -> String {
    let name = labels.get("__name__").cloned().unwrap_or_default();
    let rest: Vec<String> = labels
        .iter()
        .filter(|(k, _)| *k != "__name__")
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    if rest.is_empty() {
        if name.is_empty() {
            "{}".into()
        } else {
            name
        }
    } else {
        format!("{name}{{{}}}", rest.join(","))
    }
}

fn labels_of(metric: &Value) -> BTreeMap<String, String> {
    metric
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// A sample `[unix_secs, "value"]`; Prometheus sends values as strings ("NaN", "+Inf").
fn sample(pair: &Value) -> Option<(DateTime<Utc>, f64)> {
    let ts = pair.get(0)?.as_f64()?;
    let value: f64 = pair.get(1)?.as_str()?.parse().ok()?;
    let at = DateTime::from_timestamp_millis((ts * 1000.0) as i64)?;
    Some((at, value))
}

fn vector_rows(data: &Value) -> Result<Vec<Observation>, String> {
    let result = &data["result"];
    let series: Vec<(BTreeMap<String, String>, &Value)> = match data["resultType"].as_str() {
        Some("vector") => result
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| (labels_of(&s["metric"]), &s["value"]))
                    .collect()
            })
            .unwrap_or_default(),
        Some("scalar") => vec![(BTreeMap::new(), result)],
        Some(other) => {
            return Err(format!(
                "the query gives a {other}; a check needs an instant vector or a scalar"
            ))
        }
        None => return Err("the answer has no resultType".into()),
    };
    let single = series.len() == 1;
    Ok(series
        .into_iter()
        .map(|(labels, pair)| {
            let name = series_name(&labels);
            let value = sample(pair).map(|(_, v)| v);
            let shown = value.map_or("no value".to_string(), |v| format!("{v}"));
            Observation {
                item: (!single || !labels.is_empty()).then(|| name.clone()),
                status: CheckStatus::Ok,
                summary: format!("{name} = {shown}"),
                detail: format!("{name} {shown}\n"),
                metrics: vec![Metric::new("value", value.filter(|v| v.is_finite()), "")],
                facts: Seen {
                    value,
                    ..Seen::default()
                },
                labels,
                ..Observation::default()
            }
        })
        .collect())
}

/// Each series' samples over the window, by labels; empty when the server cannot say.
async fn range(
    client: &reqwest::Client,
    base: &str,
    query: &str,
    window: Duration,
    timeout: Duration,
) -> BTreeMap<BTreeMap<String, String>, Vec<(DateTime<Utc>, f64)>> {
    let end = Utc::now().timestamp();
    let span = window.as_secs() as i64;
    let step = (span / RANGE_POINTS).max(1);
    let params = [
        ("query", query.to_string()),
        ("start", (end - span).to_string()),
        ("end", end.to_string()),
        ("step", step.to_string()),
    ];
    let url = format!("{base}/api/v1/query_range");
    let Ok(data) = get(client, &url, &params, timeout).await else {
        return BTreeMap::new();
    };
    data["result"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|s| {
                    let points = s["values"]
                        .as_array()
                        .map(|v| {
                            v.iter()
                                .filter_map(sample)
                                .filter(|(_, x)| x.is_finite())
                                .collect()
                        })
                        .unwrap_or_default();
                    (labels_of(&s["metric"]), points)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_series_is_a_row_named_as_prometheus_names_it() {
        // The shape of Prometheus 2.42's /api/v1/query answer.
        let data = json!({"resultType":"vector","result":[
            {"metric":{"__name__":"up","instance":"localhost:9090","job":"prometheus"},"value":[1733000000.123,"1"]},
            {"metric":{"__name__":"up","instance":"db1:9100","job":"node"},"value":[1733000000.123,"0"]}
        ]});
        let rows = vector_rows(&data).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].item.as_deref(),
            Some(r#"up{instance="localhost:9090",job="prometheus"}"#)
        );
        assert_eq!(rows[1].facts.value, Some(0.0));
        assert_eq!(rows[1].labels["instance"], "db1:9100");
        let scalar =
            vector_rows(&json!({"resultType":"scalar","result":[1733000000,"0.93"]})).unwrap();
        assert_eq!(scalar[0].item, None);
        assert_eq!(scalar[0].facts.value, Some(0.93));
        assert!(vector_rows(&json!({"resultType":"matrix","result":[]})).is_err());
    }
}
