//! Lookup tables over a [`Snapshot`], built once per diagnosis (or kept and
//! updated pod by pod by [`super::incremental`]).
//!
//! Every table is a hash table keyed the way the checks ask (namespace, name,
//! label pair, uid), so building the index is O(objects) and each lookup is
//! O(1) plus the size of its answer. Keys are not stored: an entry holds its
//! precomputed hash and is compared against the object it holds, so building
//! allocates no key strings. Selector matching walks the shortest
//! posting list of the selector's `key=value` pairs instead of every pod in the
//! namespace: a Service's cost is proportional to the pods it (nearly) selects.
//! One lookup walks instead: SEL-001's near misses by label key
//! ([`Index::pods_with_a_key_of`]), asked only for a Service that selects none.

use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, OnceLock};

use foldhash::fast::FixedState;
use hashbrown::HashTable;

use k8s_openapi::jiff::Timestamp;

use crate::model::StringMap;
use crate::model::{
    ConfigMap, DaemonSet, Deployment, EndpointSlice, Endpoints, Event, Ingress, LabelSelector,
    Meta, Namespace, NetworkPolicy, Node, Pod, PodTemplateSpec, ReplicaSet, Service, Shared,
    StatefulSet,
};
use crate::snapshot::{ContainerLogs, Snapshot};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

/// The label the EndpointSlice controller puts on every slice of a Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// `(namespace, name)` of a namespaced object.
pub type Key<'a> = (&'a str, &'a str);

/// Whether the Node's `Ready` condition is `True`.
pub fn node_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

fn name_of(meta: &Meta) -> &str {
    meta.name.as_deref().unwrap_or("")
}

fn ns_of(meta: &Meta) -> &str {
    meta.namespace.as_deref().unwrap_or("")
}

fn key_of(meta: &Meta) -> Key<'_> {
    (ns_of(meta), name_of(meta))
}

/// A workload that owns pods through a pod template.
#[derive(Debug, Clone, Copy)]
pub enum Workload<'a> {
    Deployment(&'a Deployment),
    StatefulSet(&'a StatefulSet),
    DaemonSet(&'a DaemonSet),
    ReplicaSet(&'a ReplicaSet),
}

impl<'a> Workload<'a> {
    pub fn kind(&self) -> &'static str {
        match self {
            Workload::Deployment(_) => "Deployment",
            Workload::StatefulSet(_) => "StatefulSet",
            Workload::DaemonSet(_) => "DaemonSet",
            Workload::ReplicaSet(_) => "ReplicaSet",
        }
    }

    /// The resource name kubectl takes (`deployment`, `statefulset`, …).
    pub fn resource(&self) -> &'static str {
        match self {
            Workload::Deployment(_) => "deployment",
            Workload::StatefulSet(_) => "statefulset",
            Workload::DaemonSet(_) => "daemonset",
            Workload::ReplicaSet(_) => "replicaset",
        }
    }

    pub fn meta(&self) -> &'a Meta {
        match self {
            Workload::Deployment(o) => &o.metadata,
            Workload::StatefulSet(o) => &o.metadata,
            Workload::DaemonSet(o) => &o.metadata,
            Workload::ReplicaSet(o) => &o.metadata,
        }
    }

    pub fn name(&self) -> &'a str {
        name_of(self.meta())
    }

    pub fn namespace(&self) -> &'a str {
        ns_of(self.meta())
    }

    pub fn template(&self) -> Option<&'a PodTemplateSpec> {
        match self {
            Workload::Deployment(o) => o.spec.as_ref().map(|s| &s.template),
            Workload::StatefulSet(o) => o.spec.as_ref().map(|s| &s.template),
            Workload::DaemonSet(o) => o.spec.as_ref().map(|s| &s.template),
            Workload::ReplicaSet(o) => o.spec.as_ref().and_then(|s| s.template.as_ref()),
        }
    }

    /// Labels of the pod template.
    pub fn template_labels(&self) -> Option<&'a StringMap> {
        self.template()
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.as_deref())
    }

    /// The workload's selector.
    pub fn selector(&self) -> Option<&'a LabelSelector> {
        match self {
            Workload::Deployment(o) => o.spec.as_ref().map(|s| &s.selector),
            Workload::StatefulSet(o) => o.spec.as_ref().map(|s| &s.selector),
            Workload::DaemonSet(o) => o.spec.as_ref().map(|s| &s.selector),
            Workload::ReplicaSet(o) => o.spec.as_ref().map(|s| &s.selector),
        }
    }

    /// The selector's `matchLabels` (immutable for apps/v1 workloads).
    pub fn match_labels(&self) -> Option<&'a StringMap> {
        self.selector()?.match_labels.as_deref()
    }

    /// Desired replicas (`None` for DaemonSets, which have no such field).
    pub fn replicas(&self) -> Option<i32> {
        match self {
            Workload::Deployment(o) => Some(o.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)),
            Workload::StatefulSet(o) => Some(o.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)),
            Workload::ReplicaSet(o) => Some(o.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)),
            Workload::DaemonSet(_) => None,
        }
    }

    /// `kind/name` as kubectl takes it (`deployment/web`).
    pub fn kubectl_ref(&self) -> String {
        format_exact!("{}/{}", self.resource(), self.name())
    }
}

/// A hash table keyed by a precomputed hash and compared by a closure, so
/// keys are read from the stored objects themselves: building a table
/// allocates no key, and an object can be removed and put back one at a time.
struct Table<V> {
    t: HashTable<(u64, V)>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Table {
            t: HashTable::new(),
        }
    }
}

impl<V> Table<V> {
    fn get(&self, h: u64, eq: impl Fn(&V) -> bool) -> Option<&V> {
        self.t.find(h, |(eh, v)| *eh == h && eq(v)).map(|(_, v)| v)
    }

    fn get_mut(&mut self, h: u64, eq: impl Fn(&V) -> bool) -> Option<&mut V> {
        self.t
            .find_mut(h, |(eh, v)| *eh == h && eq(v))
            .map(|(_, v)| v)
    }

    fn entry(&mut self, h: u64, eq: impl Fn(&V) -> bool, make: impl FnOnce() -> V) -> &mut V {
        match self.t.entry(h, |(eh, v)| *eh == h && eq(v), |(eh, _)| *eh) {
            hashbrown::hash_table::Entry::Occupied(o) => &mut o.into_mut().1,
            hashbrown::hash_table::Entry::Vacant(v) => &mut v.insert((h, make())).into_mut().1,
        }
    }

