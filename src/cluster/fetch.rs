//! Reading a [`Snapshot`] from the API for `check`: one paginated list per
//! resource kind and scope, all kinds in parallel, no per-Service calls.
//!
//! Scope (DESIGN §1, issue 3): with `-A`, every kind is listed cluster-wide;
//! when a cluster-wide list is forbidden, it falls back to one list per
//! namespace it may see, as RBAC expects of clients. With `-n NS`, kinds are
//! listed in `NS`, plus `kube-system` for what cluster DNS needs, plus
//! Services cluster-wide (so that "exists in another namespace" can be said).
//! The only per-object reads are the previous-log tails of crashing
//! containers, bounded in number and concurrency. Secrets are never read.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::api::{Api, ListParams, LogParams};
use serde::de::DeserializeOwned;

use super::connect::{Connection, REQUEST_TIMEOUT, one_line};
use super::reach::{self, KUBE_SYSTEM};
use crate::model::{
    ConfigMap, DaemonSet, Deployment, EndpointSlice, Endpoints, Event, Ingress, Namespace,
    NetworkPolicy, Node, Object, Pod, PodSpec, PodTemplateSpec, ReplicaSet, Service, StatefulSet,
    Wire,
};
use crate::snapshot::{ContainerLogs, ReadFailure, Resource, Scope, Snapshot};

/// Objects per page: small enough to start decoding early, large enough to
/// keep round trips few.
const PAGE_SIZE: u32 = 500;
/// At most this many previous-log tails per run…
const MAX_LOG_TAILS: usize = 20;
/// …read this many at a time…
const LOG_CONCURRENCY: usize = 4;
/// …of this many lines each.
const LOG_TAIL_LINES: i64 = 20;

/// Where one kind is read.
#[derive(Debug, Clone)]
enum Plan {
    /// Cluster-wide, falling back to these namespaces when forbidden.
    Everywhere { fallback: Vec<String> },
    /// Only these namespaces.
    Namespaces(Vec<String>),
}

/// Read everything the checks need for `scope`.
pub async fn fetch_snapshot(conn: &Connection, scope: Scope) -> Snapshot {
    let client = &conn.client;
    let mut snap = Snapshot::empty(conn.context.clone(), scope.clone());

    // Namespaces first: the fallback for forbidden cluster-wide lists needs them.
    let (namespaces, ns_failures) = read_cluster::<Namespace>(client, Resource::Namespaces).await;
    let visible: Vec<String> = namespaces
        .iter()
        .filter_map(|n| n.metadata.name.as_deref().map(String::from))
        .collect();
    snap.namespaces = namespaces;
    snap.access.failures.extend(ns_failures);

    // Where each kind is read (`reach`); a forbidden cluster-wide list falls
    // back to the namespaces in question one by one.
    let fallback = match &scope {
        Scope::All => visible,
        Scope::Namespace(ns) => reach::with_dns(ns),
    };
    let plan = |resource: Resource| match reach::namespaces(&scope, resource) {
        Some(namespaces) => Plan::Namespaces(namespaces),
        None => Plan::Everywhere {
            fallback: fallback.clone(),
        },
    };

    let (
        nodes,
        services,
        slices,
        pods,
        events,
        config_maps,
        deployments,
        replica_sets,
        stateful_sets,
        daemon_sets,
        policies,
        ingresses,
    ) = tokio::join!(
        read_cluster::<Node>(client, Resource::Nodes),
        read::<Service>(client, Resource::Services, plan(Resource::Services)),
        read::<EndpointSlice>(
            client,
            Resource::Endpointslices,
            plan(Resource::Endpointslices)
        ),
        read::<Pod>(client, Resource::Pods, plan(Resource::Pods)),
        read::<Event>(client, Resource::Events, plan(Resource::Events)),
        read_config_maps(client, &scope, plan(Resource::Configmaps)),
        read::<Deployment>(client, Resource::Deployments, plan(Resource::Deployments)),
        read::<ReplicaSet>(client, Resource::Replicasets, plan(Resource::Replicasets)),
        read::<StatefulSet>(client, Resource::Statefulsets, plan(Resource::Statefulsets)),
        read::<DaemonSet>(client, Resource::Daemonsets, plan(Resource::Daemonsets)),
        read::<NetworkPolicy>(
            client,
            Resource::Networkpolicies,
            plan(Resource::Networkpolicies)
        ),
        read::<Ingress>(client, Resource::Ingresses, plan(Resource::Ingresses)),
    );
    macro_rules! take {
        ($field:ident, $value:expr) => {{
            let (items, failures) = $value;
            snap.$field = items;
            snap.access.failures.extend(failures);
        }};
    }
    take!(nodes, nodes);
    take!(services, services);
    take!(pods, pods);
    take!(events, events);
    take!(config_maps, config_maps);
    take!(deployments, deployments);
    take!(replica_sets, replica_sets);
    take!(stateful_sets, stateful_sets);
    take!(daemon_sets, daemon_sets);
    take!(network_policies, policies);
    take!(ingresses, ingresses);

    // A cluster that does not serve discovery.k8s.io/v1 answers 404: fall back
    // to v1 Endpoints (deprecated, truncated at 1000 addresses, CHECKS.md).
    let (slice_items, slice_failures) = slices;
    if slice_failures.iter().any(|f| f.code == Some(404)) {
        snap.serves_endpoint_slices = false;
        take!(
            endpoints,
            read::<Endpoints>(client, Resource::Endpoints, plan(Resource::Endpoints)).await
        );
    } else {
        snap.endpoint_slices = slice_items;
        snap.access.failures.extend(slice_failures);
    }

    read_log_tails(client, &mut snap).await;
    snap
}

