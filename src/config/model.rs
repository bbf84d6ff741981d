//! The validated, resolved configuration the rest of sheriff reads.
//!
//! `load` turns TOML into these types; nothing outside `config/` sees raw TOML. Every name
//! reference (an env in `envs`, a host in an env, `on`, `between`) has been checked by the
//! time a `Config` exists, so consumers may look names up without handling "not found".

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use crate::checks::condition::Condition;
use crate::checks::CheckStatus;

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
    pub autofile: Vec<AutofileRule>,
    pub handoff: HandoffSpec,
    pub ui: UiSpec,
    /// `[logs]`: how the Logs pane keeps and shows lines.
    pub logs_view: LogsView,
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
    /// A failed one makes the row critical.
    pub expect: Vec<Condition>,
    /// A failed one makes the row a warning.
    pub expect_warn: Vec<Condition>,
    /// Consecutive bad results before the row shows bad (damps a one-off blip).
    pub fail_after: u32,
    /// Consecutive good results before a bad row shows good again.
    pub recover_after: u32,
    /// Warn when a metric's trend crosses its threshold within this horizon.
    pub forecast: Option<Duration>,
    /// How far back the trend is fitted.
    pub forecast_window: Duration,
    /// Who to ask about it.
    pub owner: Option<String>,
    pub tier: Tier,
}

impl CheckSpec {
    /// A check with the defaults a `[[check]]` gets for every key it leaves out.
    pub fn new(name: &str, target: Target, kind: CheckKind) -> CheckSpec {
        CheckSpec {
            name: name.to_string(),
            target,
            kind,
            every: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            expect: Vec::new(),
            expect_warn: Vec::new(),
            fail_after: 1,
            recover_after: 1,
            forecast: None,
            forecast_window: Duration::from_secs(6 * 3600),
            owner: None,
            tier: Tier::Important,
        }
    }
}

/// How much a failing check matters: to us and others, to us, or hardly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Tier {
    /// Others depend on it: a failure is felt outside the team.
    Critical,
    /// The team depends on it.
    #[default]
    Important,
    Peripheral,
}

impl Tier {
    pub const NAMES: [&'static str; 3] = ["critical", "important", "peripheral"];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Critical => "critical",
            Tier::Important => "important",
            Tier::Peripheral => "peripheral",
        }
    }

    pub fn parse(text: &str) -> Option<Tier> {
        match text {
            "critical" => Some(Tier::Critical),
            "important" => Some(Tier::Important),
            "peripheral" => Some(Tier::Peripheral),
            _ => None,
        }
    }
}

/// A disk threshold: share of the space (or inodes) in use, or free bytes left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DiskLimit {
    UsedPercent(f64),
    FreeBytes(u64),
}

/// An HTTP request and how to judge its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSpec {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Skip TLS verification (`insecure = true`); the row says so.
    pub insecure: bool,
    /// Extra CA certificates (PEM) to trust, for an internal CA.
    pub ca: Option<PathBuf>,
    pub follow_redirects: bool,
}

