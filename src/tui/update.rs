//! `update`: the one place the dashboard's state changes.
//!
//! It takes a [`Msg`], changes the [`State`] and returns the [`Effect`]s the
//! run loop must carry out. No I/O, no clock (time comes in with
//! [`Msg::Tick`]), so every key and every report can be tested here.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::keys::{self, Action, Where};
use super::msg::{Connection, CopyMethod, Effect, Msg};
use super::state::{
    Counts, Overlay, Pane, Picker, PickerItem, PickerKind, State, TOAST_FOR, Toast, TreeView,
};
use super::tree::{self, NodeId};
use super::view::{detail, layout, overlay};
use crate::diagnose::report::Status;
use crate::snapshot::Scope;

/// Apply `msg` to `state`; return what the run loop must do.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let effects = match msg {
        Msg::Report {
            report,
            computed_at,
        } => {
            state.report = Some(report);
            state.computed_at = Some(computed_at);
            refresh_rows(state, Reselect::Clamp);
            Vec::new()
        }
        Msg::Connection(connection) => {
            if connection == Connection::Live {
                state.pipeline_gone = false;
            }
            state.connection = connection;
            Vec::new()
        }
        Msg::Access(failures) => {
            state.access = failures;
            Vec::new()
        }
        Msg::Contexts { contexts, current } => {
            state.contexts = contexts;
            state.context = current;
            Vec::new()
        }
        Msg::Namespaces(mut namespaces) => {
            namespaces.sort();
            namespaces.dedup();
            state.namespaces = namespaces;
            Vec::new()
        }
        Msg::Target { context, scope } => {
            state.context = context;
            state.scope = scope;
            refresh_rows(state, Reselect::Clamp);
            Vec::new()
        }
        Msg::Readiness(entries) => {
            for (service, history) in entries {
                if history.is_empty() {
                    state.readiness.remove(&service);
                } else {
                    state.readiness.insert(service, history);
                }
            }
            Vec::new()
        }
        Msg::Key(key) => on_key(state, key),
        Msg::Resize { width, height } => {
            state.width = width;
            state.height = height;
            Vec::new()
        }
        Msg::Tick(now) => {
            state.now = now;
            state.ticks = state.ticks.wrapping_add(1);
            if state.toast.as_ref().is_some_and(|t| t.until <= now) {
                state.toast = None;
            }
            Vec::new()
        }
        Msg::Copied { what, outcome } => {
            match outcome {
                Ok(method) => toast(
                    state,
                    format!("copied {what} to the clipboard ({})", method_label(method)),
                ),
                Err(why) => toast_error(state, format!("could not copy {what}: {why}")),
            }
            Vec::new()
        }
        Msg::PipelineGone => {
            state.pipeline_gone = true;
            toast_error(
                state,
                "the data pipeline stopped; the data shown is stale (see the log)".to_string(),
            );
            Vec::new()
        }
    };
    keep_in_view(state);
    effects
}

fn method_label(method: CopyMethod) -> String {
    method.to_string()
}

fn toast(state: &mut State, text: String) {
    state.toast = Some(Toast {
        text,
        error: false,
        until: state.now + TOAST_FOR,
    });
}

fn toast_error(state: &mut State, text: String) {
    state.toast = Some(Toast {
        text,
        error: true,
        until: state.now + TOAST_FOR * 2,
    });
}

// ----- rows -----

/// What to select when the selected Service is no longer listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reselect {
    /// Stay at the same position (the Service went away; its neighbour takes its place).
    Clamp,
    /// Go to the first row (the filter changed: the best match is on top).
    First,
}

/// Severity order for the list: fail, unknown, warn, pass.
fn severity(status: Status) -> Reverse<u8> {
    Reverse(status.rank())
}

