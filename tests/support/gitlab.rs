//! A loopback GitLab that keeps issues, written from GitLab's REST v4 documentation
//! (docs.gitlab.com/api/issues, /api/notes): `GET/POST /api/v4/projects/:id/issues`
//! (`state=opened`, `search` with `in=description`), `GET /api/v4/projects/:id/issues/:iid`,
//! `POST …/issues/:iid/notes`, `GET /api/v4/projects/:id`, `GET /api/v4/users?username=`;
//! `PRIVATE-TOKEN` auth (401 `{"message":"401 Unauthorized"}`), 429 with `Retry-After` and
//! `RateLimit-Reset` as GitLab's rate limits send them. Faults are switched on per test:
//! refusing connections, answering 500, rate limiting, hanging, and creating an issue but
//! dropping the connection before the answer.
//!
//! Include beside `support/http.rs` (`#[path = "support/http.rs"] mod http;`).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::http::{accept_each, bind_loopback, read_request, ServerThread};

pub const TOKEN: &str = "glpat-test-token-0123456789";

#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Answer the next N requests with 500.
    pub errors: usize,
    /// Answer the next N requests with 429, `Retry-After: 1`.
    pub rate_limited: usize,
    /// Take requests and never answer (the connection stays open).
    pub hang: bool,
    /// Create the next issue, then close the connection without answering.
    pub drop_after_create: bool,
    /// Close each connection as soon as it is accepted (a tracker that is down).
    pub reset: bool,
    /// Answer after this long.
    pub delay: Duration,
}

#[derive(Debug, Default)]
pub struct State {
    pub issues: Vec<Value>,
    pub notes: Vec<(u64, String)>,
    /// `METHOD path` of every request, in order.
    pub requests: Vec<String>,
    pub faults: Faults,
}

pub struct GitLab {
    pub state: Arc<Mutex<State>>,
    pub port: u16,
    _thread: ServerThread,
}

impl GitLab {
    pub fn start() -> GitLab {
        let listener = bind_loopback();
        let port = listener.local_addr().expect("address").port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let thread = ServerThread::spawn("gitlab", move || {
            accept_each(listener, move |stream| serve(stream, shared.clone(), port))
        });
        GitLab {
            state,
            port,
            _thread: thread,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set(&self, faults: Faults) {
        self.state.lock().unwrap().faults = faults;
    }

    pub fn issues(&self) -> Vec<Value> {
        self.state.lock().unwrap().issues.clone()
    }

    pub fn notes(&self) -> Vec<(u64, String)> {
        self.state.lock().unwrap().notes.clone()
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn close(&self, iid: u64) {
        let mut state = self.state.lock().unwrap();
        if let Some(issue) = state.issues.iter_mut().find(|i| i["iid"] == iid) {
            issue["state"] = json!("closed");
        }
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>, port: u16) {
    let (reset, delay) = {
        let s = state.lock().unwrap();
        (s.faults.reset, s.faults.delay)
    };
    if reset {
        return;
    }
    tokio::time::sleep(delay).await;
    let Ok(request) = read_request(&mut stream).await else {
        return;
    };
    let raw = String::from_utf8_lossy(&request.raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let token = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case("private-token"))
        })
        .map(|(_, v)| v.trim().to_string());
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((&request.target, ""));
    let answer = {
        let mut s = state.lock().unwrap();
        s.requests
            .push(format!("{} {}", request.method, request.target));
        if s.faults.hang {
            None
        } else if s.faults.errors > 0 {
            s.faults.errors -= 1;
            Some((
                500,
                json!({"message": "500 Internal Server Error"}),
                Vec::new(),
            ))
        } else if s.faults.rate_limited > 0 {
            s.faults.rate_limited -= 1;
            let reset = chrono::Utc::now().timestamp() + 1;
            Some((
                429,
                json!({"message": "Retry later"}),
                vec![
                    ("Retry-After", "1".to_string()),
                    ("RateLimit-Reset", reset.to_string()),
                ],
            ))
        } else if token.as_deref() != Some(TOKEN) {
            Some((401, json!({"message": "401 Unauthorized"}), Vec::new()))
        } else {
            let drop =
                request.method == "POST" && path.ends_with("/issues") && s.faults.drop_after_create;
            let answer = route(&mut s, &request.method, path, query, body, port);
            if drop {
                s.faults.drop_after_create = false;
                return;
            }
            Some(answer)
        }
    };
    let Some((status, json, headers)) = answer else {
        // Hold the connection until the client gives up.
        tokio::time::sleep(Duration::from_secs(600)).await;
        return;
    };
    let text = json.to_string();
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        text.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&text);
    let _ = stream.write_all(out.as_bytes()).await;
}

fn param(query: &str, key: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn route(
    s: &mut State,
    method: &str,
    path: &str,
    query: &str,
    body: &str,
    port: u16,
) -> (u16, Value, Vec<(&'static str, String)>) {
    let parts: Vec<&str> = path.trim_start_matches("/api/v4/").split('/').collect();
    let input: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let project = parts.get(1).copied().unwrap_or("");
    let web = |iid: u64| {
        format!(
            "http://127.0.0.1:{port}/{}/-/issues/{iid}",
            project.replace("%2F", "/")
        )
    };
    match (method, parts.as_slice()) {
        ("GET", ["users"]) => (
            200,
            json!([{"id": 7, "username": param(query, "username")}]),
            vec![],
        ),
        ("GET", ["projects", p]) => (
            200,
            json!({"id": 1, "path_with_namespace": p.replace("%2F", "/"), "issues_enabled": true}),
            vec![],
        ),
        ("POST", ["projects", _, "issues"]) => {
            let title = input["title"].as_str().unwrap_or("");
            if title.is_empty() {
                return (
                    400,
                    json!({"message": {"title": ["can't be blank"]}}),
                    vec![],
                );
            }
            let iid = s.issues.len() as u64 + 1;
            let issue = json!({
                "iid": iid, "title": title, "description": input["description"],
                "labels": input["labels"].as_str().unwrap_or("").split(',').filter(|l| !l.is_empty()).collect::<Vec<_>>(),
                "assignee_ids": input["assignee_ids"], "state": "opened", "web_url": web(iid),
            });
            s.issues.push(issue.clone());
            (201, issue, vec![])
        }
        ("GET", ["projects", _, "issues"]) => {
            let search = param(query, "search").unwrap_or_default();
            let open_only = param(query, "state").as_deref() == Some("opened");
            let found: Vec<Value> = s
                .issues
                .iter()
                .filter(|i| !open_only || i["state"] == "opened")
                .filter(|i| i["description"].as_str().unwrap_or("").contains(&search))
                .cloned()
                .collect();
            (200, Value::Array(found), vec![])
        }
        ("GET", ["projects", _, "issues", iid]) => {
            let iid: u64 = iid.parse().unwrap_or(0);
            match s.issues.iter().find(|i| i["iid"] == iid) {
                Some(issue) => (200, issue.clone(), vec![]),
                None => (404, json!({"message": "404 Not found"}), vec![]),
            }
        }
        ("POST", ["projects", _, "issues", iid, "notes"]) => {
            let iid: u64 = iid.parse().unwrap_or(0);
            if !s.issues.iter().any(|i| i["iid"] == iid) {
                return (404, json!({"message": "404 Not found"}), vec![]);
            }
            s.notes
                .push((iid, input["body"].as_str().unwrap_or("").to_string()));
            (
                201,
                json!({"id": s.notes.len(), "body": input["body"]}),
                vec![],
            )
        }
        _ => (404, json!({"message": "404 Not found"}), vec![]),
    }
}
