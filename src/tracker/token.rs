//! A tracker's token: read from the variable `token_env` names or the file `token_file`
//! names, never from argv or the config; never printed (`Debug` hides it), zeroed on drop.

use std::path::Path;

use zeroize::Zeroizing;

use super::TrackerError;
use crate::config::TrackerSpec;

pub struct Token(Zeroizing<String>);

impl Token {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The token `spec` points at. `Ok(None)` when it names none (a `dir` tracker, a
    /// webhook without auth); an error that names the variable or file when it names one
    /// that is empty or missing.
    pub fn from_spec(spec: &TrackerSpec) -> Result<Option<Token>, TrackerError> {
        if let Some(var) = &spec.token_env {
            return match std::env::var(var) {
                Ok(value) if !value.trim().is_empty() => {
                    Ok(Some(Token(Zeroizing::new(value.trim().to_string()))))
                }
                _ => Err(TrackerError::Setup(format!(
                    "the tracker token is read from ${var}, which is not set: export {var}=… \
                     before starting sheriff"
                ))),
            };
        }
        if let Some(path) = &spec.token_file {
            return Self::from_file(path).map(Some);
        }
        Ok(None)
    }

    fn from_file(path: &Path) -> Result<Token, TrackerError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            TrackerError::Setup(format!(
                "cannot read the tracker token from {}: {e} (token_file in [tracker])",
                path.display()
            ))
        })?;
        let value = text.trim();
        if value.is_empty() {
            return Err(TrackerError::Setup(format!(
                "the tracker token file {} is empty",
                path.display()
            )));
        }
        Ok(Token(Zeroizing::new(value.to_string())))
    }

    /// Where the token came from, for messages: `$GITHUB_TOKEN` or the file's path.
    pub fn source(spec: &TrackerSpec) -> String {
        match (&spec.token_env, &spec.token_file) {
            (Some(var), _) => format!("${var}"),
            (None, Some(path)) => path.display().to_string(),
            (None, None) => "token_env in [tracker] (no token is set)".into(),
        }
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(••)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_variable_is_named_and_a_token_never_prints() {
        let spec = TrackerSpec {
            token_env: Some("SHERIFF_TEST_NO_SUCH_TOKEN".into()),
            ..TrackerSpec::default()
        };
        let err = Token::from_spec(&spec).unwrap_err().to_string();
        assert!(err.contains("$SHERIFF_TEST_NO_SUCH_TOKEN"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "ghp_secretsecret\n").unwrap();
        let spec = TrackerSpec {
            token_file: Some(file),
            ..TrackerSpec::default()
        };
        let token = Token::from_spec(&spec).unwrap().unwrap();
        assert_eq!(token.expose(), "ghp_secretsecret");
        assert!(!format!("{token:?}").contains("secret"));
    }
}
