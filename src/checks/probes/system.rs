//! `load`, `memory` and `io`: read from /proc with `cat`, so a Linux host needs nothing
//! installed. Limits are per core for load (a 16-core box at load 8 is idle) and in % for
//! memory and disk utilisation.

use super::{bytes_text, percent_text};
use crate::checks::observation::Observation;
use crate::checks::{CheckStatus, Metric};

pub const LOAD_COMMAND: &str =
    "cat /proc/loadavg; getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1";
pub const MEMORY_COMMAND: &str = "cat /proc/meminfo";

/// Two reads of /proc/diskstats a second apart, each after its own clock reading, so the
/// utilisation is over the time that really passed (the second may take longer over SSH).
pub const IO_COMMAND: &str =
    "date +%s%N; cat /proc/diskstats; sleep 1; date +%s%N; cat /proc/diskstats";

fn limits(warn: f64, crit: f64) -> (Option<String>, Option<String>) {
    (Some(trim(warn)), Some(trim(crit)))
}

fn trim(x: f64) -> String {
    let text = format!("{x:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn judged(metrics: Vec<Metric>, summary: String, detail: String) -> Observation {
    let status = metrics
        .iter()
        .filter_map(Metric::state)
        .max_by_key(|s| s.severity())
        .unwrap_or(CheckStatus::Unknown);
    Observation {
        status,
        summary,
        detail,
        metrics,
        ..Observation::default()
    }
}

/// `/proc/loadavg` then the core count.
pub fn observe_load(stdout: &str, minutes: u8, warn: f64, crit: f64) -> Observation {
    let mut lines = stdout.lines();
    let averages: Vec<f64> = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .take(3)
        .filter_map(|w| w.parse().ok())
        .collect();
    let cores: f64 = lines
        .next()
        .and_then(|l| l.trim().parse::<u32>().ok())
        .filter(|n| *n > 0)
        .map_or(1.0, f64::from);
    let [one, five, fifteen] = averages[..] else {
        return Observation::failed(
            CheckStatus::Unknown,
            "cannot read /proc/loadavg",
            stdout.to_string(),
        );
    };
    let watched = match minutes {
        1 => one,
        15 => fifteen,
        _ => five,
    };
    let mut metrics = Vec::new();
    for (label, value, m) in [
        ("load1", one, 1),
        ("load5", five, 5),
        ("load15", fifteen, 15),
    ] {
        let mut metric = Metric::new(label, Some(value), "");
        metric.min = Some(0.0);
        if m == minutes {
            let (w, c) = limits(warn * cores, crit * cores);
            metric = metric.with_thresholds(w, c);
        }
        metrics.push(metric);
    }
    let summary = format!(
        "load {watched:.2} ({minutes} min) on {cores} cores: {:.2} per core",
        watched / cores
    );
    let detail = format!("load averages {one} {five} {fifteen} (1, 5, 15 min); {cores} cores\nlimits per core: warn {warn}, crit {crit}\n");
    judged(metrics, summary, detail)
}

/// Used = total − available (what the kernel says can be had without swapping). Kernels
/// before 3.14 have no MemAvailable; free + buffers + cached stands in.
pub fn observe_memory(stdout: &str, warn: f64, crit: f64) -> Observation {
    let field = |name: &str| -> Option<u64> {
        stdout.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    let Some(total) = field("MemTotal").filter(|t| *t > 0) else {
        return Observation::failed(
            CheckStatus::Unknown,
            "cannot read /proc/meminfo",
            stdout.to_string(),
        );
    };
    let available = field("MemAvailable").unwrap_or_else(|| {
        field("MemFree").unwrap_or(0) + field("Buffers").unwrap_or(0) + field("Cached").unwrap_or(0)
    });
    let used = total.saturating_sub(available);
    let pct = used as f64 * 100.0 / total as f64;
    let (w, c) = limits(warn, crit);
    let mut metric =
        Metric::new("used", Some((pct * 100.0).round() / 100.0), "%").with_thresholds(w, c);
    metric.min = Some(0.0);
    metric.max = Some(100.0);
    let mut metrics = vec![metric];
    metrics.push(Metric::new(
        "available",
        Some((available * 1024) as f64),
        "B",
    ));
    if let (Some(swap_total), Some(swap_free)) = (field("SwapTotal"), field("SwapFree")) {
        if swap_total > 0 {
            metrics.push(Metric::new(
                "swap_used",
                Some((swap_total.saturating_sub(swap_free) * 1024) as f64),
                "B",
            ));
        }
    }
    let summary = format!(
        "memory {} used ({} of {})",
        percent_text(pct),
        bytes_text(used * 1024),
        bytes_text(total * 1024)
    );
    judged(
        metrics,
        summary,
        format!("limits: warn {warn}%, crit {crit}%\n"),
    )
}

/// Utilisation = time the device was busy (field 13, ms) over the time between the reads.
pub fn observe_io(stdout: &str, device: &str, warn: f64, crit: f64) -> Observation {
    let mut clock = Vec::new();
    let mut busy = Vec::new();
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [ns] => clock.extend(ns.parse::<u128>().ok()),
            [_, _, name, rest @ ..] if *name == device && rest.len() >= 10 => {
                busy.extend(rest[9].parse::<u64>().ok());
            }
            _ => {}
        }
    }
    let (&[t0, t1], &[b0, b1]) = (&clock[..], &busy[..]) else {
        let why = if busy.is_empty() {
            format!("no device {device} in /proc/diskstats")
        } else {
            "cannot read /proc/diskstats twice".to_string()
        };
        return Observation::failed(CheckStatus::Unknown, why, stdout.to_string());
    };
    let elapsed_ms = (t1.saturating_sub(t0) as f64 / 1e6).max(1.0);
    let pct = (b1.saturating_sub(b0) as f64 * 100.0 / elapsed_ms).clamp(0.0, 100.0);
    let (w, c) = limits(warn, crit);
    let mut metric =
        Metric::new("util", Some((pct * 10.0).round() / 10.0), "%").with_thresholds(w, c);
    metric.min = Some(0.0);
    metric.max = Some(100.0);
    let summary = format!("{device} {} busy", percent_text(pct));
    let detail = format!(
        "busy {} ms of {elapsed_ms:.0} ms\nlimits: warn {warn}%, crit {crit}%\n",
        b1.saturating_sub(b0)
    );
    judged(vec![metric], summary, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_is_judged_per_core() {
        let seen = observe_load("3.10 2.50 1.00 2/345 6789\n2\n", 5, 1.0, 2.0);
        assert_eq!(seen.status, CheckStatus::Warning);
        assert!(seen.summary.contains("1.25 per core"), "{}", seen.summary);
        let load5 = &seen.metrics[1];
        assert_eq!(load5.warn.as_deref(), Some("2"));
        assert_eq!(load5.crit.as_deref(), Some("4"));
        assert_eq!(
            observe_load("garbage", 5, 1.0, 2.0).status,
            CheckStatus::Unknown
        );
    }

    /// /proc/meminfo as Linux 6.1 prints it (trimmed).
    const MEMINFO: &str = "MemTotal:        8029712 kB\nMemFree:          512340 kB\nMemAvailable:    1204456 kB\nBuffers:          102400 kB\nCached:          2048000 kB\nSwapTotal:       1048572 kB\nSwapFree:         524286 kB\n";

    #[test]
    fn memory_used_is_total_minus_available() {
        let seen = observe_memory(MEMINFO, 80.0, 90.0);
        assert_eq!(seen.metrics[0].value, Some(85.0));
        assert_eq!(seen.status, CheckStatus::Warning);
        let old_kernel = MEMINFO.replace("MemAvailable:    1204456 kB\n", "");
        let seen = observe_memory(&old_kernel, 80.0, 90.0);
        // free + buffers + cached = 2,662,740 of 8,029,712.
        assert!((seen.metrics[0].value.unwrap() - 66.84).abs() < 0.01);
    }

    #[test]
    fn io_utilisation_over_the_real_interval() {
        let out = "1700000000000000000\n   8       0 sda 1 2 3 4 5 6 7 8 9 1000 11\n1700000002000000000\n   8       0 sda 1 2 3 4 5 6 7 8 9 2950 11\n";
        let seen = observe_io(out, "sda", 80.0, 95.0);
        assert_eq!(seen.metrics[0].value, Some(97.5));
        assert_eq!(seen.status, CheckStatus::Critical);
        let missing = observe_io("1\n2\n", "sdz", 80.0, 95.0);
        assert!(
            missing.summary.contains("no device sdz"),
            "{}",
            missing.summary
        );
    }
}
