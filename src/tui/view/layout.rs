//! Where each pane goes, as a pure function of the screen size and the state.
//!
//! `update` uses it too (page sizes, keeping the cursor in view), so both
//! agree on what is visible.
//!
//! - 80 columns and more: the Services list on the left, the tree above the
//!   detail on the right.
//! - narrower: the three panes stacked, with a title line instead of a frame.
//! - very short: only the focused pane.
//! - below 20×5: a one-line "too small" notice.

use ratatui::layout::Rect;

use super::banner;
use crate::tui::state::{Pane, State};
use crate::tui::tree;

pub const MIN_WIDTH: u16 = 20;
pub const MIN_HEIGHT: u16 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub banner: Rect,
    /// Everything between the banner and the status bar (the loading view uses it).
    pub body: Rect,
    pub services: Option<Rect>,
    pub tree: Option<Rect>,
    pub detail: Option<Rect>,
    pub status: Rect,
    pub hints: Rect,
    /// Panes are stacked: each has a title line and no side borders.
    pub stacked: bool,
    pub too_small: bool,
}

impl Areas {
    pub fn pane(&self, pane: Pane) -> Option<Rect> {
        match pane {
            Pane::Services => self.services,
            Pane::Tree => self.tree,
            Pane::Detail => self.detail,
        }
    }

    /// The inside of a pane's frame.
    pub fn inner(&self, pane: Pane) -> Option<Rect> {
        self.pane(pane).map(|r| pane_inner(r, self.stacked))
    }
}

/// The inside of a pane drawn at `rect`.
pub fn pane_inner(rect: Rect, stacked: bool) -> Rect {
    if stacked {
        Rect {
            y: rect.y.saturating_add(1),
            height: rect.height.saturating_sub(1),
            ..rect
        }
    } else {
        Rect {
            x: rect.x.saturating_add(1),
            y: rect.y.saturating_add(1),
            width: rect.width.saturating_sub(2),
            height: rect.height.saturating_sub(2),
        }
    }
}

/// How many rows of the list are Services (the rest is the header and the filter line).
pub fn list_rows(state: &State, inner: Rect) -> usize {
    let mut rows = inner.height as usize;
    rows = rows.saturating_sub(1); // column header
    if state.filter.typing || !state.filter.text.is_empty() {
        rows = rows.saturating_sub(1);
    }
    rows
}

fn take_top(area: &mut Rect, height: u16) -> Rect {
    let height = height.min(area.height);
    let top = Rect { height, ..*area };
    area.y = area.y.saturating_add(height);
    area.height -= height;
    top
}

fn take_bottom(area: &mut Rect, height: u16) -> Rect {
    let height = height.min(area.height);
    area.height -= height;
    Rect {
        y: area.y.saturating_add(area.height),
        height,
        ..*area
    }
}

pub fn areas(area: Rect, state: &State) -> Areas {
    let mut out = Areas::default();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        out.too_small = true;
        out.body = area;
        return out;
    }
    let mut rest = area;
    let banner_max = match area.height {
        30.. => 3,
        12.. => 1,
        _ => 0,
    };
    let banner_rows = banner::lines(state).len().min(banner_max) as u16;
    out.banner = take_top(&mut rest, banner_rows);
    if area.height >= 12 {
        out.hints = take_bottom(&mut rest, 1);
    }
    out.status = take_bottom(&mut rest, 1);
    out.body = rest;
    if state.report.is_none() {
        return out;
    }

    let tree_rows = state
        .selected_service()
        .zip(state.tree_view())
        .map_or(7, |(svc, view)| tree::visible(svc, &view.opened).len()) as u16;

    if rest.width >= 80 && rest.height >= 10 {
        let share = if rest.width >= 110 { 48 } else { 40 };
        let list_width = (rest.width * share / 100).clamp(32, rest.width - 40);
        let services = Rect {
            width: list_width,
            ..rest
        };
        let mut right = Rect {
            x: rest.x + list_width,
            width: rest.width - list_width,
            ..rest
        };
        let tree_height = (tree_rows + 2)
            .min(right.height * 55 / 100)
            .max(9.min(right.height / 2));
        out.services = Some(services);
        out.tree = Some(take_top(&mut right, tree_height));
        out.detail = Some(right);
    } else if rest.height >= 12 {
        out.stacked = true;
        let services_height = (rest.height * 30 / 100).max(3);
        let tree_height = (tree_rows + 1).clamp(3, rest.height * 35 / 100);
        out.services = Some(take_top(&mut rest, services_height));
        out.tree = Some(take_top(&mut rest, tree_height));
        out.detail = Some(rest);
    } else {
        // Only the focused pane fits.
        out.stacked = true;
        match state.focus {
            Pane::Services => out.services = Some(rest),
            Pane::Tree => out.tree = Some(rest),
            Pane::Detail => out.detail = Some(rest),
        }
    }
    out
}
