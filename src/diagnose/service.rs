//! Step `service` (DESIGN §2): does the Service exist and is it well-formed?
//!
//! Checks: SVC-001 (missing: [`missing`]), SVC-002 (shape), SVC-003
//! (ExternalName target), SVC-004 (warning events, LoadBalancer without an
//! address). To add a check: write `fn check_xxx(ctx) -> Vec<Finding>` here,
//! call it from [`check`], and document it in `docs/checks.md`.

use serde_json::{Value, json};

use super::context::ServiceCtx;
use super::endpoint_rules::{self, Target};
use super::fix::{Kubectl, fix};
use super::index::{Index, Workload};
use super::namespace::TracedReference;
use super::permissions;
use super::pod_status::{human_duration, seconds_since};
use super::report::{Finding, ServiceRef, StepId, StepReport};
use crate::model::Event;
use crate::model::StringMap;
use crate::snapshot::Resource;

/// A LoadBalancer gets this long to receive an address before SVC-004 warns.
const LB_GRACE_SECONDS: i64 = 5 * 60;

/// Evaluate step `service` for one Service.
pub fn check(ctx: &ServiceCtx<'_>) -> StepReport {
    let mut findings = check_shape(ctx);
    findings.extend(check_external_name(ctx));
    findings.extend(check_events(ctx));
    findings.extend(check_load_balancer(ctx));
    StepReport::from_findings(StepId::Service, findings, pass_summary(ctx))
}

fn pass_summary(ctx: &ServiceCtx<'_>) -> String {
    let spec = ctx.svc.spec.as_ref();
    if ctx.is_external_name() {
        let target = spec.and_then(|s| s.external_name.as_deref()).unwrap_or("");
        return format_exact!("ExternalName Service {} → {target}", ctx.name);
    }
    // `10.96.0.10, ` or `headless, ` before the selector, written straight
    // into the summary.
    let (ip, comma) = match spec.and_then(|s| s.cluster_ip.as_deref()) {
        Some("None") => ("headless", ", "),
        Some(ip) if !ip.is_empty() => (ip, ", "),
        _ => ("", ""),
    };
    match ctx.selector {
        Some(sel) => format_exact!(
            "{} Service {} exists ({ip}{comma}selector {})",
            ctx.service_type(),
            ctx.name,
            selector_text(sel)
        ),
        None => format_exact!(
            "{} Service {} exists ({ip}{comma}no selector)",
            ctx.service_type(),
            ctx.name
        ),
    }
}

/// `app=backend,tier=api`, written straight into the text it is part of
/// (every Service's summary names its selector).
pub fn selector_text(sel: &StringMap) -> SelectorText<'_> {
    SelectorText(sel)
}

/// See [`selector_text`].
pub struct SelectorText<'a>(&'a StringMap);

impl std::fmt::Display for SelectorText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// SVC-002: `selector: {}` (only visible in manifests: the API drops an empty
/// map) and ExternalName Services that also set a selector or ports.
fn check_shape(ctx: &ServiceCtx<'_>) -> Vec<Finding> {
    let Some(spec) = ctx.svc.spec.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if ctx.is_external_name() {
        let mut ignored = Vec::new();
        if spec.selector.as_deref().is_some_and(|s| !s.is_empty()) {
            ignored.push("selector");
        }
        if spec.ports.as_ref().is_some_and(|p| !p.is_empty()) {
            ignored.push("ports");
        }
        if !ignored.is_empty() {
            out.push(Finding::info(
                "SVC-002",
                format_exact!(
                    "ExternalName Service {} also sets {}; they are ignored (DNS answers with a CNAME only)",
                    ctx.name,
                    ignored.join(" and ")
                ),
            ));
        }
    } else if spec.selector.as_deref().is_some_and(StringMap::is_empty) {
        let patch = json!([{"op": "remove", "path": "/spec/selector"}]);
        out.push(
            Finding::warning(
                "SVC-002",
                format_exact!(
                    "service {} has selector: {{}}: that selects no pods (it does not mean \"all pods\"); endpoints must be managed by hand",
                    ctx.name
                ),
            )
            .evidence("an empty selector is dropped by the API server: the Service is selector-less (see SEL-005)")
            .fix(fix(
                "if the endpoints are managed by hand, drop the empty selector to say so; otherwise set the pods' labels as the selector",
                [json_patch(ctx.namespace, "service", ctx.name, &patch)],
            )),
        );
    }
    out
}

