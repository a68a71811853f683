//! Reading a pod's status: phase, conditions, container states, ages.
//!
//! Small accessors shared by `endpoints` (via [`super::endpoint_rules`]) and
//! `pods`, so that "ready", "terminal" and "terminating" mean one thing.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use super::index::{Index, Workload, owner_of};
use crate::model::{Container, ContainerStatus, Pod, PodCondition};

/// `status.phase`, `Pending` when the API has not set it yet.
/// Waiting reasons that mean a container cannot run by itself (POD-001 ERR;
/// DNS-004 applies the same rule to the DNS pods).
pub const BROKEN_WAITING_REASONS: [&str; 7] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

/// Succeeded or Failed: the pod will not run again (`IsPodTerminal`).
pub fn is_terminal(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

/// Being deleted (`metadata.deletionTimestamp` set).
pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp().is_some()
}

pub fn condition<'p>(pod: &'p Pod, type_: &str) -> Option<&'p PodCondition> {
    debug_assert!(
        crate::model::pod::keeps_condition(
            pod.spec.as_ref().and_then(|s| s.readiness_gates.as_deref()),
            type_
        ),
        "condition {type_} is dropped when a pod is decoded (model::pod::keeps_condition)"
    );
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

/// The pod's `Ready` condition is True (`podutil.IsPodReady`).
pub fn is_ready(pod: &Pod) -> bool {
    condition(pod, "Ready").is_some_and(|c| c.status == "True")
}

/// `PodScheduled=False`: the scheduler could not place it.
pub fn is_unschedulable(pod: &Pod) -> bool {
    condition(pod, "PodScheduled").is_some_and(|c| c.status == "False")
}

/// The owner a pod is grouped under: its top-level controller
/// (`Deployment/web`, `Job/migrate`), or `bare pods` for pods without a
/// controller, which are grouped together rather than one owner each.
pub fn owner_group(idx: &Index<'_>, pod: &Pod) -> String {
    group_name(owner_of(idx.top_owner(pod), pod))
}

/// `Kind/name` of an owner as [`owner_of`] gives it, [`BARE`] for none.
fn group_name(owner: Option<(&str, &str)>) -> String {
    owner.map_or_else(
        || BARE.to_string(),
        |(kind, name)| format_exact!("{kind}/{name}"),
    )
}

/// The pods of one [`owner_group`], in the pods' order, with their top
/// owner when it is in the snapshot ([`Index::top_owner`]).
pub struct OwnerGroup<'a, 'w> {
    pub top: Option<Workload<'w>>,
    pub pods: Vec<&'a Pod>,
}

/// Pods grouped by [`owner_group`] (`Deployment/web`, `bare pods`). Owners
/// are found through [`Index::top_owners`] (once per run of replicas) and
/// each group is named once.
pub fn by_owner<'a, 'w>(
    idx: &Index<'w>,
    pods: impl IntoIterator<Item = &'a Pod>,
) -> BTreeMap<String, OwnerGroup<'a, 'w>> {
    let pods: Vec<&'a Pod> = pods.into_iter().collect();
    let tops = idx.top_owners(pods.iter().copied());
    by_known_owner(pods.into_iter().zip(tops))
}

/// [`by_owner`] of pods whose top owners are known (each pod with its
/// [`Index::top_owner`], as [`crate::diagnose::context::ServiceCtx::pods_and_owners`] gives them).
pub fn by_known_owner<'a, 'w>(
    pods: impl IntoIterator<Item = (&'a Pod, Option<Workload<'w>>)>,
) -> BTreeMap<String, OwnerGroup<'a, 'w>> {
    let mut groups: foldhash::HashMap<Option<(&str, &str)>, OwnerGroup<'a, 'w>> =
        Default::default();
    for (pod, top) in pods {
        groups
            .entry(owner_of(top, pod))
            .or_insert_with(|| OwnerGroup {
                top,
                pods: Vec::new(),
            })
            .pods
            .push(pod);
    }
    groups
        .into_iter()
        .map(|(owner, group)| (group_name(owner), group))
        .collect()
}

/// The [`owner_group`] of pods without a controller.
pub const BARE: &str = "bare pods";

pub fn name(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or("")
}

pub fn node_name(pod: &Pod) -> Option<&str> {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref())
}

/// One container of a pod with its spec (when found) and status.
#[derive(Debug, Clone, Copy)]
pub struct ContainerView<'p> {
    pub name: &'p str,
    pub init: bool,
    pub spec: Option<&'p Container>,
    pub status: &'p ContainerStatus,
}

impl<'p> ContainerView<'p> {
    /// `container web` or `init container migrate`.
    pub fn label(&self) -> String {
        if self.init {
            format_exact!("init container {}", self.name)
        } else {
            format_exact!("container {}", self.name)
        }
    }

    /// `(reason, message)` of the waiting state.
    pub fn waiting(&self) -> Option<(&'p str, &'p str)> {
        let w = self.status.state.as_ref()?.waiting.as_ref()?;
        Some((
            w.reason.as_deref().unwrap_or(""),
            w.message.as_deref().unwrap_or(""),
        ))
    }

    pub fn running(&self) -> bool {
        self.status
            .state
            .as_ref()
            .is_some_and(|s| s.running.is_some())
    }

    /// The last termination (`lastState.terminated`).
    pub fn last_termination(
        &self,
    ) -> Option<&'p k8s_openapi::api::core::v1::ContainerStateTerminated> {
        self.status.last_state.as_ref()?.terminated.as_deref()
    }

    /// `limits.memory` of the container spec.
    pub fn memory_limit(&self) -> Option<&'p str> {
        self.spec?
            .resources
            .as_ref()?
            .limits
            .as_ref()?
            .memory
            .as_ref()
            .map(|q| q.0.as_str())
    }
}