/// Recompute the listed rows and counts from the report, scope and filter,
/// and keep the selection on the same Service when it is still listed.
fn refresh_rows(state: &mut State, reselect: Reselect) {
    let Some(report) = state.report.as_deref() else {
        state.rows.clear();
        state.counts = Counts::default();
        state.list.cursor = 0;
        state.list.offset = 0;
        return;
    };
    let needle = state.filter.text.to_lowercase();
    let mut counts = Counts::default();
    let mut rows = Vec::with_capacity(report.services.len());
    for (i, svc) in report.services.iter().enumerate() {
        if !state.scope.contains(&svc.namespace) {
            continue;
        }
        counts.total += 1;
        match svc.verdict {
            Status::Fail => counts.fail += 1,
            Status::Unknown => counts.unknown += 1,
            Status::Warn => counts.warn += 1,
            Status::Pass | Status::Blocked | Status::Skip => counts.pass += 1,
        }
        if !state.filter.verdict.admits(svc.verdict) {
            continue;
        }
        if !needle.is_empty() && !matches_filter(&svc.namespace, &svc.name, &needle) {
            continue;
        }
        rows.push(i);
    }
    // The report is sorted by namespace then name; a stable sort by severity keeps that within each.
    rows.sort_by_key(|i| severity(report.services[*i].verdict));
    state.counts = counts;
    state.rows = rows;

    let found = state.list.selected.as_ref().and_then(|key| {
        state.rows.iter().position(|i| {
            let s = &report.services[*i];
            s.namespace == key.namespace && s.name == key.name
        })
    });
    state.list.cursor = match (found, reselect) {
        (Some(position), _) => position,
        (None, Reselect::First) => 0,
        (None, Reselect::Clamp) => state.list.cursor.min(state.rows.len().saturating_sub(1)),
    };
    select_row(state, state.list.cursor);
}

/// Substring match over `namespace/name`, ignoring case.
fn matches_filter(namespace: &str, name: &str, needle: &str) -> bool {
    let full = format!("{namespace}/{name}").to_lowercase();
    full.contains(needle)
}

/// Select the row at `position` (clamped) and make sure its tree view exists.
fn select_row(state: &mut State, position: usize) {
    let position = position.min(state.rows.len().saturating_sub(1));
    state.list.cursor = position;
    let key = state
        .report
        .as_deref()
        .and_then(|r| state.rows.get(position).and_then(|i| r.services.get(*i)))
        .map(|s| s.service_ref());
    state.list.selected = key;
    sync_tree(state);
}

/// Create or repair the selected Service's tree view after a selection or a new report.
fn sync_tree(state: &mut State) {
    let Some(key) = state.list.selected.clone() else {
        return;
    };
    let Some(svc) = state.selected_service() else {
        return;
    };
    let entry = tree::entry_step(svc).map(NodeId::step);
    let existing = state.trees.get(&key);
    let view = match (existing, entry) {
        (Some(view), Some(entry)) if view.auto => {
            // The user has not moved in this tree: follow the report, whose
            // first failing step may have changed.
            let same = view.selected == entry;
            let mut opened = BTreeSet::new();
            opened.insert(entry.clone());
            TreeView {
                selected: entry,
                opened,
                command: if same { view.command } else { 0 },
                scroll: if same { view.scroll } else { 0 },
                auto: true,
            }
        }
        (Some(view), entry) => {
            let mut view = view.clone();
            if tree::resolve(svc, &view.selected).is_none() {
                // The finding went away: fall back to its step, then to the entry step.
                let parent = view.selected.parent_step();
                view.selected = if tree::resolve(svc, &parent).is_some() {
                    parent
                } else {
                    entry.unwrap_or(parent)
                };
            }
            view
        }
        (None, Some(entry)) => {
            let mut opened = BTreeSet::new();
            opened.insert(entry.clone());
            TreeView {
                selected: entry,
                opened,
                command: 0,
                scroll: 0,
                auto: true,
            }
        }
        (None, None) => return,
    };
    let commands = tree::resolve(svc, &view.selected).map_or(0, |n| tree::commands(&n).len());
    let view = TreeView {
        command: view.command.min(commands.saturating_sub(1)),
        ..view
    };
    state.trees.insert(key, view);
}

// ----- keeping things in view -----

fn screen(state: &State) -> Rect {
    Rect::new(0, 0, state.width, state.height)
}

/// The inner rect of a pane on the current screen, if it is shown.
fn pane_inner(state: &State, pane: Pane) -> Option<Rect> {
    layout::areas(screen(state), state).inner(pane)
}

fn list_page(state: &State) -> usize {
    pane_inner(state, Pane::Services)
        .map_or(1, |inner| layout::list_rows(state, inner))
        .max(1)
}

/// Keep the list cursor and the selected command on screen.
fn keep_in_view(state: &mut State) {
    let page = list_page(state);
    let list = &mut state.list;
    if list.cursor < list.offset {
        list.offset = list.cursor;
    } else if list.cursor >= list.offset + page {
        list.offset = list.cursor + 1 - page;
    }
    list.offset = list.offset.min(state.rows.len().saturating_sub(page));

    let Some(inner) = pane_inner(state, Pane::Detail) else {
        return;
    };
    let Some(key) = state.list.selected.clone() else {
        return;
    };
    let Some(view) = state.trees.get(&key) else {
        return;
    };
    let doc = detail::document(state, inner.width);
    let scroll = detail::follow(&doc, view.command, view.scroll, inner.height as usize);
    if let Some(view) = state.trees.get_mut(&key) {
        view.scroll = scroll;
    }
}

