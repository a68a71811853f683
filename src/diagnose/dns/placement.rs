//! DNS-005 (why DNS pods cannot be scheduled) and NODE-001 (node health).
//!
//! The scheduler's rules this module applies (kube-scheduler TaintToleration,
//! NodeUnschedulable, NodeAffinity plugins; k8s.io/api `Toleration.ToleratesTaint`):
//! - only `NoSchedule` and `NoExecute` taints keep a pod off a node;
//!   `PreferNoSchedule` never does;
//! - a toleration matches a taint when its effect is empty or equal, and
//!   either `operator: Exists` with an empty key (tolerates everything) or the
//!   same key, or `operator: Equal` (the default) with the same key *and* value;
//! - a cordoned node (`spec.unschedulable`) takes no new pods unless they
//!   tolerate `node.kubernetes.io/unschedulable:NoSchedule`;
//! - every `nodeSelector` pair must be a node label; of the required node
//!   affinity terms one must match (all its expressions: In, NotIn, Exists,
//!   DoesNotExist, Gt, Lt; `matchFields` on `metadata.name`).
//!
//! Taints the node lifecycle controller manages (`node.kubernetes.io/not-ready`,
//! `unreachable`, `network-unavailable`, the pressure taints) are symptoms:
//! removing them by hand does not last. When they are all that blocks, the
//! cause is the node (NODE-001), not the DNS pods.

use compact_str::CompactString;
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{NodeSelectorRequirement, Taint, Toleration};
use serde_json::json;

use crate::diagnose::fix::{Kubectl, fix};
use crate::diagnose::index::Index;
use crate::diagnose::permissions::not_evaluated;
use crate::diagnose::report::Finding;
use crate::diagnose::scheduling::{blocks, taint_text, tolerates};
use crate::model::{Node, Pod, PodSpec, shared};
use crate::safe_text::{sanitize, sanitize_owned};
use crate::snapshot::Resource;

/// At most this many nodes are listed in evidence.
const MAX_NODES_SHOWN: usize = 20;

/// The node condition behind a taint the node lifecycle controller manages.
fn managed(key: &str) -> Option<&'static str> {
    match key {
        "node.kubernetes.io/not-ready" => Some("Ready=False"),
        "node.kubernetes.io/unreachable" => Some("Ready=Unknown"),
        "node.kubernetes.io/network-unavailable" => Some("NetworkUnavailable=True"),
        "node.kubernetes.io/memory-pressure" => Some("MemoryPressure=True"),
        "node.kubernetes.io/disk-pressure" => Some("DiskPressure=True"),
        "node.kubernetes.io/pid-pressure" => Some("PIDPressure=True"),
        "node.cloudprovider.kubernetes.io/uninitialized" => {
            Some("not yet initialised by the cloud controller")
        }
        _ => None,
    }
}

/// Node health taints whose cause NODE-001 reports.
fn node_health(key: &str) -> bool {
    matches!(
        key,
        "node.kubernetes.io/not-ready"
            | "node.kubernetes.io/unreachable"
            | "node.kubernetes.io/network-unavailable"
    )
}

/// What keeps a pod off one node.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocker {
    Taint(Taint),
    Cordoned,
    Selector(String),
}

/// One node seen from one pod spec.
#[derive(Debug, Clone)]
pub struct NodeFit<'a> {
    pub node: &'a Node,
    pub blockers: Vec<Blocker>,
    /// Blocking taints the pod tolerates.
    pub tolerated: Vec<String>,
}

