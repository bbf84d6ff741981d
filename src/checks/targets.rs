//! Which rows a check has: the one expansion of a `[[check]]`'s `on`/`envs` into targets,
//! used by the workers that run checks, by the Health pane that shows them and by the
//! headless commands, so no row exists that never gets a result.

use std::collections::BTreeMap;

use crate::config::{CheckSpec, Config, Target};

/// One place a check runs: one row in the Health pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTarget {
    /// What the row shows and results carry: an env, a host, or "local".
    pub name: String,
    /// The host the check runs on over SSH; `None` runs it from here.
    pub host: Option<String>,
    /// Values for `{key}` in the check's URL or command.
    pub vars: BTreeMap<String, String>,
}

impl CheckTarget {
    /// This machine, with no vars: a check with neither `on` nor `envs`.
    pub fn local() -> CheckTarget {
        CheckTarget {
            name: "local".into(),
            host: None,
            vars: BTreeMap::new(),
        }
    }
}

/// The targets of `spec`, in config order.
///
/// - A check that runs from here (HTTP) runs once per env named, with the env's vars; on a
///   host, with the vars of the env it belongs to plus `{host}`.
/// - A check that runs on hosts (disk, nagios, command) runs on each host of each env
///   named; an env without hosts is its own target, run locally.
pub fn expand(config: &Config, spec: &CheckSpec) -> Vec<CheckTarget> {
    let envs: Vec<&str> = match &spec.target {
        Target::Local => {
            return vec![CheckTarget {
                name: "local".into(),
                host: None,
                vars: BTreeMap::new(),
            }]
        }
        Target::Host(host) => return vec![host_target(config, host)],
        Target::Envs(envs) => envs.iter().map(String::as_str).collect(),
        Target::Env(env) => vec![env.as_str()],
    };
    let mut out = Vec::new();
    for env_name in envs {
        let env = config.environment(env_name);
        let hosts = env.map(|e| e.hosts.as_slice()).unwrap_or_default();
        if spec.kind.runs_on_hosts() && !hosts.is_empty() {
            out.extend(hosts.iter().map(|h| host_target(config, h)));
        } else {
            out.push(CheckTarget {
                name: env_name.to_string(),
                host: None,
                vars: env.map(|e| e.vars.clone()).unwrap_or_default(),
            });
        }
    }
    out
}

/// A host borrows the vars of the env it belongs to, plus its own name as `{host}`.
fn host_target(config: &Config, host: &str) -> CheckTarget {
    let mut vars = config
        .environments
        .iter()
        .find(|e| e.hosts.iter().any(|h| h == host))
        .map(|e| e.vars.clone())
        .unwrap_or_default();
    vars.insert("host".into(), host.to_string());
    CheckTarget {
        name: host.to_string(),
        host: Some(host.to_string()),
        vars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CheckKind, DiskLimit, Environment, HttpSpec};

    fn config() -> Config {
        let mut config = Config::default();
        config.environments.push(Environment {
            name: "production".into(),
            hosts: vec!["web1.prod".into(), "db1.prod".into()],
            vars: [("domain".to_string(), "example.org".to_string())].into(),
            ..Default::default()
        });
        config.environments.push(Environment {
            name: "staging".into(),
            ..Default::default()
        });
        config
    }

    fn spec(kind: CheckKind, target: Target) -> CheckSpec {
        CheckSpec::new("c", target, kind)
    }

    fn names(targets: &[CheckTarget]) -> Vec<&str> {
        targets.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn http_runs_once_per_env_with_its_vars() {
        let http = CheckKind::Http(HttpSpec::get("https://{domain}/"));
        let envs = Target::Envs(vec!["production".into(), "staging".into()]);
        let targets = expand(&config(), &spec(http, envs));
        assert_eq!(names(&targets), ["production", "staging"]);
        assert_eq!(targets[0].vars["domain"], "example.org");
        assert_eq!(targets[0].host, None);
    }

    #[test]
    fn host_kinds_run_on_each_host_and_hostless_envs_locally() {
        let disk = CheckKind::Disk {
            path: "/srv".into(),
            warn: DiskLimit::UsedPercent(80.0),
            crit: DiskLimit::UsedPercent(90.0),
        };
        let envs = Target::Envs(vec!["production".into(), "staging".into()]);
        let targets = expand(&config(), &spec(disk, envs));
        assert_eq!(names(&targets), ["web1.prod", "db1.prod", "staging"]);
        assert_eq!(targets[0].host.as_deref(), Some("web1.prod"));
        assert_eq!(targets[0].vars["host"], "web1.prod");
        assert_eq!(targets[0].vars["domain"], "example.org");
        assert_eq!(targets[2].host, None);
    }
}
