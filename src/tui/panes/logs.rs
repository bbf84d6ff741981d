//! Logs: every source's lines interleaved as they arrive, following the newest by default,
//! with a regex filter and level colours.

use chrono::Local;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use regex::Regex;
use unicode_width::UnicodeWidthStr;

use super::{Action, Detail, DrawContext, Handled, Pane};
use crate::event::Event;
use crate::handoff::Refs;
use crate::logs::buffer::LogBuffer;
use crate::logs::{Level, LogLine};
use crate::tui::layout::cells;
use crate::tui::theme::{Slot, Theme};

#[derive(Debug)]
pub struct LogsPane {
    buffer: LogBuffer,
    /// Follow the newest line; scrolling up stops following.
    follow: bool,
    wrap: bool,
    /// Index (into the visible list) of the selected line when not following.
    selected: usize,
    filter: Option<Regex>,
    /// Buffer indices matching the filter, kept up to date as lines arrive so drawing a
    /// filtered view of 10,000 lines costs no regex work.
    matches: Vec<usize>,
    /// `buffer.total()` when `matches` was last brought up to date.
    matched_total: u64,
}

impl Default for LogsPane {
    fn default() -> Self {
        LogsPane::with_capacity(LogBuffer::DEFAULT_CAPACITY)
    }
}

impl LogsPane {
    pub fn with_capacity(capacity: usize) -> Self {
        LogsPane {
            buffer: LogBuffer::with_capacity(capacity),
            follow: true,
            wrap: false,
            selected: 0,
            filter: None,
            matches: Vec::new(),
            matched_total: 0,
        }
    }

    pub fn push_lines(&mut self, lines: impl IntoIterator<Item = LogLine>) {
        let before_dropped = self.buffer.dropped();
        self.buffer.extend(lines);
        let shift = (self.buffer.dropped() - before_dropped) as usize;
        if let Some(re) = &self.filter {
            // Indices move down by what fell off the front; new lines are matched once.
            self.matches.retain_mut(|i| match i.checked_sub(shift) {
                Some(moved) => {
                    *i = moved;
                    true
                }
                None => false,
            });
            let new = (self.buffer.total() - self.matched_total) as usize;
            let start = self.buffer.len().saturating_sub(new);
            self.matches
                .extend(self.buffer.filter_indices_from(re, start));
        }
        self.matched_total = self.buffer.total();
        if !self.follow {
            self.selected = self.selected.saturating_sub(shift);
        }
    }

    fn visible_len(&self) -> usize {
        if self.filter.is_some() {
            self.matches.len()
        } else {
            self.buffer.len()
        }
    }

    fn line_at(&self, visible_index: usize) -> Option<&LogLine> {
        let index = if self.filter.is_some() {
            *self.matches.get(visible_index)?
        } else {
            visible_index
        };
        self.buffer.get(index)
    }

    fn selected_index(&self) -> usize {
        if self.follow {
            self.visible_len().saturating_sub(1)
        } else {
            self.selected.min(self.visible_len().saturating_sub(1))
        }
    }

    pub fn is_following(&self) -> bool {
        self.follow
    }
}

