//! The diff of one drifted file inside the Drift pane: what its keys and note say, then its
//! hunks, unified or side by side, with the changed words marked. The view holds which
//! file it shows and where it is scrolled; the file itself stays in the pane's reports, so
//! a new comparison shows at once.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{Action, Handled};
use crate::drift::compare::{DiffLine, FileDiff, Hunk, LineTag, Row as SideRow};
use crate::text::printable;
use crate::tui::app::Effect;
use crate::tui::theme::{Slot, Theme};
use crate::tui::widgets::{fit, fit_spans};

/// The actions only an open diff takes.
pub const ACTIONS: [Action; 5] = [
    Action::NextHunk,
    Action::PrevHunk,
    Action::ToggleDiffLayout,
    Action::NextFile,
    Action::PrevFile,
];

/// Keys the status line hints while a diff is open.
pub const HINTS: &[Action] = &[
    Action::Back,
    Action::NextHunk,
    Action::PrevHunk,
    Action::NextFile,
    Action::ToggleDiffLayout,
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Layout {
    /// `-`/`+`/context lines under one gutter of old and new line numbers.
    #[default]
    Unified,
    /// Side a on the left, side b on the right.
    SideBySide,
}

/// Which file of which target is open, how it is laid out and where it is scrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffView {
    pub target: String,
    pub path: String,
    layout: Layout,
    /// The first row shown; moved by `handle`, never while drawing.
    top: usize,
}

