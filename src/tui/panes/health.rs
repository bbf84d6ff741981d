//! Health: every check on every target, worst first in the title, with a latency trend;
//! and the hosts whose connection is not up.

use std::collections::VecDeque;

use chrono::{DateTime, Local, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{Action, Detail, DrawContext, Handled, ListView, Pane};
use crate::checks::{CheckResult, CheckStatus};
use crate::config::duration::format_duration;
use crate::config::Config;
use crate::event::Event;
use crate::handoff::Refs;
use crate::transport::HostState;
use crate::tui::theme::{Slot, Theme};
use crate::tui::widgets::{fit, sparkline, status_slot};

const HISTORY: usize = 30;

#[derive(Debug, Clone)]
struct Row {
    check: String,
    target: String,
    kind: &'static str,
    last: Option<CheckResult>,
    /// Oldest first.
    history: VecDeque<CheckResult>,
}

impl Row {
    fn status(&self) -> CheckStatus {
        self.last
            .as_ref()
            .map_or(CheckStatus::Unknown, |r| r.status)
    }
}

#[derive(Debug, Default)]
pub struct HealthPane {
    rows: Vec<Row>,
    hosts: Vec<(String, HostState)>,
    view: ListView,
}

impl HealthPane {
    /// Lists every configured (check, target) so the pane shows what is coming before the
    /// first result arrives; keeps the history of rows that are still configured.
    pub fn configure(&mut self, config: &Config) {
        let mut rows = Vec::new();
        for check in &config.checks {
            for target in crate::checks::targets::expand(config, check) {
                let target = target.name;
                let existing = self
                    .rows
                    .iter()
                    .position(|r| r.check == check.name && r.target == target);
                let row = match existing {
                    Some(i) => self.rows[i].clone(),
                    None => Row {
                        check: check.name.clone(),
                        target,
                        kind: check.kind.label(),
                        last: None,
                        history: VecDeque::new(),
                    },
                };
                rows.push(row);
            }
        }
        self.rows = rows;
        self.view.clamp(self.len());
    }

    fn record(&mut self, result: &CheckResult) {
        let index = match self
            .rows
            .iter()
            .position(|r| r.check == result.check && r.target == result.target)
        {
            Some(i) => i,
            None => {
                self.rows.push(Row {
                    check: result.check.clone(),
                    target: result.target.clone(),
                    kind: "",
                    last: None,
                    history: VecDeque::new(),
                });
                self.rows.len() - 1
            }
        };
        let row = &mut self.rows[index];
        if row.history.len() == HISTORY {
            row.history.pop_front();
        }
        row.history.push_back(result.clone());
        row.last = Some(result.clone());
    }

    fn len(&self) -> usize {
        self.rows.len() + self.hosts.len()
    }

    pub fn counts(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for row in &self.rows {
            counts[row.status() as usize] += 1;
        }
        counts
    }
}

/// The names a check runs against, as the workers report them.
impl Pane for HealthPane {
    fn title(&self, theme: &Theme) -> Line<'static> {
        let [ok, warn, crit, unknown] = self.counts();
        let mut spans = vec![Span::raw("Health ")];
        for (n, status) in [
            (crit, CheckStatus::Critical),
            (warn, CheckStatus::Warning),
            (unknown, CheckStatus::Unknown),
            (ok, CheckStatus::Ok),
        ] {
            if n > 0 {
                spans.push(Span::styled(
                    format!("{n}{} ", status.symbol()),
                    theme.style(status_slot(status)),
                ));
            }
        }
        Line::from(spans)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawContext) {
        let theme = ctx.theme;
        if self.rows.is_empty() && self.hosts.is_empty() {
            let text = "No checks configured. Add [[check]] sections to sheriff.toml (see docs/configuration.md).";
            frame.render_widget(Paragraph::new(text).style(theme.style(Slot::Muted)), area);
            return;
        }
        let name_w = self
            .rows
            .iter()
            .map(|r| r.check.width())
            .max()
            .unwrap_or(4)
            .clamp(4, 18);
        let target_w = self
            .rows
            .iter()
            .map(|r| r.target.width())
            .max()
            .unwrap_or(4)
            .clamp(4, 14);
        // Keep at least 20 columns for the summary: names give way first.
        let (name_w, target_w) = if (area.width as usize) < 2 + name_w + target_w + 2 + 20 {
            (name_w.min(10), target_w.min(8))
        } else {
            (name_w, target_w)
        };
        let width = area.width as usize;
        let mut lines = Vec::new();
        for i in self.view.visible(self.len(), area.height as usize) {
            let selected = ctx.focused && i == self.view.selected;
            let line = match self.rows.get(i) {
                Some(row) => check_line(row, theme, name_w, target_w, width, ctx.now),
                None => {
                    let (host, state) = &self.hosts[i - self.rows.len()];
                    host_line(host, state, theme, name_w, width)
                }
            };
            lines.push(if selected {
                line.style(theme.style(Slot::Selection))
            } else {
                line
            });
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn on_event(&mut self, event: &Event) -> bool {
        match event {
            Event::Check(result) => {
                self.record(result);
                true
            }
            Event::Host { host, state } => {
                self.hosts.retain(|(h, _)| h != host);
                if !state.is_up() {
                    self.hosts.push((host.clone(), state.clone()));
                }
                // A host back up leaves the list: the selection stays on a row.
                self.view.clamp(self.len());
                true
            }
            _ => false,
        }
    }

    fn handle(&mut self, action: Action, page: usize) -> Handled {
        let len = self.len();
        Handled::taken(self.view.apply(action, len, page))
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Open,
            Action::Note,
            Action::RecordChange,
            Action::Zoom,
        ]
    }

    fn detail(&self, theme: &Theme) -> Option<Detail> {
        let Some(row) = self.rows.get(self.view.selected) else {
            let (host, state) = self
                .hosts
                .get(self.view.selected.checked_sub(self.rows.len())?)?;
            return Some(Detail {
                title: format!("host {host}"),
                lines: vec![Line::styled(state.to_string(), theme.style(Slot::Text))],
            });
        };
        let mut lines = vec![Line::from(vec![
            Span::styled(
                format!("{} {} ", row.status().symbol(), row.status()),
                theme.style(status_slot(row.status())),
            ),
            Span::raw(format!(
                "{} check \"{}\" on {}",
                row.kind, row.check, row.target
            )),
        ])];
        match &row.last {
            None => lines.push(Line::styled("no result yet", theme.style(Slot::Muted))),
            Some(last) => {
                lines.push(Line::raw(format!("summary: {}", last.summary)));
                lines.push(Line::raw(format!(
                    "at: {}",
                    local_time(last.at, "%Y-%m-%d %H:%M:%S")
                )));
                lines.push(Line::raw(""));
                lines.extend(last.detail.lines().map(|l| Line::raw(l.to_string())));
            }
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "history (newest first)",
            theme.style(Slot::Title),
        ));
        for result in row.history.iter().rev() {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} ", result.status.symbol()),
                    theme.style(status_slot(result.status)),
                ),
                Span::styled(local_time(result.at, "%H:%M:%S "), theme.style(Slot::Muted)),
                Span::raw(result.summary.clone()),
            ]));
        }
        Some(Detail {
            title: format!("{} · {}", row.check, row.target),
            lines,
        })
    }

    fn selection_refs(&self) -> Refs {
        match self.rows.get(self.view.selected) {
            Some(row) => Refs {
                check: Some(row.check.clone()),
                env: Some(row.target.clone()),
                ..Refs::default()
            },
            None => {
                let host = self
                    .view
                    .selected
                    .checked_sub(self.rows.len())
                    .and_then(|i| self.hosts.get(i));
                Refs {
                    host: host.map(|(h, _)| h.clone()),
                    ..Refs::default()
                }
            }
        }
    }

    fn click_row(&mut self, row: usize, page: usize) {
        let index = self.view.visible(self.len(), page).start + row;
        if index < self.len() {
            self.view.selected = index;
        }
    }
}

