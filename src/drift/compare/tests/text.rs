use super::fixtures::NGINX;
use super::*;
use crate::drift::compare::{LineTag, Status, Whitespace};

#[test]
fn a_changed_nginx_directive_is_one_hunk_with_numbers_and_highlights() {
    let b = NGINX.replace("gzip on;", "gzip off;");
    let file = compare("nginx.conf", NGINX, &b);
    assert_eq!(file.status, Status::Changed);
    assert_eq!(file.hunks.len(), 1);
    let hunk = &file.hunks[0];
    assert_eq!(hunk.header(), "@@ -21,7 +21,7 @@");
    assert_eq!(
        hunk.unified(),
        "@@ -21,7 +21,7 @@\n \taccess_log /var/log/nginx/access.log;\n \terror_log /var/log/nginx/error.log;\n \n-\tgzip on;\n+\tgzip off;\n \n \tupstream app {\n \t\tserver app1.prod.example.org:8080 max_fails=3;"
            .replace('\t', "        ")
    );
    let removed = hunk
        .lines
        .iter()
        .find(|l| l.tag == LineTag::Delete)
        .unwrap();
    assert_eq!(removed.old_no, Some(24));
    assert_eq!(&removed.text[removed.highlight[0].clone()], "on");
    let added = hunk
        .lines
        .iter()
        .find(|l| l.tag == LineTag::Insert)
        .unwrap();
    assert_eq!(
        (added.new_no, &added.text[added.highlight[0].clone()]),
        (Some(24), "off")
    );
    assert_eq!(file.counts().to_string(), "+1 −1");
}

#[test]
fn side_by_side_rows_pair_deleted_with_inserted_lines() {
    let a = "one\ntwo\nthree\nfour\n";
    let b = "one\nTWO\nthree\nfour\nfive\n";
    let file = compare("list.txt", a, b);
    let rows = file.hunks[0].rows();
    let cells: Vec<(Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r.left.map(|l| l.text.as_str()),
                r.right.map(|l| l.text.as_str()),
            )
        })
        .collect();
    assert_eq!(
        cells,
        [
            (Some("one"), Some("one")),
            (Some("two"), Some("TWO")),
            (Some("three"), Some("three")),
            (Some("four"), Some("four")),
            (None, Some("five")),
        ]
    );
}

#[test]
fn env_domains_named_in_replace_are_not_drift_but_other_vars_are() {
    let (rules, vars) = domain_replaced();
    let a = NGINX.replace(".prod.example.org", ".example.org");
    let b = NGINX.replace(".prod.example.org", ".staging.example.org");
    assert_eq!(
        compare_with("nginx.conf", &a, &b, &rules, &vars).status,
        Status::Same
    );

    // `workers` differs by environment too, but it is not named in replace.
    let b_workers = b.replace("worker_connections 768", "worker_connections 4");
    let a_workers = a.replace("worker_connections 768", "worker_connections 8");
    let file = compare_with("nginx.conf", &a_workers, &b_workers, &rules, &vars);
    assert_eq!(file.status, Status::Changed);
    assert_eq!(file.counts().to_string(), "+1 −1");
    // What is shown is the real text of each side, not the placeholder.
    assert!(file.hunks[0].unified().contains("worker_connections 4;"));
}

#[test]
fn overlapping_replace_values_are_replaced_longest_first() {
    let vars = env_vars(
        &[("domain", "example.org"), ("host", "shop.example.org")],
        &[
            ("domain", "staging.example.org"),
            ("host", "shop.staging.example.org"),
        ],
    );
    let rules = Rules {
        replace: vec!["domain".into(), "host".into()],
        ..Rules::default()
    };
    let a = "server_name shop.example.org;\nreturn https://example.org;\n";
    let b = "server_name shop.staging.example.org;\nreturn https://staging.example.org;\n";
    assert_eq!(
        compare_with("site.conf", a, b, &rules, &vars).status,
        Status::Same
    );
    // The whole host is one placeholder, so another host under the domain still differs.
    let b = "server_name api.staging.example.org;\nreturn https://staging.example.org;\n";
    assert_eq!(
        compare_with("site.conf", a, b, &rules, &vars).status,
        Status::Changed
    );
}

#[test]
fn whitespace_comment_and_ignore_rules_hide_only_what_they_name() {
    let a = "listen 80;\n# managed by puppet 2026-12-01\nroot /srv/www;\n";
    let b = "listen   80;   \n# managed by puppet 2026-12-02\n\nroot /srv/www;\n";
    assert_eq!(compare("site.conf", a, b).status, Status::Changed);
    let rules = Rules {
        whitespace: Whitespace::IgnoreChanges,
        ignore_blank_lines: true,
        comment_prefixes: vec!["#".into()],
        ..Rules::default()
    };
    let vars = EnvVars::default();
    assert_eq!(
        compare_with("site.conf", a, b, &rules, &vars).status,
        Status::Same
    );
    let mut ignoring = Rules::ignoring(&["^# managed by"]).unwrap();
    ignoring.whitespace = Whitespace::IgnoreChanges;
    ignoring.ignore_blank_lines = true;
    assert_eq!(
        compare_with("site.conf", a, b, &ignoring, &vars).status,
        Status::Same
    );
    let b_root = b.replace("/srv/www", "/srv/old");
    assert_eq!(
        compare_with("site.conf", a, &b_root, &ignoring, &vars).status,
        Status::Changed
    );
}

#[test]
fn order_insensitive_package_lists_ignore_order_not_versions() {
    let a = "nginx 1.24.0\nopenssl 3.0.13\ncurl 8.5.0\n";
    let b = "curl 8.5.0\nnginx 1.24.0\nopenssl 3.0.13\n";
    let rules = Rules {
        order_insensitive: true,
        ..Rules::default()
    };
    let vars = EnvVars::default();
    assert_eq!(compare("packages.txt", a, b).status, Status::Changed);
    assert_eq!(
        compare_with("packages.txt", a, b, &rules, &vars).status,
        Status::Same
    );
    let newer = b.replace("openssl 3.0.13", "openssl 3.0.14");
    let file = compare_with("packages.txt", a, &newer, &rules, &vars);
    assert_eq!(file.counts().to_string(), "+1 −1");
}

#[test]
fn hunk_ids_follow_the_change_not_its_place() {
    let a = "a\nb\nc\nd\ne\nf\ng\nh\n";
    let b = "a\nb\nc\nD\ne\nf\ng\nh\n";
    let first = compare("x.txt", a, b);
    // The same change lower down in a file that grew above it: the same hunk id.
    let moved = compare("x.txt", &format!("top\n{a}"), &format!("top\n{b}"));
    assert_eq!(first.hunks[0].content_id(), moved.hunks[0].content_id());
    assert_ne!(first.hunks[0].header(), moved.hunks[0].header());
    // Another change there: another id, for the hunk, the file and the target.
    let other = compare("x.txt", a, &b.replace('D', "DD"));
    assert_ne!(first.hunks[0].content_id(), other.hunks[0].content_id());
    assert_ne!(first.content_id(), other.content_id());
    assert_eq!(first.content_id(), compare("x.txt", a, b).content_id());
    assert_eq!(first.content_id().to_string().len(), 64);
}
