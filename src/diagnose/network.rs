//! Step `network` (DESIGN §2): do NetworkPolicies let the clients reach the
//! backend port, and the clients reach DNS?
//!
//! - **NP-001** ingress to the backend pods, for each known client (from the
//!   references that name the Service), or — with no client known — from
//!   anywhere in the cluster (which sources the rules admit);
//! - **NP-002** egress from each client to the backend pods;
//! - **DNS-007** egress from each client to the DNS pods on UDP/TCP 53.
//!
//! The policy semantics are in [`policy`], label selectors in [`selector`].
//! Whether the cluster's network plugin enforces policies at all is not
//! visible through the API: where a policy applies, an INFO says so.
//!
//! Cost per Service: (backend pod label groups + clients) × policies in the
//! namespaces concerned × their rules. Pods that share labels and ports are
//! evaluated once.
//!
//! To add a check: write `fn check_xyz(...) -> Vec<Finding>` here, call it
//! from [`check`], and document it in `docs/checks.md`.

pub mod policy;
pub mod selector;

use std::cell::LazyCell;
use std::collections::{BTreeMap, BTreeSet};

use std::sync::Arc;

use k8s_openapi::api::core::v1::ServicePort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

use super::context::ServiceCtx;
use super::fix::{Kubectl, fix};
use super::namespace::Client;
use super::permissions::not_evaluated;
use super::pod_status;
use super::report::{Finding, Fix, StepId, StepReport};
use crate::model::PodRun;
use crate::model::StringMap;
use crate::model::{Labels, NetworkPolicy, Pod};
use crate::safe_text::{sanitize, sanitize_owned};
use crate::snapshot::Resource;
use policy::{Dest, Direction, NAMESPACE_NAME_LABEL, PodFacts, Verdict, pod_ips};

/// (Service port, port on the pod, protocol).
type PortDest = (i32, i32, String);

/// Backend pods that NetworkPolicy cannot tell apart: same labels, same
/// resolved target ports.
struct Group {
    facts: PodFacts,
    pods: Vec<String>,
    /// (Service port number, destination on the pod).
    dests: Vec<PortDest>,
}

/// The port a Service port reaches on `pod`: numeric targetPort as is, a
/// named one looked up by name and protocol (containers and sidecar init
/// containers), an omitted one equal to `port`. `None`: unresolved here.
fn target_port(sp: &ServicePort, facts: &PodFacts) -> Option<i32> {
    let protocol = sp.protocol.as_deref().unwrap_or("TCP");
    match &sp.target_port {
        None => Some(sp.port),
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => facts
            .ports
            .iter()
            .find(|p| p.name == name && p.protocol == protocol)
            .map(|p| p.port),
    }
}

fn groups(ctx: &ServiceCtx<'_>) -> Vec<Group> {
    let ports: &[ServicePort] = ctx
        .svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_deref())
        .unwrap_or_default();
    // Replicas share their spec (`PodRun`), and with it their host network,
    // container ports and so their destinations: those are worked out once
    // per spec. Groups are keyed by labels and the index of their
    // destinations in `dest_sets`.
    let mut specs: Vec<(Option<*const PodRun>, PodFacts, usize)> = Vec::new();
    let mut dest_sets: Vec<Vec<PortDest>> = Vec::new();
    let mut by_key: BTreeMap<(Labels, usize), Group> = BTreeMap::new();
    for pod in ctx.pods.iter().filter(|p| is_live(p)) {
        let spec = pod.spec.as_deref().map(std::ptr::from_ref);
        let at = match specs.iter().position(|(s, ..)| *s == spec) {
            Some(at) => at,
            None => {
                let facts = PodFacts::of_pod(pod);
                let dests: Vec<PortDest> = ports
                    .iter()
                    .filter_map(|sp| {
                        let proto = sp.protocol.clone().unwrap_or_else(|| "TCP".into());
                        target_port(sp, &facts).map(|tp| (sp.port, tp, proto))
                    })
                    .collect();
                let set = dest_sets.iter().position(|d| *d == dests);
                let set = set.unwrap_or_else(|| {
                    dest_sets.push(dests);
                    dest_sets.len() - 1
                });
                specs.push((spec, facts, set));
                specs.len() - 1
            }
        };
        let (_, facts, set) = &specs[at];
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        let group = by_key
            .entry((labels.clone(), *set))
            .or_insert_with(|| Group {
                // The namespace is the Service's, as for every pod it selects.
                facts: PodFacts {
                    labels,
                    ips: Vec::new(),
                    ..facts.clone()
                },
                pods: Vec::new(),
                dests: dest_sets[*set].clone(),
            });
        group.pods.push(pod_status::name(pod).to_string());
        group.facts.ips.extend(pod_ips(pod));
    }
    let mut groups: Vec<Group> = by_key.into_values().collect();
    // In the order of (labels, destinations), as a map keyed by both would be.
    groups.sort_by(|a, b| (&a.facts.labels, &a.dests).cmp(&(&b.facts.labels, &b.dests)));
    groups
}

