//! What one drift target reads: a file, a directory tree, a command's output or an HTTP
//! body, with the caps that keep a side's transfer bounded.

use std::collections::BTreeMap;
use std::time::Duration;

use super::FetchError;
use crate::config::template_vars;

/// One `[[drift]]` target as the fetch reads it. Paths, commands and URLs may hold `{var}`
/// templates; [`DriftTarget::for_vars`] fills them in for one environment.
#[derive(Debug, Clone)]
pub struct DriftTarget {
    pub name: String,
    pub kind: TargetKind,
    /// Every call to a host or URL ends within this; a host that does not answer is hung.
    pub timeout: Duration,
    pub limits: Limits,
}

#[derive(Debug, Clone)]
pub enum TargetKind {
    /// One file, its entry named after the file.
    File { path: String },
    /// Every file under a directory (symlinks listed, not followed), keyed by relative path.
    Tree { path: String, globs: Globs },
    /// A command's stdout (`nginx -T`), run with `sh`, as one entry named after the target.
    Command { command: String },
    /// A GET's body (`/version`), as one entry named after the target.
    Http { url: String },
}

/// How much of a side travels for its diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A larger file stays hash-only: compared, not diffed.
    pub file_cap: u64,
    /// All files fetched by one `fill` together; the rest stay hash-only, with a note.
    pub total_cap: u64,
    /// A tree with more entries keeps the first ones by name, with a note.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A 200,000-line config (about 9 MB) is still diffed.
            file_cap: 12 << 20,
            // Below the SSH pool's default output cap (16 MiB) with room for the framing.
            total_cap: 14 << 20,
            max_entries: 50_000,
        }
    }
}

/// Include and exclude globs on an entry's relative path. A glob without `/` matches the
/// file name at any depth (`*.log`); one with `/` matches the whole path (`conf.d/*.conf`,
/// `cache/**`). `*` never crosses a `/`. No include: everything not excluded.
#[derive(Debug, Clone, Default)]
pub struct Globs {
    include: Vec<glob::Pattern>,
    exclude: Vec<glob::Pattern>,
}

impl Globs {
    pub fn new(include: &[&str], exclude: &[&str]) -> Result<Globs, FetchError> {
        let compile = |list: &[&str]| -> Result<Vec<glob::Pattern>, FetchError> {
            list.iter()
                .map(|text| {
                    glob::Pattern::new(text).map_err(|e| FetchError::BadGlob {
                        glob: text.to_string(),
                        why: e.msg.to_string(),
                    })
                })
                .collect()
        };
        Ok(Globs {
            include: compile(include)?,
            exclude: compile(exclude)?,
        })
    }

    /// Whether the entry at `rel` belongs to the target.
    pub fn admits(&self, rel: &str) -> bool {
        let matches = |p: &glob::Pattern| {
            let options = glob::MatchOptions {
                require_literal_separator: true,
                ..glob::MatchOptions::new()
            };
            if p.as_str().contains('/') {
                p.matches_with(rel, options)
            } else {
                p.matches_with(rel.rsplit('/').next().unwrap_or(rel), options)
            }
        };
        (self.include.is_empty() || self.include.iter().any(matches))
            && !self.exclude.iter().any(matches)
    }
}

impl Globs {
    /// `find` arguments that keep the host from hashing files the excludes drop anyway
    /// (`*.log` of a gigabyte): `( -path ./cache -o … ) -prune -o ! -name '*.log' …`, to
    /// put before `-type f`. Only globs whose meaning `find` shares exactly become
    /// arguments; the others are applied to the listing like every glob, so the Tree is
    /// the same either way.
    pub(super) fn hash_skips(&self) -> Vec<String> {
        let plain = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
        let (mut dirs, mut names) = (Vec::new(), Vec::new());
        for pattern in self.exclude.iter().map(glob::Pattern::as_str) {
            match pattern.strip_suffix("/**") {
                Some(dir) if !dir.is_empty() && dir.chars().all(|c| plain(c) || c == '/') => {
                    dirs.push(format!("./{dir}"));
                }
                _ if pattern.chars().all(|c| plain(c) || "*?".contains(c)) => {
                    names.push(pattern.to_string());
                }
                _ => {}
            }
        }
        let mut args = Vec::new();
        if !dirs.is_empty() {
            args.push("(".to_string());
            for (i, dir) in dirs.into_iter().enumerate() {
                if i > 0 {
                    args.push("-o".into());
                }
                args.extend(["-path".to_string(), dir]);
            }
            args.extend([")".into(), "-prune".into(), "-o".into()]);
        }
        for name in names {
            args.extend(["!".to_string(), "-name".into(), name]);
        }
        args
    }
}

impl DriftTarget {
    pub fn new(name: &str, kind: TargetKind) -> DriftTarget {
        DriftTarget {
            name: name.to_string(),
            kind,
            timeout: Duration::from_secs(30),
            limits: Limits::default(),
        }
    }

    /// This target with `{var}` in its path, command or URL filled from `vars`.
    pub fn for_vars(&self, vars: &BTreeMap<String, String>) -> DriftTarget {
        let fill = |text: &String| template_vars(text, vars);
        let kind = match &self.kind {
            TargetKind::File { path } => TargetKind::File { path: fill(path) },
            TargetKind::Tree { path, globs } => TargetKind::Tree {
                path: fill(path),
                globs: globs.clone(),
            },
            TargetKind::Command { command } => TargetKind::Command {
                command: fill(command),
            },
            TargetKind::Http { url } => TargetKind::Http { url: fill(url) },
        };
        DriftTarget {
            kind,
            ..self.clone()
        }
    }

    /// The path a file or tree target reads, and whether it is one file.
    pub(super) fn path(&self) -> Option<(&str, bool)> {
        match &self.kind {
            TargetKind::File { path } => Some((path, true)),
            TargetKind::Tree { path, .. } => Some((path, false)),
            _ => None,
        }
    }

    pub(super) fn globs(&self) -> Globs {
        match &self.kind {
            TargetKind::Tree { globs, .. } => globs.clone(),
            _ => Globs::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_without_a_slash_match_the_name_at_any_depth() {
        let globs = Globs::new(&[], &["*.log", "cache/**"]).unwrap();
        assert!(!globs.admits("a/b/app.log"));
        assert!(!globs.admits("cache/x/y"));
        assert!(globs.admits("a/cache/y"));
        assert!(globs.admits("nginx.conf"));
        let only = Globs::new(&["conf.d/*.conf"], &[]).unwrap();
        assert!(only.admits("conf.d/a.conf"));
        assert!(!only.admits("conf.d/sub/a.conf"));
    }

    #[test]
    fn excludes_find_understands_keep_the_host_from_hashing() {
        let globs = Globs::new(&[], &["*.log", "cache/**", "tmp/**", "[ab]*", "a/*.x"]).unwrap();
        assert_eq!(
            globs.hash_skips().join(" "),
            "( -path ./cache -o -path ./tmp ) -prune -o ! -name *.log"
        );
        assert!(Globs::default().hash_skips().is_empty());
    }

    #[test]
    fn templates_fill_per_environment() {
        let target = DriftTarget::new(
            "app",
            TargetKind::File {
                path: "{app_root}/config.toml".into(),
            },
        );
        let vars = BTreeMap::from([("app_root".to_string(), "/srv/app".to_string())]);
        assert_eq!(
            target.for_vars(&vars).path(),
            Some(("/srv/app/config.toml", true))
        );
    }
}
