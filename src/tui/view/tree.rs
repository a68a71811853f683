//! The decision tree of the selected Service (tui-tree-widget): seven steps
//! with status, id and summary, each expandable to its findings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_tree_widget::{Tree, TreeItem, TreeState};

use super::detail::finding_symbol;
use super::text::clean;
use crate::diagnose::report::{ServiceReport, Status};
use crate::report::symbol;
use crate::tui::state::{Pane, State};
use crate::tui::theme::{Slot, Theme};
use crate::tui::tree::{self, NodeId};

/// The widget's own state (scroll offset), kept by the run loop between
/// frames; the selection and expansion come from [`State`] every frame.
pub type Widget = TreeState<String>;

fn items(svc: &ServiceReport, theme: &Theme) -> Vec<TreeItem<'static, String>> {
    let step_width = 9;
    svc.steps
        .iter()
        .map(|step| {
            let failing = tree::is_failing_step(svc, step);
            let id_style = if failing {
                theme.style(Slot::FailingStep)
            } else {
                theme.style(Slot::Text)
            };
            let summary_style = match step.status {
                Status::Pass | Status::Blocked | Status::Skip => theme.style(Slot::Muted),
                _ if failing => theme.style(Slot::FailingStep),
                _ => theme.style(Slot::Text),
            };
            let text = Line::from(vec![
                Span::styled(symbol(step.status), theme.verdict(step.status)),
                Span::raw(" "),
                Span::styled(format!("{:<step_width$}", step.id.as_str()), id_style),
                Span::raw(" "),
                Span::styled(clean(&step.summary).into_owned(), summary_style),
            ]);
            let children: Vec<TreeItem<'static, String>> = tree::finding_ids(step)
                .into_iter()
                .zip(&step.findings)
                .map(|(id, f)| {
                    let sev = theme.severity(f.severity, f.not_evaluated);
                    let last = id.path().pop().unwrap_or_default();
                    TreeItem::new_leaf(
                        last,
                        Line::from(vec![
                            Span::styled(finding_symbol(f), sev),
                            Span::raw(" "),
                            Span::styled(f.check, sev),
                            Span::raw(" "),
                            Span::styled(clean(&f.message).into_owned(), theme.style(Slot::Text)),
                        ]),
                    )
                })
                .collect();
            let id = step.id.as_str().to_string();
            match TreeItem::new(id.clone(), text.clone(), children) {
                Ok(item) => item,
                // Ids are unique by construction; fall back to a bare step.
                Err(_) => TreeItem::new_leaf(id, text),
            }
        })
        .collect()
}

/// Bring the widget's selection and expansion in line with the state.
pub fn sync(widget: &mut Widget, state: &State) {
    let Some(view) = state.tree_view() else {
        widget.select(Vec::new());
        widget.close_all();
        return;
    };
    let wanted: std::collections::HashSet<Vec<String>> =
        view.opened.iter().map(NodeId::path).collect();
    if *widget.opened() != wanted {
        widget.close_all();
        for path in wanted {
            widget.open(path);
        }
    }
    let path = view.selected.path();
    if widget.selected() != path.as_slice() {
        widget.select(path);
    } else {
        widget.scroll_selected_into_view();
    }
}

pub fn render(
    frame: &mut Frame<'_>,
    area: Rect,
    stacked: bool,
    state: &State,
    widget: &mut Widget,
) {
    let theme = &state.theme;
    let focused = state.focus == Pane::Tree;
    let title = match state.selected_service() {
        Some(svc) => {
            let kind = match (&svc.service_type, svc.exists) {
                (_, false) => " · missing".to_string(),
                (Some(t), true) => format!(" · {}", clean(t)),
                (None, true) => String::new(),
            };
            format!(
                " Decision tree · {}/{}{kind} ",
                clean(&svc.namespace),
                clean(&svc.name)
            )
        }
        None => " Decision tree ".to_string(),
    };
    let block = super::pane_block(theme, &title, focused, stacked);
    let Some(svc) = state.selected_service() else {
        let inner = block.inner(area);
        frame.render_widget(block, area);
        frame.render_widget(
            Paragraph::new(Span::styled(
                "No Service selected.",
                theme.style(Slot::Muted),
            )),
            inner,
        );
        return;
    };
    let items = items(svc, theme);
    sync(widget, state);
    match Tree::new(&items) {
        Ok(tree) => {
            let tree = tree
                .block(block)
                .highlight_style(theme.selected(focused))
                .style(Style::default());
            frame.render_stateful_widget(tree, area, widget);
        }
        Err(_) => frame.render_widget(block, area),
    }
}