fn is_live(pod: &Pod) -> bool {
    !matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// The distinct clients naming the Service, in the order they first do
/// (by [`Client::key`], compared without building it).
fn clients<'c>(ctx: &'c ServiceCtx<'_>) -> Vec<&'c Client> {
    let mut seen = foldhash::HashSet::default();
    ctx.references
        .iter()
        .filter_map(|r| r.client.as_deref())
        .filter(|c| {
            let who = match &c.workload {
                Some(w) => (w.resource, w.name.as_str()),
                None => ("pod", c.name.as_str()),
            };
            seen.insert((c.namespace.as_str(), who))
        })
        .collect()
}

/// Evaluate step `network` for one Service.
pub fn check(ctx: &ServiceCtx<'_>) -> StepReport {
    if ctx.is_external_name() {
        return StepReport::skip(
            StepId::Network,
            "ExternalName: no pods behind it for policies to protect",
        );
    }
    let idx = ctx.idx;
    let ns_labels = |ns: &str| {
        let mut labels = idx
            .namespace(ns)
            .and_then(|n| n.metadata.labels().cloned())
            .unwrap_or_default();
        labels.insert(NAMESPACE_NAME_LABEL.to_string(), ns.to_string());
        labels
    };
    // Only a policy that selects the backends or a client reads the groups:
    // most namespaces have none, and then they are never built.
    let groups = LazyCell::new(|| groups(ctx));
    let clients = clients(ctx);
    let mut findings = Vec::new();
    let mut policies_apply = false;

    // NP-001: ingress to the backends.
    match not_evaluated(
        &idx.snap.access,
        "NP-001",
        Resource::Networkpolicies,
        Some(ctx.namespace),
    ) {
        Some(f) => findings.push(f),
        None => {
            let policies = idx.network_policies_in(ctx.namespace);
            let isolated: Vec<&Group> = if policies.is_empty() {
                Vec::new()
            } else {
                groups
                    .iter()
                    .filter(|g| {
                        !policy::selecting(policies, &g.facts, Direction::Ingress).is_empty()
                    })
                    .collect()
            };
            if !isolated.is_empty() {
                policies_apply = true;
                if clients.is_empty() {
                    findings.extend(np001_from_anywhere(ctx, policies, &isolated, groups.len()));
                } else {
                    for client in &clients {
                        findings.extend(np001_for_client(
                            ctx,
                            policies,
                            &isolated,
                            groups.len(),
                            client,
                            &ns_labels,
                        ));
                    }
                }
            }
        }
    }

    // NP-002 and DNS-007: egress from each client.
    for client in &clients {
        if client.host_network {
            continue; // policies do not select hostNetwork pods
        }
        if let Some(f) = not_evaluated(
            &idx.snap.access,
            "NP-002",
            Resource::Networkpolicies,
            Some(&client.namespace),
        ) {
            if !findings.contains(&f) {
                findings.push(f);
            }
            continue;
        }
        let policies = idx.network_policies_in(&client.namespace);
        if policy::selecting(policies, &client.facts, Direction::Egress).is_empty() {
            continue;
        }
        policies_apply = true;
        findings.extend(np002(ctx, policies, &groups, client, &ns_labels));
        findings.extend(dns007(ctx, policies, client, &ns_labels));
    }

    if policies_apply {
        findings.push(Finding::info(
            "NP-001",
            "whether the cluster's network plugin enforces NetworkPolicies is not visible through the API: without a policy-capable plugin they have no effect",
        ));
    }
    let summary = if policies_apply {
        format_exact!("NetworkPolicies admit the known clients of {}", ctx.name)
    } else {
        format_exact!(
            "no NetworkPolicy selects the pods of {} or its clients",
            ctx.name
        )
    };
    StepReport::from_findings(
        StepId::Network,
        super::dns::sanitized(findings),
        sanitize_owned(summary),
    )
}

fn pods_text(g: &Group) -> String {
    let mut pods = g.pods.clone();
    let more = pods.len().saturating_sub(3);
    pods.truncate(3);
    let mut s = pods.join(", ");
    if more > 0 {
        s.push_str(&format_exact!(" and {more} more"));
    }
    s
}

/// A peer element that selects the client's pods from a policy in `policy_ns`.
fn client_peer(client: &Client, policy_ns: &str) -> Value {
    let pods = json!({"matchLabels": client.selector});
    if client.namespace == policy_ns {
        json!({"podSelector": pods})
    } else {
        json!({
            "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: client.namespace}},
            "podSelector": pods,
        })
    }
}

fn policy_name(parts: &[&str]) -> String {
    let mut name: String = parts.join("-").chars().take(253).collect();
    while name.ends_with(['-', '.']) {
        name.pop();
    }
    name
}

/// An allow-only NetworkPolicy: `pod_selector` pods may use `ports` with `peers`
/// in direction `dir`. Policies are additive, so applying it takes nothing away.
fn allow_policy(
    name: String,
    namespace: &str,
    pod_selector: Value,
    dir: Direction,
    peers: Value,
    ports: Value,
) -> Value {
    let (key, peer_key) = match dir {
        Direction::Ingress => ("ingress", "from"),
        Direction::Egress => ("egress", "to"),
    };
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "podSelector": {"matchLabels": pod_selector},
            "policyTypes": [dir.as_str()],
            key: [{peer_key: peers, "ports": ports}],
        },
    })
}

