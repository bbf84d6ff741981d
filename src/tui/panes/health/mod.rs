//! Health: every check on every target, grouped by environment, the worst first; each row
//! with its state, who acknowledged it, latency and a trend; and the hosts whose
//! connection is not up. `r` runs the selected check now, `a` acknowledges it with a note.

mod detail;
mod rows;

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::{Action, Detail, DrawContext, Handled, ListView, Pane};
use crate::checks::acks::Ack;
use crate::checks::CheckStatus;
use crate::config::duration::format_duration;
use crate::config::{Config, Tier};
use crate::event::Event;
use crate::handoff::{Entry, Refs};
use crate::tracker::record::Filed;
use crate::tracker::IssueState;
use crate::transport::HostState;
use crate::tui::app::Effect;
use crate::tui::input::SilenceTarget;
use crate::tui::theme::{Slot, Theme};
use crate::tui::widgets::{fit, sparkline, status_slot};
use rows::{Row, Rows};

#[derive(Debug, Default)]
pub struct HealthPane {
    rows: Rows,
    /// The bug filed about each (check, target, item): `#12`, and whether it is open.
    bugs: std::collections::HashMap<(String, String, Option<String>), (String, IssueState)>,
    hosts: Vec<(String, HostState)>,
    view: ListView,
    config: Config,
}

impl HealthPane {
    /// Lists every configured (check, target) so the pane shows what is coming before the
    /// first result arrives; keeps the history of rows that are still configured.
    pub fn configure(&mut self, config: &Config) {
        self.config = Config {
            environments: config.environments.clone(),
            ..Config::default()
        };
        self.rows.configure(config);
        self.view.clamp(self.len());
    }

    /// Takes acknowledgements from the handoff log: the last one for a row stands until
    /// the row is OK again.
    pub fn learn_acks(&mut self, entries: &[Entry]) {
        self.rows.acks.learn(entries);
    }

    fn len(&self) -> usize {
        self.rows.len() + self.hosts.len()
    }

    /// The selected disk row's host (None: here) and mount, for `d`.
    pub fn disk_target(&self) -> Option<(Option<String>, String)> {
        let row = self.selected_row()?;
        if row.kind != "disk" {
            return None;
        }
        let last = row.last.as_ref()?;
        // The mount df reported for the row.
        let mount = last.labels.get("mount").cloned()?;
        let host = crate::checks::record::target_refs(&self.config, &row.check, &row.target).host;
        Some((host, mount))
    }

    /// The selected row as an alert `s` can silence.
    pub fn silence_target(&self) -> Option<SilenceTarget> {
        let row = self.selected_row()?;
        let url = row.alertmanager.clone()?;
        let last = row.last.as_ref()?;
        let alert = row.item.clone()?;
        let labels = last
            .labels
            .iter()
            .filter(|(k, _)| *k != "silenced_by")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Some(SilenceTarget { url, labels, alert })
    }

    /// The selected alert's silences, for `u`.
    pub fn silences(&self) -> Option<(SilenceTarget, Vec<String>)> {
        let target = self.silence_target()?;
        let ids = self
            .selected_row()?
            .last
            .as_ref()?
            .labels
            .get("silenced_by")?;
        let ids: Vec<String> = ids.split(',').map(str::to_string).collect();
        Some((target, ids))
    }

    pub fn counts(&self) -> [usize; 4] {
        self.rows.counts()
    }

    /// What sheriff filed, so each row shows its bug (`#12 open`); the latest per row.
    pub fn set_bugs(&mut self, filed: &[Filed]) {
        self.bugs.clear();
        for f in filed {
            if let (Some(check), Some(target)) = (&f.source.check, &f.source.target) {
                self.bugs.insert(
                    (check.clone(), target.clone(), f.source.item.clone()),
                    (f.issue.label(), f.state),
                );
            }
        }
    }

    /// Whether the row for (check, target, item) is not OK now.
    pub fn is_red(&self, check: &str, target: &str, item: Option<&str>) -> bool {
        self.rows.all().any(|r| {
            r.check == check
                && r.target == target
                && r.item.as_deref() == item
                && matches!(r.status(), CheckStatus::Critical | CheckStatus::Warning)
        })
    }

