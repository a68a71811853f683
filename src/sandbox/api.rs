//! The HTTP face of the sandbox: authentication, the journal, routing of
//! Kubernetes API paths, discovery, faults, access reviews and the
//! sandbox-only admin path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::faults::{Attributes, Fault, FaultAction, Faults, SANDBOX_API_VERSION};
use super::journal::Journal;
use super::load::{LoadedCluster, PodLog};
use super::manifest::parse_documents;
use super::resources::{RESOURCES, ResourceId, ResourceType, Storage, by_path, groups};
use super::status::{ApiError, json_response, success};
use super::store::{HISTORY_LIMIT, Store, str_at};

/// The user named in `Forbidden` messages; the token in the kubeconfig
/// authenticates as this user.
pub const USER: &str = "sandbox-user";

/// Largest request body accepted (etcd's object limit is 1.5 MiB).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The Kubernetes version the sandbox reports (k8s-openapi feature `v1_33`).
const VERSION: (&str, &str, &str) = ("1", "33", "v1.33.0");

/// Lock a mutex, recovering the data if a panicking thread poisoned it: the
/// store's invariants hold between statements, so the data stays usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One served cluster.
pub struct Cluster {
    pub context: String,
    /// `""` for the first cluster, `/clusters/CONTEXT` for the others.
    pub prefix: String,
    pub store: Mutex<Store>,
    pub faults: Mutex<Faults>,
    logs: HashMap<(String, String, Option<String>), PodLog>,
}

impl Cluster {
    pub fn new(context: String, prefix: String, loaded: LoadedCluster) -> Cluster {
        let mut store = Store::new(HISTORY_LIMIT);
        store.load(loaded.objects);
        let logs = loaded
            .logs
            .into_iter()
            .map(|l| ((l.namespace.clone(), l.pod.clone(), l.container.clone()), l))
            .collect();
        Cluster {
            context,
            prefix,
            store: Mutex::new(store),
            faults: Mutex::new(Faults::new(loaded.faults)),
            logs,
        }
    }

    /// Add a fault rule. An `expire` rule also closes the open watches it
    /// matches, so that their clients' next watch (which they start at once)
    /// is the one that expires. Both happen under the store's lock, which a
    /// new watch holds while it looks for the rule and registers: a client
    /// that reconnects between the two could otherwise open a watch that
    /// neither expires nor is closed.
    pub fn add_fault(&self, fault: Fault) {
        let mut store = lock(&self.store);
        if fault.action == FaultAction::Expire {
            for (id, rt) in RESOURCES.iter().enumerate() {
                let probe = Attributes {
                    verb: "watch",
                    resource: rt,
                    subresource: None,
                    namespace: None,
                };
                if fault.matches(&probe) {
                    store.close_watches(id, fault.namespace.as_deref());
                }
            }
        }
        lock(&self.faults).add(fault);
        drop(store);
    }

    /// The log text of a container, from `PodLog` documents. A `PodLog`
    /// without `container` belongs to the pod's first container.
    pub(crate) fn log(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        first: bool,
    ) -> Option<&PodLog> {
        let key = |c: Option<&str>| {
            (
                namespace.to_string(),
                pod.to_string(),
                c.map(str::to_string),
            )
        };
        self.logs.get(&key(Some(container))).or_else(|| {
            if first {
                self.logs.get(&key(None))
            } else {
                None
            }
        })
    }
}

/// State shared by all connections.
pub struct App {
    pub clusters: Vec<Arc<Cluster>>,
    pub token: String,
    /// Whether a request without a token is refused. Over plain HTTP
    /// (`--http`) kubectl sends no credentials at all, so only a wrong token
    /// is refused there.
    pub require_token: bool,
    pub journal: Option<Journal>,
    pub shutdown: CancellationToken,
    /// `host:port`, for `serverAddressByClientCIDRs`.
    pub server_address: String,
}

pub fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let response = app.respond(request).await;
    let status = response.status().as_u16();
    tracing::debug!(%method, %path, %query, status, "request");
    if let Some(journal) = &app.journal {
        journal.record(method.as_str(), &path, &query, status);
    }
    response
}

