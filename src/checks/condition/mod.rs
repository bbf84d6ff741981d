//! The `expect` language: what must hold of one run of a check.
//!
//! ```toml
//! expect = ["status == 200", "time < 500ms", 'json.status == "ok"']
//! expect_warn = ["cert_days > 14", "metric.load1 < 4 or metric.load5 < 2"]
//! ```
//!
//! - Subjects: `status`, `cert_days`, `value`, `exit` and `metric.NAME` (or
//!   `metric["name with spaces"]`) are numbers; `time` is a duration (`500ms`, `1.5s`,
//!   `1m`); `body`, `output`, `banner` and `label.NAME` are text; `json` and `json.PATH`
//!   (a JSONPath without its `$.`: `json.items[0].state`, `json.data.result[*].value`)
//!   are JSON values.
//! - Operators: `==`, `!=`, `<`, `<=`, `>`, `>=`, `~` (regex matches), `!~`; conditions
//!   combine with `not`, `and`, `or` (binding in that order) and parentheses.
//! - Values: numbers (`4`, `0.9`, `-1`, `1e3`, `90%` is 90), durations, double-quoted text
//!   (`\"` and `\\` escape; any other backslash stays, so `"\d+"` is the regex `\d+`),
//!   `true`, `false`, `null`.
//!
//! A condition is parsed and type-checked when the config is read, so a mistake is
//! reported at its column with what to write instead. Evaluation has three outcomes: it
//! holds, it fails (saying what was seen), or it is unknown because a fact is missing.
//!
//! The parser is written by hand rather than with a parser crate: the grammar is a dozen
//! rules, and what matters is a message and hint for each likely mistake, which generated
//! parsers report poorly. Regexes are the `regex` crate's and JSON paths `serde_json_path`'s.

mod eval;
mod json_path;
mod lex;
mod parse;
mod subject;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::checks::perfdata::Metric;
use parse::{Expr, Literal};
use subject::{kind, Kind};

/// A condition that did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// Where the mistake is: 1-based, in characters, into the condition text.
    pub column: usize,
    /// What is wrong: `expected a value after "<"`.
    pub message: String,
    /// What to write instead, when there is a likely fix: `use == to compare`.
    pub hint: Option<String>,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        match &self.hint {
            Some(hint) => write!(f, " ({hint})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for ConditionError {}

/// What a condition reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// The HTTP status code.
    Status,
    /// The latency.
    Time,
    /// An HTTP response's body.
    Body,
    /// A command's or plugin's output.
    Output,
    /// What a TCP server sent first.
    Banner,
    /// Days until the TLS certificate expires.
    CertDays,
    /// A Prometheus sample's value.
    Value,
    /// A command's exit code.
    Exit,
    /// A JSONPath as written after `json`, without its leading `.`: `status`,
    /// `items[0].state`; empty for the whole document.
    Json(String),
    /// A metric's value, by label (the first metric with that label).
    Metric(String),
    /// A series' or alert's label.
    Label(String),
}

impl fmt::Display for Subject {
    /// As it is written in a condition: `cert_days`, `json.items[0]`, `metric["a b"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named = |f: &mut fmt::Formatter<'_>, head: &str, name: &str| {
            let plain = !name.is_empty()
                && !name.contains(|c: char| c.is_whitespace() || "=!<>~()&|[]\"'".contains(c));
            if plain {
                write!(f, "{head}.{name}")
            } else {
                let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
                write!(f, "{head}[\"{escaped}\"]")
            }
        };
        match self {
            Subject::Status => f.write_str("status"),
            Subject::Time => f.write_str("time"),
            Subject::Body => f.write_str("body"),
            Subject::Output => f.write_str("output"),
            Subject::Banner => f.write_str("banner"),
            Subject::CertDays => f.write_str("cert_days"),
            Subject::Value => f.write_str("value"),
            Subject::Exit => f.write_str("exit"),
            Subject::Json(path) if path.is_empty() => f.write_str("json"),
            Subject::Json(path) if path.starts_with('[') => write!(f, "json{path}"),
            Subject::Json(path) => write!(f, "json.{path}"),
            Subject::Metric(name) => named(f, "metric", name),
            Subject::Label(name) => named(f, "label", name),
        }
    }
}

