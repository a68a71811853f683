//! The EndpointSlice controller's rules (CHECKS.md, top), as pure functions,
//! and the endpoints a Service actually has, read the way kube-proxy reads them.
//!
//! Every step that reasons about "should this pod be an endpoint, with which
//! conditions and ports" asks here, so `endpoints`, `pods` and `ports` cannot
//! disagree with each other or with the controller
//! (kubernetes `pkg/controller/endpointslice/reconciler.go`,
//! `pkg/api/v1/pod/util.go` `FindPort`, `endpointutil.ShouldPodBeInEndpoints`).

use std::cell::OnceCell;
use std::rc::Rc;

use compact_str::CompactString;
use k8s_openapi::api::core::v1::ServicePort;
use smallvec::{SmallVec, smallvec};

use crate::model::Service;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::context::ServiceCtx;
use super::index::Index;
use super::pod_status;
use crate::model::{Container, Pod, PodSpec, Uid};
use crate::snapshot::Resource;

/// An IP family, as `ipFamilies` and `addressType` spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        match s {
            "IPv4" => Some(Family::V4),
            "IPv6" => Some(Family::V6),
            _ => None,
        }
    }

    pub fn of_ip(ip: &str) -> Option<Family> {
        match ip.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(_) => Some(Family::V4),
            std::net::IpAddr::V6(_) => Some(Family::V6),
        }
    }
}

/// The Service's `ipFamilies`; when absent (a manifest not yet defaulted by
/// the API server), the family of its cluster IP, else IPv4 as the API defaults.
pub fn service_families(svc: &Service) -> Vec<Family> {
    let spec = svc.spec.as_ref();
    let listed: Vec<Family> = spec
        .and_then(|s| s.ip_families.as_ref())
        .map(|f| f.iter().filter_map(|f| Family::parse(f)).collect())
        .unwrap_or_default();
    if !listed.is_empty() {
        return listed;
    }
    match spec
        .and_then(|s| s.cluster_ip.as_deref())
        .and_then(Family::of_ip)
    {
        Some(f) => vec![f],
        None => vec![Family::V4],
    }
}

/// `spec.ports`, empty when absent.
pub fn service_ports(svc: &Service) -> &[ServicePort] {
    svc.spec
        .as_ref()
        .and_then(|s| s.ports.as_deref())
        .unwrap_or_default()
}

pub fn publishes_not_ready(svc: &Service) -> bool {
    svc.spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false)
}

/// The pod's IPs (`podIPs`, else `podIP`).
pub fn pod_ips(pod: &Pod) -> Vec<&str> {
    pod_ip_iter(pod).collect()
}

/// [`pod_ips`] without collecting them.
fn pod_ip_iter(pod: &Pod) -> impl Iterator<Item = &str> {
    let status = pod.status.as_ref();
    let listed = status
        .and_then(|s| s.pod_ips.as_ref())
        .into_iter()
        .flatten()
        .map(|p| p.ip.as_str())
        .filter(|ip| !ip.is_empty());
    let only = status
        .and_then(|s| s.pod_ip.as_deref())
        .filter(|ip| !ip.is_empty());
    let fallback = only.filter(|_| listed.clone().next().is_none());
    listed.chain(fallback)
}

/// Conditions the controller gives a pod's endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conditions {
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
}

/// `serving` = pod Ready; `terminating` = deletionTimestamp set;
/// `ready` = `publishNotReadyAddresses || (serving && !terminating)`.
pub fn expected_conditions(svc: &Service, pod: &Pod) -> Conditions {
    let serving = pod_status::is_ready(pod);
    let terminating = pod_status::is_terminating(pod);
    Conditions {
        ready: publishes_not_ready(svc) || (serving && !terminating),
        serving,
        terminating,
    }
}

/// Why the controller leaves a selected pod out of every slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unlisted {
    /// Phase Succeeded or Failed.
    Terminal(String),
    /// No IP yet (Pending, or scheduled but not started).
    NoIp,
    /// `spec.nodeName` names a Node that does not exist (and the Service
    /// does not set publishNotReadyAddresses).
    NodeMissing(String),
    /// The pod has IPs, none of a family in the Service's `ipFamilies`.
    NoIpOfFamily {
        have: Vec<Family>,
        want: Vec<Family>,
    },
}