fn apply_fix(summary: String, manifest: &Value) -> Fix {
    fix(
        summary,
        [Kubectl::new()
            .lit("apply")
            .lit("-f")
            .lit("-")
            .stdin_manifest(manifest)],
    )
}

fn ports_json(dests: &[(i32, String)]) -> Value {
    Value::Array(
        dests
            .iter()
            .map(|(port, proto)| json!({"protocol": proto, "port": port}))
            .collect(),
    )
}

/// What one client may not do to a Service's backends, in one direction.
struct Denial<'g> {
    /// The first denied (group, Service port, pod port, protocol) and its verdict.
    group: &'g Group,
    service_port: i32,
    pod_port: i32,
    protocol: String,
    verdict: Verdict,
    /// Every denied (pod port, protocol), for the proposed policy.
    dests: Vec<(i32, String)>,
    /// Distinct backend groups denied.
    groups_denied: usize,
}

/// Evaluate every (backend group, port) for `client` in `dir`: for Ingress the
/// backends' policies select the backend, for Egress the client's policies
/// select the client. `None` when everything is admitted.
fn denial<'g>(
    policies: &[Arc<NetworkPolicy>],
    dir: Direction,
    groups: &[&'g Group],
    client: &Client,
    ns_labels: &policy::NamespaceLabels<'_>,
) -> Option<Denial<'g>> {
    let mut first: Option<Denial<'g>> = None;
    let mut dests = BTreeSet::new();
    let mut denied_groups = BTreeSet::new();
    for g in groups {
        for (sp, tp, proto) in &g.dests {
            let dest = Dest {
                port: *tp,
                protocol: proto,
            };
            let (selected, peer) = match dir {
                Direction::Ingress => (&g.facts, &client.facts),
                Direction::Egress => (&client.facts, &g.facts),
            };
            let v = policy::evaluate(
                policies,
                dir,
                selected,
                peer,
                &g.facts,
                dest,
                Some(*sp),
                ns_labels,
            );
            if v.allowed {
                continue;
            }
            dests.insert((*tp, proto.clone()));
            denied_groups.insert(&g.pods);
            first.get_or_insert(Denial {
                group: g,
                service_port: *sp,
                pod_port: *tp,
                protocol: proto.clone(),
                verdict: v,
                dests: Vec::new(),
                groups_denied: 0,
            });
        }
    }
    first.map(|d| Denial {
        dests: dests.into_iter().collect(),
        groups_denied: denied_groups.len(),
        ..d
    })
}

