//! Keys through `update()`: filters, panes, expansion, copy effects,
//! pickers, and selection that survives new reports.

// Test helpers may panic: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod tui_support;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyCode;
use svc_doctor::diagnose::report::{Finding, Status, StepId};
use svc_doctor::snapshot::Scope;
use svc_doctor::tui::state::{Overlay, Pane, State, VerdictFilter};
use svc_doctor::tui::theme::Theme;
use svc_doctor::tui::{Connection, CopyMethod, Effect, Msg, keys, update};
use tui_support::*;

fn state() -> State {
    state_with(Theme::default(), 120, 40)
}

fn listed(state: &State) -> Vec<String> {
    let report = state.report.as_deref().unwrap();
    state
        .rows
        .iter()
        .map(|i| {
            let s = &report.services[*i];
            format!("{}/{}", s.namespace, s.name)
        })
        .collect()
}

fn selected(state: &State) -> String {
    let s = state.list.selected.as_ref().expect("a selection");
    format!("{}/{}", s.namespace, s.name)
}

fn node(state: &State) -> String {
    state.tree_view().expect("tree view").selected.to_string()
}

fn is_open(state: &State, step: &str) -> bool {
    let view = state.tree_view().expect("tree view");
    view.opened.iter().any(|n| n.as_str() == step)
}

fn press(state: &mut State, keys: &str) -> Vec<Effect> {
    keys.chars().flat_map(|c| update(state, key(c))).collect()
}

#[test]
fn the_list_is_sorted_by_severity_then_namespace_and_name() {
    let state = state();
    assert_eq!(
        listed(&state),
        [
            "default/backend-service",
            "default/crashy",
            "production/api",
            "staging/backend-api-service",
            "team-a/secret",
            "default/flaky",
            "default/web",
            "production/cache",
        ]
    );
}

#[test]
fn entering_a_service_selects_and_opens_its_first_failing_step() {
    let mut state = state();
    assert_eq!(selected(&state), "default/backend-service");
    assert_eq!(node(&state), "endpoints");
    assert!(is_open(&state, "endpoints"));
    press(&mut state, "jj");
    assert_eq!(selected(&state), "production/api");
    assert_eq!(node(&state), "ports");
}

#[test]
fn the_filter_is_live_and_esc_clears_it() {
    let mut state = state();
    update(&mut state, key('/'));
    assert!(state.filter.typing);
    // While typing, letters are text, not commands: `q` does not quit.
    let effects = press(&mut state, "back");
    assert!(effects.is_empty());
    assert_eq!(
        listed(&state),
        ["default/backend-service", "staging/backend-api-service"]
    );
    // The namespace is part of what is matched.
    update(&mut state, code(KeyCode::Esc));
    press(&mut state, "/staging/");
    assert_eq!(listed(&state), ["staging/backend-api-service"]);
    assert_eq!(selected(&state), "staging/backend-api-service");
    update(&mut state, code(KeyCode::Backspace));
    update(&mut state, code(KeyCode::Enter));
    assert!(!state.filter.typing);
    assert_eq!(state.filter.text, "staging");
    // Esc in the list clears a kept filter.
    update(&mut state, code(KeyCode::Esc));
    assert_eq!(state.rows.len(), 8);
    // Case does not matter; Ctrl-C still quits while typing.
    press(&mut state, "/WEB");
    assert_eq!(listed(&state), ["default/web"]);
    assert_eq!(update(&mut state, ctrl('c')), vec![Effect::Quit]);
}

#[test]
fn f_cycles_all_failing_warning() {
    let mut state = state();
    update(&mut state, key('f'));
    assert_eq!(state.filter.verdict, VerdictFilter::Failing);
    assert_eq!(state.rows.len(), 4);
    update(&mut state, key('f'));
    assert_eq!(state.filter.verdict, VerdictFilter::Warning);
    assert_eq!(listed(&state), ["team-a/secret", "default/flaky"]);
    update(&mut state, key('f'));
    assert_eq!(state.filter.verdict, VerdictFilter::All);
    assert_eq!(state.rows.len(), 8);
    // Counts in the title stay those of everything in scope.
    update(&mut state, key('f'));
    assert_eq!(state.counts.total, 8);
}