    fn remove(&mut self, h: u64, eq: impl Fn(&V) -> bool) -> Option<V> {
        self.t
            .find_entry(h, |(eh, v)| *eh == h && eq(v))
            .ok()
            .map(|o| o.remove().0.1)
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.t.iter().map(|(_, v)| v)
    }
}

/// One object per key (the last one put wins, as in a map).
impl<T> Table<Arc<T>> {
    fn put(&mut self, h: u64, obj: Arc<T>, same: impl Fn(&T) -> bool) {
        match self
            .t
            .entry(h, |(eh, v)| *eh == h && same(v), |(eh, _)| *eh)
        {
            hashbrown::hash_table::Entry::Occupied(mut o) => o.get_mut().1 = obj,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert((h, obj));
            }
        }
    }
}

/// Lists per key, in insertion order; a key whose list empties is removed.
/// Whether an object goes into the tables or out of them.
#[derive(Clone, Copy)]
enum Op {
    Insert,
    Remove,
}

impl<T> Table<Vec<Arc<T>>> {
    fn push(&mut self, h: u64, obj: &Arc<T>, same_key: impl Fn(&T) -> bool) {
        self.extend(h, std::slice::from_ref(obj), same_key);
    }

    /// [`Self::push`] of each of `objs` (all under the same key), with one
    /// lookup of the key.
    fn extend(&mut self, h: u64, objs: &[Arc<T>], same_key: impl Fn(&T) -> bool) {
        self.entry(h, |l| l.first().is_some_and(|o| same_key(o)), Vec::new)
            .extend(objs.iter().cloned());
    }

    fn list(&self, h: u64, same_key: impl Fn(&T) -> bool) -> &[Arc<T>] {
        self.get(h, |l| l.first().is_some_and(|o| same_key(o)))
            .map_or(&[], Vec::as_slice)
    }

    /// [`Self::push`] or [`Self::take`], as `op` says.
    fn apply(&mut self, op: Op, h: u64, obj: &Arc<T>, same_key: impl Fn(&T) -> bool) {
        self.apply_all(op, h, std::slice::from_ref(obj), same_key);
    }

    /// [`Self::apply`] to each of `objs` (all under the same key): one
    /// lookup of the key to insert them.
    fn apply_all(&mut self, op: Op, h: u64, objs: &[Arc<T>], same_key: impl Fn(&T) -> bool) {
        match op {
            Op::Insert => self.extend(h, objs, same_key),
            Op::Remove => {
                for obj in objs {
                    self.take(h, obj, &same_key);
                }
            }
        }
    }

    /// Take `obj` (this very Arc) out of the list of its key.
    fn take(&mut self, h: u64, obj: &Arc<T>, same_key: impl Fn(&T) -> bool) {
        let eq = |l: &Vec<Arc<T>>| l.first().is_some_and(|o| same_key(o));
        if let Some(list) = self.get_mut(h, eq) {
            list.retain(|o| !Arc::ptr_eq(o, obj));
            if list.is_empty() {
                self.remove(h, eq);
            }
        }
    }
}

impl<X> Table<Vec<X>> {
    /// Every list at its length: a full build's lists grew by doubling, and
    /// a third of their room was empty.
    fn shrink_lists(&mut self) {
        for (_, list) in self.t.iter_mut() {
            list.shrink_to_fit();
        }
    }
}

/// The fixed-seed hash of the tables' keys: `parts` separated, so that
/// `("ab", "c")` and `("a", "bc")` differ.
fn hash(parts: &[&str]) -> u64 {
    let mut h = FixedState::with_seed(0x5eed_d0c7_0000_0005).build_hasher();
    for p in parts {
        h.write(p.as_bytes());
        h.write_u8(0xff);
    }
    h.finish()
}

/// `a.to_lowercase() == b.to_lowercase()`, without allocating for ASCII.
fn same_lower(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
    }
}

fn in_ns(meta: &Meta, ns: &str) -> bool {
    ns_of(meta) == ns
}

fn named(meta: &Meta, ns: &str, name: &str) -> bool {
    name_of(meta) == name && ns_of(meta) == ns
}

/// A workload as the tables keep it.
#[derive(Debug, Clone)]
enum OwnedWorkload {
    Deployment(Arc<Deployment>),
    StatefulSet(Arc<StatefulSet>),
    DaemonSet(Arc<DaemonSet>),
    ReplicaSet(Arc<ReplicaSet>),
}

impl OwnedWorkload {
    fn borrow(&self) -> Workload<'_> {
        match self {
            OwnedWorkload::Deployment(o) => Workload::Deployment(o),
            OwnedWorkload::StatefulSet(o) => Workload::StatefulSet(o),
            OwnedWorkload::DaemonSet(o) => Workload::DaemonSet(o),
            OwnedWorkload::ReplicaSet(o) => Workload::ReplicaSet(o),
        }
    }
}

/// The lookup tables of a snapshot, owning (sharing) its objects. Built once
/// per diagnosis in O(objects + labels), or kept by [`super::incremental`]
/// and updated one pod at a time.
#[derive(Default)]
pub struct Tables {
    namespaces: Table<Arc<Namespace>>,
    nodes: Table<Arc<Node>>,
    services: Table<Arc<Service>>,
    services_by_name: Table<Vec<Arc<Service>>>,
    services_by_ns: Table<Vec<Arc<Service>>>,
    pods: Table<Arc<Pod>>,
    pods_by_ns: Table<Vec<Arc<Pod>>>,
    /// (namespace, key, value) → pods with that label.
    pods_by_label: Table<Vec<Arc<Pod>>>,
    /// (key, value) → pods with that label in any namespace (SEL-001's
    /// "matches in other namespaces").
    pods_by_pair: Table<Vec<Arc<Pod>>>,
    slices_by_service: Table<Vec<Arc<EndpointSlice>>>,
    slices_by_ns: Table<Vec<Arc<EndpointSlice>>>,
    endpoints: Table<Arc<Endpoints>>,
    events_by_uid: Table<Vec<Arc<Event>>>,
    events_by_object: Table<Vec<Arc<Event>>>,
    config_maps: Table<Arc<ConfigMap>>,
    deployments: Table<Arc<Deployment>>,
    replica_sets: Table<Arc<ReplicaSet>>,
    stateful_sets: Table<Arc<StatefulSet>>,
    daemon_sets: Table<Arc<DaemonSet>>,
    workloads_by_ns: Table<Vec<OwnedWorkload>>,
    network_policies_by_ns: Table<Vec<Arc<NetworkPolicy>>>,
    ingresses_by_ns: Table<Vec<Arc<Ingress>>>,
}

