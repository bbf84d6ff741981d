//! Drift between two environments whose trees are on this machine (envs with `root`).
//!
//! Each side is normalised before the diff: every env var named in `replace` has its value
//! turned back into the literal (`staging.example.org` and `example.org` both become
//! `{domain}`), and lines matching an `ignore` regex are dropped. What still differs is
//! drift. Diffs go through the one redactor, so a secret never reaches the screen.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::event::Events;
use chrono::Utc;
use similar::{ChangeTag, TextDiff};

use super::{DriftFile, DriftReport, FileDrift};
use crate::config::{DriftSpec, Environment};
use crate::event::Event;
use crate::logs::tail::under_root;

/// Files larger than this are compared byte for byte but not diffed line by line.
const MAX_DIFF_BYTES: usize = 2 * 1024 * 1024;
/// A tree with more files than this is cut short, with an error saying so.
const MAX_FILES: usize = 5_000;
/// What a secret value shows as in the note.
const MASK: &str = "••";

/// Re-compares every `every` and sends a report when the result changed (the first one
/// always), until the receiver is gone. The comparison runs on the blocking pool: a large
/// tree must not stall the other workers.
pub async fn run(
    spec: DriftSpec,
    left: Environment,
    right: Environment,
    every: Duration,
    tx: Events,
) {
    let mut last: Option<DriftReport> = None;
    let mut ticks = tokio::time::interval(every.max(Duration::from_millis(100)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if tx.is_closed() {
            return;
        }
        let (s, l, r) = (spec.clone(), left.clone(), right.clone());
        let report = match tokio::task::spawn_blocking(move || compare(&s, &l, &r)).await {
            Ok(report) => report,
            Err(err) => failed(&spec, format!("comparison stopped: {err}")),
        };
        let changed = last.as_ref().is_none_or(|prev| !same_result(prev, &report));
        if changed {
            last = Some(report.clone());
            if tx.send_data(Event::Drift(report)).await.is_err() {
                return;
            }
        }
    }
}

fn same_result(a: &DriftReport, b: &DriftReport) -> bool {
    a.files == b.files && a.error == b.error
}

fn failed(spec: &DriftSpec, error: String) -> DriftReport {
    DriftReport {
        name: spec.name.clone(),
        between: spec.between.clone(),
        files: Vec::new(),
        error: Some(error),
        at: Utc::now(),
    }
}

/// Compares `spec.path` under the two envs' roots, file by file, sorted by path.
pub fn compare(spec: &DriftSpec, left: &Environment, right: &Environment) -> DriftReport {
    let ((left_base, left_files), (right_base, right_files)) =
        match (side(spec, left), side(spec, right)) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(error), _) | (_, Err(error)) => return failed(spec, error),
        };
    let mut report = failed(spec, String::new());
    report.error = None;
    let names: BTreeSet<&String> = left_files.iter().chain(&right_files).collect();
    if names.len() > MAX_FILES {
        report.error = Some(format!(
            "more than {MAX_FILES} files: showing the first {MAX_FILES}"
        ));
    }
    for name in names.into_iter().take(MAX_FILES) {
        let sides = Sides {
            left: (left, join_rel(&left_base, name)),
            right: (right, join_rel(&right_base, name)),
            rel: name,
        };
        report.files.push(compare_file(spec, &sides));
    }
    report
}

/// Where `spec.path` is for `env`, and the files under it.
fn side(spec: &DriftSpec, env: &Environment) -> Result<(PathBuf, Vec<String>), String> {
    let Some(root) = &env.root else {
        return Err(format!(
            "{} has no root: drift over ssh arrives with the transport",
            env.name
        ));
    };
    let path = spec.file_path().unwrap_or_default();
    let base = under_root(root, &crate::config::template_vars(path, &env.vars));
    let files = list(&base).map_err(|err| format!("{}: {}: {err}", env.name, base.display()))?;
    Ok((base, files))
}

/// One file's two copies.
struct Sides<'a> {
    left: (&'a Environment, PathBuf),
    right: (&'a Environment, PathBuf),
    /// The path shown: relative to the drift target (its file name for a single file).
    rel: &'a str,
}

fn compare_file(spec: &DriftSpec, sides: &Sides) -> DriftFile {
    let (left_env, right_env) = (sides.left.0, sides.right.0);
    let mut file = DriftFile {
        path: sides.rel.to_string(),
        drift: FileDrift::Same,
        note: None,
        diff: String::new(),
    };
    let read = |p: &Path| std::fs::read(p).ok();
    let (a, b) = (read(&sides.left.1), read(&sides.right.1));
    // A file on one side only is diffed against nothing, so its detail view shows it.
    let (a, b, only) = match (a, b) {
        (Some(a), Some(b)) => (a, b, None),
        (Some(a), None) => (a, Vec::new(), Some((FileDrift::OnlyLeft, &left_env.name))),
        (None, Some(b)) => (Vec::new(), b, Some((FileDrift::OnlyRight, &right_env.name))),
        (None, None) => {
            file.note = Some("unreadable on both sides".into());
            return file;
        }
    };
    if let Some((drift, env)) = only {
        file.drift = drift;
        file.note = Some(format!("only in {env}"));
    }
    let binary = |bytes: &[u8]| bytes[..bytes.len().min(8192)].contains(&0);
    if binary(&a) || binary(&b) || a.len() > MAX_DIFF_BYTES || b.len() > MAX_DIFF_BYTES {
        if a != b && only.is_none() {
            file.drift = FileDrift::Changed {
                added: 0,
                removed: 0,
            };
            file.note = Some("binary or large files differ".into());
        }
        return file;
    }
    let old = normalise(&String::from_utf8_lossy(&a), left_env, spec);
    let new = normalise(&String::from_utf8_lossy(&b), right_env, spec);
    if old == new {
        return file;
    }
    let diff = TextDiff::configure()
        .timeout(Duration::from_secs(1))
        .diff_lines(&old, &new);
    let (mut added, mut removed) = (0, 0);
    let mut keys: Vec<&str> = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => continue,
        }
        for secret in crate::redact::secrets(change.value()) {
            values.push(secret.value);
            if let Some(key) = secret.key.filter(|k| !keys.contains(k)) {
                keys.push(key);
            }
        }
    }
    if only.is_none() {
        file.drift = FileDrift::Changed { added, removed };
    }
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{}/{}", left_env.name, sides.rel),
            &format!("{}/{}", right_env.name, sides.rel),
        )
        .to_string();
    // Printable first, then masked, so an escape code inside a secret cannot hide it.
    file.diff = crate::redact::redact_with(&crate::text::into_printable(text), &values);
    if !keys.is_empty() {
        let verb = if keys.len() == 1 { "differs" } else { "differ" };
        file.note = Some(format!("{} {verb} ({MASK})", keys.join(", ")));
    }
    file
}