#[test]
fn tab_and_shift_tab_cycle_the_panes() {
    let mut state = state();
    assert_eq!(state.focus, Pane::Services);
    update(&mut state, code(KeyCode::Tab));
    assert_eq!(state.focus, Pane::Tree);
    update(&mut state, code(KeyCode::Tab));
    assert_eq!(state.focus, Pane::Detail);
    update(&mut state, code(KeyCode::Tab));
    assert_eq!(state.focus, Pane::Services);
    update(&mut state, code(KeyCode::BackTab));
    assert_eq!(state.focus, Pane::Detail);
    // h/l move between panes too.
    update(&mut state, key('h'));
    assert_eq!(state.focus, Pane::Tree);
    update(&mut state, code(KeyCode::Esc));
    update(&mut state, key('l'));
    assert_eq!(
        state.focus,
        Pane::Tree,
        "l on a step with findings expands it"
    );
}

#[test]
fn enter_and_space_expand_and_collapse_steps_and_arrows_walk_the_tree() {
    let mut state = state();
    // crashy: pods fails with two POD-001 findings.
    press(&mut state, "j");
    update(&mut state, code(KeyCode::Enter));
    assert_eq!(state.focus, Pane::Tree);
    assert_eq!(node(&state), "pods");
    press(&mut state, "j");
    assert_eq!(node(&state), "pods/POD-001#0");
    press(&mut state, "j");
    assert_eq!(node(&state), "pods/POD-001#1");
    // Left goes to the parent step, then collapses it.
    update(&mut state, code(KeyCode::Left));
    assert_eq!(node(&state), "pods");
    update(&mut state, code(KeyCode::Left));
    assert!(!is_open(&state, "pods"));
    press(&mut state, "j");
    assert_eq!(node(&state), "ports", "collapsed: the findings are skipped");
    press(&mut state, "k ");
    assert!(is_open(&state, "pods"));
    press(&mut state, " ");
    assert!(!is_open(&state, "pods"));
    press(&mut state, "G");
    assert_eq!(node(&state), "network");
    press(&mut state, "g");
    assert_eq!(node(&state), "service");
    // Left on a collapsed step goes back to the list.
    update(&mut state, code(KeyCode::Left));
    assert_eq!(state.focus, Pane::Services);
}

#[test]
fn y_copies_exactly_the_selected_command() {
    let mut state = state();
    assert_eq!(
        press(&mut state, "y"),
        vec![Effect::Copy {
            text: SELECTOR_FIX.to_string(),
            what: "1 command".to_string(),
        }]
    );
    // production/api: two commands; the detail pane selects the second.
    press(&mut state, "jj");
    update(&mut state, code(KeyCode::Tab));
    update(&mut state, code(KeyCode::Tab));
    assert_eq!(state.focus, Pane::Detail);
    press(&mut state, "j");
    assert_eq!(
        press(&mut state, "y"),
        vec![Effect::Copy {
            text: PORT_FIX_2.to_string(),
            what: "1 command".to_string(),
        }]
    );
    // A digit selects a command directly.
    press(&mut state, "1");
    assert_eq!(
        press(&mut state, "y"),
        vec![Effect::Copy {
            text: PORT_FIX_1.to_string(),
            what: "1 command".to_string(),
        }]
    );
}

#[test]
fn capital_y_copies_every_command_of_the_selected_finding() {
    let mut state = state();
    press(&mut state, "jj");
    assert_eq!(
        press(&mut state, "Y"),
        vec![Effect::Copy {
            text: format!("{PORT_FIX_1}\n{PORT_FIX_2}"),
            what: "2 commands".to_string(),
        }]
    );
    // crashy: the step holds two findings; Y takes only the selected command's finding.
    press(&mut state, "k");
    press(&mut state, "2");
    assert_eq!(
        press(&mut state, "Y"),
        vec![Effect::Copy {
            text: "kubectl -n default logs crashy-2 --previous".to_string(),
            what: "1 command".to_string(),
        }]
    );
}

#[test]
fn nothing_to_copy_is_a_toast_not_an_effect() {
    let mut state = state();
    press(&mut state, "G"); // production/cache: all pass
    assert!(press(&mut state, "y").is_empty());
    let toast = state.toast.as_ref().expect("a toast");
    assert!(toast.error);
    assert!(toast.text.contains("no fix command"), "{}", toast.text);
}

