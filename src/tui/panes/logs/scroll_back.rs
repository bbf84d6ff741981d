//! The Logs pane above its buffer: going up from the oldest kept line shows the lines
//! before it, read back from the sources' files a page at a time off the render path (see
//! [`super::earlier`]); going down past the newest of them comes back to the buffer.

use std::collections::HashSet;

use super::earlier::Earlier;
use super::{thousands, LogsPane};
use crate::logs::buffer::Kept;
use crate::logs::earlier::{Before, Page};
use crate::logs::Level;
use crate::tui::action::Action;
use crate::tui::app::Effect;
use crate::tui::panes::Handled;

/// Pages are asked for ahead while the selection is within this many screens of the top.
const READ_AHEAD_SCREENS: usize = 4;

impl LogsPane {
    /// Up from the buffer's first line: the lines before it, asked for when not read yet.
    pub(super) fn go_earlier(&mut self) -> Handled {
        if let Some(earlier) = &mut self.earlier {
            if earlier.dropped_at_start == self.buffer.dropped() && !earlier.is_empty() {
                self.in_earlier = true;
                earlier.selected = earlier.len() - 1;
                return Handled::done();
            }
        }
        let starts = self.earlier_starts();
        if starts.is_empty() {
            return Handled::effect(Effect::Say(
                "no earlier lines to read back: lines are read again only from files (not from journals or commands)".into(),
            ));
        }
        let mut earlier = Earlier::start(starts, self.buffer.dropped());
        let wanted = earlier.wanted();
        self.earlier = Some(earlier);
        self.in_earlier = true;
        Handled::effect(Effect::ReadEarlier(wanted))
    }

    /// Each shown local source and where its oldest kept line starts.
    fn earlier_starts(&self) -> Vec<(String, Before)> {
        let only = self.view.only();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut starts = Vec::new();
        for line in self.buffer.iter() {
            if seen.len() == self.latest_file.len() {
                break;
            }
            let Some(origin) = line.origin else { continue };
            if only.is_some_and(|only| only != line.source) || !seen.insert(line.source) {
                continue;
            }
            let latest = self.latest_file.get(line.source).copied();
            let before = Before::origin(origin, latest.unwrap_or(origin.file));
            starts.push((line.source.to_string(), before));
        }
        starts
    }

    /// A page of earlier lines arrived: shown where it goes, and the next pages asked for
    /// while the selection is near the top. `rows` is the pane's height.
    pub fn earlier_arrived(
        &mut self,
        source: &str,
        page: Result<Page, String>,
        rows: usize,
    ) -> Vec<Effect> {
        let view = &self.view;
        let Some(earlier) = self.earlier.as_mut() else {
            return Vec::new();
        };
        earlier.arrived(source, page, |line| view.passes(line));
        let mut effects = Vec::new();
        if let Some(error) = earlier.error.take() {
            effects.push(Effect::Say(format!("earlier lines of {error}")));
        }
        if earlier.lines_read() == 0 && earlier.is_done() {
            self.earlier = None;
            self.in_earlier = false;
            effects.push(Effect::Say(
                "no earlier lines: the buffer starts at the first line of the files".into(),
            ));
            return effects;
        }
        if earlier.is_empty() || earlier.selected < rows.max(1) * READ_AHEAD_SCREENS {
            let wanted = earlier.wanted();
            if !wanted.is_empty() {
                effects.push(Effect::ReadEarlier(wanted));
            }
        }
        effects
    }

    /// Back to the buffer: at its first line, or following its newest.
    fn leave_earlier(&mut self, follow: bool) {
        self.in_earlier = false;
        self.follow = follow;
        self.selected = 0;
        self.unseen = 0;
        // Lines dropped since lie between those and the buffer: read again next time.
        if self
            .earlier
            .as_ref()
            .is_some_and(|e| e.dropped_at_start != self.buffer.dropped())
        {
            self.earlier = None;
        }
    }

