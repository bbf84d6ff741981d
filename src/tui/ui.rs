//! Drawing: a pure function of `&App` (DESIGN.md rule 2). It never changes state.

use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::action::Action;
use super::app::{command_completions, App, NoticeKind, Overlay, PendingPrompt};
use super::input::{EntryForm, FormField, LineInput};
use super::keymap::Section;
use super::layout::{
    cells, centered, centered_box, inner, screen_layout, too_small, MIN_HEIGHT, MIN_WIDTH,
};
use super::panes::{DrawContext, PaneId};
use super::theme::Slot;
use super::widgets::{pad, truncate};
use crate::tui::panes::Detail;

pub fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let theme = &app.theme;
    if too_small(area) {
        let text = format!(
            "Terminal too small: {}x{}.\nsheriff needs at least {MIN_WIDTH}x{MIN_HEIGHT}.\nEnlarge the window, or press q to quit.",
            area.width, area.height
        );
        let y = area.height.saturating_sub(3) / 2;
        let rect = Rect {
            y,
            height: area.height.saturating_sub(y),
            ..area
        };
        frame.render_widget(
            Paragraph::new(text)
                .alignment(Alignment::Center)
                .style(theme.style(Slot::Error))
                .wrap(Wrap { trim: true }),
            rect,
        );
        return;
    }
    let layout = screen_layout(area, app.focus, app.zoom);
    for (id, rect) in &layout.panes {
        draw_pane(app, frame, *id, *rect);
    }
    draw_status_line(app, frame, layout.status);
    match &app.overlay {
        None => {}
        Some(Overlay::Help { scroll }) => draw_help(app, frame, area, *scroll),
        Some(Overlay::Detail { detail, scroll }) => draw_detail(app, frame, area, detail, *scroll),
        Some(Overlay::Command { input, error }) => {
            draw_command_bar(app, frame, layout.status, input, error.as_deref())
        }
        Some(Overlay::Filter {
            pane,
            ask,
            input,
            error,
        }) => {
            let label = format!("{} {}: ", ask.label(), pane.name());
            draw_line_input(app, frame, layout.status, &label, input, error.as_deref());
        }
        Some(Overlay::Form(form)) => draw_form(app, frame, area, form),
        Some(Overlay::Bug(form)) => super::bug_form::draw(app, frame, area, form),
    }
    if let Some(prompt) = app.prompts.front() {
        draw_prompt(app, frame, area, prompt);
    }
}

