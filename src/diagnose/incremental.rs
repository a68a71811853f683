//! Re-diagnosis after a few objects change, without rebuilding the index or
//! walking every Service: what the dashboard does on every watch event.
//!
//! [`Incremental`] keeps the snapshot, its [`Tables`], cluster DNS, the
//! references (by client namespace) and the last [`Report`]. A [`Change`]
//! (a pod, an EndpointSlice or an Event set to its current state, or gone)
//! updates the tables in place and re-walks only the Services whose report
//! could read the changed object:
//!
//! - a **pod**: the Services whose selector matches it before or after (the
//!   label index of Service selectors), those in its namespace with a
//!   selector key it carries (SEL-001's near misses), those elsewhere whose
//!   selector it matches exactly (SEL-001's "pods in other namespaces");
//!   the references of its namespace are recomputed (a representative pod,
//!   its IPs and readiness are part of a client, and its `hostname` names it
//!   to the clients of its own namespace alone); the Services whose
//!   references changed are re-walked;
//! - an **EndpointSlice**: the Service it is labelled for (before and after),
//!   the selector-less Services of its namespace (SEL-005's near misses), and
//!   the clients naming that Service (headless hostnames);
//! - an **Event**: the Services selecting the pod it is about, or the Service
//!   it is about; Events about other kinds are never read by the checks;
//! - anything in **kube-system**: cluster DNS is evaluated again, and when it
//!   changed, every Service and reference is (the tables are still kept).
//!
//! The result is the report [`super::diagnose`] gives for the same snapshot
//! at the same time (`tests/incremental.rs` proves it on random changes).
//! Other kinds (a Service, a Deployment, a node…) need a new `Incremental` from a snapshot.
//! Services not re-walked keep the `now` of their last walk, as the
//! dashboard's report always has: call [`Incremental::refresh`] now and then
//! so that time-based checks (restarts within 10 minutes…) move on.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use foldhash::{HashMap, HashSet};
use k8s_openapi::jiff::Timestamp;

use super::context::ServiceCtx;
use super::dns::{self, ClusterDns};
use super::index::{Index, SERVICE_NAME_LABEL, Tables};
use super::namespace::{self, TracedReference, reference_order};
use super::report::{Report, SCHEMA, ServiceRef, ServiceReport};
use super::{
    Options, find_service, key_of, missing_service, missing_services, service_reports, walk,
};
use crate::model::StringMap;
use crate::model::{EndpointSlice, Event, Object, Pod, Service};
use crate::snapshot::Snapshot;

/// The namespace whose objects make cluster DNS.
const KUBE_SYSTEM: &str = "kube-system";

/// One object set to its current state (`None`: deleted).
#[derive(Debug, Clone)]
pub enum Change {
    Pod {
        namespace: String,
        name: String,
        object: Option<Arc<Pod>>,
    },
    EndpointSlice {
        namespace: String,
        name: String,
        object: Option<Arc<EndpointSlice>>,
    },
    Event {
        namespace: String,
        name: String,
        object: Option<Arc<Event>>,
    },
}

/// What [`Incremental::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Applied {
    /// Services (existing or missing) walked again.
    pub walked: usize,
    /// Namespaces whose references were recomputed.
    pub namespaces: usize,
    /// Cluster DNS changed: every Service was walked again.
    pub everything: bool,
}

/// Services by what their selector asks for: which Services a pod's labels
/// can concern. Indices into the snapshot's `services`; Services do not
/// change in an [`Incremental`].
#[derive(Default)]
struct Selectors {
    /// (namespace, key, value) of a selector pair.
    pair: HashMap<(String, String, String), Vec<usize>>,
    /// (key, value) of a selector pair, any namespace.
    pair_anywhere: HashMap<(String, String), Vec<usize>>,
    /// (namespace, selector key in lower case).
    key: HashMap<(String, String), Vec<usize>>,
    /// Selector-less Services by namespace.
    selectorless: HashMap<String, Vec<usize>>,
    /// (namespace, name) → index.
    by_key: HashMap<(String, String), usize>,
}

