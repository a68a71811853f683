//! The incremental engine gives exactly the report a full diagnosis gives:
//! random single-object changes (pods relabelled, crashing, turning ready or
//! not, deleted, added, given a hostname; slices and events changing; CoreDNS
//! failing) on a synthetic cluster, each followed by a comparison with
//! `diagnose` of the same snapshot at the same time.

// Test helpers may panic: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use k8s_openapi::api::core::v1::ContainerStateWaiting;
use k8s_openapi::jiff::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use svc_doctor::diagnose::incremental::{Change, Incremental};
use svc_doctor::diagnose::report::{Report, Status};
use svc_doctor::diagnose::{Options, diagnose};
use svc_doctor::model::{ContainerState, EndpointSlice, Event, Pod};
use svc_doctor::sandbox::synthetic::{self, Params, set_ready};
use svc_doctor::snapshot::{Scope, Snapshot, manifests};

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn snapshot(params: &Params) -> Snapshot {
    synthetic::snapshot(params, now()).unwrap()
}

/// Panic with the Services whose reports differ, not a 10,000-line diff.
#[track_caller]
fn assert_same(incremental: &Report, full: &Report, what: &str) {
    if incremental == full {
        return;
    }
    let mut diffs = Vec::new();
    for s in &full.services {
        match incremental
            .services
            .iter()
            .find(|i| i.namespace == s.namespace && i.name == s.name)
        {
            None => diffs.push(format!(
                "{}/{} missing from the incremental report",
                s.namespace, s.name
            )),
            Some(i) if i != s => diffs.push(format!(
                "{}/{} differs:\n  incremental {:?}\n  full        {:?}",
                s.namespace, s.name, i.steps, s.steps
            )),
            Some(_) => {}
        }
    }
    for i in &incremental.services {
        if !full
            .services
            .iter()
            .any(|s| s.namespace == i.namespace && s.name == i.name)
        {
            diffs.push(format!(
                "{}/{} only in the incremental report",
                i.namespace, i.name
            ));
        }
    }
    if incremental.references != full.references {
        diffs.push(format!(
            "references differ ({} incremental, {} full)",
            incremental.references.len(),
            full.references.len()
        ));
    }
    if incremental.cluster != full.cluster {
        diffs.push("cluster section differs".into());
    }
    panic!("after {what}:\n{}", diffs.join("\n"));
}

fn key(pod: &Pod) -> (String, String) {
    (
        pod.metadata
            .namespace
            .as_deref()
            .unwrap_or_default()
            .to_string(),
        pod.metadata.name.as_deref().unwrap_or_default().to_string(),
    )
}

/// Namespaces with a Service whose selector matches no pod there (SEL-001):
/// pod changes there move its near misses.
fn namespaces_with_mismatch(snap: &Snapshot) -> Vec<String> {
    snap.services
        .iter()
        .filter_map(|s| {
            let ns = s.metadata.namespace.as_deref()?;
            let selector = s.spec.as_ref()?.selector.as_deref()?;
            let matched = snap.pods.iter().any(|p| {
                p.metadata.namespace.as_deref() == Some(ns)
                    && selector
                        .iter()
                        .all(|(k, v)| p.metadata.label(k) == Some(v.as_str()))
            });
            (!selector.is_empty() && !matched).then(|| ns.to_string())
        })
        .collect()
}

