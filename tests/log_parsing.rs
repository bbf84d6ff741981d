//! Real logs, as the programs that write them write them (tests/fixtures/logs/): each is
//! detected as its format, and every line read to its exact instant, level and message.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use sheriff::logs::level::{detect_level, detect_level_bytes};
use sheriff::logs::parse::{detect, Format, LineParser, Messages, Zone};
use sheriff::logs::Level;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/logs/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn zone(hours: i32) -> Zone {
    Zone::Fixed(FixedOffset::east_opt(hours * 3600).expect("offset"))
}

fn utc(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("test time")
        .to_utc()
}

/// Each line as `time level message`, `-` for what it lacks.
fn read(parser: &mut LineParser, text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let p = parser.parse(line);
            let time = p.time.map_or("-".to_string(), |t| {
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            });
            let level = p.level.map_or("-", Level::as_str);
            format!("{time} {level} {}", p.message_of(line))
        })
        .collect()
}

/// Detects the fixture's format, checks it, and reads it in `zone`.
fn check(name: &str, format: Format, zone: Zone, want: &[&str]) {
    let text = fixture(name);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(detect(&lines), format, "{name}");
    let mut parser = LineParser::new(format).with_zone(zone);
    let got = read(&mut parser, &text);
    assert_eq!(got, want, "{name}");
}

