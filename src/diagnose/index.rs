//! Lookup tables over a [`Snapshot`], built once per diagnosis.
//!
//! Every table is a hash map keyed the way the checks ask (namespace, name,
//! label pair, uid), so building the index is O(objects) and each lookup is
//! O(1) plus the size of its answer. Selector matching walks the shortest
//! posting list of the selector's `key=value` pairs instead of every pod in the
//! namespace: a Service's cost is proportional to the pods it (nearly) selects.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Namespace, Node, Pod, PodTemplateSpec, Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;

use crate::snapshot::{ContainerLogs, Snapshot};

/// The label the EndpointSlice controller puts on every slice of a Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

/// `(namespace, name)` of a namespaced object.
pub type Key<'a> = (&'a str, &'a str);

/// namespace → name → value. Nested rather than keyed by a tuple so that
/// lookups can borrow their keys for less than the index lives.
type Nested<'a, V> = HashMap<&'a str, HashMap<&'a str, V>>;

fn put<'a, V>(map: &mut Nested<'a, V>, (ns, name): Key<'a>, value: V) {
    map.entry(ns).or_default().insert(name, value);
}

fn get<'m, V>(map: &'m Nested<'_, V>, ns: &str, name: &str) -> Option<&'m V> {
    map.get(ns)?.get(name)
}

fn name_of(meta: &ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or("")
}

fn ns_of(meta: &ObjectMeta) -> &str {
    meta.namespace.as_deref().unwrap_or("")
}

fn key_of(meta: &ObjectMeta) -> Key<'_> {
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

    pub fn meta(&self) -> &'a ObjectMeta {
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
    pub fn template_labels(&self) -> Option<&'a BTreeMap<String, String>> {
        self.template()
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.as_ref())
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
        format!("{}/{}", self.resource(), self.name())
    }
}

