//! The demo's two config trees, which drift in the ways a real fleet does, and the
//! `sheriff.toml` that describes the whole sandbox.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;

use super::{APP_LOG, NGINX_LOG, PROD_DIR, STAGING_DIR};

/// Each env's `domain`: the `replace` rule turns both into `{domain}` before diffing.
const PROD_DOMAIN: &str = "example.org";
const STAGING_DOMAIN: &str = "staging.example.org";

/// The two DB passwords that differ in `app.env`: secrets the Drift pane must never show.
pub const PROD_DB_PASSWORD: &str = "Xk9-prod-7f3a2c91e4";
pub const STAGING_DB_PASSWORD: &str = "stg-41b9e0aa5d27";

/// Writes `prod/etc/app/…` and `staging/etc/app/…` under `dir`:
/// - `nginx.conf` drifts in a few lines (tuning changed on staging and never promoted),
/// - `app.env` differs only in `DB_PASSWORD`, a secret,
/// - `sysctl.conf` differs only in the domain, so it is the same after `replace`.
pub fn write_trees(dir: &Path) -> std::io::Result<()> {
    for (env_dir, domain) in [(PROD_DIR, PROD_DOMAIN), (STAGING_DIR, STAGING_DOMAIN)] {
        let staging = env_dir == STAGING_DIR;
        let etc = dir.join(env_dir).join("etc/app");
        std::fs::create_dir_all(&etc)?;
        std::fs::write(etc.join("nginx.conf"), nginx_conf(domain, staging))?;
        let password = if staging {
            STAGING_DB_PASSWORD
        } else {
            PROD_DB_PASSWORD
        };
        std::fs::write(etc.join("app.env"), app_env(domain, password))?;
        std::fs::write(etc.join("sysctl.conf"), sysctl_conf(domain))?;
        for log in [APP_LOG, NGINX_LOG] {
            let path = crate::logs::tail::under_root(&dir.join(env_dir), log);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
        }
    }
    Ok(())
}

fn nginx_conf(domain: &str, staging: bool) -> String {
    // Staging was tuned during a load test and never promoted: fewer connections, no
    // upstream keepalive, a short read timeout, gzip on.
    let (connections, keepalive, read_timeout) = if staging {
        (512, "", "5s")
    } else {
        (1024, "        keepalive 32;\n", "30s")
    };
    let gzip = if staging {
        "    gzip on;\n    gzip_types application/json;\n"
    } else {
        ""
    };
    format!(
        r#"# managed by ansible: roles/nginx/templates/nginx.conf.j2
user www-data;
worker_processes auto;

events {{
    worker_connections {connections};
}}

http {{
{gzip}    upstream app {{
        server 127.0.0.1:8080;
{keepalive}    }}

    server {{
        listen 443 ssl http2;
        server_name api.{domain};
        ssl_certificate /etc/ssl/{domain}.pem;
        client_max_body_size 10m;

        location / {{
            proxy_pass http://app;
            proxy_read_timeout {read_timeout};
        }}
    }}
}}
"#
    )
}

fn app_env(domain: &str, password: &str) -> String {
    format!(
        "DB_HOST=db1.{domain}\nDB_PORT=5432\nDB_NAME=shop\nDB_USER=shop\nDB_PASSWORD={password}\n\
         CACHE_URL=redis://cache.{domain}:6379/0\nLOG_LEVEL=info\nWORKERS=8\n"
    )
}

fn sysctl_conf(domain: &str) -> String {
    format!(
        "kernel.domainname = {domain}\nnet.core.somaxconn = 4096\nnet.ipv4.tcp_fin_timeout = 15\n\
         vm.swappiness = 10\nfs.file-max = 2097152\n"
    )
}

