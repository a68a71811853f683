//! Step `dns` (DESIGN §2): can cluster DNS answer for this Service?
//!
//! Cluster DNS is evaluated once per diagnosis by [`cluster`] and shared:
//! - **DNS-001** the DNS Service, **DNS-002** its ready endpoints, **DNS-003**
//!   its Deployment, **DNS-004** its pods (crashes, readiness, log
//!   signatures) — [`server`];
//! - **DNS-005** why DNS pods are Pending (taints, cordons, selectors) and
//!   **NODE-001** node health — [`placement`];
//! - **DNS-006** the Corefile and the cluster domain — [`corefile`].
//!
//! [`check`] then gives each Service the cluster findings that decide its
//! status (so a DNS outage fails every Service at `dns`, with the fix), plus
//! the client side: **DNS-008** the dnsPolicy of the pods that name it. An
//! ExternalName Service also fails when the Corefile forwards nothing.
//! DNS-007 (clients isolated for egress without DNS) lives in `network`.
//!
//! Cost: [`cluster`] is O(kube-system objects + nodes × taints); [`check`]
//! is O(cluster findings + the Service's references).
//!
//! To add a check: write it in the submodule it belongs to, call it from
//! [`cluster`] or [`check`], and document it in `docs/checks.md`.

pub mod corefile;
pub mod placement;
pub mod server;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::context::ServiceCtx;
use super::fix::{Kubectl, fix};
use super::index::Index;
use super::namespace::Client;
use super::network::policy::{NamedPort, PodFacts};
use super::permissions::not_evaluated;
use super::report::{ClusterStep, Finding, ServiceRef, Severity, StepId, StepReport};
use crate::model::{Pod, StringMap, shared};
use crate::safe_text::{sanitize, sanitize_in_place, sanitize_owned};
use crate::snapshot::Resource;
use server::{DNS_LABEL, DNS_NAMESPACE};

/// Cluster-wide DNS health, shared by every Service.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterDns {
    /// The cluster domain from the Corefile's `kubernetes` zone, else `cluster.local`.
    pub domain: String,
    /// Whether `domain` was read from the Corefile (otherwise assumed).
    pub domain_known: bool,
    /// DNS-001..006 findings, causes before symptoms (DNS-001, DNS-005,
    /// DNS-004, DNS-006, DNS-003, DNS-002).
    pub findings: Vec<Finding>,
    /// NODE-001 findings.
    pub node_findings: Vec<Finding>,
    /// The DNS Service, when found.
    pub service: Option<ServiceRef>,
    /// Its cluster IPs: what a `dnsPolicy: None` pod must list as nameservers.
    pub service_ips: Vec<String>,
    /// The DNS pods as NetworkPolicy sees them (DNS-007). When none is known,
    /// one stand-in with the DNS Service's selector.
    pub pods: Vec<PodFacts>,
    /// Whether the Corefile forwards names outside the cluster (`None`: unknown).
    pub forwards: Option<bool>,
}

impl ClusterDns {
    /// The `cluster` section of the report. When no node is Ready, NODE-001
    /// is the root cause and comes first.
    pub fn report_steps(&self) -> Vec<ClusterStep> {
        let (node_errors, node_rest): (Vec<&Finding>, Vec<&Finding>) = self
            .node_findings
            .iter()
            .partition(|f| f.severity == Severity::Error && !f.not_evaluated);
        let step = StepReport::from_findings(
            StepId::Dns,
            sanitized(
                node_errors
                    .into_iter()
                    .chain(&self.findings)
                    .chain(node_rest)
                    .cloned()
                    .collect(),
            ),
            self.healthy_summary(),
        );
        vec![ClusterStep {
            step: step.id,
            status: step.status,
            summary: step.summary,
            findings: step.findings,
        }]
    }

    fn healthy_summary(&self) -> String {
        let svc = self.service.as_ref().map_or_else(String::new, |s| {
            format_exact!(" ({}/{})", s.namespace, s.name)
        });
        if self.domain_known {
            format_exact!(
                "cluster DNS is healthy{svc}; cluster domain {}",
                self.domain
            )
        } else {
            format_exact!(
                "cluster DNS is healthy{svc}; cluster domain assumed {}",
                self.domain
            )
        }
    }

