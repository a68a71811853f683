//! The API's small string maps — labels, selectors, ConfigMap data — as a
//! sorted list.
//!
//! A `BTreeMap<String, String>` spends a 544-byte node on a map of one to
//! eleven entries; a label set is usually five. A cluster holds tens of
//! thousands of distinct label sets and selectors (pooled, see
//! [`super::Labels`]) and a data map per ConfigMap. [`StringMap`] keeps the
//! entries sorted by key in one exact-size allocation, with the part of
//! `BTreeMap`'s interface the engine uses: lookups are a binary search over a
//! handful of keys, iteration is in key order as before.

use compact_str::CompactString;
use std::fmt;
use std::hash::Hasher;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use smallvec::SmallVec;

use super::exact::Compact;
use super::shared::{Fingerprint, feed};

/// A map from string to string, sorted by key, each key once.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StringMap(Vec<(CompactString, CompactString)>);

impl StringMap {
    pub fn new() -> Self {
        StringMap(Vec::new())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&CompactString> {
        self.find(key).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Set `key` to `value`; the value it had, if any.
    pub fn insert(
        &mut self,
        key: impl Into<CompactString>,
        value: impl Into<CompactString>,
    ) -> Option<CompactString> {
        let (key, value) = (key.into(), value.into());
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<CompactString> {
        self.find(key).ok().map(|i| self.0.remove(i).1)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entries in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.0.iter())
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &CompactString> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    /// From entries in any order; of equal keys the last wins, as inserting
    /// them one by one would.
    fn from_entries<const N: usize>(
        mut entries: SmallVec<[(CompactString, CompactString); N]>,
    ) -> Self
    where
        [(CompactString, CompactString); N]: smallvec::Array<Item = (CompactString, CompactString)>,
    {
        // Stable: equal keys keep their order, and dedup keeps the first of
        // a run, so reverse each run's order first by sorting the reverse.
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, kept| later.0 == kept.0);
        let mut out = Vec::with_capacity(entries.len());
        out.extend(entries);
        StringMap(out)
    }
}

/// Iterates a [`StringMap`] as a `BTreeMap` iterates: `(&key, &value)`.
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (CompactString, CompactString)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a CompactString, &'a CompactString);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a StringMap {
    type Item = (&'a CompactString, &'a CompactString);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for StringMap {
    type Item = (CompactString, CompactString);
    type IntoIter = std::vec::IntoIter<(CompactString, CompactString)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<K: Into<CompactString>, V: Into<CompactString>> FromIterator<(K, V)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let entries: SmallVec<[(CompactString, CompactString); 8]> = iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        StringMap::from_entries(entries)
    }
}

impl<K: Into<CompactString>, V: Into<CompactString>, const N: usize> From<[(K, V); N]>
    for StringMap
{
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl fmt::Debug for StringMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for StringMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor;

        impl<'de> Visitor<'de> for MapVisitor {
            type Value = StringMap;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of strings")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StringMap, A::Error> {
                let mut entries: SmallVec<[(CompactString, CompactString); 8]> = SmallVec::new();
                while let Some(entry) = map.next_entry::<CompactString, CompactString>()? {
                    entries.push(entry);
                }
                Ok(StringMap::from_entries(entries))
            }
        }

        d.deserialize_map(MapVisitor)
    }
}

/// What tells label sets apart: every pair.
impl Fingerprint for StringMap {
    fn fingerprint(&self, h: &mut dyn Hasher) {
        for (k, v) in self {
            feed(h, Some(k));
            feed(h, Some(v));
        }
    }
}

/// Decoded at its exact size already.
impl Compact for StringMap {
    fn compact(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_like_a_btree_map() {
        let m: StringMap =
            serde_json::from_str(r#"{"tier": "web", "app": "shop", "version": "v2"}"#)
                .expect("decodes");
        let keys: Vec<&str> = m.keys().map(CompactString::as_str).collect();
        assert_eq!(keys, ["app", "tier", "version"], "in key order");
        assert_eq!(m.get("tier").map(CompactString::as_str), Some("web"));
        assert_eq!(m.get("missing"), None);
        assert!(m.contains_key("app") && !m.contains_key("App"));
        assert_eq!(m.len(), 3);
        assert_eq!(
            serde_json::to_string(&m).expect("encodes"),
            r#"{"app":"shop","tier":"web","version":"v2"}"#
        );
        assert_eq!(
            format!("{m:?}"),
            r#"{"app": "shop", "tier": "web", "version": "v2"}"#
        );
    }

    /// Label keys and values are short: held inline, not one allocation
    /// each (a label set or ConfigMap's data is then one allocation); a
    /// long one is kept whole.
    #[test]
    fn short_entries_take_no_allocation() {
        let long = "a-value-that-is-longer-than-twenty-four-bytes";
        let m: StringMap = serde_json::from_str(&format!(
            r#"{{"app": "web", "pod-template-hash": "5d8f9c7b4", "note": "{long}"}}"#
        ))
        .expect("decodes");
        for (k, v) in &m {
            assert!(!k.is_heap_allocated(), "{k}");
            assert_eq!(v.is_heap_allocated(), v.len() > 24, "{v}");
        }
        assert_eq!(m.get("note").map(CompactString::as_str), Some(long));
    }

    #[test]
    fn the_last_of_equal_keys_wins_as_with_inserts() {
        let m = map(&[("a", "1"), ("b", "2"), ("a", "3")]);
        assert_eq!(m, map(&[("b", "2"), ("a", "3")]));
        assert_eq!(m.get("a").map(CompactString::as_str), Some("3"));
        let m: StringMap = serde_json::from_str(r#"{"a": "1", "a": "2"}"#).expect("decodes");
        assert_eq!(m.get("a").map(CompactString::as_str), Some("2"));
    }

    #[test]
    fn insert_and_remove_keep_it_sorted() {
        let mut m = map(&[("b", "2")]);
        assert_eq!(m.insert("c", "3"), None);
        assert_eq!(m.insert("a", "1"), None);
        assert_eq!(m.insert("b", "9").as_deref(), Some("2"));
        assert_eq!(m, map(&[("a", "1"), ("b", "9"), ("c", "3")]));
        assert_eq!(m.remove("b").as_deref(), Some("9"));
        assert_eq!(m.remove("b"), None);
        let pairs: Vec<(&CompactString, &CompactString)> = m.iter().collect();
        assert_eq!(pairs.len(), 2);
        assert!(pairs[0].0 < pairs[1].0);
    }

    #[test]
    fn an_empty_map_and_bad_input() {
        let m: StringMap = serde_json::from_str("{}").expect("decodes");
        assert!(m.is_empty());
        assert!(serde_json::from_str::<StringMap>(r#"{"a": 1}"#).is_err());
        assert!(serde_json::from_str::<StringMap>(r#"["a"]"#).is_err());
    }
}
