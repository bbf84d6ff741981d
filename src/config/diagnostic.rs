//! Errors that point into a file as `path:line:col: message`, for any of sheriff's files
//! (the config, keymaps, themes), and the "did you mean" that goes with them.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a file, at a 1-based line and column.
///
/// Displays as `path:line:col: message`, the form editors and terminals turn into links.
/// A problem with the file as a whole (cannot read it) has line 0 and displays as
/// `path: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl ConfigError {
    pub fn new(
        path: impl Into<PathBuf>,
        line: usize,
        col: usize,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            path: path.into(),
            line,
            col,
            message: message.into(),
        }
    }

    /// An error at a byte offset of `text`, the contents of `path`.
    pub fn at(path: &Path, text: &str, byte_offset: usize, message: impl Into<String>) -> Self {
        let (line, col) = line_col(text, byte_offset);
        ConfigError::new(path, line, col, message)
    }

    /// An error about the whole file, such as "no such file".
    pub fn file(path: &Path, message: impl Into<String>) -> Self {
        ConfigError::new(path, 0, 0, message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.col,
                self.message
            )
        }
    }
}

/// Every problem found in one load, in file order. Displays one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(err: ConfigError) -> Self {
        ConfigErrors(vec![err])
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, err) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{err}")?;
        }
        Ok(())
    }
}

/// The 1-based line and column of a byte offset. Columns count characters, not bytes,
/// so they match what an editor shows on a line with non-ASCII text.
///
/// ```
/// use sheriff::config::diagnostic::line_col;
/// // The "=" after the two-byte "é" is in column 4, not 5.
/// assert_eq!(line_col("a = 1\nbé = 2\n", 10), (2, 4));
/// ```
pub fn line_col(text: &str, byte_offset: usize) -> (usize, usize) {
    let mut offset = byte_offset.min(text.len());
    // A span from a parser is always on a boundary, but an offset computed by hand may not be.
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// The candidate closest to a mistyped `word`, if one is close enough to be a likely typo.
///
/// Compares case-insensitively by Damerau-Levenshtein distance relative to length, so a
/// swapped or missing letter ("evns", "htp", "prodution") finds its word but two names that
/// merely share a prefix ("web1.staging", "web1.prod") do not.
///
/// ```
/// use sheriff::config::diagnostic::did_you_mean;
/// assert_eq!(did_you_mean("htp", ["http", "disk"]), Some("http"));
/// assert_eq!(did_you_mean("foo", ["http", "disk"]), None);
/// ```
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    const MIN_SIMILARITY: f64 = 0.6;
    let word = word.to_lowercase();
    let mut best: Option<(&'a str, f64)> = None;
    for candidate in candidates {
        let score = strsim::normalized_damerau_levenshtein(&word, &candidate.to_lowercase());
        if score >= MIN_SIMILARITY && best.is_none_or(|(_, b)| score > b) {
            best = Some((candidate, score));
        }
    }
    best.map(|(candidate, _)| candidate)
}

/// ` (did you mean "x"?)` or nothing: for appending to a message.
pub fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(word, candidates)
        .map(|s| format!(" (did you mean \"{s}\"?)"))
        .unwrap_or_default()
}

/// The last line of the regex crate's error, without the pattern-and-caret diagram that
/// would break the one-error-per-line output.
pub fn regex_reason(err: &regex::Error) -> String {
    let text = err.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(&text);
    last.trim().trim_start_matches("error: ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = "ab\ncd\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 1), (1, 2));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 100), (3, 1));
    }

    #[test]
    fn line_col_steps_back_inside_a_character() {
        // "é" is two bytes: offset 2 is inside it.
        assert_eq!(line_col("xé", 2), (1, 2));
    }

    #[test]
    fn suggests_typos_not_unrelated_names() {
        let envs = ["production", "staging", "local"];
        assert_eq!(did_you_mean("prodution", envs), Some("production"));
        assert_eq!(did_you_mean("Staging", envs), Some("staging"));
        assert_eq!(did_you_mean("qa", envs), None);
        assert_eq!(did_you_mean("evns", ["envs", "on"]), Some("envs"));
        assert_eq!(did_you_mean("githb", ["github", "gitlab"]), Some("github"));
        assert_eq!(
            did_you_mean("web1.staging", ["web1.prod", "db1.prod"]),
            None
        );
    }

    #[test]
    fn display_has_position_unless_whole_file() {
        let err = ConfigError::new("sheriff.toml", 12, 9, "unknown key");
        assert_eq!(err.to_string(), "sheriff.toml:12:9: unknown key");
        let err = ConfigError::file(Path::new("x.toml"), "no such file");
        assert_eq!(err.to_string(), "x.toml: no such file");
    }
}
