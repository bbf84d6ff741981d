//! Checks across sections: every name a section refers to exists, names are unique, and
//! `on = "NAME"` is resolved to an environment or a host.

use std::ops::Range;

use toml::Spanned;

use super::diagnostic::{did_you_mean, line_col};
use super::fields::{toml_key, Problems};
use super::model::{
    AutofileRule, CheckSpec, Config, DriftSpec, Environment, HandoffSpec, Host, LogSpec, Target,
    TrackerSpec, UiSpec,
};
use super::sections::Located;

/// Every section as read, before references between them are checked.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub environments: Vec<Located<Environment>>,
    pub hosts: Vec<Located<Host>>,
    pub checks: Vec<Located<CheckSpec>>,
    pub logs: Vec<Located<LogSpec>>,
    pub drifts: Vec<Located<DriftSpec>>,
    pub tracker: TrackerSpec,
    pub autofile: Vec<AutofileRule>,
    pub handoff: HandoffSpec,
    pub ui: UiSpec,
    pub logs_view: super::model::LogsView,
}

/// Checks references and uniqueness, and builds the `Config` (which is only used when no
/// problem was found). `text` is the file, for "the first is on line N".
pub(crate) fn resolve(mut parsed: Parsed, text: &str, problems: &mut Problems) -> Config {
    let env_names: Vec<String> = parsed
        .environments
        .iter()
        .map(|e| e.spec.name.clone())
        .collect();
    let declared: Vec<String> = parsed.hosts.iter().map(|h| h.spec.name.clone()).collect();
    // A host an environment lists without a [hosts.NAME] section is reached by its name
    // (an ~/.ssh/config alias), as in DESIGN.md's example; only a near miss of a declared
    // host is taken for a typo.
    let mut implicit: Vec<String> = Vec::new();
    for env in &parsed.environments {
        for host in &env.refs {
            let name = host.get_ref();
            let typo = did_you_mean(name, declared.iter().map(String::as_str)).is_some();
            if !declared.contains(name) && !typo && !implicit.contains(name) {
                implicit.push(name.clone());
            }
        }
    }
    let host_names: Vec<String> = declared.iter().chain(&implicit).cloned().collect();
    let names = Names {
        envs: &env_names,
        hosts: &host_names,
    };

    for host in &parsed.hosts {
        if env_names.contains(&host.spec.name) {
            let message = format!(
                "host \"{}\" has the same name as an environment: rename one so that on = \"{}\" \
                 means one thing",
                host.spec.name, host.spec.name
            );
            problems.at(host.name_span.clone(), message);
        }
    }
    for env in &parsed.environments {
        for host in &env.refs {
            names.host(host, problems);
        }
    }
    for check in &mut parsed.checks {
        for env in &check.refs {
            names.environment(env, problems);
        }
        if let Some(on) = &check.on {
            check.spec.target = names.on(on, problems);
        }
    }
    for log in &mut parsed.logs {
        if let Some(on) = &log.on {
            log.spec.target = names.on(on, problems);
        }
    }
    for drift in &parsed.drifts {
        for env in &drift.refs {
            names.environment(env, problems);
        }
        // `replace` swaps each env's value of a var for the literal, so both must have it.
        for (i, env_name) in drift.refs.iter().enumerate() {
            let repeat = drift.refs[..i]
                .iter()
                .any(|e| e.get_ref() == env_name.get_ref());
            let env = parsed
                .environments
                .iter()
                .find(|e| &e.spec.name == env_name.get_ref());
            let Some(env) = env.filter(|_| !repeat) else {
                continue;
            };
            for var in &drift.vars {
                // `{host}` is each host's own name, set wherever the env has hosts.
                let host_name = var.get_ref() == "host" && !env.spec.hosts.is_empty();
                if !host_name && !env.spec.vars.contains_key(var.get_ref()) {
                    let message = format!(
                        "replace uses var \"{}\", which environment \"{}\" does not set: add it to \
                         vars in [environments.{}]",
                        var.get_ref(),
                        env.spec.name,
                        toml_key(&env.spec.name)
                    );
                    problems.at(var.span(), message);
                }
            }
        }
    }

    // Environments and hosts are TOML keys: the parser already refuses repeats.
    let checks = parsed
        .checks
        .iter()
        .map(|l| (l.spec.name.as_str(), l.name_span.clone()));
    unique(text, "check", checks, problems);
    let logs = parsed
        .logs
        .iter()
        .map(|l| (l.spec.name.as_str(), l.name_span.clone()));
    unique(text, "log", logs, problems);
    let drifts = parsed
        .drifts
        .iter()
        .map(|l| (l.spec.name.as_str(), l.name_span.clone()));
    unique(text, "drift", drifts, problems);

    Config {
        source: None,
        environments: parsed.environments.into_iter().map(|l| l.spec).collect(),
        hosts: parsed
            .hosts
            .into_iter()
            .map(|l| l.spec)
            .chain(implicit.iter().map(|name| Host::named(name)))
            .collect(),
        checks: parsed.checks.into_iter().map(|l| l.spec).collect(),
        logs: parsed.logs.into_iter().map(|l| l.spec).collect(),
        drifts: parsed.drifts.into_iter().map(|l| l.spec).collect(),
        tracker: parsed.tracker,
        autofile: parsed.autofile,
        handoff: parsed.handoff,
        ui: parsed.ui,
        logs_view: parsed.logs_view,
    }
}

