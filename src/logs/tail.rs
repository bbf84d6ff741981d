//! Following a local log file, as `tail -F` does: new lines as they are appended, and the
//! new file after a rotation or a truncation.
//!
//! Polling (every ~150 ms) rather than inotify: it behaves the same on every filesystem
//! (NFS, bind mounts, overlayfs), costs one `stat` per poll, and a rotation can never be
//! missed between an event and a re-open.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::follow::Follower;
use super::parse::Format;
use crate::config::{Config, LogSource, LogSpec, Target};
use crate::event::{Event, Events};

/// One local file to follow.
#[derive(Debug, Clone, PartialEq)]
pub struct FileTail {
    /// The name lines carry, e.g. "app@production".
    pub source: String,
    pub path: PathBuf,
    /// Lines of existing content sent first, like `tail -n`.
    pub backlog: usize,
    pub poll: Duration,
    /// How its lines are written; `Auto` tells from the first lines.
    pub format: Format,
}

impl FileTail {
    pub fn new(source: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        FileTail {
            source: source.into(),
            path: path.into(),
            backlog: 200,
            poll: Duration::from_millis(150),
            format: Format::Auto,
        }
    }

    /// The same tail, reading its lines in `format`.
    pub fn with_format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }
}

/// How one `[[log]]` is read for one of its targets.
#[derive(Debug, Clone, PartialEq)]
pub enum LogPlan {
    File(FileTail),
    Command(super::command::CommandTail),
    /// A file on a host, read over the SSH pool.
    Remote(super::remote::RemoteTail),
    Journal(super::journal::JournalTail),
    /// A source this build cannot read yet, and why (shown to the user, never faked).
    Unserved {
        source: String,
        reason: String,
    },
}

/// The sources of one `[[log]]`, each reading its lines in the log's `format`: a local
/// file for no target, `root + file` for each env with a `root`, the file on each host
/// (over ssh, one source `name@host` per host) for a host or an env with hosts.
pub fn plan(spec: &LogSpec, config: &Config) -> Vec<LogPlan> {
    let plans = plan_sources(spec, config);
    plans
        .into_iter()
        .map(|plan| match plan {
            LogPlan::File(tail) => LogPlan::File(tail.with_format(spec.format.clone())),
            LogPlan::Command(tail) => LogPlan::Command(tail.with_format(spec.format.clone())),
            LogPlan::Remote(tail) => LogPlan::Remote(tail.with_format(spec.format.clone())),
            // A journal's entries are always journald's JSON.
            other => other,
        })
        .collect()
}

/// Where the lines come from, before the format is applied: one source for no target or a
/// host, one per env with a root, one per host (`name@host`) of an env with hosts.
fn plan_sources(spec: &LogSpec, config: &Config) -> Vec<LogPlan> {
    let no_vars = BTreeMap::new();
    let envs: Vec<&str> = match &spec.target {
        Target::Local => return vec![plan_at(spec, &spec.name, Place::Here, &no_vars)],
        Target::Host(host) => {
            let source = format!("{}@{host}", spec.name);
            return vec![plan_at(spec, &source, Place::Host(host), &no_vars)];
        }
        Target::Envs(envs) => envs.iter().map(String::as_str).collect(),
        Target::Env(env) => vec![env.as_str()],
    };
    let mut plans = Vec::new();
    for env_name in envs {
        let source = format!("{}@{env_name}", spec.name);
        let Some(env) = config.environment(env_name) else {
            let reason = format!("no environment \"{env_name}\"");
            plans.push(LogPlan::Unserved { source, reason });
            continue;
        };
        match &env.root {
            Some(root) => plans.push(plan_at(spec, &source, Place::Root(root), &env.vars)),
            None if env.hosts.is_empty() => plans.push(LogPlan::Unserved {
                source,
                reason: format!("environment \"{env_name}\" has neither hosts nor a root"),
            }),
            None => plans.extend(env.hosts.iter().map(|host| {
                let source = format!("{}@{host}", spec.name);
                plan_at(spec, &source, Place::Host(host), &env.vars)
            })),
        }
    }
    plans
}

