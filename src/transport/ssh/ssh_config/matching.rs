//! `Host` patterns and `Match` criteria, as OpenSSH evaluates them (readconf.c
//! `match_cfg_line`, match.c). `Host` matches the name as typed, case and all; `Match host`
//! and `originalhost` compare lowercased; `Match user`/`localuser` are case-sensitive.

use super::lex::strdelim;

/// One `Match` criterion.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Criterion {
    All,
    /// True only in the second pass OpenSSH makes (after `Match final` asked for it).
    Canonical,
    Final,
    Host(String),
    OriginalHost(String),
    User(String),
    LocalUser(String),
    /// A criterion sheriff does not evaluate (`exec`, `localnetwork`, …): the block is
    /// skipped, and the lookup says so.
    Unevaluated {
        name: String,
        arg: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Test {
    pub negate: bool,
    pub criterion: Criterion,
}

/// Criteria OpenSSH knows that sheriff does not evaluate (newer OpenSSH releases add some).
const UNEVALUATED: &[&str] = &[
    "exec",
    "localnetwork",
    "tagged",
    "version",
    "sessiontype",
    "command",
];

/// Parses the words after `Match`; `Err` with OpenSSH's complaint.
pub(super) fn parse_match(rest: &str) -> Result<Vec<Test>, String> {
    let mut s = rest;
    let mut tests = Vec::new();
    let mut attributes = 0;
    while let Some(word) = strdelim(&mut s) {
        if word.is_empty() {
            break;
        }
        if word.starts_with('#') {
            s = "";
            break;
        }
        let (negate, name) = match word.strip_prefix('!') {
            Some(n) => (true, n.to_string()),
            None => (false, word.clone()),
        };
        let lower = name.to_ascii_lowercase();
        if lower == "all" {
            let mut peek = s;
            let next = strdelim(&mut peek);
            if attributes > 1
                || next
                    .as_deref()
                    .is_some_and(|n| !n.is_empty() && !n.starts_with('#'))
            {
                return Err(format!(
                    "'{word}' cannot be combined with other Match attributes"
                ));
            }
            tests.push(Test {
                negate,
                criterion: Criterion::All,
            });
            return Ok(tests);
        }
        attributes += 1;
        if lower == "canonical" || lower == "final" {
            let criterion = if lower == "final" {
                Criterion::Final
            } else {
                Criterion::Canonical
            };
            tests.push(Test { negate, criterion });
            continue;
        }
        let arg = match strdelim(&mut s) {
            Some(a) if !a.is_empty() && !a.starts_with('#') => a,
            _ => return Err(format!("Missing Match criteria for {name}")),
        };
        let criterion = match lower.as_str() {
            "host" => Criterion::Host(arg),
            "originalhost" => Criterion::OriginalHost(arg),
            "user" => Criterion::User(arg),
            "localuser" => Criterion::LocalUser(arg),
            other if UNEVALUATED.contains(&other) => Criterion::Unevaluated {
                name: other.to_string(),
                arg,
            },
            _ => return Err(format!("Unsupported Match attribute {name}")),
        };
        tests.push(Test { negate, criterion });
    }
    if attributes == 0 {
        return Err("One or more attributes required for Match".into());
    }
    if !s.trim().is_empty() {
        return Err("keyword match extra arguments at end of line".into());
    }
    Ok(tests)
}

/// What a `Match` line is evaluated against.
pub(super) struct MatchInput<'a> {
    /// `Match host`: the HostName so far (with `%h`), else the name being looked up.
    pub host: &'a str,
    pub original_host: &'a str,
    /// The remote user so far, else the local user.
    pub user: &'a str,
    pub local_user: &'a str,
    pub final_pass: bool,
}

/// The outcome of one `Match` line.
pub(super) struct MatchOutcome {
    pub matched: bool,
    /// The line asks for a second pass (`Match final`).
    pub wants_final: bool,
    /// Criteria sheriff did not evaluate (the block counts as not matching).
    pub unevaluated: Vec<String>,
}