impl NodeFit<'_> {
    pub fn name(&self) -> &str {
        self.node.metadata.name.as_deref().unwrap_or("")
    }

    /// Whether only node-health taints keep the pod off (NODE-001's business).
    fn only_node_health(&self) -> bool {
        !self.blockers.is_empty()
            && self
                .blockers
                .iter()
                .all(|b| matches!(b, Blocker::Taint(t) if node_health(&t.key)))
    }

    /// One row of the node × taint table.
    fn row(&self) -> String {
        let mut parts: Vec<String> = self
            .blockers
            .iter()
            .map(|b| match b {
                Blocker::Taint(t) => match managed(&t.key) {
                    Some(cond) => format_exact!(
                        "taint {} not tolerated (set by Kubernetes: node {cond})",
                        taint_text(t)
                    ),
                    None => format_exact!("taint {} not tolerated", taint_text(t)),
                },
                Blocker::Cordoned => "cordoned (spec.unschedulable)".to_string(),
                Blocker::Selector(s) => s.clone(),
            })
            .collect();
        if parts.is_empty() {
            parts.push("eligible".into());
        }
        for t in &self.tolerated {
            parts.push(format_exact!("taint {t} tolerated"));
        }
        sanitize_owned(format_exact!("node {}: {}", self.name(), parts.join("; ")))
    }
}

/// Where the scheduler may put a pod with `spec`, node by node.
pub fn fit<'a>(spec: &PodSpec, nodes: &[&'a Node]) -> Vec<NodeFit<'a>> {
    let tolerations = shared::list(&spec.tolerations);
    let tolerated = |t: &Taint| tolerations.iter().any(|tol| tolerates(tol, t));
    nodes
        .iter()
        .map(|node| {
            let mut blockers = Vec::new();
            let mut ok_taints = Vec::new();
            let node_spec = node.spec.as_ref();
            let taints = node_spec
                .and_then(|s| s.taints.as_deref())
                .unwrap_or_default();
            let cordoned = node_spec.and_then(|s| s.unschedulable).unwrap_or(false);
            let cordon_taint = Taint {
                key: "node.kubernetes.io/unschedulable".into(),
                effect: "NoSchedule".into(),
                value: None,
                time_added: None,
            };
            if cordoned && !tolerated(&cordon_taint) {
                blockers.push(Blocker::Cordoned);
            }
            for t in taints.iter().filter(|t| blocks(t)) {
                if t.key == cordon_taint.key {
                    continue; // reported as the cordon
                }
                if tolerated(t) {
                    ok_taints.push(taint_text(t));
                } else {
                    blockers.push(Blocker::Taint(t.clone()));
                }
            }
            let labels = node.metadata.labels.clone().unwrap_or_default();
            for (k, v) in spec.node_selector.iter().flatten() {
                match labels.get(k) {
                    Some(have) if have == v => {}
                    Some(have) => blockers.push(Blocker::Selector(format_exact!(
                        "nodeSelector {k}={v} not matched (node has {k}={have})"
                    ))),
                    None => blockers.push(Blocker::Selector(format_exact!(
                        "nodeSelector {k}={v} not matched (node has no label {k})"
                    ))),
                }
            }
            let required = spec
                .affinity
                .as_ref()
                .and_then(|a| a.node_affinity.as_ref())
                .and_then(|a| {
                    a.required_during_scheduling_ignored_during_execution
                        .as_ref()
                });
            if let Some(required) = required {
                let name = String::from(node.metadata.name.as_deref().unwrap_or_default());
                let matched = required.node_selector_terms.iter().any(|term| {
                    let exprs = term.match_expressions.as_deref().unwrap_or_default();
                    let fields = term.match_fields.as_deref().unwrap_or_default();
                    !(exprs.is_empty() && fields.is_empty())
                        && exprs
                            .iter()
                            .all(|r| requirement(r, labels.get(&r.key).map(CompactString::as_str)))
                        && fields.iter().all(|r| {
                            r.key == "metadata.name" && requirement(r, Some(name.as_str()))
                        })
                });
                if !matched {
                    blockers.push(Blocker::Selector(
                        "required node affinity not matched by any term".into(),
                    ));
                }
            }
            NodeFit {
                node,
                blockers,
                tolerated: ok_taints,
            }
        })
        .collect()
}

/// One node selector requirement against a label value (`None`: no such label).
fn requirement(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
    let number = |s: &str| s.parse::<i64>().ok();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(have), Some(bound)) = (
                value.and_then(number),
                values.first().and_then(|v| number(v)),
            ) else {
                return false;
            };
            if r.operator == "Gt" {
                have > bound
            } else {
                have < bound
            }
        }
        _ => false,
    }
}

