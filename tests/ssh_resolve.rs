//! `sheriff hosts --resolve` read against OpenSSH's own reading of the same file: for every
//! query, `ssh -G -F FILE NAME` and `sheriff hosts --resolve --ssh-config FILE NAME` must
//! print the same hostname, port, user, identity files, proxy jump and known_hosts files —
//! or both refuse the file, sheriff naming the file and line OpenSSH names.
//!
//! The configs (tests/fixtures/ssh_config/) come from OpenSSH's regress tests
//! (`regress/cfginclude.sh`), paramiko's `tests/configs/`, the Go parser
//! kevinburke/ssh_config's `testdata/`, and sheriff's own; each file says where it is from.
//! `ssh` expands `~` from the password file, so both run with the password file's home,
//! and the fixtures are copied under `~/.ssh` so that relative `Include`s resolve the same.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ssh_config");

/// What both tools are compared on.
#[derive(Debug, Clone, PartialEq, Default)]
struct Reading {
    hostname: String,
    port: String,
    user: String,
    identity_files: Vec<String>,
    proxy_jump: Option<String>,
    user_known_hosts: String,
    global_known_hosts: String,
}

/// A refusal: the tool's exit code and what it said.
#[derive(Debug)]
struct Refusal {
    code: Option<i32>,
    stderr: String,
}

