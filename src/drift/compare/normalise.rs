//! A file's text turned into the lines that are compared, in one pass. Each line keeps its
//! number and its text as read (for showing) beside the key it is compared by. With no
//! rules and no placeholders the key borrows the line, so a 200,000-line file costs one
//! scan for newlines and no copy.

use std::borrow::Cow;

use super::rules::{Placeholders, Rules, Whitespace};

pub(crate) struct Line<'t> {
    /// 1-based line number in the file as read.
    pub no: usize,
    /// The line as read, without its line ending.
    pub raw: &'t str,
    /// What the line is compared by.
    pub key: Cow<'t, str>,
}

pub(crate) struct Normalised<'t> {
    pub lines: Vec<Line<'t>>,
    /// Whether any line ended in `\r\n`.
    pub crlf: bool,
}

pub(crate) fn normalise<'t>(
    text: &'t str,
    rules: &Rules,
    placeholders: &Placeholders,
) -> Normalised<'t> {
    let mut lines = Vec::with_capacity(text.len() / 32 + 1);
    let mut crlf = false;
    let verbatim = rules.is_verbatim() && placeholders.is_empty();
    for (index, line) in split_lines(text).enumerate() {
        let raw = match line.strip_suffix('\r') {
            Some(stripped) => {
                crlf = true;
                stripped
            }
            None => line,
        };
        let no = index + 1;
        if verbatim {
            lines.push(Line {
                no,
                raw,
                key: Cow::Borrowed(raw),
            });
        } else if let Some(key) = line_key(raw, rules, placeholders) {
            lines.push(Line { no, raw, key });
        }
    }
    if rules.order_insensitive {
        sort_within_sections(&mut lines);
    }
    Normalised { lines, crlf }
}

/// Lines split on `\n`; a final newline does not start another line.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let empty = text.is_empty();
    body.split('\n').filter(move |_| !empty)
}

/// The key a line is compared by, or `None` when the rules leave it out.
fn line_key<'t>(raw: &'t str, rules: &Rules, placeholders: &Placeholders) -> Option<Cow<'t, str>> {
    if let Some(ignore) = &rules.ignore_lines {
        if ignore.is_match(raw) {
            return None;
        }
    }
    let indented = raw.trim_start();
    if rules
        .comment_prefixes
        .iter()
        .any(|prefix| indented.starts_with(prefix.as_str()))
    {
        return None;
    }
    let mut key = match placeholders.apply(raw) {
        Some(replaced) => Cow::Owned(replaced),
        None => Cow::Borrowed(raw),
    };
    key = match rules.whitespace {
        Whitespace::Exact => key,
        Whitespace::IgnoreTrailing => rewrite(key, |k| Cow::Borrowed(k.trim_end())),
        Whitespace::IgnoreChanges => rewrite(key, collapse_whitespace),
        Whitespace::IgnoreAll => rewrite(key, remove_whitespace),
    };
    if rules.ignore_blank_lines && key.trim().is_empty() {
        return None;
    }
    Some(key)
}

/// `key` through `change`, borrowing still when the key was borrowed and nothing changed.
fn rewrite<'t>(
    key: Cow<'t, str>,
    change: impl for<'a> Fn(&'a str) -> Cow<'a, str>,
) -> Cow<'t, str> {
    match key {
        Cow::Borrowed(k) => change(k),
        Cow::Owned(k) => Cow::Owned(change(&k).into_owned()),
    }
}

/// Runs of whitespace as one space, none at the ends; no copy for a line already so.
fn collapse_whitespace(line: &str) -> Cow<'_, str> {
    let trimmed = line.trim();
    let bytes = trimmed.as_bytes();
    let tidy = trimmed.is_ascii()
        && !bytes.iter().any(|b| b.is_ascii_whitespace() && *b != b' ')
        && !bytes.windows(2).any(|w| w == b"  ");
    if tidy {
        return Cow::Borrowed(trimmed);
    }
    let mut out = String::with_capacity(trimmed.len());
    for word in trimmed.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

/// The line without any whitespace; no copy for a line that has none.
fn remove_whitespace(line: &str) -> Cow<'_, str> {
    if !line.chars().any(char::is_whitespace) {
        return Cow::Borrowed(line);
    }
    Cow::Owned(line.split_whitespace().collect())
}

/// Sorts the lines between section headers (`[name]`), headers staying where they are.
fn sort_within_sections(lines: &mut [Line<'_>]) {
    let is_header = |line: &Line<'_>| {
        let t = line.key.trim();
        t.starts_with('[') && t.ends_with(']')
    };
    let mut start = 0;
    while start < lines.len() {
        let end = lines[start..]
            .iter()
            .position(is_header)
            .map_or(lines.len(), |n| start + n);
        lines[start..end].sort_by(|x, y| x.key.cmp(&y.key));
        start = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str, rules: &Rules) -> Vec<String> {
        let none = Placeholders::new(rules, &Default::default());
        normalise(text, rules, &none)
            .lines
            .into_iter()
            .map(|l| l.key.into_owned())
            .collect()
    }

    #[test]
    fn without_rules_lines_are_kept_as_they_are_and_numbered() {
        let text = "a  \r\n\n# c\nlast";
        let normalised = normalise(
            text,
            &Rules::default(),
            &Placeholders::new(&Rules::default(), &Default::default()),
        );
        let got: Vec<(usize, &str)> = normalised
            .lines
            .iter()
            .map(|l| (l.no, l.key.as_ref()))
            .collect();
        assert_eq!(got, [(1, "a  "), (2, ""), (3, "# c"), (4, "last")]);
        assert!(normalised.crlf);
    }

    #[test]
    fn whitespace_comment_and_blank_rules_each_do_their_part() {
        let rules = Rules {
            whitespace: Whitespace::IgnoreChanges,
            ignore_blank_lines: true,
            comment_prefixes: vec!["#".into(), "//".into()],
            ..Rules::default()
        };
        let got = keys("  listen   80 ;\n\n   # note\n// note\nx\t=\t1\n", &rules);
        assert_eq!(got, ["listen 80 ;", "x = 1"]);
        let all = Rules {
            whitespace: Whitespace::IgnoreAll,
            ..Rules::default()
        };
        assert_eq!(keys("a = 1\n", &all), ["a=1"]);
    }

    #[test]
    fn ignored_lines_are_left_out_and_order_is_sorted_per_section() {
        let mut rules = Rules::ignoring(&["^; generated"]).unwrap();
        rules.order_insensitive = true;
        let got = keys("; generated 12:00\nb=2\na=1\n[s]\nz=1\ny=2\n", &rules);
        assert_eq!(got, ["a=1", "b=2", "[s]", "y=2", "z=1"]);
    }

    #[test]
    fn collapsing_whitespace_borrows_tidy_lines_and_fixes_the_rest() {
        assert!(matches!(
            collapse_whitespace("a b c"),
            Cow::Borrowed("a b c")
        ));
        assert!(matches!(
            collapse_whitespace("  a b "),
            Cow::Borrowed("a b")
        ));
        for (line, want) in [("a  b", "a b"), ("a\tb", "a b"), ("a\u{a0}\u{a0}b", "a b")] {
            assert_eq!(collapse_whitespace(line), want, "{line:?}");
        }
        assert!(matches!(remove_whitespace("ab"), Cow::Borrowed("ab")));
        assert_eq!(remove_whitespace(" a \tb "), "ab");
    }
}
