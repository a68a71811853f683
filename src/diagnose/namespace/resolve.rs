//! NS-002: resolve each reference the way a ClusterFirst pod's resolver does
//! (resolv.conf `search <ns>.svc.<d> svc.<d> <d>`, `options ndots:5`), and grade it.
//!
//! With ndots 5 every Service name is tried against the search list first, so:
//! - `N` → Service N in the client's namespace, and nowhere else;
//! - `a.b` → hostname a of headless Service b in the client's namespace, else
//!   Service a in namespace b (only when namespace b exists: otherwise it is an
//!   outside name like `example.com`);
//! - `a.b.c` → hostname a of Service b in namespace c (when that Service exists);
//! - `a.b.svc[.<d>]`, `h.a.b.svc[.<d>]` → Service a in namespace b.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::Arc;

use compact_str::ToCompactString;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::json;
use smallvec::SmallVec;

use super::TracedReference;
use super::extract::{self, Form, PortChange};
use super::scan::{Found, Origin, Site};
use crate::diagnose::dns::ClusterDns;
use crate::diagnose::fix::{Kubectl, fix, json_pointer_token};
use crate::diagnose::index::Index;
use crate::diagnose::report::{
    Finding, Fix, Reference, ReferenceSource, ServiceRef, Severity, Status,
};
use crate::model::{Pod, Service};
use crate::safe_text::{sanitize, sanitize_in_place};
use crate::snapshot::Scope;

/// Where a name leads from the client's namespace.
enum Outcome<'a> {
    Resolved {
        svc: &'a Service,
        /// Services of the same name in other namespaces (short names only).
        others: Vec<&'a Service>,
        /// `Some(d)` when the name used another cluster domain `d`.
        wrong_domain: Option<String>,
    },
    /// The name leads to a Service that does not exist, but Services of that
    /// name exist in other namespaces: the client probably meant one of them.
    Elsewhere {
        wanted: ServiceRef,
        hostname: Option<String>,
        candidates: Vec<&'a Service>,
    },
    Nowhere {
        wanted: ServiceRef,
    },
    OutOfScope {
        wanted: ServiceRef,
    },
    NoHostname {
        svc: &'a Service,
        hostname: String,
    },
    /// `kubernetes.default`: the API server, there even when not read.
    ApiServer,
}

fn is_headless(svc: &Service) -> bool {
    svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None")
}

fn namespace_exists(idx: &Index<'_>, ns: &str) -> bool {
    idx.namespace(ns).is_some() || !idx.services_in(ns).is_empty()
}

/// Where `host` leads from namespace `p`; `None` when it is not a cluster name.
fn lookup<'a>(
    idx: &Index<'a>,
    dns: &ClusterDns,
    p: &str,
    host: &str,
    form: Form,
) -> Option<Outcome<'a>> {
    // Borrowed from `host`: a name has a handful of labels.
    let labels: SmallVec<[&str; 8]> = host.split('.').collect();
    let domain = dns.domain.as_str();
    if let Some(pos) = labels.iter().position(|l| *l == "svc") {
        // What follows `svc.` as written (each label and its dot before it).
        let skipped: usize = labels[..=pos].iter().map(|l| l.len() + 1).sum();
        let written_domain = host.get(skipped..).unwrap_or("");
        let (hostname, name, ns) = match labels[..pos] {
            [name, ns] => (None, name, ns),
            [h, name, ns] => (Some(h), name, ns),
            _ => return None,
        };
        if !written_domain.is_empty() && written_domain != domain {
            // Another domain: only a cluster name if we know ours differs.
            if !dns.domain_known {
                return None;
            }
            return Some(match qualified(idx, name, ns, hostname) {
                Outcome::Resolved { svc, others, .. } => Outcome::Resolved {
                    svc,
                    others,
                    wrong_domain: Some(written_domain.to_string()),
                },
                other => other,
            });
        }
        return Some(qualified(idx, name, ns, hostname));
    }
    if host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
    {
        // Pod records (`1-2-3-4.ns.pod.<d>`) and the like: not Services.
        return None;
    }
    match labels[..] {
        [n] => short(idx, p, n, form),
        [a, b] => {
            let headless = idx.service(p, b).filter(|s| is_headless(s));
            if let Some(svc) = headless
                && has_hostname(idx, p, b, a)
            {
                return Some(Outcome::Resolved {
                    svc,
                    others: Vec::new(),
                    wrong_domain: None,
                });
            }
            if namespace_exists(idx, b) {
                return Some(qualified(idx, a, b, None));
            }
            if let Some(svc) = headless {
                return Some(Outcome::NoHostname {
                    svc,
                    hostname: a.to_string(),
                });
            }
            None
        }
        [_, b, c] => idx.service(c, b).map(|svc| Outcome::Resolved {
            svc,
            others: Vec::new(),
            wrong_domain: None,
        }),
        _ => None,
    }
}

