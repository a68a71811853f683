//! Strings the API repeats on every object — a condition's type and status,
//! a pod's phase — kept without an allocation when they are the usual words.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// A string that is usually one of a few API words: those are borrowed from
/// the program, anything else is owned. Compares with `==` against a `&str`.
pub type Word = Cow<'static, str>;

/// The words worth not allocating: condition types and statuses, phases,
/// DNS policies, address types, port protocols.
const KNOWN: [&str; 23] = [
    "True",
    "False",
    "Unknown",
    "Ready",
    "ContainersReady",
    "Initialized",
    "PodScheduled",
    "PodReadyToStartContainers",
    "DisruptionTarget",
    "Running",
    "Pending",
    "Succeeded",
    "Failed",
    "ClusterFirst",
    "ClusterFirstWithHostNet",
    "Default",
    "None",
    "IPv4",
    "IPv6",
    "FQDN",
    "TCP",
    "UDP",
    "SCTP",
];

/// The program's own copy of `s`, when it is a known word.
fn known(s: &str) -> Option<&'static str> {
    KNOWN.iter().find(|w| **w == s).copied()
}

/// `s` as a [`Word`]: borrowed when it is a known word, else copied.
pub fn word_of(s: &str) -> Word {
    known(s).map_or_else(|| Cow::Owned(s.to_string()), Cow::Borrowed)
}

struct WordVisitor;

impl<'de> Visitor<'de> for WordVisitor {
    type Value = Option<Word>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Some(word_of(s)))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
        Ok(Some(known(&s).map_or(Cow::Owned(s), Cow::Borrowed)))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(WordVisitor)
    }
}

/// `#[serde(deserialize_with = "super::word")]`: `null` is the empty word.
pub fn word<'de, D: Deserializer<'de>>(d: D) -> Result<Word, D::Error> {
    Ok(optional_word(d)?.unwrap_or(Cow::Borrowed("")))
}

/// `#[serde(deserialize_with = "super::optional_word")]`.
pub fn optional_word<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Word>, D::Error> {
    d.deserialize_option(WordVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "word")]
        a: Word,
        #[serde(default, deserialize_with = "optional_word")]
        b: Option<Word>,
    }

    #[test]
    fn known_words_are_borrowed_and_others_owned() {
        let p: Probe = serde_json::from_str(r#"{"a": "Ready", "b": "custom.example.com/gate"}"#)
            .expect("decodes");
        assert!(matches!(p.a, Cow::Borrowed("Ready")));
        assert!(matches!(p.b.as_deref(), Some("custom.example.com/gate")));
        assert!(matches!(p.b, Some(Cow::Owned(_))));
        // From a value (owned strings on the way in) too.
        let p: Probe =
            serde_json::from_value(serde_json::json!({"a": "True", "b": null})).expect("decodes");
        assert!(matches!(p.a, Cow::Borrowed("True")));
        assert!(p.b.is_none());
        let p: Probe = serde_json::from_str(r#"{"a": null}"#).expect("decodes");
        assert_eq!(p.a, "");
    }
}