/// Read-only lookups over one snapshot. See the module doc for costs.
pub struct Index<'a> {
    pub snap: &'a Snapshot,
    pub now: Timestamp,
    namespaces: HashMap<&'a str, &'a Namespace>,
    nodes: HashMap<&'a str, &'a Node>,
    services: Nested<'a, &'a Service>,
    services_by_name: HashMap<&'a str, Vec<&'a Service>>,
    services_by_ns: HashMap<&'a str, Vec<&'a Service>>,
    pods: Nested<'a, &'a Pod>,
    pods_by_ns: HashMap<&'a str, Vec<&'a Pod>>,
    pods_by_label: HashMap<(&'a str, &'a str, &'a str), Vec<&'a Pod>>,
    /// (namespace, label key in lower case) → pods carrying that key with any
    /// value: the candidates for SEL-001's near misses.
    pods_by_label_key: HashMap<&'a str, HashMap<String, Vec<&'a Pod>>>,
    pods_by_node: HashMap<&'a str, Vec<&'a Pod>>,
    slices_by_service: Nested<'a, Vec<&'a EndpointSlice>>,
    slices_by_ns: HashMap<&'a str, Vec<&'a EndpointSlice>>,
    endpoints: Nested<'a, &'a Endpoints>,
    events_by_uid: HashMap<&'a str, Vec<&'a Event>>,
    events_by_object: HashMap<(&'a str, &'a str, &'a str), Vec<&'a Event>>,
    config_maps: Nested<'a, &'a ConfigMap>,
    deployments: Nested<'a, &'a Deployment>,
    replica_sets: Nested<'a, &'a ReplicaSet>,
    stateful_sets: Nested<'a, &'a StatefulSet>,
    daemon_sets: Nested<'a, &'a DaemonSet>,
    workloads_by_ns: HashMap<&'a str, Vec<Workload<'a>>>,
    network_policies_by_ns: HashMap<&'a str, Vec<&'a NetworkPolicy>>,
    ingresses_by_ns: HashMap<&'a str, Vec<&'a Ingress>>,
}

impl<'a> Index<'a> {
    /// Build every table in one pass over each object list: O(objects + labels).
    pub fn build(snap: &'a Snapshot, now: Timestamp) -> Self {
        let mut idx = Index {
            snap,
            now,
            namespaces: HashMap::new(),
            nodes: HashMap::new(),
            services: HashMap::new(),
            services_by_name: HashMap::new(),
            services_by_ns: HashMap::new(),
            pods: HashMap::new(),
            pods_by_ns: HashMap::new(),
            pods_by_label: HashMap::new(),
            pods_by_label_key: HashMap::new(),
            pods_by_node: HashMap::new(),
            slices_by_service: HashMap::new(),
            slices_by_ns: HashMap::new(),
            endpoints: HashMap::new(),
            events_by_uid: HashMap::new(),
            events_by_object: HashMap::new(),
            config_maps: HashMap::new(),
            deployments: HashMap::new(),
            replica_sets: HashMap::new(),
            stateful_sets: HashMap::new(),
            daemon_sets: HashMap::new(),
            workloads_by_ns: HashMap::new(),
            network_policies_by_ns: HashMap::new(),
            ingresses_by_ns: HashMap::new(),
        };
        for ns in &snap.namespaces {
            idx.namespaces.insert(name_of(&ns.metadata), ns);
        }
        for node in &snap.nodes {
            idx.nodes.insert(name_of(&node.metadata), node);
        }
        for svc in &snap.services {
            let svc: &Service = svc;
            let (ns, name) = key_of(&svc.metadata);
            put(&mut idx.services, (ns, name), svc);
            idx.services_by_name.entry(name).or_default().push(svc);
            idx.services_by_ns.entry(ns).or_default().push(svc);
        }
        for pod in &snap.pods {
            let pod: &Pod = pod;
            let (ns, name) = key_of(&pod.metadata);
            put(&mut idx.pods, (ns, name), pod);
            idx.pods_by_ns.entry(ns).or_default().push(pod);
            if let Some(labels) = &pod.metadata.labels {
                for (k, v) in labels {
                    idx.pods_by_label
                        .entry((ns, k.as_str(), v.as_str()))
                        .or_default()
                        .push(pod);
                    idx.pods_by_label_key
                        .entry(ns)
                        .or_default()
                        .entry(k.to_lowercase())
                        .or_default()
                        .push(pod);
                }
            }
            if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
                idx.pods_by_node.entry(node).or_default().push(pod);
            }
        }
        for slice in &snap.endpoint_slices {
            let slice: &EndpointSlice = slice;
            let ns = ns_of(&slice.metadata);
            idx.slices_by_ns.entry(ns).or_default().push(slice);
            if let Some(svc) = slice
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(SERVICE_NAME_LABEL))
            {
                idx.slices_by_service
                    .entry(ns)
                    .or_default()
                    .entry(svc.as_str())
                    .or_default()
                    .push(slice);
            }
        }
        for ep in &snap.endpoints {
            put(&mut idx.endpoints, key_of(&ep.metadata), ep);
        }
        for ev in &snap.events {
            let ev: &Event = ev;
            let obj = &ev.involved_object;
            if let Some(uid) = obj.uid.as_deref() {
                idx.events_by_uid.entry(uid).or_default().push(ev);
            }
            idx.events_by_object
                .entry((
                    obj.kind.as_deref().unwrap_or(""),
                    obj.namespace.as_deref().unwrap_or(""),
                    obj.name.as_deref().unwrap_or(""),
                ))
                .or_default()
                .push(ev);
        }
        for cm in &snap.config_maps {
            put(&mut idx.config_maps, key_of(&cm.metadata), cm);
        }
        for d in &snap.deployments {
            put(&mut idx.deployments, key_of(&d.metadata), d);
            idx.workloads_by_ns
                .entry(ns_of(&d.metadata))
                .or_default()
                .push(Workload::Deployment(d));
        }
        for s in &snap.stateful_sets {
            put(&mut idx.stateful_sets, key_of(&s.metadata), s);
            idx.workloads_by_ns
                .entry(ns_of(&s.metadata))
                .or_default()
                .push(Workload::StatefulSet(s));
        }
        for d in &snap.daemon_sets {
            put(&mut idx.daemon_sets, key_of(&d.metadata), d);
            idx.workloads_by_ns
                .entry(ns_of(&d.metadata))
                .or_default()
                .push(Workload::DaemonSet(d));
        }
        for rs in &snap.replica_sets {
            put(&mut idx.replica_sets, key_of(&rs.metadata), rs);
            // A ReplicaSet owned by a Deployment is not a workload of its own.
            let owned = rs
                .metadata
                .owner_references
                .as_ref()
                .is_some_and(|o| o.iter().any(|o| o.controller == Some(true)));
            if !owned {
                idx.workloads_by_ns
                    .entry(ns_of(&rs.metadata))
                    .or_default()
                    .push(Workload::ReplicaSet(rs));
            }
        }
        for np in &snap.network_policies {
            idx.network_policies_by_ns
                .entry(ns_of(&np.metadata))
                .or_default()
                .push(np);
        }
        for ing in &snap.ingresses {
            idx.ingresses_by_ns
                .entry(ns_of(&ing.metadata))
                .or_default()
                .push(ing);
        }
        idx
    }

    pub fn namespace(&self, name: &str) -> Option<&'a Namespace> {
        self.namespaces.get(name).copied()
    }

    pub fn node(&self, name: &str) -> Option<&'a Node> {
        self.nodes.get(name).copied()
    }

    pub fn service(&self, namespace: &str, name: &str) -> Option<&'a Service> {
        get(&self.services, namespace, name).copied()
    }

    /// Services with this name in any namespace.
    pub fn services_named(&self, name: &str) -> &[&'a Service] {
        self.services_by_name.get(name).map_or(&[], Vec::as_slice)
    }

    pub fn services_in(&self, namespace: &str) -> &[&'a Service] {
        self.services_by_ns
            .get(namespace)
            .map_or(&[], Vec::as_slice)
    }

    pub fn pod(&self, namespace: &str, name: &str) -> Option<&'a Pod> {
        get(&self.pods, namespace, name).copied()
    }

    pub fn pods_in(&self, namespace: &str) -> &[&'a Pod] {
        self.pods_by_ns.get(namespace).map_or(&[], Vec::as_slice)
    }

    pub fn pods_on_node(&self, node: &str) -> &[&'a Pod] {
        self.pods_by_node.get(node).map_or(&[], Vec::as_slice)
    }

    /// Pods in `namespace` whose labels satisfy every pair of `selector`.
    /// An empty selector selects nothing here: for a Service it means "no
    /// selector" (the API drops an empty map), never "every pod".
    pub fn select_pods(
        &self,
        namespace: &str,
        selector: &BTreeMap<String, String>,
    ) -> Vec<&'a Pod> {
        let mut shortest: Option<&Vec<&'a Pod>> = None;
        for (k, v) in selector {
            match self.pods_by_label.get(&(namespace, k.as_str(), v.as_str())) {
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
            .copied()
            .filter(|pod| labels_match(pod.metadata.labels.as_ref(), selector))
            .collect()
    }

    /// Pods in any namespace other than `namespace` that `selector` matches
    /// exactly (evidence for SEL-001: selectors never cross namespaces).
    pub fn select_pods_elsewhere(
        &self,
        namespace: &str,
        selector: &BTreeMap<String, String>,
    ) -> Vec<&'a Pod> {
        let Some((k, v)) = selector.iter().next() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // One posting list per namespace holds (k, v); visit only those.
        for ns in self.pods_by_ns.keys() {
            if *ns == namespace {
                continue;
            }
            if self
                .pods_by_label
                .contains_key(&(*ns, k.as_str(), v.as_str()))
            {
                out.extend(self.select_pods(ns, selector));
            }
        }
        out.sort_by_key(|p| key_of(&p.metadata));
        out
    }

    /// Slices labelled `kubernetes.io/service-name=<service>` in `namespace`.
    pub fn slices_for(&self, namespace: &str, service: &str) -> &[&'a EndpointSlice] {
        get(&self.slices_by_service, namespace, service).map_or(&[], Vec::as_slice)
    }

    /// Pods in `namespace` that carry label `key` with any value, the key
    /// compared without regard to case (`App` and `app` both count).
    pub fn pods_with_label_key(&self, namespace: &str, key: &str) -> &[&'a Pod] {
        self.pods_by_label_key
            .get(namespace)
            .and_then(|m| m.get(&key.to_lowercase()))
            .map_or(&[], Vec::as_slice)
    }

    /// The v1 Endpoints object of a Service (read only when the cluster serves
    /// no EndpointSlices, or for SEL-005's "only v1 Endpoints" warning).
    pub fn endpoints(&self, namespace: &str, name: &str) -> Option<&'a Endpoints> {
        get(&self.endpoints, namespace, name).copied()
    }

    pub fn slices_in(&self, namespace: &str) -> &[&'a EndpointSlice] {
        self.slices_by_ns.get(namespace).map_or(&[], Vec::as_slice)
    }

    /// Events about one object. When the object's uid is known, only events
    /// carrying that uid count (never match by name alone: a recreated object
    /// has the same name and a new uid); otherwise kind, namespace and name.
    pub fn events_for(&self, kind: &str, meta: &ObjectMeta) -> Vec<&'a Event> {
        if let Some(uid) = meta.uid.as_deref() {
            return self.events_by_uid.get(uid).cloned().unwrap_or_default();
        }
        self.events_by_object
            .get(&(kind, ns_of(meta), name_of(meta)))
            .cloned()
            .unwrap_or_default()
    }

    pub fn config_map(&self, namespace: &str, name: &str) -> Option<&'a ConfigMap> {
        get(&self.config_maps, namespace, name).copied()
    }

    pub fn deployment(&self, namespace: &str, name: &str) -> Option<&'a Deployment> {
        get(&self.deployments, namespace, name).copied()
    }

    pub fn replica_set(&self, namespace: &str, name: &str) -> Option<&'a ReplicaSet> {
        get(&self.replica_sets, namespace, name).copied()
    }

    pub fn stateful_set(&self, namespace: &str, name: &str) -> Option<&'a StatefulSet> {
        get(&self.stateful_sets, namespace, name).copied()
    }

    pub fn daemon_set(&self, namespace: &str, name: &str) -> Option<&'a DaemonSet> {
        get(&self.daemon_sets, namespace, name).copied()
    }

    /// Top-level workloads in a namespace (ReplicaSets owned by a Deployment excluded).
    pub fn workloads_in(&self, namespace: &str) -> &[Workload<'a>] {
        self.workloads_by_ns
            .get(namespace)
            .map_or(&[], Vec::as_slice)
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

    /// The controller's `kind/name` of a pod's top owner as seen from its
    /// ownerReferences, even when that owner is not in the snapshot (a Job).
    pub fn owner_label(&self, pod: &Pod) -> String {
        if let Some(w) = self.top_owner(pod) {
            return format!("{}/{}", w.kind(), w.name());
        }
        match controller_of(&pod.metadata) {
            Some((kind, name)) => format!("{kind}/{name}"),
            None => format!("Pod/{}", name_of(&pod.metadata)),
        }
    }

    pub fn network_policies_in(&self, namespace: &str) -> &[&'a NetworkPolicy] {
        self.network_policies_by_ns
            .get(namespace)
            .map_or(&[], Vec::as_slice)
    }

    pub fn ingresses_in(&self, namespace: &str) -> &[&'a Ingress] {
        self.ingresses_by_ns
            .get(namespace)
            .map_or(&[], Vec::as_slice)
    }

    /// Logs read for a container, if any.
    pub fn logs(&self, namespace: &str, pod: &str, container: &str) -> Option<&'a ContainerLogs> {
        self.snap.logs.get(&(
            namespace.to_string(),
            pod.to_string(),
            container.to_string(),
        ))
    }

    /// Namespaces the diagnosis covers, sorted.
    pub fn namespaces_in_scope(&self) -> Vec<&'a str> {
        let mut out: Vec<&'a str> = self
            .snap
            .namespaces
            .iter()
            .map(|n| name_of(&n.metadata))
            .chain(self.snap.services.iter().map(|s| ns_of(&s.metadata)))
            .chain(self.snap.pods.iter().map(|p| ns_of(&p.metadata)))
            .filter(|ns| self.snap.scope.contains(ns))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// `(kind, name)` of the controlling owner reference.
pub fn controller_of(meta: &ObjectMeta) -> Option<(&str, &str)> {
    meta.owner_references
        .as_ref()?
        .iter()
        .find(|o| o.controller == Some(true))
        .map(|o| (o.kind.as_str(), o.name.as_str()))
}

/// Whether `labels` has every `key=value` of `selector` (equality selector).
pub fn labels_match(
    labels: Option<&BTreeMap<String, String>>,
    selector: &BTreeMap<String, String>,
) -> bool {
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}
