//! `metadata` as the engine keeps it, for every kind it reads.
//!
//! A k8s-openapi `ObjectMeta` is 360 bytes inline before any string, and
//! holds labels as an owned B-tree per object. On a large cluster most
//! label sets are repeated: every pod of a ReplicaSet carries its
//! template's labels, and the ReplicaSet's selector is the same set again.
//! [`Meta`] keeps only the fields a check reads, with the label set and the
//! owner references [`Shared`] with every object that carries equal ones.
//! `managedFields` (often half an object's JSON) and annotations are skipped
//! while decoding and never allocated.
//!
//! kube-rs reads one thing of an object's metadata itself: the
//! `resourceVersion` of each watch event. [`Wire`] is the type it lists and
//! watches; it hands that version to kube-rs and the object to us.

use compact_str::CompactString;
use std::hash::Hasher;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelectorRequirement, ObjectMeta, OwnerReference, Time,
};
use serde::{Deserialize, Deserializer};

use super::shared::{Fingerprint, Shared, feed, pooled};
use super::string_map::StringMap;
use super::uid::Uid;

/// A label set (or a selector's `matchLabels`), shared with every object
/// that carries an equal one.
pub type Labels = Shared<StringMap>;

pooled!(StringMap, Vec<OwnerReference>);

impl Fingerprint for OwnerReference {
    fn fingerprint(&self, h: &mut dyn Hasher) {
        feed(h, Some(&self.uid));
        feed(h, Some(&self.name));
    }
}

/// `LabelSelector` of a workload: its `matchLabels` shared (a Deployment's
/// is usually its Service's selector), its expressions as the API has them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LabelSelector {
    pub match_labels: Option<Labels>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub match_expressions: Option<Vec<LabelSelectorRequirement>>,
}

/// `ObjectMeta`, minus what no check reads (`managedFields`, annotations,
/// generation, …). Field names and types are the API's, so the engine reads
/// `pod.metadata.name.as_deref()` as it would on k8s-openapi types; what few
/// objects have sits behind one box, read through methods.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "RawMeta")]
pub struct Meta {
    pub name: Option<CompactString>,
    pub namespace: Option<CompactString>,
    pub uid: Option<Uid>,
    pub labels: Option<Labels>,
    pub owner_references: Option<Shared<Vec<OwnerReference>>>,
    pub creation_timestamp: Option<Time>,
    /// The deletion, the finalizers, and the resourceVersion until
    /// [`Wire`] hands it to kube-rs: 64 bytes inline on every object,
    /// where most have none of them once decoded.
    rare: Option<Box<Rare>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Rare {
    deletion_timestamp: Option<Time>,
    finalizers: Option<Vec<String>>,
    resource_version: Option<String>,
}

/// `ObjectMeta` as the API sends it (the fields [`Meta`] keeps).
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawMeta {
    name: Option<CompactString>,
    namespace: Option<CompactString>,
    uid: Option<Uid>,
    labels: Option<Labels>,
    owner_references: Option<Shared<Vec<OwnerReference>>>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    #[serde(deserialize_with = "super::optional_exact")]
    finalizers: Option<Vec<String>>,
    resource_version: Option<String>,
}

impl From<RawMeta> for Meta {
    fn from(raw: RawMeta) -> Self {
        let rare = Rare {
            deletion_timestamp: raw.deletion_timestamp,
            finalizers: raw.finalizers,
            resource_version: raw.resource_version,
        };
        Meta {
            name: raw.name,
            namespace: raw.namespace,
            uid: raw.uid,
            labels: raw.labels,
            owner_references: raw.owner_references,
            creation_timestamp: raw.creation_timestamp,
            rare: (rare != Rare::default()).then(|| Box::new(rare)),
        }
    }
}

impl Meta {
    /// The labels as a map (`None` when the object has none).
    pub fn labels(&self) -> Option<&StringMap> {
        self.labels.as_deref()
    }

    /// The value of label `key`.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.as_ref()?.get(key).map(CompactString::as_str)
    }

    /// `metadata.deletionTimestamp`: the object is being deleted.
    pub fn deletion_timestamp(&self) -> Option<&Time> {
        self.rare.as_ref()?.deletion_timestamp.as_ref()
    }

    /// `metadata.finalizers`.
    pub fn finalizers(&self) -> Option<&[String]> {
        self.rare.as_ref()?.finalizers.as_deref()
    }

    /// `metadata.resourceVersion`, until [`Self::take_resource_version`].
    pub fn resource_version(&self) -> Option<&str> {
        self.rare.as_ref()?.resource_version.as_deref()
    }

