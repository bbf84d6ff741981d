//! The kind keys of a `[[check]]` and the keys that belong to each kind: what a kind's
//! value means (a URL, a path, a device…) and its limits, each checked where it is written.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;

use super::duration::parse_percent;
use super::fields::Fields;
use super::model::{CheckKind, DiskLimit, HttpSpec};
use crate::checks::CheckStatus;

/// The kind key's value and the keys that go with it.
pub(crate) fn kind_spec(f: &mut Fields<'_, '_>, kind: &str, header: Range<usize>) -> CheckKind {
    match kind {
        "http" => CheckKind::Http(http(f)),
        "tcp" => CheckKind::Tcp {
            address: required_text(f, "tcp", "host:port"),
            send: f.string("send").map(Spanned::into_inner),
            banner: regex_text(f, "banner"),
        },
        "nagios" => CheckKind::Nagios {
            command: required_text(f, "nagios", "/usr/lib/nagios/plugins/check_load -w 5 -c 10"),
        },
        "command" => CheckKind::Command {
            command: required_text(f, "command", "test -e /run/app.pid"),
        },
        "disk" => {
            let path = required_text(f, "disk", "/srv");
            let warn = disk_limit(f, "warn").unwrap_or(DiskLimit::UsedPercent(80.0));
            let crit = disk_limit(f, "crit").unwrap_or(DiskLimit::UsedPercent(90.0));
            disk_order(f, warn, crit, header);
            CheckKind::Disk { path, warn, crit }
        }
        "load" => {
            let minutes = match f.integer("load") {
                Some(n) if [1, 5, 15].contains(n.get_ref()) => *n.get_ref() as u8,
                Some(n) => {
                    let message = "load is the average to watch: 1, 5 or 15 (minutes)";
                    f.problems.at(n.span(), message);
                    5
                }
                None => 5,
            };
            let (warn, crit) = number_pair(f, (1.5, 3.0), "per core");
            CheckKind::Load {
                minutes,
                warn,
                crit,
            }
        }
        "memory" => {
            if f.bool("memory") == Some(false) {
                let span = f.key_span("memory").unwrap_or(header);
                let message = "memory = false checks nothing: remove the check, or set true";
                f.problems.at(span, message);
            }
            let (warn, crit) = percent_pair(f, (90.0, 95.0));
            CheckKind::Memory { warn, crit }
        }
        "io" => {
            let device = required_text(f, "io", "sda");
            let (warn, crit) = percent_pair(f, (80.0, 95.0));
            CheckKind::Io { device, warn, crit }
        }
        "process" => {
            let name = required_text(f, "process", "nginx");
            let min = f
                .integer("min")
                .and_then(|n| u32::try_from(*n.get_ref()).ok());
            let max = f
                .integer("max")
                .and_then(|n| u32::try_from(*n.get_ref()).ok());
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    let span = f.key_span("min").unwrap_or(header);
                    f.problems
                        .at(span, format!("min ({lo}) is above max ({hi})"));
                }
            }
            CheckKind::Process {
                name,
                min: min.or(Some(1)),
                max,
            }
        }
        "systemd" => CheckKind::Systemd {
            unit: required_text(f, "systemd", "nginx.service"),
        },
        "munin" => {
            let address = required_text(f, "munin", "127.0.0.1:4949");
            let plugin = f.string("plugin").map(Spanned::into_inner);
            if plugin.is_none() {
                let span = f.key_span("munin").unwrap_or(header);
                let message = "a munin check needs plugin = \"NAME\": the munin plugin to read, \
                               like plugin = \"load\" (`munin-node` lists them for `list`)";
                f.problems.at(span, message);
            }
            CheckKind::Munin {
                address,
                plugin: plugin.unwrap_or_default(),
            }
        }
        "prometheus" => {
            let url = url(f, "prometheus");
            let query = f.string("query").map(Spanned::into_inner);
            if query.is_none() {
                let span = f.key_span("prometheus").unwrap_or(header);
                let message = "a prometheus check needs query = \"PROMQL\", like \
                               query = 'up{job=\"node\"}'";
                f.problems.at(span, message);
            }
            CheckKind::Prometheus {
                url,
                query: query.unwrap_or_default(),
            }
        }
        _ => CheckKind::Alertmanager {
            url: url(f, "alertmanager"),
            severity_map: severity_map(f),
        },
    }
}

