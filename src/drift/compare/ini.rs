//! INI and env files read as key paths (`Service.ExecStart`, `PHP.memory_limit`,
//! `DB_HOST`).
//!
//! Hand-written rather than with `rust-ini` or `configparser`: both keep one value per key,
//! and in the files a sheriff compares a repeated key is data (systemd's `ExecStart=`
//! lines, php.ini's `extension=` lines). Here the second `ExecStart` is
//! `Service.ExecStart#2`, and a repeated `[section]` continues the first, as systemd reads
//! it. The same reader takes env files: `export KEY=value`, quoted values, `#` comments.

use super::rules::Format;

/// The `(path, value)` pairs of an INI or env file, in file order, or `None` when a line
/// is neither a section, an assignment, a comment nor blank (then it is not this format).
pub(crate) fn key_values(text: &str, format: Format) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut section = String::new();
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if format == Format::Ini && line.starts_with('[') && line.ends_with(']') {
            section = line[1..line.len() - 1].trim().to_string();
            continue;
        }
        let (key, value) = assignment(line, format)?;
        let path = if section.is_empty() {
            key.to_string()
        } else {
            format!("{section}.{key}")
        };
        let count = seen.entry(path.clone()).or_insert(0);
        *count += 1;
        let path = if *count == 1 {
            path
        } else {
            format!("{path}#{count}")
        };
        pairs.push((path, value));
    }
    Some(pairs)
}

/// `key = value` (or `KEY=value`, `export KEY="value"`) split, the value unquoted.
fn assignment(line: &str, format: Format) -> Option<(&str, String)> {
    let line = match format {
        Format::Env => line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line),
        _ => line,
    };
    let is_plain = |key: &str| {
        !key.is_empty()
            && key.chars().all(|c| {
                c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '/' | ' ')
            })
    };
    match line.split_once('=') {
        Some((key, value)) if is_plain(key.trim()) => Some((key.trim(), unquote(value.trim()))),
        // my.cnf's bare options (`skip-name-resolve`) are set by being there.
        None if format == Format::Ini && is_plain(line) => Some((line, String::new())),
        _ => None,
    }
}

/// A value without its quotes, or without a trailing ` # comment` when unquoted.
fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote) {
            if let Some(end) = inner.find(quote) {
                let inner = &inner[..end];
                return if quote == '"' {
                    inner.replace("\\\"", "\"").replace("\\n", "\n")
                } else {
                    inner.to_string()
                };
            }
        }
    }
    match value.find(" #") {
        Some(at) => value[..at].trim_end().to_string(),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_systemd_unit_keeps_every_repeated_key() {
        let unit = "[Unit]\nDescription=API\n\n[Service]\nExecStartPre=/bin/true\n\
                    ExecStart=/usr/bin/api --port 80\nExecStart=/usr/bin/api --port 81\n";
        let pairs = key_values(unit, Format::Ini).unwrap();
        let paths: Vec<&str> = pairs.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "Unit.Description",
                "Service.ExecStartPre",
                "Service.ExecStart",
                "Service.ExecStart#2"
            ]
        );
        assert_eq!(pairs[3].1, "/usr/bin/api --port 81");
    }

    #[test]
    fn env_files_take_export_quotes_and_trailing_comments() {
        let env = "export DB_HOST=\"db.internal\"\nNAME='my app'\nWORKERS=4 # per core\n";
        let pairs = key_values(env, Format::Env).unwrap();
        assert_eq!(
            pairs,
            [
                ("DB_HOST".to_string(), "db.internal".to_string()),
                ("NAME".to_string(), "my app".to_string()),
                ("WORKERS".to_string(), "4".to_string()),
            ]
        );
    }

    #[test]
    fn bare_options_of_my_cnf_are_keys_without_a_value() {
        let pairs = key_values("[mysqld]\nskip-name-resolve\nport = 3306\n", Format::Ini).unwrap();
        assert_eq!(
            pairs[0],
            ("mysqld.skip-name-resolve".to_string(), String::new())
        );
    }

    #[test]
    fn a_line_that_is_not_an_assignment_means_not_this_format() {
        assert!(key_values("worker_processes 4;\n", Format::Ini).is_none());
        assert!(key_values("SKIP_CHECKS\n", Format::Env).is_none());
        assert!(key_values("[section]\n", Format::Env).is_none());
    }
}
