//! Following a local log file, as `tail -F` does: new lines as they are appended, and the
//! new file after a rotation or a truncation.
//!
//! Polling (every ~150 ms) rather than inotify: it behaves the same on every filesystem
//! (NFS, bind mounts, overlayfs), costs one `stat` per poll, and a rotation can never be
//! missed between an event and a re-open.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::event::Events;
use tokio::fs::File;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::lines::LineCutter;
use super::LogLine;
use crate::config::{Config, LogSource, LogSpec, Target};
use crate::event::Event;

/// The most read in one go; a file that grew by more is sent in several batches.
const MAX_READ: usize = 1024 * 1024;

/// One local file to follow.
#[derive(Debug, Clone, PartialEq)]
pub struct FileTail {
    /// The name lines carry, e.g. "app@production".
    pub source: String,
    pub path: PathBuf,
    /// Lines of existing content sent first, like `tail -n`.
    pub backlog: usize,
    pub poll: Duration,
}

impl FileTail {
    pub fn new(source: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        FileTail {
            source: source.into(),
            path: path.into(),
            backlog: 200,
            poll: Duration::from_millis(150),
        }
    }
}

/// How one `[[log]]` is read for one of its targets.
#[derive(Debug, Clone, PartialEq)]
pub enum LogPlan {
    File(FileTail),
    Command(super::command::CommandTail),
    /// A file on a host, read over the SSH pool.
    Remote(super::remote::RemoteTail),
    /// A source this build cannot read yet, and why (shown to the user, never faked).
    Unserved {
        source: String,
        reason: String,
    },
}

/// The sources of one `[[log]]`: a local file for no target, `root + file` for each env
/// with a `root`, the file on each host (over ssh, one source `name@host` per host) for a
/// host or an env with hosts; commands on hosts are not served yet.
pub fn plan(spec: &LogSpec, config: &Config) -> Vec<LogPlan> {
    let path = match &spec.source {
        LogSource::File(path) => path,
        LogSource::Command(command) if spec.target == Target::Local => {
            let tail = super::command::CommandTail::new(&spec.name, command);
            return vec![LogPlan::Command(tail)];
        }
        LogSource::Command(_) => {
            let reason = "commands on hosts arrive with the log engine".to_string();
            return vec![LogPlan::Unserved {
                source: spec.name.clone(),
                reason,
            }];
        }
    };
    let envs: Vec<&str> = match &spec.target {
        Target::Local => return vec![LogPlan::File(FileTail::new(&spec.name, path))],
        Target::Envs(envs) => envs.iter().map(String::as_str).collect(),
        Target::Env(env) => vec![env.as_str()],
        Target::Host(host) => return vec![remote(&spec.name, host, path)],
    };
    let mut plans = Vec::new();
    for env_name in envs {
        let source = format!("{}@{env_name}", spec.name);
        let Some(env) = config.environment(env_name) else {
            let reason = format!("no environment \"{env_name}\"");
            plans.push(LogPlan::Unserved { source, reason });
            continue;
        };
        let file = crate::config::template_vars(path, &env.vars);
        match &env.root {
            Some(root) => plans.push(LogPlan::File(FileTail::new(
                source,
                under_root(root, &file),
            ))),
            None if env.hosts.is_empty() => plans.push(LogPlan::Unserved {
                source,
                reason: format!("environment \"{env_name}\" has neither hosts nor a root"),
            }),
            None => plans.extend(env.hosts.iter().map(|host| remote(&spec.name, host, &file))),
        }
    }
    plans
}

fn remote(name: &str, host: &str, path: &str) -> LogPlan {
    let source = format!("{name}@{host}");
    LogPlan::Remote(super::remote::RemoteTail::new(source, host, path))
}

