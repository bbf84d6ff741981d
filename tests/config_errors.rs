//! Config errors: each kind of mistake, with its exact line, column and message, read from a
//! real file so the path in the message is the one the user would see.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sheriff::config::{self, CheckKind, Config, DiskLimit, LogSource, Target, TrackerKind};
use tempfile::TempDir;

/// Two environments and their hosts, lines 1–6; a test's own text starts on line 7.
const ENVS: &str = r#"[environments.production]
hosts = ["web1.prod"]
[environments.staging]
hosts = ["web1.staging"]
[hosts."web1.prod"]
[hosts."web1.staging"]
"#;

fn write(text: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sheriff.toml");
    std::fs::write(&path, text).expect("write config");
    (dir, path)
}

fn load(text: &str) -> (TempDir, PathBuf, Result<Config, config::ConfigErrors>) {
    let (dir, path) = write(text);
    let result = config::load(&path);
    (dir, path, result)
}

/// Asserts that loading `text` fails with exactly these errors, in this order.
fn assert_errors(text: &str, expected: &[(usize, usize, &str)]) {
    let (_dir, path, result) = load(text);
    let errors = match result {
        Ok(_) => panic!("expected errors, the config loaded:\n{text}"),
        Err(errors) => errors,
    };
    let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let want: Vec<String> = expected
        .iter()
        .map(|(line, col, message)| format!("{}:{line}:{col}: {message}", path.display()))
        .collect();
    assert_eq!(got, want);
}

fn with_envs(rest: &str) -> String {
    format!("{ENVS}{rest}")
}

#[test]
fn bad_toml_syntax_stops_at_the_syntax_error() {
    let text = "[hosts.web1]\nssh = \"web1\"\nuser = deploy\n[[check]]\nname = 1\n";
    assert_errors(
        text,
        &[(
            3,
            8,
            "invalid TOML: string values must be quoted, expected literal string",
        )],
    );
}

#[test]
fn unknown_key_suggests_the_closest() {
    let text =
        with_envs("[[check]]\nname = \"api\"\nhttp = \"https://example.org\"\ntimout = \"5s\"\n");
    assert_errors(
        &text,
        &[(
            10,
            1,
            "unknown key \"timout\" in [[check]] (did you mean \"timeout\"?)",
        )],
    );
}

#[test]
fn unknown_key_without_a_close_match_lists_the_keys() {
    let text = "[handoff]\nauthor = \"alex\"\nchannel = \"#ops\"\n";
    assert_errors(
        text,
        &[(
            3,
            1,
            "unknown key \"channel\" in [handoff]; the keys it takes are: author, path, share, \
             mail, mail_from, smtp",
        )],
    );
}

#[test]
fn unknown_check_kind_suggests_the_closest() {
    let text = "[[check]]\nname = \"api\"\nhtp = \"https://example.org\"\n";
    assert_errors(
        text,
        &[(3, 1, "unknown check kind \"htp\" (did you mean \"http\"?)")],
    );
}

#[test]
fn unknown_section_suggests_the_closest() {
    let text = "[[checks]]\nname = \"api\"\n";
    assert_errors(
        text,
        &[(1, 3, "unknown section [checks] (did you mean [[check]]?)")],
    );
}

#[test]
fn bad_duration_points_at_the_value() {
    let text = "[[check]]\nname = \"up\"\ncommand = \"true\"\nevery = \"5x\"\n";
    assert_errors(
        text,
        &[(
            4,
            9,
            r#"bad duration "5x": the unit is not one of ms, s, m, h, d, w; write a number and a unit (ms, s, m, h, d or w), e.g. "90s", "1h30m" or "1.5h""#,
        )],
    );
}

#[test]
fn unknown_environment_in_check_envs() {
    let text = with_envs(
        "[[check]]\nname = \"api\"\nenvs = [\"staging\", \"prodution\"]\nhttp = \"https://x\"\n",
    );
    assert_errors(
        &text,
        &[(
            9,
            20,
            "unknown environment \"prodution\" (did you mean \"production\"?)",
        )],
    );
}

#[test]
fn unknown_host_in_an_environment() {
    // A near miss of a declared host is a typo; a name unlike any is an ~/.ssh/config alias.
    let text = "[environments.production]\nhosts = [\"web1.prod\", \"db1.prd\"]\n\
                [hosts.\"web1.prod\"]\n[hosts.\"db1.prod\"]\n[environments.qa]\nhosts = [\"qa1\"]\n";
    assert_errors(
        text,
        &[(
            2,
            23,
            "unknown host \"db1.prd\" (did you mean \"db1.prod\"?)",
        )],
    );
}