/// NP-001 for one client: denied on every backend group → ERR; on some → WARN.
fn np001_for_client(
    ctx: &ServiceCtx<'_>,
    policies: &[Arc<NetworkPolicy>],
    isolated: &[&Group],
    total_groups: usize,
    client: &Client,
    ns_labels: &policy::NamespaceLabels<'_>,
) -> Vec<Finding> {
    let Some(denied) = denial(policies, Direction::Ingress, isolated, client, ns_labels) else {
        return Vec::new();
    };
    let (sp, tp, proto) = (denied.service_port, denied.pod_port, &denied.protocol);
    let all = denied.groups_denied == total_groups;
    let who = sanitize_owned(client.describe());
    let msg = format_exact!(
        "NetworkPolicy blocks {who} from {}'s pods on {proto} {tp} (Service port {sp})",
        ctx.name
    );
    let mut f = if all {
        Finding::error("NP-001", msg)
    } else {
        Finding::warning("NP-001", msg)
    }
    .evidence(format_exact!(
        "pods {} are isolated for Ingress",
        pods_text(denied.group)
    ))
    .evidence_lines(
        denied
            .verdict
            .evidence
            .iter()
            .map(|e| sanitize(e).into_owned()),
    );
    if !all {
        f = f.evidence(format_exact!(
            "{} of {} backend pod groups admit it: traffic fails only on the others",
            total_groups - denied.groups_denied,
            total_groups
        ));
    }
    if client.host_network {
        f = f.evidence(
            "the client uses hostNetwork: only an ipBlock holding its node's IP can admit it",
        );
        return vec![f];
    }
    if all && let Some(sel) = ctx.selector {
        let manifest = allow_policy(
            policy_name(&["allow", ctx.name, "from", &client.name]),
            ctx.namespace,
            json!(sel),
            Direction::Ingress,
            json!([client_peer(client, ctx.namespace)]),
            ports_json(&denied.dests),
        );
        f = f.fix(apply_fix(
            format_exact!("admit {who} to the pod port (policies see the port after the Service's translation)"),
            &manifest,
        ));
    }
    vec![f]
}

/// NP-001 with no known client: which sources may connect at all.
fn np001_from_anywhere(
    ctx: &ServiceCtx<'_>,
    policies: &[Arc<NetworkPolicy>],
    isolated: &[&Group],
    total_groups: usize,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut closed: Vec<(i32, String)> = Vec::new();
    let mut closed_groups = BTreeSet::new();
    for g in isolated {
        for (sp, tp, proto) in &g.dests {
            let dest = Dest {
                port: *tp,
                protocol: proto,
            };
            match policy::allowed_sources(policies, &g.facts, dest) {
                None => {}
                Some(sources) if sources.is_empty() => {
                    closed.push((*tp, proto.clone()));
                    closed_groups.insert(g.pods.clone());
                    let _ = sp;
                }
                Some(sources) => out.push(
                    Finding::info(
                        "NP-001",
                        format_exact!(
                            "no client of {} is known; on {proto} {tp} its pods admit only: {}",
                            ctx.name,
                            sanitize(&sources.join("; "))
                        ),
                    )
                    .evidence(format_exact!(
                        "pods {} are isolated for Ingress",
                        pods_text(g)
                    )),
                ),
            }
        }
    }
    if closed.is_empty() {
        out.sort_by(|a, b| a.message.cmp(&b.message));
        out.dedup();
        return out;
    }
    closed.sort();
    closed.dedup();
    let all = closed_groups.len() == total_groups;
    let ports: Vec<String> = closed
        .iter()
        .map(|(p, proto)| format_exact!("{proto} {p}"))
        .collect();
    let msg = format_exact!(
        "no NetworkPolicy rule admits any source to {}'s pods on {}: every connection is dropped",
        ctx.name,
        ports.join(", ")
    );
    let mut f = if all {
        Finding::error("NP-001", msg)
    } else {
        Finding::warning("NP-001", msg)
    };
    let mut isolating: Vec<&str> = isolated
        .iter()
        .flat_map(|g| policy::selecting(policies, &g.facts, Direction::Ingress))
        .map(policy::name)
        .collect();
    isolating.sort_unstable();
    isolating.dedup();
    for name in isolating {
        f = f.evidence(format_exact!(
            "policy {}/{name} selects the pods for Ingress",
            ctx.namespace
        ));
    }
    if all && let Some(sel) = ctx.selector {
        let manifest = allow_policy(
            policy_name(&["allow", ctx.name, "ingress"]),
            ctx.namespace,
            json!(sel),
            Direction::Ingress,
            json!([{"namespaceSelector": {}}]),
            ports_json(&closed),
        );
        f = f.fix(apply_fix(
            "admit every pod in the cluster to the pod port (narrow `from` to the real clients)"
                .to_string(),
            &manifest,
        ));
    }
    out.push(f);
    out
}