#[test]
fn nginx_and_apache_access_logs() {
    let text = fixture("nginx_access.log");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(detect(&lines), Format::NginxAccess);
    let mut parser = LineParser::new(Format::NginxAccess);
    let got: Vec<(String, Option<Level>, bool)> = lines
        .iter()
        .map(|line| {
            let p = parser.parse(line);
            let time = p.time.map_or("-".into(), |t| t.to_rfc3339());
            (time, p.level, p.message_of(line) == *line)
        })
        .collect();
    let want = [
        ("2024-05-01T10:00:01+00:00", Level::Info),
        ("2024-05-01T10:00:02+00:00", Level::Warn),
        ("2024-05-01T10:00:03+00:00", Level::Error),
        ("2024-05-01T10:00:04+00:00", Level::Warn),
        ("2024-05-01T10:00:05+00:00", Level::Info),
        ("2000-10-10T20:55:36+00:00", Level::Info),
        ("2000-10-10T20:55:36+00:00", Level::Info),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(t, l)| (t.to_string(), Some(*l), true))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn nginx_error_log_in_local_time() {
    check(
        "nginx_error.log",
        Format::NginxError,
        zone(2),
        &[
            "2024-05-01T10:00:01Z notice signal process started",
            "2024-05-01T10:00:03Z error *1043 connect() failed (111: Connection refused) while connecting to upstream, client: 192.0.2.44, server: shop.example.com, request: \"GET /api/orders/991 HTTP/1.1\", upstream: \"http://127.0.0.1:8080/api/orders/991\", host: \"shop.example.com\"",
            "2024-05-01T10:00:07Z warning *1051 an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/3/04/0000000043 while reading upstream, client: 203.0.113.7, server: shop.example.com, request: \"GET /export.csv HTTP/1.1\", upstream: \"http://127.0.0.1:8080/export.csv\", host: \"shop.example.com\"",
            "2024-05-01T10:00:09Z critical *1060 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 198.51.100.9, server: 0.0.0.0:443",
            "2024-05-01T10:00:11Z fatal bind() to 0.0.0.0:80 failed (98: Address already in use)",
            "2024-05-01T10:00:12Z info *1061 client 203.0.113.7 closed keepalive connection",
        ],
    );
}

#[test]
fn apache_error_log_22_and_24() {
    check(
        "apache_error.log",
        Format::ApacheError,
        zone(-7),
        &[
            "2000-10-11T21:32:52.123456Z error File does not exist: /usr/local/apache2/htdocs/favicon.ico",
            "2000-10-11T21:32:53.000001Z warning AH01909: www.example.com:443:0 server certificate does NOT include an ID which matches the server name",
            "2000-10-11T21:33:01.500Z notice AH00489: Apache/2.4.58 (Unix) configured -- resuming normal operations",
            "2000-10-11T21:33:02.250Z trace authz_core.c(815): AH01626: authorization result of Require all granted: granted",
            "2000-10-11T21:33:05Z error client denied by server configuration: /export/home/live/ap/htdocs/test",
        ],
    );
}

#[test]
fn syslog_over_new_year_takes_its_years_from_the_mtime() {
    let text = fixture("syslog");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(detect(&lines), Format::Syslog3164);
    let mut parser = LineParser::new(Format::Syslog3164)
        .with_zone(zone(0))
        .with_year_hint(utc("2025-01-01T00:10:00Z"));
    let got = read(&mut parser, &text);
    let want = [
        "2024-12-31T23:59:58Z - Starting logrotate.service - Rotate log files...",
        "2024-12-31T23:59:59Z - (root) CMD (   test -x /etc/cron.daily/popularity-contest && /etc/cron.daily/popularity-contest --crond)",
        "2025-01-01T00:00:01Z error error: kex_exchange_identification: Connection closed by remote host",
        "2025-01-01T00:00:02Z warning [1234567.890123] EXT4-fs warning (device sda1): ext4_end_bio:343: I/O error 10 writing to inode 12 starting block 34",
        "2025-01-01T00:00:03Z - Accepted publickey for deploy from 198.51.100.4 port 52114 ssh2: ED25519 SHA256:uP6gA0fFmz5vOm3Z1Zw6mJ1mI6JIqPPGfHcqf9TR5zY",
        // Without a priority the level is guessed from the words, and `x-info` reads as one.
        "2025-01-01T00:00:04Z info [origin software=\"rsyslogd\" swVersion=\"8.2312.0\" x-pid=\"812\" x-info=\"https://www.rsyslog.com\"] rsyslogd was HUPed",
        "2025-01-01T00:00:05Z - last message repeated 3 times",
    ];
    assert_eq!(got, want);
    let mut parser = LineParser::new(Format::Syslog3164).with_zone(zone(0));
    let first = parser.parse(lines[2]);
    assert_eq!(
        (first.host.as_deref(), first.app.as_deref()),
        (Some("web1"), Some("sshd"))
    );
    // Read from a file modified in the summer of 2024, Dec is 2023's.
    let mut parser = LineParser::new(Format::Syslog3164)
        .with_zone(zone(0))
        .with_year_hint(utc("2024-07-01T00:00:00Z"));
    assert_eq!(
        parser.parse(lines[0]).time,
        Some(utc("2023-12-31T23:59:58Z"))
    );
    assert_eq!(
        parser.parse(lines[2]).time,
        Some(utc("2024-01-01T00:00:01Z"))
    );
}

#[test]
fn rsyslog_high_precision_format() {
    check(
        "syslog_rsyslog_iso",
        Format::Syslog3164,
        zone(0),
        &[
            "2024-05-01T10:00:01.123456Z error error: kex_exchange_identification: Connection closed by remote host",
            "2024-05-01T10:00:02.000001Z - Started session-42.scope - Session 42 of User deploy.",
            "2024-05-01T10:00:03.500Z warning [1234567.890123] EXT4-fs warning (device sda1): ext4_end_bio:343: I/O error 10 writing to inode 12",
        ],
    );
}

#[test]
fn rfc5424_examples() {
    let text = fixture("syslog5424.log");
    check(
        "syslog5424.log",
        Format::Syslog5424,
        zone(0),
        &[
            "2003-10-11T22:14:15.003Z critical 'su root' failed for lonvick on /dev/pts/8",
            "2003-08-24T12:14:15.000003Z notice %% It's time to make the do-nuts.",
            "2003-10-11T22:14:15.003Z notice An application event log entry...",
            "2003-10-11T22:14:15.003Z notice ",
        ],
    );
    let mut parser = LineParser::new(Format::Syslog5424);
    let origins: Vec<_> = text
        .lines()
        .map(|l| parser.parse(l))
        .map(|p| (p.host, p.app))
        .collect();
    let host = |h: &str, a: &str| (Some(h.to_string()), Some(a.to_string()));
    assert_eq!(
        origins,
        [
            host("mymachine.example.com", "su"),
            host("192.0.2.1", "myproc"),
            host("mymachine.example.com", "evntslog"),
            host("mymachine.example.com", "evntslog"),
        ]
    );
}

#[test]
fn glog_with_its_header_and_a_stack_trace() {
    let text = fixture("glog.log");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(detect(&lines), Format::Glog);
    let mut parser = LineParser::new(Format::Glog)
        .with_zone(zone(0))
        .with_year_hint(utc("2024-05-01T12:00:10Z"));
    let got = read(&mut parser, &text);
    assert_eq!(got[..4].iter().filter(|l| l.starts_with("- - ")).count(), 4);
    assert_eq!(
        got[4..9],
        [
            "2024-05-01T12:00:01.123456Z info Listening on 0.0.0.0:8080",
            "2024-05-01T12:00:02.000001Z warning connection pool nearly exhausted: 95/100",
            "2024-05-01T12:00:03.500Z error request 991 failed: DEADLINE_EXCEEDED",
            "2024-05-01T12:00:04Z fatal Check failed: fd >= 0 (-1 vs. 0) ",
            "- - *** Check failure stack trace: ***",
        ]
    );
    let starts = message_starts(Format::Glog, &text);
    assert_eq!(
        starts,
        [
            (1, 1),
            (2, 1),
            (3, 1),
            (4, 1),
            (5, 1),
            (6, 1),
            (7, 1),
            (8, 5)
        ]
    );
}

/// Where each message starts (1-based) and how many lines it has.
fn message_starts(format: Format, text: &str) -> Vec<(usize, usize)> {
    let parser = LineParser::new(format)
        .with_zone(zone(0))
        .with_year_hint(utc("2024-05-01T12:00:10Z"));
    let mut messages = Messages::new(parser);
    let mut out: Vec<_> = text.lines().filter_map(|l| messages.push(l)).collect();
    out.extend(messages.finish());
    out.into_iter().map(|m| (m.line, m.lines)).collect()
}

#[test]
fn logback_with_java_stack_traces() {
    let text = fixture("logback.log");
    check(
        "logback.log",
        Format::Log4j,
        zone(2),
        &[
            "2024-05-01T10:00:01.123Z info [main] c.e.shop.Application [Application.java:31] - Started Application in 4.211 seconds",
            "2024-05-01T10:00:05.002Z warning [http-nio-8080-exec-1] c.e.shop.OrderService [OrderService.java:88] - inventory lookup slow: 1890 ms",
            "2024-05-01T10:00:07.457Z error [http-nio-8080-exec-3] c.e.shop.OrderController [OrderController.java:57] - order 991 failed",
            "- - java.lang.IllegalStateException: Connection pool shut down",
            "- - \tat org.apache.http.util.Asserts.check(Asserts.java:34)",
            "- - \tat org.apache.http.impl.conn.PoolingHttpClientConnectionManager.requestConnection(PoolingHttpClientConnectionManager.java:269)",
            "- - \tat com.example.shop.OrderController.create(OrderController.java:55)",
            "- - \t... 42 common frames omitted",
            "- - Caused by: java.net.SocketException: Connection reset",
            "- - \tat java.base/sun.nio.ch.NioSocketImpl.implRead(NioSocketImpl.java:328)",
            "- - \t... 12 more",
            "2024-05-01T10:00:08Z debug [scheduling-1] c.e.shop.CacheWarmer [CacheWarmer.java:20] - warmed 120 entries",
        ],
    );
    let starts = message_starts(Format::Log4j, &text);
    assert_eq!(starts, [(1, 1), (2, 1), (3, 9), (12, 1)]);
}

#[test]
fn logback_default_pattern_writes_only_the_time_of_day() {
    let text = fixture("logback_default.log");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(detect(&lines), Format::Log4j);
    // The date is the modification's, and midnight is passed reading on. The level comes
    // after the thread, so the message is all after the time.
    let mut parser = LineParser::new(Format::Log4j)
        .with_zone(zone(2))
        .with_year_hint(utc("2024-05-01T22:00:05Z"));
    assert_eq!(
        read(&mut parser, &text),
        [
            "2024-05-01T21:59:58.120Z info [main] INFO  c.e.shop.Application -- Started Application in 4.211 seconds",
            "2024-05-01T21:59:59.999Z warning [http-nio-8080-exec-1] WARN  c.e.shop.OrderService -- inventory lookup slow: 1890 ms",
            "2024-05-01T22:00:00.005Z error [http-nio-8080-exec-3] ERROR c.e.shop.OrderController -- order 991 failed",
            "- - java.lang.IllegalStateException: Connection pool shut down",
            "- - \tat com.example.shop.OrderController.create(OrderController.java:55)",
            "2024-05-01T22:00:01Z debug [scheduling-1] DEBUG c.e.shop.CacheWarmer -- warmed 120 entries",
        ]
    );
}

#[test]
fn python_logging_with_and_without_times() {
    check(
        "python.log",
        Format::Log4j,
        zone(2),
        &[
            "2024-05-01T10:00:01.123Z info - shop.worker - INFO - worker 3 started",
            "2024-05-01T10:00:02.456Z error - shop.worker - ERROR - job 17 failed",
            "- - Traceback (most recent call last):",
            "- -   File \"/srv/shop/worker.py\", line 42, in run",
            "- -     result = job()",
            "- -   File \"/srv/shop/jobs.py\", line 17, in job",
            "- -     raise ValueError(\"bad input\")",
            "- - ValueError: bad input",
            "2024-05-01T10:00:03Z warning - shop.worker - WARNING - retrying job 17 in 5s",
        ],
    );
    // basicConfig's default format has no time: every line stands alone.
    check(
        "python_default.log",
        Format::Plain,
        zone(0),
        &[
            "- warning WARNING:root:disk /srv is 91% full",
            "- error ERROR:shop.worker:job 17 failed",
            "- info INFO:shop.worker:worker 3 started",
        ],
    );
}

#[test]
fn journalctl_json() {
    let text = fixture("journal.json");
    check(
        "journal.json",
        Format::Journald,
        zone(0),
        &[
            "2024-05-01T10:00:01.123456Z info listening on 0.0.0.0:8080",
            "2024-05-01T10:00:02.500Z error error: kex_exchange_identification: Connection closed by remote host",
            "2024-05-01T10:00:03.000001Z warning EXT4-fs warning (device sda1): ext4_end_bio:343: I/O error 10 writing to inode 12",
            "2024-05-01T10:00:04Z critical bad byte \u{fffd} here",
            "2024-05-01T10:00:05Z debug ",
        ],
    );
    let mut parser = LineParser::new(Format::Journald);
    let origins: Vec<_> = text
        .lines()
        .map(|l| parser.parse(l))
        .map(|p| (p.host.unwrap_or_default(), p.app.unwrap_or_default()))
        .collect();
    let apps: Vec<&str> = origins.iter().map(|(_, a)| a.as_str()).collect();
    assert_eq!(
        apps,
        [
            "shop.service",
            "ssh.service",
            "kernel",
            "shop.service",
            "shop.service"
        ]
    );
    assert!(origins.iter().all(|(h, _)| h == "web1"));
}

#[test]
fn logfmt_from_slog_and_heroku() {
    check(
        "logfmt.log",
        Format::Logfmt,
        zone(0),
        &[
            "2024-05-01T10:00:01.123Z info server started",
            "2024-05-01T10:00:02.456Z warning slow query",
            "2024-05-01T10:00:03Z error db query failed",
            "2024-05-01T10:00:04Z debug tick",
        ],
    );
    let text = fixture("heroku.log");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(detect(&lines), Format::Logfmt);
    let mut parser = LineParser::new(Format::Logfmt);
    let got: Vec<_> = lines
        .iter()
        .map(|l| {
            let p = parser.parse(l);
            (
                p.time,
                p.level,
                p.message_of(l).split(' ').next().map(str::to_string),
            )
        })
        .collect();
    let want = [
        (
            utc("2024-05-01T10:00:01.123456Z"),
            Some(Level::Info),
            "heroku[router]:",
        ),
        (
            utc("2024-05-01T10:00:31Z"),
            Some(Level::Error),
            "heroku[router]:",
        ),
        (utc("2024-05-01T10:00:32.5Z"), None, "app[web.1]:"),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(t, l, m)| (Some(*t), *l, Some(m.to_string())))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn json_from_slog_bunyan_pino_zap_and_ecs() {
    let text = fixture("json.log");
    check(
        "json.log",
        Format::JsonLines,
        zone(0),
        &[
            "2024-05-01T10:00:01.123456789Z info server started",
            "2024-05-01T10:00:02.500Z error db query failed",
            "2024-05-01T10:00:03.123Z info listening on 8080",
            "2024-05-01T10:00:04Z error boom",
            "2024-05-01T10:00:05.123Z fatal out of memory",
            "2024-05-01T10:00:06.250Z warning pool nearly exhausted",
            "2024-05-01T10:00:07Z debug cache warmed",
        ],
    );
    let bunyan = LineParser::new(Format::JsonLines).parse(text.lines().nth(2).unwrap_or(""));
    assert_eq!(
        (bunyan.host.as_deref(), bunyan.app.as_deref()),
        (Some("web1"), Some("shop"))
    );
}

#[test]
fn epoch_stamped_lines() {
    check(
        "epoch.log",
        Format::Epoch,
        zone(0),
        &[
            "2024-05-01T10:00:01Z info started",
            "2024-05-01T10:00:01.250Z - 123 198.51.100.4 TCP_MISS/200 5123 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html",
            "2024-05-01T10:00:02.123Z warning slow",
        ],
    );
}

#[test]
fn crlf_line_ends_are_not_part_of_the_message() {
    let text = fixture("crlf.log");
    let mut parser = LineParser::new(Format::Log4j).with_zone(zone(0));
    // Lines as a reader hands them over, `\r\n` and all.
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    assert_eq!(detect(&lines), Format::Log4j);
    let first = parser.parse(lines[0]);
    assert_eq!(first.time, Some(utc("2024-05-01T12:00:01.123Z")));
    assert_eq!(first.message_of(lines[0]), "[main] c.e.App - started");
    let mut messages = Messages::new(LineParser::new(Format::Log4j).with_zone(zone(0)));
    let mut all: Vec<_> = lines.iter().filter_map(|l| messages.push(l)).collect();
    all.extend(messages.finish());
    assert_eq!(all.len(), 2);
    assert_eq!((all[1].line, all[1].parsed.level), (2, Some(Level::Error)));
    assert_eq!(
        all[1].body(),
        "[main] c.e.App - failed\njava.lang.RuntimeException: x\n\tat c.e.App.main(App.java:9)"
    );
}

fn naive(y: i32, mo: u32, d: u32, h: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|d| d.and_hms_opt(h, 0, 0))
        .expect("date")
}

/// Europe/Berlin's 2024, spelled out: chrono has no zone database of its own.
fn berlin_2024() -> Zone {
    let cet = FixedOffset::east_opt(3600).expect("offset");
    let cest = FixedOffset::east_opt(7200).expect("offset");
    Zone::rule(move |t| {
        if t >= naive(2024, 3, 31, 2) && t < naive(2024, 3, 31, 3) {
            LocalResult::None
        } else if t >= naive(2024, 10, 27, 2) && t < naive(2024, 10, 27, 3) {
            LocalResult::Ambiguous(cest, cet)
        } else if t >= naive(2024, 3, 31, 3) && t < naive(2024, 10, 27, 2) {
            LocalResult::Single(cest)
        } else {
            LocalResult::Single(cet)
        }
    })
}

const DST_BERLIN: [&str; 5] = [
    "2024-03-31T00:59:59.999Z",
    // 02:30 was skipped: read with winter time, it is 03:30 summer time.
    "2024-03-31T01:30:00Z",
    "2024-03-31T01:00:00Z",
    // 02:30 came twice: the first.
    "2024-10-27T00:30:00Z",
    "2024-10-27T02:00:00Z",
];

fn dst_times(parser: LineParser) -> Vec<String> {
    let mut parser = parser;
    fixture("dst_berlin.log")
        .lines()
        .map(|l| {
            parser.parse(l).time.map_or("-".into(), |t| {
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            })
        })
        .collect()
}

#[test]
fn daylight_saving_changes_in_a_given_zone() {
    assert_eq!(
        dst_times(LineParser::new(Format::Log4j).with_zone(berlin_2024())),
        DST_BERLIN
    );
}

#[test]
fn the_local_zone_follows_tz() {
    // `$TZ` is the whole process's: set it for a child running the test below, alone.
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "local_zone_in_a_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("TZ", "Europe/Berlin")
        .env("SHERIFF_TZ_CHILD", "1")
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("checked in Europe/Berlin"), "{stdout}");
}