#[test]
fn hosts_listed_only_in_an_environment_are_ssh_aliases() {
    let text = "[environments.qa]\nhosts = [\"qa1\"]\n[[check]]\nname = \"up\"\non = \"qa1\"\ncommand = \"true\"\n";
    let (_dir, _path, result) = load(text);
    let config = result.expect("implicit host is valid");
    assert_eq!(config.host("qa1").map(|h| h.ssh.clone()), Some(None));
    assert_eq!(config.checks[0].target, config::Target::Host("qa1".into()));
}

#[test]
fn unknown_on_target() {
    let text = with_envs("[[log]]\nname = \"nginx\"\non = \"web1.prd\"\nfile = \"/var/log/x\"\n");
    assert_errors(
        &text,
        &[(
            9,
            6,
            "unknown environment or host \"web1.prd\" (did you mean \"web1.prod\"?)",
        )],
    );
}

#[test]
fn duplicate_check_names_point_at_the_second() {
    let text = "[[check]]\nname = \"up\"\ncommand = \"true\"\n\n[[check]]\nname = \"up\"\ncommand = \"false\"\n";
    assert_errors(
        text,
        &[(
            6,
            8,
            "duplicate check name \"up\" (the first is on line 2): give each check its own name",
        )],
    );
}

#[test]
fn duplicate_log_names_point_at_the_second() {
    let text = "[[log]]\nname = \"app\"\nfile = \"/a\"\n[[log]]\nname = \"app\"\ncommand = \"journalctl -f\"\n";
    assert_errors(
        text,
        &[(
            5,
            8,
            "duplicate log name \"app\" (the first is on line 2): give each log its own name",
        )],
    );
}

#[test]
fn bad_regex_in_drift_ignore_points_at_the_string() {
    let text = with_envs(
        "[[drift]]\nname = \"nginx\"\npath = \"/etc/nginx/\"\nbetween = [\"production\", \"staging\"]\n\
         ignore = ['^#', '([a-']\n",
    );
    assert_errors(
        &text,
        &[(
            11,
            17,
            "bad regex '([a-' in ignore: unclosed character class",
        )],
    );
}

#[test]
fn drift_between_unknown_or_repeated_environment() {
    let text = with_envs(
        "[[drift]]\nname = \"a\"\npath = \"/etc/\"\nbetween = [\"production\", \"stagin\"]\n\
         [[drift]]\nname = \"b\"\npath = \"/etc/\"\nbetween = [\"staging\", \"staging\"]\n",
    );
    assert_errors(
        &text,
        &[
            (
                10,
                26,
                "unknown environment \"stagin\" (did you mean \"staging\"?)",
            ),
            (
                14,
                23,
                "between names \"staging\" twice: drift compares two different environments",
            ),
        ],
    );
}

#[test]
fn drift_with_two_sources_a_bad_glob_and_an_unknown_whitespace_rule() {
    let text = with_envs(
        "[[drift]]\nname = \"a\"\npath = \"/etc/\"\ncommand = \"nginx -T\"\n\
         between = [\"production\", \"staging\"]\nexclude = ['cache/[x']\n\
         whitespace = \"loose\"\n",
    );
    assert_errors(
        &text,
        &[
            (
                10,
                1,
                "drift \"a\" has path and command: a drift target compares one thing; keep one, or split it into several [[drift]] sections",
            ),
            (
                12,
                12,
                "bad glob 'cache/[x' in exclude: invalid range pattern",
            ),
            (
                13,
                14,
                "whitespace \"loose\" is not a rule: use \"exact\", \"trailing\" (spaces at line ends do not count), \"changes\" (runs of spaces equal any other) or \"all\"",
            ),
        ],
    );
}

#[test]
fn check_with_two_kinds_or_none() {
    let text =
        "[[check]]\nname = \"a\"\nhttp = \"https://x\"\ndisk = \"/\"\n\n[[check]]\nname = \"b\"\n";
    assert_errors(
        text,
        &[
            (
                4,
                1,
                "check \"a\" has two kinds, http and disk: keep one, or split it into two \
                 [[check]] sections",
            ),
            (
                6,
                1,
                "check \"b\" has no kind: add one of http = \"URL\", tcp = \"HOST:PORT\", \
                 nagios = \"PLUGIN ARGS\", command = \"COMMAND\", disk = \"PATH\", load = 5, \
                 memory = true, io = \"DEVICE\", process = \"NAME\", systemd = \"UNIT\", \
                 munin = \"HOST:4949\", prometheus = \"URL\" or alertmanager = \"URL\"",
            ),
        ],
    );
}

