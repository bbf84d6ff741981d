//! `~/.ssh/config` read as OpenSSH 9 reads it, so that what sheriff connects to is what
//! `ssh` would connect to. `ssh -G -F FILE HOST` is the reference (tests/ssh_resolve.rs
//! compares the two on many configs):
//!
//! - the words of a line are split as OpenSSH splits them ([`lex`]); keywords OpenSSH does
//!   not know, missing values and bad values of the keywords sheriff uses are errors naming
//!   the file and line, as they are for `ssh` ([`keywords`]);
//! - `Host` and `Match` (`all`, `host`, `originalhost`, `user`, `localuser`, `canonical`,
//!   `final`, with `!`) decide which lines apply ([`matching`]); criteria sheriff does not
//!   evaluate (`exec`, `localnetwork`…) skip their block and the lookup says so;
//! - `Include` (globs in any part of the path) reads its files in place; an `Include` in a
//!   block that does not apply reads them too but applies none of their lines, as OpenSSH's
//!   "parse only" does;
//! - the first value found wins, `IdentityFile` accumulates (each path once), and a
//!   `Match final` makes a second pass with the resolved host name, as `ssh` does.
//!
//! Parsing happens once, at load; which lines apply is decided per lookup, because it
//! depends on the host, the user found so far and the pass.

mod include;
mod keywords;
mod lex;
mod matching;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use keywords::Setting;
use matching::{MatchInput, Test};

pub(crate) use matching::pattern_list_match;

/// OpenSSH's limit on nested `Include`s.
const MAX_INCLUDE_DEPTH: usize = 16;

/// A config that OpenSSH would refuse too: every complaint as `file:line: what`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}\nOpenSSH refuses this config too (`ssh -G {host}` says the same); fix or remove these lines", errors.join("\n"))]
pub struct SshConfigError {
    pub host: String,
    pub errors: Vec<String>,
}

/// A parsed ssh config file with its includes, ready for lookups.
#[derive(Debug, Clone, Default)]
pub struct SshConfig {
    root: ConfigFile,
}

#[derive(Debug, Clone, Default)]
struct ConfigFile {
    items: Vec<Item>,
}

#[derive(Debug, Clone)]
struct Item {
    /// `file:N`.
    origin: String,
    kind: ItemKind,
}

#[derive(Debug, Clone)]
enum ItemKind {
    Host(Vec<String>),
    Match(Vec<Test>),
    Include(Vec<ConfigFile>),
    Set(Setting),
    /// A keyword OpenSSH does not know: an error unless `IgnoreUnknown` covers it.
    Unknown(String),
    /// A line OpenSSH refuses whatever the host.
    Error(String),
}

/// What the config says about one host, in OpenSSH's reading. Paths are as written (`~`
/// and `%` tokens are expanded by [`resolve`](super::resolve)); `hostname` is final:
/// `%h` expanded and lowercased, as `ssh` uses it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SshConfigHost {
    pub hostname: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_files: Vec<String>,
    pub identities_only: Option<bool>,
    /// `none` is kept as written, so it can override a later, broader block.
    pub proxy_jump: Option<String>,
    /// sheriff cannot use one; kept so the host can say so.
    pub proxy_command: Option<String>,
    pub connect_timeout: Option<Duration>,
    pub server_alive_interval: Option<Duration>,
    pub server_alive_count_max: Option<u32>,
    pub user_known_hosts_files: Option<Vec<String>>,
    pub global_known_hosts_files: Option<Vec<String>>,
    pub host_key_alias: Option<String>,
    pub identity_agent: Option<String>,
    /// Where sheriff's reading may differ from `ssh`'s (a `Match exec` it did not run…).
    pub notes: Vec<String>,
}

impl SshConfig {
    /// Reads `path` and its `Include`s; a missing file is an empty config (as
    /// `~/.ssh/config` is for `ssh`). `home` expands `~` and anchors relative `Include`s.
    pub fn load(path: &Path, home: &Path) -> SshConfig {
        Self::load_file(path, home, false)
    }

    /// Reads a file named explicitly (`--ssh-config`, like `ssh -F`): missing is an error,
    /// reported by every lookup.
    pub fn load_required(path: &Path, home: &Path) -> SshConfig {
        Self::load_file(path, home, true)
    }