/// SVC-003: an ExternalName must be a DNS name, and an in-cluster one must exist.
fn check_external_name(ctx: &ServiceCtx<'_>) -> Vec<Finding> {
    if !ctx.is_external_name() {
        return Vec::new();
    }
    let target = ctx
        .svc
        .spec
        .as_ref()
        .and_then(|s| s.external_name.as_deref())
        .unwrap_or("");
    if target.is_empty() {
        return vec![Finding::error(
            "SVC-003",
            format_exact!("ExternalName Service {} has no externalName", ctx.name),
        )];
    }
    if target.parse::<std::net::IpAddr>().is_ok() {
        return vec![external_name_is_ip(ctx, target)];
    }
    let Some((svc, ns)) = in_cluster_target(target, &ctx.dns.domain) else {
        return Vec::new();
    };
    if ctx.idx.service(ns, svc).is_some() {
        return Vec::new();
    }
    let mut f = Finding::error(
        "SVC-003",
        format_exact!(
            "externalName {target} names Service {svc} in namespace {ns}, which does not exist"
        ),
    )
    .related(ServiceRef::new(ns, svc));
    let elsewhere: Vec<&str> = ctx
        .idx
        .services_named(svc)
        .iter()
        .filter_map(|s| s.metadata.namespace.as_deref())
        .collect();
    for other in &elsewhere {
        f = f.evidence(format_exact!("Service {svc} exists in namespace {other}"));
    }
    if let [other] = elsewhere.as_slice() {
        let fqdn = format_exact!("{svc}.{other}.svc.{}", ctx.dns.domain);
        let patch = json!([{"op": "replace", "path": "/spec/externalName", "value": fqdn}]);
        f = f.fix(fix(
            format_exact!("point the ExternalName at {fqdn}"),
            [json_patch(ctx.namespace, "service", ctx.name, &patch)],
        ));
    }
    vec![f]
}

/// `svc.ns.svc[.<domain>][.]` → `(svc, ns)`.
fn in_cluster_target<'t>(target: &'t str, domain: &str) -> Option<(&'t str, &'t str)> {
    let name = target.strip_suffix('.').unwrap_or(target);
    let mut parts = name.splitn(4, '.');
    let (svc, ns, kw, rest) = (parts.next()?, parts.next()?, parts.next()?, parts.next());
    (kw == "svc" && rest.is_none_or(|r| r == domain)).then_some((svc, ns))
}

fn external_name_is_ip(ctx: &ServiceCtx<'_>, ip: &str) -> Finding {
    let f = Finding::error(
        "SVC-003",
        format_exact!(
            "externalName {ip} is an IP address: it is served as a DNS CNAME and never resolves"
        ),
    )
    .evidence(
        "ExternalName answers with a CNAME to the name; an IP is not a name a resolver can follow",
    );
    let ports: Vec<Value> = endpoint_rules::service_ports(ctx.svc)
        .iter()
        .map(|p| {
            json!({
                "name": p.name.as_deref().unwrap_or(""),
                "port": match endpoint_rules::target_of(p) {
                    Target::Number(n) => n,
                    Target::Name(_) => p.port,
                },
                "protocol": endpoint_rules::protocol(p.protocol.as_deref()),
            })
        })
        .collect();
    if ports.is_empty() {
        return f.fix(fix(
            "make it a selector-less ClusterIP Service (with ports) and an EndpointSlice listing the IP",
            [],
        ));
    }
    let family = endpoint_rules::Family::of_ip(ip).unwrap_or(endpoint_rules::Family::V4);
    let to_cluster_ip = json!([
        {"op": "remove", "path": "/spec/externalName"},
        {"op": "replace", "path": "/spec/type", "value": "ClusterIP"}
    ]);
    let slice = json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": format_exact!("{}-manual", ctx.name),
            "namespace": ctx.namespace,
            "labels": {super::index::SERVICE_NAME_LABEL: ctx.name},
        },
        "addressType": family.as_str(),
        "endpoints": [{"addresses": [ip], "conditions": {"ready": true}}],
        "ports": ports,
    });
    f.fix(fix(
        format_exact!(
            "make {} a selector-less ClusterIP Service and publish {ip} in an EndpointSlice",
            ctx.name
        ),
        [
            json_patch(ctx.namespace, "service", ctx.name, &to_cluster_ip),
            Kubectl::new()
                .lit("apply")
                .lit("-f")
                .lit("-")
                .stdin_manifest(&slice),
        ],
    ))
}

