//! `sheriff logs NAME|PATH`: a log read with no screen, with the parsing and redaction the
//! Logs pane uses — on a local file, or on each host of a `[[log]]` over the SSH pool.
//!
//! `--count` on a local file with only `--level` and `--grep` goes through
//! [`crate::logs::count`], split across cores; everything else reads message by message.

use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use regex::bytes::RegexBuilder;
use serde_json::json;

use crate::config::{Config, LogSource, LogSpec, Target};
use crate::logs::count::{count_file, CountQuery};
use crate::logs::parse::{self, Format};
use crate::logs::query::{parse_when, Message, MessageReader, Query};
use crate::logs::tail::under_root;
use crate::transport::ssh::{OutputStream, SshOptions, SshPool, StreamItem};

/// What `sheriff logs` was asked.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LogsArgs {
    /// A `[[log]]` of the config, or a file's path.
    pub source: String,
    /// Only messages from this long ago (`1h`, `30m`) or this time on
    /// (`2026-12-01T10:00:00Z`, `2026-12-01 10:00`, `10:00` today; local time unless a
    /// zone is given).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only messages before this time (same forms as --since).
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only messages with a line that matches this regex.
    #[arg(long, value_name = "RE")]
    pub grep: Option<String>,
    /// Only messages at this level or worse: fatal, critical, error, warning, notice,
    /// info, debug, trace.
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Only this host of the `[[log]]`'s environment.
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Keep reading as the log grows (as `tail -F`), until interrupted.
    #[arg(long)]
    pub follow: bool,
    /// Print how many messages match instead of the messages.
    #[arg(long)]
    pub count: bool,
    /// One JSON object per message: source, host, line, time, level, text.
    #[arg(long)]
    pub json: bool,
    /// The format, instead of detecting it (`nginx_access`, `syslog`, `json`, ...).
    #[arg(long, value_name = "NAME")]
    pub format: Option<String>,
}

/// Where messages come from.
#[derive(Debug, Clone, PartialEq)]
enum Origin {
    Local {
        source: String,
        path: PathBuf,
    },
    Remote {
        source: String,
        host: String,
        path: String,
    },
}

pub fn run(config_path: Option<&Path>, args: &LogsArgs) -> ExitCode {
    match run_inner(config_path, args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("sheriff logs: {message}");
            ExitCode::from(2)
        }
    }
}

