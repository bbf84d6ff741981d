//! Drift between two environments on real hosts: three OpenSSH sshd on 127.0.0.2–4
//! (`web1.prod` and `web2.prod` of production, `web1.staging` of staging), each reading its
//! own tree (the target's path holds `{host}`), compared with `sheriff drift` as a script
//! would run it. The result is checked exactly, through `--json` and the diff text: key
//! changes of reordered JSON and YAML, the env's domain replaced, secrets that differ said
//! and never shown, a mode change, a symlink, a binary file, an unreadable file, files on
//! one side only, and the production host that differs from its reference.

#[path = "support/sshd.rs"]
mod sshd;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use sshd::{Sshd, TestHome};

const PROD_PASSWORD: &str = "Zq8vN2mW4kLp7RtY";
const STAGING_PASSWORD: &str = "Hx3cJ9sT6yBn1QeW";
const PROD_YAML_SECRET: &str = "pr0d-Yaml-S3cret-77";
const STAGING_YAML_SECRET: &str = "st4ge-Yaml-S3cret-42";

fn sheriff_bin() -> PathBuf {
    std::env::var_os("SHERIFF_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_sheriff")))
}

fn write(root: &Path, rel: &str, text: &[u8], mode: u32) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
}

/// One host's tree of `/etc/app/`, as production (`prod`) or staging has it.
fn tree(root: &Path, host: &str, prod: bool) {
    let (domain, workers, password, yaml_secret) = match prod {
        true => ("example.org", 8, PROD_PASSWORD, PROD_YAML_SECRET),
        false => (
            "staging.example.org",
            4,
            STAGING_PASSWORD,
            STAGING_YAML_SECRET,
        ),
    };
    let json = match prod {
        true => format!(
            r#"{{"server": {{"workers": {workers}, "host": "api.{domain}"}}, "cache": {{"ttl": 60}}}}"#
        ),
        // Reordered and reformatted: only the workers count is drift.
        false => format!(
            "{{\n  \"cache\": {{ \"ttl\": 60 }},\n  \"server\": {{\n    \"host\": \"api.{domain}\",\n    \"workers\": {workers}\n  }}\n}}\n"
        ),
    };
    write(root, "app.json", json.as_bytes(), 0o644);
    let env = format!("DB_HOST=db1.{domain}\nDB_PASSWORD={password}\nDEBUG=0\n");
    write(root, "app.env", env.as_bytes(), 0o644);
    let yaml = match prod {
        true => format!("database:\n  host: db1.{domain}\n  password: {yaml_secret}\nlog: info\n"),
        false => format!("log: info\ndatabase:\n  password: {yaml_secret}\n  host: db1.{domain}\n"),
    };
    write(root, "config.yaml", yaml.as_bytes(), 0o644);
    let nginx = format!("server {{\n    listen 443 ssl;\n    server_name www.{domain};\n}}\n");
    write(root, "nginx.conf", nginx.as_bytes(), 0o644);
    // Each host's own name, which `replace` names: no drift between hosts or environments.
    let identity = format!("hostname {host}\n");
    write(root, "identity.conf", identity.as_bytes(), 0o644);
    write(
        root,
        "limits.conf",
        b"nofile 65536\n",
        if prod { 0o644 } else { 0o755 },
    );
    let blob: Vec<u8> = (0..2048u32)
        .map(|i| (i * if prod { 7 } else { 11 }) as u8)
        .collect();
    write(root, "blob.bin", &blob, 0o644);
    write(root, "locked.conf", b"not for the test user\n", 0o000);
    let only = if prod {
        "only-prod.conf"
    } else {
        "only-staging.conf"
    };
    write(root, only, b"x = 1\n", 0o644);
    let target = if prod { "app.json" } else { "config.yaml" };
    std::os::unix::fs::symlink(target, root.join("current")).unwrap();
}

struct Bed {
    home: TestHome,
    _sshd: Vec<Sshd>,
    scratch: tempfile::TempDir,
    config: PathBuf,
}

