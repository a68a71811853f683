//! `core/v1` Events as the engine reads them (warnings about pods and
//! Services).

use compact_str::CompactString;
use k8s_openapi::api::core::v1::{EventSeries, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};
use serde::Deserialize;

use super::meta::Meta;

/// `core/v1` Event.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Event {
    #[serde(deserialize_with = "super::or_default")]
    pub metadata: Meta,
    #[serde(deserialize_with = "super::or_default")]
    pub involved_object: ObjectReference,
    #[serde(rename = "type")]
    pub type_: Option<CompactString>,
    pub reason: Option<CompactString>,
    pub message: Option<String>,
    pub count: Option<i32>,
    pub first_timestamp: Option<Time>,
    pub last_timestamp: Option<Time>,
    pub event_time: Option<MicroTime>,
    pub series: Option<EventSeries>,
}

super::resource!(
    Event,
    NamespaceResourceScope,
    "",
    "v1",
    "v1",
    "Event",
    "events"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_api_json() {
        let json = serde_json::json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "web-1.17f", "namespace": "shop"},
            "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": "u1",
                               "fieldPath": "spec.containers{app}"},
            "type": "Warning", "reason": "BackOff", "message": "Back-off restarting",
            "count": 7, "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:05:00Z",
            "eventTime": "2026-01-01T00:05:00.000000Z",
            "series": {"count": 9, "lastObservedTime": "2026-01-01T00:06:00.000000Z"},
            "source": {"component": "kubelet"}, "reportingComponent": "kubelet"
        });
        let ev: Event = serde_json::from_value(json).expect("an Event decodes");
        assert_eq!(ev.involved_object.uid.as_deref(), Some("u1"));
        assert_eq!(ev.type_.as_deref(), Some("Warning"));
        assert_eq!(ev.reason.as_deref(), Some("BackOff"));
        assert_eq!(ev.count, Some(7));
        assert!(ev.first_timestamp.is_some() && ev.last_timestamp.is_some());
        assert!(ev.event_time.is_some());
        assert_eq!(ev.series.and_then(|s| s.count), Some(9));
    }
}
