//! NetworkPolicy semantics (networking.k8s.io/v1, "Network Policies" in the
//! Kubernetes docs), evaluated for one connection: a source pod, a destination
//! pod, a destination port and protocol.
//!
//! - A policy *selects* a pod for a direction when it is in the pod's
//!   namespace, its `podSelector` matches, and its `policyTypes` include the
//!   direction (unset `policyTypes` = `Ingress`, plus `Egress` when the policy
//!   has egress rules). A pod selected by no policy for a direction is not
//!   isolated: everything is allowed in that direction.
//! - An isolated pod accepts a connection only if some rule of some selecting
//!   policy has (no peers, or a peer matching the other side) and (no ports, or
//!   a port matching the destination port and protocol). Policies are additive.
//! - Peers: `podSelector` alone = pods in the policy's namespace;
//!   `namespaceSelector` alone = every pod in matching namespaces (namespace
//!   labels, `kubernetes.io/metadata.name` included); both in one element =
//!   both must match; separate elements = either. `ipBlock` matches the other
//!   side's pod IP when the CIDR contains it and no `except` does (pod IPs only:
//!   the docs leave Service IPs and NAT undefined).
//! - Ports are the destination pod's port *after* the Service's DNAT: a rule
//!   naming the Service port does not allow traffic to a different pod port.
//!   Named ports resolve on the destination pod by name and protocol; `endPort`
//!   makes a range.
//! - hostNetwork pods share the node's network namespace: policies do not
//!   select them, and pod/namespace selectors never match them (only an
//!   `ipBlock` holding the node IP does).

use std::net::IpAddr;

use std::sync::Arc;

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::selector;
use crate::model::StringMap;
use crate::model::{Labels, NetworkPolicy, Pod, PodSpec, Word, word_of};
use compact_str::CompactString;

/// The label the API server puts on every namespace (Kubernetes ≥ 1.21).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A pod (or the pods of a template) as NetworkPolicy sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodFacts {
    pub namespace: String,
    pub labels: Labels,
    pub ips: Vec<IpAddr>,
    pub host_network: bool,
    /// Container ports (containers and sidecar init containers), for named ports.
    pub ports: Vec<NamedPort>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPort {
    /// Inline when short (a port name has at most 15 characters).
    pub name: CompactString,
    pub port: i32,
    /// `TCP`, `UDP` or `SCTP`, borrowed ([`word_of`]).
    pub protocol: Word,
}

impl PodFacts {
    /// A pod as it runs: its labels, IPs and container ports.
    pub fn of_pod(pod: &Pod) -> Self {
        let spec = pod.spec.as_ref();
        PodFacts {
            namespace: pod
                .metadata
                .namespace
                .as_deref()
                .unwrap_or_default()
                .to_string(),
            labels: pod.metadata.labels.clone().unwrap_or_default(),
            ips: pod_ips(pod),
            host_network: spec.and_then(|s| s.host_network).unwrap_or(false),
            ports: spec.map(container_ports).unwrap_or_default(),
        }
    }
}

/// A pod's IPs (`status.podIPs`, else `status.podIP`).
pub fn pod_ips(pod: &Pod) -> Vec<IpAddr> {
    let Some(status) = &pod.status else {
        return Vec::new();
    };
    let mut ips: Vec<IpAddr> = status
        .pod_ips
        .iter()
        .flatten()
        .filter_map(|p| p.ip.parse().ok())
        .collect();
    if ips.is_empty()
        && let Some(ip) = status.pod_ip.as_deref().and_then(|ip| ip.parse().ok())
    {
        ips.push(ip);
    }
    ips
}

/// Container ports of a pod spec: containers and sidecar init containers
/// (`restartPolicy: Always`), the ones a named port can resolve to.
pub fn container_ports(spec: &PodSpec) -> Vec<NamedPort> {
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    spec.containers
        .iter()
        .chain(sidecars)
        .flat_map(|c| c.ports.iter().flatten())
        .map(|p| NamedPort {
            name: p.name.as_deref().unwrap_or_default().into(),
            port: p.container_port,
            // TCP when unset, as the API defaults it.
            protocol: word_of(p.protocol.as_deref().unwrap_or("TCP")),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

/// A destination port and protocol (`TCP` unless stated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dest<'a> {
    pub port: i32,
    pub protocol: &'a str,
}

/// Labels of a namespace by name (with `kubernetes.io/metadata.name`).
pub type NamespaceLabels<'a> = dyn Fn(&str) -> StringMap + 'a;

/// One rule of a policy, in either direction.
struct Rule<'p> {
    peers: Option<&'p [NetworkPolicyPeer]>,
    ports: Option<&'p [NetworkPolicyPort]>,
}

fn rules(policy: &NetworkPolicy, dir: Direction) -> Vec<Rule<'_>> {
    let Some(spec) = &policy.spec else {
        return Vec::new();
    };
    match dir {
        Direction::Ingress => spec
            .ingress
            .iter()
            .flatten()
            .map(|r| Rule {
                peers: r.from.as_deref().filter(|p| !p.is_empty()),
                ports: r.ports.as_deref().filter(|p| !p.is_empty()),
            })
            .collect(),
        Direction::Egress => spec
            .egress
            .iter()
            .flatten()
            .map(|r| Rule {
                peers: r.to.as_deref().filter(|p| !p.is_empty()),
                ports: r.ports.as_deref().filter(|p| !p.is_empty()),
            })
            .collect(),
    }
}