/// A random change to a random pod (half the time in one of the `tricky`
/// namespaces, where a selector matches nothing); returns what it did, for
/// messages.
fn mutate_pod(rng: &mut StdRng, snap: &Snapshot, tricky: &[String]) -> (Change, String) {
    let pods = &snap.pods;
    let candidates: Vec<&Arc<Pod>> = if !tricky.is_empty() && rng.random_bool(0.5) {
        let ns = &tricky[rng.random_range(0..tricky.len())];
        pods.iter()
            .filter(|p| p.metadata.namespace.as_deref() == Some(ns.as_str()))
            .collect()
    } else {
        pods.iter().collect()
    };
    let old = candidates[rng.random_range(0..candidates.len())];
    let (namespace, name) = key(old);
    let mut pod: Pod = (**old).clone();
    let what = match rng.random_range(0..9) {
        0 => {
            set_ready(&mut pod, false);
            "not ready"
        }
        1 => {
            set_ready(&mut pod, true);
            "ready"
        }
        2 => {
            // Take the app label of another pod (now another Service selects
            // it), or what a selector matching nothing asks for (possibly in
            // another namespace: SEL-001's "matches elsewhere").
            let wanted: Vec<String> = snap
                .services
                .iter()
                .filter(|s| {
                    tricky
                        .iter()
                        .any(|t| Some(t.as_str()) == s.metadata.namespace.as_deref())
                })
                .filter_map(|s| {
                    s.spec
                        .as_ref()?
                        .selector
                        .as_ref()?
                        .get("app")
                        .map(ToString::to_string)
                })
                .filter(|v| v.ends_with("-v2"))
                .collect();
            let app = if !wanted.is_empty() && rng.random_bool(0.5) {
                wanted[rng.random_range(0..wanted.len())].clone()
            } else {
                let other = &pods[rng.random_range(0..pods.len())];
                other
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("app"))
                    .map_or_else(|| "nothing".to_string(), ToString::to_string)
            };
            pod.metadata
                .labels
                .get_or_insert_default()
                .insert("app", app);
            "relabelled"
        }
        3 => {
            let labels = pod.metadata.labels.get_or_insert_default();
            if let Some(v) = labels.remove("app") {
                labels.insert("App", v);
            }
            "label key in another case"
        }
        4 => {
            set_ready(&mut pod, false);
            let status = pod.status.get_or_insert_default();
            for cs in status.container_statuses.iter_mut().flatten().take(1) {
                cs.restart_count += 7;
                cs.state = Some(ContainerState {
                    waiting: Some(Box::new(ContainerStateWaiting {
                        reason: Some("CrashLoopBackOff".into()),
                        message: Some("back-off 5m0s restarting failed container".into()),
                    })),
                    ..ContainerState::default()
                });
            }
            "crash-looping"
        }
        5 => {
            return (
                Change::Pod {
                    namespace,
                    name,
                    object: None,
                },
                "deleted".into(),
            );
        }
        6 => {
            let copy = format!("{name}-copy{}", rng.random_range(0..1000));
            pod.metadata.name = Some(copy.as_str().into());
            pod.metadata.uid = Some(format!("uid-{copy}").into());
            return (
                Change::Pod {
                    namespace,
                    name: copy,
                    object: Some(Arc::new(pod)),
                },
                format!("added a copy of {name}"),
            );
        }
        7 => {
            let spec = pod.spec.get_or_insert_default();
            // Its DNS name becomes `<pod name>.api`, as a StatefulSet's
            // pods are named.
            spec.change_run(|run| {
                run.hostname = Some(name.as_str().into());
                run.subdomain = Some("api".into());
            });
            "given a hostname"
        }
        _ => {
            pod.status.get_or_insert_default().phase = Some("Succeeded".into());
            "completed"
        }
    };
    (
        Change::Pod {
            namespace: namespace.clone(),
            name: name.clone(),
            object: Some(Arc::new(pod)),
        },
        format!("pod {namespace}/{name} {what}"),
    )
}

fn mutate_slice(rng: &mut StdRng, snap: &Snapshot) -> (Change, String) {
    let slices = &snap.endpoint_slices;
    let old = &slices[rng.random_range(0..slices.len())];
    let namespace = old.metadata.namespace.clone().unwrap_or_default();
    let name = old.metadata.name.clone().unwrap_or_default();
    let mut slice: EndpointSlice = (**old).clone();
    let what = if rng.random_bool(0.5) {
        for ep in slice.endpoints.iter_mut().take(1) {
            let c = ep.conditions.get_or_insert_default();
            c.ready = Some(!c.ready.unwrap_or(true));
        }
        "first endpoint flipped"
    } else {
        slice
            .metadata
            .labels
            .get_or_insert_default()
            .insert("kubernetes.io/service-name", "api");
        "relabelled"
    };
    (
        Change::EndpointSlice {
            namespace: namespace.to_string(),
            name: name.to_string(),
            object: Some(Arc::new(slice)),
        },
        format!("slice {namespace}/{name} {what}"),
    )
}

fn mutate_event(rng: &mut StdRng, snap: &Snapshot) -> (Change, String) {
    // A new warning about a random pod or Service.
    let (kind, meta) = if rng.random_bool(0.5) {
        let p = &snap.pods[rng.random_range(0..snap.pods.len())];
        ("Pod", p.metadata.clone())
    } else {
        let s = &snap.services[rng.random_range(0..snap.services.len())];
        ("Service", s.metadata.clone())
    };
    let namespace = meta.namespace.clone().unwrap_or_default();
    let name = format!("ev-{}", rng.random_range(0..1_000_000));
    let event: Event = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {"kind": kind, "name": meta.name, "namespace": namespace, "uid": meta.uid},
        "type": "Warning",
        "reason": if kind == "Pod" { "Unhealthy" } else { "SyncLoadBalancerFailed" },
        "message": "Readiness probe failed: HTTP probe failed with statuscode: 503",
        "count": 4,
        "lastTimestamp": "2026-03-01T11:58:00Z",
        "firstTimestamp": "2026-03-01T11:50:00Z",
    }))
    .unwrap();
    (
        Change::Event {
            namespace: namespace.to_string(),
            name: name.clone(),
            object: Some(Arc::new(event)),
        },
        format!("new {kind} event {namespace}/{name}"),
    )
}