    /// Whether an ack stands for this result's row.
    pub fn is_acked(&self, result: &crate::checks::CheckResult) -> bool {
        result.status != CheckStatus::Ok
            && self
                .rows
                .acks
                .get(&result.title(), &result.target)
                .is_some()
    }

    fn bug_of(&self, row: &Row) -> Option<String> {
        let (label, state) =
            self.bugs
                .get(&(row.check.clone(), row.target.clone(), row.item.clone()))?;
        Some(match state {
            IssueState::Closed if row.status() != CheckStatus::Ok => {
                format!("{label} closed, still red ")
            }
            state => format!("{label} {} ", state.as_str()),
        })
    }

    fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.view.selected)
    }
}

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
        if !self.rows.filter().is_empty() {
            spans.push(Span::styled(
                format!("/{} ", self.rows.filter()),
                theme.style(Slot::Muted),
            ));
        }
        Line::from(spans)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawContext) {
        let theme = ctx.theme;
        if self.rows.all().next().is_none() && self.hosts.is_empty() {
            let text = "No checks configured. Add [[check]] sections to sheriff.toml (see docs/configuration.md).";
            frame.render_widget(Paragraph::new(text).style(theme.style(Slot::Muted)), area);
            return;
        }
        let widths = Widths::of(&self.rows, area.width as usize);
        let mut lines = Vec::new();
        for i in self.view.visible(self.len(), area.height as usize) {
            let selected = ctx.focused && i == self.view.selected;
            let line = match self.rows.get(i) {
                Some(row) => check_line(
                    row,
                    self.rows.ack_of(row),
                    self.bug_of(row),
                    theme,
                    &widths,
                    ctx.now,
                ),
                None => {
                    let (host, state) = &self.hosts[i - self.rows.len()];
                    host_line(host, state, theme, widths.name, widths.total)
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
            Event::Check(run) => {
                self.rows.record(run);
                self.view.clamp(self.len());
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
        if action == Action::RunCheck {
            return match self.selected_row() {
                Some(row) => Handled::effect(Effect::RunCheck {
                    check: row.check.clone(),
                    target: row.target.clone(),
                }),
                None => Handled::NotHere,
            };
        }
        let len = self.len();
        Handled::taken(self.view.apply(action, len, page))
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Open,
            Action::RunCheck,
            Action::Acknowledge,
            Action::Filter,
            Action::Note,
        ]
    }

    fn detail(&self, theme: &Theme) -> Option<Detail> {
        let Some(row) = self.selected_row() else {
            let (host, state) = self
                .hosts
                .get(self.view.selected.checked_sub(self.rows.len())?)?;
            return Some(Detail {
                title: format!("host {host}"),
                lines: vec![Line::styled(state.to_string(), theme.style(Slot::Text))],
            });
        };
        Some(detail::of(row, self.rows.ack_of(row), theme))
    }

    fn bug_subject(&self) -> Option<crate::tracker::draft::Subject> {
        use crate::tracker::subjects;
        let Some(row) = self.selected_row() else {
            let i = self.view.selected.checked_sub(self.rows.len())?;
            let (host, state) = self.hosts.get(i)?;
            let env = self
                .config
                .environments
                .iter()
                .find(|e| e.hosts.iter().any(|h| h == host))
                .map(|e| e.name.as_str());
            let mut facts = vec![format!("connection: {}", state.label())];
            if let Some(ssh) = self.config.host(host).and_then(|h| h.ssh.as_ref()) {
                facts.push(format!("ssh: {ssh}"));
            }
            return Some(subjects::host(host, env, state.label(), facts));
        };
        let result = row.last.clone().unwrap_or_else(|| {
            crate::checks::CheckResult::new(
                &row.check,
                &row.target,
                CheckStatus::Unknown,
                "no result yet",
            )
        });
        let env = self.config.environment(&row.group).map(|e| e.name.as_str());
        let history: Vec<subjects::PastState> = row
            .history
            .iter()
            .map(|p| subjects::PastState {
                at: p.at,
                state: p.status.as_str(),
                summary: &p.summary,
            })
            .collect();
        let mut subject = subjects::check(
            &result,
            env,
            row.owner.as_deref(),
            row.tier,
            row.since,
            &history,
        );
        if let Some((host, _)) = self.hosts.iter().find(|(h, _)| *h == row.target) {
            subject.host_facts.push(format!("host {host} is down"));
        }
        Some(subject)
    }

    fn selection_refs(&self) -> Refs {
        match self.selected_row() {
            Some(row) => {
                let mut refs =
                    crate::checks::record::target_refs(&self.config, &row.check, &row.target);
                refs.check = Some(row.title());
                refs
            }
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

    fn set_filter(&mut self, filter: &str) -> Result<(), String> {
        self.rows.set_filter(filter);
        self.view.clamp(self.len());
        Ok(())
    }

    fn filter(&self) -> Option<String> {
        Some(self.rows.filter().to_string()).filter(|f| !f.is_empty())
    }
}

/// Column widths for one frame.
struct Widths {
    name: usize,
    target: usize,
    total: usize,
}

impl Widths {
    fn of(rows: &Rows, total: usize) -> Widths {
        // Over every row, filtered or not (kept as runs arrive): columns do not jump as a
        // filter is typed.
        let (name, target) = rows.widest();
        let (name, target) = (name.clamp(4, 26), target.clamp(4, 14));
        // Keep at least 20 columns for the summary: names give way first.
        let (name, target) = if total < 2 + name + target + 2 + 20 {
            (name.min(12), target.min(8))
        } else {
            (name, target)
        };
        Widths {
            name,
            target,
            total,
        }
    }
}

/// "just now", "5m ago", "2h ago": to the minute.
pub(super) fn ago(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds().max(0) as u64;
    if secs < 60 {
        return "just now".into();
    }
    let minutes = std::time::Duration::from_secs(secs - secs % 60);
    format!("{} ago", format_duration(minutes))
}

fn check_line(
    row: &Row,
    ack: Option<&Ack>,
    bug: Option<String>,
    theme: &Theme,
    w: &Widths,
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
    let marks = match (ack, row.tier) {
        (Some(ack), _) => format!("acked by {} {} ", ack.by, ago(ack.at, now)),
        (None, Tier::Critical) if status != CheckStatus::Ok => "tier critical ".to_string(),
        _ => String::new(),
    };
    let marks = format!("{}{marks}", bug.unwrap_or_default());
    // Narrow panes drop the trend, then the latency, before cutting the summary.
    let base = 2 + w.name + 1 + w.target + 1;
    let show_trend = w.total >= base + 24 + 7 + 9;
    let show_latency = w.total >= base + 20 + 7;
    // The engine's trend (a metric, or latency, kept across restarts); a result from
    // elsewhere without one falls back to the latencies this pane saw.
    let trend = match (&row.last, show_trend) {
        (Some(last), true) if !last.trend.is_empty() => sparkline(last.trend.iter().copied(), 8),
        (Some(_), true) => sparkline(
            row.history
                .iter()
                .filter_map(|r| r.latency.map(|l| l.as_secs_f64())),
            8,
        ),
        _ => String::new(),
    };
    let latency = if show_latency {
        format!("{latency:>6} ")
    } else {
        String::new()
    };
    let summary_w = w
        .total
        .saturating_sub(base + latency.width() + trend.width() + marks.width() + 1)
        .max(4);
    let muted = theme.style(Slot::Muted);
    Line::from(vec![
        Span::styled(format!("{} ", status.symbol()), status_style),
        Span::styled(
            format!("{} ", fit(&row.title(), w.name)),
            theme.style(Slot::Text),
        ),
        Span::styled(format!("{} ", fit(&row.target, w.target)), muted),
        Span::styled(
            format!("{} ", fit(&summary, summary_w)),
            if status == CheckStatus::Ok {
                theme.style(Slot::Text)
            } else {
                status_style
            },
        ),
        Span::styled(marks, muted),
        Span::styled(latency, muted),
        Span::styled(trend, muted),
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