impl Unlisted {
    pub fn describe(&self) -> String {
        match self {
            Unlisted::Terminal(phase) => format_exact!("has terminated (phase {phase})"),
            Unlisted::NoIp => "has no IP yet".to_string(),
            Unlisted::NodeMissing(node) => format_exact!(
                "runs on node {node}, which has no Node object (the controller skips such pods)"
            ),
            Unlisted::NoIpOfFamily { have, want } => format_exact!(
                "has only {} addresses; the Service's ipFamilies are {}",
                families_text(have),
                families_text(want)
            ),
        }
    }
}

pub fn families_text(f: &[Family]) -> String {
    f.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",")
}

/// Whether the controller lists `pod` for `svc`, whose families are `want`
/// ([`service_families`], taken once per Service), or why it lists it
/// nowhere. Node existence is only judged when Nodes are readable.
pub fn expected_listing(
    idx: &Index<'_>,
    svc: &Service,
    want: &[Family],
    pod: &Pod,
) -> Result<(), Unlisted> {
    if pod_status::is_terminal(pod) {
        return Err(Unlisted::Terminal(pod_status::phase(pod).to_string()));
    }
    if pod_ip_iter(pod).next().is_none() {
        return Err(Unlisted::NoIp);
    }
    if !publishes_not_ready(svc)
        && let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref())
        && idx.snap.access.readable(Resource::Nodes, None)
        && idx.node(node).is_none()
    {
        return Err(Unlisted::NodeMissing(node.to_string()));
    }
    // Decided without allocating: this runs for every selected pod.
    let has = |f: &Family| pod_ip_iter(pod).any(|ip| Family::of_ip(ip) == Some(*f));
    if want.iter().any(has) {
        return Ok(());
    }
    Err(Unlisted::NoIpOfFamily {
        have: [Family::V4, Family::V6].into_iter().filter(has).collect(),
        want: want.to_vec(),
    })
}

/// `protocol`, defaulting to TCP as the API does.
pub fn protocol(p: Option<&str>) -> &str {
    p.filter(|p| !p.is_empty()).unwrap_or("TCP")
}

/// What a Service port targets: a number, or a container port name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Number(i32),
    Name(&'a str),
}

/// The Service port's target; an omitted targetPort comes back from the API
/// equal to `port`.
pub fn target_of(sp: &ServicePort) -> Target<'_> {
    match &sp.target_port {
        None => Target::Number(sp.port),
        Some(IntOrString::Int(n)) => Target::Number(*n),
        Some(IntOrString::String(s)) => Target::Name(s.as_str()),
    }
}

/// Whether the targetPort was left out (so it defaults to `port`).
pub fn target_omitted(sp: &ServicePort) -> bool {
    sp.target_port.is_none()
}

/// `name port/PROTO` of a Service port, for messages (`http 80/TCP`):
/// written straight into the message that names it (every Service's
/// ports summary does) rather than into a `String` of its own first.
pub fn service_port_text(sp: &ServicePort) -> ServicePortText<'_> {
    ServicePortText(sp)
}

/// See [`service_port_text`].
pub struct ServicePortText<'a>(&'a ServicePort);

impl std::fmt::Display for ServicePortText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sp = self.0;
        let proto = protocol(sp.protocol.as_deref());
        match sp.name.as_deref().filter(|n| !n.is_empty()) {
            Some(name) => write!(f, "{name} {}/{proto}", sp.port),
            None => write!(f, "{}/{proto}", sp.port),
        }
    }
}

pub fn target_text(sp: &ServicePort) -> String {
    match target_of(sp) {
        Target::Number(n) => n.to_string(),
        Target::Name(n) => n.to_string(),
    }
}

/// A sidecar: an init container with `restartPolicy: Always`.
pub fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// A port a container declares, with where it is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeclaredPort<'a> {
    pub container: &'a str,
    /// Declared on a sidecar init container.
    pub sidecar: bool,
    /// Index in `containers` (or `initContainers` for a sidecar).
    pub index: usize,
    pub name: Option<&'a str>,
    pub number: i32,
    pub protocol: &'a str,
}

impl DeclaredPort<'_> {
    /// `http 8080/TCP (container web)`.
    pub fn describe(&self) -> String {
        let kind = if self.sidecar {
            "sidecar init container"
        } else {
            "container"
        };
        match self.name {
            Some(n) => format_exact!(
                "{n} {}/{} ({kind} {})",
                self.number,
                self.protocol,
                self.container
            ),
            None => format_exact!(
                "{}/{} ({kind} {})",
                self.number,
                self.protocol,
                self.container
            ),
        }
    }
}