/// Which side of a threshold fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailingSide {
    /// `value < 0.9` fails at 0.9 and above.
    FailsAbove,
    /// `cert_days > 14` fails at 14 and below.
    FailsBelow,
}

/// A number a numeric subject is compared against, for forecasts.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// What is compared: `cert_days`, `value`, `metric.NAME`…
    pub subject: Subject,
    /// The number it is compared against.
    pub value: f64,
    /// Which side of `value` fails the condition.
    pub fails: FailingSide,
}

/// The facts one run saw; a check kind fills in what it has.
#[derive(Debug, Default, Clone)]
pub struct Facts<'a> {
    /// The HTTP status code.
    pub status: Option<u16>,
    /// How long the check took.
    pub time: Option<Duration>,
    /// The response body, as text.
    pub body: Option<&'a str>,
    /// The body, when it was JSON.
    pub json: Option<&'a serde_json::Value>,
    /// What a command or plugin printed.
    pub output: Option<&'a str>,
    /// What a TCP server sent first.
    pub banner: Option<&'a str>,
    /// Days until the TLS certificate expires.
    pub cert_days: Option<f64>,
    /// A Prometheus sample's value.
    pub value: Option<f64>,
    /// A command's exit code; `None` when it was killed or did not run.
    pub exit: Option<i32>,
    /// The metrics the run reported (a plugin's perfdata, a probe's numbers).
    pub metrics: &'a [Metric],
    /// A series' or alert's labels.
    pub labels: Option<&'a BTreeMap<String, String>>,
}

/// The outcome of a condition on one run.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// It holds.
    Holds,
    /// What was seen, in a user's words: "status 503, expected == 200".
    Fails(String),
    /// A fact it needs is missing: "no metric \"load1\" in the output".
    Unknown(String),
}

/// One parsed `expect` condition. Equal to another when their texts are equal.
#[derive(Debug, Clone)]
pub struct Condition {
    text: String,
    expr: Expr,
}

impl Condition {
    /// Parses and type-checks a condition.
    ///
    /// ```
    /// use sheriff::checks::condition::{Condition, Facts, Verdict};
    /// let c = Condition::parse("status == 200").unwrap();
    /// let facts = Facts { status: Some(503), ..Facts::default() };
    /// assert_eq!(c.eval(&facts), Verdict::Fails("status 503, expected == 200".into()));
    ///
    /// let err = Condition::parse("status = 200").unwrap_err();
    /// assert_eq!((err.column, err.hint.as_deref()), (8, Some("use == to compare")));
    /// ```
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        Ok(Condition {
            text: text.to_string(),
            expr: parse::parse(text)?,
        })
    }

    /// The condition as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the condition holds for what one run saw.
    pub fn eval(&self, facts: &Facts) -> Verdict {
        eval::eval(&self.expr, facts)
    }

    /// The subjects it reads, each once, in order, so config validation can say that
    /// `json.x` means nothing for a tcp check.
    pub fn subjects(&self) -> Vec<Subject> {
        let mut out = Vec::new();
        walk(&self.expr, false, &mut |c, _| {
            if !out.contains(&c.subject) {
                out.push(c.subject.clone());
            }
        });
        out
    }

    /// For forecasts: each comparison of a numeric subject against a number with `<`,
    /// `<=`, `>` or `>=`, and the side that fails: `cert_days > 14` -> (CertDays, 14.0,
    /// FailsBelow); `value < 0.9` -> (Value, 0.9, FailsAbove). Under `not` the side turns.
    pub fn thresholds(&self) -> Vec<Threshold> {
        let mut out = Vec::new();
        walk(&self.expr, false, &mut |c, negated| {
            let Literal::Number(value) = c.literal else {
                return;
            };
            if kind(&c.subject) != Kind::Number || !c.op.is_ordering() {
                return;
            }
            let below_fails = matches!(c.op, lex::Op::Gt | lex::Op::Ge) != negated;
            out.push(Threshold {
                subject: c.subject.clone(),
                value,
                fails: if below_fails {
                    FailingSide::FailsBelow
                } else {
                    FailingSide::FailsAbove
                },
            });
        });
        out
    }
}