fn short<'a>(idx: &Index<'a>, p: &str, n: &str, form: Form) -> Option<Outcome<'a>> {
    // A loose name (`image:tag`, `DD_SERVICE=checkout`) counts only when it
    // resolves here, and then without the ambiguity warning: anything else
    // would invent problems from words that may not name a peer at all.
    let loose = form == Form::Loose;
    let others: Vec<&'a Service> = idx
        .services_named(n)
        .iter()
        .map(|s| &**s)
        .filter(|s| !loose && s.metadata.namespace.as_deref() != Some(p))
        .collect();
    if let Some(svc) = idx.service(p, n) {
        return Some(Outcome::Resolved {
            svc,
            others,
            wrong_domain: None,
        });
    }
    if n == "kubernetes" && p == "default" {
        return Some(Outcome::ApiServer);
    }
    if loose {
        return None;
    }
    if others.is_empty() {
        return Some(Outcome::Nowhere {
            wanted: ServiceRef::new(p, n),
        });
    }
    Some(Outcome::Elsewhere {
        wanted: ServiceRef::new(p, n),
        hostname: None,
        candidates: others,
    })
}

fn qualified<'a>(idx: &Index<'a>, name: &str, ns: &str, hostname: Option<&str>) -> Outcome<'a> {
    if let Some(svc) = idx.service(ns, name) {
        return Outcome::Resolved {
            svc,
            others: Vec::new(),
            wrong_domain: None,
        };
    }
    if name == "kubernetes" && ns == "default" {
        return Outcome::ApiServer;
    }
    if !idx.snap.scope.contains(ns) {
        return Outcome::OutOfScope {
            wanted: ServiceRef::new(ns, name),
        };
    }
    let candidates: Vec<&'a Service> = idx.services_named(name).iter().map(|s| &**s).collect();
    if candidates.is_empty() {
        Outcome::Nowhere {
            wanted: ServiceRef::new(ns, name),
        }
    } else {
        Outcome::Elsewhere {
            wanted: ServiceRef::new(ns, name),
            hostname: hostname.map(str::to_string),
            candidates,
        }
    }
}

/// Whether a pod behind headless Service `b` in `ns` has hostname `a`: an
/// endpoint with that hostname, or a pod (its endpoint not listed yet)
/// whose `hostname` is `a` and `subdomain` is `b`. Only `spec.hostname`
/// gives a pod such a name, whatever the pod is called: the EndpointSlice
/// controller copies it into the endpoint, and cluster DNS answers for the
/// endpoints' hostnames alone.
fn has_hostname(idx: &Index<'_>, ns: &str, b: &str, a: &str) -> bool {
    let in_slices = idx
        .slices_for(ns, b)
        .iter()
        .any(|s| s.endpoints.iter().any(|e| e.hostname.as_deref() == Some(a)));
    in_slices || idx.pods_in(ns).iter().any(|p| named_by(p, b) == Some(a))
}

/// The hostname headless Service `subdomain` gives pod `p`, if any.
fn named_by<'p>(p: &'p Pod, subdomain: &str) -> Option<&'p str> {
    let spec = p.spec.as_ref()?;
    if spec.subdomain.as_deref() == Some(subdomain) {
        spec.hostname.as_deref()
    } else {
        None
    }
}