// ----- keys -----

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let mode = state.mode();
    let Some(binding) = keys::lookup(mode, &key) else {
        type_char(state, mode, &key);
        return Vec::new();
    };
    match mode {
        Where::Help => help_key(state, binding.action),
        Where::Picker => picker_key(state, binding.action),
        Where::FilterInput => filter_key(state, binding.action),
        _ => pane_key(state, binding.action, &key),
    }
}

/// Printable characters typed into the filter or a picker's search.
fn type_char(state: &mut State, mode: Where, key: &KeyEvent) {
    let KeyCode::Char(c) = key.code else {
        return;
    };
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        || c.is_control()
    {
        return;
    }
    match mode {
        Where::FilterInput => {
            state.filter.text.push(c);
            refresh_rows(state, Reselect::First);
        }
        Where::Picker => {
            if let Overlay::Picker(picker) = &mut state.overlay {
                picker.query.push(c);
                picker.cursor = 0;
            }
        }
        _ => {}
    }
}

fn help_key(state: &mut State, action: Action) -> Vec<Effect> {
    let Overlay::Help { scroll } = state.overlay else {
        return Vec::new();
    };
    let area = overlay::help_area(screen(state));
    let page = area.height.saturating_sub(2).max(1) as usize;
    let max = overlay::help_lines(state).len().saturating_sub(page);
    let scroll = match action {
        Action::Up => scroll.saturating_sub(1),
        Action::Down => scroll + 1,
        Action::PageUp => scroll.saturating_sub(page),
        Action::PageDown => scroll + page,
        Action::Escape => {
            state.overlay = Overlay::None;
            return Vec::new();
        }
        Action::Quit => return quit(state),
        _ => scroll,
    };
    state.overlay = Overlay::Help {
        scroll: scroll.min(max),
    };
    Vec::new()
}

fn picker_key(state: &mut State, action: Action) -> Vec<Effect> {
    let items = state.picker_items();
    let page = overlay::picker_rows(screen(state), items.len()).max(1);
    let Overlay::Picker(picker) = &mut state.overlay else {
        return Vec::new();
    };
    let last = items.len().saturating_sub(1);
    match action {
        Action::Up => picker.cursor = picker.cursor.saturating_sub(1),
        Action::Down => picker.cursor = (picker.cursor + 1).min(last),
        Action::PageUp => picker.cursor = picker.cursor.saturating_sub(page),
        Action::PageDown => picker.cursor = (picker.cursor + page).min(last),
        Action::Backspace => {
            picker.query.pop();
            picker.cursor = 0;
        }
        Action::Escape => state.overlay = Overlay::None,
        Action::Accept => {
            let chosen = items.get(picker.cursor).cloned();
            state.overlay = Overlay::None;
            if let Some(item) = chosen {
                return choose(state, item);
            }
        }
        Action::Quit => return quit(state),
        _ => {}
    }
    Vec::new()
}

fn choose(state: &mut State, item: PickerItem) -> Vec<Effect> {
    match item {
        PickerItem::AllNamespaces | PickerItem::Namespace(_) => {
            let scope = match item {
                PickerItem::Namespace(ns) => Scope::Namespace(ns),
                _ => Scope::All,
            };
            if scope == state.scope {
                return Vec::new();
            }
            state.scope = scope.clone();
            refresh_rows(state, Reselect::First);
            toast(
                state,
                format!("diagnosing {}", super::view::status::scope_label(&scope)),
            );
            vec![Effect::SetScope(scope)]
        }
        PickerItem::Context(context) => {
            if context == state.context {
                return Vec::new();
            }
            // The old cluster's report would mislead: show the new one loading.
            state.context = context.clone();
            state.report = None;
            state.computed_at = None;
            state.access.clear();
            state.readiness.clear();
            state.connection = Connection::Connecting;
            state.trees.clear();
            refresh_rows(state, Reselect::First);
            toast(state, format!("switching to context {context}"));
            vec![Effect::SwitchContext(context)]
        }
    }
}

fn filter_key(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Escape => {
            state.filter.typing = false;
            state.filter.text.clear();
            refresh_rows(state, Reselect::Clamp);
        }
        Action::Accept => state.filter.typing = false,
        Action::Backspace => {
            state.filter.text.pop();
            refresh_rows(state, Reselect::First);
        }
        Action::Up => move_list(state, -1),
        Action::Down => move_list(state, 1),
        Action::Quit => return quit(state),
        _ => {}
    }
    Vec::new()
}

