//! Shared by the benchmarks: the synthetic clusters as engine snapshots.

use k8s_openapi::jiff::Timestamp;
use svc_doctor::cluster::fetch::strip_snapshot;
use svc_doctor::sandbox::synthetic::{self, Params};
use svc_doctor::snapshot::manifests::add_value;
use svc_doctor::snapshot::{ContainerLogs, Scope, Snapshot};

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

/// A generated cluster as `check -A` would read it (objects typed one at a
/// time, never all held as JSON values, stripped as they arrive).
pub fn snapshot(params: &Params) -> Snapshot {
    let mut snap = Snapshot::empty("synthetic", Scope::All);
    let mut n = 0;
    let mut error = None;
    let logs = synthetic::generate_with(params, now(), &mut |value| {
        if let Err(e) = add_value(&mut snap, value, &mut n) {
            error.get_or_insert(e);
        }
    });
    if let Some(e) = error {
        panic!("generated object does not load: {e}");
    }
    strip_snapshot(&mut snap);
    for log in logs {
        snap.logs.insert(
            (log.namespace, log.pod, log.container.unwrap_or_default()),
            ContainerLogs {
                previous: log.previous,
                current: log.current,
            },
        );
    }
    snap
}