/// The ports a client may dial: the Service ports, and for a headless Service
/// (clients dial pod IPs) the target ports too. `None`: any port (ExternalName,
/// no ports declared, or a named target port we cannot resolve here).
fn dialable_ports(svc: &Service) -> Option<SmallVec<[u16; 8]>> {
    let spec = svc.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    let ports = spec.ports.as_deref().filter(|p| !p.is_empty())?;
    let mut out: SmallVec<[u16; 8]> = ports
        .iter()
        .filter_map(|p| u16::try_from(p.port).ok())
        .collect();
    if is_headless(svc) {
        for p in ports {
            match &p.target_port {
                Some(IntOrString::Int(n)) => out.extend(u16::try_from(*n).ok()),
                Some(IntOrString::String(_)) => return None,
                None => {}
            }
        }
    }
    Some(out)
}

fn ports_text(svc: &Service) -> String {
    let ports: Vec<String> = svc
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .map(|p| format_exact!("{}/{}", p.port, p.protocol.as_deref().unwrap_or("TCP")))
        .collect();
    if ports.is_empty() {
        "none".into()
    } else {
        ports.join(", ")
    }
}

/// The Service port a client dialing `port` most likely meant: the only
/// port, or the one whose targetPort is `port` (the client used the pod port).
fn suggest_port(svc: &Service, port: u16) -> Option<u16> {
    let ports = svc.spec.as_ref()?.ports.as_deref()?;
    if let [only] = ports {
        return u16::try_from(only.port).ok();
    }
    ports
        .iter()
        .find(|p| p.target_port == Some(IntOrString::Int(i32::from(port))))
        .and_then(|p| u16::try_from(p.port).ok())
}

/// Whether `port` is missing from the Service (and the fix's new port, if one is clear).
fn port_problem(svc: &Service, port: Option<u16>) -> Option<(u16, Option<u16>)> {
    let port = port?;
    let allowed = dialable_ports(svc)?;
    (!allowed.contains(&port)).then(|| (port, suggest_port(svc, port)))
}

fn names(svcs: &[&Service]) -> String {
    let mut ns: Vec<&str> = svcs
        .iter()
        .filter_map(|s| s.metadata.namespace.as_deref())
        .collect();
    ns.sort_unstable();
    ns.join(", ")
}

/// After a port the URL's scheme implies (`http://web` dials port 80).
const DEFAULT_PORT_NOTE: &str = " (the URL scheme's default)";

