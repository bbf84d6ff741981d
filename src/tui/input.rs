//! Text input: a one-line editor for the command bar and filters, and the note/change form
//! built on `ratatui-textarea` (cursor movement, paste, undo, multi-line).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::handoff::{EntryKind, Refs};

/// A one-line editor with a cursor (in characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub text: String,
    pub cursor: usize,
}

impl LineInput {
    pub fn with_text(text: &str) -> Self {
        LineInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    fn byte_at(&self, char_index: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_index)
            .map_or(self.text.len(), |(i, _)| i)
    }

    /// Where the cursor is in display columns: wide characters (CJK, most emoji) take two.
    pub fn cursor_column(&self) -> usize {
        self.text[..self.byte_at(self.cursor)].width()
    }

    /// The text to show in `columns` columns, scrolled so the cursor stays in view, and
    /// the cursor's column within it.
    pub fn view(&self, columns: usize) -> (&str, usize) {
        let mut column = self.cursor_column();
        let mut start = 0;
        let mut before = self.text.chars();
        while column >= columns.max(1) {
            let Some(c) = before.next() else { break };
            column = column.saturating_sub(c.width().unwrap_or(0));
            start += c.len_utf8();
        }
        (&self.text[start..], column)
    }

    pub fn insert_str(&mut self, s: &str) {
        let at = self.byte_at(self.cursor);
        // A pasted newline would end a one-line input; keep it on one line. Tabs and
        // escape codes would put the cursor where the text is not.
        let one_line: String = s
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        let clean = crate::text::into_printable(one_line);
        self.text.insert_str(at, &clean);
        self.cursor += clean.chars().count();
    }

    /// Edits on a key; returns false for keys it does not use (enter, esc, tab…).
    pub fn handle_key(&mut self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Char('u') if ctrl => {
                let at = self.byte_at(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            KeyCode::Char('w') if ctrl => {
                let end = self.byte_at(self.cursor);
                let before = &self.text[..end];
                let start = before.trim_end().rfind(' ').map_or(0, |i| i + 1);
                self.cursor -= self.text[start..end].chars().count();
                self.text.replace_range(start..end, "");
            }
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = len,
            KeyCode::Char(c) if !ctrl => self.insert_str(&c.to_string()),
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Backspace => {}
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Delete => {}
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            _ => return false,
        }
        true
    }
}

/// Which field of the form has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    What,
    Why,
}

/// What `$EDITOR` is editing: a field of the note/change form, or a bug draft's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditTarget {
    Entry(FormField),
    BugBody,
}

/// The note (`n`) or change (`c`) form. A change needs both what and why.
#[derive(Debug, Clone)]
pub struct EntryForm {
    pub kind: EntryKind,
    pub what: TextArea<'static>,
    pub why: TextArea<'static>,
    pub field: FormField,
    /// What the entry is about: the item selected when the form opened.
    pub refs: Refs,
    /// Why the last submit was refused, shown in the form.
    pub problem: Option<String>,
    /// The id of an entry whose save failed and that this form retries: it is saved under
    /// the same id, at most once, in case the first try did reach the disk.
    pub retry_of: Option<String>,
    /// Set for `s` on an alert: the form asks how long (what) and why, and submitting
    /// creates the silence before the change is recorded.
    pub silence: Option<SilenceTarget>,
    /// Set for `a` on drift: the form asks for how long (what; empty: until it changes)
    /// and why, and submitting records the acceptance.
    pub accept: Option<crate::drift::accepted::Acceptance>,
}

/// The alert a silence form is for.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceTarget {
    /// The Alertmanager's base URL.
    pub url: String,
    /// The alert's labels: the silence's matchers.
    pub labels: std::collections::BTreeMap<String, String>,
    /// How the row names the alert.
    pub alert: String,
}

impl EntryForm {
    pub fn new(kind: EntryKind, refs: Refs) -> Self {
        EntryForm {
            kind,
            what: TextArea::default(),
            why: TextArea::default(),
            field: FormField::What,
            refs,
            problem: None,
            retry_of: None,
            silence: None,
            accept: None,
        }
    }

    /// A form that accepts drift (`acceptance`, its why and time to be filled in): for how
    /// long (empty: until its content changes), and why.
    pub fn accept(acceptance: crate::drift::accepted::Acceptance, refs: Refs) -> Self {
        let mut form = EntryForm::new(EntryKind::DriftAccepted, refs);
        form.accept = Some(acceptance);
        form
    }

    /// How long the acceptance holds, from the what field: `None` until the content
    /// changes.
    pub fn accept_for(&self) -> Result<Option<std::time::Duration>, String> {
        let text = self.text(FormField::What);
        if text.is_empty() {
            return Ok(None);
        }
        match crate::config::duration::parse_duration(&text) {
            Ok(d) if !d.is_zero() => Ok(Some(d)),
            _ => Err(format!(
                "for how long: a duration like 7d or 12h (or nothing: until it changes), not {text:?}"
            )),
        }
    }