fn run_inner(config_path: Option<&Path>, args: &LogsArgs) -> Result<ExitCode, String> {
    if args.count && args.follow {
        return Err("--count and --follow do not go together: a count needs an end".into());
    }
    let config = super::find_config(config_path)?.map(|(_, config)| config);
    let origins = origins(config.as_ref(), args)?;
    let query = query(args)?;
    let format = args
        .format
        .as_deref()
        .map(Format::from_config)
        .transpose()?;
    // Without --format, a [[log]]'s own `format` is used, as its tail in the screen does.
    let format = format.or_else(|| {
        let spec = config
            .as_ref()?
            .logs
            .iter()
            .find(|l| l.name == args.source)?;
        (spec.format != Format::Auto).then(|| spec.format.clone())
    });
    if let [Origin::Local { path, .. }] = origins.as_slice() {
        if args.count && query.since.is_none() && query.until.is_none() && !args.follow {
            let counted = CountQuery {
                level: query.level,
                grep: query.grep.clone(),
                format,
            };
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let n = count_file(path, &counted, threads)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            println!("{n}");
            return Ok(ExitCode::SUCCESS);
        }
    }
    let tagged = origins.len() > 1;
    let mut out = Printer::new(args, tagged);
    let pool = origins
        .iter()
        .any(|o| matches!(o, Origin::Remote { .. }))
        .then(|| {
            config
                .as_ref()
                .map(|c| SshPool::new(&c.hosts, SshOptions::default(), None))
        })
        .flatten();
    let read = |origin: &Origin, out: &mut Printer| {
        let result = match origin {
            Origin::Local { source, path } => {
                read_local(source, path, &query, format.clone(), args.follow, out)
            }
            Origin::Remote { source, host, path } => match &pool {
                Some(pool) => read_remote(
                    pool,
                    source,
                    host,
                    path,
                    &query,
                    format.clone(),
                    args.follow,
                    out,
                ),
                None => Err("remote logs need the config's hosts".into()),
            },
        };
        match result {
            Ok(()) => true,
            Err(message) => {
                eprintln!("sheriff logs: {message}");
                false
            }
        }
    };
    let failed = if args.follow && origins.len() > 1 {
        // Followed sources never end: each is read on its own thread, its messages
        // written whole as they come.
        std::thread::scope(|scope| {
            let readers: Vec<_> = origins
                .iter()
                .map(|origin| {
                    scope.spawn(|| {
                        let mut out = Printer::new(args, tagged);
                        let read_all = read(origin, &mut out);
                        out.flush();
                        read_all
                    })
                })
                .collect();
            let read_all: Vec<bool> = readers
                .into_iter()
                .map(|reader| reader.join().unwrap_or(false))
                .collect();
            read_all.contains(&false)
        })
    } else {
        let mut read_all = true;
        for origin in &origins {
            read_all &= read(origin, &mut out);
        }
        !read_all
    };
    if args.count {
        println!("{}", out.counted);
    }
    out.flush();
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The files `args.source` names: a `[[log]]` of the config (each of its hosts, or its
/// local file) or else a path.
fn origins(config: Option<&Config>, args: &LogsArgs) -> Result<Vec<Origin>, String> {
    let spec = config.and_then(|c| c.logs.iter().find(|l| l.name == args.source));
    let Some(spec) = spec else {
        let path = PathBuf::from(&args.source);
        if args.host.is_some() {
            return Err(format!(
                "--host needs a [[log]] of the config, and there is none named {:?}",
                args.source
            ));
        }
        if crate::logs::glob::is_glob(&path) {
            // A glob typed as the path: each file is named by its own path.
            let found = crate::logs::glob::matches(&args.source)?;
            if found.is_empty() {
                return Err(format!("no file matches {}", args.source));
            }
            let origin = |path: PathBuf| Origin::Local {
                source: path.display().to_string(),
                path,
            };
            return Ok(found.into_iter().map(origin).collect());
        }
        if !path.exists() {
            let names: Vec<&str> = config
                .map(|c| c.logs.iter().map(|l| l.name.as_str()).collect())
                .unwrap_or_default();
            let known = if names.is_empty() {
                String::new()
            } else {
                format!("; the config's logs are: {}", names.join(", "))
            };
            return Err(format!("no file or [[log]] named {:?}{known}", args.source));
        }
        return Ok(vec![Origin::Local {
            source: args.source.clone(),
            path,
        }]);
    };
    let config = config.ok_or("no config")?;
    let origins = expand_globs(origins_of(spec, config)?)?;
    let chosen: Vec<Origin> = origins
        .into_iter()
        .filter(|o| match (&args.host, o) {
            (None, _) => true,
            (Some(want), Origin::Remote { host, .. }) => host == want,
            (Some(_), Origin::Local { .. }) => false,
        })
        .collect();
    if chosen.is_empty() {
        return Err(format!(
            "[[log]] {:?} has no host {:?}",
            spec.name,
            args.host.as_deref().unwrap_or("")
        ));
    }
    Ok(chosen)
}

/// Each local origin whose path is a glob becomes one origin per file it matches, named
/// as the screen names them (`nginx:access.log@production`).
fn expand_globs(origins: Vec<Origin>) -> Result<Vec<Origin>, String> {
    let mut expanded = Vec::new();
    for origin in origins {
        match origin {
            Origin::Local { source, path } if crate::logs::glob::is_glob(&path) => {
                let pattern = path.to_string_lossy().into_owned();
                let found = crate::logs::glob::matches(&pattern)?;
                if found.is_empty() {
                    return Err(format!("no file matches {pattern} (for {source})"));
                }
                expanded.extend(found.into_iter().map(|path| Origin::Local {
                    source: crate::logs::glob::file_source(&source, &path),
                    path,
                }));
            }
            other => expanded.push(other),
        }
    }
    Ok(expanded)
}

fn origins_of(spec: &LogSpec, config: &Config) -> Result<Vec<Origin>, String> {
    let LogSource::File(file) = &spec.source else {
        return Err(format!(
            "[[log]] {:?} reads a command or a journal; sheriff logs reads files (run the command, or journalctl, itself)",
            spec.name
        ));
    };
    let envs: Vec<&str> = match &spec.target {
        Target::Local => {
            return Ok(vec![Origin::Local {
                source: spec.name.clone(),
                path: PathBuf::from(file),
            }])
        }
        Target::Host(host) => {
            return Ok(vec![Origin::Remote {
                source: format!("{}@{host}", spec.name),
                host: host.clone(),
                path: file.clone(),
            }])
        }
        Target::Env(env) => vec![env.as_str()],
        Target::Envs(envs) => envs.iter().map(String::as_str).collect(),
    };
    let mut origins = Vec::new();
    for name in envs {
        let env = config
            .environment(name)
            .ok_or_else(|| format!("no environment {name:?}"))?;
        let path = crate::config::template_vars(file, &env.vars);
        if let Some(root) = &env.root {
            origins.push(Origin::Local {
                source: format!("{}@{name}", spec.name),
                path: under_root(root, &path),
            });
        }
        for host in &env.hosts {
            origins.push(Origin::Remote {
                source: format!("{}@{host}", spec.name),
                host: host.clone(),
                path: path.clone(),
            });
        }
    }
    Ok(origins)
}

fn query(args: &LogsArgs) -> Result<Query, String> {
    let now = Utc::now();
    let when = |flag: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| parse_when(t, now).map_err(|e| format!("--{flag} {t:?}: {e}")))
            .transpose()
    };
    let grep = args
        .grep
        .as_deref()
        .map(|re| {
            // Multi-line: `^` and `$` are a line's ends, as in grep, in a search over many lines.
            RegexBuilder::new(re)
                .multi_line(true)
                .build()
                .map_err(|e| format!("--grep: {e}"))
        })
        .transpose()?;
    let level = args
        .level
        .as_deref()
        .map(|name| {
            crate::logs::Level::from_name(name).ok_or_else(|| {
                format!(
                    "--level {name:?}: not a level; use fatal, critical, error, warning, \
                     notice, info, debug or trace"
                )
            })
        })
        .transpose()?;
    Ok(Query {
        since: when("since", &args.since)?,
        until: when("until", &args.until)?,
        grep,
        level,
    })
}

