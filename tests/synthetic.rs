//! The synthetic cluster (`sandbox --synthetic`) is what it says: every
//! object deserialises into the engine's type, and the engine finds in
//! each application Service exactly what its `synthetic.svc-doctor.dev/expect`
//! annotation says — so that benchmarks diagnose a realistic mix, about nine
//! in ten Services healthy.

// Test helpers may panic: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use svc_doctor::diagnose::report::{Report, Severity, Status};
use svc_doctor::diagnose::{Options, diagnose};
use svc_doctor::sandbox::synthetic::{self, EXPECT_ANNOTATION, MISSING_ANNOTATION, Params};
use svc_doctor::snapshot::Snapshot;

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn snapshot(params: &Params) -> Snapshot {
    synthetic::snapshot(params, now()).unwrap()
}

/// `(namespace, name, annotation value)` of every generated object of `kind`
/// that carries `annotation` (read from the generated JSON: the engine's
/// types keep no annotations).
fn annotated(params: &Params, kind: &str, annotation: &str) -> Vec<(String, String, String)> {
    synthetic::generate(params, now())
        .objects
        .iter()
        .filter(|o| o["kind"] == kind)
        .filter_map(|o| {
            let meta = &o["metadata"];
            let value = meta["annotations"][annotation].as_str()?;
            Some((
                meta["namespace"].as_str()?.to_string(),
                meta["name"].as_str()?.to_string(),
                value.to_string(),
            ))
        })
        .collect()
}

/// What the report says of a Service, in the annotation's terms.
fn outcome(report: &Report, ns: &str, name: &str) -> String {
    let s = report
        .services
        .iter()
        .find(|s| s.namespace == ns && s.name == name)
        .unwrap_or_else(|| panic!("{ns}/{name} not in the report"));
    let checks = |status: Status| -> Vec<String> {
        s.steps
            .iter()
            .filter(|st| st.status == status)
            .flat_map(|st| st.findings.iter().map(|f| f.check.to_string()))
            .collect()
    };
    match s.failing_step {
        Some(step) => {
            let step_report = s.steps.iter().find(|st| st.id == step).unwrap();
            let check = step_report
                .findings
                .iter()
                .find(|f| f.severity == Severity::Error)
                .map(|f| f.check.to_string())
                .unwrap_or_default();
            format!("fail:{}:{check}", step.as_str())
        }
        None if s.verdict == Status::Warn => format!("warn:{}", checks(Status::Warn).join(",")),
        None => s.verdict.as_str().to_string(),
    }
}

#[test]
fn every_service_is_diagnosed_as_generated() {
    let mut params = Params::new(200, 1_000);
    params.seed = 42;
    let snap = snapshot(&params);
    let report = diagnose(&snap, now(), &Options::default());
    let mut mismatches = Vec::new();
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for (ns, name, expect) in annotated(&params, "Service", EXPECT_ANNOTATION) {
        let got = outcome(&report, &ns, &name);
        *tally.entry(expect.clone()).or_default() += 1;
        // SEL-004 (a single backend) is the warning a one-replica Service earns.
        let acceptable = got == expect || (expect == "pass" && got == "warn:SEL-004");
        if !acceptable {
            mismatches.push(format!("{ns}/{name}: expected {expect}, got {got}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    let healthy = tally.get("pass").copied().unwrap_or(0);
    let total: usize = tally.values().sum();
    // The applications and the shared otel-collector.
    assert_eq!(total, 200 + 1);
    println!("{tally:?}");
    assert!(
        (160..=195).contains(&healthy),
        "{healthy} healthy of {total}: {tally:?}"
    );
    assert!(tally.len() >= 6, "too few kinds of breakage: {tally:?}");

    // Clients that name a Service existing nowhere make it appear as missing.
    let clients = annotated(&params, "Deployment", MISSING_ANNOTATION);
    assert!(!clients.is_empty(), "no client names a missing Service");
    for (_, _, missing) in clients {
        let (ns, name) = missing.split_once('/').unwrap();
        let entry = report
            .services
            .iter()
            .find(|s| s.namespace == ns && s.name == name)
            .unwrap_or_else(|| panic!("missing Service {missing} not reported"));
        assert!(!entry.exists);
        assert_eq!(entry.failing_step.map(|s| s.as_str()), Some("service"));
    }
    // Cluster DNS is healthy; the drained node is a cluster-level warning.
    let dns_failures: Vec<_> = report
        .cluster
        .iter()
        .filter(|s| s.status == Status::Fail)
        .collect();
    assert!(dns_failures.is_empty(), "{dns_failures:?}");
}
