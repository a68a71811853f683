//! The resource types the sandbox serves: names, scope, discovery data and the
//! k8s-openapi type each object must deserialise into.
//!
//! Discovery data (short names, categories, verbs) is copied from a real
//! v1.33 API server's `/api/v1` and `/apis/GROUP/VERSION`, so that kubectl
//! resolves `svc`, `po`, `get all` … exactly as it would against a cluster.

use serde::de::DeserializeOwned;
use serde_json::Value;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Event, Namespace, Node, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};

/// How the sandbox holds a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Objects kept in the store: list, get, watch and writes.
    Stored,
    /// A review that is computed on `create` and never stored
    /// (`selfsubjectaccessreviews`, `selfsubjectrulesreviews`).
    Review,
}

/// A field usable in a `fieldSelector`, beyond `metadata.name` and
/// `metadata.namespace` which every resource supports.
#[derive(Debug)]
pub struct SelectableField {
    /// The label clients use (`spec.nodeName`).
    pub label: &'static str,
    /// Where the value lives in the object, as a JSON pointer.
    pub pointer: &'static str,
    /// The value when the field is absent (the real server uses the Go zero value).
    pub default: &'static str,
}

/// One served resource.
#[derive(Debug)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// Lower-case plural: the name in URLs, RBAC and error messages.
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Whether the real API has a `/status` subresource for it.
    pub status_subresource: bool,
    pub storage: Storage,
    /// Fields, besides `metadata.name` and `metadata.namespace`, that the
    /// real server accepts in a `fieldSelector` for this resource.
    pub fields: &'static [SelectableField],
    /// Checks that an object deserialises into the k8s-openapi type.
    pub validate: fn(&Value) -> Result<(), String>,
}

impl ResourceType {
    /// `v1` for the core group, `GROUP/VERSION` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The name used in error messages: `services`, `deployments.apps`.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The verbs advertised in discovery: exactly what the sandbox implements.
    pub fn verbs(&self) -> &'static [&'static str] {
        match self.storage {
            Storage::Stored => &[
                "create", "delete", "get", "list", "patch", "update", "watch",
            ],
            Storage::Review => &["create"],
        }
    }

    /// The index of a field label usable in a `fieldSelector`.
    pub fn field_index(&self, label: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.label == label)
    }
}

/// Deserialise into `T`, reporting the path of the first bad field
/// (`spec.ports[0].port: invalid type: string "http", expected i32`).
fn validate_as<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(_) => Ok(()),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if path == "." || path.is_empty() {
                Err(inner.to_string())
            } else {
                Err(format!("{path}: {inner}"))
            }
        }
    }
}

fn validate_nothing(_: &Value) -> Result<(), String> {
    Ok(())
}

const fn field(label: &'static str, pointer: &'static str) -> SelectableField {
    SelectableField {
        label,
        pointer,
        default: "",
    }
}

const POD_FIELDS: &[SelectableField] = &[
    field("spec.nodeName", "/spec/nodeName"),
    field("spec.restartPolicy", "/spec/restartPolicy"),
    field("spec.schedulerName", "/spec/schedulerName"),
    field("spec.serviceAccountName", "/spec/serviceAccountName"),
    SelectableField {
        label: "spec.hostNetwork",
        pointer: "/spec/hostNetwork",
        default: "false",
    },
    field("status.phase", "/status/phase"),
    field("status.podIP", "/status/podIP"),
    field("status.nominatedNodeName", "/status/nominatedNodeName"),
];

const EVENT_FIELDS: &[SelectableField] = &[
    field("involvedObject.kind", "/involvedObject/kind"),
    field("involvedObject.namespace", "/involvedObject/namespace"),
    field("involvedObject.name", "/involvedObject/name"),
    field("involvedObject.uid", "/involvedObject/uid"),
    field("involvedObject.apiVersion", "/involvedObject/apiVersion"),
    field(
        "involvedObject.resourceVersion",
        "/involvedObject/resourceVersion",
    ),
    field("involvedObject.fieldPath", "/involvedObject/fieldPath"),
    field("reason", "/reason"),
    field("reportingComponent", "/reportingComponent"),
    field("source", "/source/component"),
    field("type", "/type"),
];