impl Tables {
    /// Every table in one pass over each object list: O(objects + labels),
    /// for one diagnosis. The tables fill in two halves on two threads, of
    /// about the same work ([`Tables::fill_by_name`],
    /// [`Tables::fill_the_rest`]); each table in the order of its object
    /// list, as inserting one object at a time would. Lists keep the room
    /// they grew (about a third empty): they are dropped when the diagnosis
    /// ends, and fitting them would cost more than it saves.
    pub fn build(snap: &Snapshot) -> Tables {
        let (t, rest) = rayon::join(
            || {
                let mut t = Tables::default();
                t.fill_by_name(snap);
                t
            },
            || {
                let mut r = Tables::default();
                r.fill_the_rest(snap);
                r
            },
        );
        Tables {
            namespaces: t.namespaces,
            nodes: t.nodes,
            services: t.services,
            services_by_name: t.services_by_name,
            services_by_ns: t.services_by_ns,
            pods: t.pods,
            pods_by_ns: t.pods_by_ns,
            pods_by_label: t.pods_by_label,
            ..rest
        }
    }

    /// Drop the tables in two halves on two threads. They hold a count on
    /// nearly every object, and giving those back is a walk over every list
    /// (about 12 ms at L on one thread): [`super::diagnose`] does it while
    /// it takes the references apart.
    pub fn release(self) {
        let Tables {
            namespaces,
            nodes,
            services,
            services_by_name,
            services_by_ns,
            pods,
            pods_by_ns,
            pods_by_label,
            pods_by_pair,
            slices_by_service,
            slices_by_ns,
            endpoints,
            events_by_uid,
            events_by_object,
            config_maps,
            deployments,
            replica_sets,
            stateful_sets,
            daemon_sets,
            workloads_by_ns,
            network_policies_by_ns,
            ingresses_by_ns,
        } = self;
        // The two label tables are the largest, one in each half.
        rayon::join(
            move || {
                drop((namespaces, nodes, services, services_by_name));
                drop((services_by_ns, pods, pods_by_label));
            },
            move || {
                drop((pods_by_ns, pods_by_pair, slices_by_service, slices_by_ns));
                drop((endpoints, events_by_uid, events_by_object, config_maps));
                drop((deployments, replica_sets, stateful_sets, daemon_sets));
                drop((workloads_by_ns, network_policies_by_ns, ingresses_by_ns));
            },
        );
    }

    /// [`Tables::build`] for tables kept and updated for a long time (the
    /// dashboard's engine): every list fitted to its length.
    pub fn build_to_keep(snap: &Snapshot) -> Tables {
        let mut t = Tables::build(snap);
        t.fit_lists();
        t
    }

    /// [`Table::shrink_lists`] on every table of lists.
    fn fit_lists(&mut self) {
        self.services_by_name.shrink_lists();
        self.services_by_ns.shrink_lists();
        self.pods_by_ns.shrink_lists();
        self.pods_by_label.shrink_lists();
        self.pods_by_pair.shrink_lists();
        self.slices_by_service.shrink_lists();
        self.slices_by_ns.shrink_lists();
        self.events_by_uid.shrink_lists();
        self.events_by_object.shrink_lists();
        self.workloads_by_ns.shrink_lists();
        self.network_policies_by_ns.shrink_lists();
        self.ingresses_by_ns.shrink_lists();
    }

    /// The first half of [`Tables::build`]: namespaces, nodes, Services and
    /// the pod tables of each pod's own namespace.
    fn fill_by_name(&mut self, snap: &Snapshot) {
        let t = self;
        for ns in &snap.namespaces {
            let name = name_of(&ns.metadata);
            t.namespaces.put(hash(&[name]), Arc::clone(ns), |o| {
                name_of(&o.metadata) == name
            });
        }
        for node in &snap.nodes {
            let name = name_of(&node.metadata);
            t.nodes.put(hash(&[name]), Arc::clone(node), |o| {
                name_of(&o.metadata) == name
            });
        }
        for svc in &snap.services {
            let (ns, name) = key_of(&svc.metadata);
            t.services.put(hash(&[ns, name]), Arc::clone(svc), |o| {
                named(&o.metadata, ns, name)
            });
            t.services_by_name
                .push(hash(&[name]), svc, |o| name_of(&o.metadata) == name);
            t.services_by_ns
                .push(hash(&[ns]), svc, |o| in_ns(&o.metadata, ns));
        }
        // A run of pods at a time: the API lists pods by namespace and
        // name, so a namespace's pods, and a ReplicaSet's replicas (one
        // pooled label map), come one after the other. One lookup per run
        // and key instead of one per pod and key; the lists come out the
        // same in any order, where runs are only shorter.
        for run in snap.pods.chunk_by(same_ns) {
            index_pods_by_name(
                &mut t.pods,
                &mut t.pods_by_ns,
                &mut t.pods_by_label,
                run,
                Op::Insert,
            );
        }
    }

