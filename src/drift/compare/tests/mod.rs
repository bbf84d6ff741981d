//! Tests of the comparison on realistic config files, and on the odd ones.

mod fixtures;
mod large;
mod odd;
mod secrets;
mod statuses;
mod structure;
mod text;

use super::{compare_trees, EnvVars, FileDiff, Rules, TargetDiff};
use crate::drift::side::{Entry, Tree};

fn tree(files: &[(&str, &[u8])]) -> Tree {
    Tree {
        entries: files
            .iter()
            .map(|(path, bytes)| (path.to_string(), Entry::file(bytes.to_vec())))
            .collect(),
        notes: Vec::new(),
    }
}

/// One file, present on both sides, compared as a target.
fn target_with(path: &str, a: &str, b: &str, rules: &Rules, vars: &EnvVars) -> TargetDiff {
    compare_trees(
        &tree(&[(path, a.as_bytes())]),
        &tree(&[(path, b.as_bytes())]),
        rules,
        vars,
    )
}

/// One file, present on both sides, compared.
fn compare_with(path: &str, a: &str, b: &str, rules: &Rules, vars: &EnvVars) -> FileDiff {
    let diff = target_with(path, a, b, rules, vars);
    diff.files.into_iter().next().expect("one file")
}

/// Each environment's vars, from `(name, value)` pairs.
fn env_vars(a: &[(&str, &str)], b: &[(&str, &str)]) -> EnvVars {
    let map = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    EnvVars {
        a: map(a),
        b: map(b),
    }
}

fn compare(path: &str, a: &str, b: &str) -> FileDiff {
    compare_with(path, a, b, &Rules::default(), &EnvVars::default())
}

/// Two environments whose `domain` and `workers` differ, with only `domain` named in
/// replace.
fn domain_replaced() -> (Rules, EnvVars) {
    let vars = env_vars(
        &[("domain", "example.org"), ("workers", "8")],
        &[("domain", "staging.example.org"), ("workers", "4")],
    );
    let rules = Rules {
        replace: vec!["domain".into()],
        ..Rules::default()
    };
    (rules, vars)
}

/// Everything a result could show anywhere: its Debug form and its JSON.
fn everything_shown(diff: &TargetDiff) -> String {
    format!("{diff:?}\n{}", diff.files_json())
}

fn key_lines(file: &FileDiff) -> Vec<String> {
    file.keys.iter().map(|k| k.describe()).collect()
}
