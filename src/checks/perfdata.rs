//! The Nagios plugin API: what a plugin's stdout and exit code say, and the threshold
//! ranges its performance data carries. [`Metric`] is also the one metric type of every
//! other check kind.
//!
//! Per the Monitoring Plugins Development Guidelines ("Plugin Output", "Performance data",
//! "Threshold and ranges") and Nagios' plugin API: line 1 is the summary, later lines are
//! long output; perfdata follows the first `|` on line 1, and the first `|` in the long
//! output, after which every further line is perfdata too. An item is
//! `'label'=value[UOM];[warn];[crit];[min];[max]`; warn and crit are ranges such as `10`,
//! `10:`, `~:10`, `10:20` or `@10:20`, ends inclusive.
//!
//! Written here rather than taken from the `perfdata` crate: that crate fails a whole
//! perfdata string on its first bad item, rejects `''` in labels and units beyond a few
//! (`MB` and `ms` among those it rejects), and does not split summary from long output.
//! A check must show what a plugin said even when part of it is garbage, so each bad item
//! is set aside with its raw text and the rest still parses.

use std::fmt;

use super::CheckStatus;

/// How much of a bad item's raw text a problem quotes: enough to recognise it, without
/// copying a runaway plugin's megabyte into every message.
const PROBLEM_QUOTE_CHARS: usize = 120;

/// One perfdata value, as the plugin wrote it. This is THE metric type of sheriff: every
/// check kind (nagios, disk, munin, prometheus…) reports its numbers as `Metric`s.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metric {
    /// The name the plugin gave it: `load1`, `/var/log`, `disk usage`.
    pub label: String,
    /// `None` where the plugin wrote `U`: it could not measure the value.
    pub value: Option<f64>,
    /// Unit of measurement as written: "", "s", "ms", "us", "%", "B", "KB", "MB", "c"…
    pub uom: String,
    /// The warning range exactly as written; `None` where absent or empty.
    pub warn: Option<String>,
    /// The critical range exactly as written; `None` where absent or empty.
    pub crit: Option<String>,
    /// The least and greatest values it can take, where the plugin says.
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Metric {
    /// A metric without thresholds or limits, for check kinds that measure it themselves.
    pub fn new(label: impl Into<String>, value: Option<f64>, uom: impl Into<String>) -> Metric {
        Metric {
            label: label.into(),
            value,
            uom: uom.into(),
            warn: None,
            crit: None,
            min: None,
            max: None,
        }
    }

    /// The same metric with these warning and critical ranges (see [`Range`]).
    pub fn with_thresholds(self, warn: Option<String>, crit: Option<String>) -> Metric {
        Metric { warn, crit, ..self }
    }

    /// The state the thresholds give this value: Some(Critical) if crit alerts, Some(Warning)
    /// if warn alerts, Some(Ok) if a threshold exists and neither alerts, None without any
    /// threshold or value. A threshold that does not parse is ignored here (see
    /// [`PluginOutput::problems`]).
    ///
    /// ```
    /// use sheriff::checks::{CheckStatus, Metric};
    /// let load = Metric::new("load1", Some(7.0), "").with_thresholds(Some("5".into()), Some("10".into()));
    /// assert_eq!(load.state(), Some(CheckStatus::Warning));
    /// ```
    pub fn state(&self) -> Option<CheckStatus> {
        let value = self.value?;
        let (warn, crit) = (self.range(&self.warn), self.range(&self.crit));
        if warn.is_none() && crit.is_none() {
            return None;
        }
        Some(if crit.is_some_and(|r| r.alerts(value)) {
            CheckStatus::Critical
        } else if warn.is_some_and(|r| r.alerts(value)) {
            CheckStatus::Warning
        } else {
            CheckStatus::Ok
        })
    }

    /// The boundary this value would cross next moving up (rising) or down, where an alert
    /// would begin: from the crit range, else the warn range, for forecasts. `90` rising ->
    /// Some(90.0); `10:` falling -> Some(10.0); None without a value or such a boundary.
    pub fn next_boundary(&self, rising: bool) -> Option<f64> {
        let value = self.value?;
        let from = |range: &Option<String>| self.range(range)?.next_boundary(value, rising);
        from(&self.crit).or_else(|| from(&self.warn))
    }

    fn range(&self, text: &Option<String>) -> Option<Range> {
        Range::parse(text.as_deref()?).ok()
    }
}

/// A Nagios threshold range: `10`, `10:`, `~:10`, `10:20`, `@10:20`.
///
/// It alerts when the value is outside `start..=end`, or with `@` inside it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// `f64::NEG_INFINITY` for `~`.
    pub start: f64,
    /// `f64::INFINITY` for an open end (`10:`).
    pub end: f64,
    /// Written with `@`: alert inside the range rather than outside.
    pub inside: bool,
}

