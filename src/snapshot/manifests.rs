//! Building a [`Snapshot`] straight from manifests, without an API server:
//! the engine's table tests (fixtures under `tests/fixtures/`) use it.
//!
//! Accepts what the sandbox accepts: multi-document YAML or JSON, `kind: List`,
//! and the sandbox-only kinds `PodLog` (logs) and `Fault` (a `forbid` fault
//! becomes a read failure, so checks that need it are `unknown`).

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ContainerLogs, ReadFailure, Resource, Scope, Snapshot};
use crate::model::Object;

/// Parse `text` into a snapshot for `context` and `scope`.
pub fn from_yaml(text: &str, context: &str, scope: Scope) -> Result<Snapshot, String> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(text).map_err(|e| format!("bad YAML: {e}"))?;
    from_values(docs, context, scope)
}

/// A snapshot of objects already parsed (generated clusters, benchmarks),
/// with the same kinds and rules as [`from_yaml`].
pub fn from_values(docs: Vec<Value>, context: &str, scope: Scope) -> Result<Snapshot, String> {
    let mut snap = Snapshot::empty(context, scope);
    let mut n = 0;
    for doc in docs {
        add_value(&mut snap, doc, &mut n)?;
    }
    Ok(snap)
}

/// Add one parsed document (a `List` adds its items) to `snap`; `n` counts
/// documents for error messages.
pub fn add_value(snap: &mut Snapshot, doc: Value, n: &mut usize) -> Result<(), String> {
    let mut queue: Vec<Value> = vec![doc];
    while let Some(doc) = queue.pop() {
        if doc.is_null() {
            continue;
        }
        *n += 1;
        let n = *n;
        let kind = doc
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let err = |e: String| format!("document {n} ({kind}): {e}");
        match kind.as_str() {
            "List" => {
                if let Some(items) = doc.get("items").and_then(Value::as_array) {
                    queue.extend(items.iter().rev().cloned());
                }
            }
            "Namespace" => snap.namespaces.push(typed(doc).map_err(err)?),
            "Node" => snap.nodes.push(typed(doc).map_err(err)?),
            "Service" => snap.services.push(typed(doc).map_err(err)?),
            "EndpointSlice" => snap.endpoint_slices.push(typed(doc).map_err(err)?),
            "Endpoints" => snap.endpoints.push(typed(doc).map_err(err)?),
            "Pod" => snap.pods.push(typed(doc).map_err(err)?),
            "Event" => snap.events.push(typed(doc).map_err(err)?),
            "ConfigMap" => snap.config_maps.push(typed(doc).map_err(err)?),
            "Deployment" => snap.deployments.push(typed(doc).map_err(err)?),
            "ReplicaSet" => snap.replica_sets.push(typed(doc).map_err(err)?),
            "StatefulSet" => snap.stateful_sets.push(typed(doc).map_err(err)?),
            "DaemonSet" => snap.daemon_sets.push(typed(doc).map_err(err)?),
            "NetworkPolicy" => snap.network_policies.push(typed(doc).map_err(err)?),
            "Ingress" => snap.ingresses.push(typed(doc).map_err(err)?),
            "PodLog" => {
                let s = |k: &str| doc.pointer(k).and_then(Value::as_str).map(str::to_string);
                let key = (
                    s("/metadata/namespace").unwrap_or_else(|| "default".into()),
                    s("/metadata/name")
                        .ok_or_else(|| err("PodLog without metadata.name".into()))?,
                    s("/container").ok_or_else(|| err("PodLog without container".into()))?,
                );
                snap.logs.insert(
                    key,
                    ContainerLogs {
                        previous: s("/previous"),
                        current: s("/current"),
                    },
                );
            }
            "Fault" => {
                if doc.get("action").and_then(Value::as_str) == Some("forbid") {
                    let resource: Resource = serde_json::from_value(
                        doc.pointer("/match/resource")
                            .cloned()
                            .unwrap_or(Value::Null),
                    )
                    .map_err(|e| err(format!("match.resource: {e}")))?;
                    let namespace = doc
                        .pointer("/match/namespace")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    snap.access.failures.push(ReadFailure {
                        resource,
                        namespace,
                        code: Some(403),
                        message: format!("{} is forbidden (fixture fault)", resource.as_str()),
                    });
                }
            }
            other => return Err(err(format!("unknown kind {other:?}"))),
        }
    }
    Ok(())
}

/// One object as the engine keeps it, decoded as `check` and the dashboard
/// decode what they read: from JSON text (where a list does not announce its
/// length, unlike a parsed value), without the `resourceVersion` only the
/// watcher needs. Memory measured on a loaded snapshot is then what the
/// client path keeps.
fn typed<T: DeserializeOwned + Object>(doc: Value) -> Result<Arc<T>, String> {
    let text = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    drop(doc);
    let mut object: T = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    object.meta_mut().take_resource_version();
    Ok(Arc::new(object))
}
