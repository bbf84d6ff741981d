//! One lookup: the config's items in order, with the state OpenSSH keeps while reading
//! (which block applies, the values found so far, whether a final pass is wanted).

use super::keywords::Setting;
use super::matching::{self, pattern_list_match, MatchInput, Test};
use super::{ConfigFile, ItemKind, SshConfigHost};

/// One lookup's state as it walks the config in order.
pub(super) struct Walk<'a> {
    /// What `Host` lines match: the name as typed (the resolved name in the final pass).
    pub host: String,
    pub original: &'a str,
    pub local_user: &'a str,
    pub final_pass: bool,
    pub out: SshConfigHost,
    pub errors: Vec<String>,
    pub wants_final: bool,
    pub canonicalize: Option<bool>,
    pub ignore_unknown: Option<String>,
}

impl Walk<'_> {
    pub fn file(&mut self, file: &ConfigFile, active: &mut bool, never_match: bool) {
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
