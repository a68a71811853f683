//! `core/v1` ConfigMaps: where clients may name Services (`envFrom`,
//! `configMapKeyRef`) and where CoreDNS keeps its Corefile.

use serde::Deserialize;

use super::meta::Meta;
use super::string_map::StringMap;

/// `core/v1` ConfigMap (`binaryData` skipped: no check reads it).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ConfigMap {
    #[serde(deserialize_with = "super::or_default")]
    pub metadata: Meta,
    pub data: Option<StringMap>,
}

super::resource!(
    ConfigMap,
    NamespaceResourceScope,
    "",
    "v1",
    "v1",
    "ConfigMap",
    "configmaps"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_api_json() {
        let json = serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
            "data": {"Corefile": ".:53 {\n    forward . /etc/resolv.conf\n}\n"},
            "binaryData": {"blob": "AAEC"}
        });
        let cm: ConfigMap = serde_json::from_value(json).expect("a ConfigMap decodes");
        let data = cm.data.expect("data");
        assert!(data.get("Corefile").is_some_and(|c| c.contains("forward")));
    }
}