/// A cluster-scoped list.
async fn read_cluster<K>(
    client: &kube::Client,
    resource: Resource,
) -> (Vec<Arc<K>>, Vec<ReadFailure>)
where
    K: k8s_openapi::Resource<Scope = ClusterResourceScope> + Kind,
{
    match list_pages(Api::<Wire<K>>::all(client.clone())).await {
        Ok(items) => (items, Vec::new()),
        Err(err) => (Vec::new(), vec![failure(resource, None, &err)]),
    }
}

/// A namespaced kind, read according to `plan`.
async fn read<K>(
    client: &kube::Client,
    resource: Resource,
    plan: Plan,
) -> (Vec<Arc<K>>, Vec<ReadFailure>)
where
    K: k8s_openapi::Resource<Scope = NamespaceResourceScope> + Kind,
{
    let namespaces = match plan {
        Plan::Everywhere { fallback } => {
            match list_pages(Api::<Wire<K>>::all(client.clone())).await {
                Ok(items) => return (items, Vec::new()),
                // Forbidden cluster-wide: read the namespaces we may, one by one.
                Err(err) if status_code(&err) == Some(403) => {
                    let mut failures = vec![];
                    if fallback.is_empty() {
                        failures.push(failure(resource, None, &err));
                    }
                    let (items, more) = read_each::<K>(client, resource, &fallback).await;
                    failures.extend(more);
                    return (items, failures);
                }
                Err(err) => return (Vec::new(), vec![failure(resource, None, &err)]),
            }
        }
        Plan::Namespaces(namespaces) => namespaces,
    };
    read_each::<K>(client, resource, &namespaces).await
}

