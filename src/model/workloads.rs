//! The workloads that own pods, as the engine reads them: name, selector,
//! replicas and the pod template (where `kubectl set env` and friends make a
//! fix, and where NS-001 finds the names clients use).

use k8s_openapi::api::apps::v1::DeploymentCondition;
use serde::Deserialize;

use super::meta::{LabelSelector, Meta};
use super::pod::PodTemplateSpec;

/// An `apps/v1` workload: metadata, the spec type of its kind, the status.
macro_rules! workload {
    ($(#[$doc:meta])* $t:ident, $spec:ty, $kind:literal, $plural:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
        #[serde(default)]
        pub struct $t {
            #[serde(deserialize_with = "super::or_default")]
            pub metadata: Meta,
            pub spec: Option<$spec>,
            pub status: Option<WorkloadStatus>,
        }

        super::resource!($t, NamespaceResourceScope, "apps", "v1", "apps/v1", $kind, $plural);
    };
}

workload!(
    /// `apps/v1` Deployment.
    Deployment,
    WorkloadSpec,
    "Deployment",
    "deployments"
);
workload!(
    /// `apps/v1` StatefulSet.
    StatefulSet,
    WorkloadSpec,
    "StatefulSet",
    "statefulsets"
);
workload!(
    /// `apps/v1` DaemonSet (its spec has no `replicas`; the field stays `None`).
    DaemonSet,
    WorkloadSpec,
    "DaemonSet",
    "daemonsets"
);
workload!(
    /// `apps/v1` ReplicaSet (its template is optional in the API).
    ReplicaSet,
    ReplicaSetSpec,
    "ReplicaSet",
    "replicasets"
);

/// The spec fields Deployments, StatefulSets and DaemonSets share.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct WorkloadSpec {
    pub replicas: Option<i32>,
    #[serde(deserialize_with = "super::or_default")]
    pub selector: LabelSelector,
    #[serde(deserialize_with = "super::or_default")]
    pub template: PodTemplateSpec,
}

/// `apps/v1` ReplicaSetSpec.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ReplicaSetSpec {
    pub replicas: Option<i32>,
    #[serde(deserialize_with = "super::or_default")]
    pub selector: LabelSelector,
    pub template: Option<PodTemplateSpec>,
}

/// The status fields the engine reads: how many replicas are available, and
/// the conditions (a Deployment's `Progressing=False` deadline). StatefulSet
/// and DaemonSet conditions have the same shape as a Deployment's.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkloadStatus {
    pub available_replicas: Option<i32>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub conditions: Option<Vec<DeploymentCondition>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_api_json() {
        let json = serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "strategy": {"type": "RollingUpdate"},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app"}]}}},
            "status": {"availableReplicas": 2, "replicas": 3,
                       "conditions": [{"type": "Progressing", "status": "False",
                                       "reason": "ProgressDeadlineExceeded"}]}
        });
        let d: Deployment = serde_json::from_value(json).expect("a Deployment decodes");
        let spec = d.spec.expect("spec");
        assert_eq!(spec.replicas, Some(3));
        assert!(spec.selector.match_labels.is_some());
        assert_eq!(spec.template.spec.map(|s| s.containers.len()), Some(1));
        let status = d.status.expect("status");
        assert_eq!(status.available_replicas, Some(2));
        assert_eq!(status.conditions.map(|c| c.len()), Some(1));
    }
}