/// A threshold range that did not parse; `why` says what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeError {
    /// The range as written.
    pub text: String,
    /// What is wrong with it: "the start 20 is above the end 10".
    pub why: String,
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad threshold range \"{}\": {}; write e.g. 10, 10:, ~:10, 10:20 or @10:20",
            self.text, self.why
        )
    }
}

impl std::error::Error for RangeError {}

impl Range {
    /// Parses `[@]start:end`, where start and `:` may be left out for 0, `~` is minus
    /// infinity and an empty end is infinity.
    ///
    /// ```
    /// use sheriff::checks::perfdata::Range;
    /// let r = Range::parse("10:20").unwrap();
    /// assert!(r.alerts(9.0) && !r.alerts(10.0) && !r.alerts(20.0) && r.alerts(21.0));
    /// assert!(Range::parse("20:10").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Range, RangeError> {
        let bad = |why: String| RangeError {
            text: text.to_string(),
            why,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(bad("it is empty".into()));
        }
        let (inside, body) = match trimmed.strip_prefix('@') {
            Some(body) => (true, body),
            None => (false, trimmed),
        };
        let number = |part: &str, which: &str| match split_number(part) {
            Some((n, "")) => Ok(n),
            _ if part.is_empty() => Err(bad(format!("the {which} is missing"))),
            _ => Err(bad(format!("the {which} \"{part}\" is not a number"))),
        };
        let (start, end) = match body.split_once(':') {
            None if body == "~" => return Err(bad("~ (minus infinity) needs a : after it".into())),
            None => (0.0, number(body, "end")?),
            Some((start, end)) => {
                let start = match start {
                    "~" => f64::NEG_INFINITY,
                    "" => 0.0,
                    start => number(start, "start")?,
                };
                let end = if end.is_empty() {
                    f64::INFINITY
                } else {
                    number(end, "end")?
                };
                (start, end)
            }
        };
        if start > end {
            return Err(bad(format!("the start {start} is above the end {end}")));
        }
        Ok(Range { start, end, inside })
    }

    /// Whether `value` raises an alert, per the guidelines: outside the range, or inside
    /// it for `@`, both ends inclusive. A NaN never alerts.
    pub fn alerts(&self, value: f64) -> bool {
        if value.is_nan() {
            return false;
        }
        let within = self.start <= value && value <= self.end;
        within == self.inside
    }

    /// The value at which an alert would begin, moving from `current` up (`rising`) or
    /// down; None when no alert begins that way (already alerting, or an open end).
    pub fn next_boundary(&self, current: f64, rising: bool) -> Option<f64> {
        let boundary = match (self.inside, rising) {
            // Alerts beyond the ends: the end ahead, unless already past it.
            (false, true) => Some(self.end).filter(|end| current <= *end),
            (false, false) => Some(self.start).filter(|start| current >= *start),
            // Alerts within: the near end, when still outside on that side.
            (true, true) => Some(self.start).filter(|start| current < *start),
            (true, false) => Some(self.end).filter(|end| current > *end),
        };
        boundary.filter(|b| b.is_finite())
    }
}

/// What a plugin printed, split per the plugin API.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PluginOutput {
    /// The first line, before any `|`, trimmed.
    pub summary: String,
    /// Lines 2.., without their perfdata parts.
    pub long_output: String,
    /// The perfdata items that parsed, in the order written.
    pub metrics: Vec<Metric>,
    /// Perfdata items (or parts of them) that did not parse, each quoting the raw text.
    pub problems: Vec<String>,
}

/// Splits a plugin's stdout into summary, long output and metrics. Never fails: what does
/// not parse lands in `problems` and the rest is kept.
///
/// ```
/// use sheriff::checks::perfdata::parse_plugin_output;
/// let out = parse_plugin_output("USERS OK - 0 users currently logged in |users=0;5;10;0\n");
/// assert_eq!(out.summary, "USERS OK - 0 users currently logged in");
/// assert_eq!(out.metrics[0].label, "users");
/// assert_eq!(out.metrics[0].warn.as_deref(), Some("5"));
/// ```
pub fn parse_plugin_output(stdout: &str) -> PluginOutput {
    let mut lines = stdout.lines();
    let first = lines.next().unwrap_or("");
    let mut perf_parts = Vec::new();
    let summary = match first.split_once('|') {
        Some((text, perf)) => {
            perf_parts.push(perf);
            text
        }
        None => first,
    };
    let mut long = Vec::new();
    let mut in_perfdata = false;
    for line in lines {
        if in_perfdata {
            perf_parts.push(line);
            continue;
        }
        match line.split_once('|') {
            Some((text, perf)) => {
                if !text.trim().is_empty() {
                    long.push(text.trim_end());
                }
                perf_parts.push(perf);
                in_perfdata = true;
            }
            None => long.push(line),
        }
    }
    while long.last().is_some_and(|l| l.trim().is_empty()) {
        long.pop();
    }
    let mut out = PluginOutput {
        summary: summary.trim().to_string(),
        long_output: long.join("\n"),
        ..PluginOutput::default()
    };
    // Each part on its own: Nagios glues them together without a space, which would run
    // the last item of one line into the first of the next.
    for part in perf_parts {
        parse_perfdata(part, &mut out);
    }
    out
}

