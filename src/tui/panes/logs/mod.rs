//! Logs: every source's lines interleaved as they arrive, following the newest by default.
//! A filter keeps lines (`/`), an exclusion hides them (`\`); a search highlights and
//! steps through matches (`n`/`N`); `e`/`E` step through errors; marked lines (`space`)
//! are what a bug filed from here carries and what `y` copies.

pub mod earlier;
mod rates;
mod scroll_back;
mod view;

use std::collections::{BTreeSet, HashMap};

use chrono::Local;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use regex::Regex;
use unicode_width::UnicodeWidthStr;

use super::{Action, Ask, Detail, DrawContext, Handled, Pane};
use crate::event::Event;
use crate::handoff::Refs;
use crate::logs::buffer::{Kept, LogBuffer};
use crate::logs::{Level, LogLine};
use crate::tui::app::Effect;
use crate::tui::layout::cells;
use crate::tui::theme::{Slot, Theme};
use earlier::Earlier;
use rates::ErrorRates;
use view::View;

/// Columns a horizontal scroll step moves.
const SCROLL_STEP: usize = 8;

#[derive(Debug)]
pub struct LogsPane {
    buffer: LogBuffer,
    /// Follow the newest line; scrolling up stops following.
    follow: bool,
    wrap: bool,
    /// Columns cut from the left of every line when not wrapping.
    hscroll: usize,
    /// Index (into the visible list) of the selected line when not following.
    selected: usize,
    /// What is shown, and what the search (highlighted, `n`/`N`) matches.
    view: View,
    /// Marked lines, by stable number (`buffer.dropped()` + index), so a mark stays on its
    /// line as older lines fall off the buffer.
    marks: BTreeSet<u64>,
    /// Shown lines that arrived while paused.
    unseen: usize,
    /// `[logs] highlight`: text a regex matches, in a theme slot.
    highlights: Vec<(Regex, Slot)>,
    /// Errors per minute per source, for the sparkline row.
    rates: ErrorRates,
    /// Lines before the buffer, read back from the files (kept while the buffer drops
    /// nothing more, so going back there again costs no reading).
    earlier: Option<Earlier>,
    /// The selection is among the earlier lines, above the buffer.
    in_earlier: bool,
    /// The number of the latest file each local source's tail opened (see
    /// [`crate::logs::Origin`]): how many rotations back a line's file now is.
    latest_file: HashMap<String, u32>,
}

impl Default for LogsPane {
    fn default() -> Self {
        LogsPane::with_budget(LogBuffer::DEFAULT_BUDGET)
    }
}

impl LogsPane {
    /// A pane whose buffer keeps at most `budget` bytes of lines.
    pub fn with_budget(budget: usize) -> Self {
        LogsPane {
            buffer: LogBuffer::with_budget(budget),
            follow: true,
            wrap: false,
            hscroll: 0,
            selected: 0,
            view: View::default(),
            marks: BTreeSet::new(),
            unseen: 0,
            highlights: Vec::new(),
            rates: ErrorRates::default(),
            earlier: None,
            in_earlier: false,
            latest_file: HashMap::new(),
        }
    }

    /// Takes `[logs]`: the buffer's budget (keeping the newest lines that fit) and the
    /// highlight rules.
    pub fn configure(&mut self, spec: &crate::config::LogsView) {
        if self.buffer.usage().1 != spec.buffer {
            let mut buffer = LogBuffer::with_budget(spec.buffer);
            let kept: Vec<LogLine> = self.buffer.iter().map(|l| l.to_line()).collect();
            buffer.extend(kept);
            buffer.count_dropped(self.buffer.dropped());
            self.buffer = buffer;
            self.marks.clear();
            self.view.set(
                self.view.include().cloned(),
                self.view.exclude().cloned(),
                &self.buffer,
            );
            let search = self.view.search().cloned();
            self.view.set_search(search, &self.buffer);
        }
        self.highlights = spec
            .highlights
            .iter()
            .map(|h| (h.regex.clone(), highlight_slot(&h.style)))
            .collect();
    }

