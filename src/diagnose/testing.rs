//! Helpers for the engine's table tests: the healthy base cluster every
//! fixture adds to, load a fixture cluster, diagnose it at a fixed time, and
//! pick out one Service's step.
#![allow(dead_code)] // each step module uses a different subset

use k8s_openapi::jiff::Timestamp;

use super::report::{Finding, Report, ServiceReport, Severity, Status, StepId, StepReport};
use super::{Options, diagnose};
use crate::snapshot::{Scope, Snapshot, manifests};

/// The fixed "now" of every engine test: fixtures date their objects before it.
pub const NOW: &str = "2026-11-26T12:00:00Z";

pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// The healthy base cluster (tests/fixtures/engine/base.yaml).
pub const BASE: &str = include_str!("../../tests/fixtures/engine/base.yaml");

/// The base cluster without the documents of the given `(kind, name)` pairs,
/// so a fixture can replace them.
pub fn base_without(drop: &[(&str, &str)]) -> String {
    BASE.split("\n---\n")
        .filter(|doc| {
            !drop.iter().any(|(kind, name)| {
                doc.contains(&format!("kind: {kind}\n"))
                    && [",", "\n", "}"]
                        .iter()
                        .any(|end| doc.contains(&format!("name: {name}{end}")))
            })
        })
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// Parse fixture YAML (one or more texts, concatenated as documents).
pub fn snapshot(texts: &[&str]) -> Snapshot {
    let joined = texts.join("\n---\n");
    manifests::from_yaml(&joined, "fixture", Scope::All).unwrap_or_else(|e| panic!("fixture: {e}"))
}

/// Diagnose fixture YAML at [`NOW`], all namespaces.
pub fn run(texts: &[&str]) -> Report {
    diagnose(&snapshot(texts), now(), &Options::default())
}

pub fn service<'r>(report: &'r Report, namespace: &str, name: &str) -> &'r ServiceReport {
    report
        .services
        .iter()
        .find(|s| s.namespace == namespace && s.name == name)
        .unwrap_or_else(|| panic!("no service {namespace}/{name} in report: {report:#?}"))
}

pub fn step<'r>(report: &'r Report, namespace: &str, name: &str, id: StepId) -> &'r StepReport {
    service(report, namespace, name)
        .step(id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// The `(check, severity)` pairs of a step, in order.
pub fn checks(step: &StepReport) -> Vec<(&'static str, Severity)> {
    step.findings
        .iter()
        .map(|f| (f.check, f.severity))
        .collect()
}

/// Whether the step has a finding of `check` with `severity`.
pub fn has(step: &StepReport, check: &str, severity: Severity) -> bool {
    step.findings
        .iter()
        .any(|f| f.check == check && f.severity == severity)
}

/// Assert a step's status, printing the step on failure.
#[track_caller]
pub fn assert_status(step: &StepReport, status: Status) {
    assert_eq!(step.status, status, "step {}: {step:#?}", step.id);
}

/// The first finding of `check` in a step (panics, printing the step, when none).
#[track_caller]
pub fn finding<'s>(step: &'s StepReport, check: &str) -> &'s Finding {
    step.findings
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| panic!("no {check} in {step:#?}"))
}

#[test]
fn base_without_drops_whole_documents() {
    let text = base_without(&[("Service", "kube-dns"), ("Node", "node-1")]);
    assert!(!text.contains("clusterIP: 10.96.0.10"));
    assert!(!text.contains("podCIDR"));
    assert!(text.contains("name: coredns-5d78c9869d-aaaaa"));
    assert_eq!(
        text.split("\n---\n").count() + 2,
        BASE.split("\n---\n").count()
    );
}
