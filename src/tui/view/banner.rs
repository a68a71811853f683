//! The banner above the panes: cluster-wide failures (DNS), reads the API
//! refused, and warnings about the dashboard itself (a bad theme file).

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::{clean, clip, width};
use crate::diagnose::report::Status;
use crate::report::symbol;
use crate::tui::state::State;
use crate::tui::theme::Slot;

/// The banner's lines, most important first.
pub fn lines(state: &State) -> Vec<(Slot, String)> {
    let mut out = Vec::new();
    if let Some(report) = &state.report {
        for step in &report.cluster {
            if matches!(step.status, Status::Fail | Status::Unknown) {
                let first = step
                    .findings
                    .first()
                    .map(|f| format!(" — {}", clean(&f.message)))
                    .filter(|m| !step.summary.contains(m.trim_start_matches(" — ")))
                    .unwrap_or_default();
                out.push((
                    Slot::Banner,
                    format!(
                        "{} cluster {}: {}{first}",
                        symbol(step.status),
                        step.step,
                        clean(&step.summary)
                    ),
                ));
            }
        }
    }
    if !state.access.is_empty() {
        // resource → namespaces (None: cluster-wide)
        let mut refused: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for f in &state.access {
            refused
                .entry(f.resource.as_str())
                .or_default()
                .push(match &f.namespace {
                    Some(ns) => clean(ns).into_owned(),
                    None => "all namespaces".to_string(),
                });
        }
        let parts: Vec<String> = refused
            .into_iter()
            .map(|(resource, namespaces)| format!("{resource} ({})", namespaces.join(", ")))
            .collect();
        out.push((
            Slot::Warning,
            format!(
                "? cannot read {} — the checks that need them show ? (unknown)",
                parts.join("; ")
            ),
        ));
    }
    for warning in &state.warnings {
        out.push((
            Slot::Warning,
            format!("! {} (Esc dismisses)", clean(warning)),
        ));
    }
    out
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    if area.height == 0 {
        return;
    }
    let lines = lines(state);
    let shown = area.height as usize;
    let hidden = lines.len().saturating_sub(shown);
    let buf = frame.buffer_mut();
    for (row, (slot, text)) in lines.iter().take(shown).enumerate() {
        let style = state.theme.style(*slot);
        let y = area.y + row as u16;
        let suffix = if hidden > 0 && row + 1 == shown {
            format!("  (+{hidden} more)")
        } else {
            String::new()
        };
        let room = (area.width as usize).saturating_sub(width(&suffix));
        let text = format!("{}{suffix}", clip(&format!(" {text}"), room));
        buf.set_style(
            Rect {
                y,
                height: 1,
                ..area
            },
            style,
        );
        let line = Line::from(Span::styled(text, style));
        buf.set_line(area.x, y, &line, area.width);
    }
}
