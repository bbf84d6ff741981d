//! Authentication: ssh-agent first, then key files (asking for a passphrase once per
//! encrypted key), then a password only for hosts that opt in. Every attempt is recorded,
//! so a failure says which identities were tried and what the server allows.

use std::fs;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ssh2::Session;

use super::error::SshError;
use super::known_hosts::HostKey;
use super::options::AgentChoice;
use super::prompt::{Answers, Asker, PromptKind, PromptRequest, Unlock};
use super::resolve::ResolvedHost;

/// OpenSSH's default identities that libssh2 can use, in OpenSSH's order.
const DEFAULT_IDENTITIES: [&str; 3] = ["id_rsa", "id_ecdsa", "id_ed25519"];

/// How many wrong passphrases before giving up on a key.
const PASSPHRASE_TRIES: usize = 3;

pub(crate) struct AuthContext<'a> {
    pub asker: Asker<'a>,
    pub answers: &'a Answers,
}

/// What one login has tried, and which keys were left locked for want of an answer.
#[derive(Default)]
struct Attempts {
    tried: Vec<String>,
    locked: Vec<String>,
}

/// Authenticates `session` (handshaken, host key verified) as `host.user`.
pub(crate) fn authenticate(
    session: &Session,
    host: &ResolvedHost,
    ctx: &AuthContext<'_>,
) -> Result<(), SshError> {
    let user = host.user.as_str();
    let methods = match session.auth_methods(user) {
        Ok(m) => m.to_string(),
        Err(_) if session.authenticated() => return Ok(()),
        Err(e) => {
            return Err(SshError::Unreachable {
                host: host.name.clone(),
                address: host.address(),
                reason: format!(
                    "asking which authentication methods are allowed: {}",
                    e.message()
                ),
            })
        }
    };
    let allows = |m: &str| methods.split(',').any(|x| x == m);
    let mut attempts = Attempts::default();

    if allows("publickey") {
        let files = identity_files(host);
        let file_keys: Vec<Option<HostKey>> = files.iter().map(|f| public_key_of(f)).collect();
        let mut offered: Vec<Vec<u8>> = Vec::new();
        if try_agent(session, host, &file_keys, &mut offered, &mut attempts.tried) {
            return Ok(());
        }
        for (file, public) in files.iter().zip(&file_keys) {
            if let Some(key) = public {
                if offered.contains(&key.blob) {
                    attempts
                        .tried
                        .push(format!("{}: already offered by the agent", file.display()));
                    continue;
                }
            }
            if try_key_file(session, host, file, ctx, &mut attempts) {
                return Ok(());
            }
        }
        if files.is_empty() {
            attempts.tried.push(format!(
                "no identity files (none of {} exist in {})",
                DEFAULT_IDENTITIES.join(", "),
                host.home.join(".ssh").display()
            ));
        }
    } else {
        attempts
            .tried
            .push("public keys: the server does not accept them".into());
    }

    if allows("password") {
        if host.password_auth {
            if try_password(session, host, ctx, &mut attempts) {
                return Ok(());
            }
        } else {
            attempts
                .tried
                .push("password: off for this host (password_auth = true allows it)".into());
        }
    }

    if !attempts.locked.is_empty() {
        return Err(SshError::NotUnlocked {
            host: host.name.clone(),
            user: user.to_string(),
            locked: attempts.locked,
            tried: attempts.tried,
        });
    }
    Err(SshError::AuthFailed {
        host: host.name.clone(),
        user: user.to_string(),
        tried: attempts.tried,
        server_allows: methods,
    })
}

/// Explicit identity files (missing ones too, so the error names them), else the defaults
/// that exist.
fn identity_files(host: &ResolvedHost) -> Vec<PathBuf> {
    if !host.identity_files.is_empty() {
        return host.identity_files.clone();
    }
    default_identity_files(&host.home)
        .into_iter()
        .filter(|p| p.exists())
        .collect()
}

/// The identity files tried when none is configured (those that exist), in order.
pub fn default_identity_files(home: &Path) -> Vec<PathBuf> {
    DEFAULT_IDENTITIES
        .iter()
        .map(|name| home.join(".ssh").join(name))
        .collect()
}

