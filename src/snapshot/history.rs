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

use compact_str::CompactString;
use std::collections::{HashMap, VecDeque};

use foldhash::fast::RandomState;

use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::Snapshot;

/// RDY-003's window: 3+ flips within five minutes is flapping.
pub const WINDOW: SignedDuration = SignedDuration::from_secs(300);
/// Ready-count samples kept per Service (the sparkline's width is smaller).
pub const MAX_SAMPLES: usize = 120;

/// One endpoint: every endpoint of every Service has one, and most never
/// flip, so what only a flipping endpoint needs sits behind one box.
#[derive(Debug, Clone)]
struct EndpointTrack {
    /// The targetRef's uid, else the address.
    id: Box<str>,
    ready: bool,
    seen: Timestamp,
    flips: Option<Box<Flips>>,
}

#[derive(Debug, Clone, Default)]
struct Flips {
    /// The pod's name, for messages.
    pod: Option<Box<str>>,
    /// When `ready` flipped, oldest first, within the window.
    times: Vec<Timestamp>,
}

#[derive(Debug, Clone, Default)]
struct ServiceTrack {
    /// The ready count as it changed: `(observation, count)`, `None` from an
    /// observation the Service was not in. The first entry may predate the
    /// oldest observation kept: it gives the count there.
    counts: VecDeque<(u64, Option<u32>)>,
    /// The last observation the Service was in.
    seen: u64,
    /// Sorted by id.
    endpoints: Vec<EndpointTrack>,
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
    /// By namespace, then name: looked up with borrowed names.
    services: HashMap<String, HashMap<String, ServiceTrack, RandomState>, RandomState>,
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
    /// Cost: O(endpoints in the snapshot); it runs on every dashboard tick,
    /// so it borrows from the snapshot and allocates only for what is new.
    pub fn observe(&mut self, snap: &Snapshot, now: Timestamp) {
        // Current ready state per Service and endpoint id, and the pod's name.
        type Current<'a> = HashMap<&'a str, (bool, Option<&'a str>), RandomState>;
        let mut current: HashMap<(&str, &str), Current<'_>, RandomState> = HashMap::default();
        for slice in &snap.endpoint_slices {
            let Some(ns) = slice.metadata.namespace.as_deref() else {
                continue;
            };
            let Some(svc) = slice.metadata.label("kubernetes.io/service-name") else {
                continue;
            };
            let entry = current.entry((ns, svc)).or_default();
            for ep in &slice.endpoints {
                let pod = ep.target_ref.as_ref().and_then(|r| r.name.as_deref());
                let id = ep
                    .target_ref
                    .as_ref()
                    .and_then(|r| r.uid.as_deref())
                    .or_else(|| ep.addresses.first().map(CompactString::as_str))
                    .unwrap_or_default();
                // A missing `ready` means ready (EndpointConditions doc).
                let ready = ep.conditions.as_ref().and_then(|c| c.ready).unwrap_or(true);
                entry.insert(id, (ready, pod));
            }
        }
        for svc in &snap.services {
            let ns = svc.metadata.namespace.as_deref().unwrap_or_default();
            let name = svc.metadata.name.as_deref().unwrap_or_default();
            current.entry((ns, name)).or_default();
        }

        let observation = self.first + self.times.len() as u64;
        self.times.push_back(now);
        if self.times.len() > MAX_SAMPLES {
            self.times.pop_front();
            self.first += 1;
        }
        let horizon = now - WINDOW;
        for ((ns, name), endpoints) in current {
            let in_ns = match self.services.get_mut(ns) {
                Some(in_ns) => in_ns,
                None => self.services.entry(ns.to_string()).or_default(),
            };
            let track = match in_ns.get_mut(name) {
                Some(track) => track,
                None => in_ns.entry(name.to_string()).or_default(),
            };
            let ready_count = endpoints.values().filter(|(r, _)| *r).count();
            track.record(
                observation,
                Some(u32::try_from(ready_count).unwrap_or(u32::MAX)),
            );
            track.seen = observation;
            let known = track.endpoints.len();
            for (id, (ready, pod)) in endpoints {
                let at = track.endpoints[..known].binary_search_by(|ep| (*ep.id).cmp(id));
                let Ok(at) = at else {
                    track.endpoints.push(EndpointTrack {
                        id: id.into(),
                        ready,
                        seen: now,
                        flips: None,
                    });
                    continue;
                };
                let ep = &mut track.endpoints[at];
                ep.seen = now;
                if ep.ready != ready {
                    ep.ready = ready;
                    let flips = ep.flips.get_or_insert_default();
                    flips.times.push(now);
                    if let Some(pod) = pod
                        && flips.pod.as_deref() != Some(pod)
                    {
                        flips.pod = Some(pod.into());
                    }
                }
            }
            if track.endpoints.len() > known {
                track.endpoints.sort_unstable_by(|a, b| a.id.cmp(&b.id));
            }
            for ep in &mut track.endpoints {
                if let Some(flips) = &mut ep.flips {
                    flips.times.retain(|t| *t >= horizon);
                    if flips.times.is_empty() {
                        ep.flips = None;
                    }
                }
            }
            // Endpoints gone for longer than the window have nothing left to say.
            track.endpoints.retain(|ep| ep.seen >= horizon);
            track.endpoints.shrink_to_fit();
        }
        let first = self.first;
        for in_ns in self.services.values_mut() {
            in_ns.retain(|_, track| {
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
        self.services.retain(|_, in_ns| !in_ns.is_empty());
    }

    fn track(&self, namespace: &str, name: &str) -> Option<&ServiceTrack> {
        self.services.get(namespace)?.get(name)
    }

    /// `(time, ready count)` of each observation kept that the Service was
    /// in, oldest first.
    fn samples(&self, namespace: &str, name: &str) -> impl Iterator<Item = (Timestamp, u32)> {
        let counts = self.track(namespace, name).map(|t| &t.counts);
        let mut change = 0;
        (self.first..)
            .zip(&self.times)
            .filter_map(move |(observation, time)| {
                let counts = counts?;
                while counts
                    .get(change + 1)
                    .is_some_and(|(o, _)| *o <= observation)
                {
                    change += 1;
                }
                match counts.get(change) {
                    Some((from, Some(count))) if *from <= observation => Some((*time, *count)),
                    _ => None,
                }
            })
    }

    /// Ready-endpoint counts of a Service, oldest first (the sparkline).
    /// Built from the Service's changes, not its observations: the
    /// dashboard asks for every Service on every tick.
    pub fn counts(&self, namespace: &str, name: &str) -> ReadyCounts {
        let mut out = ReadyCounts::default();
        let Some(track) = self.track(namespace, name) else {
            return out;
        };
        let end = self.first + self.times.len() as u64;
        let mut changes = track.counts.iter().peekable();
        // One change per observation at most, the oldest at or before the
        // window's start: each run covers at least one observation kept.
        while let Some(&(from, count)) = changes.next() {
            let until = changes.peek().map_or(end, |(next, _)| *next);
            let times = until.saturating_sub(from.max(self.first));
            if let Some(count) = count {
                out.push(count, u32::try_from(times).unwrap_or(u32::MAX));
            }
        }
        out.runs.shrink_to_fit();
        out
    }

    /// Endpoints of a Service that flipped `ready` within the window before
    /// `now`, most flips first.
    pub fn flapping(&self, namespace: &str, name: &str, now: Timestamp) -> Vec<Flapping> {
        let horizon = now - WINDOW;
        let Some(track) = self.track(namespace, name) else {
            return Vec::new();
        };
        let mut out: Vec<Flapping> = track
            .endpoints
            .iter()
            .filter_map(|ep| {
                let flips = ep.flips.as_deref()?;
                Some(Flapping {
                    endpoint: flips.pod.as_deref().unwrap_or(&ep.id).to_string(),
                    flips: flips.times.iter().filter(|t| **t >= horizon).count(),
                })
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
            .filter(|(t, _)| *t >= horizon)
            .map(|(_, c)| c)
            .collect();
        recent.last() == Some(&0) && recent.iter().any(|c| *c > 0)
    }
}

/// A Service's ready-endpoint counts over the observations kept, oldest
/// first, as runs of equal counts: the dashboard keeps one for every
/// Service and most never change, so a steady Service costs one run
/// instead of [`MAX_SAMPLES`] numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadyCounts {
    /// `(count, how many observations in a row had it)`.
    runs: Vec<(u32, u32)>,
}

impl ReadyCounts {
    /// How many observations the counts cover.
    pub fn len(&self) -> usize {
        self.runs.iter().map(|(_, n)| *n as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// The latest count.
    pub fn last(&self) -> Option<u32> {
        self.runs.last().map(|(c, _)| *c)
    }

    pub fn min(&self) -> Option<u32> {
        self.runs.iter().map(|(c, _)| *c).min()
    }

    pub fn max(&self) -> Option<u32> {
        self.runs.iter().map(|(c, _)| *c).max()
    }

    /// The last `n` counts (all of them if fewer), oldest first.
    pub fn tail(&self, n: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(n.min(self.len()));
        let mut skip = self.len().saturating_sub(n);
        for &(count, times) in &self.runs {
            let times = times as usize;
            let taken = times.saturating_sub(skip);
            skip = skip.saturating_sub(times);
            out.extend(std::iter::repeat_n(count, taken));
        }
        out
    }
}

impl ReadyCounts {
    /// `times` more observations of `count`.
    fn push(&mut self, count: u32, times: u32) {
        match self.runs.last_mut() {
            Some((c, n)) if *c == count => *n += times,
            _ => self.runs.push((count, times)),
        }
    }
}

impl FromIterator<u32> for ReadyCounts {
    fn from_iter<I: IntoIterator<Item = u32>>(counts: I) -> Self {
        let mut out = ReadyCounts::default();
        for count in counts {
            out.push(count, 1);
        }
        out.runs.shrink_to_fit();
        out
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

    fn all(counts: &ReadyCounts) -> Vec<u32> {
        counts.tail(usize::MAX)
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    /// The tail crosses runs, and asks for more than there is; a steady
    /// history is one run however long.
    #[test]
    fn ready_counts_are_runs_and_expand_from_the_end() {
        let counts: ReadyCounts = [3, 3, 2, 2, 2, 0, 3].into_iter().collect();
        assert_eq!(counts.runs, vec![(3, 2), (2, 3), (0, 1), (3, 1)]);
        assert_eq!(counts.len(), 7);
        assert_eq!(counts.tail(4), vec![2, 2, 0, 3]);
        assert_eq!(counts.tail(0), Vec::<u32>::new());
        assert_eq!(counts.tail(100), vec![3, 3, 2, 2, 2, 0, 3]);
        assert_eq!(
            (counts.last(), counts.min(), counts.max()),
            (Some(3), Some(0), Some(3))
        );
        let steady: ReadyCounts = std::iter::repeat_n(5, MAX_SAMPLES).collect();
        assert_eq!(steady.runs, vec![(5, MAX_SAMPLES as u32)]);
        assert_eq!(steady.tail(3), vec![5, 5, 5]);
        let none: ReadyCounts = std::iter::empty().collect();
        assert!(none.is_empty() && none.last().is_none() && none.tail(3).is_empty());
    }

    /// The counts built from a Service's changes are the counts of its
    /// observations, one by one, as the window slides over appearances,
    /// absences and repeated counts (the window's start cutting a run
    /// included).
    #[test]
    fn counts_from_changes_equal_counts_of_observations() {
        let none = manifests::from_yaml("", "t", Scope::All).unwrap();
        let snaps: Vec<Snapshot> = (0..4usize)
            .map(|ready| slice(&(0..3).map(|i| i < ready).collect::<Vec<_>>()))
            .collect();
        let mut h = ReadinessHistory::default();
        let mut state = 7u64;
        for t in 0..(MAX_SAMPLES as i64 * 3) {
            // A fixed pseudo-random walk: long steady stretches, changes,
            // and absences.
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let roll = (state >> 33) % 20;
            let snap = match roll {
                0 => &none,
                1..=3 => &snaps[(roll as usize) % 4],
                _ => &snaps[3],
            };
            h.observe(snap, at(t));
            let expected: ReadyCounts = h.samples("shop", "web").map(|(_, c)| c).collect();
            assert_eq!(h.counts("shop", "web"), expected, "after observation {t}");
        }
        assert!(
            h.counts("shop", "web").runs.len() > 3,
            "the walk changed counts"
        );
    }

    /// Endpoints by uid, in the order given.
    fn endpoints(eps: &[(&str, bool)]) -> Snapshot {
        let mut yaml = String::from(
            "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-abc, namespace: shop, labels: {kubernetes.io/service-name: web}}\naddressType: IPv4\nendpoints:\n",
        );
        for (i, (uid, r)) in eps.iter().enumerate() {
            yaml.push_str(&format!(
                "- addresses: [10.0.0.{i}]\n  conditions: {{ready: {r}}}\n  targetRef: {{kind: Pod, name: pod-{uid}, namespace: shop, uid: {uid}}}\n"
            ));
        }
        manifests::from_yaml(&yaml, "t", Scope::All).unwrap()
    }

    /// Endpoints that appear after the first observation, sorting before
    /// and after the ones already tracked, are followed like those: each
    /// one's flips are its own, and a steady one never flaps.
    #[test]
    fn endpoints_that_join_later_are_tracked_by_their_own_id() {
        let mut h = ReadinessHistory::default();
        h.observe(&endpoints(&[("u5", true)]), at(0));
        for (t, ready) in [(10, true), (20, false), (30, true), (40, false)] {
            h.observe(
                &endpoints(&[("u9", !ready), ("u5", true), ("u1", ready)]),
                at(t),
            );
        }
        let f = h.flapping("shop", "web", at(40));
        assert_eq!(
            f,
            vec![
                Flapping {
                    endpoint: "pod-u1".into(),
                    flips: 3
                },
                Flapping {
                    endpoint: "pod-u9".into(),
                    flips: 3
                },
            ]
        );
        assert_eq!(h.track("shop", "web").map(|t| t.endpoints.len()), Some(3));
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
        assert_eq!(all(&h.counts("shop", "web")), vec![2, 1, 2, 1]);
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
        assert_eq!(
            all(&h.counts("shop", "web")),
            [vec![2; 10], vec![0]].concat()
        );
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
        let counts = all(&h.counts("shop", "web"));
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
        assert_eq!(counts.last(), Some(2));

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
