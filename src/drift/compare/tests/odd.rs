use super::*;
use crate::drift::compare::Status;

#[test]
fn non_utf8_text_is_binary_by_size() {
    let a = tree(&[("latin1.txt", b"caf\xe9 au lait\n")]);
    let b = tree(&[("latin1.txt", b"caf\xe9 noir\n")]);
    let diff = compare_trees(&a, &b, &Rules::default(), &EnvVars::default());
    assert_eq!(diff.files[0].status, Status::Changed);
    assert_eq!(diff.files[0].note.as_deref(), Some("binary, 13 B → 10 B"));
}

#[test]
fn crlf_line_endings_alone_are_said_and_can_be_ignored() {
    let lf = "a=1\nb=2\n";
    let crlf = "a=1\r\nb=2\r\n";
    let file = compare("app.txt", lf, crlf);
    assert_eq!(file.status, Status::Changed);
    assert_eq!(file.note.as_deref(), Some("line endings differ: LF → CRLF"));
    let rules = Rules {
        whitespace: crate::drift::compare::Whitespace::IgnoreTrailing,
        ..Rules::default()
    };
    let vars = EnvVars::default();
    assert_eq!(
        compare_with("app.txt", lf, crlf, &rules, &vars).status,
        Status::Same
    );
    // A real change in a CRLF file shows without stray carriage returns.
    let file = compare("app.txt", crlf, "a=1\r\nb=3\r\n");
    assert_eq!(file.hunks[0].unified(), "@@ -1,2 +1,2 @@\n a=1\n-b=2\n+b=3");
}

#[test]
fn a_huge_line_is_compared_whole_and_shown_cut() {
    let a = format!("{}A\n", "x".repeat(1_000_000));
    let b = format!("{}B\n", "x".repeat(1_000_000));
    let file = compare("blob.txt", &a, &b);
    assert_eq!(file.status, Status::Changed);
    let text = &file.hunks[0].lines[0].text;
    assert!(text.len() < 10_000, "{} bytes shown", text.len());
    assert!(text.ends_with("more bytes)"));
}

#[test]
fn control_characters_are_shown_not_sent_to_the_terminal() {
    let file = compare("motd", "hello\n", "hello \x1b]0;owned\x07\x1b[31mworld\n");
    let shown = file.hunks[0].unified();
    assert!(!shown.contains('\x1b'), "{shown:?}");
    assert!(shown.contains("+hello world"), "{shown:?}");
}

#[test]
fn a_yaml_alias_bomb_is_bounded_and_compared_as_text() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    let started = std::time::Instant::now();
    let file = compare("bomb.yaml", &bomb, &format!("{bomb}j: 1\n"));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(file.status, Status::Changed);
    assert!(file.keys.is_empty());
    assert!(
        file.note
            .as_deref()
            .unwrap_or("")
            .contains("compared as text"),
        "{file:?}"
    );
}

#[test]
fn deeply_nested_json_and_toml_fall_back_to_text_without_overflowing() {
    let deep = |inner: &str| format!("{}{inner}{}", "[".repeat(100_000), "]".repeat(100_000));
    let file = compare("deep.json", &deep("1"), &deep("2"));
    assert_eq!(file.status, Status::Changed);
    assert!(
        file.note.as_deref().unwrap_or("").contains("nested deeper"),
        "{:?}",
        file.note
    );

    let toml = |inner: &str| format!("a = {}{inner}{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let file = compare("deep.toml", &toml("1"), &toml("2"));
    assert_eq!(file.status, Status::Changed);
    assert!(file.keys.is_empty());

    // Just under the cap is still compared by key.
    let nested = |v: &str| format!("{}{v}{}", "{\"k\":".repeat(60), "}".repeat(60));
    let file = compare("ok.json", &nested("1"), &nested("2"));
    assert_eq!(file.keys.len(), 1);
}

#[test]
fn a_pair_that_shares_nothing_is_bounded_by_the_diff_timeout() {
    let a: String = (0..30_000)
        .map(|n| format!("left {n} {}\n", n * 7 % 13))
        .collect();
    let b: String = (0..30_000)
        .map(|n| format!("right {n} {}\n", n * 5 % 11))
        .collect();
    let rules = Rules {
        diff_timeout: std::time::Duration::from_millis(50),
        ..Rules::default()
    };
    let started = std::time::Instant::now();
    let file = compare_with("dump.txt", &a, &b, &rules, &EnvVars::default());
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // Coarser after the deadline, but still every line of both sides.
    assert_eq!(file.counts().to_string(), "+30000 −30000");
}