impl HttpSpec {
    pub fn get(url: &str) -> HttpSpec {
        HttpSpec {
            url: url.to_string(),
            method: "GET".into(),
            headers: Vec::new(),
            body: None,
            insecure: false,
            ca: None,
            follow_redirects: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    /// `http = "URL"`.
    Http(HttpSpec),
    /// `tcp = "host:port"`, optionally sending `send` and expecting `banner` in the reply.
    Tcp {
        address: String,
        send: Option<String>,
        banner: Option<String>,
    },
    /// `nagios = "/usr/lib/nagios/plugins/check_x ARGS"`: the Nagios plugin API.
    Nagios { command: String },
    /// `command = "..."`: exit 0 ok, anything else critical.
    Command { command: String },
    /// `disk = "/srv"` or `"*"`: `df -P`, space and inodes.
    Disk {
        path: String,
        warn: DiskLimit,
        crit: DiskLimit,
    },
    /// `load = 1 | 5 | 15`: that load average, per core.
    Load { minutes: u8, warn: f64, crit: f64 },
    /// `memory = true`: used = total − available, in %.
    Memory { warn: f64, crit: f64 },
    /// `io = "sda"`: utilisation % between two reads of /proc/diskstats.
    Io {
        device: String,
        warn: f64,
        crit: f64,
    },
    /// `process = "nginx"`: how many run, between `min` and `max`.
    Process {
        name: String,
        min: Option<u32>,
        max: Option<u32>,
    },
    /// `systemd = "nginx.service"`, or `"*"` for any failed unit.
    Systemd { unit: String },
    /// `munin = "host:4949"` with `plugin`: each field against the plugin's thresholds.
    Munin { address: String, plugin: String },
    /// `prometheus = "URL"` with `query`: one row per series.
    Prometheus { url: String, query: String },
    /// `alertmanager = "URL"`: one row per active alert.
    Alertmanager {
        url: String,
        /// `severity` label value -> state, over the built-in mapping.
        severity_map: BTreeMap<String, CheckStatus>,
    },
}

impl CheckKind {
    /// Every kind key, as a `[[check]]` spells it.
    pub const NAMES: [&'static str; 13] = [
        "http",
        "tcp",
        "nagios",
        "command",
        "disk",
        "load",
        "memory",
        "io",
        "process",
        "systemd",
        "munin",
        "prometheus",
        "alertmanager",
    ];

    pub fn label(&self) -> &'static str {
        match self {
            CheckKind::Http(_) => "http",
            CheckKind::Tcp { .. } => "tcp",
            CheckKind::Nagios { .. } => "nagios",
            CheckKind::Command { .. } => "command",
            CheckKind::Disk { .. } => "disk",
            CheckKind::Load { .. } => "load",
            CheckKind::Memory { .. } => "memory",
            CheckKind::Io { .. } => "io",
            CheckKind::Process { .. } => "process",
            CheckKind::Systemd { .. } => "systemd",
            CheckKind::Munin { .. } => "munin",
            CheckKind::Prometheus { .. } => "prometheus",
            CheckKind::Alertmanager { .. } => "alertmanager",
        }
    }

    /// Whether `on = "ENV"` gives it one row per host of the env, rather than one run from
    /// here with the env's vars. Host kinds run over SSH; `munin` reaches the host's node
    /// through the host's connection; `tcp` connects from here to each `{host}`.
    pub fn runs_on_hosts(&self) -> bool {
        matches!(
            self,
            CheckKind::Nagios { .. }
                | CheckKind::Tcp { .. }
                | CheckKind::Munin { .. }
                | CheckKind::Command { .. }
                | CheckKind::Disk { .. }
                | CheckKind::Load { .. }
                | CheckKind::Memory { .. }
                | CheckKind::Io { .. }
                | CheckKind::Process { .. }
                | CheckKind::Systemd { .. }
        )
    }
}

/// `[[log]]`
#[derive(Debug, Clone)]
pub struct LogSpec {
    pub name: String,
    pub target: Target,
    pub source: LogSource,
    /// How its lines are written (`format = "nginx_access"`); `Auto` when not set.
    pub format: crate::logs::parse::Format,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LogSource {
    File(String),
    Command(String),
    /// `journal = "nginx.service"`: one unit's journal, or `"*"` for all of it.
    Journal(String),
}

/// `[logs]`
#[derive(Debug, Clone)]
pub struct LogsView {
    /// The most bytes of lines the Logs pane keeps, all sources together.
    pub buffer: usize,
    /// `highlight = [{ regex = "...", style = "warn" }]`, applied in order.
    pub highlights: Vec<Highlight>,
}

impl Default for LogsView {
    fn default() -> Self {
        LogsView {
            buffer: 64 * 1024 * 1024,
            highlights: Vec::new(),
        }
    }
}

impl PartialEq for LogsView {
    fn eq(&self, other: &Self) -> bool {
        self.buffer == other.buffer && self.highlights == other.highlights
    }
}

/// Text a regex matches, shown in one of the log styles of the theme.
#[derive(Debug, Clone)]
pub struct Highlight {
    pub regex: Regex,
    /// `error`, `warn`, `info`, `debug`, `match`, `source` or `time`: the theme's
    /// `log.STYLE` slot.
    pub style: String,
}

impl PartialEq for Highlight {
    fn eq(&self, other: &Self) -> bool {
        self.regex.as_str() == other.regex.as_str() && self.style == other.style
    }
}

/// The styles a highlight may use: the theme's `log.*` slots.
pub const HIGHLIGHT_STYLES: &[&str] =
    &["error", "warn", "info", "debug", "match", "source", "time"];

/// `[[drift]]`
#[derive(Debug, Clone)]
pub struct DriftSpec {
    pub name: String,
    /// What is compared; `{var}`s are each environment's.
    pub source: DriftSource,
    pub between: (String, String),
    /// Globs on a tree's relative paths: only these (none: all), less the excluded.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Lines matching any of these are not compared.
    pub ignore: Vec<Regex>,
    /// Placeholder -> env var name: each env's value of `domain` reads `{domain}`.
    pub replace: BTreeMap<String, String>,
    pub whitespace: crate::drift::compare::Whitespace,
    pub ignore_blank_lines: bool,
    /// Lines starting with one of these (after indentation) are not compared.
    pub comments: Vec<String>,
    /// Lines within a section are compared as a set, not in order.
    pub unordered: bool,
    /// Read every file as this, instead of telling by its name.
    pub format: Option<crate::drift::compare::Format>,
    /// Hosts each side is read from, instead of its environment's first host.
    pub reference: Vec<String>,
    /// How often it is compared again (default: a few minutes over SSH).
    pub every: Option<std::time::Duration>,
    /// How long one call to a host or URL may take.
    pub timeout: Option<std::time::Duration>,
}

impl DriftSpec {
    /// A target comparing `path` between `a` and `b`, with no rules.
    pub fn path(name: &str, path: &str, between: (&str, &str)) -> DriftSpec {
        DriftSpec {
            name: name.into(),
            source: DriftSource::Path(path.into()),
            between: (between.0.into(), between.1.into()),
            include: Vec::new(),
            exclude: Vec::new(),
            ignore: Vec::new(),
            replace: BTreeMap::new(),
            whitespace: crate::drift::compare::Whitespace::Exact,
            ignore_blank_lines: false,
            comments: Vec::new(),
            unordered: false,
            format: None,
            reference: Vec::new(),
            every: None,
            timeout: None,
        }
    }