pub fn name(policy: &NetworkPolicy) -> &str {
    policy.metadata.name.as_deref().unwrap_or("")
}

fn namespace(policy: &NetworkPolicy) -> &str {
    policy.metadata.namespace.as_deref().unwrap_or("")
}

/// Whether the policy's `policyTypes` (or their default) include `dir`.
pub fn has_type(policy: &NetworkPolicy, dir: Direction) -> bool {
    let Some(spec) = &policy.spec else {
        return dir == Direction::Ingress;
    };
    match &spec.policy_types {
        Some(types) if !types.is_empty() => types.iter().any(|t| t == dir.as_str()),
        // Defaulting (networking/v1): Ingress always; Egress when egress rules exist.
        _ => match dir {
            Direction::Ingress => true,
            Direction::Egress => spec.egress.as_ref().is_some_and(|e| !e.is_empty()),
        },
    }
}

/// Whether `policy` selects `pod` for `dir` (and so isolates it in that direction).
pub fn selects(policy: &NetworkPolicy, pod: &PodFacts, dir: Direction) -> bool {
    if pod.host_network || namespace(policy) != pod.namespace || !has_type(policy, dir) {
        return false;
    }
    // An omitted podSelector is the empty selector: every pod in the namespace.
    policy
        .spec
        .as_ref()
        .and_then(|s| s.pod_selector.as_ref())
        .is_none_or(|sel| selector::matches(sel, &pod.labels))
}

/// The policies among `policies` that select `pod` for `dir`.
pub fn selecting<'p>(
    policies: &'p [Arc<NetworkPolicy>],
    pod: &PodFacts,
    dir: Direction,
) -> Vec<&'p NetworkPolicy> {
    policies
        .iter()
        .map(|p| &**p)
        .filter(|p| selects(p, pod, dir))
        .collect()
}

/// Whether one peer element matches `other` for a policy in `policy_ns`.
pub fn peer_matches(
    peer: &NetworkPolicyPeer,
    policy_ns: &str,
    other: &PodFacts,
    ns_labels: &NamespaceLabels<'_>,
) -> bool {
    if let Some(block) = &peer.ip_block {
        return other.ips.iter().any(|ip| {
            cidr_contains(&block.cidr, ip)
                && !block
                    .except
                    .iter()
                    .flatten()
                    .any(|ex| cidr_contains(ex, ip))
        });
    }
    if other.host_network {
        return false;
    }
    let ns_ok = match &peer.namespace_selector {
        Some(sel) => selector::matches(sel, &ns_labels(&other.namespace)),
        None => other.namespace == policy_ns,
    };
    let pod_ok = match &peer.pod_selector {
        Some(sel) => selector::matches(sel, &other.labels),
        // A peer with neither selector nor ipBlock is invalid: it matches nothing.
        None => peer.namespace_selector.is_some(),
    };
    ns_ok && pod_ok
}

/// Whether a policy port matches `dest` on the destination pod.
pub fn port_matches(p: &NetworkPolicyPort, dest: Dest<'_>, dest_pod: &PodFacts) -> bool {
    if p.protocol.as_deref().unwrap_or("TCP") != dest.protocol {
        return false;
    }
    match &p.port {
        None => true,
        Some(IntOrString::Int(n)) => match p.end_port {
            Some(end) => (*n..=end).contains(&dest.port),
            None => *n == dest.port,
        },
        Some(IntOrString::String(port_name)) => dest_pod
            .ports
            .iter()
            .any(|np| np.name == port_name && np.protocol == dest.protocol && np.port == dest.port),
    }
}

