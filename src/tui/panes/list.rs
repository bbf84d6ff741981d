//! Selection and scrolling for a list of rows, shared by the panes.

/// A selected row and the first visible row. The pane moves the offset when the selection
/// moves (not while drawing), so drawing stays a pure read and the view never jumps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListView {
    pub selected: usize,
    pub offset: usize,
}

impl ListView {
    /// Applies a movement action to a list of `len` rows seen through `page` rows.
    pub fn apply(&mut self, action: super::Action, len: usize, page: usize) -> bool {
        use super::Action::*;
        let page = page.max(1);
        let last = len.saturating_sub(1);
        self.selected = match action {
            Up => self.selected.saturating_sub(1),
            Down => (self.selected + 1).min(last),
            PageUp => self.selected.saturating_sub(page),
            PageDown => (self.selected + page).min(last),
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

    /// Keeps the selection on screen, and the screen full when rows were removed.
    pub fn keep_visible(&mut self, len: usize, page: usize) {
        let page = page.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + page {
            self.offset = self.selected + 1 - page;
        }
        self.offset = self.offset.min(len.saturating_sub(page));
    }

    /// The visible range for drawing, clamped to `len` without changing state.
    pub fn visible(&self, len: usize, page: usize) -> std::ops::Range<usize> {
        let mut offset = self.offset.min(len.saturating_sub(page.max(1)));
        if self.selected >= offset + page.max(1) {
            offset = self.selected + 1 - page.max(1);
        }
        offset..(offset + page).min(len)
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
}