/// Query parameters, percent-decoded.
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        Query(
            raw.unwrap_or_default()
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (percent_decode(k), percent_decode(v))
                })
                .collect(),
        )
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `true`/`1` (Go's `strconv.ParseBool` spellings).
    pub(crate) fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| matches!(v, "true" | "1" | "t" | "T" | "TRUE" | "True"))
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parsed request, handed to the handlers.
pub(crate) struct Req {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Query,
    pub body: Bytes,
}

impl Req {
    /// The `Content-Type` header, `""` when absent.
    pub(crate) fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// Paths a real API server answers without credentials (the
/// `system:public-info-viewer` role).
fn is_public(path: &str) -> bool {
    matches!(path, "/version" | "/healthz" | "/livez" | "/readyz")
}

/// Compare in time independent of where the first difference is.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl App {
    /// The cluster a path addresses and the path inside it.
    fn cluster_for<'p>(&self, path: &'p str) -> (&Arc<Cluster>, &'p str) {
        for cluster in self.clusters.iter().skip(1) {
            if let Some(rest) = path.strip_prefix(cluster.prefix.as_str())
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return (cluster, if rest.is_empty() { "/" } else { rest });
            }
        }
        (&self.clusters[0], path)
    }

    async fn respond(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let (cluster, path) = self.cluster_for(parts.uri.path());
        let cluster = Arc::clone(cluster);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim);
        match token {
            Some(token) if same_secret(token.as_bytes(), self.token.as_bytes()) => {}
            None if is_public(path) || !self.require_token => {}
            _ => return ApiError::unauthorized().into_response(),
        }
        let body = match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(body) => body,
            Err(err) => {
                return ApiError::bad_request(format!("cannot read the request body: {err}"))
                    .into_response();
            }
        };
        let req = Req {
            method: parts.method,
            headers: parts.headers,
            query: Query::parse(parts.uri.query()),
            body,
        };
        match self.route(&cluster, path, req).await {
            Ok(response) => response,
            Err(err) => err.into_response(),
        }
    }

    async fn route(
        &self,
        cluster: &Arc<Cluster>,
        path: &str,
        req: Req,
    ) -> Result<Response, ApiError> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let discovery = |value: Option<Value>| -> Result<Response, ApiError> {
            if req.method != Method::GET {
                return Err(ApiError::method_not_allowed(req.method.as_str()));
            }
            value
                .map(|v| json_response(StatusCode::OK, v.to_string()))
                .ok_or_else(ApiError::no_such_path)
        };
        match segments.as_slice() {
            ["version"] => discovery(Some(version())),
            ["healthz" | "livez" | "readyz"] => Ok((StatusCode::OK, "ok").into_response()),
            ["api"] => discovery(Some(json!({
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}],
            }))),
            ["api", "v1"] => discovery(resource_list("", "v1")),
            ["apis"] => discovery(Some(json!({
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": groups().into_iter().map(group_json).collect::<Vec<_>>(),
            }))),
            ["apis", group] => discovery(groups().into_iter().find(|g| g == group).map(|g| {
                let mut value = group_json(g);
                value["kind"] = json!("APIGroup");
                value["apiVersion"] = json!("v1");
                value
            })),
            ["apis", group, version] => discovery(resource_list(group, version)),
            ["_sandbox", "faults"] => admin_faults(cluster, &req),
            ["api", "v1", rest @ ..] => self.resource_request(cluster, "", "v1", rest, req).await,
            ["apis", group, version, rest @ ..] => {
                self.resource_request(cluster, group, version, rest, req)
                    .await
            }
            _ => Err(ApiError::no_such_path()),
        }
    }

    async fn resource_request(
        &self,
        cluster: &Arc<Cluster>,
        group: &str,
        version: &str,
        rest: &[&str],
        req: Req,
    ) -> Result<Response, ApiError> {
        let target = Target::parse(group, version, rest).ok_or_else(ApiError::no_such_path)?;
        let rt = &RESOURCES[target.resource];
        if rt.storage == Storage::Review {
            return review(cluster, rt, &target, &req);
        }
        let verb = target.verb(&req)?;
        let request = Attributes {
            verb,
            resource: rt,
            subresource: target.subresource.as_deref(),
            namespace: target.namespace.as_deref(),
        };
        let outcome = lock(&cluster.faults).outcome(&request);
        if !outcome.delay.is_zero() {
            tokio::time::sleep(outcome.delay).await;
        }
        if outcome.forbid {
            return Err(ApiError::forbidden(
                USER,
                verb,
                rt,
                request.subresource,
                request.namespace,
                target.name.as_deref(),
            ));
        }
        if outcome.error {
            return Err(ApiError::internal("sandbox Fault: injected error"));
        }
        let handlers = super::objects::Handlers {
            cluster,
            rt,
            target: &target,
            req: &req,
        };
        match verb {
            "list" => handlers.list(),
            "watch" => handlers.watch(self.shutdown.clone()),
            "get" if target.subresource.as_deref() == Some("log") => handlers.log(),
            "get" => handlers.get(),
            "create" => handlers.create(),
            "update" => handlers.update(),
            "patch" => handlers.patch(),
            "delete" => handlers.delete(),
            other => Err(ApiError::method_not_allowed(other)),
        }
    }
}