const NODE_FIELDS: &[SelectableField] = &[SelectableField {
    label: "spec.unschedulable",
    pointer: "/spec/unschedulable",
    default: "false",
}];

const NAMESPACE_FIELDS: &[SelectableField] = &[field("status.phase", "/status/phase")];

const SERVICE_FIELDS: &[SelectableField] = &[
    field("spec.clusterIP", "/spec/clusterIP"),
    field("spec.type", "/spec/type"),
];

const ALL: &[&str] = &["all"];

/// Every resource the sandbox serves, in discovery order.
pub static RESOURCES: &[ResourceType] = &[
    ResourceType {
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
        singular: "configmap",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
        status_subresource: false,
        storage: Storage::Stored,
        fields: &[],
        validate: validate_as::<ConfigMap>,
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Endpoints",
        plural: "endpoints",
        singular: "endpoints",
        namespaced: true,
        short_names: &["ep"],
        categories: &[],
        status_subresource: false,
        storage: Storage::Stored,
        fields: &[],
        validate: validate_as::<Endpoints>,
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Event",
        plural: "events",
        singular: "event",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
        status_subresource: false,
        storage: Storage::Stored,
        fields: EVENT_FIELDS,
        validate: validate_as::<Event>,
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        status_subresource: true,
        storage: Storage::Stored,
        fields: NAMESPACE_FIELDS,
        validate: validate_as::<Namespace>,
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Node",
        plural: "nodes",
        singular: "node",
        namespaced: false,
        short_names: &["no"],
        categories: &[],
        status_subresource: true,
        storage: Storage::Stored,
        fields: NODE_FIELDS,
        validate: validate_as::<Node>,
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Pod",
        plural: "pods",
        singular: "pod",
        namespaced: true,
        short_names: &["po"],
        categories: ALL,
        status_subresource: true,
        storage: Storage::Stored,
        fields: POD_FIELDS,
        validate: validate_as::<Pod>,
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Service",
        plural: "services",
        singular: "service",
        namespaced: true,
        short_names: &["svc"],
        categories: ALL,
        status_subresource: true,
        storage: Storage::Stored,
        fields: SERVICE_FIELDS,
        validate: validate_as::<Service>,
    },
    ResourceType {
        group: "apps",
        version: "v1",
        kind: "DaemonSet",
        plural: "daemonsets",
        singular: "daemonset",
        namespaced: true,
        short_names: &["ds"],
        categories: ALL,
        status_subresource: true,
        storage: Storage::Stored,
        fields: &[],
        validate: validate_as::<DaemonSet>,
    },
    ResourceType {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        plural: "deployments",
        singular: "deployment",
        namespaced: true,
        short_names: &["deploy"],
        categories: ALL,
        status_subresource: true,
        storage: Storage::Stored,
        fields: &[],
        validate: validate_as::<Deployment>,
    },
    ResourceType {
        group: "apps",
        version: "v1",
        kind: "ReplicaSet",
        plural: "replicasets",
        singular: "replicaset",
        namespaced: true,
        short_names: &["rs"],
        categories: ALL,
        status_subresource: true,
        storage: Storage::Stored,
        fields: &[],
        validate: validate_as::<ReplicaSet>,
    },
    ResourceType {
        group: "apps",
        version: "v1",
        kind: "StatefulSet",
        plural: "statefulsets",
        singular: "statefulset",
        namespaced: true,
        short_names: &["sts"],
        categories: ALL,
        status_subresource: true,
        storage: Storage::Stored,
        fields: &[],
        validate: validate_as::<StatefulSet>,
    },
    ResourceType {
        group: "discovery.k8s.io",
        version: "v1",
        kind: "EndpointSlice",
        plural: "endpointslices",
        singular: "endpointslice",
        namespaced: true,
        short_names: &[],
        categories: &[],
        status_subresource: false,
        storage: Storage::Stored,
        fields: &[],
        validate: validate_as::<EndpointSlice>,
    },
    ResourceType {
        group: "networking.k8s.io",
        version: "v1",
        kind: "Ingress",
        plural: "ingresses",
        singular: "ingress",
        namespaced: true,
        short_names: &["ing"],
        categories: &[],
        status_subresource: true,
        storage: Storage::Stored,
        fields: &[],
        validate: validate_as::<Ingress>,
    },
    ResourceType {
        group: "networking.k8s.io",
        version: "v1",
        kind: "NetworkPolicy",
        plural: "networkpolicies",
        singular: "networkpolicy",
        namespaced: true,
        short_names: &["netpol"],
        categories: &[],
        status_subresource: false,
        storage: Storage::Stored,
        fields: &[],
        validate: validate_as::<NetworkPolicy>,
    },
    ResourceType {
        group: "authorization.k8s.io",
        version: "v1",
        kind: "SelfSubjectAccessReview",
        plural: "selfsubjectaccessreviews",
        singular: "selfsubjectaccessreview",
        namespaced: false,
        short_names: &[],
        categories: &[],
        status_subresource: false,
        storage: Storage::Review,
        fields: &[],
        validate: validate_nothing,
    },
    ResourceType {
        group: "authorization.k8s.io",
        version: "v1",
        kind: "SelfSubjectRulesReview",
        plural: "selfsubjectrulesreviews",
        singular: "selfsubjectrulesreview",
        namespaced: false,
        short_names: &[],
        categories: &[],
        status_subresource: false,
        storage: Storage::Review,
        fields: &[],
        validate: validate_nothing,
    },
];