/// A host's passphrase question, over everything else. What is typed shows as dots.
fn draw_prompt(app: &App, frame: &mut Frame, area: Rect, prompt: &PendingPrompt) {
    let theme = &app.theme;
    // A third of the way down, where the eye is, rather than the exact middle.
    let rect = Rect {
        y: area.y.saturating_add(area.height / 3),
        ..centered_box(area, 70, 6)
    }
    .intersection(area);
    frame.render_widget(Clear, rect);
    let block = overlay_block(app, format!("{} needs a secret", prompt.request.host));
    let dots = "•".repeat(prompt.input.text.chars().count());
    let more = if app.prompts.len() > 1 {
        format!(" · {} more waiting, tab: next", app.prompts.len() - 1)
    } else {
        String::new()
    };
    let lines = vec![
        Line::styled(prompt.request.text(), theme.style(Slot::Text)),
        Line::styled(format!("> {dots}"), theme.style(Slot::Input)),
        Line::styled(
            format!("enter unlocks · esc cancels · kept in memory only{more}"),
            theme.style(Slot::Muted),
        ),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

fn draw_pane(app: &App, frame: &mut Frame, id: PaneId, rect: Rect) {
    let theme = &app.theme;
    let focused = id == app.focus;
    let pane = app.pane(id);
    let (border, title_style) = if focused {
        (
            theme.style(Slot::BorderFocused),
            theme.style(Slot::TitleFocused),
        )
    } else {
        (theme.style(Slot::Border), theme.style(Slot::Title))
    };
    let mut title = pane.title(theme);
    title.spans.insert(0, Span::raw(" "));
    title = title.style(title_style);
    // Focus shows in the border's shape too, not only its colour.
    let kind = if focused {
        BorderType::Thick
    } else {
        BorderType::Plain
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(kind)
        .border_style(border)
        .title(title);
    frame.render_widget(block, rect);
    let ctx = DrawContext {
        theme,
        focused,
        now: app.now,
    };
    pane.draw(frame, inner(rect), &ctx);
}

/// The first key bound to `action` with focus on `section`, as text.
fn key_for(app: &App, section: Section, action: Action) -> Option<String> {
    app.keymap
        .keys_for(section, action)
        .first()
        .map(|k| k.to_string())
}

/// A short label for a hint: "toggle_follow" reads "follow".
pub fn hint_label(action: Action) -> String {
    let name = action.name();
    let name = ["toggle_", "record_", "focus_", "cycle_"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    name.replace('_', " ")
}

fn draw_status_line(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let section = app.focus.section();
    let mut left = Vec::new();
    let hints = app
        .pane(app.focus)
        .hints()
        .iter()
        .chain([Action::CommandBar, Action::Help].iter());
    for action in hints {
        if let Some(key) = key_for(app, section, *action) {
            left.push(Span::styled(format!(" {key}"), theme.style(Slot::KeyHint)));
            left.push(Span::styled(
                format!(" {} ·", hint_label(*action)),
                theme.style(Slot::StatusLine),
            ));
        }
    }
    if let Some(last) = left.last_mut() {
        last.content = last.content.trim_end_matches(" ·").to_string().into();
    }
    let mut right = Vec::new();
    if !app.pending.is_empty() {
        right.push(Span::styled(
            format!("saving {}… ", app.pending.len()),
            theme.style(Slot::Notice),
        ));
    }
    if app.bugs.queued > 0 {
        right.push(Span::styled(
            format!("{} queued ⟳ ", app.bugs.queued),
            theme.style(Slot::StatusWarn),
        ));
    }
    if !app.hosts_down.is_empty() {
        let names: Vec<_> = app
            .hosts_down
            .iter()
            .map(|(h, s)| format!("{h} {}", s.label()))
            .collect();
        right.push(Span::styled(
            format!("✖ {} ", names.join(", ")),
            theme.style(Slot::StatusCrit),
        ));
    }
    if let Some(notice) = app.notice.as_ref().filter(|n| n.kind == NoticeKind::Error) {
        draw_error_box(app, frame, area, &notice.text);
    }
    if let Some(notice) = app.notice.as_ref().filter(|n| n.kind != NoticeKind::Error) {
        let slot = match notice.kind {
            NoticeKind::Info => Slot::Notice,
            NoticeKind::Success => Slot::StatusOk,
            NoticeKind::Error => Slot::Error,
        };
        right.push(Span::styled(format!("{} ", notice.text), theme.style(slot)));
    }
    let right_width: usize = right.iter().map(|s| s.content.width()).sum();
    let right_width = cells(right_width.min(usize::from(area.width) * 2 / 3));
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), left_area);
    frame.render_widget(
        Paragraph::new(Line::from(right)).alignment(Alignment::Right),
        right_area,
    );
}

/// Errors (a failed save, a bad reload) get a box above the status line, wrapped, so the
/// whole `file:line:col: message` can be read; esc dismisses it.
fn draw_error_box(app: &App, frame: &mut Frame, status: Rect, text: &str) {
    let width = status.width;
    let inner_width = width.saturating_sub(2).max(1) as usize;
    let rows: usize = text
        .lines()
        .map(|l| l.width().div_ceil(inner_width).max(1))
        .sum();
    let height = cells(rows).saturating_add(2).min(status.y / 2).max(3);
    let rect = Rect {
        x: status.x,
        y: status.y.saturating_sub(height),
        width,
        height,
    }
    .intersection(frame.area());
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.style(Slot::Error))
        .title(Span::styled(
            " ✖ error · esc dismisses ",
            app.theme.style(Slot::Error),
        ));
    let paragraph = Paragraph::new(text.to_string())
        .block(block)
        .wrap(Wrap { trim: false })
        .style(app.theme.style(Slot::Text));
    frame.render_widget(paragraph, rect);
}

pub(super) fn overlay_block(app: &App, title: String) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(app.theme.style(Slot::OverlayBorder))
        .title(Span::styled(
            format!(" {title} "),
            app.theme.style(Slot::TitleFocused),
        ))
        .style(app.theme.style(Slot::Overlay))
}

