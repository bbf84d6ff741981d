//! The GitHub, Gitea and Jira Cloud adapters against the trackers' own published API
//! descriptions, served by Stoplight Prism (`../shared/contracts`, see its README).
//! Prism answers every request from the description and refuses one that breaks it, so
//! these tests check the adapters against the contract, not against a stand-in.
//!
//! One Prism per description serves the whole binary (started on first use, on a free
//! port, by `prism-mock`). `prism-mock` starts it under `setsid`, so its pid is its
//! process group; a watchdog `sh` holding a pipe from this process kills that group when
//! the test process exits, however it exits.
//!
//! Each test talks to Prism through a [`Recorder`]: a pass-through on its own port that
//! keeps every exchange, marks the contract violations Prism reports (an `sl-violations`
//! entry located in the request, or a Prism problem body), and can add a `Prefer:` header
//! to force one of the description's responses (422, 401). A violation fails the test
//! even when the adapter was expected to see an error.
//!
//! What the descriptions cannot check is tested elsewhere: 429 is in none of them and
//! GitHub lists no 401 for these operations (see `src/tracker/http.rs`, a loopback
//! server); Jira Data Center's REST v2 has no description here (its request shapes are
//! unit tests in `src/tracker/jira.rs`), nor has the ADF inside a Jira body, which the
//! description leaves untyped (`src/tracker/adf.rs`).
//!
//! Prism missing is a failure, never a skip: `scripts/test` installs it.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, LazyLock, Mutex};

use base64::Engine;
use serde_json::{json, Value};
use sheriff::config::{JiraFlavor, TrackerKind, TrackerSpec};
use sheriff::tracker::gitea::GiteaTracker;
use sheriff::tracker::http::Auth;
use sheriff::tracker::{
    connect, Bug, Destination, Fingerprint, IssueRef, IssueState, Tracker, TrackerError,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "prism-test-token-7f3a";

// ---------------------------------------------------------------------------------------
// Prism, one per description

struct Prism {
    port: u16,
    log: PathBuf,
    /// Kept open for the life of the process: its closing is the watchdog's signal.
    _watchdog: Option<(Child, ChildStdin)>,
}

fn contracts() -> PathBuf {
    std::env::var_os("SHERIFF_CONTRACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/contracts"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Prism {
    fn start(spec: &str) -> Prism {
        let dir = contracts();
        let spec_path = dir.join(spec);
        assert!(
            spec_path.is_file(),
            "the API description {} is missing (set SHERIFF_CONTRACTS to the contracts folder)",
            spec_path.display()
        );
        let port = free_port();
        let log = std::env::temp_dir().join(format!("sheriff-prism-{port}.log"));
        let out = Command::new("bash")
            .arg(dir.join("prism-mock"))
            .arg(&spec_path)
            .arg(port.to_string())
            .env("PRISM_LOG", &log)
            .stdin(Stdio::null())
            .output()
            .expect("run bash prism-mock");
        assert!(
            out.status.success(),
            "Prism did not start for {spec}: {}\nInstall it with scripts/test, or: mkdir -p \
             /opt/prism && cd /opt/prism && npm install @stoplight/prism-cli@5.14.2",
            String::from_utf8_lossy(&out.stderr)
        );
        let pid: u32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("prism-mock prints Prism's pid");
        let watchdog = Command::new("/bin/sh")
            .arg("-c")
            .arg("while read -r _; do :; done; kill -s TERM -- \"-$1\" 2>/dev/null || kill \"$1\"")
            .arg("watchdog")
            .arg(pid.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .ok()
            .and_then(|mut w| w.stdin.take().map(|stdin| (w, stdin)));
        Prism {
            port,
            log,
            _watchdog: watchdog,
        }
    }
}

static GITHUB: LazyLock<Prism> = LazyLock::new(|| Prism::start("github-issues.yaml"));
static GITEA: LazyLock<Prism> = LazyLock::new(|| Prism::start("gitea-issues.json"));
static JIRA: LazyLock<Prism> = LazyLock::new(|| Prism::start("jira-issues.json"));

// ---------------------------------------------------------------------------------------
// The recorder between an adapter and Prism

#[derive(Debug, Clone)]
struct Exchange {
    method: String,
    /// As the adapter sent it, query included.
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    status: u16,
    /// What Prism found wrong with the request; empty when it kept to the contract.
    violations: Vec<String>,
}

impl Exchange {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {} sent no JSON ({e}): {}",
                self.method,
                self.target,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

struct Recorder {
    base: String,
    log: Arc<Mutex<Vec<Exchange>>>,
    prism_log: PathBuf,
}

#[derive(Clone)]
struct Route {
    upstream: u16,
    /// A path prefix the tracker's server routes away (GitHub Enterprise's `/api/v3`);
    /// a request without it is a violation.
    strip: &'static str,
    prefer: Option<&'static str>,
}

impl Recorder {
    async fn start(prism: &Prism, strip: &'static str, prefer: Option<&'static str>) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let route = Route {
            upstream: prism.port,
            strip,
            prefer,
        };
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let shared = log.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (route, client, log) = (route.clone(), client.clone(), shared.clone());
                tokio::spawn(async move {
                    if let Err(e) = pass(stream, &route, &client, &log).await {
                        eprintln!("recorder: {e}");
                    }
                });
            }
        });
        Recorder {
            base,
            log,
            prism_log: prism.log.clone(),
        }
    }

    fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().unwrap().clone()
    }

    /// Every exchange so far, after checking there were `count` and none broke the contract.
    fn clean(&self, count: usize) -> Vec<Exchange> {
        let all = self.exchanges();
        let broken: Vec<String> = all
            .iter()
            .filter(|x| !x.violations.is_empty())
            .map(|x| {
                format!(
                    "{} {} → {}: {:?}",
                    x.method, x.target, x.status, x.violations
                )
            })
            .collect();
        assert!(
            broken.is_empty(),
            "requests that break the API description:\n{}\n(Prism's log: {})",
            broken.join("\n"),
            self.prism_log.display()
        );
        let seen: Vec<String> = all
            .iter()
            .map(|x| format!("{} {}", x.method, x.target))
            .collect();
        assert_eq!(all.len(), count, "exchanges: {seen:#?}");
        all
    }
}