fn bed() -> Bed {
    let home = TestHome::new();
    let sshd = Sshd::start_fleet(2..5, &[&home.key]);
    for s in &sshd {
        home.trust(s);
    }
    let scratch = tempfile::Builder::new()
        .prefix("sheriff-drift-")
        .tempdir()
        .unwrap();
    fs::set_permissions(scratch.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let names = ["web1.prod", "web2.prod", "web1.staging"];
    for name in names {
        tree(
            &scratch.path().join(name).join("etc/app"),
            name,
            name.ends_with("prod"),
        );
        for dir in ["", "etc", "etc/app"] {
            let path = scratch.path().join(name).join(dir);
            fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    // The production peer differs from its reference in one file.
    let peer = scratch.path().join("web2.prod/etc/app/nginx.conf");
    fs::write(&peer, "server {\n    listen 80;\n}\n").unwrap();
    let mut config = String::from(
        "[environments.production]\nhosts = [\"web1.prod\", \"web2.prod\"]\n\
         vars = { domain = \"example.org\" }\n\
         [environments.staging]\nhosts = [\"web1.staging\"]\n\
         vars = { domain = \"staging.example.org\" }\n",
    );
    for (name, sshd) in names.iter().zip(&sshd) {
        config.push_str(&format!(
            "[hosts.\"{name}\"]\nssh = \"{}\"\nidentity_file = \"{}\"\n",
            sshd.destination(),
            home.key.display()
        ));
    }
    config.push_str(&format!(
        "[[drift]]\nname = \"app\"\npath = \"{}/{{host}}/etc/app/\"\n\
         between = [\"production\", \"staging\"]\nreplace = [\"domain\", \"host\"]\n\
         [handoff]\npath = \"{}/handoff.jsonl\"\nauthor = \"alex\"\n",
        scratch.path().display(),
        scratch.path().display()
    ));
    let path = scratch.path().join("sheriff.toml");
    fs::write(&path, config).unwrap();
    Bed {
        home,
        _sshd: sshd,
        scratch,
        config: path,
    }
}

fn drift(bed: &Bed, args: &[&str]) -> Output {
    Command::new(sheriff_bin())
        .arg("--config")
        .arg(&bed.config)
        .arg("drift")
        .args(args)
        .env("HOME", bed.home.path())
        .env_remove("SSH_AUTH_SOCK")
        .output()
        .expect("run sheriff drift")
}

#[test]
fn drift_between_hosts_is_exact_masks_secrets_and_names_the_peer_that_differs() {
    let bed = bed();
    let out = drift(&bed, &["--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "drift: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in [
        PROD_PASSWORD,
        STAGING_PASSWORD,
        PROD_YAML_SECRET,
        STAGING_YAML_SECRET,
    ] {
        assert!(!stdout.contains(secret), "a secret in the JSON: {stdout}");
    }
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let target = &report["targets"][0];
    assert_eq!(target["name"], "app");
    assert_eq!(target["between"], json!(["production", "staging"]));
    assert_eq!(
        target["reference_hosts"],
        json!(["web1.prod", "web1.staging"])
    );
    let files: Vec<(String, String)> = target["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("app.env", "changed"),
        ("app.json", "changed"),
        ("blob.bin", "changed"),
        ("config.yaml", "changed"),
        ("current", "changed"),
        ("identity.conf", "same"),
        ("limits.conf", "mode"),
        ("locked.conf", "unreadable"),
        ("nginx.conf", "same"),
        ("only-prod.conf", "only_a"),
        ("only-staging.conf", "only_b"),
    ]
    .iter()
    .map(|(p, s)| (p.to_string(), s.to_string()))
    .collect();
    assert_eq!(files, want, "{stdout}");
    let file = |path: &str| {
        target["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap()
            .clone()
    };
    assert_eq!(
        file("app.json")["keys"],
        json!([{"key": "server.workers", "a": "8", "b": "4"}]),
        "reordered, reformatted and the domain replaced: only the workers differ"
    );
    // Written on one line in production and pretty-printed in staging: the hunk is by
    // key path, not every line of both.
    assert_eq!(
        file("app.json")["hunks"],
        json!(["@@ -1,3 +1,3 @@\n cache.ttl = 60\n server.host = api.{domain}\n-server.workers = 8\n+server.workers = 4"])
    );
    assert_eq!(
        file("app.env")["keys"],
        json!([{"key": "DB_PASSWORD", "a": "••", "b": "••"}])
    );
    assert_eq!(
        file("config.yaml")["keys"],
        json!([{"key": "database.password", "a": "••", "b": "••"}])
    );
    // The peer's difference is compared under the target's rules (its identity.conf
    // differs by hash, only in its own host name), and can be read as a diff.
    let peer_nginx = json!({"path": "nginx.conf", "status": "changed", "keys": [], "hunks": [
        "@@ -1,4 +1,3 @@\n server {\n-    listen 443 ssl;\n-    server_name www.example.org;\n+    listen 80;\n }"
    ]});
    assert_eq!(
        target["peers"],
        json!([{"host": "web2.prod", "differs_from": "web1.prod", "paths": ["nginx.conf"],
                "files": [peer_nginx], "accepted": null}])
    );

    // The same as a diff for a person.
    let out = drift(&bed, &[]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with(
            "drift app: production (web1.prod) ↔ staging (web1.staging): 9 files differ\n"
        ),
        "{text}"
    );
    for want in [
        "app.json: server.workers: 8 → 4\n",
        "app.env: DB_PASSWORD differs\n",
        "only in production: only-prod.conf\n",
        "only in staging: only-staging.conf\n",
        "web2.prod differs from web1.prod in nginx.conf\n\
         --- web1.prod/nginx.conf\n+++ web2.prod/nginx.conf\n@@ -1,4 +1,3 @@\n",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
    for secret in [
        PROD_PASSWORD,
        STAGING_PASSWORD,
        PROD_YAML_SECRET,
        STAGING_YAML_SECRET,
    ] {
        assert!(!text.contains(secret), "a secret in the diff: {text}");
    }

    // Only the reference hosts compared, with web2.prod as production's reference: the
    // nginx.conf it has is drift then.
    let out = drift(&bed, &["--json", "--host", "web2.prod"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let target = &report["targets"][0];
    assert_eq!(
        target["reference_hosts"],
        json!(["web2.prod", "web1.staging"])
    );
    let nginx = target["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "nginx.conf")
        .unwrap();
    assert_eq!(nginx["status"], "changed");
    assert_eq!(target["peers"][0]["host"], "web1.prod");
    assert_eq!(target["peers"][0]["differs_from"], "web2.prod");
    assert_eq!(target["peers"][0]["paths"], json!(["nginx.conf"]));

    // Accepted: app.json for two seconds, with its why; then its time is up.
    let out = drift(
        &bed,
        &[
            "accept",
            "app",
            "app.json",
            "--why",
            "staging runs 4 workers",
            "--for",
            "2s",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accepted = |bed: &Bed| -> Value {
        let out = drift(bed, &["--json"]);
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        report["targets"][0]["accepted"].clone()
    };
    let now = accepted(&bed);
    assert_eq!(now[0]["path"], "app.json");
    assert_eq!(now[0]["why"], "staging runs 4 workers");
    assert_eq!(now[0]["by"], "alex");
    assert!(now[0]["until"].is_string(), "{now}");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(accepted(&bed), json!([]), "expired");

    // Accepted with no end: it holds until the content changes.
    let out = drift(
        &bed,
        &[
            "accept",
            "app",
            "app.json",
            "--why",
            "staging runs 4 workers",
        ],
    );
    assert!(out.status.success());
    assert_eq!(accepted(&bed)[0]["path"], "app.json");
    let staging = bed.scratch.path().join("web1.staging/etc/app/app.json");
    let text = fs::read_to_string(&staging)
        .unwrap()
        .replace("\"workers\": 4", "\"workers\": 2");
    fs::write(&staging, text).unwrap();
    assert_eq!(
        accepted(&bed),
        json!([]),
        "shown again once its content changed"
    );

    // The whole target accepted: nothing counts, exit 0, with the peer still said.
    let out = drift(
        &bed,
        &["accept", "app", "--why", "known, see the migration plan"],
    );
    assert!(out.status.success());
    let out = drift(&bed, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no drift (9 accepted)"), "{text}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the peer still differs:\n{text}"
    );

    // The peer accepted as it differs now: exit 0, and said with its why.
    let out = drift(
        &bed,
        &[
            "accept",
            "app",
            "--host",
            "web2.prod",
            "--why",
            "web2 is the canary",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = drift(&bed, &[]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "accepted: web2.prod differs from web1.prod in nginx.conf by alex: web2 is the canary\n"
        ),
        "{text}"
    );
    // Once the peer's copy changes again, it counts again.
    let peer = bed.scratch.path().join("web2.prod/etc/app/nginx.conf");
    fs::write(&peer, "server {\n    listen 8080;\n}\n").unwrap();
    let out = drift(&bed, &["--json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(report["targets"][0]["peers"][0]["accepted"], Value::Null);
    // A host that does not differ has nothing to accept, and says which do.
    let out = drift(
        &bed,
        &["accept", "app", "--host", "web1.staging", "--why", "x"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "sheriff drift: web1.staging does not differ from its reference in app; the hosts that do: web2.prod\n"
    );
    drop(bed.scratch);
}