/// `kubectl -n NS patch RESOURCE NAME --type=json -p '<patch>'`: every fix
/// of the four steps that edits an object goes through here.
pub fn json_patch(namespace: &str, resource: &str, name: &str, patch: &Value) -> Kubectl {
    Kubectl::in_namespace(namespace)
        .lit("patch")
        .lit(resource)
        .arg(name)
        .lit("--type=json")
        .lit("-p")
        .json(patch)
}

/// SVC-004: non-Normal events about this Service (matched by uid, never by
/// name alone: a recreated Service has the same name and a new uid). Events
/// are this check's only input, so when they may not be read it is `unknown`.
fn check_events(ctx: &ServiceCtx<'_>) -> Vec<Finding> {
    if let Some(f) = permissions::not_evaluated(
        &ctx.idx.snap.access,
        "SVC-004",
        Resource::Events,
        Some(ctx.namespace),
    ) {
        return vec![f];
    }
    let mut events: Vec<_> = ctx
        .idx
        .events_for("Service", &ctx.svc.metadata)
        .into_iter()
        .filter(|e| {
            let o = &e.involved_object;
            o.kind.as_deref() == Some("Service")
                && o.name.as_deref() == Some(ctx.name)
                && o.namespace.as_deref().unwrap_or(ctx.namespace) == ctx.namespace
                && e.type_.as_deref().unwrap_or("Normal") != "Normal"
        })
        .collect();
    if events.is_empty() {
        return Vec::new();
    }
    events.sort_by_key(|e| std::cmp::Reverse(event_time(e)));
    let latest = events[0];
    let mut f = Finding::warning(
        "SVC-004",
        format_exact!(
            "service {} has {} warning event{}: {} {}",
            ctx.name,
            events.len(),
            if events.len() == 1 { "" } else { "s" },
            latest.reason.as_deref().unwrap_or(""),
            latest.message.as_deref().unwrap_or("").trim()
        ),
    );
    for e in events.iter().take(5) {
        f = f.evidence(event_line(ctx.idx, e));
    }
    vec![
        f.fix(fix(
            "read the Service's events and the controller named in them",
            [Kubectl::in_namespace(ctx.namespace)
                .lit("describe")
                .lit("service")
                .arg(ctx.name)],
        )),
    ]
}