async fn read_each<K>(
    client: &kube::Client,
    resource: Resource,
    namespaces: &[String],
) -> (Vec<Arc<K>>, Vec<ReadFailure>)
where
    K: k8s_openapi::Resource<Scope = NamespaceResourceScope> + Kind,
{
    let results = futures::stream::iter(namespaces.iter().cloned())
        .map(|ns| async move {
            (
                list_pages(Api::<Wire<K>>::namespaced(client.clone(), &ns)).await,
                ns,
            )
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    let mut items = Vec::new();
    let mut failures = Vec::new();
    for (result, ns) in results {
        match result {
            Ok(list) => items.extend(list),
            Err(err) => failures.push(failure(resource, Some(ns), &err)),
        }
    }
    (items, failures)
}

/// ConfigMaps: in the scoped namespaces, plus `kube-system/coredns` by name
/// (the Corefile) rather than every ConfigMap of kube-system.
async fn read_config_maps(
    client: &kube::Client,
    scope: &Scope,
    plan: Plan,
) -> (Vec<Arc<ConfigMap>>, Vec<ReadFailure>) {
    let (mut items, mut failures) = read::<ConfigMap>(client, Resource::Configmaps, plan).await;
    if matches!(scope, Scope::Namespace(ns) if ns != KUBE_SYSTEM) {
        let api = Api::<Wire<ConfigMap>>::namespaced(client.clone(), KUBE_SYSTEM);
        match tokio::time::timeout(REQUEST_TIMEOUT, api.get_opt("coredns")).await {
            Ok(Ok(Some(cm))) => items.push(Arc::new(cm.into_object())),
            Ok(Ok(None)) => {}
            Ok(Err(err)) => failures.push(failure(
                Resource::Configmaps,
                Some(KUBE_SYSTEM.into()),
                &ReadError::Kube(err),
            )),
            Err(_) => failures.push(timeout_failure(
                Resource::Configmaps,
                Some(KUBE_SYSTEM.into()),
            )),
        }
    }
    (items, failures)
}

/// Every page of a list, each request bounded in time.
async fn list_pages<K: Kind>(api: Api<Wire<K>>) -> Result<Vec<Arc<K>>, ReadError>
where
    Wire<K>: kube::Resource<DynamicType = ()>,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(PAGE_SIZE);
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let page = tokio::time::timeout(REQUEST_TIMEOUT, api.list(&params))
            .await
            .map_err(|_| ReadError::Timeout)?
            .map_err(ReadError::Kube)?;
        items.extend(page.items.into_iter().map(|o| {
            let mut o = o.into_object();
            o.strip();
            Arc::new(o)
        }));
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(items);
        }
    }
}