/// The public half of a key file, from `FILE.pub`.
fn public_key_of(private: &Path) -> Option<HostKey> {
    let mut pub_path = private.as_os_str().to_owned();
    pub_path.push(".pub");
    let text = fs::read_to_string(PathBuf::from(pub_path)).ok()?;
    let mut fields = text.split_whitespace();
    let key_type = fields.next()?;
    HostKey::from_openssh(key_type, fields.next()?)
}

fn try_agent(
    session: &Session,
    host: &ResolvedHost,
    file_keys: &[Option<HostKey>],
    offered: &mut Vec<Vec<u8>>,
    tried: &mut Vec<String>,
) -> bool {
    let socket = match &host.agent {
        AgentChoice::Off => return false,
        AgentChoice::Socket(path) => Some(path.clone()),
        AgentChoice::FromEnv => match std::env::var_os("SSH_AUTH_SOCK") {
            Some(s) if !s.is_empty() => None,
            _ => return false,
        },
    };
    let mut agent = match session.agent() {
        Ok(a) => a,
        Err(e) => {
            tried.push(format!("ssh-agent: {}", e.message()));
            return false;
        }
    };
    if let Some(path) = &socket {
        if let Err(e) = agent.set_identity_path(path) {
            tried.push(format!("ssh-agent at {}: {}", path.display(), e.message()));
            return false;
        }
    }
    if let Err(e) = agent.connect().and_then(|()| agent.list_identities()) {
        tried.push(format!("ssh-agent: not reachable ({})", e.message()));
        return false;
    }
    let identities = agent.identities().unwrap_or_default();
    if identities.is_empty() {
        tried.push("ssh-agent: holds no keys".into());
    }
    for identity in identities {
        let blob = identity.blob().to_vec();
        let described = HostKey::from_blob(&blob)
            .map(|k| k.describe())
            .unwrap_or_else(|| "a key".into());
        if host.identities_only && !file_keys.iter().flatten().any(|k| k.blob == blob) {
            continue;
        }
        offered.push(blob);
        match agent.userauth(&host.user, &identity) {
            Ok(()) if session.authenticated() => {
                let _ = agent.disconnect();
                return true;
            }
            _ => tried.push(format!(
                "ssh-agent key {described} ({}): refused",
                identity.comment()
            )),
        }
    }
    let _ = agent.disconnect();
    false
}

fn try_key_file(
    session: &Session,
    host: &ResolvedHost,
    file: &Path,
    ctx: &AuthContext<'_>,
    attempts: &mut Attempts,
) -> bool {
    let shown = file.display();
    let tried = &mut attempts.tried;
    let text = match fs::read(file) {
        Ok(t) => t,
        Err(e) => {
            tried.push(format!("{shown}: cannot read ({e})"));
            return false;
        }
    };
    let mut pub_path = file.as_os_str().to_owned();
    pub_path.push(".pub");
    let pub_path = PathBuf::from(pub_path);
    let public = pub_path.exists().then_some(pub_path.as_path());
    if !key_is_encrypted(&text) {
        return match session.userauth_pubkey_file(&host.user, public, file, None) {
            Ok(()) if session.authenticated() => true,
            Ok(()) => false,
            Err(e) => {
                tried.push(describe_key_failure(file, &e));
                false
            }
        };
    }
    let request = PromptRequest {
        host: host.name.clone(),
        kind: PromptKind::KeyPassphrase {
            key: file.to_path_buf(),
        },
        retry: false,
    };
    let outcome = ctx.answers.unlock(
        &format!("key:{}", file.display()),
        &ctx.asker,
        request,
        PASSPHRASE_TRIES,
        |pass| session.userauth_pubkey_file(&host.user, public, file, Some(pass)),
        is_wrong_passphrase,
    );
    match outcome {
        Unlock::Used(Ok(())) => session.authenticated(),
        Unlock::Used(Err(e)) => {
            tried.push(describe_key_failure(file, &e));
            false
        }
        Unlock::NoAnswer => {
            tried.push(format!(
                "{shown}: encrypted and no passphrase was given (no terminal to ask, declined \
                 or timed out? add it to ssh-agent: ssh-add {shown})"
            ));
            attempts.locked.push(shown.to_string());
            false
        }
        Unlock::StillAsked => {
            tried.push(format!(
                "{shown}: encrypted; its passphrase is being asked for another host and was \
                 not given in time"
            ));
            attempts.locked.push(shown.to_string());
            false
        }
        Unlock::WrongAnswers => {
            tried.push(format!(
                "{shown}: wrong passphrase ({PASSPHRASE_TRIES} tries)"
            ));
            false
        }
    }
}

