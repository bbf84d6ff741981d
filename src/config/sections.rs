//! The named and single sections: `[environments.NAME]`, `[hosts.NAME]`, `[handoff]`,
//! `[ui]` (`[tracker]` has its own module). Names they refer to are checked later, in `validate`.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::DeTable;
use toml::Spanned;

use super::fields::{toml_key, Fields, Problems};
use super::model::{Environment, HandoffSpec, Host, UiSpec};

/// A spec with the positions `validate` needs to point at its names and references.
#[derive(Debug)]
pub(crate) struct Located<T> {
    pub spec: T,
    /// The `name = ` value, or the NAME of `[hosts.NAME]`.
    pub name_span: Range<usize>,
    /// Environments or hosts this spec names (`envs`, an environment's `hosts`, `between`).
    pub refs: Vec<Spanned<String>>,
    /// `on = "..."`: an environment or a host, resolved in `validate`.
    pub on: Option<Spanned<String>>,
    /// Env var names this spec needs in each of its environments (a drift's `replace`).
    pub vars: Vec<Spanned<String>>,
}

impl<T> Located<T> {
    pub fn new(spec: T, name_span: Range<usize>) -> Self {
        Located {
            spec,
            name_span,
            refs: Vec::new(),
            on: None,
            vars: Vec::new(),
        }
    }
}

const ENVIRONMENT_KEYS: &[&str] = &["hosts", "vars", "root"];

pub(crate) fn environment(
    name: Spanned<String>,
    table: &DeTable<'_>,
    header: Range<usize>,
    problems: &mut Problems,
) -> Located<Environment> {
    let section = format!("[environments.{}]", toml_key(name.get_ref()));
    let mut f = Fields::new(table, section, ENVIRONMENT_KEYS, problems);
    f.report_unknown();
    let hosts = f.strings("hosts").unwrap_or_default();
    let vars: BTreeMap<String, String> = f
        .string_map("vars")
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.into_inner(), v.into_inner()))
        .collect();
    let root = f.path("root");
    if hosts.is_empty() && root.is_none() && f.get("hosts").is_none() {
        f.problems.at(
            header,
            format!(
                "environment \"{}\" has no hosts and no root: add hosts = [\"...\"] to reach \
                 machines over ssh, or root = \"/path\" to read files on this machine",
                name.get_ref()
            ),
        );
    }
    if !hosts.is_empty() && root.is_some() {
        if let Some(span) = f.key_span("root") {
            f.problems.at(
                span,
                format!(
                    "environment \"{}\" has both hosts and root: root is for an environment \
                     read on this machine; remove one",
                    name.get_ref()
                ),
            );
        }
    }
    for (i, host) in hosts.iter().enumerate() {
        if hosts[..i].iter().any(|h| h.get_ref() == host.get_ref()) {
            let message = format!(
                "host \"{}\" is listed twice in environment \"{}\"; remove one",
                host.get_ref(),
                name.get_ref()
            );
            f.problems.at(host.span(), message);
        }
    }
    let spec = Environment {
        name: name.get_ref().clone(),
        hosts: hosts.iter().map(|h| h.get_ref().clone()).collect(),
        vars,
        root,
    };
    let mut located = Located::new(spec, name.span());
    located.refs = hosts;
    located
}

const HOST_KEYS: &[&str] = &[
    "ssh",
    "user",
    "port",
    "identity_file",
    "proxy_jump",
    "known_hosts",
    "accept_new",
    "password_auth",
    "max_channels",
    "connect_timeout",
    "keepalive",
];

pub(crate) fn host(
    name: Spanned<String>,
    table: &DeTable<'_>,
    problems: &mut Problems,
) -> Located<Host> {
    let section = format!("[hosts.{}]", toml_key(name.get_ref()));
    let mut f = Fields::new(table, section, HOST_KEYS, problems);
    f.report_unknown_with(|key| {
        (key == "password").then(|| {
            "passwords are never kept in the config: use a key (identity_file or ssh-agent)"
                .to_string()
        })
    });
    let mut host = Host::named(name.get_ref());
    if let Some(ssh) = f.string("ssh") {
        if let Some(problem) = ssh_problem(ssh.get_ref()) {
            let message = format!("ssh = \"{}\" in {}: {problem}", ssh.get_ref(), f.section());
            f.problems.at(ssh.span(), message);
        }
        host.ssh = Some(ssh.into_inner());
    }
    host.user = f.string("user").map(Spanned::into_inner);
    if let Some(port) = f.integer("port") {
        match u16::try_from(*port.get_ref()) {
            Ok(p) if p > 0 => host.port = Some(p),
            _ => f.problems.at(
                port.span(),
                format!("port must be between 1 and 65535; found {}", port.get_ref()),
            ),
        }
    }
    host.identity_file = f.path("identity_file");
    host.proxy_jump = f.string("proxy_jump").map(Spanned::into_inner);
    host.known_hosts = f.path("known_hosts");
    host.accept_new = f.bool("accept_new").unwrap_or(false);
    host.password_auth = f.bool("password_auth").unwrap_or(false);
    if let Some(n) = f.integer("max_channels") {
        match usize::try_from(*n.get_ref()) {
            Ok(n) if (1..=64).contains(&n) => host.max_channels = n,
            _ => f.problems.at(
                n.span(),
                format!(
                    "max_channels must be between 1 and 64; found {} (it is how many commands \
                     share the one ssh connection at a time)",
                    n.get_ref()
                ),
            ),
        }
    }
    if let Some(timeout) = f.duration("connect_timeout") {
        if timeout.get_ref().is_zero() {
            f.problems.at(
                timeout.span(),
                "connect_timeout must be more than 0s, e.g. \"5s\"",
            );
        }
        host.connect_timeout = Some(timeout.into_inner());
    }
    host.keepalive = f.duration("keepalive").map(Spanned::into_inner);
    Located::new(host, name.span())
}

