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
        x: rect.x.saturating_add(1),
        y: rect.y.saturating_add(1),
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(2),
    }
}

/// A count of rows or columns as a terminal size, saturating instead of wrapping: a
/// 70,000-line detail scrolled to the end must not scroll back to near the top.
pub fn cells(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// `pct` percent of `len`, worked out wide so a 65,535-column terminal cannot overflow.
fn percent(len: u16, pct: u16) -> u16 {
    cells(usize::from(len) * usize::from(pct.min(100)) / 100)
}

/// A box `width_pct`% by `height_pct`% of `area` (at least 40x10 where it fits), in its
/// middle: the overlays (help, detail, forms).
pub fn centered(area: Rect, width_pct: u16, height_pct: u16) -> Rect {
    let width = percent(area.width, width_pct).max(40.min(area.width));
    let height = percent(area.height, height_pct).max(10.min(area.height));
    centered_box(area, width, height)
}

/// A box of `width`x`height` (cut to fit) in the middle of `area`.
pub fn centered_box(area: Rect, width: u16, height: u16) -> Rect {
    let (width, height) = (width.min(area.width), height.min(area.height));
    Rect {
        x: area.x.saturating_add((area.width - width) / 2),
        y: area.y.saturating_add((area.height - height) / 2),
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HUGE: Rect = Rect {
        x: 0,
        y: 0,
        width: u16::MAX,
        height: u16::MAX,
    };

    #[test]
    fn overlays_fit_any_terminal() {
        let rect = centered(HUGE, 85, 85);
        assert_eq!((rect.width, rect.height), (55_704, 55_704));
        assert!(HUGE.contains(rect.as_position()) && rect.right() <= HUGE.right());
        for area in [
            Rect::new(0, 0, 1, 1),
            Rect::new(0, 0, 0, 0),
            Rect::new(3, 2, 30, 5),
        ] {
            let rect = centered(area, 70, 80);
            assert_eq!(rect.intersection(area), rect, "{area:?}");
        }
        assert_eq!(
            centered(Rect::new(0, 0, 200, 50), 50, 50),
            Rect::new(50, 12, 100, 25)
        );
    }

    #[test]
    fn panes_of_any_terminal_stay_inside_it() {
        for area in [
            HUGE,
            Rect::new(0, 0, u16::MAX, 3),
            Rect::new(0, 0, 1, 1),
            Rect::new(0, 0, 0, 0),
        ] {
            for zoom in [false, true] {
                let layout = screen_layout(area, PaneId::Logs, zoom);
                for (_, rect) in &layout.panes {
                    assert_eq!(rect.intersection(area), *rect);
                    assert_eq!(inner(*rect).intersection(*rect), inner(*rect));
                }
            }
        }
        assert_eq!(inner(Rect::new(u16::MAX, u16::MAX, 0, 0)).x, u16::MAX);
        assert_eq!(cells(70_000), u16::MAX);
    }
}
