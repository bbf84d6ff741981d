//! `process` and `systemd`: is the thing that should run running.
//!
//! Processes are counted from /proc/PID/comm with the shell's own `read`, so the host needs
//! no procps; the kernel keeps the first 15 bytes of a name there, so longer names match on
//! those. systemd units are read with `systemctl show` (stable key=value output meant for
//! programs) and `systemctl --failed --plain --no-legend`.

use crate::checks::exec::shell_word;
use crate::checks::observation::Observation;
use crate::checks::{CheckStatus, Metric};

/// The kernel's limit on /proc/PID/comm (TASK_COMM_LEN − 1).
const COMM_LEN: usize = 15;

pub const PROCESS_COMMAND: &str =
    r#"for d in /proc/[0-9]*; do read -r c < "$d/comm" && echo "${d#/proc/} $c"; done 2>/dev/null"#;

pub fn observe_process(
    stdout: &str,
    name: &str,
    min: Option<u32>,
    max: Option<u32>,
) -> Observation {
    let want: String = name
        .chars()
        .scan(0, |len, c| {
            *len += c.len_utf8();
            (*len <= COMM_LEN).then_some(c)
        })
        .collect();
    let pids: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split_once(' '))
        .filter(|(_, comm)| *comm == want)
        .map(|(pid, _)| pid)
        .collect();
    let count = pids.len() as u32;
    let too_few = min.is_some_and(|m| count < m);
    let too_many = max.is_some_and(|m| count > m);
    let status = if too_few || too_many {
        CheckStatus::Critical
    } else {
        CheckStatus::Ok
    };
    let bounds = match (min, max) {
        (Some(lo), Some(hi)) => format!("{lo}–{hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => "any number".into(),
    };
    let summary = match count {
        0 => format!("no {name} process running (want {bounds})"),
        1 => format!("1 {name} process (want {bounds})"),
        n => format!("{n} {name} processes (want {bounds})"),
    };
    let mut metric = Metric::new("processes", Some(f64::from(count)), "");
    let range = match (min, max) {
        (Some(lo), Some(hi)) => Some(format!("{lo}:{hi}")),
        (Some(lo), None) => Some(format!("{lo}:")),
        (None, Some(hi)) => Some(format!("{hi}")),
        (None, None) => None,
    };
    metric = metric.with_thresholds(None, range);
    Observation {
        status,
        summary,
        detail: format!("pids: {}\n", pids.join(" ")),
        metrics: vec![metric],
        ..Observation::default()
    }
}

pub fn systemd_command(unit: &str) -> String {
    if unit == "*" {
        "systemctl --failed --plain --no-legend --no-pager".into()
    } else {
        format!(
            "systemctl show --no-pager -p Id,LoadState,ActiveState,SubState,Result,ActiveEnterTimestamp,ExecMainStatus -- {}",
            shell_word(unit)
        )
    }
}

/// `systemctl show` for one unit.
pub fn observe_unit(stdout: &str, unit: &str) -> Observation {
    let get = |key: &str| {
        stdout.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k == key).then(|| v.trim().to_string())
        })
    };
    let (Some(load), Some(active)) = (get("LoadState"), get("ActiveState")) else {
        return Observation::failed(
            CheckStatus::Unknown,
            format!("systemctl said nothing about {unit}: is systemd running here?"),
            stdout.to_string(),
        );
    };
    let sub = get("SubState").unwrap_or_default();
    let result = get("Result").unwrap_or_default();
    let since = get("ActiveEnterTimestamp").filter(|s| !s.is_empty());
    let status = match (load.as_str(), active.as_str()) {
        ("not-found", _) => CheckStatus::Unknown,
        (_, "active") => CheckStatus::Ok,
        (_, "activating" | "reloading" | "deactivating") => CheckStatus::Warning,
        _ => CheckStatus::Critical,
    };
    let summary = match (load.as_str(), since) {
        ("not-found", _) => format!("no unit {unit}"),
        (_, Some(since)) if status == CheckStatus::Ok => {
            format!("{unit} {active} ({sub}) since {since}")
        }
        _ if result.is_empty() || result == "success" => format!("{unit} {active} ({sub})"),
        _ => format!("{unit} {active} ({sub}, result {result})"),
    };
    Observation {
        status,
        summary,
        detail: stdout.to_string(),
        ..Observation::default()
    }
}

