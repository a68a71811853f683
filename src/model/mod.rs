//! The engine's own compact types for the kinds that dominate memory on a
//! large cluster: pods and the workloads that carry pod templates.
//!
//! A k8s-openapi `Pod` keeps every field of the API, inline, even when
//! empty: a `Container` alone is a few kilobytes before any string, and a
//! cluster of 50,000 pods took over a gigabyte as decoded even with the
//! unused fields cleared (`docs/performance.md`). These types mirror the
//! API's field names and JSON shape, so the engine reads them exactly as it
//! would read k8s-openapi's (`pod.spec.containers[0].ports`), but they keep
//! only what a check reads: everything else in the JSON is skipped while
//! decoding and never allocated (`managedFields` included, see `meta`).
//! Large, rare sub-objects (probes, affinity, `valueFrom`) are boxed so that
//! an absent one costs one pointer.
//!
//! They are read-only views for `check` and the dashboard: nothing here is
//! ever written back to a cluster. Smaller kinds (Services, EndpointSlices,
//! Events, …) stay k8s-openapi types. The sandbox, which must serve objects
//! exactly, uses k8s-openapi throughout.
//!
//! The engine compiles only against fields these types have, so a field a
//! check reads cannot be lost silently; the decode tests beside each type
//! prove the JSON names, and the engine's fixture tests prove the checks.

mod meta;
pub mod pod;
pub mod shared;
pub mod workloads;

pub use pod::{
    Container, ContainerState, ContainerStatus, EnvVar, Pod, PodCondition, PodSpec, PodStatus,
    PodTemplateSpec,
};
pub use shared::Shared;
pub use workloads::{DaemonSet, Deployment, ReplicaSet, StatefulSet};

/// `k8s_openapi::Resource` and `Metadata` for a namespaced kind, so that
/// kube-rs (`Api`, watchers, reflector stores) takes the type like its own.
macro_rules! namespaced_resource {
    ($t:ty, $group:literal, $version:literal, $api_version:literal, $kind:literal, $plural:literal) => {
        impl k8s_openapi::Resource for $t {
            const API_VERSION: &'static str = $api_version;
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::NamespaceResourceScope;
        }

        impl k8s_openapi::Metadata for $t {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }

            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }
    };
}

pub(crate) use namespaced_resource;
