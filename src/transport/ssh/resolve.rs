//! One host's connection settings: sheriff's `[hosts.NAME]` first, then what its `ssh`
//! string says (`user@addr:port`), then `~/.ssh/config`, then defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::SshError;
use super::options::{local_user_name, AgentChoice, SshOptions};
use super::ssh_config::{SshConfig, SshConfigHost};
use super::tokens::Tokens;
use crate::config::Host;

/// Everything needed to connect to one host, all sources merged.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedHost {
    /// sheriff's name for the host (in events and errors).
    pub name: String,
    /// The name looked up in `~/.ssh/config`.
    pub alias: String,
    /// Where to connect.
    pub hostname: String,
    pub port: u16,
    pub user: String,
    /// Explicit identity files (sheriff's, else `IdentityFile`s); empty: the defaults.
    pub identity_files: Vec<PathBuf>,
    pub identities_only: bool,
    pub proxy_jump: Option<Box<ResolvedHost>>,
    pub connect_timeout: Duration,
    pub keepalive: Duration,
    pub keepalive_count_max: u32,
    /// User files first (new keys from `accept_new` go to the first), then system ones,
    /// then the host's `known_hosts` from sheriff's config.
    pub known_hosts_files: Vec<PathBuf>,
    /// `UserKnownHostsFile` expanded (empty for `none`), as `sheriff hosts --resolve` shows it.
    pub user_known_hosts_files: Vec<PathBuf>,
    /// `GlobalKnownHostsFile` expanded, or the system files.
    pub global_known_hosts_files: Vec<PathBuf>,
    /// The jump host as written (`[user@]host[:port]`), before it was resolved.
    pub proxy_jump_spec: Option<String>,
    /// The name to look the host key up under (`HostKeyAlias`), else `hostname`.
    pub host_key_alias: Option<String>,
    pub accept_new: bool,
    pub password_auth: bool,
    pub max_channels: usize,
    pub agent: AgentChoice,
    /// The home directory used for `~` (default identity files live under it).
    pub home: PathBuf,
    /// Things in `~/.ssh/config` that sheriff ignored, for the curious.
    pub notes: Vec<String>,
}

impl ResolvedHost {
    /// `user@hostname:port`, plus ` via JUMP` when jumping.
    pub fn address(&self) -> String {
        let mut s = format!("{}@{}:{}", self.user, self.hostname, self.port);
        if let Some(jump) = &self.proxy_jump {
            s.push_str(&format!(
                " via {}@{}:{}",
                jump.user, jump.hostname, jump.port
            ));
        }
        s
    }

    /// The name known_hosts files use for this host.
    pub fn key_name(&self) -> &str {
        self.host_key_alias.as_deref().unwrap_or(&self.hostname)
    }
}

/// `[ssh://][user@]host[:port]`, with `[v6]:port` for IPv6 literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

pub(crate) fn parse_destination(spec: &str) -> Result<Destination, String> {
    let rest = spec.strip_prefix("ssh://").unwrap_or(spec);
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u.to_string()), h),
        Some(_) => return Err(format!("{spec:?} has an empty user name")),
        None => (None, rest),
    };
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or_else(|| format!("{spec:?} has an unclosed ["))?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return Err(format!("{spec:?} has text after ]")),
        }
    } else if hostport.matches(':').count() == 1 {
        let (h, p) = hostport.split_once(':').unwrap_or((hostport, ""));
        (h, Some(p))
    } else {
        (hostport, None)
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("{spec:?} does not name a host"));
    }
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("{spec:?} has a bad port {p:?}"))?,
        ),
        None => None,
    };
    Ok(Destination {
        user,
        host: host.to_string(),
        port,
    })
}

/// Merges sheriff's host, its ssh string and `~/.ssh/config`. `sheriff_host` finds another
/// sheriff host by name, so `proxy_jump = "bastion"` may name one.
pub fn resolve(
    host: &Host,
    ssh_config: &SshConfig,
    options: &SshOptions,
    home: &Path,
    sheriff_host: &dyn Fn(&str) -> Option<Host>,
) -> Result<ResolvedHost, SshError> {
    resolve_inner(host, ssh_config, options, home, sheriff_host, true)
}

