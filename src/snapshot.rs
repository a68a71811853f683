//! The plain data handed from `cluster` (or a fixture loader) to `diagnose`.
//!
//! A [`Snapshot`] is everything the engine may look at: the objects read from
//! the API, which reads were refused or failed, and a few log tails. It holds
//! no client and does no I/O; the engine is a pure function of it and a time.
//! Objects are behind `Arc` so that snapshots taken from reflector stores are
//! cheap to build.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::model::{
    ConfigMap, DaemonSet, Deployment, EndpointSlice, Endpoints, Event, Ingress, Namespace,
    NetworkPolicy, Node, Pod, ReplicaSet, Service, StatefulSet,
};

pub mod history;
pub mod manifests;

/// Which namespaces a diagnosis covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every namespace (`-A`).
    All,
    /// One namespace (`-n NS`, or the context's namespace).
    Namespace(String),
}

impl Scope {
    /// Whether objects in `namespace` are in scope.
    pub fn contains(&self, namespace: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Namespace(ns) => ns == namespace,
        }
    }
}

/// The resource kinds svc-doctor reads. `as_str` is the API plural, used in
/// permission messages (`cannot list pods in default`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    Namespaces,
    Nodes,
    Services,
    Endpointslices,
    Endpoints,
    Pods,
    Events,
    Configmaps,
    Deployments,
    Replicasets,
    Statefulsets,
    Daemonsets,
    Networkpolicies,
    Ingresses,
    /// `pods/log`, read only for the previous-log tails of crashing containers.
    PodLogs,
}

impl Resource {
    pub const ALL: [Resource; 15] = [
        Resource::Namespaces,
        Resource::Nodes,
        Resource::Services,
        Resource::Endpointslices,
        Resource::Endpoints,
        Resource::Pods,
        Resource::Events,
        Resource::Configmaps,
        Resource::Deployments,
        Resource::Replicasets,
        Resource::Statefulsets,
        Resource::Daemonsets,
        Resource::Networkpolicies,
        Resource::Ingresses,
        Resource::PodLogs,
    ];

    /// The API plural (with subresource for logs), as `kubectl auth can-i` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Namespaces => "namespaces",
            Resource::Nodes => "nodes",
            Resource::Services => "services",
            Resource::Endpointslices => "endpointslices",
            Resource::Endpoints => "endpoints",
            Resource::Pods => "pods",
            Resource::Events => "events",
            Resource::Configmaps => "configmaps",
            Resource::Deployments => "deployments",
            Resource::Replicasets => "replicasets",
            Resource::Statefulsets => "statefulsets",
            Resource::Daemonsets => "daemonsets",
            Resource::Networkpolicies => "networkpolicies",
            Resource::Ingresses => "ingresses",
            Resource::PodLogs => "pods/log",
        }
    }

    /// The verb svc-doctor needs on this resource.
    pub fn verb(self) -> &'static str {
        match self {
            Resource::PodLogs => "get",
            _ => "list",
        }
    }

    /// Whether the resource is cluster-scoped.
    pub fn cluster_scoped(self) -> bool {
        matches!(self, Resource::Namespaces | Resource::Nodes)
    }
}

/// A read that did not succeed: the checks that need it become `unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailure {
    pub resource: Resource,
    /// `None` for cluster-scoped resources or a cluster-wide read.
    pub namespace: Option<String>,
    /// HTTP status (403 for RBAC), or `None` for a transport error.
    pub code: Option<u16>,
    /// The API server's message, for the evidence.
    pub message: String,
}

impl ReadFailure {
    /// Whether this failure means nothing can be read at all (the API is
    /// unreachable, or it rejects our credentials), rather than that this one
    /// resource may not be read (403) — the first is a connection state, the
    /// second makes the checks that need the resource `unknown`.
    pub fn cuts_off_the_cluster(&self) -> bool {
        matches!(self.code, None | Some(401))
    }
}

/// What could and could not be read.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub failures: Vec<ReadFailure>,
}

impl Access {
    /// The failure that prevents reading `resource` in `namespace`, if any.
    /// A failure recorded for the cluster-wide read (`namespace: None`) covers
    /// every namespace; one for a namespace covers only that namespace.
    pub fn failure(&self, resource: Resource, namespace: Option<&str>) -> Option<&ReadFailure> {
        self.failures.iter().find(|f| {
            f.resource == resource
                && (f.namespace.is_none()
                    || namespace.is_none()
                    || f.namespace.as_deref() == namespace)
        })
    }

    pub fn readable(&self, resource: Resource, namespace: Option<&str>) -> bool {
        self.failure(resource, namespace).is_none()
    }
}

/// The logs read for one container: at most a bounded tail of each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerLogs {
    pub previous: Option<String>,
    pub current: Option<String>,
}

/// Key of a container's logs: (namespace, pod, container).
pub type ContainerKey = (String, String, String);

/// Everything the engine may look at.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The kubeconfig context (or `sandbox`, or a fixture name).
    pub context: String,
    pub scope: Scope,
    pub namespaces: Vec<Arc<Namespace>>,
    pub nodes: Vec<Arc<Node>>,
    pub services: Vec<Arc<Service>>,
    pub endpoint_slices: Vec<Arc<EndpointSlice>>,
    /// v1 Endpoints: read only when the cluster serves no EndpointSlices.
    pub endpoints: Vec<Arc<Endpoints>>,
    /// Whether the cluster serves `discovery.k8s.io/v1` EndpointSlices.
    pub serves_endpoint_slices: bool,
    pub pods: Vec<Arc<Pod>>,
    pub events: Vec<Arc<Event>>,
    pub config_maps: Vec<Arc<ConfigMap>>,
    pub deployments: Vec<Arc<Deployment>>,
    pub replica_sets: Vec<Arc<ReplicaSet>>,
    pub stateful_sets: Vec<Arc<StatefulSet>>,
    pub daemon_sets: Vec<Arc<DaemonSet>>,
    pub network_policies: Vec<Arc<NetworkPolicy>>,
    pub ingresses: Vec<Arc<Ingress>>,
    pub logs: BTreeMap<ContainerKey, ContainerLogs>,
    pub access: Access,
    /// Readiness observed over time (the dashboard keeps it; `check` has none):
    /// the live form of RDY-003.
    pub readiness: Option<Arc<history::ReadinessHistory>>,
}

impl Snapshot {
    /// An empty snapshot for `context` and `scope`.
    pub fn empty(context: impl Into<String>, scope: Scope) -> Self {
        Snapshot {
            context: context.into(),
            scope,
            namespaces: Vec::new(),
            nodes: Vec::new(),
            services: Vec::new(),
            endpoint_slices: Vec::new(),
            endpoints: Vec::new(),
            serves_endpoint_slices: true,
            pods: Vec::new(),
            events: Vec::new(),
            config_maps: Vec::new(),
            deployments: Vec::new(),
            replica_sets: Vec::new(),
            stateful_sets: Vec::new(),
            daemon_sets: Vec::new(),
            network_policies: Vec::new(),
            ingresses: Vec::new(),
            logs: BTreeMap::new(),
            access: Access::default(),
            readiness: None,
        }
    }
}
