//! Watches: a chunked stream of compact JSON events, one per line.
//!
//! A watch replays what the client missed (from the history, or the current
//! objects as `ADDED`), then follows the store. An expired resourceVersion,
//! or an `expire` fault, is answered in the stream with an `ERROR` event
//! holding a `410 Expired` Status: clients relist on that, while an HTTP 410
//! would make kube-rs retry the same watch forever (DESIGN §5).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::api::{Cluster, lock};
use super::faults::Attributes;
use super::objects::Handlers;
use super::resources::{ResourceId, ResourceType};
use super::status::ApiError;
use super::store::{Expired, Object, WatchEvent, WatchFrom};

/// How often a watch that asked for bookmarks gets one (a real server sends
/// them about once a minute).
const BOOKMARK_INTERVAL: Duration = Duration::from_secs(30);

/// Events are sent in chunks of about this many bytes.
const CHUNK: usize = 64 * 1024;

impl Handlers<'_> {
    pub(crate) fn watch(&self, shutdown: CancellationToken) -> Result<Response, ApiError> {
        let filter = self.filter()?;
        let query = &self.req.query;
        let send_initial = query.get("sendInitialEvents") == Some("true");
        let requested = match query.get("resourceVersion").unwrap_or_default() {
            "" | "0" => None,
            text => Some(text.parse::<u64>().map_err(|_| {
                ApiError::bad_request(format!("resourceVersion: Invalid value: {text:?}"))
            })?),
        };
        let from = match requested {
            Some(rv) if !send_initial => WatchFrom::ResourceVersion(rv),
            _ => WatchFrom::Current,
        };
        let timeout = query
            .get("timeoutSeconds")
            .and_then(|t| t.parse::<u64>().ok())
            .filter(|t| *t > 0)
            .map(|t| Instant::now() + Duration::from_secs(t));
        let request = Attributes {
            verb: "watch",
            resource: self.rt,
            subresource: None,
            namespace: self.target.namespace.as_deref(),
        };
        let registration = {
            let mut store = lock(&self.cluster.store);
            // Under the store's lock, as `Cluster::add_fault` adds an expire
            // rule and closes the open watches: a watch is either open
            // before (and closed by it) or sees the rule.
            let expire = lock(&self.cluster.faults).take_expire(&request);
            if expire {
                Err(Expired {
                    requested: requested.unwrap_or_default(),
                    oldest: store.rv() + 1,
                })
            } else {
                store.watch(self.target.resource, filter, from)
            }
        };
        let registration = match registration {
            Ok(registration) => registration,
            Err(expired) => {
                tracing::debug!(resource = self.rt.plural, ?expired, "watch expired");
                let status = ApiError::expired(format!(
                    "too old resource version: {} ({})",
                    expired.requested, expired.oldest
                ));
                let line = format!("{{\"type\":\"ERROR\",\"object\":{}}}\n", status.to_value());
                return Ok(stream_response(Body::from(line)));
            }
        };
        let stream = WatchStream {
            cluster: Arc::clone(self.cluster),
            resource: self.target.resource,
            rt: self.rt,
            id: registration.id,
            initial: registration.initial.into_iter(),
            initial_end: send_initial.then_some(registration.rv),
            rx: registration.rx,
            deadline: timeout,
            next_bookmark: query
                .flag("allowWatchBookmarks")
                .then(|| Instant::now() + BOOKMARK_INTERVAL),
            shutdown,
        };
        let body = futures::stream::unfold(stream, |mut stream| async move {
            let chunk = stream.next_chunk().await?;
            Some((Ok::<Bytes, Infallible>(chunk), stream))
        });
        Ok(stream_response(Body::from_stream(body)))
    }
}

fn stream_response(body: Body) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    response
}

struct WatchStream {
    cluster: Arc<Cluster>,
    resource: ResourceId,
    rt: &'static ResourceType,
    id: u64,
    initial: std::vec::IntoIter<WatchEvent>,
    /// With `sendInitialEvents=true`: the resourceVersion of the bookmark
    /// that ends the initial events, not sent yet.
    initial_end: Option<u64>,
    rx: mpsc::Receiver<WatchEvent>,
    deadline: Option<Instant>,
    next_bookmark: Option<Instant>,
    shutdown: CancellationToken,
}

impl Drop for WatchStream {
    fn drop(&mut self) {
        lock(&self.cluster.store).unwatch(self.resource, self.id);
    }
}

async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

impl WatchStream {
    /// The next chunk of event lines; `None` ends the watch.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        let mut out = BytesMut::new();
        while out.len() < CHUNK {
            let Some((event, object)) = self.initial.next() else {
                break;
            };
            push_event(&mut out, event.as_str(), &object);
        }
        if !out.is_empty() {
            return Some(out.freeze());
        }
        if let Some(rv) = self.initial_end.take() {
            push_bookmark(&mut out, self.rt, rv, true);
            return Some(out.freeze());
        }
        tokio::select! {
            biased;
            () = self.shutdown.cancelled() => None,
            event = self.rx.recv() => {
                let (event, object) = event?;
                push_event(&mut out, event.as_str(), &object);
                while out.len() < CHUNK {
                    let Ok((event, object)) = self.rx.try_recv() else { break };
                    push_event(&mut out, event.as_str(), &object);
                }
                Some(out.freeze())
            }
            () = until(self.deadline) => None,
            () = until(self.next_bookmark) => {
                // Every event at or below the store's resourceVersion is
                // already queued (writes fan out under the store's lock), so
                // after draining the queue the bookmark cannot overtake one.
                let mut rv = lock(&self.cluster.store).rv();
                while let Ok((event, object)) = self.rx.try_recv() {
                    rv = rv.max(object.rv);
                    push_event(&mut out, event.as_str(), &object);
                }
                push_bookmark(&mut out, self.rt, rv, false);
                self.next_bookmark = Some(Instant::now() + BOOKMARK_INTERVAL);
                Some(out.freeze())
            }
        }
    }
}

fn push_event(out: &mut BytesMut, event: &str, object: &Object) {
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(event.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    out.extend_from_slice(&object.json);
    out.extend_from_slice(b"}\n");
}

fn push_bookmark(out: &mut BytesMut, rt: &ResourceType, rv: u64, initial_end: bool) {
    let mut object = json!({
        "kind": rt.kind,
        "apiVersion": rt.api_version(),
        "metadata": {"resourceVersion": rv.to_string()},
    });
    if initial_end {
        object["metadata"]["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let line = json!({"type": "BOOKMARK", "object": object});
    out.extend_from_slice(line.to_string().as_bytes());
    out.extend_from_slice(b"\n");
}
