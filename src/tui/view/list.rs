//! The Services list: verdict, namespace, name, type and failing step,
//! worst first. Only the visible rows are drawn, so 10,000 Services cost
//! what a screenful costs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::layout::list_rows;
use super::text::{clean, clip, fit, width};
use crate::diagnose::report::{ServiceReport, Status};
use crate::report::symbol;
use crate::tui::state::{Pane, State, VerdictFilter};
use crate::tui::theme::Slot;
use crate::tui::tree;

/// The list title: `Services 42 — ✗6 ?1 !3 ✓32`, with the filter and staleness.
pub fn title(state: &State) -> Line<'static> {
    let theme = &state.theme;
    let c = state.counts;
    let total = if state.filter.is_active() {
        format!(" Services {}/{} ", state.rows.len(), c.total)
    } else {
        format!(" Services {} ", c.total)
    };
    let mut spans = vec![
        Span::styled(total, theme.style(Slot::Title)),
        Span::styled("— ", theme.style(Slot::Muted)),
    ];
    for (status, n) in [
        (Status::Fail, c.fail),
        (Status::Unknown, c.unknown),
        (Status::Warn, c.warn),
        (Status::Pass, c.pass),
    ] {
        spans.push(Span::styled(
            format!("{}{n}", symbol(status)),
            theme.verdict(status),
        ));
        spans.push(Span::raw(" "));
    }
    if state.filter.verdict != VerdictFilter::All {
        spans.push(Span::styled(
            format!("· {} ", state.filter.verdict.label()),
            theme.style(Slot::Filter),
        ));
    }
    if !state.filter.text.is_empty() && !state.filter.typing {
        spans.push(Span::styled(
            format!("· /{} ", clean(&state.filter.text)),
            theme.style(Slot::Filter),
        ));
    }
    if state.stale() {
        spans.push(Span::styled("· stale ", theme.style(Slot::Stale)));
    }
    Line::from(spans)
}

struct Columns {
    namespace: usize,
    name: usize,
    kind: usize,
    step: usize,
}

fn columns(state: &State, inner_width: usize) -> Columns {
    let show_step = inner_width >= 44;
    let show_kind = inner_width >= 52;
    let step = if show_step { 10 } else { 0 };
    let kind = if show_kind { 10 } else { 0 };
    let rest = inner_width.saturating_sub(2 + step + kind);
    // One namespace in scope: the column would repeat it on every row.
    let all_namespaces = state.scope == crate::snapshot::Scope::All;
    let namespace = if all_namespaces && inner_width >= 36 {
        let longest = state
            .report
            .as_deref()
            .map(|r| {
                state
                    .rows
                    .iter()
                    .filter_map(|i| r.services.get(*i))
                    .map(|s| width(&s.namespace))
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0)
            .max("NAMESPACE".len());
        (longest + 1).min(rest * 2 / 5).min(21)
    } else {
        0
    };
    Columns {
        namespace,
        name: rest.saturating_sub(namespace),
        kind,
        step,
    }
}

/// The step shown for a Service: the failing one, or the worst one that is not a pass.
fn shown_step(svc: &ServiceReport) -> Option<(&'static str, Status)> {
    if svc.verdict == Status::Pass {
        return None;
    }
    let id = tree::entry_step(svc)?;
    let status = svc.step(id).map_or(svc.verdict, |s| s.status);
    Some((id.as_str(), status))
}

pub fn render(frame: &mut Frame<'_>, area: Rect, stacked: bool, state: &State) {
    let theme = &state.theme;
    let focused = state.focus == Pane::Services;
    let block = super::pane_block_line(theme, title(state), focused, stacked);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let Some(report) = state.report.as_deref() else {
        return;
    };
    let cols = columns(state, inner.width as usize);
    let buf = frame.buffer_mut();
    let muted = theme.style(Slot::Muted);

    // Header.
    let mut header = vec![Span::raw("  ")];
    if cols.namespace > 0 {
        header.push(Span::styled(fit("NAMESPACE", cols.namespace), muted));
    }
    header.push(Span::styled(fit("NAME", cols.name), muted));
    if cols.kind > 0 {
        header.push(Span::styled(fit("TYPE", cols.kind), muted));
    }
    if cols.step > 0 {
        header.push(Span::styled(fit("STEP", cols.step), muted));
    }
    buf.set_line(inner.x, inner.y, &Line::from(header), inner.width);

    let rows = list_rows(state, inner);
    let body_y = inner.y + 1;
    if state.rows.is_empty() && rows > 0 {
        let text = if report.services.is_empty() || state.counts.total == 0 {
            match &state.scope {
                crate::snapshot::Scope::All => "No Services in the cluster.".to_string(),
                crate::snapshot::Scope::Namespace(ns) => {
                    format!("No Services in namespace {} (n: pick another).", clean(ns))
                }
            }
        } else {
            "No Service matches the filter (Esc clears it).".to_string()
        };
        buf.set_line(
            inner.x,
            body_y,
            &Line::from(Span::styled(fit(&text, inner.width as usize), muted)),
            inner.width,
        );
    }
    let offset = state
        .list
        .offset
        .min(state.rows.len().saturating_sub(rows.max(1)));
    for (row, (position, index)) in state
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .enumerate()
    {
        let Some(svc) = report.services.get(*index) else {
            continue;
        };
        let y = body_y + row as u16;
        let line = row_line(state, svc, &cols);
        buf.set_line(inner.x, y, &line, inner.width);
        if position == state.list.cursor {
            buf.set_style(
                Rect {
                    x: inner.x,
                    y,
                    width: inner.width,
                    height: 1,
                },
                theme.selected(focused),
            );
        }
    }

    // The filter line.
    if state.filter.typing || !state.filter.text.is_empty() {
        let y = inner.y + inner.height - 1;
        let filter = theme.style(Slot::Filter);
        let mut spans = vec![
            Span::styled("/", filter),
            Span::styled(clean(&state.filter.text).into_owned(), filter),
        ];
        if state.filter.typing {
            spans.push(Span::styled("▏", filter));
            spans.push(Span::styled("  Enter keeps · Esc clears", muted));
        }
        buf.set_line(inner.x, y, &Line::from(spans), inner.width);
    }
}

/// The name in `cols` columns; a missing Service without a TYPE column
/// keeps its `(missing)` mark, shortening the name instead.
fn name_span(name: &str, mark_missing: bool, cols: usize, style: Style) -> Span<'static> {
    const MARK: &str = " (missing)";
    if mark_missing && cols > MARK.len() + 4 {
        let name = clip(name, cols - MARK.len());
        Span::styled(fit(&format!("{name}{MARK}"), cols), style)
    } else {
        Span::styled(fit(name, cols), style)
    }
}