/// One row of the view.
enum ViewRow<'f> {
    /// A key change, the note, or a file header, in one style across the row.
    Text(String, Slot),
    /// Side a's name over the left column, side b's over the right.
    Sides(String, String),
    Header(&'f Hunk),
    /// A line of the unified layout.
    Line(&'f DiffLine),
    /// A row of the side-by-side layout.
    Pair(SideRow<'f>),
}

/// The rows of a file in a layout, and where each hunk's header is among them.
struct Rows<'f> {
    rows: Vec<ViewRow<'f>>,
    hunk_starts: Vec<usize>,
}

impl DiffView {
    pub fn open(target: &str, path: &str) -> DiffView {
        DiffView {
            target: target.to_string(),
            path: path.to_string(),
            layout: Layout::default(),
            top: 0,
        }
    }

    /// The hunk at the top of the view (the one `a` accepts), if the file has hunks.
    pub fn hunk_at_top<'f>(
        &self,
        file: &'f FileDiff,
        between: &(String, String),
    ) -> Option<&'f Hunk> {
        let rows = self.rows(file, between);
        if rows.hunk_starts.is_empty() {
            return None;
        }
        file.hunks.get(rows.current_hunk(self.top) - 1)
    }

    /// `Drift · app config · nginx.conf · hunk 1/2 · unified`
    pub fn title(&self, file: &FileDiff, between: &(String, String)) -> Line<'static> {
        let rows = self.rows(file, between);
        // A file name may hold any byte but `/` and NUL: tabs and escapes too.
        let mut text = format!("Drift · {} · {}", self.target, printable(&file.path));
        if !rows.hunk_starts.is_empty() {
            let current = rows.current_hunk(self.top);
            text.push_str(&format!(" · hunk {}/{}", current, rows.hunk_starts.len()));
        }
        text.push_str(match self.layout {
            Layout::Unified => " · unified ",
            Layout::SideBySide => " · side by side ",
        });
        Line::raw(text)
    }

    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        theme: &Theme,
        file: &FileDiff,
        between: &(String, String),
    ) {
        let rows = self.rows(file, between);
        let width = area.width as usize;
        let gutter = number_width(file);
        let top = self.top.min(rows.rows.len().saturating_sub(1));
        let lines: Vec<Line> = rows.rows[top..]
            .iter()
            .take(area.height as usize)
            .map(|row| row_line(row, theme, width, gutter))
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
    }

    /// Scrolls, steps between hunks and switches layout; every other action is not for
    /// the view (`back` is the pane's: it closes the view).
    pub fn handle(
        &mut self,
        action: Action,
        file: &FileDiff,
        between: &(String, String),
        page: usize,
    ) -> Handled {
        let page = page.max(1);
        let rows = self.rows(file, between);
        // The last hunk's header may come to the top even when it leaves the page short.
        let last_top = rows
            .rows
            .len()
            .saturating_sub(page)
            .max(rows.hunk_starts.last().copied().unwrap_or(0));
        self.top = match action {
            Action::Up => self.top.saturating_sub(1),
            Action::Down => self.top.saturating_add(1),
            Action::PageUp => self.top.saturating_sub(page),
            Action::PageDown => self.top.saturating_add(page),
            Action::Top => 0,
            Action::Bottom => last_top,
            Action::NextHunk => match rows.next_hunk(self.top, page) {
                Some(start) => start,
                None => return Handled::effect(Effect::Say("no later hunk in this file".into())),
            },
            Action::PrevHunk => match rows.hunk_starts.iter().rev().find(|&&s| s < self.top) {
                Some(&start) => start,
                None => return Handled::effect(Effect::Say("no earlier hunk in this file".into())),
            },
            Action::ToggleDiffLayout => {
                // The hunk at the top stays at the top in the other layout.
                let at_hunk = rows.hunk_starts.iter().filter(|&&s| s <= self.top).count();
                self.layout = match self.layout {
                    Layout::Unified => Layout::SideBySide,
                    Layout::SideBySide => Layout::Unified,
                };
                let starts = self.rows(file, between).hunk_starts;
                at_hunk
                    .checked_sub(1)
                    .and_then(|i| starts.get(i).copied())
                    .unwrap_or(0)
            }
            Action::Open => return Handled::done(),
            _ => return Handled::NotHere,
        }
        .min(last_top);
        Handled::done()
    }

    fn rows<'f>(&self, file: &'f FileDiff, (a, b): &(String, String)) -> Rows<'f> {
        let mut rows: Vec<ViewRow> = said_lines(file)
            .into_iter()
            .map(|said| ViewRow::Text(said, Slot::Text))
            .collect();
        if rows.is_empty() && file.hunks.is_empty() {
            rows.push(ViewRow::Text("no line diff to show".into(), Slot::Muted));
        }
        let mut hunk_starts = Vec::with_capacity(file.hunks.len());
        if file.hunks.is_empty() {
            return Rows { rows, hunk_starts };
        }
        if !rows.is_empty() {
            rows.push(ViewRow::Text(String::new(), Slot::Text));
        }
        let path = printable(&file.path);
        match self.layout {
            Layout::Unified => {
                rows.push(ViewRow::Text(format!("--- {a}/{path}"), Slot::DiffHeader));
                rows.push(ViewRow::Text(format!("+++ {b}/{path}"), Slot::DiffHeader));
            }
            Layout::SideBySide => {
                rows.push(ViewRow::Sides(format!("{a}/{path}"), format!("{b}/{path}")))
            }
        }
        for hunk in &file.hunks {
            hunk_starts.push(rows.len());
            rows.push(ViewRow::Header(hunk));
            match self.layout {
                Layout::Unified => rows.extend(hunk.lines.iter().map(ViewRow::Line)),
                Layout::SideBySide => rows.extend(hunk.rows().into_iter().map(ViewRow::Pair)),
            }
        }
        Rows { rows, hunk_starts }
    }
}

impl Rows<'_> {
    /// Where `]` goes from `top`: the first hunk while its header is below the page (a
    /// long list of key changes above it), else the hunk after the one at the top.
    fn next_hunk(&self, top: usize, page: usize) -> Option<usize> {
        match self.hunk_starts.first() {
            Some(&first) if first > top && first >= top + page => Some(first),
            _ => self.hunk_starts.get(self.current_hunk(top)).copied(),
        }
    }

    /// 1-based: the last hunk whose header is at or above `top`, else the first.
    fn current_hunk(&self, top: usize) -> usize {
        self.hunk_starts
            .iter()
            .filter(|&&s| s <= top)
            .count()
            .max(1)
    }
}

/// What a file's keys and note say, each once: `server.workers: 8 → 4`, `DB_PASSWORD
/// differs`.
pub fn said_lines(file: &FileDiff) -> Vec<String> {
    let mut lines: Vec<String> = file.keys.iter().map(|k| k.describe()).collect();
    if let Some(note) = file.note.as_ref().filter(|n| !lines.contains(n)) {
        lines.push(note.clone());
    }
    lines
}

