//! One copy of a decoded value that many objects carry unchanged.
//!
//! The pods of one ReplicaSet, and the ReplicaSet's and the Deployment's pod
//! templates, hold the same containers (image, environment, probes, ports)
//! field for field; on a large cluster these copies were most of the memory
//! (`docs/performance.md`). A [`Shared`] field is decoded as usual, then
//! looked up in a pool of the values of its type still alive: an equal one is
//! reused and the decoded copy dropped. Values are read-only in the engine;
//! a test that changes one gets its own copy (copy on write), so sharing is
//! never visible.
//!
//! The pool keys on a [`Fingerprint`]: a hash of the fields that tell values
//! apart in practice (the k8s-openapi types inside have no `Hash`), and only
//! `PartialEq` decides: a collision costs a comparison, never a wrong value.
//! It holds weak references, so a value lives exactly as long as the objects
//! that hold it; dead entries are swept as the pool grows.

use std::fmt::{self, Debug};
use std::hash::{BuildHasher, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, Weak};

use foldhash::fast::FixedState;
use hashbrown::HashTable;

pub use super::exact::Compact;
use serde::{Deserialize, Deserializer};

/// A value shared with every other object that holds an equal one.
#[derive(Clone, Default)]
pub struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    /// Whether `a` and `b` are one shared copy (not merely equal).
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// Where the shared copy is: equal for every holder of it.
    pub fn as_ptr(this: &Self) -> *const T {
        Arc::as_ptr(&this.0)
    }
}

impl<T: Pooled> Shared<T> {
    /// The live value equal to `value`, or `value` itself, now pooled (what
    /// decoding a `Shared` field does).
    pub fn pooled(value: T) -> Self {
        Shared(T::pool().intern(value))
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Writing copies the value first if anything else holds it.
impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

/// Serialises as the shared value.
impl<T: serde::Serialize> serde::Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<T: Eq> Eq for Shared<T> {}

impl<T: PartialOrd> PartialOrd for Shared<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(&other.0)
    }
}

impl<T: Ord> Ord for Shared<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl<T: Debug> Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Iterates like the shared value (a list or a map).
impl<'a, T> IntoIterator for &'a Shared<T>
where
    &'a T: IntoIterator,
{
    type Item = <&'a T as IntoIterator>::Item;
    type IntoIter = <&'a T as IntoIterator>::IntoIter;

    fn into_iter(self) -> Self::IntoIter {
        self.0.as_ref().into_iter()
    }
}

/// An optional shared list as a slice, empty when absent (`tolerations`,
/// `initContainers`).
pub fn list<T>(list: &Option<Shared<Vec<T>>>) -> &[T] {
    list.as_deref().map_or(&[], Vec::as_slice)
}

/// Not pooled: only decoding pools (where the copies come from).
impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Self {
        Shared(Arc::new(value))
    }
}

impl<'de, T: Deserialize<'de> + Pooled> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(|value| Shared(T::pool().intern(value)))
    }
}

/// A type with a pool of its live values.
pub trait Pooled: Fingerprint + PartialEq + Compact + Sized + 'static {
    fn pool() -> &'static Pool<Self>;
}

/// Feeds a hasher the fields that usually tell two values apart. Equal
/// values must feed the same; unequal ones may (equality decides).
pub trait Fingerprint {
    fn fingerprint(&self, h: &mut dyn Hasher);
}

impl<T: Fingerprint> Fingerprint for Vec<T> {
    fn fingerprint(&self, h: &mut dyn Hasher) {
        h.write_usize(self.len());
        for item in self {
            item.fingerprint(h);
        }
    }
}

/// A string field, delimited so that `("ab", "c")` and `("a", "bc")` differ.
pub fn feed(h: &mut dyn Hasher, s: Option<&str>) {
    match s {
        Some(s) => {
            h.write(s.as_bytes());
            h.write_u8(0xff);
        }
        None => h.write_u8(0xfe),
    }
}

/// The live values of one type, by fingerprint: one table entry each (the
/// fingerprint and a weak reference), no allocation of its own.
pub struct Pool<T> {
    inner: Mutex<Entries<T>>,
}

struct Entries<T> {
    table: HashTable<(u64, Weak<T>)>,
    /// Entries (dead ones included) at which to sweep next.
    sweep_at: usize,
}

/// Sweep no more often than every this many new entries.
const MIN_SWEEP: usize = 1024;

impl<T: Fingerprint + PartialEq + Compact> Pool<T> {
    pub fn new() -> Self {
        Pool {
            inner: Mutex::new(Entries {
                table: HashTable::new(),
                sweep_at: MIN_SWEEP,
            }),
        }
    }

