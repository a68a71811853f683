//! Shared by the `tui_*` tests: a fixed report with every kind of Service
//! the dashboard must show, and helpers to drive `update` and read frames.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use svc_doctor::diagnose::report::{
    ClusterStep, Finding, Fix, Report, SCHEMA, ServiceRef, ServiceReport, Status, StepId,
    StepReport,
};
use svc_doctor::snapshot::Scope;
use svc_doctor::tui::state::{Init, State};
use svc_doctor::tui::theme::Theme;
use svc_doctor::tui::view::{self, Widgets};
use svc_doctor::tui::{Msg, update};

pub const SELECTOR_FIX: &str = "kubectl -n default patch service backend-service --type=json -p '[{\"op\":\"replace\",\"path\":\"/spec/selector\",\"value\":{\"app\":\"backend-api\"}}]'";
pub const PORT_FIX_1: &str = "kubectl -n production patch service api -p '{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]}}'";
pub const PORT_FIX_2: &str = "kubectl -n production get pods -l app=api -o wide";
pub const MISSING_FIX: &str = "kubectl -n staging set env deployment/frontend API_URL=http://backend-api-service.production:3000";
pub const DNS_FIX: &str = "kubectl -n kube-system rollout restart deployment/coredns";

fn step(id: StepId, status: Status, summary: &str, findings: Vec<Finding>) -> StepReport {
    StepReport {
        id,
        status,
        summary: summary.to_string(),
        findings,
    }
}

fn pass(id: StepId) -> StepReport {
    step(id, Status::Pass, "ok", Vec::new())
}

fn blocked(id: StepId) -> StepReport {
    step(
        id,
        Status::Blocked,
        "blocked: an earlier step fails",
        Vec::new(),
    )
}

fn fix(summary: &str, commands: &[&str]) -> Fix {
    Fix {
        summary: summary.to_string(),
        commands: commands.iter().map(|c| c.to_string()).collect(),
    }
}

fn service(
    namespace: &str,
    name: &str,
    kind: Option<&str>,
    steps: Vec<StepReport>,
) -> ServiceReport {
    ServiceReport::new(
        namespace.to_string(),
        name.to_string(),
        kind.is_some(),
        kind.map(str::to_string),
        steps,
    )
}

fn dns_failure() -> Finding {
    Finding::error("DNS-002", "kube-system/kube-dns has no ready endpoints")
        .evidence("deployment coredns: 0/2 ready")
        .fix(fix("restart CoreDNS", &[DNS_FIX]))
}