#[test]
fn commands_with_control_characters_are_not_copied() {
    let mut report = report();
    Arc::make_mut(&mut report.services[0]).steps[1].findings[0]
        .fix
        .as_mut()
        .unwrap()
        .commands[0] = "kubectl get svc '\x1b[201~rm -rf ~'".to_string();
    let mut state = state();
    update(&mut state, report_msg(report));
    assert!(press(&mut state, "y").is_empty());
    assert!(
        state
            .toast
            .as_ref()
            .unwrap()
            .text
            .contains("control characters")
    );
}

#[test]
fn copy_outcomes_become_toasts_that_expire() {
    let mut state = state();
    update(
        &mut state,
        Msg::Copied {
            what: "1 command".to_string(),
            outcome: Ok(CopyMethod::Native("X11")),
        },
    );
    let toast = state.toast.clone().expect("toast");
    assert_eq!(toast.text, "copied 1 command to the clipboard (X11)");
    update(
        &mut state,
        Msg::Copied {
            what: "2 commands".to_string(),
            outcome: Ok(CopyMethod::Osc52),
        },
    );
    assert_eq!(
        state.toast.as_ref().unwrap().text,
        "copied 2 commands to the clipboard (OSC 52)"
    );
    let later = state.now + Duration::from_secs(60);
    update(&mut state, Msg::Tick(later));
    assert!(state.toast.is_none());
    update(
        &mut state,
        Msg::Copied {
            what: "1 command".to_string(),
            outcome: Err("no system clipboard".to_string()),
        },
    );
    let toast = state.toast.as_ref().unwrap();
    assert!(toast.error);
    assert_eq!(toast.text, "could not copy 1 command: no system clipboard");
}

#[test]
fn selection_scroll_and_expansion_survive_a_new_report() {
    let mut state = state();
    // production/api, into the PORT-001 finding.
    press(&mut state, "jj");
    update(&mut state, code(KeyCode::Tab));
    press(&mut state, "j");
    assert_eq!(node(&state), "ports/PORT-001#0");

    // The next report: backend-service is fixed and a new failing Service
    // sorts before production/api.
    let mut next = report();
    let fixed = Arc::make_mut(&mut next.services[0]);
    for step in &mut fixed.steps {
        step.status = Status::Pass;
        step.findings.clear();
    }
    fixed.verdict = Status::Pass;
    fixed.failing_step = None;
    let mut newcomer = (*next.services[1]).clone();
    newcomer.name = "aaa-new".to_string();
    next.services.insert(0, Arc::new(newcomer));
    update(&mut state, report_msg(next));

    assert_eq!(selected(&state), "production/api");
    assert_eq!(
        listed(&state)[state.list.cursor],
        "production/api",
        "the cursor followed the Service, not the row"
    );
    assert_eq!(node(&state), "ports/PORT-001#0");
    assert_eq!(state.focus, Pane::Tree);
}

#[test]
fn an_untouched_tree_follows_the_first_failing_step() {
    let mut state = state();
    assert_eq!(node(&state), "endpoints");
    let mut next = report();
    let svc = Arc::make_mut(&mut next.services[0]);
    svc.steps[1].status = Status::Pass;
    svc.steps[1].findings.clear();
    svc.steps[2].status = Status::Fail;
    svc.steps[2].findings = vec![Finding::error("POD-003", "no pod is Ready")];
    svc.failing_step = Some(StepId::Pods);
    update(&mut state, report_msg(next));
    assert_eq!(node(&state), "pods");
}

#[test]
fn a_vanished_finding_falls_back_to_its_step() {
    let mut state = state();
    press(&mut state, "j"); // crashy
    update(&mut state, code(KeyCode::Tab));
    press(&mut state, "jj");
    assert_eq!(node(&state), "pods/POD-001#1");
    let mut next = report();
    Arc::make_mut(&mut next.services[1]).steps[2]
        .findings
        .truncate(1);
    update(&mut state, report_msg(next));
    assert_eq!(node(&state), "pods");
}

#[test]
fn a_vanished_service_gives_way_to_its_neighbour() {
    let mut state = state();
    press(&mut state, "j"); // crashy, row 1
    let mut next = report();
    next.services.retain(|s| s.name != "crashy");
    update(&mut state, report_msg(next));
    assert_eq!(state.list.cursor, 1);
    assert_eq!(selected(&state), "production/api");
}

