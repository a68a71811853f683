//! Step `namespace` (DESIGN §2): which clients name which Services, and
//! whether those names resolve from the client's namespace.
//!
//! - **NS-001** ([`scan`]): find references in the pod templates of workloads
//!   in scope and in pods no workload covers — env values (after `$(VAR)`
//!   expansion), args, command, and ConfigMap values pulled in with
//!   `configMapKeyRef`/`envFrom`. Secrets are never read: a `secretKeyRef` or
//!   `secretRef` variable is skipped and its value never guessed. The text
//!   rules are in [`extract`].
//! - **NS-002** ([`resolve`]): resolve each reference the way a ClusterFirst
//!   pod's resolver does and grade it.
//! - **NS-003** ([`ingress`]): Ingress backends naming a missing Service or port.
//!
//! [`references`] runs once per diagnosis, costs O(pods + containers' env and
//! args + ConfigMap keys they pull in), and hands each reference to the
//! Services it names (`targets`); [`check`] then only looks at the references
//! of its own Service. To add a check: write it in the submodule it belongs
//! to, attach its finding to the reference (or emit it from [`check`]), and
//! document it in `docs/checks.md`.

mod extract;
mod ingress;
mod resolve;
mod scan;

use std::sync::Arc;

use super::context::ServiceCtx;
use super::dns::ClusterDns;
use super::index::Index;
use super::network::policy::PodFacts;
use super::permissions::not_evaluated;
use super::report::{Finding, Reference, ServiceRef, Status, StepId, StepReport};
use crate::model::{Labels, Word};
use crate::safe_text::sanitize_in_place;
use crate::snapshot::Resource;

/// A reference with what the engine needs beyond the report's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct TracedReference {
    /// Shared with the report's `references`.
    pub report: Arc<Reference>,
    /// Services this reference names: the one it resolves to, or the ones it
    /// was probably meant for (same name in other namespaces). Their
    /// `namespace` step carries the reference's finding.
    pub targets: Vec<ServiceRef>,
    /// The Service it would resolve to when that exists nowhere, so it is
    /// reported with `exists: false`.
    pub missing: Option<ServiceRef>,
    /// The workload or pod that holds the reference (`None` for an Ingress).
    pub client: Option<Arc<Client>>,
    /// The finding the targets' `namespace` step carries (`None` when it passes).
    /// Boxed: most references pass and carry none.
    pub finding: Option<Box<Finding>>,
}

/// A workload (or bare pod) that names Services: what DNS-008, NP-001/002
/// and DNS-007 need to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub namespace: String,
    /// A representative pod when the workload has pods, else the workload.
    pub kind: &'static str,
    pub name: String,
    /// The top-level workload (`None` for a bare pod or an owner not read).
    pub workload: Option<WorkloadRef>,
    /// Labels and IPs as NetworkPolicy sees the client's pods.
    pub facts: PodFacts,
    /// Labels that select the client's pods and no others, for proposed policies
    /// (the workload's `matchLabels`; hash labels dropped).
    pub selector: Labels,
    /// `dnsPolicy` (`ClusterFirst` when unset, as the API defaults it).
    pub dns_policy: Word,
    pub host_network: bool,
    pub nameservers: Vec<String>,
    pub searches: Vec<String>,
}

impl Client {
    /// `staging/deployment/frontend (pod frontend-abc123)` for evidence.
    pub fn describe(&self) -> String {
        match &self.workload {
            Some(w) if self.kind == "Pod" => {
                format_exact!("{}/{w} (pod {})", self.namespace, self.name)
            }
            Some(w) => format_exact!("{}/{w}", self.namespace),
            None => format_exact!("{}/pod/{}", self.namespace, self.name),
        }
    }

    /// Identity for deduplication: namespace and workload (or pod).
    pub fn key(&self) -> (String, String) {
        let who = match &self.workload {
            Some(w) => w.kubectl_ref(),
            None => format_exact!("pod/{}", self.name),
        };
        (self.namespace.clone(), who)
    }
}

/// A top-level workload as kubectl names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadRef {
    /// `deployment`, `statefulset`, `daemonset`, `replicaset`.
    pub resource: &'static str,
    pub name: String,
}

/// `deployment/NAME`, as kubectl takes it.
impl std::fmt::Display for WorkloadRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.resource, self.name)
    }
}

impl WorkloadRef {
    /// `deployment/NAME` (its `Display`) as a `String`.
    pub fn kubectl_ref(&self) -> String {
        format_exact!("{self}")
    }

    /// Whether `kubectl rollout restart` works on it.
    pub fn restartable(&self) -> bool {
        matches!(self.resource, "deployment" | "statefulset" | "daemonset")
    }
}

/// Find and resolve every client reference in scope (NS-001, NS-002), and the
/// Services Ingresses route to (NS-003). Sorted by client, container, source,
/// host. `previous` gives a namespace's references as they were, in that
/// order (see [`references_in`]).
pub fn references<'p>(
    idx: &Index<'_>,
    dns: &ClusterDns,
    previous: &(dyn Fn(&str) -> &'p [TracedReference] + Sync),
) -> Vec<TracedReference> {
    references_in(idx, dns, &idx.namespaces_in_scope(), previous)
}

