//! Helpers for the engine's table tests: load a fixture cluster, diagnose it at
//! a fixed time, and pick out one Service's step.
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
