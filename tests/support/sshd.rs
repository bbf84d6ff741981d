//! Throwaway OpenSSH servers for tests: `sshd -D -f CONFIG` on a 127.0.0.x address and a
//! free port, with a temporary host key and authorized keys, stopped when dropped. Tests log
//! in as `sheriff-test`, a user whose shell is /bin/sh (root's shell startup is slow here).
//!
//! Include with `#[path = "support/sshd.rs"] mod sshd;`. Every failure to set up panics
//! with what is missing: a test that needs sshd must never pass without one.
#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use sheriff::config::Host;
use sheriff::transport::ssh::{AgentChoice, NoPrompt, SshOptions};

/// The user tests log in as.
pub const TEST_USER: &str = "sheriff-test";
const SSHD: &str = "/usr/sbin/sshd";

/// Creates `sheriff-test` (shell /bin/sh, home /tmp, password `*`: key logins only) once.
pub fn ensure_test_user() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let exists = || {
            Command::new("id")
                .arg("-u")
                .arg(TEST_USER)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        };
        if !exists() {
            let out = Command::new("useradd")
                .args(["-M", "-d", "/tmp", "-s", "/bin/sh", TEST_USER])
                .output()
                .expect("useradd must exist to create the test user (tests run as root)");
            // Another test binary may have created it at the same moment.
            assert!(
                out.status.success() || exists(),
                "cannot create test user {TEST_USER}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // `!` would be a locked account, which sshd refuses even for keys.
        let status = Command::new("usermod")
            .args(["-p", "*", TEST_USER])
            .status()
            .expect("usermod");
        assert!(status.success(), "usermod -p '*' {TEST_USER} failed");
    });
}

/// Runs ssh-keygen to make an unencrypted (or `passphrase`) ed25519 key at `path`.
pub fn keygen(path: &Path, passphrase: &str) {
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-C",
            "sheriff-test",
            "-N",
            passphrase,
            "-f",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .expect("ssh-keygen must be installed (Debian package openssh-client)");
    assert!(status.success(), "ssh-keygen failed for {}", path.display());
}

/// `SHA256:…` of a public key file, as ssh-keygen prints it.
pub fn fingerprint_of(pub_file: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .arg("-lf")
        .arg(pub_file)
        .output()
        .expect("ssh-keygen -lf");
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("ssh-keygen -lf printed {text:?}"))
        .to_string()
}

/// A running sshd. Dropping it kills the server and every connection it serves.
pub struct Sshd {
    pub addr: String,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub host_key: PathBuf,
    child: Option<Child>,
}

impl Sshd {
    /// Starts sshd on `addr` (e.g. "127.0.0.2") accepting `authorized` public keys.
    pub fn start(addr: &str, authorized: &[&Path]) -> Sshd {
        Sshd::start_with(addr, authorized, "")
    }