fn local_time(at: DateTime<Utc>, format: &str) -> String {
    at.with_timezone(&Local).format(format).to_string()
}

fn check_line(
    row: &Row,
    theme: &Theme,
    name_w: usize,
    target_w: usize,
    width: usize,
    now: DateTime<Utc>,
) -> Line<'static> {
    let status = row.status();
    let status_style = theme.style(status_slot(status));
    let (summary, latency) = match &row.last {
        None => ("waiting for first result…".to_string(), String::new()),
        Some(r) => {
            let stale = (now - r.at).num_seconds() > 300;
            let summary = if stale {
                format!("{} (stale)", r.summary)
            } else {
                r.summary.clone()
            };
            (summary, r.latency.map(format_duration).unwrap_or_default())
        }
    };
    // Narrow panes drop the trend, then the latency, before cutting the summary.
    let base = 2 + name_w + 1 + target_w + 1;
    let show_trend = width >= base + 24 + 7 + 9;
    let show_latency = width >= base + 20 + 7;
    let trend = if show_trend {
        sparkline(
            row.history
                .iter()
                .filter_map(|r| r.latency.map(|l| l.as_secs_f64())),
            8,
        )
    } else {
        String::new()
    };
    let latency = if show_latency {
        format!("{latency:>6} ")
    } else {
        String::new()
    };
    let summary_w = width
        .saturating_sub(base + latency.width() + trend.width() + 1)
        .max(4);
    Line::from(vec![
        Span::styled(format!("{} ", status.symbol()), status_style),
        Span::styled(
            format!("{} ", fit(&row.check, name_w)),
            theme.style(Slot::Text),
        ),
        Span::styled(
            format!("{} ", fit(&row.target, target_w)),
            theme.style(Slot::Muted),
        ),
        Span::styled(
            format!("{} ", fit(&summary, summary_w)),
            if status == CheckStatus::Ok {
                theme.style(Slot::Text)
            } else {
                status_style
            },
        ),
        Span::styled(latency, theme.style(Slot::Muted)),
        Span::styled(trend, theme.style(Slot::Muted)),
    ])
}

fn host_line(
    host: &str,
    state: &HostState,
    theme: &Theme,
    name_w: usize,
    width: usize,
) -> Line<'static> {
    let (symbol, slot) = match state {
        HostState::Connecting | HostState::Retrying { .. } | HostState::WaitingForPassphrase(_) => {
            ("?", Slot::StatusUnknown)
        }
        _ => ("✖", Slot::StatusCrit),
    };
    let style: Style = theme.style(slot);
    let text = format!("{} {}", fit(&format!("host {host}"), name_w.max(12)), state);
    Line::from(vec![
        Span::styled(format!("{symbol} "), style),
        Span::styled(fit(&text, width.saturating_sub(2)), style),
    ])
}
