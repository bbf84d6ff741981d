//! `disk = "/srv"` or `"*"`: space and inodes from `df -P`, which every POSIX system has,
//! so a host needs no agent. `-P` fixes the columns (and one line per filesystem), and the
//! mount point is taken as the rest of the line so mount points with spaces survive.

use std::sync::LazyLock;

use regex::Regex;

use super::{bytes_text, percent_text};
use crate::checks::exec::shell_word;
use crate::checks::observation::Observation;
use crate::checks::{CheckStatus, Metric};
use crate::config::DiskLimit;

/// Pseudo filesystems that are never "the disk filling up".
const SKIP_TYPES: &[&str] = &["tmpfs", "devtmpfs", "squashfs", "proc", "sysfs", "ramfs"];
const INODES_MARK: &str = "--inodes--";

/// The command that reads `path` (or every mount, for `*`).
pub fn command(path: &str) -> String {
    let what = if path == "*" {
        let skip: Vec<String> = SKIP_TYPES.iter().map(|t| format!("-x {t}")).collect();
        format!("-l {}", skip.join(" "))
    } else {
        format!("-- {}", shell_word(path))
    };
    format!("LC_ALL=C df -P -k {what}; echo {INODES_MARK}; LC_ALL=C df -P -i {what}")
}

/// One line of `df -P`: sizes in 1024-byte blocks (or inodes, with `-i`).
#[derive(Debug, Clone, PartialEq)]
pub struct DfRow {
    pub filesystem: String,
    pub total: u64,
    pub used: u64,
    pub available: u64,
    pub mount: String,
}

impl DfRow {
    /// In use as df counts it: used / (used + available), so root's reserve counts as full.
    pub fn used_percent(&self) -> Option<f64> {
        let usable = self.used + self.available;
        (usable > 0).then(|| self.used as f64 * 100.0 / usable as f64)
    }
}

static DF_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(?:\d+%|-)\s+(/.*)$").expect("static regex")
});

/// The rows of one `df -P` listing; the header and lines that do not parse are skipped.
pub fn parse_df(text: &str) -> Vec<DfRow> {
    text.lines()
        .filter_map(|line| {
            let c = DF_LINE.captures(line.trim_end())?;
            Some(DfRow {
                filesystem: c[1].to_string(),
                total: c[2].parse().ok()?,
                used: c[3].parse().ok()?,
                available: c[4].parse().ok()?,
                mount: c[5].to_string(),
            })
        })
        .collect()
}

/// One row per mount; for a single path, one row without an item.
pub fn observe(path: &str, stdout: &str, warn: DiskLimit, crit: DiskLimit) -> Vec<Observation> {
    let (space, inodes) = stdout.split_once(INODES_MARK).unwrap_or((stdout, ""));
    let inodes = parse_df(inodes);
    let mut rows: Vec<Observation> = parse_df(space)
        .into_iter()
        .filter(|row| row.total > 0)
        .map(|row| {
            let inode = inodes.iter().find(|i| i.mount == row.mount);
            let mut seen = mount_row(&row, inode, warn, crit);
            if path == "*" {
                seen.item = Some(row.mount.clone());
            }
            seen
        })
        .collect();
    if path != "*" {
        rows.truncate(1);
    }
    if rows.is_empty() {
        let why = if path == "*" {
            "df listed no filesystems".to_string()
        } else {
            format!("df could not read {path}")
        };
        rows.push(Observation::failed(
            CheckStatus::Unknown,
            why,
            stdout.to_string(),
        ));
    }
    rows
}

fn mount_row(row: &DfRow, inodes: Option<&DfRow>, warn: DiskLimit, crit: DiskLimit) -> Observation {
    let used = row.used_percent().unwrap_or(0.0);
    let free_bytes = row.available.saturating_mul(1024);
    let mut metrics = vec![];
    let mut used_metric = Metric::new("used", Some(round2(used)), "%");
    used_metric.max = Some(100.0);
    used_metric.min = Some(0.0);
    let mut free_metric = Metric::new("free", Some(free_bytes as f64), "B");
    match (warn, crit) {
        (DiskLimit::UsedPercent(w), DiskLimit::UsedPercent(c)) => {
            used_metric = used_metric.with_thresholds(Some(number(w)), Some(number(c)));
        }
        (DiskLimit::FreeBytes(w), DiskLimit::FreeBytes(c)) => {
            free_metric = free_metric.with_thresholds(Some(format!("{w}:")), Some(format!("{c}:")));
        }
        (w, c) => {
            let (uw, fw) = split_limit(w);
            let (uc, fc) = split_limit(c);
            used_metric = used_metric.with_thresholds(uw, uc);
            free_metric = free_metric.with_thresholds(fw, fc);
        }
    }
    metrics.push(used_metric);
    metrics.push(free_metric);
    let inode_used = inodes.and_then(DfRow::used_percent);
    if let Some(pct) = inode_used {
        // Inodes run out like space does; bytes limits say nothing of them, so they get
        // the default share limits then.
        let (w, c) = match (warn, crit) {
            (DiskLimit::UsedPercent(w), DiskLimit::UsedPercent(c)) => (w, c),
            _ => (80.0, 90.0),
        };
        let mut m = Metric::new("inodes", Some(round2(pct)), "%")
            .with_thresholds(Some(number(w)), Some(number(c)));
        m.max = Some(100.0);
        m.min = Some(0.0);
        metrics.push(m);
    }
    let status = metrics
        .iter()
        .filter_map(Metric::state)
        .max_by_key(|s| s.severity())
        .unwrap_or(CheckStatus::Ok);
    let mut summary = format!(
        "{} {} used, {} free",
        row.mount,
        percent_text(used),
        bytes_text(free_bytes)
    );
    if let Some(pct) = inode_used {
        summary.push_str(&format!(", inodes {}", percent_text(pct)));
    }
    let detail = format!(
        "filesystem {}\nmounted on {}\nsize {} · used {} · free {}\n",
        row.filesystem,
        row.mount,
        bytes_text(row.total.saturating_mul(1024)),
        bytes_text(row.used.saturating_mul(1024)),
        bytes_text(free_bytes)
    );
    let labels = [
        ("mount".to_string(), row.mount.clone()),
        ("filesystem".to_string(), row.filesystem.clone()),
    ]
    .into();
    Observation {
        status,
        summary,
        detail,
        metrics,
        labels,
        ..Observation::default()
    }
}

