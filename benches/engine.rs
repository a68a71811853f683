//! In-process benchmarks of issue 5 at the L scale (10,000 Services, 50,000
//! pods, 2,000 namespaces, `sandbox --synthetic`):
//!
//! - `diagnose/full`: the whole engine on the L snapshot;
//! - `diagnose/incremental`: re-diagnosis after one pod changes;
//! - `frame/10k`: one dashboard frame (ratatui `TestBackend`, 120×40) with
//!   the L report's 10,000+ Services in the list, and a key press + frame.
//!
//! `cargo bench --bench engine` (release; building the L snapshot takes
//! about half a minute before the first measurement). `BENCH_SCALE` picks
//! another size, e.g. `BENCH_SCALE=services=2000,pods=10000`. Not run by
//! `cargo test` (built only).

// A benchmark may panic on a broken setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use svc_doctor::diagnose::{Options, diagnose};
use svc_doctor::sandbox::synthetic::Params;
use svc_doctor::snapshot::Scope;
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
