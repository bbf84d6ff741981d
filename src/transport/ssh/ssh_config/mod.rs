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
mod walk;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use keywords::Setting;
use matching::Test;
use walk::Walk;

pub(crate) use matching::pattern_list_match;

/// OpenSSH's limit on nested `Include`s.
const MAX_INCLUDE_DEPTH: usize = 16;

/// A config that OpenSSH would refuse too: every complaint as `file:line: what`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}\n`ssh {host}` would refuse this config too: fix or remove what is named above", errors.join("\n"))]
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