fn read_local(
    source: &str,
    path: &Path,
    query: &Query,
    format: Option<Format>,
    follow: bool,
    out: &mut Printer,
) -> Result<(), String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let modified = file
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from);
    let mut reader = BufReader::with_capacity(1024 * 1024, file);
    let format = match format {
        Some(format) => format,
        None => detect(&mut reader),
    };
    let mut messages = MessageReader::new(source, None, format, modified);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if n == 0 {
            if !follow {
                break;
            }
            if let Some(message) = messages.flush() {
                out.message(&message, query);
            }
            out.flush();
            std::thread::sleep(std::time::Duration::from_millis(200));
            continue;
        }
        if let Some(message) = messages.push(&line) {
            out.message(&message, query);
        }
    }
    if let Some(message) = messages.flush() {
        out.message(&message, query);
    }
    Ok(())
}

/// The format of the lines at the reader's start, without consuming them.
fn detect(reader: &mut BufReader<std::fs::File>) -> Format {
    let head = reader.fill_buf().map(|b| b.to_vec()).unwrap_or_default();
    let text = String::from_utf8_lossy(&head);
    let lines: Vec<&str> = text.lines().take(200).collect();
    parse::detect(&lines)
}

#[allow(clippy::too_many_arguments)]
fn read_remote(
    pool: &SshPool,
    source: &str,
    host: &str,
    path: &str,
    query: &Query,
    format: Option<Format>,
    follow: bool,
    out: &mut Printer,
) -> Result<(), String> {
    let quoted = crate::transport::ssh::known_hosts::shell_quote(path);
    let command = if follow {
        format!("exec tail -c +1 -F -- {quoted}")
    } else {
        format!("exec cat -- {quoted}")
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    runtime.block_on(async {
        // Bytes as the host sent them, so line numbers hold for any line length or bytes.
        let mut stream = pool
            .stream_raw(host, &command)
            .map_err(|e| format!("{host}: {e}"))?;
        let mut lines = RemoteLines::new(source, host, format);
        let mut stderr = Vec::new();
        while let Some(item) = stream.recv().await {
            match item {
                StreamItem::Bytes {
                    source: OutputStream::Stdout,
                    data,
                } => {
                    lines.take(&data, query, out);
                    if follow {
                        out.flush();
                    }
                }
                StreamItem::Bytes { data, .. } => stderr.extend_from_slice(&data),
                StreamItem::Started { .. } | StreamItem::Line { .. } => {}
                StreamItem::Interrupted { reason } => {
                    return Err(format!(
                        "{host}: connection lost ({reason}) while reading {path}"
                    ));
                }
                StreamItem::Exited { status, .. } => {
                    if status != Some(0) {
                        let said = crate::text::printable_bytes(&stderr);
                        return Err(format!("{host}: cannot read {path}: {}", said.trim()));
                    }
                    break;
                }
                StreamItem::Failed(error) => return Err(format!("{host}: {error}")),
            }
        }
        lines.finish(query, out);
        Ok(())
    })
}

/// A remote file's bytes cut into lines and messages; the format is told from the first
/// lines unless given.
struct RemoteLines {
    source: String,
    host: String,
    format: Option<Format>,
    /// Lines held until enough are in to tell the format.
    sample: Vec<Vec<u8>>,
    partial: Vec<u8>,
    reader: Option<MessageReader>,
}

impl RemoteLines {
    const SAMPLE: usize = 200;

    fn new(source: &str, host: &str, format: Option<Format>) -> RemoteLines {
        RemoteLines {
            source: source.to_string(),
            host: host.to_string(),
            format,
            sample: Vec::new(),
            partial: Vec::new(),
            reader: None,
        }
    }

    fn take(&mut self, data: &[u8], query: &Query, out: &mut Printer) {
        self.partial.extend_from_slice(data);
        let Some(last) = memchr::memrchr(b'\n', &self.partial) else {
            return;
        };
        let rest = self.partial.split_off(last + 1);
        let whole = std::mem::replace(&mut self.partial, rest);
        for line in whole.split_inclusive(|b| *b == b'\n') {
            self.line(line.to_vec(), query, out);
        }
    }

    fn line(&mut self, line: Vec<u8>, query: &Query, out: &mut Printer) {
        self.sample.push(line);
        if self.reader.is_none() {
            if self.sample.len() < Self::SAMPLE {
                return;
            }
            self.start();
        }
        self.drain(query, out);
    }

    fn start(&mut self) {
        let format = self.format.clone().unwrap_or_else(|| {
            let text: Vec<String> = self
                .sample
                .iter()
                .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
                .collect();
            let lines: Vec<&str> = text.iter().map(String::as_str).collect();
            parse::detect(&lines)
        });
        self.reader = Some(MessageReader::new(
            &self.source,
            Some(&self.host),
            format,
            None,
        ));
    }

    /// Hands the held lines to the reader, printing the messages they close.
    fn drain(&mut self, query: &Query, out: &mut Printer) {
        let Some(reader) = self.reader.as_mut() else {
            return;
        };
        for line in self.sample.drain(..) {
            if let Some(message) = reader.push(&line) {
                out.message(&message, query);
            }
        }
    }

    fn finish(&mut self, query: &Query, out: &mut Printer) {
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.sample.push(last);
        }
        if self.reader.is_none() {
            self.start();
        }
        self.drain(query, out);
        if let Some(message) = self.reader.as_mut().and_then(MessageReader::flush) {
            out.message(&message, query);
        }
    }
}