/// Applies `replace` (each env's var value back to its literal, longest value first so a
/// value containing another is replaced whole) and drops `ignore`d lines.
fn normalise(text: &str, env: &Environment, spec: &DriftSpec) -> String {
    let mut pairs: Vec<(&str, &str)> = spec
        .replace
        .iter()
        .filter_map(|(literal, var)| env.vars.get(var).map(|v| (v.as_str(), literal.as_str())))
        .filter(|(value, _)| !value.is_empty())
        .collect();
    pairs.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    let mut text = text.to_string();
    for (value, literal) in pairs {
        text = text.replace(value, literal);
    }
    if spec.ignore.is_empty() {
        return text;
    }
    let mut kept = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if !spec.ignore.iter().any(|re| re.is_match(bare)) {
            kept.push_str(line);
        }
    }
    kept
}

/// The files under `base` (relative paths with `/`), or `base`'s own name for a file.
fn list(base: &Path) -> std::io::Result<Vec<String>> {
    let meta = std::fs::metadata(base)?;
    if meta.is_file() {
        let name = base
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(vec![name]);
    }
    let mut out = Vec::new();
    walk(base, "", 0, &mut out)?;
    Ok(out)
}

fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<String>) -> std::io::Result<()> {
    // Deep trees are almost always a symlink loop or a mistake in `path`.
    if depth > 32 || out.len() > MAX_FILES {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type()?;
        // Symlinked directories are not followed (loops); symlinked files are read.
        if kind.is_dir() {
            walk(&entry.path(), &rel, depth + 1, out)?;
        } else if kind.is_file() || entry.path().is_file() {
            out.push(rel);
        }
    }
    Ok(())
}

/// For a single-file target the "relative" name is the file's own: the base is the file.
fn join_rel(base: &Path, rel: &str) -> PathBuf {
    if base.is_file() {
        base.to_path_buf()
    } else {
        base.join(rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn env(name: &str, root: &Path, domain: &str) -> Environment {
        Environment {
            name: name.into(),
            hosts: vec![],
            vars: BTreeMap::from([("domain".to_string(), domain.to_string())]),
            root: Some(root.to_path_buf()),
        }
    }

    fn spec(path: &str) -> DriftSpec {
        DriftSpec {
            ignore: vec![regex::Regex::new(r"^\s*#").unwrap()],
            replace: BTreeMap::from([("{domain}".to_string(), "domain".to_string())]),
            ..DriftSpec::path("app", path, ("production", "staging"))
        }
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn replace_and_ignore_make_equivalent_files_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        write(&a, "etc/x.conf", "# prod\nhost = api.example.org\n");
        write(
            &b,
            "etc/x.conf",
            "# staging copy\nhost = api.staging.example.org\n",
        );
        let report = compare(
            &spec("/etc/"),
            &env("production", &a, "example.org"),
            &env("staging", &b, "staging.example.org"),
        );
        assert_eq!(report.error, None);
        assert_eq!(report.files.len(), 1);
        assert_eq!(report.files[0].drift, FileDrift::Same);
    }

    #[test]
    fn counts_changes_notes_secrets_and_hides_their_values() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        write(&a, "etc/app.env", "DB_HOST=db\nDB_PASSWORD=hunter2-prod\n");
        write(
            &b,
            "etc/app.env",
            "DB_HOST=db\nDB_PASSWORD=hunter2-staging\nDEBUG=1\n",
        );
        write(&a, "etc/only-a", "x\n");
        let report = compare(
            &spec("/etc"),
            &env("production", &a, "p"),
            &env("staging", &b, "s"),
        );
        let app = &report.files[0];
        assert_eq!(app.path, "app.env");
        assert_eq!(
            app.drift,
            FileDrift::Changed {
                added: 2,
                removed: 1
            }
        );
        assert_eq!(app.note.as_deref(), Some("DB_PASSWORD differs (••)"));
        assert!(!app.diff.contains("hunter2"), "{}", app.diff);
        assert!(app.diff.contains("+DEBUG=1"), "{}", app.diff);
        assert_eq!(report.files[1].drift, FileDrift::OnlyLeft);
        assert_eq!(report.files[1].note.as_deref(), Some("only in production"));
        assert!(
            report.files[1].diff.contains("-x"),
            "{}",
            report.files[1].diff
        );
    }

    #[test]
    fn a_missing_root_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let report = compare(
            &spec("/etc/"),
            &env("production", &dir.path().join("nope"), "p"),
            &env("staging", dir.path(), "s"),
        );
        assert!(
            report
                .error
                .as_deref()
                .unwrap_or("")
                .starts_with("production: "),
            "{report:?}"
        );
    }
}