/// One HTTP/1.1 request in, to Prism and back, one response out (then the connection
/// closes: the adapter's client opens another for its next call).
async fn pass(
    stream: TcpStream,
    route: &Route,
    client: &reqwest::Client,
    log: &Mutex<Vec<Exchange>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).await?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;

    let mut exchange = Exchange {
        method: method.clone(),
        target: target.clone(),
        headers: headers.clone(),
        body: body.clone(),
        status: 0,
        violations: Vec::new(),
    };
    let (status, out_headers, out_body) = match target.strip_prefix(route.strip) {
        Some(path) if path.starts_with('/') => {
            let url = format!("http://127.0.0.1:{}{path}", route.upstream);
            let mut request = client.request(method.parse().unwrap(), url).body(body);
            for (name, value) in &headers {
                let skip = ["host", "content-length", "connection"];
                if !skip.iter().any(|s| name.eq_ignore_ascii_case(s)) {
                    request = request.header(name, value);
                }
            }
            if let Some(prefer) = route.prefer {
                request = request.header("Prefer", prefer);
            }
            let response = request.send().await.map_err(std::io::Error::other)?;
            let status = response.status().as_u16();
            let out_headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            let out_body = response
                .bytes()
                .await
                .map_err(std::io::Error::other)?
                .to_vec();
            exchange.violations = violations(&out_headers, &out_body);
            (status, out_headers, out_body)
        }
        _ => {
            exchange
                .violations
                .push(format!("path is not under \"{}\"", route.strip));
            (404, Vec::new(), b"{\"message\":\"Not Found\"}".to_vec())
        }
    };
    exchange.status = status;
    log.lock().unwrap().push(exchange);

    let mut head = format!("HTTP/1.1 {status} X\r\n");
    for (name, value) in &out_headers {
        let skip = [
            "content-length",
            "connection",
            "transfer-encoding",
            "keep-alive",
        ];
        if !skip.iter().any(|s| name.eq_ignore_ascii_case(s)) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        out_body.len()
    ));
    let mut stream = reader.into_inner();
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&out_body).await?;
    stream.shutdown().await
}

/// Prism's two marks of a request that breaks the description (contracts README, "How
/// a test detects a contract violation"). Entries about the response are the
/// description's own inconsistencies, not ours.
fn violations(headers: &[(String, String)], body: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("sl-violations") {
            continue;
        }
        let list: Vec<Value> = serde_json::from_str(value).unwrap_or_default();
        for v in list {
            if v.pointer("/location/0").and_then(Value::as_str) == Some("request") {
                found.push(v["message"].as_str().unwrap_or("?").to_string());
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    if text.contains("\"type\":\"https://stoplight.io/prism/errors#") {
        found.push(text.chars().take(300).collect());
    }
    found
}

// ---------------------------------------------------------------------------------------
// Adapters as `connect` builds them

fn token_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(format!("{TOKEN}\n").as_bytes()))
        .unwrap();
    (dir, path)
}

