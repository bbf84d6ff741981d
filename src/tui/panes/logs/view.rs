//! Which buffered lines the Logs pane shows (those a filter, `/`, keeps and an exclusion,
//! `\`, does not hide) and which of them a search matches. Both are lists of buffer
//! indices brought up to date as lines arrive, so drawing a filtered view of a big buffer,
//! or saying "match 3 of 17", costs no regex work.

use regex::Regex;

use crate::logs::buffer::{Kept, LogBuffer};

#[derive(Debug, Default)]
pub struct View {
    include: Option<Regex>,
    exclude: Option<Regex>,
    /// Only this source's lines.
    only: Option<String>,
    /// Buffer indices of the shown lines, when a filter or exclusion is set.
    shown: Vec<usize>,
    search: Option<Regex>,
    /// Buffer indices of the shown lines the search matches.
    hits: Vec<usize>,
}

impl View {
    pub fn is_active(&self) -> bool {
        self.include.is_some() || self.exclude.is_some() || self.only.is_some()
    }

    pub fn only(&self) -> Option<&str> {
        self.only.as_deref()
    }

    /// Shows only `source` (or every source again).
    pub fn set_only(&mut self, source: Option<String>, buffer: &LogBuffer) {
        self.only = source;
        let (include, exclude, search) =
            (self.include.take(), self.exclude.take(), self.search.take());
        self.set(include, exclude, buffer);
        self.set_search(search, buffer);
    }

    pub fn include(&self) -> Option<&Regex> {
        self.include.as_ref()
    }

    pub fn exclude(&self) -> Option<&Regex> {
        self.exclude.as_ref()
    }

    pub fn passes(&self, line: Kept<'_>) -> bool {
        self.only.as_ref().is_none_or(|only| *only == line.source)
            && self
                .include
                .as_ref()
                .is_none_or(|re| re.is_match(line.text))
            && self
                .exclude
                .as_ref()
                .is_none_or(|re| !re.is_match(line.text))
    }

    pub fn set(&mut self, include: Option<Regex>, exclude: Option<Regex>, buffer: &LogBuffer) {
        self.include = include;
        self.exclude = exclude;
        self.shown.clear();
        self.hits.clear();
        self.take_new(buffer, 0);
    }

    pub fn search(&self) -> Option<&Regex> {
        self.search.as_ref()
    }

    pub fn set_search(&mut self, search: Option<Regex>, buffer: &LogBuffer) {
        self.search = search;
        self.hits.clear();
        if let Some(re) = &self.search {
            let len = self.len(buffer);
            self.hits = (0..len)
                .filter_map(|v| self.index(v))
                .filter(|&i| buffer.get(i).is_some_and(|l| re.is_match(l.text)))
                .collect();
        }
    }

    /// Buffer indices of the shown lines the search matches, oldest first.
    pub fn hits(&self) -> &[usize] {
        &self.hits
    }

    /// After `shift` lines fell off the buffer's front: indices move down.
    pub fn dropped(&mut self, shift: usize) {
        shift_down(&mut self.shown, shift);
        shift_down(&mut self.hits, shift);
    }

    /// After `n` lines were put in the buffer at index `at` (at its end, or among its
    /// newest lines by their time): later indices move up, and the new lines are judged
    /// once. Returns how many of them are shown.
    pub fn inserted(&mut self, buffer: &LogBuffer, at: usize, n: usize) -> usize {
        if at + n >= buffer.len() {
            return self.take_new(buffer, at);
        }
        let mut shown = Vec::new();
        let mut hits = Vec::new();
        for i in at..at + n {
            let Some(line) = buffer.get(i) else { break };
            if self.passes(line) {
                shown.push(i);
                if self
                    .search
                    .as_ref()
                    .is_some_and(|re| re.is_match(line.text))
                {
                    hits.push(i);
                }
            }
        }
        let count = shown.len();
        if self.is_active() {
            splice_in(&mut self.shown, at, n, shown);
        }
        splice_in(&mut self.hits, at, n, hits);
        count
    }

    /// Judges the buffer's lines from index `from` on; returns how many are shown.
    fn take_new(&mut self, buffer: &LogBuffer, from: usize) -> usize {
        let mut shown = 0;
        for i in from..buffer.len() {
            let Some(line) = buffer.get(i) else { break };
            if !self.passes(line) {
                continue;
            }
            shown += 1;
            if self.is_active() {
                self.shown.push(i);
            }
            if self
                .search
                .as_ref()
                .is_some_and(|re| re.is_match(line.text))
            {
                self.hits.push(i);
            }
        }
        shown
    }

    /// How many lines are shown.
    pub fn len(&self, buffer: &LogBuffer) -> usize {
        if self.is_active() {
            self.shown.len()
        } else {
            buffer.len()
        }
    }

    /// The buffer index of the `visible`th shown line.
    pub fn index(&self, visible: usize) -> Option<usize> {
        if self.is_active() {
            self.shown.get(visible).copied()
        } else {
            Some(visible)
        }
    }

    /// The visible position of buffer index `index`, or of the first shown line after it.
    pub fn position_of(&self, index: usize) -> usize {
        if self.is_active() {
            self.shown.partition_point(|&i| i < index)
        } else {
            index
        }
    }
}

/// Moves the indices from `at` on up by `n` and puts `new` (indices in `at..at+n`) in
/// their place; only the tail from `at` on is touched.
fn splice_in(indices: &mut Vec<usize>, at: usize, n: usize, new: Vec<usize>) {
    let from = indices.partition_point(|&i| i < at);
    for i in &mut indices[from..] {
        *i += n;
    }
    indices.splice(from..from, new);
}

fn shift_down(indices: &mut Vec<usize>, shift: usize) {
    if shift == 0 {
        return;
    }
    indices.retain_mut(|i| match i.checked_sub(shift) {
        Some(moved) => {
            *i = moved;
            true
        }
        None => false,
    });
}
