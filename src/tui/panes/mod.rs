//! The four panes. Each owns its state, draws itself from `&self`, takes the events it
//! cares about and handles the actions aimed at it; the app only routes.

mod drift;
mod drift_view;
mod handoff;
mod health;
mod list;
mod logs;

pub use drift::DriftPane;
pub use handoff::{HandoffFilter, HandoffPane};
pub use health::HealthPane;
pub use list::ListView;
pub use logs::LogsPane;

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

use super::action::Action;
use super::app::Effect;
use super::keymap::Section;
use super::theme::Theme;
use crate::event::Event;
use crate::handoff::Refs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Health,
    Logs,
    Drift,
    Handoff,
}

impl PaneId {
    pub const ALL: [PaneId; 4] = [PaneId::Health, PaneId::Logs, PaneId::Drift, PaneId::Handoff];

    pub fn section(self) -> Section {
        match self {
            PaneId::Health => Section::Health,
            PaneId::Logs => Section::Logs,
            PaneId::Drift => Section::Drift,
            PaneId::Handoff => Section::Handoff,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PaneId::Health => "Health",
            PaneId::Logs => "Logs",
            PaneId::Drift => "Drift",
            PaneId::Handoff => "Handoff",
        }
    }

    pub fn next(self) -> PaneId {
        let i = PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0);
        PaneId::ALL[(i + 1) % PaneId::ALL.len()]
    }

    pub fn prev(self) -> PaneId {
        let i = PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0);
        PaneId::ALL[(i + PaneId::ALL.len() - 1) % PaneId::ALL.len()]
    }
}

/// What a pane needs to know to draw itself.
pub struct DrawContext<'a> {
    pub theme: &'a Theme,
    pub focused: bool,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// The detail view of a selected item (`enter`): a title and ready-styled lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub title: String,
    pub lines: Vec<Line<'static>>,
}

/// What a pane did with an action aimed at it.
#[derive(Debug, Default)]
pub enum Handled {
    /// Not an action this pane takes (the app says so in the status line).
    #[default]
    NotHere,
    /// Taken; the runner carries out these effects (often none: a selection moved).
    Done(Vec<Effect>),
}

impl Handled {
    /// Taken, with nothing to carry out.
    pub fn done() -> Self {
        Handled::Done(Vec::new())
    }

    /// Taken when `taken`, for movements that may not apply.
    pub fn taken(taken: bool) -> Self {
        if taken {
            Handled::done()
        } else {
            Handled::NotHere
        }
    }

    /// Taken, asking the runner for one effect.
    pub fn effect(effect: Effect) -> Self {
        Handled::Done(vec![effect])
    }
}

/// What a one-line prompt over a pane asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Keep what matches (`/`).
    Filter,
    /// Hide what matches (`\`).
    Exclude,
    /// Highlight and step through what matches.
    Search,
    /// Go to a time.
    Jump,
}

impl Ask {
    /// The prompt's label, before the pane's name.
    pub fn label(self) -> &'static str {
        match self {
            Ask::Filter => "filter",
            Ask::Exclude => "hide",
            Ask::Search => "search",
            Ask::Jump => "jump to time in",
        }
    }
}

/// One pane of the screen.
pub trait Pane {
    /// The title, with counts ("Health 3✖ 1▲ 24✔").
    fn title(&self, theme: &Theme) -> Line<'static>;
    /// Draws the inside of the pane (the app draws the border and title).
    fn draw(&self, frame: &mut Frame, area: Rect, ctx: &DrawContext);
    /// Takes a worker event; returns whether anything visible changed.
    fn on_event(&mut self, event: &Event) -> bool;
    /// Handles an action aimed at this pane; `page` is its visible height in rows.
    /// A pane asks for I/O (file a bug, run a check now) by returning effects; it never
    /// does I/O itself.
    fn handle(&mut self, action: Action, page: usize) -> Handled;
    /// Actions to hint in the status line while this pane has focus.
    fn hints(&self) -> &'static [Action];
    /// The selected item's detail, for `enter`.
    fn detail(&self, theme: &Theme) -> Option<Detail>;
    /// What a note or change made now would be about.
    fn selection_refs(&self) -> Refs;
    /// Selects the item on a visible row (mouse click).
    fn click_row(&mut self, row: usize, page: usize);
    /// A filter typed by the sheriff (`/`); an error message if it cannot be used.
    fn set_filter(&mut self, _filter: &str) -> Result<(), String> {
        Err("this pane has no filter".into())
    }
    /// The filter in force, to edit it again.
    fn filter(&self) -> Option<String> {
        None
    }
    /// What the sheriff typed at a prompt over this pane, as they type it; an error
    /// message if it cannot be used (yet).
    fn ask(&mut self, ask: Ask, text: &str) -> Result<(), String> {
        match ask {
            Ask::Filter => self.set_filter(text),
            _ => Err(format!("this pane cannot {}", ask.label())),
        }
    }
    /// What is in force for `ask`, to edit it again.
    fn asked(&self, ask: Ask) -> Option<String> {
        match ask {
            Ask::Filter => self.filter(),
            _ => None,
        }
    }
    /// What a bug filed now (`b`) would be about, with all the pane knows of it.
    fn bug_subject(&self) -> Option<crate::tracker::draft::Subject> {
        None
    }
}