    pub fn push_lines(&mut self, lines: impl IntoIterator<Item = LogLine>) {
        // A batch is one source's lines in order: each line with a time starts a message
        // and goes where its time puts it; the lines under it without one go with it.
        let mut next: Option<usize> = None;
        let mut latest: Option<(String, u32)> = None;
        for line in lines {
            self.rates.count(&line);
            if let Some(origin) = line.origin {
                match &mut latest {
                    Some((_, file)) => *file = origin.file,
                    None => latest = Some((line.source.clone(), origin.file)),
                }
            }
            let at = match next {
                Some(at) if line.time.is_none() && !line.is_mark() => at,
                _ => self.buffer.merge_position(&line),
            };
            let appended = at >= self.buffer.len();
            let position = self.view.position_of(at);
            self.buffer.insert(at, line);
            let shown = self.view.inserted(&self.buffer, at, 1);
            next = Some(at + 1);
            if !appended && !self.marks.is_empty() {
                // Marks are by stable number: those after the new line move along.
                let from = self.buffer.dropped() + at as u64;
                let moved: Vec<u64> = self
                    .marks
                    .split_off(&from)
                    .into_iter()
                    .map(|m| m + 1)
                    .collect();
                self.marks.extend(moved);
            }
            if !self.follow {
                self.unseen += shown;
                // A line put before the selection pushes it along, so it stays on its line.
                if !appended && position <= self.selected {
                    self.selected += shown;
                }
            }
        }
        if let Some((source, file)) = latest {
            self.latest_file.insert(source, file);
        }
        let shift = self.buffer.trim();
        if shift > 0 {
            self.view.dropped(shift);
            let dropped = self.buffer.dropped();
            self.marks.retain(|&n| n >= dropped);
            if !self.follow && !self.view.is_active() {
                // The view already dropped indices that fell off; with no view the
                // selection is a buffer index and moves down with them.
                self.selected = self.selected.saturating_sub(shift);
            }
        }
    }

    fn visible_len(&self) -> usize {
        self.view.len(&self.buffer)
    }

