//! Handoff: the shift's timeline. Human entries stand out; automatic ones (check states,
//! bugs filed, drift accepted) fold into one line so they never drown the notes.

use chrono::{DateTime, Local, Utc};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{Action, Detail, DrawContext, Handled, ListView, Pane};
use crate::event::Event;
use crate::handoff::{timeline, Entry, EntryKind, Refs};
use crate::text::printable;
use crate::tui::theme::{Slot, Theme};
use crate::tui::widgets::{fit, truncate};

/// Which entries the timeline shows (the filter lives in the library).
pub use crate::handoff::timeline::Filter as HandoffFilter;

#[derive(Debug, Default)]
pub struct HandoffPane {
    /// Oldest first, by time.
    entries: Vec<Entry>,
    filter: HandoffFilter,
    view: ListView,
    /// The visible rows, cached between changes.
    rows: Vec<timeline::Row>,
    /// Lines of the log that could not be read (line number, why).
    corrupt: Vec<(usize, String)>,
    /// The state of each bug sheriff filed, by URL, so a bug entry says whether its bug
    /// is still open.
    bug_states: std::collections::HashMap<String, crate::tracker::IssueState>,
}

/// A visible row: one entry, or a run of automatic entries folded together.
enum Row<'a> {
    Entry(&'a Entry),
    Folded(Vec<&'a Entry>),
}

impl HandoffPane {
    /// What the tracker last said of each filed bug (`[open]`, `[closed]` on its entries).
    pub fn set_bug_states(&mut self, filed: &[crate::tracker::record::Filed]) {
        self.bug_states = filed
            .iter()
            .map(|f| (f.issue.url.clone(), f.state))
            .collect();
    }

    /// Adds entries from the log's watch, which sends each entry exactly once (so no
    /// de-duplication here). Appends in time order cost nothing extra; anything older (a
    /// teammate's synced entries) is put in place by one stable sort, never a scan per
    /// entry, so loading a log of a million entries stays linear.
    pub fn add_entries(&mut self, mut entries: Vec<Entry>) {
        let at_end = self.view.at_last(self.row_count());
        let in_order = entries.windows(2).all(|w| w[0].time <= w[1].time)
            && match (self.entries.last(), entries.first()) {
                (Some(last), Some(first)) => last.time <= first.time,
                _ => true,
            };
        if self.entries.is_empty() {
            // The first batch is the whole log: take it as it is, no copy.
            self.entries = entries;
        } else {
            self.entries.append(&mut entries);
        }
        if !in_order {
            self.entries.sort_by_key(|e| e.time);
        }
        self.refresh_rows();
        let len = self.row_count();
        if at_end {
            self.view.select_last(len);
        } else {
            self.view.clamp(len);
        }
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn shift_start(&self) -> Option<DateTime<Utc>> {
        timeline::shift_start(&self.entries)
    }

    pub fn filter_state(&self) -> &HandoffFilter {
        &self.filter
    }

    /// Rebuilds the visible rows after the entries or the filter changed. Drawing and
    /// moving then cost nothing per entry, however long the log.
    fn refresh_rows(&mut self) {
        self.rows = timeline::rows(&self.entries, &self.filter);
    }

    fn row_count(&self) -> usize {
        self.rows.len()
    }

    fn row(&self, index: usize) -> Option<Row<'_>> {
        Some(match self.rows.get(index)? {
            timeline::Row::Entry(i) => Row::Entry(&self.entries[*i]),
            timeline::Row::Folded(run) => {
                Row::Folded(run.iter().map(|i| &self.entries[*i]).collect())
            }
        })
    }

    fn selected_entry(&self) -> Option<&Entry> {
        match self.row(self.view.selected)? {
            Row::Entry(e) => Some(e),
            Row::Folded(run) => run.last().copied(),
        }
    }

    fn reselect_last(&mut self) {
        self.refresh_rows();
        self.view.select_last(self.row_count());
    }
}

impl Pane for HandoffPane {
    fn title(&self, _theme: &Theme) -> Line<'static> {
        let mut title = String::from("Handoff");
        if self.filter.this_shift {
            match self.shift_start() {
                Some(start) => title.push_str(&format!(
                    " · shift since {}",
                    start.with_timezone(&Local).format("%H:%M")
                )),
                None => title.push_str(" · no shift started"),
            }
        }
        if let Some(kind) = self.filter.kind {
            title.push_str(&format!(" · {kind} only"));
        }
        if !self.filter.text.is_empty() {
            title.push_str(&format!(" · /{}", self.filter.text));
        }
        title.push_str(&format!(" · {} entries", self.entries.len()));
        if !self.corrupt.is_empty() {
            title.push_str(&format!(" · {} unreadable", self.corrupt.len()));
        }
        Line::raw(title)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawContext) {
        let theme = ctx.theme;
        let len = self.row_count();
        if len == 0 {
            let text = if self.entries.is_empty() {
                "The handoff log is empty. n adds a note, c records a change with its why."
            } else {
                "No entry matches the filter."
            };
            frame.render_widget(Paragraph::new(text).style(theme.style(Slot::Muted)), area);
            return;
        }
        let width = area.width as usize;
        let visible = self.view.visible(len, area.height as usize);
        let rows: Vec<(usize, Row)> = visible.filter_map(|i| Some((i, self.row(i)?))).collect();
        let entries = rows.iter().filter_map(|(_, row)| match row {
            Row::Entry(e) => Some(*e),
            Row::Folded(_) => None,
        });
        let (author_w, kind_w) = entries.fold((4, 4), |(a, k), e| {
            (a.max(e.author.width()), k.max(e.kind.as_str().len()))
        });
        let widths = (
            author_w.min(10),
            kind_w.min(if width < 60 { 6 } else { 11 }),
        );
        let lines: Vec<Line> = rows
            .iter()
            .map(|(i, row)| {
                let line = row_line(row, theme, widths, width, ctx.now, &self.bug_states);
                if ctx.focused && *i == self.view.selected {
                    line.style(theme.style(Slot::Selection))
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn on_event(&mut self, event: &Event) -> bool {
        match event {
            Event::HandoffEntries(entries) => {
                self.add_entries(entries.clone());
                true
            }
            Event::HandoffCorrupt { line, error } => {
                self.corrupt.push((*line, error.clone()));
                true
            }
            _ => false,
        }
    }

    fn handle(&mut self, action: Action, page: usize) -> Handled {
        match action {
            Action::CycleKind => {
                let kinds = EntryKind::ALL;
                self.filter.kind = match self.filter.kind {
                    None => Some(kinds[0]),
                    Some(k) => kinds
                        .iter()
                        .position(|x| *x == k)
                        .and_then(|i| kinds.get(i + 1))
                        .copied(),
                };
                self.reselect_last();
                Handled::done()
            }
            Action::ThisShift => {
                self.filter.this_shift = !self.filter.this_shift;
                self.reselect_last();
                Handled::done()
            }
            Action::ToggleAutomatic => {
                self.filter.unfold_automatic = !self.filter.unfold_automatic;
                self.reselect_last();
                Handled::done()
            }
            Action::ClearFilter => {
                self.filter = HandoffFilter::default();
                self.reselect_last();
                Handled::done()
            }
            _ => {
                let len = self.row_count();
                Handled::taken(self.view.apply(action, len, page))
            }
        }
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Note,
            Action::RecordChange,
            Action::CycleKind,
            Action::ThisShift,
            Action::PreviewReport,
        ]
    }

    fn detail(&self, theme: &Theme) -> Option<Detail> {
        let entries: Vec<&Entry> = match self.row(self.view.selected)? {
            Row::Entry(e) => vec![e],
            Row::Folded(run) => run,
        };
        let mut lines = Vec::new();
        for entry in &entries {
            lines.push(Line::from(vec![
                Span::styled(
                    entry
                        .time
                        .with_timezone(&Local)
                        .format("%Y-%m-%d %H:%M:%S ")
                        .to_string(),
                    theme.style(Slot::HandoffTime),
                ),
                Span::styled(
                    format!("{} ", entry.author),
                    theme.style(Slot::HandoffAuthor),
                ),
                Span::styled(entry.kind.to_string(), theme.style(kind_slot(entry.kind))),
            ]));
            // Entries come from every teammate's sheriff and editor: tabs and escapes too.
            lines.extend(
                entry
                    .text
                    .lines()
                    .map(|l| Line::raw(format!("  {}", printable(l)))),
            );
            if let Some(why) = &entry.why {
                lines.push(Line::styled("  why:", theme.style(Slot::HandoffWhy)));
                lines.extend(why.lines().map(|l| {
                    Line::styled(
                        format!("    {}", printable(l)),
                        theme.style(Slot::HandoffWhy),
                    )
                }));
            }
            let refs = entry.refs.label();
            if !refs.is_empty() {
                lines.push(Line::styled(
                    format!("  about: {refs}"),
                    theme.style(Slot::Muted),
                ));
            }
            if !entry.tags.is_empty() {
                lines.push(Line::styled(
                    format!("  tags: {}", entry.tags.join(", ")),
                    theme.style(Slot::Muted),
                ));
            }
            lines.push(Line::raw(""));
        }
        let title = match entries.as_slice() {
            [one] => format!("{} · {}", one.kind, one.id),
            many => format!("{} automatic entries", many.len()),
        };
        Some(Detail { title, lines })
    }

    fn bug_subject(&self) -> Option<crate::tracker::draft::Subject> {
        self.selected_entry().map(crate::tracker::subjects::entry)
    }

    fn selection_refs(&self) -> Refs {
        self.selected_entry()
            .map(|e| e.refs.clone())
            .unwrap_or_default()
    }

    fn click_row(&mut self, row: usize, page: usize) {
        let len = self.row_count();
        let index = self.view.visible(len, page).start + row;
        if index < len {
            self.view.selected = index;
        }
    }

    fn set_filter(&mut self, filter: &str) -> Result<(), String> {
        self.filter.text = filter.trim().to_string();
        self.reselect_last();
        Ok(())
    }

    fn filter(&self) -> Option<String> {
        Some(self.filter.text.clone()).filter(|t| !t.is_empty())
    }
}

fn kind_slot(kind: EntryKind) -> Slot {
    match kind {
        EntryKind::Change | EntryKind::Incident => Slot::HandoffChange,
        k if k.is_automatic() => Slot::HandoffAutomatic,
        _ => Slot::HandoffNote,
    }
}

fn when(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let local = time.with_timezone(&Local);
    if (now - time).num_hours() < 20 {
        local.format("%H:%M").to_string()
    } else {
        local.format("%b %d").to_string()
    }
}

fn row_line(
    row: &Row,
    theme: &Theme,
    widths: (usize, usize),
    width: usize,
    now: DateTime<Utc>,
    bug_states: &std::collections::HashMap<String, crate::tracker::IssueState>,
) -> Line<'static> {
    let (author_w, kind_w) = widths;
    match row {
        Row::Entry(entry) => {
            let kind = fit(entry.kind.as_str(), kind_w);
            let author = fit(&entry.author, author_w);
            let head = format!("{} {author} {kind} ", when(entry.time, now));
            let mut text = entry.text.lines().next().unwrap_or("").to_string();
            if let Some(why) = &entry.why {
                text.push_str(" · why: ");
                text.push_str(why.lines().next().unwrap_or(""));
            }
            if let Some(state) = entry.refs.bug.as_ref().and_then(|url| bug_states.get(url)) {
                text = format!("[{}] {text}", state.as_str());
            }
            let rest = width.saturating_sub(head.width());
            Line::from(vec![
                Span::styled(
                    format!("{} ", when(entry.time, now)),
                    theme.style(Slot::HandoffTime),
                ),
                Span::styled(format!("{author} "), theme.style(Slot::HandoffAuthor)),
                Span::styled(format!("{kind} "), theme.style(kind_slot(entry.kind))),
                Span::styled(truncate(&printable(&text), rest), theme.style(Slot::Text)),
            ])
        }
        Row::Folded(run) => {
            let mut counts: Vec<(EntryKind, usize)> = Vec::new();
            for e in run {
                match counts.iter_mut().find(|(k, _)| *k == e.kind) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((e.kind, 1)),
                }
            }
            let what: Vec<String> = counts.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
            let last = run.last().map(|e| e.text.as_str()).unwrap_or("");
            let text = format!(
                "⋯ {} automatic ({}) latest: {last}",
                run.len(),
                what.join(", ")
            );
            let time = run.last().map(|e| when(e.time, now)).unwrap_or_default();
            Line::from(vec![
                Span::styled(format!("{time} "), theme.style(Slot::HandoffTime)),
                Span::styled(
                    truncate(&printable(&text), width.saturating_sub(6)),
                    theme.style(Slot::HandoffAutomatic),
                ),
            ])
        }
    }
}