#[test]
fn the_namespace_picker_sets_the_scope() {
    let mut state = state();
    update(
        &mut state,
        Msg::Namespaces(vec!["default".into(), "production".into()]),
    );
    update(&mut state, key('n'));
    let Overlay::Picker(picker) = &state.overlay else {
        panic!("no picker");
    };
    assert_eq!(
        picker.cursor, 0,
        "starts on the current scope: all namespaces"
    );
    let labels: Vec<String> = state
        .picker_items()
        .iter()
        .map(|i| i.label().to_string())
        .collect();
    assert_eq!(
        labels,
        [
            "all namespaces",
            "default",
            "production",
            "staging",
            "team-a"
        ]
    );
    update(&mut state, code(KeyCode::Down));
    let effects = update(&mut state, code(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::SetScope(Scope::Namespace("default".into()))]
    );
    assert_eq!(state.overlay, Overlay::None);
    assert!(listed(&state).iter().all(|s| s.starts_with("default/")));
    assert_eq!(state.counts.total, 4);
    // Typing searches; all namespaces is there again.
    press(&mut state, "nall");
    let effects = update(&mut state, code(KeyCode::Enter));
    assert_eq!(effects, vec![Effect::SetScope(Scope::All)]);
    assert_eq!(state.rows.len(), 8);
}

#[test]
fn the_context_picker_switches_context_and_shows_it_loading() {
    let mut state = state();
    update(
        &mut state,
        Msg::Contexts {
            contexts: vec!["kind-dev".into(), "prod-eu".into(), "prod-us".into()],
            current: "kind-dev".into(),
        },
    );
    press(&mut state, "xus");
    let effects = update(&mut state, code(KeyCode::Enter));
    assert_eq!(effects, vec![Effect::SwitchContext("prod-us".into())]);
    assert_eq!(state.context, "prod-us");
    assert!(state.report.is_none());
    assert_eq!(state.connection, Connection::Connecting);
    // Esc closes a picker without switching.
    press(&mut state, "x");
    assert_eq!(update(&mut state, code(KeyCode::Esc)), vec![]);
    assert_eq!(state.overlay, Overlay::None);
}

#[test]
fn help_opens_scrolls_and_closes() {
    let mut state = state_with(Theme::default(), 80, 24);
    update(&mut state, key('?'));
    assert_eq!(state.overlay, Overlay::Help { scroll: 0 });
    press(&mut state, "jj");
    assert_eq!(state.overlay, Overlay::Help { scroll: 2 });
    // q closes help rather than quitting.
    assert!(press(&mut state, "q").is_empty());
    assert_eq!(state.overlay, Overlay::None);
    update(&mut state, key('?'));
    update(&mut state, code(KeyCode::Esc));
    assert_eq!(state.overlay, Overlay::None);
}

#[test]
fn quit_refresh_and_esc_for_warnings() {
    let mut state = state();
    assert_eq!(press(&mut state, "r"), vec![Effect::Refresh]);
    state.warnings.push("theme x.toml line 1: bad".into());
    update(&mut state, key('f'));
    // Esc takes back one thing at a time: first the warning, then the filter.
    update(&mut state, code(KeyCode::Esc));
    assert!(state.warnings.is_empty());
    assert_eq!(state.filter.verdict, VerdictFilter::Failing);
    update(&mut state, code(KeyCode::Esc));
    assert_eq!(state.filter.verdict, VerdictFilter::All);
    assert_eq!(press(&mut state, "q"), vec![Effect::Quit]);
    assert!(state.quitting);
}

#[test]
fn page_keys_move_by_a_screenful() {
    let mut state = state_with(Theme::default(), 120, 12);
    update(&mut state, code(KeyCode::PageDown));
    assert!(state.list.cursor > 1, "cursor {}", state.list.cursor);
    update(&mut state, code(KeyCode::PageUp));
    assert_eq!(state.list.cursor, 0);
    update(&mut state, key('G'));
    assert_eq!(state.list.cursor, 7);
    assert!(state.list.offset > 0, "the last row is scrolled into view");
}

#[test]
fn the_docs_carry_the_key_table() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/usage.md"))
        .expect("docs/usage.md");
    let table = keys::markdown_table();
    assert!(
        docs.contains(&table),
        "docs/usage.md's key table differs from src/tui/keys.rs; paste this:\n{table}"
    );
}
