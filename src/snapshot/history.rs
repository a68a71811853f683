//! Readiness over time, for the live form of RDY-003 (flapping endpoints).
//!
//! The dashboard observes every snapshot it diagnoses; this keeps, per
//! Service, the number of ready endpoints at each observation (for the
//! sparkline) and, per endpoint (by targetRef uid, else address), the times
//! its `ready` condition flipped. Everything older than [`WINDOW`] is dropped,
//! so memory is bounded by endpoints × flips in five minutes plus
//! [`MAX_SAMPLES`] counts per Service.

use std::collections::{BTreeMap, HashMap, VecDeque};

use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::Snapshot;

/// RDY-003's window: 3+ flips within five minutes is flapping.
pub const WINDOW: SignedDuration = SignedDuration::from_secs(300);
/// Ready-count samples kept per Service (the sparkline's width is smaller).
pub const MAX_SAMPLES: usize = 120;

/// `(namespace, service)`.
pub type ServiceKey = (String, String);

#[derive(Debug, Clone, Default)]
struct EndpointTrack {
    /// The pod's name, for messages.
    pod: Option<String>,
    ready: bool,
    flips: VecDeque<Timestamp>,
    seen: Timestamp,
}

#[derive(Debug, Clone, Default)]
struct ServiceTrack {
    counts: VecDeque<(Timestamp, u32)>,
    endpoints: HashMap<String, EndpointTrack>,
}

/// Readiness history per Service.
#[derive(Debug, Clone, Default)]
pub struct ReadinessHistory {
    services: BTreeMap<ServiceKey, ServiceTrack>,
}

/// An endpoint that flipped `ready` at least once in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flapping {
    /// The pod name, or the address when the endpoint has no targetRef.
    pub endpoint: String,
    pub flips: usize,
}

impl ReadinessHistory {
    /// Record the readiness of every Service's endpoints as of `now`.
    /// Cost: O(endpoints in the snapshot).
    pub fn observe(&mut self, snap: &Snapshot, now: Timestamp) {
        // Current ready state per (service, endpoint id).
        let mut current: BTreeMap<ServiceKey, HashMap<String, (bool, Option<String>)>> =
            BTreeMap::new();
        for slice in &snap.endpoint_slices {
            let Some(ns) = slice.metadata.namespace.clone() else {
                continue;
            };
            let Some(svc) = slice
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("kubernetes.io/service-name"))
                .cloned()
            else {
                continue;
            };
            let entry = current.entry((ns, svc)).or_default();
            for ep in &slice.endpoints {
                let pod = ep.target_ref.as_ref().and_then(|r| r.name.clone());
                let id = ep
                    .target_ref
                    .as_ref()
                    .and_then(|r| r.uid.clone())
                    .or_else(|| ep.addresses.first().cloned())
                    .unwrap_or_default();
                // A missing `ready` means ready (EndpointConditions doc).
                let ready = ep.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
                entry.insert(id, (ready, pod));
            }
        }
        for svc in &snap.services {
            let key = (
                svc.metadata.namespace.clone().unwrap_or_default(),
                svc.metadata.name.clone().unwrap_or_default(),
            );
            current.entry(key).or_default();
        }

