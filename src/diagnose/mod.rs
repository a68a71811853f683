//! The diagnosis engine: a pure function of a [`Snapshot`] and a time.
//!
//! [`diagnose`] walks every Service in scope through the seven steps of the
//! decision tree (DESIGN §2), in order, and returns a [`Report`]. No I/O, no
//! client, no clock: everything it knows is in the snapshot.
//!
//! # Layout
//! - [`index`]: lookup tables built once per run; [`context`]: what the steps
//!   know about one Service; [`step`]: findings → status; [`fix`]: commands;
//!   [`exact_format`]: `format_exact!`, the engine's `format!` (one
//!   allocation per text, at its length).
//! - One module per step: [`service`], [`endpoints`], [`pods`], [`ports`],
//!   [`dns`], [`namespace`], [`network`]. Each check lives in its step's
//!   module under a function named after it, with its tests (pass, fail, near
//!   miss) beside it. To add a check: write `fn check_xyz(ctx) -> Vec<Finding>`
//!   in the step module, call it from the step's `check`, add it to
//!   `docs/checks.md`.
//!
//! # Cost
//! Building the index is O(objects). Per Service, the steps touch only the
//! pods its selector matches (shortest label posting list), its slices, its
//! events and the references that name it, so a whole cluster costs
//! O(objects + Σ selected pods + references), not Services × pods. Cluster-wide
//! DNS is evaluated once and shared.

// First, so that every module below can call `format_exact!`.
#[macro_use]
pub mod exact_format;

pub mod context;
pub mod dns;
pub mod endpoint_rules;
pub mod endpoints;
pub mod fix;
pub mod incremental;
pub mod index;
pub mod namespace;
pub mod network;
pub mod permissions;
pub mod pod_status;
pub mod pods;
pub mod ports;
pub mod report;
pub mod scheduling;
pub mod service;
mod step;
#[cfg(test)]
pub(crate) mod testing;

use std::collections::BTreeSet;
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;

use crate::model::Service;

use crate::snapshot::Snapshot;
use context::ServiceCtx;
use index::{Index, Tables};
use report::{Report, SCHEMA, ServiceRef, ServiceReport, Status, StepId, StepReport};

/// What to diagnose beyond "every Service in scope".
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `check SERVICE`: only this Service (in the scope's namespace); when it
    /// does not exist, that is the finding.
    pub service: Option<String>,
}

/// Diagnose every Service in the snapshot's scope (plus referenced-but-missing
/// ones) at time `now`.
pub fn diagnose(snap: &Snapshot, now: Timestamp, options: &Options) -> Report {
    let tables = Tables::build(snap);
    let (cluster, services, references) = {
        let idx = Index::new(snap, &tables, now);
        let cluster_dns = dns::cluster(&idx);
        let references = namespace::references(&idx, &cluster_dns, &|_| &[]);
        let view: Vec<&namespace::TracedReference> = references.iter().collect();
        let services = service_reports(&idx, &cluster_dns, &view, options, &[]);
        (cluster_dns.report_steps(), services, references)
    };

    // With a focus, only the references that name a Service reported.
    let reported = |t: &ServiceRef| find_service(&services, &t.namespace, &t.name).is_ok();
    let focus = options.service.as_deref();
    let ((), references) = rayon::join(
        move || tables.release(),
        || {
            references
                .into_iter()
                .filter(|r| focus.is_none() || r.targets.iter().any(reported))
                .map(|r| r.report)
                .collect()
        },
    );

    Report {
        schema: SCHEMA,
        context: snap.context.clone(),
        generated_at: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        cluster,
        services,
        references,
    }
}