/// Columns for the widest line number in the file's hunks.
fn number_width(file: &FileDiff) -> usize {
    let widest = file
        .hunks
        .iter()
        .flat_map(|h| &h.lines)
        .flat_map(|l| [l.old_no, l.new_no])
        .flatten()
        .max()
        .unwrap_or(1);
    widest.to_string().len()
}

fn row_line(row: &ViewRow, theme: &Theme, width: usize, gutter: usize) -> Line<'static> {
    match row {
        ViewRow::Text(text, slot) => Line::styled(fit(text, width), theme.style(*slot)),
        ViewRow::Header(hunk) => {
            let mut spans = vec![Span::styled(hunk.header(), theme.style(Slot::DiffHeader))];
            // A secret that differs may look the same masked: the hunk says so by name.
            if !hunk.secret_notes.is_empty() {
                spans.push(Span::styled(
                    format!("  {}", hunk.secret_notes.join(", ")),
                    theme.style(Slot::StatusWarn),
                ));
            }
            Line::from(fit_spans(spans, width))
        }
        ViewRow::Sides(a, b) => {
            let (left, right) = halves(width);
            let header = theme.style(Slot::DiffHeader);
            Line::from(vec![
                Span::styled(fit(a, left), header),
                Span::styled("│", theme.style(Slot::Border)),
                Span::styled(fit(b, right), header),
            ])
        }
        ViewRow::Line(line) => {
            let number = |n: Option<usize>| match n {
                Some(n) => format!("{n:>gutter$}"),
                None => " ".repeat(gutter),
            };
            let mut spans = vec![Span::styled(
                format!("{} {} ", number(line.old_no), number(line.new_no)),
                theme.style(Slot::Muted),
            )];
            spans.extend(line_spans(line, theme));
            Line::from(fit_spans(spans, width))
        }
        ViewRow::Pair(pair) => {
            let (left, right) = halves(width);
            let mut spans = side_cell(pair.left, |l| l.old_no, theme, left, gutter);
            spans.push(Span::styled("│", theme.style(Slot::Border)));
            spans.extend(side_cell(pair.right, |l| l.new_no, theme, right, gutter));
            Line::from(spans)
        }
    }
}

/// Column widths of the two sides, with one column between them.
fn halves(width: usize) -> (usize, usize) {
    let left = width.saturating_sub(1) / 2;
    (left, width.saturating_sub(left + 1))
}

/// One side of a side-by-side row, exactly `width` columns: blank where that side has no
/// line facing the other's.
fn side_cell(
    line: Option<&DiffLine>,
    number: impl Fn(&DiffLine) -> Option<usize>,
    theme: &Theme,
    width: usize,
    gutter: usize,
) -> Vec<Span<'static>> {
    let Some(line) = line else {
        return vec![Span::raw(" ".repeat(width))];
    };
    let shown = number(line).map_or_else(|| " ".repeat(gutter), |n| format!("{n:>gutter$}"));
    let mut spans = vec![Span::styled(format!("{shown} "), theme.style(Slot::Muted))];
    spans.extend(line_spans(line, theme));
    fit_spans(spans, width)
}

