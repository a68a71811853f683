//! The object store of one sandbox cluster: objects with resourceVersions,
//! a bounded history of changes, and the watch fan-out.
//!
//! Like etcd behind a real API server there is one resourceVersion counter per
//! cluster; every write bumps it. Objects are kept as pre-encoded JSON (what
//! list, get and watch send) plus the few values selectors read, so a list or
//! a watch event costs a copy of bytes, not a re-serialisation.
//!
//! Writes and the fan-out happen under one lock, so watchers see changes in
//! resourceVersion order. Each watcher has a bounded buffer; a watcher whose
//! buffer is full is closed (its client re-watches from its last
//! resourceVersion, as after any dropped connection), so a slow or vanished
//! client never blocks a write or another watcher.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

use super::resources::{RESOURCES, ResourceId, ResourceType};
use super::selector::{FieldSelector, LabelSelector};

/// How many changes the store remembers for watches that resume from a
/// resourceVersion. Older resourceVersions get `410 Expired`.
pub const HISTORY_LIMIT: usize = 10_000;

/// How many events a watcher may have queued before it is closed.
pub const WATCH_BUFFER: usize = 2_048;

/// `(namespace, name)`; the namespace is empty for cluster-scoped objects.
/// Sorting by it gives the order of etcd keys, which is the list order of a
/// real API server.
pub type Key = (String, String);

/// One stored object.
#[derive(Debug)]
pub struct Object {
    pub namespace: String,
    pub name: String,
    pub rv: u64,
    /// The object as compact JSON, `metadata.resourceVersion` included.
    pub json: Bytes,
    /// `metadata.labels`, sorted by key.
    pub labels: Vec<(String, String)>,
    /// Values of the resource's extra selectable fields, in
    /// [`ResourceType::fields`] order.
    pub fields: Vec<String>,
}

impl Object {
    /// Encode an object at resourceVersion `rv` (set in its metadata).
    pub fn with_rv(resource: &ResourceType, mut value: Value, rv: u64) -> Object {
        set_resource_version(&mut value, rv);
        Object::new(resource, &value, rv)
    }

    /// Index an object whose `metadata.resourceVersion` is already `rv`.
    fn new(resource: &ResourceType, value: &Value, rv: u64) -> Object {
        let meta = value.get("metadata");
        let text = |key: &str| {
            meta.and_then(|m| m.get(key))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let mut labels: Vec<(String, String)> = meta
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        labels.sort();
        let fields = resource
            .fields
            .iter()
            .map(|f| match value.pointer(f.pointer) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Bool(b)) => b.to_string(),
                Some(Value::Number(n)) => n.to_string(),
                _ => f.default.to_string(),
            })
            .collect();
        Object {
            namespace: text("namespace"),
            name: text("name"),
            rv,
            json: Bytes::from(value.to_string()),
            labels,
            fields,
        }
    }

    pub fn key(&self) -> Key {
        (self.namespace.clone(), self.name.clone())
    }

    /// The object as a JSON value, for writes that change it.
    pub fn to_value(&self) -> Value {
        // The bytes were produced from a `Value`, so they always parse.
        serde_json::from_slice(&self.json).unwrap_or(Value::Null)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One write, as kept in the history.
#[derive(Debug)]
struct Change {
    rv: u64,
    resource: ResourceId,
    event: EventType,
    /// The object before the write (to tell a watcher with a selector that
    /// an object left or entered its selection).
    old: Option<Arc<Object>>,
    /// The object after the write; for a delete, its last state at the
    /// deletion's resourceVersion.
    object: Arc<Object>,
}

/// What a list or a watch selects.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    pub fn matches(&self, object: &Object) -> bool {
        self.namespace
            .as_ref()
            .is_none_or(|ns| *ns == object.namespace)
            && self.labels.matches(&object.labels)
            && self
                .fields
                .matches(&object.name, &object.namespace, &object.fields)
    }

    /// The event a watcher with this filter sees for a change, if any: a
    /// modification that moves an object out of a selection is a deletion
    /// for that watcher, one that moves it in is an addition (as the real
    /// watch cache does).
    fn event_for(&self, change: &Change) -> Option<EventType> {
        let before = change.old.as_ref().is_some_and(|o| self.matches(o));
        match change.event {
            EventType::Deleted => before.then_some(EventType::Deleted),
            _ => match (before, self.matches(&change.object)) {
                (false, true) => Some(EventType::Added),
                (true, true) => Some(EventType::Modified),
                (true, false) => Some(EventType::Deleted),
                (false, false) => None,
            },
        }
    }
}

pub type WatchEvent = (EventType, Arc<Object>);

struct Watcher {
    id: u64,
    filter: Filter,
    tx: mpsc::Sender<WatchEvent>,
}

