//! `%` tokens and `~` in `IdentityFile`, `UserKnownHostsFile` and the like, expanded as
//! `ssh` expands them when it connects (ssh.c `default_client_percent_dollar_expand`).

use std::path::{Path, PathBuf};

use super::ssh_config::expand_tilde;

/// What `%` tokens stand for in `IdentityFile`, `UserKnownHostsFile` and the like
/// (ssh_config(5) TOKENS, as ssh.c fills them); `~` first, as `ssh` does.
pub(crate) struct Tokens<'a> {
    pub home: &'a Path,
    pub local_user: &'a str,
    pub remote_user: &'a str,
    pub hostname: &'a str,
    pub original: &'a str,
    pub port: u16,
    pub host_key_alias: Option<&'a str>,
    pub proxy_jump: Option<&'a str>,
}

impl Tokens<'_> {
    pub fn expand(&self, raw: &str) -> Result<PathBuf, String> {
        let tilde = expand_tilde(raw, self.home).display().to_string();
        let mut out = String::new();
        let mut chars = tilde.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek() == Some(&'{') {
                chars.next();
                let name: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let value = std::env::var(&name)
                    .map_err(|_| format!("{raw:?}: environment variable ${{{name}}} is not set"))?;
                out.push_str(&value);
                continue;
            }
            if c != '%' {
                out.push(c);
                continue;
            }
            let value = match chars.next() {
                Some('%') => "%".to_string(),
                Some('d') => self.home.display().to_string(),
                Some('u') => self.local_user.to_string(),
                Some('r') => self.remote_user.to_string(),
                Some('h') => self.hostname.to_string(),
                Some('n') => self.original.to_string(),
                Some('p') => self.port.to_string(),
                Some('k') => self.host_key_alias.unwrap_or(self.original).to_string(),
                Some('j') => self
                    .proxy_jump
                    .filter(|j| *j != "none")
                    .unwrap_or("")
                    .to_string(),
                // SAFETY: getuid has no preconditions.
                Some('i') => unsafe { libc::getuid() }.to_string(),
                Some('l') => local_hostname(),
                Some('L') => local_hostname().split('.').next().unwrap_or("").to_string(),
                Some(other) => return Err(format!("{raw:?}: unknown token %{other}")),
                None => return Err(format!("{raw:?}: a lone % at the end")),
            };
            out.push_str(&value);
        }
        Ok(PathBuf::from(out))
    }
}

fn local_hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it
    // (the last byte stays 0 whatever it writes).
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}