fn adapter(spec: TrackerSpec) -> (tempfile::TempDir, Box<dyn Tracker>) {
    let (dir, path) = token_file();
    let spec = TrackerSpec {
        token_file: Some(path),
        ..spec
    };
    let tracker = connect(&spec, &Destination::default()).expect("connect");
    (dir, tracker)
}

fn github(url: &str) -> (tempfile::TempDir, Box<dyn Tracker>) {
    adapter(TrackerSpec {
        kind: TrackerKind::Github,
        repo: Some("acme/infra".into()),
        // A GitHub Enterprise site root: the adapter adds `/api/v3`, the recorder routes
        // it away as GHE does, and Prism serves the paths api.github.com has.
        url: Some(url.into()),
        ..TrackerSpec::default()
    })
}

fn gitea(url: &str) -> (tempfile::TempDir, Box<dyn Tracker>) {
    adapter(TrackerSpec {
        kind: TrackerKind::Gitea,
        repo: Some("acme/infra".into()),
        url: Some(url.into()),
        ..TrackerSpec::default()
    })
}

fn jira(url: &str) -> (tempfile::TempDir, Box<dyn Tracker>) {
    adapter(TrackerSpec {
        kind: TrackerKind::Jira,
        project: Some("OPS".into()),
        url: Some(url.into()),
        user: Some("sam@example.org".into()),
        flavor: JiraFlavor::Cloud,
        ..TrackerSpec::default()
    })
}

fn bug() -> Bug {
    let fingerprint = Fingerprint::of("check api on staging", "staging", "critical 503");
    Bug {
        title: "[staging] api: CRITICAL — 503 Service Unavailable".into(),
        body: format!(
            "## What broke\n\napi answers 503\n\n```\nGET /health 503\n```\n\nsheriff fingerprint: {fingerprint}\n"
        ),
        labels: vec!["sheriff".into(), "on call".into()],
        assignee: Some("sam".into()),
        fingerprint,
    }
}