/// Init containers first, then containers, each with its spec. Walked
/// without collecting: the pods step asks this of every selected pod.
pub fn containers(pod: &Pod) -> impl Iterator<Item = ContainerView<'_>> {
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let find = move |init: bool, name: &str| -> Option<&Container> {
        let list = if init {
            spec.and_then(|s| s.init_containers.as_ref())?
        } else {
            &spec?.containers
        };
        list.iter().find(|c| c.name == name)
    };
    let init = status
        .and_then(|s| s.init_container_statuses.as_ref())
        .into_iter()
        .flatten()
        .map(|s| (true, s));
    let main = status
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .map(|s| (false, s));
    init.chain(main).map(move |(init, s)| ContainerView {
        name: s.name.as_str(),
        init,
        spec: find(init, &s.name),
        status: s,
    })
}

/// Seconds from `t` to `now` (negative when `t` is in the future).
pub fn seconds_since(now: Timestamp, t: &Time) -> i64 {
    now.as_second() - t.0.as_second()
}

/// A duration for people: `45s`, `12m`, `3h`, `2d`.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    if s < 120 {
        format_exact!("{s}s")
    } else if s < 2 * 3600 {
        format_exact!("{}m", s / 60)
    } else if s < 2 * 86400 {
        format_exact!("{}h", s / 3600)
    } else {
        format_exact!("{}d", s / 86400)
    }
}

/// The last `n` non-empty lines of a log, control characters replaced.
pub fn log_tail(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    lines[start..]
        .iter()
        .map(|l| crate::safe_text::sanitize(l.trim_end()).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check that asks for a condition the decoder drops fails in tests,
    /// rather than silently finding none; a readiness gate's is kept.
    #[test]
    #[cfg(debug_assertions)]
    fn asking_for_a_dropped_condition_fails_in_tests() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "spec": {"readinessGates": [{"conditionType": "example.com/lb"}]},
            "status": {"conditions": [{"type": "example.com/lb", "status": "True"}]}
        }))
        .expect("a pod decodes");
        assert!(condition(&pod, "example.com/lb").is_some());
        assert!(condition(&pod, "Ready").is_none());
        let asked = std::panic::catch_unwind(|| condition(&pod, "ContainersReady").is_some());
        assert!(asked.is_err(), "ContainersReady is dropped when decoded");
    }

    /// A group met again after another gets the later pods too, in order; a
    /// pod with the same (pooled) owner list in another namespace has that
    /// namespace's owner, though `top_owners` reuses the previous pod's
    /// answer; bare pods go together.
    #[test]
    fn by_owner_groups_by_top_owner_and_keeps_the_pods_order() {
        let pod = |ns: &str, name: &str, rs: Option<&str>| {
            let owners = rs.map(|rs| {
                serde_json::json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": rs, "uid": "u", "controller": true}])
            });
            let pod: Pod = serde_json::from_value(serde_json::json!({
                "metadata": {"namespace": ns, "name": name, "ownerReferences": owners}
            }))
            .expect("a pod decodes");
            pod
        };
        let pods = [
            pod("a", "x-1", Some("x")),
            pod("a", "x-2", Some("x")),
            pod("a", "y-1", Some("y")),
            pod("a", "bare-1", None),
            pod("a", "x-3", Some("x")),
            pod("b", "x-1", Some("x")),
            pod("a", "bare-2", None),
        ];
        // In namespace b, ReplicaSet x belongs to Deployment web.
        let snap = crate::diagnose::testing::snapshot(&[r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: b}
spec:
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: web}]}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: x
  namespace: b
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d, controller: true}]
spec: {selector: {matchLabels: {app: web}}}
"#]);
        let tables = crate::diagnose::index::Tables::build(&snap);
        let idx = Index::new(&snap, &tables, crate::diagnose::testing::now());
        let groups: Vec<(String, Vec<String>)> = by_owner(&idx, pods.iter())
            .into_iter()
            .map(|(group, list)| {
                let names = list
                    .pods
                    .iter()
                    .map(|p| {
                        format_exact!(
                            "{}/{}",
                            p.metadata.namespace.as_deref().unwrap_or(""),
                            name(p)
                        )
                    })
                    .collect();
                (group, names)
            })
            .collect();
        let expect = |group: &str, names: &[&str]| {
            (
                group.to_string(),
                names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            groups,
            [
                expect("Deployment/web", &["b/x-1"]),
                expect("ReplicaSet/x", &["a/x-1", "a/x-2", "a/x-3"]),
                expect("ReplicaSet/y", &["a/y-1"]),
                expect(BARE, &["a/bare-1", "a/bare-2"]),
            ]
        );
        // The same for Index::top_owners, which also reuses the previous
        // pod's answer: x-3 and b's x-1 follow each other with one list.
        let tops: Vec<Option<&str>> = idx
            .top_owners(pods[4..6].iter())
            .iter()
            .map(|w| w.map(|w| w.name()))
            .collect();
        assert_eq!(tops, [None, Some("web")]);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600), "3h");
        assert_eq!(human_duration(3 * 86400), "3d");
    }

    #[test]
    fn log_tail_keeps_last_lines_and_strips_control_characters() {
        let tail = log_tail("a\n\nb\nc\x1b[31m\n", 2);
        assert_eq!(tail, vec!["b".to_string(), "c?[31m".to_string()]);
    }
}
