//! Services as the engine reads them.

use compact_str::CompactString;
use k8s_openapi::api::core::v1::{LoadBalancerStatus, ServicePort, SessionAffinityConfig};
use serde::Deserialize;

use super::meta::{Labels, Meta};

/// `core/v1` Service.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Service {
    #[serde(deserialize_with = "super::or_default")]
    pub metadata: Meta,
    pub spec: Option<ServiceSpec>,
    pub status: Option<ServiceStatus>,
}

super::resource!(
    Service,
    NamespaceResourceScope,
    "",
    "v1",
    "v1",
    "Service",
    "services"
);

/// `core/v1` ServiceSpec: what decides which pods back the Service and how
/// clients reach them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(rename = "type")]
    pub type_: Option<CompactString>,
    /// Shared with the label sets and selectors equal to it.
    pub selector: Option<Labels>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub ports: Option<Vec<ServicePort>>,
    #[serde(rename = "clusterIP")]
    pub cluster_ip: Option<CompactString>,
    #[serde(rename = "clusterIPs")]
    #[serde(deserialize_with = "super::optional_exact")]
    pub cluster_ips: Option<Vec<CompactString>>,
    pub external_name: Option<CompactString>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub ip_families: Option<Vec<CompactString>>,
    pub load_balancer_class: Option<CompactString>,
    pub publish_not_ready_addresses: Option<bool>,
    pub session_affinity: Option<CompactString>,
    pub session_affinity_config: Option<Box<SessionAffinityConfig>>,
}

/// `core/v1` ServiceStatus: a LoadBalancer's addresses (SVC-004).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceStatus {
    pub load_balancer: Option<LoadBalancerStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_api_json() {
        let json = serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.7", "clusterIPs": ["10.96.0.7"],
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "selector": {"app": "web"}, "publishNotReadyAddresses": true,
                     "sessionAffinity": "ClientIP",
                     "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.7"}]}}
        });
        let svc: Service = serde_json::from_value(json).expect("a Service decodes");
        let lb = svc
            .status
            .and_then(|s| s.load_balancer)
            .and_then(|lb| lb.ingress);
        assert_eq!(lb.map(|i| i.len()), Some(1));
        let spec = svc.spec.expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        assert_eq!(spec.cluster_ip.as_deref(), Some("10.96.0.7"));
        assert_eq!(spec.cluster_ips.map(|ips| ips.len()), Some(1));
        assert_eq!(spec.ip_families.map(|f| f.len()), Some(1));
        assert_eq!(
            spec.selector
                .as_deref()
                .and_then(|s| s.get("app"))
                .map(CompactString::as_str),
            Some("web")
        );
        assert_eq!(spec.publish_not_ready_addresses, Some(true));
        assert!(spec.session_affinity_config.is_some());
        assert_eq!(spec.ports.map(|p| p.len()), Some(1));
    }
}