/// The selector the engine reads: a non-empty one (`ServiceCtx::selector`).
fn selector_of(svc: &Service) -> Option<&StringMap> {
    svc.spec
        .as_ref()
        .and_then(|s| s.selector.as_deref())
        .filter(|s| !s.is_empty())
}

impl Selectors {
    fn build(services: &[Arc<Service>]) -> Selectors {
        let mut out = Selectors::default();
        for (i, svc) in services.iter().enumerate() {
            let (ns, name) = key_of(svc);
            out.by_key.insert((ns.to_string(), name.to_string()), i);
            let Some(selector) = selector_of(svc) else {
                out.selectorless.entry(ns.to_string()).or_default().push(i);
                continue;
            };
            for (k, v) in selector {
                out.pair
                    .entry((ns.to_string(), k.to_string(), v.to_string()))
                    .or_default()
                    .push(i);
                out.pair_anywhere
                    .entry((k.to_string(), v.to_string()))
                    .or_default()
                    .push(i);
                let lower = (ns.to_string(), k.as_str().to_lowercase());
                let list = out.key.entry(lower).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        out
    }

    /// The Services a pod with `labels` in `ns` concerns (see the module doc).
    fn for_pod(
        &self,
        services: &[Arc<Service>],
        ns: &str,
        labels: &StringMap,
        out: &mut BTreeSet<usize>,
    ) {
        let matches = |i: &usize| {
            selector_of(&services[*i])
                .is_some_and(|sel| super::index::labels_match(Some(labels), sel))
        };
        for (k, v) in labels {
            let here = (ns.to_string(), k.to_string(), v.to_string());
            out.extend(
                self.pair
                    .get(&here)
                    .into_iter()
                    .flatten()
                    .filter(|i| matches(i)),
            );
            let anywhere = (k.to_string(), v.to_string());
            out.extend(
                self.pair_anywhere
                    .get(&anywhere)
                    .into_iter()
                    .flatten()
                    .filter(|i| matches(i)),
            );
            let key = (ns.to_string(), k.as_str().to_lowercase());
            out.extend(self.key.get(&key).into_iter().flatten().copied());
        }
    }

    /// The Services a pod's events concern: those selecting it.
    fn selecting(
        &self,
        services: &[Arc<Service>],
        ns: &str,
        labels: &StringMap,
        out: &mut BTreeSet<usize>,
    ) {
        for (k, v) in labels {
            let here = (ns.to_string(), k.to_string(), v.to_string());
            out.extend(self.pair.get(&here).into_iter().flatten().filter(|i| {
                selector_of(&services[**i])
                    .is_some_and(|sel| super::index::labels_match(Some(labels), sel))
            }));
        }
    }

    fn service(&self, ns: &str, name: &str) -> Option<usize> {
        self.by_key
            .get(&(ns.to_string(), name.to_string()))
            .copied()
    }
}

/// A diagnosis kept up to date object by object.
pub struct Incremental {
    snap: Snapshot,
    tables: Tables,
    dns: ClusterDns,
    /// References by the namespace of their client, each list in report order.
    refs: BTreeMap<String, Vec<TracedReference>>,
    /// The client namespaces whose references name a Service (or a missing
    /// one), with how many: where to look for a Service's references.
    named_from: HashMap<ServiceRef, Namers>,
    selectors: Selectors,
    report: Report,
}

impl Incremental {
    /// Diagnose `snap` in full at `now` (as [`super::diagnose`] with default
    /// options) and keep what it takes to follow changes.
    pub fn new(snap: Snapshot, now: Timestamp) -> Incremental {
        let tables = Tables::build_to_keep(&snap);
        let selectors = Selectors::build(&snap.services);
        let (dns, refs, report) = everything(&snap, &tables, now, None);
        let named_from = named_from(&refs);
        Incremental {
            snap,
            tables,
            dns,
            named_from,
            refs,
            selectors,
            report,
        }
    }

    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The snapshot as changed so far (the objects the report is of).
    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    /// Read readiness history (the live form of RDY-003) from `readiness`
    /// from now on: the Services a later change or [`Incremental::refresh`]
    /// walks see it. A Service's history changes only when its
    /// EndpointSlices do, which walks it.
    pub fn set_readiness(
        &mut self,
        readiness: Option<Arc<crate::snapshot::history::ReadinessHistory>>,
    ) {
        self.snap.readiness = readiness;
    }

    /// Walk every Service again at `now` (time-based checks move on), with
    /// new readiness history; the tables are kept.
    pub fn refresh(
        &mut self,
        readiness: Option<Arc<crate::snapshot::history::ReadinessHistory>>,
        now: Timestamp,
    ) {
        self.snap.readiness = readiness;
        let (dns, refs, report) = everything(
            &self.snap,
            &self.tables,
            now,
            Some((&self.refs, &self.report)),
        );
        self.dns = dns;
        self.named_from = named_from(&refs);
        self.refs = refs;
        self.report = report;
    }

    /// Apply `changes` and re-walk what they concern, at `now`.
    pub fn apply(&mut self, changes: &[Change], now: Timestamp) -> Applied {
        let mut services: BTreeSet<usize> = BTreeSet::new();
        // Namespaces whose references to recompute; Services whose clients
        // name a changed slice's Service.
        let mut rescan: BTreeSet<String> = BTreeSet::new();
        let mut named: Vec<ServiceRef> = Vec::new();
        let mut dns_dirty = false;
        for change in changes {
            match change {
                Change::Pod {
                    namespace,
                    name,
                    object,
                } => {
                    let old = self.tables.pod(namespace, name).cloned();
                    for pod in old.iter().chain(object.iter()) {
                        if let Some(labels) = &pod.metadata.labels {
                            self.selectors.for_pod(
                                &self.snap.services,
                                namespace,
                                labels,
                                &mut services,
                            );
                        }
                    }
                    // Its namespace's clients: a pod's hostname names it
                    // only to them (`hostname.subdomain`).
                    rescan.insert(namespace.clone());
                    dns_dirty |= namespace == KUBE_SYSTEM;
                    replace(
                        &mut self.snap.pods,
                        old.as_ref(),
                        object.as_ref(),
                        |t, o| t.remove_pod(o),
                        |t, o| t.insert_pod(o),
                        &mut self.tables,
                    );
                }
                Change::EndpointSlice {
                    namespace,
                    name,
                    object,
                } => {
                    let old = find(&self.snap.endpoint_slices, namespace, name);
                    for slice in old.iter().chain(object.iter()) {
                        let label = slice
                            .metadata
                            .labels
                            .as_ref()
                            .and_then(|l| l.get(SERVICE_NAME_LABEL));
                        if let Some(svc) = label {
                            services.extend(self.selectors.service(namespace, svc));
                            named.push(ServiceRef::new(namespace, svc));
                        }
                    }
                    services.extend(
                        self.selectors
                            .selectorless
                            .get(namespace.as_str())
                            .into_iter()
                            .flatten()
                            .copied(),
                    );
                    dns_dirty |= namespace == KUBE_SYSTEM;
                    replace(
                        &mut self.snap.endpoint_slices,
                        old.as_ref(),
                        object.as_ref(),
                        |t, o| t.remove_slice(o),
                        |t, o| t.insert_slice(o),
                        &mut self.tables,
                    );
                }
                Change::Event {
                    namespace,
                    name,
                    object,
                } => {
                    let old = find(&self.snap.events, namespace, name);
                    for ev in old.iter().chain(object.iter()) {
                        let about = &ev.involved_object;
                        let ns = about.namespace.as_deref().unwrap_or(namespace);
                        let about_name = about.name.as_deref().unwrap_or("");
                        match about.kind.as_deref() {
                            Some("Pod") => {
                                if let Some(labels) = self
                                    .tables
                                    .pod(ns, about_name)
                                    .and_then(|p| p.metadata.labels.as_deref())
                                {
                                    self.selectors.selecting(
                                        &self.snap.services,
                                        ns,
                                        labels,
                                        &mut services,
                                    );
                                }
                                dns_dirty |= ns == KUBE_SYSTEM;
                            }
                            Some("Service") => {
                                services.extend(self.selectors.service(ns, about_name));
                                dns_dirty |= ns == KUBE_SYSTEM;
                            }
                            _ => {}
                        }
                    }
                    replace(
                        &mut self.snap.events,
                        old.as_ref(),
                        object.as_ref(),
                        |t, o| t.remove_event(o),
                        |t, o| t.insert_event(o),
                        &mut self.tables,
                    );
                }
            }
        }

        // Cluster DNS first: when it changed, everything is walked again.
        if dns_dirty {
            let idx = Index::new(&self.snap, &self.tables, now);
            let dns = dns::cluster(&idx);
            if dns != self.dns {
                let (dns, refs, report) = everything(
                    &self.snap,
                    &self.tables,
                    now,
                    Some((&self.refs, &self.report)),
                );
                self.dns = dns;
                self.named_from = named_from(&refs);
                self.refs = refs;
                self.report = report;
                return Applied {
                    walked: self.report.services.len(),
                    namespaces: self.refs.len(),
                    everything: true,
                };
            }
        }

        // Clients that name a changed slice's Service.
        if !named.is_empty() {
            for (ns, refs) in &self.refs {
                let names_it = refs
                    .iter()
                    .any(|r| r.targets.iter().any(|t| named.contains(t)));
                if names_it {
                    rescan.insert(ns.clone());
                }
            }
        }

        let idx = Index::new(&self.snap, &self.tables, now);
        // References of the rescanned namespaces; the Services whose
        // references changed.
        let mut targets: HashSet<ServiceRef> = HashSet::default();
        let mut rescanned = 0;
        for ns in &rescan {
            if !self.snap.scope.contains(ns) {
                continue;
            }
            rescanned += 1;
            let fresh = namespace::references_in(&idx, &self.dns, &[ns.as_str()], &|n| {
                self.refs.get(n).map_or(&[][..], Vec::as_slice)
            });
            let old = self.refs.remove(ns).unwrap_or_default();
            changed_targets(&old, &fresh, &mut targets);
            count_named(&mut self.named_from, ns, &old, -1);
            count_named(&mut self.named_from, ns, &fresh, 1);
            splice_references(&mut self.report, &self.refs, ns, old.len(), &fresh);
            if !fresh.is_empty() {
                self.refs.insert(ns.clone(), fresh);
            }
        }
        for t in &targets {
            services.extend(self.selectors.service(&t.namespace, &t.name));
        }

        // Walk the concerned Services (in scope) and the missing ones whose
        // references changed.
        let mut keys: HashSet<ServiceRef> = targets.clone();
        let walk_list: Vec<usize> = services
            .into_iter()
            .filter(|i| self.snap.scope.contains(key_of(&self.snap.services[*i]).0))
            .collect();
        for i in &walk_list {
            let (ns, name) = key_of(&self.snap.services[*i]);
            keys.insert(ServiceRef::new(ns, name));
        }
        // Each Service's references, in report order, from the namespaces
        // that name it.
        let mut by_target: BTreeMap<ServiceRef, Vec<&TracedReference>> = BTreeMap::new();
        for key in &keys {
            let Some(from) = self.named_from.get(key) else {
                continue;
            };
            let list: Vec<&TracedReference> = from
                .namespaces()
                .filter_map(|ns| self.refs.get(ns))
                .flatten()
                // Once per time it names the Service, as `diagnose` counts.
                .flat_map(|r| r.targets.iter().filter(|t| *t == key).map(move |_| r))
                .collect();
            by_target.insert(key.clone(), list);
        }
        let mut walked = 0;
        for i in walk_list {
            let svc = &self.snap.services[i];
            let (ns, name) = key_of(svc);
            let key = ServiceRef::new(ns, name);
            let refs = by_target.get(&key).map_or(&[][..], Vec::as_slice);
            let fresh = walk(&ServiceCtx::new(&idx, svc, refs, &self.dns));
            put_service(&mut self.report.services, fresh);
            walked += 1;
        }
        let all: Vec<&TracedReference> = self.refs.values().flatten().collect();
        let missing = missing_services(&self.snap, &all, None);
        // Missing Services that are no longer named, then new or changed ones.
        self.report
            .services
            .retain(|s| s.exists || missing.contains(&s.service_ref()));
        for m in &missing {
            let present = find_service(&self.report.services, &m.namespace, &m.name).is_ok();
            if !present || targets.contains(m) {
                let refs = by_target.get(m).cloned().unwrap_or_default();
                put_service(&mut self.report.services, missing_service(&idx, m, &refs));
                walked += 1;
            }
        }
        self.report.generated_at = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        Applied {
            walked,
            namespaces: rescanned,
            everything: false,
        }
    }
}

/// The client namespaces naming one Service, each with how many of its
/// references do, in namespace order. A sorted list rather than a map: most
/// Services are named from one or two namespaces, and a B-tree node is half
/// a kilobyte.
#[derive(Default)]
struct Namers(Vec<(String, usize)>);

impl Namers {
    /// Count `by` more (or fewer) references from `ns`; a namespace whose
    /// count reaches zero leaves.
    fn add(&mut self, ns: &str, by: isize) {
        match self.0.binary_search_by(|(n, _)| n.as_str().cmp(ns)) {
            Ok(i) => {
                let count = &mut self.0[i].1;
                *count = count.saturating_add_signed(by);
                if *count == 0 {
                    self.0.remove(i);
                }
            }
            Err(i) if by > 0 => self.0.insert(i, (ns.to_string(), by.unsigned_abs())),
            Err(_) => {}
        }
    }

    fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(ns, _)| ns.as_str())
    }
}