/// The object(s) a resource path names.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub resource: ResourceId,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

impl Target {
    /// `PLURAL[/NAME[/SUB]]` or `namespaces/NS/PLURAL[/NAME[/SUB]]`, with
    /// `namespaces/NAME/status` being the namespace's own subresource.
    fn parse(group: &str, version: &str, rest: &[&str]) -> Option<Target> {
        let (namespace, rest) = match rest {
            ["namespaces", _, "status" | "finalize"] | ["namespaces"] | ["namespaces", _] => {
                (None, rest)
            }
            ["namespaces", ns, tail @ ..] => (Some(ns.to_string()), tail),
            _ => (None, rest),
        };
        let (plural, name, sub) = match rest {
            [plural] => (*plural, None, None),
            [plural, name] => (*plural, Some(name.to_string()), None),
            [plural, name, sub] => (*plural, Some(name.to_string()), Some(sub.to_string())),
            _ => return None,
        };
        let resource = by_path(group, version, plural)?;
        let rt = &RESOURCES[resource];
        if namespace.is_some() && !rt.namespaced {
            return None;
        }
        match sub.as_deref() {
            None => {}
            Some("status") if rt.status_subresource => {}
            Some("log") if rt.kind == "Pod" && rt.group.is_empty() => {}
            Some(_) => return None,
        }
        Some(Target {
            resource,
            namespace,
            name,
            subresource: sub,
        })
    }

    /// The RBAC verb of the request.
    fn verb(&self, req: &Req) -> Result<&'static str, ApiError> {
        let rt = &RESOURCES[self.resource];
        let named = self.name.is_some();
        // A namespaced object is only addressable within its namespace.
        if named && rt.namespaced && self.namespace.is_none() {
            return Err(ApiError::no_such_path());
        }
        let read_only = self.subresource.as_deref() == Some("log");
        let verb = match (&req.method, named) {
            (&Method::GET, _) if req.query.flag("watch") && !read_only => "watch",
            (&Method::GET, true) => "get",
            (&Method::GET, false) => "list",
            (&Method::POST, false) if rt.namespaced == self.namespace.is_some() => "create",
            (&Method::PUT, true) if !read_only => "update",
            (&Method::PATCH, true) if !read_only => "patch",
            (&Method::DELETE, true) if self.subresource.is_none() => "delete",
            (method, _) => return Err(ApiError::method_not_allowed(method.as_str())),
        };
        Ok(verb)
    }
}