/// The most recent FailedScheduling messages of `pods`, deduplicated.
fn scheduling_events(idx: &Index<'_>, pods: &[&Pod]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for pod in pods {
        let mut events = idx.events_for("Pod", &pod.metadata);
        events.retain(|e| e.reason.as_deref() == Some("FailedScheduling"));
        events.sort_by_key(|e| std::cmp::Reverse(e.last_timestamp.as_ref().map(|t| t.0)));
        let Some(ev) = events.first() else {
            continue;
        };
        // The same message for every replica says nothing new.
        let msg = ev.message.as_deref().unwrap_or("").trim().to_string();
        if seen.contains(&msg) {
            continue;
        }
        out.push(
            sanitize(&format_exact!(
                "event FailedScheduling{} on pod {}: {msg}",
                ev.count
                    .filter(|c| *c > 1)
                    .map(|c| format_exact!(" (x{c})"))
                    .unwrap_or_default(),
                pod.metadata.name.as_deref().unwrap_or(""),
            ))
            .into_owned(),
        );
        seen.push(msg);
    }
    out
}

/// DNS-005 for the DNS pods that are Pending without a node. `deployment`:
/// the DNS Deployment's name (for the toleration patch and the restart).
/// `any_ready`: whether some DNS pod serves (then this only warns).
pub fn dns005(
    idx: &Index<'_>,
    ns: &str,
    pending: &[&Pod],
    deployment: Option<(&str, &[Toleration])>,
    any_ready: bool,
) -> Vec<Finding> {
    let Some(first) = pending.first() else {
        return Vec::new();
    };
    if let Some(f) = not_evaluated(&idx.snap.access, "DNS-005", Resource::Nodes, None) {
        return vec![f];
    }
    let Some(spec) = &first.spec else {
        return Vec::new();
    };
    let mut nodes: Vec<&Node> = idx.snap.nodes.iter().map(|n| n.as_ref()).collect();
    nodes.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let fits = fit(spec, &nodes);
    let pod_names: Vec<&str> = pending
        .iter()
        .filter_map(|p| p.metadata.name.as_deref())
        .collect();
    let events = scheduling_events(idx, pending);
    let mut table: Vec<String> = fits
        .iter()
        .take(MAX_NODES_SHOWN)
        .map(NodeFit::row)
        .collect();
    if fits.len() > MAX_NODES_SHOWN {
        table.push(format_exact!(
            "… and {} more nodes",
            fits.len() - MAX_NODES_SHOWN
        ));
    }
    let who = format_exact!(
        "{} DNS pod{} Pending ({})",
        pending.len(),
        if pending.len() == 1 { "" } else { "s" },
        sanitize(&pod_names.join(", "))
    );
    let severity_error = !any_ready;
    let new = |msg: String| {
        if severity_error {
            Finding::error("DNS-005", msg)
        } else {
            Finding::warning("DNS-005", msg)
        }
    };
    if fits.is_empty() {
        return vec![
            new(format_exact!("{who}: the cluster has no node to run them")).evidence_lines(events),
        ];
    }
    if fits.iter().any(|f| f.blockers.is_empty()) {
        // Taints and selectors allow a node: resources, ports, volumes or pod
        // affinity keep them off. Only the scheduler's events can say which.
        let eligible: Vec<&str> = fits
            .iter()
            .filter(|f| f.blockers.is_empty())
            .map(NodeFit::name)
            .collect();
        let mut f = new(format_exact!(
            "{who} although node {} accepts their taints and selectors",
            sanitize(&eligible.join(", "))
        ))
        .evidence_lines(table)
        .evidence_lines(events.iter().cloned());
        if events.is_empty() {
            f = f.evidence(
                "no FailedScheduling event: the scheduler may not have seen the pods yet",
            );
        }
        return vec![f];
    }
    if fits.iter().all(NodeFit::only_node_health) {
        // The near miss: every node is tainted not-ready because it is not
        // Ready (typically no CNI). Removing the taint would not help.
        return vec![Finding::info(
            "DNS-005",
            format_exact!("{who}: every node is tainted by Kubernetes because it is not Ready — the cause is the nodes (NODE-001), not the DNS pods' tolerations"),
        )
        .evidence_lines(table)
        .evidence_lines(events)];
    }
    // The node that needs the fewest changes, among those whose blockers we can lift.
    let liftable = |f: &&NodeFit<'_>| {
        f.blockers.iter().all(|b| match b {
            Blocker::Taint(t) => managed(&t.key).is_none(),
            Blocker::Cordoned => true,
            Blocker::Selector(_) => false,
        })
    };
    let best = fits
        .iter()
        .filter(liftable)
        .min_by_key(|f| f.blockers.len());
    let mut finding = new(format_exact!(
        "{who}: no node accepts them — {}",
        blocker_summary(&fits)
    ))
    .evidence_lines(table)
    .evidence_lines(events);
    if let Some(best) = best {
        let node = best.name();
        let mut commands = Vec::new();
        let mut lifted = Vec::new();
        let mut new_tolerations: Vec<serde_json::Value> = Vec::new();
        for b in &best.blockers {
            match b {
                Blocker::Taint(t) => {
                    commands.push(
                        Kubectl::new()
                            .lit("taint")
                            .lit("nodes")
                            .arg(node)
                            .arg(format_exact!("{}-", taint_text(t))),
                    );
                    lifted.push(format_exact!(
                        "remove taint {} from node {node}",
                        taint_text(t)
                    ));
                    new_tolerations
                        .push(json!({"key": t.key, "operator": "Exists", "effect": t.effect}));
                }
                Blocker::Cordoned => {
                    commands.push(Kubectl::new().lit("uncordon").arg(node));
                    lifted.push(format_exact!("uncordon node {node}"));
                }
                Blocker::Selector(_) => {}
            }
        }
        let mut summary = lifted.join(" and ");
        if let Some((name, existing)) = deployment {
            commands.push(
                Kubectl::in_namespace(ns)
                    .lit("rollout")
                    .lit("restart")
                    .arg(format_exact!("deployment/{name}")),
            );
            summary.push_str(", then restart the DNS pods");
            if !new_tolerations.is_empty() {
                let mut all: Vec<serde_json::Value> = existing
                    .iter()
                    .filter_map(|t| serde_json::to_value(t).ok())
                    .collect();
                all.extend(new_tolerations);
                let patch =
                    json!([{"op": "add", "path": "/spec/template/spec/tolerations", "value": all}]);
                let alt = Kubectl::in_namespace(ns)
                    .lit("patch")
                    .lit("deployment")
                    .arg(name)
                    .lit("--type=json")
                    .lit("-p")
                    .json(&patch)
                    .render();
                summary.push_str(&format_exact!(
                    " (or, to keep the taint, let the DNS pods tolerate it: {alt})"
                ));
            }
        }
        finding = finding.fix(fix(sanitize_owned(summary), commands));
    }
    vec![finding]
}

