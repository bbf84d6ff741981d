//! The terminal UI: one event loop merging terminal events, a tick and worker events into
//! `App::update`, carrying out the effects it returns, and drawing only when something
//! changed (DESIGN.md "Flow of data").

pub mod action;
pub mod app;
pub mod bug_form;
pub mod bugs;
mod editor;
pub mod input;
pub mod key;
pub mod keymap;
pub mod layout;
pub mod panes;
mod runner;
pub mod sample;
pub mod services;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod widgets;

pub use runner::{check_look, load_look, run, try_load_look, Look, Options};
