//! Loading a cluster from manifests: every document validated, defaults
//! filled in, sandbox-only kinds (`PodLog`, `Fault`) set apart. Nothing is
//! served unless everything loads.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::{Fault, SANDBOX_API_VERSION};
use super::manifest::{Document, LoadError, for_each_document};
use super::resources::{
    RESOURCES, ResourceId, ResourceType, Storage, by_kind, by_kind_any_group, by_path,
};
use super::store::{Object, str_at};

/// Where a cluster's manifests come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestSource {
    /// A file, or a folder read recursively (`*.yaml`, `*.yml`, `*.json`,
    /// sorted by path).
    Path(PathBuf),
    /// Manifest text, named `name` in errors (the embedded demo, tests).
    Text { name: String, text: String },
    /// A generated cluster ([`super::synthetic`]).
    Synthetic(super::synthetic::Params),
}

/// One cluster of a sandbox: its kubeconfig context name and its manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSource {
    pub context: String,
    pub manifests: Vec<ManifestSource>,
}

impl ClusterSource {
    pub fn from_paths(context: &str, paths: impl IntoIterator<Item = PathBuf>) -> ClusterSource {
        ClusterSource {
            context: context.to_string(),
            manifests: paths.into_iter().map(ManifestSource::Path).collect(),
        }
    }

    /// A generated cluster of the given size (`--synthetic`).
    pub fn synthetic(context: &str, params: super::synthetic::Params) -> ClusterSource {
        ClusterSource {
            context: context.to_string(),
            manifests: vec![ManifestSource::Synthetic(params)],
        }
    }

    pub fn from_texts<'a>(
        context: &str,
        texts: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> ClusterSource {
        ClusterSource {
            context: context.to_string(),
            manifests: texts
                .into_iter()
                .map(|(name, text)| ManifestSource::Text {
                    name: name.into(),
                    text: text.into(),
                })
                .collect(),
        }
    }
}

/// Log text for one container of a pod (a `PodLog` document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodLog {
    pub namespace: String,
    pub pod: String,
    /// `None`: the pod's first container.
    pub container: Option<String>,
    pub current: Option<String>,
    pub previous: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PodLogDoc {
    #[serde(rename = "apiVersion")]
    _api_version: String,
    #[serde(rename = "kind")]
    _kind: String,
    metadata: PodLogMeta,
    container: Option<String>,
    current: Option<String>,
    previous: Option<String>,
}

#[derive(Deserialize)]
struct PodLogMeta {
    name: String,
    namespace: Option<String>,
}

/// A cluster's validated content.
#[derive(Debug, Default)]
pub struct LoadedCluster {
    /// Objects in load order, defaults filled in, encoded for the store with
    /// resourceVersions 1, 2, 3… in that order.
    pub objects: Vec<(ResourceId, Object)>,
    pub logs: Vec<PodLog>,
    pub faults: Vec<Fault>,
}

/// Read and validate all manifests of a cluster. `now` is the
/// `creationTimestamp` given to objects that have none.
pub fn load_cluster(source: &ClusterSource, now: &str) -> Result<LoadedCluster, LoadError> {
    let mut loader = Loader {
        context: &source.context,
        now,
        ..Loader::default()
    };
    for manifest in &source.manifests {
        match manifest {
            ManifestSource::Text { name, text } => loader.add_text(name, text)?,
            ManifestSource::Synthetic(params) => loader.add_synthetic(params)?,
            ManifestSource::Path(path) => {
                for file in manifest_files(path)? {
                    let origin = file.display().to_string();
                    let text = std::fs::read_to_string(&file)
                        .map_err(|err| LoadError::file(&origin, format!("cannot read: {err}")))?;
                    loader.add_text(&origin, &text)?;
                }
            }
        }
    }
    Ok(loader.finish())
}