fn http(f: &mut Fields<'_, '_>) -> HttpSpec {
    let mut spec = HttpSpec::get(&url(f, "http"));
    if let Some(method) = f.string("method") {
        let upper = method.get_ref().to_ascii_uppercase();
        let valid = !upper.is_empty() && upper.bytes().all(|b| b.is_ascii_alphabetic());
        if !valid {
            let message = "method must be an HTTP method, like \"GET\", \"POST\" or \"HEAD\"";
            f.problems.at(method.span(), message);
        }
        spec.method = upper;
    }
    for (name, value) in f.string_map("headers").unwrap_or_default() {
        let bad_name = name.get_ref().is_empty()
            || !name
                .get_ref()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if bad_name {
            let message = format!("\"{}\" is not a valid header name", name.get_ref());
            f.problems.at(name.span(), message);
        }
        if value.get_ref().contains(['\r', '\n']) {
            f.problems
                .at(value.span(), "a header value must be one line");
        }
        spec.headers.push((name.into_inner(), value.into_inner()));
    }
    spec.body = f.string("body").map(Spanned::into_inner);
    spec.insecure = f.bool("insecure").unwrap_or(false);
    spec.ca = f.path("ca");
    spec.follow_redirects = f.bool("follow_redirects").unwrap_or(true);
    spec
}

fn url(f: &mut Fields<'_, '_>, key: &str) -> String {
    // A wrong type has been reported by `string`.
    let Some(url) = f.string(key) else {
        return String::new();
    };
    let u = url.get_ref();
    if !(u.starts_with("http://") || u.starts_with("https://") || u.starts_with('{')) {
        let message = format!("{key} must be a URL that starts with http:// or https://");
        f.problems.at(url.span(), message);
    }
    url.into_inner()
}

/// The kind key's text, which must not be empty.
fn required_text(f: &mut Fields<'_, '_>, key: &str, example: &str) -> String {
    let Some(value) = f.string(key) else {
        return String::new();
    };
    if value.get_ref().trim().is_empty() {
        let message = format!("{key} must not be empty, like {key} = \"{example}\"");
        f.problems.at(value.span(), message);
    }
    value.into_inner()
}

fn regex_text(f: &mut Fields<'_, '_>, key: &str) -> Option<String> {
    let value = f.string(key)?;
    if let Err(err) = regex::Regex::new(value.get_ref()) {
        let message = format!(
            "bad regex in {key}: {}",
            super::diagnostic::regex_reason(&err)
        );
        f.problems.at(value.span(), message);
    }
    Some(value.into_inner())
}

fn disk_limit(f: &mut Fields<'_, '_>, key: &str) -> Option<DiskLimit> {
    let text = f.string(key)?;
    let t = text.get_ref().trim();
    if t.ends_with('%') {
        return match parse_percent(t) {
            Ok(p) => Some(DiskLimit::UsedPercent(p)),
            Err(err) => {
                f.problems.at(text.span(), err.to_string());
                None
            }
        };
    }
    match parse_bytes(t) {
        Some(bytes) => Some(DiskLimit::FreeBytes(bytes)),
        None => {
            let message = format!(
                "{key} for a disk is a share in use (\"90%\") or free space left (\"10GB\", \
                 \"500MB\"); found \"{t}\""
            );
            f.problems.at(text.span(), message);
            None
        }
    }
}

