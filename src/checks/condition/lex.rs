//! The words of the `expect` language, each with the column it starts at, and the
//! mistakes that show already here: `=` for `==`, `&&`, an unterminated string.

use std::time::Duration;

use super::ConditionError;
use crate::checks::perfdata::split_number;
use crate::config::duration::parse_duration;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `~`: the regex matches somewhere in the text.
    Match,
    /// `!~`: the regex matches nowhere.
    NotMatch,
}

impl Op {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Match => "~",
            Op::NotMatch => "!~",
        }
    }

    pub(super) fn is_regex(self) -> bool {
        matches!(self, Op::Match | Op::NotMatch)
    }

    pub(super) fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A name: a subject, or `and`, `or`, `not`, `true`, `false`, `null`.
    Word(String),
    /// A name with a path right after it: `json.items[0]` is ("json", ".items[0]").
    Path(String, String),
    /// A number; `90%` is 90.
    Number(f64),
    Duration(Duration),
    /// A double-quoted string, escapes resolved.
    Str(String),
    Op(Op),
    Open,
    Close,
}

/// One token and where it is.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    /// 1-based, in characters.
    pub column: usize,
    /// The token as written.
    pub text: String,
}

/// Characters that end a name or path outside brackets: operators and parentheses.
fn ends_word(c: char) -> bool {
    c.is_whitespace() || "=!<>~()&|".contains(c)
}

/// Splits a condition into tokens.
pub(super) fn tokens(text: &str) -> Result<Vec<Token>, ConditionError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let byte = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let err = |i: usize, message: String, hint: Option<&str>| ConditionError {
        column: i + 1,
        message,
        hint: hint.map(str::to_string),
    };
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let next = at(i + 1);
        let tok = match (c, next) {
            ('(', _) => Tok::Open,
            (')', _) => Tok::Close,
            ('=', Some('=')) | ('!', Some('=')) | ('<', Some('=')) | ('>', Some('=')) => {
                i += 1;
                Tok::Op(match c {
                    '=' => Op::Eq,
                    '!' => Op::Ne,
                    '<' => Op::Le,
                    _ => Op::Ge,
                })
            }
            ('!', Some('~')) => {
                i += 1;
                Tok::Op(Op::NotMatch)
            }
            ('=', Some('~')) => {
                let why = "\"=~\" is not an operator".into();
                return Err(err(i, why, Some("use ~ to match a regex")));
            }
            ('=', _) => {
                let why = "\"=\" is not an operator".into();
                return Err(err(i, why, Some("use == to compare")));
            }
            ('<', Some('>')) => {
                let why = "\"<>\" is not an operator".into();
                return Err(err(i, why, Some("use != for \"not equal\"")));
            }
            ('!', _) => {
                let why = "\"!\" is not an operator".into();
                let hint = "use not to negate a condition, != or !~ to compare";
                return Err(err(i, why, Some(hint)));
            }
            ('&', _) => {
                let why = format!(
                    "\"{}\" is not an operator",
                    if next == Some('&') { "&&" } else { "&" }
                );
                return Err(err(i, why, Some("use and")));
            }
            ('|', _) => {
                let why = format!(
                    "\"{}\" is not an operator",
                    if next == Some('|') { "||" } else { "|" }
                );
                return Err(err(i, why, Some("use or")));
            }
            ('<', _) => Tok::Op(Op::Lt),
            ('>', _) => Tok::Op(Op::Gt),
            ('~', _) => Tok::Op(Op::Match),
            ('"', _) => match read_string(&text[byte(i)..]) {
                Some((value, len)) => {
                    i = chars.partition_point(|&(b, _)| b < byte(i) + len) - 1;
                    Tok::Str(value)
                }
                None => {
                    let hint = "close it with a \"; write \\\" for a quote inside it";
                    return Err(err(i, "unterminated string".into(), Some(hint)));
                }
            },
            ('\'', _) => {
                let why = "text goes in double quotes".into();
                return Err(err(i, why, Some("write \"like this\"")));
            }
            _ if starts_number(c, next, at(i + 2)) => {
                let (tok, end) = number(text, &chars, i).map_err(|(m, h)| err(i, m, Some(h)))?;
                i = end - 1;
                tok
            }
            _ if c.is_alphabetic() || c == '_' => {
                while at(i + 1).is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    i += 1;
                }
                let name = text[byte(start)..byte(i + 1)].to_string();
                if matches!(at(i + 1), Some('.' | '[')) {
                    let path_start = i + 1;
                    i = path_end(&chars, path_start) - 1;
                    Tok::Path(name, text[byte(path_start)..byte(i + 1)].to_string())
                } else {
                    Tok::Word(name)
                }
            }
            _ => return Err(err(i, format!("unexpected {c:?}"), None)),
        };
        i += 1;
        out.push(Token {
            tok,
            column: start + 1,
            text: text[byte(start)..byte(i)].to_string(),
        });
    }
    Ok(out)
}

/// Whether a number starts here: a digit, or a sign or point before one.
fn starts_number(c: char, next: Option<char>, after: Option<char>) -> bool {
    let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
    c.is_ascii_digit()
        || (c == '.' && digit(next))
        || (matches!(c, '-' | '+') && (digit(next) || (next == Some('.') && digit(after))))
}

/// A number (`4`, `-1`, `1e3`, `90%`) or a duration (`500ms`, `1h30m`) at char `i`, and
/// the char index after it; or the message and hint for what is neither.
fn number(
    text: &str,
    chars: &[(usize, char)],
    i: usize,
) -> Result<(Tok, usize), (String, &'static str)> {
    let from = chars[i].0;
    let Some((value, rest)) = split_number(&text[from..]) else {
        return Err(("this number is too large".into(), "write a smaller one"));
    };
    // The number is ASCII: one char a byte.
    let mut end = i + (text.len() - from - rest.len());
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    match at(end) {
        Some('%') => Ok((Tok::Number(value), end + 1)),
        Some(c) if c.is_alphabetic() => {
            while at(end).is_some_and(|c| c.is_alphanumeric() || c == '.') {
                end += 1;
            }
            let written = &text[from..chars.get(end).map_or(text.len(), |&(b, _)| b)];
            match parse_duration(written) {
                Ok(d) => Ok((Tok::Duration(d), end)),
                Err(bad) => Err((
                    format!("bad duration \"{written}\": {}", bad.why),
                    "write a number and a unit, like 500ms, 2s, 1.5s or 1m",
                )),
            }
        }
        _ => Ok((Tok::Number(value), end)),
    }
}

/// The char index where a path starting at `from` (on its `.` or `[`) ends: at a space,
/// operator or parenthesis outside brackets and quotes, so a JSONPath filter such as
/// `[?@.state == "up"]` stays one path.
fn path_end(chars: &[(usize, char)], from: usize) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut i = from;
    while let Some(&(_, c)) = chars.get(i) {
        match quote {
            Some(_) if c == '\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' if depth > 0 => quote = Some(c),
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                c if depth == 0 && ends_word(c) => break,
                _ => {}
            },
        }
        i += 1;
    }
    i.min(chars.len())
}

/// A double-quoted string at the start of `text`: its value and its length in bytes, or
/// None when it does not end. `\"` is a quote and `\\` a backslash; any other backslash is
/// kept as written, so a regex's `\d` or `\.` needs no doubling.
pub(super) fn read_string(text: &str) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((value, i + 1)),
            '\\' => match chars.next() {
                Some((_, c @ ('"' | '\\'))) => value.push(c),
                Some((_, c)) => {
                    value.push('\\');
                    value.push(c);
                }
                None => return None,
            },
            c => value.push(c),
        }
    }
    None
}
