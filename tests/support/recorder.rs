//! A loopback HTTP server that records every request exactly (method, target, headers,
//! body) and answers from a function the test gives, as a tracker's documentation says
//! it answers. Include beside `support/http.rs`.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;

use super::http::{accept_each, bind_loopback, read_request, ServerThread};

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as form fields.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    pub fn field(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// status, extra headers, JSON body.
pub type Answer = (u16, Vec<(&'static str, String)>, String);

pub struct Recorder {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub port: u16,
    _thread: ServerThread,
}

impl Recorder {
    pub fn start(answer: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Recorder {
        let listener = bind_loopback();
        let port = listener.local_addr().expect("address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, answer) = (seen.clone(), Arc::new(answer));
        let thread = ServerThread::spawn("recorder", move || {
            accept_each(listener, move |mut stream| {
                let (log, answer) = (log.clone(), answer.clone());
                async move {
                    let Ok(request) = read_request(&mut stream).await else {
                        return;
                    };
                    let raw = String::from_utf8_lossy(&request.raw).into_owned();
                    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
                        .collect();
                    let seen = Seen {
                        method: request.method.clone(),
                        target: request.target.clone(),
                        headers,
                        body: body.to_string(),
                    };
                    let (status, extra, text) = answer(&seen);
                    log.lock().unwrap().push(seen);
                    let mut out = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                        text.len()
                    );
                    for (name, value) in extra {
                        out.push_str(&format!("{name}: {value}\r\n"));
                    }
                    out.push_str("\r\n");
                    out.push_str(&text);
                    let _ = stream.write_all(out.as_bytes()).await;
                }
            })
        });
        Recorder {
            seen,
            port,
            _thread: thread,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn last(&self) -> Seen {
        self.seen().pop().expect("a request")
    }
}