/// When an event last happened (series, lastTimestamp, eventTime, creation).
pub fn event_time(e: &Event) -> Option<k8s_openapi::jiff::Timestamp> {
    e.series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| t.0)
        .or_else(|| e.last_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// How many times an event happened (`series.count`, else `count`, else 1).
pub fn event_count(e: &Event) -> i32 {
    e.series
        .as_ref()
        .and_then(|s| s.count)
        .or(e.count)
        .unwrap_or(1)
        .max(1)
}

/// `Warning FailedScheduling ×4, 2m ago: 0/1 nodes are available…`.
pub fn event_line(idx: &Index<'_>, e: &Event) -> String {
    let when = event_time(e)
        .map(|t| {
            format_exact!(
                ", {} ago",
                human_duration(idx.now.as_second() - t.as_second())
            )
        })
        .unwrap_or_default();
    let count = event_count(e);
    let times = if count > 1 {
        format_exact!(" ×{count}")
    } else {
        String::new()
    };
    format_exact!(
        "{} {}{times}{when}: {}",
        e.type_.as_deref().unwrap_or("Normal"),
        e.reason.as_deref().unwrap_or(""),
        e.message.as_deref().unwrap_or("").trim()
    )
}

/// SVC-004: a LoadBalancer still without an ingress address after 5 minutes.
fn check_load_balancer(ctx: &ServiceCtx<'_>) -> Vec<Finding> {
    if ctx.service_type() != "LoadBalancer" {
        return Vec::new();
    }
    let has_ingress = ctx
        .svc
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .is_some_and(|i| !i.is_empty());
    if has_ingress {
        return Vec::new();
    }
    let age = ctx
        .svc
        .metadata
        .creation_timestamp
        .as_ref()
        .map(|t| seconds_since(ctx.idx.now, t));
    if age.is_some_and(|a| a < LB_GRACE_SECONDS) {
        return Vec::new();
    }
    let since = age.map_or_else(String::new, |a| {
        format_exact!(" after {}", human_duration(a))
    });
    let mut f = Finding::warning(
        "SVC-004",
        format_exact!("LoadBalancer {} has no external address{since}", ctx.name),
    )
    .evidence("status.loadBalancer.ingress is empty: no load-balancer implementation has taken the Service (cloud controller, MetalLB, …)");
    if let Some(class) = ctx
        .svc
        .spec
        .as_ref()
        .and_then(|s| s.load_balancer_class.as_deref())
    {
        f = f.evidence(format_exact!(
            "loadBalancerClass {class}: only the implementation of that class will serve it"
        ));
    }
    vec![f.fix(fix(
        "check the load-balancer controller's events for this Service; in-cluster clients can still use the ClusterIP",
        [Kubectl::in_namespace(ctx.namespace)
            .lit("describe")
            .lit("service")
            .arg(ctx.name)],
    ))]
}

/// SVC-001 for a Service that does not exist: where the name does exist, near
/// names in the namespace, and who references it; the fix creates it from a
/// likely backend workload, or points the clients at the namespace where it exists.
pub fn missing(idx: &Index<'_>, target: &ServiceRef, refs: &[&TracedReference]) -> StepReport {
    let (ns, name) = (target.namespace.as_str(), target.name.as_str());
    let mut f = Finding::error(
        "SVC-001",
        format_exact!("service {name} does not exist in {ns}"),
    );
    let elsewhere: Vec<&str> = idx
        .services_named(name)
        .iter()
        .filter_map(|s| s.metadata.namespace.as_deref())
        .filter(|other| *other != ns)
        .collect();
    for other in &elsewhere {
        f = f.evidence(format_exact!(
            "a Service {name} exists in namespace {other} (reachable as {name}.{other}.svc)"
        ));
    }
    let mut near: Vec<(usize, &str)> = idx
        .services_in(ns)
        .iter()
        .filter_map(|s| s.metadata.name.as_deref())
        .map(|other| (strsim::levenshtein(name, other), other))
        .filter(|(d, other)| *d <= 2 && *other != name)
        .collect();
    near.sort();
    for (_, other) in &near {
        f = f.evidence(format_exact!(
            "a Service with a similar name exists in {ns}: {other}"
        ));
    }
    for r in refs.iter().take(10) {
        f = f.evidence(reference_line(r));
    }
    if refs.len() > 10 {
        f = f.evidence(format_exact!("… and {} more references", refs.len() - 10));
    }
    let port = refs.iter().find_map(|r| r.report.port);
    let backend = likely_backend(idx, ns, name);
    if let Some(w) = backend {
        f = f.evidence(format_exact!(
            "{} {} looks like its backend (name or app label {})",
            w.kind(),
            w.name(),
            stem(name)
        ));
    }
    let ref_fixes: Vec<String> = {
        let mut cmds: Vec<String> = refs
            .iter()
            .filter_map(|r| r.report.fix.as_ref())
            .flat_map(|fx| fx.commands.iter().cloned())
            .collect();
        cmds.dedup();
        cmds
    };
    let fx = if !elsewhere.is_empty() && !ref_fixes.is_empty() {
        super::report::Fix {
            summary: format_exact!(
                "{name} exists in {}: point the clients at its full name",
                elsewhere.join(", ")
            ),
            commands: ref_fixes,
        }
    } else {
        let mut fx = create_fix(ns, name, port, backend);
        if let Some(other) = elsewhere.first() {
            fx.summary = format_exact!(
                "{name} exists in {other}: point the clients at {name}.{other}.svc, or {}",
                fx.summary
            );
        }
        fx
    };
    StepReport::from_findings(StepId::Service, vec![f.fix(fx)], "")
}

fn reference_line(r: &TracedReference) -> String {
    let from = &r.report.from;
    let container = from
        .container
        .as_deref()
        .map_or_else(String::new, |c| format_exact!(", container {c}"));
    let port = r
        .report
        .port
        .map_or_else(String::new, |p| format_exact!(":{p}"));
    format_exact!(
        "referenced by {} {}/{}{container}, {} ({}{port})",
        from.kind,
        from.namespace,
        from.name,
        from.source,
        r.report.host
    )
}

/// The name without the usual Service suffixes: `postgres-service` → `postgres`.
fn stem(name: &str) -> &str {
    ["-service", "-svc", "-headless"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .filter(|s| !s.is_empty())
        .unwrap_or(name)
}

/// A workload in `ns` that is probably the missing Service's backend: its
/// name is the Service name or its stem (or within edit distance 2 of a stem
/// of 5+ characters), or its pod template's app label equals either.
fn likely_backend<'a>(idx: &Index<'a>, ns: &str, name: &str) -> Option<Workload<'a>> {
    let stem = stem(name);
    let score = |w: &Workload<'_>| -> Option<usize> {
        let wn = w.name();
        if wn == name || wn == stem {
            return Some(0);
        }
        let labels = w.template_labels();
        let app = ["app", "app.kubernetes.io/name", "k8s-app"]
            .iter()
            .filter_map(|k| labels.and_then(|l| l.get(k)))
            .any(|v| v == stem || v == name);
        if app {
            return Some(1);
        }
        let d = strsim::levenshtein(wn, stem);
        (stem.chars().count() >= 5 && d <= 2).then_some(1 + d)
    };
    idx.workloads_in(ns)
        .iter()
        .filter_map(|w| score(w).map(|s| (s, w.name(), *w)))
        .min_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)))
        .map(|(_, _, w)| w)
}

