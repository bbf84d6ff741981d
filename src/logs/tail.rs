//! Following a local log file, as `tail -F` does: new lines as they are appended, and the
//! new file after a rotation or a truncation.
//!
//! Polling (every ~150 ms) rather than inotify: it behaves the same on every filesystem
//! (NFS, bind mounts, overlayfs), costs one `stat` per poll, and a rotation can never be
//! missed between an event and a re-open.

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
    Journal(super::journal::JournalTail),
    /// A source this build cannot read yet, and why (shown to the user, never faked).
    Unserved {
        source: String,
        reason: String,
    },
}

/// The sources of one `[[log]]`, each reading its lines in the log's `format`.
pub fn plan(spec: &LogSpec, config: &Config) -> Vec<LogPlan> {
    let plans = plan_sources(spec, config);
    plans
        .into_iter()
        .map(|plan| match plan {
            LogPlan::File(tail) => LogPlan::File(tail.with_format(spec.format.clone())),
            LogPlan::Command(tail) => LogPlan::Command(tail.with_format(spec.format.clone())),
            // A journal's entries are always journald's JSON.
            other => other,
        })
        .collect()
}

/// A local file for no target, `root + file` for each env with a `root`; hosts over ssh
/// and command sources are not served yet.
fn plan_sources(spec: &LogSpec, config: &Config) -> Vec<LogPlan> {
    let path = match &spec.source {
        LogSource::File(path) => path,
        LogSource::Command(command) if spec.target == Target::Local => {
            let tail = super::command::CommandTail::new(&spec.name, command);
            return vec![LogPlan::Command(tail)];
        }
        LogSource::Journal(unit) if spec.target == Target::Local => {
            let tail = super::journal::JournalTail::new(&spec.name, unit);
            return vec![LogPlan::Journal(tail)];
        }
        LogSource::Journal(_) => {
            let reason = "journals on hosts arrive with the ssh transport".to_string();
            return vec![LogPlan::Unserved {
                source: spec.name.clone(),
                reason,
            }];
        }
        LogSource::Command(_) => {
            let reason = "commands on hosts arrive with the log engine".to_string();
            return vec![LogPlan::Unserved {
                source: spec.name.clone(),
                reason,
            }];
        }
    };
    let envs: Vec<&str> = match &spec.target {
        Target::Local => return vec![LogPlan::File(FileTail::new(&spec.name, path))],
        Target::Envs(envs) => envs.iter().map(String::as_str).collect(),
        Target::Env(env) => vec![env.as_str()],
        Target::Host(host) => {
            let reason = "log tails over ssh arrive with the transport".to_string();
            return vec![LogPlan::Unserved {
                source: format!("{}@{host}", spec.name),
                reason,
            }];
        }
    };
    envs.into_iter()
        .map(|env_name| {
            let source = format!("{}@{env_name}", spec.name);
            match config.environment(env_name) {
                Some(env) => match &env.root {
                    Some(root) => {
                        let file = crate::config::template_vars(path, &env.vars);
                        LogPlan::File(FileTail::new(source, under_root(root, &file)))
                    }
                    None => LogPlan::Unserved {
                        source,
                        reason: "log tails over ssh arrive with the transport".into(),
                    },
                },
                None => LogPlan::Unserved {
                    source,
                    reason: format!("no environment \"{env_name}\""),
                },
            }
        })
        .collect()
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
    use super::*;

    #[test]
    fn plans_env_roots_and_says_what_it_cannot_serve() {
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
        assert!(matches!(&plans[1], LogPlan::Unserved { source, .. } if source == "app@staging"));
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