/// Index into [`RESOURCES`]; the store keeps one bucket per index.
pub type ResourceId = usize;

/// The resource served at `/api/v1/PLURAL` or `/apis/GROUP/VERSION/PLURAL`.
pub fn by_path(group: &str, version: &str, plural: &str) -> Option<ResourceId> {
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource of an object with this `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<ResourceId> {
    let (group, version) = split_api_version(api_version);
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.version == version && r.kind == kind)
}

/// The resource with this `kind` in any served group (for error messages and
/// for resolving an Event's `involvedObject`).
pub fn by_kind_any_group(kind: &str) -> Option<ResourceId> {
    RESOURCES.iter().position(|r| r.kind == kind)
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// The served API groups other than core, in first-seen order.
pub fn groups() -> Vec<&'static str> {
    let mut groups: Vec<&'static str> = Vec::new();
    for r in RESOURCES {
        if !r.group.is_empty() && !groups.contains(&r.group) {
            groups.push(r.group);
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_find_served_resources() {
        let svc = by_path("", "v1", "services").map(|i| RESOURCES[i].kind);
        assert_eq!(svc, Some("Service"));
        let deploy = by_kind("apps/v1", "Deployment").map(|i| RESOURCES[i].plural);
        assert_eq!(deploy, Some("deployments"));
        assert_eq!(by_kind("v1", "Deployment"), None);
        assert_eq!(by_path("", "v1", "secrets"), None);
    }

    #[test]
    fn validation_names_the_bad_field() {
        let bad = serde_json::json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
            "spec": {"ports": [{"port": "http"}]}
        });
        let err = validate_as::<Service>(&bad).err().unwrap_or_default();
        assert!(err.starts_with("spec.ports[0].port: invalid type"), "{err}");
    }

    #[test]
    fn every_kind_in_the_all_category_is_a_workload_or_service() {
        let all: Vec<&str> = RESOURCES
            .iter()
            .filter(|r| r.categories.contains(&"all"))
            .map(|r| r.plural)
            .collect();
        assert_eq!(
            all,
            [
                "pods",
                "services",
                "daemonsets",
                "deployments",
                "replicasets",
                "statefulsets"
            ]
        );
    }
}
