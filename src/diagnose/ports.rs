//! Step `ports` (DESIGN §2): does each Service port reach a port the
//! container serves?
//!
//! Checks: PORT-001 (numeric targetPort), PORT-002 (named targetPort,
//! resolved on every selected pod), PORT-003 (slice port names, appProtocol,
//! sessionAffinity), PORT-004 (headless port semantics). Resolution follows
//! the EndpointSlice controller ([`super::endpoint_rules::resolve`]): by name
//! **and** protocol, containers then sidecar init containers; an omitted
//! targetPort is `port`. To add a check: write `fn check_xxx(ctx) ->
//! Vec<Finding>` here, call it from [`check`], and document it in
//! `docs/checks.md`.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ServicePort;
use serde_json::{Value, json};

use super::context::ServiceCtx;
use super::endpoint_rules::{self, DeclaredPort, Target};
use super::endpoints::slice_port_finding;
use super::fix::{Kubectl, fix};
use super::permissions;
use super::pod_status;
use super::report::{Finding, StepId, StepReport};
use super::service::json_patch;
use crate::model::Pod;
use crate::snapshot::Resource;

/// Evaluate step `ports` for one Service.
pub fn check(ctx: &ServiceCtx<'_>) -> StepReport {
    if ctx.is_external_name() {
        return StepReport::skip(StepId::Ports, "ExternalName: no ports are proxied");
    }
    if ctx.selector.is_none() {
        return StepReport::skip(
            StepId::Ports,
            "no selector: the target ports are whatever its hand-written EndpointSlices say (see SEL-005)",
        );
    }
    if let Some(f) = permissions::not_evaluated(
        &ctx.idx.snap.access,
        "PORT-001",
        Resource::Pods,
        Some(ctx.namespace),
    ) {
        return StepReport::from_findings(StepId::Ports, vec![f], "");
    }
    let ports = endpoint_rules::service_ports(ctx.svc);
    let mut pods: Vec<&Pod> = ctx
        .pods
        .iter()
        .copied()
        .filter(|p| !pod_status::is_terminal(p))
        .collect();
    pods.sort_by_key(|p| pod_status::name(p));
    if pods.is_empty() {
        return StepReport::blocked(
            StepId::Ports,
            "blocked: no running pods to resolve ports on",
        );
    }

    let mut findings = Vec::new();
    let mut summary = Vec::new();
    {
        let mut undeclared = Vec::new();
        for (i, sp) in ports.iter().enumerate() {
            let (fs, line) = match endpoint_rules::target_of(sp) {
                Target::Number(n) => check_numeric(ctx, i, sp, n, &pods, &mut undeclared),
                Target::Name(name) => check_named(ctx, i, sp, name, &pods),
            };
            findings.extend(fs);
            summary.extend(line);
            findings.extend(check_headless(ctx, i, sp, &pods));
        }
        if !undeclared.is_empty() {
            findings.push(
                Finding::info(
                    "PORT-001",
                    format_exact!(
                        "the pods declare no container ports, so targetPort {} cannot be verified (declaring ports is optional)",
                        undeclared.join(", ")
                    ),
                )
                .evidence("check what the app listens on: kubectl exec POD -- ss -tlnp"),
            );
        }
    }
    findings.extend(check_consistency(ctx, ports));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    // A Service has one port, mostly: its line is the summary as it is.
    let pass = match summary.as_mut_slice() {
        [] => "no ports to check".to_string(),
        [one] => std::mem::take(one),
        many => many.join("; "),
    };
    StepReport::from_findings(StepId::Ports, findings, pass)
}

/// `[{"op":"test","path":"/spec/ports/<i>/port",…}, {"op":"add","path":"/spec/ports/<i>/<field>",…}]`:
/// the test guards against the list having changed since the diagnosis.
fn patch_port(
    ctx: &ServiceCtx<'_>,
    i: usize,
    sp: &ServicePort,
    field: &str,
    value: Value,
) -> Kubectl {
    let patch = json!([
        {"op": "test", "path": format_exact!("/spec/ports/{i}/port"), "value": sp.port},
        {"op": "add", "path": format_exact!("/spec/ports/{i}/{field}"), "value": value},
    ]);
    json_patch(ctx.namespace, "service", ctx.name, &patch)
}

