//! Bytes a drift comparison moves over SSH, beside `rsync -n --checksum` on the same
//! trees: two trees of 10,000 files with 50 differing, one on a host (a real OpenSSH sshd
//! on 127.0.0.2, logged in as the test user) and one here. sheriff lists the host's tree
//! with hashes in one round trip and fetches the 50 differing files (their bytes, to show
//! the diff); rsync's dry run with checksums finds the same 50 and moves no file.
//!
//! Run: `cargo bench --bench drift_ssh` (installs rsync with apt-get when missing). Results
//! go to docs/performance.md.

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use sheriff::drift::fetch::{self, DriftTarget, Globs, Place, TargetKind};
use sheriff::drift::side::EntryKind;
use sheriff::transport::ssh::SshPool;
use sshd::{Sshd, TestHome, TEST_USER};

const FILES: usize = 10_000;
const DIFFERING: usize = 50;

fn tree(root: &Path, changed: bool) {
    for i in 0..FILES {
        let dir = root.join(format!("d{:02}", i / 100));
        fs::create_dir_all(&dir).unwrap();
        let mut text: String = (0..20)
            .map(|k| format!("option_{k}.key_{i} = value-{k}-{}\n", (i * 31 + k) % 10007))
            .collect();
        if changed && i % (FILES / DIFFERING) == 7 {
            text.push_str("workers = 4\n");
        }
        fs::write(dir.join(format!("f{i:05}.conf")), text).unwrap();
    }
    for entry in walk(root) {
        let mode = if entry.is_dir() { 0o755 } else { 0o644 };
        fs::set_permissions(&entry, fs::Permissions::from_mode(mode)).unwrap();
    }
}

fn walk(root: &Path) -> Vec<std::path::PathBuf> {
    let mut all = vec![root.to_path_buf()];
    let mut i = 0;
    while i < all.len() {
        if all[i].is_dir() {
            let children: Vec<_> = fs::read_dir(&all[i])
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            all.extend(children);
        }
        i += 1;
    }
    all
}

fn ensure_rsync() {
    if Command::new("rsync").arg("--version").output().is_ok() {
        return;
    }
    let status = Command::new("apt-get")
        .args(["install", "-y", "-qq", "rsync"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .expect("apt-get");
    assert!(status.success(), "rsync could not be installed");
}

fn main() {
    ensure_rsync();
    let home = TestHome::new();
    let sshd = Sshd::start("127.0.0.2", &[&home.key]);
    home.trust(&sshd);
    let base = tempfile::Builder::new()
        .prefix("sheriff-drift-ssh-")
        .tempdir()
        .unwrap();
    fs::set_permissions(base.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let (there, here) = (base.path().join("there"), base.path().join("here"));
    tree(&there, true);
    tree(&here, false);
    let size: u64 = walk(&there)
        .iter()
        .filter(|p| p.is_file())
        .map(|p| p.metadata().unwrap().len())
        .sum();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let pool = SshPool::new(&[home.host("web", &sshd)], home.options(), None);
    let globs = Globs::new(&[], &[]).unwrap();
    let target = |path: &Path| {
        DriftTarget::new(
            "bench",
            TargetKind::Tree {
                path: format!("{}/", path.display()),
                globs: globs.clone(),
            },
        )
    };
    let (target_there, target_here) = (target(&there), target(&here));
    let remote = Place::host(pool, "web");
    let local = Place::local("/");
    // Connect first: the handshake is not the comparison's time (nor counted in bytes).
    runtime
        .block_on(fetch::list(&target_there, &remote))
        .unwrap();
    let listed_at = remote.bytes_transferred();
    let started = Instant::now();
    let (mut a, b) = runtime.block_on(async {
        let a = fetch::list(&target_there, &remote).await.unwrap();
        let b = fetch::list(&target_here, &local).await.unwrap();
        (a, b)
    });
    let differing: Vec<String> = a
        .entries
        .iter()
        .filter(
            |(path, entry)| match (&entry.kind, b.entries.get(*path).map(|e| &e.kind)) {
                (EntryKind::File { sha256: x, .. }, Some(EntryKind::File { sha256: y, .. })) => {
                    x != y
                }
                _ => true,
            },
        )
        .map(|(path, _)| path.clone())
        .collect();
    let listed = remote.bytes_transferred() - listed_at;
    runtime
        .block_on(fetch::fill(&target_there, &mut a, &differing, &remote))
        .unwrap();
    let sheriff_time = started.elapsed();
    let sheriff_bytes = remote.bytes_transferred() - listed_at;

    let ssh = format!(
        "ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile={} -i {} -p {}",
        home.known_hosts().display(),
        home.key.display(),
        sshd.port
    );
    let started = Instant::now();
    let out = Command::new("rsync")
        .args([
            "-n",
            "--checksum",
            "-r",
            "--stats",
            "--itemize-changes",
            "-e",
            &ssh,
        ])
        .arg(format!("{TEST_USER}@{}:{}/", sshd.addr, there.display()))
        .arg(format!("{}/", here.display()))
        .output()
        .expect("rsync");
    let rsync_time = started.elapsed();
    assert!(
        out.status.success(),
        "rsync: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = String::from_utf8_lossy(&out.stdout);
    let number = |label: &str| -> u64 {
        let line = stats
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label} in {stats}"));
        line[label.len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap()
    };
    let rsync_bytes = number("Total bytes sent:") + number("Total bytes received:");
    let rsync_found = stats
        .lines()
        .filter(|l| l.starts_with(">f") || l.starts_with("<f"))
        .count();

    println!("two trees of {FILES} files ({:.1} MB on the host), {DIFFERING} differing; one over SSH, one here", size as f64 / 1e6);
    println!(
        "  sheriff: {} differing found, {} bytes over SSH ({} listing with hashes, {} fetching the {} files), {:.3} s",
        differing.len(),
        sheriff_bytes,
        listed,
        sheriff_bytes - listed,
        differing.len(),
        sheriff_time.as_secs_f64()
    );
    println!(
        "  rsync -n --checksum: {rsync_found} differing found, {rsync_bytes} bytes (sent + received, its --stats), {:.3} s",
        rsync_time.as_secs_f64()
    );
    println!(
        "  ratio of bytes sheriff/rsync: {:.2}",
        sheriff_bytes as f64 / rsync_bytes as f64
    );
}
