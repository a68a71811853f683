//! The one key table: it drives dispatch ([`lookup`]), the `?` help overlay
//! and the hint bar ([`hints`]), so the three cannot disagree.
//!
//! To add a key: add an [`Action`], a row in [`BINDINGS`], and its handling
//! in `update.rs`. The docs' key table (docs/usage.md) is checked against
//! [`markdown_table`] by a test.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    /// Collapse, go to the parent, or go to the pane on the left.
    Left,
    /// Expand, go to the first child, or go to the pane on the right.
    Right,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPane,
    PrevPane,
    /// Expand or collapse the selected tree node; open the selected Service.
    Toggle,
    /// Start typing a filter.
    Filter,
    /// Cycle the verdict filter: all → failing → warning.
    CycleVerdict,
    NamespacePicker,
    ContextPicker,
    /// Copy the selected fix command.
    Copy,
    /// Copy every command of the selected finding.
    CopyAll,
    /// Select fix command N (1–9).
    SelectCommand,
    Refresh,
    Help,
    /// Close the overlay, or clear the filter.
    Escape,
    Quit,
    /// In text input: delete the last character.
    Backspace,
    /// In text input: accept.
    Accept,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Where {
    /// Everywhere, even while typing.
    Always,
    /// In any of the three panes (no overlay, not typing).
    Panes,
    Services,
    Tree,
    Detail,
    /// While typing a filter.
    FilterInput,
    /// In the namespace or context picker.
    Picker,
    /// In the help overlay.
    Help,
}

impl Where {
    pub fn label(self) -> &'static str {
        match self {
            Where::Always => "everywhere",
            Where::Panes => "all panes",
            Where::Services => "Services list",
            Where::Tree => "decision tree",
            Where::Detail => "detail pane",
            Where::FilterInput => "typing a filter",
            Where::Picker => "namespace/context picker",
            Where::Help => "help",
        }
    }
}

/// A key: a code and the modifiers it needs. For characters, Shift is
/// ignored (`Y` is already upper case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Stable id, for docs and tests.
    pub id: &'static str,
    pub action: Action,
    pub keys: &'static [Key],
    /// How the keys are written in help, hints and docs.
    pub label: &'static str,
    /// What it does, for the help overlay and the docs.
    pub help: &'static str,
    /// For the hint bar: `(keys, one word)`; `None` keeps it out of the bar.
    pub hint: Option<(&'static str, &'static str)>,
    pub place: Where,
}

const UP: &[Key] = &[code(KeyCode::Up), k('k')];
const DOWN: &[Key] = &[code(KeyCode::Down), k('j')];
const LEFT: &[Key] = &[code(KeyCode::Left), k('h')];
const RIGHT: &[Key] = &[code(KeyCode::Right), k('l')];
const TOP: &[Key] = &[k('g'), code(KeyCode::Home)];
const BOTTOM: &[Key] = &[k('G'), code(KeyCode::End)];
const PGUP: &[Key] = &[code(KeyCode::PageUp), ctrl('b')];
const PGDN: &[Key] = &[code(KeyCode::PageDown), ctrl('f')];
const DIGITS: &[Key] = &[
    k('1'),
    k('2'),
    k('3'),
    k('4'),
    k('5'),
    k('6'),
    k('7'),
    k('8'),
    k('9'),
];