/// `root` + an absolute path from the config: `/var/log/x` under `/srv/copy` is
/// `/srv/copy/var/log/x` (`Path::join` would discard the root).
pub fn under_root(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// Follows `tail.path` until the receiver is gone, sending each read as one `LogLines`.
/// A missing file is waited for (and said so once); errors never end the tail.
pub async fn run(tail: FileTail, tx: Events) {
    let mut follower = Follower::new(tail.source.clone(), tail.backlog);
    let mut waiting_said = false;
    loop {
        if tx.is_closed() {
            return;
        }
        match follower.poll(&tail.path).await {
            Ok(lines) => {
                waiting_said = false;
                if !lines.is_empty() {
                    let event = Event::LogLines {
                        source: tail.source.clone(),
                        lines,
                    };
                    if tx.send_data(event).await.is_err() {
                        return;
                    }
                    // More may be waiting (a read is capped): go again without sleeping.
                    if follower.behind {
                        continue;
                    }
                }
            }
            Err(err) if !waiting_said => {
                waiting_said = true;
                let notice = format!(
                    "{}: waiting for {}: {err}",
                    tail.source,
                    tail.path.display()
                );
                if tx.send(Event::Notice(notice)).is_err() {
                    return;
                }
            }
            Err(_) => {}
        }
        tokio::time::sleep(tail.poll).await;
    }
}

/// The state of one followed file between polls.
struct Follower {
    backlog: usize,
    open: Option<OpenFile>,
    lines: LineCutter,
    /// The last read hit `MAX_READ`: there is more to read right away.
    behind: bool,
    /// Whether the file has been opened before; only the first open shows a backlog, a
    /// rotated-in file is read from its start.
    seen: bool,
}

struct OpenFile {
    file: File,
    id: Option<(u64, u64)>,
    pos: u64,
}

impl Follower {
    fn new(source: String, backlog: usize) -> Self {
        Follower {
            backlog,
            open: None,
            lines: LineCutter::new(source),
            behind: false,
            seen: false,
        }
    }

    /// Reads what was appended since the last poll, following rotation and truncation.
    async fn poll(&mut self, path: &Path) -> std::io::Result<Vec<LogLine>> {
        let mut lines = Vec::new();
        let on_disk = tokio::fs::metadata(path).await;
        // Rotated: the name now points at another file. Finish the old one first, so the
        // lines written just before the rotation are not lost.
        if let (Some(open), Ok(meta)) = (&self.open, &on_disk) {
            if open.id.is_some() && open.id != file_id(meta) {
                self.read_available(&mut lines).await?;
                self.lines.flush(&mut lines);
                self.open = None;
            }
        }
        if self.open.is_none() {
            // A file that vanished without a replacement: report, and keep what we read.
            if let Err(err) = on_disk {
                return if lines.is_empty() {
                    Err(err)
                } else {
                    Ok(lines)
                };
            }
            self.reopen(path).await?;
        }
        self.read_available(&mut lines).await?;
        Ok(lines)
    }

    async fn reopen(&mut self, path: &Path) -> std::io::Result<()> {
        let mut file = File::open(path).await?;
        let meta = file.metadata().await?;
        let pos = if self.seen {
            0
        } else {
            self.backlog_start(&mut file, meta.len()).await?
        };
        self.seen = true;
        self.lines.clear();
        self.open = Some(OpenFile {
            file,
            id: file_id(&meta),
            pos,
        });
        Ok(())
    }

    /// Where to start so that about `backlog` existing lines are shown: scan back from the
    /// end in blocks, counting newlines.
    async fn backlog_start(&self, file: &mut File, len: u64) -> std::io::Result<u64> {
        if self.backlog == 0 {
            return Ok(len);
        }
        let mut newlines = 0;
        let mut end = len;
        let mut block = vec![0u8; 16 * 1024];
        while end > 0 && len - end < MAX_READ as u64 {
            let start = end.saturating_sub(block.len() as u64);
            let n = (end - start) as usize;
            file.seek(SeekFrom::Start(start)).await?;
            file.read_exact(&mut block[..n]).await?;
            for i in (0..n).rev() {
                // The newline ending the last line does not start a new one.
                if block[i] == b'\n' && start + i as u64 + 1 != len {
                    newlines += 1;
                    if newlines == self.backlog {
                        return Ok(start + i as u64 + 1);
                    }
                }
            }
            end = start;
        }
        Ok(end)
    }

    async fn read_available(&mut self, lines: &mut Vec<LogLine>) -> std::io::Result<()> {
        self.behind = false;
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        let len = open.file.metadata().await?.len();
        // Truncated in place (`> file`, copytruncate): start again from the top.
        if len < open.pos {
            open.pos = 0;
            self.lines.clear();
        }
        if len == open.pos {
            return Ok(());
        }
        let want = ((len - open.pos) as usize).min(MAX_READ);
        let mut buf = vec![0u8; want];
        open.file.seek(SeekFrom::Start(open.pos)).await?;
        let mut got = 0;
        while got < want {
            match open.file.read(&mut buf[got..]).await? {
                0 => break,
                n => got += n,
            }
        }
        buf.truncate(got);
        open.pos += got as u64;
        self.behind = got == MAX_READ;
        self.lines.push(&buf, lines);
        Ok(())
    }
}

/// (device, inode): what tells a rotated-in file from the one we have open.
#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn texts(lines: &[LogLine]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[tokio::test]
    async fn backlog_then_appends_then_partial_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
        let mut f = Follower::new("app".into(), 2);
        assert_eq!(texts(&f.poll(&path).await.unwrap()), ["two", "three"]);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"four\nfi").unwrap();
        assert_eq!(texts(&f.poll(&path).await.unwrap()), ["four"]);
        file.write_all(b"ve ERROR\r\n").unwrap();
        let lines = f.poll(&path).await.unwrap();
        assert_eq!(texts(&lines), ["five ERROR"]);
        assert_eq!(lines[0].level, Some(crate::logs::Level::Error));
        assert!(f.poll(&path).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn rotation_finishes_the_old_file_then_reads_the_new() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, "old\n").unwrap();
        let mut f = Follower::new("app".into(), 10);
        assert_eq!(texts(&f.poll(&path).await.unwrap()), ["old"]);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"last words\n").unwrap();
        std::fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        std::fs::write(&path, "new\n").unwrap();
        assert_eq!(texts(&f.poll(&path).await.unwrap()), ["last words", "new"]);
    }

    #[test]
    fn plans_env_roots_hosts_and_says_what_it_cannot_serve() {
        let mut config = Config::default();
        config.environments.push(crate::config::Environment {
            name: "production".into(),
            root: Some("/srv/prod".into()),
            ..Default::default()
        });
        config.environments.push(crate::config::Environment {
            name: "staging".into(),
            hosts: vec!["web1.staging".into()],
            ..Default::default()
        });
        let spec = LogSpec {
            name: "app".into(),
            target: Target::Envs(vec!["production".into(), "staging".into()]),
            source: LogSource::File("/var/log/app.log".into()),
        };
        let plans = plan(&spec, &config);
        let want = FileTail::new("app@production", "/srv/prod/var/log/app.log");
        assert_eq!(plans[0], LogPlan::File(want));
        let want = super::super::remote::RemoteTail::new(
            "app@web1.staging",
            "web1.staging",
            "/var/log/app.log",
        );
        assert_eq!(plans[1], LogPlan::Remote(want));
        assert_eq!(plans.len(), 2);
        let command = LogSpec {
            source: LogSource::Command("journalctl -f".into()),
            ..spec
        };
        let plans = plan(&command, &config);
        assert!(matches!(&plans[0], LogPlan::Unserved { source, .. } if source == "app"));
    }
}
