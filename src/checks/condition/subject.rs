//! What each subject is and what it may be compared with: `status` is a number, `time` a
//! duration, `body` text, `json…` a JSON value. The parser asks here, so `status ~ "x"` or
//! `body > 3` is an error at the column it is in, with a comparison that would work.

use serde_json_path::JsonPath;

use super::json_path;
use super::lex::{read_string, Op, Tok, Token};
use super::parse::Literal;
use super::{ConditionError, Subject};
use crate::config::diagnostic::did_you_mean;

/// What a subject's facts are, which decides the literals and operators it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Number,
    Time,
    Text,
    Json,
}

/// The subjects that stand alone, by name.
const SIMPLE: [(&str, Subject); 8] = [
    ("status", Subject::Status),
    ("time", Subject::Time),
    ("body", Subject::Body),
    ("output", Subject::Output),
    ("banner", Subject::Banner),
    ("cert_days", Subject::CertDays),
    ("value", Subject::Value),
    ("exit", Subject::Exit),
];

/// Names people reach for, and the subject they mean.
const ALIASES: [(&str, &str); 9] = [
    ("code", "status"),
    ("status_code", "status"),
    ("latency", "time"),
    ("duration", "time"),
    ("response_time", "time"),
    ("days", "cert_days"),
    ("exit_code", "exit"),
    ("rc", "exit"),
    ("metrics", "metric"),
];

const ALL_SUBJECTS: &str =
    "status, time, body, output, banner, cert_days, value, exit, json.PATH, metric.NAME, label.NAME";

/// The subject `token` names, and its compiled path for `json…`.
pub(super) fn resolve(token: &Token) -> Result<(Subject, Option<JsonPath>), ConditionError> {
    let error = |message: &str, hint: &str| ConditionError {
        column: token.column,
        message: message.to_string(),
        hint: Some(hint.to_string()),
    };
    let (name, path) = match &token.tok {
        Tok::Word(name) => (name.as_str(), None),
        Tok::Path(name, path) => (name.as_str(), Some(path.as_str())),
        _ => return Err(error("expected a subject", "like status == 200")),
    };
    let named = |what: &str, path: Option<&str>| match path.map(named_path) {
        Some(Some(name)) => Ok(name),
        _ => Err(error(
            &format!("{what} needs a name"),
            &format!("like {what}.load1, or {what}[\"name with spaces\"]"),
        )),
    };
    let subject = match (name, path) {
        ("json", path) => {
            let path = path.unwrap_or("");
            let compiled = json_path::compile(token, path)?;
            let stored = path.strip_prefix('.').unwrap_or(path).to_string();
            return Ok((Subject::Json(stored), Some(compiled)));
        }
        ("metric", path) => Subject::Metric(named("metric", path)?),
        ("label", path) => Subject::Label(named("label", path)?),
        (name, Some(_)) if SIMPLE.iter().any(|(s, _)| *s == name) => {
            let message = format!("{name} has no parts to pick");
            return Err(error(
                &message,
                "only json, metric and label take a path, like json.status",
            ));
        }
        (name, _) => match SIMPLE.iter().find(|(s, _)| *s == name) {
            Some((_, subject)) => subject.clone(),
            None => {
                return Err(error(
                    &format!("unknown subject \"{name}\""),
                    &unknown_hint(name),
                ))
            }
        },
    };
    Ok((subject, None))
}

/// `.NAME` or `["NAME"]` after `metric` or `label`: the name.
fn named_path(path: &str) -> Option<String> {
    if let Some(name) = path.strip_prefix('.') {
        let plain = !name.is_empty() && !name.contains(['[', ']', '"', '\'']);
        return plain.then(|| name.to_string());
    }
    let inner = path.strip_prefix('[')?.strip_suffix(']')?.trim();
    match read_string(inner) {
        Some((name, len)) if len == inner.len() && !name.is_empty() => Some(name),
        _ => None,
    }
}

/// A likely meaning for an unknown subject, else the list of them all.
fn unknown_hint(name: &str) -> String {
    let lower = name.to_lowercase();
    let alias = ALIASES.iter().find(|(a, _)| *a == lower).map(|(_, s)| *s);
    let names = SIMPLE
        .iter()
        .map(|(s, _)| *s)
        .chain(["json", "metric", "label"]);
    match alias.or_else(|| did_you_mean(name, names)) {
        Some(subject) => format!("did you mean {subject}?"),
        None => format!("the subjects are {ALL_SUBJECTS}"),
    }
}

