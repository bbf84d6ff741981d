//! A real Redmine 5 for tracker tests: Debian's `redmine` and `redmine-sqlite`, installed by
//! `scripts/redmine-install`. [`shared`] starts one per test binary on 127.0.0.1 and a free
//! port, with a fresh sqlite database in a temp dir, the REST API on, a project `ops` taking
//! Bugs, a member `alex` (Developer) and the admin's API key. A static is never dropped, so
//! the watchdog of `monitoring/daemon.rs` kills the server and removes its temp dir when the
//! test process exits.
//!
//! Include with `#[path = "support/redmine.rs"] mod redmine;`. A machine without Redmine
//! fails these tests with what to install: they never pass without a server.
//!
//! What Redmine needs, found by running it:
//! - One Ruby process does everything (`rails runner` on the script below): migrate the empty
//!   database, load the default data (trackers, statuses, roles), make the project and the
//!   key, then serve with WEBrick. Booting Rails takes ~4 s, so three commands (`rake
//!   db:migrate`, `rake redmine:load_default_data`, `rails server`) would pay for it three
//!   times. The whole start, migrations included, takes 8 s on an idle 2-core machine here
//!   and 10–17 s while other builds run.
//! - The default data cannot be loaded in the process that migrated until the models forget
//!   the columns they read from the empty database (`reset_column_information`); without it
//!   Rails says "unknown attribute 'issues_visibility' for Role".
//! - `DATABASE_URL` overrides the packaged `database.yml`, and `RAILS_LOG_TO_STDOUT` sends the
//!   log to our temp dir: the packaged instance's database and log are not touched.
//! - Bundler is pinned to Debian's own (`BUNDLER_VERSION`): a newer bundler gem beside it
//!   cannot see Debian's gems. WEBrick loads only because `Gemfile.local` names it.
#![allow(dead_code)]

#[path = "monitoring/daemon.rs"]
mod daemon;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use daemon::{require, start_on_free_port, temp_dir, Daemon};

const REDMINE_ROOT: &str = "/usr/share/redmine";
/// Far above the 8–17 s a start takes, for a machine busier still.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// Runs inside Redmine (`rails runner`): sets it up, writes the key, then serves.
const BOOT_RB: &str = r##"
ActiveRecord::Migration.verbose = false
ActiveRecord::Base.connection.migration_context.migrate
ActiveRecord::Base.descendants.each(&:reset_column_information)
Redmine::DefaultData::Loader.load('en')
Setting.rest_api_enabled = '1'
admin = User.find_by_login!('admin')
admin.update!(must_change_passwd: false)
project = Project.create!(name: 'Ops', identifier: 'ops', is_public: false,
  tracker_ids: [Tracker.find_by_name!('Bug').id], enabled_module_names: ['issue_tracking'])
alex = User.new(firstname: 'Alex', lastname: 'Oncall', mail: 'alex@example.org')
alex.login = 'alex'
alex.password = alex.password_confirmation = 'not-used-0123'
alex.save!
Member.create!(project: project, principal: alex, role_ids: [Role.find_by_name!('Developer').id])
# Written whole, then renamed: the test side never reads half a key.
key_file = ENV.fetch('SHERIFF_REDMINE_KEY_FILE')
File.write("#{key_file}.tmp", admin.api_key)
File.rename("#{key_file}.tmp", key_file)
require 'rack/handler/webrick'
Rack::Handler::WEBrick.run(Rails.application, Host: '127.0.0.1',
  Port: Integer(ENV.fetch('SHERIFF_REDMINE_PORT')), AccessLog: [])
"##;

pub struct Redmine {
    pub port: u16,
    /// `http://127.0.0.1:PORT`, the site root a `[tracker]` url names.
    pub url: String,
    /// How long the start took, set up and serving.
    pub started_in: Duration,
    key: String,
    daemon: Daemon,
    dir: tempfile::TempDir,
}

/// The one Redmine of this test binary, started on first use.
pub fn shared() -> &'static Redmine {
    static SHARED: LazyLock<Redmine> = LazyLock::new(Redmine::start);
    &SHARED
}

impl Redmine {
    pub fn start() -> Redmine {
        require_installed();
        let started = Instant::now();
        let dir = temp_dir("sheriff-redmine-");
        let script = dir.path().join("boot.rb");
        fs::write(&script, BOOT_RB).expect("write boot.rb");
        let key_file = dir.path().join("admin.key");
        let (port, daemon) = start_on_free_port("redmine", |port| {
            launch(dir.path(), &script, &key_file, port)
        });
        let key = fs::read_to_string(&key_file).expect("read the admin key");
        let redmine = Redmine {
            port,
            url: format!("http://127.0.0.1:{port}"),
            started_in: started.elapsed(),
            key: key.trim().to_string(),
            daemon,
            dir,
        };
        eprintln!(
            "redmine: ready on 127.0.0.1:{port} in {:.1}s",
            redmine.started_in.as_secs_f64()
        );
        redmine
    }