/// `3 nodes tainted node-role.kubernetes.io/control-plane:NoSchedule, 1 cordoned`.
fn blocker_summary(fits: &[NodeFit<'_>]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for f in fits {
        for b in &f.blockers {
            let what = match b {
                Blocker::Taint(t) => format_exact!("untolerated taint {}", taint_text(t)),
                Blocker::Cordoned => "cordoned".to_string(),
                Blocker::Selector(s) => s.split(" (").next().unwrap_or(s).to_string(),
            };
            *counts.entry(what).or_default() += 1;
        }
    }
    let parts: Vec<String> = counts
        .into_iter()
        .map(|(what, n)| format_exact!("{n} node{}: {what}", if n == 1 { "" } else { "s" }))
        .collect();
    sanitize_owned(parts.join("; "))
}

/// NODE-001: nodes not Ready, NetworkUnavailable, or without an initialised
/// CNI. WARN while some node is healthy, ERR when none is. Nodes that report
/// no conditions at all are not judged.
pub fn node001(idx: &Index<'_>) -> Vec<Finding> {
    if let Some(f) = not_evaluated(&idx.snap.access, "NODE-001", Resource::Nodes, None) {
        return vec![f];
    }
    let mut nodes: Vec<&Node> = idx.snap.nodes.iter().map(|n| n.as_ref()).collect();
    nodes.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let mut sick: Vec<(String, Vec<String>, bool)> = Vec::new();
    for node in &nodes {
        let name = String::from(node.metadata.name.as_deref().unwrap_or_default());
        let conditions = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_deref())
            .unwrap_or_default();
        let mut problems = Vec::new();
        let mut cni = false;
        if let Some(ready) = conditions.iter().find(|c| c.type_ == "Ready")
            && ready.status != "True"
        {
            let msg = ready.message.as_deref().unwrap_or("");
            let lower = msg.to_ascii_lowercase();
            cni = lower.contains("cni")
                || lower.contains("networkpluginnotready")
                || lower.contains("networkready=false")
                || lower.contains("network plugin");
            problems.push(format_exact!(
                "Ready={} ({}{}{})",
                ready.status,
                ready.reason.as_deref().unwrap_or(""),
                if msg.is_empty() { "" } else { ": " },
                msg
            ));
        }
        if conditions
            .iter()
            .any(|c| c.type_ == "NetworkUnavailable" && c.status == "True")
        {
            problems.push(
                "NetworkUnavailable=True (the pod network is not set up on this node)".into(),
            );
            cni = true;
        }
        if !problems.is_empty() {
            sick.push((name, problems, cni));
        }
    }
    if sick.is_empty() {
        return Vec::new();
    }
    let none_ready = sick.len() == nodes.len();
    let any_cni = sick.iter().any(|(_, _, cni)| *cni);
    let names: Vec<&str> = sick.iter().map(|(n, _, _)| n.as_str()).collect();
    let message = if none_ready {
        format_exact!(
            "no node is Ready{}: nothing new can be scheduled, including the DNS pods",
            if any_cni {
                " (the CNI network plugin is not initialised)"
            } else {
                ""
            }
        )
    } else {
        format_exact!(
            "{} of {} nodes not Ready or without pod network: {}",
            sick.len(),
            nodes.len(),
            names.join(", ")
        )
    };
    let evidence = sick
        .iter()
        .take(MAX_NODES_SHOWN)
        .map(|(n, p, _)| sanitize_owned(format_exact!("node {n}: {}", p.join("; "))));
    let finding = if none_ready {
        Finding::error("NODE-001", message)
    } else {
        Finding::warning("NODE-001", message)
    }
    .evidence_lines(evidence);
    let first = sick[0].0.as_str();
    let summary = if any_cni {
        "install (or repair) the cluster's CNI network plugin; the nodes turn Ready and Kubernetes removes their not-ready taints by itself. Inspect the node and the plugin's pods"
    } else {
        "find why the kubelet reports NotReady (kubelet, container runtime, disk, network); inspect the node"
    };
    vec![
        finding.fix(fix(
            summary,
            [
                Kubectl::new().lit("describe").lit("node").arg(first),
                Kubectl::in_namespace("kube-system")
                    .lit("get")
                    .lit("pods")
                    .lit("-o")
                    .lit("wide"),
            ],
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_selector_requirements() {
        let req = |op: &str, vals: &[&str]| NodeSelectorRequirement {
            key: "k".into(),
            operator: op.into(),
            values: Some(vals.iter().map(|v| v.to_string()).collect()),
        };
        let v = "5".to_string();
        assert!(requirement(&req("In", &["5"]), Some(&v)));
        assert!(requirement(&req("NotIn", &["4"]), Some(&v)));
        assert!(requirement(&req("NotIn", &["4"]), None));
        assert!(requirement(&req("Gt", &["4"]), Some(&v)));
        assert!(!requirement(&req("Lt", &["4"]), Some(&v)));
        assert!(!requirement(&req("Exists", &[]), None));
        assert!(requirement(&req("DoesNotExist", &[]), None));
    }
}
