//! Where each pane goes. A pure function of the screen size and zoom, used by drawing
//! and by the mouse (which pane was clicked), so the two always agree.

use ratatui::layout::{Constraint, Layout, Rect};

use super::panes::PaneId;

/// Below this the screen cannot show four panes and a status line usefully.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenLayout {
    /// Each visible pane's outer rectangle (with its border).
    pub panes: Vec<(PaneId, Rect)>,
    pub status: Rect,
}

impl ScreenLayout {
    pub fn pane_at(&self, column: u16, row: u16) -> Option<(PaneId, Rect)> {
        self.panes
            .iter()
            .copied()
            .find(|(_, r)| r.contains((column, row).into()))
    }

    pub fn rect_of(&self, pane: PaneId) -> Option<Rect> {
        self.panes.iter().find(|(p, _)| *p == pane).map(|(_, r)| *r)
    }
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// Health and Logs on top (they change most), Drift and Handoff below.
pub fn screen_layout(area: Rect, focus: PaneId, zoom: bool) -> ScreenLayout {
    let [main, status] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    if zoom {
        return ScreenLayout {
            panes: vec![(focus, main)],
            status,
        };
    }
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main);
    let columns = |r: Rect| {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas::<2>(r)
    };
    let [health, logs] = columns(top);
    let [drift, handoff] = columns(bottom);
    ScreenLayout {
        panes: vec![
            (PaneId::Health, health),
            (PaneId::Logs, logs),
            (PaneId::Drift, drift),
            (PaneId::Handoff, handoff),
        ],
        status,
    }
}

/// The inside of a pane's border.
pub fn inner(rect: Rect) -> Rect {
    Rect {
        x: rect.x + 1,
        y: rect.y + 1,
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(2),
    }
}