/// The files under `path`: itself if it is a file, else every
/// `*.yaml|*.yml|*.json` below it, sorted by path for a stable load order.
fn manifest_files(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let origin = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|err| LoadError::file(&origin, format!("cannot read: {err}")))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|err| {
            LoadError::file(&dir.display().to_string(), format!("cannot read: {err}"))
        })?;
        for entry in entries {
            let entry = entry.map_err(|err| {
                LoadError::file(&dir.display().to_string(), format!("cannot read: {err}"))
            })?;
            let child = entry.path();
            if child.is_dir() {
                pending.push(child);
            } else if child
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
            {
                files.push(child);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// An object being loaded: encoded at once, except Events that still wait
/// for the uid of the object they name.
#[derive(Debug)]
enum Slot {
    Ready(ResourceId, Object),
    Event(ResourceId, Value),
}

#[derive(Default)]
struct Loader<'a> {
    context: &'a str,
    now: &'a str,
    objects: Vec<Slot>,
    /// Each object's uid and where it was defined (for duplicate errors).
    seen: HashMap<(ResourceId, String, String), (String, String)>,
    namespaces_used: BTreeSet<String>,
    namespaces_defined: BTreeSet<String>,
    logs: Vec<PodLog>,
    log_keys: HashMap<(String, String, Option<String>), String>,
    faults: Vec<Fault>,
}

impl Loader<'_> {
    fn add_text(&mut self, origin: &str, text: &str) -> Result<(), LoadError> {
        for_each_document(text, origin, |doc| self.add(origin, doc))
    }

    fn add(&mut self, origin: &str, doc: Document) -> Result<(), LoadError> {
        let located = LoadError::at(&doc, origin, "");
        let at = |reason: String| LoadError {
            reason,
            ..located.clone()
        };
        let text = |key: &str| {
            doc.value
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (api_version, kind) = (text("apiVersion"), text("kind"));
        if api_version.is_empty() {
            return Err(at("missing apiVersion".into()));
        }
        if kind.is_empty() {
            return Err(at("missing kind".into()));
        }
        if api_version == SANDBOX_API_VERSION {
            return match kind.as_str() {
                "Fault" => {
                    self.faults.push(Fault::from_value(&doc.value).map_err(at)?);
                    Ok(())
                }
                "PodLog" => self.add_log(origin, &doc),
                other => Err(at(format!(
                    "unknown kind {other:?} in {SANDBOX_API_VERSION} (expected Fault or PodLog)"
                ))),
            };
        }
        let Some(resource) = by_kind(&api_version, &kind) else {
            return Err(at(unknown_kind(&api_version, &kind)));
        };
        let rt = &RESOURCES[resource];
        if rt.storage != Storage::Stored {
            return Err(at(format!(
                "{kind} is a request, not an object a cluster holds"
            )));
        }
        let index = doc.index;
        // The document is consumed: a large manifest is held once, not twice.
        let mut value = doc.value;
        normalize(rt, &mut value, "default").map_err(at)?;
        let name = object_name(&value);
        let namespace = object_namespace(&value);
        fill_identity(
            &mut value,
            &stable_uid(self.context, &kind, &namespace, &name),
            self.now,
        );
        let uid = str_at(&value, "/metadata/uid").to_string();
        let here = format!("{origin} document {index}");
        if let Some((first, _)) = self
            .seen
            .insert((resource, namespace.clone(), name.clone()), (here, uid))
        {
            let shown = if namespace.is_empty() {
                name
            } else {
                format!("{namespace}/{name}")
            };
            return Err(at(format!(
                "duplicate {kind} {shown:?} (first defined in {first})"
            )));
        }
        if rt.kind == "Namespace" {
            self.namespaces_defined.insert(name);
        } else if rt.namespaced && !self.namespaces_used.contains(&namespace) {
            self.namespaces_used.insert(namespace);
        }
        if rt.kind == "Event" && value.pointer("/involvedObject/uid").is_none() {
            self.objects.push(Slot::Event(resource, value));
        } else {
            let rv = self.objects.len() as u64 + 1;
            self.objects
                .push(Slot::Ready(resource, Object::with_rv(rt, value, rv)));
        }
        Ok(())
    }

    /// A generated cluster, straight into the store's encoding: no text,
    /// no validation (`tests/synthetic.rs` checks that every generated
    /// object deserialises into its type), duplicates still refused.
    fn add_synthetic(&mut self, params: &super::synthetic::Params) -> Result<(), LoadError> {
        let origin = format!("--synthetic {params}");
        let now = self
            .now
            .parse::<jiff::Timestamp>()
            .unwrap_or_else(|_| jiff::Timestamp::now());
        let mut index = 0;
        let mut failed: Option<LoadError> = None;
        let logs = super::synthetic::generate_with(params, now, &mut |value| {
            index += 1;
            if failed.is_none()
                && let Err(err) = self.add_generated(&origin, index, value)
            {
                failed = Some(err);
            }
        });
        if let Some(err) = failed {
            return Err(err);
        }
        self.logs.extend(logs);
        Ok(())
    }

    fn add_generated(&mut self, origin: &str, index: usize, value: Value) -> Result<(), LoadError> {
        let at = |reason: String| LoadError {
            origin: origin.to_string(),
            document: Some(index),
            item: None,
            reason,
        };
        let api_version = str_at(&value, "/apiVersion");
        let kind = str_at(&value, "/kind");
        let resource =
            by_kind(api_version, kind).ok_or_else(|| at(unknown_kind(api_version, kind)))?;
        let rt = &RESOURCES[resource];
        let name = object_name(&value);
        let namespace = object_namespace(&value);
        let uid = str_at(&value, "/metadata/uid").to_string();
        if self
            .seen
            .insert(
                (resource, namespace.clone(), name.clone()),
                (origin.to_string(), uid),
            )
            .is_some()
        {
            return Err(at(format!("duplicate {} {namespace}/{name}", rt.kind)));
        }
        if rt.kind == "Namespace" {
            self.namespaces_defined.insert(name);
        } else if rt.namespaced && !self.namespaces_used.contains(&namespace) {
            self.namespaces_used.insert(namespace);
        }
        let rv = self.objects.len() as u64 + 1;
        self.objects
            .push(Slot::Ready(resource, Object::with_rv(rt, value, rv)));
        Ok(())
    }

    fn add_log(&mut self, origin: &str, doc: &Document) -> Result<(), LoadError> {
        let parsed: PodLogDoc = serde_path_to_error::deserialize(&doc.value).map_err(|err| {
            let path = err.path().to_string();
            LoadError::at(doc, origin, format!("PodLog: {path}: {}", err.into_inner()))
        })?;
        let log = PodLog {
            namespace: parsed
                .metadata
                .namespace
                .unwrap_or_else(|| "default".into()),
            pod: parsed.metadata.name,
            container: parsed.container,
            current: parsed.current,
            previous: parsed.previous,
        };
        let key = (
            log.namespace.clone(),
            log.pod.clone(),
            log.container.clone(),
        );
        let here = format!("{origin} document {}", doc.index);
        if let Some(first) = self.log_keys.insert(key, here) {
            return Err(LoadError::at(
                doc,
                origin,
                format!(
                    "duplicate PodLog for pod {}/{} (first defined in {first})",
                    log.namespace, log.pod
                ),
            ));
        }
        self.logs.push(log);
        Ok(())
    }

    fn finish(mut self) -> LoadedCluster {
        self.add_missing_namespaces();
        let mut objects = Vec::with_capacity(self.objects.len());
        for (i, slot) in std::mem::take(&mut self.objects).into_iter().enumerate() {
            let rv = i as u64 + 1;
            objects.push(match slot {
                Slot::Ready(resource, object) => (resource, object),
                Slot::Event(resource, mut event) => {
                    self.resolve_event_uid(&mut event);
                    (resource, Object::with_rv(&RESOURCES[resource], event, rv))
                }
            });
        }
        LoadedCluster {
            objects,
            logs: self.logs,
            faults: self.faults,
        }
    }

    /// A namespace that objects use but no manifest defines is created, as a
    /// convenience (a real server would refuse those objects). `default`
    /// always exists, as in every real cluster.
    fn add_missing_namespaces(&mut self) {
        let Some(namespaces) = by_path("", "v1", "namespaces") else {
            return;
        };
        self.namespaces_used
            .extend(self.logs.iter().map(|l| l.namespace.clone()));
        self.namespaces_used.insert("default".to_string());
        let missing: Vec<String> = self
            .namespaces_used
            .difference(&self.namespaces_defined)
            .cloned()
            .collect();
        for name in missing {
            let mut ns = json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name},
                "spec": {"finalizers": ["kubernetes"]},
            });
            let rt = &RESOURCES[namespaces];
            // Cannot fail: the object is built here.
            let _ = normalize(rt, &mut ns, "default");
            fill_identity(
                &mut ns,
                &stable_uid(self.context, "Namespace", "", &name),
                self.now,
            );
            let rv = self.objects.len() as u64 + 1;
            self.objects
                .push(Slot::Ready(namespaces, Object::with_rv(rt, ns, rv)));
        }
    }

    /// `kubectl describe` finds events by `involvedObject.uid`; an Event
    /// that names its object without a uid gets the uid of that object.
    fn resolve_event_uid(&self, event: &mut Value) {
        let text = |p: &str| str_at(event, p).to_string();
        let Some(target) = by_kind_any_group(&text("/involvedObject/kind")) else {
            return;
        };
        let namespace = if RESOURCES[target].namespaced {
            let ns = text("/involvedObject/namespace");
            if ns.is_empty() {
                object_namespace(event)
            } else {
                ns
            }
        } else {
            String::new()
        };
        let key = (target, namespace, text("/involvedObject/name"));
        if let Some((_, uid)) = self.seen.get(&key)
            && let Some(involved) = event
                .get_mut("involvedObject")
                .and_then(Value::as_object_mut)
        {
            involved.insert("uid".into(), Value::String(uid.clone()));
        }
    }
}