/// Calls `f` on every comparison, with whether an odd number of `not`s is over it.
fn walk(expr: &Expr, negated: bool, f: &mut impl FnMut(&parse::Comparison, bool)) {
    match expr {
        Expr::Or(items) | Expr::And(items) => {
            for item in items {
                walk(item, negated, f);
            }
        }
        Expr::Not(inner, _) => walk(inner, !negated, f),
        Expr::Compare(c) => f(c, negated),
    }
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Condition {}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Condition {
        Condition::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn subjects_are_listed_once_in_order() {
        let c = parse(
            "status == 200 and (json.a == 1 or status != 5) and metric[\"a b\"] > 1 \
             or not label.env == \"prod\" or json[\"x-y\"] == 2 or json == null",
        );
        assert_eq!(
            c.subjects(),
            [
                Subject::Status,
                Subject::Json("a".into()),
                Subject::Metric("a b".into()),
                Subject::Label("env".into()),
                Subject::Json("[\"x-y\"]".into()),
                Subject::Json(String::new()),
            ]
        );
    }

    #[test]
    fn thresholds_name_the_failing_side() {
        let threshold = |subject, value, fails| Threshold {
            subject,
            value,
            fails,
        };
        use FailingSide::{FailsAbove, FailsBelow};
        assert_eq!(
            parse("cert_days > 14").thresholds(),
            [threshold(Subject::CertDays, 14.0, FailsBelow)]
        );
        assert_eq!(
            parse("value < 0.9").thresholds(),
            [threshold(Subject::Value, 0.9, FailsAbove)]
        );
        assert_eq!(
            parse("metric.load1 <= 4 and not metric.free >= 10%").thresholds(),
            [
                threshold(Subject::Metric("load1".into()), 4.0, FailsAbove),
                threshold(Subject::Metric("free".into()), 10.0, FailsAbove),
            ]
        );
        assert_eq!(
            parse("not (exit > 1 or status < 500)").thresholds().len(),
            2
        );
        // Not forecastable: equality, durations, text, JSON.
        for text in [
            "status == 200",
            "status != 503",
            "time < 1s",
            "body ~ \"x\"",
            "json.n < 3",
        ] {
            assert!(parse(text).thresholds().is_empty(), "{text:?}");
        }
    }

    #[test]
    fn text_display_and_equality() {
        let c = parse("status == 200");
        assert_eq!(c.text(), "status == 200");
        assert_eq!(c.to_string(), "status == 200");
        assert_eq!(c, parse("status == 200"));
        assert_ne!(c, parse("status==200"));
        let e = Condition::parse("status = 200").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"=\" is not an operator (use == to compare)"
        );
        let e = Condition::parse("status == 200)").unwrap_err();
        assert_eq!(e.to_string(), "this ) closes no (");
    }

    #[test]
    fn subjects_display_as_written_and_read_back() {
        for subject in [
            Subject::Status,
            Subject::Time,
            Subject::CertDays,
            Subject::Json(String::new()),
            Subject::Json("items[0].state".into()),
            Subject::Json("[\"a-b\"]".into()),
            Subject::Metric("load1".into()),
            Subject::Metric("/var/log".into()),
            Subject::Metric("disk usage".into()),
            Subject::Metric("say \"hi\" \\".into()),
            Subject::Label("severity".into()),
            Subject::Label("a=b".into()),
        ] {
            let literal = match kind(&subject) {
                Kind::Time => "1s",
                Kind::Text => "\"x\"",
                _ => "1",
            };
            let text = format!("{subject} == {literal}");
            assert_eq!(parse(&text).subjects(), [subject], "{text}");
        }
        assert_eq!(
            Subject::Metric("disk usage".into()).to_string(),
            "metric[\"disk usage\"]"
        );
    }

    /// The deepest conditions accepted parse and evaluate on a small thread stack.
    #[test]
    fn the_deepest_accepted_conditions_fit_a_small_stack() {
        let texts = [
            format!("{}status == 1{}", "(not ".repeat(16), ")".repeat(16)),
            // Six deep: [ ( [ ( [ (
            "json[?(@[?(@[?(@.a == 1)])])] == 1".to_string(),
        ];
        let small = std::thread::Builder::new().stack_size(256 * 1024);
        let run = small.spawn(move || {
            texts
                .iter()
                .map(|t| Condition::parse(t).map(|c| c.eval(&Facts::default())))
                .collect::<Vec<_>>()
        });
        let results = run
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
        assert!(results.iter().all(Result::is_ok), "{results:?}");
    }

    /// A small deterministic generator, so the fuzz test needs no extra crate.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    const VALID: [&str; 12] = [
        "status == 200",
        "time < 1.5s and not (body ~ \"(?i)error\" or output !~ \"^OK\")",
        "json.data.result[?@.metric.job == \"node\"].value[1] >= 1e-3",
        "json[\"a-b\"] != null or json.ok == true",
        "metric[\"disk usage\"] < 90% and metric./var/log <= -1",
        "label.severity == \"say \\\"hi\\\" \\\\\"",
        "cert_days > 14 or value < 0.9 or exit == 0",
        "banner ~ \"^SSH-2\\.0\"",
        "((status == 200))",
        "body == \"日本語\" and time <= 1h30m",
        "json..price < 10",
        "json.items[*].state == \"up\"",
    ];

    /// Every prefix of every valid condition, and random bytes, parse or fail without a
    /// panic; what parses evaluates without one.
    #[test]
    fn no_input_panics() {
        let doc = serde_json::json!({"data": {"result": [{"metric": {"job": "node"}, "value": [1, "2"]}]},
            "ok": true, "a-b": 1, "items": [{"state": "up"}], "price": 3});
        let metrics = [
            Metric::new("disk usage", Some(5.0), "%"),
            Metric::new("/var/log", None, ""),
        ];
        let labels = BTreeMap::from([("severity".to_string(), "x".to_string())]);
        let facts = Facts {
            status: Some(200),
            time: Some(Duration::from_millis(5)),
            body: Some("ok"),
            json: Some(&doc),
            output: Some("OK"),
            banner: Some("SSH-2.0-x"),
            cert_days: Some(30.0),
            value: Some(0.5),
            exit: Some(0),
            metrics: &metrics,
            labels: Some(&labels),
        };
        let check = |text: &str| {
            if let Ok(c) = Condition::parse(text) {
                let _ = (
                    c.eval(&facts),
                    c.eval(&Facts::default()),
                    c.subjects(),
                    c.thresholds(),
                );
            }
        };
        for valid in VALID {
            assert!(
                Condition::parse(valid).is_ok(),
                "{valid:?}: {:?}",
                Condition::parse(valid)
            );
            for (cut, _) in valid.char_indices() {
                check(&valid[..cut]);
                check(&valid[cut..]);
            }
        }
        let mut state = 0x2545_F491_4F6C_DD1D;
        let alphabet = "()=!<>~&|\"'\\.[]*?@$-+%_ 0123456789eE jsonmetriclabeltimestatus and or not true null 日";
        let pieces: Vec<char> = alphabet.chars().collect();
        for _ in 0..4_000 {
            let len = (xorshift(&mut state) % 40) as usize;
            let text: String = if xorshift(&mut state).is_multiple_of(2) {
                let bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                (0..len)
                    .map(|_| pieces[(xorshift(&mut state) % pieces.len() as u64) as usize])
                    .collect()
            };
            check(&text);
        }
        check(&"(".repeat(100_000));
        check(&"not ".repeat(100_000));
        check(&format!("body ~ \"{}\"", "a{1000}{1000}".repeat(10)));
        check(&format!("json.{} == 1", "[".repeat(10_000)));
        check(&"\"".repeat(10_001));
    }
}