/// Help lines generated from the active keymap: the focused pane's keys, then global.
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let mut lines = Vec::new();
    for section in [app.focus.section(), Section::Global] {
        let bindings = app.keymap.section(section);
        if bindings.is_empty() {
            continue;
        }
        let heading = if section == Section::Global {
            "everywhere".to_string()
        } else {
            format!("in {}", app.focus.name())
        };
        lines.push(Line::styled(heading, theme.style(Slot::TitleFocused)));
        let mut seen: Vec<Action> = Vec::new();
        for (_, action) in bindings {
            if seen.contains(action) {
                continue;
            }
            seen.push(*action);
            let keys: Vec<String> = app
                .keymap
                .keys_for(section, *action)
                .iter()
                .map(|k| k.to_string())
                .collect();
            if keys.is_empty() {
                continue;
            }
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {}", pad(&keys.join(" "), 18)),
                    theme.style(Slot::KeyHint),
                ),
                Span::styled(action.description().to_string(), theme.style(Slot::Text)),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "in text fields: ctrl-s save · tab next field · ctrl-e $EDITOR · esc keep draft",
        theme.style(Slot::Muted),
    ));
    lines
}

fn draw_help(app: &App, frame: &mut Frame, area: Rect, scroll: usize) {
    let rect = centered(area, 70, 80);
    frame.render_widget(Clear, rect);
    let block = overlay_block(
        app,
        format!("Help · {} keys · esc closes", app.focus.name()),
    );
    let lines = help_lines(app);
    let scroll = cells(scroll.min(lines.len().saturating_sub(1)));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), rect);
}

fn draw_detail(app: &App, frame: &mut Frame, area: Rect, detail: &Detail, scroll: usize) {
    let rect = centered(area, 85, 85);
    frame.render_widget(Clear, rect);
    let block = overlay_block(app, format!("{} · esc closes", detail.title));
    let paragraph = Paragraph::new(detail.lines.clone())
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((cells(scroll), 0));
    frame.render_widget(paragraph, rect);
}