/// A request sent past the adapter, straight through the recorder.
async fn raw(rec: &Recorder, method: reqwest::Method, path: &str, body: Value) -> u16 {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .request(method, format!("{}{path}", rec.base))
        .header("Accept", "application/vnd.github+json")
        .header("Authorization", format!("Bearer {TOKEN}"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn no_token_in(err: &TrackerError) {
    assert!(!err.to_string().contains(TOKEN), "the token is in: {err}");
}

// ---------------------------------------------------------------------------------------
// GitHub

#[tokio::test]
async fn github_calls_keep_to_the_contract() {
    let rec = Recorder::start(&GITHUB, "/api/v3", None).await;
    let (_dir, t) = github(&rec.base);
    assert_eq!(
        t.verify().await.unwrap(),
        "token works; acme/infra is reachable (issues enabled)"
    );
    let issue = t.create(&bug()).await.unwrap();
    // The description's example issue.
    assert_eq!(issue.id, "1347");
    assert_eq!(
        issue.url,
        "https://github.com/octocat/Hello-World/issues/1347"
    );
    t.comment(&issue, "again at 12:05").await.unwrap();
    // The example list holds one open item, a pull request: not a bug to comment on.
    assert_eq!(t.find_open(&bug().fingerprint).await.unwrap(), None);
    assert_eq!(t.state(&issue).await.unwrap(), Some(IssueState::Open));

    let sent = rec.clean(5);
    for x in &sent {
        assert_eq!(x.header("accept"), Some("application/vnd.github+json"));
        assert_eq!(x.header("x-github-api-version"), Some("2022-11-28"));
        assert_eq!(
            x.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    let targets: Vec<String> = sent
        .iter()
        .map(|x| format!("{} {}", x.method, x.target))
        .collect();
    assert_eq!(
        targets,
        [
            "GET /api/v3/repos/acme/infra",
            "POST /api/v3/repos/acme/infra/issues",
            "POST /api/v3/repos/acme/infra/issues/1347/comments",
            "GET /api/v3/repos/acme/infra/issues?state=open&sort=created&direction=desc&per_page=50",
            "GET /api/v3/repos/acme/infra/issues/1347",
        ]
    );
    let created = sent[1].json();
    assert_eq!(created["title"], bug().title);
    assert_eq!(created["body"], bug().body);
    assert_eq!(created["labels"], json!(["sheriff", "on call"]));
    assert_eq!(created["assignees"], json!(["sam"]));
    assert_eq!(sent[2].json(), json!({"body": "again at 12:05"}));
}

#[tokio::test]
async fn github_validation_failures_are_rejections() {
    let rec = Recorder::start(&GITHUB, "/api/v3", Some("code=422")).await;
    let (_dir, t) = github(&rec.base);
    let err = t.create(&bug()).await.unwrap_err();
    assert!(
        matches!(err, TrackerError::Rejected { status: 422, .. }),
        "{err:?}"
    );
    assert!(!err.retryable());
    no_token_in(&err);
    let err = t
        .comment(
            &IssueRef {
                id: "7".into(),
                url: String::new(),
            },
            "x",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, TrackerError::Rejected { status: 422, .. }),
        "{err:?}"
    );
    rec.clean(2);
}

/// If Prism ever stopped checking bodies (as it silently does when it cannot compile a
/// schema), every test above would pass for nothing; this one would not.
#[tokio::test]
async fn github_a_broken_request_is_caught() {
    let rec = Recorder::start(&GITHUB, "/api/v3", None).await;
    let status = raw(
        &rec,
        reqwest::Method::POST,
        "/api/v3/repos/acme/infra/issues",
        json!({"body": "no title"}),
    )
    .await;
    assert_eq!(status, 422);
    let x = rec.exchanges();
    assert_eq!(x.len(), 1);
    assert!(
        x[0].violations.iter().any(|v| v.contains("title")),
        "{:?}",
        x[0].violations
    );
}

// ---------------------------------------------------------------------------------------
// Gitea

#[tokio::test]
async fn gitea_calls_keep_to_the_contract() {
    let rec = Recorder::start(&GITEA, "", None).await;
    let (_dir, t) = gitea(&rec.base);
    // Gitea's description has no examples: Prism answers values built from the schema,
    // every boolean `true`, so the repository it describes is archived, which verify
    // must refuse (the sentence for a usable one is a unit test in github.rs).
    match t.verify().await {
        Err(TrackerError::Setup(why)) if why.contains("acme/infra is archived") => {}
        other => panic!("verify of an archived repository: {other:?}"),
    }
    let issue = t.create(&bug()).await.unwrap();
    assert!(issue.id.parse::<i64>().is_ok(), "{issue:?}");
    let issue = IssueRef {
        id: "12".into(),
        url: issue.url,
    };
    t.comment(&issue, "again at 12:05").await.unwrap();
    assert_eq!(t.find_open(&bug().fingerprint).await.unwrap(), None);
    assert!(t.state(&issue).await.unwrap().is_some());

    let sent = rec.clean(5);
    for x in &sent {
        assert_eq!(
            x.header("authorization"),
            Some(format!("token {TOKEN}").as_str())
        );
    }
    let targets: Vec<String> = sent
        .iter()
        .map(|x| format!("{} {}", x.method, x.target))
        .collect();
    assert_eq!(
        targets,
        [
            "GET /api/v1/repos/acme/infra",
            "POST /api/v1/repos/acme/infra/issues",
            "POST /api/v1/repos/acme/infra/issues/12/comments",
            "GET /api/v1/repos/acme/infra/issues?state=open&type=issues&limit=50",
            "GET /api/v1/repos/acme/infra/issues/12",
        ]
    );
    // Labels are ids in Gitea: names are not sent.
    assert_eq!(
        sent[1].json(),
        json!({"title": bug().title, "body": bug().body, "assignees": ["sam"]})
    );
}

#[tokio::test]
async fn gitea_without_a_token_is_refused_and_says_where_the_token_comes_from() {
    let rec = Recorder::start(&GITEA, "", None).await;
    let t = GiteaTracker::new(
        &rec.base,
        Some("acme/infra"),
        Auth::None,
        "$GITEA_TOKEN".into(),
    )
    .unwrap();
    let err = t.verify().await.unwrap_err();
    match &err {
        TrackerError::Auth { status, hint, .. } => {
            assert_eq!(*status, 401);
            assert_eq!(hint, "$GITEA_TOKEN");
        }
        other => panic!("not an auth error: {other:?}"),
    }
    assert!(err.to_string().contains("check $GITEA_TOKEN"), "{err}");
    // The one violation is the missing credential itself.
    let x = rec.exchanges();
    assert_eq!(x.len(), 1);
    assert!(
        x[0].violations.len() == 1 && x[0].violations[0].contains("UNAUTHORIZED"),
        "{:?}",
        x[0].violations
    );
}

#[tokio::test]
async fn gitea_validation_failures_are_rejections() {
    let rec = Recorder::start(&GITEA, "", Some("code=422")).await;
    let (_dir, t) = gitea(&rec.base);
    let err = t.create(&bug()).await.unwrap_err();
    assert!(
        matches!(err, TrackerError::Rejected { status: 422, .. }),
        "{err:?}"
    );
    no_token_in(&err);
    rec.clean(1);
}

#[tokio::test]
async fn gitea_a_broken_request_is_caught() {
    let rec = Recorder::start(&GITEA, "", None).await;
    // Label names where Gitea takes ids: why the adapter sends none.
    let status = raw(
        &rec,
        reqwest::Method::POST,
        "/api/v1/repos/acme/infra/issues",
        json!({"title": "x", "labels": ["sheriff"]}),
    )
    .await;
    assert_eq!(status, 422);
    let x = rec.exchanges();
    assert!(
        x[0].violations.iter().any(|v| v.contains("labels")),
        "{:?}",
        x[0].violations
    );
}

// ---------------------------------------------------------------------------------------
// Jira Cloud

#[tokio::test]
async fn jira_cloud_calls_keep_to_the_contract() {
    let rec = Recorder::start(&JIRA, "", None).await;
    let (_dir, t) = jira(&rec.base);
    // The example project is "Example" (key EX) whatever key is asked for.
    assert_eq!(
        t.verify().await.unwrap(),
        "token works; project OPS (\"Example\") is reachable"
    );
    let issue = t.create(&bug()).await.unwrap();
    assert_eq!(issue.id, "ED-24");
    assert_eq!(issue.url, format!("{}/browse/ED-24", rec.base));
    t.comment(&issue, "again at 12:05").await.unwrap();
    let found = t.find_open(&bug().fingerprint).await.unwrap();
    assert_eq!(found.map(|i| i.id), Some("ED-1".into()));
    // The example issue has no `status` field: Jira's answer does not say, nor do we.
    assert_eq!(t.state(&issue).await.unwrap(), None);

    let sent = rec.clean(5);
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("sam@example.org:{TOKEN}"));
    for x in &sent {
        assert_eq!(
            x.header("authorization"),
            Some(format!("Basic {basic}").as_str())
        );
    }
    let targets: Vec<String> = sent
        .iter()
        .map(|x| format!("{} {}", x.method, x.target))
        .collect();
    assert_eq!(
        targets,
        [
            "GET /rest/api/3/project/OPS",
            "POST /rest/api/3/issue",
            "POST /rest/api/3/issue/ED-24/comment",
            "POST /rest/api/3/search/jql",
            "GET /rest/api/3/issue/ED-24?fields=status",
        ]
    );
    let fields = &sent[1].json()["fields"];
    assert_eq!(fields["project"], json!({"key": "OPS"}));
    assert_eq!(fields["issuetype"], json!({"name": "Bug"}));
    assert_eq!(fields["labels"], json!(["sheriff", "on-call"]));
    assert_eq!(fields["description"]["type"], "doc");
    assert_eq!(sent[2].json()["body"]["type"], "doc");
    let search = sent[3].json();
    assert_eq!(
        search["jql"],
        format!(
            "project = \"OPS\" AND statusCategory != Done AND text ~ \"{}\"",
            bug().fingerprint
        )
    );
    assert_eq!(search["fields"], json!(["summary"]));
}

#[tokio::test]
async fn jira_cloud_refused_credentials_name_their_source() {
    let rec = Recorder::start(&JIRA, "", Some("code=401")).await;
    let (_dir, t) = jira(&rec.base);
    let err = t.verify().await.unwrap_err();
    assert!(
        matches!(err, TrackerError::Auth { status: 401, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("/token"),
        "names the token file: {err}"
    );
    no_token_in(&err);
    let err = t.create(&bug()).await.unwrap_err();
    assert!(
        matches!(err, TrackerError::Auth { status: 401, .. }),
        "{err:?}"
    );
    rec.clean(2);
}

#[tokio::test]
async fn jira_cloud_validation_failures_are_rejections() {
    let rec = Recorder::start(&JIRA, "", Some("code=422")).await;
    let (_dir, t) = jira(&rec.base);
    let err = t.create(&bug()).await.unwrap_err();
    assert!(
        matches!(err, TrackerError::Rejected { status: 422, .. }),
        "{err:?}"
    );
    no_token_in(&err);
    rec.clean(1);
}

#[tokio::test]
async fn jira_a_broken_request_is_caught() {
    let rec = Recorder::start(&JIRA, "", None).await;
    let status = raw(
        &rec,
        reqwest::Method::POST,
        "/rest/api/3/search/jql",
        json!({"jql": 5}),
    )
    .await;
    assert_eq!(status, 400);
    let x = rec.exchanges();
    assert!(
        x[0].violations.iter().any(|v| v.contains("jql")),
        "{:?}",
        x[0].violations
    );
}
