//! The cluster-scoped kinds the engine reads: Nodes (where pods can run,
//! DNS-005) and Namespaces.

use k8s_openapi::api::core::v1::{NodeAddress, NodeCondition, Taint};
use serde::Deserialize;

use super::meta::Meta;

/// `core/v1` Node.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Node {
    #[serde(deserialize_with = "super::or_default")]
    pub metadata: Meta,
    pub spec: Option<NodeSpec>,
    pub status: Option<NodeStatus>,
}

super::resource!(Node, ClusterResourceScope, "", "v1", "v1", "Node", "nodes");

/// `core/v1` NodeSpec: what keeps pods off the node.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NodeSpec {
    #[serde(deserialize_with = "super::optional_exact")]
    pub taints: Option<Vec<Taint>>,
    pub unschedulable: Option<bool>,
}

/// `core/v1` NodeStatus: whether the node is Ready, and its addresses.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NodeStatus {
    #[serde(deserialize_with = "super::optional_exact")]
    pub conditions: Option<Vec<NodeCondition>>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub addresses: Option<Vec<NodeAddress>>,
}

/// `core/v1` Namespace.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Namespace {
    #[serde(deserialize_with = "super::or_default")]
    pub metadata: Meta,
}

super::resource!(
    Namespace,
    ClusterResourceScope,
    "",
    "v1",
    "v1",
    "Namespace",
    "namespaces"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_api_json() {
        let json = serde_json::json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "node-1", "labels": {"kubernetes.io/os": "linux"}},
            "spec": {"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
                     "unschedulable": true, "podCIDR": "10.244.0.0/24"},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "addresses": [{"type": "InternalIP", "address": "192.168.0.7"}],
                       "capacity": {"cpu": "4"}, "nodeInfo": {"kubeletVersion": "v1.33.0"}}
        });
        let node: Node = serde_json::from_value(json).expect("a Node decodes");
        let spec = node.spec.expect("spec");
        assert_eq!(spec.taints.map(|t| t.len()), Some(1));
        assert_eq!(spec.unschedulable, Some(true));
        let status = node.status.expect("status");
        assert_eq!(status.conditions.map(|c| c.len()), Some(1));
        assert_eq!(status.addresses.map(|a| a.len()), Some(1));
        assert_eq!(node.metadata.label("kubernetes.io/os"), Some("linux"));
    }
}
