//! Overlays: the help screen (from the key table), the namespace and
//! context pickers, and the loading screen shown before the first report.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};

use super::text::{clean, clock, fit, thousands};
use crate::tui::keys;
use crate::tui::msg::Connection;
use crate::tui::state::{Overlay, PickerKind, State};
use crate::tui::theme::Slot;

/// A box of at most `width`×`height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// The help screen's lines.
pub fn help_lines(state: &State) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let key = theme.style(Slot::Key);
    let heading = theme.style(Slot::Heading);
    let muted = theme.style(Slot::Muted);
    let mut lines = Vec::new();
    for (place, rows) in keys::help_sections() {
        if rows.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(place.to_string(), heading)));
        for (label, help) in rows {
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", fit(label, 14)), key),
                Span::raw(help),
            ]));
        }
        lines.push(Line::default());
    }
    let legend = "verdicts: ✓ pass  ! warn  ✗ fail  ? unknown  · blocked  - skip";
    lines.push(Line::from(Span::styled(legend, muted)));
    lines.push(Line::from(Span::styled(
        format!("theme: {}", clean(&state.theme.name)),
        muted,
    )));
    if let Some(path) = &state.log_file {
        lines.push(Line::from(Span::styled(
            format!("log: {}", clean(&path.display().to_string())),
            muted,
        )));
    }
    lines
}

/// The help box for a screen of `area`, and how many lines it shows.
pub fn help_area(area: Rect) -> Rect {
    centered(area, 84, area.height.saturating_sub(2))
}

pub fn render_help(frame: &mut Frame<'_>, area: Rect, state: &State, scroll: usize) {
    let theme = &state.theme;
    let rect = help_area(area);
    if rect.width < 4 || rect.height < 3 {
        return;
    }
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(
            " Keys (Esc closes) ",
            theme.style(Slot::Title),
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let lines = help_lines(state);
    let scroll = scroll.min(lines.len().saturating_sub(inner.height as usize));
    let buf = frame.buffer_mut();
    for (row, line) in lines
        .iter()
        .skip(scroll)
        .take(inner.height as usize)
        .enumerate()
    {
        buf.set_line(inner.x, inner.y + row as u16, line, inner.width);
    }
}

/// The picker box for a screen of `area`.
pub fn picker_area(area: Rect, items: usize) -> Rect {
    let height = (items as u16).saturating_add(3).max(5);
    centered(area, 50, height.min(area.height.saturating_sub(2)))
}

/// How many entries the picker shows at once.
pub fn picker_rows(area: Rect, items: usize) -> usize {
    picker_area(area, items).height.saturating_sub(3) as usize
}

pub fn render_picker(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let Overlay::Picker(picker) = &state.overlay else {
        return;
    };
    let theme = &state.theme;
    let items = state.picker_items();
    let rect = picker_area(area, items.len());
    if rect.width < 6 || rect.height < 4 {
        return;
    }
    frame.render_widget(Clear, rect);
    let title = match picker.kind {
        PickerKind::Namespace => " Namespace ",
        PickerKind::Context => " Context ",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.style(Slot::Title)));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let filter = theme.style(Slot::Filter);
    let buf = frame.buffer_mut();
    buf.set_line(
        inner.x,
        inner.y,
        &Line::from(vec![
            Span::styled("search: ", theme.style(Slot::Muted)),
            Span::styled(clean(&picker.query).into_owned(), filter),
            Span::styled("▏", filter),
        ]),
        inner.width,
    );
    let rows = inner.height.saturating_sub(1) as usize;
    if items.is_empty() {
        buf.set_line(
            inner.x,
            inner.y + 1,
            &Line::from(Span::styled("nothing matches", theme.style(Slot::Muted))),
            inner.width,
        );
        return;
    }
    let offset = picker.cursor.saturating_sub(rows.saturating_sub(1));
    for (row, (i, item)) in items.iter().enumerate().skip(offset).take(rows).enumerate() {
        let y = inner.y + 1 + row as u16;
        let marker = if state.is_current(item) { "● " } else { "  " };
        let text = format!("{marker}{}", clean(item.label()));
        let line = Line::from(Span::styled(
            fit(&text, inner.width as usize),
            theme.style(Slot::Text),
        ));
        buf.set_line(inner.x, y, &line, inner.width);
        if i == picker.cursor {
            buf.set_style(
                Rect {
                    x: inner.x,
                    y,
                    width: inner.width,
                    height: 1,
                },
                theme.selected(true),
            );
        }
    }
}

/// Before the first report: what is being read, kind by kind.
pub fn render_loading(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.theme;
    let muted = theme.style(Slot::Muted);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let (slot, _) = super::status::connection(state);
    let context = clean(&state.context).into_owned();
    match &state.connection {
        Connection::Connecting => {
            lines.push(Line::from(Span::styled(
                format!("Connecting to {context}…"),
                theme.style(slot),
            )));
        }
        Connection::Loading { progress } => {
            lines.push(Line::from(Span::styled(
                format!("Reading {context}"),
                theme.style(Slot::Title),
            )));
            lines.push(Line::default());
            let widest = progress
                .iter()
                .map(|p| p.kind.chars().count())
                .max()
                .unwrap_or(0)
                .min(24);
            for p in progress {
                let (mark, style) = if p.done {
                    ("✓", theme.style(Slot::Pass))
                } else {
                    ("…", theme.style(Slot::Loading))
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("{mark} "), style),
                    Span::raw(fit(&clean(&p.kind), widest + 1)),
                    Span::styled(format!("{:>10} listed", thousands(p.listed)), muted),
                ]));
            }
        }
        Connection::Live => {
            lines.push(Line::from(Span::styled(
                format!("Diagnosing {context}…"),
                theme.style(Slot::Loading),
            )));
        }
        Connection::Disconnected { since, error } => {
            lines.push(Line::from(Span::styled(
                format!(
                    "Cannot reach the API server of {context} since {} — retrying",
                    clock(*since, &state.tz)
                ),
                theme.style(Slot::Stale),
            )));
            lines.push(Line::default());
            lines.push(Line::from(Span::styled(clean(error).into_owned(), muted)));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "x switches context · n picks a namespace · ? help · q quits",
        muted,
    )));
    let width = lines
        .iter()
        .map(|l| l.width())
        .max()
        .unwrap_or(0)
        .saturating_add(4)
        .min(area.width as usize) as u16;
    let rect = centered(area, width, (lines.len() as u16).saturating_add(2));
    if rect.width < 3 || rect.height < 3 {
        return;
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(false))
        .title(Span::styled(" svc-doctor ", theme.style(Slot::Title)));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let buf = frame.buffer_mut();
    for (row, line) in lines.iter().take(inner.height as usize).enumerate() {
        buf.set_line(
            inner.x + 1,
            inner.y + row as u16,
            line,
            inner.width.saturating_sub(1),
        );
    }
}
