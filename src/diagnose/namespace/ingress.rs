//! NS-003: Ingress backends naming a Service, or a Service port, that does
//! not exist. An Ingress routes only to Services in its own namespace; a
//! backend port is a Service port (by number or by name), never a pod port.

use std::sync::Arc;

use k8s_openapi::api::networking::v1::IngressBackend;
use serde_json::json;

use super::TracedReference;
use crate::diagnose::fix::{Kubectl, fix};
use crate::diagnose::index::Index;
use crate::diagnose::report::{Finding, Fix, Reference, ReferenceSource, ServiceRef, Status};
use crate::model::{Ingress, Service};
use crate::safe_text::{sanitize, sanitize_owned};

/// Every Service backend of every Ingress in `namespaces`, resolved.
pub fn references(idx: &Index<'_>, namespaces: &[&str]) -> Vec<TracedReference> {
    let mut out = Vec::new();
    for &ns in namespaces {
        for ing in idx.ingresses_in(ns) {
            let Some(spec) = &ing.spec else {
                continue;
            };
            if let Some(backend) = &spec.default_backend {
                out.extend(reference(
                    idx,
                    ns,
                    ing,
                    backend,
                    "/spec/defaultBackend".into(),
                ));
            }
            for (i, rule) in spec.rules.iter().flatten().enumerate() {
                for (j, path) in rule.http.iter().flat_map(|h| h.paths.iter()).enumerate() {
                    out.extend(reference(
                        idx,
                        ns,
                        ing,
                        &path.backend,
                        format_exact!("/spec/rules/{i}/http/paths/{j}/backend"),
                    ));
                }
            }
        }
    }
    out
}

fn reference(
    idx: &Index<'_>,
    ns: &str,
    ing: &Ingress,
    backend: &IngressBackend,
    pointer: String,
) -> Option<TracedReference> {
    let backend_svc = backend.service.as_ref()?;
    let ing_name = ing.metadata.name.as_deref().unwrap_or("");
    let name = backend_svc.name.as_str();
    let port_number = backend_svc.port.as_ref().and_then(|p| p.number);
    let port_name = backend_svc.port.as_ref().and_then(|p| p.name.as_deref());
    let port_text = match (port_number, port_name) {
        (Some(n), _) => format_exact!(" port {n}"),
        (None, Some(n)) => format_exact!(" port {}", sanitize(n)),
        (None, None) => String::new(),
    };
    let target = ServiceRef::new(ns, name);
    let shown_name = sanitize(name);
    let evidence = format_exact!(
        "ingress {ns}/{ing_name} {pointer}: service {shown_name}{port_text}",
        ing_name = sanitize(ing_name)
    );
    let (status, message, resolved, missing, fix) = match idx.service(ns, name) {
        None => (
            Status::Fail,
            format_exact!(
                "ingress {} routes to service {shown_name}, which does not exist in {ns}",
                sanitize(ing_name)
            ),
            None,
            Some(target.clone()),
            None,
        ),
        Some(svc) => match port_mismatch(svc, port_number, port_name) {
            None => (
                Status::Pass,
                format_exact!(
                    "ingress {} routes to {ns}/{shown_name}{port_text}",
                    sanitize(ing_name)
                ),
                Some(target.clone()),
                None,
                None,
            ),
            Some(ports) => (
                Status::Fail,
                format_exact!(
                    "ingress {} routes to {ns}/{shown_name}{port_text}, which the Service does not have (ports: {ports})",
                    sanitize(ing_name)
                ),
                Some(target.clone()),
                None,
                port_fix(ns, ing_name, &pointer, svc, backend, port_number),
            ),
        },
    };
    let finding = (status == Status::Fail).then(|| {
        let mut f = Finding::error("NS-003", message.clone())
            .evidence(evidence)
            .related(target.clone());
        if let Some(fix) = &fix {
            f = f.fix(fix.clone());
        }
        f
    });
    Some(TracedReference {
        report: Arc::new(Reference {
            from: ReferenceSource {
                kind: "Ingress".into(),
                namespace: ns.into(),
                name: ing_name.into(),
                container: None,
                source: pointer.trim_start_matches('/').replace('/', ".").into(),
                workload: None,
            },
            host: name.to_string(),
            port: port_number.and_then(|n| u16::try_from(n).ok()),
            resolved,
            status,
            check: "NS-003",
            message,
            fix,
        }),
        targets: vec![target],
        missing,
        client: None,
        finding: finding.map(Box::new),
    })
}

/// `Some(the Service's ports)` when the backend port is not one of them.
fn port_mismatch(svc: &Service, number: Option<i32>, name: Option<&str>) -> Option<String> {
    let ports = svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.as_deref())
        .unwrap_or_default();
    if svc.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("ExternalName") {
        return None;
    }
    let ok = match (number, name) {
        (Some(n), _) => ports.iter().any(|p| p.port == n),
        (None, Some(n)) => ports.iter().any(|p| p.name.as_deref() == Some(n)),
        (None, None) => true,
    };
    (!ok).then(|| {
        let list: Vec<String> = ports
            .iter()
            .map(|p| match &p.name {
                Some(n) => format_exact!("{} ({n})", p.port),
                None => p.port.to_string(),
            })
            .collect();
        if list.is_empty() {
            "none".into()
        } else {
            sanitize_owned(list.join(", "))
        }
    })
}

/// Point the backend at the Service's only port, or at the port whose
/// targetPort is the number the Ingress used (it named the pod port).
fn port_fix(
    ns: &str,
    ing_name: &str,
    pointer: &str,
    svc: &Service,
    backend: &IngressBackend,
    number: Option<i32>,
) -> Option<Fix> {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let ports = svc.spec.as_ref()?.ports.as_deref()?;
    let chosen = match ports {
        [only] => only,
        _ => ports
            .iter()
            .find(|p| number.is_some_and(|n| p.target_port == Some(IntOrString::Int(n))))?,
    };
    let path = format_exact!("{pointer}/service/port");
    let old = serde_json::to_value(backend.service.as_ref()?.port.as_ref()?).ok()?;
    let patch = json!([
        {"op": "test", "path": path, "value": old},
        {"op": "replace", "path": path, "value": {"number": chosen.port}},
    ]);
    Some(fix(
        format_exact!("route the Ingress to Service port {}", chosen.port),
        [Kubectl::in_namespace(ns)
            .lit("patch")
            .lit("ingress")
            .arg(ing_name)
            .lit("--type=json")
            .lit("-p")
            .json(&patch)],
    ))
}