    fn line_at(&self, visible_index: usize) -> Option<Kept<'_>> {
        self.buffer.get(self.view.index(visible_index)?)
    }

    /// The selected line, in the buffer or among the earlier lines.
    fn current_line(&self) -> Option<Kept<'_>> {
        match (self.in_earlier, &self.earlier) {
            (true, Some(earlier)) => earlier.get(earlier.selected),
            _ => self.line_at(self.selected_index()),
        }
    }

    /// The stable number of the line at a visible index.
    fn number_at(&self, visible_index: usize) -> Option<u64> {
        Some(self.buffer.dropped() + self.view.index(visible_index)? as u64)
    }

    fn selected_index(&self) -> usize {
        if self.follow {
            self.visible_len().saturating_sub(1)
        } else {
            self.selected.min(self.visible_len().saturating_sub(1))
        }
    }

    /// Lines taken in all, lines dropped from the buffer, and the bytes the kept ones take:
    /// every line a source sent is one of those taken.
    pub fn counts(&self) -> (u64, u64, usize) {
        (
            self.buffer.total(),
            self.buffer.dropped(),
            self.buffer.usage().0,
        )
    }

    pub fn is_following(&self) -> bool {
        self.follow
    }

    /// Whether a search is in force (then `n`/`N` step through it and `esc` ends it).
    pub fn is_searching(&self) -> bool {
        self.view.search().is_some()
    }

    /// Moves the selection to `to` (a visible index), pausing unless it is the last line.
    fn select(&mut self, to: usize) {
        let last = self.visible_len().saturating_sub(1);
        self.follow = to >= last;
        self.selected = to.min(last);
        if self.follow {
            self.unseen = 0;
        }
    }

    /// The next (or previous) visible line after the selection that `wanted` accepts.
    fn step_to(&mut self, forward: bool, wanted: impl Fn(Kept<'_>) -> bool) -> bool {
        let from = self.selected_index();
        let len = self.visible_len();
        let found = if forward {
            (from + 1..len).find(|&i| self.line_at(i).is_some_and(&wanted))
        } else {
            (0..from)
                .rev()
                .find(|&i| self.line_at(i).is_some_and(&wanted))
        };
        match found {
            Some(at) => {
                self.select(at);
                // Stepping to the last line still means "look here", not "follow".
                self.follow = false;
                self.selected = at;
                true
            }
            None => false,
        }
    }

    /// The marked lines, oldest first, or the selected one when none is marked.
    fn marked_or_selected(&self) -> Vec<Kept<'_>> {
        let dropped = self.buffer.dropped();
        let marked: Vec<Kept<'_>> = self
            .marks
            .iter()
            .filter_map(|&n| self.buffer.get((n - dropped) as usize))
            .collect();
        if marked.is_empty() {
            self.line_at(self.selected_index()).into_iter().collect()
        } else {
            marked
        }
    }

    /// Jumps to the first shown line at or after `when` (by the line's own time, else the
    /// time it arrived).
    fn jump_to(&mut self, when: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
        let len = self.visible_len();
        let at = (0..len).find(|&i| self.line_at(i).is_some_and(|l| line_time(l) >= when));
        match at {
            Some(at) => {
                self.select(at);
                self.follow = false;
                self.selected = at;
                Ok(())
            }
            None => Err("no line that late in the buffer".into()),
        }
    }

    fn set_search(&mut self, text: &str) -> Result<(), String> {
        if text.is_empty() {
            self.view.set_search(None, &self.buffer);
            return Ok(());
        }
        let re = Regex::new(text).map_err(|e| format!("bad regex: {e}"))?;
        self.view.set_search(Some(re), &self.buffer);
        if self.view.hits().is_empty() {
            return Err("no line matches".into());
        }
        // Typing moves to the nearest match at or before the selection, as less does.
        let here = self.view.index(self.selected_index()).unwrap_or(0);
        let hits = self.view.hits();
        let nearest = match hits.partition_point(|&i| i <= here) {
            0 => hits[0],
            n => hits[n - 1],
        };
        self.select_index(nearest);
        Ok(())
    }

    /// Selects buffer index `index` (a shown line), pausing there.
    fn select_index(&mut self, index: usize) {
        let at = self.view.position_of(index);
        self.follow = false;
        self.selected = at;
    }

    /// `n`/`N`: the next or previous search match from the selection.
    fn step_search(&mut self, forward: bool) -> bool {
        let Some(here) = self.view.index(self.selected_index()) else {
            return false;
        };
        let hits = self.view.hits();
        let to = if forward {
            hits.get(hits.partition_point(|&i| i <= here)).copied()
        } else {
            hits.partition_point(|&i| i < here)
                .checked_sub(1)
                .map(|n| hits[n])
        };
        match to {
            Some(index) => {
                self.select_index(index);
                true
            }
            None => false,
        }
    }

    /// "match 3/17": the selection's place among the search's matches.
    fn search_position(&self) -> Option<(usize, usize)> {
        self.view.search()?;
        let here = self.view.index(self.selected_index())?;
        let hits = self.view.hits();
        Some((hits.partition_point(|&i| i <= here), hits.len()))
    }
}

