//! `~/.ssh/config`, the part sheriff honours: `Host` patterns (with `!negation`), `Match all`,
//! `Match host`/`originalhost`, `Include`, and the keywords in [`SshConfigHost`]. As in
//! OpenSSH, the first value obtained for a keyword wins, except `IdentityFile`, which
//! accumulates. Other `Match` criteria are not evaluated: their blocks are skipped (and said
//! so in [`SshConfigHost::notes`]), never applied by guess.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A parsed ssh config file (with its includes), ready for lookups.
#[derive(Debug, Clone, Default)]
pub struct SshConfig {
    blocks: Vec<Block>,
    notes: Vec<String>,
}

#[derive(Debug, Clone)]
struct Block {
    condition: Condition,
    directives: Vec<Directive>,
}

#[derive(Debug, Clone)]
enum Condition {
    Always,
    /// `Host a b !c`: whitespace-separated patterns.
    Hosts(Vec<String>),
    /// `Match host a,b` (against the HostName found so far) or `Match originalhost a,b`.
    MatchHost {
        patterns: String,
        original: bool,
    },
    /// A `Match` sheriff cannot evaluate.
    Never,
}

#[derive(Debug, Clone)]
struct Directive {
    key: String,
    args: Vec<String>,
    origin: String,
}

/// What `~/.ssh/config` says about one host alias; unexpanded (`~`, `%h` stay as written).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SshConfigHost {
    pub hostname: Option<String>,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_files: Vec<String>,
    pub identities_only: Option<bool>,
    /// `none` is kept as written, so it can override a later, broader block.
    pub proxy_jump: Option<String>,
    pub connect_timeout: Option<Duration>,
    pub server_alive_interval: Option<Duration>,
    pub server_alive_count_max: Option<u32>,
    pub user_known_hosts_files: Option<Vec<String>>,
    pub global_known_hosts_files: Option<Vec<String>>,
    pub host_key_alias: Option<String>,
    pub identity_agent: Option<String>,
    /// Values sheriff could not use, as `file:line: what`.
    pub notes: Vec<String>,
}

const MAX_INCLUDE_DEPTH: usize = 16;

impl SshConfig {
    /// Reads `path` and its `Include`s; a missing file is an empty config. `home` expands `~`
    /// and anchors relative `Include` paths at `home/.ssh`.
    pub fn load(path: &Path, home: &Path) -> SshConfig {
        let mut config = SshConfig::default();
        match fs::read_to_string(path) {
            Ok(text) => config.parse_into(&text, path, Condition::Always, home, 0),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => config
                .notes
                .push(format!("{}: cannot read: {e}", path.display())),
        }
        config
    }

    /// Parses config text (for tests and for `load`).
    pub fn parse(text: &str, origin: &Path, home: &Path) -> SshConfig {
        let mut config = SshConfig::default();
        config.parse_into(text, origin, Condition::Always, home, 0);
        config
    }

    fn parse_into(
        &mut self,
        text: &str,
        origin: &Path,
        initial: Condition,
        home: &Path,
        depth: usize,
    ) {
        let mut current = Block {
            condition: initial.clone(),
            directives: Vec::new(),
        };
        for (index, raw) in text.lines().enumerate() {
            let Some((key, args)) = split_line(raw) else {
                continue;
            };
            let origin_line = format!("{}:{}", origin.display(), index + 1);
            match key.as_str() {
                "host" => {
                    self.blocks.push(std::mem::replace(
                        &mut current,
                        Block {
                            condition: Condition::Hosts(
                                args.iter().map(|a| a.to_lowercase()).collect(),
                            ),
                            directives: Vec::new(),
                        },
                    ));
                }
                "match" => {
                    let condition = parse_match(&args).unwrap_or_else(|| {
                        self.notes.push(format!(
                            "{origin_line}: `Match {}` is not supported by sheriff; its block is ignored",
                            args.join(" ")
                        ));
                        Condition::Never
                    });
                    self.blocks.push(std::mem::replace(
                        &mut current,
                        Block {
                            condition,
                            directives: Vec::new(),
                        },
                    ));
                }
                "include" => {
                    let condition = current.condition.clone();
                    self.blocks.push(std::mem::replace(
                        &mut current,
                        Block {
                            condition: condition.clone(),
                            directives: Vec::new(),
                        },
                    ));
                    if depth >= MAX_INCLUDE_DEPTH {
                        self.notes
                            .push(format!("{origin_line}: Include nested too deeply"));
                        continue;
                    }
                    for pattern in &args {
                        for file in expand_include(pattern, home) {
                            if let Ok(text) = fs::read_to_string(&file) {
                                self.parse_into(&text, &file, condition.clone(), home, depth + 1);
                            }
                        }
                    }
                    self.blocks.push(std::mem::replace(
                        &mut current,
                        Block {
                            condition,
                            directives: Vec::new(),
                        },
                    ));
                }
                _ => current.directives.push(Directive {
                    key,
                    args,
                    origin: origin_line,
                }),
            }
        }
        self.blocks.push(current);
    }

