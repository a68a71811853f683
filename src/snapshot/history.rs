//! Readiness over time, for the live form of RDY-003 (flapping endpoints).
//!
//! The dashboard observes every snapshot it diagnoses; this keeps, per
//! Service, the number of ready endpoints at each observation (for the
//! sparkline) and, per endpoint (by targetRef uid, else address), the times
//! its `ready` condition flipped. Everything older than [`WINDOW`] is dropped,
//! so memory is bounded by endpoints × flips in five minutes plus the
//! changes of each Service's count over the last [`MAX_SAMPLES`]
//! observations (their times are kept once, for all Services: most counts
//! never change, and 10,000 Services × 120 samples was 30 MB).

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
    /// The ready count as it changed: `(observation, count)`, `None` from an
    /// observation the Service was not in. The first entry may predate the
    /// oldest observation kept: it gives the count there.
    counts: VecDeque<(u64, Option<u32>)>,
    /// The last observation the Service was in.
    seen: u64,
    endpoints: HashMap<String, EndpointTrack>,
}

impl ServiceTrack {
    fn record(&mut self, observation: u64, count: Option<u32>) {
        if self.counts.back().map(|(_, c)| *c) != Some(count) {
            self.counts.push_back((observation, count));
        }
    }
}

/// Readiness history per Service.
#[derive(Debug, Clone, Default)]
pub struct ReadinessHistory {
    /// The times of the last [`MAX_SAMPLES`] observations, oldest first.
    times: VecDeque<Timestamp>,
    /// The number of the observation at `times[0]`.
    first: u64,
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

        let observation = self.first + self.times.len() as u64;
        self.times.push_back(now);
        if self.times.len() > MAX_SAMPLES {
            self.times.pop_front();
            self.first += 1;
        }
        let horizon = now - WINDOW;
        for (key, endpoints) in current {
            let track = self.services.entry(key).or_default();
            let ready_count = endpoints.values().filter(|(r, _)| *r).count();
            track.record(
                observation,
                Some(u32::try_from(ready_count).unwrap_or(u32::MAX)),
            );
            track.seen = observation;
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
        let first = self.first;
        self.services.retain(|_, track| {
            if track.seen != observation {
                track.record(observation, None);
            }
            // Changes before the oldest observation kept: only the last one counts.
            while track.counts.get(1).is_some_and(|(o, _)| *o <= first) {
                track.counts.pop_front();
            }
            // A Service gone from every observation kept: forget it.
            track.seen >= first
        });
    }

    /// `(time, ready count)` of each observation kept that the Service was
    /// in, oldest first.
    fn samples(&self, namespace: &str, name: &str) -> Vec<(Timestamp, u32)> {
        let Some(track) = self
            .services
            .get(&(namespace.to_string(), name.to_string()))
        else {
            return Vec::new();
        };
        let mut change = 0;
        let mut out = Vec::new();
        for (observation, time) in (self.first..).zip(&self.times) {
            while track
                .counts
                .get(change + 1)
                .is_some_and(|(o, _)| *o <= observation)
            {
                change += 1;
            }
            if let Some((from, Some(count))) = track.counts.get(change)
                && *from <= observation
            {
                out.push((*time, *count));
            }
        }
        out
    }

    /// Ready-endpoint counts of a Service, oldest first (the sparkline).
    pub fn counts(&self, namespace: &str, name: &str) -> Vec<u32> {
        self.samples(namespace, name)
            .into_iter()
            .map(|(_, c)| c)
            .collect()
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
        let recent: Vec<u32> = self
            .samples(namespace, name)
            .into_iter()
            .filter(|(t, _)| *t >= horizon)
            .map(|(_, c)| c)
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
        assert_eq!(h.counts("shop", "web"), [vec![2; 10], vec![0]].concat());
    }

    /// Only the last MAX_SAMPLES observations count, though a steady count
    /// is stored once; a Service missing from some observations has no
    /// sample for them, and one gone from all of them is forgotten.
    #[test]
    fn counts_cover_the_last_observations_and_the_services_in_them() {
        let mut h = ReadinessHistory::default();
        let none = manifests::from_yaml("", "t", Scope::All).unwrap();
        h.observe(&slice(&[false, false]), at(0));
        for t in 1..=MAX_SAMPLES as i64 {
            h.observe(&slice(&[true, false]), at(t));
        }
        let counts = h.counts("shop", "web");
        assert_eq!(counts.len(), MAX_SAMPLES);
        assert!(
            counts.iter().all(|c| *c == 1),
            "the 0 of the first observation aged out"
        );
        assert!(!h.dropped_to_zero("shop", "web", at(MAX_SAMPLES as i64)));

        h.observe(&none, at(200));
        h.observe(&slice(&[true, true]), at(201));
        let counts = h.counts("shop", "web");
        assert_eq!(counts.len(), MAX_SAMPLES - 1, "no sample while it was gone");
        assert_eq!(counts.last(), Some(&2));

        for t in 0..MAX_SAMPLES as i64 {
            h.observe(&none, at(300 + t));
        }
        assert!(h.counts("shop", "web").is_empty());
        assert!(
            h.services.is_empty(),
            "a Service gone from every observation is forgotten"
        );
    }
}