impl LogsPane {
    /// The top row: each source with its errors per minute over ten minutes, when the
    /// pane has room; returns the area left for lines.
    fn draw_rates(&self, frame: &mut Frame, area: Rect, ctx: &DrawContext) -> Rect {
        if area.height < 8 {
            return area;
        }
        let mut spans = Vec::new();
        for source in self.rates.sources() {
            let (bars, errors) = self.rates.sparkline(source, ctx.now);
            if !spans.is_empty() {
                spans.push(Span::styled("  ", ctx.theme.style(Slot::Muted)));
            }
            spans.push(Span::styled(
                format!("{source} "),
                ctx.theme.style(Slot::LogSource),
            ));
            let slot = if errors > 0 {
                Slot::LogError
            } else {
                Slot::Muted
            };
            spans.push(Span::styled(bars, ctx.theme.style(slot)));
            spans.push(Span::styled(
                format!(" {errors} err/{}m", rates::MINUTES),
                ctx.theme.style(Slot::Muted),
            ));
        }
        if spans.is_empty() {
            return area;
        }
        let row = Rect { height: 1, ..area };
        frame.render_widget(Paragraph::new(Line::from(spans)), row);
        Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        }
    }
}

impl LogsPane {
    /// The lines up to the selected one (`line_at` gives each, and whether it is marked),
    /// under the sparkline row.
    fn draw_lines<'a>(
        &self,
        frame: &mut Frame,
        area: Rect,
        ctx: &DrawContext,
        selected: usize,
        line_at: &dyn Fn(usize) -> Option<(Kept<'a>, bool)>,
    ) {
        let theme = ctx.theme;
        let area = self.draw_rates(frame, area, ctx);
        let height = area.height as usize;
        // The selected line sits at the bottom of the view; wrapped lines may take more
        // rows, so draw a few extra and let the paragraph scroll to the end.
        let end = selected + 1;
        let start = end.saturating_sub(height);
        let search = self.view.search();
        let highlight = search.or(self.view.include());
        let lines: Vec<Line> = (start..end)
            .filter_map(|i| Some((i, line_at(i)?)))
            .map(|(i, (line, marked))| {
                let styled = styled_line(line, theme, &self.highlights, highlight, marked);
                if ctx.focused && !self.follow && i == selected {
                    styled.style(theme.style(Slot::Selection))
                } else {
                    styled
                }
            })
            .collect();
        let mut paragraph = Paragraph::new(lines);
        if self.wrap {
            paragraph = paragraph.wrap(Wrap { trim: false });
            // Rows the wrapped lines take, so the newest line ends at the bottom.
            let width = area.width.max(1) as usize;
            let rows: usize = (start..end)
                .filter_map(line_at)
                .map(|(l, _)| (l.text.width() + l.source.width() + 10).div_ceil(width))
                .sum();
            paragraph = paragraph.scroll((cells(rows.saturating_sub(height)), 0));
        } else if self.hscroll > 0 {
            paragraph = paragraph.scroll((0, cells(self.hscroll)));
        }
        frame.render_widget(paragraph, area);
    }
}

/// The theme slot of a `[logs] highlight` style (validated when the config was read).
fn highlight_slot(style: &str) -> Slot {
    match style {
        "error" => Slot::LogError,
        "warn" => Slot::LogWarn,
        "info" => Slot::LogInfo,
        "debug" => Slot::LogDebug,
        "source" => Slot::LogSource,
        "time" => Slot::LogTime,
        _ => Slot::LogMatch,
    }
}

/// When a line happened: its own time, else when it arrived.
fn line_time(line: Kept<'_>) -> chrono::DateTime<chrono::Utc> {
    line.time.unwrap_or(line.received)
}