/// The answer for one connection in one direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the selected side is isolated in this direction.
    pub isolated: bool,
    pub allowed: bool,
    /// Why: which policies isolate, which rule allows, near misses.
    pub evidence: Vec<String>,
}

/// Evaluate one direction of a connection from the point of view of the pod
/// the policies select: for `Ingress`, `selected` is the destination and
/// `peer` the source; for `Egress`, `selected` is the source and `peer` the
/// destination. `dest_pod` is the destination (for named ports);
/// `service_port` is the Service port the client dials, to spot rules that
/// name it instead of the pod port.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    policies: &[Arc<NetworkPolicy>],
    dir: Direction,
    selected: &PodFacts,
    peer: &PodFacts,
    dest_pod: &PodFacts,
    dest: Dest<'_>,
    service_port: Option<i32>,
    ns_labels: &NamespaceLabels<'_>,
) -> Verdict {
    let isolating = selecting(policies, selected, dir);
    if isolating.is_empty() {
        return Verdict {
            isolated: false,
            allowed: true,
            evidence: Vec::new(),
        };
    }
    let mut evidence = Vec::new();
    for policy in &isolating {
        let rules = rules(policy, dir);
        let policy_ns = namespace(policy);
        let label = format_exact!("policy {}/{}", policy_ns, name(policy));
        if rules.is_empty() {
            evidence.push(format_exact!(
                "{label} selects the pods for {} and has no rule: it allows nothing",
                dir.as_str()
            ));
            continue;
        }
        for (i, rule) in rules.iter().enumerate() {
            let peer_ok = rule.peers.is_none_or(|ps| {
                ps.iter()
                    .any(|p| peer_matches(p, policy_ns, peer, ns_labels))
            });
            let port_ok = rule
                .ports
                .is_none_or(|ps| ps.iter().any(|p| port_matches(p, dest, dest_pod)));
            let what = describe_rule(rule, policy_ns, dir);
            if peer_ok && port_ok {
                return Verdict {
                    isolated: true,
                    allowed: true,
                    evidence: vec![format_exact!("{label} rule {} allows it: {what}", i + 1)],
                };
            }
            let service_port_near_miss = service_port.is_some_and(|sp| {
                sp != dest.port
                    && rule.ports.is_some_and(|ps| {
                        ps.iter().any(|p| {
                            port_matches(
                                p,
                                Dest {
                                    port: sp,
                                    protocol: dest.protocol,
                                },
                                &PodFacts::default(),
                            )
                        })
                    })
            });
            let why = match (peer_ok, port_ok) {
                (true, false) if service_port_near_miss => format_exact!(
                    "it allows {} {}, the Service port, but policies see the pod port {} (after the Service's DNAT)",
                    dest.protocol,
                    service_port.unwrap_or_default(),
                    dest.port
                ),
                (true, false) => format_exact!(
                    "the port {} {} is not among its ports",
                    dest.protocol,
                    dest.port
                ),
                (false, true) => "the peer does not match".to_string(),
                _ => format_exact!(
                    "neither the peer nor the port {} {} matches",
                    dest.protocol,
                    dest.port
                ),
            };
            evidence.push(format_exact!("{label} rule {}: {what} — {why}", i + 1));
        }
    }
    Verdict {
        isolated: true,
        allowed: false,
        evidence,
    }
}

/// Who may reach `dest` on `dest_pod` at all, over the policies isolating it for
/// ingress: `None` when some rule allows every source, else the sources the
/// rules name (empty: nothing may connect).
pub fn allowed_sources(
    policies: &[Arc<NetworkPolicy>],
    dest_pod: &PodFacts,
    dest: Dest<'_>,
) -> Option<Vec<String>> {
    let mut sources = Vec::new();
    for policy in selecting(policies, dest_pod, Direction::Ingress) {
        for rule in rules(policy, Direction::Ingress) {
            let port_ok = rule
                .ports
                .is_none_or(|ps| ps.iter().any(|p| port_matches(p, dest, dest_pod)));
            if !port_ok {
                continue;
            }
            match rule.peers {
                None => return None,
                Some(peers) => sources.extend(peers.iter().map(|p| {
                    describe_peer(p, namespace(policy))
                        + &format_exact!(" (policy {})", name(policy))
                })),
            }
        }
    }
    sources.sort();
    sources.dedup();
    Some(sources)
}