    /// The second half of [`Tables::build`]: pods by label across
    /// namespaces, and every other object.
    fn fill_the_rest(&mut self, snap: &Snapshot) {
        let t = self;
        // A run of replicas at a time, as in `fill_by_name`.
        for run in snap.pods.chunk_by(same_labels) {
            index_pods_across(&mut t.pods_by_pair, run, Op::Insert);
        }
        for slice in &snap.endpoint_slices {
            t.insert_slice(slice);
        }
        for ep in &snap.endpoints {
            let (ns, name) = key_of(&ep.metadata);
            t.endpoints.put(hash(&[ns, name]), Arc::clone(ep), |o| {
                named(&o.metadata, ns, name)
            });
        }
        for ev in &snap.events {
            t.insert_event(ev);
        }
        for cm in &snap.config_maps {
            let (ns, name) = key_of(&cm.metadata);
            t.config_maps.put(hash(&[ns, name]), Arc::clone(cm), |o| {
                named(&o.metadata, ns, name)
            });
        }
        for d in &snap.deployments {
            let (ns, name) = key_of(&d.metadata);
            t.deployments.put(hash(&[ns, name]), Arc::clone(d), |o| {
                named(&o.metadata, ns, name)
            });
            t.push_workload(ns, OwnedWorkload::Deployment(Arc::clone(d)));
        }
        for s in &snap.stateful_sets {
            let (ns, name) = key_of(&s.metadata);
            t.stateful_sets.put(hash(&[ns, name]), Arc::clone(s), |o| {
                named(&o.metadata, ns, name)
            });
            t.push_workload(ns, OwnedWorkload::StatefulSet(Arc::clone(s)));
        }
        for d in &snap.daemon_sets {
            let (ns, name) = key_of(&d.metadata);
            t.daemon_sets.put(hash(&[ns, name]), Arc::clone(d), |o| {
                named(&o.metadata, ns, name)
            });
            t.push_workload(ns, OwnedWorkload::DaemonSet(Arc::clone(d)));
        }
        for rs in &snap.replica_sets {
            let (ns, name) = key_of(&rs.metadata);
            t.replica_sets.put(hash(&[ns, name]), Arc::clone(rs), |o| {
                named(&o.metadata, ns, name)
            });
            // A ReplicaSet owned by a Deployment is not a workload of its own.
            let owned = rs
                .metadata
                .owner_references
                .as_ref()
                .is_some_and(|o| o.iter().any(|o| o.controller == Some(true)));
            if !owned {
                t.push_workload(ns, OwnedWorkload::ReplicaSet(Arc::clone(rs)));
            }
        }
        for np in &snap.network_policies {
            let ns = ns_of(&np.metadata);
            t.network_policies_by_ns
                .push(hash(&[ns]), np, |o| in_ns(&o.metadata, ns));
        }
        for ing in &snap.ingresses {
            let ns = ns_of(&ing.metadata);
            t.ingresses_by_ns
                .push(hash(&[ns]), ing, |o| in_ns(&o.metadata, ns));
        }
    }

    fn push_workload(&mut self, ns: &str, w: OwnedWorkload) {
        self.workloads_by_ns
            .entry(
                hash(&[ns]),
                |l| l.first().is_some_and(|o| o.borrow().namespace() == ns),
                Vec::new,
            )
            .push(w);
    }

    /// Put a pod in every pod table (after the pods already there).
    pub fn insert_pod(&mut self, pod: &Arc<Pod>) {
        self.index_pod(pod, Op::Insert);
    }

    /// Take a pod (this very Arc) out of every pod table.
    pub fn remove_pod(&mut self, pod: &Arc<Pod>) {
        self.index_pod(pod, Op::Remove);
    }

    /// Put an EndpointSlice in the slice tables (after those already there).
    pub fn insert_slice(&mut self, slice: &Arc<EndpointSlice>) {
        self.index_slice(slice, Op::Insert);
    }

    /// Take an EndpointSlice (this very Arc) out of the slice tables.
    pub fn remove_slice(&mut self, slice: &Arc<EndpointSlice>) {
        self.index_slice(slice, Op::Remove);
    }

    /// Put an Event in the event tables (after those already there).
    pub fn insert_event(&mut self, ev: &Arc<Event>) {
        self.index_event(ev, Op::Insert);
    }

    /// Take an Event (this very Arc) out of the event tables.
    pub fn remove_event(&mut self, ev: &Arc<Event>) {
        self.index_event(ev, Op::Remove);
    }

    /// The pod named `namespace/name`, as the tables hold it.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<&Arc<Pod>> {
        self.pods.get(hash(&[namespace, name]), |o| {
            named(&o.metadata, namespace, name)
        })
    }

    /// Every pod table under the pod's keys.
    fn index_pod(&mut self, pod: &Arc<Pod>, op: Op) {
        let pod = std::slice::from_ref(pod);
        index_pods_by_name(
            &mut self.pods,
            &mut self.pods_by_ns,
            &mut self.pods_by_label,
            pod,
            op,
        );
        index_pods_across(&mut self.pods_by_pair, pod, op);
    }

    fn index_slice(&mut self, slice: &Arc<EndpointSlice>, op: Op) {
        let ns = ns_of(&slice.metadata);
        self.slices_by_ns
            .apply(op, hash(&[ns]), slice, |o| in_ns(&o.metadata, ns));
        if let Some(svc) = slice.metadata.label(SERVICE_NAME_LABEL) {
            self.slices_by_service
                .apply(op, hash(&[ns, svc]), slice, |o| {
                    in_ns(&o.metadata, ns) && o.metadata.label(SERVICE_NAME_LABEL) == Some(svc)
                });
        }
    }

    fn index_event(&mut self, ev: &Arc<Event>, op: Op) {
        if let Some(uid) = ev.involved_object.uid.as_deref() {
            self.events_by_uid.apply(op, hash(&[uid]), ev, |o| {
                o.involved_object.uid.as_deref() == Some(uid)
            });
        }
        let key = involved_key(ev);
        self.events_by_object
            .apply(op, hash(&[key.0, key.1, key.2]), ev, |o| {
                involved_key(o) == key
            });
    }
}

/// The pod tables of the pods' own namespace: by name, by namespace and by
/// label, for `run`: pods of one namespace (one pod, or a namespace's pods
/// as a full build finds them), each run of them with one label map
/// indexed by label at once. With [`index_pods_across`], the
/// one place that says which keys a pod is indexed under (two functions so
/// that a full build fills the two halves on two threads).
fn index_pods_by_name(
    pods: &mut Table<Arc<Pod>>,
    by_ns: &mut Table<Vec<Arc<Pod>>>,
    by_label: &mut Table<Vec<Arc<Pod>>>,
    run: &[Arc<Pod>],
    op: Op,
) {
    let Some(first) = run.first() else { return };
    debug_assert!(run.iter().all(|p| same_ns(p, first)));
    for pod in run {
        let (ns, name) = key_of(&pod.metadata);
        let h = hash(&[ns, name]);
        let by_name = |o: &Pod| named(&o.metadata, ns, name);
        match op {
            Op::Insert => pods.put(h, Arc::clone(pod), by_name),
            Op::Remove => {
                if pods
                    .get(h, |o| by_name(o))
                    .is_some_and(|o| Arc::ptr_eq(o, pod))
                {
                    pods.remove(h, |o| by_name(o));
                }
            }
        }
    }
    let ns = ns_of(&first.metadata);
    by_ns.apply_all(op, hash(&[ns]), run, |o| in_ns(&o.metadata, ns));
    for replicas in run.chunk_by(same_labels) {
        let first = &replicas[0].metadata;
        for (k, v) in first.labels.iter().flatten() {
            by_label.apply_all(op, hash(&[ns, k, v]), replicas, |o| {
                in_ns(&o.metadata, ns) && has_label(&o.metadata, first, k, v)
            });
        }
    }
}

