//! In-process benchmarks of issue 5 at the L scale (10,000 Services, 50,000
//! pods, 2,000 namespaces, `sandbox --synthetic`):
//!
//! - `diagnose/full`: the whole engine on the L snapshot; `diagnose/tables`
//!   and `diagnose/references`: two of its parts (the lookup tables, and
//!   NS-001/002 over every client);
//! - `diagnose/incremental`: re-diagnosis after one pod changes;
//! - `frame/10k`: one dashboard frame (ratatui `TestBackend`, 120×40) with
//!   the L report's 10,000+ Services in the list, and a key press + frame;
//! - `tick/readiness`: what the dashboard does on every tick besides the
//!   engine: observe every endpoint's readiness and take every Service's
//!   ready counts for the UI (a full window of history kept).
//!
//! `cargo bench --bench engine` (release; building the L snapshot takes
//! about half a minute before the first measurement). `BENCH_SCALE` picks
//! another size, e.g. `BENCH_SCALE=services=2000,pods=10000`. Not run by
//! `cargo test` (built only).

// A benchmark may panic on a broken setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

/// The allocator the binary ships with (`src/main.rs`): the engine allocates
/// a lot, so measuring with another one would measure the wrong thing.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

use svc_doctor::commands::dashboard::ready_counts;
use svc_doctor::diagnose::incremental::{Change, Incremental};
use svc_doctor::diagnose::index::{Index, Tables};
use svc_doctor::diagnose::{Options, diagnose, dns, namespace};
use svc_doctor::model::Pod;
use svc_doctor::sandbox::synthetic::{Params, set_ready};
use svc_doctor::snapshot::Scope;
use svc_doctor::snapshot::history::{MAX_SAMPLES, ReadinessHistory};
use svc_doctor::tui::state::{Init, State};
use svc_doctor::tui::view::{Widgets, draw};
use svc_doctor::tui::{Connection, Msg, update};

fn params() -> Params {
    match std::env::var("BENCH_SCALE") {
        Ok(spec) => spec.parse().expect("BENCH_SCALE"),
        Err(_) => support::large(),
    }
}

fn benches(c: &mut Criterion) {
    let params = params();
    let snap = support::snapshot(&params);
    let now = support::now();
    let report = diagnose(&snap, now, &Options::default());
    eprintln!(
        "{params}: {} pods, {} Services diagnosed",
        snap.pods.len(),
        report.services.len()
    );

    let mut group = c.benchmark_group("diagnose");
    group.sample_size(10);
    group.bench_function("full", |b| {
        b.iter(|| black_box(diagnose(&snap, now, &Options::default())))
    });
    // Two parts of `full`, to see where its time goes: the lookup tables,
    // and NS-001/002 (every client's references found and resolved). The
    // rest is the walk of every Service through the seven steps.
    group.bench_function("tables", |b| b.iter(|| black_box(Tables::build(&snap))));
    let tables = Tables::build(&snap);
    let idx = Index::new(&snap, &tables, now);
    let cluster_dns = dns::cluster(&idx);
    group.bench_function("references", |b| {
        b.iter(|| black_box(namespace::references(&idx, &cluster_dns, &|_| &[])))
    });
    group.finish();

    // One pod at a time turns not ready, then ready again: the dashboard's
    // most common update. Pods are spread over the cluster (every 97th).
    let mut engine = Incremental::new(snap.clone(), now);
    let pods: Vec<Arc<Pod>> = snap
        .pods
        .iter()
        .filter(|p| p.metadata.namespace.as_deref() != Some("kube-system"))
        .step_by(97)
        .cloned()
        .collect();
    let flipped: Vec<(Change, Change)> = pods
        .iter()
        .map(|p| {
            let ns = p
                .metadata
                .namespace
                .as_deref()
                .unwrap_or_default()
                .to_string();
            let name = p.metadata.name.as_deref().unwrap_or_default().to_string();
            let mut off = (**p).clone();
            set_ready(&mut off, false);
            let change = |object: Arc<Pod>| Change::Pod {
                namespace: ns.clone(),
                name: name.clone(),
                object: Some(object),
            };
            (change(Arc::new(off)), change(Arc::clone(p)))
        })
        .collect();
    let mut stats = (0usize, 0usize, 0usize);
    let mut next = 0usize;
    let mut group = c.benchmark_group("diagnose");
    group.bench_function("incremental", |b| {
        b.iter(|| {
            let (off, on) = &flipped[next % flipped.len()];
            let change = if (next / flipped.len()).is_multiple_of(2) {
                off
            } else {
                on
            };
            next += 1;
            let applied = engine.apply(std::slice::from_ref(change), now);
            stats.0 += 1;
            stats.1 += applied.walked;
            stats.2 += usize::from(applied.everything);
            black_box(applied)
        })
    });
    group.finish();
    eprintln!(
        "incremental: {} changes, {:.1} Services walked per change, {} walked everything",
        stats.0,
        stats.1 as f64 / stats.0.max(1) as f64,
        stats.2
    );

    let mut history = ReadinessHistory::default();
    let mut second = 0i64;
    let mut tick = || {
        second += 1;
        let at = now + jiff::SignedDuration::from_secs(second);
        history.observe(&snap, at);
        black_box(ready_counts(&snap, &history))
    };
    for _ in 0..MAX_SAMPLES {
        tick();
    }
    let mut group = c.benchmark_group("tick");
    group.bench_function("readiness", |b| b.iter(&mut tick));
    group.finish();

    let mut group = c.benchmark_group("frame");
    let mut state = State::new(Init::new("synthetic", Scope::All));
    update(
        &mut state,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    update(&mut state, Msg::Connection(Connection::Live));
    update(
        &mut state,
        Msg::Report {
            report: Box::new(report),
            computed_at: now,
        },
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut widgets = Widgets::default();
    group.bench_function("draw", |b| {
        b.iter(|| {
            terminal.draw(|f| draw(f, &state, &mut widgets)).unwrap();
        })
    });
    let mut down = true;
    group.bench_function("key+draw", |b| {
        b.iter(|| {
            let c = if down { 'j' } else { 'k' };
            down = !down;
            update(
                &mut state,
                Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            );
            terminal.draw(|f| draw(f, &state, &mut widgets)).unwrap();
        })
    });
    group.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