#[test]
fn wrong_type_string_where_a_list_is_expected() {
    let text = "[environments.production]\nhosts = \"web1.prod\"\n[hosts.\"web1.prod\"]\n";
    assert_errors(
        text,
        &[(
            2,
            9,
            "hosts in [environments.production] must be a list of strings, like hosts = [\"a\", \
             \"b\"]; found a string",
        )],
    );
}

#[test]
fn tracker_token_in_the_config_is_refused() {
    let text = "[tracker]\nkind = \"github\"\nrepo = \"acme/infra\"\ntoken = \"ghp_secret\"\n";
    assert_errors(
        text,
        &[(
            4,
            1,
            "tokens come from token_env or token_file, never the config: remove \"token\" and set \
             token_env = \"GITHUB_TOKEN\" (a variable's name) or token_file = \"PATH\"",
        )],
    );
}

#[test]
fn unknown_tracker_kind() {
    let text = "[tracker]\nkind = \"githb\"\nrepo = \"acme/infra\"\n";
    assert_errors(
        text,
        &[(
            2,
            8,
            "unknown tracker kind \"githb\" (did you mean \"github\"?)",
        )],
    );
}

#[test]
fn max_channels_out_of_range() {
    let text = "[hosts.web1]\nmax_channels = 100\n[hosts.web2]\nmax_channels = 0\n";
    let why = "(it is how many commands share the one ssh connection at a time)";
    assert_errors(
        text,
        &[
            (
                2,
                16,
                &format!("max_channels must be between 1 and 64; found 100 {why}"),
            ),
            (
                4,
                16,
                &format!("max_channels must be between 1 and 64; found 0 {why}"),
            ),
        ],
    );
}

#[test]
fn envs_and_on_both_set() {
    let text = with_envs(
        "[[check]]\nname = \"api\"\nenvs = [\"production\"]\non = \"staging\"\nhttp = \"https://x\"\n",
    );
    assert_errors(
        &text,
        &[(
            10,
            1,
            "set envs or on in a check, not both: envs runs it once per environment, on runs it on \
             every host of one environment or on one host",
        )],
    );
}

#[test]
fn every_problem_is_reported_in_file_order() {
    let text = with_envs(
        "[[check]]\nname = \"api\"\nenvs = [\"prod\"]\nhttp = \"https://x\"\ntimeout = \"1x\"\n\
         [tracker]\nkind = \"jira\"\nurl = \"https://jira.example.org\"\nuser = \"sam@example.org\"\n",
    );
    let (_dir, path, result) = load(&text);
    let errors = result.expect_err("three problems");
    let positions: Vec<(usize, usize)> = errors.iter().map(|e| (e.line, e.col)).collect();
    assert_eq!(positions, [(9, 9), (11, 11), (13, 8)], "{errors}");
    assert!(errors.iter().all(|e| e.path == path));
    assert_eq!(
        errors.0[2].message,
        "tracker kind \"jira\" needs project = \"OPS\" in [tracker]"
    );
}

#[test]
fn missing_file_is_reported_without_a_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nope.toml");
    let errors = config::load(&path).expect_err("no file");
    assert_eq!(
        errors.to_string(),
        format!("{}: no such file", path.display())
    );
}

const GOOD: &str = r#"[environments.production]
hosts = ["web1.prod", "db1.prod"]
vars = { domain = "example.org" }
[environments.staging]
hosts = ["web1.staging"]
vars = { domain = "staging.example.org" }
[environments.local]
root = "/srv/staging-copy"

[hosts."web1.prod"]
ssh = "deploy@10.0.0.5:22"
connect_timeout = "5s"
[hosts."db1.prod"]
ssh = "db1"
max_channels = 4
[hosts."web1.staging"]

[[check]]
name = "api"
envs = ["production", "staging"]
http = "https://{domain}/healthz"
every = "1m30s"
expect = ["status == 200"]

[[check]]
name = "disk /srv"
on = "production"
disk = "/srv"
warn = "75%"

[[check]]
name = "load"
on = "web1.prod"
nagios = "/usr/lib/nagios/plugins/check_load -w 5,4,3 -c 10,8,6"

[[log]]
name = "nginx errors"
on = "production"
file = "/var/log/nginx/error.log"

[[drift]]
name = "nginx"
path = "/etc/nginx/"
between = ["production", "staging"]
ignore = ['^\s*server_name ']
replace = { "{domain}" = "domain" }

[tracker]
kind = "github"
repo = "acme/infra"
token_env = "GITHUB_TOKEN"

[handoff]
author = "alex"