/// For each Service that references name, the client namespaces naming it.
fn named_from(refs: &BTreeMap<String, Vec<TracedReference>>) -> HashMap<ServiceRef, Namers> {
    let mut out = HashMap::default();
    for (ns, list) in refs {
        count_named(&mut out, ns, list, 1);
    }
    out
}

/// Add (`by` 1) or take away (-1) the targets of `list`, references from `ns`.
fn count_named(
    named_from: &mut HashMap<ServiceRef, Namers>,
    ns: &str,
    list: &[TracedReference],
    by: isize,
) {
    for r in list {
        for t in &r.targets {
            let from = named_from.entry(t.clone()).or_default();
            from.add(ns, by);
            if from.0.is_empty() {
                named_from.remove(t);
            }
        }
    }
}

/// The references by client namespace and the report the engine holds.
type Previous<'p> = (&'p BTreeMap<String, Vec<TracedReference>>, &'p Report);

/// Cluster DNS, references and the report of everything, from `tables`.
/// What comes out as it is in `previous` is shared with it, not copied.
fn everything(
    snap: &Snapshot,
    tables: &Tables,
    now: Timestamp,
    previous: Option<Previous<'_>>,
) -> (ClusterDns, BTreeMap<String, Vec<TracedReference>>, Report) {
    let idx = Index::new(snap, tables, now);
    let dns = dns::cluster(&idx);
    let mut refs: BTreeMap<String, Vec<TracedReference>> = BTreeMap::new();
    let old_refs = |ns: &str| {
        previous
            .and_then(|(refs, _)| refs.get(ns))
            .map_or(&[][..], Vec::as_slice)
    };
    for r in namespace::references(&idx, &dns, &old_refs) {
        refs.entry(r.report.from.namespace.to_string())
            .or_default()
            .push(r);
    }
    let all: Vec<&TracedReference> = refs.values().flatten().collect();
    let old_services = previous.map_or(&[][..], |(_, report)| report.services.as_slice());
    let services = service_reports(&idx, &dns, &all, &Options::default(), old_services);
    let report = Report {
        schema: SCHEMA,
        context: snap.context.clone(),
        generated_at: now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        cluster: dns.report_steps(),
        services,
        references: all.iter().map(|r| Arc::clone(&r.report)).collect(),
    };
    (dns, refs, report)
}