/// Writes matching messages as text or JSON, or counts them.
struct Printer {
    json: bool,
    count: bool,
    /// Text lines carry their source when several sources are read.
    tagged: bool,
    counted: u64,
    /// The message being formatted.
    scratch: Vec<u8>,
    out: io::BufWriter<io::Stdout>,
}

impl Printer {
    fn new(args: &LogsArgs, tagged: bool) -> Printer {
        Printer {
            json: args.json,
            count: args.count,
            tagged,
            counted: 0,
            scratch: Vec::new(),
            out: io::BufWriter::with_capacity(256 * 1024, io::stdout()),
        }
    }

    fn message(&mut self, message: &Message, query: &Query) {
        if !query.matches(message) {
            return;
        }
        self.counted += 1;
        if self.count {
            return;
        }
        // The message is written in one piece, so that sources followed on threads of
        // their own never cut into each other's lines.
        self.scratch.clear();
        let scratch = &mut self.scratch;
        let formatted = if self.json {
            let object = json!({
                "source": message.source,
                "host": message.host,
                "line": message.line,
                "time": message.time.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
                "level": message.level.map(|l| l.as_str()),
                "text": message.text,
            });
            writeln!(scratch, "{object}")
        } else {
            message.text.split('\n').try_for_each(|line| {
                let line = crate::text::printable(line);
                if self.tagged {
                    writeln!(scratch, "{}: {line}", message.source)
                } else {
                    writeln!(scratch, "{line}")
                }
            })
        };
        if formatted
            .and_then(|()| self.out.write_all(&self.scratch))
            .is_err()
        {
            // A closed pipe (`| head`): nothing more will be read.
            std::process::exit(0);
        }
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
    }
}