/// Create the Service: `kubectl expose` from a Deployment/ReplicaSet backend,
/// else a manifest (StatefulSet/DaemonSet, which kubectl cannot expose, or no
/// backend at all, when the selector is a guess to adjust).
fn create_fix(
    ns: &str,
    name: &str,
    port: Option<u16>,
    backend: Option<Workload<'_>>,
) -> super::report::Fix {
    let declared: Vec<(i32, Option<String>)> = backend
        .and_then(|w| w.template())
        .and_then(|t| t.spec.as_ref())
        .map(|s| {
            endpoint_rules::declared_ports(s)
                .filter(|d| d.protocol == "TCP")
                .map(|d| (d.number, d.name.map(str::to_string)))
                .collect()
        })
        .unwrap_or_default();
    let port = port
        .map(i32::from)
        .or_else(|| declared.first().map(|d| d.0))
        .unwrap_or(80);
    let target = declared
        .iter()
        .find(|d| d.0 == port)
        .or(declared.first())
        .map_or(port, |d| d.0);
    match backend {
        Some(w @ (Workload::Deployment(_) | Workload::ReplicaSet(_))) => fix(
            format_exact!("expose {} {} as {name}", w.kind(), w.name()),
            [Kubectl::in_namespace(ns)
                .lit("expose")
                .lit(w.resource())
                .arg(w.name())
                .flag("--name", name)
                .flag("--port", port.to_string())
                .flag("--target-port", target.to_string())],
        ),
        Some(w) => {
            let selector = workload_selector(&w);
            let summary = format_exact!(
                "create Service {name} selecting {} {}'s pods",
                w.kind(),
                w.name()
            );
            fix(summary, [apply_service(ns, name, &selector, port, target)])
        }
        None => {
            let selector = StringMap::from([("app".to_string(), stem(name).to_string())]);
            let summary = format_exact!(
                "no workload in {ns} looks like {name}'s backend: deploy it, then create the Service (adjust the selector app={} to its pod labels)",
                stem(name)
            );
            fix(summary, [apply_service(ns, name, &selector, port, target)])
        }
    }
}