#[test]
fn random_single_changes_give_the_full_diagnosis() {
    let mut params = Params::new(120, 500);
    params.seed = 2;
    let mut engine = Incremental::new(snapshot(&params), now());
    // Found once, as generated: the cluster the changes start from.
    let tricky = namespaces_with_mismatch(engine.snapshot());
    assert!(
        tricky.len() >= 2,
        "the seed gives {} SEL-001 Services",
        tricky.len()
    );
    assert_same(
        engine.report(),
        &diagnose(engine.snapshot(), now(), &Options::default()),
        "the start",
    );
    let mut rng = StdRng::seed_from_u64(11);
    let mut everything = 0;
    for step in 0..200 {
        let (change, what) = match rng.random_range(0..10) {
            0..7 => mutate_pod(&mut rng, engine.snapshot(), &tricky),
            7 | 8 => mutate_slice(&mut rng, engine.snapshot()),
            _ => mutate_event(&mut rng, engine.snapshot()),
        };
        let applied = engine.apply(&[change], now());
        everything += usize::from(applied.everything);
        let full = diagnose(engine.snapshot(), now(), &Options::default());
        assert_same(engine.report(), &full, &format!("change {step}: {what}"));
    }
    // Most changes stay incremental.
    assert!(
        everything < 40,
        "{everything} of 200 changes walked everything"
    );
}

#[test]
fn coredns_failing_is_seen_by_every_service() {
    let params = Params::new(20, 100);
    let mut engine = Incremental::new(snapshot(&params), now());
    let coredns: Vec<Arc<Pod>> = engine
        .snapshot()
        .pods
        .iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some("kube-system"))
        .filter(|p| {
            p.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("coredns"))
        })
        .cloned()
        .collect();
    assert_eq!(coredns.len(), 2);
    let changes: Vec<Change> = coredns
        .iter()
        .map(|p| {
            let mut pod = (**p).clone();
            set_ready(&mut pod, false);
            let (namespace, name) = key(&pod);
            Change::Pod {
                namespace,
                name,
                object: Some(Arc::new(pod)),
            }
        })
        .collect();
    let applied = engine.apply(&changes, now());
    assert!(applied.everything);
    let full = diagnose(engine.snapshot(), now(), &Options::default());
    assert_same(engine.report(), &full, "CoreDNS not ready");
}

#[test]
fn a_pod_change_walks_only_the_services_it_concerns() {
    let params = Params::new(100, 500);
    let mut engine = Incremental::new(snapshot(&params), now());
    let pod = engine
        .snapshot()
        .pods
        .iter()
        .find(|p| {
            p.metadata.namespace.as_deref() != Some("kube-system")
                && p.metadata
                    .labels
                    .as_ref()
                    .is_some_and(|l| l.contains_key("app"))
        })
        .cloned()
        .unwrap();
    let mut changed = (*pod).clone();
    set_ready(&mut changed, false);
    let (namespace, name) = key(&changed);
    let applied = engine.apply(
        &[Change::Pod {
            namespace,
            name,
            object: Some(Arc::new(changed)),
        }],
        now(),
    );
    assert!(!applied.everything);
    assert!(applied.walked <= 12, "{applied:?}");
    assert_eq!(applied.namespaces, 1);
    let full = diagnose(engine.snapshot(), now(), &Options::default());
    assert_same(engine.report(), &full, "one pod not ready");
}

