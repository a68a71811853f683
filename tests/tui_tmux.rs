//! The real binary in tmux on `svc-doctor demo`: what the list shows, the
//! problem-2 Service's tree and fix, help, and a clean exit.
//!
//! Ignored until the `demo` subcommand exists (the lead wires it); then
//! remove the `#[ignore]`s. `SVC_DOCTOR_TUI_BIN=path` runs another build.
//! Skips with a notice when tmux is missing, except under `CI`.

// Test helpers may panic: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "tui_support/tmux.rs"]
mod tmux;

use tmux::{Tmux, demo_command, list_rows, require};

fn start(width: u16, height: u16) -> Option<Tmux> {
    if !require("tmux", "-V") {
        return None;
    }
    let log = "svc-doctor.log";
    let command = format!(
        "cd \"$HOME\" && {} --clipboard off --log-file {log}",
        demo_command()
    );
    let tmux = Tmux::start(&command, width, height, &[]);
    // The first report is in when the list's counts are.
    tmux.wait_for("the first report", |s| {
        s.contains("Services ") && s.contains("— ✗")
    });
    Some(tmux)
}

#[test]
#[ignore = "needs `svc-doctor demo` (issue 4, wired by the lead)"]
fn the_list_shows_the_guides_problems_with_their_failing_steps() {
    let Some(tmux) = start(120, 40) else { return };
    let screen = tmux.screen();
    let rows = list_rows(&screen);
    let failing: Vec<&str> = rows
        .iter()
        .filter(|(symbol, _, _)| symbol == "✗")
        .map(|(_, step, _)| step.as_str())
        .collect();
    // Problem 1: selector mismatch (endpoints); 2: targetPort (ports);
    // 3: crash loop (pods); 6: a name that does not resolve from the
    // client's namespace (the referenced Service is missing: service).
    for step in ["endpoints", "ports", "pods", "service"] {
        assert!(
            failing.contains(&step),
            "no Service fails at {step}:\n{screen}"
        );
    }
    // Problem 4: no readiness probe, a warning at pods.
    assert!(
        rows.iter().any(|(s, step, _)| s == "!" && step == "pods"),
        "no warning at pods:\n{screen}"
    );
    // Referenced-but-missing Services are marked.
    assert!(
        rows.iter().any(|(_, _, row)| row.contains("missing")),
        "{screen}"
    );
    // Worst first: every ✗ row above every ✓ row.
    let last_fail = rows.iter().rposition(|(s, _, _)| s == "✗");
    let first_pass = rows.iter().position(|(s, _, _)| s == "✓");
    if let (Some(f), Some(p)) = (last_fail, first_pass) {
        assert!(f < p, "{screen}");
    }
}

#[test]
#[ignore = "needs `svc-doctor demo` (issue 4, wired by the lead)"]
fn the_problem_2_service_shows_ports_highlighted_and_a_target_port_fix() {
    let Some(tmux) = start(120, 40) else { return };
    let rows = list_rows(&tmux.screen());
    let index = rows
        .iter()
        .position(|(s, step, _)| s == "✗" && step == "ports")
        .expect("a Service failing at ports");
    for _ in 0..index {
        tmux.keys(&["j"]);
    }
    let screen = tmux.wait_text("ports · fail · first failing step");
    // The tree's selected step and the detail's fix.
    assert!(screen.contains("▼ ✗ ports"), "{screen}");
    assert!(screen.contains("targetPort"), "{screen}");
    assert!(screen.contains("  1 kubectl"), "{screen}");
}

#[test]
#[ignore = "needs `svc-doctor demo` (issue 4, wired by the lead)"]
fn question_mark_opens_help_and_esc_closes_it() {
    let Some(tmux) = start(120, 40) else { return };
    tmux.keys(&["?"]);
    let screen = tmux.wait_text("Keys (Esc closes)");
    assert!(screen.contains("copy the selected fix command"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("help to close", |s| !s.contains("Keys (Esc closes)"));
}

#[test]
#[ignore = "needs `svc-doctor demo` (issue 4, wired by the lead)"]
fn q_leaves_a_clean_shell() {
    let Some(tmux) = start(120, 40) else { return };
    tmux.keys(&["q"]);
    let screen = tmux.wait_text("EXIT=0");
    // Back on the normal screen: nothing of the dashboard is left.
    assert!(!screen.contains("Services "), "{screen}");
    assert!(!screen.contains("Decision tree"), "{screen}");
    // The terminal is out of raw mode.
    let screen = tmux.wait_text("TTY=");
    assert!(screen.contains("TTY=icanon echo"), "{screen}");
}

#[test]
#[ignore = "needs `svc-doctor demo` (issue 4, wired by the lead)"]
fn sigterm_restores_the_terminal() {
    let Some(tmux) = start(120, 40) else { return };
    let pid = tmux.tmux(&["list-panes", "-t", "t", "-F", "#{pane_pid}"]);
    // The pane runs `sh -c`; the dashboard is its child.
    let children = std::process::Command::new("pgrep")
        .args(["-P", pid.trim()])
        .output()
        .expect("pgrep");
    let child = String::from_utf8_lossy(&children.stdout)
        .lines()
        .next()
        .expect("the dashboard's pid")
        .to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child])
        .status()
        .expect("kill");
    assert!(status.success());
    tmux.wait_text("EXIT=143");
    let screen = tmux.wait_text("TTY=");
    assert!(!screen.contains("Decision tree"), "{screen}");
    assert!(screen.contains("TTY=icanon echo"), "{screen}");
}

#[test]
#[ignore = "needs `svc-doctor demo` (issue 4, wired by the lead)"]
fn eighty_by_twenty_four_and_sixty_by_twenty_fit() {
    for (w, h) in [(80, 24), (60, 20)] {
        let Some(tmux) = start(w, h) else { return };
        let screen = tmux.screen();
        assert!(screen.contains("Decision tree"), "{w}×{h}:\n{screen}");
        assert!(screen.contains("Detail"), "{w}×{h}:\n{screen}");
        assert!(screen.lines().all(|l| l.chars().count() <= w as usize));
        tmux.keys(&["q"]);
        tmux.wait_text("EXIT=0");
    }
}