/// Exit code -> state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, anything else (or None,
/// killed by a signal) UNKNOWN.
pub fn status_from_exit(code: Option<i32>) -> CheckStatus {
    match code {
        Some(0) => CheckStatus::Ok,
        Some(1) => CheckStatus::Warning,
        Some(2) => CheckStatus::Critical,
        _ => CheckStatus::Unknown,
    }
}

/// Parses the space-separated items of one perfdata part into `out`.
fn parse_perfdata(mut rest: &str, out: &mut PluginOutput) {
    while !rest.trim_start().is_empty() {
        let item = next_item(rest.trim_start());
        rest = item.after;
        let metric = item
            .label
            .map_err(String::from)
            .and_then(|(label, data)| parse_data(label, data, item.raw, &mut out.problems));
        match metric {
            Ok(metric) => out.metrics.push(metric),
            Err(why) => out.problems.push(problem(item.raw, &why)),
        }
    }
}

/// One item of perfdata: its raw text, what follows it, and its label and the data after
/// `=`, or why it has none.
struct Item<'a> {
    raw: &'a str,
    after: &'a str,
    label: Result<(String, &'a str), &'static str>,
}

/// The item at the start of `text`, which starts with no space.
fn next_item(text: &str) -> Item<'_> {
    let word_end = |from: usize| {
        text[from..]
            .find(char::is_whitespace)
            .map_or(text.len(), |i| from + i)
    };
    let item = |end: usize, label| {
        let (raw, after) = text.split_at(end);
        Item { raw, after, label }
    };
    let Some(quoted) = text.strip_prefix('\'') else {
        let end = word_end(0);
        let label = match text[..end].split_once('=') {
            Some(("", _)) => Err("the label is empty"),
            Some((label, data)) => Ok((label.to_string(), data)),
            None => Err("no \"=\" between label and value"),
        };
        return item(end, label);
    };
    let mut label = String::new();
    let mut chars = quoted.char_indices();
    let close = loop {
        match chars.next() {
            // `''` inside quotes is one literal quote.
            Some((i, '\'')) if quoted[i + 1..].starts_with('\'') => {
                label.push('\'');
                chars.next();
            }
            Some((i, '\'')) => break 1 + i,
            Some((_, c)) => label.push(c),
            None => return item(word_end(0), Err("the label's quote is not closed")),
        }
    };
    let end = word_end(close + 1);
    let label = match text[close + 1..end].strip_prefix('=') {
        Some(_) if label.is_empty() => Err("the label is empty"),
        Some(data) => Ok((label, data)),
        None => Err("no \"=\" after the quoted label"),
    };
    item(end, label)
}

/// `value[UOM];[warn];[crit];[min];[max]` into a metric. A bad value fails the item; a bad
/// threshold or limit is reported in `problems` and the rest of the item kept.
fn parse_data(
    label: String,
    data: &str,
    raw: &str,
    problems: &mut Vec<String>,
) -> Result<Metric, String> {
    let mut fields = data.split(';');
    let value_text = fields.next().unwrap_or("");
    let (value, uom) = match value_text {
        "" => return Err("the value is empty".into()),
        "U" => (None, ""),
        text => match split_number(text) {
            Some((value, uom)) if is_uom(uom) => (Some(value), uom),
            _ => return Err(format!("the value \"{text}\" is not a number")),
        },
    };
    let mut next = || fields.next().map(str::trim).filter(|t| !t.is_empty());
    let (warn, crit, min, max) = (next(), next(), next(), next());
    for (which, text) in [("warning", warn), ("critical", crit)] {
        if let Some(Err(err)) = text.map(Range::parse) {
            problems.push(problem(raw, &format!("the {which} range: {}", err.why)));
        }
    }
    let mut limit = |which: &str, text: Option<&str>| match text.map(split_number)? {
        // Some plugins repeat the unit on min and max.
        Some((n, rest)) if is_uom(rest) => Some(n),
        _ => {
            let why = format!("the {which} \"{}\" is not a number", text.unwrap_or(""));
            problems.push(problem(raw, &why));
            None
        }
    };
    let metric = Metric {
        min: limit("min", min),
        max: limit("max", max),
        ..Metric::new(label, value, uom)
            .with_thresholds(warn.map(String::from), crit.map(String::from))
    };
    Ok(metric)
}