/// What is wrong with an `ssh = ` value, if anything: `user@addr:port`, `addr` or an alias.
fn ssh_problem(ssh: &str) -> Option<&'static str> {
    if ssh.is_empty() || ssh.chars().any(char::is_whitespace) {
        return Some("write user@address:port, an address, or a Host alias from ~/.ssh/config");
    }
    let addr = ssh.rsplit_once('@').map_or(ssh, |(_, addr)| addr);
    if ssh.ends_with('@') || ssh.starts_with('@') {
        return Some("the user or the address is missing around @");
    }
    // One colon is a port; more is a bare IPv6 address; brackets are `[::1]:22`.
    let port = match addr.rsplit_once("]:") {
        Some((_, port)) => Some(port),
        None if addr.matches(':').count() == 1 => addr.rsplit_once(':').map(|(_, p)| p),
        None => None,
    };
    match port.map(str::parse::<u16>) {
        Some(Ok(0) | Err(_)) => Some("the port after : must be a number from 1 to 65535"),
        _ => None,
    }
}

pub(crate) fn handoff(table: &DeTable<'_>, problems: &mut Problems) -> HandoffSpec {
    let keys = &["author", "path", "share", "mail", "mail_from", "smtp"];
    let mut f = Fields::new(table, "[handoff]", keys, problems);
    f.report_unknown();
    HandoffSpec {
        author: f.string("author").map(Spanned::into_inner),
        path: f.path("path"),
        share: f.string("share").map(Spanned::into_inner),
        mail: f.string("mail").map(Spanned::into_inner),
        mail_from: f.string("mail_from").map(Spanned::into_inner),
        smtp: f.string("smtp").map(Spanned::into_inner),
    }
}

pub(crate) fn logs_view(table: &DeTable<'_>, problems: &mut Problems) -> super::model::LogsView {
    use super::model::{Highlight, LogsView, HIGHLIGHT_STYLES};
    let mut f = Fields::new(table, "[logs]", &["buffer", "highlight"], problems);
    f.report_unknown();
    let mut view = LogsView::default();
    if let Some(text) = f.string("buffer") {
        match super::check_kinds::parse_bytes(text.get_ref()) {
            Some(bytes) if bytes >= 1024 * 1024 => view.buffer = bytes as usize,
            _ => f.problems.at(
                text.span(),
                format!(
                    "buffer = {:?} is not a size of at least 1MiB: write it like \"64MiB\" or \"1GiB\"",
                    text.get_ref()
                ),
            ),
        }
    }
    for (rule, span) in f.tables("highlight") {
        let mut h = Fields::new(rule, "[logs] highlight", &["regex", "style"], f.problems);
        h.report_unknown();
        let regex = h.string("regex");
        let style = h.string("style");
        let (Some(regex), Some(style)) = (regex, style) else {
            h.problems.at(
                span,
                "a highlight needs regex and style: { regex = \"timed out\", style = \"warn\" }",
            );
            continue;
        };
        let compiled = match regex::Regex::new(regex.get_ref()) {
            Ok(re) => re,
            Err(e) => {
                let message = format!(
                    "bad regex '{}' in highlight: {}",
                    regex.get_ref(),
                    super::diagnostic::regex_reason(&e)
                );
                h.problems.at(regex.span(), message);
                continue;
            }
        };
        if !HIGHLIGHT_STYLES.contains(&style.get_ref().as_str()) {
            h.problems.at(
                style.span(),
                format!(
                    "style {:?} is not a log style: use one of {}",
                    style.get_ref(),
                    HIGHLIGHT_STYLES.join(", ")
                ),
            );
            continue;
        }
        view.highlights.push(Highlight {
            regex: compiled,
            style: style.into_inner(),
        });
    }
    view
}

pub(crate) fn ui(table: &DeTable<'_>, problems: &mut Problems) -> UiSpec {
    let mut f = Fields::new(table, "[ui]", &["keymap", "theme"], problems);
    f.report_unknown();
    let defaults = UiSpec::default();
    UiSpec {
        keymap: f
            .string("keymap")
            .map_or(defaults.keymap, Spanned::into_inner),
        theme: f
            .string("theme")
            .map_or(defaults.theme, Spanned::into_inner),
    }
}