impl Pane for LogsPane {
    fn title(&self, _theme: &Theme) -> Line<'static> {
        let mut title = format!("Logs · {} lines", self.buffer.len());
        if let Some(re) = &self.filter {
            title.push_str(&format!(
                " · /{}/ {} match",
                re.as_str(),
                self.matches.len()
            ));
        }
        title.push_str(if self.follow {
            " · follow"
        } else {
            " · paused"
        });
        Line::raw(title)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawContext) {
        let theme = ctx.theme;
        let len = self.visible_len();
        if len == 0 {
            let text = if self.filter.is_some() {
                "No line matches the filter (x clears it)."
            } else {
                "No log lines yet. Add [[log]] sections to sheriff.toml to tail files."
            };
            frame.render_widget(Paragraph::new(text).style(theme.style(Slot::Muted)), area);
            return;
        }
        let height = area.height as usize;
        let selected = self.selected_index();
        // The selected line sits at the bottom of the view; wrapped lines may take more
        // rows, so draw a few extra and let the paragraph scroll to the end.
        let end = selected + 1;
        let start = end.saturating_sub(height);
        let lines: Vec<Line> = (start..end)
            .filter_map(|i| self.line_at(i).map(|l| (i, l)))
            .map(|(i, line)| {
                let styled = styled_line(line, theme, self.filter.as_ref());
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
                .filter_map(|i| self.line_at(i))
                .map(|l| (l.text.width() + l.source.width() + 10).div_ceil(width))
                .sum();
            paragraph = paragraph.scroll((cells(rows.saturating_sub(height)), 0));
        }
        frame.render_widget(paragraph, area);
    }

    fn on_event(&mut self, event: &Event) -> bool {
        match event {
            Event::LogLines { lines, .. } => {
                self.push_lines(lines.iter().cloned());
                true
            }
            _ => false,
        }
    }

    fn handle(&mut self, action: Action, page: usize) -> Handled {
        let last = self.visible_len().saturating_sub(1);
        let current = self.selected_index();
        let target = match action {
            Action::ToggleFollow => {
                self.follow = !self.follow;
                self.selected = current;
                return Handled::done();
            }
            Action::ToggleWrap => {
                self.wrap = !self.wrap;
                return Handled::done();
            }
            Action::ClearFilter => {
                self.filter = None;
                self.matches.clear();
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
        self.selected = target;
        Handled::done()
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Filter,
            Action::ToggleFollow,
            Action::Open,
            Action::Zoom,
        ]
    }

    fn detail(&self, theme: &Theme) -> Option<Detail> {
        let line = self.line_at(self.selected_index())?;
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
            Line::raw(""),
        ];
        lines.extend(line.text.lines().map(|l| Line::raw(l.to_string())));
        Some(Detail {
            title: format!("log line · {}", line.source),
            lines,
        })
    }

    fn bug_subject(&self) -> Option<crate::tracker::draft::Subject> {
        let at = self.selected_index();
        let line = self.line_at(at)?;
        let (log, target) = line
            .source
            .split_once('@')
            .unwrap_or((line.source.as_str(), ""));
        // The selected line and the lines of its source before it, oldest first.
        let mut lines: Vec<String> = (0..=at)
            .rev()
            .filter_map(|i| self.line_at(i))
            .filter(|l| l.source == line.source)
            .take(crate::tracker::draft::LOG_LINES)
            .map(|l| format!("{} {}", l.received.format("%H:%M:%S"), l.text))
            .collect();
        lines.reverse();
        Some(crate::tracker::draft::Subject {
            kind: "log",
            name: log.to_string(),
            env: (!target.is_empty()).then(|| target.to_string()),
            target: (!target.is_empty()).then(|| target.to_string()),
            state: line
                .level
                .map_or("LOG".to_string(), |l| format!("{l:?}").to_uppercase()),
            summary: line.text.chars().take(120).collect(),
            since: Some(line.received),
            log_lines: lines,
            ..Default::default()
        })
    }

    fn selection_refs(&self) -> Refs {
        let Some(line) = self.line_at(self.selected_index()) else {
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
        // Rows are laid out bottom-aligned on the selected line.
        let first = (self.selected_index() + 1).saturating_sub(page);
        if first + row < self.visible_len() {
            self.follow = false;
            self.selected = first + row;
        }
    }

    fn set_filter(&mut self, filter: &str) -> Result<(), String> {
        if filter.is_empty() {
            self.handle(Action::ClearFilter, 0);
            return Ok(());
        }
        let re = Regex::new(filter).map_err(|e| format!("bad regex: {e}"))?;
        self.matches = self.buffer.filter_indices(&re);
        self.matched_total = self.buffer.total();
        self.filter = Some(re);
        self.follow = true;
        Ok(())
    }

    fn filter(&self) -> Option<String> {
        self.filter.as_ref().map(|r| r.as_str().to_string())
    }
}

fn styled_line(line: &LogLine, theme: &Theme, filter: Option<&Regex>) -> Line<'static> {
    let level_slot = match line.level {
        Some(Level::Error | Level::Critical | Level::Fatal) => Slot::LogError,
        Some(Level::Warn) => Slot::LogWarn,
        Some(Level::Debug) | Some(Level::Trace) => Slot::LogDebug,
        _ => Slot::LogInfo,
    };
    let mut spans = Vec::with_capacity(4);
    // A line that carries its own timestamp needs no second one.
    if !starts_with_timestamp(&line.text) {
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
    match filter {
        Some(re) => {
            let mut last = 0;
            for m in re.find_iter(&line.text) {
                spans.push(Span::styled(
                    line.text[last..m.start()].to_string(),
                    text_style,
                ));
                spans.push(Span::styled(
                    m.as_str().to_string(),
                    theme.style(Slot::LogMatch),
                ));
                last = m.end();
            }
            spans.push(Span::styled(line.text[last..].to_string(), text_style));
        }
        None => spans.push(Span::styled(line.text.clone(), text_style)),
    }
    Line::from(spans)
}

/// "2026-11-23T…", "2026/11/23 …", "12:01:03 …": the line has its own time.
fn starts_with_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    (digits(0..4) && matches!(b.get(4), Some(b'-') | Some(b'/')))
        || (digits(0..2) && b.get(2) == Some(&b':') && digits(3..5))
}