/// `systemctl --failed`: a row per failed unit, or one OK row when none failed.
pub fn observe_failed(stdout: &str) -> Vec<Observation> {
    let rows: Vec<Observation> = stdout
        .lines()
        .filter_map(|line| {
            // Some versions mark failed units with a bullet even with --plain.
            let line = line.trim_start_matches(['●', '*', '×', ' ']);
            let mut words = line.split_whitespace();
            let unit = words.next()?;
            let (load, active, sub) = (words.next()?, words.next()?, words.next()?);
            let description: Vec<&str> = words.collect();
            Some(Observation {
                item: Some(unit.to_string()),
                status: CheckStatus::Critical,
                summary: format!("{unit} {active} ({sub}): {}", description.join(" ")),
                detail: format!("{unit}: load {load}, active {active}, sub {sub}\n"),
                ..Observation::default()
            })
        })
        .collect();
    if rows.is_empty() {
        return vec![Observation {
            status: CheckStatus::Ok,
            summary: "no failed units".into(),
            ..Observation::default()
        }];
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_processes_by_their_kernel_name() {
        let out = "1 systemd\n812 nginx\n813 nginx\n900 bash\n1200 postgres: walwri\n";
        let seen = observe_process(out, "nginx", Some(1), None);
        assert_eq!(seen.status, CheckStatus::Ok);
        assert_eq!(seen.summary, "2 nginx processes (want at least 1)");
        assert_eq!(
            observe_process(out, "redis-server", Some(1), None).status,
            CheckStatus::Critical
        );
        assert_eq!(
            observe_process(out, "nginx", Some(1), Some(1)).status,
            CheckStatus::Critical
        );
        // A long name matches on its first 15 bytes, as /proc/PID/comm keeps them.
        let long = "77 prometheus-aler\n";
        assert_eq!(
            observe_process(long, "prometheus-alertmanager", Some(1), None).status,
            CheckStatus::Ok
        );
    }

    // Output of systemd 252 (Debian 12): `systemctl show -p … nginx.service` on a running
    // and on a failed unit, `systemctl show` for a unit that does not exist, and
    // `systemctl --failed --plain --no-legend`.
    const RUNNING: &str = "Id=nginx.service\nLoadState=loaded\nActiveState=active\nSubState=running\nResult=success\nActiveEnterTimestamp=Tue 2026-11-24 09:12:03 UTC\nExecMainStatus=0\n";
    const FAILED: &str = "Id=nginx.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code\nActiveEnterTimestamp=\nExecMainStatus=1\n";
    const MISSING: &str = "Id=nope.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\nResult=success\nActiveEnterTimestamp=\nExecMainStatus=0\n";
    const FAILED_LIST: &str = "nginx.service loaded failed failed A high performance web server and a reverse proxy server\n● postgresql@15-main.service loaded failed failed PostgreSQL Cluster 15-main\n";

    #[test]
    fn a_unit_is_ok_only_when_active() {
        let ok = observe_unit(RUNNING, "nginx.service");
        assert_eq!(ok.status, CheckStatus::Ok);
        assert_eq!(
            ok.summary,
            "nginx.service active (running) since Tue 2026-11-24 09:12:03 UTC"
        );
        let failed = observe_unit(FAILED, "nginx.service");
        assert_eq!(failed.status, CheckStatus::Critical);
        assert_eq!(
            failed.summary,
            "nginx.service failed (failed, result exit-code)"
        );
        assert_eq!(
            observe_unit(MISSING, "nope.service").summary,
            "no unit nope.service"
        );
        assert_eq!(observe_unit("", "x").status, CheckStatus::Unknown);
    }

    #[test]
    fn each_failed_unit_is_a_row() {
        let rows = observe_failed(FAILED_LIST);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].item.as_deref(), Some("postgresql@15-main.service"));
        assert!(rows[0].summary.contains("A high performance web server"));
        let none = observe_failed("");
        assert_eq!(none[0].status, CheckStatus::Ok);
        assert_eq!(none[0].item, None);
    }
}