/// The table. Order matters twice: the first matching row wins, and the
/// hint bar shows hints in this order (most useful first).
pub const BINDINGS: &[Binding] = &[
    // Always.
    Binding {
        id: "interrupt",
        action: Action::Quit,
        keys: &[ctrl('c')],
        label: "Ctrl-C",
        help: "quit, from anywhere",
        hint: None,
        place: Where::Always,
    },
    // Typing a filter.
    Binding {
        id: "filter-clear",
        action: Action::Escape,
        keys: &[code(KeyCode::Esc)],
        label: "Esc",
        help: "clear the filter and stop typing",
        hint: Some(("Esc", "clear")),
        place: Where::FilterInput,
    },
    Binding {
        id: "filter-accept",
        action: Action::Accept,
        keys: &[code(KeyCode::Enter), code(KeyCode::Tab)],
        label: "Enter",
        help: "keep the filter and go back to the list",
        hint: Some(("Enter", "keep")),
        place: Where::FilterInput,
    },
    Binding {
        id: "filter-backspace",
        action: Action::Backspace,
        keys: &[code(KeyCode::Backspace)],
        label: "Backspace",
        help: "delete the last character",
        hint: None,
        place: Where::FilterInput,
    },
    Binding {
        id: "filter-up",
        action: Action::Up,
        keys: &[code(KeyCode::Up)],
        label: "↑",
        help: "move up the filtered list while typing",
        hint: None,
        place: Where::FilterInput,
    },
    Binding {
        id: "filter-down",
        action: Action::Down,
        keys: &[code(KeyCode::Down)],
        label: "↓",
        help: "move down the filtered list while typing",
        hint: None,
        place: Where::FilterInput,
    },
    // Pickers.
    Binding {
        id: "picker-up",
        action: Action::Up,
        keys: &[code(KeyCode::Up), ctrl('p')],
        label: "↑",
        help: "previous entry",
        hint: Some(("↑↓", "move")),
        place: Where::Picker,
    },
    Binding {
        id: "picker-down",
        action: Action::Down,
        keys: &[code(KeyCode::Down), ctrl('n')],
        label: "↓",
        help: "next entry",
        hint: None,
        place: Where::Picker,
    },
    Binding {
        id: "picker-top",
        action: Action::PageUp,
        keys: &[code(KeyCode::PageUp)],
        label: "PgUp",
        help: "page up",
        hint: None,
        place: Where::Picker,
    },
    Binding {
        id: "picker-bottom",
        action: Action::PageDown,
        keys: &[code(KeyCode::PageDown)],
        label: "PgDn",
        help: "page down",
        hint: None,
        place: Where::Picker,
    },
    Binding {
        id: "picker-choose",
        action: Action::Accept,
        keys: &[code(KeyCode::Enter)],
        label: "Enter",
        help: "switch to the selected entry",
        hint: Some(("Enter", "choose")),
        place: Where::Picker,
    },
    Binding {
        id: "picker-backspace",
        action: Action::Backspace,
        keys: &[code(KeyCode::Backspace)],
        label: "Backspace",
        help: "delete the last character of the search (type to search)",
        hint: None,
        place: Where::Picker,
    },
    Binding {
        id: "picker-close",
        action: Action::Escape,
        keys: &[code(KeyCode::Esc)],
        label: "Esc",
        help: "close without switching",
        hint: Some(("Esc", "close")),
        place: Where::Picker,
    },
    // Help.
    Binding {
        id: "help-up",
        action: Action::Up,
        keys: UP,
        label: "↑/k",
        help: "scroll up",
        hint: Some(("↑↓", "scroll")),
        place: Where::Help,
    },
    Binding {
        id: "help-down",
        action: Action::Down,
        keys: DOWN,
        label: "↓/j",
        help: "scroll down",
        hint: None,
        place: Where::Help,
    },
    Binding {
        id: "help-page-up",
        action: Action::PageUp,
        keys: PGUP,
        label: "PgUp",
        help: "page up",
        hint: None,
        place: Where::Help,
    },
    Binding {
        id: "help-page-down",
        action: Action::PageDown,
        keys: PGDN,
        label: "PgDn",
        help: "page down",
        hint: None,
        place: Where::Help,
    },
    Binding {
        id: "help-close",
        action: Action::Escape,
        keys: &[code(KeyCode::Esc), k('?'), k('q')],
        label: "Esc/?/q",
        help: "close help",
        hint: Some(("Esc/?/q", "close")),
        place: Where::Help,
    },
    // Pane-specific movement.
    Binding {
        id: "tree-collapse",
        action: Action::Left,
        keys: LEFT,
        label: "←/h",
        help: "collapse the step, or go to its parent, or back to the list",
        hint: None,
        place: Where::Tree,
    },
    Binding {
        id: "tree-expand",
        action: Action::Right,
        keys: RIGHT,
        label: "→/l",
        help: "expand the step, or go into it, or on to the detail",
        hint: None,
        place: Where::Tree,
    },
    Binding {
        id: "tree-toggle",
        action: Action::Toggle,
        keys: &[code(KeyCode::Enter), k(' ')],
        label: "Enter/Space",
        help: "expand or collapse the selected step",
        hint: Some(("Enter", "expand")),
        place: Where::Tree,
    },
    Binding {
        id: "list-open",
        action: Action::Right,
        keys: &[code(KeyCode::Right), k('l'), code(KeyCode::Enter), k(' ')],
        label: "Enter/→/l",
        help: "open the selected Service's decision tree",
        hint: Some(("Enter", "open")),
        place: Where::Services,
    },
    Binding {
        id: "detail-back",
        action: Action::Left,
        keys: LEFT,
        label: "←/h",
        help: "back to the decision tree",
        hint: None,
        place: Where::Detail,
    },
    Binding {
        id: "detail-up",
        action: Action::Up,
        keys: UP,
        label: "↑/k",
        help: "select the previous fix command (or scroll)",
        hint: Some(("↑↓", "command")),
        place: Where::Detail,
    },
    Binding {
        id: "detail-down",
        action: Action::Down,
        keys: DOWN,
        label: "↓/j",
        help: "select the next fix command (or scroll)",
        hint: None,
        place: Where::Detail,
    },
    // All panes.
    Binding {
        id: "up",
        action: Action::Up,
        keys: UP,
        label: "↑/k",
        help: "move up",
        hint: Some(("↑↓", "move")),
        place: Where::Panes,
    },
    Binding {
        id: "down",
        action: Action::Down,
        keys: DOWN,
        label: "↓/j",
        help: "move down",
        hint: None,
        place: Where::Panes,
    },
    Binding {
        id: "copy",
        action: Action::Copy,
        keys: &[k('y')],
        label: "y",
        help: "copy the selected fix command to the clipboard",
        hint: Some(("y", "copy")),
        place: Where::Panes,
    },
    Binding {
        id: "copy-all",
        action: Action::CopyAll,
        keys: &[k('Y')],
        label: "Y",
        help: "copy every command of the selected finding, one per line",
        hint: Some(("Y", "copy all")),
        place: Where::Panes,
    },
    Binding {
        id: "filter",
        action: Action::Filter,
        keys: &[k('/')],
        label: "/",
        help: "filter Services by namespace/name (live; Esc clears)",
        hint: Some(("/", "filter")),
        place: Where::Panes,
    },
    Binding {
        id: "verdict-filter",
        action: Action::CycleVerdict,
        keys: &[k('f')],
        label: "f",
        help: "show all / failing / warning Services",
        hint: Some(("f", "verdicts")),
        place: Where::Panes,
    },
    Binding {
        id: "help",
        action: Action::Help,
        keys: &[k('?')],
        label: "?",
        help: "show every key",
        hint: Some(("?", "help")),
        place: Where::Panes,
    },
    Binding {
        id: "quit",
        action: Action::Quit,
        keys: &[k('q')],
        label: "q",
        help: "quit",
        hint: Some(("q", "quit")),
        place: Where::Panes,
    },
    Binding {
        id: "next-pane",
        action: Action::NextPane,
        keys: &[code(KeyCode::Tab)],
        label: "Tab",
        help: "next pane",
        hint: Some(("Tab", "pane")),
        place: Where::Panes,
    },
    Binding {
        id: "prev-pane",
        action: Action::PrevPane,
        keys: &[code(KeyCode::BackTab)],
        label: "Shift-Tab",
        help: "previous pane",
        hint: None,
        place: Where::Panes,
    },
    Binding {
        id: "namespace",
        action: Action::NamespacePicker,
        keys: &[k('n')],
        label: "n",
        help: "choose the namespace (or all namespaces)",
        hint: Some(("n", "namespace")),
        place: Where::Panes,
    },
    Binding {
        id: "context",
        action: Action::ContextPicker,
        keys: &[k('x')],
        label: "x",
        help: "switch the kubeconfig context",
        hint: Some(("x", "context")),
        place: Where::Panes,
    },
    Binding {
        id: "refresh",
        action: Action::Refresh,
        keys: &[k('r')],
        label: "r",
        help: "re-read the cluster now",
        hint: Some(("r", "refresh")),
        place: Where::Panes,
    },
    Binding {
        id: "left",
        action: Action::Left,
        keys: LEFT,
        label: "←/h",
        help: "go to the pane on the left",
        hint: None,
        place: Where::Panes,
    },
    Binding {
        id: "right",
        action: Action::Right,
        keys: RIGHT,
        label: "→/l",
        help: "go to the pane on the right",
        hint: None,
        place: Where::Panes,
    },
    Binding {
        id: "top",
        action: Action::Top,
        keys: TOP,
        label: "g/Home",
        help: "go to the top",
        hint: None,
        place: Where::Panes,
    },
    Binding {
        id: "bottom",
        action: Action::Bottom,
        keys: BOTTOM,
        label: "G/End",
        help: "go to the bottom",
        hint: None,
        place: Where::Panes,
    },
    Binding {
        id: "page-up",
        action: Action::PageUp,
        keys: PGUP,
        label: "PgUp/Ctrl-B",
        help: "one page up",
        hint: None,
        place: Where::Panes,
    },
    Binding {
        id: "page-down",
        action: Action::PageDown,
        keys: PGDN,
        label: "PgDn/Ctrl-F",
        help: "one page down",
        hint: None,
        place: Where::Panes,
    },
    Binding {
        id: "select-command",
        action: Action::SelectCommand,
        keys: DIGITS,
        label: "1-9",
        help: "select fix command N of the detail pane",
        hint: None,
        place: Where::Panes,
    },
    Binding {
        id: "escape",
        action: Action::Escape,
        keys: &[code(KeyCode::Esc)],
        label: "Esc",
        help: "dismiss warnings, then clear the filter, then the verdict filter",
        hint: None,
        place: Where::Panes,
    },
];