    /// The path compared, for a file or tree target.
    pub fn file_path(&self) -> Option<&str> {
        match &self.source {
            DriftSource::Path(path) => Some(path),
            _ => None,
        }
    }
}

impl DriftSource {
    /// What it is, as text says it: the path, the command or the URL.
    pub fn text(&self) -> &str {
        match self {
            DriftSource::Path(text) | DriftSource::Command(text) | DriftSource::Url(text) => text,
        }
    }
}

/// What a drift target compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftSource {
    /// A file, or a directory tree when it ends in `/`.
    Path(String),
    /// A command's output (`nginx -T`), run on each side's reference host.
    Command(String),
    /// A GET's body (`{base}/version`).
    Url(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrackerKind {
    Github,
    Gitlab,
    Gitea,
    Jira,
    Redmine,
    Bugzilla,
    Phorge,
    Webhook,
    Mail,
    #[default]
    Dir,
}

impl TrackerKind {
    pub const ALL: [TrackerKind; 10] = [
        TrackerKind::Github,
        TrackerKind::Gitlab,
        TrackerKind::Gitea,
        TrackerKind::Jira,
        TrackerKind::Redmine,
        TrackerKind::Bugzilla,
        TrackerKind::Phorge,
        TrackerKind::Webhook,
        TrackerKind::Mail,
        TrackerKind::Dir,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TrackerKind::Github => "github",
            TrackerKind::Gitlab => "gitlab",
            TrackerKind::Gitea => "gitea",
            TrackerKind::Jira => "jira",
            TrackerKind::Redmine => "redmine",
            TrackerKind::Bugzilla => "bugzilla",
            TrackerKind::Phorge => "phorge",
            TrackerKind::Webhook => "webhook",
            TrackerKind::Mail => "mail",
            TrackerKind::Dir => "dir",
        }
    }

    pub fn from_name(name: &str) -> Option<TrackerKind> {
        TrackerKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Jira's two APIs: Cloud (REST v3, Atlassian Document Format bodies, e-mail + API token)
/// and Data Center (REST v2, plain text bodies, a personal access token as Bearer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum JiraFlavor {
    #[default]
    Cloud,
    DataCenter,
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
    pub assignee: Option<String>,
    pub flavor: JiraFlavor,
    /// Jira Cloud: the account's e-mail, the user half of Basic auth.
    pub user: Option<String>,
    /// `mail`: the list or gateway address bugs go to, and who they are from.
    pub to: Option<String>,
    pub from: Option<String>,
    /// `mail`: `host:port` of an SMTP server; without it, the local `sendmail`.
    pub smtp: Option<String>,
    /// Bug templates by what the bug is about (`check`, `log`, `drift`, `entry`, `host`).
    pub templates: BTreeMap<String, BugTemplate>,
    /// `[[tracker.route]]`, first match wins.
    pub routes: Vec<Route>,
    /// Bugzilla: the component bugs are filed under (default "General").
    pub component: Option<String>,
    /// How long one call to the tracker may take (default 20 s).
    pub timeout: Option<std::time::Duration>,
}

/// `[[autofile]]`: file a bug by itself when a matching row stays critical `after` this
/// long; at most `per_hour` bugs an hour from this rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AutofileRule {
    /// Check names; empty: every check.
    pub checks: Vec<String>,
    pub envs: Vec<String>,
    pub tiers: Vec<Tier>,
    pub after: std::time::Duration,
    pub labels: Vec<String>,
    pub per_hour: u32,
}

impl Default for AutofileRule {
    fn default() -> Self {
        AutofileRule {
            checks: Vec::new(),
            envs: Vec::new(),
            tiers: Vec::new(),
            after: std::time::Duration::from_secs(600),
            labels: Vec::new(),
            per_hour: 5,
        }
    }
}

/// `[tracker.template.KIND]`: `{placeholder}`s filled from the draft (docs/bugs.md).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BugTemplate {
    pub title: Option<String>,
    pub body: Option<String>,
}

/// `[[tracker.route]]`: bugs matching every given key go to another repo or project,
/// with more labels or another assignee.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route {
    pub env: Option<String>,
    pub check: Option<String>,
    pub owner: Option<String>,
    pub tier: Option<Tier>,
    pub repo: Option<String>,
    pub project: Option<String>,
    pub labels: Vec<String>,
    pub assignee: Option<String>,
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
    /// Where `sheriff shift end` mails the shift report (`systems@example.org`).
    pub mail: Option<String>,
    /// The report's sender and SMTP relay; else `[tracker]`'s `from` and `smtp`.
    pub mail_from: Option<String>,
    pub smtp: Option<String>,
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
