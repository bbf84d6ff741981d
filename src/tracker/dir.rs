//! The `dir` tracker: each bug a Markdown file in a folder (the default, and the demo's).
//! A file is `NNNN-slug.md` with a small header (`state: open`, the fingerprint);
//! comments are appended under `---`. The folder is its own database: a search for a
//! fingerprint reads the files, and closing a bug is editing `state: closed`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::{Bug, Fingerprint, IssueRef, IssueState, Tracker, TrackerError};
use crate::config::TrackerSpec;

/// Where `spec`'s bugs go: its `path`, else `bugs/` in the data dir.
pub fn bug_dir(spec: &TrackerSpec) -> PathBuf {
    spec.path
        .clone()
        .unwrap_or_else(|| crate::paths::data_dir().join("bugs"))
}

#[derive(Debug, Clone)]
pub struct DirTracker {
    dir: PathBuf,
}

impl DirTracker {
    pub fn new(dir: PathBuf) -> Self {
        DirTracker { dir }
    }

    fn err(&self, what: &str, e: std::io::Error) -> TrackerError {
        TrackerError::Setup(format!("{what} {}: {e}", self.dir.display()))
    }

    /// Every bug file, in number order.
    fn files(&self) -> Result<Vec<(u64, PathBuf)>, TrackerError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.err("cannot read", e)),
        };
        let mut files: Vec<(u64, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let number = name.strip_suffix(".md")?.split('-').next()?.parse().ok()?;
                Some((number, e.path()))
            })
            .collect();
        files.sort();
        Ok(files)
    }

    fn path_of(&self, issue: &IssueRef) -> Result<PathBuf, TrackerError> {
        let number: u64 = issue.id.parse().map_err(|_| TrackerError::Rejected {
            tracker: "dir".into(),
            status: 404,
            message: format!("no bug {} in {}", issue.id, self.dir.display()),
        })?;
        self.files()?
            .into_iter()
            .find(|(n, _)| *n == number)
            .map(|(_, p)| p)
            .ok_or_else(|| TrackerError::Rejected {
                tracker: "dir".into(),
                status: 404,
                message: format!("no bug {number} in {}", self.dir.display()),
            })
    }

    fn issue(path: &Path, number: u64) -> IssueRef {
        IssueRef {
            id: number.to_string(),
            url: format!("file://{}", path.display()),
        }
    }
}

fn state_of(text: &str) -> IssueState {
    // The header: the title, a blank line, then `state:` and the other fields.
    let state = text.lines().take(8).find_map(|l| l.strip_prefix("state:"));
    if state.is_some_and(|s| s.trim() == "closed") {
        IssueState::Closed
    } else {
        IssueState::Open
    }
}

fn slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 48 {
            break;
        }
    }
    slug.trim_matches('-').to_string()
}

/// Writes durably: the file's data, then its directory entry.
fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[async_trait]
impl Tracker for DirTracker {
    fn name(&self) -> &'static str {
        "dir"
    }

    async fn verify(&self) -> Result<String, TrackerError> {
        fs::create_dir_all(&self.dir).map_err(|e| self.err("cannot create", e))?;
        let probe = self.dir.join(".sheriff-write-test");
        fs::write(&probe, b"").map_err(|e| self.err("cannot write in", e))?;
        let _ = fs::remove_file(probe);
        Ok(format!(
            "bugs are Markdown files in {} ({} there now)",
            self.dir.display(),
            self.files()?.len()
        ))
    }

    async fn create(&self, bug: &Bug) -> Result<IssueRef, TrackerError> {
        fs::create_dir_all(&self.dir).map_err(|e| self.err("cannot create", e))?;
        let mut header = format!(
            "# {}\n\nstate: open\nfingerprint: {}\n",
            bug.title, bug.fingerprint
        );
        if !bug.labels.is_empty() {
            header.push_str(&format!("labels: {}\n", bug.labels.join(", ")));
        }
        if let Some(a) = &bug.assignee {
            header.push_str(&format!("assignee: {a}\n"));
        }
        let text = format!("{header}\n{}\n", bug.body.trim_end());
        // Two sheriffs filing at once: the loser of `create_new` takes the next number.
        for _ in 0..100 {
            let next = self.files()?.last().map_or(1, |(n, _)| n + 1);
            let path = self.dir.join(format!("{next:04}-{}.md", slug(&bug.title)));
            match write_new(&path, &text) {
                Ok(()) => return Ok(DirTracker::issue(&path, next)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(self.err("cannot write a bug in", e)),
            }
        }
        Err(TrackerError::Setup(format!(
            "cannot find a free bug number in {}",
            self.dir.display()
        )))
    }

    async fn comment(&self, issue: &IssueRef, body: &str) -> Result<(), TrackerError> {
        let path = self.path_of(issue)?;
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| self.err("cannot open a bug in", e))?;
        let at = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
        file.write_all(format!("\n---\n\n**Comment, {at}**\n\n{}\n", body.trim_end()).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| self.err("cannot write a comment in", e))
    }

    async fn find_open(&self, fingerprint: &Fingerprint) -> Result<Option<IssueRef>, TrackerError> {
        for (number, path) in self.files()?.into_iter().rev() {
            let Ok(text) = fs::read_to_string(&path) else {
                continue;
            };
            if text.contains(fingerprint.as_str()) && state_of(&text) == IssueState::Open {
                return Ok(Some(DirTracker::issue(&path, number)));
            }
        }
        Ok(None)
    }

    async fn state(&self, issue: &IssueRef) -> Result<Option<IssueState>, TrackerError> {
        let path = self.path_of(issue)?;
        let text = fs::read_to_string(&path).map_err(|e| self.err("cannot read a bug in", e))?;
        Ok(Some(state_of(&text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bug(title: &str) -> Bug {
        Bug {
            title: title.into(),
            body: "what broke".into(),
            labels: vec!["sheriff".into()],
            assignee: None,
            fingerprint: Fingerprint::of(title, "staging", "critical"),
        }
    }

    #[tokio::test]
    async fn bugs_are_numbered_files_found_by_fingerprint_until_closed() {
        let dir = tempfile::tempdir().unwrap();
        let t = DirTracker::new(dir.path().join("bugs"));
        let a = t
            .create(&bug("[staging] api: CRITICAL — 503"))
            .await
            .unwrap();
        let b = t.create(&bug("[staging] queue: WARNING")).await.unwrap();
        assert_eq!((a.id.as_str(), b.id.as_str()), ("1", "2"));
        assert!(
            a.url.ends_with("0001-staging-api-critical-503.md"),
            "{}",
            a.url
        );
        let fp = bug("[staging] api: CRITICAL — 503").fingerprint;
        assert_eq!(t.find_open(&fp).await.unwrap(), Some(a.clone()));
        t.comment(&a, "again at 12:05").await.unwrap();
        let path = a.url.trim_start_matches("file://");
        let text = fs::read_to_string(path).unwrap();
        assert!(text.contains("again at 12:05") && text.contains("what broke"));
        fs::write(path, text.replace("state: open", "state: closed")).unwrap();
        assert_eq!(t.state(&a).await.unwrap(), Some(IssueState::Closed));
        assert_eq!(t.find_open(&fp).await.unwrap(), None);
    }
}
