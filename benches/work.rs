//! The work of a full diagnosis, for counting: build a synthetic cluster's
//! snapshot, then diagnose it `BENCH_DIAGNOSES` times (default 1) and exit.
//!
//! `benches/instructions.sh` runs it under valgrind (cachegrind) twice, with
//! one diagnosis and with three, and takes the difference: the instructions
//! of two diagnoses, exactly, by function. On a shared machine a cut of a
//! few per cent is lost in the noise of the wall time (`diagnose/full`);
//! the instructions it saves are not. Run by itself, it also prints each
//! diagnosis's wall and CPU time (no statistics: that is criterion's job
//! in `benches/engine.rs`).
//!
//! `BENCH_SCALE` picks the size (default M: 2,000 Services, 10,000 pods;
//! under valgrind, building the L snapshot alone takes minutes).

// A benchmark may panic on a broken setup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

/// The allocator the binary ships with (`src/main.rs`): its instructions are
/// part of the diagnosis's.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::hint::black_box;
use std::time::Instant;

use svc_doctor::diagnose::{Options, diagnose};
use svc_doctor::sandbox::synthetic::Params;

fn main() {
    let params: Params = std::env::var("BENCH_SCALE")
        .unwrap_or_else(|_| "services=2000,pods=10000".into())
        .parse()
        .expect("BENCH_SCALE");
    let diagnoses: usize = std::env::var("BENCH_DIAGNOSES")
        .map_or(Ok(1), |n| n.parse())
        .expect("BENCH_DIAGNOSES");
    let snap = support::snapshot(&params);
    let now = support::now();
    let mut services = 0;
    for i in 0..diagnoses {
        let (wall, cpu) = (Instant::now(), cpu_ms());
        let report = black_box(diagnose(&snap, now, &Options::default()));
        services = report.services.len();
        drop(report);
        // Outside valgrind, what each diagnosis took: the wall time, and
        // the CPU time of every thread of the process, which another
        // guest's load on the machine moves less.
        eprintln!(
            "diagnosis {i}: wall {:.1} ms, cpu {} ms",
            wall.elapsed().as_secs_f64() * 1e3,
            cpu_ms()
                .zip(cpu)
                .map_or(-1, |(after, before)| after - before)
        );
    }
    eprintln!(
        "{params}: {} pods, {services} Services, {diagnoses} diagnoses",
        snap.pods.len()
    );
}

/// User and system CPU time of the whole process so far, in milliseconds
/// (`/proc/self/stat`, in clock ticks, taken as Linux's usual 100 a
/// second); `None` where there is no such file.
fn cpu_ms() -> Option<i64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: i64 = fields.get(11)?.parse::<i64>().ok()? + fields.get(12)?.parse::<i64>().ok()?;
    Some(ticks * 10)
}
