//! The dashboard's frames on ratatui's TestBackend: content and style at
//! 120×40, 80×24 and 60×20, for every shipped theme and for NO_COLOR;
//! every size down to 1×1 without a panic.

// Test helpers may panic: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tui_support;

use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use svc_doctor::diagnose::report::{Report, ServiceReport, Status};
use svc_doctor::snapshot::Scope;
use svc_doctor::tui::state::{Init, State};
use svc_doctor::tui::theme::{self, Slot, Theme};
use svc_doctor::tui::view::Widgets;
use svc_doctor::tui::{Connection, LoadProgress, Msg, update};
use tui_support::*;

const SIZES: [(u16, u16); 3] = [(120, 40), (80, 24), (60, 20)];

/// Every shipped theme, and the default one without colour.
fn themes() -> Vec<Theme> {
    let mut out: Vec<Theme> = theme::SHIPPED
        .iter()
        .map(|(name, _)| theme::shipped(name).expect("shipped theme"))
        .collect();
    out.push(Theme::default().into_monochrome());
    out
}

/// The cell at `(x, y)` carries `style`'s colours (unset = terminal default)
/// and at least its modifiers.
#[track_caller]
fn assert_style(buf: &Buffer, (x, y): (u16, u16), style: Style, what: &str) {
    let cell = &buf[(x, y)];
    assert_eq!(
        cell.fg,
        style.fg.unwrap_or(Color::Reset),
        "{what}: fg at ({x},{y}) '{}'",
        cell.symbol()
    );
    if let Some(bg) = style.bg {
        assert_eq!(cell.bg, bg, "{what}: bg at ({x},{y})");
    }
    assert!(
        cell.modifier.contains(style.add_modifier),
        "{what}: modifiers {:?} lack {:?}",
        cell.modifier,
        style.add_modifier
    );
}

#[track_caller]
fn must_find(buf: &Buffer, needle: &str) -> (u16, u16) {
    find(buf, needle).unwrap_or_else(|| panic!("`{needle}` not on screen:\n{}", text(buf)))
}

#[test]
fn every_size_and_theme_shows_the_list_tree_detail_banner_and_status() {
    for theme in themes() {
        for (w, h) in SIZES {
            let what = format!("{} at {w}×{h}", theme.name);
            let state = state_with(theme.clone(), w, h);
            let buf = render(&state, &mut Widgets::default(), w, h);
            let screen = text(&buf);

            // The list: worst first, counts in the title.
            assert!(
                screen.contains("Services 8 — ✗4 ?1 !1 ✓2"),
                "{what}:\n{screen}"
            );
            let first = must_find(&buf, "backend-service");
            let second = must_find(&buf, "crashy");
            assert!(first.1 < second.1, "{what}: list order");

            // The tree: the first failing step is highlighted.
            let (x, y) = must_find(&buf, "endpoints selector app=backend");
            assert_style(&buf, (x, y), theme.style(Slot::FailingStep), &what);
            assert_style(&buf, (x - 2, y), theme.verdict(Status::Fail), &what);
            assert_eq!(buf[(x - 2, y)].symbol(), "✗");

            // The detail: the fix command is numbered and selected.
            let (x, y) = must_find(&buf, "1 kubectl -n default patch service");
            assert_style(&buf, (x, y), theme.style(Slot::CommandNumber), &what);
            assert_style(&buf, (x + 2, y), theme.style(Slot::CommandSelected), &what);

            // The banner: cluster DNS fails.
            let (x, y) = must_find(&buf, "✗ cluster dns");
            assert_style(&buf, (x + 2, y), theme.style(Slot::Banner), &what);

            // The status bar.
            for needle in ["kind-dev", "all namespaces", "live", "updated 14:03:12"] {
                must_find(&buf, needle);
            }
            // Key hints from the key table.
            must_find(&buf, "y copy");
        }
    }
}

#[test]
fn verdict_symbols_carry_their_theme_styles() {
    for theme in themes() {
        let (w, h) = (120, 40);
        let state = state_with(theme.clone(), w, h);
        let buf = render(&state, &mut Widgets::default(), w, h);
        for (name, symbol, status) in [
            ("crashy", "✗", Status::Fail),
            ("secret", "?", Status::Unknown),
            ("flaky", "!", Status::Warn),
            ("web", "✓", Status::Pass),
        ] {
            let (_, y) = must_find(&buf, name);
            // The symbol is the first cell inside the list's border.
            assert_eq!(buf[(1, y)].symbol(), symbol, "{name}");
            assert_style(&buf, (1, y), theme.verdict(status), &theme.name);
        }
    }
}

#[test]
fn missing_services_are_marked_missing() {
    let theme = Theme::default();
    for (w, h) in SIZES {
        let mut state = state_with(theme.clone(), w, h);
        for _ in 0..3 {
            update(&mut state, key('j'));
        }
        let buf = render(&state, &mut Widgets::default(), w, h);
        let (x, y) = must_find(&buf, "✗ staging");
        let x = (x..w)
            .find(|x| buf[(*x, y)].symbol() == "b")
            .expect("the name follows");
        let row: String = lines(&buf)[y as usize].clone();
        assert!(row.contains("missing"), "{w}×{h}: {row}");
        assert_style(&buf, (x, y), theme.style(Slot::Missing), "missing name");
    }
}

