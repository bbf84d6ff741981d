//! The formats a source can be in, by the names the config uses.

use std::fmt;

use regex::Regex;

/// How the lines of one source are written.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    /// Not known yet: told by the first lines the parser meets (see [`super::detect`]).
    Auto,
    /// A line that starts with an ISO 8601 / RFC 3339 time, e.g. rsyslog's file format.
    Iso8601,
    /// Syslog's traditional format, `May  1 12:00:01 host app[pid]: text`.
    Syslog3164,
    /// `<34>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] text`.
    Syslog5424,
    /// nginx's `combined` access log, which is also Apache's `common` and `combined`.
    NginxAccess,
    /// `2024/05/01 12:00:01 [error] 12#12: *3 text`.
    NginxError,
    /// `[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 12] text` (2.2 and 2.4).
    ApacheError,
    /// `I0501 12:00:01.123456  1234 file.cc:12] text`.
    Glog,
    /// `2024-05-01 12:00:01,123 ERROR [main] text`: log4j, logback, Python's logging; also
    /// logback's default `12:00:01.123 [main] ERROR text`, dated as [`LineParser::with_year_hint`]
    /// says.
    ///
    /// [`LineParser::with_year_hint`]: super::LineParser::with_year_hint
    Log4j,
    /// Seconds (10 digits) or milliseconds (13) since 1970 at the start of the line.
    Epoch,
    /// `time=… level=info msg="…"` pairs, as Heroku and Go's slog write.
    Logfmt,
    /// One JSON object per line with `time`, `level` and `msg` fields or the like.
    JsonLines,
    /// `journalctl -o json`: one journal entry per line.
    Journald,
    /// A regex of the user's with named groups `time`, `level` and `msg`.
    Custom(NamedRegex),
    /// No format: no time, the level guessed from the words.
    Plain,
}

/// The config names of the formats, with the aliases each also answers to.
const NAMES: &[(&str, &[&str])] = &[
    ("auto", &[]),
    ("iso8601", &["iso", "rfc3339"]),
    ("syslog", &["rfc3164", "syslog3164"]),
    ("syslog5424", &["rfc5424"]),
    (
        "nginx_access",
        &["apache_access", "combined", "common", "access"],
    ),
    ("nginx_error", &[]),
    ("apache_error", &[]),
    ("glog", &[]),
    ("log4j", &["logback", "python"]),
    ("epoch", &[]),
    ("logfmt", &[]),
    ("json", &["jsonl", "json_lines", "ndjson"]),
    ("journald", &["journal", "journalctl"]),
    ("plain", &["none", "text"]),
];