fn unknown_kind(api_version: &str, kind: &str) -> String {
    if let Some(other) = by_kind_any_group(kind) {
        return format!(
            "kind {kind} is served as apiVersion {}, not {api_version}",
            RESOURCES[other].api_version()
        );
    }
    let served: Vec<&str> = RESOURCES
        .iter()
        .filter(|r| r.storage == Storage::Stored)
        .map(|r| r.kind)
        .collect();
    format!(
        "unknown kind {kind:?} (apiVersion {api_version}); the sandbox serves {}, and {SANDBOX_API_VERSION} Fault and PodLog",
        served.join(", ")
    )
}

pub(crate) fn object_name(value: &Value) -> String {
    str_at(value, "/metadata/name").to_string()
}

pub(crate) fn object_namespace(value: &Value) -> String {
    str_at(value, "/metadata/namespace").to_string()
}

/// Check an object and apply the defaults of a real API server: a name is
/// required; namespaced objects without a namespace go to `default_ns`;
/// cluster-scoped objects lose any namespace; a Namespace gets its
/// `kubernetes.io/metadata.name` label and `Active` phase. The result must
/// deserialise into the k8s-openapi type.
pub(crate) fn normalize(
    rt: &ResourceType,
    value: &mut Value,
    default_ns: &str,
) -> Result<(), String> {
    let Some(object) = value.as_object_mut() else {
        return Err("not a mapping (a Kubernetes object)".into());
    };
    object.insert("apiVersion".into(), Value::String(rt.api_version()));
    object.insert("kind".into(), Value::String(rt.kind.to_string()));
    let meta = object.entry("metadata").or_insert_with(|| json!({}));
    let Some(meta) = meta.as_object_mut() else {
        return Err(format!("{}: metadata is not a mapping", rt.kind));
    };
    let name = meta
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if name.is_empty() {
        return Err(format!("{}: metadata.name is required", rt.kind));
    }
    if name.contains('/') || name == "." || name == ".." {
        return Err(format!(
            "{} {name:?}: metadata.name may not contain '/' or be '.' or '..'",
            rt.kind
        ));
    }
    if rt.namespaced {
        let ns = meta
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if ns.is_empty() {
            meta.insert("namespace".into(), Value::String(default_ns.to_string()));
        }
    } else {
        meta.remove("namespace");
    }
    if rt.kind == "Namespace" {
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(
                "kubernetes.io/metadata.name".into(),
                Value::String(name.clone()),
            );
        }
        let status = object.entry("status").or_insert_with(|| json!({}));
        if let Some(status) = status.as_object_mut() {
            status.entry("phase").or_insert_with(|| json!("Active"));
        }
    }
    (rt.validate)(value).map_err(|err| format!("{} {name:?}: {err}", rt.kind))
}

