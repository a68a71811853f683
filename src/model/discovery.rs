//! Where a Service's traffic goes: `discovery.k8s.io/v1` EndpointSlices
//! and, on clusters that do not serve them, `core/v1` Endpoints.

use compact_str::CompactString;
use k8s_openapi::api::core::v1::EndpointSubset;
use k8s_openapi::api::discovery::v1::{EndpointConditions, EndpointPort};
use serde::Deserialize;

use super::meta::Meta;
use super::uid::Uid;
use super::word::Word;

/// `discovery.k8s.io/v1` EndpointSlice.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EndpointSlice {
    #[serde(deserialize_with = "super::or_default")]
    pub metadata: Meta,
    #[serde(deserialize_with = "super::word")]
    pub address_type: Word,
    #[serde(deserialize_with = "super::exact")]
    pub endpoints: Vec<Endpoint>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub ports: Option<Vec<EndpointPort>>,
}

super::resource!(
    EndpointSlice,
    NamespaceResourceScope,
    "discovery.k8s.io",
    "v1",
    "discovery.k8s.io/v1",
    "EndpointSlice",
    "endpointslices"
);

/// `discovery.k8s.io/v1` Endpoint: one backend of a slice.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Endpoint {
    #[serde(deserialize_with = "super::exact")]
    pub addresses: Vec<CompactString>,
    pub conditions: Option<EndpointConditions>,
    pub hostname: Option<CompactString>,
    pub node_name: Option<CompactString>,
    pub target_ref: Option<ObjectRef>,
}

/// `core/v1` ObjectReference as a slice's `targetRef` uses it: which pod an
/// endpoint is, by name and uid (the kind is always Pod and the namespace
/// the slice's; they and `apiVersion`, `resourceVersion` and `fieldPath`
/// are skipped).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ObjectRef {
    pub name: Option<CompactString>,
    pub uid: Option<Uid>,
}

/// `core/v1` Endpoints (read only when the cluster serves no EndpointSlices).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Endpoints {
    #[serde(deserialize_with = "super::or_default")]
    pub metadata: Meta,
    #[serde(deserialize_with = "super::optional_exact")]
    pub subsets: Option<Vec<EndpointSubset>>,
}

super::resource!(
    Endpoints,
    NamespaceResourceScope,
    "",
    "v1",
    "v1",
    "Endpoints",
    "endpoints"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_api_json() {
        let json = serde_json::json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "web-abc", "namespace": "shop",
                         "labels": {"kubernetes.io/service-name": "web"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.7"], "nodeName": "node-1", "hostname": "web-0",
                           "zone": "a", "conditions": {"ready": true, "serving": true, "terminating": false},
                           "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-0",
                                         "uid": "u1", "resourceVersion": "9"}}],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
        });
        let slice: EndpointSlice = serde_json::from_value(json).expect("a slice decodes");
        assert_eq!(slice.address_type, "IPv4");
        let ep = &slice.endpoints[0];
        assert_eq!(ep.addresses, ["10.0.0.7"]);
        assert_eq!(ep.node_name.as_deref(), Some("node-1"));
        assert_eq!(ep.hostname.as_deref(), Some("web-0"));
        assert_eq!(ep.conditions.as_ref().and_then(|c| c.ready), Some(true));
        let target = ep.target_ref.as_ref().expect("targetRef");
        assert_eq!(target.uid.as_deref(), Some("u1"));
        assert_eq!(target.name.as_deref(), Some("web-0"));
        assert_eq!(slice.ports.map(|p| p.len()), Some(1));
    }

    /// The API sends an empty slice's endpoints as `null`: that is an empty
    /// list, not an error that would fail the whole page.
    #[test]
    fn null_endpoints_are_none() {
        let json = serde_json::json!({
            "metadata": {"name": "web-abc", "namespace": "shop"},
            "addressType": "IPv4", "endpoints": null, "ports": null
        });
        let slice: EndpointSlice = serde_json::from_value(json).expect("a slice decodes");
        assert!(slice.endpoints.is_empty());
        assert!(slice.ports.is_none());
    }
}