/// The mode the keyboard is in, from the most specific place to the least.
pub fn places(mode: Where) -> &'static [Where] {
    match mode {
        Where::Services => &[Where::Services, Where::Panes, Where::Always],
        Where::Tree => &[Where::Tree, Where::Panes, Where::Always],
        Where::Detail => &[Where::Detail, Where::Panes, Where::Always],
        Where::FilterInput => &[Where::FilterInput, Where::Always],
        Where::Picker => &[Where::Picker, Where::Always],
        Where::Help => &[Where::Help, Where::Always],
        Where::Panes => &[Where::Panes, Where::Always],
        Where::Always => &[Where::Always],
    }
}

impl Key {
    fn matches(&self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl != self.ctrl {
            return false;
        }
        match (self.code, event.code) {
            // Terminals differ on whether `Y` comes with Shift; the character decides.
            (KeyCode::Char(a), KeyCode::Char(b)) => {
                if self.ctrl {
                    a.eq_ignore_ascii_case(&b)
                } else {
                    a == b
                }
            }
            (a, b) => a == b,
        }
    }
}

/// The binding a key event triggers in `mode`, if any. Releases are ignored
/// (terminals with the kitty protocol report them).
pub fn lookup(mode: Where, event: &KeyEvent) -> Option<&'static Binding> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    places(mode).iter().find_map(|place| {
        BINDINGS
            .iter()
            .find(|b| b.place == *place && b.keys.iter().any(|key| key.matches(event)))
    })
}