/// `10GB`, `500MB`, `1.5TB`, `4096B`, `2GiB`: bytes, in powers of 1024 as `df` counts.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().ok()?;
    let scale: f64 = match unit.trim().to_ascii_uppercase().trim_end_matches("IB") {
        "" | "B" => 1.0,
        "K" | "KB" => 1024.0,
        "M" | "MB" => 1024f64.powi(2),
        "G" | "GB" => 1024f64.powi(3),
        "T" | "TB" => 1024f64.powi(4),
        _ => return None,
    };
    let bytes = value * scale;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// warn must be the milder limit: a lower share used, or more free bytes.
fn disk_order(f: &mut Fields<'_, '_>, warn: DiskLimit, crit: DiskLimit, header: Range<usize>) {
    let wrong = match (warn, crit) {
        (DiskLimit::UsedPercent(w), DiskLimit::UsedPercent(c)) => (w > c)
            .then(|| format!("warn ({w}%) is above crit ({c}%): warn is the lower threshold")),
        (DiskLimit::FreeBytes(w), DiskLimit::FreeBytes(c)) => (w < c).then(|| {
            format!("warn ({w} bytes free) is below crit ({c} bytes free): warn comes first")
        }),
        _ => None,
    };
    if let Some(message) = wrong {
        let at = value_span(f, "warn")
            .or_else(|| value_span(f, "crit"))
            .unwrap_or(header);
        f.problems.at(at, message);
    }
}

fn percent_pair(f: &mut Fields<'_, '_>, defaults: (f64, f64)) -> (f64, f64) {
    let read = |f: &mut Fields<'_, '_>, key: &str| {
        let text = f.string(key)?;
        match parse_percent(text.get_ref()) {
            Ok(p) => Some(p),
            Err(err) => {
                f.problems.at(text.span(), err.to_string());
                None
            }
        }
    };
    let warn = read(f, "warn").unwrap_or(defaults.0);
    let crit = read(f, "crit").unwrap_or(defaults.1);
    order(f, warn, crit, "%");
    (warn, crit)
}

fn number_pair(f: &mut Fields<'_, '_>, defaults: (f64, f64), unit: &str) -> (f64, f64) {
    let warn = f.number("warn").map_or(defaults.0, |n| n.into_inner());
    let crit = f.number("crit").map_or(defaults.1, |n| n.into_inner());
    order(f, warn, crit, &format!(" {unit}"));
    (warn, crit)
}

fn order(f: &mut Fields<'_, '_>, warn: f64, crit: f64, unit: &str) {
    if warn > crit {
        if let Some(at) = value_span(f, "warn").or_else(|| value_span(f, "crit")) {
            let message = format!(
                "warn ({warn}{unit}) is above crit ({crit}{unit}): warn is the lower threshold"
            );
            f.problems.at(at, message);
        }
    }
}

fn value_span(f: &Fields<'_, '_>, key: &str) -> Option<Range<usize>> {
    f.get(key).map(|v| v.span())
}

fn severity_map(f: &mut Fields<'_, '_>) -> BTreeMap<String, CheckStatus> {
    let mut map = BTreeMap::new();
    for (severity, state) in f.string_map("severity_map").unwrap_or_default() {
        match CheckStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == state.get_ref())
        {
            Some(status) => {
                map.insert(severity.into_inner(), status);
            }
            None => {
                let message = format!(
                    "severity_map values are states: ok, warning, critical or unknown; found \"{}\"",
                    state.get_ref()
                );
                f.problems.at(state.span(), message);
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_read_as_df_counts_them() {
        assert_eq!(parse_bytes("10GB"), Some(10 * 1024 * 1024 * 1024));
        assert_eq!(parse_bytes("500MB"), Some(500 * 1024 * 1024));
        assert_eq!(parse_bytes("2GiB"), Some(2 * 1024 * 1024 * 1024));
        assert_eq!(parse_bytes("1.5K"), Some(1536));
        assert_eq!(parse_bytes("4096"), Some(4096));
        assert_eq!(parse_bytes("ten"), None);
        assert_eq!(parse_bytes("10XB"), None);
        assert_eq!(parse_bytes(""), None);
    }
}
