//! The validated, resolved configuration the rest of sheriff reads.
//!
//! `load` turns TOML into these types; nothing outside `config/` sees raw TOML. Every name
//! reference (an env in `envs`, a host in an env, `on`, `between`) has been checked by the
//! time a `Config` exists, so consumers may look names up without handling "not found".

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

/// A whole sheriff configuration, in file order where order matters to the user.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file this was loaded from (None for a config built in code).
    pub source: Option<PathBuf>,
    pub environments: Vec<Environment>,
    pub hosts: Vec<Host>,
    pub checks: Vec<CheckSpec>,
    pub logs: Vec<LogSpec>,
    pub drifts: Vec<DriftSpec>,
    pub tracker: TrackerSpec,
    pub handoff: HandoffSpec,
    pub ui: UiSpec,
}

impl Config {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }
}

/// `[environments.NAME]`: a named group of hosts (or a local root) with template vars.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Environment {
    pub name: String,
    pub hosts: Vec<String>,
    /// Values substituted for `{key}` in check URLs, paths and commands.
    pub vars: BTreeMap<String, String>,
    /// No hosts: paths are read locally under this root.
    pub root: Option<PathBuf>,
}

/// `[hosts.NAME]`: how to reach one machine. Unset fields fall back to `~/.ssh/config`.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub name: String,
    /// `user@addr:port`, `addr`, or an alias from `~/.ssh/config`. None: the name itself.
    pub ssh: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_file: Option<PathBuf>,
    pub proxy_jump: Option<String>,
    /// Extra known_hosts file checked after the user's and the system's.
    pub known_hosts: Option<PathBuf>,
    /// Trust an unknown host key on first use (off by default; never for a changed key).
    pub accept_new: bool,
    /// Password authentication is off unless a host opts in.
    pub password_auth: bool,
    /// Concurrent channels on the one connection to this host.
    pub max_channels: usize,
    pub connect_timeout: Option<Duration>,
    pub keepalive: Option<Duration>,
}

impl Host {
    pub fn named(name: &str) -> Self {
        Host {
            name: name.to_string(),
            ssh: None,
            user: None,
            port: None,
            identity_file: None,
            proxy_jump: None,
            known_hosts: None,
            accept_new: false,
            password_auth: false,
            max_channels: 8,
            connect_timeout: None,
            keepalive: None,
        }
    }
}

/// Where a check, log or other spec runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// On this machine (no `on`/`envs`).
    Local,
    /// Once per named environment (`envs = [...]`), with that env's vars.
    Envs(Vec<String>),
    /// `on = "NAME"` naming an environment: every host of it.
    Env(String),
    /// `on = "NAME"` naming a host.
    Host(String),
}

/// `[[check]]`
#[derive(Debug, Clone)]
pub struct CheckSpec {
    pub name: String,
    pub target: Target,
    pub kind: CheckKind,
    pub every: Duration,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    /// `http = "URL"`, with `expect` conditions such as `status == 200`, `time < 500ms`.
    Http { url: String, expect: Vec<String> },
    /// `disk = "/path"` with `warn`/`crit` as percentages used.
    Disk { path: String, warn: f64, crit: f64 },
    /// `nagios = "/usr/lib/nagios/plugins/check_x ARGS"`: exit code 0/1/2/3 is the state.
    Nagios { command: String },
    /// `command = "..."`: exit 0 ok, anything else critical.
    Command { command: String },
}

impl CheckKind {
    pub fn label(&self) -> &'static str {
        match self {
            CheckKind::Http { .. } => "http",
            CheckKind::Disk { .. } => "disk",
            CheckKind::Nagios { .. } => "nagios",
            CheckKind::Command { .. } => "command",
        }
    }
}

/// `[[log]]`
#[derive(Debug, Clone)]
pub struct LogSpec {
    pub name: String,
    pub target: Target,
    pub source: LogSource,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LogSource {
    File(String),
    Command(String),
}

/// `[[drift]]`
#[derive(Debug, Clone)]
pub struct DriftSpec {
    pub name: String,
    /// A file, or a directory when it ends in `/`.
    pub path: String,
    pub between: (String, String),
    pub ignore: Vec<Regex>,
    /// Literal text -> env var name: `{domain}` replaces each env's `domain` before diffing.
    pub replace: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrackerKind {
    Github,
    Gitlab,
    Gitea,
    Jira,
    Redmine,
    Webhook,
    #[default]
    Dir,
}

impl TrackerKind {
    pub const NAMES: [&'static str; 7] = [
        "github", "gitlab", "gitea", "jira", "redmine", "webhook", "dir",
    ];
}

/// `[tracker]`. Tokens come from `token_env` or `token_file`, never from the config itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackerSpec {
    pub kind: TrackerKind,
    pub repo: Option<String>,
    pub project: Option<String>,
    pub url: Option<String>,
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// For `dir`: where bug Markdown files go (default: data dir `bugs/`).
    pub path: Option<PathBuf>,
    pub labels: Vec<String>,
}

/// `[handoff]`
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HandoffSpec {
    /// Default `$USER`.
    pub author: Option<String>,
    /// The log file or, with `share`, the git work tree (default: data dir).
    pub path: Option<PathBuf>,
    /// A git remote shared by the team.
    pub share: Option<String>,
}

/// `[ui]`: presets by name (built in) or a path to a user file.
#[derive(Debug, Clone, PartialEq)]
pub struct UiSpec {
    pub keymap: String,
    pub theme: String,
}

impl Default for UiSpec {
    fn default() -> Self {
        UiSpec {
            keymap: "default".into(),
            theme: "dark".into(),
        }
    }
}