    /// A form that silences `target`: how long (prefilled "2h"), and why.
    pub fn silence(target: SilenceTarget, refs: Refs) -> Self {
        let mut form = EntryForm::new(EntryKind::Change, refs);
        form.set_text(FormField::What, "2h");
        form.silence = Some(target);
        form
    }

    /// The silence's length, from the what field.
    pub fn silence_for(&self) -> Result<std::time::Duration, String> {
        let text = self.text(FormField::What);
        match crate::config::duration::parse_duration(&text) {
            Ok(d) if !d.is_zero() => Ok(d),
            _ => Err(format!(
                "how long to silence: a duration like 2h or 30m, not {text:?}"
            )),
        }
    }

    pub fn needs_why(&self) -> bool {
        self.kind == EntryKind::Change || self.accept.is_some()
    }

    pub fn field_mut(&mut self) -> &mut TextArea<'static> {
        match self.field {
            FormField::What => &mut self.what,
            FormField::Why => &mut self.why,
        }
    }

    pub fn text(&self, field: FormField) -> String {
        let area = match field {
            FormField::What => &self.what,
            FormField::Why => &self.why,
        };
        area.lines().join("\n").trim().to_string()
    }

    pub fn set_text(&mut self, field: FormField, text: &str) {
        let lines: Vec<String> = text
            .trim_end_matches('\n')
            .lines()
            .map(str::to_string)
            .collect();
        let mut area = TextArea::new(if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        });
        area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        area.move_cursor(ratatui_textarea::CursorMove::End);
        match field {
            FormField::What => self.what = area,
            FormField::Why => self.why = area,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.text(FormField::What).is_empty() && self.text(FormField::Why).is_empty()
    }

    /// Checks the form can become an entry; says what is missing otherwise.
    pub fn validate(&self) -> Result<(), String> {
        if self.accept.is_some() {
            self.accept_for()?;
            if self.text(FormField::Why).is_empty() {
                return Err("say why this drift is expected: the next sheriff reads it".into());
            }
            return Ok(());
        }
        if self.silence.is_some() {
            self.silence_for()?;
            if self.text(FormField::Why).is_empty() {
                return Err("a silence needs its why: it becomes the silence's comment".into());
            }
            return Ok(());
        }
        if self.text(FormField::What).is_empty() {
            return Err(match self.kind {
                EntryKind::Change => "say what changed first".into(),
                EntryKind::Ack => "say what you are doing about it first".into(),
                _ => "the note is empty".into(),
            });
        }
        if self.needs_why() && self.text(FormField::Why).is_empty() {
            return Err("a change needs its why: the next sheriff will ask".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn line_input_edits_at_the_cursor() {
        let mut input = LineInput::with_text("heo");
        input.handle_key(&key(KeyCode::Left));
        input.handle_key(&key(KeyCode::Char('l')));
        input.handle_key(&key(KeyCode::Char('l')));
        assert_eq!(input.text, "hello");
        input.handle_key(&KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!((input.text.as_str(), input.cursor), ("o", 0));
        input.insert_str("a\nb");
        assert_eq!(input.text, "a bo");
    }

    #[test]
    fn cursor_column_counts_display_width() {
        let mut input = LineInput::with_text("日本 ok 🚀");
        assert_eq!(input.cursor_column(), 10);
        input.handle_key(&key(KeyCode::Home));
        input.handle_key(&key(KeyCode::Right));
        assert_eq!(input.cursor_column(), 2);
        input.handle_key(&key(KeyCode::Backspace));
        assert_eq!(
            (input.text.as_str(), input.cursor_column()),
            ("本 ok 🚀", 0)
        );
    }

    #[test]
    fn a_long_input_scrolls_to_keep_the_cursor_in_view() {
        let input = LineInput::with_text("日本語のテキスト");
        assert_eq!(input.view(40), ("日本語のテキスト", 16));
        // Ten columns: the cursor after the text needs the last column free.
        assert_eq!(input.view(10), ("テキスト", 8));
        let mut pasted = LineInput::default();
        pasted.insert_str("a\tb\x1b[31mc\r\nd");
        assert_eq!(pasted.text, "a       bc  d");
        assert_eq!(pasted.cursor_column(), 13);
    }

    #[test]
    fn change_needs_why() {
        let mut form = EntryForm::new(EntryKind::Change, Refs::default());
        form.set_text(FormField::What, "restarted php-fpm");
        assert!(form.validate().is_err());
        form.set_text(FormField::Why, "workers stuck");
        assert!(form.validate().is_ok());
    }
}