/// The pod table across namespaces, by label pair in any namespace, for
/// `run`: pods with one label map.
fn index_pods_across(by_pair: &mut Table<Vec<Arc<Pod>>>, run: &[Arc<Pod>], op: Op) {
    let Some(first) = run.first() else { return };
    debug_assert!(run.iter().all(|p| same_labels(p, first)));
    let first = &first.metadata;
    for (k, v) in first.labels.iter().flatten() {
        by_pair.apply_all(op, hash(&[k, v]), run, |o| {
            has_label(&o.metadata, first, k, v)
        });
    }
}

/// Whether `other` carries the label `k=v` of `this`. Replicas share one
/// pooled label map ([`crate::model::shared`]), and a list's first pod is
/// usually a replica of the pod being indexed: then the answer is known
/// without a search of the other pod's labels.
fn has_label(other: &Meta, this: &Meta, k: &str, v: &str) -> bool {
    same_label_map(other, this) || other.label(k) == Some(v)
}

/// Whether two objects have one pooled label map (or both none): then they
/// carry the same labels.
fn same_label_map(a: &Meta, b: &Meta) -> bool {
    match (&a.labels, &b.labels) {
        (Some(x), Some(y)) => Shared::ptr_eq(x, y),
        (None, None) => true,
        _ => false,
    }
}

fn same_ns(a: &Arc<Pod>, b: &Arc<Pod>) -> bool {
    ns_of(&a.metadata) == ns_of(&b.metadata)
}

fn same_labels(a: &Arc<Pod>, b: &Arc<Pod>) -> bool {
    same_label_map(&a.metadata, &b.metadata)
}

fn involved_key(ev: &Event) -> (&str, &str, &str) {
    let obj = &ev.involved_object;
    (
        obj.kind.as_deref().unwrap_or(""),
        obj.namespace.as_deref().unwrap_or(""),
        obj.name.as_deref().unwrap_or(""),
    )
}

/// Read-only lookups over one snapshot (see the module doc for costs): a
/// view of its [`Tables`]. `snap` is read only for what is not an object
/// table — scope, access, logs, readiness, nodes and v1 Endpoints lists.
pub struct Index<'a> {
    pub snap: &'a Snapshot,
    pub now: Timestamp,
    t: &'a Tables,
    /// [`Index::nodes_not_ready`], worked out when first asked: positions
    /// in `snap.nodes` (references would tie the cell to `'a`, and the
    /// index could no longer be lent for shorter lifetimes).
    nodes_not_ready: OnceLock<Vec<usize>>,
}

impl<'a> Index<'a> {
    /// A view of `tables`, which must have been built from `snap` (or kept in
    /// step with it).
    pub fn new(snap: &'a Snapshot, tables: &'a Tables, now: Timestamp) -> Self {
        Index {
            snap,
            now,
            t: tables,
            nodes_not_ready: OnceLock::new(),
        }
    }

    /// The Nodes of the snapshot that are not Ready ([`node_ready`]), in
    /// its order: asked for every ready endpoint of every Service (EP-004),
    /// worked out once per diagnosis. None or a few, where a cluster has
    /// many Nodes: looking an endpoint's node up among them is cheaper than
    /// by name among all of them.
    pub fn nodes_not_ready(&self) -> impl ExactSizeIterator<Item = &'a Node> + Clone + '_ {
        let nodes = &self.snap.nodes;
        self.nodes_not_ready
            .get_or_init(|| {
                (0..nodes.len())
                    .filter(|&i| !node_ready(&nodes[i]))
                    .collect()
            })
            .iter()
            .map(|&i| &*nodes[i])
    }