/// The hints for the hint bar in `mode`: `(keys, hint)`, most useful first,
/// one per action (a pane's own binding shadows the general one).
pub fn hints(mode: Where) -> Vec<(&'static str, &'static str)> {
    let mut seen: Vec<Action> = Vec::new();
    let mut out = Vec::new();
    for place in places(mode) {
        for b in BINDINGS.iter().filter(|b| b.place == *place) {
            if seen.contains(&b.action) {
                continue;
            }
            seen.push(b.action);
            if let Some(hint) = b.hint {
                out.push(hint);
            }
        }
    }
    out
}

/// The rows of the help overlay, grouped by place: `(place, [(keys, help)])`.
pub fn help_sections() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    let order = [
        Where::Panes,
        Where::Services,
        Where::Tree,
        Where::Detail,
        Where::FilterInput,
        Where::Picker,
        Where::Help,
        Where::Always,
    ];
    order
        .iter()
        .map(|place| {
            let rows = BINDINGS
                .iter()
                .filter(|b| b.place == *place)
                .map(|b| (b.label, b.help))
                .collect();
            (place.label(), rows)
        })
        .collect()
}

/// The key table as Markdown, as docs/usage.md carries it.
pub fn markdown_table() -> String {
    let mut out = String::from("| Keys | Where | What it does |\n|---|---|---|\n");
    for (place, rows) in help_sections() {
        for (label, help) in rows {
            out.push_str(&format!("| `{label}` | {place} | {help} |\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn pane_bindings_shadow_general_ones() {
        let left = key(KeyCode::Char('h'), KeyModifiers::NONE);
        assert_eq!(
            lookup(Where::Tree, &left).map(|b| b.id),
            Some("tree-collapse")
        );
        assert_eq!(lookup(Where::Services, &left).map(|b| b.id), Some("left"));
    }

    #[test]
    fn typing_does_not_trigger_pane_keys_but_ctrl_c_always_quits() {
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert!(lookup(Where::FilterInput, &q).is_none());
        assert!(lookup(Where::Picker, &q).is_none());
        let ctrl_c = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for mode in [Where::FilterInput, Where::Picker, Where::Help, Where::Tree] {
            assert_eq!(lookup(mode, &ctrl_c).map(|b| b.action), Some(Action::Quit));
        }
    }

    #[test]
    fn shifted_characters_match_with_or_without_the_shift_flag() {
        for mods in [KeyModifiers::NONE, KeyModifiers::SHIFT] {
            let y = key(KeyCode::Char('Y'), mods);
            assert_eq!(
                lookup(Where::Detail, &y).map(|b| b.action),
                Some(Action::CopyAll)
            );
        }
        let y = key(KeyCode::Char('y'), KeyModifiers::NONE);
        assert_eq!(
            lookup(Where::Detail, &y).map(|b| b.action),
            Some(Action::Copy)
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_place() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                if a.place != b.place {
                    continue;
                }
                for key in a.keys {
                    assert!(
                        !b.keys.contains(key),
                        "{:?} bound by both {} and {}",
                        key,
                        a.id,
                        b.id
                    );
                }
            }
        }
    }

    #[test]
    fn ids_are_unique() {
        for (i, a) in BINDINGS.iter().enumerate() {
            assert!(BINDINGS[i + 1..].iter().all(|b| b.id != a.id), "{}", a.id);
        }
    }

    #[test]
    fn hints_follow_the_table() {
        let hints = hints(Where::Tree);
        assert!(hints.contains(&("y", "copy")));
        assert!(hints.contains(&("Enter", "expand")));
        assert!(hints.contains(&("?", "help")));
        // The tree has no up/down of its own, so the general "move" shows.
        assert!(hints.contains(&("↑↓", "move")));
    }
}