fn resolve_inner(
    host: &Host,
    ssh_config: &SshConfig,
    options: &SshOptions,
    home: &Path,
    sheriff_host: &dyn Fn(&str) -> Option<Host>,
    allow_jump: bool,
) -> Result<ResolvedHost, SshError> {
    let config_error = |message: String| SshError::Config {
        host: host.name.clone(),
        message,
    };
    let spec = host.ssh.as_deref().unwrap_or(&host.name);
    let dest = parse_destination(spec).map_err(|e| config_error(format!("ssh = {e}")))?;
    let local_user = options
        .local_user
        .clone()
        .or_else(local_user_name)
        .unwrap_or_default();
    let cfg: SshConfigHost = ssh_config
        .lookup_as(&dest.host, &local_user)
        .map_err(|e| config_error(e.to_string()))?;
    if let Some(command) = cfg.proxy_command.as_deref().filter(|c| *c != "none") {
        return Err(config_error(format!(
            "ProxyCommand {command:?} is not supported; use ProxyJump"
        )));
    }

    let user = host
        .user
        .clone()
        .or(dest.user.clone())
        .or(cfg.user.clone())
        .or_else(|| options.local_user.clone())
        .or_else(local_user_name)
        .ok_or_else(|| config_error("no user name: set user for this host".into()))?;
    let port = host.port.or(dest.port).or(cfg.port).unwrap_or(22);
    let hostname = cfg
        .hostname
        .clone()
        .unwrap_or_else(|| dest.host.to_lowercase());
    let tokens = Tokens {
        home,
        local_user: &local_user,
        remote_user: &user,
        hostname: &hostname,
        original: &dest.host,
        port,
        host_key_alias: cfg.host_key_alias.as_deref(),
        proxy_jump: cfg.proxy_jump.as_deref(),
    };
    let expand_checked = |s: &str| -> Result<PathBuf, SshError> {
        tokens
            .expand(s)
            .map_err(|e| config_error(format!("~/.ssh/config: {e}")))
    };
    let expand = |s: &str| -> PathBuf { tokens.expand(s).unwrap_or_else(|_| PathBuf::from(s)) };

    let identity_files = match &host.identity_file {
        Some(path) => vec![expand(&path.display().to_string())],
        None => cfg
            .identity_files
            .iter()
            .map(|f| expand_checked(f))
            .collect::<Result<_, _>>()?,
    };

    let known_list = |files: &[String]| -> Result<Vec<PathBuf>, SshError> {
        files
            .iter()
            .filter(|f| !f.eq_ignore_ascii_case("none"))
            .map(|f| expand_checked(f))
            .collect()
    };
    let user_known_hosts_files = match &cfg.user_known_hosts_files {
        Some(files) => known_list(files)?,
        None => vec![
            home.join(".ssh/known_hosts"),
            home.join(".ssh/known_hosts2"),
        ],
    };
    // As in ssh.c, only the user files are expanded.
    let global_known_hosts_files = match &cfg.global_known_hosts_files {
        Some(files) => files
            .iter()
            .filter(|f| !f.eq_ignore_ascii_case("none"))
            .map(PathBuf::from)
            .collect(),
        None => options.system_known_hosts.clone(),
    };
    let mut known_hosts_files = user_known_hosts_files.clone();
    known_hosts_files.extend(global_known_hosts_files.iter().cloned());
    if let Some(extra) = &host.known_hosts {
        known_hosts_files.push(expand(&extra.display().to_string()));
    }

    let agent = match cfg.identity_agent.as_deref() {
        Some(a) if a.eq_ignore_ascii_case("none") => AgentChoice::Off,
        Some("SSH_AUTH_SOCK") | None => options.agent.clone(),
        Some(_) if options.agent == AgentChoice::Off => AgentChoice::Off,
        Some(path) => AgentChoice::Socket(expand(path)),
    };

    let jump_spec = host
        .proxy_jump
        .clone()
        .or(cfg.proxy_jump.clone())
        .filter(|j| !j.eq_ignore_ascii_case("none"));
    let proxy_jump_spec = jump_spec.clone();
    let proxy_jump = match jump_spec {
        None => None,
        Some(_) if !allow_jump => {
            return Err(config_error(
                "ProxyJump through more than one jump host is not supported".into(),
            ))
        }
        Some(spec) if spec.contains(',') => {
            return Err(config_error(format!(
                "ProxyJump {spec:?} chains several jump hosts; sheriff supports one"
            )))
        }
        Some(spec) => {
            let mut jump = sheriff_host(&spec).unwrap_or_else(|| {
                let mut h = Host::named(&spec);
                h.ssh = Some(spec.clone());
                h
            });
            jump.name = format!("{} (jump host for {})", spec, host.name);
            if jump.known_hosts.is_none() {
                jump.known_hosts = host.known_hosts.clone();
            }
            if jump.connect_timeout.is_none() {
                jump.connect_timeout = host.connect_timeout;
            }
            let resolved = resolve_inner(&jump, ssh_config, options, home, sheriff_host, false)
                .map_err(|e| match e {
                    SshError::Config { message, .. } => {
                        config_error(format!("jump host {spec}: {message}"))
                    }
                    other => other,
                })?;
            Some(Box::new(resolved))
        }
    };

    Ok(ResolvedHost {
        name: host.name.clone(),
        alias: dest.host.clone(),
        hostname,
        port,
        user,
        identity_files,
        identities_only: cfg.identities_only.unwrap_or(false),
        proxy_jump,
        connect_timeout: host
            .connect_timeout
            .or(cfg.connect_timeout)
            .unwrap_or(options.connect_timeout),
        keepalive: host
            .keepalive
            .or(cfg.server_alive_interval.filter(|d| !d.is_zero()))
            .unwrap_or(options.keepalive),
        keepalive_count_max: cfg
            .server_alive_count_max
            .unwrap_or(options.keepalive_count_max)
            .max(1),
        known_hosts_files,
        user_known_hosts_files,
        global_known_hosts_files,
        proxy_jump_spec,
        host_key_alias: cfg.host_key_alias.clone(),
        accept_new: host.accept_new,
        password_auth: host.password_auth,
        max_channels: host.max_channels.max(1),
        agent,
        home: home.to_path_buf(),
        notes: cfg.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        let d = parse_destination("deploy@10.0.0.5:2222").unwrap();
        assert_eq!(
            (d.user.as_deref(), d.host.as_str(), d.port),
            (Some("deploy"), "10.0.0.5", Some(2222))
        );
        let d = parse_destination("ssh://[::1]:22").unwrap();
        assert_eq!((d.host.as_str(), d.port), ("::1", Some(22)));
        assert_eq!(parse_destination("fe80::1").unwrap().port, None);
        assert!(parse_destination("web:abc").is_err());
        assert!(parse_destination("@web").is_err());
    }

    #[test]
    fn sheriff_wins_over_ssh_config() {
        let home = Path::new("/home/u");
        let cfg = SshConfig::parse(
            "Host db1\n HostName 10.1.1.1\n User cfguser\n Port 2200\n \
             IdentityFile ~/.ssh/db_key\n ProxyJump bastion\nHost bastion\n User jumper\n",
            Path::new("config"),
            home,
        );
        let mut host = Host::named("db");
        host.ssh = Some("db1".into());
        host.port = Some(22);
        let options = SshOptions::default();
        let r = resolve(&host, &cfg, &options, home, &|_| None).unwrap();
        assert_eq!(r.hostname, "10.1.1.1");
        assert_eq!(r.user, "cfguser");
        assert_eq!(r.port, 22);
        assert_eq!(r.identity_files, vec![PathBuf::from("/home/u/.ssh/db_key")]);
        let jump = r.proxy_jump.as_ref().unwrap();
        assert_eq!(
            (jump.user.as_str(), jump.hostname.as_str()),
            ("jumper", "bastion")
        );
        assert_eq!(
            r.known_hosts_files[0],
            PathBuf::from("/home/u/.ssh/known_hosts")
        );

        host.user = Some("override".into());
        host.proxy_jump = Some("none".into());
        let r = resolve(&host, &cfg, &options, home, &|_| None).unwrap();
        assert_eq!(r.user, "override");
        assert!(r.proxy_jump.is_none());
    }

    #[test]
    fn chained_jumps_are_refused() {
        let home = Path::new("/h");
        let cfg = SshConfig::parse("Host a\n ProxyJump b,c\n", Path::new("c"), home);
        let err = resolve(
            &Host::named("a"),
            &cfg,
            &SshOptions::default(),
            home,
            &|_| None,
        );
        assert!(matches!(err, Err(SshError::Config { .. })), "{err:?}");
    }
}
