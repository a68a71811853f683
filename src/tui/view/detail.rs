//! The detail pane: the selected node's message, evidence, fix summary and
//! numbered commands, and the ready-endpoints sparkline on the `pods` step.
//!
//! [`document`] lays the text out for a width; `update` uses the same
//! layout to keep the selected command in view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::text::{clean, sparkline, width, wrap};
use crate::diagnose::report::{Finding, ServiceReport, Severity, Status, StepId};
use crate::report::symbol;
use crate::tui::state::{Pane, State};
use crate::tui::theme::{Slot, Theme};
use crate::tui::tree::{self, Node};

/// The detail text laid out for one width.
#[derive(Debug, Default)]
pub struct Doc {
    pub lines: Vec<Line<'static>>,
    /// For each fix command (in number order), its first and past-last line.
    pub commands: Vec<(usize, usize)>,
}

/// The symbol of a finding: its severity, or `?` when it could not be evaluated.
pub fn finding_symbol(f: &Finding) -> &'static str {
    if f.not_evaluated {
        return "?";
    }
    match f.severity {
        Severity::Error => "✗",
        Severity::Warning => "!",
        Severity::Info => "i",
    }
}

struct Builder<'t> {
    theme: &'t Theme,
    width: usize,
    doc: Doc,
}

impl Builder<'_> {
    fn blank(&mut self) {
        self.doc.lines.push(Line::default());
    }

    /// `prefix` then `text` wrapped under itself (a hanging indent). Line
    /// breaks in `text` (a log tail in the evidence) are kept; every other
    /// control character is stripped.
    fn wrapped(&mut self, prefix: Vec<Span<'static>>, text: &str, style: Style) {
        let indent: usize = prefix.iter().map(|s| width(&s.content)).sum();
        let room = self.width.saturating_sub(indent).max(8);
        let mut first = true;
        let text = text.replace("\r\n", "\n");
        let text = crate::safe_text::sanitize_multiline(&text);
        let chunks = text.lines().flat_map(|line| wrap(line, room));
        for chunk in chunks {
            let mut spans = if first {
                prefix.clone()
            } else {
                vec![Span::raw(" ".repeat(indent))]
            };
            spans.push(Span::styled(chunk, style));
            self.doc.lines.push(Line::from(spans));
            first = false;
        }
    }
}

/// Lay out the detail of the selected node for `width` columns.
pub fn document(state: &State, width: u16) -> Doc {
    let mut b = Builder {
        theme: &state.theme,
        width: width as usize,
        doc: Doc::default(),
    };
    let Some((svc, node)) = state.selected_node() else {
        let text = if state.report.is_some() && state.rows.is_empty() {
            "No Service selected."
        } else {
            "Select a Service to see why it fails and how to fix it."
        };
        b.wrapped(Vec::new(), text, state.theme.style(Slot::Muted));
        return b.doc;
    };
    let selected_command = state.tree_view().map_or(0, |v| v.command);
    step_header(&mut b, svc, &node);
    if node.step.id == StepId::Pods {
        readiness(&mut b, state, svc);
    }
    let findings = node.findings();
    if findings.is_empty() {
        b.blank();
        let text = match node.step.status {
            Status::Pass => "Nothing wrong found at this step.",
            _ => "No findings at this step.",
        };
        b.wrapped(Vec::new(), text, state.theme.style(Slot::Muted));
    }
    let mut number = 0;
    for (_, finding) in findings {
        b.blank();
        finding_block(&mut b, finding, &mut number, selected_command);
    }
    b.doc
}

fn step_header(b: &mut Builder<'_>, svc: &ServiceReport, node: &Node<'_>) {
    let theme = b.theme;
    let step = node.step;
    let mut head = vec![
        Span::styled(symbol(step.status), theme.verdict(step.status)),
        Span::raw(" "),
        Span::styled(step.id.as_str(), theme.style(Slot::Heading)),
        Span::styled(format!(" · {}", step.status), theme.verdict(step.status)),
    ];
    if tree::is_failing_step(svc, step) {
        head.push(Span::styled(
            " · first failing step",
            theme.style(Slot::FailingStep),
        ));
    }
    b.doc.lines.push(Line::from(head));
    b.wrapped(Vec::new(), step.id.question(), theme.style(Slot::Muted));
    if !step.summary.is_empty() {
        b.wrapped(Vec::new(), &step.summary, theme.style(Slot::Text));
    }
    if !svc.exists && step.id == StepId::Service {
        b.wrapped(
            Vec::new(),
            "This Service does not exist: clients name it, but no Service by that name is in its namespace.",
            theme.style(Slot::Missing),
        );
    }
}