impl Pane for LogsPane {
    fn title(&self, _theme: &Theme) -> Line<'static> {
        if let (true, Some(earlier)) = (self.in_earlier, &self.earlier) {
            return Line::raw(self.earlier_title(earlier));
        }
        let mut title = format!("Logs · {} lines", self.buffer.len());
        if self.buffer.dropped() > 0 {
            title.push_str(&format!(
                " · {} older dropped",
                thousands(self.buffer.dropped())
            ));
        }
        if let Some(re) = self.view.include() {
            title.push_str(&format!(" · /{}/", re.as_str()));
        }
        if let Some(re) = self.view.exclude() {
            title.push_str(&format!(" · \\{}\\", re.as_str()));
        }
        if let Some(only) = self.view.only() {
            title.push_str(&format!(" · only {only}"));
        }
        if self.view.is_active() {
            title.push_str(&format!(" {} shown", self.visible_len()));
        }
        if let (Some(re), Some((at, total))) = (self.view.search(), self.search_position()) {
            title.push_str(&format!(" · search {} {at}/{total}", re.as_str()));
        }
        if !self.marks.is_empty() {
            title.push_str(&format!(" · {} marked", self.marks.len()));
        }
        if self.follow {
            title.push_str(" · follow");
        } else if self.unseen > 0 {
            title.push_str(&format!(" · paused, {} new", thousands(self.unseen as u64)));
        } else {
            title.push_str(" · paused");
        }
        Line::raw(title)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawContext) {
        let theme = ctx.theme;
        if let (true, Some(earlier)) = (self.in_earlier, &self.earlier) {
            if earlier.is_empty() {
                let text = match earlier.is_reading() {
                    true => "Reading earlier lines from the files…",
                    false => "No earlier line matches the filter (x clears it).",
                };
                frame.render_widget(Paragraph::new(text).style(theme.style(Slot::Muted)), area);
                return;
            }
            let line_at = |i: usize| Some((earlier.get(i)?, false));
            self.draw_lines(frame, area, ctx, earlier.selected, &line_at);
            return;
        }
        let len = self.visible_len();
        if len == 0 {
            let text = if self.view.is_active() {
                "No line matches the filter (x clears it)."
            } else {
                "No log lines yet. Add [[log]] sections to sheriff.toml to tail files."
            };
            frame.render_widget(Paragraph::new(text).style(theme.style(Slot::Muted)), area);
            return;
        }
        let line_at = |i: usize| {
            let line = self.line_at(i)?;
            Some((line, self.marks.contains(&self.number_at(i)?)))
        };
        self.draw_lines(frame, area, ctx, self.selected_index(), &line_at);
    }

    fn on_event(&mut self, event: &Event) -> bool {
        // Lines arrive by value through [`LogsPane::push_lines`]; nothing else is for us.
        let _ = event;
        false
    }

    fn handle(&mut self, action: Action, page: usize) -> Handled {
        if self.in_earlier {
            if let Some(handled) = self.handle_earlier(action, page) {
                return handled;
            }
        }
        let last = self.visible_len().saturating_sub(1);
        let current = self.selected_index();
        let at_top = current == 0 && !self.follow || last == 0;
        if at_top && matches!(action, Action::Up | Action::PageUp | Action::Top) {
            return self.go_earlier();
        }
        let target = match action {
            Action::ToggleFollow => {
                self.follow = !self.follow;
                self.selected = current;
                self.unseen = 0;
                return Handled::done();
            }
            Action::ToggleWrap => {
                self.wrap = !self.wrap;
                return Handled::done();
            }
            Action::ClearFilter => {
                self.view.set(None, None, &self.buffer);
                let search = self.view.search().cloned();
                self.view.set_search(search, &self.buffer);
                self.refilter_earlier();
                return Handled::done();
            }
            Action::NextMatch | Action::PrevMatch => {
                let forward = action == Action::NextMatch;
                if !self.step_search(forward) {
                    return Handled::effect(Effect::Say(
                        if forward {
                            "no later match"
                        } else {
                            "no earlier match"
                        }
                        .into(),
                    ));
                }
                return Handled::done();
            }
            Action::EndSearch => {
                self.view.set_search(None, &self.buffer);
                return Handled::done();
            }
            Action::NextError | Action::PrevError => {
                let forward = action == Action::NextError;
                let is_error = |l: Kept<'_>| l.level.is_some_and(|level| level >= Level::Error);
                if !self.step_to(forward, is_error) {
                    return Handled::effect(Effect::Say(
                        if forward {
                            "no later error"
                        } else {
                            "no earlier error"
                        }
                        .into(),
                    ));
                }
                return Handled::done();
            }
            Action::Mark => {
                if let Some(number) = self.number_at(current) {
                    if !self.marks.remove(&number) {
                        self.marks.insert(number);
                    }
                    // Marking goes on down the lines, as in a file manager.
                    if self.follow {
                        self.selected = current;
                        self.follow = false;
                    } else {
                        self.selected = current.saturating_add(1).min(last);
                    }
                }
                return Handled::done();
            }
            Action::CopyLines => {
                let lines = self.marked_or_selected();
                if lines.is_empty() {
                    return Handled::done();
                }
                let text: Vec<&str> = lines.iter().map(|l| l.text).collect();
                return Handled::effect(Effect::Copy(text.join("\n")));
            }
            Action::CycleSource => {
                let sources: Vec<String> = self.rates.sources().map(str::to_string).collect();
                let next = match self.view.only() {
                    None => sources.first().cloned(),
                    Some(now) => sources
                        .iter()
                        .position(|s| s == now)
                        .and_then(|i| sources.get(i + 1))
                        .cloned(),
                };
                self.view.set_only(next, &self.buffer);
                // What was read back was for the sources shown before.
                self.earlier = None;
                self.follow = true;
                self.unseen = 0;
                return Handled::done();
            }
            Action::ScrollLeft => {
                self.hscroll = self.hscroll.saturating_sub(SCROLL_STEP);
                return Handled::done();
            }
            Action::ScrollRight => {
                self.hscroll = self.hscroll.saturating_add(SCROLL_STEP);
                return Handled::done();
            }
            Action::Up => current.saturating_sub(1),
            Action::Down => current.saturating_add(1).min(last),
            Action::PageUp => current.saturating_sub(page.max(1)),
            Action::PageDown => current.saturating_add(page.max(1)).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return Handled::NotHere,
        };
        // Moving to the last line resumes following, as `less +F` users expect.
        self.follow = target >= last && action != Action::Up;
        if self.follow {
            self.unseen = 0;
        }
        self.selected = target;
        Handled::done()
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Filter,
            Action::Search,
            Action::NextError,
            Action::Mark,
            Action::ToggleFollow,
            Action::FileBug,
        ]
    }

    fn detail(&self, theme: &Theme) -> Option<Detail> {
        let line = self.current_line()?;
        let mut lines = vec![
            Line::styled(
                format!("source: {}", line.source),
                theme.style(Slot::LogSource),
            ),
            Line::raw(format!(
                "received: {}",
                line.received
                    .with_timezone(&Local)
                    .format("%Y-%m-%d %H:%M:%S%.3f")
            )),
            Line::raw(format!("level: {}", line.level.map_or("-", Level::label))),
        ];
        if let Some(written) = line.time {
            let written = written
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S%.3f");
            lines.insert(1, Line::raw(format!("written: {written}")));
        }
        lines.push(Line::raw(""));
        lines.extend(line.text.lines().map(|l| Line::raw(l.to_string())));
        Some(Detail {
            title: format!("log line · {}", line.source),
            lines,
        })
    }

    fn bug_subject(&self) -> Option<crate::tracker::draft::Subject> {
        if self.in_earlier {
            // Among the earlier lines: the selected one and its source's lines above it.
            let earlier = self.earlier.as_ref()?;
            let line = earlier.get(earlier.selected)?;
            let lines = source_lines_up_to(line, earlier.selected, |i| earlier.get(i));
            return Some(log_subject(line, lines));
        }
        let at = self.selected_index();
        // With lines marked, the bug is about them: its title is the worst of them.
        let marked = self.marked_or_selected();
        let worst = marked
            .iter()
            .copied()
            .max_by_key(|l| (l.level, std::cmp::Reverse(l.received)));
        let line = match self.marks.is_empty() {
            true => self.line_at(at)?,
            false => worst?,
        };
        let lines: Vec<String> = if self.marks.is_empty() {
            source_lines_up_to(line, at, |i| self.line_at(i))
        } else {
            // Exactly the lines the sheriff marked, with their sources when they differ.
            let mixed = marked.iter().any(|l| l.source != line.source);
            marked
                .into_iter()
                .map(|l| match mixed {
                    true => format!("{} {}", l.source, stamped(l)),
                    false => stamped(l),
                })
                .collect()
        };
        Some(log_subject(line, lines))
    }

    fn selection_refs(&self) -> Refs {
        let Some(line) = self.current_line() else {
            return Refs::default();
        };
        // Sources are named "log@target"; the target is an env or a host.
        let target = line.source.split_once('@').map(|(_, t)| t.to_string());
        Refs {
            env: target,
            ..Refs::default()
        }
    }

    fn click_row(&mut self, row: usize, page: usize) {
        // The sparkline row, when drawn, sits above the lines.
        let (row, page) = match page >= 8 && self.rates.sources().next().is_some() {
            true => match row.checked_sub(1) {
                Some(row) => (row, page - 1),
                None => return,
            },
            false => (row, page),
        };
        // Rows are laid out bottom-aligned on the selected line.
        if let (true, Some(earlier)) = (self.in_earlier, self.earlier.as_mut()) {
            let first = (earlier.selected + 1).saturating_sub(page);
            if first + row < earlier.len() {
                earlier.selected = first + row;
            }
            return;
        }
        let first = (self.selected_index() + 1).saturating_sub(page);
        if first + row < self.visible_len() {
            self.follow = false;
            self.selected = first + row;
        }
    }

    fn ask(&mut self, ask: Ask, text: &str) -> Result<(), String> {
        let regex = |text: &str| {
            (!text.is_empty())
                .then(|| Regex::new(text).map_err(|e| format!("bad regex: {e}")))
                .transpose()
        };
        match ask {
            Ask::Filter => {
                let include = regex(text)?;
                let exclude = self.view.exclude().cloned();
                self.view.set(include, exclude, &self.buffer);
            }
            Ask::Exclude => {
                let exclude = regex(text)?;
                let include = self.view.include().cloned();
                self.view.set(include, exclude, &self.buffer);
            }
            Ask::Search => return self.set_search(text),
            Ask::Jump => {
                if text.trim().is_empty() {
                    return Ok(());
                }
                let when = crate::logs::query::parse_when(text.trim(), chrono::Utc::now())?;
                return self.jump_to(when);
            }
        }
        let search = self.view.search().cloned();
        self.view.set_search(search, &self.buffer);
        self.refilter_earlier();
        if !self.in_earlier {
            self.follow = true;
            self.unseen = 0;
        }
        Ok(())
    }

    fn asked(&self, ask: Ask) -> Option<String> {
        match ask {
            Ask::Filter => self.view.include().map(|r| r.as_str().to_string()),
            Ask::Exclude => self.view.exclude().map(|r| r.as_str().to_string()),
            Ask::Search => self.view.search().map(|r| r.as_str().to_string()),
            Ask::Jump => None,
        }
    }
}

