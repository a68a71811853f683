//! Stripping objects as they arrive (`cluster::fetch::Strip`: managedFields,
//! annotations, pod volumes outside kube-system) never changes
//! a diagnosis: every
//! engine fixture, both demo clusters and a synthetic cluster give the same
//! report before and after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use k8s_openapi::jiff::Timestamp;
use svc_doctor::cluster::fetch::strip_snapshot;
use svc_doctor::diagnose::{Options, diagnose};
use svc_doctor::sandbox::synthetic::{self, Params};
use svc_doctor::snapshot::manifests::from_yaml;
use svc_doctor::snapshot::{Scope, Snapshot};

fn now() -> Timestamp {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

/// Diagnose `snap` as loaded and stripped; they must agree. Returns how many
/// Services were compared.
#[track_caller]
fn assert_strip_keeps_diagnosis(snap: Snapshot, what: &str) -> usize {
    let before = diagnose(&snap, now(), &Options::default());
    // Shares every object with `snap`: stripping copies what it changes.
    let mut stripped = snap.clone();
    strip_snapshot(&mut stripped);
    let after = diagnose(&stripped, now(), &Options::default());
    assert!(
        before == after,
        "stripping changed the diagnosis of {what}:\n{}",
        first_difference(&before, &after)
    );
    before.services.len()
}

fn first_difference(
    a: &svc_doctor::diagnose::report::Report,
    b: &svc_doctor::diagnose::report::Report,
) -> String {
    for (x, y) in a.services.iter().zip(&b.services) {
        if x != y {
            return format!(
                "{}/{}:\n  loaded   {:?}\n  stripped {:?}",
                x.namespace, x.name, x.steps, y.steps
            );
        }
    }
    format!(
        "{} vs {} Services, or references/cluster differ",
        a.services.len(),
        b.services.len()
    )
}

fn yaml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(yaml_files(&path));
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn engine_fixtures_diagnose_the_same_stripped() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/engine");
    let base = std::fs::read_to_string(root.join("base.yaml")).unwrap();
    let mut compared = 0;
    for file in yaml_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        let with_base = format!("{base}\n---\n{text}");
        let snap = from_yaml(&with_base, "fixture", Scope::All)
            .or_else(|_| from_yaml(&text, "fixture", Scope::All));
        if let Ok(snap) = snap {
            compared += assert_strip_keeps_diagnosis(snap, &file.display().to_string());
        }
    }
    assert!(compared > 100, "only {compared} Services compared");
}

#[test]
fn demo_clusters_diagnose_the_same_stripped() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sandbox/demo");
    for cluster in ["main", "dns-outage"] {
        let texts: Vec<String> = yaml_files(&root.join(cluster))
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        let snap = from_yaml(&texts.join("\n---\n"), cluster, Scope::All).unwrap();
        let n = assert_strip_keeps_diagnosis(snap, cluster);
        assert!(n >= 3, "{cluster}: {n} Services");
    }
}

#[test]
fn a_synthetic_cluster_diagnoses_the_same_stripped() {
    let mut params = Params::new(300, 1500);
    params.seed = 3;
    let snap = synthetic::snapshot(&params, now()).unwrap();
    let n = assert_strip_keeps_diagnosis(snap, "synthetic");
    assert!(n >= 300);
}

/// Near miss: the DNS Deployment mounts its Corefile from a ConfigMap that is
/// not `coredns`, with another cluster domain. Only the template's volume
/// says so: a strip that dropped volumes in kube-system would lose it.
#[test]
fn a_corefile_in_a_custom_configmap_survives_stripping() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/engine");
    let base = std::fs::read_to_string(root.join("base.yaml")).unwrap();
    let custom = base
        .replacen(
            "metadata: {name: coredns, namespace: kube-system}\ndata:",
            "metadata: {name: coredns-custom, namespace: kube-system}\ndata:",
            1,
        )
        .replace("kubernetes cluster.local in-addr.arpa", "kubernetes corp.example in-addr.arpa")
        .replacen(
            "      tolerations:\n",
            "      volumes:\n      - name: config-volume\n        configMap: {name: coredns-custom, items: [{key: Corefile, path: Corefile}]}\n      tolerations:\n",
            1,
        );
    assert_ne!(custom, base);
    let snap = from_yaml(&custom, "fixture", Scope::All).unwrap();
    let report = diagnose(&snap, now(), &Options::default());
    let cluster = serde_json::to_string(&report.cluster).unwrap();
    assert!(
        cluster.contains("corp.example"),
        "the custom Corefile is read: {cluster}"
    );
    assert_strip_keeps_diagnosis(snap, "a custom Corefile ConfigMap");
}