fn try_password(
    session: &Session,
    host: &ResolvedHost,
    ctx: &AuthContext<'_>,
    attempts: &mut Attempts,
) -> bool {
    let tried = &mut attempts.tried;
    let request = PromptRequest {
        host: host.name.clone(),
        kind: PromptKind::Password {
            user: host.user.clone(),
        },
        retry: false,
    };
    let outcome = ctx.answers.unlock(
        &format!("password:{}@{}:{}", host.user, host.hostname, host.port),
        &ctx.asker,
        request,
        PASSPHRASE_TRIES,
        |pass| session.userauth_password(&host.user, pass),
        |e| !super::error::is_fatal_code(session_code(e)),
    );
    match outcome {
        Unlock::Used(Ok(())) => session.authenticated(),
        Unlock::Used(Err(e)) => {
            tried.push(format!("password: {}", e.message()));
            false
        }
        Unlock::NoAnswer | Unlock::StillAsked => {
            tried.push("password: not given (nobody to ask, declined or timed out)".into());
            false
        }
        Unlock::WrongAnswers => {
            tried.push(format!("password: refused ({PASSPHRASE_TRIES} tries)"));
            false
        }
    }
}

fn session_code(e: &ssh2::Error) -> i32 {
    match e.code() {
        ssh2::ErrorCode::Session(code) => code,
        ssh2::ErrorCode::SFTP(_) => 0,
    }
}

/// libssh2 asks the server about the public key first; a key the server would take but that
/// cannot be decrypted fails in the signing step ("Callback returned error") or, without a
/// `.pub` file, when loading (`LIBSSH2_ERROR_FILE`).
fn is_wrong_passphrase(e: &ssh2::Error) -> bool {
    match e.code() {
        ssh2::ErrorCode::Session(-16 | -48) => true,
        ssh2::ErrorCode::Session(-19) => e.message().contains("Callback returned error"),
        _ => false,
    }
}

fn describe_key_failure(file: &Path, e: &ssh2::Error) -> String {
    let key = public_key_of(file)
        .map(|k| format!(" ({})", k.describe()))
        .unwrap_or_default();
    if is_wrong_passphrase(e) {
        return format!(
            "{}{key}: could not be loaded or used to sign ({})",
            file.display(),
            e.message()
        );
    }
    match e.code() {
        // LIBSSH2_ERROR_AUTHENTICATION_FAILED, _PUBLICKEY_UNVERIFIED
        ssh2::ErrorCode::Session(-18 | -19) => {
            format!("{}{key}: refused by the server", file.display())
        }
        _ => format!("{}{key}: {}", file.display(), e.message()),
    }
}

/// Whether a private key file needs a passphrase: PEM `ENCRYPTED` headers, or an OpenSSH
/// key whose cipher is not `none`.
pub(crate) fn key_is_encrypted(text: &[u8]) -> bool {
    let text = String::from_utf8_lossy(text);
    if text.contains("ENCRYPTED") {
        return true;
    }
    let Some(start) = text.find("-----BEGIN OPENSSH PRIVATE KEY-----") else {
        return false;
    };
    let body: String = text[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let Ok(raw) = STANDARD.decode(body.trim()) else {
        return false;
    };
    const MAGIC: &[u8] = b"openssh-key-v1\0";
    let Some(rest) = raw.strip_prefix(MAGIC) else {
        return false;
    };
    let Some(len) = rest.get(..4).and_then(|b| b.try_into().ok()) else {
        return false;
    };
    let len = u32::from_be_bytes(len) as usize;
    rest.get(4..4 + len).is_some_and(|cipher| cipher != b"none")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keygen(dir: &Path, name: &str, pass: &str) -> Vec<u8> {
        let path = dir.join(name);
        let status = std::process::Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", pass, "-f"])
            .arg(&path)
            .status()
            .expect("ssh-keygen must be installed (openssh-client)");
        assert!(status.success());
        fs::read(path).unwrap()
    }

    #[test]
    fn detects_encrypted_openssh_keys() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!key_is_encrypted(&keygen(dir.path(), "plain", "")));
        assert!(key_is_encrypted(&keygen(dir.path(), "locked", "secret")));
    }
}
