//! Host probes: what `sh` and coreutils can tell about a host with no agent on it. Each
//! kind is a command (run here or over SSH) and a parser of its output; the parsers are
//! pure, so they are tested on output captured from real systems.

pub mod disk;
pub mod system;
pub mod units;

use crate::checks::exec::Ran;
use crate::checks::observation::Observation;
use crate::checks::CheckStatus;
use crate::config::CheckKind;

/// The command a host kind runs; `None` for kinds that are not host probes.
pub fn command(kind: &CheckKind) -> Option<String> {
    Some(match kind {
        CheckKind::Disk { path, .. } => disk::command(path),
        CheckKind::Load { .. } => system::LOAD_COMMAND.into(),
        CheckKind::Memory { .. } => system::MEMORY_COMMAND.into(),
        CheckKind::Io { .. } => system::IO_COMMAND.into(),
        CheckKind::Process { .. } => units::PROCESS_COMMAND.into(),
        CheckKind::Systemd { unit } => units::systemd_command(unit),
        _ => return None,
    })
}

/// The rows a probe's output gives.
pub fn observe(kind: &CheckKind, ran: &Ran) -> Vec<Observation> {
    let out = ran.stdout.as_str();
    // `systemctl --failed` exits 0 with no lines; `show` exits 0 even for a missing unit;
    // `df` exits 1 when one of several mounts cannot be read but still lists the others.
    let rows = match kind {
        CheckKind::Disk { path, warn, crit } => disk::observe(path, out, *warn, *crit),
        CheckKind::Load {
            minutes,
            warn,
            crit,
        } => vec![system::observe_load(out, *minutes, *warn, *crit)],
        CheckKind::Memory { warn, crit } => vec![system::observe_memory(out, *warn, *crit)],
        CheckKind::Io { device, warn, crit } => {
            vec![system::observe_io(out, device, *warn, *crit)]
        }
        CheckKind::Process { name, min, max } => {
            vec![units::observe_process(out, name, *min, *max)]
        }
        // Any exit but 0 means systemctl could not ask systemd (none running, no bus): an
        // empty list then says nothing, and must not read as "no failed units".
        CheckKind::Systemd { unit } if unit == "*" && ran.exit != Some(0) => {
            vec![Observation::failed(
                CheckStatus::Unknown,
                "systemctl cannot list failed units: is systemd running here?",
                out.to_string(),
            )]
        }
        CheckKind::Systemd { unit } if unit == "*" => units::observe_failed(out),
        CheckKind::Systemd { unit } => vec![units::observe_unit(out, unit)],
        _ => Vec::new(),
    };
    rows.into_iter()
        .map(|mut row| {
            if row.status == CheckStatus::Unknown && !ran.stderr.trim().is_empty() {
                let first = ran.stderr.lines().next().unwrap_or("").trim();
                row.summary = format!("{} ({first})", row.summary);
                row.detail.push_str(&ran.stderr);
            }
            row
        })
        .collect()
}

/// "12.3 GiB": sizes as people read them, in powers of 1024 like `df -h`.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// "83%", "99.5%": one decimal only where it tells something.
pub fn percent_text(pct: f64) -> String {
    let rounded = (pct * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}%")
    } else {
        format!("{rounded:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_shares_read_short() {
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(1536), "1.5 KiB");
        assert_eq!(bytes_text(13_207_024_435), "12.3 GiB");
        assert_eq!(bytes_text(u64::MAX), "16384 PiB");
        assert_eq!(percent_text(83.0), "83%");
        assert_eq!(percent_text(94.87), "94.9%");
    }

    #[test]
    fn failed_units_without_systemd_are_unknown_not_ok() {
        let all = CheckKind::Systemd { unit: "*".into() };
        // What systemd 252's systemctl says in a container whose PID 1 is not systemd.
        let ran = Ran {
            exit: Some(1),
            signal: None,
            stdout: String::new(),
            stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n".into(),
            elapsed: std::time::Duration::from_millis(5),
        };
        let rows = observe(&all, &ran);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, CheckStatus::Unknown);
        assert!(
            rows[0].summary.contains("not been booted with systemd"),
            "{}",
            rows[0].summary
        );
        let none_failed = Ran {
            exit: Some(0),
            stderr: String::new(),
            ..ran
        };
        assert_eq!(observe(&all, &none_failed)[0].status, CheckStatus::Ok);
    }
}
