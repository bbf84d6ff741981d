//! Every action a key can trigger: its name (used in keymap files and the command bar)
//! and its one-line description (used by help and `sheriff keys`) live in one place, so
//! help can never disagree with the keys.

macro_rules! actions {
    ($( $variant:ident => $name:literal, $desc:literal; )*) => {
        /// Something the sheriff asked for, by key, mouse or command bar.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $( $variant, )*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[ $( Action::$variant, )* ];

            /// The name used in keymap files and the command bar.
            pub fn name(self) -> &'static str {
                match self { $( Action::$variant => $name, )* }
            }

            /// One line for help and `sheriff keys`.
            pub fn description(self) -> &'static str {
                match self { $( Action::$variant => $desc, )* }
            }
        }
    };
}

actions! {
    Quit => "quit", "quit sheriff";
    Help => "help", "show or hide this help";
    CommandBar => "command_bar", "open the command bar (actions by name)";
    FocusNext => "focus_next", "focus the next pane";
    FocusPrev => "focus_prev", "focus the previous pane";
    FocusHealth => "focus_health", "focus the Health pane";
    FocusLogs => "focus_logs", "focus the Logs pane";
    FocusDrift => "focus_drift", "focus the Drift pane";
    FocusHandoff => "focus_handoff", "focus the Handoff pane";
    Zoom => "zoom", "zoom the focused pane to full screen, or back";
    Open => "open", "open the selected item's detail (a drifted file: its diff)";
    Back => "back", "close the overlay, detail or diff view";
    Up => "up", "select the previous item";
    Down => "down", "select the next item";
    PageUp => "page_up", "move up one page";
    PageDown => "page_down", "move down one page";
    Top => "top", "go to the first item";
    Bottom => "bottom", "go to the last item";
    Note => "note", "add a note to the handoff log";
    RecordChange => "record_change", "record a change with its why";
    Filter => "filter", "filter the focused pane";
    ClearFilter => "clear_filter", "clear the focused pane's filter";
    ToggleFollow => "toggle_follow", "follow new log lines, or stop following";
    ToggleWrap => "toggle_wrap", "wrap long lines, or cut them";
    FilterOut => "filter_out", "logs: hide the lines a regex matches";
    Search => "search", "logs: search, highlighting matches (n/N step, esc ends it)";
    NextMatch => "next_match", "logs: the next search match";
    PrevMatch => "prev_match", "logs: the previous search match";
    EndSearch => "end_search", "logs: end the search";
    NextError => "next_error", "logs: the next error line";
    PrevError => "prev_error", "logs: the previous error line";
    Mark => "mark", "logs: mark the line, or unmark it (a bug filed here carries the marked lines)";
    CopyLines => "copy_lines", "logs: copy the marked lines (or the selected one) to the clipboard";
    CycleSource => "cycle_source", "logs: show one source alone, the next, then all again";
    ScrollLeft => "scroll_left", "logs: scroll cut lines left";
    ScrollRight => "scroll_right", "logs: scroll cut lines right";
    JumpToTime => "jump_to_time", "logs: jump to a time (12:00, 2026-12-01 09:30, 1h)";
    CycleKind => "cycle_kind", "handoff: show only one kind of entry, cycling";
    ThisShift => "this_shift", "handoff: show only this shift, or everything";
    ToggleAutomatic => "toggle_automatic", "handoff: unfold automatic entries, or fold them";
    ToggleDiffLayout => "toggle_diff_layout", "drift: show the open diff unified or side by side";
    NextHunk => "next_hunk", "drift: scroll the open diff to its next hunk";
    PrevHunk => "prev_hunk", "drift: scroll the open diff to its previous hunk";
    NextFile => "next_file", "drift: open the next drifted file's diff";
    PrevFile => "prev_file", "drift: open the previous drifted file's diff";
    PreviewReport => "preview_report", "preview the shift report the next sheriff reads";
    ReloadConfig => "reload_config", "reload the config, keymap and theme";
    RunCheck => "run_check", "health: run the selected check now";
    Acknowledge => "acknowledge", "health: acknowledge the selected problem, with a note; drift: accept the selected target, file or hunk as expected, with a why";
    DiskUsage => "disk_usage", "health: show what fills the selected disk (its largest directories)";
    Silence => "silence", "health: silence the selected Alertmanager alert, for how long and why";
    Unsilence => "unsilence", "health: expire the selected alert's silence";
    FileBug => "file_bug", "file a bug about the selected thing, pre-filled with what sheriff knows";
    OpenBug => "open_bug", "open the bug filed about the selected thing (or copy its URL)";
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(*action));
        }
        let mut names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Action::ALL.len());
    }
}
