//! `json.PATH` subjects: the path is a JSONPath (RFC 9535) without its `$`, compiled by
//! serde_json_path when the condition is parsed.

use serde_json_path::JsonPath;

use super::lex::Token;
use super::ConditionError;

/// Limits on a path, well past any real one; see [`compile`].
const MAX_PATH_CHARS: usize = 500;
const MAX_PATH_NESTING: usize = 6;

/// Compiles `$` + the path written after `json`; an error points at its column in the
/// condition.
pub(super) fn compile(token: &Token, path: &str) -> Result<JsonPath, ConditionError> {
    // serde_json_path parses by recursion and backtracking: a path nested deep enough
    // overflows the stack (aborting sheriff) and a long one takes seconds, so both are
    // refused first. Real paths nest two or three deep.
    let refuse = |message: String| ConditionError {
        column: token.column,
        message,
        hint: Some("pick the value with a simpler path".into()),
    };
    if path.chars().count() > MAX_PATH_CHARS {
        return Err(refuse(format!(
            "this JSON path is longer than {MAX_PATH_CHARS} characters"
        )));
    }
    if nesting(path) > MAX_PATH_NESTING {
        return Err(refuse(format!(
            "this JSON path nests brackets more than {MAX_PATH_NESTING} deep"
        )));
    }
    let query = format!("${path}");
    JsonPath::parse(&query).map_err(|e| {
        // `position` is 1-based into the query, whose `$` stands where `json` ends.
        let byte = e.position().saturating_sub(1).min(query.len());
        let chars_in = query.char_indices().take_while(|(b, _)| *b < byte).count();
        let hint = match bracketed(path) {
            Some(fixed) => format!("a name like that goes in brackets: json{fixed}"),
            None => "json.PATH is a JSONPath without its $, like json.items[0].state".into(),
        };
        ConditionError {
            column: token.column + "json".len() + chars_in.saturating_sub(1),
            message: format!("bad JSON path \"json{path}\": {}", e.message()),
            hint: Some(hint),
        }
    })
}

/// How deep `[` and `(` nest in a path, outside quoted names.
fn nesting(path: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    let mut quote = None;
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '(') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (None, ']' | ')') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// The path with its first dotted name that a dot cannot take (`.a-b`, `.2xx`) written
/// in brackets instead (`["a-b"]`), if it has one.
fn bracketed(path: &str) -> Option<String> {
    let mut rest = path;
    let mut done = 0;
    loop {
        if rest.starts_with('[') {
            let close = rest.find(']')? + 1;
            done += close;
            rest = &rest[close..];
            continue;
        }
        let after_dot = rest.strip_prefix('.')?;
        let len = after_dot.find(['.', '[']).unwrap_or(after_dot.len());
        let name = &after_dot[..len];
        let plain = name.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !plain && !name.is_empty() && !name.contains(['"', '\\', '*']) {
            let tail = &after_dot[len..];
            return Some(format!("{}[\"{name}\"]{tail}", &path[..done]));
        }
        done += 1 + len;
        rest = &after_dot[len..];
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

    #[test]
    fn json_paths_are_checked_when_parsed() {
        let e = error("json.items[0 == 1");
        assert!(
            e.message.starts_with("bad JSON path \"json.items[0"),
            "{e:?}"
        );
        assert_eq!(
            e.hint.as_deref(),
            Some("json.PATH is a JSONPath without its $, like json.items[0].state")
        );
        assert!(e.column >= 5 && e.column <= 13, "{e:?}");
        let e = error("json.a-b == 1");
        assert!(e.message.starts_with("bad JSON path \"json.a-b\""), "{e:?}");
        assert_eq!(
            e.hint.as_deref(),
            Some("a name like that goes in brackets: json[\"a-b\"]")
        );
        let e = error("json.checks.2xx.rate > 0.9");
        assert_eq!(
            e.hint.as_deref(),
            Some("a name like that goes in brackets: json.checks[\"2xx\"].rate")
        );
        let e = error("json.items[0].a-b == 1");
        assert_eq!(
            e.hint.as_deref(),
            Some("a name like that goes in brackets: json.items[0][\"a-b\"]")
        );
        // What parses: RFC 9535 forms, brackets for names a dot cannot take.
        for text in [
            "json == null",
            "json.status == \"ok\"",
            "json.items[0].state == \"up\"",
            "json.data.result[*].value[1] > 0",
            "json[\"a-b\"] == 1",
            "json..price < 10",
            "json.items[-1].id == 3",
            "json.data.result[?@.metric.job == \"node\"].value[1] == \"1\"",
            "json.items[?length(@.tags) > 1] != null",
        ] {
            assert!(
                Condition::parse(text).is_ok(),
                "{text:?}: {:?}",
                Condition::parse(text)
            );
        }
    }

    /// The JSONPath parser recurses and backtracks: what would overflow the stack or take
    /// seconds is refused before it is parsed.
    #[test]
    fn json_paths_are_bounded() {
        let deep = format!("json[?{}1{}] == 1", "@[?".repeat(7), "]".repeat(7));
        let e = error(&deep);
        assert_eq!(
            (e.column, e.message.as_str()),
            (1, "this JSON path nests brackets more than 6 deep")
        );
        let deep = format!("json[?{}@.a{}] == 1", "!(".repeat(40), ")".repeat(40));
        assert_eq!(
            error(&deep).message,
            "this JSON path nests brackets more than 6 deep"
        );
        let long = format!("json{} == 1", ".a".repeat(300));
        assert_eq!(
            error(&long).message,
            "this JSON path is longer than 500 characters"
        );
        // Brackets inside quoted names do not count.
        let quoted = format!("json[\"{}\"] == 1", "[(".repeat(20));
        assert!(Condition::parse(&quoted).is_ok());
        let ok = format!("json[?{}@.a == 1{}] == 1", "@[?".repeat(5), "]".repeat(5));
        assert!(Condition::parse(&ok).is_ok(), "{:?}", Condition::parse(&ok));
    }
}
