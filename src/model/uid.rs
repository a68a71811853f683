//! Object uids, held without an allocation.
//!
//! The API server gives every object a uid that is a UUID in its canonical
//! text, 36 ASCII characters. As a `String` that is 24 bytes inline and a
//! 48-byte block on the heap, for every object and for every reference to
//! one (an EndpointSlice's `targetRef`): 168,000 of them on a cluster of
//! 50,000 pods. [`Uid`] keeps those 36 bytes inline and boxes anything
//! else (a hand-written manifest's `u1`). It reads as a `&str`, so the
//! engine reads `meta.uid.as_deref()` as it would a `String`.

use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The length of a UUID in its canonical text.
const CANONICAL: usize = 36;

/// A uid: 36 ASCII bytes inline (every uid an API server assigns), any
/// other text boxed. Equal texts are always the same variant, so equality
/// and hashing are those of the text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Uid {
    Inline([u8; CANONICAL]),
    Other(Box<str>),
}

impl Uid {
    pub fn as_str(&self) -> &str {
        match self {
            // Only ASCII is put inline (`From<&str>`), so this never fails.
            Uid::Inline(bytes) => std::str::from_utf8(bytes).unwrap_or_default(),
            Uid::Other(s) => s,
        }
    }

    /// The text's bytes, as [`Uid::as_str`] without proving them UTF-8
    /// again (about 190 instructions for 36 bytes): what comparing two uids
    /// needs, and the engine compares one per endpoint and selected pod.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Uid::Inline(bytes) => bytes,
            Uid::Other(s) => s.as_bytes(),
        }
    }
}

impl From<&str> for Uid {
    fn from(s: &str) -> Self {
        match <[u8; CANONICAL]>::try_from(s.as_bytes()) {
            Ok(bytes) if s.is_ascii() => Uid::Inline(bytes),
            _ => Uid::Other(s.into()),
        }
    }
}

impl From<String> for Uid {
    fn from(s: String) -> Self {
        if s.len() == CANONICAL && s.is_ascii() {
            Uid::from(s.as_str())
        } else {
            Uid::Other(s.into_boxed_str())
        }
    }
}

impl Deref for Uid {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialises as its text.
impl serde::Serialize for Uid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

struct UidVisitor;

impl Visitor<'_> for UidVisitor {
    type Value = Uid;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a uid")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Uid, E> {
        Ok(Uid::from(s))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Uid, E> {
        Ok(Uid::from(s))
    }
}

impl<'de> Deserialize<'de> for Uid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(UidVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UUID is held inline, anything else boxed, and both read back as
    /// the text they came from, from borrowed and from owned strings alike.
    /// A 36-byte text that is not ASCII cannot go inline (its bytes would
    /// not be a `str` on their own terms) and is boxed.
    #[test]
    fn uuids_are_inline_and_read_back_as_text() {
        let uuid = "6f1c0b52-1f0e-4b9e-9a53-0d8d3a6f4c21";
        let u: Uid = serde_json::from_str(&format!("\"{uuid}\"")).expect("decodes");
        assert!(matches!(u, Uid::Inline(_)));
        assert_eq!(&*u, uuid);
        let owned: Uid = serde_json::from_value(serde_json::json!(uuid)).expect("decodes");
        assert_eq!(owned, u);

        let short: Uid = serde_json::from_str("\"u1\"").expect("decodes");
        assert!(matches!(short, Uid::Other(_)));
        assert_eq!(short.as_str(), "u1");

        // 36 bytes, but not ASCII: 34 ASCII characters and one of two bytes.
        let wide = format!("{}é", "x".repeat(34));
        assert_eq!(wide.len(), 36);
        let u = Uid::from(wide.as_str());
        assert!(matches!(u, Uid::Other(_)));
        assert_eq!(u.as_str(), wide);
        assert_eq!(Uid::from(wide.clone()), u);

        let opt: Option<Uid> = serde_json::from_str("null").expect("decodes");
        assert_eq!(opt, None);
        assert!(serde_json::from_str::<Uid>("7").is_err());
    }

    /// `as_bytes` is the text's bytes, inline or boxed, so comparing bytes
    /// is comparing texts: equal uids equal, a uid one byte apart (near
    /// miss: the same length and prefix) and the same text in the other
    /// variant's length not.
    #[test]
    fn a_uid_s_bytes_are_its_text_s() {
        let a = "6f1c0b52-1f0e-4b9e-9a53-0d8d3a6f4c21";
        let b = "6f1c0b52-1f0e-4b9e-9a53-0d8d3a6f4c22";
        let wide = format!("{}é", "x".repeat(34));
        for text in [a, b, "u1", "", wide.as_str()] {
            assert_eq!(Uid::from(text).as_bytes(), text.as_bytes(), "{text}");
            assert_eq!(Uid::from(text.to_string()).as_bytes(), text.as_bytes());
        }
        assert_eq!(Uid::from(a).as_bytes(), Uid::from(a.to_string()).as_bytes());
        assert_ne!(Uid::from(a).as_bytes(), Uid::from(b).as_bytes());
        assert_ne!(Uid::from(a).as_bytes(), Uid::from(&a[..35]).as_bytes());
    }

    /// What the model saves per uid, which is why the type exists.
    #[test]
    fn an_optional_uid_is_smaller_than_a_string_and_its_block() {
        assert!(size_of::<Option<Uid>>() <= 40);
    }
}
