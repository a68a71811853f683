//! Handlers for object requests: list, get, create, update, patch, delete,
//! and pod logs. Watches live in `watch.rs`.

use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use rand::Rng as _;
use serde_json::{Value, json};

use super::api::{Cluster, Req, Target, lock, ok_json};
use super::load::{fill_identity, format_uuid, normalize};
use super::resources::{RESOURCES, ResourceId, ResourceType, by_path};
use super::selector::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{Filter, Key, Object, Write, str_at};

pub(crate) struct Handlers<'a> {
    pub cluster: &'a Arc<Cluster>,
    pub rt: &'static ResourceType,
    pub target: &'a Target,
    pub req: &'a Req,
}

/// The position a `continue` token resumes from.
struct Continue {
    rv: u64,
    after: Key,
}

impl Continue {
    fn encode(&self) -> String {
        let token =
            json!({"v": "meta.k8s.io/v1", "rv": self.rv, "ns": self.after.0, "name": self.after.1});
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
    }

    fn decode(token: &str) -> Result<Continue, ApiError> {
        let invalid = || ApiError::bad_request(format!("continue key is not valid: {token:?}"));
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| invalid())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        match (
            value.get("rv").and_then(Value::as_u64),
            text("ns"),
            text("name"),
        ) {
            (Some(rv), Some(ns), Some(name)) => Ok(Continue {
                rv,
                after: (ns, name),
            }),
            _ => Err(invalid()),
        }
    }
}