    /// The live value equal to `value`, or `value` itself, now pooled.
    pub fn intern(&self, value: T) -> Arc<T> {
        let key = fingerprint(&value);
        // A poisoned pool only means another thread panicked mid-insert; the
        // map is still valid (every entry is checked when used).
        let mut e = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let same = |(h, w): &(u64, Weak<T>)| *h == key && w.upgrade().is_some_and(|l| *l == value);
        if let Some(live) = e.table.find(key, same).and_then(|(_, w)| w.upgrade()) {
            return live;
        }
        // Kept: without the slack decoding may have left.
        let value = Arc::new(value.compact());
        e.table
            .insert_unique(key, (key, Arc::downgrade(&value)), |(h, _)| *h);
        if e.table.len() >= e.sweep_at {
            e.table.retain(|(_, w)| w.strong_count() > 0);
            e.sweep_at = (e.table.len() * 2).max(MIN_SWEEP);
        }
        value
    }

    /// How many values the pool holds now (dead ones not yet swept included).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .table
            .len()
    }
}

impl<T: Fingerprint + PartialEq + Compact> Default for Pool<T> {
    fn default() -> Self {
        Self::new()
    }
}

fn fingerprint<T: Fingerprint>(value: &T) -> u64 {
    let mut h = FixedState::with_seed(0x5ba2_ed00_0000_0001).build_hasher();
    value.fingerprint(&mut h);
    h.finish()
}

/// `Pooled` for a type, with its own pool.
macro_rules! pooled {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::model::shared::Pooled for $t {
            fn pool() -> &'static $crate::model::shared::Pool<Self> {
                static POOL: std::sync::LazyLock<$crate::model::shared::Pool<$t>> =
                    std::sync::LazyLock::new($crate::model::shared::Pool::new);
                &POOL
            }
        }
    )*};
}

pub(crate) use pooled;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Deserialize)]
    struct Probe {
        name: String,
        args: Vec<String>,
    }
    pooled!(Probe);

    impl Compact for Probe {
        fn compact(self) -> Self {
            self
        }
    }

    impl Fingerprint for Probe {
        fn fingerprint(&self, h: &mut dyn Hasher) {
            feed(h, Some(&self.name));
        }
    }

    fn decode(json: &str) -> Shared<Probe> {
        serde_json::from_str(json).expect("decodes")
    }

    #[test]
    fn equal_values_decode_to_one_copy() {
        let a = decode(r#"{"name": "web", "args": ["--port=80"]}"#);
        let b = decode(r#"{"args": ["--port=80"], "name": "web"}"#);
        let c = decode(r#"{"name": "web", "args": ["--port=81"]}"#);
        assert!(Shared::ptr_eq(&a, &b), "equal values share one copy");
        assert!(!Shared::ptr_eq(&a, &c), "a different value keeps its own");
        assert_eq!(c.args, ["--port=81"]);
    }

    #[test]
    fn writing_copies_first() {
        let a = decode(r#"{"name": "db", "args": []}"#);
        let mut b = decode(r#"{"name": "db", "args": []}"#);
        assert!(Shared::ptr_eq(&a, &b));
        b.args.push("--verbose".into());
        assert!(a.args.is_empty(), "the other holder's value is unchanged");
        assert_eq!(b.args, ["--verbose"]);
    }

    #[test]
    fn a_colliding_fingerprint_never_yields_a_wrong_value() {
        // `Probe`'s fingerprint is its name only: these two collide.
        let pool: Pool<Probe> = Pool::new();
        let probe = |args: &[&str]| Probe {
            name: "same".into(),
            args: args.iter().map(|a| a.to_string()).collect(),
        };
        let a = pool.intern(probe(&["--a"]));
        let b = pool.intern(probe(&["--b"]));
        assert_eq!(b.args, ["--b"]);
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&a, &pool.intern(probe(&["--a"]))));
        assert!(Arc::ptr_eq(&b, &pool.intern(probe(&["--b"]))));
    }

    #[test]
    fn values_live_only_as_long_as_their_holders() {
        let pool: Pool<Probe> = Pool::new();
        let weak = {
            let held = pool.intern(Probe {
                name: "gone".into(),
                args: vec![],
            });
            Arc::downgrade(&held)
        };
        assert!(weak.upgrade().is_none(), "the pool does not keep it alive");
        // Enough new values to sweep: the dead entries go.
        let held: Vec<_> = (0..MIN_SWEEP)
            .map(|i| {
                pool.intern(Probe {
                    name: format!("p{i}"),
                    args: vec![],
                })
            })
            .collect();
        assert!(pool.len() <= held.len(), "dead entries were swept");
    }
}