impl Format {
    /// The format a config names (`format = "nginx_access"`); the name is read in any
    /// case, with `-` for `_`. A regex is given with [`Format::custom`] instead.
    ///
    /// ```
    /// use sheriff::logs::parse::Format;
    /// assert_eq!(Format::from_config("Nginx-Access"), Ok(Format::NginxAccess));
    /// assert!(Format::from_config("nginx").unwrap_err().contains("nginx_access"));
    /// ```
    pub fn from_config(name: &str) -> Result<Format, String> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        let known = NAMES
            .iter()
            .find(|(main, aliases)| *main == name || aliases.contains(&name.as_str()))
            .map(|(main, _)| *main);
        let format = match known {
            Some("auto") => Format::Auto,
            Some("iso8601") => Format::Iso8601,
            Some("syslog") => Format::Syslog3164,
            Some("syslog5424") => Format::Syslog5424,
            Some("nginx_access") => Format::NginxAccess,
            Some("nginx_error") => Format::NginxError,
            Some("apache_error") => Format::ApacheError,
            Some("glog") => Format::Glog,
            Some("log4j") => Format::Log4j,
            Some("epoch") => Format::Epoch,
            Some("logfmt") => Format::Logfmt,
            Some("json") => Format::JsonLines,
            Some("journald") => Format::Journald,
            Some("plain") => Format::Plain,
            _ => {
                let valid: Vec<&str> = NAMES.iter().map(|(main, _)| *main).collect();
                return Err(format!(
                    "unknown log format \"{name}\"; valid formats: {}, or a regex with \
                     named groups time, level and msg",
                    valid.join(", ")
                ));
            }
        };
        Ok(format)
    }

    /// A format from a regex with named groups `time`, `level` and `msg`, at least one of
    /// them. The `time` group is read as any of the shapes the other formats write.
    ///
    /// ```
    /// use sheriff::logs::parse::Format;
    /// assert!(Format::custom(r"^(?P<time>\S+) (?P<level>\w+) (?P<msg>.*)").is_ok());
    /// assert!(Format::custom(r"^(\S+) (.*)").is_err());
    /// ```
    pub fn custom(regex: &str) -> Result<Format, String> {
        NamedRegex::new(regex).map(Format::Custom)
    }

    /// The name [`Format::from_config`] reads back; `"custom"` for a regex.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Iso8601 => "iso8601",
            Format::Syslog3164 => "syslog",
            Format::Syslog5424 => "syslog5424",
            Format::NginxAccess => "nginx_access",
            Format::NginxError => "nginx_error",
            Format::ApacheError => "apache_error",
            Format::Glog => "glog",
            Format::Log4j => "log4j",
            Format::Epoch => "epoch",
            Format::Logfmt => "logfmt",
            Format::JsonLines => "json",
            Format::Journald => "journald",
            Format::Custom(_) => "custom",
            Format::Plain => "plain",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Custom(re) => write!(f, "custom /{}/", re.regex.as_str()),
            other => f.write_str(other.name()),
        }
    }
}

/// A regex known to have at least one of the groups `time`, `level`, `msg`.
#[derive(Debug, Clone)]
pub struct NamedRegex {
    pub(super) regex: Regex,
}

impl NamedRegex {
    /// Compiles `regex`; an error says what is wrong with it or that it names no group.
    pub fn new(regex: &str) -> Result<NamedRegex, String> {
        let compiled = Regex::new(regex).map_err(|e| format!("bad log format regex: {e}"))?;
        let named = compiled
            .capture_names()
            .flatten()
            .any(|n| matches!(n, "time" | "level" | "msg"));
        if !named {
            return Err(format!(
                "the log format regex /{regex}/ names none of the groups time, level, msg; \
                 write them as (?P<time>…), (?P<level>…), (?P<msg>…)"
            ));
        }
        Ok(NamedRegex { regex: compiled })
    }

    /// The regex as written.
    pub fn as_str(&self) -> &str {
        self.regex.as_str()
    }
}

/// Two regexes are the same format when they are written the same.
impl PartialEq for NamedRegex {
    fn eq(&self, other: &NamedRegex) -> bool {
        self.regex.as_str() == other.regex.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back() {
        for (main, aliases) in NAMES {
            let format = Format::from_config(main).expect(main);
            assert_eq!(format.name(), *main);
            for alias in *aliases {
                assert_eq!(Format::from_config(alias).as_ref(), Ok(&format), "{alias}");
            }
        }
        assert_eq!(Format::from_config(" JSON "), Ok(Format::JsonLines));
    }

    #[test]
    fn errors_say_what_is_valid() {
        let err = Format::from_config("apache").unwrap_err();
        assert!(
            err.contains("\"apache\"") && err.contains("apache_error, glog"),
            "{err}"
        );
        let err = Format::custom("(?P<time>").unwrap_err();
        assert!(err.starts_with("bad log format regex"), "{err}");
        let err = Format::custom(r"(?P<when>\S+)").unwrap_err();
        assert!(err.contains("names none of the groups"), "{err}");
        let ok = Format::custom(r"(?P<msg>.*)").expect("msg only");
        assert_eq!(ok.to_string(), "custom /(?P<msg>.*)/");
    }
}
