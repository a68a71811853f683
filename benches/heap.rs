//! Where the memory goes: live heap bytes of a synthetic cluster's snapshot,
//! kind by kind, and of what the engine builds on it (the index, a report,
//! the dashboard's incremental engine). Exact bytes in use, counted by a
//! counting global allocator, so
//! allocator slack and fragmentation are not in these numbers: resident
//! memory is measured by `benches/dashboard.sh`.
//!
//! `cargo bench --bench heap` (L scale; `BENCH_SCALE=services=2000,pods=10000`
//! for another). Prints one line per part: bytes, allocations, bytes per object.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;

use std::collections::HashMap;
use std::sync::Arc;

use svc_doctor::commands::dashboard::ready_counts;
use svc_doctor::diagnose::context::ServiceCtx;
use svc_doctor::diagnose::incremental::{Change, Incremental};
use svc_doctor::diagnose::index::{Index, Tables};
use svc_doctor::diagnose::pod_status::is_ready;
use svc_doctor::diagnose::report::{Status, StepReport};
use svc_doctor::diagnose::{Options, diagnose};
use svc_doctor::diagnose::{by_target, key_of};
use svc_doctor::diagnose::{dns, endpoints, namespace, network, pods, ports, service};
use svc_doctor::model::Pod;
use svc_doctor::sandbox::synthetic::Params;
use svc_doctor::sandbox::synthetic::set_ready;
use svc_doctor::snapshot::Scope;
use svc_doctor::snapshot::Snapshot;
use svc_doctor::snapshot::history::{MAX_SAMPLES, ReadinessHistory};
use svc_doctor::tui::state::{Init, State};
use svc_doctor::tui::view::{Widgets, draw};
use svc_doctor::tui::{Connection, Msg, update};

use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Counts every allocation. The system allocator underneath: live bytes are
/// the sizes asked for, whichever allocator serves them.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// (bytes, allocations) live now.
fn live() -> (isize, isize) {
    let s = GLOBAL.stats();
    (
        s.bytes_allocated as isize - s.bytes_deallocated as isize,
        s.allocations as isize - s.deallocations as isize,
    )
}

fn line(part: &str, objects: usize, before: (isize, isize), after: (isize, isize)) {
    let bytes = (before.0 - after.0).abs();
    let blocks = (before.1 - after.1).abs();
    let per = if objects > 0 {
        format!("{:>8.0} B/object", bytes as f64 / objects as f64)
    } else {
        String::new()
    };
    println!(
        "{part:<28} {objects:>8} objects {:>10.1} MB {blocks:>10} allocations {per}",
        bytes as f64 / 1e6
    );
}

/// Take a part out of every object of a kind and print what it held.
fn part<T>(what: &str, list: &mut [std::sync::Arc<T>], take: impl Fn(&mut T)) {
    let before = live();
    for o in list.iter_mut() {
        if let Some(o) = std::sync::Arc::get_mut(o) {
            take(o);
        }
    }
    line(what, list.len(), before, live());
}

/// Drop one kind of the snapshot and print what it held.
fn drop_kind<T>(part: &str, list: &mut Vec<T>) {
    let n = list.len();
    let before = live();
    drop(std::mem::take(list));
    line(part, n, before, live());
}

