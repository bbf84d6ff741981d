//! The detail view of one Health row (`enter`): what it is, what it saw last (the exact
//! request or command and its output), its metrics with their thresholds, the forecast,
//! who acknowledged it, and its history.

use chrono::{DateTime, Local, Utc};
use ratatui::text::{Line, Span};

use super::rows::Row;
use crate::checks::acks::Ack;
use crate::checks::forecast::describe;
use crate::tui::panes::Detail;
use crate::tui::theme::{Slot, Theme};
use crate::tui::widgets::status_slot;

fn local_time(at: DateTime<Utc>, format: &str) -> String {
    at.with_timezone(&Local).format(format).to_string()
}

fn optional(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v}"))
}

pub fn of(row: &Row, ack: Option<&Ack>, theme: &Theme) -> Detail {
    let status = row.status();
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} {} ", status.symbol(), status),
            theme.style(status_slot(status)),
        ),
        Span::raw(format!(
            "{} check \"{}\" on {} · tier {}{}",
            row.kind,
            row.title(),
            row.target,
            row.tier.as_str(),
            row.owner
                .as_deref()
                .map(|o| format!(" · owner {o}"))
                .unwrap_or_default()
        )),
    ])];
    if let Some(ack) = ack {
        lines.push(Line::styled(
            format!(
                "acknowledged by {} at {}: {}",
                ack.by,
                local_time(ack.at, "%H:%M"),
                ack.note
            ),
            theme.style(Slot::Muted),
        ));
    }
    let Some(last) = &row.last else {
        lines.push(Line::styled("no result yet", theme.style(Slot::Muted)));
        return Detail {
            title: format!("{} · {}", row.title(), row.target),
            lines,
        };
    };
    lines.push(Line::raw(format!("summary: {}", last.summary)));
    let since = row
        .since
        .map(|s| {
            format!(
                " (in this state since {})",
                local_time(s, "%Y-%m-%d %H:%M:%S")
            )
        })
        .unwrap_or_default();
    lines.push(Line::raw(format!(
        "at: {}{since}",
        local_time(last.at, "%Y-%m-%d %H:%M:%S")
    )));
    if let Some(f) = &last.forecast {
        lines.push(Line::styled(
            format!(
                "forecast: crosses {} at {} (in {})",
                f.threshold,
                local_time(f.crosses_at, "%Y-%m-%d %H:%M"),
                describe(f.in_seconds)
            ),
            theme.style(Slot::StatusWarn),
        ));
    }
    if !last.labels.is_empty() {
        let labels: Vec<String> = last
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        lines.push(Line::raw(format!("labels: {}", labels.join(" "))));
    }
    if !last.metrics.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "metric             value  uom   warn        crit        min     max",
            theme.style(Slot::Title),
        ));
        for m in &last.metrics {
            lines.push(Line::raw(format!(
                "{:<16} {:>8}  {:<4}  {:<10}  {:<10}  {:<6}  {:<6}",
                m.label,
                optional(m.value),
                m.uom,
                m.warn.as_deref().unwrap_or("—"),
                m.crit.as_deref().unwrap_or("—"),
                optional(m.min),
                optional(m.max)
            )));
        }
    }
    lines.push(Line::raw(""));
    lines.extend(last.detail.lines().map(|l| Line::raw(l.to_string())));
    if !last.timeline.is_empty() {
        lines.push(Line::raw(""));
        let mut spans = vec![Span::styled(
            "timeline (oldest first) ",
            theme.style(Slot::Title),
        )];
        for s in &last.timeline {
            spans.push(Span::styled(s.symbol(), theme.style(status_slot(*s))));
        }
        lines.push(Line::from(spans));
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
    Detail {
        title: format!("{} · {}", row.title(), row.target),
        lines,
    }
}