[ui]
keymap = "vim"
"#;

#[test]
fn a_good_config_resolves_targets_and_defaults() {
    let (_dir, path, result) = load(GOOD);
    let config = result.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.source.as_deref(), Some(path.as_path()));
    assert_eq!(config.environments.len(), 3);
    assert_eq!(
        config.environments[2].root,
        Some(PathBuf::from("/srv/staging-copy"))
    );
    let web1 = config.host("web1.prod").expect("host");
    assert_eq!(web1.connect_timeout, Some(Duration::from_secs(5)));
    assert_eq!(web1.max_channels, 8);
    assert_eq!(config.host("db1.prod").map(|h| h.max_channels), Some(4));

    let api = &config.checks[0];
    assert_eq!(
        api.target,
        Target::Envs(vec!["production".into(), "staging".into()])
    );
    assert_eq!(api.every, Duration::from_secs(90));
    assert_eq!(api.timeout, Duration::from_secs(10));
    assert_eq!(config.checks[1].target, Target::Env("production".into()));
    assert_eq!(
        config.checks[1].kind,
        CheckKind::Disk {
            path: "/srv".into(),
            warn: DiskLimit::UsedPercent(75.0),
            crit: DiskLimit::UsedPercent(90.0)
        }
    );
    assert_eq!(config.checks[2].target, Target::Host("web1.prod".into()));
    assert_eq!(
        config.logs[0].source,
        LogSource::File("/var/log/nginx/error.log".into())
    );
    assert_eq!(
        config.drifts[0].between,
        ("production".into(), "staging".into())
    );
    assert!(config.drifts[0].ignore[0].is_match("  server_name example.org;"));
    assert_eq!(config.tracker.kind, TrackerKind::Github);
    assert_eq!(config.ui.keymap, "vim");
    assert_eq!(config.ui.theme, "dark");
}

fn sheriff(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sheriff"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SHERIFF_CONFIG")
        .output()
        .expect("run sheriff");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn config_check_prints_a_summary_or_the_errors() {
    let (dir, _path) = write(GOOD);
    let (code, stdout, _) = sheriff(&["config", "check"], dir.path());
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        "sheriff.toml: ok — 3 environments, 3 hosts, 3 checks, 1 log, 1 drift target\n"
    );

    let (bad_dir, _) = write("[[check]]\nname = \"x\"\nhtp = \"u\"\nevery = \"5x\"\n");
    let (code, stdout, stderr) = sheriff(&["config", "check"], bad_dir.path());
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with("sheriff.toml:3:1: unknown check kind"),
        "{stderr}"
    );
    assert!(
        lines[1].starts_with("sheriff.toml:4:9: bad duration"),
        "{stderr}"
    );
}

#[test]
fn config_check_refuses_a_missing_explicit_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, _, stderr) = sheriff(&["config", "check", "--config", "gone.toml"], dir.path());
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "gone.toml: no such file: check the path given to --config\n"
    );
}

#[test]
fn disk_thresholds_are_checked_against_the_defaults() {
    let text = "[[check]]\nname = \"disk\"\ndisk = \"/\"\nwarn = \"95%\"\ncrit = \"9O%\"\n";
    assert_errors(
        text,
        &[
            (
                4,
                8,
                "warn (95%) is above crit (90%): warn is the lower threshold",
            ),
            (
                5,
                8,
                "bad percentage \"9O%\": use a number from 0 to 100 and %, e.g. \"80%\"",
            ),
        ],
    );
}

#[test]
fn logs_section_takes_a_buffer_size_and_highlight_rules() {
    let text = format!(
        "{ENVS}[logs]\nbuffer = \"16MiB\"\nhighlight = [\n  {{ regex = \"timed? out\", style = \"warn\" }},\n]\n"
    );
    let (_dir, _path, result) = load(&text);
    let config = result.expect("loads");
    assert_eq!(config.logs_view.buffer, 16 * 1024 * 1024);
    assert_eq!(config.logs_view.highlights.len(), 1);
    assert_errors(
        &format!(
            "{ENVS}[logs]\nbuffer = \"lots\"\nhighlight = [\n  {{ regex = \"(\", style = \"warn\" }},\n  {{ regex = \"x\", style = \"pink\" }},\n]\n"
        ),
        &[
            (8, 10, "buffer = \"lots\" is not a size of at least 1MiB: write it like \"64MiB\" or \"1GiB\""),
            (10, 13, "bad regex '(' in highlight: unclosed group"),
            (11, 26, "style \"pink\" is not a log style: use one of error, warn, info, debug, match, source, time"),
        ],
    );
}