/// The report of every Service in scope (and of the missing ones clients
/// name), sorted by namespace and name: the walk shared by [`diagnose`] and
/// [`incremental`]. A Service whose report comes out as it is in `previous`
/// (sorted the same way) keeps that one (see [`keep_if_same`]).
fn service_reports(
    idx: &Index<'_>,
    cluster_dns: &dns::ClusterDns,
    references: &[&namespace::TracedReference],
    options: &Options,
    previous: &[Arc<ServiceReport>],
) -> Vec<Arc<ServiceReport>> {
    let snap = idx.snap;
    let by_target = by_target(references, snap.services.len());
    let focus = options.service.as_deref();
    let chosen: Vec<&Service> = snap
        .services
        .iter()
        .map(|svc| &**svc)
        .filter(|svc| {
            let (ns, name) = key_of(svc);
            snap.scope.contains(ns) && focus.is_none_or(|f| f == name)
        })
        .collect();
    let mut services = parallel_map(&chosen, |svc| {
        let refs = by_target.get(&key_of(svc)).map_or(&[][..], Vec::as_slice);
        keep_if_same(
            previous,
            walk(&ServiceCtx::new(idx, svc, refs, cluster_dns)),
        )
    });

    // Services that clients in scope name but that exist nowhere they could
    // resolve, and the focused Service when it does not exist.
    let mut missing = missing_services(snap, references, focus);
    if let (Some(name), crate::snapshot::Scope::Namespace(ns)) = (focus, &snap.scope)
        && idx.service(ns, name).is_none()
    {
        missing.insert(ServiceRef::new(ns, name));
    }
    // Each looks for the Service it was probably meant to be (edit
    // distances over the namespace's Services): worth the other cores too.
    let missing: Vec<ServiceRef> = missing.into_iter().collect();
    services.extend(parallel_map(&missing, |m| {
        let refs = by_target
            .get(&(m.namespace.as_str(), m.name.as_str()))
            .map_or(&[][..], Vec::as_slice);
        keep_if_same(previous, missing_service(idx, m, refs))
    }));
    services.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    services
}

/// `fresh`, or the report of the same Service in `previous` (sorted by
/// namespace and name) when that is equal to it. The dashboard walks every
/// Service again every 30 s and most come out unchanged: keeping the old
/// ones means such a walk holds only what changed once it is done, instead
/// of a second copy of the whole report beside the one the UI still shows,
/// and the long-lived report is not reallocated (and the heap fragmented)
/// twice a minute.
fn keep_if_same(previous: &[Arc<ServiceReport>], fresh: ServiceReport) -> Arc<ServiceReport> {
    match find_service(previous, &fresh.namespace, &fresh.name) {
        Ok(at) if *previous[at] == fresh => Arc::clone(&previous[at]),
        _ => Arc::new(fresh),
    }
}

/// Where the Service `namespace/name` is in `services` (sorted by namespace
/// and name, as a report's are), or where it would go.
fn find_service(
    services: &[Arc<ServiceReport>],
    namespace: &str,
    name: &str,
) -> Result<usize, usize> {
    services.binary_search_by(|s| (s.namespace.as_str(), s.name.as_str()).cmp(&(namespace, name)))
}

/// `(namespace, name)` of a Service, as the API defaults an unset namespace.
pub fn key_of(svc: &Service) -> (&str, &str) {
    (
        svc.metadata.namespace.as_deref().unwrap_or("default"),
        svc.metadata.name.as_deref().unwrap_or(""),
    )
}

/// Which references name which Service (the one they resolve to, or the
/// ones they were probably meant for), keyed by `(namespace, name)`, each
/// list in the references' order. Borrowed keys: building it copies no
/// string. `services`: how many Services the snapshot has.
pub fn by_target<'r>(
    references: &[&'r namespace::TracedReference],
    services: usize,
) -> foldhash::HashMap<(&'r str, &'r str), Vec<&'r namespace::TracedReference>> {
    // Sized once, so that it is not grown (and rehashed) as it fills: for
    // the Services the references name, at most about as many as there
    // are, not for the references (more than twice as many at L: a table
    // twice the size, 1 MB more on each of the dashboard's walks of
    // everything).
    let mut out: foldhash::HashMap<(&str, &str), Vec<&namespace::TracedReference>> =
        foldhash::HashMap::with_capacity_and_hasher(
            references.len().min(services),
            Default::default(),
        );
    for r in references {
        for target in &r.targets {
            out.entry((target.namespace.as_str(), target.name.as_str()))
                .or_default()
                .push(r);
        }
    }
    out
}

/// Services that clients in scope name but that exist nowhere they could
/// resolve (with a focus, only that name).
fn missing_services(
    snap: &Snapshot,
    references: &[&namespace::TracedReference],
    focus: Option<&str>,
) -> BTreeSet<ServiceRef> {
    references
        .iter()
        .filter_map(|r| r.missing.as_ref())
        .filter(|m| snap.scope.contains(&m.namespace) && focus.is_none_or(|f| f == m.name))
        .cloned()
        .collect()
}