    pub fn namespace(&self, name: &str) -> Option<&'a Namespace> {
        self.t
            .namespaces
            .get(hash(&[name]), |o| name_of(&o.metadata) == name)
            .map(|o| &**o)
    }

    pub fn node(&self, name: &str) -> Option<&'a Node> {
        self.t
            .nodes
            .get(hash(&[name]), |o| name_of(&o.metadata) == name)
            .map(|o| &**o)
    }

    pub fn service(&self, namespace: &str, name: &str) -> Option<&'a Service> {
        self.t
            .services
            .get(hash(&[namespace, name]), |o| {
                named(&o.metadata, namespace, name)
            })
            .map(|o| &**o)
    }

    /// Services with this name in any namespace.
    pub fn services_named(&self, name: &str) -> &'a [Arc<Service>] {
        self.t
            .services_by_name
            .list(hash(&[name]), |o| name_of(&o.metadata) == name)
    }

    pub fn services_in(&self, namespace: &str) -> &'a [Arc<Service>] {
        self.t
            .services_by_ns
            .list(hash(&[namespace]), |o| in_ns(&o.metadata, namespace))
    }

    pub fn pod(&self, namespace: &str, name: &str) -> Option<&'a Pod> {
        self.t
            .pods
            .get(hash(&[namespace, name]), |o| {
                named(&o.metadata, namespace, name)
            })
            .map(|o| &**o)
    }

    pub fn pods_in(&self, namespace: &str) -> &'a [Arc<Pod>] {
        self.t
            .pods_by_ns
            .list(hash(&[namespace]), |o| in_ns(&o.metadata, namespace))
    }

    fn pods_labelled(&self, namespace: &str, k: &str, v: &str) -> Option<&'a [Arc<Pod>]> {
        let list = self.t.pods_by_label.list(hash(&[namespace, k, v]), |o| {
            in_ns(&o.metadata, namespace) && o.metadata.label(k) == Some(v)
        });
        (!list.is_empty()).then_some(list)
    }

    /// Pods in `namespace` whose labels satisfy every pair of `selector`.
    /// An empty selector selects nothing here: for a Service it means "no
    /// selector" (the API drops an empty map), never "every pod".
    pub fn select_pods(&self, namespace: &str, selector: &StringMap) -> Vec<&'a Pod> {
        let mut shortest: Option<&'a [Arc<Pod>]> = None;
        for (k, v) in selector {
            match self.pods_labelled(namespace, k, v) {
                None => return Vec::new(),
                Some(list) => {
                    if shortest.is_none_or(|s| list.len() < s.len()) {
                        shortest = Some(list);
                    }
                }
            }
        }
        let Some(candidates) = shortest else {
            return Vec::new();
        };
        candidates
            .iter()
            .map(|p| &**p)
            .filter(|pod| labels_match(pod.metadata.labels.as_deref(), selector))
            .collect()
    }

    /// Pods in any namespace other than `namespace` that `selector` matches
    /// exactly (evidence for SEL-001: selectors never cross namespaces).
    pub fn select_pods_elsewhere(&self, namespace: &str, selector: &StringMap) -> Vec<&'a Pod> {
        let Some((k, v)) = selector.iter().next() else {
            return Vec::new();
        };
        let mut out: Vec<&'a Pod> = self
            .t
            .pods_by_pair
            .list(hash(&[k, v]), |o| o.metadata.label(k) == Some(v))
            .iter()
            .map(|p| &**p)
            .filter(|p| ns_of(&p.metadata) != namespace)
            .filter(|p| labels_match(p.metadata.labels.as_deref(), selector))
            .collect();
        out.sort_by_key(|p| key_of(&p.metadata));
        out
    }

    /// Slices labelled `kubernetes.io/service-name=<service>` in `namespace`.
    pub fn slices_for(&self, namespace: &str, service: &str) -> &'a [Arc<EndpointSlice>] {
        self.t
            .slices_by_service
            .list(hash(&[namespace, service]), |o| {
                in_ns(&o.metadata, namespace)
                    && o.metadata.label(SERVICE_NAME_LABEL) == Some(service)
            })
    }

    /// Pods in `namespace` that carry any of `selector`'s keys with any
    /// value, the keys compared without regard to case (`App` and `app`
    /// both count): SEL-001's candidates for near misses. A walk of the
    /// namespace's pods, asked only for a Service that selects none; a
    /// table by key cost 3 MB at L (`docs/performance.md`).
    pub fn pods_with_a_key_of<'s>(
        &self,
        namespace: &str,
        selector: &'s StringMap,
    ) -> impl Iterator<Item = &'a Pod> + use<'a, 's> {
        self.pods_in(namespace).iter().map(|p| &**p).filter(|p| {
            p.metadata
                .labels
                .iter()
                .flatten()
                .any(|(k, _)| selector.keys().any(|key| same_lower(k, key)))
        })
    }

    /// The v1 Endpoints object of a Service (read only when the cluster serves
    /// no EndpointSlices, or for SEL-005's "only v1 Endpoints" warning).
    pub fn endpoints(&self, namespace: &str, name: &str) -> Option<&'a Endpoints> {
        self.t
            .endpoints
            .get(hash(&[namespace, name]), |o| {
                named(&o.metadata, namespace, name)
            })
            .map(|o| &**o)
    }

    pub fn slices_in(&self, namespace: &str) -> &'a [Arc<EndpointSlice>] {
        self.t
            .slices_by_ns
            .list(hash(&[namespace]), |o| in_ns(&o.metadata, namespace))
    }

    /// Events about one object. When the object's uid is known, only events
    /// carrying that uid count (never match by name alone: a recreated object
    /// has the same name and a new uid); otherwise kind, namespace and name.
    pub fn events_for(&self, kind: &str, meta: &Meta) -> Vec<&'a Event> {
        let list = if let Some(uid) = meta.uid.as_deref() {
            self.t.events_by_uid.list(hash(&[uid]), |o| {
                o.involved_object.uid.as_deref() == Some(uid)
            })
        } else {
            let key = (kind, ns_of(meta), name_of(meta));
            self.t
                .events_by_object
                .list(hash(&[key.0, key.1, key.2]), |o| involved_key(o) == key)
        };
        list.iter().map(|e| &**e).collect()
    }

    pub fn config_map(&self, namespace: &str, name: &str) -> Option<&'a ConfigMap> {
        self.t
            .config_maps
            .get(hash(&[namespace, name]), |o| {
                named(&o.metadata, namespace, name)
            })
            .map(|o| &**o)
    }

    pub fn deployment(&self, namespace: &str, name: &str) -> Option<&'a Deployment> {
        self.t
            .deployments
            .get(hash(&[namespace, name]), |o| {
                named(&o.metadata, namespace, name)
            })
            .map(|o| &**o)
    }

    pub fn replica_set(&self, namespace: &str, name: &str) -> Option<&'a ReplicaSet> {
        self.t
            .replica_sets
            .get(hash(&[namespace, name]), |o| {
                named(&o.metadata, namespace, name)
            })
            .map(|o| &**o)
    }

    pub fn stateful_set(&self, namespace: &str, name: &str) -> Option<&'a StatefulSet> {
        self.t
            .stateful_sets
            .get(hash(&[namespace, name]), |o| {
                named(&o.metadata, namespace, name)
            })
            .map(|o| &**o)
    }

    pub fn daemon_set(&self, namespace: &str, name: &str) -> Option<&'a DaemonSet> {
        self.t
            .daemon_sets
            .get(hash(&[namespace, name]), |o| {
                named(&o.metadata, namespace, name)
            })
            .map(|o| &**o)
    }

    /// Top-level workloads in a namespace (ReplicaSets owned by a Deployment excluded).
    pub fn workloads_in(&self, namespace: &str) -> Vec<Workload<'a>> {
        let t: &'a Tables = self.t;
        t.workloads_by_ns
            .get(hash(&[namespace]), |l| {
                l.first()
                    .is_some_and(|o| o.borrow().namespace() == namespace)
            })
            .map_or_else(Vec::new, |l| l.iter().map(OwnedWorkload::borrow).collect())
    }

    /// The workload at the top of a pod's controller chain (Pod → ReplicaSet →
    /// Deployment), or `None` for a bare pod or an owner we do not read (Job…).
    pub fn top_owner(&self, pod: &Pod) -> Option<Workload<'a>> {
        let ns = ns_of(&pod.metadata);
        let owner = controller_of(&pod.metadata)?;
        match owner.0 {
            "ReplicaSet" => {
                let rs = self.replica_set(ns, owner.1)?;
                match controller_of(&rs.metadata) {
                    Some(("Deployment", d)) => self.deployment(ns, d).map(Workload::Deployment),
                    Some(_) => None,
                    None => Some(Workload::ReplicaSet(rs)),
                }
            }
            "StatefulSet" => self.stateful_set(ns, owner.1).map(Workload::StatefulSet),
            "DaemonSet" => self.daemon_set(ns, owner.1).map(Workload::DaemonSet),
            _ => None,
        }
    }

    /// [`Index::top_owner`] of each of `pods`, in order, looked up once per
    /// namespace and owner list. Replicas share their owner list (it is
    /// pooled, see [`crate::model::shared`]): the same list in the same
    /// namespace has the same top owner.
    pub fn top_owners<'p>(
        &self,
        pods: impl IntoIterator<Item = &'p Pod>,
    ) -> Vec<Option<Workload<'a>>> {
        type Key<'p> = (*const Vec<OwnerReference>, &'p str);
        let mut known: foldhash::HashMap<Key<'p>, Option<Workload<'a>>> = Default::default();
        // Replicas also come one after another: the previous pod's answer
        // serves without a lookup.
        let mut last: Option<(Key<'p>, Option<Workload<'a>>)> = None;
        pods.into_iter()
            .map(|p| match &p.metadata.owner_references {
                None => None,
                Some(owners) => {
                    let key = (Shared::as_ptr(owners), ns_of(&p.metadata));
                    match last {
                        Some((k, owner)) if k == key => owner,
                        previous => {
                            // The previous run's answer is kept only now that
                            // another list shows up: the pods a Service selects
                            // mostly have one, and then the map is never built.
                            if let Some((k, owner)) = previous {
                                known.insert(k, owner);
                            }
                            let owner = match known.get(&key) {
                                Some(owner) => *owner,
                                None => self.top_owner(p),
                            };
                            last = Some((key, owner));
                            owner
                        }
                    }
                }
            })
            .collect()
    }

    /// The controller's `kind/name` of a pod's top owner as seen from its
    /// ownerReferences, even when that owner is not in the snapshot (a Job).
    pub fn owner_label(&self, pod: &Pod) -> String {
        match owner_of(self.top_owner(pod), pod) {
            Some((kind, name)) => format_exact!("{kind}/{name}"),
            None => format_exact!("Pod/{}", name_of(&pod.metadata)),
        }
    }

    pub fn network_policies_in(&self, namespace: &str) -> &'a [Arc<NetworkPolicy>] {
        self.t
            .network_policies_by_ns
            .list(hash(&[namespace]), |o| in_ns(&o.metadata, namespace))
    }

    pub fn ingresses_in(&self, namespace: &str) -> &'a [Arc<Ingress>] {
        self.t
            .ingresses_by_ns
            .list(hash(&[namespace]), |o| in_ns(&o.metadata, namespace))
    }

    /// Logs read for a container, if any.
    pub fn logs(&self, namespace: &str, pod: &str, container: &str) -> Option<&'a ContainerLogs> {
        self.snap.logs.get(&(
            namespace.to_string(),
            pod.to_string(),
            container.to_string(),
        ))
    }

    /// Namespaces the diagnosis covers, sorted: those that exist and those
    /// that Services or pods are in.
    pub fn namespaces_in_scope(&self) -> Vec<&'a str> {
        let t: &'a Tables = self.t;
        let mut out: Vec<&'a str> = t
            .namespaces
            .values()
            .map(|n| name_of(&n.metadata))
            .chain(
                t.services_by_ns
                    .values()
                    .filter_map(|l| l.first())
                    .map(|s| ns_of(&s.metadata)),
            )
            .chain(
                t.pods_by_ns
                    .values()
                    .filter_map(|l| l.first())
                    .map(|p| ns_of(&p.metadata)),
            )
            .filter(|ns| self.snap.scope.contains(ns))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// `(kind, name)` of the controlling owner reference.
