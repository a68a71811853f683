//! DNS-001..004: the DNS Service, its endpoints, its Deployment and its pods.

use compact_str::CompactString;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::diagnose::fix::{Kubectl, fix};
use crate::diagnose::index::{Index, Workload, labels_match};
use crate::diagnose::permissions::not_evaluated;
use crate::diagnose::report::Finding;
use crate::model::StringMap;
use crate::model::{Deployment, Pod, Service};
use crate::safe_text::{sanitize, sanitize_multiline, sanitize_owned};
use crate::snapshot::Resource;

pub const DNS_NAMESPACE: &str = "kube-system";
pub const DNS_SERVICE: &str = "kube-dns";
/// The label kubeadm, kops, EKS, GKE and AKS put on the DNS pods.
pub const DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");

fn has_port_53(svc: &Service, protocol: &str) -> bool {
    svc.spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .any(|p| p.port == 53 && p.protocol.as_deref().unwrap_or("TCP") == protocol)
}

/// DNS-001: the DNS Service. `Err` holds the finding when it is missing or unreadable.
pub fn dns001<'a>(idx: &Index<'a>) -> Result<&'a Service, Box<Finding>> {
    if let Some(f) = not_evaluated(
        &idx.snap.access,
        "DNS-001",
        Resource::Services,
        Some(DNS_NAMESPACE),
    ) {
        return Err(Box::new(f));
    }
    if let Some(svc) = idx.service(DNS_NAMESPACE, DNS_SERVICE) {
        return Ok(svc);
    }
    let mut others: Vec<&'a Service> = idx
        .services_in(DNS_NAMESPACE)
        .iter()
        .map(|s| &**s)
        .filter(|s| has_port_53(s, "UDP"))
        .collect();
    others.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    if let Some(svc) = others.first() {
        return Ok(svc);
    }
    Err(Box::new(missing_service(idx)))
}

/// The Service kubeadm creates, with the selector of the DNS pods and, when
/// the Service range can be read off `default/kubernetes` (its first
/// address), kubeadm's tenth address — what kubelets use as `clusterDNS`.
fn missing_service(idx: &Index<'_>) -> Finding {
    let deployment = find_deployment(idx, None);
    let selector = deployment
        .and_then(|d| d.spec.as_ref())
        .and_then(|s| s.selector.match_labels.as_deref().cloned())
        .unwrap_or_else(|| StringMap::from([(DNS_LABEL.0.to_string(), DNS_LABEL.1.to_string())]));
    let cluster_ip = idx
        .service("default", "kubernetes")
        .and_then(|s| {
            s.spec
                .as_ref()?
                .cluster_ip
                .as_deref()?
                .parse::<std::net::Ipv4Addr>()
                .ok()
        })
        .map(|ip| std::net::Ipv4Addr::from(u32::from(ip).wrapping_add(9)).to_string());
    let mut spec = json!({
        "selector": selector,
        "ports": [
            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
        ],
    });
    let mut summary = "recreate the DNS Service".to_string();
    match &cluster_ip {
        Some(ip) => {
            spec["clusterIP"] = json!(ip);
            summary.push_str(&format_exact!(
                " at {ip}, the address kubeadm gives it (the kubelets' clusterDNS must match; check /var/lib/kubelet/config.yaml)"
            ));
        }
        None => summary.push_str(
            "; set spec.clusterIP to the kubelets' clusterDNS address (/var/lib/kubelet/config.yaml), or pods keep asking an address nobody serves",
        ),
    }
    let manifest = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": DNS_SERVICE, "namespace": DNS_NAMESPACE, "labels": {DNS_LABEL.0: DNS_LABEL.1}},
        "spec": spec,
    });
    Finding::error(
        "DNS-001",
        format_exact!("no DNS Service: {DNS_NAMESPACE}/{DNS_SERVICE} does not exist and no {DNS_NAMESPACE} Service serves 53/UDP — no pod can resolve any name"),
    )
    .fix(fix(
        summary,
        [Kubectl::new().lit("apply").lit("-f").lit("-").stdin_manifest(&manifest)],
    ))
}