    /// The cluster findings that decide a Service's `dns` status: every error,
    /// warning and unevaluated check of DNS-001..006, and NODE-001 when no node
    /// is Ready (a node warning alone does not make every Service warn).
    pub fn decisive(&self) -> Vec<Finding> {
        let node = self
            .node_findings
            .iter()
            .filter(|f| f.severity == Severity::Error || f.not_evaluated);
        node.chain(
            self.findings
                .iter()
                .filter(|f| f.severity != Severity::Info || f.not_evaluated),
        )
        .cloned()
        .collect()
    }
}

/// Control characters from the cluster never reach the report's prose: the
/// message, evidence and fix summary of each finding are sanitized (fix
/// commands are left exact — they are shell-quoted instead).
pub(crate) fn sanitized(findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .map(|mut f| {
            sanitize_in_place(&mut f.message);
            for e in &mut f.evidence {
                sanitize_in_place(e);
            }
            if let Some(fix) = &mut f.fix {
                sanitize_in_place(&mut fix.summary);
            }
            f
        })
        .collect()
}

fn pod_is_live(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp().is_none()
        && !matches!(
            pod.status.as_ref().and_then(|s| s.phase.as_deref()),
            Some("Succeeded" | "Failed")
        )
}

/// Evaluate cluster DNS (DNS-001..006, NODE-001) once.
pub fn cluster(idx: &Index<'_>) -> ClusterDns {
    let access = &idx.snap.access;
    let mut findings = Vec::new();
    let svc = match server::dns001(idx) {
        Ok(svc) => Some(svc),
        Err(f) => {
            findings.push(*f);
            None
        }
    };
    let selector = svc
        .and_then(|s| s.spec.as_ref())
        .and_then(|s| s.selector.as_deref())
        .filter(|s| !s.is_empty());
    let deployment = server::find_deployment(idx, selector);
    let default_selector = StringMap::from([(DNS_LABEL.0.to_string(), DNS_LABEL.1.to_string())]);
    let pod_selector = selector
        .or_else(|| deployment.and_then(|d| d.spec.as_ref()?.selector.match_labels.as_deref()))
        .unwrap_or(&default_selector);
    let pods: Vec<&Pod> = idx
        .select_pods(DNS_NAMESPACE, pod_selector)
        .into_iter()
        .filter(|p| pod_is_live(p))
        .collect();
    let any_ready = pods.iter().any(|p| server::is_ready(p));
    let deployment_name = deployment.and_then(|d| d.metadata.name.as_deref());

    // DNS-006 first: it also yields the domain and the ConfigMap name.
    let corefile = corefile::check(idx, DNS_NAMESPACE, deployment);
    let configmap = deployment
        .and_then(|d| d.spec.as_ref()?.template.spec.as_ref()?.volumes.as_ref())
        .and_then(|v| v.iter().find_map(|v| v.config_map.as_ref()))
        .map_or("coredns", |c| c.name.as_str());

    if let Some(f) = not_evaluated(access, "DNS-004", Resource::Pods, Some(DNS_NAMESPACE)) {
        let f5 = not_evaluated(access, "DNS-005", Resource::Pods, Some(DNS_NAMESPACE));
        findings.extend(f5);
        findings.push(f);
    } else {
        let pending: Vec<&Pod> = pods
            .iter()
            .copied()
            .filter(|p| p.spec.as_ref().is_some_and(|s| s.node_name.is_none()))
            .collect();
        let tolerations = deployment
            .and_then(|d| d.spec.as_ref()?.template.spec.as_ref())
            .map_or(&[][..], |spec| shared::list(&spec.tolerations));
        findings.extend(placement::dns005(
            idx,
            DNS_NAMESPACE,
            &pending,
            deployment_name.map(|n| (n, tolerations)),
            any_ready,
        ));
        findings.extend(server::dns004(
            idx,
            &pods,
            any_ready,
            configmap,
            deployment_name,
        ));
    }
    findings.extend(corefile.findings);
    findings.extend(server::dns003(idx, deployment, &pods));
    if let Some(svc) = svc {
        findings.extend(server::dns002(idx, svc));
    }

    let service_ips: Vec<String> = svc
        .and_then(|s| s.spec.as_ref())
        .map(|s| {
            let mut ips: Vec<String> = s
                .cluster_ips
                .iter()
                .flatten()
                .map(ToString::to_string)
                .collect();
            if let Some(ip) = &s.cluster_ip
                && !ips.iter().any(|i| i == ip)
            {
                ips.push(ip.to_string());
            }
            ips.retain(|ip| ip != "None" && !ip.is_empty());
            ips
        })
        .unwrap_or_default();
    let mut pod_facts: Vec<PodFacts> = pods.iter().map(|p| PodFacts::of_pod(p)).collect();
    if pod_facts.is_empty() {
        pod_facts.push(PodFacts {
            namespace: DNS_NAMESPACE.to_string(),
            labels: pod_selector.clone().into(),
            ips: Vec::new(),
            host_network: false,
            ports: vec![
                NamedPort {
                    name: "dns".into(),
                    port: 53,
                    protocol: "UDP".into(),
                },
                NamedPort {
                    name: "dns-tcp".into(),
                    port: 53,
                    protocol: "TCP".into(),
                },
            ],
        });
    }
    let domain_known = corefile.domain.is_some();
    ClusterDns {
        domain: corefile
            .domain
            .unwrap_or_else(|| corefile::DEFAULT_DOMAIN.to_string()),
        domain_known,
        findings,
        node_findings: placement::node001(idx),
        service: svc.map(ServiceRef::of),
        service_ips,
        pods: pod_facts,
        forwards: corefile.forwards,
    }
}

