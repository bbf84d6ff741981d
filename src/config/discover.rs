//! Finding the config file: `--config PATH`, `$SHERIFF_CONFIG`, `./sheriff.toml`, then
//! `~/.config/sheriff/sheriff.toml`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::diagnostic::ConfigError;

/// The file name looked for in the current directory and the user config dir.
pub const FILE_NAME: &str = "sheriff.toml";

/// The config file to load, or `None` when there is none anywhere.
///
/// A path given explicitly (`--config` or `$SHERIFF_CONFIG`) that does not exist is an
/// error rather than a reason to look elsewhere: the user asked for that file, and quietly
/// loading another would be worse than stopping.
pub fn discover(cli: Option<&Path>) -> Result<Option<PathBuf>, ConfigError> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let user_dir = crate::paths::config_dir();
    discover_in(
        cli,
        std::env::var_os("SHERIFF_CONFIG"),
        &cwd,
        user_dir.as_deref(),
    )
}

/// Every place `discover` looks, in order, for "no config found" messages.
pub fn search_order(cli: Option<&Path>) -> Vec<String> {
    let mut places = Vec::new();
    if let Some(path) = cli {
        places.push(format!("--config {}", path.display()));
    }
    places.push("$SHERIFF_CONFIG".to_string());
    places.push(format!("./{FILE_NAME}"));
    if let Some(dir) = crate::paths::config_dir() {
        places.push(dir.join(FILE_NAME).display().to_string());
    }
    places
}

fn discover_in(
    cli: Option<&Path>,
    env: Option<OsString>,
    cwd: &Path,
    user_dir: Option<&Path>,
) -> Result<Option<PathBuf>, ConfigError> {
    if let Some(path) = cli {
        return must_exist(path, "check the path given to --config");
    }
    // An empty variable is as good as unset, as `SHERIFF_CONFIG= sheriff` intends.
    if let Some(path) = env.filter(|v| !v.is_empty()) {
        return must_exist(Path::new(&path), "fix or unset $SHERIFF_CONFIG");
    }
    let local = cwd.join(FILE_NAME);
    if local.is_file() {
        // Shown to the user as written, not as an absolute path.
        return Ok(Some(PathBuf::from(FILE_NAME)));
    }
    Ok(user_dir
        .map(|dir| dir.join(FILE_NAME))
        .filter(|p| p.is_file()))
}

fn must_exist(path: &Path, hint: &str) -> Result<Option<PathBuf>, ConfigError> {
    if path.is_file() {
        Ok(Some(path.to_path_buf()))
    } else if path.exists() {
        Err(ConfigError::file(path, format!("not a file: {hint}")))
    } else {
        Err(ConfigError::file(path, format!("no such file: {hint}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::write(path, "").expect("write test file");
    }

    #[test]
    fn explicit_paths_win_and_must_exist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let given = dir.path().join("given.toml");
        touch(&given);
        let env = Some(OsString::from("/nonexistent/env.toml"));
        assert_eq!(
            discover_in(Some(&given), env.clone(), dir.path(), None),
            Ok(Some(given))
        );

        let err = discover_in(None, env, dir.path(), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/nonexistent/env.toml: no such file: fix or unset $SHERIFF_CONFIG"
        );

        let missing = dir.path().join("missing.toml");
        let err = discover_in(Some(&missing), None, dir.path(), None).unwrap_err();
        assert!(err.message.starts_with("no such file"), "{err}");
    }

    #[test]
    fn falls_back_to_cwd_then_user_dir() {
        let cwd = tempfile::tempdir().expect("tempdir");
        let user = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            discover_in(None, None, cwd.path(), Some(user.path())),
            Ok(None)
        );

        touch(&user.path().join(FILE_NAME));
        let found = discover_in(None, Some(OsString::new()), cwd.path(), Some(user.path()));
        assert_eq!(found, Ok(Some(user.path().join(FILE_NAME))));

        touch(&cwd.path().join(FILE_NAME));
        let found = discover_in(None, None, cwd.path(), Some(user.path()));
        assert_eq!(found, Ok(Some(PathBuf::from(FILE_NAME))));
    }
}
