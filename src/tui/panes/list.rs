//! Selection and scrolling for a list of rows, shared by the panes.

/// A selected row and the first visible row. The pane moves the offset when the selection
/// moves (not while drawing), so drawing stays a pure read and the view never jumps.
///
/// All arithmetic saturates: lengths and pages come from the terminal and the data, and a
/// list of any length seen through a page of any height must not overflow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListView {
    pub selected: usize,
    pub offset: usize,
    /// The page height last seen from the layout (0 until the first move), so a pane can
    /// select its last row between key presses, when it is not told the page.
    page: usize,
}

impl ListView {
    /// Applies a movement action to a list of `len` rows seen through `page` rows.
    pub fn apply(&mut self, action: super::Action, len: usize, page: usize) -> bool {
        use super::Action::*;
        let page = page.max(1);
        let last = len.saturating_sub(1);
        self.selected = match action {
            Up => self.selected.saturating_sub(1),
            Down => self.selected.saturating_add(1).min(last),
            PageUp => self.selected.saturating_sub(page),
            PageDown => self.selected.saturating_add(page).min(last),
            Top => 0,
            Bottom => last,
            _ => return false,
        };
        self.keep_visible(len, page);
        true
    }

    pub fn select(&mut self, index: usize, len: usize, page: usize) {
        self.selected = index.min(len.saturating_sub(1));
        self.keep_visible(len, page);
    }

    /// Selects the last of `len` rows with the page last seen, so the newest row shows at
    /// the bottom (as after `End`).
    pub fn select_last(&mut self, len: usize) {
        self.selected = len.saturating_sub(1);
        self.offset = len.saturating_sub(self.page.max(1));
    }

    /// Whether the last of `len` rows is selected (or there are none).
    pub fn at_last(&self, len: usize) -> bool {
        self.selected.saturating_add(1) >= len
    }

    /// After rows were added or removed: the selection stays on a row that exists, and the
    /// view keeps its place.
    pub fn clamp(&mut self, len: usize) {
        let page = self.page;
        self.keep_visible(len, page);
    }

    /// Keeps the selection on screen, and the screen full when rows were removed.
    pub fn keep_visible(&mut self, len: usize, page: usize) {
        let page = page.max(1);
        self.page = page;
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset.saturating_add(page) {
            self.offset = self.selected + 1 - page;
        }
        self.offset = self.offset.min(len.saturating_sub(page));
    }

    /// The visible range for drawing, clamped to `len` without changing state.
    pub fn visible(&self, len: usize, page: usize) -> std::ops::Range<usize> {
        let page = page.max(1);
        let mut offset = self.offset.min(len.saturating_sub(page));
        if self.selected >= offset.saturating_add(page) {
            offset = self.selected + 1 - page;
        }
        offset..offset.saturating_add(page).min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    #[test]
    fn view_follows_selection_without_jumping() {
        let mut view = ListView::default();
        for _ in 0..12 {
            view.apply(Action::Down, 100, 10);
        }
        assert_eq!((view.selected, view.offset), (12, 3));
        view.apply(Action::Up, 100, 10);
        assert_eq!((view.selected, view.offset), (11, 3));
        view.apply(Action::Bottom, 100, 10);
        assert_eq!(view.visible(100, 10), 90..100);
        view.apply(Action::PageUp, 100, 10);
        assert_eq!(view.selected, 89);
    }

    #[test]
    fn huge_lengths_and_pages_do_not_overflow() {
        let mut view = ListView::default();
        view.keep_visible(usize::MAX, usize::MAX);
        view.apply(Action::Bottom, usize::MAX, usize::MAX);
        view.apply(Action::PageDown, usize::MAX, usize::MAX);
        assert_eq!(view.selected, usize::MAX - 1);
        assert_eq!(view.visible(usize::MAX, usize::MAX).end, usize::MAX);
        view.select_last(10);
        assert_eq!((view.selected, view.offset), (9, 0));
    }

    #[test]
    fn select_last_uses_the_page_last_seen() {
        let mut view = ListView::default();
        view.apply(Action::Down, 100, 10);
        view.select_last(200);
        assert_eq!((view.selected, view.offset), (199, 190));
        assert_eq!(view.visible(200, 10), 190..200);
        view.clamp(50);
        assert_eq!((view.selected, view.offset), (49, 40));
    }
}