fn draw_line_input(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    label: &str,
    input: &LineInput,
    error: Option<&str>,
) {
    let theme = &app.theme;
    frame.render_widget(Clear, area);
    let label_width = label.width();
    let (shown, cursor) = input.view(usize::from(area.width).saturating_sub(label_width));
    let mut spans = vec![
        Span::styled(label.to_string(), theme.style(Slot::KeyHint)),
        Span::styled(shown.to_string(), theme.style(Slot::Input)),
    ];
    if let Some(error) = error {
        spans.push(Span::styled(format!("  {error}"), theme.style(Slot::Error)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    // The cursor goes by display columns: a CJK character or an emoji takes two.
    let x = area.x.saturating_add(cells(label_width + cursor));
    frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
}

fn draw_command_bar(
    app: &App,
    frame: &mut Frame,
    status: Rect,
    input: &LineInput,
    error: Option<&str>,
) {
    let theme = &app.theme;
    let matches = command_completions(&input.text);
    let shown = matches.len().min(8) as u16;
    if shown > 0 && status.y >= shown {
        let width = 60.min(status.width);
        let rect = Rect {
            x: status.x,
            y: status.y - shown,
            width,
            height: shown,
        };
        frame.render_widget(Clear, rect);
        let lines: Vec<Line> = matches
            .iter()
            .take(shown as usize)
            .map(|name| {
                let desc = Action::from_name(name)
                    .map(|a| a.description())
                    .unwrap_or("");
                Line::from(vec![
                    Span::styled(format!(" {name:<18}"), theme.style(Slot::KeyHint)),
                    Span::styled(
                        truncate(desc, width.saturating_sub(20) as usize),
                        theme.style(Slot::Muted),
                    ),
                ])
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines).style(theme.style(Slot::Overlay)),
            rect,
        );
    }
    draw_line_input(app, frame, status, ":", input, error);
}

fn draw_form(app: &App, frame: &mut Frame, area: Rect, form: &EntryForm) {
    let theme = &app.theme;
    let rect = centered(area, 70, 60);
    frame.render_widget(Clear, rect);
    let title = match (&form.silence, form.kind) {
        (_, crate::handoff::EntryKind::DriftAccepted) => {
            let what =
                form.accept
                    .as_ref()
                    .map_or("drift".to_string(), |a| match (&a.path, &a.hunk) {
                        _ if a.host.is_some() => format!(
                            "how {} differs from its reference in {}",
                            a.host.as_deref().unwrap_or(""),
                            a.target
                        ),
                        (None, _) => format!("all drift of {}", a.target),
                        (Some(path), None) => format!("{path} of {}", a.target),
                        (Some(path), Some(_)) => format!("a hunk of {path}"),
                    });
            format!("Accept {what}: for how long (empty: until it changes), and why")
        }
        (Some(target), _) => format!(
            "Silence {} in Alertmanager: for how long, and why",
            target.alert
        ),
        (None, crate::handoff::EntryKind::Change) => "Record a change: what, and why".to_string(),
        (None, crate::handoff::EntryKind::Ack) => {
            "Acknowledge: say what you are doing about it".to_string()
        }
        (None, kind) => format!("Add a {kind}"),
    };
    let block = overlay_block(app, title);
    let body = block.inner(rect);
    frame.render_widget(block, rect);
    let about = form.refs.label();
    let footer = form.problem.clone().unwrap_or_else(|| {
        "ctrl-s save · tab next field · ctrl-e $EDITOR · esc keep as draft".into()
    });
    let footer_style = if form.problem.is_some() {
        theme.style(Slot::Error)
    } else {
        theme.style(Slot::Muted)
    };
    let field_block = |name: &str, active: bool| {
        let style = if active {
            theme.style(Slot::BorderFocused)
        } else {
            theme.style(Slot::Border)
        };
        Block::default()
            .borders(Borders::ALL)
            .border_style(style)
            .title(Span::styled(format!(" {name} "), style))
    };
    let mut what = form.what.clone();
    let mut why = form.why.clone();
    what.set_block(field_block("what", form.field == FormField::What));
    why.set_block(field_block("why (required)", form.field == FormField::Why));
    for (area, active) in [
        (&mut what, form.field == FormField::What),
        (&mut why, form.field == FormField::Why),
    ] {
        area.set_cursor_line_style(Style::default());
        if !active {
            area.set_cursor_style(Style::default());
        }
    }
    let about_line = Line::styled(
        if about.is_empty() {
            "about: nothing selected".to_string()
        } else {
            format!("about: {about}")
        },
        theme.style(Slot::Muted),
    );
    if form.needs_why() {
        let [a, w, y, f] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Percentage(50),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(body);
        frame.render_widget(Paragraph::new(about_line), a);
        frame.render_widget(&what, w);
        frame.render_widget(&why, y);
        frame.render_widget(Paragraph::new(footer).style(footer_style), f);
    } else {
        let [a, w, f] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(body);
        frame.render_widget(Paragraph::new(about_line), a);
        frame.render_widget(&what, w);
        frame.render_widget(Paragraph::new(footer).style(footer_style), f);
    }
}
