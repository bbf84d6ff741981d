//! Which code observes which kind, with the target's vars filled in, and the one timeout
//! that bounds every run whatever the kind does inside.

use std::time::Duration;

use super::engine::{CheckJob, Resources};
use super::exec::{ExecError, Place};
use super::observation::Observation;
use super::{alertmanager, http, munin, plugin, probes, prometheus, tcp, CheckStatus};
use crate::config::duration::format_duration;
use crate::config::{template_vars, CheckKind};

/// A kind gets its timeout; this is the margin after which the engine stops waiting even
/// if the kind's own timeout did not fire.
const GRACE: Duration = Duration::from_secs(2);

/// Everything one run of `job` saw: one observation per row.
pub async fn observe(job: &CheckJob, res: &Resources) -> Vec<Observation> {
    let timeout = job.spec.timeout;
    match tokio::time::timeout(timeout + GRACE, observe_kind(job, res)).await {
        Ok(rows) if !rows.is_empty() => rows,
        Ok(_) => vec![Observation::failed(
            CheckStatus::Unknown,
            "the check returned nothing",
            String::new(),
        )],
        Err(_) => vec![Observation::failed(
            CheckStatus::Critical,
            format!("timed out after {}", format_duration(timeout)),
            String::new(),
        )],
    }
}

async fn observe_kind(job: &CheckJob, res: &Resources) -> Vec<Observation> {
    let vars = &job.target.vars;
    let fill = |text: &str| template_vars(text, vars);
    let timeout = job.spec.timeout;
    let place = match (&job.target.host, &res.pool) {
        (None, _) => Ok(Place::Here),
        (Some(host), Some(pool)) => Ok(Place::Host { pool, host }),
        (Some(host), None) => Err(format!("{host} is not a configured host")),
    };
    match &job.spec.kind {
        CheckKind::Http(spec) => {
            let mut spec = spec.clone();
            spec.url = fill(&spec.url);
            spec.body = spec.body.as_deref().map(fill);
            for (_, value) in &mut spec.headers {
                *value = fill(value);
            }
            let by_expect = http::expects_status(&job.spec.expect)
                || http::expects_status(&job.spec.expect_warn);
            vec![http::observe(&res.http, &spec, timeout, by_expect).await]
        }
        CheckKind::Tcp {
            address,
            send,
            banner,
        } => vec![tcp::observe(&fill(address), send.as_deref(), banner.as_deref(), timeout).await],
        CheckKind::Munin { address, plugin } => {
            let via = match (&job.target.host, &res.pool) {
                (Some(host), Some(pool)) => Some((pool, host.as_str())),
                _ => None,
            };
            munin::observe(&fill(address), plugin, via, timeout).await
        }
        CheckKind::Prometheus { url, query } => {
            prometheus::observe(&res.http, &fill(url), &fill(query), &job.spec, timeout).await
        }
        CheckKind::Alertmanager { url, severity_map } => {
            alertmanager::observe(&res.http, &fill(url), severity_map, timeout).await
        }
        kind => {
            let place = match place {
                Ok(place) => place,
                Err(why) => return vec![unreachable(why)],
            };
            let (command, is_probe) = match kind {
                CheckKind::Nagios { command } | CheckKind::Command { command } => {
                    (fill(command), false)
                }
                other => (probes::command(other).unwrap_or_default(), true),
            };
            let ran = match place.run(&command, timeout).await {
                Ok(ran) => ran,
                Err(ExecError::Unreachable(why)) => return vec![unreachable(why)],
                Err(err) => {
                    let detail = format!("$ {command}\n(ran {})\n", place.name());
                    return vec![Observation::failed(
                        CheckStatus::Critical,
                        err.to_string(),
                        detail,
                    )];
                }
            };
            let mut rows = match kind {
                CheckKind::Nagios { .. } => {
                    vec![plugin::observe_nagios(&command, place.name(), &ran)]
                }
                CheckKind::Command { .. } => {
                    vec![plugin::observe_command(&command, place.name(), &ran)]
                }
                _ => probes::observe(kind, &ran),
            };
            for row in &mut rows {
                row.latency = Some(ran.elapsed);
                if is_probe {
                    row.detail = format!("$ {command}\n(ran {})\n{}", place.name(), row.detail);
                }
            }
            rows
        }
    }
}

fn unreachable(why: String) -> Observation {
    Observation {
        unreachable: true,
        ..Observation::failed(CheckStatus::Unknown, why, String::new())
    }
}