/// The workload's own selector (matchLabels), else its template labels
/// without the per-revision hashes.
fn workload_selector(w: &Workload<'_>) -> StringMap {
    let match_labels = w.match_labels().cloned();
    match_labels.filter(|m| !m.is_empty()).unwrap_or_else(|| {
        w.template_labels()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !REVISION_LABELS.contains(&k.as_str()))
            .collect()
    })
}

/// Labels controllers stamp per revision or per pod: never part of a selector fix.
pub const REVISION_LABELS: [&str; 4] = [
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
];

fn apply_service(ns: &str, name: &str, selector: &StringMap, port: i32, target: i32) -> Kubectl {
    let manifest = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "selector": selector,
            "ports": [{"port": port, "targetPort": target, "protocol": "TCP"}],
        },
    });
    Kubectl::new()
        .lit("apply")
        .lit("-f")
        .lit("-")
        .stdin_manifest(&manifest)
}

/// Fix commands from hostile names split into exactly the intended arguments.
#[cfg(test)]
#[path = "shell_safety_tests.rs"]
mod shell_safety_tests;

#[cfg(test)]
mod tests {
    use super::super::index::Index;
    use super::super::namespace::TracedReference;
    use super::super::report::{
        Finding, Fix, Reference, ReferenceSource, Report, ServiceRef, ServiceReport, Severity,
        Status, StepId, StepReport,
    };
    use super::super::testing::*;
    use super::super::{Options, diagnose};
    use crate::snapshot::Scope;

    const SVC_001: &str = include_str!("../../tests/fixtures/engine/service/svc-001.yaml");
    const SVC_002_003: &str = include_str!("../../tests/fixtures/engine/service/svc-002-003.yaml");
    const SVC_004: &str = include_str!("../../tests/fixtures/engine/service/svc-004.yaml");
    const SEL_005: &str = include_str!("../../tests/fixtures/engine/endpoints/sel-005.yaml");

    /// `check NAME -n NS` on the fixtures.
    fn check_one(texts: &[&str], ns: &str, name: &str) -> ServiceReport {
        let mut snap = snapshot(texts);
        snap.scope = Scope::Namespace(ns.to_string());
        let report = diagnose(
            &snap,
            now(),
            &Options {
                service: Some(name.to_string()),
            },
        );
        report
            .services
            .into_iter()
            .find(|s| s.namespace == ns && s.name == name)
            .map(std::sync::Arc::unwrap_or_clone)
            .unwrap_or_else(|| panic!("{ns}/{name} not reported"))
    }