fn describe_rule(rule: &Rule<'_>, policy_ns: &str, dir: Direction) -> String {
    let peers = match rule.peers {
        None => "any peer".to_string(),
        Some(ps) => ps
            .iter()
            .map(|p| describe_peer(p, policy_ns))
            .collect::<Vec<_>>()
            .join(" or "),
    };
    let ports = match rule.ports {
        None => "all ports".to_string(),
        Some(ps) => ps.iter().map(describe_port).collect::<Vec<_>>().join(", "),
    };
    let prep = match dir {
        Direction::Ingress => "from",
        Direction::Egress => "to",
    };
    format_exact!("{prep} {peers} on {ports}")
}

/// One peer as a person reads it.
pub fn describe_peer(peer: &NetworkPolicyPeer, policy_ns: &str) -> String {
    if let Some(block) = &peer.ip_block {
        let except = block.except.as_deref().unwrap_or_default();
        return if except.is_empty() {
            format_exact!("ipBlock {}", block.cidr)
        } else {
            format_exact!("ipBlock {} except {}", block.cidr, except.join(","))
        };
    }
    let pods = match &peer.pod_selector {
        Some(sel) if !selector::is_empty(sel) => format_exact!("pods {}", selector::describe(sel)),
        _ => "all pods".to_string(),
    };
    match &peer.namespace_selector {
        None => format_exact!("{pods} in {policy_ns}"),
        Some(sel) if selector::is_empty(sel) => format_exact!("{pods} in every namespace"),
        Some(sel) => format_exact!("{pods} in namespaces {}", selector::describe(sel)),
    }
}

fn describe_port(p: &NetworkPolicyPort) -> String {
    let proto = p.protocol.as_deref().unwrap_or("TCP");
    match (&p.port, p.end_port) {
        (None, _) => format_exact!("{proto} all ports"),
        (Some(IntOrString::Int(n)), Some(end)) => format_exact!("{proto} {n}-{end}"),
        (Some(IntOrString::Int(n)), None) => format_exact!("{proto} {n}"),
        (Some(IntOrString::String(s)), _) => format_exact!("{proto} port named {s}"),
    }
}

/// Whether `cidr` (`10.0.0.0/8`, `fd00::/64`, or a bare address) contains `ip`.
pub fn cidr_contains(cidr: &str, ip: &IpAddr) -> bool {
    let (addr, prefix) = match cidr.split_once('/') {
        Some((a, p)) => (a, p.parse::<u32>().ok()),
        None => (cidr, None),
    };
    let Ok(net) = addr.parse::<IpAddr>() else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) => {
            let bits = prefix.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(net) & mask == u32::from(*ip) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) => {
            let bits = prefix.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(net) & mask == u128::from(*ip) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_containment() {
        let ip: IpAddr = "10.244.1.10".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert!(cidr_contains("10.244.0.0/16", &ip));
        assert!(cidr_contains("10.244.1.10/32", &ip));
        assert!(cidr_contains("0.0.0.0/0", &ip));
        assert!(!cidr_contains("10.245.0.0/16", &ip));
        assert!(!cidr_contains("fd00::/8", &ip));
        assert!(!cidr_contains("garbage", &ip));
        let v6: IpAddr = "fd00::5".parse().unwrap_or(IpAddr::from([0u8; 16]));
        assert!(cidr_contains("fd00::/8", &v6));
        assert!(!cidr_contains("fe00::/8", &v6));
    }

    /// The ports NetworkPolicy matches a named port against: name, number
    /// and protocol as declared (borrowed), TCP when unset, and a sidecar's ports
    /// (an init container that keeps running) with the containers'.
    #[test]
    fn container_ports_keep_name_number_and_protocol() {
        let spec: PodSpec = serde_json::from_value(serde_json::json!({
            "initContainers": [
                {"name": "proxy", "restartPolicy": "Always", "ports": [{"name": "admin", "containerPort": 15000}]},
                {"name": "migrate", "ports": [{"name": "ignored", "containerPort": 1}]}
            ],
            "containers": [{"name": "app", "ports": [
                {"name": "http", "containerPort": 8080},
                {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                {"containerPort": 9000, "protocol": "SCTP"}
            ]}]
        }))
        .unwrap_or_default();
        let all = container_ports(&spec);
        let ports: Vec<(&str, i32, &str)> = all
            .iter()
            .map(|p| (p.name.as_str(), p.port, &*p.protocol))
            .collect();
        assert_eq!(
            ports,
            [
                ("http", 8080, "TCP"),
                ("dns", 53, "UDP"),
                ("", 9000, "SCTP"),
                ("admin", 15000, "TCP"),
            ]
        );
        // The protocols are the program's own words: no copy per port.
        assert!(
            all.iter()
                .all(|p| matches!(p.protocol, std::borrow::Cow::Borrowed(_)))
        );
    }
}
