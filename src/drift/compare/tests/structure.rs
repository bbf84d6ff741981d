use super::fixtures::*;
use super::*;
use crate::drift::compare::Status;

#[test]
fn reordered_and_reformatted_json_is_not_drift() {
    let reordered = r#"{"limits": [[10, 20], [30, 40]], "features": {"beta_banner": false, "checkout_v2": true},
      "servers": [{"tags": ["blue", "primary"], "port": 8080, "host": "app1.internal"},
                  {"port": 8080, "host": "app2.internal", "tags": ["green"]}],
      "server": {"workers": 8, "port": 8080, "host": "0.0.0.0"}, "service": "shop-api"}"#;
    let file = compare("config/app.json", JSON_NESTED, reordered);
    assert_eq!(file.status, Status::Same, "{file:?}");
    assert!(file.keys.is_empty() && file.hunks.is_empty());
}

#[test]
fn one_changed_json_value_is_one_key_change() {
    let b = JSON_NESTED.replace(r#""workers": 8"#, r#""workers": 4"#);
    let file = compare("app.json", JSON_NESTED, &b);
    assert_eq!(file.status, Status::Changed);
    assert_eq!(key_lines(&file), ["server.workers: 8 → 4"]);
    // The line diff is there too, for reading the change in place.
    assert_eq!(file.hunks.len(), 1);
    assert_eq!(file.counts().to_string(), "+1 −1");
}

#[test]
fn json_arrays_are_compared_by_index_and_added_keys_are_listed() {
    let b = JSON_NESTED
        .replace("app2.internal", "app3.internal")
        .replace(r#"["green"]"#, r#"["green", "canary"]"#)
        .replace(r#", "beta_banner": false"#, "")
        .replace(
            r#""service": "shop-api","#,
            r#""service": "shop-api", "region": "eu-1","#,
        );
    let file = compare("app.json", JSON_NESTED, &b);
    assert_eq!(
        key_lines(&file),
        [
            "- features.beta_banner: false",
            "+ region: eu-1",
            "servers[1].host: app2.internal → app3.internal",
            "+ servers[1].tags[1]: canary",
        ]
    );
}

#[test]
fn compose_files_with_anchors_compare_by_merged_keys() {
    let same = compare("docker-compose.yml", COMPOSE_A, COMPOSE_A_REORDERED);
    assert_eq!(same.status, Status::Same, "{same:?}");

    let bumped = COMPOSE_A.replace("web:1.42.0", "web:1.43.0");
    let file = compare("docker-compose.yml", COMPOSE_A, &bumped);
    assert_eq!(
        key_lines(&file),
        ["services.web.image: registry.example.org/shop/web:1.42.0 → registry.example.org/shop/web:1.43.0"]
    );

    // A change to the shared defaults is what each service gets.
    let always = COMPOSE_A.replace("unless-stopped", "always");
    let file = compare("docker-compose.yml", COMPOSE_A, &always);
    assert_eq!(
        key_lines(&file),
        [
            "services.db.restart: unless-stopped → always",
            "services.web.restart: unless-stopped → always",
            "x-defaults.restart: unless-stopped → always",
        ]
    );
}

#[test]
fn toml_tables_written_another_way_are_the_same() {
    let expanded = CARGO_TOML.replace(r#"serde = { version = "1", features = ["derive"] }"#, "")
        + "\n[dependencies.serde]\nversion = \"1\"\nfeatures = [\"derive\"]\n";
    assert_eq!(
        compare("Cargo.toml", CARGO_TOML, &expanded).status,
        Status::Same
    );

    let b = CARGO_TOML
        .replace("lto = true", "lto = false")
        .replace("codegen-units = 1\n", "");
    let file = compare("Cargo.toml", CARGO_TOML, &b);
    assert_eq!(
        key_lines(&file),
        [
            "- profile.release.codegen-units: 1",
            "profile.release.lto: true → false"
        ]
    );
}

#[test]
fn ini_files_keep_sections_and_repeated_keys() {
    let b = PHP_INI
        .replace("memory_limit = 128M", "memory_limit = 256M")
        .replace("extension=pdo_mysql\n", "");
    let file = compare("php.ini", PHP_INI, &b);
    assert_eq!(
        key_lines(&file),
        [
            "- PHP.extension#2: pdo_mysql",
            "PHP.memory_limit: 128M → 256M"
        ]
    );

    let unit_b = SYSTEMD_UNIT.replace("--workers 8", "--workers 4");
    let file = compare("shop-api.service", SYSTEMD_UNIT, &unit_b);
    assert_eq!(
        key_lines(&file),
        ["Service.ExecStart: /usr/bin/shop-api --workers 8 → /usr/bin/shop-api --workers 4"]
    );
}

#[test]
fn env_files_compare_by_name_whatever_the_order_and_quoting() {
    let mut lines: Vec<&str> = DOT_ENV.lines().collect();
    lines.reverse();
    let reordered = lines
        .join("\n")
        .replace("DB_HOST=db.internal", "DB_HOST=\"db.internal\"");
    assert_eq!(compare(".env", DOT_ENV, &reordered).status, Status::Same);

    let file = compare(".env", DOT_ENV, &DOT_ENV.replace("WORKERS=8", "WORKERS=4"));
    assert_eq!(key_lines(&file), ["WORKERS: 8 → 4"]);
}

#[test]
fn an_explicit_format_overrides_the_extension() {
    let rules = Rules {
        format: Some(crate::drift::compare::Format::Json),
        ..Rules::default()
    };
    let file = compare_with(
        "config.out",
        r#"{"a": 1, "b": 2}"#,
        r#"{"b": 2, "a": 1}"#,
        &rules,
        &EnvVars::default(),
    );
    assert_eq!(file.status, Status::Same);
}

#[test]
fn a_file_that_does_not_parse_is_compared_as_text_and_says_so() {
    let file = compare("app.json", "{\"a\": 1}\n", "{\"a\": 2,\n");
    assert_eq!(file.status, Status::Changed);
    assert!(file.keys.is_empty());
    assert_eq!(file.hunks.len(), 1);
    let note = file.note.unwrap_or_default();
    assert!(note.starts_with("b: not JSON"), "{note}");
    assert!(note.ends_with("compared as text"), "{note}");
}

#[test]
fn replace_placeholders_apply_to_structured_values_too() {
    let (rules, vars) = domain_replaced();
    let a = r#"{"api": "https://api.example.org", "workers": 8}"#;
    let b = r#"{"workers": 8, "api": "https://api.staging.example.org"}"#;
    assert_eq!(
        compare_with("app.json", a, b, &rules, &vars).status,
        Status::Same
    );
    let b = r#"{"workers": 4, "api": "https://api.staging.example.org"}"#;
    let file = compare_with("app.json", a, b, &rules, &vars);
    assert_eq!(key_lines(&file), ["workers: 8 → 4"]);
}

#[test]
fn a_parse_error_note_does_not_quote_the_file() {
    let file = compare("app.toml", "a = 1\n", "a = 1\ndb = Unquoted-Value-123\n");
    let note = file.note.clone().unwrap_or_default();
    assert!(
        note.starts_with("b: not TOML (TOML parse error at line 2"),
        "{note}"
    );
    assert!(!note.contains("Unquoted-Value-123"), "{note}");
}

#[test]
fn each_document_of_a_multi_document_yaml_is_compared() {
    let a = "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 2\n";
    let b = a.replace("replicas: 2", "replicas: 3");
    let file = compare("k8s/shop.yaml", a, &b);
    assert_eq!(key_lines(&file), ["[1].spec.replicas: 2 → 3"]);
}

#[test]
fn a_reformatted_file_with_one_change_shows_the_change_by_key_path() {
    // Side b is the same document written on one line, with one value changed: the diff
    // as written would be every line of the file.
    let b = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(JSON_NESTED).unwrap())
        .unwrap()
        .replace(r#""workers":8"#, r#""workers":4"#);
    let file = compare("app.json", JSON_NESTED, &b);
    assert_eq!(key_lines(&file), ["server.workers: 8 → 4"]);
    assert_eq!(
        file.note.as_deref(),
        Some("laid out differently on each side: the diff is by key path")
    );
    assert_eq!(file.counts().to_string(), "+1 −1");
    let unified = file.hunks[0].unified();
    assert!(
        unified.contains(" server.port = 8080\n-server.workers = 8\n+server.workers = 4\n"),
        "{unified}"
    );
}

#[test]
fn a_small_change_in_a_file_laid_out_alike_is_shown_where_it_is() {
    let b = JSON_NESTED.replace(r#""workers": 8"#, r#""workers": 4"#);
    let file = compare("app.json", JSON_NESTED, &b);
    assert_eq!(file.note, None);
    let unified = file.hunks[0].unified();
    assert!(
        unified.contains(r#"+  "server": {"host": "0.0.0.0", "port": 8080, "workers": 4},"#),
        "{unified}"
    );
}
