//! Two 200,000-line files with 200 changed lines: sheriff's comparison (normalisation,
//! line diff, hunks with highlights and masking) against GNU `diff -u` on the same pair,
//! side by side in one run. The floor is 1.5x diff's wall time.
//!
//! Run: `cargo bench --bench drift`. Results go to docs/performance.md.

#[path = "support/drift_pair.rs"]
mod drift_pair;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sheriff::drift::compare::{Comparison, EnvVars, Rules, Whitespace};
use sheriff::drift::side::Entry;

const RUNS: usize = 15;

/// The fastest of `RUNS` runs: the least disturbed by the other work on the machine.
fn best(mut run: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let (a, b) = drift_pair::pair();
    let dir = tempfile::tempdir().expect("temp dir");
    let (path_a, path_b) = (dir.path().join("a.conf"), dir.path().join("b.conf"));
    std::fs::write(&path_a, &a).expect("write a");
    std::fs::write(&path_b, &b).expect("write b");
    // Fetching hashes and reads the bytes; comparing starts from there.
    let (entry_a, entry_b) = (Entry::file(a.into_bytes()), Entry::file(b.into_bytes()));
    let rules = Rules::default();
    let vars = EnvVars::default();

    let mut hunks = 0;
    let sheriff = best(|| {
        let comparison = Comparison::new(&rules, &vars);
        let file = comparison.file("a.conf", Some(&entry_a), Some(&entry_b));
        hunks = file.hunks.len();
    });
    // The same pair with rules that rewrite every line: the normalisation's slow path.
    let with_rules = Rules {
        whitespace: Whitespace::IgnoreChanges,
        comment_prefixes: vec!["#".into(), ";".into()],
        ..Rules::default()
    };
    let mut ruled_hunks = 0;
    let ruled = best(|| {
        let comparison = Comparison::new(&with_rules, &vars);
        let file = comparison.file("a.conf", Some(&entry_a), Some(&entry_b));
        ruled_hunks = file.hunks.len();
    });
    let diff = best(|| {
        let status = Command::new("diff")
            .arg("-u")
            .arg(&path_a)
            .arg(&path_b)
            .stdout(Stdio::null())
            .status()
            .expect("GNU diff on PATH");
        assert_eq!(status.code(), Some(1), "diff found no difference");
    });
    assert_eq!(hunks, 200, "sheriff found {hunks} hunks, not 200");
    assert_eq!(ruled_hunks, 200, "with rules: {ruled_hunks} hunks, not 200");
    println!("200,000 lines, 200 changed, best of {RUNS}:");
    println!("  sheriff compare  {:>8.4} s", sheriff.as_secs_f64());
    println!(
        "  sheriff, rules   {:>8.4} s  (whitespace, comments)",
        ruled.as_secs_f64()
    );
    println!("  GNU diff -u      {:>8.4} s", diff.as_secs_f64());
    println!(
        "  ratio            {:>8.2}x, with rules {:.2}x (floor 1.5x)",
        sheriff.as_secs_f64() / diff.as_secs_f64(),
        ruled.as_secs_f64() / diff.as_secs_f64()
    );
}
