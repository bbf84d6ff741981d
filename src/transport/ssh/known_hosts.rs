//! known_hosts files, read the way OpenSSH reads them: plain host patterns (`*`, `?`,
//! `!negation`, `[host]:port`), hashed entries (`|1|salt|hmac-sha1`), `@revoked` keys.
//! `@cert-authority` lines are skipped (sheriff does not verify host certificates).

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::ssh_config::pattern_list_match;

/// A server's public host key: its algorithm name and its wire-format blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    pub key_type: String,
    pub blob: Vec<u8>,
}

impl HostKey {
    /// The key from its wire blob (which starts with its type name).
    pub fn from_blob(blob: &[u8]) -> Option<HostKey> {
        let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
        let name = blob.get(4..4 + len)?;
        Some(HostKey {
            key_type: String::from_utf8(name.to_vec()).ok()?,
            blob: blob.to_vec(),
        })
    }

    /// `ssh-ed25519 AAAA...`, as in a known_hosts or `.pub` file.
    pub fn from_openssh(key_type: &str, base64: &str) -> Option<HostKey> {
        let blob = STANDARD.decode(base64).ok()?;
        HostKey::from_blob(&blob).filter(|k| k.key_type == key_type)
    }

    /// `SHA256:…`, exactly as `ssh-keygen -lf` prints it.
    pub fn fingerprint(&self) -> String {
        format!(
            "SHA256:{}",
            STANDARD_NO_PAD.encode(Sha256::digest(&self.blob))
        )
    }

    /// `ED25519`, `RSA`, `ECDSA`: the name `ssh-keygen -l` shows.
    pub fn short_type(&self) -> &'static str {
        match self.key_type.as_str() {
            "ssh-ed25519" => "ED25519",
            "ssh-rsa" => "RSA",
            "ssh-dss" => "DSA",
            t if t.starts_with("ecdsa-") => "ECDSA",
            _ => "KEY",
        }
    }

    /// `ED25519 SHA256:…`
    pub fn describe(&self) -> String {
        format!("{} {}", self.short_type(), self.fingerprint())
    }

    /// `ssh-ed25519 AAAA…`
    pub fn to_openssh(&self) -> String {
        format!("{} {}", self.key_type, STANDARD.encode(&self.blob))
    }
}

/// The name a host has in known_hosts: `host` on port 22, `[host]:port` otherwise.
pub fn known_hosts_name(host: &str, port: u16) -> String {
    let host = host.to_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Plain,
    Revoked,
}

/// One known_hosts line that names the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownEntry {
    pub file: PathBuf,
    pub line: usize,
    pub key: HostKey,
    revoked: bool,
}

/// What the known_hosts files say about a server's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Trusted {
        file: PathBuf,
        line: usize,
    },
    /// No entry names this host.
    Unknown,
    /// Entries name this host, none with this key.
    Changed {
        known: Vec<KnownEntry>,
    },
    Revoked {
        file: PathBuf,
        line: usize,
    },
}

/// Every entry in `files` that names `host` on `port` (missing files are skipped).
pub fn entries_for(files: &[PathBuf], host: &str, port: u16) -> Vec<KnownEntry> {
    let name = known_hosts_name(host, port);
    let mut out = Vec::new();
    for file in files {
        let text = match fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                tracing::warn!("cannot read known_hosts file {}: {e}", file.display());
                continue;
            }
        };
        for (index, line) in text.lines().enumerate() {
            if let Some((marker, key)) = parse_line(line, &name) {
                out.push(KnownEntry {
                    file: file.clone(),
                    line: index + 1,
                    key,
                    revoked: marker == Marker::Revoked,
                });
            }
        }
    }
    out
}

/// The entry's marker and key if `line` names `name`; None for comments, other hosts,
/// `@cert-authority` and malformed lines.
fn parse_line(line: &str, name: &str) -> Option<(Marker, HostKey)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let mut first = fields.next()?;
    let marker = match first {
        "@revoked" => Marker::Revoked,
        "@cert-authority" => return None,
        m if m.starts_with('@') => return None,
        _ => Marker::Plain,
    };
    if marker == Marker::Revoked {
        first = fields.next()?;
    }
    if !host_field_matches(first, name) {
        return None;
    }
    let key_type = fields.next()?;
    let key = HostKey::from_openssh(key_type, fields.next()?)?;
    Some((marker, key))
}

fn host_field_matches(field: &str, name: &str) -> bool {
    match field.strip_prefix("|1|") {
        Some(hashed) => hashed_matches(hashed, name),
        None => pattern_list_match(&field.to_lowercase(), name),
    }
}

/// `salt|hash`, both base64: HMAC-SHA1 keyed by the salt over the host name.
fn hashed_matches(hashed: &str, name: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(&salt) else {
        return false;
    };
    mac.update(name.as_bytes());
    mac.verify_slice(&hash).is_ok()
}

/// Checks `key` for `host:port` against `files`, as OpenSSH does.
pub fn verify(files: &[PathBuf], host: &str, port: u16, key: &HostKey) -> Verdict {
    let entries = entries_for(files, host, port);
    if let Some(e) = entries.iter().find(|e| e.revoked && e.key == *key) {
        return Verdict::Revoked {
            file: e.file.clone(),
            line: e.line,
        };
    }
    if let Some(e) = entries.iter().find(|e| !e.revoked && e.key == *key) {
        return Verdict::Trusted {
            file: e.file.clone(),
            line: e.line,
        };
    }
    let known: Vec<KnownEntry> = entries.into_iter().filter(|e| !e.revoked).collect();
    if known.is_empty() {
        Verdict::Unknown
    } else {
        Verdict::Changed { known }
    }
}