        let horizon = now - WINDOW;
        for (key, endpoints) in current {
            let track = self.services.entry(key).or_default();
            let ready_count = endpoints.values().filter(|(r, _)| *r).count();
            track
                .counts
                .push_back((now, u32::try_from(ready_count).unwrap_or(u32::MAX)));
            while track.counts.len() > MAX_SAMPLES {
                track.counts.pop_front();
            }
            for (id, (ready, pod)) in endpoints {
                match track.endpoints.get_mut(&id) {
                    Some(ep) => {
                        if ep.ready != ready {
                            ep.flips.push_back(now);
                            ep.ready = ready;
                        }
                        ep.seen = now;
                        ep.pod = pod.or(ep.pod.take());
                    }
                    None => {
                        track.endpoints.insert(
                            id,
                            EndpointTrack {
                                pod,
                                ready,
                                flips: VecDeque::new(),
                                seen: now,
                            },
                        );
                    }
                }
            }
            for ep in track.endpoints.values_mut() {
                while ep.flips.front().is_some_and(|t| *t < horizon) {
                    ep.flips.pop_front();
                }
            }
            // Endpoints gone for longer than the window have nothing left to say.
            track.endpoints.retain(|_, ep| ep.seen >= horizon);
        }
    }

    /// Ready-endpoint counts of a Service, oldest first (the sparkline).
    pub fn counts(&self, namespace: &str, name: &str) -> Vec<u32> {
        self.services
            .get(&(namespace.to_string(), name.to_string()))
            .map(|t| t.counts.iter().map(|(_, c)| *c).collect())
            .unwrap_or_default()
    }

    /// Endpoints of a Service that flipped `ready` within the window before
    /// `now`, most flips first.
    pub fn flapping(&self, namespace: &str, name: &str, now: Timestamp) -> Vec<Flapping> {
        let horizon = now - WINDOW;
        let Some(track) = self
            .services
            .get(&(namespace.to_string(), name.to_string()))
        else {
            return Vec::new();
        };
        let mut out: Vec<Flapping> = track
            .endpoints
            .iter()
            .map(|(id, ep)| Flapping {
                endpoint: ep.pod.clone().unwrap_or_else(|| id.clone()),
                flips: ep.flips.iter().filter(|t| **t >= horizon).count(),
            })
            .filter(|f| f.flips > 0)
            .collect();
        out.sort_by(|a, b| {
            b.flips
                .cmp(&a.flips)
                .then_with(|| a.endpoint.cmp(&b.endpoint))
        });
        out
    }

    /// Whether the ready count of a Service dropped to zero within the window
    /// after having been above zero.
    pub fn dropped_to_zero(&self, namespace: &str, name: &str, now: Timestamp) -> bool {
        let horizon = now - WINDOW;
        let Some(track) = self
            .services
            .get(&(namespace.to_string(), name.to_string()))
        else {
            return false;
        };
        let recent: Vec<u32> = track
            .counts
            .iter()
            .filter(|(t, _)| *t >= horizon)
            .map(|(_, c)| *c)
            .collect();
        recent.last() == Some(&0) && recent.iter().any(|c| *c > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{Scope, manifests};

    fn slice(ready: &[bool]) -> Snapshot {
        let mut yaml = String::from(
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-abc, namespace: shop, labels: {kubernetes.io/service-name: web}}\naddressType: IPv4\nendpoints:\n",
        );
        for (i, r) in ready.iter().enumerate() {
            yaml.push_str(&format!(
                "- addresses: [10.0.0.{i}]\n  conditions: {{ready: {r}}}\n  targetRef: {{kind: Pod, name: web-{i}, namespace: shop, uid: u{i}}}\n"
            ));
        }
        manifests::from_yaml(&yaml, "t", Scope::All).unwrap()
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn three_flips_in_five_minutes_is_flapping_and_old_flips_expire() {
        let mut h = ReadinessHistory::default();
        h.observe(&slice(&[true, true]), at(0));
        h.observe(&slice(&[true, false]), at(10));
        h.observe(&slice(&[true, true]), at(20));
        h.observe(&slice(&[true, false]), at(30));
        let f = h.flapping("shop", "web", at(30));
        assert_eq!(
            f,
            vec![Flapping {
                endpoint: "web-1".into(),
                flips: 3
            }]
        );
        assert_eq!(h.counts("shop", "web"), vec![2, 1, 2, 1]);
        // Five minutes later the flips are out of the window.
        h.observe(&slice(&[true, false]), at(400));
        assert!(h.flapping("shop", "web", at(400)).is_empty());
    }

    #[test]
    fn steady_endpoints_never_flap_and_zero_is_noticed() {
        let mut h = ReadinessHistory::default();
        for t in 0..10 {
            h.observe(&slice(&[true, true]), at(t * 10));
        }
        assert!(h.flapping("shop", "web", at(100)).is_empty());
        assert!(!h.dropped_to_zero("shop", "web", at(100)));
        h.observe(&slice(&[false, false]), at(110));
        assert!(h.dropped_to_zero("shop", "web", at(110)));
    }
}
