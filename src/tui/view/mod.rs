//! Views: draw a frame from the state. They read [`State`] (and the tree
//! widget's scroll state) and decide nothing; every cluster string goes
//! through [`text::clean`] before it is drawn.

pub mod banner;
pub mod detail;
pub mod layout;
pub mod list;
pub mod overlay;
pub mod status;
pub mod text;
pub mod tree;

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use super::state::{Overlay, State};
use super::theme::{Slot, Theme};

/// Widget state that lives between frames (scroll offsets the widgets keep).
#[derive(Debug, Default)]
pub struct Widgets {
    pub tree: tree::Widget,
}

/// A pane's frame: full borders side by side, a title line when stacked.
pub fn pane_block<'a>(theme: &Theme, title: &str, focused: bool, stacked: bool) -> Block<'a> {
    pane_block_line(
        theme,
        Line::from(Span::styled(title.to_string(), theme.style(Slot::Title))),
        focused,
        stacked,
    )
}

pub fn pane_block_line<'a>(
    theme: &Theme,
    title: Line<'a>,
    focused: bool,
    stacked: bool,
) -> Block<'a> {
    let borders = if stacked { Borders::TOP } else { Borders::ALL };
    Block::default()
        .borders(borders)
        .border_style(theme.border(focused))
        .title(title)
}

/// Draw the whole screen.
pub fn draw(frame: &mut Frame<'_>, state: &State, widgets: &mut Widgets) {
    let area = frame.area();
    let areas = layout::areas(area, state);
    if areas.too_small {
        let text = text::clip(
            &format!(
                "svc-doctor: terminal too small ({}×{})",
                area.width, area.height
            ),
            area.width as usize,
        )
        .into_owned();
        frame.buffer_mut().set_line(
            area.x,
            area.y,
            &Line::from(Span::styled(text, state.theme.style(Slot::Warning))),
            area.width,
        );
        return;
    }
    banner::render(frame, areas.banner, state);
    if state.report.is_none() {
        overlay::render_loading(frame, areas.body, state);
    }
    if let Some(rect) = areas.services {
        list::render(frame, rect, areas.stacked, state);
    }
    if let Some(rect) = areas.tree {
        tree::render(frame, rect, areas.stacked, state, &mut widgets.tree);
    }
    if let Some(rect) = areas.detail {
        detail::render(frame, rect, areas.stacked, state);
    }
    status::render_status(frame, areas.status, state);
    if areas.hints.height > 0 {
        status::render_hints(frame, areas.hints, state);
    } else if state.toast.is_some() {
        status::render_hints(frame, areas.status, state);
    }
    match &state.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => overlay::render_help(frame, area, state, *scroll),
        Overlay::Picker(_) => overlay::render_picker(frame, area, state),
    }
}