    /// Everything the config says about `alias` (the name given to ssh), in OpenSSH's order.
    pub fn lookup(&self, alias: &str) -> SshConfigHost {
        let alias = alias.to_lowercase();
        let mut out = SshConfigHost {
            notes: self.notes.clone(),
            ..SshConfigHost::default()
        };
        for block in &self.blocks {
            let applies = match &block.condition {
                Condition::Always => true,
                Condition::Never => false,
                Condition::Hosts(patterns) => host_patterns_match(patterns, &alias),
                Condition::MatchHost { patterns, original } => {
                    let name = if *original {
                        alias.clone()
                    } else {
                        out.hostname
                            .as_deref()
                            .map(|h| h.replace("%h", &alias).to_lowercase())
                            .unwrap_or_else(|| alias.clone())
                    };
                    pattern_list_match(patterns, &name)
                }
            };
            if applies {
                for directive in &block.directives {
                    out.apply(directive);
                }
            }
        }
        out
    }
}

impl SshConfigHost {
    fn apply(&mut self, d: &Directive) {
        let Some(first) = d.args.first().cloned() else {
            self.notes
                .push(format!("{}: {} has no value", d.origin, d.key));
            return;
        };
        let bad = |notes: &mut Vec<String>, what: &str| {
            notes.push(format!("{}: {} {first:?} {what}", d.origin, d.key));
        };
        match d.key.as_str() {
            "hostname" => set_once(&mut self.hostname, first),
            "user" => set_once(&mut self.user, first),
            "port" => match first.parse::<u16>() {
                Ok(port) if port > 0 => set_once(&mut self.port, port),
                _ => bad(&mut self.notes, "is not a port number"),
            },
            "identityfile" => self.identity_files.push(first),
            "identitiesonly" => match yes_no(&first) {
                Some(v) => set_once(&mut self.identities_only, v),
                None => bad(&mut self.notes, "is not yes or no"),
            },
            "proxyjump" => set_once(&mut self.proxy_jump, first),
            "connecttimeout" => match first.parse::<u64>() {
                Ok(secs) => set_once(&mut self.connect_timeout, Duration::from_secs(secs)),
                Err(_) => bad(&mut self.notes, "is not a number of seconds"),
            },
            "serveraliveinterval" => match first.parse::<u64>() {
                Ok(secs) => set_once(&mut self.server_alive_interval, Duration::from_secs(secs)),
                Err(_) => bad(&mut self.notes, "is not a number of seconds"),
            },
            "serveralivecountmax" => match first.parse::<u32>() {
                Ok(n) => set_once(&mut self.server_alive_count_max, n),
                Err(_) => bad(&mut self.notes, "is not a number"),
            },
            "userknownhostsfile" => set_once(&mut self.user_known_hosts_files, d.args.clone()),
            "globalknownhostsfile" => set_once(&mut self.global_known_hosts_files, d.args.clone()),
            "hostkeyalias" => set_once(&mut self.host_key_alias, first),
            "identityagent" => set_once(&mut self.identity_agent, first),
            _ => {}
        }
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T) {
    if slot.is_none() {
        *slot = Some(value);
    }
}

fn yes_no(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

fn parse_match(args: &[String]) -> Option<Condition> {
    match args {
        [all] if all.eq_ignore_ascii_case("all") => Some(Condition::Always),
        [kind, patterns] if kind.eq_ignore_ascii_case("host") => Some(Condition::MatchHost {
            patterns: patterns.to_lowercase(),
            original: false,
        }),
        [kind, patterns] if kind.eq_ignore_ascii_case("originalhost") => {
            Some(Condition::MatchHost {
                patterns: patterns.to_lowercase(),
                original: true,
            })
        }
        _ => None,
    }
}

/// Splits `Keyword value "quoted value"` or `Keyword=value`; None for blanks and comments.
fn split_line(line: &str) -> Option<(String, Vec<String>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line
        .find(|c: char| c.is_whitespace() || c == '=')
        .unwrap_or(line.len());
    let key = line[..end].to_ascii_lowercase();
    let mut rest = line[end..].trim_start();
    if let Some(after) = rest.strip_prefix('=') {
        rest = after.trim_start();
    }
    let mut args = Vec::new();
    let mut chars = rest.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '#' {
            break;
        }
        let mut arg = String::new();
        if c == '"' {
            chars.next();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                arg.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                arg.push(c);
                chars.next();
            }
        }
        args.push(arg);
    }
    Some((key, args))
}