fn split_limit(limit: DiskLimit) -> (Option<String>, Option<String>) {
    match limit {
        DiskLimit::UsedPercent(p) => (Some(number(p)), None),
        DiskLimit::FreeBytes(b) => (None, Some(format!("{b}:"))),
    }
}

fn number(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The largest directories under a mount, for the detail view's `d`: `du -x` stays on the
/// one filesystem and `timeout` keeps a huge tree from holding the channel.
pub fn du_command(mount: &str) -> String {
    format!(
        "LC_ALL=C timeout 20 du -x -k -d 3 -- {} 2>/dev/null | sort -rn | head -n 25",
        shell_word(mount)
    )
}

/// `du -k` lines (size in KiB, a tab, the path), largest first, as (bytes, path).
pub fn parse_du(text: &str) -> Vec<(u64, String)> {
    text.lines()
        .filter_map(|line| {
            let (size, path) = line.split_once('\t')?;
            Some((
                size.trim().parse::<u64>().ok()?.saturating_mul(1024),
                path.to_string(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `df -P -k` and `df -P -i` from a Debian 12 host (coreutils 9.1), with a mount point
    /// that has a space in it.
    const DF: &str = "\
Filesystem     1024-blocks     Used Available Capacity Mounted on
/dev/vda1        263174212 38412345 211312299      16% /
/dev/vdb1         10255636  9231208    499756      95% /srv
/dev/mapper/vg-backup data 1048576 524288 524288      50% /mnt/backup data
--inodes--
Filesystem       Inodes  IUsed    IFree IUse% Mounted on
/dev/vda1      16777216 532114 16245102    4% /
/dev/vdb1        655360 652000     3360  100% /srv
/dev/mapper/vg-backup data 65536 10 65526 1% /mnt/backup data
";

    fn pct(p: f64) -> DiskLimit {
        DiskLimit::UsedPercent(p)
    }

    #[test]
    fn every_mount_is_a_row_with_space_and_inodes() {
        let rows = observe("*", DF, pct(80.0), pct(90.0));
        let items: Vec<_> = rows.iter().map(|r| r.item.clone().unwrap()).collect();
        assert_eq!(items, ["/", "/srv", "/mnt/backup data"]);
        assert_eq!(rows[0].status, CheckStatus::Ok);
        assert_eq!(rows[1].status, CheckStatus::Critical);
        let used = &rows[1].metrics[0];
        assert_eq!(used.label, "used");
        assert!((used.value.unwrap() - 94.86).abs() < 0.01, "{used:?}");
        assert_eq!(used.crit.as_deref(), Some("90"));
        assert!(
            rows[1].summary.starts_with("/srv 94.9% used"),
            "{}",
            rows[1].summary
        );
        assert!(
            rows[1].summary.contains("inodes 99.5%"),
            "{}",
            rows[1].summary
        );
        assert_eq!(
            rows[2]
                .metrics
                .iter()
                .find(|m| m.label == "inodes")
                .unwrap()
                .value,
            Some(0.02)
        );
    }

    #[test]
    fn inodes_alone_can_make_a_disk_critical() {
        let df = "Filesystem 1024-blocks Used Available Capacity Mounted on\n\
                  /dev/sdb1 1000 100 900 10% /var\n--inodes--\n\
                  Filesystem Inodes IUsed IFree IUse% Mounted on\n/dev/sdb1 100 97 3 97% /var\n";
        let rows = observe("/var", df, pct(80.0), pct(90.0));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].item, None);
        assert_eq!(rows[0].status, CheckStatus::Critical);
    }

    #[test]
    fn free_bytes_limits_judge_what_is_left() {
        let gib = 1024 * 1024 * 1024;
        let rows = observe(
            "/srv",
            DF.split("/dev/vda1").next().unwrap(),
            DiskLimit::FreeBytes(gib),
            DiskLimit::FreeBytes(gib / 4),
        );
        // Only the header survived that cut: the row says df could not read the path.
        assert_eq!(rows[0].status, CheckStatus::Unknown);
        let one = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vdb1 10255636 9231208 499756 95% /srv\n";
        let rows = observe(
            "/srv",
            one,
            DiskLimit::FreeBytes(gib),
            DiskLimit::FreeBytes(gib / 4),
        );
        assert_eq!(rows[0].status, CheckStatus::Warning, "{:?}", rows[0]);
        let free = rows[0].metrics.iter().find(|m| m.label == "free").unwrap();
        assert_eq!(free.warn.as_deref(), Some("1073741824:"));
    }

    #[test]
    fn the_command_quotes_the_path() {
        let c = command("/mnt/it's here");
        assert!(c.contains(r"'/mnt/it'\''s here'"), "{c}");
        assert!(command("*").contains("-x tmpfs"));
    }

    #[test]
    fn du_lists_largest_first() {
        let out = "5242880\t/srv\n4194304\t/srv/backups\n1024\t/srv/tmp\nnot a line\n";
        let rows = parse_du(out);
        assert_eq!(rows[0], (5_368_709_120, "/srv".into()));
        assert_eq!(rows.len(), 3);
    }
}
