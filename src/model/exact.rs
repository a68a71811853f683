//! Lists decoded at their exact length.
//!
//! serde decodes a JSON array into a `Vec` that grows as elements arrive
//! (the JSON text does not say how many follow), so a pod's five conditions
//! sit in room for eight and an endpoint's one address in room for four.
//! Shrinking afterwards does not help: an allocator may keep the block in
//! place when it shrinks by less than half. Decoding into a buffer on the
//! stack and then allocating exactly once does: on the synthetic L cluster
//! the slack was 70 MB of 327 (`benches/heap.rs`).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};
use smallvec::SmallVec;

/// Elements held on the stack before a list spills to the heap.
const ON_STACK: usize = 8;

struct ExactVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ExactVisitor<T> {
    type Value = Option<Vec<T>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut buf: SmallVec<[T; ON_STACK]> = SmallVec::new();
        while let Some(item) = seq.next_element()? {
            buf.push(item);
        }
        Ok(Some(exactly(buf)))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

/// The elements of `buf` in a `Vec` of exactly their number.
fn exactly<T>(buf: SmallVec<[T; ON_STACK]>) -> Vec<T> {
    let mut out = Vec::with_capacity(buf.len());
    out.extend(buf);
    out
}

/// `#[serde(deserialize_with = "super::exact")]` for a `Vec` field
/// (`null` is empty).
pub fn exact<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(optional_exact(d)?.unwrap_or_default())
}

/// `#[serde(deserialize_with = "super::optional_exact")]` for an
/// `Option<Vec>` field.
pub fn optional_exact<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_option(ExactVisitor(PhantomData))
}

/// A pooled value made as small as it can be before it is kept: only the
/// first of equal values is, so this costs one copy per distinct value.
pub trait Compact {
    fn compact(self) -> Self;
}

impl<T> Compact for Vec<T> {
    fn compact(self) -> Self {
        if self.capacity() == self.len() {
            return self;
        }
        let mut out = Vec::with_capacity(self.len());
        out.extend(self);
        out
    }
}

/// Keep the elements `keep` says, in a list of exactly their number:
/// `retain` alone leaves them in the old, larger block. No copy when every
/// element stays in a list decoded at its length.
pub fn retain_exact<T>(list: &mut Vec<T>, keep: impl FnMut(&T) -> bool) {
    list.retain(keep);
    *list = std::mem::take(list).compact();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "exact")]
        list: Vec<u32>,
        #[serde(default, deserialize_with = "optional_exact")]
        maybe: Option<Vec<String>>,
    }

    #[test]
    fn lists_have_exactly_their_length() {
        for n in [0usize, 1, 5, 8, 9, 100] {
            let list: Vec<usize> = (0..n).collect();
            let json = format!(r#"{{"list": {list:?}, "maybe": ["a", "b", "c"]}}"#);
            let p: Probe = serde_json::from_str(&json).expect("decodes");
            assert_eq!(p.list.len(), n);
            assert_eq!(p.list.capacity(), n, "{n} elements");
            assert!(p.list.iter().enumerate().all(|(i, v)| *v as usize == i));
            let maybe = p.maybe.expect("present");
            assert_eq!((maybe.len(), maybe.capacity()), (3, 3));
        }
    }

    #[test]
    fn null_and_absent_lists() {
        let p: Probe = serde_json::from_str(r#"{"list": null, "maybe": null}"#).expect("decodes");
        assert!(p.list.is_empty() && p.maybe.is_none());
        let p: Probe = serde_json::from_str("{}").expect("decodes");
        assert!(p.list.is_empty() && p.maybe.is_none());
        assert!(serde_json::from_str::<Probe>(r#"{"list": "x"}"#).is_err());
    }

    #[test]
    fn compact_keeps_the_elements_and_drops_the_slack() {
        let mut v = Vec::with_capacity(16);
        v.extend([1, 2, 3]);
        let v = v.compact();
        assert_eq!((v.as_slice(), v.capacity()), (&[1, 2, 3][..], 3));
    }
}