/// A walk of everything an hour later (the dashboard's refresh): the report
/// is the full diagnosis at that time, a Service or reference that came out
/// the same is the very one the engine held (shared, not a second copy), and
/// one whose report changed with the time is new, not the stale one kept.
#[test]
fn a_refresh_keeps_what_did_not_change() {
    let params = Params::new(100, 500);
    let mut engine = Incremental::new(snapshot(&params), now());
    let before = engine.report().clone();
    let later = now() + jiff::SignedDuration::from_hours(1);
    engine.refresh(None, later);
    let full = diagnose(engine.snapshot(), later, &Options::default());
    assert_same(engine.report(), &full, "an hour later");

    let (mut kept, mut changed) = (0, 0);
    for s in &engine.report().services {
        let old = before
            .services
            .iter()
            .find(|o| o.namespace == s.namespace && o.name == s.name)
            .unwrap();
        if old == s {
            assert!(Arc::ptr_eq(old, s), "{}/{} copied", s.namespace, s.name);
            kept += 1;
        } else {
            changed += 1;
        }
    }
    assert!(kept > 50, "{kept} Services kept");
    assert!(
        changed > 0,
        "no Service changed with the time: the test shows nothing"
    );
    let shared = engine
        .report()
        .references
        .iter()
        .filter(|r| before.references.iter().any(|o| Arc::ptr_eq(o, r)))
        .count();
    assert!(
        shared > 0 && shared == before.references.len(),
        "{shared} of {} references shared",
        before.references.len()
    );
}

/// The engine's base cluster and its pods named behind headless Service
/// `data/kafka` (`tests/fixtures/engine/namespace/hostnames.yaml`), plus a
/// namespace `kafka`: `zk-0.kafka` from `data` could then name a Service
/// `zk-0` there, which does not exist.
fn hostnames_cluster() -> Incremental {
    let text = [
        include_str!("fixtures/engine/base.yaml"),
        include_str!("fixtures/engine/namespace/hostnames.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: kafka}\n",
    ]
    .join("\n---\n");
    let snap = manifests::from_yaml(&text, "fixture", Scope::All).unwrap();
    Incremental::new(snap, now())
}

/// The status of the reference from `source` in `report`.
fn reference_status(report: &Report, source: &str) -> Status {
    report
        .references
        .iter()
        .find(|r| r.from.source == source)
        .unwrap_or_else(|| panic!("no reference from {source}"))
        .status
}

/// Apply `change` to [`hostnames_cluster`]: `zk-0.kafka`, which failed,
/// resolves, and the report is the full diagnosis's.
fn zk_host_resolves_after(mut engine: Incremental, change: Change, what: &str) {
    engine.apply(&[change], now());
    assert_eq!(
        reference_status(engine.report(), "env ZK_HOST"),
        Status::Pass,
        "{what}"
    );
    let full = diagnose(engine.snapshot(), now(), &Options::default());
    assert_same(engine.report(), &full, what);
}

/// A pod given a hostname behind a headless Service: the clients of its
/// namespace that name it now resolve, as a full diagnosis says.
#[test]
fn a_pod_given_a_hostname_is_resolved_by_name() {
    let engine = hostnames_cluster();
    assert_eq!(
        reference_status(engine.report(), "env ZK_HOST"),
        Status::Fail
    );
    let pod = engine
        .snapshot()
        .pods
        .iter()
        .find(|p| key(p) == ("data".to_string(), "zk-0".to_string()))
        .cloned()
        .unwrap();
    let mut named = (*pod).clone();
    named
        .spec
        .get_or_insert_default()
        .change_run(|run| run.hostname = Some("zk-0".into()));
    let change = Change::Pod {
        namespace: "data".into(),
        name: "zk-0".into(),
        object: Some(Arc::new(named)),
    };
    zk_host_resolves_after(engine, change, "zk-0 given a hostname");
}

/// A slice that lists a hostname for the first time: the clients of its
/// namespace that named it, and found it nowhere (a Service `zk-0` in
/// namespace `kafka`), now resolve it behind the headless Service.
#[test]
fn a_slice_listing_a_hostname_is_resolved_by_name() {
    let engine = hostnames_cluster();
    let before = engine.report();
    assert_eq!(reference_status(before, "env ZK_HOST"), Status::Fail);
    assert!(
        before
            .services
            .iter()
            .any(|s| (s.namespace.as_str(), s.name.as_str()) == ("kafka", "zk-0") && !s.exists),
        "zk-0.kafka first names a missing Service kafka/zk-0"
    );
    let slice: EndpointSlice = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "kafka-x1", "namespace": "data",
                     "labels": {"kubernetes.io/service-name": "kafka"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.244.3.12"], "hostname": "zk-0",
                       "conditions": {"ready": true}}],
        "ports": [{"port": 9092, "protocol": "TCP"}]
    }))
    .unwrap();
    let change = Change::EndpointSlice {
        namespace: "data".into(),
        name: "kafka-x1".into(),
        object: Some(Arc::new(slice)),
    };
    zk_host_resolves_after(engine, change, "a slice lists hostname zk-0");
}