/// Service types in at most 9 columns.
fn short_type(kind: &str) -> std::borrow::Cow<'_, str> {
    match kind {
        "LoadBalancer" => "LoadBal.".into(),
        "ExternalName" => "External".into(),
        other => clean(other),
    }
}

fn row_line(state: &State, svc: &ServiceReport, cols: &Columns) -> Line<'static> {
    let theme = &state.theme;
    let muted = theme.style(Slot::Muted);
    let name_style: Style = if svc.exists {
        theme.style(Slot::Text)
    } else {
        theme.style(Slot::Missing)
    };
    let mut spans = vec![
        Span::styled(symbol(svc.verdict), theme.verdict(svc.verdict)),
        Span::raw(" "),
    ];
    let namespace = clean(&svc.namespace);
    let name = clean(&svc.name);
    if cols.namespace > 0 {
        spans.push(Span::styled(fit(&namespace, cols.namespace - 1), muted));
        spans.push(Span::raw(" "));
        spans.push(name_span(
            &name,
            !svc.exists && cols.kind == 0,
            cols.name,
            name_style,
        ));
    } else {
        let shown = if state.scope == crate::snapshot::Scope::All {
            format!("{namespace}/{name}")
        } else {
            name.into_owned()
        };
        spans.push(name_span(
            &shown,
            !svc.exists && cols.kind == 0,
            cols.name,
            name_style,
        ));
    }
    if cols.kind > 0 {
        let (kind, style) = match (&svc.service_type, svc.exists) {
            (_, false) => ("missing".to_string(), theme.style(Slot::Missing)),
            (Some(t), true) => (short_type(t).into_owned(), muted),
            (None, true) => (String::new(), muted),
        };
        spans.push(Span::styled(fit(&kind, cols.kind), style));
    }
    if cols.step > 0 {
        match shown_step(svc) {
            Some((step, status)) => {
                spans.push(Span::styled(fit(step, cols.step), theme.verdict(status)))
            }
            None => spans.push(Span::styled(fit("—", cols.step), muted)),
        }
    }
    Line::from(spans)
}
