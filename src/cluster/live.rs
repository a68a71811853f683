//! Keeping a live copy of the cluster for the dashboard: one kube-rs
//! reflector per resource kind and scope (`watcher(...).default_backoff()
//! .modify(strip).reflect(writer)`), and snapshots read from their stores.
//!
//! Each watcher task reports what happens to it as [`LiveEvent`]s: list
//! progress while the first lists load, "something changed", and errors
//! (a 403 makes the checks that need the kind `unknown`; a transport error
//! means the API is unreachable and the watcher retries with backoff).
//! Nothing here blocks: the UI gets owned messages over a channel.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::connect::one_line;
use super::fetch::Strip;
use super::reach::{self, KUBE_SYSTEM};
use crate::model::{DaemonSet, Deployment, Pod, ReplicaSet, StatefulSet};
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
fn collect<K: kube::Resource + Clone + 'static>(stores: &Stores<K>) -> Vec<Arc<K>>
where
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    stores.iter().flat_map(|s| s.state()).collect()
}

/// The object `namespace/name` in whichever store holds it.
fn find<K: kube::Resource + Clone + 'static>(
    stores: &Stores<K>,
    namespace: &str,
    name: &str,
) -> Option<Arc<K>>
where
    K::DynamicType: Default + Eq + std::hash::Hash + Clone,
{
    let key = ObjectRef::<K>::new(name).within(namespace);
    stores.iter().find_map(|s| s.get(&key))
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
        K: kube::Resource<Scope = kube::core::ClusterResourceScope>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + Strip
            + 'static,
        K::DynamicType: Default + Eq + std::hash::Hash + Clone,
    {
        vec![self.spawn(
            Api::<K>::all(self.client.clone()),
            resource,
            Place::Everywhere,
        )]
    }

    fn namespaced<K>(&mut self, resource: Resource, places: &[Place]) -> Stores<K>
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + Strip
            + 'static,
        K::DynamicType: Default + Eq + std::hash::Hash + Clone,
    {
        places
            .iter()
            .map(|place| {
                let api = match place {
                    Place::Everywhere => Api::<K>::all(self.client.clone()),
                    Place::Namespace(ns) => Api::<K>::namespaced(self.client.clone(), ns),
                };
                self.spawn(api, resource, place.clone())
            })
            .collect()
    }

    fn spawn<K>(&mut self, api: Api<K>, resource: Resource, place: Place) -> Store<K>
    where
        K: kube::Resource + Clone + DeserializeOwned + Debug + Send + Sync + Strip + 'static,
        K::DynamicType: Default + Eq + std::hash::Hash + Clone,
    {
        let (store, writer) = reflector::store();
        let events = self.events.clone();
        let failures = Arc::clone(self.failures);
        let config = watcher::Config::default().page_size(PAGE_SIZE);
        let task = tokio::spawn(async move {
            let stream = watcher(api, config)
                .default_backoff()
                .modify(|obj: &mut K| obj.strip())
                .reflect(writer);
            futures::pin_mut!(stream);
            let namespace = place.namespace();
            let mut listed = 0usize;
            let mut failing = false;
            while let Some(event) = stream.next().await {
                let report = match event {
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
                        match event {
                            watcher::Event::Init => {
                                listed = 0;
                                None
                            }
                            watcher::Event::InitApply(_) => {
                                listed += 1;
                                listed
                                    .is_multiple_of(PROGRESS_EVERY)
                                    .then(|| LiveEvent::Progress {
                                        resource,
                                        namespace: namespace.clone(),
                                        listed,
                                        done: false,
                                    })
                            }
                            watcher::Event::InitDone => {
                                let _ = events.send(LiveEvent::Progress {
                                    resource,
                                    namespace: namespace.clone(),
                                    listed,
                                    done: true,
                                });
                                Some(LiveEvent::Changed {
                                    resource,
                                    object: None,
                                })
                            }
                            watcher::Event::Apply(obj) | watcher::Event::Delete(obj) => {
                                Some(LiveEvent::Changed {
                                    resource,
                                    object: Some((
                                        obj.namespace().unwrap_or_default(),
                                        obj.name_any(),
                                    )),
                                })
                            }
                        }
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
                        Some(LiveEvent::Failed { failure })
                    }
                };
                if let Some(report) = report
                    && events.send(report).is_err()
                {
                    return; // nobody listens any more
                }
            }
        });
        self.tasks.push(task);
        store
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