#[test]
fn no_color_is_monochrome_and_keeps_symbols_and_emphasis() {
    let theme = Theme::default().into_monochrome();
    let state = state_with(theme, 120, 40);
    let buf = render(&state, &mut Widgets::default(), 120, 40);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "'{}'", cell.symbol());
        assert_eq!(cell.bg, Color::Reset, "'{}'", cell.symbol());
    }
    // The selected row is reversed; the failing step is bold.
    let (_, y) = must_find(&buf, "default    backend-service");
    assert!(buf[(2, y)].modifier.contains(Modifier::REVERSED));
    let (x, y) = must_find(&buf, "endpoints selector");
    assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
    for symbol in ["✓", "!", "✗", "?"] {
        must_find(&buf, symbol);
    }
}

#[test]
fn the_selected_command_follows_the_keys() {
    let mut state = state_with(Theme::default(), 120, 40);
    // production/api has two commands; go there and into the detail pane.
    update(&mut state, key('j'));
    update(&mut state, key('j'));
    update(&mut state, code(KeyCode::Tab));
    update(&mut state, code(KeyCode::Tab));
    update(&mut state, key('j'));
    let buf = render(&state, &mut Widgets::default(), 120, 40);
    let (x1, y1) = must_find(&buf, "1 kubectl -n production patch");
    let (x2, y2) = must_find(&buf, "2 kubectl -n production get pods");
    let theme = &state.theme;
    assert_style(&buf, (x1 + 2, y1), theme.style(Slot::Command), "command 1");
    assert_style(
        &buf,
        (x2 + 2, y2),
        theme.style(Slot::CommandSelected),
        "command 2",
    );
    must_find(&buf, "ports · fail · first failing step");
}

#[test]
fn loading_shows_progress_per_kind_instead_of_blank_panes() {
    let mut state = State::new(Init::new("kind-dev", Scope::All));
    update(
        &mut state,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let buf = render(&state, &mut Widgets::default(), 80, 24);
    must_find(&buf, "Connecting to kind-dev");
    update(
        &mut state,
        Msg::Connection(Connection::Loading {
            progress: vec![
                LoadProgress::new("services", 42, true),
                LoadProgress::new("pods", 12000, false),
            ],
        }),
    );
    let buf = render(&state, &mut Widgets::default(), 80, 24);
    must_find(&buf, "✓ services");
    must_find(&buf, "12,000 listed");
    must_find(&buf, "loading pods 12,000 listed (1/2 kinds)");
}

#[test]
fn a_lost_connection_keeps_the_data_and_marks_it_stale() {
    let mut state = state_with(Theme::default(), 120, 40);
    update(
        &mut state,
        Msg::Connection(Connection::Disconnected {
            since: at(),
            error: "connection refused".to_string(),
        }),
    );
    let buf = render(&state, &mut Widgets::default(), 120, 40);
    let (x, y) = must_find(&buf, "disconnected since 14:03:12 — retrying");
    assert_style(&buf, (x, y), state.theme.style(Slot::Stale), "status");
    must_find(&buf, "· stale");
    must_find(&buf, "updated 14:03:12 (stale)");
    must_find(&buf, "backend-service");
}

#[test]
fn forbidden_reads_are_named_in_the_banner() {
    use svc_doctor::snapshot::{ReadFailure, Resource};
    let mut state = state_with(Theme::default(), 120, 40);
    update(
        &mut state,
        Msg::Access(vec![ReadFailure {
            resource: Resource::Networkpolicies,
            namespace: Some("team-a".to_string()),
            code: Some(403),
            message: "forbidden".to_string(),
        }]),
    );
    let buf = render(&state, &mut Widgets::default(), 120, 40);
    must_find(&buf, "cannot read networkpolicies (team-a)");
}

#[test]
fn the_pods_step_shows_a_readiness_sparkline() {
    let mut state = state_with(Theme::default(), 120, 40);
    update(
        &mut state,
        Msg::Readiness(vec![(
            svc("default", "flaky"),
            [3, 2, 3, 0, 3, 1, 3].into_iter().collect(),
        )]),
    );
    // default/flaky is sixth: fail ×4, unknown, then warn.
    for _ in 0..5 {
        update(&mut state, key('j'));
    }
    assert_eq!(
        state.list.selected.as_ref().map(|s| s.name.as_str()),
        Some("flaky")
    );
    let buf = render(&state, &mut Widgets::default(), 120, 40);
    let (x, y) = must_find(&buf, "ready endpoints █▆█▁█▄█");
    must_find(&buf, "now 3 (min 0, max 3)");
    assert_style(
        &buf,
        (x + 16, y),
        state.theme.style(Slot::Sparkline),
        "sparkline",
    );
}

#[test]
fn cluster_strings_are_stripped_of_control_characters() {
    let mut report = report();
    std::sync::Arc::make_mut(&mut report.services[0]).name =
        "evil\x1b]52;c;aGk=\x07name".to_string();
    std::sync::Arc::make_mut(&mut report.services[0]).steps[1].findings[0].message =
        "bad\x1b[2Jmessage".to_string();
    let mut state = state_with(Theme::default(), 120, 40);
    update(&mut state, report_msg(report));
    let buf = render(&state, &mut Widgets::default(), 120, 40);
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "control character drawn: {:?}",
            cell.symbol()
        );
    }
    must_find(&buf, "evil?]52;c;aGk=?name");
}

