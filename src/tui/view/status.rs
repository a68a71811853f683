//! The status bar (context, scope, connection, last update) and the hint
//! bar (keys from the key table, or a toast).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::text::{clean, clip, clock, thousands, width};
use crate::snapshot::Scope;
use crate::tui::keys;
use crate::tui::msg::Connection;
use crate::tui::state::State;
use crate::tui::theme::Slot;

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

/// The connection state in words, and its slot.
pub fn connection(state: &State) -> (Slot, String) {
    if state.pipeline_gone {
        return (
            Slot::Stale,
            "the data pipeline stopped — data is stale (see the log)".to_string(),
        );
    }
    let spin = SPINNER[(state.ticks % SPINNER.len() as u64) as usize];
    match &state.connection {
        Connection::Connecting => (Slot::Loading, format!("{spin} connecting")),
        Connection::Loading { progress } => {
            let busy = progress.iter().find(|p| !p.done);
            let done = progress.iter().filter(|p| p.done).count();
            let text = match busy {
                Some(p) => format!(
                    "{spin} loading {} {} listed ({done}/{} kinds)",
                    clean(&p.kind),
                    thousands(p.listed),
                    progress.len()
                ),
                None => format!("{spin} loading ({done}/{} kinds)", progress.len()),
            };
            (Slot::Loading, text)
        }
        Connection::Live => (Slot::Live, "● live".to_string()),
        Connection::Disconnected { since, .. } => (
            Slot::Stale,
            format!("disconnected since {} — retrying", clock(*since, &state.tz)),
        ),
    }
}

pub fn scope_label(scope: &Scope) -> String {
    match scope {
        Scope::All => "all namespaces".to_string(),
        Scope::Namespace(ns) => format!("ns {}", clean(ns)),
    }
}

pub fn render_status(frame: &mut Frame<'_>, area: Rect, state: &State) {
    if area.height == 0 {
        return;
    }
    let theme = &state.theme;
    let bar = theme.style(Slot::StatusBar);
    let buf = frame.buffer_mut();
    buf.set_style(area, bar);
    let (slot, conn) = connection(state);
    let sep = Span::styled(" │ ", bar);
    let mut spans = vec![Span::styled(" ", bar)];
    if let Some(label) = &state.label {
        spans.push(Span::styled(format!("{} · ", clean(label)), bar));
    }
    spans.push(Span::styled(clean(&state.context).into_owned(), bar));
    spans.push(sep.clone());
    spans.push(Span::styled(scope_label(&state.scope), bar));
    spans.push(sep.clone());
    spans.push(Span::styled(conn, theme.style(slot)));
    if let Some(at) = state.computed_at {
        spans.push(sep.clone());
        let stale = if state.stale() { " (stale)" } else { "" };
        spans.push(Span::styled(
            format!("updated {}{stale}", clock(at, &state.tz)),
            bar,
        ));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// The hint bar: the toast if there is one, else the keys of the current mode.
pub fn render_hints(frame: &mut Frame<'_>, area: Rect, state: &State) {
    if area.height == 0 {
        return;
    }
    let theme = &state.theme;
    let buf = frame.buffer_mut();
    if let Some(toast) = &state.toast {
        let style = theme.style(if toast.error {
            Slot::ToastError
        } else {
            Slot::Toast
        });
        let text = clip(&format!(" {} ", clean(&toast.text)), area.width as usize).into_owned();
        buf.set_line(
            area.x,
            area.y,
            &Line::from(Span::styled(text, style)),
            area.width,
        );
        return;
    }
    let key: Style = theme.style(Slot::Key);
    let desc: Style = theme.style(Slot::KeyDesc);
    let mut spans = Vec::new();
    let mut used = 0;
    for (keys, hint) in keys::hints(state.mode()) {
        let cost = width(keys) + 1 + width(hint) + 2;
        if used + cost > area.width as usize {
            break;
        }
        used += cost;
        spans.push(Span::styled(format!(" {keys}"), key));
        spans.push(Span::styled(format!(" {hint} "), desc));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}