    /// The admin's API key, for a token file; never printed.
    pub fn admin_key(&self) -> &str {
        &self.key
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The admin key in a file of its own under `dir`, for `token_file`.
    pub fn key_file(&self, dir: &Path) -> PathBuf {
        let path = dir.join("redmine.key");
        fs::write(&path, &self.key).expect("write the key file");
        path
    }

    pub fn log(&self) -> String {
        self.daemon.log()
    }

    /// One call as the admin: `(status, body)`.
    pub fn call(&self, method: &str, path: &str, json: Option<&str>) -> (u16, String) {
        http_call(self.port, method, path, json, Some(&self.key))
            .unwrap_or_else(|why| panic!("{why}\nredmine's log:\n{}", self.log()))
    }

    /// A call as the admin expected to answer 2xx; its JSON (`Null` when empty).
    pub fn json(&self, method: &str, path: &str, json: Option<&str>) -> serde_json::Value {
        match self.call(method, path, json) {
            (200..=299, body) if body.trim().is_empty() => serde_json::Value::Null,
            (200..=299, body) => serde_json::from_str(&body)
                .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {body}")),
            (status, body) => panic!("{method} {path} answered {status}: {body}"),
        }
    }

    /// Closes issue `id` as a person would: the "Closed" status.
    pub fn close(&self, id: &str) {
        let statuses = self.json("GET", "/issue_statuses.json", None);
        let closed = statuses["issue_statuses"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["name"] == "Closed"))
            .and_then(|s| s["id"].as_u64())
            .expect("a Closed status in the default data");
        let body = format!(r#"{{"issue":{{"status_id":{closed}}}}}"#);
        self.json("PUT", &format!("/issues/{id}.json"), Some(&body));
    }
}

/// Panics, naming the script that installs it, unless Redmine can start here.
fn require_installed() {
    let fix = "run scripts/redmine-install (scripts/test does)";
    require(
        &format!("{REDMINE_ROOT}/Gemfile"),
        "redmine (and redmine-sqlite)",
    );
    let sqlite = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", "redmine-sqlite"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("ok installed"));
    assert!(
        sqlite,
        "the Debian package redmine-sqlite is not installed: {fix}"
    );
    let local = fs::read_to_string(format!("{REDMINE_ROOT}/Gemfile.local")).unwrap_or_default();
    assert!(
        local
            .lines()
            .any(|l| l.trim_start().starts_with("gem 'webrick'")),
        "{REDMINE_ROOT}/Gemfile.local does not name webrick, so Redmine cannot serve: {fix}"
    );
}

/// Debian's bundler version (`2.3.15` of `2.3.15-2+deb12u1`), if the package says.
fn debian_bundler() -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", "ruby-bundler"])
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&out.stdout);
    let upstream = version.rsplit_once('-').map_or(&*version, |(v, _)| v);
    (!upstream.is_empty()).then(|| upstream.to_string())
}

fn launch(dir: &Path, script: &Path, key_file: &Path, port: u16) -> Result<Daemon, String> {
    // A retry on another port starts from nothing again.
    let _ = fs::remove_file(dir.join("redmine.sqlite3"));
    let _ = fs::remove_file(key_file);
    let mut command = Command::new("bundle");
    command
        .args(["exec", "rails", "runner"])
        .arg(script)
        .current_dir(REDMINE_ROOT)
        .env("RAILS_ENV", "production")
        .env(
            "DATABASE_URL",
            // Rails gives sqlite no busy timeout unless the config names one, and WEBrick
            // serves each request on a thread of its own: two writes at once would fail
            // with "database is locked" instead of waiting their turn.
            format!(
                "sqlite3:{}?timeout=10000",
                dir.join("redmine.sqlite3").display()
            ),
        )
        .env("RAILS_LOG_TO_STDOUT", "1")
        .env("SHERIFF_REDMINE_KEY_FILE", key_file)
        .env("SHERIFF_REDMINE_PORT", port.to_string());
    if let Some(version) = debian_bundler() {
        command.env("BUNDLER_VERSION", version);
    }
    let mut daemon = Daemon::spawn(command, dir, "redmine.log");
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        if let Some(status) = daemon.exited() {
            return Err(format!(
                "redmine exited ({status}) at start:\n{}",
                daemon.log()
            ));
        }
        if let Ok(key) = fs::read_to_string(key_file) {
            if matches!(
                http_call(port, "GET", "/projects/ops.json", None, Some(key.trim())),
                Ok((200, _))
            ) {
                return Ok(daemon);
            }
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "redmine was not ready within {}s:\n{}",
                READY_WITHIN.as_secs(),
                daemon.log()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One HTTP/1.0 exchange with 127.0.0.1:`port`, the key (if any) in `X-Redmine-API-Key`:
/// over a std socket, so it works in sync tests and in `#[tokio::test]` alike.
pub fn http_call(
    port: u16,
    method: &str,
    path: &str,
    json: Option<&str>,
    key: Option<&str>,
) -> Result<(u16, String), String> {
    let headers: Vec<(&str, &str)> = key.map(|k| ("X-Redmine-API-Key", k)).into_iter().collect();
    daemon::http_exchange(port, method, path, json, &headers, Duration::from_secs(30))
}