/// The DNS Deployment: in kube-system, its pod template labels satisfying the
/// DNS Service's selector (or, without a Service, named coredns/kube-dns or
/// labelled k8s-app=kube-dns).
pub fn find_deployment<'a>(
    idx: &Index<'a>,
    selector: Option<&StringMap>,
) -> Option<&'a Deployment> {
    let mut found: Vec<&'a Deployment> = idx
        .workloads_in(DNS_NAMESPACE)
        .iter()
        .filter_map(|w| match w {
            Workload::Deployment(d) => Some(*d),
            _ => None,
        })
        .filter(|d| {
            let template = d
                .spec
                .as_ref()
                .and_then(|s| s.template.metadata.as_ref())
                .and_then(|m| m.labels.as_deref());
            match selector {
                Some(sel) => labels_match(template, sel),
                None => {
                    matches!(d.metadata.name.as_deref(), Some("coredns" | "kube-dns"))
                        || template
                            .and_then(|l| l.get(DNS_LABEL.0))
                            .map(CompactString::as_str)
                            == Some(DNS_LABEL.1)
                }
            }
        })
        .collect();
    found.sort_by_key(|d| {
        let name = d.metadata.name.as_deref().unwrap_or("");
        (!matches!(name, "coredns" | "kube-dns"), name.to_string())
    });
    found.first().copied()
}