    fn load_file(path: &Path, home: &Path, required: bool) -> SshConfig {
        let root = match fs::read_to_string(path) {
            Ok(text) => ConfigFile::parse(&text, path, home, 0),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                ConfigFile::default()
            }
            Err(e) => ConfigFile::error(
                path.display().to_string(),
                format!("Can't open user config file {}: {e}", path.display()),
            ),
        };
        SshConfig { root }
    }

    /// Parses config text (for tests and for `load`).
    pub fn parse(text: &str, origin: &Path, home: &Path) -> SshConfig {
        SshConfig {
            root: ConfigFile::parse(text, origin, home, 0),
        }
    }

    /// Everything the config says about `alias` (the name given to ssh), for the local
    /// user from `$USER` or the password file.
    pub fn lookup(&self, alias: &str) -> Result<SshConfigHost, SshConfigError> {
        let local = super::options::local_user_name().unwrap_or_default();
        self.lookup_as(alias, &local)
    }

    /// [`lookup`](Self::lookup) for the local user `local_user` (`Match localuser`, and the
    /// remote user when none is set).
    pub fn lookup_as(
        &self,
        alias: &str,
        local_user: &str,
    ) -> Result<SshConfigHost, SshConfigError> {
        let mut walk = Walk {
            host: alias.to_string(),
            original: alias,
            local_user,
            final_pass: false,
            out: SshConfigHost::default(),
            errors: Vec::new(),
            wants_final: false,
            canonicalize: None,
            ignore_unknown: None,
        };
        let mut active = true;
        walk.file(&self.root, &mut active, false);
        if !walk.errors.is_empty() {
            return Err(SshConfigError {
                host: alias.to_string(),
                errors: walk.errors,
            });
        }
        let hostname =
            expand_hostname(walk.out.hostname.as_deref(), alias).map_err(|e| SshConfigError {
                host: alias.to_string(),
                errors: vec![e],
            })?;
        walk.out.hostname = Some(hostname.clone());
        if walk.wants_final || walk.canonicalize == Some(true) {
            // ssh.c: the second pass matches `Host` against the resolved name.
            walk.host = hostname;
            walk.final_pass = true;
            walk.errors.clear();
            let mut active = true;
            walk.file(&self.root, &mut active, false);
        }
        Ok(walk.out)
    }
}

/// `HostName` with `%h` (the name as typed) and `%%`, lowercased; no `HostName`: the name.
fn expand_hostname(hostname: Option<&str>, alias: &str) -> Result<String, String> {
    let Some(template) = hostname else {
        return Ok(alias.to_lowercase());
    };
    let mut out = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(alias),
            Some('%') => out.push('%'),
            Some(other) => {
                return Err(format!(
                    "HostName {template:?}: unknown token %{other} (only %h and %% are allowed)"
                ))
            }
            None => return Err(format!("HostName {template:?}: a lone % at the end")),
        }
    }
    Ok(out.to_lowercase())
}

impl ConfigFile {
    fn error(origin: String, message: String) -> ConfigFile {
        ConfigFile {
            items: vec![Item {
                origin,
                kind: ItemKind::Error(message),
            }],
        }
    }

    fn parse(text: &str, path: &Path, home: &Path, depth: usize) -> ConfigFile {
        let mut items = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let origin = format!("{}:{}", path.display(), index + 1);
            let Some(line) = lex::split_keyword(raw) else {
                continue;
            };
            let kind = match line {
                Err(e) => ItemKind::Error(e),
                Ok(line) => parse_line(&line, home, depth, &origin),
            };
            items.push(Item { origin, kind });
        }
        ConfigFile { items }
    }
}

fn parse_line(line: &lex::Line, home: &Path, depth: usize, origin: &str) -> ItemKind {
    let args = match lex::argv_split(&line.rest) {
        Ok(args) => args,
        Err(e) => return ItemKind::Error(e),
    };
    if !keywords::is_keyword(&line.keyword) {
        return ItemKind::Unknown(line.keyword.clone());
    }
    match line.keyword.as_str() {
        "host" => {
            if args.iter().any(String::is_empty) {
                return ItemKind::Error("keyword host empty argument".into());
            }
            ItemKind::Host(args)
        }
        "match" => match matching::parse_match(&line.rest) {
            Ok(tests) => ItemKind::Match(tests),
            Err(e) => ItemKind::Error(format!("{e}; Bad Match condition")),
        },
        "include" => {
            if depth >= MAX_INCLUDE_DEPTH {
                return ItemKind::Error("Too many recursive configuration includes".into());
            }
            let mut files = Vec::new();
            for arg in &args {
                if arg.is_empty() {
                    return ItemKind::Error("keyword include empty argument".into());
                }
                let paths = match include::include_paths(arg, home) {
                    Ok(p) => p,
                    Err(e) => return ItemKind::Error(e),
                };
                for path in paths {
                    if let Err(e) = include::check_permissions(&path) {
                        return ItemKind::Error(e);
                    }
                    match fs::read(&path) {
                        Ok(bytes) => files.push(ConfigFile::parse(
                            &String::from_utf8_lossy(&bytes),
                            &path,
                            home,
                            depth + 1,
                        )),
                        // A directory reads as an empty file, as with fopen(3) and getline(3).
                        Err(_) if path.is_dir() => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            files.push(ConfigFile::error(
                                origin.to_string(),
                                format!("Can't open user config file {}: {e}", path.display()),
                            ));
                        }
                    }
                }
            }
            ItemKind::Include(files)
        }
        keyword => match keywords::interpret(keyword, &args) {
            Ok(setting) => ItemKind::Set(setting),
            Err(e) => ItemKind::Error(e),
        },
    }
}