/// Evaluates a `Match` line; criteria sheriff does not evaluate count as `assume` (false
/// for the real outcome, true to learn whether they alone decided it).
pub(super) fn evaluate(tests: &[Test], input: &MatchInput<'_>, assume: bool) -> MatchOutcome {
    let mut out = MatchOutcome {
        matched: true,
        wants_final: false,
        unevaluated: Vec::new(),
    };
    for test in tests {
        let hit = match &test.criterion {
            Criterion::All => {
                if out.matched {
                    out.matched = !test.negate;
                }
                return out;
            }
            Criterion::Final => {
                out.wants_final = true;
                input.final_pass
            }
            Criterion::Canonical => input.final_pass,
            Criterion::Host(p) => match_hostname(input.host, p),
            Criterion::OriginalHost(p) => match_hostname(input.original_host, p),
            Criterion::User(p) => pattern_list_match(p, input.user),
            Criterion::LocalUser(p) => pattern_list_match(p, input.local_user),
            Criterion::Unevaluated { name, arg } => {
                out.unevaluated.push(format!("{name} {arg}"));
                assume
            }
        };
        if hit == test.negate {
            out.matched = false;
        }
    }
    out
}

/// A `Host` line: the first pattern that matches decides; a matching `!pattern` makes the
/// whole line not match.
pub(super) fn host_line_matches(patterns: &[String], host: &str) -> bool {
    let mut matched = false;
    for pattern in patterns {
        let (negated, p) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern.as_str()),
        };
        if glob_match(p, host) {
            if negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// match.c `match_hostname`: lowercased host against a lowercased pattern list.
fn match_hostname(host: &str, list: &str) -> bool {
    pattern_list_match(&list.to_lowercase(), &host.to_lowercase())
}

/// A comma-separated pattern list (`Match host`, known_hosts host fields): some positive
/// pattern matches and no negated one does.
pub(crate) fn pattern_list_match(list: &str, text: &str) -> bool {
    let mut matched = false;
    for pattern in list.split(',') {
        match pattern.strip_prefix('!') {
            Some(negated) if glob_match(negated, text) => return false,
            Some(_) => {}
            None if glob_match(pattern, text) => matched = true,
            None => {}
        }
    }
    matched
}

/// `*` and `?` wildcards, as in ssh_config(5) PATTERNS.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(host: &'a str, user: &'a str) -> MatchInput<'a> {
        MatchInput {
            host,
            original_host: host,
            user,
            local_user: "me",
            final_pass: false,
        }
    }

    #[test]
    fn globbing() {
        assert!(glob_match("web?.prod", "web1.prod"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b", "aXXc"));
        assert!(pattern_list_match("a,!b*,c*", "cat"));
        assert!(!pattern_list_match("c*,!cat", "cat"));
        assert!(host_line_matches(
            &["*.prod".into(), "!bastion.prod".into()],
            "web.prod"
        ));
        assert!(!host_line_matches(
            &["*.prod".into(), "!bastion.prod".into()],
            "bastion.prod"
        ));
        assert!(!host_line_matches(&["FOO".into()], "foo"));
    }

    #[test]
    fn match_lines() {
        let t = parse_match("host A*,!ab user root").unwrap();
        assert!(evaluate(&t, &input("aa", "root"), false).matched);
        assert!(!evaluate(&t, &input("ab", "root"), false).matched);
        assert!(!evaluate(&t, &input("aa", "bob"), false).matched);
        assert!(!evaluate(&parse_match("!all").unwrap(), &input("x", "u"), false).matched);
        assert!(
            !evaluate(
                &parse_match("canonical all").unwrap(),
                &input("x", "u"),
                false
            )
            .matched
        );
        let fin = evaluate(&parse_match("final").unwrap(), &input("x", "u"), false);
        assert!(fin.wants_final && !fin.matched);
        let exec = evaluate(
            &parse_match("exec \"test -f x\"").unwrap(),
            &input("x", "u"),
            false,
        );
        assert_eq!((exec.matched, exec.unevaluated.len()), (false, 1));
        for bad in ["all host a", "host", "foo bar", "#x"] {
            assert!(parse_match(bad).is_err(), "{bad}");
        }
    }
}
