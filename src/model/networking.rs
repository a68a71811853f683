//! `networking.k8s.io/v1`: NetworkPolicies (step `network`) and Ingresses
//! (clients that name Services, NS-001). Few per cluster, so their specs
//! stay k8s-openapi types.

use k8s_openapi::api::networking::v1::{IngressSpec, NetworkPolicySpec};
use serde::Deserialize;

use super::meta::Meta;

/// `networking.k8s.io/v1` NetworkPolicy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NetworkPolicy {
    #[serde(deserialize_with = "super::or_default")]
    pub metadata: Meta,
    pub spec: Option<NetworkPolicySpec>,
}

super::resource!(
    NetworkPolicy,
    NamespaceResourceScope,
    "networking.k8s.io",
    "v1",
    "networking.k8s.io/v1",
    "NetworkPolicy",
    "networkpolicies"
);

/// `networking.k8s.io/v1` Ingress.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Ingress {
    #[serde(deserialize_with = "super::or_default")]
    pub metadata: Meta,
    pub spec: Option<IngressSpec>,
}

super::resource!(
    Ingress,
    NamespaceResourceScope,
    "networking.k8s.io",
    "v1",
    "networking.k8s.io/v1",
    "Ingress",
    "ingresses"
);