/// Evaluate step `dns` for one Service: cluster DNS plus its clients' dnsPolicy (DNS-008).
pub fn check(ctx: &ServiceCtx<'_>) -> StepReport {
    let mut findings = ctx.dns.decisive();
    findings.extend(dns008(ctx));
    findings.extend(external_name_forwarding(ctx));
    let (name, ns, domain) = (ctx.name, ctx.namespace, &ctx.dns.domain);
    let assumed = if ctx.dns.domain_known {
        ""
    } else {
        " (cluster domain assumed)"
    };
    let summary =
        format_exact!("cluster DNS is healthy and serves {name}.{ns}.svc.{domain}{assumed}");
    StepReport::from_findings(StepId::Dns, sanitized(findings), sanitize_owned(summary))
}

/// An ExternalName Service is a CNAME: CoreDNS must resolve its target, which
/// for a name outside the cluster needs `forward`.
fn external_name_forwarding(ctx: &ServiceCtx<'_>) -> Option<Finding> {
    if !ctx.is_external_name() || ctx.dns.forwards != Some(false) {
        return None;
    }
    let target = ctx.svc.spec.as_ref()?.external_name.as_deref()?;
    let inside = target
        .trim_end_matches('.')
        .ends_with(&format_exact!(".svc.{}", ctx.dns.domain));
    (!inside).then(|| {
        Finding::error(
            "DNS-006",
            sanitize(&format_exact!(
                "{} is an alias for {target}, outside the cluster, and the Corefile has no forward plugin: the alias never resolves",
                ctx.name
            ))
            .into_owned(),
        )
    })
}

/// The JSON patch (or none, for a bare pod) setting the client's dnsPolicy.
fn patch_client(client: &Client, patch: serde_json::Value) -> Option<Kubectl> {
    let w = client.workload.as_ref()?;
    Some(
        Kubectl::in_namespace(&client.namespace)
            .lit("patch")
            .arg(w.resource)
            .arg(&w.name)
            .lit("--type=json")
            .lit("-p")
            .json(&patch),
    )
}

/// The search domain a name needs under `dnsPolicy: None` (`None`: fully qualified).
fn needed_search(host: &str, client_ns: &str, domain: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    if host.ends_with(&format_exact!(".svc.{domain}")) {
        return None;
    }
    if host.ends_with(".svc") {
        return Some(domain.to_string());
    }
    match host.matches('.').count() {
        0 => Some(format_exact!("{client_ns}.svc.{domain}")),
        _ => Some(format_exact!("svc.{domain}")),
    }
}