fn quit(state: &mut State) -> Vec<Effect> {
    state.quitting = true;
    vec![Effect::Quit]
}

fn pane_key(state: &mut State, action: Action, key: &KeyEvent) -> Vec<Effect> {
    match action {
        Action::Quit => return quit(state),
        Action::Help => state.overlay = Overlay::Help { scroll: 0 },
        Action::NextPane => state.focus = state.focus.next(),
        Action::PrevPane => state.focus = state.focus.prev(),
        Action::Filter => {
            state.filter.typing = true;
            state.focus = Pane::Services;
        }
        Action::CycleVerdict => {
            state.filter.verdict = state.filter.verdict.next();
            refresh_rows(state, Reselect::First);
        }
        Action::NamespacePicker => open_picker(state, PickerKind::Namespace),
        Action::ContextPicker => open_picker(state, PickerKind::Context),
        Action::Copy => return copy(state, false),
        Action::CopyAll => return copy(state, true),
        Action::Refresh => {
            toast(state, "re-reading the cluster…".to_string());
            return vec![Effect::Refresh];
        }
        Action::SelectCommand => {
            if let KeyCode::Char(c) = key.code
                && let Some(n) = c.to_digit(10)
            {
                select_command(state, n as usize);
            }
        }
        Action::Escape => {
            // Esc undoes one thing at a time: warnings, then the text filter, then the verdict filter.
            if !state.warnings.is_empty() {
                state.warnings.clear();
            } else if !state.filter.text.is_empty() {
                state.filter.text.clear();
                refresh_rows(state, Reselect::Clamp);
            } else if state.filter.verdict != super::state::VerdictFilter::All {
                state.filter.verdict = super::state::VerdictFilter::All;
                refresh_rows(state, Reselect::Clamp);
            }
        }
        Action::Up
        | Action::Down
        | Action::Left
        | Action::Right
        | Action::Top
        | Action::Bottom
        | Action::PageUp
        | Action::PageDown
        | Action::Toggle => match state.focus {
            Pane::Services => services_move(state, action),
            Pane::Tree => tree_move(state, action),
            Pane::Detail => detail_move(state, action),
        },
        Action::Backspace | Action::Accept => {}
    }
    Vec::new()
}

fn open_picker(state: &mut State, kind: PickerKind) {
    state.overlay = Overlay::Picker(Picker {
        kind,
        query: String::new(),
        cursor: 0,
    });
    let items = state.picker_items();
    let current = items.iter().position(|i| state.is_current(i)).unwrap_or(0);
    if let Overlay::Picker(picker) = &mut state.overlay {
        picker.cursor = current;
    }
}

// ----- movement -----

fn move_list(state: &mut State, delta: isize) {
    let target = state.list.cursor.saturating_add_signed(delta);
    select_row(state, target);
}

fn services_move(state: &mut State, action: Action) {
    let page = list_page(state);
    match action {
        Action::Up => move_list(state, -1),
        Action::Down => move_list(state, 1),
        Action::Top => select_row(state, 0),
        Action::Bottom => select_row(state, state.rows.len().saturating_sub(1)),
        Action::PageUp => move_list(state, -(page as isize)),
        Action::PageDown => move_list(state, page as isize),
        Action::Right | Action::Toggle if state.list.selected.is_some() => {
            state.focus = Pane::Tree;
        }
        _ => {}
    }
}

/// The selected Service's tree view, with its visible nodes.
fn with_tree(state: &mut State, f: impl FnOnce(&[NodeId], &mut TreeView, &State) -> Option<Pane>) {
    let Some(key) = state.list.selected.clone() else {
        return;
    };
    let Some(svc) = state.selected_service() else {
        return;
    };
    let Some(mut view) = state.trees.get(&key).cloned() else {
        return;
    };
    let visible = tree::visible(svc, &view.opened);
    let before = view.selected.clone();
    let focus = f(&visible, &mut view, state);
    if view.selected != before {
        view.command = 0;
        view.scroll = 0;
    }
    state.trees.insert(key, view);
    if let Some(pane) = focus {
        state.focus = pane;
    }
}

fn tree_page(state: &State) -> usize {
    pane_inner(state, Pane::Tree)
        .map_or(1, |r| r.height as usize)
        .max(1)
}