/// `Host` arguments: any positive pattern matches and no `!pattern` does.
fn host_patterns_match(patterns: &[String], host: &str) -> bool {
    let mut matched = false;
    for pattern in patterns {
        if let Some(negated) = pattern.strip_prefix('!') {
            if glob_match(negated, host) {
                return false;
            }
        } else if glob_match(pattern, host) {
            matched = true;
        }
    }
    matched
}

/// A comma-separated pattern list (`Match host`, known_hosts host fields).
pub(crate) fn pattern_list_match(list: &str, host: &str) -> bool {
    let patterns: Vec<String> = list.split(',').map(str::to_string).collect();
    host_patterns_match(&patterns, host)
}

/// `*` and `?` wildcards, as in ssh_config(5) PATTERNS.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
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

/// An `Include` argument: `~` expanded, relative to `~/.ssh`, `*`/`?` in the file name.
fn expand_include(pattern: &str, home: &Path) -> Vec<PathBuf> {
    let path = expand_tilde(pattern, home);
    let path = if path.is_absolute() {
        path
    } else {
        home.join(".ssh").join(path)
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        return vec![path];
    }
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| glob_match(&name, &e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SshConfig {
        SshConfig::parse(text, Path::new("config"), Path::new("/home/u"))
    }

    #[test]
    fn first_value_wins_and_identity_files_accumulate() {
        let cfg = parse(
            "Host web*\n  HostName %h.example.org\n  Port 2222\n  IdentityFile ~/.ssh/a\n\
             Host *\n  Port 22\n  User ops\n  IdentityFile ~/.ssh/b\n  IdentitiesOnly=yes\n",
        );
        let web = cfg.lookup("web1");
        assert_eq!(web.hostname.as_deref(), Some("%h.example.org"));
        assert_eq!(web.port, Some(2222));
        assert_eq!(web.user.as_deref(), Some("ops"));
        assert_eq!(web.identity_files, vec!["~/.ssh/a", "~/.ssh/b"]);
        assert_eq!(web.identities_only, Some(true));
        assert_eq!(cfg.lookup("db1").port, Some(22));
    }

    #[test]
    fn negated_patterns_exclude_and_quotes_group() {
        let cfg = parse("Host *.prod !bastion.prod\n  User \"deploy user\"\n");
        assert_eq!(cfg.lookup("web.prod").user.as_deref(), Some("deploy user"));
        assert_eq!(cfg.lookup("bastion.prod").user, None);
        assert_eq!(cfg.lookup("WEB.PROD").user.as_deref(), Some("deploy user"));
    }

    #[test]
    fn unsupported_match_is_skipped_with_a_note() {
        let cfg = parse("Match exec \"true\"\n  User nope\nMatch all\n  Port 7\n");
        let host = cfg.lookup("x");
        assert_eq!(host.user, None);
        assert_eq!(host.port, Some(7));
        assert!(host.notes[0].contains("not supported"), "{:?}", host.notes);
    }

    #[test]
    fn bad_values_are_noted_not_guessed() {
        let host = parse("Port abc\n").lookup("x");
        assert_eq!(host.port, None);
        assert!(host.notes[0].contains("config:1"), "{:?}", host.notes);
    }

    #[test]
    fn globbing() {
        assert!(glob_match("web?.prod", "web1.prod"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b", "aXXc"));
        assert!(pattern_list_match("a,!b*,c*", "cat"));
        assert!(!pattern_list_match("c*,!cat", "cat"));
    }
}