fn main() {
    let params: Params = match std::env::var("BENCH_SCALE") {
        Ok(spec) => spec.parse().expect("BENCH_SCALE"),
        Err(_) => support::large(),
    };
    sizes();
    let start = live();
    let mut snap: Snapshot = support::snapshot(&params);
    let loaded = live();
    println!("{params}");
    line("snapshot (stripped)", 0, start, loaded);

    let before = live();
    let tables = Tables::build_to_keep(&snap);
    line("index tables", snap.pods.len(), before, live());
    drop(tables);

    let before = live();
    let made = GLOBAL.stats();
    let mut report = diagnose(&snap, support::now(), &Options::default());
    let made = GLOBAL.stats() - made;
    line("report", report.services.len(), before, live());
    // Every allocation the diagnosis makes, kept or not: a count that does
    // not move with the machine's load, for changes too small for
    // `cargo bench --bench engine` to tell from noise.
    println!(
        "  diagnosis made: {} allocations ({:.1} MB), {} reallocations",
        made.allocations,
        made.bytes_allocated as f64 / 1e6,
        made.reallocations,
    );
    // The same for two of its parts, each made again on its own: where
    // the allocations to take out are.
    let tables_made = {
        let made = GLOBAL.stats();
        Tables::build(&snap).release();
        GLOBAL.stats() - made
    };
    println!(
        "    tables (built and dropped): {} allocations, {} reallocations",
        tables_made.allocations, tables_made.reallocations,
    );
    references_and_walk(&snap);
    let json = serde_json::to_vec(&report).unwrap().len();
    let refs = report.references.len();
    let b2 = live();
    let services = std::mem::take(&mut report.services);
    line("  report: services", services.len(), b2, live());
    drop(services);
    line("  report: services dropped", 0, b2, live());
    let b3 = live();
    drop(report);
    line("  report: references etc", refs, b3, live());
    line("  report: residual after drop", 0, before, live());
    println!("  report as JSON: {:.1} MB", json as f64 / 1e6);

    let before = live();
    let engine = Incremental::new(snap.clone(), support::now());
    line("incremental engine", snap.pods.len(), before, live());
    churn(&snap, engine);

    // The dashboard's own: the readiness history it observes on every tick
    // (a full window of steady observations), and the ready counts of every
    // Service that it hands the UI.
    let before = live();
    let mut history = ReadinessHistory::default();
    for second in 0..MAX_SAMPLES as i64 {
        let at = support::now() + jiff::SignedDuration::from_secs(second);
        history.observe(&snap, at);
    }
    let endpoints: usize = snap.endpoint_slices.iter().map(|s| s.endpoints.len()).sum();
    line("readiness history", endpoints, before, live());
    let before = live();
    let counts = ready_counts(&snap, &history);
    line("  ready counts for the UI", counts.len(), before, live());
    drop(history);

    // The UI's own, beside the engine: its state once it has the report
    // (whose Services it shares) and the ready counts, after one frame at
    // the dashboard bench's 200×50.
    let report = diagnose(&snap, support::now(), &Options::default());
    let before = live();
    let mut state = State::new(Init::new("synthetic", Scope::All));
    update(
        &mut state,
        Msg::Resize {
            width: 200,
            height: 50,
        },
    );
    update(&mut state, Msg::Connection(Connection::Live));
    update(
        &mut state,
        Msg::Report {
            report: Box::new(report.clone()),
            computed_at: support::now(),
        },
    );
    update(&mut state, Msg::Readiness(counts));
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut widgets = Widgets::default();
    terminal.draw(|f| draw(f, &state, &mut widgets)).unwrap();
    line("UI state", report.services.len(), before, live());
    drop((state, terminal, widgets, report));

    // Parts of the kinds that dominate, then what is left of them. Every
    // Arc is unique here (the engine is gone), so parts can be taken out.
    part("  pods: status", &mut snap.pods, |p| drop(p.status.take()));
    part("  pods: spec", &mut snap.pods, |p| drop(p.spec.take()));
    drop_kind("pods (metadata and struct)", &mut snap.pods);
    drop_kind("replicasets", &mut snap.replica_sets);
    part("  deployments: status", &mut snap.deployments, |d| {
        drop(d.status.take())
    });
    part("  deployments: containers", &mut snap.deployments, |d| {
        if let Some(spec) = d.spec.as_mut().and_then(|s| s.template.spec.as_mut()) {
            drop(std::mem::take(&mut spec.containers));
        }
    });
    drop_kind("deployments (the rest)", &mut snap.deployments);
    drop_kind("statefulsets", &mut snap.stateful_sets);
    drop_kind("daemonsets", &mut snap.daemon_sets);
    drop_kind("services", &mut snap.services);
    drop_kind("endpointslices", &mut snap.endpoint_slices);
    drop_kind("endpoints", &mut snap.endpoints);
    drop_kind("events", &mut snap.events);
    drop_kind("configmaps", &mut snap.config_maps);
    drop_kind("namespaces", &mut snap.namespaces);
    drop_kind("nodes", &mut snap.nodes);
    drop_kind("networkpolicies", &mut snap.network_policies);
    drop_kind("ingresses", &mut snap.ingresses);
    let before = live();
    drop(snap);
    line("rest (logs, access)", 0, before, live());
    // What every object's going leaves: the pools' tables of shared values
    // (their entries are swept as the pools grow again, not on drop).
    line("left over (pools of shared values)", 0, start, live());
}