/// A report with: a selector failure (endpoints), a targetPort failure
/// (ports, two commands), a crash loop with two findings of one check, a
/// missing Service, a warning (flapping), an unknown (forbidden), two
/// healthy ones, and a failing cluster DNS.
pub fn report() -> Report {
    use StepId::*;
    let dns_fail = || {
        step(
            Dns,
            Status::Fail,
            "cluster DNS has no ready endpoints",
            vec![dns_failure()],
        )
    };
    let services = vec![
        service(
            "default",
            "backend-service",
            Some("ClusterIP"),
            vec![
                pass(Service),
                step(
                    Endpoints,
                    Status::Fail,
                    "selector app=backend matches no pod",
                    vec![
                        Finding::error("SEL-001", "no pod in default has label app=backend")
                            .evidence(
                                "pod backend-6d4f9c-xk2p9 has app=backend-api (wanted app=backend)",
                            )
                            .fix(fix(
                                "point the selector at the pods' label",
                                &[SELECTOR_FIX],
                            )),
                    ],
                ),
                blocked(Pods),
                blocked(Ports),
                dns_fail(),
                pass(Namespace),
                blocked(Network),
            ],
        ),
        service(
            "default",
            "crashy",
            Some("ClusterIP"),
            vec![
                pass(Service),
                pass(Endpoints),
                step(
                    Pods,
                    Status::Fail,
                    "2 pods crash-looping",
                    vec![
                        Finding::error("POD-001", "pod crashy-1 is in CrashLoopBackOff")
                            .evidence("previous log: connection refused postgres-service:5432")
                            .fix(fix(
                                "look at the logs",
                                &["kubectl -n default logs crashy-1 --previous"],
                            )),
                        Finding::error("POD-001", "pod crashy-2 is in CrashLoopBackOff").fix(fix(
                            "look at the logs",
                            &["kubectl -n default logs crashy-2 --previous"],
                        )),
                    ],
                ),
                pass(Ports),
                dns_fail(),
                pass(Namespace),
                pass(Network),
            ],
        ),
        service(
            "default",
            "flaky",
            Some("ClusterIP"),
            vec![
                pass(Service),
                pass(Endpoints),
                step(
                    Pods,
                    Status::Warn,
                    "an endpoint flipped ready 4 times in 5 minutes",
                    vec![Finding::warning(
                        "RDY-003",
                        "endpoint 10.0.0.7 flipped ready 4 times in 5 minutes",
                    )],
                ),
                pass(Ports),
                pass(Dns),
                pass(Namespace),
                pass(Network),
            ],
        ),
        service(
            "default",
            "web",
            Some("NodePort"),
            StepId::ALL.iter().map(|id| pass(*id)).collect(),
        ),
        service(
            "production",
            "api",
            Some("ClusterIP"),
            vec![
                pass(Service),
                pass(Endpoints),
                pass(Pods),
                step(
                    Ports,
                    Status::Fail,
                    "targetPort 80 is not served by any container (they declare 8080)",
                    vec![
                        Finding::error(
                            "PORT-001",
                            "targetPort 80: containers of app=api declare 8080/TCP",
                        )
                        .evidence("pod api-7c9d-2xk: container api declares 8080/TCP")
                        .fix(fix("point targetPort at 8080", &[PORT_FIX_1, PORT_FIX_2])),
                    ],
                ),
                pass(Dns),
                pass(Namespace),
                pass(Network),
            ],
        ),
        service(
            "production",
            "cache",
            Some("ClusterIP"),
            StepId::ALL.iter().map(|id| pass(*id)).collect(),
        ),
        service(
            "staging",
            "backend-api-service",
            None,
            vec![
                step(
                    Service,
                    Status::Fail,
                    "backend-api-service does not exist in staging; it exists in production",
                    vec![
                        Finding::error("SVC-001", "backend-api-service does not exist in staging")
                            .evidence("exists in: production")
                            .fix(fix("use the namespaced name", &[MISSING_FIX])),
                    ],
                ),
                blocked(Endpoints),
                blocked(Pods),
                blocked(Ports),
                blocked(Dns),
                blocked(Namespace),
                blocked(Network),
            ],
        ),
        service(
            "team-a",
            "secret",
            Some("ClusterIP"),
            vec![
                pass(Service),
                pass(Endpoints),
                pass(Pods),
                pass(Ports),
                pass(Dns),
                pass(Namespace),
                step(
                    Network,
                    Status::Unknown,
                    "cannot list networkpolicies in team-a",
                    vec![Finding {
                        not_evaluated: true,
                        ..Finding::warning("NP-001", "cannot list networkpolicies in team-a (403)")
                    }],
                ),
            ],
        ),
    ];
    Report {
        schema: SCHEMA,
        context: "kind-dev".to_string(),
        generated_at: "2026-01-01T12:00:00Z".to_string(),
        cluster: vec![ClusterStep {
            step: Dns,
            status: Status::Fail,
            summary: "cluster DNS has no ready endpoints".to_string(),
            findings: vec![dns_failure()],
        }],
        services: services.into_iter().map(std::sync::Arc::new).collect(),
        references: Vec::new(),
    }
}

pub fn at() -> Timestamp {
    "2026-01-01T14:03:12Z".parse().unwrap()
}

pub fn report_msg(report: Report) -> Msg {
    Msg::Report {
        report: Box::new(report),
        computed_at: at(),
    }
}

pub fn svc(namespace: &str, name: &str) -> ServiceRef {
    ServiceRef::new(namespace, name)
}

/// A state with the fixture report, on a `width`×`height` screen.
pub fn state_with(theme: Theme, width: u16, height: u16) -> State {
    let mut init = Init::new("kind-dev", Scope::All);
    init.theme = theme;
    init.now = Instant::now();
    let mut state = State::new(init);
    update(&mut state, Msg::Resize { width, height });
    update(
        &mut state,
        Msg::Connection(svc_doctor::tui::Connection::Live),
    );
    update(&mut state, report_msg(report()));
    state
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Draw `state` on a `width`×`height` test terminal.
pub fn render(state: &State, widgets: &mut Widgets, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| view::draw(frame, state, widgets))
        .unwrap();
    terminal.backend().buffer().clone()
}

/// The buffer's text, one line per row (trailing spaces kept).
pub fn lines(buffer: &Buffer) -> Vec<String> {
    let area = buffer.area;
    (0..area.height)
        .map(|y| {
            let mut line = String::new();
            for x in 0..area.width {
                line.push_str(buffer[(x, y)].symbol());
            }
            line
        })
        .collect()
}

pub fn text(buffer: &Buffer) -> String {
    lines(buffer).join("\n")
}

/// Where `needle` first appears: (x, y) in cells.
pub fn find(buffer: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let area = buffer.area;
    for y in 0..area.height {
        // Map each cell to its symbol; wide characters take one cell plus a blank.
        let cells: Vec<&str> = (0..area.width).map(|x| buffer[(x, y)].symbol()).collect();
        for start in 0..cells.len() {
            let mut joined = String::new();
            for cell in &cells[start..] {
                joined.push_str(cell);
                if joined.len() >= needle.len() {
                    break;
                }
            }
            if joined.starts_with(needle) {
                return Some((start as u16, y));
            }
        }
    }
    None
}
