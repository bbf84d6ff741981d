//! `sheriff handoff --post URL`: the report reaches a webhook (a real HTTP server on
//! loopback), with a token from the environment; a refusal is reported, never silent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

/// Serves one request with `status`, and hands back the request (head and body).
fn one_shot_server(status: &'static str) -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok((stream, _)) = listener.accept() else {
            return;
        };
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok();
        let mut stream = reader.into_inner();
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-length: 7\r\nconnection: close\r\n\r\nnope :("
        );
        let _ = tx.send((head, String::from_utf8_lossy(&body).into_owned()));
    });
    (format!("http://{addr}/services/T000/B000/s3cr3tpath"), rx)
}

fn sheriff(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sheriff"))
        .args(args)
        .env("HOME", home)
        .env("USER", "alex")
        .env("HOOK_TOKEN", "tok-123")
        .env_remove("XDG_DATA_HOME")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .current_dir(home)
        .output()
        .expect("run sheriff")
}

#[test]
fn the_report_is_posted_with_a_token_from_the_environment() {
    let home = tempfile::tempdir().expect("home");
    let out = sheriff(
        home.path(),
        &["change", "drained web1", "--why", "503s from its pool"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (url, requests) = one_shot_server("200 OK");
    let out = sheriff(
        home.path(),
        &[
            "handoff",
            "--since",
            "1h",
            "--post",
            &url,
            "--post-token-env",
            "HOOK_TOKEN",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("report posted to http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cr3tpath"),
        "the webhook's secret path is printed:\n{stderr}"
    );
    let (head, body) = requests
        .recv_timeout(Duration::from_secs(5))
        .expect("the webhook got a request");
    assert!(
        head.starts_with("POST /services/T000/B000/s3cr3tpath"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("authorization: bearer tok-123"),
        "{head}"
    );
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
    let text = json["text"].as_str().expect("text");
    assert!(
        text.contains("drained web1") && text.contains("503s from its pool"),
        "{text}"
    );
    assert!(json["report"].is_object(), "{body}");
}

#[test]
fn a_refused_post_is_an_error_and_the_report_is_still_printed() {
    let home = tempfile::tempdir().expect("home");
    sheriff(home.path(), &["note", "all quiet"]);
    let (url, _requests) = one_shot_server("500 Internal Server Error");
    let out = sheriff(home.path(), &["handoff", "--since", "1h", "--post", &url]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not posted") && stderr.contains("500"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("all quiet"));
}
