//! The grammar: `or` over `and` over `not` over comparisons and parenthesised conditions.
//! Each comparison is typed as it is parsed (see `subject`) and its regex or JSON path
//! compiled, so every mistake is reported when the config is read, at its column, with
//! what to write instead.

use std::time::Duration;

use regex::Regex;
use serde_json_path::JsonPath;

use super::lex::{tokens, Op, Tok, Token};
use super::{subject, ConditionError, Subject};

/// Parentheses and `not`s nested deeper than this are refused, so no input can exhaust
/// the stack while parsing, evaluating or dropping the tree.
const MAX_DEPTH: usize = 32;

/// A parsed condition.
#[derive(Debug, Clone)]
pub(super) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    /// With the negated condition's text, for saying what held.
    Not(Box<Expr>, String),
    Compare(Box<Comparison>),
}

/// `subject op literal`, checked to go together.
#[derive(Debug, Clone)]
pub(super) struct Comparison {
    pub subject: Subject,
    /// For `json…`: the path, `$` and what followed `json`.
    pub json: Option<JsonPath>,
    pub op: Op,
    pub literal: Literal,
    /// The literal as written, for messages: `200`, `500ms`, `"ok"`.
    pub written: String,
    /// For `~` and `!~`.
    pub regex: Option<Regex>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Number(f64),
    Duration(Duration),
    Text(String),
    Bool(bool),
    Null,
}