/// Ports declared by the containers and the sidecar init containers, in the
/// order the controller searches them (containers first). An iterator: most
/// callers look for one port and stop there.
pub fn declared_ports(spec: &PodSpec) -> impl Iterator<Item = DeclaredPort<'_>> {
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, c)| is_sidecar(c));
    spec.containers
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c, false))
        .chain(sidecars.map(|(i, c)| (i, c, true)))
        .flat_map(|(index, c, sidecar)| {
            c.ports.iter().flatten().map(move |p| DeclaredPort {
                container: c.name.as_str(),
                sidecar,
                index,
                name: p.name.as_deref().filter(|n| !n.is_empty()),
                number: p.container_port,
                protocol: protocol(p.protocol.as_deref()),
            })
        })
}

/// `FindPort`: a numeric targetPort is used as it is; a named one is looked up
/// by name **and** protocol among the containers' ports, then the sidecar init
/// containers' ports. `None`: the port is dropped for this pod.
pub fn resolve<'s>(spec: Option<&'s PodSpec>, sp: &ServicePort) -> Option<Resolved<'s>> {
    match target_of(sp) {
        Target::Number(n) => Some(Resolved {
            number: n,
            declared: spec.and_then(|spec| {
                declared_ports(spec)
                    .find(|d| d.number == n && d.protocol == protocol(sp.protocol.as_deref()))
            }),
        }),
        Target::Name(name) => {
            let proto = protocol(sp.protocol.as_deref());
            let d = declared_ports(spec?).find(|d| d.name == Some(name) && d.protocol == proto)?;
            Some(Resolved {
                number: d.number,
                declared: Some(d),
            })
        }
    }
}

/// A Service port resolved on one pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved<'a> {
    pub number: i32,
    /// The container port it lands on, when one declares it.
    pub declared: Option<DeclaredPort<'a>>,
}

/// One endpoint as the Service's slices (or, on clusters without
/// EndpointSlices, its v1 Endpoints) publish it.
#[derive(Debug, Clone)]
pub struct Observed<'a> {
    /// Almost always one address: kept inline.
    pub addresses: SmallVec<[&'a str; 1]>,
    /// `None` for an FQDN slice.
    pub family: Option<Family>,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    pub node: Option<&'a str>,
    /// The uid's bytes: compared, never shown ([`Uid::as_bytes`]).
    pub target_uid: Option<&'a [u8]>,
    pub target_name: Option<&'a str>,
    /// Port names of the slice (or subset) that lists it, shared by its
    /// endpoints.
    pub port_names: Rc<[&'a str]>,
}

impl Observed<'_> {
    /// Whether this endpoint stands for `pod` (by uid, else name, else address).
    pub fn is_pod(&self, pod: &Pod) -> bool {
        if let (Some(uid), Some(pod_uid)) = (self.target_uid, pod_uid(pod)) {
            return uid == pod_uid;
        }
        if let Some(name) = self.target_name {
            return Some(name) == pod.metadata.name.as_deref();
        }
        let ips = pod_ips(pod);
        self.addresses.iter().any(|a| ips.contains(a))
    }

    /// A key that identifies the backend across slices and families.
    pub fn backend_key(&self) -> &[u8] {
        self.target_uid
            .or(self.target_name.map(str::as_bytes))
            .or(self.addresses.first().map(|a| a.as_bytes()))
            .unwrap_or_default()
    }
}

/// A pod's uid, as [`Observed::target_uid`] holds one.
fn pod_uid(pod: &Pod) -> Option<&[u8]> {
    pod.metadata.uid.as_ref().map(Uid::as_bytes)
}

/// The pods a Service's endpoints stand for (see [`Backends::listed`]); the
/// same rule as [`Observed::is_pod`]: by uid, else name, else address.
#[derive(Debug, Clone, Default)]
pub struct Listed<'a> {
    uids: SortedSet<'a>,
    /// Target names of endpoints without a uid.
    names: SortedSet<'a>,
    /// Target names of endpoints with a uid: used only for a pod without one.
    names_with_uid: SortedSet<'a>,
    addresses: SortedSet<'a>,
}

/// A set of strings for [`Listed`]: sorted once when it is full, then
/// searched by halves, so checking every selected pod against a Service's
/// endpoints costs O((pods + endpoints) · log endpoints), never their
/// product. A Service has a handful of endpoints, mostly: up to eight are
/// held inline, where hash sets took an allocation for each set that had
/// any and hashed every string twice (some 25,000 allocations per diagnosis
/// of a cluster of 10,000 Services).
#[derive(Debug, Clone, Default)]
struct SortedSet<'a>(SmallVec<[&'a [u8]; 8]>);

