use super::*;

fn parse(text: &str) -> SshConfig {
    SshConfig::parse(text, Path::new("config"), Path::new("/home/u"))
}

fn host(text: &str, alias: &str) -> SshConfigHost {
    parse(text).lookup_as(alias, "me").expect("config is valid")
}

#[test]
fn first_value_wins_and_identity_files_accumulate_once() {
    let text = "Host web*\n  HostName %h.Example.org\n  Port 2222\n  IdentityFile ~/.ssh/a\n\
                Host *\n  Port 22\n  User ops\n  IdentityFile ~/.ssh/b\n  IdentityFile ~/.ssh/a\n\
                  IdentitiesOnly=yes\n";
    let web = host(text, "web1");
    assert_eq!(web.hostname.as_deref(), Some("web1.example.org"));
    assert_eq!(web.port, Some(2222));
    assert_eq!(web.user.as_deref(), Some("ops"));
    assert_eq!(web.identity_files, vec!["~/.ssh/a", "~/.ssh/b"]);
    assert_eq!(web.identities_only, Some(true));
    assert_eq!(host(text, "db1").port, Some(22));
    assert_eq!(host(text, "DB1").hostname.as_deref(), Some("db1"));
}

#[test]
fn host_patterns_are_case_sensitive_and_negation_excludes() {
    let text = "Host *.prod !bastion.prod\n  User \"deploy user\"\n";
    assert_eq!(host(text, "web.prod").user.as_deref(), Some("deploy user"));
    assert_eq!(host(text, "bastion.prod").user, None);
    assert_eq!(host(text, "WEB.PROD").user, None);
}

#[test]
fn quotes_inside_a_word_join() {
    let text = "Host edge\"-case-1.example.com\"\n  User q\n";
    assert_eq!(
        host(text, "edge-case-1.example.com").user.as_deref(),
        Some("q")
    );
}

#[test]
fn rejected_lines_name_the_file_and_line() {
    for (text, expect) in [
        ("Bogus yes\n", "config:1: Bad configuration option: bogus"),
        (
            "Host a\n  Port\n",
            "config:2: no argument after keyword \"port\"",
        ),
        ("User \"open\n", "config:1: invalid quotes"),
        ("Port abc\n", "config:1: Bad port 'abc'."),
        (
            "Match foo bar\n",
            "config:1: Unsupported Match attribute foo",
        ),
        (
            "Host x\n HostName a b\n",
            "config:2: keyword hostname extra arguments",
        ),
    ] {
        let err = parse(text).lookup_as("x", "me").unwrap_err();
        assert!(err.to_string().contains(expect), "{text:?}: {err}");
    }
    // Bad lines count even inside blocks that do not apply, as in OpenSSH.
    assert!(parse("Host other\n  Bogus 1\n")
        .lookup_as("x", "me")
        .is_err());
    // IgnoreUnknown lets a later unknown keyword through.
    assert!(parse("IgnoreUnknown usekeychain\nUseKeychain yes\n")
        .lookup_as("x", "me")
        .is_ok());
}

#[test]
fn match_user_localuser_and_the_final_pass() {
    let text = "Match user me\n  Port 7\nMatch localuser me\n  User other\nMatch user other\n  \
                IdentityFile /o\nHost a\n  HostName bb\nMatch final host bb\n  ProxyJump j\n\
                Host bb\n  ConnectTimeout 5\n";
    let a = host(text, "a");
    assert_eq!(a.port, Some(7));
    assert_eq!(a.user.as_deref(), Some("other"));
    assert_eq!(a.identity_files, vec!["/o"]);
    assert_eq!(a.proxy_jump.as_deref(), Some("j"));
    assert_eq!(a.connect_timeout, Some(Duration::from_secs(5)));
}

#[test]
fn unevaluated_match_is_skipped_with_a_note() {
    let cfg = parse("Match exec \"true\"\n  User nope\nMatch all\n  Port 7\n");
    let h = cfg.lookup_as("x", "me").unwrap();
    assert_eq!(h.user, None);
    assert_eq!(h.port, Some(7));
    assert!(
        h.notes[0].contains("does not evaluate `Match exec true`"),
        "{:?}",
        h.notes
    );
    // Not noted when the other criteria fail anyway.
    let h = parse("Match host y exec true\n  User n\n")
        .lookup_as("x", "me")
        .unwrap();
    assert!(h.notes.is_empty(), "{:?}", h.notes);
}

#[test]
fn include_in_a_block_that_does_not_apply_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("inc");
    std::fs::write(&inc, "User included\nHost *\n  Port 2\n").unwrap();
    let text = format!(
        "Host other\n  Include {}\nHost d\n  Include {0}\n",
        inc.display()
    );
    let cfg = SshConfig::parse(&text, Path::new("config"), dir.path());
    let d = cfg.lookup_as("d", "me").unwrap();
    assert_eq!((d.user.as_deref(), d.port), (Some("included"), Some(2)));
    let x = cfg.lookup_as("x", "me").unwrap();
    assert_eq!((x.user, x.port), (None, None));
}