/// A unit of measurement: no digits or quotes (the guidelines' rule), and no `.` or `,`,
/// so neither `1.2.x` nor a decimal comma (`0,8` from a plugin run in a German locale)
/// passes for a number with a unit.
fn is_uom(text: &str) -> bool {
    !text.contains(|c: char| c.is_ascii_digit() || matches!(c, '\'' | '"' | '.' | ','))
}

/// "raw: why", the raw text cut short when long.
fn problem(raw: &str, why: &str) -> String {
    match raw.char_indices().nth(PROBLEM_QUOTE_CHARS) {
        Some((cut, _)) => format!("{}…: {why}", &raw[..cut]),
        None => format!("{raw}: {why}"),
    }
}

/// The number at the start of `text` and what follows it: an optional sign, digits with an
/// optional decimal point, and an exponent only where digits follow the `e` (so a unit
/// after the number is not taken for one). None when `text` does not start with a finite
/// number; `inf` and `NaN`, which Rust's float parser takes, are not numbers here.
pub(crate) fn split_number(text: &str) -> Option<(f64, &str)> {
    let bytes = text.as_bytes();
    let digits_from = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut end = usize::from(matches!(bytes.first(), Some(b'-' | b'+')));
    let int_end = digits_from(end);
    let mut digits = int_end - end;
    end = int_end;
    if bytes.get(end) == Some(&b'.') {
        let frac_end = digits_from(end + 1);
        digits += frac_end - end - 1;
        end = frac_end;
    }
    if digits == 0 {
        return None;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(end + 1), Some(b'-' | b'+')));
        let exp_end = digits_from(end + 1 + sign);
        if exp_end > end + 1 + sign {
            end = exp_end;
        }
    }
    // Everything up to `end` is ASCII, so `end` is a char boundary.
    let value: f64 = text[..end].parse().ok()?;
    value.is_finite().then(|| (value, &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> Range {
        Range::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn metric(label: &str, value: f64, warn: &str, crit: &str) -> Metric {
        let some = |t: &str| (!t.is_empty()).then(|| t.to_string());
        Metric::new(label, Some(value), "").with_thresholds(some(warn), some(crit))
    }

    /// The guidelines' table "Example ranges": which values alert.
    #[test]
    fn example_ranges_alert_as_the_guidelines_table_says() {
        let inf = f64::INFINITY;
        for (text, start, end, inside, alerting, quiet) in [
            (
                "10",
                0.0,
                10.0,
                false,
                &[-1.0, 10.5, 11.0][..],
                &[0.0, 5.0, 10.0][..],
            ),
            ("10:", 10.0, inf, false, &[9.9, 0.0, -5.0], &[10.0, 1e9]),
            ("~:10", -inf, 10.0, false, &[10.1, 11.0], &[10.0, -1e9]),
            (
                "10:20",
                10.0,
                20.0,
                false,
                &[9.0, 21.0],
                &[10.0, 15.0, 20.0],
            ),
            (
                "@10:20",
                10.0,
                20.0,
                true,
                &[10.0, 15.0, 20.0],
                &[9.9, 20.1],
            ),
        ] {
            let r = range(text);
            assert_eq!((r.start, r.end, r.inside), (start, end, inside), "{text}");
            for v in alerting {
                assert!(r.alerts(*v), "{text} should alert at {v}");
            }
            for v in quiet {
                assert!(!r.alerts(*v), "{text} should not alert at {v}");
            }
        }
        assert!(!range("10").alerts(f64::NAN));
    }

    /// The guidelines' table "Command line examples", read as a metric's warn and crit.
    #[test]
    fn command_line_examples_give_the_states_the_guidelines_describe() {
        use CheckStatus::{Critical as C, Ok as O, Warning as W};
        for (warn, crit, cases) in [
            // Critical over 20, else warn over 10; critical below 0.
            ("10", "20", &[(5.0, O), (15.0, W), (25.0, C), (-1.0, C)][..]),
            // Same, negative is OK.
            ("~:10", "~:20", &[(5.0, O), (15.0, W), (25.0, C), (-1.0, O)]),
            // Critical over 20, else warn below 10; critical below 0.
            ("10:", "20", &[(5.0, W), (15.0, O), (25.0, C), (-1.0, C)]),
            ("", "1:", &[(0.0, C), (1.0, O), (100.0, O)]),
            // Critical above 10, warn above zero; critical below 0.
            ("~:0", "10", &[(0.0, O), (5.0, W), (11.0, C), (-1.0, C)]),
            ("", "5:6", &[(4.0, C), (5.5, O), (7.0, C)]),
            // OK below 10 or above 20, else critical.
            ("", "@10:20", &[(9.0, O), (15.0, C), (21.0, O)]),
        ] {
            for (value, want) in cases {
                let m = metric("stuff", *value, warn, crit);
                assert_eq!(m.state(), Some(*want), "-w {warn} -c {crit} at {value}");
            }
        }
    }

    #[test]
    fn state_is_none_without_value_or_thresholds_and_ignores_bad_ranges() {
        assert_eq!(metric("x", 5.0, "", "").state(), None);
        let unknown = Metric::new("x", None, "").with_thresholds(Some("1".into()), None);
        assert_eq!(unknown.state(), None);
        // An unparsable crit is ignored; the warn still counts.
        assert_eq!(
            metric("x", 5.0, "3", "oops").state(),
            Some(CheckStatus::Warning)
        );
        assert_eq!(metric("x", 5.0, "", "oops").state(), None);
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        for (text, why) in [
            ("", "it is empty"),
            ("abc", "the end \"abc\" is not a number"),
            ("20:10", "the start 20 is above the end 10"),
            ("@", "the end is missing"),
            ("10:20:30", "the end \"20:30\" is not a number"),
            ("~", "~ (minus infinity) needs a : after it"),
            ("10%", "the end \"10%\" is not a number"),
            ("inf", "the end \"inf\" is not a number"),
            ("1e999", "the end \"1e999\" is not a number"),
        ] {
            assert_eq!(
                Range::parse(text).map_err(|e| e.why),
                Err(why.into()),
                "{text:?}"
            );
        }
        assert_eq!(
            Range::parse("20:10").unwrap_err().to_string(),
            "bad threshold range \"20:10\": the start 20 is above the end 10; write e.g. \
             10, 10:, ~:10, 10:20 or @10:20"
        );
        // Forms the C library accepts.
        assert_eq!(range(":10"), range("10"));
        assert_eq!(range(" 10 "), range("10"));
        assert_eq!(
            range("-5:-1e-1"),
            Range {
                start: -5.0,
                end: -0.1,
                inside: false
            }
        );
        assert_eq!(range("~:").end, f64::INFINITY);
    }

    #[test]
    fn next_boundary_is_where_an_alert_begins() {
        assert_eq!(range("90").next_boundary(50.0, true), Some(90.0));
        assert_eq!(range("90").next_boundary(50.0, false), Some(0.0));
        assert_eq!(range("90").next_boundary(95.0, true), None);
        assert_eq!(range("10:").next_boundary(50.0, false), Some(10.0));
        assert_eq!(range("10:").next_boundary(50.0, true), None);
        assert_eq!(range("~:10").next_boundary(5.0, false), None);
        assert_eq!(range("@10:20").next_boundary(5.0, true), Some(10.0));
        assert_eq!(range("@10:20").next_boundary(25.0, false), Some(20.0));
        assert_eq!(range("@10:20").next_boundary(15.0, true), None);
        // A metric looks at crit first, then warn.
        let disk = metric("/", 60.0, "80", "90");
        assert_eq!(disk.next_boundary(true), Some(90.0));
        let free = metric("free", 50.0, "20:", "10:");
        assert_eq!(free.next_boundary(false), Some(10.0));
        assert_eq!(free.next_boundary(true), None);
        let only_warn = metric("x", 1.0, "5", "");
        assert_eq!(only_warn.next_boundary(true), Some(5.0));
        assert_eq!(Metric::new("x", None, "").next_boundary(true), None);
    }

    #[test]
    fn exit_codes_map_to_states() {
        assert_eq!(status_from_exit(Some(0)), CheckStatus::Ok);
        assert_eq!(status_from_exit(Some(1)), CheckStatus::Warning);
        assert_eq!(status_from_exit(Some(2)), CheckStatus::Critical);
        assert_eq!(status_from_exit(Some(3)), CheckStatus::Unknown);
        for code in [Some(4), Some(126), Some(127), Some(255), Some(-1), None] {
            assert_eq!(status_from_exit(code), CheckStatus::Unknown, "{code:?}");
        }
    }

    fn full(label: &str, value: f64, uom: &str, fields: [Option<&str>; 4]) -> Metric {
        let [warn, crit, min, max] = fields;
        let num = |t: Option<&str>| t.map(|t| t.parse::<f64>().expect("test number"));
        Metric {
            min: num(min),
            max: num(max),
            ..Metric::new(label, Some(value), uom)
                .with_thresholds(warn.map(String::from), crit.map(String::from))
        }
    }

    /// The guidelines' and Nagios' single-line example.
    #[test]
    fn parses_the_disk_example() {
        let out = parse_plugin_output(
            "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n",
        );
        assert_eq!(out.summary, "DISK OK - free space: / 3326 MB (56%);");
        assert_eq!(out.long_output, "");
        assert_eq!(
            out.metrics,
            [full(
                "/",
                2643.0,
                "MB",
                [Some("5948"), Some("5958"), Some("0"), Some("5968")]
            )]
        );
        assert!(out.problems.is_empty());
    }

    /// Nagios' plugin API multi-line example: perfdata on line 1, then after the `|` in
    /// the long output, and every line after that.
    #[test]
    fn parses_the_multi_line_example() {
        let out = parse_plugin_output(
            "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n\
             / 15272 MB (77%);\n\
             /boot 68 MB (69%);\n\
             /home 69357 MB (27%);\n\
             /var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n\
             /home=69357MB;253404;253409;0;253414 \n\
             /var/log=818MB;970;975;0;980\n",
        );
        assert_eq!(out.summary, "DISK OK - free space: / 3326 MB (56%);");
        assert_eq!(
            out.long_output,
            "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n/var/log 819 MB (84%);"
        );
        let labels: Vec<&str> = out.metrics.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["/", "/boot", "/home", "/var/log"]);
        assert_eq!(
            out.metrics[3],
            full(
                "/var/log",
                818.0,
                "MB",
                [Some("970"), Some("975"), Some("0"), Some("980")]
            )
        );
        assert!(out.problems.is_empty());
    }

    #[test]
    fn reads_quoted_labels_units_and_odd_numbers() {
        let out = parse_plugin_output(
            "OK | 'disk usage'=5% 'a=b'=1 'it''s'=2 ''''=3 neg=-1.5 exp=1e3 small=2.5E-3ms \
             undecided=U;1;2 trailing=4;;; t=0.008442s;;;0.000000;10.000000 c=12345c",
        );
        let got: Vec<(&str, Option<f64>, &str)> = out
            .metrics
            .iter()
            .map(|m| (m.label.as_str(), m.value, m.uom.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("disk usage", Some(5.0), "%"),
                ("a=b", Some(1.0), ""),
                ("it's", Some(2.0), ""),
                ("'", Some(3.0), ""),
                ("neg", Some(-1.5), ""),
                ("exp", Some(1000.0), ""),
                ("small", Some(0.0025), "ms"),
                ("undecided", None, ""),
                ("trailing", Some(4.0), ""),
                ("t", Some(0.008442), "s"),
                ("c", Some(12345.0), "c"),
            ]
        );
        assert_eq!(out.metrics[7].warn.as_deref(), Some("1"));
        assert_eq!(out.metrics[8].warn, None);
        assert_eq!(
            (out.metrics[9].min, out.metrics[9].max),
            (Some(0.0), Some(10.0))
        );
        assert!(out.problems.is_empty(), "{:?}", out.problems);
    }

    #[test]
    fn garbage_lands_in_problems_and_the_rest_still_parses() {
        let out = parse_plugin_output(
            "PING OK - Packet loss = 0%, RTA = 0.30 ms| =3;;;; dgasdg =;;;; sff=;;;; \
             label=abc 'open=1 good=7;5;10 12.5.3=x v=1.2.3 w=5;oops;20;zero",
        );
        assert_eq!(out.summary, "PING OK - Packet loss = 0%, RTA = 0.30 ms");
        // A bad range or limit costs only that field: w is kept.
        assert_eq!(
            out.metrics,
            [
                metric("good", 7.0, "5", "10"),
                metric("w", 5.0, "oops", "20")
            ]
        );
        assert_eq!(
            out.problems,
            [
                "=3;;;;: the label is empty",
                "dgasdg: no \"=\" between label and value",
                "=;;;;: the label is empty",
                "sff=;;;;: the value is empty",
                "label=abc: the value \"abc\" is not a number",
                "'open=1: the label's quote is not closed",
                "12.5.3=x: the value \"x\" is not a number",
                "v=1.2.3: the value \"1.2.3\" is not a number",
                "w=5;oops;20;zero: the warning range: the end \"oops\" is not a number",
                "w=5;oops;20;zero: the min \"zero\" is not a number",
            ]
        );
        // Not rejected: w keeps its text and its crit still works.
        let out = parse_plugin_output("X | w=25;oops;20");
        assert_eq!(out.metrics[0].warn.as_deref(), Some("oops"));
        assert_eq!(out.metrics[0].state(), Some(CheckStatus::Critical));
        // The old guidelines' PING example, with commas after values.
        let out = parse_plugin_output(
            "PING ok - Packet loss = 0%, RTA = 0.80 ms | percent_packet_loss=0, rta=0.80",
        );
        assert_eq!(out.metrics, [Metric::new("rta", Some(0.8), "")]);
        assert_eq!(
            out.problems,
            ["percent_packet_loss=0,: the value \"0,\" is not a number"]
        );
        let out = parse_plugin_output("CRITICAL | just junk here\nsecond line");
        assert!(out.metrics.is_empty());
        assert_eq!(out.problems.len(), 3);
        assert_eq!(out.long_output, "second line");
    }

    #[test]
    fn output_without_perfdata_or_with_blank_lines() {
        assert_eq!(parse_plugin_output(""), PluginOutput::default());
        let out = parse_plugin_output("OK\r\nline two\r\n\r\n\r\n");
        assert_eq!(
            (out.summary.as_str(), out.long_output.as_str()),
            ("OK", "line two")
        );
        let out = parse_plugin_output("  OK  \n| a=1\nb=2\n");
        assert_eq!(out.summary, "OK");
        assert_eq!(out.long_output, "");
        assert_eq!(out.metrics.len(), 2);
        let huge = format!("{}|{}", "x".repeat(1 << 20), "y=1 ".repeat(50_000));
        let out = parse_plugin_output(&huge);
        assert_eq!(out.metrics.len(), 50_000);
        let out = parse_plugin_output(&format!("OK | {}=abc", "z".repeat(1 << 16)));
        assert!(
            out.problems[0].chars().count() < 200,
            "a problem quotes only the start"
        );
    }

    /// Real output of Debian's monitoring-plugins-basic 2.3.3, captured on a build machine
    /// (port 18080 was a local `python3 -m http.server`; nothing listened on 22 or 80).
    const DEBIAN_PLUGINS: &[(&str, &str, i32)] = &[
        (
            "check_disk -w 10% -c 5% -p /",
            "DISK OK - free space: / 54934MiB (59% inode=97%);| \
             /=39968571392B;243497277849;257024904396;0;270552530944\n",
            0,
        ),
        (
            "check_disk -w 10% -c 5% -p / -p /dev/shm",
            "DISK OK - free space: / 54934MiB (59% inode=97%); /dev/shm 24105MiB (100% \
             inode=99%);| /=39968571392B;243497277849;257024904396;0;270552530944 \
             /dev/shm=0B;22748332032;24012128256;0;25275924480\n",
            0,
        ),
        (
            "check_disk -w 100% -c 99% -p /",
            "DISK CRITICAL - free space: / 54934MiB (59% inode=97%);| \
             /=39968571392B;0;2705525309;0;270552530944\n",
            2,
        ),
        (
            "check_load -w 5,4,3 -c 10,8,6",
            "LOAD OK - total load average: 0.05, 0.74, 1.43|load1=0.050;5.000;10.000;0; \
             load5=0.740;4.000;8.000;0; load15=1.430;3.000;6.000;0; \n",
            0,
        ),
        (
            "check_load -w 0.01,0.01,0.01 -c 0.02,0.02,0.02",
            "LOAD CRITICAL - total load average: 0.04, 0.71, 1.41|load1=0.040;0.010;0.020;0; \
             load5=0.710;0.010;0.020;0; load15=1.410;0.010;0.020;0; \n",
            2,
        ),
        ("check_procs", "PROCS OK: 67 processes | procs=67;;;0;\n", 0),
        (
            "check_procs -w 150 -c 200",
            "PROCS OK: 68 processes | procs=68;150;200;0;\n",
            0,
        ),
        (
            "check_users -w 5 -c 10",
            "USERS OK - 0 users currently logged in |users=0;5;10;0\n",
            0,
        ),
        (
            "check_swap -w 50% -c 25%",
            "SWAP CRITICAL - 0% free (0MB out of 0MB) - Swap is either disabled, not present, \
             or of zero size. |swap=0B;0;0;0;0\n",
            2,
        ),
        ("check_dummy 1 \"text\"", "WARNING: text\n", 1),
        (
            "check_tcp -H 127.0.0.1 -p 22",
            "connect to address 127.0.0.1 and port 22: Connection refused\n",
            2,
        ),
        (
            "check_tcp -H 127.0.0.1 -p 18080",
            "TCP OK - 0.000 second response time on 127.0.0.1 port \
             18080|time=0.000137s;;;0.000000;10.000000\n",
            0,
        ),
        (
            "check_http -H 127.0.0.1",
            "connect to address 127.0.0.1 and port 80: Connection refused\n\
             HTTP CRITICAL - Unable to open TCP socket\n",
            2,
        ),
        (
            "check_http -H 127.0.0.1 -p 18080",
            "HTTP OK: HTTP/1.0 200 OK - 190 bytes in 0.008 second response time \
             |time=0.008442s;;;0.000000;10.000000 size=190B;;;0;\n",
            0,
        ),
        (
            "check_http -H 127.0.0.1 -p 18080 -u /missing",
            "HTTP WARNING: HTTP/1.0 404 File not found - 520 bytes in 0.001 second response \
             time |time=0.001355s;;;0.000000;10.000000 size=520B;;;0;\n",
            1,
        ),
    ];

    #[test]
    fn parses_real_debian_plugin_output_cleanly() {
        for (command, stdout, _) in DEBIAN_PLUGINS {
            let out = parse_plugin_output(stdout);
            assert!(out.problems.is_empty(), "{command}: {:?}", out.problems);
            assert!(
                !out.summary.is_empty() && !out.summary.contains('|'),
                "{command}"
            );
        }
        let load = parse_plugin_output(DEBIAN_PLUGINS[3].1);
        assert_eq!(
            load.summary,
            "LOAD OK - total load average: 0.05, 0.74, 1.43"
        );
        assert_eq!(
            load.metrics[1],
            full(
                "load5",
                0.74,
                "",
                [Some("4.000"), Some("8.000"), Some("0"), None]
            )
        );
        let disk = parse_plugin_output(DEBIAN_PLUGINS[1].1);
        assert_eq!(disk.metrics[1].label, "/dev/shm");
        assert_eq!(disk.metrics[0].value, Some(39_968_571_392.0));
        assert_eq!(disk.metrics[0].uom, "B");
        let http = parse_plugin_output(DEBIAN_PLUGINS[13].1);
        assert_eq!(http.metrics[0].max, Some(10.0));
        assert_eq!(
            http.metrics[1],
            full("size", 190.0, "B", [None, None, Some("0"), None])
        );
        let refused = parse_plugin_output(DEBIAN_PLUGINS[12].1);
        assert_eq!(
            refused.summary,
            "connect to address 127.0.0.1 and port 80: Connection refused"
        );
        assert_eq!(
            refused.long_output,
            "HTTP CRITICAL - Unable to open TCP socket"
        );
        let dummy = parse_plugin_output(DEBIAN_PLUGINS[9].1);
        assert_eq!(
            (dummy.summary.as_str(), dummy.metrics.len()),
            ("WARNING: text", 0)
        );
    }

    /// Where a plugin judges by its perfdata thresholds, the thresholds alone give the
    /// state its exit code gave (check_swap judges a missing swap by other means).
    #[test]
    fn thresholds_agree_with_the_plugins_own_verdict() {
        for (command, stdout, exit) in DEBIAN_PLUGINS {
            let out = parse_plugin_output(stdout);
            let with_thresholds: Vec<CheckStatus> =
                out.metrics.iter().filter_map(Metric::state).collect();
            if command.contains("check_swap") || with_thresholds.is_empty() {
                continue;
            }
            let worst = with_thresholds.iter().max_by_key(|s| s.severity()).copied();
            assert_eq!(worst, Some(status_from_exit(Some(*exit))), "{command}");
        }
    }

    #[test]
    fn metrics_round_trip_through_json() {
        let m = full(
            "/",
            2643.0,
            "MB",
            [Some("5948"), Some("@1:2"), Some("0"), None],
        );
        let text = serde_json::to_string(&m).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Metric>(&text).expect("deserializes"),
            m
        );
        let u = Metric::new("x", None, "");
        let text = serde_json::to_string(&u).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Metric>(&text).expect("deserializes"),
            u
        );
    }

    #[test]
    fn split_number_takes_only_the_number() {
        assert_eq!(split_number("12MB"), Some((12.0, "MB")));
        assert_eq!(split_number("-1.5e3s"), Some((-1500.0, "s")));
        assert_eq!(split_number("5e"), Some((5.0, "e")));
        assert_eq!(split_number(".5"), Some((0.5, "")));
        assert_eq!(split_number("5."), Some((5.0, "")));
        for bad in ["", "-", ".", "e5", "inf", "NaN", "1e400", "U"] {
            assert_eq!(split_number(bad), None, "{bad:?}");
        }
    }

    /// A small deterministic generator, so the fuzz test needs no extra crate.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let alphabet = b"|'=;:~@-+.eE0123456789 \n\r\tUabc%\x00\xff";
        for _ in 0..3_000 {
            let len = (rng.next() % 80) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| match rng.next() % 3 {
                    0 => rng.next() as u8,
                    _ => alphabet[(rng.next() % alphabet.len() as u64) as usize],
                })
                .collect();
            let text = String::from_utf8_lossy(&bytes);
            let out = parse_plugin_output(&text);
            for m in &out.metrics {
                let _ = (m.state(), m.next_boundary(true), m.next_boundary(false));
            }
            let _ = Range::parse(&text);
        }
    }
}