/// Host key algorithms to ask the server for: those of the keys already known for this
/// host first, so a server with several keys shows the one we can check.
pub fn preferred_algorithms(known: &[KnownEntry], supported: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in known.iter().filter(|e| !e.revoked) {
        let key_type = entry.key.key_type.as_str();
        let algs: Vec<&str> = match key_type {
            "ssh-rsa" => vec!["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
            other => vec![other],
        };
        for alg in algs {
            if supported.contains(&alg) && !out.iter().any(|a| a == alg) {
                out.push(alg.to_string());
            }
        }
    }
    for alg in supported {
        // Host certificates would hide the key behind a CA sheriff does not check.
        if !alg.contains("-cert-") && !out.iter().any(|a| a == alg) {
            out.push((*alg).to_string());
        }
    }
    out
}

/// Single-quotes `s` for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The exact command that trusts `key` for `host:port` by appending it to `file`.
pub fn trust_command(file: &Path, host: &str, port: u16, key: &HostKey) -> String {
    let line = format!("{} {}", known_hosts_name(host, port), key.to_openssh());
    let dir = file.parent().unwrap_or(Path::new("."));
    format!(
        "mkdir -p {} && printf '%s\\n' {} >> {}",
        shell_quote(&dir.display().to_string()),
        shell_quote(&line),
        shell_quote(&file.display().to_string())
    )
}

/// The command that removes every key of `host:port` from `file`.
pub fn remove_command(file: &Path, host: &str, port: u16) -> String {
    format!(
        "ssh-keygen -R {} -f {}",
        shell_quote(&known_hosts_name(host, port)),
        shell_quote(&file.display().to_string())
    )
}

/// Appends `key` for `host:port` to `file` (for `accept_new`), creating it private.
pub fn append(file: &Path, host: &str, port: u16, key: &HostKey) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = file.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(file)?;
    writeln!(f, "{} {}", known_hosts_name(host, port), key.to_openssh())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIDlzbaaJyErhmj5bKqucq3nx3923C8d/MCPnFjs+MpNZ";
    const OTHER: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIBmSiRZZXgp9K7aJc4/cBTyvN+kQRRWRT7i4ujMa2qqx";

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("known_hosts");
        fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn plain_patterns_ports_and_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            &format!("# c\nweb*,!web9 ssh-ed25519 {KEY}\n[db]:2222 ssh-ed25519 {OTHER} x\n"),
        );
        let key = HostKey::from_openssh("ssh-ed25519", KEY).unwrap();
        let files = vec![file.clone(), dir.path().join("missing")];
        assert_eq!(
            verify(&files, "web1", 22, &key),
            Verdict::Trusted { file, line: 2 }
        );
        assert_eq!(verify(&files, "web9", 22, &key), Verdict::Unknown);
        assert_eq!(verify(&files, "web1", 2200, &key), Verdict::Unknown);
        assert!(matches!(
            verify(&files, "db", 2222, &key),
            Verdict::Changed { .. }
        ));
    }

    #[test]
    fn hashed_entries_match_their_host_only() {
        // `ssh-keygen -H` of "[127.0.0.1]:2222" with salt 0x00..0x13.
        let salt: Vec<u8> = (0u8..20).collect();
        let mut mac = Hmac::<Sha1>::new_from_slice(&salt).unwrap();
        mac.update(b"[127.0.0.1]:2222");
        let hash = mac.finalize().into_bytes();
        let line = format!(
            "|1|{}|{} ssh-ed25519 {KEY}\n",
            STANDARD.encode(&salt),
            STANDARD.encode(hash)
        );
        let dir = tempfile::tempdir().unwrap();
        let files = vec![write(dir.path(), &line)];
        let key = HostKey::from_openssh("ssh-ed25519", KEY).unwrap();
        assert!(matches!(
            verify(&files, "127.0.0.1", 2222, &key),
            Verdict::Trusted { .. }
        ));
        assert_eq!(verify(&files, "127.0.0.1", 22, &key), Verdict::Unknown);
    }

    #[test]
    fn revoked_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![write(
            dir.path(),
            &format!("@revoked * ssh-ed25519 {KEY}\nh ssh-ed25519 {KEY}\n"),
        )];
        let key = HostKey::from_openssh("ssh-ed25519", KEY).unwrap();
        assert!(matches!(
            verify(&files, "h", 22, &key),
            Verdict::Revoked { .. }
        ));
    }

    #[test]
    fn trust_command_appends_a_line_that_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub dir/known_hosts");
        let key = HostKey::from_openssh("ssh-ed25519", KEY).unwrap();
        let cmd = trust_command(&file, "10.0.0.5", 2222, &key);
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(&cmd)
            .status()
            .unwrap();
        assert!(status.success());
        assert!(matches!(
            verify(&[file], "10.0.0.5", 2222, &key),
            Verdict::Trusted { .. }
        ));
    }

    #[test]
    fn prefers_known_key_types() {
        let dir = tempfile::tempdir().unwrap();
        let files = vec![write(dir.path(), &format!("h ssh-ed25519 {KEY}\n"))];
        let known = entries_for(&files, "h", 22);
        let prefs = preferred_algorithms(
            &known,
            &[
                "ecdsa-sha2-nistp256",
                "ssh-ed25519",
                "ssh-ed25519-cert-v01@openssh.com",
            ],
        );
        assert_eq!(prefs, vec!["ssh-ed25519", "ecdsa-sha2-nistp256"]);
    }
}