/// Resolve one found host; `None` when it is not a cluster name at all.
pub fn resolve(idx: &Index<'_>, dns: &ClusterDns, found: Found<'_>) -> Option<TracedReference> {
    // Names are nearly always written in lower case already.
    let host_lower: Cow<str> = if found.candidate.host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(found.candidate.host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(&found.candidate.host)
    };
    // The client's namespace, borrowed past the move of `found` below.
    let client = Arc::clone(&found.client);
    let p = client.namespace.as_str();
    let outcome = lookup(idx, dns, p, &host_lower, found.candidate.form)?;
    let domain = &dns.domain;
    let host = sanitize(&found.candidate.host).into_owned();
    let port = found.candidate.port;
    // Said after the port: nothing when it is written, else where it came from.
    let port_note = if found.candidate.port_explicit {
        ""
    } else {
        DEFAULT_PORT_NOTE
    };
    let mut graded = Graded::new();
    match outcome {
        Outcome::ApiServer => {
            graded.status = Status::Pass;
            graded.message = format_exact!("{host} is the API server's Service default/kubernetes");
        }
        Outcome::OutOfScope { wanted } => {
            graded.status = Status::Skip;
            graded.message = format_exact!(
                "not checked: {host} names a Service in {}, outside the namespaces this diagnosis reads",
                wanted.namespace
            );
        }
        Outcome::Resolved {
            svc,
            others,
            wrong_domain,
        } => {
            let target = ServiceRef::of(svc);
            graded.resolved = Some(target.clone());
            // `namespace/name`, written into each text that shows it.
            let shown = &target;
            if let Some(written) = wrong_domain {
                graded.status = Status::Fail;
                graded.message = format_exact!(
                    "{host} uses the domain {written}, but this cluster's domain is {domain}: the name does not resolve"
                );
                let new_host = host_lower.replacen(
                    &format_exact!(".svc.{written}"),
                    &format_exact!(".svc.{domain}"),
                    1,
                );
                graded.fix = rewrite_fix(
                    &found,
                    &new_host,
                    None,
                    dns,
                    &format_exact!("use the cluster domain: {new_host}"),
                );
            } else if let Some((bad, suggestion)) = port_problem(svc, port) {
                graded.status = Status::Fail;
                let pod_port = svc
                    .spec
                    .iter()
                    .flat_map(|s| s.ports.iter().flatten())
                    .find(|p| p.target_port == Some(IntOrString::Int(i32::from(bad))));
                let hint = pod_port.map_or_else(String::new, |p| {
                    format_exact!(
                        " — {bad} is its pods' port; clients dial the Service port {}",
                        p.port
                    )
                });
                graded.message = format_exact!(
                    "{host}:{bad}{port_note} resolves to {shown}, which has no port {bad} (ports: {}){hint}",
                    ports_text(svc)
                );
                graded.fix = suggestion.and_then(|new| {
                    rewrite_port_fix(
                        &found,
                        new,
                        dns,
                        &format_exact!("dial {host}:{new}, a port of {shown}"),
                    )
                });
            } else if !others.is_empty() {
                graded.status = Status::Warn;
                graded.message = format_exact!(
                    "{host} resolves to {shown} from {p}; a Service {} also exists in {} — the short name is ambiguous to a reader",
                    target.name,
                    names(&others)
                );
                let fqdn = format_exact!("{}.{}.svc.{domain}", target.name, target.namespace);
                graded.fix = rewrite_fix(
                    &found,
                    &fqdn,
                    None,
                    dns,
                    &format_exact!("name the Service you mean in full: {fqdn}"),
                );
                for o in &others {
                    graded.related.push(ServiceRef::of(o));
                }
            } else {
                graded.status = Status::Pass;
                // `{host}:{port}{port_note} resolves to {shown}`, written
                // once into a String of about its length (a port is at most
                // `:` and five digits): nearly every reference takes this
                // way, and the dashboard keeps every message.
                const RESOLVES: &str = " resolves to ";
                let mut message = String::with_capacity(
                    host.len()
                        + port.map_or(0, |_| 6 + port_note.len())
                        + RESOLVES.len()
                        + target.namespace.len()
                        + 1
                        + target.name.len(),
                );
                message.push_str(&host);
                if let Some(port) = port {
                    let _ = write!(message, ":{port}{port_note}");
                }
                message.push_str(RESOLVES);
                let _ = write!(message, "{shown}");
                graded.message = message;
            }
            graded.targets = vec![target];
        }
        Outcome::Elsewhere {
            wanted,
            hostname,
            candidates,
        } => {
            graded.status = Status::Fail;
            graded.targets = candidates.iter().map(|s| ServiceRef::of(s)).collect();
            graded.related = graded.targets.clone();
            // The name the client really uses does not exist where it looks:
            // that Service is reported too, with `exists: false` (DESIGN §1:
            // every Service a workload in scope references but that does not
            // exist), its SVC-001 pointing at the candidates.
            graded.targets.push(wanted.clone());
            graded.missing = Some(wanted.clone());
            let where_ = names(&candidates);
            graded.message = if wanted.namespace == p && !host_lower.contains('.') {
                format_exact!("{host} does not exist in {p}; it exists in {where_}")
            } else {
                format_exact!(
                    "{host} names Service {} in {}, which does not exist; a Service {} exists in {where_}",
                    wanted.name,
                    wanted.namespace,
                    wanted.name
                )
            };
            if let [only] = candidates[..] {
                let target = ServiceRef::of(only);
                let fqdn = match &hostname {
                    Some(h) => {
                        format_exact!("{h}.{}.{}.svc.{domain}", target.name, target.namespace)
                    }
                    None => format_exact!("{}.{}.svc.{domain}", target.name, target.namespace),
                };
                let new_port = port_problem(only, port).and_then(|(_, s)| s);
                graded.fix = rewrite_fix(
                    &found,
                    &fqdn,
                    new_port.map(|new| (port, new)),
                    dns,
                    &format_exact!(
                        "use the Service's full name {fqdn}, which resolves from every namespace"
                    ),
                );
            }
        }
        Outcome::Nowhere { wanted } => {
            graded.status = Status::Fail;
            let scope_note = match &idx.snap.scope {
                Scope::All => String::new(),
                Scope::Namespace(ns) => format_exact!(" (only namespace {ns} was read)"),
            };
            graded.message = format_exact!(
                "{host} resolves to no Service: {} does not exist in {} or in any other namespace{scope_note}",
                wanted.name,
                wanted.namespace
            );
            graded.targets = vec![wanted.clone()];
            graded.related = vec![wanted.clone()];
            graded.missing = Some(wanted);
        }
        Outcome::NoHostname { svc, hostname } => {
            let target = ServiceRef::of(svc);
            graded.status = Status::Fail;
            graded.message = format_exact!(
                "{host}: no pod behind headless Service {}/{} has hostname {}",
                target.namespace,
                target.name,
                sanitize(&hostname)
            );
            // The usual slip: a pod of that name with the subdomain set
            // but not `spec.hostname`.
            if let Some(pod) = idx.pod(&target.namespace, &hostname)
                && let Some(spec) = &pod.spec
                && spec.subdomain.as_deref() == Some(target.name.as_str())
                && spec.hostname.is_none()
            {
                let _ = write!(
                    graded.message,
                    " (pod {hostname} sets subdomain {} but no spec.hostname, so DNS gives it no name)",
                    target.name
                );
            }
            graded.targets = vec![target];
        }
    }
    Some(graded.into_reference(found, host))
}