fn tree_move(state: &mut State, action: Action) {
    let page = tree_page(state);
    with_tree(state, |visible, view, state| {
        let position = visible
            .iter()
            .position(|id| *id == view.selected)
            .unwrap_or(0);
        let last = visible.len().saturating_sub(1);
        let go = |view: &mut TreeView, to: usize| {
            if let Some(id) = visible.get(to.min(last)) {
                view.selected = id.clone();
            }
            view.auto = false;
        };
        let has_children = |id: &NodeId| {
            state
                .selected_service()
                .and_then(|svc| tree::resolve(svc, id))
                .is_some_and(|n| n.finding.is_none() && !n.step.findings.is_empty())
        };
        match action {
            Action::Up => go(view, position.saturating_sub(1)),
            Action::Down => go(view, position + 1),
            Action::Top => go(view, 0),
            Action::Bottom => go(view, last),
            Action::PageUp => go(view, position.saturating_sub(page)),
            Action::PageDown => go(view, position + page),
            Action::Left => {
                view.auto = false;
                if !view.selected.is_step() {
                    view.selected = view.selected.parent_step();
                } else if view.opened.contains(&view.selected) {
                    view.opened.remove(&view.selected);
                } else {
                    return Some(Pane::Services);
                }
            }
            Action::Right => {
                view.auto = false;
                if !view.selected.is_step() || !has_children(&view.selected) {
                    return Some(Pane::Detail);
                } else if view.opened.contains(&view.selected) {
                    go(view, position + 1);
                } else {
                    view.opened.insert(view.selected.clone());
                }
            }
            Action::Toggle => {
                view.auto = false;
                if !view.selected.is_step() {
                    return Some(Pane::Detail);
                }
                if !view.opened.remove(&view.selected) && has_children(&view.selected) {
                    view.opened.insert(view.selected.clone());
                }
            }
            _ => {}
        }
        None
    });
}

fn detail_move(state: &mut State, action: Action) {
    let commands = state.commands().len();
    let page = pane_inner(state, Pane::Detail)
        .map_or(1, |r| r.height as usize)
        .max(1);
    let doc_len =
        pane_inner(state, Pane::Detail).map_or(0, |r| detail::document(state, r.width).lines.len());
    let Some(key) = state.list.selected.clone() else {
        return;
    };
    if action == Action::Left {
        state.focus = Pane::Tree;
        return;
    }
    let Some(view) = state.trees.get_mut(&key) else {
        return;
    };
    let max_scroll = doc_len.saturating_sub(page);
    match action {
        Action::Up if commands > 0 => view.command = view.command.saturating_sub(1),
        Action::Down if commands > 0 => view.command = (view.command + 1).min(commands - 1),
        Action::Up => view.scroll = view.scroll.saturating_sub(1),
        Action::Down => view.scroll = (view.scroll + 1).min(max_scroll),
        Action::Top => {
            view.command = 0;
            view.scroll = 0;
        }
        Action::Bottom => {
            view.command = commands.saturating_sub(1);
            view.scroll = max_scroll;
        }
        Action::PageUp => view.scroll = view.scroll.saturating_sub(page),
        Action::PageDown => view.scroll = (view.scroll + page).min(max_scroll),
        _ => {}
    }
}

fn select_command(state: &mut State, n: usize) {
    let commands = state.commands().len();
    let Some(key) = state.list.selected.clone() else {
        return;
    };
    if n == 0 || n > commands {
        toast_error(
            state,
            match commands {
                0 => "this node has no fix command".to_string(),
                1 => "there is only command 1 here".to_string(),
                c => format!("there are commands 1–{c} here"),
            },
        );
        return;
    }
    if let Some(view) = state.trees.get_mut(&key) {
        view.command = n - 1;
    }
}

// ----- copying -----

fn plural(n: usize) -> String {
    if n == 1 {
        "1 command".to_string()
    } else {
        format!("{n} commands")
    }
}

fn copy(state: &mut State, all_of_finding: bool) -> Vec<Effect> {
    let commands = state.commands();
    let selected = state.tree_view().map_or(0, |v| v.command);
    let Some(&(finding, command)) = commands.get(selected) else {
        let why = if state.selected_service().is_none() {
            "nothing to copy: no Service selected"
        } else {
            "nothing to copy: this node has no fix command"
        };
        toast_error(state, why.to_string());
        return Vec::new();
    };
    let chosen: Vec<&str> = if all_of_finding {
        commands
            .iter()
            .filter(|(f, _)| *f == finding)
            .map(|(_, c)| *c)
            .collect()
    } else {
        vec![command]
    };
    // A command with a control character from the cluster could do more than
    // it shows once pasted into a shell (e.g. end a bracketed paste).
    if chosen.iter().any(|c| c.chars().any(char::is_control)) {
        toast_error(
            state,
            "not copied: the command holds control characters from the cluster".to_string(),
        );
        return Vec::new();
    }
    let what = plural(chosen.len());
    vec![Effect::Copy {
        text: chosen.join("\n"),
        what,
    }]
}