/// Give an object a uid and a creationTimestamp if it has none.
pub(crate) fn fill_identity(value: &mut Value, uid: &str, now: &str) {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        let missing = |v: Option<&Value>| v.and_then(Value::as_str).is_none_or(str::is_empty);
        if missing(meta.get("uid")) {
            meta.insert("uid".into(), Value::String(uid.to_string()));
        }
        if missing(meta.get("creationTimestamp")) {
            meta.insert("creationTimestamp".into(), Value::String(now.to_string()));
        }
    }
}

/// A uid derived from the object's identity, so that a manifest loads with
/// the same uids every time (stable demo output, reproducible tests).
fn stable_uid(context: &str, kind: &str, namespace: &str, name: &str) -> String {
    let text = format!("{context}\0{kind}\0{namespace}\0{name}");
    let high = fnv1a(text.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let low = fnv1a(text.as_bytes(), 0x8422_2325_cbf2_9ce4);
    format_uuid(high, low)
}

fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A version-4-shaped UUID string from 128 bits.
pub(crate) fn format_uuid(high: u64, low: u64) -> String {
    let high = (high & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2025-01-01T00:00:00Z";

    fn load(text: &str) -> Result<LoadedCluster, LoadError> {
        load_cluster(&ClusterSource::from_texts("t", [("m.yaml", text)]), NOW)
    }

    fn error(text: &str) -> String {
        match load(text) {
            Ok(_) => panic!("loaded: {text}"),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn defaults_are_filled_and_namespaces_created() {
        let loaded = load(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n",
        );
        let Ok(loaded) = loaded else {
            panic!("{loaded:?}")
        };
        let names: Vec<(String, String)> = loaded
            .objects
            .iter()
            .map(|(r, o)| (RESOURCES[*r].kind.to_string(), o.name.clone()))
            .collect();
        assert!(names.contains(&("Namespace".into(), "shop".into())));
        assert!(names.contains(&("Namespace".into(), "default".into())));
        let svc = loaded
            .objects
            .iter()
            .find(|(r, _)| RESOURCES[*r].kind == "Service");
        let Some((_, svc)) = svc else {
            panic!("no service")
        };
        let svc = svc.to_value();
        assert_eq!(svc["metadata"]["namespace"], "default");
        assert_eq!(svc["metadata"]["creationTimestamp"], NOW);
        assert_eq!(svc["metadata"]["uid"].as_str().map(str::len), Some(36));
    }

    #[test]
    fn errors_name_the_document_and_reason() {
        assert_eq!(
            error(
                "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
            ),
            "m.yaml: document 2: duplicate Service \"default/a\" (first defined in m.yaml document 1)"
        );
        assert!(
            error("apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n")
                .starts_with("m.yaml: document 1: unknown kind \"Secret\"")
        );
        assert_eq!(
            error("apiVersion: v1\nkind: Deployment\nmetadata: {name: a}\n"),
            "m.yaml: document 1: kind Deployment is served as apiVersion apps/v1, not v1"
        );
        assert_eq!(
            error(
                "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  ports:\n  - port: http\n"
            ),
            "m.yaml: document 1: Service \"a\": spec.ports[0].port: invalid type: string \"http\", expected i32"
        );
        assert_eq!(
            error("kind: Service\n"),
            "m.yaml: document 1: missing apiVersion"
        );
        assert_eq!(
            error("apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n"),
            "m.yaml: document 1: Pod: metadata.name is required"
        );
    }

    #[test]
    fn sandbox_kinds_are_set_apart() {
        let text = format!(
            "apiVersion: {SANDBOX_API_VERSION}\nkind: PodLog\nmetadata: {{name: p}}\nprevious: boom\n---\napiVersion: {SANDBOX_API_VERSION}\nkind: Fault\nmatch: {{verb: list}}\naction: error\n"
        );
        let Ok(loaded) = load(&text) else {
            panic!("not loaded")
        };
        assert_eq!(loaded.logs.len(), 1);
        assert_eq!(loaded.logs[0].previous.as_deref(), Some("boom"));
        assert_eq!(loaded.faults.len(), 1);
    }

    #[test]
    fn events_get_the_uid_of_the_object_they_name() {
        let text = "apiVersion: v1\nkind: Service\nmetadata: {name: web, uid: abc}\n---\napiVersion: v1\nkind: Event\nmetadata: {name: e1}\ninvolvedObject: {kind: Service, name: web}\n";
        let Ok(loaded) = load(text) else {
            panic!("not loaded")
        };
        let event = loaded
            .objects
            .iter()
            .find(|(r, _)| RESOURCES[*r].kind == "Event");
        assert_eq!(
            event.map(|(_, o)| o.to_value()["involvedObject"]["uid"].clone()),
            Some(json!("abc"))
        );
    }

    #[test]
    fn uids_are_stable() {
        assert_eq!(
            stable_uid("c", "Pod", "ns", "a"),
            stable_uid("c", "Pod", "ns", "a")
        );
        assert_ne!(
            stable_uid("c", "Pod", "ns", "a"),
            stable_uid("c", "Pod", "ns", "b")
        );
    }
}