impl Handlers<'_> {
    fn id(&self) -> ResourceId {
        self.target.resource
    }

    fn namespace(&self) -> &str {
        self.target.namespace.as_deref().unwrap_or_default()
    }

    fn name(&self) -> &str {
        self.target.name.as_deref().unwrap_or_default()
    }

    fn key(&self) -> Key {
        (self.namespace().to_string(), self.name().to_string())
    }

    /// The namespace, label and field selection of a list or watch.
    pub(crate) fn filter(&self) -> Result<Filter, ApiError> {
        let query = &self.req.query;
        let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or_default())
            .map_err(|err| ApiError::bad_request(format!("unable to parse requirement: {err}")))?;
        let mut fields =
            FieldSelector::parse(query.get("fieldSelector").unwrap_or_default(), self.rt)
                .map_err(ApiError::bad_request)?;
        if let Some(name) = &self.target.name {
            fields = fields.and(FieldSelector::name(name));
        }
        Ok(Filter {
            namespace: self.target.namespace.clone(),
            labels,
            fields,
        })
    }

    pub(crate) fn list(&self) -> Result<Response, ApiError> {
        let filter = self.filter()?;
        let query = &self.req.query;
        let limit = match query.get("limit") {
            None | Some("") => 0,
            Some(text) => text
                .parse::<usize>()
                .map_err(|_| ApiError::bad_request(format!("limit: Invalid value: {text:?}")))?,
        };
        let resume = match query.get("continue") {
            None | Some("") => None,
            Some(token) => Some(Continue::decode(token)?),
        };
        let page = lock(&self.cluster.store).list(
            self.id(),
            &filter,
            resume.as_ref().map(|c| &c.after),
            limit,
        );
        // Every page of a paginated list reports the first page's
        // resourceVersion, as a real server does; a watch from it then sees
        // every change made while the client was paging.
        let rv = resume.as_ref().map_or(page.rv, |c| c.rv);
        let token = page.next.map(|after| Continue { rv, after }.encode());
        Ok(ok_json(
            StatusCode::OK,
            list_body(self.rt, &page.items, rv, token.as_deref()),
        ))
    }

    pub(crate) fn get(&self) -> Result<Response, ApiError> {
        let object = lock(&self.cluster.store).get(self.id(), self.namespace(), self.name());
        let object = object.ok_or_else(|| ApiError::not_found(self.rt, self.name()))?;
        Ok(ok_json(StatusCode::OK, object.json.clone()))
    }

    /// The request body as a JSON object (JSON, or YAML when sent as YAML).
    fn body_object(&self) -> Result<Value, ApiError> {
        let content_type = self.req.content_type();
        let value: Value = if content_type.contains("yaml") {
            let text = std::str::from_utf8(&self.req.body)
                .map_err(|_| ApiError::bad_request("the body is not UTF-8"))?;
            serde_saphyr::from_str(text)
                .map_err(|err| ApiError::bad_request(format!("invalid YAML: {err}")))?
        } else {
            serde_json::from_slice(&self.req.body).map_err(|err| {
                ApiError::bad_request(format!(
                    "couldn't get version/kind; json parse error: {err}"
                ))
            })?
        };
        if !value.is_object() {
            return Err(ApiError::bad_request("the body is not an object"));
        }
        let api_version = str_at(&value, "/apiVersion");
        let kind = str_at(&value, "/kind");
        if !api_version.is_empty() && api_version != self.rt.api_version() {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({api_version}) does not match the expected API version ({})",
                self.rt.api_version()
            )));
        }
        if !kind.is_empty() && kind != self.rt.kind {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({kind}) does not match the expected kind ({})",
                self.rt.kind
            )));
        }
        Ok(value)
    }

    /// A namespaced object's namespace must be the one in the URL.
    fn check_namespace(&self, value: &mut Value) -> Result<(), ApiError> {
        if !self.rt.namespaced {
            return Ok(());
        }
        let given = str_at(value, "/metadata/namespace");
        if !given.is_empty() && given != self.namespace() {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert(
                "namespace".into(),
                Value::String(self.namespace().to_string()),
            );
        }
        Ok(())
    }

    fn dry_run(&self) -> bool {
        self.req.query.get("dryRun") == Some("All")
    }

    pub(crate) fn create(&self) -> Result<Response, ApiError> {
        let mut value = self.body_object()?;
        if !value.get("metadata").is_some_and(Value::is_object) {
            value["metadata"] = json!({});
        }
        self.check_namespace(&mut value)?;
        let meta = value.get_mut("metadata").and_then(Value::as_object_mut);
        let Some(meta) = meta else {
            return Err(ApiError::bad_request("metadata is not an object"));
        };
        // The server owns identity, version and lifecycle fields.
        for owned in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
            "generation",
        ] {
            meta.remove(owned);
        }
        let name = meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if name.is_empty() {
            let prefix = meta
                .get("generateName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if prefix.is_empty() {
                return Err(ApiError::invalid(
                    self.rt,
                    "",
                    "metadata.name: Required value: name or generateName is required",
                ));
            }
            let generated = format!("{prefix}{}", random_suffix());
            meta.insert("name".into(), Value::String(generated));
        }
        normalize(self.rt, &mut value, self.namespace()).map_err(ApiError::bad_request)?;
        fill_identity(&mut value, &random_uid(), &now());
        let key = (
            self.namespace().to_string(),
            super::load::object_name(&value),
        );
        let mut store = lock(&self.cluster.store);
        if self.rt.namespaced
            && let Some(namespaces) = by_path("", "v1", "namespaces")
            && store.get(namespaces, "", self.namespace()).is_none()
        {
            return Err(ApiError::not_found(
                &RESOURCES[namespaces],
                self.namespace(),
            ));
        }
        if self.dry_run() {
            return match store.get(self.id(), &key.0, &key.1) {
                Some(_) => Err(ApiError::already_exists(self.rt, &key.1)),
                None => Ok(ok_json(StatusCode::CREATED, Bytes::from(value.to_string()))),
            };
        }
        let written = store.write(self.id(), &key, |current| match current {
            Some(_) => Err(ApiError::already_exists(self.rt, &key.1)),
            None => Ok(Write::Put(value)),
        })?;
        written_response(StatusCode::CREATED, written)
    }

    pub(crate) fn update(&self) -> Result<Response, ApiError> {
        let mut value = self.body_object()?;
        let given = str_at(&value, "/metadata/name");
        if given != self.name() {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({given}) does not match the name on the URL ({})",
                self.name()
            )));
        }
        self.check_namespace(&mut value)?;
        let wanted_rv = str_at(&value, "/metadata/resourceVersion").to_string();
        self.modify(move |current| {
            // An update without a resourceVersion is unconditional, as for
            // every built-in resource (AllowUnconditionalUpdate).
            if !wanted_rv.is_empty() && wanted_rv != current.rv.to_string() {
                return Err(ApiError::conflict(self.rt, self.name()));
            }
            Ok(value)
        })
    }

    pub(crate) fn patch(&self) -> Result<Response, ApiError> {
        let content_type = self.req.content_type();
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let merge = match media_type.as_str() {
            "application/merge-patch+json" => true,
            "application/json-patch+json" => false,
            _ => return Err(ApiError::unsupported_patch(content_type)),
        };
        let patch: Value = serde_json::from_slice(&self.req.body)
            .map_err(|err| ApiError::bad_request(format!("error decoding patch: {err}")))?;
        let operations: Option<json_patch::Patch> = if merge {
            None
        } else {
            Some(
                serde_json::from_value(patch.clone())
                    .map_err(|err| ApiError::bad_request(format!("error decoding patch: {err}")))?,
            )
        };
        self.modify(|current| {
            let mut doc = current.to_value();
            match &operations {
                None => json_patch::merge(&mut doc, &patch),
                Some(ops) => json_patch::patch(&mut doc, ops).map_err(|err| {
                    ApiError::invalid(self.rt, self.name(), &format!("json patch: {err}"))
                })?,
            }
            let patched_rv = str_at(&doc, "/metadata/resourceVersion");
            if patched_rv != current.rv.to_string() && !patched_rv.is_empty() {
                return Err(ApiError::conflict(self.rt, self.name()));
            }
            let patched_name = str_at(&doc, "/metadata/name");
            let patched_ns = str_at(&doc, "/metadata/namespace");
            if patched_name != self.name() || patched_ns != self.namespace() {
                return Err(ApiError::bad_request(
                    "the name and namespace of an object cannot be changed by a patch",
                ));
            }
            Ok(doc)
        })
    }

    /// Replace an existing object with what `change` makes of it. A write to
    /// the `status` subresource keeps everything but `status`; identity
    /// fields always stay; an unchanged object is not written (no new
    /// resourceVersion, no event), as on a real server.
    fn modify(
        &self,
        change: impl FnOnce(&Object) -> Result<Value, ApiError>,
    ) -> Result<Response, ApiError> {
        let status_only = self.target.subresource.as_deref() == Some("status");
        let dry_run = self.dry_run();
        let mut result = None;
        let mut store = lock(&self.cluster.store);
        let written = store.write(self.id(), &self.key(), |current| {
            let current = current.ok_or_else(|| ApiError::not_found(self.rt, self.name()))?;
            let mut next = change(current)?;
            let old = current.to_value();
            if status_only {
                let status = next.get("status").cloned().unwrap_or(Value::Null);
                next = old.clone();
                next["status"] = status;
            }
            for field in ["uid", "creationTimestamp", "resourceVersion"] {
                if let Some(value) = old.pointer(&format!("/metadata/{field}")) {
                    next["metadata"][field] = value.clone();
                }
            }
            normalize(self.rt, &mut next, self.namespace()).map_err(ApiError::bad_request)?;
            if next == old || dry_run {
                result = Some(Bytes::from(next.to_string()));
                return Ok(Write::Unchanged);
            }
            Ok(Write::Put(next))
        })?;
        match (result, written) {
            (Some(bytes), _) => Ok(ok_json(StatusCode::OK, bytes)),
            (None, written) => written_response(StatusCode::OK, written),
        }
    }

    pub(crate) fn delete(&self) -> Result<Response, ApiError> {
        let options: Value = if self.req.body.iter().all(u8::is_ascii_whitespace) {
            Value::Null
        } else {
            serde_json::from_slice(&self.req.body).map_err(|err| {
                ApiError::bad_request(format!("cannot decode DeleteOptions: {err}"))
            })?
        };
        let precondition = |key: &str| {
            options
                .pointer(&format!("/preconditions/{key}"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let (want_uid, want_rv) = (precondition("uid"), precondition("resourceVersion"));
        let mut store = lock(&self.cluster.store);
        let written = store.write(self.id(), &self.key(), |current| {
            let current = current.ok_or_else(|| ApiError::not_found(self.rt, self.name()))?;
            let value = current.to_value();
            let uid = str_at(&value, "/metadata/uid");
            if want_uid.as_deref().is_some_and(|want| want != uid) {
                return Err(ApiError::conflict(self.rt, self.name()));
            }
            if want_rv
                .as_deref()
                .is_some_and(|want| want != current.rv.to_string())
            {
                return Err(ApiError::conflict(self.rt, self.name()));
            }
            Ok(if self.dry_run() {
                Write::Unchanged
            } else {
                Write::Delete
            })
        })?;
        if self.rt.kind == "Namespace" && !self.dry_run() {
            store.delete_namespace_contents(self.name());
        }
        written_response(StatusCode::OK, written)
    }

    /// `pods/NAME/log`: text from `PodLog` documents, chosen as the kubelet
    /// would (`container`, `previous`), trimmed by `tailLines` and
    /// `limitBytes`. `follow` returns what there is and ends.
    pub(crate) fn log(&self) -> Result<Response, ApiError> {
        let pod = lock(&self.cluster.store).get(self.id(), self.namespace(), self.name());
        let pod = pod
            .ok_or_else(|| ApiError::not_found(self.rt, self.name()))?
            .to_value();
        let names = |key: &str| -> Vec<String> {
            pod.pointer(&format!("/spec/{key}"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        };
        let (containers, init) = (names("containers"), names("initContainers"));
        let query = &self.req.query;
        let container = match query.get("container").filter(|c| !c.is_empty()) {
            Some(c) => c.to_string(),
            None if containers.len() == 1 => containers[0].clone(),
            None if containers.is_empty() => {
                return Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {}",
                    self.name()
                )));
            }
            None => {
                let mut message = format!(
                    "a container name must be specified for pod {}, choose one of: [{}]",
                    self.name(),
                    containers.join(" ")
                );
                if !init.is_empty() {
                    message.push_str(&format!(
                        " or one of the init containers: [{}]",
                        init.join(" ")
                    ));
                }
                return Err(ApiError::bad_request(message));
            }
        };
        if !containers.contains(&container)
            && !init.contains(&container)
            && !names("ephemeralContainers").contains(&container)
        {
            return Err(ApiError::bad_request(format!(
                "container {container} is not valid for pod {}",
                self.name()
            )));
        }
        let first = containers.first() == Some(&container);
        let log = self
            .cluster
            .log(self.namespace(), self.name(), &container, first);
        let text = if query.flag("previous") {
            log.and_then(|l| l.previous.clone()).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "previous terminated container {container:?} in pod {:?} not found",
                    self.name()
                ))
            })?
        } else {
            log.and_then(|l| l.current.clone()).unwrap_or_default()
        };
        let mut text = match query.get("tailLines").and_then(|t| t.parse::<usize>().ok()) {
            Some(n) => tail_lines(&text, n).to_string(),
            None => text,
        };
        if let Some(limit) = query
            .get("limitBytes")
            .and_then(|t| t.parse::<usize>().ok())
            && text.len() > limit
        {
            let mut cut = limit;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        Ok(([(header::CONTENT_TYPE, "text/plain")], text).into_response())
    }
}