/// What kind of fact a subject reads.
pub(super) fn kind(subject: &Subject) -> Kind {
    match subject {
        Subject::Status
        | Subject::CertDays
        | Subject::Value
        | Subject::Exit
        | Subject::Metric(_) => Kind::Number,
        Subject::Time => Kind::Time,
        Subject::Body | Subject::Output | Subject::Banner | Subject::Label(_) => Kind::Text,
        Subject::Json(_) => Kind::Json,
    }
}

/// A condition that reads well for this subject, for hints.
pub(super) fn example(subject: &Subject) -> String {
    match subject {
        Subject::Status => "status == 200".into(),
        Subject::Time => "time < 500ms".into(),
        Subject::Body => "body ~ \"ok\"".into(),
        Subject::Output => "output ~ \"OK\"".into(),
        Subject::Banner => "banner ~ \"^SSH-2.0\"".into(),
        Subject::CertDays => "cert_days > 14".into(),
        Subject::Value => "value < 0.9".into(),
        Subject::Exit => "exit == 0".into(),
        Subject::Json(_) => format!("{subject} == \"ok\""),
        Subject::Metric(_) => format!("{subject} < 90"),
        Subject::Label(_) => format!("{subject} == \"critical\""),
    }
}

/// Whether `subject op literal` go together; if not, (whether the fault is at the operator
/// rather than the value, message, hint).
pub(super) fn check_types(
    subject: &Subject,
    op: Op,
    literal: &Literal,
    written: &str,
) -> Result<(), (bool, String, String)> {
    let example = example(subject);
    let at_op = |message: String, hint: String| Err((true, message, hint));
    let at_value = |message: String, hint: String| Err((false, message, hint));
    match (kind(subject), literal) {
        (Kind::Number | Kind::Time, _) if op.is_regex() => at_op(
            format!(
                "{} matches text, and {subject} is a {}",
                op.as_str(),
                noun(subject)
            ),
            format!("compare it with ==, !=, <, <=, > or >=, like {example}"),
        ),
        (Kind::Number, Literal::Number(_)) | (Kind::Time, Literal::Duration(_)) => Ok(()),
        (Kind::Time, Literal::Number(_)) => at_value(
            format!("time is a duration, and {written} has no unit"),
            "add a unit, like 500ms".into(),
        ),
        (Kind::Number, Literal::Text(t)) if t.trim().parse::<f64>().is_ok() => at_value(
            format!("{subject} is a number, and {written} is text"),
            format!("drop the quotes: {subject} {} {}", op.as_str(), t.trim()),
        ),
        (Kind::Number | Kind::Time, _) => at_value(
            format!("{subject} is a {}, and {written} is not", noun(subject)),
            format!("like {example}"),
        ),
        (Kind::Text, _) if op.is_ordering() => at_op(
            format!("{subject} is text: it cannot be {} something", op.as_str()),
            format!("compare text with ==, !=, ~ or !~, like {example}"),
        ),
        (Kind::Text, Literal::Text(_)) => Ok(()),
        (Kind::Text, _) => at_value(
            format!("{subject} is text, and {written} is not"),
            format!(
                "put it in double quotes: {subject} {} \"{written}\"",
                op.as_str()
            ),
        ),
        (Kind::Json, Literal::Duration(_)) => at_value(
            "a JSON value is a number, text, true, false or null, never a duration".into(),
            "write the number in the JSON's own unit, like json.latency_ms < 500".into(),
        ),
        (Kind::Json, Literal::Text(_)) => Ok(()),
        (Kind::Json, _) if op.is_regex() => at_value(
            format!("{} takes a regex in double quotes", op.as_str()),
            format!("like {subject} ~ \"^ok\""),
        ),
        (Kind::Json, Literal::Bool(_) | Literal::Null) if op.is_ordering() => at_op(
            format!("{written} can only be compared with == or !="),
            format!("like {subject} == {written}"),
        ),
        (Kind::Json, _) => Ok(()),
    }
}

fn noun(subject: &Subject) -> &'static str {
    if kind(subject) == Kind::Time {
        "duration"
    } else {
        "number"
    }
}
