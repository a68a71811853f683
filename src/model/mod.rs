//! The engine's own compact types for every kind it reads.
//!
//! A k8s-openapi object keeps every field of the API, inline, even when
//! empty: a `Container` alone is a few kilobytes before any string, an
//! `ObjectMeta` 360 bytes, and a cluster of 50,000 pods took over a gigabyte
//! as decoded even with the unused fields cleared (`docs/performance.md`).
//! These types mirror the API's field names and JSON shape, so the engine
//! reads them exactly as it would read k8s-openapi's
//! (`pod.spec.containers[0].ports`), but they keep only what a check reads:
//! everything else in the JSON is skipped while decoding and never allocated
//! (`managedFields` included, see [`meta`]). Large, rare sub-objects (probes,
//! affinity, `valueFrom`) are boxed so that an absent one costs one pointer,
//! and values that many objects repeat (containers, label sets, owner
//! references) are [`Shared`]. Small sub-objects the API defines the same way
//! everywhere (a `ServicePort`, a `Taint`) stay k8s-openapi types.
//!
//! They are read-only views for `check` and the dashboard: nothing here is
//! ever written back to a cluster. kube-rs lists and watches them through
//! [`Wire`]. The sandbox, which must serve objects exactly, uses k8s-openapi
//! throughout.
//!
//! The engine compiles only against fields these types have, so a field a
//! check reads cannot be lost silently; the decode tests beside each type
//! prove the JSON names, and the engine's fixture tests prove the checks.

mod cluster;
mod config_map;
mod discovery;
mod event;
mod exact;
pub mod meta;
mod networking;
pub mod pod;
mod service;
pub mod shared;
mod string_map;
mod uid;
mod word;
pub mod workloads;

pub use cluster::{Namespace, Node, NodeSpec, NodeStatus};
pub use config_map::ConfigMap;
pub use discovery::{Endpoint, EndpointSlice, Endpoints, ObjectRef};
pub use event::Event;
pub(crate) use exact::{exact, optional_exact};
pub use meta::{LabelSelector, Labels, Meta, Object, Wire};
pub use networking::{Ingress, NetworkPolicy};
pub use pod::{
    Container, ContainerState, ContainerStatus, EnvVar, EnvVarSource, Pod, PodCondition, PodRun,
    PodSpec, PodStatus, PodTemplateSpec, Probe,
};
pub use service::{Service, ServiceSpec, ServiceStatus};
pub use shared::Shared;
pub use string_map::StringMap;
pub use uid::Uid;
pub use word::{Word, word_of};
pub(crate) use word::{optional_word, word};
pub use workloads::{DaemonSet, Deployment, ReplicaSet, StatefulSet};

/// `#[serde(deserialize_with = "super::or_default")]` for a field the API
/// calls required but may send as `null` (an empty EndpointSlice's
/// `endpoints`): `null` decodes as the default, as k8s-openapi's types do,
/// rather than failing the whole list.
pub(crate) fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Option::unwrap_or_default)
}

/// `k8s_openapi::Resource` (what kube-rs needs to know of a kind: its group,
/// version and path) and [`Object`] for one of the engine's kinds.
macro_rules! resource {
    ($t:ty, $scope:ident, $group:literal, $version:literal, $api_version:literal, $kind:literal, $plural:literal) => {
        impl k8s_openapi::Resource for $t {
            const API_VERSION: &'static str = $api_version;
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::$scope;
        }

        impl $crate::model::Object for $t {
            fn meta(&self) -> &$crate::model::Meta {
                &self.metadata
            }

            fn meta_mut(&mut self) -> &mut $crate::model::Meta {
                &mut self.metadata
            }
        }
    };
}

pub(crate) use resource;