#[test]
fn local_zone_in_a_child() {
    if std::env::var_os("SHERIFF_TZ_CHILD").is_none() {
        return;
    }
    assert_eq!(dst_times(LineParser::new(Format::Log4j)), DST_BERLIN);
    println!("checked in Europe/Berlin");
}

#[test]
fn odd_bytes_and_control_characters() {
    let path = format!("{}/tests/fixtures/logs/odd.log", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(path).expect("odd.log");
    let raw: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.split('\n').collect();
    assert_eq!(detect(&lines), Format::Plain);
    let mut parser = LineParser::new(Format::Auto);
    let levels: Vec<_> = lines.iter().map(|l| parser.parse(l).level).collect();
    assert_eq!(
        levels,
        [Some(Level::Error), None, None, Some(Level::Warn), None]
    );
    let from_bytes: Vec<_> = raw.iter().map(|l| detect_level_bytes(l)).collect();
    assert_eq!(from_bytes, levels);
    let from_text: Vec<_> = lines.iter().map(|l| detect_level(l)).collect();
    assert_eq!(from_text, levels);
}

/// Every fixture line cut at every character, read as every format: no panic, and no
/// message offset outside its line.
#[test]
fn no_input_makes_a_parser_panic() {
    let names = [
        "nginx_access.log",
        "nginx_error.log",
        "apache_error.log",
        "syslog",
        "syslog5424.log",
        "glog.log",
        "logback.log",
        "python.log",
        "journal.json",
        "logfmt.log",
        "heroku.log",
        "json.log",
        "epoch.log",
        "crlf.log",
        "odd.log",
        "dst_berlin.log",
    ];
    let mut formats: Vec<Format> = [
        "auto",
        "iso8601",
        "syslog",
        "syslog5424",
        "nginx_access",
        "nginx_error",
        "apache_error",
        "glog",
        "log4j",
        "epoch",
        "logfmt",
        "json",
        "journald",
        "plain",
    ]
    .iter()
    .map(|n| Format::from_config(n).expect("format"))
    .collect();
    formats.push(Format::custom(r"^(?P<time>\S+ \S+) (?P<level>\w+) (?P<msg>.*)").expect("regex"));
    let mut odd = vec![
        String::new(),
        "\r".into(),
        "\u{0}\u{1b}[2J\u{7f}".into(),
        "x".repeat(1 << 20),
        format!("{{\"msg\":\"{}\"}}", "é".repeat(100_000)),
        "<999>1 - - - - - -".into(),
        "[".repeat(10_000),
        "\"".repeat(10_000),
        "=".repeat(10_000),
    ];
    for name in names {
        for line in fixture(name).lines() {
            odd.extend(line.char_indices().map(|(i, _)| line[..i].to_string()));
        }
    }
    for format in formats {
        let mut parser = LineParser::new(format.clone());
        for line in &odd {
            let parsed = parser.parse(line);
            assert!(parsed.msg <= line.len(), "{format}: {line:?}");
            let _ = parsed.message_of(line);
        }
    }
}

#[test]
fn a_custom_regex_reads_its_time_in_any_known_shape() {
    let format =
        Format::custom(r"^\[(?P<time>[^\]]+)\] (?P<level>\w+): (?P<msg>.*)").expect("regex");
    let mut parser = LineParser::new(format).with_zone(zone(2));
    let cases = [
        (
            "[2024-05-01 12:00:01] WARNING: a",
            "2024-05-01T10:00:01+00:00",
            Level::Warn,
            "a",
        ),
        (
            "[01/May/2024:12:00:01 +0000] E: b",
            "2024-05-01T12:00:01+00:00",
            Level::Error,
            "b",
        ),
        (
            "[1714557601] 50: c",
            "2024-05-01T10:00:01+00:00",
            Level::Error,
            "c",
        ),
        (
            "[Wed May 01 12:00:01 2024] notice: d",
            "2024-05-01T10:00:01+00:00",
            Level::Notice,
            "d",
        ),
    ];
    for (line, time, level, msg) in cases {
        let p = parser.parse(line);
        assert_eq!(
            p.time.map(|t| t.to_rfc3339()).as_deref(),
            Some(time),
            "{line}"
        );
        assert_eq!((p.level, p.message_of(line)), (Some(level), msg), "{line}");
    }
    assert_eq!(parser.parse("no match"), Default::default());
}

#[test]
fn auto_settles_on_the_format_most_lines_have() {
    // Twice over, for enough timed lines to settle on.
    let text = fixture("logback.log").repeat(2);
    let mut parser = LineParser::new(Format::Auto).with_zone(zone(2));
    let got = read(&mut parser, &text);
    assert_eq!(parser.format(), &Format::Log4j);
    assert_eq!(got[2], "2024-05-01T10:00:07.457Z error [http-nio-8080-exec-3] c.e.shop.OrderController [OrderController.java:57] - order 991 failed");
    assert_eq!(
        got[3],
        "- - java.lang.IllegalStateException: Connection pool shut down"
    );
    assert_eq!(got[12..], got[..12]);
}