struct Graded {
    status: Status,
    message: String,
    resolved: Option<ServiceRef>,
    targets: Vec<ServiceRef>,
    missing: Option<ServiceRef>,
    related: Vec<ServiceRef>,
    fix: Option<Fix>,
}

impl Graded {
    fn new() -> Self {
        Graded {
            status: Status::Pass,
            message: String::new(),
            resolved: None,
            targets: Vec::new(),
            missing: None,
            related: Vec::new(),
            fix: None,
        }
    }

    fn into_reference(self, found: Found<'_>, host: String) -> TracedReference {
        let client = &found.client;
        let severity = match self.status {
            Status::Fail => Some(Severity::Error),
            Status::Warn => Some(Severity::Warning),
            _ => None,
        };
        // Only a failing or warning reference carries evidence: most pass.
        let finding = severity.map(|sev| {
            let evidence = format_exact!(
                "{} container {}: {} = {}",
                client.describe(),
                found.container,
                found.source,
                shown_value(&found.value)
            );
            let mut f = Finding::new("NS-002", sev, self.message.clone()).evidence(evidence);
            if let Some(fix) = &self.fix {
                f = f.fix(fix.clone());
            }
            for r in &self.related {
                f = f.related(r.clone());
            }
            f
        });
        TracedReference {
            report: Arc::new(Reference {
                from: ReferenceSource {
                    kind: client.kind.into(),
                    namespace: client.namespace.as_str().into(),
                    name: client.name.as_str().into(),
                    container: Some(found.container.into()),
                    // The text scan wrote, kept: its buffer becomes the
                    // report's when it is too long to be held inline.
                    source: {
                        let mut source = found.source;
                        sanitize_in_place(&mut source);
                        source.into()
                    },
                    // Inline when short, as most are.
                    workload: client
                        .workload
                        .as_ref()
                        .map(ToCompactString::to_compact_string),
                },
                host,
                port: found.candidate.port,
                resolved: self.resolved,
                status: self.status,
                check: "NS-002",
                message: self.message,
                fix: self.fix,
            }),
            targets: self.targets,
            missing: self.missing,
            client: Some(found.client),
            finding: finding.map(Box::new),
        }
    }
}