/// NP-002: egress from one client (isolated for Egress) to the backend pods.
fn np002(
    ctx: &ServiceCtx<'_>,
    policies: &[Arc<NetworkPolicy>],
    groups: &[Group],
    client: &Client,
    ns_labels: &policy::NamespaceLabels<'_>,
) -> Vec<Finding> {
    let all_groups: Vec<&Group> = groups.iter().collect();
    let Some(denied) = denial(policies, Direction::Egress, &all_groups, client, ns_labels) else {
        return Vec::new();
    };
    let (sp, tp, proto) = (denied.service_port, denied.pod_port, &denied.protocol);
    let all = denied.groups_denied == groups.len();
    let who = sanitize_owned(client.describe());
    let msg = format_exact!(
        "{who} is isolated for Egress and no rule lets it reach {}'s pods on {proto} {tp} (Service port {sp})",
        ctx.name
    );
    let mut f = if all {
        Finding::error("NP-002", msg)
    } else {
        Finding::warning("NP-002", msg)
    }
    .evidence_lines(
        denied
            .verdict
            .evidence
            .iter()
            .map(|e| sanitize(e).into_owned()),
    );
    if all && let Some(sel) = ctx.selector {
        let manifest = allow_policy(
            policy_name(&["allow", &client.name, "to", ctx.name]),
            &client.namespace,
            json!(client.selector),
            Direction::Egress,
            json!([{
                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: ctx.namespace}},
                "podSelector": {"matchLabels": sel},
            }]),
            ports_json(&denied.dests),
        );
        f = f.fix(apply_fix(
            format_exact!("let {who} reach the pod port"),
            &manifest,
        ));
    }
    vec![f]
}

/// DNS-007: a client isolated for Egress must still reach the DNS pods on
/// UDP 53 (else no name resolves) and TCP 53 (else large answers fail).
fn dns007(
    ctx: &ServiceCtx<'_>,
    policies: &[Arc<NetworkPolicy>],
    client: &Client,
    ns_labels: &policy::NamespaceLabels<'_>,
) -> Vec<Finding> {
    let reaches = |proto: &str| -> (bool, Vec<String>) {
        let mut evidence = Vec::new();
        for dns_pod in &ctx.dns.pods {
            let dest = Dest {
                port: 53,
                protocol: proto,
            };
            let v = policy::evaluate(
                policies,
                Direction::Egress,
                &client.facts,
                dns_pod,
                dns_pod,
                dest,
                None,
                ns_labels,
            );
            if v.allowed {
                return (true, Vec::new());
            }
            if evidence.is_empty() {
                evidence = v.evidence;
            }
        }
        (false, evidence)
    };
    let (udp, udp_evidence) = reaches("UDP");
    let (tcp, tcp_evidence) = reaches("TCP");
    if udp && tcp {
        return Vec::new();
    }
    let who = sanitize_owned(client.describe());
    let dns = ctx
        .dns
        .service
        .as_ref()
        .map_or_else(|| "cluster DNS".to_string(), |s| format_exact!("{s}"));
    let mut f = if !udp {
        Finding::error(
            "DNS-007",
            format_exact!(
                "{who} is isolated for Egress and no rule lets it reach the DNS pods ({dns}) on UDP 53: it cannot resolve {}",
                ctx.name
            ),
        )
    } else {
        Finding::warning(
            "DNS-007",
            format_exact!(
                "{who} is isolated for Egress and may reach the DNS pods on UDP 53 but not TCP 53: answers too large for UDP fail"
            ),
        )
    };
    let evidence = if udp { tcp_evidence } else { udp_evidence };
    f = f.evidence_lines(evidence.iter().map(|e| sanitize(e).into_owned()));
    // The near miss: an ipBlock naming the DNS Service IP. Policies see the
    // DNS pod IP after the Service's translation.
    for p in policies {
        for rule in p.spec.iter().flat_map(|s| s.egress.iter().flatten()) {
            for peer in rule.to.iter().flatten() {
                if let Some(block) = &peer.ip_block
                    && ctx.dns.service_ips.iter().any(|ip| {
                        ip.parse()
                            .is_ok_and(|ip| policy::cidr_contains(&block.cidr, &ip))
                    })
                {
                    f = f.evidence(sanitize(&format_exact!(
                        "policy {} allows ipBlock {}, which holds the DNS Service IP; policies see the DNS pod IPs after the Service's translation",
                        policy::name(p),
                        block.cidr
                    )).into_owned());
                }
            }
        }
    }
    let dns_pods = ctx.dns.pods.first();
    if let Some(dns_pod) = dns_pods {
        let dns_selector: StringMap = dns_pod
            .labels
            .iter()
            .filter(|(k, _)| k.as_str() != "pod-template-hash")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let manifest = allow_policy(
            policy_name(&["allow", &client.name, "dns"]),
            &client.namespace,
            json!(client.selector),
            Direction::Egress,
            json!([{
                "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: dns_pod.namespace}},
                "podSelector": {"matchLabels": dns_selector},
            }]),
            json!([{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]),
        );
        f = f.fix(apply_fix(
            format_exact!("let {who} ask the DNS pods on UDP and TCP 53"),
            &manifest,
        ));
    }
    vec![f]
}

#[cfg(test)]
mod tests;