/// DNS-008: the clients that name this Service must ask cluster DNS.
fn dns008(ctx: &ServiceCtx<'_>) -> Vec<Finding> {
    type Uses<'c> = (&'c Client, BTreeSet<String>, Vec<String>);
    let mut by_client: BTreeMap<(String, String), Uses<'_>> = BTreeMap::new();
    for r in ctx.references {
        // Only these policies can fail (see dns008_client): most clients
        // (ClusterFirst without hostNetwork) cost nothing here.
        if let Some(client) = r.client.as_ref().filter(|c| {
            matches!(&*c.dns_policy, "Default" | "None")
                || (c.dns_policy == "ClusterFirst" && c.host_network)
        }) {
            let entry = by_client
                .entry(client.key())
                .or_insert_with(|| (client.as_ref(), BTreeSet::new(), Vec::new()));
            entry.1.insert(r.report.host.clone());
            entry.2.push(
                sanitize(&format_exact!(
                    "container {}: {} names {}",
                    r.report.from.container.as_deref().unwrap_or("?"),
                    r.report.from.source,
                    r.report.host
                ))
                .into_owned(),
            );
        }
    }
    by_client
        .into_values()
        .filter_map(|(client, hosts, uses)| {
            dns008_client(ctx, client, &hosts).map(|f| f.evidence_lines(uses))
        })
        .collect()
}

/// DNS-008 for one client naming `hosts`.
fn dns008_client(
    ctx: &ServiceCtx<'_>,
    client: &Client,
    hosts: &BTreeSet<String>,
) -> Option<Finding> {
    let domain = &ctx.dns.domain;
    let who = sanitize_owned(client.describe());
    let names = sanitize_owned(hosts.iter().cloned().collect::<Vec<_>>().join(", "));
    let immutable = "a pod's dnsPolicy cannot be changed: recreate the pod with the new policy";
    let with_fix =
        |f: Finding, summary: String, patch: serde_json::Value| match patch_client(client, patch) {
            Some(cmd) => f.fix(fix(summary, [cmd])),
            None => f.evidence(immutable),
        };
    let set_policy = |policy: &str| json!([{"op": "replace", "path": "/spec/template/spec/dnsPolicy", "value": policy}]);
    match &*client.dns_policy {
        "Default" => Some(with_fix(
            Finding::error(
                "DNS-008",
                format_exact!("{who} uses dnsPolicy Default: it asks the node's resolver, which does not know {names}"),
            ),
            "set dnsPolicy ClusterFirst so the pod asks cluster DNS".into(),
            set_policy("ClusterFirst"),
        )),
        "ClusterFirst" if client.host_network => Some(with_fix(
            Finding::error(
                "DNS-008",
                format_exact!("{who} runs with hostNetwork and dnsPolicy ClusterFirst, which then falls back to the node's resolver: {names} does not resolve"),
            ),
            "set dnsPolicy ClusterFirstWithHostNet, the policy for hostNetwork pods that need cluster names".into(),
            set_policy("ClusterFirstWithHostNet"),
        )),
        "None" => {
            // No DNS Service: DNS-001 says so.
            let ip = ctx.dns.service_ips.first()?;
            if !client.nameservers.iter().any(|n| ctx.dns.service_ips.contains(n)) {
                let patch = if client.nameservers.is_empty() {
                    json!([{"op": "add", "path": "/spec/template/spec/dnsConfig/nameservers", "value": [ip]}])
                } else {
                    json!([{"op": "add", "path": "/spec/template/spec/dnsConfig/nameservers/0", "value": ip}])
                };
                let listed = if client.nameservers.is_empty() {
                    "none".to_string()
                } else {
                    client.nameservers.join(", ")
                };
                return Some(with_fix(
                    Finding::error(
                        "DNS-008",
                        sanitize(&format_exact!(
                            "{who} uses dnsPolicy None and its nameservers ({listed}) do not include the cluster DNS address {ip}: {names} does not resolve"
                        ))
                        .into_owned(),
                    ),
                    format_exact!("put the cluster DNS address {ip} first among the pod's nameservers"),
                    patch,
                ));
            }
            let missing: BTreeSet<String> = hosts
                .iter()
                .filter_map(|h| needed_search(h, &client.namespace, domain))
                .filter(|s| !client.searches.contains(s))
                .collect();
            if missing.is_empty() {
                return None;
            }
            let list: Vec<String> = missing.into_iter().collect();
            let mut searches = list.clone();
            searches.extend(client.searches.iter().cloned());
            Some(with_fix(
                Finding::error(
                    "DNS-008",
                    sanitize(&format_exact!(
                        "{who} uses dnsPolicy None without the search domain {}: the short name {names} does not resolve",
                        list.join(", ")
                    ))
                    .into_owned(),
                ),
                "add the cluster search domains (or use the full name)".into(),
                json!([{"op": "add", "path": "/spec/template/spec/dnsConfig/searches", "value": searches}]),
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