/// A value as evidence: credentials hidden, control characters replaced, at most 200 characters.
pub fn shown_value(value: &str) -> String {
    let redacted = extract::redact(value);
    let clean = sanitize(&redacted);
    let mut out: String = clean.chars().take(200).collect();
    if clean.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// A fix that changes the port only.
fn rewrite_port_fix(
    found: &Found<'_>,
    new_port: u16,
    dns: &ClusterDns,
    summary: &str,
) -> Option<Fix> {
    let host = found.candidate.host.clone();
    rewrite_fix(
        found,
        &host,
        Some((found.candidate.port, new_port)),
        dns,
        summary,
    )
}

/// A fix that writes `new_host` (and, when given, a new port) where the
/// client's value lives: `kubectl set env` for an env value, a ConfigMap
/// patch plus a rollout restart for a ConfigMap value, a JSON patch of the
/// pod template for args. `None` when the value cannot be changed in place
/// (a bare pod's spec is immutable) or the host was not found in it.
fn rewrite_fix(
    found: &Found<'_>,
    new_host: &str,
    port: Option<(Option<u16>, u16)>,
    dns: &ClusterDns,
    summary: &str,
) -> Option<Fix> {
    let client = &found.client;
    let site = found.host_site.as_ref()?;
    // The port lives next to the host unless it came from a `*_PORT` variable.
    let (inline_port, port_var) = match (port, &found.port_site) {
        (Some((_, new)), Some(port_site)) => (None, Some((port_site, new))),
        (Some((old, new)), None) => (
            Some(PortChange {
                old: old.filter(|_| found.candidate.port_explicit),
                new,
            }),
            None,
        ),
        (None, _) => (None, None),
    };
    let new_raw = extract::rewrite(site.raw, &found.candidate.host, new_host, inline_port)?;
    let mut summary = summary.to_string();
    if !dns.domain_known {
        summary.push_str(&format_exact!(
            " (cluster domain assumed {}: the Corefile could not be read)",
            dns.domain
        ));
    }
    let mut changes: Vec<(&Site, String)> = vec![(site, new_raw)];
    if let Some((port_site, new)) = port_var {
        changes.push((port_site, new.to_string()));
    }
    if changes.iter().any(|(s, _)| extract::redact(s.raw) != s.raw) {
        // Never echo credentials into a command line.
        return Some(Fix {
            summary: format_exact!(
                "{summary}; edit {} by hand (the value holds credentials)",
                found.source
            ),
            commands: Vec::new(),
        });
    }
    let workload = client.workload.as_ref()?;
    let ns = client.namespace.as_str();
    let mut env_words: Vec<String> = Vec::new();
    let mut commands: Vec<Kubectl> = Vec::new();
    let mut restart = false;
    for (site, new) in &changes {
        match &site.origin {
            Origin::Env { var } => env_words.push(format_exact!("{var}={new}")),
            Origin::ConfigMapKey { name, key } => {
                let path = format_exact!("/data/{}", json_pointer_token(key));
                commands.push(guarded_replace(ns, "configmap", name, &path, site.raw, new));
                restart = true;
            }
            Origin::Arg {
                field,
                init,
                container_index,
                index,
            } => {
                let list = if *init {
                    "initContainers"
                } else {
                    "containers"
                };
                let path =
                    format_exact!("/spec/template/spec/{list}/{container_index}/{field}/{index}");
                commands.push(guarded_replace(
                    ns,
                    workload.resource,
                    &workload.name,
                    &path,
                    site.raw,
                    new,
                ));
            }
        }
    }
    if !env_words.is_empty() {
        let mut cmd = Kubectl::in_namespace(ns)
            .lit("set")
            .lit("env")
            .arg(workload.kubectl_ref())
            .flag("--containers", found.container);
        for w in &env_words {
            cmd = cmd.arg(w);
        }
        commands.insert(0, cmd);
    }
    if restart && workload.restartable() {
        commands.push(
            Kubectl::in_namespace(ns)
                .lit("rollout")
                .lit("restart")
                .arg(workload.kubectl_ref()),
        );
    }
    Some(fix(summary, commands))
}

/// `kubectl patch` replacing one string, guarded by a JSON-patch `test` of
/// its current value so the patch fails rather than clobber a changed value.
fn guarded_replace(
    ns: &str,
    resource: &str,
    name: &str,
    path: &str,
    old: &str,
    new: &str,
) -> Kubectl {
    let patch = json!([
        {"op": "test", "path": path, "value": old},
        {"op": "replace", "path": path, "value": new},
    ]);
    Kubectl::in_namespace(ns)
        .lit("patch")
        .arg(resource)
        .arg(name)
        .lit("--type=json")
        .lit("-p")
        .json(&patch)
}