    fn svc_step<'r>(r: &'r Report, ns: &str, name: &str) -> &'r StepReport {
        step(r, ns, name, StepId::Service)
    }

    fn only(s: &StepReport) -> &Finding {
        assert_eq!(s.findings.len(), 1, "{s:#?}");
        &s.findings[0]
    }

    #[test]
    fn healthy_services_pass_without_findings() {
        let r = run(&[BASE]);
        let s = svc_step(&r, "shop", "web");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty());
        assert_eq!(
            s.summary,
            "ClusterIP Service web exists (10.96.10.1, selector app=web)"
        );
    }

    /// The summary says what the Service is: its cluster IP, `headless`,
    /// or neither (near miss: an empty clusterIP is no IP), then its
    /// selector or that it has none.
    #[test]
    fn the_summary_gives_the_cluster_ip_and_the_selector() {
        const MORE: &str = "
apiVersion: v1
kind: Service
metadata: {name: web-headless, namespace: shop}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: by-hand, namespace: shop}
spec: {clusterIP: '', ports: [{port: 80}]}
";
        let r = run(&[BASE, MORE]);
        for (name, want) in [
            (
                "web-headless",
                "ClusterIP Service web-headless exists (headless, selector app=web)",
            ),
            ("by-hand", "ClusterIP Service by-hand exists (no selector)"),
        ] {
            assert_eq!(svc_step(&r, "shop", name).summary, want);
        }
    }

    #[test]
    fn svc_001_missing_with_a_likely_deployment_backend_is_exposed() {
        let svc = check_one(&[BASE, SVC_001], "data", "postgres-service");
        assert!(!svc.exists);
        assert_eq!(svc.failing_step, Some(StepId::Service));
        let f = only(svc.step(StepId::Service).unwrap());
        assert_eq!(f.message, "service postgres-service does not exist in data");
        assert!(f.evidence.contains(
            &"Deployment postgres looks like its backend (name or app label postgres)".to_string()
        ));
        assert_eq!(
            f.fix.as_ref().unwrap().commands,
            [
                "kubectl -n data expose deployment postgres --name=postgres-service --port=5432 --target-port=5432"
            ]
        );
        assert!(svc.steps[1..].iter().all(|s| s.status == Status::Blocked));
    }

    #[test]
    fn svc_001_statefulset_backend_gets_a_manifest() {
        let svc = check_one(&[BASE, SVC_001], "cache", "redis-svc");
        let f = only(svc.step(StepId::Service).unwrap());
        let cmd = &f.fix.as_ref().unwrap().commands[0];
        assert_eq!(
            cmd,
            r#"printf '%s\n' '{"apiVersion":"v1","kind":"Service","metadata":{"name":"redis-svc","namespace":"cache"},"spec":{"ports":[{"port":6379,"protocol":"TCP","targetPort":6379}],"selector":{"app.kubernetes.io/name":"redis"}}}' | kubectl apply -f -"#
        );
    }

    #[test]
    fn svc_001_near_miss_exists_elsewhere_and_near_names() {
        let svc = check_one(&[BASE, SVC_001], "production", "postgres-service");
        let f = only(svc.step(StepId::Service).unwrap());
        assert!(f.evidence.contains(&"a Service postgres-service exists in namespace db (reachable as postgres-service.db.svc)".to_string()), "{f:#?}");
        assert!(f.evidence.contains(
            &"a Service with a similar name exists in production: postgres-servce".to_string()
        ));
        // No backend in production: a manifest with a guessed selector, said so.
        let fix = f.fix.as_ref().unwrap();
        assert!(
            fix.summary.starts_with("postgres-service exists in db: point the clients at postgres-service.db.svc, or no workload in production looks like postgres-service's backend"),
            "{fix:#?}"
        );
        assert!(fix.commands[0].contains(r#""selector":{"app":"postgres"}"#));
    }

    fn reference(fix: Option<Fix>) -> TracedReference {
        TracedReference {
            report: std::sync::Arc::new(Reference {
                from: ReferenceSource {
                    kind: "Deployment".into(),
                    namespace: "production".into(),
                    name: "backend-api".into(),
                    container: Some("api".into()),
                    source: "env DB_HOST".into(),
                    workload: Some("deployment/backend-api".into()),
                },
                host: "postgres-service".into(),
                port: Some(5432),
                resolved: None,
                status: Status::Fail,
                check: "NS-002",
                message: "postgres-service does not exist in production".into(),
                fix,
            }),
            targets: vec![],
            missing: Some(ServiceRef::new("production", "postgres-service")),
            client: None,
            finding: None,
        }
    }

    #[test]
    fn svc_001_lists_referencing_workloads_and_uses_their_fqdn_fix() {
        let snap = snapshot(&[BASE, SVC_001]);
        let tables = super::super::index::Tables::build(&snap);
        let idx = Index::new(&snap, &tables, now());
        let target = ServiceRef::new("production", "postgres-service");
        let fqdn = Fix {
            summary: "use the full name".into(),
            commands: vec!["kubectl -n production set env deployment/backend-api DB_HOST=postgres-service.db.svc.cluster.local".into()],
        };
        let r = reference(Some(fqdn.clone()));
        let s = super::missing(&idx, &target, &[&r]);
        let f = only(&s);
        assert!(f.evidence.contains(&"referenced by Deployment production/backend-api, container api, env DB_HOST (postgres-service:5432)".to_string()), "{f:#?}");
        assert_eq!(f.fix.as_ref().unwrap().commands, fqdn.commands);
        // Without a reference fix, the Service is created with the referenced port.
        let r = reference(None);
        let s = super::missing(&idx, &target, &[&r]);
        assert!(only(&s).fix.as_ref().unwrap().commands[0].contains(r#""port":5432"#));
    }

    #[test]
    fn svc_002_empty_selector_warns_and_external_name_extras_inform() {
        let r = run(&[BASE, SEL_005]);
        let f = only(svc_step(&r, "manual", "empty-selector"));
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.check, "SVC-002");
        // Near miss: no selector at all is a plain selector-less Service.
        assert!(svc_step(&r, "manual", "external-db").findings.is_empty());

        let r = run(&[BASE, SVC_002_003]);
        let s = svc_step(&r, "ext", "with-selector");
        assert_status(s, Status::Pass);
        assert_eq!(only(s).severity, Severity::Info);
        assert!(
            only(s)
                .message
                .contains("also sets selector and ports; they are ignored")
        );
    }

    #[test]
    fn svc_003_external_name_targets() {
        let r = run(&[BASE, SVC_002_003]);
        let s = svc_step(&r, "ext", "ip-alias");
        assert_status(s, Status::Fail);
        assert_eq!(
            checks(s),
            [("SVC-002", Severity::Info), ("SVC-003", Severity::Error)]
        );
        let f = &s.findings[1];
        assert_eq!(
            f.message,
            "externalName 10.0.0.5 is an IP address: it is served as a DNS CNAME and never resolves"
        );
        let cmds = &f.fix.as_ref().unwrap().commands;
        assert_eq!(
            cmds[0],
            r#"kubectl -n ext patch service ip-alias --type=json -p '[{"op":"remove","path":"/spec/externalName"},{"op":"replace","path":"/spec/type","value":"ClusterIP"}]'"#
        );
        assert!(cmds[1].contains(r#""addressType":"IPv4""#), "{cmds:?}");
        assert!(
            cmds[1].contains(r#""endpoints":[{"addresses":["10.0.0.5"]"#),
            "{cmds:?}"
        );

        let f = only(svc_step(&r, "ext", "gone-target"));
        assert_eq!(
            f.message,
            "externalName pg.data.svc.cluster.local names Service pg in namespace data, which does not exist"
        );
        assert_eq!(f.related[0], ServiceRef::new("data", "pg"));

        let f = only(svc_step(&r, "ext", "moved"));
        assert!(f.fix.as_ref().unwrap().commands[0].ends_with(r#"[{"op":"replace","path":"/spec/externalName","value":"web.shop.svc.cluster.local"}]'"#));

        for name in ["outside", "inside"] {
            let svc = service(&r, "ext", name);
            assert_eq!(svc.verdict, Status::Pass, "{svc:#?}");
            for id in [StepId::Endpoints, StepId::Pods, StepId::Ports] {
                assert_status(svc.step(id).unwrap(), Status::Skip);
            }
        }
    }

    #[test]
    fn svc_004_load_balancer_without_address() {
        let r = run(&[BASE, SVC_004]);
        let f = only(svc_step(&r, "lb", "web-lb"));
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            f.message,
            "LoadBalancer web-lb has no external address after 60m"
        );
        // Near misses: too young to judge; has an address.
        assert!(svc_step(&r, "lb", "fresh-lb").findings.is_empty());
        assert!(svc_step(&r, "lb", "ready-lb").findings.is_empty());
    }

    #[test]
    fn svc_004_warning_events_by_uid_only() {
        let r = run(&[BASE, SVC_004]);
        let f = only(svc_step(&r, "lb", "noisy"));
        assert_eq!(
            f.message,
            "service noisy has 1 warning event: FailedToUpdateEndpointSlices Error updating Endpoint Slices for Service lb/noisy: failed to create EndpointSlice: admission webhook denied the request"
        );
        assert!(f.evidence[0].starts_with("Warning FailedToUpdateEndpointSlices ×3, 2m ago"));
        // Near miss: same name, another uid.
        assert!(svc_step(&r, "lb", "recreated").findings.is_empty());
    }
}