    /// An action among the earlier lines; `None` for those that work as in the buffer
    /// (wrap, horizontal scroll, filters).
    pub(super) fn handle_earlier(&mut self, action: Action, page: usize) -> Option<Handled> {
        let page = page.max(1);
        let Some(earlier) = self.earlier.as_mut() else {
            self.in_earlier = false;
            return None;
        };
        let len = earlier.len();
        let current = earlier.selected.min(len.saturating_sub(1));
        let handled = match action {
            Action::Up | Action::PageUp | Action::Top => {
                earlier.selected = match action {
                    Action::Up => current.saturating_sub(1),
                    Action::PageUp => current.saturating_sub(page),
                    _ => 0,
                };
                let mut effects = Vec::new();
                if earlier.selected < page * READ_AHEAD_SCREENS {
                    let wanted = earlier.wanted();
                    if !wanted.is_empty() {
                        effects.push(Effect::ReadEarlier(wanted));
                    }
                }
                if current == 0 && effects.is_empty() {
                    effects.push(Effect::Say(top_words(earlier)));
                }
                Handled::Done(effects)
            }
            Action::Down | Action::PageDown => {
                let step = if action == Action::Down { 1 } else { page };
                if current + step >= len {
                    self.leave_earlier(false);
                } else {
                    earlier.selected = current + step;
                }
                Handled::done()
            }
            Action::Bottom | Action::ToggleFollow => {
                self.leave_earlier(true);
                Handled::done()
            }
            Action::NextError | Action::PrevError => {
                let forward = action == Action::NextError;
                let error = |l: Kept<'_>| l.level.is_some_and(|level| level >= Level::Error);
                if !step(earlier, forward, error) {
                    let word = if forward { "later" } else { "earlier" };
                    return Some(Handled::effect(Effect::Say(format!(
                        "no {word} error in the lines read back"
                    ))));
                }
                Handled::done()
            }
            Action::NextMatch | Action::PrevMatch => {
                let forward = action == Action::NextMatch;
                let re = self.view.search()?;
                if !step(earlier, forward, |l| re.is_match(l.text)) {
                    let word = if forward { "later" } else { "earlier" };
                    return Some(Handled::effect(Effect::Say(format!(
                        "no {word} match in the lines read back"
                    ))));
                }
                Handled::done()
            }
            Action::CopyLines => match earlier.get(current) {
                Some(line) => Handled::effect(Effect::Copy(line.text.to_string())),
                None => Handled::done(),
            },
            Action::Mark => Handled::effect(Effect::Say(
                "marks are for the buffer's lines; these were read back from the files".into(),
            )),
            Action::CycleSource => {
                // Another source's lines were not read back: start again from the buffer.
                self.earlier = None;
                self.in_earlier = false;
                return None;
            }
            _ => return None,
        };
        Some(handled)
    }

    /// After the filters changed: the earlier lines they let through.
    pub(super) fn refilter_earlier(&mut self) {
        let view = &self.view;
        if let Some(earlier) = self.earlier.as_mut() {
            earlier.refilter(|line| view.passes(line));
        }
    }

    /// The title while among the earlier lines.
    pub(super) fn earlier_title(&self, earlier: &Earlier) -> String {
        let mut title = format!(
            "Logs · earlier lines · {} read back from the files",
            thousands(earlier.lines_read() as u64)
        );
        if self.view.is_active() {
            title.push_str(&format!(" · {} shown", earlier.len()));
        }
        if let Some(only) = self.view.only() {
            title.push_str(&format!(" · only {only}"));
        }
        if earlier.is_reading() {
            title.push_str(" · reading…");
        } else if earlier.is_done() {
            title.push_str(" · from the first line");
        } else if earlier.is_full() {
            title.push_str(" · the most kept");
        }
        title
    }
}

/// Why going up from the first earlier line shows nothing more.
fn top_words(earlier: &Earlier) -> String {
    if earlier.is_reading() {
        "reading earlier lines…".into()
    } else if earlier.is_full() {
        format!(
            "{} MiB read back, the most kept: `sheriff logs NAME --until TIME` prints what \
             is before",
            super::earlier::BUDGET >> 20
        )
    } else {
        "the first line of the oldest copy of the files".into()
    }
}

/// Moves the selection to the next (or previous) earlier line `wanted` accepts.
fn step(earlier: &mut Earlier, forward: bool, wanted: impl Fn(Kept<'_>) -> bool) -> bool {
    let from = earlier.selected;
    let found = if forward {
        (from + 1..earlier.len()).find(|&i| earlier.get(i).is_some_and(&wanted))
    } else {
        (0..from)
            .rev()
            .find(|&i| earlier.get(i).is_some_and(&wanted))
    };
    match found {
        Some(at) => {
            earlier.selected = at;
            true
        }
        None => false,
    }
}