/// [`references`] of the clients in `namespaces` only (each in scope): the
/// references of one namespace depend on its own workloads, pods, ConfigMaps
/// and Ingresses, and on the Services (and headless hostnames) they name.
///
/// A reference equal to one of `previous(namespace)` (the namespace's
/// references as they were, in the order of [`reference_order`]) is that
/// one, shared rather than a new copy: the dashboard scans every namespace
/// again every 30 s and most references come out unchanged.
pub fn references_in<'p>(
    idx: &Index<'_>,
    dns: &ClusterDns,
    namespaces: &[&str],
    previous: &(dyn Fn(&str) -> &'p [TracedReference] + Sync),
) -> Vec<TracedReference> {
    // Namespaces are independent (a client's references depend on its own
    // namespace and on the Services it names), so they are scanned in
    // parallel. A reference's order starts with its client's namespace, so
    // each namespace's references are sorted where they are found and the
    // namespaces (sorted) are simply joined: no sort of the whole list on
    // one thread.
    debug_assert!(namespaces.is_sorted());
    // Variable names and values repeat from namespace to namespace
    // (`LOG_LEVEL`, `PORT`, one OTLP endpoint): each task's scan keeps what
    // it decided about each.
    super::parallel_map_with(namespaces, scan::Judged::default, |judged, ns| {
        let old = previous(ns);
        let ns = std::slice::from_ref(ns);
        let mut refs: Vec<TracedReference> = scan::scan(idx, ns, judged)
            .into_iter()
            .filter_map(|found| resolve::resolve(idx, dns, found))
            .collect();
        refs.extend(ingress::references(idx, ns));
        for r in &mut refs {
            // Not yet shared: no copy is made.
            let report = Arc::make_mut(&mut r.report);
            sanitize_in_place(&mut report.message);
            sanitize_in_place(&mut report.host);
            if let Some(fix) = &mut report.fix {
                sanitize_in_place(&mut fix.summary);
            }
        }
        if !old.is_empty() {
            for r in &mut refs {
                if let Some(same) = same_in(old, r) {
                    *r = same.clone();
                }
            }
        }
        refs.sort_by(|a, b| reference_order(a).cmp(&reference_order(b)));
        refs
    })
    .into_iter()
    .flatten()
    .collect()
}

/// The reference in `old` (in [`reference_order`]) equal to `r`.
fn same_in<'o>(old: &'o [TracedReference], r: &TracedReference) -> Option<&'o TracedReference> {
    let key = reference_order(r);
    let first = old.partition_point(|o| reference_order(o) < key);
    old[first..]
        .iter()
        .take_while(|o| reference_order(o) == key)
        .find(|o| *o == r)
}

/// The order of references in a report: by client (namespace first, so the
/// references of one namespace are contiguous), container, source, host.
/// Borrowed keys: comparing never allocates.
pub fn reference_order(
    r: &TracedReference,
) -> (&str, Option<&str>, &str, Option<&str>, &str, &str) {
    let from = &r.report.from;
    (
        &from.namespace,
        from.workload.as_deref(),
        &from.name,
        from.container.as_deref(),
        &from.source,
        &r.report.host,
    )
}

/// Evaluate step `namespace` for one Service: the findings of the references
/// that name it, and whether every client in its namespace could be read.
pub fn check(ctx: &ServiceCtx<'_>) -> StepReport {
    let access = &ctx.idx.snap.access;
    let mut findings: Vec<Finding> = Vec::new();
    for resource in [Resource::Pods, Resource::Configmaps] {
        if let Some(f) = not_evaluated(access, "NS-001", resource, Some(ctx.namespace)) {
            findings.push(f.evidence(format_exact!(
                "clients in {} may name {} through values that could not be read; references from other namespaces were checked",
                ctx.namespace, ctx.name
            )));
        }
    }
    for r in ctx.references {
        if let Some(f) = r.finding.as_deref()
            && !findings.contains(f)
        {
            findings.push(f.clone());
        }
    }
    let resolving: Vec<&TracedReference> = ctx
        .references
        .iter()
        .copied()
        .filter(|r| r.report.status == Status::Pass)
        .collect();
    let summary = match resolving.len() {
        0 => format_exact!(
            "no client in scope names {} (env, args, ConfigMaps, Ingresses scanned)",
            ctx.name
        ),
        n => {
            // `namespace/workload` (else the pod), sorted and deduplicated as
            // strings but compared in place: a Service may have thousands.
            let mut who: Vec<(&str, &str)> = resolving
                .iter()
                .map(|r| {
                    let from = &r.report.from;
                    (
                        from.namespace.as_str(),
                        from.workload.as_deref().unwrap_or(&from.name),
                    )
                })
                .collect();
            let as_text = |a: &(&str, &str), b: &(&str, &str)| {
                if a.0 == b.0 {
                    return a.1.cmp(b.1);
                }
                let n = a.0.len().min(b.0.len());
                match a.0.as_bytes()[..n].cmp(&b.0.as_bytes()[..n]) {
                    std::cmp::Ordering::Equal => {
                        a.0.bytes()
                            .chain(std::iter::once(b'/'))
                            .chain(a.1.bytes())
                            .cmp(b.0.bytes().chain(std::iter::once(b'/')).chain(b.1.bytes()))
                    }
                    unequal => unequal,
                }
            };
            who.sort_unstable_by(as_text);
            who.dedup_by(|a, b| as_text(a, b).is_eq());
            let more = if who.len() > 3 {
                format_exact!(" and {} more", who.len() - 3)
            } else {
                String::new()
            };
            who.truncate(3);
            let who: Vec<String> = who
                .iter()
                .map(|(ns, w)| format_exact!("{ns}/{w}"))
                .collect();
            format_exact!(
                "{n} client reference{} resolve{} to it ({}{more})",
                if n == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" },
                who.join(", ")
            )
        }
    };
    StepReport::from_findings(
        StepId::Namespace,
        super::dns::sanitized(findings),
        crate::safe_text::sanitize_owned(summary),
    )
}

#[cfg(test)]
mod tests;
