//! Keeping a live copy of the cluster for the dashboard: one kube-rs
//! watcher per resource kind and scope (`watcher(...).default_backoff()`)
//! feeding a [`Store`] of the engine's own types, and snapshots read from
//! the stores. (kube-rs's reflector stores hold k8s-openapi metadata per
//! object; ours hold [`crate::model`] types, a fraction of the memory.)
//!
//! Each watcher task reports what happens to it as [`LiveEvent`]s: list
//! progress while the first lists load, "something changed", and errors
//! (a 403 makes the checks that need the kind `unknown`; a transport error
//! means the API is unreachable and the watcher retries with backoff).
//! Nothing here blocks: the UI gets owned messages over a channel.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, RwLock};

use foldhash::fast::FixedState;
use futures::StreamExt;
use hashbrown::HashTable;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::connect::one_line;
use super::fetch::Kind;
use super::reach::{self, KUBE_SYSTEM};
use crate::model::{
    ConfigMap, DaemonSet, Deployment, EndpointSlice, Event, Ingress, Meta, Namespace,
    NetworkPolicy, Node, Pod, ReplicaSet, Service, StatefulSet, Wire,
};
use crate::snapshot::{ReadFailure, Resource, Scope, Snapshot};

/// Page size of the initial lists.
const PAGE_SIZE: u32 = 500;
/// Send a progress event every this many listed objects.
const PROGRESS_EVERY: usize = 500;

/// What a watcher task reports.
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// The initial list of `resource` (in `namespace`) has `listed` objects so far.
    Progress {
        resource: Resource,
        namespace: Option<String>,
        listed: usize,
        done: bool,
    },
    /// Objects of `resource` changed: the snapshot is stale. `object` is the
    /// `(namespace, name)` of the one object a watch event was about; `None`
    /// when a whole list was (re)read.
    Changed {
        resource: Resource,
        object: Option<(String, String)>,
    },
    /// The watcher failed; it retries with backoff.
    Failed { failure: ReadFailure },
    /// The watcher works again after a failure.
    Recovered {
        resource: Resource,
        namespace: Option<String>,
    },
}

/// Where one watcher looks.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Everywhere,
    Namespace(String),
}

impl Place {
    fn namespace(&self) -> Option<String> {
        match self {
            Place::Everywhere => None,
            Place::Namespace(ns) => Some(ns.clone()),
        }
    }
}

/// Current watch failures per (resource, namespace), cleared on recovery.
type Failures = Arc<Mutex<BTreeMap<(Resource, Option<String>), ReadFailure>>>;

/// Stores of one kind, one per place watched.
type Stores<K> = Vec<Store<K>>;