/// DNS-002: ready endpoints on UDP 53 and TCP 53 (EndpointSlices; v1
/// Endpoints only when the cluster serves no slices).
pub fn dns002(idx: &Index<'_>, svc: &Service) -> Vec<Finding> {
    let ns = svc.metadata.namespace.as_deref().unwrap_or(DNS_NAMESPACE);
    let name = svc.metadata.name.as_deref().unwrap_or("");
    let slices_served = idx.snap.serves_endpoint_slices;
    let resource = if slices_served {
        Resource::Endpointslices
    } else {
        Resource::Endpoints
    };
    if let Some(f) = not_evaluated(&idx.snap.access, "DNS-002", resource, Some(ns)) {
        return vec![f];
    }
    let mut evidence = Vec::new();
    let mut counts = Vec::new();
    let mut problems = Vec::new();
    for proto in ["UDP", "TCP"] {
        let port = svc
            .spec
            .iter()
            .flat_map(|s| s.ports.iter().flatten())
            .find(|p| p.port == 53 && p.protocol.as_deref().unwrap_or("TCP") == proto);
        let Some(port) = port else {
            problems.push(format_exact!("the Service has no 53/{proto} port"));
            counts.push((proto, 0usize));
            continue;
        };
        let port_name = port.name.as_deref().unwrap_or("");
        let (ready, lines) = if slices_served {
            ready_in_slices(idx, ns, name, port_name, proto)
        } else {
            ready_in_endpoints(idx, ns, name, port_name, proto)
        };
        evidence.extend(lines);
        counts.push((proto, ready.len()));
    }
    evidence.sort();
    evidence.dedup();
    if evidence.is_empty() {
        evidence.push(if idx.slices_for(ns, name).is_empty() && slices_served {
            "no EndpointSlice is labelled kubernetes.io/service-name=".to_string() + name
        } else {
            "its endpoints list no address".to_string()
        });
    }
    let shown = |counts: &[(&str, usize)]| {
        counts
            .iter()
            .map(|(p, n)| format_exact!("{n} on {p} 53"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let count = |proto: &str| {
        counts
            .iter()
            .find(|(p, _)| *p == proto)
            .map_or(0, |(_, n)| *n)
    };
    let (udp, tcp) = (count("UDP"), count("TCP"));
    let tcp_port_missing = problems.iter().any(|p| p.contains("53/TCP"));
    let svc_name = format_exact!("{ns}/{name}");
    let shown = shown(&counts);
    let finding = if udp == 0 {
        Some(Finding::error(
            "DNS-002",
            format_exact!(
                "the DNS Service {svc_name} has no ready endpoint on UDP 53 ({shown}): names do not resolve"
            ),
        ))
    } else if tcp_port_missing {
        Some(Finding::warning(
            "DNS-002",
            format_exact!(
                "the DNS Service {svc_name} has no 53/TCP port: answers too large for UDP fail"
            ),
        ))
    } else if tcp == 0 {
        Some(Finding::error(
            "DNS-002",
            format_exact!(
                "the DNS Service {svc_name} has no ready endpoint on TCP 53 ({shown}): answers too large for UDP fail"
            ),
        ))
    } else if udp.min(tcp) == 1 {
        Some(Finding::warning(
            "DNS-002",
            format_exact!(
                "the DNS Service {svc_name} has a single ready endpoint ({shown}): one pod restart and no name resolves"
            ),
        ))
    } else {
        None
    };
    finding
        .map(|f| f.evidence_lines(problems).evidence_lines(evidence))
        .into_iter()
        .collect()
}

/// Whether an endpoint port is the Service port `port_name`/`proto` (an
/// unnamed port is the empty name; the protocol defaults to TCP).
fn same_port(name: Option<&str>, protocol: Option<&str>, port_name: &str, proto: &str) -> bool {
    name.unwrap_or("") == port_name && protocol.unwrap_or("TCP") == proto
}

fn ready_in_slices(
    idx: &Index<'_>,
    ns: &str,
    name: &str,
    port_name: &str,
    proto: &str,
) -> (BTreeSet<String>, Vec<String>) {
    let mut ready = BTreeSet::new();
    let mut lines = Vec::new();
    for slice in idx.slices_for(ns, name) {
        let serves = slice
            .ports
            .iter()
            .flatten()
            .any(|p| same_port(p.name.as_deref(), p.protocol.as_deref(), port_name, proto));
        if !serves {
            continue;
        }
        for ep in &slice.endpoints {
            let conditions = ep.conditions.as_ref();
            // A missing `ready` means ready.
            let is_ready = conditions.and_then(|c| c.ready) != Some(false);
            let pod = ep
                .target_ref
                .as_ref()
                .and_then(|r| r.name.as_deref())
                .unwrap_or("?");
            for addr in &ep.addresses {
                if is_ready {
                    ready.insert(addr.to_string());
                }
                let state = if is_ready { "ready" } else { "not ready" };
                lines.push(sanitize_owned(format_exact!(
                    "endpoint {addr} (pod {pod}): {state}"
                )));
            }
        }
    }
    (ready, lines)
}

fn ready_in_endpoints(
    idx: &Index<'_>,
    ns: &str,
    name: &str,
    port_name: &str,
    proto: &str,
) -> (BTreeSet<String>, Vec<String>) {
    let mut ready = BTreeSet::new();
    let mut lines = Vec::new();
    let eps = idx.endpoints(ns, name);
    for subset in eps.iter().flat_map(|e| e.subsets.iter().flatten()) {
        let serves = subset
            .ports
            .iter()
            .flatten()
            .any(|p| same_port(p.name.as_deref(), p.protocol.as_deref(), port_name, proto));
        if !serves {
            continue;
        }
        for a in subset.addresses.iter().flatten() {
            ready.insert(a.ip.clone());
            lines.push(sanitize_owned(format_exact!("endpoint {}: ready", a.ip)));
        }
        for a in subset.not_ready_addresses.iter().flatten() {
            lines.push(sanitize_owned(format_exact!(
                "endpoint {}: not ready",
                a.ip
            )));
        }
    }
    (ready, lines)
}

/// DNS-003: the DNS Deployment's available replicas.
pub fn dns003(idx: &Index<'_>, deployment: Option<&Deployment>, pods: &[&Pod]) -> Vec<Finding> {
    if let Some(f) = not_evaluated(
        &idx.snap.access,
        "DNS-003",
        Resource::Deployments,
        Some(DNS_NAMESPACE),
    ) {
        return vec![f];
    }
    let Some(d) = deployment else {
        if pods.is_empty() {
            return vec![Finding::error(
                "DNS-003",
                format_exact!(
                    "no DNS Deployment in {DNS_NAMESPACE} and no DNS pod: nothing serves cluster DNS"
                ),
            )];
        }
        return Vec::new(); // DNS pods run under another controller
    };
    let name = d.metadata.name.as_deref().unwrap_or("");
    let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let available = d
        .status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0);
    let conditions: Vec<String> = d
        .status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .filter(|c| c.status != "True" || c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
        .map(|c| {
            sanitize(&format_exact!(
                "condition {}={} {}: {}",
                c.type_,
                c.status,
                c.reason.as_deref().unwrap_or(""),
                c.message.as_deref().unwrap_or("")
            ))
            .into_owned()
        })
        .collect();
    let dep = format_exact!("{DNS_NAMESPACE}/deployment/{name}");
    if desired == 0 {
        return vec![
            Finding::error(
                "DNS-003",
                format_exact!("the DNS Deployment {dep} is scaled to 0 replicas"),
            )
            .fix(fix(
                "scale the DNS Deployment back up (2 replicas, as kubeadm creates it)",
                [Kubectl::in_namespace(DNS_NAMESPACE)
                    .lit("scale")
                    .arg(format_exact!("deployment/{name}"))
                    .lit("--replicas=2")],
            )),
        ];
    }
    if available == 0 {
        return vec![
            Finding::error(
                "DNS-003",
                format_exact!("the DNS Deployment {dep} has 0 of {desired} replicas available"),
            )
            .evidence_lines(conditions),
        ];
    }
    if available < desired {
        return vec![
            Finding::warning(
                "DNS-003",
                format_exact!(
                    "the DNS Deployment {dep} has {available} of {desired} replicas available"
                ),
            )
            .evidence_lines(conditions),
        ];
    }
    Vec::new()
}

pub fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Log lines that name a CoreDNS failure, with what they mean.
const SIGNATURES: [(&str, &str); 4] = [
    (
        "plugin/loop",
        "CoreDNS detected a forwarding loop and exits: its upstream resolver points back at itself (typically a local stub such as 127.0.0.53 in the node's resolv.conf)",
    ),
    (
        "no nameservers found",
        "CoreDNS found no nameserver to forward to in the resolv.conf it reads",
    ),
    ("Error during parsing", "CoreDNS rejects its Corefile"),
    ("Corefile:", "CoreDNS rejects its Corefile"),
];

/// DNS-004: the DNS pods under the POD-001/POD-003 rules, plus log signatures.
/// `any_ready`: an unready pod only warns while another serves.
pub fn dns004(
    idx: &Index<'_>,
    pods: &[&Pod],
    any_ready: bool,
    configmap: &str,
    deployment: Option<&str>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut signatures: BTreeMap<&str, (String, Vec<String>)> = BTreeMap::new();
    for pod in pods {
        let name = pod.metadata.name.as_deref().unwrap_or("");
        let Some(spec) = &pod.spec else { continue };
        if spec.node_name.is_none() {
            continue; // unscheduled: DNS-005
        }
        let status = pod.status.as_ref();
        let statuses = status.iter().flat_map(|s| {
            s.init_container_statuses
                .iter()
                .flatten()
                .chain(s.container_statuses.iter().flatten())
        });
        let mut stuck = false;
        for cs in statuses {
            let waiting = cs.state.as_ref().and_then(|s| s.waiting.as_ref());
            let reason = waiting.and_then(|w| w.reason.as_deref()).unwrap_or("");
            if crate::diagnose::pod_status::BROKEN_WAITING_REASONS.contains(&reason) {
                stuck = true;
                let mut f = Finding::error(
                    "DNS-004",
                    sanitize(&format_exact!(
                        "DNS pod {name} container {}: {reason} (restarts: {})",
                        cs.name,
                        cs.restart_count
                    ))
                    .into_owned(),
                );
                if let Some(m) = waiting.and_then(|w| w.message.as_deref()) {
                    f = f.evidence(sanitize_owned(format_exact!("waiting: {m}")));
                }
                if let Some(t) = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
                    f = f.evidence(
                        sanitize(&format_exact!(
                            "last termination: {} (exit code {})",
                            t.reason.as_deref().unwrap_or("?"),
                            t.exit_code
                        ))
                        .into_owned(),
                    );
                }
                f = f.fix(fix(
                    "read why the container stops, then fix the cause (image, Corefile, resources)",
                    [
                        Kubectl::in_namespace(DNS_NAMESPACE)
                            .lit("logs")
                            .arg(name)
                            .lit("-c")
                            .arg(&cs.name)
                            .lit("--previous"),
                        Kubectl::in_namespace(DNS_NAMESPACE)
                            .lit("describe")
                            .lit("pod")
                            .arg(name),
                    ],
                ));
                findings.push(f);
            } else if matches!(reason, "ContainerCreating" | "PodInitializing") {
                let since = pod
                    .metadata
                    .creation_timestamp
                    .as_ref()
                    .map(|t| idx.now.as_second() - t.0.as_second());
                if since.is_some_and(|s| s > 300) {
                    stuck = true;
                    findings.push(
                        Finding::warning(
                            "DNS-004",
                            sanitize(&format_exact!(
                                "DNS pod {name} container {} has been {reason} for over 5 minutes",
                                cs.name
                            ))
                            .into_owned(),
                        )
                        .fix(fix(
                            "the pod's events say what it waits for (volume, image pull, network)",
                            [Kubectl::in_namespace(DNS_NAMESPACE)
                                .lit("describe")
                                .lit("pod")
                                .arg(name)],
                        )),
                    );
                }
            }
            if let Some(logs) = idx.logs(DNS_NAMESPACE, name, &cs.name) {
                for text in [&logs.previous, &logs.current].into_iter().flatten() {
                    for line in text.lines() {
                        if let Some((_, meaning)) =
                            SIGNATURES.iter().find(|(s, _)| line.contains(s))
                        {
                            let entry = signatures.entry(meaning).or_insert_with(|| {
                                (sanitize_multiline(line.trim()).into_owned(), Vec::new())
                            });
                            if !entry.1.iter().any(|p| p == name) {
                                entry.1.push(name.to_string());
                            }
                        }
                    }
                }
            }
        }
        let running = status.and_then(|s| s.phase.as_deref()) == Some("Running");
        if !stuck && running && !is_ready(pod) {
            let msg = sanitize_owned(format_exact!("DNS pod {name} is Running but not Ready"));
            let f = if any_ready {
                Finding::warning("DNS-004", msg)
            } else {
                Finding::error("DNS-004", msg)
            };
            let mut events = idx.events_for("Pod", &pod.metadata);
            events.retain(|e| e.reason.as_deref() == Some("Unhealthy"));
            let lines = events.iter().take(3).map(|e| {
                sanitize(&format_exact!(
                    "event Unhealthy: {}",
                    e.message.as_deref().unwrap_or("")
                ))
                .into_owned()
            });
            findings.push(
                f.evidence_lines(lines).fix(fix(
                    "see why the readiness probe fails",
                    [Kubectl::in_namespace(DNS_NAMESPACE)
                        .lit("describe")
                        .lit("pod")
                        .arg(name)],
                )),
            );
        }
    }
    for (meaning, (line, pods)) in signatures {
        let mut commands = vec![
            Kubectl::in_namespace(DNS_NAMESPACE)
                .lit("edit")
                .lit("configmap")
                .arg(configmap),
        ];
        if let Some(d) = deployment {
            commands.push(
                Kubectl::in_namespace(DNS_NAMESPACE)
                    .lit("rollout")
                    .lit("restart")
                    .arg(format_exact!("deployment/{d}")),
            );
        }
        let summary = if meaning.contains("loop") || meaning.contains("nameserver") {
            "make `forward` point at a real upstream resolver (e.g. `forward . 8.8.8.8`, or the kubelet's resolvConf set to /run/systemd/resolve/resolv.conf on systemd-resolved nodes), then restart CoreDNS"
        } else {
            "repair the Corefile where the log line points, then restart CoreDNS"
        };
        findings.push(
            Finding::error("DNS-004", meaning.to_string())
                .evidence(format_exact!(
                    "log of {}: {line}",
                    sanitize(&pods.join(", "))
                ))
                .fix(fix(summary, commands)),
        );
    }
    findings
}