/// The sandbox's `sheriff.toml`, using only the documented schema (DESIGN.md, "Config")
/// plus `root` and `path`.
pub fn config_toml(dir: &Path, production: SocketAddr, staging: SocketAddr) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let path = |rel: &str| q(&dir.join(rel).to_string_lossy());
    let mut out = String::from(
        "# The sheriff demo: two local \"environments\" with real HTTP services, log files,\n\
         # drifting config trees and a seeded handoff log. Delete the directory to reset.\n\n",
    );
    for (name, root, addr, domain) in [
        ("production", PROD_DIR, production, PROD_DOMAIN),
        ("staging", STAGING_DIR, staging, STAGING_DOMAIN),
    ] {
        let _ = write!(
            out,
            "[environments.{name}]\nroot = {}\nvars = {{ base = {}, domain = {}, run = {} }}\n\n",
            path(root),
            q(&format!("http://{addr}")),
            q(domain),
            path(&format!("{root}/var/run")),
        );
    }
    let (app_log, nginx_log) = (q(APP_LOG), q(NGINX_LOG));
    let (bugs, handoff) = (path("bugs"), path(super::HANDOFF_FILE));
    // A command's output as a log: coloured and tab-separated, as deploy tools print.
    let deploys = q(
        r#"i=0; while :; do i=$((i+1)); printf '\033[32mINFO\033[0m\tdeploy-agent\theartbeat %d, queue empty\n' "$i"; sleep 5; done"#,
    );
    let (fill, queue) = (
        path(&format!("{}/check_fill", super::plugins::BIN_DIR)),
        path(&format!("{}/check_queue", super::plugins::BIN_DIR)),
    );
    let app_running = q(r#"test -s {run}/app.pid && echo "app up, pid $(cat {run}/app.pid)""#);
    let _ = write!(
        out,
        r#"# Staging's service flaps: three failures in a row before it shows red, two
# successes before it shows green, and "flapping" instead of blinking.
[[check]]
name = "api"
envs = ["production", "staging"]
http = "{{base}}/healthz"
every = "2s"
timeout = "1s"
expect = ["status == 200", "time < 300ms"]
expect_warn = ["json.status == \"ok\""]
fail_after = 3
recover_after = 2
owner = "alex"
tier = "critical"

# A Nagios plugin with perfdata: /srv fills at a steady rate; the forecast says when.
[[check]]
name = "disk /srv"
envs = ["production"]
nagios = {fill}
every = "2s"
forecast = "1h"
forecast_window = "1m"
owner = "sam"

[[check]]
name = "queue"
envs = ["production"]
nagios = {queue}
every = "3s"
tier = "peripheral"

[[check]]
name = "app running"
envs = ["production", "staging"]
command = {app_running}
every = "5s"

[[log]]
name = "app"
on = "production"
file = {app_log}

[[log]]
name = "nginx"
on = "staging"
file = {nginx_log}

[[log]]
name = "deploys"
command = {deploys}

[logs]
highlight = [
  {{ regex = "upstream timed out|connect\\(\\) failed", style = "warn" }},
  {{ regex = "req=\\w+", style = "source" }},
]

[[drift]]
name = "app config"
path = "/etc/app/"
between = ["production", "staging"]
replace = {{ "{{domain}}" = "domain" }}

[tracker]
kind = "dir"
path = {bugs}
labels = ["sheriff"]

[[tracker.route]]
env = "staging"
labels = ["staging"]

[[autofile]]
checks = ["app running"]
after = "1m"
labels = ["autofiled"]

[handoff]
author = "demo"
path = {handoff}
"#
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_valid_toml_with_the_documented_tables() {
        let addr: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let text = config_toml(Path::new("/tmp/sheriff demo \"x\""), addr, addr);
        let table: toml::Table = toml::from_str(&text).unwrap();
        for key in [
            "environments",
            "check",
            "log",
            "drift",
            "tracker",
            "handoff",
        ] {
            assert!(table.contains_key(key), "{key} missing in\n{text}");
        }
        assert!(text.contains("http = \"{base}/healthz\""), "{text}");
        assert!(
            text.contains(r#"replace = { "{domain}" = "domain" }"#),
            "{text}"
        );
    }

    #[test]
    fn sysctl_differs_only_by_domain() {
        let prod = sysctl_conf(PROD_DOMAIN).replace(PROD_DOMAIN, "{domain}");
        let staging = sysctl_conf(STAGING_DOMAIN).replace(STAGING_DOMAIN, "{domain}");
        assert_eq!(prod, staging);
    }
}