/// Pods grouped by the evidence line they produce, so replicas fold.
fn fold(lines: Vec<(String, &Pod)>) -> Vec<String> {
    let mut by_line: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (line, pod) in lines {
        by_line.entry(line).or_default().push(pod_status::name(pod));
    }
    by_line
        .into_iter()
        .map(|(line, pods)| {
            let who = match pods.as_slice() {
                [one] => format_exact!("pod {one}"),
                [first, rest @ ..] => format_exact!("pod {first} (and {} more)", rest.len()),
                [] => String::new(),
            };
            format_exact!("{who}: {line}")
        })
        .collect()
}

fn declared_text(declared: &[DeclaredPort<'_>]) -> String {
    declared
        .iter()
        .map(DeclaredPort::describe)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The declared port a fix should target: the only one with the protocol,
/// else the one named like the Service port, else the one numbered like it.
fn fix_candidate<'a>(
    declared: &[DeclaredPort<'a>],
    sp: &ServicePort,
    proto: &str,
) -> Option<DeclaredPort<'a>> {
    let same: Vec<&DeclaredPort<'a>> = declared.iter().filter(|d| d.protocol == proto).collect();
    if let [one] = same.as_slice() {
        return Some(**one);
    }
    let sp_name = sp.name.as_deref().filter(|n| !n.is_empty());
    same.iter()
        .find(|d| sp_name.is_some() && d.name == sp_name)
        .or_else(|| same.iter().find(|d| d.number == sp.port))
        .map(|d| **d)
}

fn target_value(d: &DeclaredPort<'_>) -> Value {
    d.name.map_or_else(|| json!(d.number), |n| json!(n))
}

// ---------------------------------------------------------------- PORT-001

/// PORT-001: a numeric (or omitted) targetPort must be declared by a
/// container with that number and protocol, when the containers declare
/// ports at all (declaring is optional: no ports at all is INFO).
fn check_numeric(
    ctx: &ServiceCtx<'_>,
    i: usize,
    sp: &ServicePort,
    n: i32,
    pods: &[&Pod],
    undeclared: &mut Vec<String>,
) -> (Vec<Finding>, Option<String>) {
    let proto = endpoint_rules::protocol(sp.protocol.as_deref());
    let omitted = endpoint_rules::target_omitted(sp);
    let mut checkable = 0;
    let mut bad: Vec<(String, &Pod)> = Vec::new();
    let mut other_proto = false;
    let mut candidate: Option<DeclaredPort<'_>> = None;
    for p in pods {
        let Some(spec) = p.spec.as_ref() else {
            continue;
        };
        if endpoint_rules::declared_ports(spec).next().is_none() {
            continue;
        }
        checkable += 1;
        if endpoint_rules::declared_ports(spec).any(|d| d.number == n && d.protocol == proto) {
            continue;
        }
        // Collected only for the pods that do not declare the port.
        let declared: Vec<DeclaredPort<'_>> = endpoint_rules::declared_ports(spec).collect();
        let protos: Vec<&str> = declared
            .iter()
            .filter(|d| d.number == n)
            .map(|d| d.protocol)
            .collect();
        if protos.is_empty() {
            bad.push((format_exact!("declared: {}", declared_text(&declared)), p));
            if candidate.is_none() {
                candidate = fix_candidate(&declared, sp, proto);
            }
        } else {
            other_proto = true;
            bad.push((
                format_exact!(
                    "{n} declared only as {} ({})",
                    protos.join(","),
                    declared_text(&declared)
                ),
                p,
            ));
        }
    }
    let sp_text = endpoint_rules::service_port_text(sp);
    if checkable == 0 {
        undeclared.push(format_exact!("{n}/{proto}"));
        return (
            Vec::new(),
            Some(format_exact!("{sp_text} → {n} (not declared)")),
        );
    }
    if bad.is_empty() {
        return (
            Vec::new(),
            Some(format_exact!(
                "{sp_text} → {n} on {checkable} pod{}",
                if checkable == 1 { "" } else { "s" }
            )),
        );
    }
    let what = if other_proto {
        format_exact!("{n}/{proto}, but the containers declare {n} with another protocol")
    } else {
        match candidate {
            Some(d) => format_exact!("{n}, but the containers declare {}", d.describe()),
            None => format_exact!("{n}, which no container declares"),
        }
    };
    let omitted_text = if omitted {
        " (targetPort omitted, so it is the port)"
    } else {
        ""
    };
    let message = format_exact!("service port {sp_text} targets {what}");
    let message = match message.split_once(", but") {
        Some((head, tail)) if omitted => format_exact!("{head}{omitted_text}, but{tail}"),
        _ => format_exact!("{message}{omitted_text}"),
    };
    let all = bad.len() == checkable;
    let mut f = if all {
        Finding::error("PORT-001", message)
    } else {
        Finding::warning(
            "PORT-001",
            format_exact!("{message} (on {} of {checkable} pods)", bad.len()),
        )
    };
    f = f.evidence_lines(fold(bad));
    if let Some(d) = candidate.filter(|_| !other_proto) {
        let shown = d.name.map_or_else(
            || d.number.to_string(),
            |n| format_exact!("{n} ({})", d.number),
        );
        f = f.fix(fix(
            format_exact!("target the port the container declares: {shown}"),
            [patch_port(ctx, i, sp, "targetPort", target_value(&d))],
        ));
    }
    (vec![f], None)
}

// ---------------------------------------------------------------- PORT-002

/// PORT-002: a named targetPort, resolved on every selected pod by name and
/// protocol (containers, then sidecar init containers).
fn check_named(
    ctx: &ServiceCtx<'_>,
    i: usize,
    sp: &ServicePort,
    name: &str,
    pods: &[&Pod],
) -> (Vec<Finding>, Option<String>) {
    let proto = endpoint_rules::protocol(sp.protocol.as_deref());
    // Where each pod resolves it; described only when replicas disagree.
    let mut resolved: Vec<(i32, &Pod, Option<DeclaredPort<'_>>)> = Vec::new();
    let mut unresolved: Vec<(String, &Pod)> = Vec::new();
    let mut candidates: BTreeSet<(Option<&str>, i32)> = BTreeSet::new();
    let mut candidate: Option<DeclaredPort<'_>> = None;
    for p in pods {
        let spec = p.spec.as_ref();
        if let Some(r) = endpoint_rules::resolve(spec, sp) {
            resolved.push((r.number, p, r.declared));
            continue;
        }
        let declared: Vec<DeclaredPort<'_>> = spec
            .map(|s| endpoint_rules::declared_ports(s).collect())
            .unwrap_or_default();
        let same_name: Vec<String> = declared
            .iter()
            .filter(|d| d.name == Some(name))
            .map(DeclaredPort::describe)
            .collect();
        let line = if !same_name.is_empty() {
            format_exact!(
                "{} is not {proto}: a name with another protocol does not resolve",
                same_name.join(", ")
            )
        } else if declared.is_empty() {
            "no container ports declared".to_string()
        } else {
            format_exact!(
                "no port named {name}; declared: {}",
                declared_text(&declared)
            )
        };
        unresolved.push((line, p));
        if let Some(d) = fix_candidate(&declared, sp, proto) {
            candidates.insert((d.name, d.number));
            candidate.get_or_insert(d);
        }
    }
    let sp_text = endpoint_rules::service_port_text(sp);
    let mut numbers: Vec<i32> = resolved.iter().map(|r| r.0).collect();
    numbers.sort_unstable();
    numbers.dedup();
    if resolved.is_empty() {
        let on = match pods.len() {
            1 => "does not resolve on the selected pod".to_string(),
            n => format_exact!("resolves on none of the {n} selected pods"),
        };
        let mut f = Finding::error(
            "PORT-002",
            format_exact!(
                "service port {sp_text} targets port name {name}, which {on} (no container port {name} with protocol {proto})"
            ),
        )
        .evidence_lines(fold(unresolved));
        if let (Some(d), 1) = (candidate, candidates.len()) {
            let shown = d.name.map_or_else(
                || d.number.to_string(),
                |n| format_exact!("{n} ({})", d.number),
            );
            f = f.fix(fix(
                format_exact!("target the port the containers declare: {shown}"),
                [patch_port(ctx, i, sp, "targetPort", target_value(&d))],
            ));
        }
        return (vec![f], None);
    }
    let mut out = Vec::new();
    if !unresolved.is_empty() {
        out.push(
            Finding::warning(
                "PORT-002",
                format_exact!(
                    "service port {sp_text} targets {name}, which resolves on {} of {} pods: the others get no traffic on it",
                    resolved.len(),
                    pods.len()
                ),
            )
            .evidence_lines(fold(unresolved)),
        );
    }
    if numbers.len() > 1 {
        let lines: Vec<(String, &Pod)> = resolved
            .iter()
            .map(|(n, p, on)| {
                let on = on.as_ref().map_or_else(String::new, DeclaredPort::describe);
                (format_exact!("{name} → {n} ({on})"), *p)
            })
            .collect();
        out.push(
            Finding::warning(
                "PORT-002",
                format_exact!(
                    "service port {sp_text} targets {name}, which resolves to different ports: {}",
                    numbers
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .evidence_lines(fold(lines)),
        );
    }
    let line = format_exact!(
        "{sp_text} → {name} = {} on {} pod{}",
        numbers
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join("/"),
        resolved.len(),
        if resolved.len() == 1 { "" } else { "s" }
    );
    (out, Some(line))
}

// ---------------------------------------------------------------- PORT-004

/// PORT-004: a headless Service has no virtual IP; clients resolve pod IPs
/// and dial `podIP:port` themselves, so `port` must be where the pods serve.
fn check_headless(ctx: &ServiceCtx<'_>, i: usize, sp: &ServicePort, pods: &[&Pod]) -> Vec<Finding> {
    if !ctx.is_headless() {
        return Vec::new();
    }
    let mut counts: BTreeMap<i32, usize> = BTreeMap::new();
    for p in pods {
        if let Some(r) = endpoint_rules::resolve(p.spec.as_ref(), sp) {
            *counts.entry(r.number).or_default() += 1;
        }
    }
    let Some((&target, _)) = counts
        .iter()
        .max_by_key(|(n, c)| (**c, std::cmp::Reverse(**n)))
    else {
        return Vec::new();
    };
    if target == sp.port {
        return Vec::new();
    }
    let sp_text = endpoint_rules::service_port_text(sp);
    vec![
        Finding::warning(
            "PORT-004",
            format_exact!(
                "headless service {}: clients dial podIP:{}, but the pods serve {target} (targetPort {})",
                ctx.name,
                sp.port,
                endpoint_rules::target_text(sp)
            ),
        )
        .evidence(format_exact!(
            "port {sp_text}: DNS for a headless Service returns pod IPs; there is no proxy to translate {} to {target}",
            sp.port
        ))
        .fix(fix(
            format_exact!("make the Service port {target}, where the pods serve (clients using {} must follow)", sp.port),
            [patch_port(ctx, i, sp, "port", json!(target))],
        )),
    ]
}

// ---------------------------------------------------------------- PORT-003

/// PORT-003: slice port names must match Service port names (kube-proxy pairs
/// them by name); appProtocol contradicting the port name; ClientIP affinity.
fn check_consistency(ctx: &ServiceCtx<'_>, ports: &[ServicePort]) -> Vec<Finding> {
    let mut out = Vec::new();
    let names: BTreeSet<&str> = ports
        .iter()
        .map(|p| p.name.as_deref().unwrap_or(""))
        .collect();
    for s in ctx.slices {
        let slice = s.metadata.name.as_deref().unwrap_or("");
        for p in s.ports.iter().flatten() {
            let name = p.name.as_deref().unwrap_or("");
            if !names.contains(name) {
                out.push(slice_port_finding("PORT-003", ctx, slice, name, &names));
            }
        }
    }
    for sp in ports {
        let (Some(name), Some(app)) = (sp.name.as_deref(), sp.app_protocol.as_deref()) else {
            continue;
        };
        let by_name = name.split('-').next().and_then(protocol_family);
        let by_app = protocol_family(app.strip_prefix("kubernetes.io/").unwrap_or(app));
        if let (Some(a), Some(b)) = (by_name, by_app)
            && a != b
        {
            out.push(Finding::info(
                "PORT-003",
                format_exact!(
                    "port {name} says {a} by its name but appProtocol {app} says {b}: proxies and meshes follow appProtocol"
                ),
            ));
        }
    }
    let spec = ctx.svc.spec.as_ref();
    if spec.and_then(|s| s.session_affinity.as_deref()) == Some("ClientIP") {
        let timeout = spec
            .and_then(|s| s.session_affinity_config.as_ref())
            .and_then(|c| c.client_ip.as_ref())
            .and_then(|c| c.timeout_seconds)
            .unwrap_or(10800);
        out.push(Finding::info(
            "PORT-003",
            format_exact!(
                "sessionAffinity ClientIP: each client IP sticks to one pod for {}s; one busy client gets one pod for everything",
                timeout
            ),
        ));
    }
    out
}

/// A protocol family for comparing port names and appProtocol values
/// (`grpc` rides on HTTP/2; `https` is HTTP over TLS).
fn protocol_family(p: &str) -> Option<&'static str> {
    Some(match p.to_ascii_lowercase().as_str() {
        "http" | "ws" => "http",
        "https" | "wss" | "tls" => "tls",
        "http2" | "h2c" | "grpc" | "grpc-web" => "http2",
        "tcp" => "tcp",
        "udp" => "udp",
        "mongo" => "mongo",
        "mysql" => "mysql",
        "redis" => "redis",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::report::{Finding, Report, Severity, Status, StepId, StepReport};
    use super::super::testing::*;

    const PORT_001: &str = include_str!("../../tests/fixtures/engine/ports/port-001.yaml");
    const PORT_002: &str = include_str!("../../tests/fixtures/engine/ports/port-002.yaml");
    const PORT_003_004: &str = include_str!("../../tests/fixtures/engine/ports/port-003-004.yaml");

    fn ports<'r>(r: &'r Report, ns: &str, name: &str) -> &'r StepReport {
        step(r, ns, name, StepId::Ports)
    }

    fn command(f: &Finding) -> &str {
        &f.fix.as_ref().expect("a fix").commands[0]
    }

    #[test]
    fn healthy_services_pass_without_findings() {
        let r = run(&[BASE]);
        for (ns, name) in [("shop", "web"), ("kube-system", "kube-dns")] {
            let s = ports(&r, ns, name);
            assert_status(s, Status::Pass);
            assert!(s.findings.is_empty(), "{s:#?}");
        }
        assert_eq!(
            ports(&r, "shop", "web").summary,
            "http 80/TCP → 8080 on 2 pods"
        );
    }

    #[test]
    fn port_001_guide_problem_2_target_port_not_declared() {
        let r = run(&[BASE, PORT_001]);
        let svc = service(&r, "num", "backend-service");
        assert_eq!(svc.failing_step, Some(StepId::Ports));
        let f = finding(ports(&r, "num", "backend-service"), "PORT-001");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            f.message,
            "service port http 80/TCP targets 80, but the containers declare 8080/TCP (container backend)"
        );
        assert_eq!(
            f.evidence,
            ["pod backend-6d4f9c-mn3k1 (and 1 more): declared: 8080/TCP (container backend)"]
        );
        assert_eq!(
            command(f),
            r#"kubectl -n num patch service backend-service --type=json -p '[{"op":"test","path":"/spec/ports/0/port","value":80},{"op":"add","path":"/spec/ports/0/targetPort","value":8080}]'"#
        );
    }

    #[test]
    fn port_001_fix_targets_the_declared_name_and_protocol_mismatch_fails() {
        let r = run(&[BASE, PORT_001]);
        let f = finding(ports(&r, "num", "named-decl"), "PORT-001");
        assert!(
            command(f)
                .ends_with(r#"{"op":"add","path":"/spec/ports/0/targetPort","value":"http"}]'"#)
        );

        let s = ports(&r, "num", "dns-tcp");
        assert_status(s, Status::Fail);
        let f = finding(s, "PORT-001");
        assert_eq!(
            f.message,
            "service port dns-tcp 53/TCP targets 53/TCP, but the containers declare 53 with another protocol"
        );
        assert_eq!(
            f.evidence,
            ["pod dns-tcp-1: 53 declared only as UDP (dns 53/UDP (container dns))"]
        );
        assert!(f.fix.is_none());
    }

    #[test]
    fn port_001_omitted_target_port_is_the_port() {
        let r = run(&[BASE, PORT_001]);
        assert_status(ports(&r, "num", "omitted"), Status::Pass);
        let f = finding(ports(&r, "num", "omitted-bad"), "PORT-001");
        assert_eq!(
            f.message,
            "service port 80/TCP targets 80 (targetPort omitted, so it is the port), but the containers declare 8080/TCP (container web)"
        );
    }

    #[test]
    fn port_001_near_miss_nothing_declared_is_info() {
        let r = run(&[BASE, PORT_001]);
        let s = ports(&r, "num", "undeclared");
        assert_status(s, Status::Pass);
        assert_eq!(checks(s), [("PORT-001", Severity::Info)]);
    }

    #[test]
    fn port_002_named_target_ports() {
        let r = run(&[BASE, PORT_002]);
        let s = ports(&r, "named", "nowhere");
        assert_status(s, Status::Fail);
        let f = finding(s, "PORT-002");
        assert_eq!(
            f.evidence,
            ["pod nowhere-1: no port named http; declared: web 8080/TCP (container app)"]
        );
        assert!(
            command(f)
                .ends_with(r#"{"op":"add","path":"/spec/ports/0/targetPort","value":"web"}]'"#)
        );

        // A name that exists with another protocol does not resolve.
        let s = ports(&r, "named", "proto");
        assert_status(s, Status::Fail);
        assert_eq!(
            finding(s, "PORT-002").evidence,
            [
                "pod proto-1: dns 53/UDP (container dns) is not TCP: a name with another protocol does not resolve"
            ]
        );

        // Near miss: a sidecar init container's port resolves; a plain init container's does not.
        let s = ports(&r, "named", "sidecar");
        assert_status(s, Status::Pass);
        assert_eq!(s.summary, "proxy 80/TCP → proxy = 15001 on 1 pod");
        assert_status(ports(&r, "named", "plain-init"), Status::Fail);

        let s = ports(&r, "named", "some");
        assert_status(s, Status::Warn);
        assert!(
            finding(s, "PORT-002")
                .message
                .contains("resolves on 1 of 2 pods")
        );
        let s = ports(&r, "named", "differ");
        assert_status(s, Status::Warn);
        assert!(
            finding(s, "PORT-002")
                .message
                .ends_with("resolves to different ports: 8080, 9090")
        );
        // Each pod's port is described only here, where replicas disagree.
        assert_eq!(
            finding(s, "PORT-002").evidence,
            [
                "pod differ-1: http → 8080 (http 8080/TCP (container app))",
                "pod differ-2: http → 9090 (http 9090/TCP (container app))"
            ]
        );
    }

    #[test]
    fn port_003_consistency() {
        let r = run(&[BASE, PORT_003_004]);
        let s = ports(&r, "cons", "slicename");
        assert_status(s, Status::Fail);
        assert_eq!(
            finding(s, "PORT-003").message,
            "slice slicename-1 has port web but service slicename has no port of that name: kube-proxy matches them by name"
        );
        let s = ports(&r, "cons", "appproto");
        assert_status(s, Status::Pass);
        assert_eq!(checks(s), [("PORT-003", Severity::Info)]);
        // Near miss: grpc over h2c agree.
        assert!(ports(&r, "cons", "h2c").findings.is_empty());
        let s = ports(&r, "cons", "sticky");
        assert!(
            finding(s, "PORT-003")
                .message
                .starts_with("sessionAffinity ClientIP")
        );
    }

    #[test]
    fn port_004_headless_ports() {
        let r = run(&[BASE, PORT_003_004]);
        let s = ports(&r, "cons", "headless-bad");
        assert_status(s, Status::Warn);
        let f = finding(s, "PORT-004");
        assert_eq!(
            f.message,
            "headless service headless-bad: clients dial podIP:80, but the pods serve 8080 (targetPort 8080)"
        );
        assert!(command(f).ends_with(r#"{"op":"add","path":"/spec/ports/0/port","value":8080}]'"#));
        // Near miss: port = resolved targetPort.
        let s = ports(&r, "cons", "headless-ok");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
    }

    /// A Service with several ports: one summary line per port, in the
    /// Service's order; with one port, that port's line alone (above).
    #[test]
    fn every_port_has_its_line_in_the_summary() {
        let r = run(&[BASE]);
        let s = ports(&r, "kube-system", "kube-dns");
        assert_status(s, Status::Pass);
        assert_eq!(
            s.summary,
            "dns 53/UDP → 53 on 2 pods; dns-tcp 53/TCP → 53 on 2 pods; metrics 9153/TCP → 9153 on 2 pods"
        );
        assert_eq!(
            ports(&r, "shop", "web").summary,
            "http 80/TCP → 8080 on 2 pods"
        );
    }
}
