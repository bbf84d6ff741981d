//! Secret values compared without being kept: each is hashed with a salt the moment it is
//! read, and only the digest travels on. What "looks secret" is the redactor's call, never
//! this module's.

use sha2::{Digest, Sha256};

use crate::redact;

/// What a secret value is shown as in a structured difference and in JSON.
pub const SECRET_SHOWN: &str = "••";

/// A salt drawn once per comparison and used for both sides, so equal secrets give equal
/// digests within one run and a digest means nothing outside it.
#[derive(Clone)]
pub struct Salt([u8; 32]);

impl Salt {
    pub fn random() -> Salt {
        Salt(rand::random())
    }

    pub(crate) fn digest(&self, value: &str) -> SecretDigest {
        let mut hasher = Sha256::new();
        hasher.update(self.0);
        hasher.update(value.as_bytes());
        SecretDigest(hasher.finalize().into())
    }
}

impl std::fmt::Debug for Salt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Salt(••)")
    }
}

/// A salted hash of a secret value: equal or not, and nothing else.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretDigest([u8; 32]);

impl SecretDigest {
    /// The digest in hex: for comparing, never for showing (it means nothing outside its
    /// run, but nothing is gained by printing it).
    pub(crate) fn hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

impl std::fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretDigest(••)")
    }
}

/// Whether a value assigned to `key` looks secret to the redactor: by its name
/// (`password`, `token`…) or by its shape (a provider token, a URL with a password).
pub(crate) fn is_secret_assignment(key: &str, value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    // Asked as the assignment line the redactor knows from env and INI files, so the one
    // redactor decides for structured files too.
    let line = format!("{key}={value}");
    !redact::secrets(&line).is_empty() || !redact::secrets(value).is_empty()
}

/// Text as it may be shown: control characters made visible, secrets masked.
pub(crate) fn shown(text: &str) -> String {
    crate::text::into_printable(redact::mask(text).into_owned())
}

/// The secrets of one line, each as its key (when it has one) and salted digest.
pub(crate) fn line_secrets(line: &str, salt: &Salt) -> Vec<(Option<String>, SecretDigest)> {
    redact::secrets(line)
        .into_iter()
        .map(|s| (s.key.map(shown), salt.digest(s.value)))
        .collect()
}