/// Reports each name seen before, at the repeat. Empty names were reported already.
fn unique<'a>(
    text: &str,
    what: &str,
    items: impl Iterator<Item = (&'a str, Range<usize>)>,
    problems: &mut Problems,
) {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for (name, span) in items {
        if name.is_empty() {
            continue;
        }
        match seen.iter().find(|(n, _)| *n == name) {
            Some((_, first)) => {
                let (line, _) = line_col(text, *first);
                let message = format!(
                    "duplicate {what} name \"{name}\" (the first is on line {line}): give each \
                     {what} its own name"
                );
                problems.at(span, message);
            }
            None => seen.push((name, span.start)),
        }
    }
}

struct Names<'a> {
    envs: &'a [String],
    hosts: &'a [String],
}

impl Names<'_> {
    fn environment(&self, name: &Spanned<String>, problems: &mut Problems) {
        let name_ref = name.get_ref();
        if self.envs.contains(name_ref) {
            return;
        }
        let message = match did_you_mean(name_ref, self.envs.iter().map(String::as_str)) {
            Some(s) => format!("unknown environment \"{name_ref}\" (did you mean \"{s}\"?)"),
            None => format!(
                "unknown environment \"{name_ref}\": define [environments.{}] or use one of: {}",
                toml_key(name_ref),
                list(self.envs)
            ),
        };
        problems.at(name.span(), message);
    }

    fn host(&self, name: &Spanned<String>, problems: &mut Problems) {
        let name_ref = name.get_ref();
        if self.hosts.contains(name_ref) {
            return;
        }
        let message = match did_you_mean(name_ref, self.hosts.iter().map(String::as_str)) {
            Some(s) => format!("unknown host \"{name_ref}\" (did you mean \"{s}\"?)"),
            None => format!(
                "unknown host \"{name_ref}\": add a [hosts.{}] section (it may be empty, to use \
                 ~/.ssh/config)",
                toml_key(name_ref)
            ),
        };
        problems.at(name.span(), message);
    }

    /// `on` names an environment (every host of it) or a single host.
    fn on(&self, name: &Spanned<String>, problems: &mut Problems) -> Target {
        let name_ref = name.get_ref();
        if self.envs.contains(name_ref) {
            return Target::Env(name_ref.clone());
        }
        if self.hosts.contains(name_ref) {
            return Target::Host(name_ref.clone());
        }
        let all = self.envs.iter().chain(self.hosts).map(String::as_str);
        let message = match did_you_mean(name_ref, all) {
            Some(s) => {
                format!("unknown environment or host \"{name_ref}\" (did you mean \"{s}\"?)")
            }
            None => format!(
                "unknown environment or host \"{name_ref}\": on names an [environments.NAME] or \
                 a [hosts.NAME] section"
            ),
        };
        problems.at(name.span(), message);
        Target::Env(name_ref.clone())
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "(none defined yet)".to_string()
    } else {
        names.join(", ")
    }
}