/// The selected line (at visible index `at`) and the lines of its source before it, oldest
/// first, as a bug about it carries them.
fn source_lines_up_to<'a>(
    line: Kept<'a>,
    at: usize,
    line_at: impl Fn(usize) -> Option<Kept<'a>>,
) -> Vec<String> {
    let mut lines: Vec<String> = (0..=at)
        .rev()
        .filter_map(line_at)
        .filter(|l| l.source == line.source)
        .take(crate::tracker::draft::LOG_LINES)
        .map(stamped)
        .collect();
    lines.reverse();
    lines
}

/// A line as a bug body quotes it: with its time, unless it starts with its own.
fn stamped(line: Kept<'_>) -> String {
    match starts_with_timestamp(line.text) {
        true => line.text.to_string(),
        false => format!("{} {}", line_time(line).format("%H:%M:%S"), line.text),
    }
}

/// What a bug about `line` (and `lines`, the log lines it carries) is pre-filled with.
fn log_subject(line: Kept<'_>, lines: Vec<String>) -> crate::tracker::draft::Subject {
    let (log, target) = line.source.split_once('@').unwrap_or((line.source, ""));
    crate::tracker::draft::Subject {
        kind: "log",
        name: log.to_string(),
        env: (!target.is_empty()).then(|| target.to_string()),
        target: (!target.is_empty()).then(|| target.to_string()),
        state: line
            .level
            .map_or("LOG".to_string(), |l| l.label().to_string()),
        summary: line.text.chars().take(120).collect(),
        since: Some(line_time(line)),
        log_lines: lines,
        ..Default::default()
    }
}