/// Where a new watch starts.
#[derive(Debug, Clone, Copy)]
pub enum WatchFrom {
    /// Send every event after this resourceVersion.
    ResourceVersion(u64),
    /// Send the current objects as `ADDED` first (no resourceVersion, `0`, or
    /// `sendInitialEvents=true`).
    Current,
}

/// A registered watch: what to send first, then `rx` for what follows.
pub struct Registration {
    pub id: u64,
    pub initial: Vec<WatchEvent>,
    /// The store's resourceVersion when the watch started.
    pub rv: u64,
    pub rx: mpsc::Receiver<WatchEvent>,
}

/// The resourceVersion asked for is older than the history window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    pub requested: u64,
    pub oldest: u64,
}

/// A page of a list.
pub struct Page {
    pub items: Vec<Arc<Object>>,
    /// The key to continue after, when more objects may follow.
    pub next: Option<Key>,
    pub rv: u64,
}

/// The result of a write closure: store this value, delete the object, or
/// leave everything as it is (no new resourceVersion, no event).
pub enum Write {
    Put(Value),
    Delete,
    Unchanged,
}

pub struct Store {
    rv: u64,
    buckets: Vec<BTreeMap<Key, Arc<Object>>>,
    history: VecDeque<Arc<Change>>,
    history_limit: usize,
    /// Every change at or below this resourceVersion has left the history.
    compacted: u64,
    watchers: Vec<Vec<Watcher>>,
    next_watcher: u64,
}

impl Store {
    pub fn new(history_limit: usize) -> Store {
        Store {
            rv: 0,
            buckets: RESOURCES.iter().map(|_| BTreeMap::new()).collect(),
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            compacted: 0,
            watchers: RESOURCES.iter().map(|_| Vec::new()).collect(),
            next_watcher: 0,
        }
    }

    /// Insert loaded objects (each with its own resourceVersion), without
    /// history: a watch must start from the loaded state or later.
    pub fn load(&mut self, objects: Vec<(ResourceId, Object)>) {
        for (resource, object) in objects {
            self.rv = self.rv.max(object.rv);
            self.buckets[resource].insert(object.key(), Arc::new(object));
        }
        self.compacted = self.rv;
    }

    pub fn rv(&self) -> u64 {
        self.rv
    }

