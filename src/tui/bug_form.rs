//! The bug draft form `b` opens: title, labels and assignee on one line each, the Markdown
//! body below (`ctrl-e` edits it in `$EDITOR`). When sheriff already filed an open bug
//! with this fingerprint, the form says so: `ctrl-s` then comments on that bug, `ctrl-n`
//! files a new one anyway.

use ratatui_textarea::TextArea;

use super::input::LineInput;
use crate::tracker::draft::BugDraft;
use crate::tracker::outbox::Queued;
use crate::tracker::record::Filed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BugField {
    Title,
    Body,
    Labels,
    Assignee,
}

impl BugField {
    const ORDER: [BugField; 4] = [
        BugField::Title,
        BugField::Body,
        BugField::Labels,
        BugField::Assignee,
    ];

    pub fn next(self, back: bool) -> BugField {
        let i = BugField::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let n = BugField::ORDER.len();
        BugField::ORDER[if back { (i + n - 1) % n } else { (i + 1) % n }]
    }
}

#[derive(Debug, Clone)]
pub struct BugForm {
    pub draft: BugDraft,
    pub title: LineInput,
    pub body: TextArea<'static>,
    pub labels: LineInput,
    pub assignee: LineInput,
    pub field: BugField,
    /// The open bug sheriff filed with this fingerprint, if any.
    pub existing: Option<Filed>,
    /// Why the last submit was refused.
    pub problem: Option<String>,
    /// Where it will go, for the form's header: `dir /srv/bugs`, `github acme/infra`.
    pub destination: String,
}

impl BugForm {
    pub fn new(draft: BugDraft, existing: Option<Filed>, destination: String) -> BugForm {
        let mut form = BugForm {
            title: LineInput::with_text(&draft.title),
            body: TextArea::default(),
            labels: LineInput::with_text(&draft.labels.join(", ")),
            assignee: LineInput::with_text(draft.assignee.as_deref().unwrap_or("")),
            field: BugField::Title,
            existing,
            problem: None,
            destination,
            draft,
        };
        let body = form.draft.body.clone();
        form.set_body(&body);
        form
    }

    /// Pasted text goes to the field being edited.
    pub fn paste(&mut self, text: &str) {
        match self.field {
            BugField::Title => self.title.insert_str(text),
            BugField::Labels => self.labels.insert_str(text),
            BugField::Assignee => self.assignee.insert_str(text),
            BugField::Body => {
                self.body.insert_str(text);
            }
        }
    }

    pub fn set_body(&mut self, text: &str) {
        let lines: Vec<String> = text
            .trim_end_matches('\n')
            .lines()
            .map(str::to_string)
            .collect();
        self.body = TextArea::new(if lines.is_empty() {
            vec![String::new()]
        } else {
            lines
        });
    }

    pub fn body_text(&self) -> String {
        self.body.lines().join("\n")
    }

    /// The queued item the form's text makes; `new` files even over an open bug.
    pub fn to_queued(&self, new: bool) -> Result<Queued, String> {
        let title = self.title.text.trim();
        if title.is_empty() {
            return Err("the bug needs a title".into());
        }
        let mut draft = self.draft.clone();
        draft.title = title.to_string();
        draft.body = self.body_text();
        draft.labels = self
            .labels
            .text
            .split(',')
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let assignee = self.assignee.text.trim();
        draft.assignee = (!assignee.is_empty()).then(|| assignee.to_string());
        let mut item = Queued::new(draft.bug(), draft.to.clone(), draft.source.clone());
        item.new = new;
        if !new {
            item.comment_on = self.existing.as_ref().map(|f| f.issue.clone());
        }
        Ok(item)
    }
}

/// The form over the panes: where it goes, the dedupe offer, the fields, the keys.
pub fn draw(
    app: &super::app::App,
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    form: &BugForm,
) {
    use ratatui::layout::{Constraint, Layout};
    use ratatui::style::Style;
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Block, Borders, Clear, Paragraph};
    use unicode_width::UnicodeWidthStr;

    use super::theme::Slot;

    let theme = &app.theme;
    let rect = super::layout::centered(area, 80, 80);
    frame.render_widget(Clear, rect);
    let block = super::ui::overlay_block(app, format!("File a bug · {}", form.destination));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [offer, title, labels, assignee, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(inner);
    let offer_text = match &form.existing {
        Some(f) => format!(
            "open bug {} has this fingerprint: ctrl-s comments there, ctrl-n files a new one",
            f.issue.label()
        ),
        None => format!("fingerprint {}", form.draft.fingerprint),
    };
    let offer_slot = if form.existing.is_some() {
        Slot::StatusWarn
    } else {
        Slot::Muted
    };
    frame.render_widget(
        Paragraph::new(offer_text).style(theme.style(offer_slot)),
        offer,
    );
    for (rect, name, input, field) in [
        (title, "title    ", &form.title, BugField::Title),
        (labels, "labels   ", &form.labels, BugField::Labels),
        (assignee, "assignee ", &form.assignee, BugField::Assignee),
    ] {
        let active = form.field == field;
        let label_style = theme.style(if active { Slot::KeyHint } else { Slot::Muted });
        let (shown, cursor) = input.view(usize::from(rect.width).saturating_sub(name.width()));
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(name, label_style),
                Span::styled(shown.to_string(), theme.style(Slot::Input)),
            ])),
            rect,
        );
        if active {
            let x = rect.x.saturating_add((name.width() + cursor) as u16);
            frame.set_cursor_position((x.min(rect.right().saturating_sub(1)), rect.y));
        }
    }
    let mut text = form.body.clone();
    let active = form.field == BugField::Body;
    let style = theme.style(if active {
        Slot::BorderFocused
    } else {
        Slot::Border
    });
    text.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(style)
            .title(Span::styled(" body (Markdown) ", style)),
    );
    text.set_cursor_line_style(Style::default());
    if !active {
        text.set_cursor_style(Style::default());
    }
    frame.render_widget(&text, body);
    let (hint, slot) = match &form.problem {
        Some(p) => (p.clone(), Slot::Error),
        None => (
            "ctrl-s/enter file · tab next field · ctrl-e $EDITOR · esc keep as draft".into(),
            Slot::Muted,
        ),
    };
    frame.render_widget(Paragraph::new(hint).style(theme.style(slot)), footer);
}
