//! Shared by the benchmarks: the synthetic clusters as engine snapshots.

use k8s_openapi::jiff::Timestamp;
use svc_doctor::cluster::fetch::strip_snapshot;
use svc_doctor::sandbox::synthetic::{self, Params};
use svc_doctor::snapshot::Snapshot;

/// The benchmarks' fixed "now", so that ages in the cluster do not drift.
pub fn now() -> Timestamp {
    "2026-03-01T12:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The L scale of issue 5: 10,000 Services, 50,000 pods, 2,000 namespaces.
#[allow(dead_code)]
pub fn large() -> Params {
    let mut p = Params::new(10_000, 50_000);
    p.namespaces = 2_000;
    p
}

/// A generated cluster as `check -A` would read it (stripped as objects
/// arrive).
pub fn snapshot(params: &Params) -> Snapshot {
    let mut snap = synthetic::snapshot(params, now()).expect("the generated cluster loads");
    strip_snapshot(&mut snap);
    snap
}