/// `-`, `+` or ` ` and the line's text, the changed words in the stronger style.
fn line_spans(line: &DiffLine, theme: &Theme) -> Vec<Span<'static>> {
    let (marker, base, word) = match line.tag {
        LineTag::Equal => (" ", Slot::DiffContext, Slot::DiffContext),
        LineTag::Insert => ("+", Slot::DiffAdded, Slot::DiffAddedWord),
        LineTag::Delete => ("-", Slot::DiffRemoved, Slot::DiffRemovedWord),
    };
    let (base, word) = (theme.style(base), theme.style(word));
    let text = line.text.as_str();
    let mut spans = vec![Span::styled(marker, base)];
    let mut at = 0;
    for range in &line.highlight {
        let (start, end) = (range.start.max(at), range.end.min(text.len()));
        // A range off a character boundary would panic when sliced: drawn unmarked.
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if at < start {
            spans.push(Span::styled(text[at..start].to_string(), base));
        }
        spans.push(Span::styled(text[start..end].to_string(), word));
        at = end;
    }
    if at < text.len() {
        spans.push(Span::styled(text[at..].to_string(), base));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::compare::Status;

    fn line(tag: LineTag, old_no: Option<usize>, new_no: Option<usize>, text: &str) -> DiffLine {
        DiffLine {
            tag,
            old_no,
            new_no,
            text: text.into(),
            highlight: Vec::new(),
        }
    }

    /// A file with a hunk at line 1 and another at line 40.
    fn two_hunks() -> FileDiff {
        let hunk = |at: usize| Hunk {
            old_start: at,
            old_len: 2,
            new_start: at,
            new_len: 2,
            lines: vec![
                line(LineTag::Equal, Some(at), Some(at), "a"),
                line(LineTag::Delete, Some(at + 1), None, "b"),
                line(LineTag::Insert, None, Some(at + 1), "c"),
            ],
            secret_notes: Vec::new(),
        };
        FileDiff {
            path: "x.conf".into(),
            status: Status::Changed,
            keys: Vec::new(),
            hunks: vec![hunk(1), hunk(40)],
            note: None,
        }
    }

    fn between() -> (String, String) {
        ("a".into(), "b".into())
    }

    #[test]
    fn hunk_steps_put_the_header_at_the_top_and_stop_at_the_ends() {
        let file = two_hunks();
        let mut view = DiffView::open("t", "x.conf");
        let starts = view.rows(&file, &between()).hunk_starts;
        assert_eq!(starts, vec![2, 6]);
        // The first hunk is on screen already: `]` goes on to the second.
        view.handle(Action::NextHunk, &file, &between(), 20);
        assert_eq!(
            view.top, 6,
            "the last header reaches the top of a page it leaves short"
        );
        let said = view.handle(Action::NextHunk, &file, &between(), 20);
        assert!(matches!(said, Handled::Done(e) if matches!(&e[..], [Effect::Say(_)])));
        view.handle(Action::PrevHunk, &file, &between(), 20);
        assert_eq!(view.top, 2);
        let said = view.handle(Action::PrevHunk, &file, &between(), 20);
        assert!(matches!(said, Handled::Done(e) if matches!(&e[..], [Effect::Say(_)])));
        assert_eq!(view.top, 2);
    }

    #[test]
    fn the_first_hunk_comes_first_when_it_is_below_the_page() {
        let file = two_hunks();
        let mut view = DiffView::open("t", "x.conf");
        view.handle(Action::NextHunk, &file, &between(), 2);
        assert_eq!(view.top, 2);
        assert_eq!(view.rows(&file, &between()).current_hunk(view.top), 1);
    }

    #[test]
    fn switching_layout_keeps_the_hunk_at_the_top() {
        let file = two_hunks();
        let mut view = DiffView::open("t", "x.conf");
        view.handle(Action::NextHunk, &file, &between(), 20);
        view.handle(Action::NextHunk, &file, &between(), 20);
        view.handle(Action::ToggleDiffLayout, &file, &between(), 20);
        assert_eq!(view.layout, Layout::SideBySide);
        // One file header row instead of two, and the changed pair on one row.
        assert_eq!(view.top, 4);
        assert_eq!(view.rows(&file, &between()).current_hunk(view.top), 2);
    }

    #[test]
    fn changed_words_take_the_stronger_style() {
        let theme = Theme::builtin_default(crate::tui::theme::ColorDepth::TrueColor);
        let mut added = line(
            LineTag::Insert,
            None,
            Some(6),
            "    worker_connections 512;",
        );
        added.highlight = std::iter::once(23..26).collect();
        let spans = line_spans(&added, &theme);
        let styled: Vec<(&str, Slot)> = spans
            .iter()
            .map(|s| {
                let slot = if s.style == theme.style(Slot::DiffAddedWord) {
                    Slot::DiffAddedWord
                } else {
                    Slot::DiffAdded
                };
                (s.content.as_ref(), slot)
            })
            .collect();
        assert_eq!(
            styled,
            [
                ("+", Slot::DiffAdded),
                ("    worker_connections ", Slot::DiffAdded),
                ("512", Slot::DiffAddedWord),
                (";", Slot::DiffAdded),
            ]
        );
    }

    #[test]
    fn highlights_off_a_character_boundary_are_drawn_unmarked() {
        let theme = Theme::builtin_default(crate::tui::theme::ColorDepth::None);
        let mut odd = line(LineTag::Insert, None, Some(1), "é=1");
        odd.highlight = vec![1..2, 3..4];
        let text: String = line_spans(&odd, &theme)
            .iter()
            .map(|s| s.content.to_string())
            .collect();
        assert_eq!(text, "+é=1");
    }
}