pub(super) fn parse(text: &str) -> Result<Expr, ConditionError> {
    let tokens = tokens(text)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        chars: text.chars().collect(),
    };
    if parser.tokens.is_empty() {
        return Err(parser.error(
            "the condition is empty",
            Some("write what must hold, like status == 200"),
        ));
    }
    let expr = parser.or(0)?;
    match parser.peek() {
        None => Ok(expr),
        Some(Tok::Close) => Err(parser.error("this ) closes no (", None)),
        Some(_) => {
            let found = parser.found();
            let message = format!("expected and or or before {found}");
            Err(parser.error(&message, Some("join conditions with and or or")))
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    chars: Vec<char>,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w == word)
    }

    /// The column of the next token, or just past the end.
    fn column(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.chars.len() + 1, |t| t.column)
    }

    /// The next token quoted for a message, or "the end".
    fn found(&self) -> String {
        self.tokens
            .get(self.pos)
            .map_or("the end".into(), |t| format!("\"{}\"", t.text))
    }

    fn error(&self, message: &str, hint: Option<&str>) -> ConditionError {
        ConditionError {
            column: self.column(),
            message: message.to_string(),
            hint: hint.map(str::to_string),
        }
    }

    fn deeper(&self, depth: usize) -> Result<usize, ConditionError> {
        if depth >= MAX_DEPTH {
            let message = format!("nested more than {MAX_DEPTH} deep");
            return Err(self.error(&message, Some("split it into several conditions")));
        }
        Ok(depth + 1)
    }

    fn or(&mut self, depth: usize) -> Result<Expr, ConditionError> {
        let mut items = vec![self.and(depth)?];
        while self.at_word("or") {
            self.pos += 1;
            items.push(self.and(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Expr, ConditionError> {
        let mut items = vec![self.not(depth)?];
        while self.at_word("and") {
            self.pos += 1;
            items.push(self.not(depth)?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn not(&mut self, depth: usize) -> Result<Expr, ConditionError> {
        if !self.at_word("not") {
            return self.primary(depth);
        }
        let depth = self.deeper(depth)?;
        self.pos += 1;
        let first = self.column();
        let inner = self.not(depth)?;
        let text = self.text_since(first);
        Ok(Expr::Not(Box::new(inner), text))
    }

    /// The condition's text from `column` to the end of the last token read.
    fn text_since(&self, column: usize) -> String {
        let end = self.tokens[..self.pos.min(self.tokens.len())]
            .last()
            .map_or(0, |t| t.column - 1 + t.text.chars().count());
        let start = column.saturating_sub(1).min(end);
        self.chars[start..end.min(self.chars.len())]
            .iter()
            .collect()
    }

    fn primary(&mut self, depth: usize) -> Result<Expr, ConditionError> {
        let after = self
            .pos
            .checked_sub(1)
            .and_then(|p| self.tokens.get(p))
            .map(|t| format!(" after \"{}\"", t.text))
            .unwrap_or_default();
        let value_first = "a condition starts with what it tests, not with a value";
        match self.peek() {
            None => Err(self.error(
                &format!("expected a condition{after}"),
                Some("like status == 200"),
            )),
            Some(Tok::Open) => {
                let depth = self.deeper(depth)?;
                let open = self.column();
                self.pos += 1;
                let inner = self.or(depth)?;
                if self.peek() != Some(&Tok::Close) {
                    let message = format!(
                        "expected ) to close the ( at column {open}, found {}",
                        self.found()
                    );
                    return Err(self.error(&message, None));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Tok::Close) => {
                Err(self.error(&format!("expected a condition{after}, found \")\""), None))
            }
            Some(Tok::Op(op)) => {
                let message = format!("expected a subject before \"{}\"", op.as_str());
                Err(self.error(&message, Some("like status == 200")))
            }
            Some(Tok::Word(w)) if w == "and" || w == "or" => {
                Err(self.error(&format!("expected a condition before \"{w}\""), None))
            }
            Some(Tok::Word(w)) if matches!(w.as_str(), "true" | "false" | "null") => Err(self
                .error(
                    value_first,
                    Some("put the subject first, like json.ok == true"),
                )),
            Some(Tok::Number(_) | Tok::Duration(_) | Tok::Str(_)) => Err(self.error(
                value_first,
                Some("put the subject first, like status == 200"),
            )),
            Some(Tok::Word(_) | Tok::Path(..)) => self.comparison(),
        }
    }

    fn comparison(&mut self) -> Result<Expr, ConditionError> {
        let Some(subject_token) = self.bump() else {
            return Err(self.error("expected a subject", Some("like status == 200")));
        };
        let (subject, json) = subject::resolve(&subject_token)?;
        let example = subject::example(&subject);
        let op_column = self.column();
        let Some(Tok::Op(op)) = self.peek().cloned() else {
            let message = format!(
                "expected an operator after \"{}\", found {}",
                subject_token.text,
                self.found()
            );
            return Err(self.error(&message, Some(&format!("compare it, like {example}"))));
        };
        self.pos += 1;
        let literal_column = self.column();
        let Some(token) = self.bump() else {
            self.pos -= 1;
            let message = format!("expected a value after \"{}\"", op.as_str());
            return Err(self.error(&message, Some(&format!("like {example}"))));
        };
        let literal = match token.tok {
            Tok::Number(n) => Literal::Number(n),
            Tok::Duration(d) => Literal::Duration(d),
            Tok::Str(s) => Literal::Text(s),
            Tok::Word(w) if w == "true" || w == "false" => Literal::Bool(w == "true"),
            Tok::Word(w) if w == "null" => Literal::Null,
            _ => {
                self.pos -= 1;
                let message = format!(
                    "expected a value after \"{}\", found {}",
                    op.as_str(),
                    self.found()
                );
                let hint = match &token.tok {
                    Tok::Word(w) => format!("text goes in double quotes: \"{w}\""),
                    _ => format!("like {example}"),
                };
                return Err(self.error(&message, Some(&hint)));
            }
        };
        let fail = |column: usize, message: String, hint: String| ConditionError {
            column,
            message,
            hint: Some(hint),
        };
        subject::check_types(&subject, op, &literal, &token.text).map_err(
            |(at_op, message, hint)| {
                fail(
                    if at_op { op_column } else { literal_column },
                    message,
                    hint,
                )
            },
        )?;
        let regex = match (&literal, op.is_regex()) {
            (Literal::Text(pattern), true) => Some(Regex::new(pattern).map_err(|e| {
                let message = format!("bad regex {}", token.text);
                fail(
                    literal_column,
                    message,
                    crate::config::diagnostic::regex_reason(&e),
                )
            })?),
            _ => None,
        };
        Ok(Expr::Compare(Box::new(Comparison {
            subject,
            json,
            op,
            literal,
            written: token.text,
            regex,
        })))
    }
}

#[cfg(test)]
mod tests {
    use crate::checks::condition::{Condition, ConditionError};

    fn error(text: &str) -> ConditionError {
        match Condition::parse(text) {
            Ok(c) => panic!("{text:?} parsed as {c:?}"),
            Err(e) => e,
        }
    }

    /// Each likely mistake: where it is pointed at, what it says, and the fix offered.
    #[test]
    fn mistakes_are_pointed_at_with_a_fix() {
        for (text, column, message, hint) in [
            (
                "status = 200",
                8,
                "\"=\" is not an operator",
                "use == to compare",
            ),
            (
                "status =~ \"x\"",
                8,
                "\"=~\" is not an operator",
                "use ~ to match a regex",
            ),
            (
                "status <> 200",
                8,
                "\"<>\" is not an operator",
                "use != for \"not equal\"",
            ),
            (
                "stauts == 200",
                1,
                "unknown subject \"stauts\"",
                "did you mean status?",
            ),
            (
                "latency < 1s",
                1,
                "unknown subject \"latency\"",
                "did you mean time?",
            ),
            (
                "jsn.status == 1",
                1,
                "unknown subject \"jsn\"",
                "did you mean json?",
            ),
            (
                "status == 200 && time < 1s",
                15,
                "\"&&\" is not an operator",
                "use and",
            ),
            (
                "status == 200 || status == 204",
                15,
                "\"||\" is not an operator",
                "use or",
            ),
            (
                "status ! = 1",
                8,
                "\"!\" is not an operator",
                "use not to negate a condition, != or !~ to compare",
            ),
            (
                "status < ",
                10,
                "expected a value after \"<\"",
                "like status == 200",
            ),
            (
                "status ~ \"x\"",
                8,
                "~ matches text, and status is a number",
                "compare it with ==, !=, <, <=, > or >=, like status == 200",
            ),
            (
                "time !~ \"x\"",
                6,
                "!~ matches text, and time is a duration",
                "compare it with ==, !=, <, <=, > or >=, like time < 500ms",
            ),
            (
                "body > 3",
                6,
                "body is text: it cannot be > something",
                "compare text with ==, !=, ~ or !~, like body ~ \"ok\"",
            ),
            (
                "body == 3",
                9,
                "body is text, and 3 is not",
                "put it in double quotes: body == \"3\"",
            ),
            (
                "label.env == prod",
                14,
                "expected a value after \"==\", found \"prod\"",
                "text goes in double quotes: \"prod\"",
            ),
            (
                "time < 500",
                8,
                "time is a duration, and 500 has no unit",
                "add a unit, like 500ms",
            ),
            (
                "time < 5x",
                8,
                "bad duration \"5x\": the unit is not one of ms, s, m, h, d, w",
                "write a number and a unit, like 500ms, 2s, 1.5s or 1m",
            ),
            (
                "status == \"200\"",
                11,
                "status is a number, and \"200\" is text",
                "drop the quotes: status == 200",
            ),
            (
                "status == 2s",
                11,
                "status is a number, and 2s is not",
                "like status == 200",
            ),
            (
                "body ~ \"abc",
                8,
                "unterminated string",
                "close it with a \"; write \\\" for a quote inside it",
            ),
            (
                "body == 'ok'",
                9,
                "text goes in double quotes",
                "write \"like this\"",
            ),
            (
                "status == 200 time < 1s",
                15,
                "expected and or or before \"time\"",
                "join conditions with and or or",
            ),
            (
                "",
                1,
                "the condition is empty",
                "write what must hold, like status == 200",
            ),
            (
                "   ",
                4,
                "the condition is empty",
                "write what must hold, like status == 200",
            ),
            (
                "200 == status",
                1,
                "a condition starts with what it tests, not with a value",
                "put the subject first, like status == 200",
            ),
            (
                "status",
                7,
                "expected an operator after \"status\", found the end",
                "compare it, like status == 200",
            ),
            (
                "json.ok and status == 1",
                9,
                "expected an operator after \"json.ok\", found \"and\"",
                "compare it, like json.ok == \"ok\"",
            ),
            (
                "metric == 3",
                1,
                "metric needs a name",
                "like metric.load1, or metric[\"name with spaces\"]",
            ),
            (
                "label[x] == \"a\"",
                1,
                "label needs a name",
                "like label.load1, or label[\"name with spaces\"]",
            ),
            (
                "status.code == 1",
                1,
                "status has no parts to pick",
                "only json, metric and label take a path, like json.status",
            ),
            (
                "json.ok > true",
                9,
                "true can only be compared with == or !=",
                "like json.ok == true",
            ),
            (
                "json.latency < 5s",
                16,
                "a JSON value is a number, text, true, false or null, never a duration",
                "write the number in the JSON's own unit, like json.latency_ms < 500",
            ),
            (
                "json.code ~ 2",
                13,
                "~ takes a regex in double quotes",
                "like json.code ~ \"^ok\"",
            ),
            (
                "== 200",
                1,
                "expected a subject before \"==\"",
                "like status == 200",
            ),
        ] {
            let e = error(text);
            assert_eq!(
                (e.column, e.message.as_str(), e.hint.as_deref()),
                (column, message, Some(hint)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn structure_mistakes() {
        for (text, column, message) in [
            (
                "(status == 200",
                15,
                "expected ) to close the ( at column 1, found the end",
            ),
            ("status == 200)", 14, "this ) closes no ("),
            (
                "status == 200 and",
                18,
                "expected a condition after \"and\"",
            ),
            ("not", 4, "expected a condition after \"not\""),
            ("and status == 1", 1, "expected a condition before \"and\""),
            ("()", 2, "expected a condition after \"(\", found \")\""),
            ("status == 200 @", 15, "unexpected '@'"),
            ("status == \u{7}", 11, "unexpected '\\u{7}'"),
        ] {
            let e = error(text);
            assert_eq!(
                (e.column, e.message.as_str()),
                (column, message),
                "{text:?}"
            );
        }
    }

    #[test]
    fn regex_errors_give_their_reason() {
        let e = error(r#"body ~ "(unclosed""#);
        assert_eq!(
            (e.column, e.message.as_str()),
            (8, r#"bad regex "(unclosed""#)
        );
        assert_eq!(e.hint.as_deref(), Some("unclosed group"));
        let e = error(r#"output !~ "a{2,1}""#);
        assert_eq!(
            e.hint.as_deref(),
            Some("invalid repetition count range, the start must be <= the end")
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let e = error("body ~ \"é\" and stätus == 1");
        assert_eq!(e.column, 16);
        let e = error("body == \"日本\" = 1");
        assert_eq!(e.column, 14);
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}status == 1{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(error(&deep).message, "nested more than 32 deep");
        let nots = format!("{}status == 1", "not ".repeat(40));
        assert_eq!(error(&nots).message, "nested more than 32 deep");
        let fine = format!("{}status == 1{}", "(".repeat(20), ")".repeat(20));
        assert!(Condition::parse(&fine).is_ok());
        // Long flat chains are no problem.
        let long = vec!["status == 200"; 5_000].join(" or ");
        assert!(Condition::parse(&long).is_ok());
    }

    #[test]
    fn literals_of_every_form() {
        for text in [
            "status == 4",
            "value < 0.9",
            "value > -1",
            "value < 1e3",
            "value < +.5",
            "value > -.5",
            "metric.usage < 90%",
            "time < 1.5s",
            "time < 1m",
            "time < 1h30m",
            "time <= 0s",
            "body == \"say \\\"hi\\\" \\\\ bye\"",
            r#"body ~ "\d+ users""#,
            "json.ok == true",
            "json.ok != false",
            "json.x == null",
            "label.env == \"\"",
            "metric[\"disk usage\"] >= 0",
            "metric./var/log < 100",
            "status==200",
            "(status==200)and(time<1s)",
        ] {
            assert!(
                Condition::parse(text).is_ok(),
                "{text:?}: {:?}",
                Condition::parse(text)
            );
        }
    }
}