/// The fixtures copied under the password file's `~/.ssh`, placeholders filled in.
struct Bed {
    dir: tempfile::TempDir,
    home: PathBuf,
    user: String,
    /// An empty directory: sheriff's working directory and config home (no sheriff.toml).
    empty: tempfile::TempDir,
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Bed {
    fn new() -> Bed {
        let user = run("id", &["-un"]);
        let entry = run("getent", &["passwd", &user]);
        let home = PathBuf::from(
            entry
                .split(':')
                .nth(5)
                .expect("a home in the password file"),
        );
        let ssh_dir = home.join(".ssh");
        std::fs::create_dir_all(&ssh_dir).expect("~/.ssh");
        let dir = tempfile::Builder::new()
            .prefix("sheriff-resolve-")
            .tempdir_in(&ssh_dir)
            .expect("a directory under ~/.ssh");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let bed = Bed {
            dir,
            home,
            user,
            empty: tempfile::tempdir().expect("tempdir"),
        };
        bed.copy(Path::new(FIXTURES), bed.dir.path());
        bed
    }

    fn copy(&self, from: &Path, to: &Path) {
        let rel = self
            .dir
            .path()
            .strip_prefix(self.home.join(".ssh"))
            .expect("under ~/.ssh")
            .display()
            .to_string();
        for entry in std::fs::read_dir(from).expect("fixtures") {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
                self.copy(&entry.path(), &target);
            } else {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                let text = text
                    .replace("@DIR@", &self.dir.path().display().to_string())
                    .replace("@REL@", &rel);
                std::fs::write(&target, text).unwrap();
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn openssh_raw(
        &self,
        file: &Path,
        host: &str,
    ) -> Result<BTreeMap<String, Vec<String>>, Refusal> {
        let out = Command::new("ssh")
            .arg("-G")
            .arg("-F")
            .arg(file)
            .arg(host)
            .stdin(Stdio::null())
            .output()
            .expect("ssh -G (openssh-client)");
        if !out.status.success() {
            return Err(Refusal {
                code: out.status.code(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some((key, value)) = line.split_once(' ') {
                map.entry(key.to_string())
                    .or_default()
                    .push(value.to_string());
            }
        }
        Ok(map)
    }

    /// OpenSSH's reading. `ssh -G` prints identity files unexpanded but the known_hosts
    /// files expanded (both go through the same expansion when ssh connects, ssh.c
    /// `default_client_percent_dollar_expand`), so OpenSSH itself is asked to expand them:
    /// a wrapper config lists them as `UserKnownHostsFile` before including the real one.
    fn openssh(&self, file: &Path, host: &str) -> Result<Reading, Refusal> {
        let map = self.openssh_raw(file, host)?;
        let one = |k: &str| {
            map.get(k)
                .and_then(|v| v.first())
                .cloned()
                .unwrap_or_default()
        };
        let mut identity_files = map.get("identityfile").cloned().unwrap_or_default();
        // With no IdentityFile, ssh lists its seven defaults; sheriff (libssh2) tries the
        // three of them it can use, in the same order.
        let defaults = [
            "id_rsa",
            "id_ecdsa",
            "id_ecdsa_sk",
            "id_ed25519",
            "id_ed25519_sk",
            "id_xmss",
            "id_dsa",
        ]
        .map(|n| format!("~/.ssh/{n}"));
        if identity_files == defaults {
            identity_files = ["id_rsa", "id_ecdsa", "id_ed25519"]
                .map(|n| format!("~/.ssh/{n}"))
                .to_vec();
        }
        if !identity_files.is_empty() {
            let quoted: Vec<String> = identity_files.iter().map(|f| format!("\"{f}\"")).collect();
            let wrapper = self.empty.path().join("expand-identities");
            std::fs::write(
                &wrapper,
                format!(
                    "UserKnownHostsFile {}\nInclude {}\n",
                    quoted.join(" "),
                    file.display()
                ),
            )
            .unwrap();
            let expanded = self.openssh_raw(&wrapper, host).unwrap_or_else(|e| {
                panic!("expanding identity files of {}: {e:?}", file.display())
            });
            identity_files = expanded["userknownhostsfile"][0]
                .split(' ')
                .map(str::to_string)
                .collect();
        }
        Ok(Reading {
            hostname: one("hostname"),
            port: one("port"),
            user: one("user"),
            identity_files,
            proxy_jump: map.get("proxyjump").and_then(|v| v.first()).cloned(),
            user_known_hosts: one("userknownhostsfile"),
            global_known_hosts: one("globalknownhostsfile"),
        })
    }

    fn sheriff_output(&self, file: &Path, host: &str) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_sheriff"))
            .args(["hosts", "--resolve", "--ssh-config"])
            .arg(file)
            .arg(host)
            .current_dir(self.empty.path())
            .env("HOME", &self.home)
            .env("USER", &self.user)
            .env("XDG_CONFIG_HOME", self.empty.path())
            .env_remove("SHERIFF_CONFIG")
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null())
            .output()
            .expect("sheriff runs")
    }

    fn sheriff(&self, file: &Path, host: &str) -> Result<Reading, Refusal> {
        let out = self.sheriff_output(file, host);
        if !out.status.success() {
            return Err(Refusal {
                code: out.status.code(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut reading = Reading::default();
        for line in text.lines() {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            let value = value.to_string();
            match key {
                "hostname" => reading.hostname = value,
                "port" => reading.port = value,
                "user" => reading.user = value,
                "identityfile" => reading.identity_files.push(value),
                "proxyjump" => reading.proxy_jump = Some(value),
                "userknownhostsfile" => reading.user_known_hosts = value,
                "globalknownhostsfile" => reading.global_known_hosts = value,
                _ => {}
            }
        }
        Ok(reading)
    }
}

/// Where OpenSSH's first complaint points: `FILE line N` or `FILE: line N`, as `FILE:N`.
fn openssh_location(stderr: &str) -> Option<String> {
    stderr.lines().find_map(|line| {
        let at = line.find(" line ")?;
        let file = line[..at].trim_end_matches(':');
        let digits: String = line[at + 6..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!digits.is_empty()).then(|| format!("{file}:{digits}"))
    })
}

/// (fixture, names looked up, whether OpenSSH accepts the file).
const QUERIES: &[(&str, &[&str], bool)] = &[
    (
        "openssh-cfginclude",
        &["a", "b", "c", "d", "e", "f", "m", "n", "x"],
        true,
    ),
    ("openssh-cfginclude-junk", &["a", "x"], false),
    ("openssh-cfginclude-missing", &["a"], true),
    ("openssh-cfginclude-parent-match", &["a"], true),
    ("openssh-cfginclude-parent-host", &["a"], true),
    ("openssh-cfginclude-loop", &["a"], false),
    ("paramiko-robey", &["this.example.com"], false),
    (
        "paramiko-robey-valid",
        &["this.example.com", "spoo.example.com", "other"],
        true,
    ),
    ("paramiko-match-complex", &["target", "remote", "www"], true),
    ("paramiko-match-complex-root", &["www", "other"], true),
    ("paramiko-match-final", &["finally", "jump", "other"], true),
    (
        "paramiko-match-host-glob-list",
        &["whatever", "somehost", "someotherhost", "goo", "goof"],
        true,
    ),
    (
        "paramiko-match-orighost",
        &["target", "whatsup", "comma", "yep", "nope", "www"],
        true,
    ),
    ("paramiko-match-user", &["host"], true),
    ("paramiko-match-localuser", &["host"], true),
    ("paramiko-match-host-from-match", &["original-host"], true),
    ("paramiko-match-all-and-more", &["x"], false),
    ("paramiko-match-host-negated", &["www", "other"], true),
    ("paramiko-hostname-tokenized", &["host"], true),
    ("paramiko-invalid", &["x"], false),
    (
        "kevinburke-config1-with-match-directive",
        &["git.yahoo.com", "other"],
        true,
    ),
    ("kevinburke-eol-comments", &["example"], true),
    (
        "kevinburke-double-quotes",
        &[
            "x.pattern-in-quotes.example.com",
            "h1",
            "h3",
            "edge-case-1.example.com",
            "edge-case-2.example.com",
            "edge-case-3.example.com",
        ],
        true,
    ),
    (
        "kevinburke-identities",
        &["hasidentity", "has2identity", "protocol1"],
        true,
    ),
    (
        "kevinburke-match-mixed",
        &[
            "bastion",
            "a.prod.example.com",
            "a.staging.example.com",
            "www.example.com",
            "other",
        ],
        true,
    ),
    (
        "kevinburke-quoted-identities",
        &[
            "hasquotedidentity",
            "hasquotedhostname",
            "hasunquotedidentity",
        ],
        true,
    ),
    ("kevinburke-match-host-negation", &["a.example.com"], false),
    ("kevinburke-test_config", &["example.com"], true),
    ("sheriff-include-glob", &["web.a", "db.a", "x.b"], true),
    ("sheriff-tokens", &["tok1", "alias1"], true),
    ("sheriff-first-wins", &["web1", "web2", "web3"], true),
    (
        "sheriff-wildcards",
        &["web.prod", "bastion.prod", "db1", "db9", "WEB1", "web1"],
        true,
    ),
    ("sheriff-ignore-unknown", &["x"], true),
    ("sheriff-reject-quotes", &["a"], false),
    ("sheriff-reject-noarg", &["a"], false),
    ("sheriff-reject-inactive", &["a"], false),
    ("sheriff-reject-extra", &["a"], false),
    ("sheriff-reject-port", &["a"], false),
    ("sheriff-reject-included", &["a"], false),
];

#[test]
fn sheriff_reads_ssh_config_as_openssh_does() {
    let bed = Bed::new();
    let mut total = 0;
    let mut failures = Vec::new();
    for (fixture, names, accepted) in QUERIES {
        let file = bed.file(fixture);
        for name in *names {
            total += 1;
            let theirs = bed.openssh(&file, name);
            let ours = bed.sheriff(&file, name);
            let what = format!("{fixture} {name}");
            match (theirs, ours) {
                (Ok(theirs), Ok(ours)) => {
                    if !accepted {
                        failures.push(format!("{what}: the fixture should be refused by ssh"));
                    } else if theirs != ours {
                        failures.push(format!(
                            "{what}:\n  ssh -G: {theirs:?}\n  sheriff: {ours:?}"
                        ));
                    }
                }
                (Err(theirs), Err(ours)) => {
                    // Where OpenSSH names no line (an Include loop), sheriff still does.
                    let at = openssh_location(&theirs.stderr).or_else(|| {
                        ours.stderr
                            .contains(&format!("{}:", file.display()))
                            .then(|| file.display().to_string())
                    });
                    if *accepted {
                        failures.push(format!("{what}: ssh refuses it: {}", theirs.stderr));
                    } else if ours.code != Some(1) {
                        failures.push(format!("{what}: sheriff exited {:?}", ours.code));
                    } else if !at
                        .as_ref()
                        .is_some_and(|at| ours.stderr.contains(at.as_str()))
                    {
                        failures.push(format!(
                            "{what}: sheriff does not name {at:?}:\n  ssh: {}\n  sheriff: {}",
                            theirs.stderr.trim(),
                            ours.stderr.trim()
                        ));
                    }
                }
                (Ok(theirs), Err(ours)) => failures.push(format!(
                    "{what}: sheriff refuses what ssh reads as {theirs:?}: {}",
                    ours.stderr.trim()
                )),
                (Err(theirs), Ok(ours)) => failures.push(format!(
                    "{what}: sheriff reads {ours:?} where ssh refuses: {}",
                    theirs.stderr.trim()
                )),
            }
        }
    }
    let agreed = total - failures.len();
    eprintln!("sheriff and ssh -G agree on {agreed} of {total} queries");
    assert!(total >= 55, "only {total} queries");
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn refusals_say_what_to_do() {
    let bed = Bed::new();
    let out = bed.sheriff_output(&bed.file("sheriff-reject-inactive"), "a");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let at = format!("{}:3", bed.file("sheriff-reject-inactive").display());
    assert!(
        stderr.contains(&format!("{at}: Bad configuration option: usekeychain")),
        "{stderr}"
    );
    assert!(stderr.contains("fix or remove"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing resolved is printed");
}

#[test]
fn match_exec_is_reported_not_guessed() {
    let bed = Bed::new();
    let out = bed.sheriff_output(&bed.file("sheriff-match-exec"), "a");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("\nuser plain\n"), "{stdout}");
    let at = format!("{}:2", bed.file("sheriff-match-exec").display());
    assert!(
        stderr.contains(&at) && stderr.contains("does not evaluate `Match exec true`"),
        "{stderr}"
    );
}

#[test]
fn configured_hosts_resolve_with_sheriffs_settings_first() {
    let bed = Bed::new();
    let config = bed.empty.path().join("sheriff.toml");
    std::fs::write(
        &config,
        "[hosts.\"web1.prod\"]\nssh = \"web1\"\nport = 2200\nconnect_timeout = \"3s\"\n",
    )
    .unwrap();
    let ssh_config = bed.empty.path().join("ssh_config");
    std::fs::write(
        &ssh_config,
        "Host web1\n  HostName 10.0.0.5\n  User deploy\n  Port 22\n  ServerAliveInterval 15\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sheriff"))
        .arg("--config")
        .arg(&config)
        .args(["hosts", "--resolve", "web1.prod", "web1", "--ssh-config"])
        .arg(&ssh_config)
        .env("HOME", bed.empty.path())
        .output()
        .expect("sheriff runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let blocks: Vec<&str> = stdout.split("\n\n").collect();
    assert_eq!(blocks.len(), 2, "{stdout}");
    for line in [
        "host web1.prod",
        "hostname 10.0.0.5",
        "port 2200",
        "user deploy",
        "connecttimeout 3",
        "serveraliveinterval 15",
    ] {
        assert!(
            blocks[0].lines().any(|l| l == line),
            "{line} missing in:\n{}",
            blocks[0]
        );
    }
    // The bare alias gets ~/.ssh/config's port and sheriff's default connect timeout.
    for line in ["host web1", "port 22", "connecttimeout 10"] {
        assert!(
            blocks[1].lines().any(|l| l == line),
            "{line} missing in:\n{}",
            blocks[1]
        );
    }
    let home = bed.empty.path().display();
    assert!(
        blocks[1].contains(&format!("identityfile {home}/.ssh/id_ed25519")),
        "{}",
        blocks[1]
    );
}