#[test]
fn multi_line_evidence_keeps_its_lines() {
    let mut report = report();
    std::sync::Arc::make_mut(&mut report.services[1]).steps[2].findings[0].evidence =
        vec!["previous log:\r\nError: ECONNREFUSED\n\x1b[31mretrying\x1b[0m".to_string()];
    let mut state = state_with(Theme::default(), 120, 40);
    update(&mut state, report_msg(report));
    update(&mut state, key('j')); // crashy
    let buf = render(&state, &mut Widgets::default(), 120, 40);
    let (x1, y1) = must_find(&buf, "previous log:");
    let (x2, y2) = must_find(&buf, "Error: ECONNREFUSED");
    let (x3, y3) = must_find(&buf, "?[31mretrying?[0m");
    assert_eq!((y2, y3), (y1 + 1, y1 + 2), "{}", text(&buf));
    assert_eq!((x2, x3), (x1, x1), "hanging indent");
}

#[test]
fn no_size_panics_with_any_overlay() {
    let mut states = Vec::new();
    states.push(State::new(Init::new("ctx", Scope::All)));
    let base = state_with(Theme::default(), 80, 24);
    states.push(base.clone());
    let mut help = base.clone();
    update(&mut help, key('?'));
    states.push(help);
    let mut picker = base.clone();
    update(&mut picker, key('n'));
    states.push(picker);
    let mut filter = base.clone();
    update(&mut filter, key('/'));
    update(&mut filter, key('x'));
    states.push(filter);
    let mut detail = base.clone();
    update(&mut detail, code(KeyCode::BackTab));
    states.push(detail);

    let mut sizes = vec![
        (1, 1),
        (2, 2),
        (19, 4),
        (20, 5),
        (40, 11),
        (79, 30),
        (200, 60),
    ];
    for w in (1..=130).step_by(9) {
        for h in (1..=45).step_by(4) {
            sizes.push((w, h));
        }
    }
    for state in &states {
        for (w, h) in &sizes {
            let mut state = state.clone();
            update(
                &mut state,
                Msg::Resize {
                    width: *w,
                    height: *h,
                },
            );
            // Keys that depend on the page size, at this size.
            update(&mut state, code(KeyCode::PageDown));
            update(&mut state, key('G'));
            let _ = render(&state, &mut Widgets::default(), *w, *h);
        }
    }
}

#[test]
fn panes_stack_below_80_columns_and_collapse_when_short() {
    let state = state_with(Theme::default(), 60, 20);
    let buf = render(&state, &mut Widgets::default(), 60, 20);
    let services = must_find(&buf, "Services 8");
    let tree = must_find(&buf, "Decision tree");
    let detail = must_find(&buf, "Detail");
    assert!(services.1 < tree.1 && tree.1 < detail.1, "{}", text(&buf));

    // Too short for three panes: only the focused one.
    let mut state = state_with(Theme::default(), 60, 14);
    update(&mut state, code(KeyCode::Tab));
    let buf = render(&state, &mut Widgets::default(), 60, 14);
    must_find(&buf, "Decision tree");
    assert!(find(&buf, "Services 8").is_none(), "{}", text(&buf));
}

/// `n` services, a few failing, in namespaces of 100.
fn big_report(n: usize) -> Report {
    let template = report();
    let healthy: ServiceReport = (*template.services[3]).clone();
    let failing: ServiceReport = (*template.services[0]).clone();
    let services = (0..n)
        .map(|i| {
            let mut s = if i % 50 == 0 {
                failing.clone()
            } else {
                healthy.clone()
            };
            s.namespace = format!("ns-{:03}", i / 100);
            s.name = format!("svc-{i:05}");
            std::sync::Arc::new(s)
        })
        .collect();
    Report {
        services,
        ..template
    }
}

#[test]
fn ten_thousand_services_scroll_to_the_end() {
    let mut state = state_with(Theme::default(), 120, 40);
    update(&mut state, report_msg(big_report(10_000)));
    assert_eq!(state.counts.total, 10_000);
    update(&mut state, key('G'));
    let buf = render(&state, &mut Widgets::default(), 120, 40);
    // Sorted worst first, then by namespace/name: the last row is the last healthy one.
    must_find(&buf, "svc-09999");
    assert!(text(&buf).contains("Services 10000 — ✗200 ?0 !0 ✓9800"));
}

#[test]
fn a_service_without_failures_selects_its_worst_step() {
    let mut state = state_with(Theme::default(), 120, 40);
    // team-a/secret (unknown at network) is fifth.
    for _ in 0..4 {
        update(&mut state, key('j'));
    }
    let view = state.tree_view().expect("tree view");
    assert_eq!(view.selected.as_str(), "network");
}