/// 12034 → "12,034".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn styled_line(
    line: Kept<'_>,
    theme: &Theme,
    highlights: &[(Regex, Slot)],
    highlight: Option<&Regex>,
    marked: bool,
) -> Line<'static> {
    let level_slot = match line.level {
        Some(Level::Error | Level::Critical | Level::Fatal) => Slot::LogError,
        Some(Level::Warn) => Slot::LogWarn,
        Some(Level::Debug) | Some(Level::Trace) => Slot::LogDebug,
        _ => Slot::LogInfo,
    };
    if line.is_mark() {
        // Where sheriff itself speaks (a reconnect, a gap): set apart from the log's text.
        let style = theme.style(Slot::Notice);
        return Line::from(vec![
            Span::styled(format!("{} ", line.source), theme.style(Slot::LogSource)),
            Span::styled(line.text.to_string(), style),
        ]);
    }
    let mut spans = Vec::with_capacity(5);
    if marked {
        spans.push(Span::styled("▌", theme.style(Slot::LogMatch)));
    }
    // A line that carries its own timestamp needs no second one.
    if line.time.is_none() && !starts_with_timestamp(line.text) {
        spans.push(Span::styled(
            line.received
                .with_timezone(&Local)
                .format("%H:%M:%S ")
                .to_string(),
            theme.style(Slot::LogTime),
        ));
    }
    spans.push(Span::styled(
        format!("{} ", line.source),
        theme.style(Slot::LogSource),
    ));
    let text_style = theme.style(level_slot);
    let rules: Vec<(&Regex, ratatui::style::Style)> = highlights
        .iter()
        .map(|(re, slot)| (re, theme.style(*slot)))
        .chain(highlight.map(|re| (re, theme.style(Slot::LogMatch))))
        .collect();
    spans.extend(text_spans(line.text, text_style, &rules));
    Line::from(spans)
}