/// The object named `namespace/name` in `list`.
fn find<T: Object>(list: &[Arc<T>], namespace: &str, name: &str) -> Option<Arc<T>> {
    list.iter()
        .find(|o| {
            let meta = o.meta();
            meta.namespace.as_deref() == Some(namespace) && meta.name.as_deref() == Some(name)
        })
        .cloned()
}

/// Swap `old` for `new` in `list` and in the tables: the object leaves its
/// place and the new state goes last, in the list and in every table list,
/// so that tables built afresh from the list would be the same.
fn replace<T>(
    list: &mut Vec<Arc<T>>,
    old: Option<&Arc<T>>,
    new: Option<&Arc<T>>,
    remove: impl Fn(&mut Tables, &Arc<T>),
    insert: impl Fn(&mut Tables, &Arc<T>),
    tables: &mut Tables,
) {
    if let Some(old) = old {
        remove(tables, old);
        if let Some(at) = list.iter().position(|o| Arc::ptr_eq(o, old)) {
            list.remove(at);
        }
    }
    if let Some(new) = new {
        insert(tables, new);
        list.push(Arc::clone(new));
    }
}

/// The targets (and missing Services) of references in `old` or `fresh` that
/// are not the same in both. Both are in report order.
fn changed_targets(
    old: &[TracedReference],
    fresh: &[TracedReference],
    out: &mut HashSet<ServiceRef>,
) {
    let mut mark = |r: &TracedReference| {
        out.extend(r.targets.iter().cloned());
        out.extend(r.missing.iter().cloned());
    };
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < fresh.len() {
        match reference_order(&old[i]).cmp(&reference_order(&fresh[j])) {
            std::cmp::Ordering::Less => {
                mark(&old[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                mark(&fresh[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                if old[i] != fresh[j] {
                    mark(&old[i]);
                    mark(&fresh[j]);
                }
                i += 1;
                j += 1;
            }
        }
    }
    old[i..].iter().for_each(&mut mark);
    fresh[j..].iter().for_each(&mut mark);
}

/// Replace the `old_len` references of namespace `ns` in the report (they
/// follow those of every namespace before it) with `fresh`. `refs` no longer
/// holds `ns`.
fn splice_references(
    report: &mut Report,
    refs: &BTreeMap<String, Vec<TracedReference>>,
    ns: &str,
    old_len: usize,
    fresh: &[TracedReference],
) {
    let start: usize = refs
        .range::<str, _>((std::ops::Bound::Unbounded, std::ops::Bound::Excluded(ns)))
        .map(|(_, list)| list.len())
        .sum();
    report.references.splice(
        start..start + old_len,
        fresh.iter().map(|r| Arc::clone(&r.report)),
    );
}

/// Put a Service's report in its sorted place, replacing the one there.
fn put_service(services: &mut Vec<Arc<ServiceReport>>, fresh: ServiceReport) {
    let fresh = Arc::new(fresh);
    match find_service(services, &fresh.namespace, &fresh.name) {
        Ok(at) => services[at] = fresh,
        Err(at) => services.insert(at, fresh),
    }
}