/// `f` over `items`, in order, on every core (rayon's pool): Services are
/// independent once the index, cluster DNS and the references are built, and
/// so are namespaces while the references are found. Work is stolen in small
/// pieces as threads run dry, so a run of costly items (a namespace with many
/// clients, Services with many pods) or a core busy with other work does not
/// leave the other cores waiting at the end. A panic in `f` reaches the
/// caller as if `f` had run here.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    parallel_map_with(items, || (), |(), item| f(item))
}

/// [`parallel_map`] where `f` also gets a value of its own to keep what it
/// learns from one item for the next: `init` makes one for each piece of
/// work a thread takes (a run of items), never shared between threads.
fn parallel_map_with<T: Sync, S, R: Send>(
    items: &[T],
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, &T) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    /// Below this, handing items to another thread costs more than it saves.
    const MIN_PER_TASK: usize = 16;
    if items.len() < 2 * MIN_PER_TASK {
        // The dashboard's update after one change walks a handful of Services.
        let mut state = init();
        return items.iter().map(|item| f(&mut state, item)).collect();
    }
    items
        .par_iter()
        .with_min_len(MIN_PER_TASK)
        .map_init(init, |state, item| f(state, item))
        .collect()
}

/// Walk one existing Service through the seven steps.
fn walk(ctx: &ServiceCtx<'_>) -> ServiceReport {
    let service = service::check(ctx);
    let steps = if service.status == Status::Fail {
        let reason = "blocked: the Service itself fails";
        let mut steps = vec![service];
        steps.extend(
            StepId::ALL[1..]
                .iter()
                .map(|id| StepReport::blocked(*id, reason)),
        );
        steps
    } else {
        let endpoints = endpoints::check(ctx);
        // No pods selected and endpoints failed: nothing to look at further down.
        let no_backends =
            endpoints.status == Status::Fail && ctx.pods.is_empty() && ctx.slices.is_empty();
        let pods_blocked = endpoints.status == Status::Fail && ctx.pods.is_empty();
        let reason = "blocked: no backend pods (see endpoints)";
        let pods = if pods_blocked {
            StepReport::blocked(StepId::Pods, reason)
        } else {
            pods::check(ctx)
        };
        let ports = if pods_blocked && no_backends {
            StepReport::blocked(StepId::Ports, reason)
        } else {
            ports::check(ctx)
        };
        let dns = dns::check(ctx);
        let namespace = namespace::check(ctx);
        let network = if pods_blocked {
            StepReport::blocked(StepId::Network, reason)
        } else {
            network::check(ctx)
        };
        vec![service, endpoints, pods, ports, dns, namespace, network]
    };
    ServiceReport::new(
        ctx.namespace.to_string(),
        ctx.name.to_string(),
        true,
        Some(ctx.service_type().to_string()),
        steps,
    )
}

/// A Service that does not exist: step `service` fails (SVC-001), the rest are blocked.
fn missing_service(
    idx: &Index<'_>,
    target: &ServiceRef,
    refs: &[&namespace::TracedReference],
) -> ServiceReport {
    let mut steps = vec![service::missing(idx, target, refs)];
    steps.extend(
        StepId::ALL[1..]
            .iter()
            .map(|id| StepReport::blocked(*id, "blocked: the Service does not exist")),
    );
    ServiceReport::new(
        target.namespace.to_string(),
        target.name.to_string(),
        false,
        None,
        steps,
    )
}

#[cfg(test)]
mod tests {
    use super::report::{Status, StepId};
    use super::testing::*;

    #[test]
    fn base_fixture_loads_and_every_service_gets_seven_steps() {
        let report = run(&[BASE]);
        let web = service(&report, "shop", "web");
        let ids: Vec<StepId> = web.steps.iter().map(|s| s.id).collect();
        assert_eq!(ids, StepId::ALL.to_vec());
        assert!(web.exists);
        assert_eq!(web.service_type.as_deref(), Some("ClusterIP"));
        assert_ne!(web.verdict, Status::Blocked);
    }
}