fn readiness(b: &mut Builder<'_>, state: &State, svc: &ServiceReport) {
    let key = svc.service_ref();
    let Some(history) = state.readiness.get(&key).filter(|h| !h.is_empty()) else {
        return;
    };
    let theme = b.theme;
    let label = "ready endpoints ";
    let now = history.last().unwrap_or(0);
    let max = history.max().unwrap_or(0);
    let min = history.min().unwrap_or(0);
    let tail = format!(" now {now} (min {min}, max {max})");
    let room = b.width.saturating_sub(width(label) + width(&tail)).max(4);
    let shown = history.tail(room);
    b.doc.lines.push(Line::from(vec![
        Span::styled(label, theme.style(Slot::Muted)),
        Span::styled(sparkline(&shown), theme.style(Slot::Sparkline)),
        Span::styled(tail, theme.style(Slot::Muted)),
    ]));
}

fn finding_block(b: &mut Builder<'_>, f: &Finding, number: &mut usize, selected: usize) {
    let theme = b.theme;
    let sev = theme.severity(f.severity, f.not_evaluated);
    b.wrapped(
        vec![
            Span::styled(finding_symbol(f), sev),
            Span::raw(" "),
            Span::styled(f.check, sev),
            Span::raw(" "),
        ],
        &f.message,
        theme.style(Slot::Text),
    );
    let evidence = theme.style(Slot::Evidence);
    for line in &f.evidence {
        b.wrapped(vec![Span::styled("  · ", evidence)], line, evidence);
    }
    if !f.related.is_empty() {
        let names: Vec<String> = f.related.iter().map(ToString::to_string).collect();
        b.wrapped(
            vec![Span::styled("  see also ", theme.style(Slot::Muted))],
            &names.join(", "),
            theme.style(Slot::Muted),
        );
    }
    let Some(fix) = &f.fix else {
        return;
    };
    b.wrapped(
        vec![Span::styled("  fix: ", theme.style(Slot::Heading))],
        &fix.summary,
        theme.style(Slot::Text),
    );
    for command in &fix.commands {
        let is_selected = *number == selected;
        *number += 1;
        let start = b.doc.lines.len();
        let style = if is_selected {
            theme.style(Slot::CommandSelected)
        } else {
            theme.style(Slot::Command)
        };
        let num = format!("{:>3} ", *number);
        b.wrapped(
            vec![
                Span::raw("  "),
                Span::styled(num, theme.style(Slot::CommandNumber)),
            ],
            command,
            style,
        );
        b.doc.commands.push((start, b.doc.lines.len()));
    }
}

/// The scroll offset that shows the selected command whole (or its start),
/// moving as little as possible from `scroll`.
pub fn follow(doc: &Doc, command: usize, scroll: usize, height: usize) -> usize {
    let max_scroll = doc.lines.len().saturating_sub(height);
    let mut scroll = scroll.min(max_scroll);
    if let Some(&(start, end)) = doc.commands.get(command) {
        if end > scroll + height {
            scroll = end.saturating_sub(height);
        }
        if start < scroll {
            scroll = start;
        }
    }
    scroll
}

pub fn render(frame: &mut Frame<'_>, area: Rect, stacked: bool, state: &State) {
    let theme = &state.theme;
    let focused = state.focus == Pane::Detail;
    let title = match state.selected_node() {
        Some((svc, node)) => {
            let name = format!("{}/{}", clean(&svc.namespace), clean(&svc.name));
            let at = match node.finding {
                Some((_, f)) => format!("{} {}", node.step.id, f.check),
                None => node.step.id.to_string(),
            };
            let count = tree::commands(&node).len();
            let fixes = match count {
                0 => String::new(),
                1 => " · 1 fix command".to_string(),
                n => format!(" · {n} fix commands"),
            };
            format!(" Detail · {at} · {name}{fixes} ")
        }
        None => " Detail ".to_string(),
    };
    let block = super::pane_block(theme, &title, focused, stacked);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let doc = document(state, inner.width);
    let scroll = state
        .tree_view()
        .map_or(0, |v| v.scroll)
        .min(doc.lines.len().saturating_sub(inner.height as usize));
    let buf = frame.buffer_mut();
    for (row, line) in doc
        .lines
        .iter()
        .skip(scroll)
        .take(inner.height as usize)
        .enumerate()
    {
        buf.set_line(inner.x, inner.y + row as u16, line, inner.width);
    }
    // A scroll indicator when there is more below or above.
    let more_below = scroll + (inner.height as usize) < doc.lines.len();
    if (scroll > 0 || more_below) && inner.width > 2 {
        let marker = match (scroll > 0, more_below) {
            (true, true) => "↕",
            (true, false) => "↑",
            _ => "↓",
        };
        let x = inner.x + inner.width - 1;
        let y = if more_below {
            inner.y + inner.height - 1
        } else {
            inner.y
        };
        buf.set_string(x, y, marker, theme.style(Slot::Muted));
    }
}
