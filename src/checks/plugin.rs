//! `nagios` and `command` checks: run a program, read its exit code and output.
//!
//! A Nagios plugin speaks the plugin API (exit 0/1/2/3, first line the summary, perfdata
//! after `|`), so its numbers become metrics that history and forecast use. A `command` is
//! any program: exit 0 is OK, anything else critical, and its output is kept.

use crate::checks::exec::Ran;
use crate::checks::observation::{Observation, Seen};
use crate::checks::perfdata::{parse_plugin_output, status_from_exit};
use crate::checks::CheckStatus;

/// What `sh` says when it cannot run the program at all.
fn shell_failure(ran: &Ran) -> Option<String> {
    let said = ran.stderr.lines().next().unwrap_or("").trim();
    match ran.exit {
        Some(126) => Some(format!("permission denied running the plugin: {said}")),
        Some(127) => Some(format!("plugin not found: {said}")),
        _ => None,
    }
}

fn detail(command: &str, place: &str, ran: &Ran) -> String {
    let exit = match (&ran.exit, &ran.signal) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("killed by SIG{signal}"),
        (None, None) => "no exit status".into(),
    };
    let mut text = format!("$ {command}\n(ran {place}; {exit})\n{}", ran.stdout);
    if !ran.stderr.is_empty() {
        text.push_str("--- stderr ---\n");
        text.push_str(&ran.stderr);
    }
    text
}

pub fn observe_nagios(command: &str, place: &str, ran: &Ran) -> Observation {
    let seen = Seen {
        exit: ran.exit,
        output: Some(ran.stdout.clone()),
        ..Seen::default()
    };
    let detail = detail(command, place, ran);
    if let Some(why) = shell_failure(ran) {
        return Observation {
            status: CheckStatus::Unknown,
            summary: why,
            detail,
            facts: seen,
            ..Observation::default()
        };
    }
    let output = parse_plugin_output(&ran.stdout);
    let status = status_from_exit(ran.exit);
    let summary = if output.summary.is_empty() {
        let first = ran.stderr.lines().next().unwrap_or("").trim();
        if first.is_empty() {
            "the plugin printed nothing".to_string()
        } else {
            first.to_string()
        }
    } else {
        output.summary.clone()
    };
    // An exit code outside the API is UNKNOWN, and the row says what it was.
    let summary = match ran.exit {
        Some(0..=3) => summary,
        Some(code) => format!("exit {code} is not a plugin state: {summary}"),
        None => format!(
            "killed by SIG{}: {summary}",
            ran.signal.as_deref().unwrap_or("?")
        ),
    };
    let mut detail = detail;
    for problem in &output.problems {
        detail.push_str(&format!("perfdata not understood: {problem}\n"));
    }
    Observation {
        status,
        summary,
        detail,
        metrics: output.metrics,
        facts: seen,
        ..Observation::default()
    }
}

pub fn observe_command(command: &str, place: &str, ran: &Ran) -> Observation {
    let status = if ran.exit == Some(0) {
        CheckStatus::Ok
    } else {
        CheckStatus::Critical
    };
    let first_line = |text: &str| {
        text.lines()
            .find(|l| !l.trim().is_empty())
            .map(str::trim)
            .map(str::to_string)
    };
    let said = first_line(&ran.stdout).or_else(|| first_line(&ran.stderr));
    let summary = match (ran.exit, said) {
        (Some(0), Some(said)) => said,
        (Some(0), None) => "exit 0".into(),
        (Some(code), said) => match shell_failure(ran) {
            Some(why) => why.replacen("the plugin", "the command", 1).replacen(
                "plugin not found",
                "command not found",
                1,
            ),
            None => format!(
                "exit {code}{}",
                said.map(|s| format!(": {s}")).unwrap_or_default()
            ),
        },
        (None, _) => format!("killed by SIG{}", ran.signal.as_deref().unwrap_or("?")),
    };
    Observation {
        status,
        summary,
        detail: detail(command, place, ran),
        facts: Seen {
            exit: ran.exit,
            output: Some(ran.stdout.clone()),
            ..Seen::default()
        },
        ..Observation::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ran(exit: Option<i32>, stdout: &str, stderr: &str) -> Ran {
        Ran {
            exit,
            signal: None,
            stdout: stdout.into(),
            stderr: stderr.into(),
            elapsed: Duration::from_millis(3),
        }
    }

    #[test]
    fn plugin_states_follow_the_exit_code() {
        let out = "DISK WARNING - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n";
        let seen = observe_nagios("check_disk", "here", &ran(Some(1), out, ""));
        assert_eq!(seen.status, CheckStatus::Warning);
        assert_eq!(seen.summary, "DISK WARNING - free space: / 3326 MB (56%);");
        assert_eq!(seen.metrics[0].label, "/");
        let odd = observe_nagios("x", "here", &ran(Some(4), "HUH\n", ""));
        assert_eq!(odd.status, CheckStatus::Unknown);
        assert!(
            odd.summary.starts_with("exit 4 is not a plugin state"),
            "{}",
            odd.summary
        );
    }

    #[test]
    fn a_plugin_that_cannot_run_says_why() {
        let denied = ran(
            Some(126),
            "",
            "sh: 1: /usr/lib/nagios/plugins/check_x: Permission denied\n",
        );
        let seen = observe_nagios("check_x", "web1", &denied);
        assert_eq!(seen.status, CheckStatus::Unknown);
        assert!(
            seen.summary
                .starts_with("permission denied running the plugin"),
            "{}",
            seen.summary
        );
        let missing = observe_nagios(
            "check_y",
            "here",
            &ran(Some(127), "", "sh: 1: check_y: not found\n"),
        );
        assert!(
            missing.summary.starts_with("plugin not found"),
            "{}",
            missing.summary
        );
    }

    #[test]
    fn a_command_is_ok_only_on_exit_zero() {
        assert_eq!(
            observe_command("true", "here", &ran(Some(0), "", "")).status,
            CheckStatus::Ok
        );
        let failed = observe_command("x", "here", &ran(Some(2), "", "backup is 3 days old\n"));
        assert_eq!(failed.status, CheckStatus::Critical);
        assert_eq!(failed.summary, "exit 2: backup is 3 days old");
    }
}