/// At most this many styled stretches per line: a rule like `.` on a 64 KiB line must
/// not cost a frame.
const MAX_STRETCHES: usize = 256;

/// `text` in spans: `base`, with what each rule matches in its style (later rules win,
/// the search last of all).
fn text_spans(
    text: &str,
    base: ratatui::style::Style,
    rules: &[(&Regex, ratatui::style::Style)],
) -> Vec<Span<'static>> {
    let mut stretches: Vec<(usize, usize, ratatui::style::Style)> = Vec::new();
    for (re, style) in rules {
        let room = MAX_STRETCHES.saturating_sub(stretches.len());
        stretches.extend(
            re.find_iter(text)
                .take(room)
                .map(|m| (m.start(), m.end(), *style)),
        );
    }
    if stretches.is_empty() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let mut cuts: Vec<usize> = stretches
        .iter()
        .flat_map(|&(start, end, _)| [start, end])
        .chain([0, text.len()])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .filter(|w| w[0] < w[1])
        .map(|w| {
            let style = stretches
                .iter()
                .rev()
                .find(|&&(start, end, _)| start <= w[0] && w[1] <= end)
                .map_or(base, |s| s.2);
            Span::styled(text[w[0]..w[1]].to_string(), style)
        })
        .collect()
}

/// "2026-11-23T…", "2026/11/23 …", "12:01:03 …": the line has its own time.
fn starts_with_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    (digits(0..4) && matches!(b.get(4), Some(b'-') | Some(b'/')))
        || (digits(0..2) && b.get(2) == Some(&b':') && digits(3..5))
}