/// The live cluster: stores to read snapshots from, and the watcher tasks.
pub struct LiveCluster {
    context: String,
    scope: Scope,
    namespaces: Stores<Namespace>,
    nodes: Stores<Node>,
    services: Stores<Service>,
    slices: Stores<EndpointSlice>,
    pods: Stores<Pod>,
    events: Stores<Event>,
    config_maps: Stores<ConfigMap>,
    deployments: Stores<Deployment>,
    replica_sets: Stores<ReplicaSet>,
    stateful_sets: Stores<StatefulSet>,
    daemon_sets: Stores<DaemonSet>,
    policies: Stores<NetworkPolicy>,
    ingresses: Stores<Ingress>,
    failures: Failures,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for LiveCluster {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl LiveCluster {
    /// Start one watcher per kind and place for `scope` (the places of
    /// [`super::reach`], as `check` reads them). Events go to `events`.
    pub fn start(
        client: &kube::Client,
        context: &str,
        scope: Scope,
        events: UnboundedSender<LiveEvent>,
    ) -> Self {
        let places = |resource: Resource| -> Vec<Place> {
            match reach::namespaces(&scope, resource) {
                None => vec![Place::Everywhere],
                Some(namespaces) => namespaces.into_iter().map(Place::Namespace).collect(),
            }
        };
        let failures = Arc::new(Mutex::new(BTreeMap::new()));
        let mut tasks = Vec::new();
        let mut w = Watchers {
            client,
            events: &events,
            failures: &failures,
            tasks: &mut tasks,
        };
        let namespaces = w.cluster::<Namespace>(Resource::Namespaces);
        let nodes = w.cluster::<Node>(Resource::Nodes);
        let services = w.namespaced::<Service>(Resource::Services, &places(Resource::Services));
        let slices = w.namespaced::<EndpointSlice>(
            Resource::Endpointslices,
            &places(Resource::Endpointslices),
        );
        let pods = w.namespaced::<Pod>(Resource::Pods, &places(Resource::Pods));
        let events_ = w.namespaced::<Event>(Resource::Events, &places(Resource::Events));
        // The Corefile's ConfigMap lives in kube-system.
        let mut cm_places = places(Resource::Configmaps);
        if !cm_places.contains(&Place::Everywhere)
            && !cm_places.contains(&Place::Namespace(KUBE_SYSTEM.into()))
        {
            cm_places.push(Place::Namespace(KUBE_SYSTEM.into()));
        }
        let config_maps = w.namespaced::<ConfigMap>(Resource::Configmaps, &cm_places);
        let deployments =
            w.namespaced::<Deployment>(Resource::Deployments, &places(Resource::Deployments));
        let replica_sets =
            w.namespaced::<ReplicaSet>(Resource::Replicasets, &places(Resource::Replicasets));
        let stateful_sets =
            w.namespaced::<StatefulSet>(Resource::Statefulsets, &places(Resource::Statefulsets));
        let daemon_sets =
            w.namespaced::<DaemonSet>(Resource::Daemonsets, &places(Resource::Daemonsets));
        let policies = w.namespaced::<NetworkPolicy>(
            Resource::Networkpolicies,
            &places(Resource::Networkpolicies),
        );
        let ingresses = w.namespaced::<Ingress>(Resource::Ingresses, &places(Resource::Ingresses));
        LiveCluster {
            context: context.to_string(),
            scope,
            namespaces,
            nodes,
            services,
            slices,
            pods,
            events: events_,
            config_maps,
            deployments,
            replica_sets,
            stateful_sets,
            daemon_sets,
            policies,
            ingresses,
            failures,
            tasks,
        }
    }

    /// How many watchers run (each reports `Progress { done: true }` once its
    /// first list is complete).
    pub fn watcher_count(&self) -> usize {
        self.tasks.len()
    }

    /// The pod `namespace/name` as the stores hold it now.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<Arc<Pod>> {
        find(&self.pods, namespace, name)
    }

    /// The EndpointSlice `namespace/name` as the stores hold it now.
    pub fn endpoint_slice(&self, namespace: &str, name: &str) -> Option<Arc<EndpointSlice>> {
        find(&self.slices, namespace, name)
    }

    /// The Event `namespace/name` as the stores hold it now.
    pub fn event(&self, namespace: &str, name: &str) -> Option<Arc<Event>> {
        find(&self.events, namespace, name)
    }

    /// Services and EndpointSlices only (what readiness history observes),
    /// without collecting every other kind.
    pub fn endpoints_view(&self) -> Snapshot {
        let mut snap = Snapshot::empty(self.context.clone(), self.scope.clone());
        snap.services = collect(&self.services);
        snap.endpoint_slices = collect(&self.slices);
        snap
    }

    /// A snapshot of what the stores hold now (cheap: objects are shared).
    pub fn snapshot(&self) -> Snapshot {
        let mut snap = Snapshot::empty(self.context.clone(), self.scope.clone());
        snap.namespaces = collect(&self.namespaces);
        snap.nodes = collect(&self.nodes);
        snap.services = collect(&self.services);
        snap.endpoint_slices = collect(&self.slices);
        snap.pods = collect(&self.pods);
        snap.events = collect(&self.events);
        snap.config_maps = collect(&self.config_maps);
        snap.deployments = collect(&self.deployments);
        snap.replica_sets = collect(&self.replica_sets);
        snap.stateful_sets = collect(&self.stateful_sets);
        snap.daemon_sets = collect(&self.daemon_sets);
        snap.network_policies = collect(&self.policies);
        snap.ingresses = collect(&self.ingresses);
        if let Ok(failures) = self.failures.lock() {
            snap.access.failures = failures.values().cloned().collect();
        }
        snap
    }
}

/// Every object the stores of one kind hold.
fn collect<K: Kind>(stores: &Stores<K>) -> Vec<Arc<K>> {
    let mut out = Vec::new();
    for store in stores {
        store.extend_into(&mut out);
    }
    out
}

/// The object `namespace/name` in whichever store holds it.
fn find<K: Kind>(stores: &Stores<K>, namespace: &str, name: &str) -> Option<Arc<K>> {
    stores.iter().find_map(|s| s.get(namespace, name))
}

/// The objects of one kind in one place, as its watcher last reported them:
/// replaced whole when a (re)list completes, changed one object at a time by
/// watch events. Keyed by namespace and name without storing keys (each
/// entry is compared against its object's own metadata).
pub struct Store<K> {
    inner: Arc<RwLock<StoreState<K>>>,
}

impl<K> Clone for Store<K> {
    fn clone(&self) -> Self {
        Store {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct StoreState<K> {
    objects: HashTable<Arc<K>>,
    /// A list in progress: it replaces `objects` when complete.
    listing: Option<HashTable<Arc<K>>>,
}

fn key_hash(namespace: &str, name: &str) -> u64 {
    let mut h = FixedState::with_seed(0x5707_e000_0000_0001).build_hasher();
    h.write(namespace.as_bytes());
    h.write_u8(0xff);
    h.write(name.as_bytes());
    h.finish()
}

fn meta_key(meta: &Meta) -> (&str, &str) {
    (
        meta.namespace.as_deref().unwrap_or(""),
        meta.name.as_deref().unwrap_or(""),
    )
}

fn hash_of<K: Kind>(obj: &K) -> u64 {
    let (ns, name) = meta_key(obj.meta());
    key_hash(ns, name)
}

/// Put `obj` in `table`, in place of the object of the same name.
fn put<K: Kind>(table: &mut HashTable<Arc<K>>, obj: Arc<K>) {
    let (ns, name) = meta_key(obj.meta());
    let h = key_hash(ns, name);
    match table.entry(
        h,
        |o| meta_key(o.meta()) == (ns, name),
        |o| hash_of(o.as_ref()),
    ) {
        hashbrown::hash_table::Entry::Occupied(mut e) => *e.get_mut() = obj,
        hashbrown::hash_table::Entry::Vacant(e) => {
            e.insert(obj);
        }
    }
}

impl<K: Kind> Store<K> {
    fn new() -> Self {
        Store {
            inner: Arc::new(RwLock::new(StoreState {
                objects: HashTable::new(),
                listing: None,
            })),
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, StoreState<K>> {
        // A poisoned lock only means a writer panicked between whole-object
        // updates: every entry is still a complete object.
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, StoreState<K>> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Apply one watcher event.
    fn apply(&self, event: &watcher::Event<Arc<K>>) {
        let mut state = self.write();
        match event {
            watcher::Event::Init => state.listing = Some(HashTable::new()),
            watcher::Event::InitApply(obj) => {
                if let Some(listing) = state.listing.as_mut() {
                    put(listing, Arc::clone(obj));
                }
            }
            watcher::Event::InitDone => {
                if let Some(listing) = state.listing.take() {
                    state.objects = listing;
                }
            }
            watcher::Event::Apply(obj) => put(&mut state.objects, Arc::clone(obj)),
            watcher::Event::Delete(obj) => {
                let (ns, name) = meta_key(obj.meta());
                if let Ok(e) = state
                    .objects
                    .find_entry(key_hash(ns, name), |o| meta_key(o.meta()) == (ns, name))
                {
                    e.remove();
                }
            }
        }
    }

    fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        self.read()
            .objects
            .find(key_hash(namespace, name), |o| {
                meta_key(o.meta()) == (namespace, name)
            })
            .cloned()
    }

    fn extend_into(&self, out: &mut Vec<Arc<K>>) {
        let state = self.read();
        out.reserve(state.objects.len());
        out.extend(state.objects.iter().cloned());
    }
}

/// Spawns watcher tasks; a helper for [`LiveCluster::start`].
struct Watchers<'a> {
    client: &'a kube::Client,
    events: &'a UnboundedSender<LiveEvent>,
    failures: &'a Failures,
    tasks: &'a mut Vec<JoinHandle<()>>,
}

impl Watchers<'_> {
    fn cluster<K>(&mut self, resource: Resource) -> Stores<K>
    where
        K: k8s_openapi::Resource<Scope = ClusterResourceScope> + Kind,
    {
        vec![self.spawn(
            Api::<Wire<K>>::all(self.client.clone()),
            resource,
            Place::Everywhere,
        )]
    }

    fn namespaced<K>(&mut self, resource: Resource, places: &[Place]) -> Stores<K>
    where
        K: k8s_openapi::Resource<Scope = NamespaceResourceScope> + Kind,
    {
        places
            .iter()
            .map(|place| {
                let api = match place {
                    Place::Everywhere => Api::<Wire<K>>::all(self.client.clone()),
                    Place::Namespace(ns) => Api::<Wire<K>>::namespaced(self.client.clone(), ns),
                };
                self.spawn(api, resource, place.clone())
            })
            .collect()
    }

    fn spawn<K: Kind>(&mut self, api: Api<Wire<K>>, resource: Resource, place: Place) -> Store<K>
    where
        Wire<K>: kube::Resource<DynamicType = ()>,
    {
        let store = Store::new();
        let writer = store.clone();
        let events = self.events.clone();
        let failures = Arc::clone(self.failures);
        let config = watcher::Config::default().page_size(PAGE_SIZE);
        let task = tokio::spawn(async move {
            let stream = watcher(api, config).default_backoff().map(|event| {
                event.map(|event| {
                    let event = arrived(event);
                    writer.apply(&event);
                    event
                })
            });
            futures::pin_mut!(stream);
            let namespace = place.namespace();
            let mut listed = 0usize;
            let mut failing = false;
            while let Some(event) = stream.next().await {
                let reports = match event {
                    Ok(event) => {
                        if failing {
                            failing = false;
                            if let Ok(mut f) = failures.lock() {
                                f.remove(&(resource, namespace.clone()));
                            }
                            let _ = events.send(LiveEvent::Recovered {
                                resource,
                                namespace: namespace.clone(),
                            });
                        }
                        engine_events(&event, resource, &namespace, &mut listed)
                    }
                    Err(err) => {
                        failing = true;
                        let failure = watch_failure(resource, namespace.clone(), &err);
                        // Only refusals of this resource feed the engine (checks
                        // become unknown); an unreachable API is a connection state.
                        if !failure.cuts_off_the_cluster()
                            && let Ok(mut f) = failures.lock()
                        {
                            f.insert((resource, namespace.clone()), failure.clone());
                        }
                        tracing::warn!(resource = resource.as_str(), ?namespace, error = %failure.message, "watch failed; retrying");
                        vec![LiveEvent::Failed { failure }]
                    }
                };
                for report in reports {
                    if events.send(report).is_err() {
                        return; // nobody listens any more
                    }
                }
            }
        });
        self.tasks.push(task);
        store
    }
}

/// What the engine hears of one watcher event, in the order it must hear
/// it. `listed` counts the objects of the list in progress.
///
/// A finished list says "changed" before it says "done". The dashboard
/// diagnoses a fresh snapshot as soon as every watcher is done; a
/// "changed" still on its way after the last "done" asked for a second
/// full diagnosis of the same cluster moments after the first screen (on
/// the large synthetic cluster, in 3 runs of 10: VmHWM 298 MiB against
/// 283, and the CPU of a whole diagnosis, for nothing).
fn engine_events<K: Kind>(
    event: &watcher::Event<Arc<K>>,
    resource: Resource,
    namespace: &Option<String>,
    listed: &mut usize,
) -> Vec<LiveEvent> {
    let progress = |listed, done| LiveEvent::Progress {
        resource,
        namespace: namespace.clone(),
        listed,
        done,
    };
    match event {
        watcher::Event::Init => {
            *listed = 0;
            vec![]
        }
        watcher::Event::InitApply(_) => {
            *listed += 1;
            if listed.is_multiple_of(PROGRESS_EVERY) {
                vec![progress(*listed, false)]
            } else {
                vec![]
            }
        }
        watcher::Event::InitDone => vec![
            LiveEvent::Changed {
                resource,
                object: None,
            },
            progress(*listed, true),
        ],
        watcher::Event::Apply(obj) | watcher::Event::Delete(obj) => {
            let (ns, name) = meta_key(obj.meta());
            vec![LiveEvent::Changed {
                resource,
                object: Some((ns.to_string(), name.to_string())),
            }]
        }
    }
}

/// A watcher event with its object (if any) as the engine keeps it.
fn arrived<K: Kind>(event: watcher::Event<Wire<K>>) -> watcher::Event<Arc<K>> {
    let keep = |wire: Wire<K>| {
        let mut obj = wire.into_object();
        obj.strip();
        Arc::new(obj)
    };
    match event {
        watcher::Event::Init => watcher::Event::Init,
        watcher::Event::InitApply(o) => watcher::Event::InitApply(keep(o)),
        watcher::Event::InitDone => watcher::Event::InitDone,
        watcher::Event::Apply(o) => watcher::Event::Apply(keep(o)),
        watcher::Event::Delete(o) => watcher::Event::Delete(keep(o)),
    }
}

fn watch_failure(
    resource: Resource,
    namespace: Option<String>,
    err: &watcher::Error,
) -> ReadFailure {
    let code = match err {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some(s.code),
        watcher::Error::WatchError(s) => Some(s.code),
        _ => None,
    };
    ReadFailure {
        resource,
        namespace,
        code,
        message: one_line(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ns: &str, name: &str, ip: &str) -> Arc<Pod> {
        let json = serde_json::json!({
            "metadata": {"namespace": ns, "name": name},
            "status": {"podIP": ip}
        });
        Arc::new(serde_json::from_value(json).expect("a pod"))
    }

    fn held(store: &Store<Pod>) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        store.extend_into(&mut out);
        let mut out: Vec<_> = out
            .iter()
            .map(|p| {
                let (ns, name) = meta_key(&p.metadata);
                let ip = p.status.as_ref().and_then(|s| s.pod_ip.as_deref());
                (
                    ns.to_string(),
                    name.to_string(),
                    ip.unwrap_or_default().to_string(),
                )
            })
            .collect();
        out.sort();
        out
    }

    fn row(ns: &str, name: &str, ip: &str) -> (String, String, String) {
        (ns.into(), name.into(), ip.into())
    }

    /// The store follows kube-rs's watcher events as its reflector store
    /// does: a list becomes visible only when complete and replaces what was
    /// there; watch events change one object by namespace and name.
    #[test]
    fn follows_lists_and_watch_events() {
        let store: Store<Pod> = Store::new();
        store.apply(&watcher::Event::Init);
        store.apply(&watcher::Event::InitApply(pod("a", "web", "10.0.0.1")));
        store.apply(&watcher::Event::InitApply(pod("b", "web", "10.0.0.2")));
        assert!(held(&store).is_empty(), "a list in progress is not visible");
        store.apply(&watcher::Event::InitDone);
        assert_eq!(
            held(&store),
            [row("a", "web", "10.0.0.1"), row("b", "web", "10.0.0.2")]
        );

        // Same name in another namespace is another object; same key replaces.
        store.apply(&watcher::Event::Apply(pod("a", "web", "10.0.0.9")));
        store.apply(&watcher::Event::Apply(pod("a", "db", "10.0.0.3")));
        store.apply(&watcher::Event::Delete(pod("b", "web", "")));
        store.apply(&watcher::Event::Delete(pod("c", "gone", "")));
        assert_eq!(
            held(&store),
            [row("a", "db", "10.0.0.3"), row("a", "web", "10.0.0.9")]
        );
        assert_eq!(
            store
                .get("a", "web")
                .and_then(|p| p.status.as_ref()?.pod_ip.clone()),
            Some("10.0.0.9".into())
        );
        assert!(store.get("b", "web").is_none());

        // A relist (after a 410 or a reconnect) replaces everything: what it
        // no longer lists is gone.
        store.apply(&watcher::Event::Init);
        store.apply(&watcher::Event::InitApply(pod("a", "db", "10.0.0.4")));
        assert_eq!(
            held(&store).len(),
            2,
            "the old state until the list is done"
        );
        store.apply(&watcher::Event::InitDone);
        assert_eq!(held(&store), [row("a", "db", "10.0.0.4")]);
    }

    /// Every event a watcher reports, through [`engine_events`], for `events`.
    fn heard(events: &[watcher::Event<Arc<Pod>>]) -> Vec<String> {
        let mut listed = 0;
        let place = Some("shop".to_string());
        events
            .iter()
            .flat_map(|e| engine_events(e, Resource::Pods, &place, &mut listed))
            .map(|e| match e {
                LiveEvent::Progress { listed, done, .. } => format!("progress {listed} {done}"),
                LiveEvent::Changed { object: None, .. } => "list changed".into(),
                LiveEvent::Changed {
                    object: Some((ns, name)),
                    ..
                } => format!("changed {ns}/{name}"),
                other => format!("{other:?}"),
            })
            .collect()
    }

    /// The dashboard diagnoses once every watcher's list is done: a list's
    /// "done" is the last thing it says, after its "changed", so that no
    /// "changed" of the first lists arrives after the first diagnosis and
    /// asks for a second one. Progress counts restart with a relist.
    #[test]
    fn a_list_says_it_changed_before_it_says_it_is_done() {
        let mut list = vec![watcher::Event::Init];
        list.extend(
            (0..PROGRESS_EVERY + 1)
                .map(|i| watcher::Event::InitApply(pod("shop", &format!("web-{i}"), "10.0.0.1"))),
        );
        list.push(watcher::Event::InitDone);
        assert_eq!(
            heard(&list),
            [
                format!("progress {PROGRESS_EVERY} false"),
                "list changed".to_string(),
                format!("progress {} true", PROGRESS_EVERY + 1),
            ]
        );

        // A watch event after the list; then a relist counts from zero.
        let mut more = list.clone();
        more.push(watcher::Event::Apply(pod("shop", "web-0", "10.0.0.2")));
        more.extend([
            watcher::Event::Init,
            watcher::Event::InitApply(pod("shop", "web-0", "10.0.0.2")),
            watcher::Event::InitDone,
        ]);
        assert_eq!(
            heard(&more)[3..],
            [
                "changed shop/web-0".to_string(),
                "list changed".to_string(),
                "progress 1 true".to_string(),
            ]
        );
    }
}