    /// Like `start`, with extra sshd_config lines (they come first, so they win: sshd takes
    /// the first value of a keyword).
    /// One sshd on each of `127.0.0.N` for N in `octets`, started side by side.
    pub fn start_fleet(octets: std::ops::Range<usize>, authorized: &[&Path]) -> Vec<Sshd> {
        std::thread::scope(|s| {
            let handles: Vec<_> = octets
                .map(|i| s.spawn(move || Sshd::start(&format!("127.0.0.{i}"), authorized)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("sshd start thread"))
                .collect()
        })
    }

    pub fn start_with(addr: &str, authorized: &[&Path], extra_config: &str) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: install openssh-server (scripts/test does) to run the SSH tests"
        );
        ensure_test_user();
        fs::create_dir_all("/run/sshd").expect("mkdir /run/sshd (sshd's privsep directory)");
        let dir = tempfile::Builder::new()
            .prefix("sheriff-sshd-")
            .tempdir()
            .expect("tempdir");
        // The test user must reach authorized_keys inside.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let host_key = dir.path().join("host_ed25519");
        keygen(&host_key, "");
        let mut keys = String::new();
        for key in authorized {
            let pub_file = pub_path(key);
            keys.push_str(
                &fs::read_to_string(&pub_file)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", pub_file.display())),
            );
        }
        let authorized_keys = dir.path().join("authorized_keys");
        fs::write(&authorized_keys, keys).expect("write authorized_keys");
        fs::set_permissions(&authorized_keys, fs::Permissions::from_mode(0o644)).expect("chmod");
        let mut sshd = Sshd {
            addr: addr.to_string(),
            port: 0,
            dir,
            host_key,
            child: None,
        };
        // Another process may take the free port before sshd binds it: try a few.
        for attempt in 1..=5 {
            sshd.port = free_port(addr);
            sshd.write_config(extra_config);
            match sshd.launch() {
                Ok(()) => return sshd,
                Err(why) if attempt < 5 && why.contains("Address already in use") => {}
                Err(why) => panic!("{why}"),
            }
        }
        unreachable!("the last attempt panics")
    }

    fn write_config(&self, extra_config: &str) {
        let config = format!(
            "{extra_config}\n\
             ListenAddress {addr}:{port}\n\
             HostKey {key}\n\
             PidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {dir}/authorized_keys\n\
             UsePAM no\n\
             StrictModes no\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\n\
             PermitRootLogin prohibit-password\n\
             AllowTcpForwarding yes\n\
             MaxStartups 200\n\
             PrintMotd no\n\
             LogLevel VERBOSE\n",
            addr = self.addr,
            port = self.port,
            key = self.host_key.display(),
            dir = self.dir.path().display(),
        );
        fs::write(self.dir.path().join("sshd_config"), config).expect("write sshd_config");
    }

    fn launch(&mut self) -> Result<(), String> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open sshd log");
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(self.dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}"));
        self.child = Some(child);
        self.wait_ready()
    }

    /// Waits until the server greets with its banner.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(format!(
                        "sshd on {}:{} exited ({status}) at start:\n{}",
                        self.addr,
                        self.port,
                        self.log()
                    ));
                }
            }
            if let Ok(mut stream) = TcpStream::connect((self.addr.as_str(), self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut banner = [0u8; 7];
                if stream.read_exact(&mut banner).is_ok() && &banner == b"SSH-2.0" {
                    return Ok(());
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "sshd on {}:{} did not start within 10s:\n{}",
                    self.addr,
                    self.port,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("sshd.log")
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Logins sshd accepted so far: one per TCP connection that authenticated.
    pub fn logins(&self) -> usize {
        self.log().matches("Accepted publickey for").count()
    }

    /// Established TCP connections to this server, counted from the client side in
    /// /proc/net/tcp (what `ss -tn state established dport = :PORT` shows).
    pub fn established_connections(&self) -> usize {
        let text = fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
        let remote = format!(":{:04X}", self.port);
        text.lines()
            .skip(1)
            .filter(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                // fields: sl local_address rem_address st ...; st 01 = ESTABLISHED
                fields.len() > 3 && fields[2].ends_with(&remote) && fields[3] == "01"
            })
            .count()
    }

    /// `ssh_host_ed25519_key.pub` contents: `ssh-ed25519 AAAA… comment`.
    pub fn host_public_key(&self) -> String {
        fs::read_to_string(pub_path(&self.host_key)).expect("host key .pub")
    }

    pub fn fingerprint(&self) -> String {
        fingerprint_of(&pub_path(&self.host_key))
    }

    /// The known_hosts line that trusts this server: `[addr]:port ssh-ed25519 AAAA…`.
    pub fn known_hosts_line(&self) -> String {
        let key = self.host_public_key();
        let mut fields = key.split_whitespace();
        let (kind, blob) = (fields.next().unwrap_or(""), fields.next().unwrap_or(""));
        format!("[{}]:{} {kind} {blob}\n", self.addr, self.port)
    }

    /// `sheriff-test@addr:port`
    pub fn destination(&self) -> String {
        format!("{TEST_USER}@{}:{}", self.addr, self.port)
    }

    /// Kills the server and all its connections (as a crash or reboot would).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id() as i32;
            let tree = descendants(pid);
            // SAFETY: signalling processes this test started.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                for p in &tree {
                    libc::kill(*p, libc::SIGKILL);
                }
            }
            let _ = child.wait();
        }
    }

    /// Stops (SIGSTOP) the server and its connections: the TCP connections stay up but
    /// nothing answers, like a hung host. `thaw` resumes them.
    pub fn freeze(&self) {
        self.signal_all(libc::SIGSTOP);
    }

    pub fn thaw(&self) {
        self.signal_all(libc::SIGCONT);
    }

    fn signal_all(&self, signal: i32) {
        if let Some(child) = self.child.as_ref() {
            let pid = child.id() as i32;
            // SAFETY: signalling processes this test started.
            unsafe {
                libc::kill(pid, signal);
                for p in descendants(pid) {
                    libc::kill(p, signal);
                }
            }
        }
    }

    /// For a server kept in a static (never dropped): a `sh` that waits for this process's
    /// end (its stdin closes), then kills this sshd by its pid file (read then: a restart
    /// changes the pid) and removes `dirs`. In a process group of its own, so a Ctrl-C
    /// does not stop it first. Keep the pair alive as long as the server.
    pub fn clean_up_at_exit(&self, dirs: &[&Path]) -> (Child, ChildStdin) {
        let pid_file = self.dir.path().join("sshd.pid");
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg("while read -r _; do :; done; kill -s KILL \"$(cat \"$1\")\"; shift; rm -rf -- \"$@\"")
            .arg("watchdog")
            .arg(&pid_file)
            .args(dirs)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start the clean-up watchdog");
        let stdin = child.stdin.take().expect("the watchdog's stdin");
        (child, stdin)
    }

    /// Starts the server again on the same address, port and host key.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(why) = self.launch() {
            panic!("restarting sshd: {why}");
        }
    }

    /// Replaces the host key (as a reinstalled host would) and restarts.
    pub fn new_host_key(&mut self) {
        let _ = fs::remove_file(&self.host_key);
        let _ = fs::remove_file(pub_path(&self.host_key));
        keygen(&self.host_key, "");
        self.restart();
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every process below `root`, found through /proc.
fn descendants(root: i32) -> Vec<i32> {
    let mut parents: Vec<(i32, i32)> = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // The command name is in parentheses and may contain spaces.
            let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                continue;
            };
            if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

fn pub_path(key: &Path) -> PathBuf {
    let mut p = key.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

fn free_port(addr: &str) -> u16 {
    let listener = TcpListener::bind((addr, 0))
        .unwrap_or_else(|e| panic!("cannot bind {addr}:0 to find a free port: {e}"));
    listener.local_addr().expect("local_addr").port()
}

/// A throwaway `$HOME` with `.ssh/` and a client key `.ssh/id_test`, and pool options that
/// use only it (no agent, no system known_hosts, no prompts, fast reconnects).
pub struct TestHome {
    pub dir: tempfile::TempDir,
    pub key: PathBuf,
}

impl TestHome {
    pub fn new() -> TestHome {
        let dir = tempfile::Builder::new()
            .prefix("sheriff-home-")
            .tempdir()
            .expect("tempdir");
        fs::create_dir_all(dir.path().join(".ssh")).expect("mkdir .ssh");
        let key = dir.path().join(".ssh/id_test");
        keygen(&key, "");
        TestHome { dir, key }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.dir.path().join(".ssh/known_hosts")
    }

    /// Adds `sshd`'s host key to `~/.ssh/known_hosts`.
    pub fn trust(&self, sshd: &Sshd) {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.known_hosts())
            .expect("open known_hosts");
        f.write_all(sshd.known_hosts_line().as_bytes())
            .expect("write known_hosts");
    }

    pub fn write_ssh_config(&self, text: &str) {
        fs::write(self.dir.path().join(".ssh/config"), text).expect("write ssh config");
    }

    /// A sheriff host for `sshd`, logging in as the test user with this home's key.
    pub fn host(&self, name: &str, sshd: &Sshd) -> Host {
        let mut host = Host::named(name);
        host.ssh = Some(sshd.destination());
        host.identity_file = Some(self.key.clone());
        host
    }

    /// OpenSSH's `ssh` to `sshd` as the test user with this home's key and known_hosts
    /// (strict), no config file; `options` go before the destination. Add the command.
    pub fn openssh(&self, sshd: &Sshd, options: &[&str]) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.arg("-F")
            .arg("/dev/null")
            .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"])
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.known_hosts().display()
            ))
            .arg("-i")
            .arg(&self.key)
            .arg("-p")
            .arg(sshd.port.to_string())
            .args(options)
            .arg(format!("{TEST_USER}@{}", sshd.addr))
            .stdin(Stdio::null());
        cmd
    }

    pub fn options(&self) -> SshOptions {
        SshOptions {
            home: Some(self.dir.path().to_path_buf()),
            system_known_hosts: Vec::new(),
            agent: AgentChoice::Off,
            prompt: std::sync::Arc::new(NoPrompt),
            connect_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_millis(400),
            kill_grace: Duration::from_millis(500),
            ..SshOptions::default()
        }
    }
}

/// Whether a process whose command line contains `needle` runs on this machine.
pub fn process_running(needle: &str) -> bool {
    let Ok(entries) = fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        fs::read(entry.path().join("cmdline"))
            .map(|raw| {
                let line: Vec<u8> = raw.iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
                String::from_utf8_lossy(&line).contains(needle)
            })
            .unwrap_or(false)
    })
}