/// One lookup's state as it walks the config in order.
struct Walk<'a> {
    /// What `Host` lines match: the name as typed (the resolved name in the final pass).
    host: String,
    original: &'a str,
    local_user: &'a str,
    final_pass: bool,
    out: SshConfigHost,
    errors: Vec<String>,
    wants_final: bool,
    canonicalize: Option<bool>,
    ignore_unknown: Option<String>,
}

impl Walk<'_> {
    fn file(&mut self, file: &ConfigFile, active: &mut bool, never_match: bool) {
        for item in &file.items {
            match &item.kind {
                ItemKind::Host(patterns) => {
                    *active = !never_match && matching::host_line_matches(patterns, &self.host);
                }
                ItemKind::Match(tests) => {
                    let matched = self.evaluate(tests, &item.origin, never_match);
                    *active = !never_match && matched;
                }
                ItemKind::Include(files) => {
                    let outer = *active;
                    for included in files {
                        *active = outer;
                        self.file(included, active, never_match || !outer);
                    }
                    *active = outer;
                }
                ItemKind::Set(setting) => {
                    if *active {
                        self.apply(setting);
                    }
                }
                ItemKind::Unknown(keyword) => {
                    let ignored = self
                        .ignore_unknown
                        .as_deref()
                        .is_some_and(|list| pattern_list_match(&list.to_lowercase(), keyword));
                    if !ignored {
                        self.errors.push(format!(
                            "{}: Bad configuration option: {keyword}",
                            item.origin
                        ));
                    }
                }
                ItemKind::Error(message) => {
                    self.errors.push(format!("{}: {message}", item.origin));
                }
            }
        }
    }

    fn evaluate(&mut self, tests: &[Test], origin: &str, never_match: bool) -> bool {
        let host = if self.final_pass {
            self.out.hostname.clone().unwrap_or_default()
        } else {
            match &self.out.hostname {
                Some(h) => h.replace("%h", self.original),
                None => self.host.clone(),
            }
        };
        let local = self.local_user;
        let user = self.out.user.clone().unwrap_or_else(|| local.to_string());
        let input = MatchInput {
            host: &host,
            original_host: self.original,
            user: &user,
            local_user: local,
            final_pass: self.final_pass,
        };
        let outcome = matching::evaluate(tests, &input, false);
        self.wants_final |= outcome.wants_final;
        if !never_match
            && !outcome.unevaluated.is_empty()
            && matching::evaluate(tests, &input, true).matched
        {
            let note = format!(
                "{origin}: sheriff does not evaluate `Match {}`; its block was skipped as if it did not match",
                outcome.unevaluated.join(" ")
            );
            if !self.out.notes.contains(&note) {
                self.out.notes.push(note);
            }
        }
        outcome.matched
    }

    fn apply(&mut self, setting: &Setting) {
        let out = &mut self.out;
        match setting.clone() {
            Setting::HostName(v) => set_once(&mut out.hostname, v),
            Setting::User(v) => set_once(&mut out.user, v),
            Setting::Port(v) => set_once(&mut out.port, v),
            Setting::IdentityFile(v) => {
                if !out.identity_files.contains(&v) {
                    out.identity_files.push(v);
                }
            }
            Setting::IdentitiesOnly(v) => set_once(&mut out.identities_only, v),
            Setting::ProxyJump(v) => {
                if out.proxy_command.is_none() {
                    set_once(&mut out.proxy_jump, v);
                }
            }
            Setting::ProxyCommand(v) => {
                if out.proxy_jump.is_none() {
                    set_once(&mut out.proxy_command, v);
                }
            }
            Setting::ConnectTimeout(v) => set_once(&mut out.connect_timeout, v),
            Setting::ServerAliveInterval(v) => set_once(&mut out.server_alive_interval, v),
            Setting::ServerAliveCountMax(v) => set_once(&mut out.server_alive_count_max, v),
            Setting::UserKnownHostsFiles(v) => set_once(&mut out.user_known_hosts_files, v),
            Setting::GlobalKnownHostsFiles(v) => set_once(&mut out.global_known_hosts_files, v),
            Setting::HostKeyAlias(v) => set_once(&mut out.host_key_alias, v),
            Setting::IdentityAgent(v) => set_once(&mut out.identity_agent, v),
            Setting::IgnoreUnknown(v) => set_once(&mut self.ignore_unknown, v),
            Setting::CanonicalizeHostname(v) => set_once(&mut self.canonicalize, v),
            Setting::Other => {}
        }
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

/// `~` and `~/...` against `home`.
pub(crate) fn expand_tilde(path: &str, home: &Path) -> PathBuf {
    if path == "~" {
        home.to_path_buf()
    } else if let Some(rest) = path.strip_prefix("~/") {
        home.join(rest)
    } else {
        PathBuf::from(path)
    }
}

#[cfg(test)]
mod tests;
