//! The real binary in tmux on `svc-doctor demo`: what the list shows, the
//! problem-2 Service's tree and fix, help, and a clean exit.
//!
//! What the screen must show comes from the demo's own annotations
//! (`demo.svc-doctor.dev/problem` and `…/expect` on each Service), read with
//! kubectl from a separate `sandbox --demo`: an independent oracle.
//! `SVC_DOCTOR_TUI_BIN=path` runs another build.
//! Skips with a notice when tmux is missing, except under `CI`.

// Test helpers may panic: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
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

/// The guide's problems in the demo: (problem number, namespace, name, expect).
fn guide_problems() -> Vec<(String, String, String, String)> {
    let sandbox = support::Sandbox::start(&["--demo"]);
    let out = sandbox.kubectl(&["get", "services", "-A", "-o", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut problems: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|svc| {
            let ann = &svc["metadata"]["annotations"];
            let problem = ann["demo.svc-doctor.dev/problem"].as_str()?;
            let number = problem.split(':').next()?.to_string();
            number.parse::<u32>().ok()?;
            Some((
                number,
                svc["metadata"]["namespace"].as_str()?.to_string(),
                svc["metadata"]["name"].as_str()?.to_string(),
                ann["demo.svc-doctor.dev/expect"].as_str()?.to_string(),
            ))
        })
        .collect();
    problems.sort();
    assert!(
        problems.len() >= 5,
        "the demo annotates the guide's problems: {problems:?}"
    );
    problems
}

/// The list row of `namespace/name` (the list shows them as two columns).
fn row_of<'r>(
    rows: &'r [(String, String, String)],
    namespace: &str,
    name: &str,
) -> Option<&'r (String, String, String)> {
    rows.iter().find(|(_, _, row)| {
        let words: Vec<&str> = row.split_whitespace().collect();
        words.windows(2).any(|w| w[0] == namespace && w[1] == name)
    })
}

#[test]
fn the_list_shows_the_guides_problems_with_their_failing_steps() {
    let Some(tmux) = start(120, 40) else { return };
    let screen = tmux.screen();
    let rows = list_rows(&screen);
    // Each of the guide's problems, on its own row, with the verdict symbol
    // and step its annotation expects (problem 5 lives in the other context).
    for (number, namespace, name, expect) in guide_problems() {
        let (kind, step) = expect.split_once(':').unwrap_or((expect.as_str(), ""));
        let symbol = match kind {
            "fail" => "✗",
            "warn" => "!",
            _ => "✓",
        };
        let row = row_of(&rows, &namespace, &name).unwrap_or_else(|| {
            panic!("problem {number}: {namespace}/{name} not listed:\n{screen}")
        });
        assert_eq!(
            (row.0.as_str(), row.1.as_str()),
            (symbol, step),
            "problem {number}: {namespace}/{name} should show {expect}:\n{screen}"
        );
    }
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
fn the_problem_2_service_shows_ports_highlighted_and_a_target_port_fix() {
    let Some(tmux) = start(120, 40) else { return };
    let problems = guide_problems();
    let (_, namespace, name, _) = problems
        .iter()
        .find(|(number, ..)| number == "2")
        .expect("the demo annotates problem 2");
    let rows = list_rows(&tmux.screen());
    let row = row_of(&rows, namespace, name).expect("problem 2 is listed");
    let index = rows.iter().position(|r| r == row).unwrap();
    for _ in 0..index {
        tmux.keys(&["j"]);
    }
    // The tree's selected step and the detail's fix (a loaded machine may
    // capture the screen between the header and the rest of a frame).
    let screen = tmux.wait_for("the ports step selected, with its fix", |s| {
        s.contains("ports · fail · first failing step")
            && s.contains("▼ ✗ ports")
            && s.contains("  1 kubectl")
    });
    assert!(screen.contains(&format!("{namespace}/{name}")), "{screen}");
    assert!(screen.contains("targetPort"), "{screen}");
}

#[test]
fn question_mark_opens_help_and_esc_closes_it() {
    let Some(tmux) = start(120, 40) else { return };
    tmux.keys(&["?"]);
    let screen = tmux.wait_text("Keys (Esc closes)");
    assert!(screen.contains("copy the selected fix command"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("help to close", |s| !s.contains("Keys (Esc closes)"));
}

#[test]
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

#[test]
fn x_switches_the_context_live() {
    let Some(tmux) = start(120, 40) else { return };
    tmux.keys(&["x"]);
    tmux.wait_text("demo-dns-outage");
    tmux.keys(&["Down", "Enter"]);
    // The other demo cluster: cluster DNS is down, so the banner says so and
    // its Services fail at dns; the scope (all namespaces) is kept.
    let screen = tmux.wait_for("the DNS outage", |s| {
        s.contains("✗ cluster dns")
            && list_rows(s)
                .iter()
                .any(|(sym, step, _)| sym == "✗" && step == "dns")
    });
    assert!(screen.contains("demo-dns-outage"), "{screen}");
    assert!(screen.contains("all namespaces"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_text("EXIT=0");
}