impl<'a> SortedSet<'a> {
    fn contains(&self, s: &[u8]) -> bool {
        self.0.binary_search(&s).is_ok()
    }

    /// Sort (and drop repeats) once every string is in.
    fn seal(&mut self) {
        self.0.sort_unstable();
        self.0.dedup();
    }
}

impl<'a> Extend<&'a [u8]> for SortedSet<'a> {
    fn extend<I: IntoIterator<Item = &'a [u8]>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl Listed<'_> {
    pub fn contains(&self, pod: &Pod) -> bool {
        let name = pod.metadata.name.as_deref().unwrap_or("").as_bytes();
        let by_uid = match pod_uid(pod) {
            Some(uid) => self.uids.contains(uid),
            None => self.names_with_uid.contains(name),
        };
        by_uid
            || self.names.contains(name)
            || pod_ip_iter(pod).any(|ip| self.addresses.contains(ip.as_bytes()))
    }
}

/// The endpoints a Service has, merged over its slices.
#[derive(Debug, Clone, Default)]
pub struct Backends<'a> {
    pub endpoints: Vec<Observed<'a>>,
    /// Read from v1 Endpoints because the cluster serves no EndpointSlices.
    pub from_v1: bool,
    /// [`Backends::distinct`], counted once.
    distinct: OnceCell<usize>,
}

impl<'a> Backends<'a> {
    pub fn new(endpoints: Vec<Observed<'a>>, from_v1: bool) -> Self {
        Backends {
            endpoints,
            from_v1,
            distinct: OnceCell::new(),
        }
    }