/// The allocations of the references (NS-001/002), then of the walk of
/// the Services (what is left of a diagnosis besides its tables and
/// references), step by step: the contexts of every Service in scope, then
/// each step over all of them in the walk's order, made and dropped, one
/// thread. Every step runs for every Service, also where the walk marks it
/// blocked (a Service that fails, or that selects no pods), so the steps'
/// sum is somewhat above the walk's share.
fn references_and_walk(snap: &Snapshot) {
    let tables = Tables::build(snap);
    let idx = Index::new(snap, &tables, support::now());
    let cluster_dns = dns::cluster(&idx);
    let made = GLOBAL.stats();
    let references = namespace::references(&idx, &cluster_dns, &|_| &[]);
    let references_made = GLOBAL.stats() - made;
    println!(
        "    references (built and dropped): {} allocations, {} reallocations",
        references_made.allocations, references_made.reallocations,
    );
    let view: Vec<&namespace::TracedReference> = references.iter().collect();
    let by_target = by_target(&view, snap.services.len());
    let made = GLOBAL.stats();
    let contexts: Vec<ServiceCtx<'_>> = snap
        .services
        .iter()
        .filter_map(|svc| {
            let key = key_of(svc);
            snap.scope.contains(key.0).then(|| {
                let refs = by_target.get(&key).map_or(&[][..], Vec::as_slice);
                ServiceCtx::new(&idx, svc, refs, &cluster_dns)
            })
        })
        .collect();
    let contexts_made = GLOBAL.stats() - made;
    println!(
        "    walk, step by step ({} Services): contexts {} allocations, {} reallocations",
        contexts.len(),
        contexts_made.allocations,
        contexts_made.reallocations,
    );
    type Step = fn(&ServiceCtx<'_>) -> StepReport;
    let steps: [(&str, Step); 7] = [
        ("service", service::check),
        ("endpoints", endpoints::check),
        ("pods", pods::check),
        ("ports", ports::check),
        ("dns", dns::check),
        ("namespace", namespace::check),
        ("network", network::check),
    ];
    for (step, check) in steps {
        let made = GLOBAL.stats();
        for ctx in &contexts {
            drop(check(ctx));
        }
        let m = GLOBAL.stats() - made;
        println!(
            "      {step:<10} {:>8} allocations, {:>7} reallocations",
            m.allocations, m.reallocations,
        );
    }
}

/// `benches/dashboard.sh`'s ten minutes of churn, in process: 1 % of the
/// pods a minute (5,000 flips at L) through the dashboard's incremental
/// engine, each Service walked again every 30 s (every 1/20 of the flips),
/// and what the engine holds afterwards. Pods are picked as `churn.py`
/// picks them: at random among those ready at the start, outside
/// kube-system; a pod picked again flips back.
fn churn(snap: &Snapshot, mut engine: Incremental) {
    const MINUTES: usize = 10;
    let flips = snap.pods.len() * MINUTES / 100;
    let candidates: Vec<&Arc<Pod>> = snap
        .pods
        .iter()
        .filter(|p| p.metadata.namespace.as_deref() != Some("kube-system") && is_ready(p))
        .collect();
    if candidates.is_empty() {
        return;
    }
    let failing = |e: &Incremental| {
        e.report()
            .services
            .iter()
            .filter(|s| s.verdict == Status::Fail)
            .count()
    };
    let failing_before = failing(&engine);
    let before = live();
    // The flipped pods as they are now (the engine holds the same Arcs).
    let mut now_as: HashMap<usize, Arc<Pod>> = HashMap::new();
    let mut rng: u64 = 0x5eed_c4a2;
    let mut at = support::now();
    for flip in 0..flips {
        // xorshift64: deterministic, no dependency.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let i = (rng % candidates.len() as u64) as usize;
        let current = now_as.get(&i).unwrap_or(candidates[i]);
        let mut next = (**current).clone();
        set_ready(&mut next, !is_ready(current));
        let next = Arc::new(next);
        now_as.insert(i, Arc::clone(&next));
        let change = Change::Pod {
            namespace: next
                .metadata
                .namespace
                .as_deref()
                .unwrap_or_default()
                .to_string(),
            name: next
                .metadata
                .name
                .as_deref()
                .unwrap_or_default()
                .to_string(),
            object: Some(next),
        };
        at += jiff::SignedDuration::from_millis(120);
        engine.apply(&[change], at);
        if (flip + 1) % (flips / (2 * MINUTES)).max(1) == 0 {
            engine.refresh(None, at);
        }
    }
    let after = live();
    line("  after churn (engine)", flips, before, after);
    println!(
        "  Services failing: {failing_before} before, {} after; pods flipped {}",
        failing(&engine),
        now_as.len()
    );
    // In the dashboard a flipped pod replaces the one it was decoded from;
    // here the first copy stays in `snap`, so the copies are counted apart.
    drop(engine);
    let b = live();
    let flipped = now_as.len();
    drop(now_as);
    line("  of which the pods' new copies", flipped, b, live());
}

/// Inline sizes of the types the snapshot holds most of: an absent field
/// still costs its inline bytes.
fn sizes() {
    use std::mem::size_of;
    use svc_doctor::model;
    let sizes = [
        ("Meta", size_of::<model::Meta>()),
        ("Pod", size_of::<model::Pod>()),
        ("PodSpec", size_of::<model::PodSpec>()),
        ("PodStatus", size_of::<model::PodStatus>()),
        ("ContainerStatus", size_of::<model::ContainerStatus>()),
        ("PodCondition", size_of::<model::PodCondition>()),
        ("Container", size_of::<model::Container>()),
        ("Deployment", size_of::<model::Deployment>()),
        ("ReplicaSet", size_of::<model::ReplicaSet>()),
        ("Service", size_of::<model::Service>()),
        ("EndpointSlice", size_of::<model::EndpointSlice>()),
        ("Endpoint", size_of::<model::Endpoint>()),
        ("Event", size_of::<model::Event>()),
        ("ConfigMap", size_of::<model::ConfigMap>()),
        ("Node", size_of::<model::Node>()),
        (
            "report::Finding",
            size_of::<svc_doctor::diagnose::report::Finding>(),
        ),
        (
            "report::StepReport",
            size_of::<svc_doctor::diagnose::report::StepReport>(),
        ),
        (
            "report::Reference",
            size_of::<svc_doctor::diagnose::report::Reference>(),
        ),
        (
            "TracedReference",
            size_of::<svc_doctor::diagnose::namespace::TracedReference>(),
        ),
        (
            "namespace::Client",
            size_of::<svc_doctor::diagnose::namespace::Client>(),
        ),
    ];
    for (name, size) in sizes {
        println!("size_of {name:<24} {size:>6} B");
    }
}