    pub fn get(&self, resource: ResourceId, namespace: &str, name: &str) -> Option<Arc<Object>> {
        // A borrowed two-string key cannot be built without allocating;
        // a get is rare next to lists and watches.
        self.buckets[resource]
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// Up to `limit` objects (0: all) matching `filter`, in key order,
    /// starting after `after`.
    pub fn list(
        &self,
        resource: ResourceId,
        filter: &Filter,
        after: Option<&Key>,
        limit: usize,
    ) -> Page {
        let bucket = &self.buckets[resource];
        let start = match (after, &filter.namespace) {
            (Some(key), _) => Bound::Excluded(key.clone()),
            (None, Some(ns)) => Bound::Included((ns.clone(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let mut iter = bucket
            .range((start, Bound::Unbounded))
            .take_while(|((ns, _), _)| filter.namespace.as_ref().is_none_or(|want| want == ns))
            .peekable();
        let mut items = Vec::new();
        let mut next = None;
        while let Some((key, object)) = iter.next() {
            if filter.matches(object) {
                items.push(Arc::clone(object));
                if limit > 0 && items.len() == limit {
                    if iter.peek().is_some() {
                        next = Some(key.clone());
                    }
                    break;
                }
            }
        }
        Page {
            items,
            next,
            rv: self.rv,
        }
    }

    /// Read-modify-write one object under the store's lock: `change` sees
    /// the current object (if any) and decides. Returns the written object
    /// (for a delete: its last state, at the deletion's resourceVersion), or
    /// `None` for a delete of nothing.
    pub fn write<E>(
        &mut self,
        resource: ResourceId,
        key: &Key,
        change: impl FnOnce(Option<&Arc<Object>>) -> Result<Write, E>,
    ) -> Result<Option<Arc<Object>>, E> {
        let current = self.buckets[resource].get(key).cloned();
        Ok(match change(current.as_ref())? {
            Write::Put(value) => Some(self.commit(resource, key, value, current)),
            Write::Delete => self.remove(resource, key),
            Write::Unchanged => current,
        })
    }

    fn commit(
        &mut self,
        resource: ResourceId,
        key: &Key,
        value: Value,
        old: Option<Arc<Object>>,
    ) -> Arc<Object> {
        self.rv += 1;
        let object = Arc::new(Object::with_rv(&RESOURCES[resource], value, self.rv));
        let event = if old.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.buckets[resource].insert(key.clone(), Arc::clone(&object));
        self.record(Change {
            rv: self.rv,
            resource,
            event,
            old,
            object: Arc::clone(&object),
        });
        object
    }

    /// Delete every namespaced object in `namespace` (the namespace
    /// controller's job in a real cluster; the sandbox does it at once).
    pub fn delete_namespace_contents(&mut self, namespace: &str) {
        for (resource, rt) in RESOURCES.iter().enumerate() {
            if !rt.namespaced {
                continue;
            }
            let keys: Vec<Key> = self.buckets[resource]
                .range((namespace.to_string(), String::new())..)
                .take_while(|((ns, _), _)| ns == namespace)
                .map(|(k, _)| k.clone())
                .collect();
            for key in keys {
                self.remove(resource, &key);
            }
        }
    }

    /// Remove an object, recording a `DELETED` change at a new resourceVersion.
    fn remove(&mut self, resource: ResourceId, key: &Key) -> Option<Arc<Object>> {
        let old = self.buckets[resource].remove(key)?;
        self.rv += 1;
        let object = Arc::new(Object::with_rv(
            &RESOURCES[resource],
            old.to_value(),
            self.rv,
        ));
        self.record(Change {
            rv: self.rv,
            resource,
            event: EventType::Deleted,
            old: Some(old),
            object: Arc::clone(&object),
        });
        Some(object)
    }

    fn record(&mut self, change: Change) {
        let change = Arc::new(change);
        self.fan_out(&change);
        self.history.push_back(change);
        while self.history.len() > self.history_limit {
            if let Some(dropped) = self.history.pop_front() {
                self.compacted = dropped.rv;
            }
        }
    }

    fn fan_out(&mut self, change: &Change) {
        self.watchers[change.resource].retain(|w| {
            let Some(event) = w.filter.event_for(change) else {
                return true;
            };
            match w.tx.try_send((event, Arc::clone(&change.object))) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::info!(watcher = w.id, "closing a watch that fell behind");
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
    }

    /// Register a watch. Events are decided under the same lock as writes,
    /// so nothing falls between `initial` and `rx`.
    pub fn watch(
        &mut self,
        resource: ResourceId,
        filter: Filter,
        from: WatchFrom,
    ) -> Result<Registration, Expired> {
        let initial = match from {
            WatchFrom::ResourceVersion(requested) if requested < self.compacted => {
                return Err(Expired {
                    requested,
                    oldest: self.compacted + 1,
                });
            }
            // A resourceVersion this store never issued: the client watched a
            // previous run of the sandbox (restarted on the same port). A real
            // API server answers "too large resource version" until it catches
            // up, which never happens here; 410 makes the client relist.
            WatchFrom::ResourceVersion(requested) if requested > self.rv() => {
                return Err(Expired {
                    requested,
                    oldest: self.compacted + 1,
                });
            }
            WatchFrom::ResourceVersion(requested) => {
                let start = self.history.partition_point(|c| c.rv <= requested);
                self.history
                    .range(start..)
                    .filter(|c| c.resource == resource)
                    .filter_map(|c| filter.event_for(c).map(|e| (e, Arc::clone(&c.object))))
                    .collect()
            }
            WatchFrom::Current => self
                .list(resource, &filter, None, 0)
                .items
                .into_iter()
                .map(|o| (EventType::Added, o))
                .collect(),
        };
        let (tx, rx) = mpsc::channel(WATCH_BUFFER);
        self.next_watcher += 1;
        let id = self.next_watcher;
        self.watchers[resource].push(Watcher { id, filter, tx });
        Ok(Registration {
            id,
            initial,
            rv: self.rv,
            rx,
        })
    }

    pub fn unwatch(&mut self, resource: ResourceId, id: u64) {
        self.watchers[resource].retain(|w| w.id != id);
    }

    /// Close the watches on `resource` that can see `namespace` (all of them
    /// for `None`); their clients re-watch.
    pub fn close_watches(&mut self, resource: ResourceId, namespace: Option<&str>) {
        self.watchers[resource].retain(|w| match (namespace, &w.filter.namespace) {
            (None, _) | (_, None) => false,
            (Some(ns), Some(watched)) => ns != watched,
        });
    }

    /// How many watches are open (for tests and logs).
    pub fn watch_count(&self) -> usize {
        self.watchers.iter().map(Vec::len).sum()
    }
}

/// The string at a JSON pointer, or `""` when it is absent or not a string
/// (the Go zero value a real server would read).
pub(crate) fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn set_resource_version(value: &mut Value, rv: u64) {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::resources::by_path;
    use serde_json::json;

    fn cm(ns: &str, name: &str, app: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"namespace": ns, "name": name, "labels": {"app": app}}})
    }

    fn configmaps() -> ResourceId {
        by_path("", "v1", "configmaps").unwrap_or_default()
    }

    /// Loaded objects at resourceVersions 1, 2, 3…
    fn loaded(values: Vec<Value>) -> Vec<(ResourceId, Object)> {
        let r = configmaps();
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| (r, Object::with_rv(&RESOURCES[r], v, i as u64 + 1)))
            .collect()
    }

    fn key(ns: &str, name: &str) -> Key {
        (ns.to_string(), name.to_string())
    }

    #[test]
    fn pages_follow_key_order_within_a_namespace() {
        let mut store = Store::new(10);
        let r = configmaps();
        store.load(loaded(vec![
            cm("b", "x", "web"),
            cm("a", "z", "web"),
            cm("a", "y", "web"),
            cm("c", "w", "db"),
        ]));
        let all = Filter::default();
        let first = store.list(r, &all, None, 2);
        let names: Vec<&str> = first.items.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["y", "z"]);
        let second = store.list(r, &all, first.next.as_ref(), 2);
        let names: Vec<&str> = second.items.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["x", "w"]);
        assert!(second.next.is_none());
        let in_a = Filter {
            namespace: Some("a".into()),
            ..Filter::default()
        };
        assert_eq!(store.list(r, &in_a, None, 0).items.len(), 2);
        let web = Filter {
            labels: LabelSelector::parse("app=web").unwrap_or_default(),
            ..Filter::default()
        };
        assert_eq!(store.list(r, &web, None, 0).items.len(), 3);
    }

    #[test]
    fn watches_replay_history_and_expire_beyond_it() {
        let mut store = Store::new(2);
        let r = configmaps();
        store.load(loaded(vec![cm("a", "x", "web")]));
        let loaded = store.rv();
        for i in 0..3 {
            let _ = store.write::<()>(r, &key("a", "x"), |_| {
                Ok(Write::Put(cm("a", "x", &format!("v{i}"))))
            });
        }
        assert!(
            store
                .watch(r, Filter::default(), WatchFrom::ResourceVersion(loaded))
                .is_err()
        );
        let reg = store.watch(r, Filter::default(), WatchFrom::ResourceVersion(loaded + 1));
        let Ok(reg) = reg else { panic!("expired") };
        assert_eq!(reg.initial.len(), 2);
        assert!(reg.initial.iter().all(|(e, _)| *e == EventType::Modified));
    }

    #[test]
    fn a_resource_version_from_the_future_expires() {
        let mut store = Store::new(10);
        let r = configmaps();
        store.load(loaded(vec![cm("a", "x", "web")]));
        let from = WatchFrom::ResourceVersion(store.rv() + 5);
        assert!(store.watch(r, Filter::default(), from).is_err());
        let now = WatchFrom::ResourceVersion(store.rv());
        assert!(store.watch(r, Filter::default(), now).is_ok());
    }

    #[test]
    fn selector_transitions_become_added_and_deleted() {
        let mut store = Store::new(100);
        let r = configmaps();
        store.load(loaded(vec![cm("a", "x", "web")]));
        let web = Filter {
            labels: LabelSelector::parse("app=web").unwrap_or_default(),
            ..Filter::default()
        };
        let reg = store.watch(r, web, WatchFrom::Current);
        let Ok(mut reg) = reg else { panic!("expired") };
        assert_eq!(reg.initial.len(), 1);
        let _ = store.write::<()>(r, &key("a", "x"), |_| Ok(Write::Put(cm("a", "x", "db"))));
        let _ = store.write::<()>(r, &key("a", "x"), |_| Ok(Write::Put(cm("a", "x", "web"))));
        let _ = store.write::<()>(r, &key("a", "x"), |_| Ok(Write::Delete));
        let mut events = Vec::new();
        while let Ok((e, o)) = reg.rx.try_recv() {
            events.push((e, o.rv));
        }
        let loaded = 1;
        assert_eq!(
            events,
            [
                (EventType::Deleted, loaded + 1),
                (EventType::Added, loaded + 2),
                (EventType::Deleted, loaded + 3)
            ]
        );
    }

    #[test]
    fn a_full_watcher_is_closed_without_blocking_writes() {
        let mut store = Store::new(100_000);
        let r = configmaps();
        store.load(loaded(vec![cm("a", "x", "web")]));
        let slow = store.watch(r, Filter::default(), WatchFrom::Current);
        let Ok(mut slow) = slow else {
            panic!("expired")
        };
        for i in 0..(WATCH_BUFFER + 10) {
            let _ = store.write::<()>(r, &key("a", "x"), |_| {
                Ok(Write::Put(cm("a", "x", &i.to_string())))
            });
        }
        assert_eq!(store.watch_count(), 0);
        let mut received = 0;
        while slow.rx.try_recv().is_ok() {
            received += 1;
        }
        assert_eq!(received, WATCH_BUFFER);
    }
}