fn version() -> Value {
    let (major, minor, git) = VERSION;
    json!({
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": "32",
        "gitVersion": git,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T00:00:00Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn group_json(group: &str) -> Value {
    let mut versions: Vec<&str> = Vec::new();
    for r in RESOURCES.iter().filter(|r| r.group == group) {
        if !versions.contains(&r.version) {
            versions.push(r.version);
        }
    }
    let entries: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    let preferred = entries.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": entries, "preferredVersion": preferred})
}

/// `APIResourceList` of one group version; `None` if nothing is served there.
fn resource_list(group: &str, version: &str) -> Option<Value> {
    let served: Vec<&ResourceType> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if served.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for r in served {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs(),
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        resources.push(entry);
        if r.status_subresource {
            resources.push(json!({
                "name": format!("{}/status", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        if r.kind == "Pod" && r.group.is_empty() {
            resources.push(json!({
                "name": "pods/log",
                "singularName": "",
                "namespaced": true,
                "kind": "Pod",
                "verbs": ["get"],
            }));
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}

/// `selfsubjectaccessreviews` and `selfsubjectrulesreviews`: answered from
/// the `forbid` faults; everything else is allowed (the sandbox user is a
/// cluster admin). Reviews are never themselves subject to faults, as real
/// RBAC always lets a user ask what it may do.
fn review(
    cluster: &Cluster,
    rt: &ResourceType,
    target: &Target,
    req: &Req,
) -> Result<Response, ApiError> {
    if req.method != Method::POST || target.name.is_some() {
        return Err(ApiError::method_not_allowed(req.method.as_str()));
    }
    let content_type = req.content_type();
    let mut review: Value = if content_type.starts_with(super::protobuf::MEDIA_TYPE) {
        super::protobuf::decode_review(&req.body)
            .map_err(|err| ApiError::bad_request(format!("cannot decode {}: {err}", rt.kind)))?
    } else {
        serde_json::from_slice(&req.body)
            .map_err(|err| ApiError::bad_request(format!("cannot decode {}: {err}", rt.kind)))?
    };
    if !review.is_object() {
        return Err(ApiError::bad_request(format!(
            "{} must be an object",
            rt.kind
        )));
    }
    let faults = lock(&cluster.faults);
    let status = if rt.kind == "SelfSubjectAccessReview" {
        let attrs = review
            .pointer("/spec/resourceAttributes")
            .cloned()
            .unwrap_or(Value::Null);
        let text = |key: &str| {
            attrs
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (group, plural, verb) = (text("group"), text("resource"), text("verb"));
        let (namespace, subresource) = (text("namespace"), text("subresource"));
        let resource = RESOURCES
            .iter()
            .find(|r| r.group == group && r.plural == plural && r.storage == Storage::Stored);
        let denied = resource.is_some_and(|resource| {
            faults.forbids(&Attributes {
                verb: &verb,
                resource,
                subresource: (!subresource.is_empty()).then_some(subresource.as_str()),
                namespace: (!namespace.is_empty()).then_some(namespace.as_str()),
            })
        });
        if denied {
            json!({"allowed": false})
        } else {
            json!({"allowed": true, "reason": "no sandbox Fault forbids it"})
        }
    } else {
        let namespace = str_at(&review, "/spec/namespace");
        rules_review(&faults, namespace)
    };
    review["status"] = status;
    review["apiVersion"] = json!(rt.api_version());
    review["kind"] = json!(rt.kind);
    Ok(json_response(StatusCode::CREATED, review.to_string()))
}

/// The rules of a `SelfSubjectRulesReview`: everything, or with `forbid`
/// faults, every resource and verb they leave allowed in `namespace`.
fn rules_review(faults: &Faults, namespace: &str) -> Value {
    let non_resource = json!([{"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/version", "/healthz", "/livez", "/readyz"]}]);
    if !faults
        .rules()
        .iter()
        .any(|f| f.action == FaultAction::Forbid)
    {
        return json!({
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": non_resource,
            "incomplete": false,
        });
    }
    let mut rules = Vec::new();
    for rt in RESOURCES.iter().filter(|r| r.storage == Storage::Stored) {
        let verbs: Vec<&str> = rt
            .verbs()
            .iter()
            .copied()
            .filter(|verb| {
                !faults.forbids(&Attributes {
                    verb,
                    resource: rt,
                    subresource: None,
                    namespace: (!namespace.is_empty()).then_some(namespace),
                })
            })
            .collect();
        if !verbs.is_empty() {
            rules.push(json!({"verbs": verbs, "apiGroups": [rt.group], "resources": [rt.plural]}));
        }
    }
    rules.push(json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}));
    json!({"resourceRules": rules, "nonResourceRules": non_resource, "incomplete": false})
}

/// `/_sandbox/faults`: `GET` lists the cluster's fault rules, `POST` adds
/// the `Fault` documents in the body (YAML or JSON), `DELETE` removes all.
fn admin_faults(cluster: &Cluster, req: &Req) -> Result<Response, ApiError> {
    let list = |faults: &[Fault]| {
        json!({
            "apiVersion": SANDBOX_API_VERSION,
            "kind": "FaultList",
            "items": faults.iter().map(Fault::to_value).collect::<Vec<_>>(),
        })
    };
    match req.method {
        Method::GET => Ok(json_response(
            StatusCode::OK,
            list(lock(&cluster.faults).rules()).to_string(),
        )),
        Method::POST => {
            let text = std::str::from_utf8(&req.body)
                .map_err(|_| ApiError::bad_request("the body is not UTF-8"))?;
            let docs = parse_documents(text, "request body")
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            let mut added = Vec::new();
            for (i, doc) in docs.iter().enumerate() {
                let kind = str_at(doc, "/kind");
                let api_version = str_at(doc, "/apiVersion");
                if kind != "Fault" || api_version != SANDBOX_API_VERSION {
                    return Err(ApiError::bad_request(format!(
                        "document {}: expected apiVersion {SANDBOX_API_VERSION}, kind Fault",
                        i + 1
                    )));
                }
                let fault = Fault::from_value(doc)
                    .map_err(|e| ApiError::bad_request(format!("document {}: {e}", i + 1)))?;
                added.push(fault);
            }
            for fault in &added {
                cluster.add_fault(fault.clone());
            }
            tracing::info!(context = %cluster.context, count = added.len(), "faults added");
            Ok(json_response(StatusCode::CREATED, list(&added).to_string()))
        }
        Method::DELETE => {
            lock(&cluster.faults).clear();
            Ok(json_response(StatusCode::OK, success().to_string()))
        }
        ref other => Err(ApiError::method_not_allowed(other.as_str())),
    }
}

/// A `200 OK` JSON body from pre-encoded bytes.
pub(crate) fn ok_json(code: StatusCode, bytes: Bytes) -> Response {
    json_response(code, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(group: &str, rest: &str) -> Option<Target> {
        let segments: Vec<&str> = rest.split('/').collect();
        Target::parse(group, "v1", &segments)
    }

    #[test]
    fn paths_are_parsed_like_the_real_server() {
        let t = target("", "namespaces/default/pods/web/log");
        assert_eq!(
            t.map(|t| (t.namespace, t.name, t.subresource)),
            Some((
                Some("default".into()),
                Some("web".into()),
                Some("log".into())
            ))
        );
        let ns = target("", "namespaces/prod");
        assert_eq!(
            ns.map(|t| (RESOURCES[t.resource].plural, t.name)),
            Some(("namespaces", Some("prod".into())))
        );
        let status = target("", "namespaces/prod/status");
        assert_eq!(
            status.map(|t| (t.name, t.subresource)),
            Some((Some("prod".into()), Some("status".into())))
        );
        assert!(target("", "namespaces/x/nodes").is_none());
        assert!(target("", "namespaces/x/configmaps/c/status").is_none());
        assert!(target("apps", "deployments").is_some());
        assert!(target("", "secrets").is_none());
    }

    #[test]
    fn queries_are_percent_decoded() {
        let q = Query::parse(Some("labelSelector=app%3Dweb%2Cenv+in+%28a%29&watch=1&x"));
        assert_eq!(q.get("labelSelector"), Some("app=web,env in (a)"));
        assert!(q.flag("watch"));
        assert_eq!(q.get("x"), Some(""));
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn discovery_lists_categories_and_subresources() {
        let core = resource_list("", "v1").unwrap_or_default();
        let names: Vec<&str> = core["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"pods/log"));
        assert!(names.contains(&"services/status"));
        assert!(resource_list("batch", "v1").is_none());
    }
}
