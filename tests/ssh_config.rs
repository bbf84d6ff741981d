//! `~/.ssh/config` against real servers: aliases, User, Port, IdentityFile, ProxyJump
//! through a second sshd, sheriff's config winning where both speak, and OpenSSH's own
//! reading of the same file (`ssh -G`) as the reference.

#[path = "support/sshd.rs"]
mod sshd;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use sheriff::config::Host;
use sheriff::transport::ssh::ssh_config::SshConfig;
use sheriff::transport::ssh::SshPool;
use sshd::{Sshd, TestHome, TEST_USER};

const STEP: Duration = Duration::from_secs(10);

fn alias(name: &str) -> Host {
    let mut host = Host::named(name);
    host.ssh = Some(format!("{name}-alias"));
    host
}

#[tokio::test]
async fn alias_user_port_and_identity_file_come_from_ssh_config() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.4", &[&home.key]);
    home.trust(&sshd);
    home.write_ssh_config(&format!(
        "Host app-alias\n  HostName {}\n  User {TEST_USER}\n  Port {}\n  \
         IdentityFile ~/.ssh/id_test\n  IdentitiesOnly yes\n\
         Host *\n  User nobody\n  Port 1\n",
        sshd.addr, sshd.port
    ));
    let pool = SshPool::new(&[alias("app")], home.options(), None);
    let resolved = pool.resolved("app").expect("resolves");
    assert_eq!(resolved.hostname, sshd.addr);
    assert_eq!(resolved.port, sshd.port);
    assert_eq!(resolved.user, TEST_USER);
    assert_eq!(resolved.identity_files, vec![home.key.clone()]);
    let out = pool
        .exec("app", "id -un", STEP)
        .await
        .expect("exec via alias");
    assert_eq!(out.stdout_text(), format!("{TEST_USER}\n"));
}

#[tokio::test]
async fn sheriff_config_wins_over_ssh_config() {
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.4", &[&home.key]);
    home.trust(&sshd);
    home.write_ssh_config(&format!(
        "Host db-alias\n  HostName {}\n  User nobody\n  Port 1\n  IdentityFile ~/.ssh/nope\n",
        sshd.addr
    ));
    let mut host = alias("db");
    host.user = Some(TEST_USER.into());
    host.port = Some(sshd.port);
    host.identity_file = Some(home.key.clone());
    let pool = SshPool::new(&[host], home.options(), None);
    let out = pool.exec("db", "id -un", STEP).await.expect("exec");
    assert_eq!(out.stdout_text(), format!("{TEST_USER}\n"));
}

#[tokio::test]
async fn proxy_jump_goes_through_the_jump_host() {
    let home = TestHome::new();
    // DEBUG1 logs each direct-tcpip request the jump host serves.
    let jump = Sshd::start_with("127.0.0.5", &[&home.key], "LogLevel DEBUG1");
    let target = Sshd::start("127.0.0.6", &[&home.key]);
    home.trust(&jump);
    home.trust(&target);
    home.write_ssh_config(&format!(
        "Host inner-alias\n  HostName {}\n  Port {}\n  ProxyJump bastion\n\
         Host bastion\n  HostName {}\n  Port {}\n\
         Host *\n  User {TEST_USER}\n  IdentityFile ~/.ssh/id_test\n",
        target.addr, target.port, jump.addr, jump.port
    ));
    let pool = SshPool::new(&[alias("inner")], home.options(), None);
    let resolved = pool.resolved("inner").expect("resolves");
    let via = resolved.proxy_jump.as_ref().expect("a jump host");
    assert_eq!(
        (via.hostname.as_str(), via.port),
        (jump.addr.as_str(), jump.port)
    );

    let out = pool
        .exec("inner", "echo inside", STEP)
        .await
        .expect("exec via jump");
    assert_eq!(out.stdout_text(), "inside\n");
    for i in 0..5 {
        let out = pool
            .exec("inner", &format!("echo {i}"), STEP)
            .await
            .expect("exec");
        assert_eq!(out.stdout_text(), format!("{i}\n"));
    }
    let info = pool.connect("inner").await.expect("connected");
    assert_eq!(info.fingerprint, target.fingerprint());
    assert!(info.address.contains(" via "), "{}", info.address);
    assert_eq!(jump.logins(), 1, "jump log:\n{}", jump.log());
    assert_eq!(target.logins(), 1, "target log:\n{}", target.log());
    // The jump host opened the tunnel to the target.
    let jump_log = jump.log();
    let tunnel = format!("target {} port {}", target.addr, target.port);
    assert!(
        jump_log
            .lines()
            .any(|l| l.contains("direct_tcpip") && l.contains(&tunnel)),
        "jump log shows no tunnel to {tunnel}:\n{jump_log}"
    );
}

#[tokio::test]
async fn unknown_jump_host_key_is_refused_too() {
    let home = TestHome::new();
    let jump = Sshd::start("127.0.0.5", &[&home.key]);
    let target = Sshd::start("127.0.0.6", &[&home.key]);
    home.trust(&target);
    let mut host = home.host("inner", &target);
    host.proxy_jump = Some(jump.destination());
    let pool = SshPool::new(&[host], home.options(), None);
    let err = pool.exec("inner", "true", STEP).await.unwrap_err();
    assert!(
        err.to_string().contains(&jump.fingerprint()),
        "expected the jump host's unknown key: {err}"
    );
    assert_eq!(target.logins(), 0);
}

/// OpenSSH's reading of a config (`ssh -G`), for the keys sheriff uses.
fn openssh_reading(config: &Path, alias: &str) -> Vec<(String, String)> {
    let out = Command::new("ssh")
        .arg("-G")
        .arg("-F")
        .arg(config)
        .arg(alias)
        .output()
        .expect("ssh -G (openssh-client)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(k, _)| ["hostname", "user", "port", "identityfile", "proxyjump"].contains(k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn reads_ssh_config_as_openssh_does() {
    let home = TestHome::new();
    let dir = home.path().display().to_string();
    let text = format!(
        "Host web* !web9\n  HostName %h.example.org\n  IdentityFile {dir}/a\n\
         Host db1\n  HostName 10.0.0.7\n  Port 2201\n  ProxyJump jumper@bastion:2222\n\
         Match originalhost db*\n  User dba\n\
         Host *\n  User ops\n  Port 22\n  IdentityFile {dir}/b\n"
    );
    let path = home.path().join("config");
    std::fs::write(&path, &text).expect("write");
    let ours = SshConfig::parse(&text, &path, home.path());
    for name in ["web1", "web9", "db1", "other"] {
        let theirs = openssh_reading(&path, name);
        let get = |k: &str| -> Vec<String> {
            theirs
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let mine = ours.lookup(name).expect("the config is valid");
        let hostname = mine
            .hostname
            .map(|h| h.replace("%h", name))
            .unwrap_or_else(|| name.to_string());
        assert_eq!(vec![hostname], get("hostname"), "{name}: hostname");
        assert_eq!(
            mine.user.into_iter().collect::<Vec<_>>(),
            get("user"),
            "{name}"
        );
        assert_eq!(
            vec![mine.port.unwrap_or(22).to_string()],
            get("port"),
            "{name}: port"
        );
        let files: Vec<String> = mine.identity_files.clone();
        let theirs_files: Vec<String> = get("identityfile");
        assert_eq!(files, theirs_files, "{name}: identity files");
        assert_eq!(
            mine.proxy_jump.into_iter().collect::<Vec<_>>(),
            get("proxyjump"),
            "{name}: proxyjump"
        );
    }
}
