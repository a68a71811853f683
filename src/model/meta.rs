//! Decoding `metadata` without `managedFields` and `annotations`.
//!
//! `managedFields` is often half of an object's JSON, and no check reads it
//! (nor annotations, which cost a map per object).
//! Clearing it after decoding (as [`crate::cluster::fetch::Strip`] does for
//! the k8s-openapi kinds) still allocates it first, scattered among the
//! objects that stay, which leaves memory fragmented; skipping it while
//! decoding never allocates it at all.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::{Deserialize, Deserializer};

/// `ObjectMeta` minus `managedFields` and `annotations` (skipped by serde as
/// unknown fields).
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Meta {
    creation_timestamp: Option<Time>,
    deletion_grace_period_seconds: Option<i64>,
    deletion_timestamp: Option<Time>,
    finalizers: Option<Vec<String>>,
    generate_name: Option<String>,
    generation: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    name: Option<String>,
    namespace: Option<String>,
    owner_references: Option<Vec<OwnerReference>>,
    resource_version: Option<String>,
    uid: Option<String>,
}

impl From<Meta> for ObjectMeta {
    fn from(m: Meta) -> Self {
        ObjectMeta {
            annotations: None,
            creation_timestamp: m.creation_timestamp,
            deletion_grace_period_seconds: m.deletion_grace_period_seconds,
            deletion_timestamp: m.deletion_timestamp,
            finalizers: m.finalizers,
            generate_name: m.generate_name,
            generation: m.generation,
            labels: m.labels,
            managed_fields: None,
            name: m.name,
            namespace: m.namespace,
            owner_references: m.owner_references,
            resource_version: m.resource_version,
            self_link: None,
            uid: m.uid,
        }
    }
}

/// `#[serde(deserialize_with = "meta::object")]` for a `metadata` field.
pub fn object<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    Meta::deserialize(d).map(ObjectMeta::from)
}

/// The same for an optional `metadata` (a pod template's).
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ObjectMeta>, D::Error> {
    Option::<Meta>::deserialize(d).map(|m| m.map(ObjectMeta::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_everything_but_managed_fields_and_annotations() {
        let json = serde_json::json!({
            "name": "web-1", "namespace": "shop", "uid": "u1", "resourceVersion": "42",
            "generateName": "web-", "generation": 3, "finalizers": ["f"],
            "labels": {"app": "web"}, "annotations": {"a": "b"},
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "deletionTimestamp": "2026-01-02T00:00:00Z", "deletionGracePeriodSeconds": 30,
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc",
                                 "uid": "u0", "controller": true}],
            "managedFields": [{"manager": "kubectl", "operation": "Apply",
                               "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}],
            "selfLink": "/api/v1/namespaces/shop/pods/web-1"
        });
        let mut expected: ObjectMeta = serde_json::from_value(json.clone()).expect("ObjectMeta");
        assert!(expected.managed_fields.is_some());
        expected.managed_fields = None;
        expected.annotations = None;
        expected.self_link = None;
        let slim = object(json).expect("slim metadata");
        assert_eq!(slim, expected);
    }
}