/// Where one source of a `[[log]]` is read.
#[derive(Clone, Copy)]
enum Place<'a> {
    /// This machine.
    Here,
    /// This machine, in an env's local copy of its machines.
    Root(&'a Path),
    /// A host, over the SSH pool.
    Host(&'a str),
}

/// The source `source` of `spec` at `place`, with `vars` filling `{key}` in its path,
/// command or unit. Under a root, a file is read at `root + path`, a journal is the one
/// kept under the root (`journalctl --root`, e.g. `/srv/copy/var/log/journal`), and a
/// command runs here as written (a root holds files, not programs to run in it).
fn plan_at(spec: &LogSpec, source: &str, place: Place, vars: &BTreeMap<String, String>) -> LogPlan {
    let host = match place {
        Place::Host(host) => Some(host.to_string()),
        Place::Here | Place::Root(_) => None,
    };
    match &spec.source {
        LogSource::File(path) => {
            let file = crate::config::template_vars(path, vars);
            match place {
                Place::Here => LogPlan::File(FileTail::new(source, file)),
                Place::Root(root) => LogPlan::File(FileTail::new(source, under_root(root, &file))),
                Place::Host(host) => {
                    LogPlan::Remote(super::remote::RemoteTail::new(source, host, file))
                }
            }
        }
        LogSource::Journal(unit) => {
            let unit = crate::config::template_vars(unit, vars);
            let mut tail = super::journal::JournalTail::new(source, &unit);
            tail.host = host;
            if let Place::Root(root) = place {
                tail.journal = vec!["--root".into(), root.display().to_string()];
            }
            LogPlan::Journal(tail)
        }
        LogSource::Command(command) => {
            let command = crate::config::template_vars(command, vars);
            let mut tail = super::command::CommandTail::new(source, command);
            tail.host = host;
            LogPlan::Command(tail)
        }
    }
}

/// `root` + an absolute path from the config: `/var/log/x` under `/srv/copy` is
/// `/srv/copy/var/log/x` (`Path::join` would discard the root).
pub fn under_root(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// Follows `tail.path` until the receiver is gone, sending each read as one `LogLines`.
/// A missing file is waited for (and said so once); errors never end the tail. A path with
/// `*`, `?` or `[` is a glob: see [`super::glob`].
pub async fn run(tail: FileTail, tx: Events) {
    if super::glob::is_glob(&tail.path) {
        return super::glob::run(tail, tx).await;
    }
    let mut follower = Follower::new(tail.source.clone(), tail.backlog, tail.format.clone());
    let mut waiting_said = false;
    loop {
        if tx.is_closed() {
            return;
        }
        match follower.poll(&tail.path).await {
            Ok(lines) => {
                waiting_said = false;
                if !lines.is_empty() {
                    let event = Event::LogLines {
                        source: tail.source.clone(),
                        lines,
                    };
                    if tx.send_data(event).await.is_err() {
                        return;
                    }
                    // More may be waiting (a read is capped): go again without sleeping.
                    if follower.behind {
                        continue;
                    }
                }
            }
            Err(err) if !waiting_said => {
                waiting_said = true;
                let notice = format!(
                    "{}: waiting for {}: {err}",
                    tail.source,
                    tail.path.display()
                );
                if tx.send(Event::Notice(notice)).is_err() {
                    return;
                }
            }
            Err(_) => {}
        }
        tokio::time::sleep(tail.poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::super::command::CommandTail;
    use super::super::journal::JournalTail;
    use super::*;

    #[test]
    fn plans_env_roots_hosts_and_says_what_it_cannot_serve() {
        let mut config = Config::default();
        config.environments.push(crate::config::Environment {
            name: "production".into(),
            root: Some("/srv/prod".into()),
            ..Default::default()
        });
        config.environments.push(crate::config::Environment {
            name: "staging".into(),
            hosts: vec!["web1.staging".into()],
            ..Default::default()
        });
        let spec = LogSpec {
            name: "app".into(),
            target: Target::Envs(vec!["production".into(), "staging".into()]),
            source: LogSource::File("/var/log/app.log".into()),
            format: Format::Auto,
        };
        let plans = plan(&spec, &config);
        let want = FileTail::new("app@production", "/srv/prod/var/log/app.log");
        assert_eq!(plans[0], LogPlan::File(want));
        let want = super::super::remote::RemoteTail::new(
            "app@web1.staging",
            "web1.staging",
            "/var/log/app.log",
        );
        assert_eq!(plans[1], LogPlan::Remote(want));
        assert_eq!(plans.len(), 2);
        let command = LogSpec {
            source: LogSource::Command("journalctl -f".into()),
            ..spec
        };
        let plans = plan(&command, &config);
        // The root is a local copy: its command runs here; the host runs its own.
        let here = super::super::command::CommandTail::new("app@production", "journalctl -f");
        let there = super::super::command::CommandTail::new("app@web1.staging", "journalctl -f")
            .on_host("web1.staging");
        assert_eq!(plans, [LogPlan::Command(here), LogPlan::Command(there)]);
    }

    #[test]
    fn journals_and_commands_run_on_each_host_with_the_env_vars() {
        let mut config = Config::default();
        config.environments.push(crate::config::Environment {
            name: "production".into(),
            hosts: vec!["web1".into(), "web2".into()],
            vars: [("svc".to_string(), "nginx".to_string())].into(),
            ..Default::default()
        });
        config.environments.push(crate::config::Environment {
            name: "copy".into(),
            root: Some("/srv/copy".into()),
            ..Default::default()
        });
        let journal = LogSpec {
            name: "web".into(),
            target: Target::Envs(vec!["production".into(), "copy".into()]),
            source: LogSource::Journal("{svc}.service".into()),
            format: Format::Auto,
        };
        let on = |host: &str| {
            let tail = JournalTail::new(format!("web@{host}"), "nginx.service").on_host(host);
            LogPlan::Journal(tail)
        };
        let mut kept = JournalTail::new("web@copy", "{svc}.service");
        kept.journal = vec!["--root".into(), "/srv/copy".into()];
        assert_eq!(
            plan(&journal, &config),
            [on("web1"), on("web2"), LogPlan::Journal(kept)]
        );
        let command = LogSpec {
            target: Target::Host("db1".into()),
            source: LogSource::Command("tail -f /var/log/{svc}.log".into()),
            ..journal
        };
        let want = CommandTail::new("web@db1", "tail -f /var/log/{svc}.log").on_host("db1");
        assert_eq!(plan(&command, &config), [LogPlan::Command(want)]);
    }

    #[test]
    fn plans_carry_the_format_and_a_local_journal() {
        let config = Config::default();
        let mut spec = LogSpec {
            name: "web".into(),
            target: Target::Local,
            source: LogSource::File("/var/log/nginx/access.log".into()),
            format: Format::NginxAccess,
        };
        let want =
            FileTail::new("web", "/var/log/nginx/access.log").with_format(Format::NginxAccess);
        assert_eq!(plan(&spec, &config), [LogPlan::File(want)]);
        spec.source = LogSource::Journal("nginx.service".into());
        let want = super::super::journal::JournalTail::new("web", "nginx.service");
        assert_eq!(plan(&spec, &config), [LogPlan::Journal(want)]);
    }
}
