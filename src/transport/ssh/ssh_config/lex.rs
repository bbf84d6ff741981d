//! Splitting a config line into words exactly as OpenSSH does, because a different split is
//! a different config. OpenSSH uses two splitters (misc.c): `strdelim` for the keyword and
//! for `Match` criteria (double quotes only, one `=` may separate), and `argv_split` for
//! every other keyword's arguments (single and double quotes that join with the text around
//! them, `\` escapes, `#` at the start of a word ends the line). Neither is a shell word
//! splitter, so no crate does this.

/// One line, split: the keyword (lowercased) and what follows it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Line {
    pub keyword: String,
    /// The text after the keyword, as `strdelim` leaves it (for `Match`).
    pub rest: String,
}

const WHITESPACE: &[char] = &[' ', '\t', '\r', '\n'];

/// Splits off the keyword. None for blank lines and comments; `Err` when a keyword has
/// nothing after it (OpenSSH: "no argument after keyword").
pub(super) fn split_keyword(raw: &str) -> Option<Result<Line, String>> {
    let line = raw.trim_end_matches(|c: char| WHITESPACE.contains(&c) || c == '\x0c');
    let mut rest = line;
    let mut keyword = strdelim(&mut rest)?;
    if keyword.is_empty() {
        keyword = strdelim(&mut rest)?;
    }
    if keyword.is_empty() || keyword.starts_with('#') {
        return None;
    }
    let keyword = keyword.to_ascii_lowercase();
    let rest = rest.trim_start_matches(WHITESPACE);
    if rest.is_empty() {
        return Some(Err(format!("no argument after keyword \"{keyword}\"")));
    }
    Some(Ok(Line {
        keyword,
        rest: rest.to_string(),
    }))
}

/// OpenSSH's `strdelim`: the next word of `s`, advancing `s` past it and the whitespace (and
/// one `=`) after it. None at the end, or when a quote is never closed.
pub(super) fn strdelim(s: &mut &str) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    let text = *s;
    let Some(stop) = text.find(|c: char| WHITESPACE.contains(&c) || c == '"' || c == '=') else {
        *s = "";
        return Some(text.to_string());
    };
    let word_start = &text[..stop];
    let after = &text[stop..];
    if let Some(quoted) = after.strip_prefix('"') {
        // The quote is removed and the word runs to the next quote, whitespace and all.
        let Some(close) = quoted.find('"') else {
            *s = "";
            return None;
        };
        let word = format!("{word_start}{}", &quoted[..close]);
        *s = quoted[close + 1..].trim_start_matches(WHITESPACE);
        return Some(word);
    }
    let equals = after.starts_with('=');
    let mut tail = after[1..].trim_start_matches(WHITESPACE);
    if !equals {
        if let Some(t) = tail.strip_prefix('=') {
            tail = t.trim_start_matches(WHITESPACE);
        }
    }
    *s = tail;
    Some(word_start.to_string())
}

/// OpenSSH's `argv_split` with comments on: the arguments of a keyword. `Err` for an
/// unclosed quote.
pub(super) fn argv_split(s: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut args = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' || chars[i] == '\t' {
            i += 1;
            continue;
        }
        if chars[i] == '#' {
            break;
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '\\' {
                match next {
                    Some(n @ ('\'' | '"' | '\\')) => {
                        arg.push(n);
                        i += 1;
                    }
                    Some(' ') if quote.is_none() => {
                        arg.push(' ');
                        i += 1;
                    }
                    _ => arg.push(c),
                }
            } else if quote.is_none() && (c == ' ' || c == '\t') {
                break;
            } else if quote.is_none() && (c == '"' || c == '\'') {
                quote = Some(c);
            } else if quote == Some(c) {
                quote = None;
            } else {
                arg.push(c);
            }
            i += 1;
        }
        if quote.is_some() {
            return Err("invalid quotes".into());
        }
        args.push(arg);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        argv_split(s).unwrap()
    }

    #[test]
    fn quotes_join_the_text_around_them() {
        assert_eq!(
            words("edge\"-case-1.example.com\""),
            ["edge-case-1.example.com"]
        );
        assert_eq!(words("'a b' \"c\"d e"), ["a b", "cd", "e"]);
        assert_eq!(words("a\\ b c\\\"d"), ["a b", "c\"d"]);
        assert_eq!(words("x #comment"), ["x"]);
        assert_eq!(words("a#b"), ["a#b"]);
        assert_eq!(words("\"\""), [""]);
        assert!(argv_split("\"open").is_err());
    }

    #[test]
    fn keywords_split_on_whitespace_or_one_equals() {
        let line = split_keyword("  Port = 22").unwrap().unwrap();
        assert_eq!((line.keyword.as_str(), line.rest.as_str()), ("port", "22"));
        let line = split_keyword("User=x").unwrap().unwrap();
        assert_eq!(line.rest, "x");
        assert!(split_keyword("   # comment").is_none());
        assert!(split_keyword("").is_none());
        assert!(split_keyword("Port   ").unwrap().is_err());
    }

    #[test]
    fn strdelim_reads_match_words() {
        let mut s = "host \"a b\" user=x";
        assert_eq!(strdelim(&mut s).as_deref(), Some("host"));
        assert_eq!(strdelim(&mut s).as_deref(), Some("a b"));
        assert_eq!(strdelim(&mut s).as_deref(), Some("user"));
        assert_eq!(strdelim(&mut s).as_deref(), Some("x"));
        assert_eq!(strdelim(&mut s), None);
    }
}
