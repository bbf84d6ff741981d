//! Lines grouped into messages: a line with its own time starts one, and the lines after it
//! that have none (a stack trace, the rest of a multi-line text) belong to it.
//!
//! Until a source has shown a line with a time, and in sources that never do, each line is
//! a message of its own: there is nothing to tell a continuation by.

use super::{LineParser, Parsed};

/// Text a message keeps at most; lines past it are counted, not kept, so one endless
/// stack trace cannot take all the memory.
const MAX_TEXT: usize = 1 << 20;

/// One message: the line it starts on, what that line says, and all its lines' text.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The 1-based number of the line the message starts on.
    pub line: usize,
    /// What the first line says (its time, level, host…); `parsed.msg` is an offset into
    /// the first line of `text`.
    pub parsed: Parsed,
    /// The lines, joined with `\n`, without their line ends.
    pub text: String,
    /// How many lines the message has.
    pub lines: usize,
    /// Whether lines were left out of `text` for its size.
    pub truncated: bool,
}

impl Message {
    /// The message's own text: the first line's message and the lines after it.
    pub fn body(&self) -> String {
        let (first, rest) = match self.text.split_once('\n') {
            Some((first, rest)) => (first, Some(rest)),
            None => (self.text.as_str(), None),
        };
        let mut body = self.parsed.message_of(first).to_string();
        if let Some(rest) = rest {
            body.push('\n');
            body.push_str(rest);
        }
        body
    }
}

/// Groups the lines of one source into messages, as they are read.
///
/// ```
/// use sheriff::logs::parse::{Format, LineParser, Messages};
/// let mut messages = Messages::new(LineParser::new(Format::Log4j));
/// let mut done = Vec::new();
/// for line in [
///     "2024-05-01 12:00:01,123 ERROR [main] c.e.App - request failed",
///     "java.lang.IllegalStateException: closed",
///     "\tat c.e.App.run(App.java:42)",
///     "2024-05-01 12:00:02,001 INFO  [main] c.e.App - retrying",
/// ] {
///     done.extend(messages.push(line));
/// }
/// done.extend(messages.finish());
/// assert_eq!(done.iter().map(|m| (m.line, m.lines)).collect::<Vec<_>>(), [(1, 3), (4, 1)]);
/// ```
#[derive(Debug)]
pub struct Messages {
    parser: LineParser,
    /// Lines read so far.
    read: usize,
    /// Whether any line so far had a time.
    timed: bool,
    open: Option<Message>,
}

impl Messages {
    pub fn new(parser: LineParser) -> Messages {
        Messages {
            parser,
            read: 0,
            timed: false,
            open: None,
        }
    }

    /// The parser lines are read with (its format once `Auto` settled).
    pub fn parser(&self) -> &LineParser {
        &self.parser
    }

    /// Reads the next line; returns the message it ended, if it started a new one.
    pub fn push(&mut self, line: &str) -> Option<Message> {
        self.read += 1;
        let line = line.trim_end_matches(['\n', '\r']);
        let parsed = self.parser.parse(line);
        let starts = parsed.time.is_some() || !self.timed;
        self.timed |= parsed.time.is_some();
        if !starts {
            if let Some(open) = &mut self.open {
                open.lines += 1;
                if open.text.len() + 1 + line.len() <= MAX_TEXT {
                    open.text.push('\n');
                    open.text.push_str(line);
                } else {
                    open.truncated = true;
                }
                return None;
            }
        }
        let text = if line.len() > MAX_TEXT {
            let mut end = MAX_TEXT;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line[..end].to_string()
        } else {
            line.to_string()
        };
        let message = Message {
            line: self.read,
            truncated: text.len() < line.len(),
            parsed,
            text,
            lines: 1,
        };
        self.open.replace(message)
    }

    /// The last message, once there are no more lines.
    pub fn finish(&mut self) -> Option<Message> {
        self.open.take()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Format;
    use super::*;

    fn group(format: Format, lines: &[&str]) -> Vec<(usize, usize, String)> {
        let mut messages = Messages::new(LineParser::new(format));
        let mut out: Vec<Message> = lines.iter().filter_map(|l| messages.push(l)).collect();
        out.extend(messages.finish());
        out.into_iter()
            .map(|m| (m.line, m.lines, m.body()))
            .collect()
    }

    #[test]
    fn untimed_lines_before_the_first_time_stand_alone() {
        let got = group(
            Format::Iso8601,
            &[
                "banner",
                "",
                "2024-05-01T12:00:01Z INFO up\r\n",
                "  more",
                "2024-05-01T12:00:02Z WARN x",
            ],
        );
        let want = [
            (1, 1, "banner".to_string()),
            (2, 1, String::new()),
            (3, 2, "up\n  more".to_string()),
            (5, 1, "x".to_string()),
        ];
        assert_eq!(got, want);
        assert_eq!(group(Format::Plain, &["a", "b"]).len(), 2);
    }

    #[test]
    fn a_huge_message_is_cut() {
        let mut messages = Messages::new(LineParser::new(Format::Iso8601));
        assert!(messages.push("2024-05-01T12:00:01Z INFO start").is_none());
        let big = "é".repeat(MAX_TEXT / 4);
        for _ in 0..5 {
            assert!(messages.push(&big).is_none());
        }
        let message = messages.finish().expect("open message");
        assert!(message.truncated && message.text.len() <= MAX_TEXT);
        assert_eq!(message.lines, 6);
        let mut messages = Messages::new(LineParser::new(Format::Plain));
        messages.push(&"é".repeat(MAX_TEXT));
        let message = messages.finish().expect("one line");
        assert!(message.truncated && message.text.len() <= MAX_TEXT);
    }
}
