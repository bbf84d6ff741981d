//! `sheriff bench`: figures measured in-process, each beside a named peer doing the same
//! work, for docs/performance.md. `scripts/bench` runs these and the external peers.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, List, ListState};
use ratatui::Terminal;

use crate::event::Event;
use crate::logs::LogLine;
use crate::tui::app::Msg;
use crate::tui::{sample, ui};

/// Median and 99th percentile of a set of timings (zero for none).
fn summary(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let last = times.len().saturating_sub(1);
    let at = |q: f64| {
        let index = (last as f64 * q).round() as usize;
        times.get(index).copied().unwrap_or_default()
    };
    (at(0.5), at(0.99))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Draws the full 200x50 screen with `lines` retained log lines, `frames` times, one new
/// line arriving between frames (as while a log streams). The peer is the plain way to
/// show a log in ratatui: a `List` given every retained line each frame.
pub fn draw(lines: usize, frames: usize) -> anyhow::Result<ExitCode> {
    if frames == 0 {
        eprintln!(
            "sheriff bench draw: --frames must be at least 1 (nothing is measured in 0 frames)"
        );
        return Ok(ExitCode::from(2));
    }
    let (width, height) = (200, 50);
    let mut app = sample::app_with(lines);
    app.update(Msg::Resize(width, height));
    let mut terminal = Terminal::new(TestBackend::new(width, height))?;
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames.saturating_add(50) {
        let line = LogLine {
            source: "app@production".into(),
            received: chrono::Utc::now(),
            level: None,
            text: format!("streamed line {i}"),
        };
        app.update(Msg::Worker(Event::LogLines {
            source: line.source.clone(),
            lines: vec![line],
        }));
        let start = Instant::now();
        terminal.draw(|frame| ui::draw(&app, frame))?;
        if i >= 50 {
            times.push(start.elapsed());
        }
    }
    let (median, p99) = summary(times);

    let texts: Vec<String> = (0..lines)
        .map(|i| {
            format!(
                "12:01:01 app@production INFO request {i} upstream=10.0.0.{} took {}ms",
                i % 250,
                i % 900
            )
        })
        .collect();
    let mut peer_terminal = Terminal::new(TestBackend::new(width, height))?;
    let mut peer_times = Vec::with_capacity(frames);
    for i in 0..frames.saturating_add(50) {
        let start = Instant::now();
        peer_terminal.draw(|frame| {
            let items: Vec<Line> = texts.iter().map(|t| Line::raw(t.as_str())).collect();
            let list = List::new(items).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(format!("Logs {i}")),
            );
            let mut state = ListState::default().with_selected(Some(lines.saturating_sub(1)));
            frame.render_stateful_widget(list, frame.area(), &mut state);
        })?;
        if i >= 50 {
            peer_times.push(start.elapsed());
        }
    }
    let (peer_median, peer_p99) = summary(peer_times);
    println!("draw 200x50, {lines} retained log lines, {frames} frames");
    println!(
        "  sheriff full screen:             median {} p99 {}",
        ms(median),
        ms(p99)
    );
    println!(
        "  peer (ratatui List, all lines):  median {} p99 {}",
        ms(peer_median),
        ms(peer_p99)
    );
    println!(
        "  ratio sheriff/peer (median):     {:.2}",
        median.as_secs_f64() / peer_median.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
