use super::*;

fn masked(text: &str) -> (String, Vec<&'static str>) {
    let r = redact(text);
    (r.text, r.found)
}

#[test]
fn tokens_are_masked_keeping_their_prefix() {
    let gh = format!("pushed with ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
    assert_eq!(
        masked(&gh),
        ("pushed with ghp_••••".into(), vec!["github-token"])
    );
    let (t, f) = masked("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz");
    assert_eq!((t.as_str(), f), ("github_pat_••••", vec!["github-token"]));
    assert_eq!(masked("glpat-abcdefghij0123456789").1, vec!["gitlab-token"]);
    assert_eq!(
        masked("key AKIAIOSFODNN7EXAMPLE here").0,
        "key AKIA•••• here"
    );
    assert_eq!(
        masked("xoxb-123456789012-abcdefghij").1,
        vec!["slack-token"]
    );
}

#[test]
fn jwt_bearer_and_url_credentials() {
    let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    assert_eq!(masked(&format!("token {jwt}")).0, "token ••••");
    assert_eq!(
        masked("Authorization: Bearer abc.def-ghi_jkl").0,
        "Authorization: Bearer ••••"
    );
    assert_eq!(
        masked("git clone https://alex:s3cr3t@git.example.org/ops.git"),
        (
            "git clone https://alex:••••@git.example.org/ops.git".into(),
            vec!["url-credentials"]
        )
    );
}

#[test]
fn nginx_passes_to_upstreams_are_not_passwords_but_their_url_credentials_are() {
    for line in [
        "        proxy_pass http://app_backend;",
        "    fastcgi_pass unix:/run/php/php8.2-fpm.sock;",
        "grpc_pass grpc://127.0.0.1:9000;",
    ] {
        assert_eq!(masked(line), (line.to_string(), vec![]), "{line}");
    }
    assert_eq!(
        masked("proxy_pass https://svc:Zq8vN2mW4k@api.internal;").0,
        "proxy_pass https://svc:••••@api.internal;"
    );
    assert_eq!(masked("smtp_pass = hunter2hunter2").0, "smtp_pass = ••••");
}

#[test]
fn key_value_secrets() {
    assert_eq!(
        masked("DB_PASSWORD=hunter2 restarted").0,
        "DB_PASSWORD=•••• restarted"
    );
    assert_eq!(masked("passwd: hunter2").0, "passwd: ••••");
    assert_eq!(
        masked(r#"{"api_key": "abc123"}"#).0,
        r#"{"api_key": "••••"}"#
    );
    assert_eq!(masked("--secret=xyz --other").0, "--secret=•••• --other");
    let (t, f) = masked("token=ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
    assert_eq!(t, "token=ghp_••••");
    assert_eq!(f, vec!["github-token"]);
}

#[test]
fn pem_blocks_even_unterminated() {
    let pem = "see\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----\nok";
    let (t, f) = masked(pem);
    assert_eq!(
        t,
        "see\n-----BEGIN PRIVATE KEY----- •••• -----END PRIVATE KEY-----\nok"
    );
    assert_eq!(f, vec!["private-key"]);
    assert!(!masked("-----BEGIN RSA PRIVATE KEY-----\nMIIEow")
        .0
        .contains("MIIEow"));
}

#[test]
fn a_key_arriving_line_by_line_is_masked_line_by_line() {
    let mut lines = Lines::default();
    let out: Vec<String> = [
        "2026-12-01T10:00:00Z app: loaded key -----BEGIN EC PRIVATE KEY-----",
        "2026-12-01T10:00:00Z app: MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5pdVUhRIA8BpKoAoGCCqGSM49",
        "AwEHoUQDQgAE8Q7Y1bIt3ZlY9YhF0JvJ0AsRE3U8yDGTk9a0ZpB3p4Xb1Jk",
        "Zz0=",
        "-----END EC PRIVATE KEY-----",
        "GET /health 200 3ms",
    ]
    .iter()
    .map(|l| lines.redact(l).into_owned())
    .collect();
    assert_eq!(
        out,
        [
            "2026-12-01T10:00:00Z app: loaded key -----BEGIN EC PRIVATE KEY-----",
            "2026-12-01T10:00:00Z app: ••••",
            "••••",
            "••••",
            "-----END EC PRIVATE KEY-----",
            "GET /health 200 3ms",
        ]
    );
    // An ordinary line ends a block whose END never came.
    let mut lines = Lines::default();
    lines.redact("-----BEGIN RSA PRIVATE KEY-----");
    assert_eq!(
        lines.redact("request done in 20 ms"),
        "request done in 20 ms"
    );
    assert_eq!(lines.redact("MIIEowIBAAKCAQEA"), "MIIEowIBAAKCAQEA");
}

#[test]
fn ordinary_prose_is_left_alone() {
    for prose in [
        "author: alex",
        "reset the token yesterday afternoon",
        "basic troubleshooting done",
        "see https://wiki.example.org/runbooks/api",
        "ssh deploy@web1.prod",
        "password reset link sent to alex@example.org",
        "invalid token: signature mismatch",
    ] {
        assert!(redact(prose).is_clean(), "{prose}: {:?}", redact(prose));
    }
}

#[test]
fn clean_text_is_untouched_and_redaction_is_idempotent() {
    for clean in [
        "restarted php-fpm on web1",
        "disk /srv 91%, full in 3d",
        "née, 東京",
    ] {
        assert_eq!(masked(clean), (clean.to_string(), vec![]));
        assert!(matches!(mask(clean), Cow::Borrowed(_)));
    }
    let once = redact("DB_PASSWORD=x https://u:p@h/ Bearer abcdefghijk1").text;
    assert_eq!(redact(&once).text, once);
    assert!(redact(&once).is_clean());
}

#[test]
fn secrets_name_their_keys_and_known_values_stay_hidden() {
    let found = secrets("export DB_PASSWORD=\"hunter2-prod\"\nDEBUG=1");
    assert_eq!(
        found,
        vec![Secret {
            kind: "password",
            key: Some("DB_PASSWORD"),
            value: "hunter2-prod"
        }]
    );
    assert_eq!(
        redact_with("a hunter2-prod b", &["hunter2-prod", "ab"]),
        "a •••• b"
    );
}