    /// Take the resourceVersion out (for kube-rs, or to compare objects
    /// without it); the box goes when nothing else is in it.
    pub fn take_resource_version(&mut self) -> Option<String> {
        let rare = self.rare.as_mut()?;
        let version = rare.resource_version.take();
        if **rare == Rare::default() {
            self.rare = None;
        }
        version
    }
}

/// A kind the engine keeps: its metadata.
pub trait Object {
    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;
}

/// An object as kube-rs lists and watches it: the engine's type, plus the
/// `ObjectMeta` kube-rs reads of it (only its `resourceVersion`; kube-rs
/// needs it to resume a watch). [`Wire::into_object`] keeps the first.
#[derive(Debug, Clone)]
pub struct Wire<T> {
    api: ObjectMeta,
    object: T,
}

impl<T> Wire<T> {
    pub fn into_object(self) -> T {
        self.object
    }
}

impl<'de, T: Deserialize<'de> + Object> Deserialize<'de> for Wire<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut object = T::deserialize(d)?;
        let api = ObjectMeta {
            resource_version: object.meta_mut().take_resource_version(),
            ..ObjectMeta::default()
        };
        Ok(Wire { api, object })
    }
}

impl<T: k8s_openapi::Resource> k8s_openapi::Resource for Wire<T> {
    const API_VERSION: &'static str = T::API_VERSION;
    const GROUP: &'static str = T::GROUP;
    const KIND: &'static str = T::KIND;
    const VERSION: &'static str = T::VERSION;
    const URL_PATH_SEGMENT: &'static str = T::URL_PATH_SEGMENT;
    type Scope = T::Scope;
}

impl<T: k8s_openapi::Resource> k8s_openapi::Metadata for Wire<T> {
    type Ty = ObjectMeta;

    fn metadata(&self) -> &ObjectMeta {
        &self.api
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.api
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_checks_read_and_skips_the_rest() {
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
        let api: ObjectMeta = serde_json::from_value(json.clone()).expect("ObjectMeta");
        let meta: Meta = serde_json::from_value(json).expect("Meta");
        assert_eq!(meta.name.as_deref(), api.name.as_deref());
        assert_eq!(meta.namespace.as_deref(), api.namespace.as_deref());
        assert_eq!(meta.uid.as_deref(), api.uid.as_deref());
        let labels: Vec<(&str, &str)> = meta
            .labels()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let api_labels: Vec<(&str, &str)> = api
            .labels
            .iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(labels, api_labels);
        assert_eq!(
            meta.owner_references.as_deref(),
            api.owner_references.as_ref()
        );
        assert_eq!(meta.creation_timestamp, api.creation_timestamp);
        assert_eq!(meta.deletion_timestamp(), api.deletion_timestamp.as_ref());
        assert_eq!(meta.finalizers(), api.finalizers.as_deref());
        assert_eq!(meta.resource_version(), api.resource_version.as_deref());
    }

    /// kube-rs reads the resourceVersion off the `ObjectMeta` it is given;
    /// the object handed over keeps none.
    #[test]
    fn wire_hands_the_resource_version_to_kube_rs() {
        use k8s_openapi::Metadata;
        let json = serde_json::json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "42"}
        });
        let wire: Wire<super::super::Service> = serde_json::from_value(json).expect("decodes");
        assert_eq!(wire.metadata().resource_version.as_deref(), Some("42"));
        let svc = wire.into_object();
        assert_eq!(svc.metadata.resource_version(), None);
        // Nothing else was rare about it: no box is left.
        assert!(svc.metadata.rare.is_none());
        assert_eq!(svc.metadata.name.as_deref(), Some("web"));
    }

    #[test]
    fn equal_label_sets_and_owners_are_held_once() {
        let pod = |name: &str| {
            serde_json::json!({"name": name, "labels": {"app": "web", "pod-template-hash": "abc"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                     "name": "web-abc", "uid": "u0", "controller": true}]})
        };
        let a: Meta = serde_json::from_value(pod("web-abc-1")).expect("Meta");
        let b: Meta = serde_json::from_value(pod("web-abc-2")).expect("Meta");
        let (Some(la), Some(lb)) = (&a.labels, &b.labels) else {
            panic!("labels decoded")
        };
        assert!(Shared::ptr_eq(la, lb));
        let (Some(oa), Some(ob)) = (&a.owner_references, &b.owner_references) else {
            panic!("owners decoded")
        };
        assert!(Shared::ptr_eq(oa, ob));
        // A different label value gets its own copy.
        let mut other = pod("web-def-1");
        other["labels"]["pod-template-hash"] = "def".into();
        let c: Meta = serde_json::from_value(other).expect("Meta");
        assert!(!Shared::ptr_eq(la, c.labels.as_ref().expect("labels")));
        assert_eq!(c.label("pod-template-hash"), Some("def"));
    }
}
