//! `Include` paths as OpenSSH expands them: `~` for the home directory, relative paths under
//! `~/.ssh`, and `glob(3)` patterns in any part of the path (`conf.d/*/config` too), the
//! matches in byte order as glob(3) sorts them. The `glob` crate does the directory walk.

use std::path::{Path, PathBuf};

use super::expand_tilde;

/// The files one `Include` argument names (none is fine: OpenSSH skips a pattern that
/// matches nothing). `Err` for a pattern that cannot be read as one.
pub(super) fn include_paths(arg: &str, home: &Path) -> Result<Vec<PathBuf>, String> {
    let anchored = if arg.starts_with('~') || Path::new(arg).is_absolute() {
        arg.to_string()
    } else {
        format!("~/.ssh/{arg}")
    };
    let path = expand_tilde(&anchored, home);
    let pattern = path.to_string_lossy().into_owned();
    if !pattern.contains(['*', '?', '[']) {
        return Ok(if path.exists() {
            vec![path]
        } else {
            Vec::new()
        });
    }
    // glob(3) treats `**` as `*`; the crate would recurse.
    let pattern = pattern.replace("**", "*");
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let matches = glob::glob_with(&pattern, options)
        .map_err(|e| format!("glob failed for {pattern}: {e}"))?;
    let mut found: Vec<PathBuf> = matches.filter_map(Result::ok).collect();
    found.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    Ok(found)
}

/// OpenSSH refuses an included file that another user owns or others may write
/// ("Bad owner or permissions").
pub(super) fn check_permissions(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    // SAFETY: getuid has no preconditions.
    let me = unsafe { libc::getuid() };
    if (meta.uid() != 0 && meta.uid() != me) || meta.mode() & 0o022 != 0 {
        return Err(format!(
            "Bad owner or permissions on {} (OpenSSH refuses it too: chmod go-w {0})",
            path.display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_in_directory_parts_and_relative_paths() {
        let home = tempfile::tempdir().unwrap();
        for dir in ["b", "a", "a-b"] {
            let d = home.path().join(".ssh/conf.d").join(dir);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("config"), "").unwrap();
        }
        std::fs::create_dir_all(home.path().join(".ssh/conf.d/.hidden")).unwrap();
        std::fs::write(home.path().join(".ssh/conf.d/.hidden/config"), "").unwrap();
        let found = include_paths("conf.d/*/config", home.path()).unwrap();
        let names: Vec<String> = found
            .iter()
            .map(|p| p.strip_prefix(home.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                ".ssh/conf.d/a-b/config",
                ".ssh/conf.d/a/config",
                ".ssh/conf.d/b/config"
            ]
        );
        assert!(include_paths("~/nothing/*", home.path())
            .unwrap()
            .is_empty());
        assert_eq!(
            include_paths("~/.ssh/conf.d/a/config", home.path())
                .unwrap()
                .len(),
            1
        );
    }
}