pub fn controller_of(meta: &Meta) -> Option<(&str, &str)> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true))
        .map(|o| (o.kind.as_str(), o.name.as_str()))
}

/// The `(kind, name)` a pod is owned by, given its [`Index::top_owner`]
/// `top`: that workload, else its controller as the pod names it (a Job, or
/// an owner not in the snapshot); `None` for a pod without a controller.
pub fn owner_of<'p>(top: Option<Workload<'p>>, pod: &'p Pod) -> Option<(&'p str, &'p str)> {
    match top {
        Some(w) => Some((w.kind(), w.name())),
        None => controller_of(&pod.metadata),
    }
}

/// Whether `labels` has every `key=value` of `selector` (equality selector).
pub fn labels_match(labels: Option<&StringMap>, selector: &StringMap) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::{Index, Pod, Shared, StringMap, Table, Tables, name_of};
    use crate::diagnose::testing::BASE;
    use crate::diagnose::testing::snapshot;
    use std::sync::Arc;

    /// The three pod tables whose lists hold many pods.
    fn pod_tables(t: &Tables) -> [&Table<Vec<Arc<Pod>>>; 3] {
        [&t.pods_by_label, &t.pods_by_ns, &t.pods_by_pair]
    }

    /// A pod's manifest; `labels` is the flow mapping's text (`{app: web}`),
    /// or empty for none.
    fn pod(ns: &str, name: &str, labels: &str) -> String {
        let labels = if labels.is_empty() {
            String::new()
        } else {
            format_exact!(", labels: {labels}")
        };
        format_exact!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}{labels}}}\nspec: {{containers: [{{name: c, image: i}}]}}\n"
        )
    }

    /// The names in each of their lists, sorted.
    fn pod_lists(t: &Tables) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = pod_tables(t)
            .iter()
            .flat_map(|t| t.values())
            .map(|l| l.iter().map(|p| name_of(&p.metadata).to_string()).collect())
            .collect();
        out.sort();
        out
    }

    /// The Nodes that are not Ready, found once: none in the base cluster
    /// or without Nodes; one that is not, first or last among the others,
    /// whether its condition says `False` or `Unknown` or it has no
    /// conditions yet (near miss: a condition of another type that is
    /// `True` does not make it Ready).
    #[test]
    fn nodes_not_ready_are_those_whose_ready_condition_is_not_true() {
        let node = |name: &str, status: &str| {
            format_exact!(
                "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nstatus: {status}\n"
            )
        };
        let ready = node("n-ok", "{conditions: [{type: Ready, status: 'True'}]}");
        let not_ready = |texts: &[&str]| -> Vec<String> {
            let snap = snapshot(texts);
            let tables = Tables::build(&snap);
            let idx = Index::new(&snap, &tables, crate::diagnose::testing::now());
            let names: Vec<String> = idx
                .nodes_not_ready()
                .map(|n| name_of(&n.metadata).to_string())
                .collect();
            // Asked twice: the same answer.
            assert_eq!(idx.nodes_not_ready().len(), names.len());
            names
        };
        let none: Vec<String> = Vec::new();
        assert_eq!(not_ready(&[BASE]), none);
        assert_eq!(not_ready(&[BASE, &ready]), none);
        assert_eq!(
            not_ready(&["apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"]),
            none
        );
        for status in [
            "{conditions: [{type: Ready, status: 'False'}]}",
            "{conditions: [{type: Ready, status: Unknown}]}",
            "{}",
            "{conditions: [{type: DiskPressure, status: 'True'}]}",
        ] {
            let bad = node("bad", status);
            assert_eq!(not_ready(&[&bad, BASE, &ready]), ["bad"], "first: {status}");
            assert_eq!(not_ready(&[BASE, &ready, &bad]), ["bad"], "last: {status}");
        }
    }

    /// Released on two threads, the tables give back every count they held:
    /// the snapshot's objects are again its own alone.
    #[test]
    fn released_tables_hold_no_object() {
        let snap = snapshot(&[BASE]);
        let counts = |snap: &crate::snapshot::Snapshot| -> Vec<usize> {
            snap.pods.iter().map(Arc::strong_count).collect()
        };
        let tables = Tables::build(&snap);
        assert!(counts(&snap).iter().all(|c| *c > 1), "{:?}", counts(&snap));
        tables.release();
        assert!(counts(&snap).iter().all(|c| *c == 1), "{:?}", counts(&snap));
    }

    /// Tables kept by the dashboard have every list fitted to its length;
    /// those of one diagnosis hold the same objects, in the same order.
    #[test]
    fn kept_tables_fit_their_lists_and_hold_the_same_objects() {
        let snap = snapshot(&[BASE]);
        let kept = Tables::build_to_keep(&snap);
        let sizes: Vec<(usize, usize)> = pod_tables(&kept)
            .iter()
            .flat_map(|t| t.values())
            .map(|l| (l.len(), l.capacity()))
            .collect();
        assert!(sizes.iter().any(|(len, _)| *len > 1), "{sizes:?}");
        assert!(sizes.iter().all(|(len, cap)| len == cap), "{sizes:?}");
        assert_eq!(pod_lists(&kept), pod_lists(&Tables::build(&snap)));
    }

    /// The lists of every pod table hold their pods in the same order
    /// (the snapshot's) whether a full build filled them a run of pods at a
    /// time or the pods went in one by one. The pods make runs that end at
    /// a namespace, at other labels, and at a pod with no labels.
    #[test]
    fn a_full_build_lists_pods_as_inserting_them_one_by_one() {
        let front = "{app: web, tier: front}";
        let back = "{app: web, tier: back}";
        let docs = [
            pod("a", "a1", front),
            pod("a", "a2", front),
            pod("a", "a3", back),
            pod("a", "a4", ""),
            pod("a", "a5", front),
            pod("b", "b1", front),
            pod("b", "b2", front),
            pod("b", "b3", ""),
            pod("c", "c1", ""),
            pod("c", "c2", back),
        ];
        let snap = snapshot(&docs.iter().map(String::as_str).collect::<Vec<_>>());
        let mut one_by_one = Tables::default();
        for p in &snap.pods {
            one_by_one.insert_pod(p);
        }
        let built = Tables::build(&snap);
        let lists = pod_lists(&built);
        assert_eq!(lists, pod_lists(&one_by_one));
        let names = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        for list in [
            // app=web in a (by label), namespace a (by namespace).
            names(&["a1", "a2", "a3", "a5"]),
            names(&["a1", "a2", "a3", "a4", "a5"]),
            // tier=front across namespaces.
            names(&["a1", "a2", "a5", "b1", "b2"]),
        ] {
            assert!(lists.contains(&list), "{list:?} in {lists:?}");
        }
        let named = |name: &str| snap.pods.iter().find(|p| name_of(&p.metadata) == name);
        assert!(Arc::ptr_eq(
            built.pod("c", "c2").expect("c2"),
            named("c2").expect("c2")
        ));
    }

    /// Pods with equal labels share one pooled map, in any namespace, and
    /// a label list's first pod often shares the map of the pod indexed
    /// next. Pods with other maps (`a0`, first in its lists) still join the
    /// lists of the labels they have, and a shared map never carries a pod
    /// into another namespace's lists.
    #[test]
    fn pods_sharing_a_label_map_are_listed_under_their_own_keys() {
        let docs = [
            pod("a", "a0", "{app: web, tier: back}"),
            pod("a", "a1", "{app: web, tier: front}"),
            pod("a", "a2", "{app: web, tier: front}"),
            pod("b", "b1", "{app: web, tier: front}"),
        ];
        let snap = snapshot(&docs.iter().map(String::as_str).collect::<Vec<_>>());
        let labels = |name: &str| {
            let p = snap.pods.iter().find(|p| name_of(&p.metadata) == name);
            p.and_then(|p| p.metadata.labels.clone()).expect("labels")
        };
        assert!(Shared::ptr_eq(&labels("a1"), &labels("a2")));
        assert!(Shared::ptr_eq(&labels("a1"), &labels("b1")));
        assert!(!Shared::ptr_eq(&labels("a0"), &labels("a1")));

        let tables = Tables::build(&snap);
        let idx = Index::new(&snap, &tables, crate::diagnose::testing::now());
        let names = |pods: Vec<&Pod>| -> Vec<String> {
            pods.iter()
                .map(|p| name_of(&p.metadata).to_string())
                .collect()
        };
        let selector = |pairs: &[(&str, &str)]| -> StringMap {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let web = selector(&[("app", "web")]);
        let front = selector(&[("tier", "front")]);
        assert_eq!(names(idx.select_pods("a", &web)), ["a0", "a1", "a2"]);
        assert_eq!(names(idx.select_pods("a", &front)), ["a1", "a2"]);
        assert_eq!(names(idx.select_pods("b", &front)), ["b1"]);
        assert_eq!(
            names(idx.select_pods_elsewhere("b", &web)),
            ["a0", "a1", "a2"]
        );
        assert_eq!(names(idx.select_pods_elsewhere("a", &front)), ["b1"]);
    }
}