    /// Merge the Service's EndpointSlices; on a cluster that serves none, its
    /// v1 Endpoints (not-ready addresses are neither ready nor serving there).
    pub fn of(ctx: &ServiceCtx<'a>) -> Backends<'a> {
        if !ctx.idx.snap.serves_endpoint_slices {
            return Self::from_endpoints(ctx);
        }
        let mut endpoints = Vec::with_capacity(ctx.slices.iter().map(|s| s.endpoints.len()).sum());
        for slice in ctx.slices {
            let family = Family::parse(&slice.address_type);
            let port_names: Rc<[&'a str]> = slice
                .ports
                .iter()
                .flatten()
                .map(|p| p.name.as_deref().unwrap_or(""))
                .collect();
            for ep in &slice.endpoints {
                let c = ep.conditions.as_ref();
                let ready = c.and_then(|c| c.ready).unwrap_or(true);
                endpoints.push(Observed {
                    addresses: ep.addresses.iter().map(CompactString::as_str).collect(),
                    family,
                    ready,
                    serving: c.and_then(|c| c.serving).unwrap_or(true),
                    terminating: c.and_then(|c| c.terminating).unwrap_or(false),
                    node: ep.node_name.as_deref(),
                    target_uid: ep
                        .target_ref
                        .as_ref()
                        .and_then(|t| t.uid.as_ref())
                        .map(Uid::as_bytes),
                    target_name: ep.target_ref.as_ref().and_then(|t| t.name.as_deref()),
                    port_names: Rc::clone(&port_names),
                });
            }
        }
        Backends::new(endpoints, false)
    }

    fn from_endpoints(ctx: &ServiceCtx<'a>) -> Backends<'a> {
        let mut endpoints = Vec::new();
        let Some(ep) = ctx.idx.endpoints(ctx.namespace, ctx.name) else {
            return Backends::new(endpoints, true);
        };
        for subset in ep.subsets.iter().flatten() {
            let port_names: Rc<[&'a str]> = subset
                .ports
                .iter()
                .flatten()
                .map(|p| p.name.as_deref().unwrap_or(""))
                .collect();
            let lists = [
                (&subset.addresses, true),
                (&subset.not_ready_addresses, false),
            ];
            for (list, ready) in lists {
                for a in list.iter().flatten() {
                    endpoints.push(Observed {
                        addresses: smallvec![a.ip.as_str()],
                        family: Family::of_ip(&a.ip),
                        ready,
                        serving: ready,
                        terminating: false,
                        node: a.node_name.as_deref(),
                        target_uid: a
                            .target_ref
                            .as_ref()
                            .and_then(|t| t.uid.as_deref())
                            .map(str::as_bytes),
                        target_name: a.target_ref.as_ref().and_then(|t| t.name.as_deref()),
                        port_names: Rc::clone(&port_names),
                    });
                }
            }
        }
        Backends::new(endpoints, true)
    }

    /// Which pods the endpoints stand for, as sorted sets, so that checking
    /// every selected pod never costs pods × endpoints.
    pub fn listed(&self) -> Listed<'a> {
        let mut l = Listed::default();
        for e in &self.endpoints {
            match (e.target_uid, e.target_name) {
                (Some(uid), name) => {
                    l.uids.extend([uid]);
                    l.names_with_uid.extend(name.map(str::as_bytes));
                }
                (None, Some(name)) => l.names.extend([name.as_bytes()]),
                (None, None) => l.addresses.extend(e.addresses.iter().map(|a| a.as_bytes())),
            }
        }
        for set in [
            &mut l.uids,
            &mut l.names,
            &mut l.names_with_uid,
            &mut l.addresses,
        ] {
            set.seal();
        }
        l
    }

    /// Distinct backends (a dual-stack pod listed in two slices counts once).
    /// Asked twice of every Service (SEL-004, the step's summary) and
    /// counted the first time: the keys of up to 16 endpoints without an
    /// allocation.
    pub fn distinct(&self) -> usize {
        *self.distinct.get_or_init(|| {
            let mut keys: SmallVec<[&[u8]; 16]> =
                self.endpoints.iter().map(Observed::backend_key).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.len()
        })
    }

    /// What the source is called in messages.
    pub fn source(&self) -> &'static str {
        if self.from_v1 {
            "v1 Endpoints"
        } else {
            "EndpointSlices"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ServiceSpec;
    use k8s_openapi::api::core::v1::ContainerPort;

    fn sp(port: i32, target: Option<IntOrString>, proto: Option<&str>) -> ServicePort {
        ServicePort {
            port,
            target_port: target,
            protocol: proto.map(str::to_string),
            ..Default::default()
        }
    }

    fn container(name: &str, ports: &[(&str, i32, &str)], sidecar: bool) -> Container {
        Container {
            name: name.into(),
            restart_policy: sidecar.then(|| "Always".into()),
            ports: Some(
                ports
                    .iter()
                    .map(|(n, p, proto)| ContainerPort {
                        name: (!n.is_empty()).then(|| n.to_string()),
                        container_port: *p,
                        protocol: Some(proto.to_string()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }
    }

    /// Which pods the controller lists, by IP family: a dual-stack pod for
    /// an IPv6 Service (near miss: its first IP is IPv4), an IPv4-only pod
    /// for it, a pod with only the legacy `podIP`, and one with no IP.
    #[test]
    fn expected_listing_by_family() {
        use crate::diagnose::index::{Index, Tables};
        use crate::diagnose::testing::{now, snapshot};
        let pod = |name: &str, status: &str| {
            format_exact!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  containers: [{{name: app, image: app}}]\nstatus: {status}\n"
            )
        };
        let texts = [
            pod(
                "dual",
                "{phase: Running, podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}, {ip: 'fd00::1'}]}",
            ),
            pod(
                "v4",
                "{phase: Running, podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}]}",
            ),
            pod("legacy", "{phase: Running, podIP: 'fd00::3'}"),
            pod("none", "{phase: Pending}"),
        ];
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let snap = snapshot(&texts);
        let tables = Tables::build(&snap);
        let idx = Index::new(&snap, &tables, now());
        let svc = Service::default();
        let listing = |name: &str| {
            let pod = idx.pod("shop", name).expect("the pod");
            expected_listing(&idx, &svc, &[Family::V6], pod)
        };
        assert_eq!(listing("dual"), Ok(()));
        assert_eq!(listing("legacy"), Ok(()));
        assert_eq!(
            listing("v4"),
            Err(Unlisted::NoIpOfFamily {
                have: vec![Family::V4],
                want: vec![Family::V6]
            })
        );
        assert_eq!(listing("none"), Err(Unlisted::NoIp));
    }

    #[test]
    fn omitted_target_port_is_the_port() {
        let p = sp(80, None, None);
        assert_eq!(target_of(&p), Target::Number(80));
        assert!(target_omitted(&p));
    }

    #[test]
    fn named_port_resolves_by_name_and_protocol() {
        let mut spec = PodSpec::default();
        spec.containers = vec![container("dns", &[("dns", 53, "UDP")], false)].into();
        let udp = sp(53, Some(IntOrString::String("dns".into())), Some("UDP"));
        let tcp = sp(53, Some(IntOrString::String("dns".into())), Some("TCP"));
        assert_eq!(resolve(Some(&spec), &udp).map(|r| r.number), Some(53));
        // Same name, other protocol: does not resolve.
        assert_eq!(resolve(Some(&spec), &tcp), None);
    }

    #[test]
    fn named_port_on_sidecar_init_container_resolves_but_not_on_plain_init() {
        let mut spec = PodSpec::default();
        spec.containers = vec![container("app", &[], false)].into();
        spec.init_containers =
            Some(vec![container("proxy", &[("proxy", 15001, "TCP")], true)].into());
        let p = sp(80, Some(IntOrString::String("proxy".into())), None);
        let r = resolve(Some(&spec), &p).expect("sidecar port resolves");
        assert_eq!(r.number, 15001);
        assert!(r.declared.is_some_and(|d| d.sidecar));
        spec.init_containers =
            Some(vec![container("proxy", &[("proxy", 15001, "TCP")], false)].into());
        assert_eq!(resolve(Some(&spec), &p), None);
    }

    #[test]
    fn containers_win_over_sidecars() {
        let mut spec = PodSpec::default();
        spec.containers = vec![container("app", &[("http", 8080, "TCP")], false)].into();
        spec.init_containers =
            Some(vec![container("proxy", &[("http", 15001, "TCP")], true)].into());
        let p = sp(80, Some(IntOrString::String("http".into())), None);
        assert_eq!(resolve(Some(&spec), &p).map(|r| r.number), Some(8080));
    }

    #[test]
    fn families_default_from_cluster_ip() {
        let svc = |ip: &str| Service {
            spec: Some(ServiceSpec {
                cluster_ip: Some(ip.into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(service_families(&svc("fd00::1")), vec![Family::V6]);
        assert_eq!(service_families(&svc("None")), vec![Family::V4]);
    }

    /// `Listed` answers as `Observed::is_pod` over every endpoint does, by
    /// uid, by name for an endpoint without a uid, by name for a pod without
    /// one, and by address for an endpoint with neither; with more endpoints
    /// than it holds inline, given in no order and one twice (near miss: a
    /// set searched by halves before it is sorted misses some).
    #[test]
    fn listed_agrees_with_is_pod_for_endpoints_in_any_order() {
        let endpoint =
            |uid: Option<&'static str>, name: Option<&'static str>, ip: &'static str| Observed {
                addresses: smallvec![ip],
                family: Some(Family::V4),
                ready: true,
                serving: true,
                terminating: false,
                node: None,
                target_uid: uid.map(str::as_bytes),
                target_name: name,
                port_names: Rc::from(Vec::new()),
            };
        let uids = [
            "u-09", "u-03", "u-11", "u-01", "u-07", "u-05", "u-10", "u-02", "u-08", "u-04",
        ];
        let mut endpoints: Vec<Observed<'static>> = uids
            .iter()
            .map(|u| endpoint(Some(u), Some("web-uid"), "10.0.0.1"))
            .collect();
        endpoints.push(endpoint(Some("u-03"), None, "10.0.0.3"));
        endpoints.push(endpoint(None, Some("web-named"), "10.0.0.4"));
        endpoints.push(endpoint(None, None, "10.0.0.5"));
        let backends = Backends::new(endpoints, false);
        let listed = backends.listed();
        let pod = |uid: Option<&str>, name: &str, ip: &str| {
            let mut p = Pod::default();
            p.metadata.uid = uid.map(Into::into);
            p.metadata.name = Some(name.into());
            p.status = Some(crate::model::PodStatus {
                pod_ip: Some(ip.into()),
                ..Default::default()
            });
            p
        };
        let cases = [
            (pod(Some("u-01"), "a", "10.9.0.1"), true),
            (pod(Some("u-11"), "b", "10.9.0.2"), true),
            (pod(Some("u-06"), "c", "10.9.0.3"), false),
            // A uid not listed; its name is listed only beside uids.
            (pod(Some("u-12"), "web-uid", "10.9.0.4"), false),
            (pod(None, "web-uid", "10.9.0.5"), true),
            (pod(Some("u-13"), "web-named", "10.9.0.6"), true),
            (pod(Some("u-14"), "d", "10.0.0.5"), true),
            (pod(Some("u-15"), "e", "10.0.0.4"), false),
        ];
        for (p, want) in &cases {
            let by_endpoint = backends.endpoints.iter().any(|e| e.is_pod(p));
            assert_eq!(by_endpoint, *want, "{:?}", p.metadata.name);
            assert_eq!(listed.contains(p), *want, "{:?}", p.metadata.name);
        }
    }
}