/// The last `n` lines of `text` (a final newline does not start a line).
fn tail_lines(text: &str, n: usize) -> &str {
    if n == 0 {
        return "";
    }
    let body = text.strip_suffix('\n').unwrap_or(text);
    match body.rmatch_indices('\n').nth(n - 1) {
        Some((i, _)) => &text[i + 1..],
        None => text,
    }
}

fn written_response(code: StatusCode, written: Option<Arc<Object>>) -> Result<Response, ApiError> {
    let object =
        written.ok_or_else(|| ApiError::internal("the object vanished during the write"))?;
    Ok(ok_json(code, object.json.clone()))
}

/// `{"kind":"PodList","apiVersion":"v1","metadata":{...},"items":[...]}`,
/// assembled from the stored bytes.
pub(crate) fn list_body(
    rt: &ResourceType,
    items: &[Arc<Object>],
    rv: u64,
    token: Option<&str>,
) -> Bytes {
    let size: usize = items.iter().map(|o| o.json.len() + 1).sum();
    let mut out = Vec::with_capacity(size + 256);
    out.extend_from_slice(
        format!(
            r#"{{"kind":"{}List","apiVersion":"{}","metadata":{{"resourceVersion":"{rv}""#,
            rt.kind,
            rt.api_version()
        )
        .as_bytes(),
    );
    if let Some(token) = token {
        // Tokens are URL-safe base64: nothing to escape.
        out.extend_from_slice(format!(r#","continue":"{token}""#).as_bytes());
    }
    out.extend_from_slice(br#"},"items":["#);
    for (i, object) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&object.json);
    }
    out.extend_from_slice(b"]}");
    Bytes::from(out)
}

pub(crate) fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn random_uid() -> String {
    let mut rng = rand::rng();
    format_uuid(rng.random(), rng.random())
}

/// The 5-character suffix of `generateName` (k8s.io/apiserver's alphabet,
/// without vowels so that no words are spelled).
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..5)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_lines_counts_from_the_end() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(tail_lines("a\nb\nc", 1), "c");
        assert_eq!(tail_lines("a\nb\n", 5), "a\nb\n");
        assert_eq!(tail_lines("a\n", 0), "");
    }

    #[test]
    fn continue_tokens_round_trip() {
        let token = Continue {
            rv: 7,
            after: ("ns".into(), "a".into()),
        }
        .encode();
        let back = Continue::decode(&token);
        assert!(back.is_ok_and(|c| c.rv == 7 && c.after == ("ns".to_string(), "a".to_string())));
        assert!(Continue::decode("garbage!").is_err());
    }
}