/// The previous-log tails of crash-looping containers (POD-001, DNS-004):
/// at most [`MAX_LOG_TAILS`], [`LOG_CONCURRENCY`] at a time.
async fn read_log_tails(client: &kube::Client, snap: &mut Snapshot) {
    let mut wanted: Vec<(String, String, String)> = Vec::new();
    for pod in &snap.pods {
        let (Some(ns), Some(name)) = (
            pod.metadata.namespace.as_deref(),
            pod.metadata.name.as_deref(),
        ) else {
            continue;
        };
        let statuses = pod.status.as_ref().into_iter().flat_map(|s| {
            s.container_statuses
                .iter()
                .flatten()
                .chain(s.init_container_statuses.iter().flatten())
        });
        for cs in statuses {
            let crashed = cs
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .is_some();
            if crashed && cs.restart_count > 0 {
                wanted.push((ns.to_string(), name.to_string(), cs.name.to_string()));
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    wanted.truncate(MAX_LOG_TAILS);
    let results = futures::stream::iter(wanted)
        .map(|(ns, pod, container)| async move {
            // `pods/log` is a subresource of the API's own Pod type.
            let api = Api::<k8s_openapi::api::core::v1::Pod>::namespaced(client.clone(), &ns);
            let params = LogParams {
                container: Some(container.clone()),
                previous: true,
                tail_lines: Some(LOG_TAIL_LINES),
                ..LogParams::default()
            };
            let result = tokio::time::timeout(REQUEST_TIMEOUT, api.logs(&pod, &params)).await;
            ((ns, pod, container), result)
        })
        .buffer_unordered(LOG_CONCURRENCY)
        .collect::<Vec<_>>()
        .await;
    let mut forbidden: BTreeSet<String> = BTreeSet::new();
    for (key, result) in results {
        match result {
            Ok(Ok(text)) => {
                snap.logs.insert(
                    key,
                    ContainerLogs {
                        previous: Some(text),
                        current: None,
                    },
                );
            }
            Ok(Err(kube::Error::Api(status))) if status.code == 403 => {
                if forbidden.insert(key.0.clone()) {
                    let err = ReadError::Kube(kube::Error::Api(status));
                    snap.access
                        .failures
                        .push(failure(Resource::PodLogs, Some(key.0), &err));
                }
            }
            // No previous container (400) or a transient error: no log tail, no verdict change.
            Ok(Err(err)) => tracing::debug!(?key, error = %err, "previous log not read"),
            Err(_) => tracing::debug!(?key, "previous log timed out"),
        }
    }
}

/// Why one list failed.
#[derive(Debug)]
enum ReadError {
    Kube(kube::Error),
    Timeout,
}

fn status_code(err: &ReadError) -> Option<u16> {
    match err {
        ReadError::Kube(kube::Error::Api(status)) => Some(status.code),
        _ => None,
    }
}

fn failure(resource: Resource, namespace: Option<String>, err: &ReadError) -> ReadFailure {
    match err {
        ReadError::Timeout => timeout_failure(resource, namespace),
        ReadError::Kube(kube::Error::Api(status)) => ReadFailure {
            resource,
            namespace,
            code: Some(status.code),
            message: crate::safe_text::sanitize(&status.message).into_owned(),
        },
        ReadError::Kube(other) => ReadFailure {
            resource,
            namespace,
            code: None,
            message: one_line(other),
        },
    }
}

fn timeout_failure(resource: Resource, namespace: Option<String>) -> ReadFailure {
    ReadFailure {
        resource,
        namespace,
        code: None,
        message: format!("no answer within {}s", REQUEST_TIMEOUT.as_secs()),
    }
}

/// A kind `check` and the dashboard read: decoded through [`Wire`],
/// stripped as it arrives.
pub trait Kind: Object + DeserializeOwned + Clone + Debug + Send + Sync + Strip + 'static {}

impl<K: Object + DeserializeOwned + Clone + Debug + Send + Sync + Strip + 'static> Kind for K {}

/// Dropping what the engine never reads as objects arrive keeps memory
/// proportional to what matters. Most of it is never decoded at all (the
/// [`crate::model`] types skip `managedFields`, annotations and every field no
/// check reads); what is left to drop after decoding is the pod volumes
/// outside kube-system. `tests/strip.rs` proves that stripping never changes
/// a diagnosis.
pub trait Strip {
    fn strip(&mut self) {}
}

/// Strip every object of `snap` as `check` and the dashboard strip objects
/// as they arrive (an object another snapshot shares is copied first): for
/// tests and benchmarks that build snapshots from manifests.
pub fn strip_snapshot(snap: &mut Snapshot) {
    fn each<K: Strip + Clone>(list: &mut [Arc<K>]) {
        for o in list {
            Arc::make_mut(o).strip();
        }
    }
    each(&mut snap.pods);
    each(&mut snap.deployments);
    each(&mut snap.replica_sets);
    each(&mut snap.stateful_sets);
    each(&mut snap.daemon_sets);
}

/// Volumes are read in kube-system only (the Corefile ConfigMap of the DNS
/// pods, DNS-006).
/// The part a pod shares with its siblings is shared again once stripped.
fn strip_pod_spec(spec: &mut PodSpec, namespace: Option<&str>) {
    if namespace != Some(KUBE_SYSTEM) && spec.volumes.is_some() {
        spec.change_run(|run| run.volumes = None);
    }
}

fn strip_template(template: &mut PodTemplateSpec, namespace: Option<&str>) {
    if let Some(spec) = template.spec.as_mut() {
        strip_pod_spec(spec, namespace);
    }
}

impl Strip for Pod {
    fn strip(&mut self) {
        if let Some(spec) = self.spec.as_mut() {
            strip_pod_spec(spec, self.metadata.namespace.as_deref());
        }
    }
}

impl Strip for Namespace {}
impl Strip for Node {}
impl Strip for Service {}
impl Strip for EndpointSlice {}
impl Strip for Endpoints {}
impl Strip for Event {}
impl Strip for ConfigMap {}
impl Strip for NetworkPolicy {}
impl Strip for Ingress {}

macro_rules! strip_workload {
    ($($t:ty),*) => {$(
        impl Strip for $t {
            fn strip(&mut self) {
                let namespace = self.metadata.namespace.as_deref();
                if let Some(spec) = self.spec.as_mut() {
                    strip_template(&mut spec.template, namespace);
                }
            }
        }
    )*};
}

strip_workload!(Deployment, StatefulSet, DaemonSet);

impl Strip for ReplicaSet {
    fn strip(&mut self) {
        let namespace = self.metadata.namespace.as_deref();
        if let Some(template) = self.spec.as_mut().and_then(|s| s.template.as_mut()) {
            strip_template(template, namespace);
        }
    }
}
