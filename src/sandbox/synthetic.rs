//! A synthetic cluster of any size, for benchmarks (`svc-doctor sandbox
//! --synthetic services=N,pods=M[,namespaces=K][,seed=S]`, `benches/`).
//!
//! [`generate`] is a pure function of its [`Params`] and a time: the same
//! seed gives the same objects, uids and names. The objects are what a real
//! cluster's API returns, at real size: pods with several containers, env
//! vars naming other Services (short names and FQDNs), probes, volumes,
//! owner references, full status and `managedFields`; their Deployments and
//! ReplicaSets (with old, scaled-down revisions); Services; EndpointSlices
//! written as the EndpointSlice controller writes them (at most 100 endpoints
//! per slice, `ready`/`serving`/`terminating` from the pods, `targetRef` uids,
//! `nodeName`, target ports resolved per pod, an empty placeholder slice for
//! a selector that matches nothing); events; nodes; kube-proxy; CoreDNS
//! (Deployment, pods, `kube-dns` Service and slice, `coredns` ConfigMap).
//!
//! About 90 % of the application Services are healthy. The others are broken
//! the ways real ones are, each labelled with what svc-doctor should find
//! (annotation [`EXPECT_ANNOTATION`]): a selector that matches no pod, a
//! numeric targetPort the containers do not serve, crash-looping pods, image
//! pull errors, pods failing readiness, Pending pods, a Deployment scaled to
//! zero, containers without a readinessProbe, a client naming a Service that
//! does not exist (annotation [`MISSING_ANNOTATION`] on the client
//! Deployment). The sandbox must not share the engine's reading of
//! Kubernetes, so nothing here asks the engine: the expectations are checked
//! against it by `tests/synthetic.rs`.

use std::fmt;
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use super::load::{PodLog, format_uuid};
use crate::snapshot::manifests::add_value;
use crate::snapshot::{ContainerLogs, Scope, Snapshot};

/// On every application Service: what svc-doctor should report, `pass`,
/// `warn:CHECK` or `fail:STEP:CHECK`.
pub const EXPECT_ANNOTATION: &str = "synthetic.svc-doctor.dev/expect";
/// On a client Deployment: the Service it names that exists nowhere.
pub const MISSING_ANNOTATION: &str = "synthetic.svc-doctor.dev/names-missing";

/// Endpoints per EndpointSlice (the controller's default `--max-endpoints-per-slice`).
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
/// Pods per worker node (real clusters run 30–110).
const PODS_PER_NODE: usize = 50;
/// The cluster domain and the Service range.
const DOMAIN: &str = "cluster.local";
const DNS_IP: &str = "10.96.0.10";

/// What to generate. Parsed from `services=N,pods=M[,namespaces=K][,seed=S]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Application Services (the cluster also has `kubernetes`, `kube-dns`
    /// and `otel-collector`).
    pub services: usize,
    /// Pods in all, kube-system's included.
    pub pods: usize,
    /// Application namespaces (default: one per five Services).
    pub namespaces: usize,
    pub seed: u64,
}

impl Params {
    pub fn new(services: usize, pods: usize) -> Params {
        Params {
            services,
            pods,
            namespaces: services.div_ceil(5).max(1),
            seed: 1,
        }
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "services={},pods={},namespaces={},seed={}",
            self.services, self.pods, self.namespaces, self.seed
        )
    }
}

impl FromStr for Params {
    type Err = String;

    fn from_str(text: &str) -> Result<Params, String> {
        let mut services = None;
        let mut pods = None;
        let mut namespaces = None;
        let mut seed = 1;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected KEY=NUMBER"))?;
            let number: u64 = value
                .trim()
                .replace('_', "")
                .parse()
                .map_err(|_| format!("{key}: {value:?} is not a whole number"))?;
            let count = usize::try_from(number).map_err(|_| format!("{key}: too large"))?;
            match key.trim() {
                "services" => services = Some(count),
                "pods" => pods = Some(count),
                "namespaces" => namespaces = Some(count),
                "seed" => seed = number,
                other => {
                    return Err(format!(
                        "unknown key {other:?} (expected services, pods, namespaces, seed)"
                    ));
                }
            }
        }
        let (Some(services), Some(pods)) = (services, pods) else {
            return Err("services=N and pods=M are required".into());
        };
        if services == 0 || services > 1_000_000 || pods > 5_000_000 {
            return Err("services must be 1..=1000000 and pods at most 5000000".into());
        }
        let mut params = Params::new(services, pods);
        params.seed = seed;
        if let Some(n) = namespaces {
            if n == 0 || n > services {
                return Err(format!(
                    "namespaces must be 1..={services} (one Service each at least)"
                ));
            }
            params.namespaces = n;
        }
        Ok(params)
    }
}

/// What a generated cluster holds.
#[derive(Debug, Default)]
pub struct Generated {
    /// Objects with `apiVersion`, `kind`, uids and timestamps, namespaces first.
    pub objects: Vec<Value>,
    /// Previous logs of the crash-looping containers.
    pub logs: Vec<PodLog>,
}

/// How one application Service is broken (or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Healthy,
    /// The selector asks for a label value no pod has (SEL-001).
    SelectorMismatch,
    /// A numeric targetPort the containers do not declare (PORT-001).
    TargetPortMismatch,
    /// Every pod in CrashLoopBackOff (POD-001).
    CrashLoop,
    /// Every pod in ImagePullBackOff (POD-001).
    ImagePull,
    /// Running, failing the readiness probe (POD-003).
    NotReady,
    /// Unschedulable (POD-002).
    Pending,
    /// The Deployment has `replicas: 0` (SEL-002).
    ScaledToZero,
    /// The serving container has no readinessProbe (RDY-001, a warning).
    NoReadinessProbe,
    /// Healthy itself, but a client env var names a Service that exists
    /// nowhere (NS-002, reported as a missing Service).
    NamesMissing,
}

impl Health {
    /// Real clusters: about nine in ten Services are fine.
    fn draw(rng: &mut StdRng) -> Health {
        let roll = rng.random_range(0..1000);
        match roll {
            0..900 => Health::Healthy,
            900..920 => Health::SelectorMismatch,
            920..935 => Health::TargetPortMismatch,
            935..955 => Health::CrashLoop,
            955..962 => Health::ImagePull,
            962..970 => Health::NotReady,
            970..975 => Health::Pending,
            975..980 => Health::ScaledToZero,
            980..990 => Health::NoReadinessProbe,
            _ => Health::NamesMissing,
        }
    }

    fn expectation(self) -> &'static str {
        match self {
            Health::Healthy | Health::NamesMissing => "pass",
            Health::SelectorMismatch => "fail:endpoints:SEL-001",
            Health::TargetPortMismatch => "fail:ports:PORT-001",
            Health::CrashLoop | Health::ImagePull => "fail:pods:POD-001",
            Health::NotReady => "fail:pods:POD-003",
            Health::Pending => "fail:pods:POD-002",
            Health::ScaledToZero => "fail:endpoints:SEL-002",
            Health::NoReadinessProbe => "warn:RDY-001",
        }
    }
}

/// The names Services are made of, as teams name them.
const APPS: [&str; 24] = [
    "api",
    "web",
    "worker",
    "cart",
    "checkout",
    "catalog",
    "search",
    "auth",
    "billing",
    "notifier",
    "gateway",
    "profile",
    "orders",
    "inventory",
    "pricing",
    "ledger",
    "media",
    "reports",
    "session",
    "graphql",
    "admin",
    "feed",
    "ratings",
    "shipping",
];
const TEAMS: [&str; 16] = [
    "payments",
    "storefront",
    "identity",
    "growth",
    "platform",
    "data",
    "mobile",
    "search",
    "logistics",
    "support",
    "ads",
    "media",
    "risk",
    "finance",
    "infra",
    "partners",
];
const ZONES: [&str; 3] = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
/// The Kubernetes name alphabet for hashes and suffixes (`rand.SafeEncodeString`).
const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// One application: a Service, its Deployment and its pods.
struct App {
    namespace: String,
    team: String,
    name: String,
    health: Health,
    replicas: usize,
    /// `targetPort` of port `http`: the container port's name, or a number.
    named_target: bool,
    /// The Service's port `http` (80 for applications).
    port: u16,
    /// Services this one calls: (namespace, name).
    deps: Vec<(String, String)>,
    cluster_ip: String,
    uid: String,
    /// Whether an older ReplicaSet (scaled to 0) is still around.
    old_revision: bool,
    init_container: bool,
}

/// One generated pod, for its slices and events.
struct PodInfo {
    name: String,
    uid: String,
    ip: Option<String>,
    node: Option<String>,
    zone: &'static str,
    ready: bool,
}

struct Node {
    name: String,
    zone: &'static str,
    ip: String,
    /// Pods placed so far (for pod IPs in the node's /24).
    pods: usize,
}

struct Gen<'s> {
    rng: StdRng,
    now: Timestamp,
    sink: &'s mut dyn FnMut(Value),
    logs: Vec<PodLog>,
    nodes: Vec<Node>,
    next_service_ip: u32,
}

/// Generate the cluster `params` describes, as of `now`.
pub fn generate(params: &Params, now: Timestamp) -> Generated {
    let mut objects = Vec::new();
    let logs = generate_with(params, now, &mut |o| objects.push(o));
    Generated { objects, logs }
}

/// The generated cluster as a [`Snapshot`], with its container logs: what
/// `check -A` would read from a sandbox serving it (before stripping).
/// Objects are typed one at a time, never all held as JSON values.
pub fn snapshot(params: &Params, now: Timestamp) -> Result<Snapshot, String> {
    let mut snap = Snapshot::empty("synthetic", Scope::All);
    let mut n = 0;
    let mut error = None;
    let logs = generate_with(params, now, &mut |value| {
        if let Err(e) = add_value(&mut snap, value, &mut n)
            && error.is_none()
        {
            error = Some(e);
        }
    });
    if let Some(e) = error {
        return Err(format!("generated object does not load: {e}"));
    }
    for log in logs {
        snap.logs.insert(
            (log.namespace, log.pod, log.container.unwrap_or_default()),
            ContainerLogs {
                previous: log.previous,
                current: log.current,
            },
        );
    }
    Ok(snap)
}

/// [`generate`], handing each object to `sink` as soon as it is built (a
/// large cluster is never held as JSON values all at once); returns the logs.
pub fn generate_with(params: &Params, now: Timestamp, sink: &mut dyn FnMut(Value)) -> Vec<PodLog> {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(params.seed),
        now,
        sink,
        logs: Vec::new(),
        nodes: Vec::new(),
        next_service_ip: 256,
    };
    let workers = params.pods.div_ceil(PODS_PER_NODE).max(2);
    let namespaces: Vec<(String, String)> = (0..params.namespaces)
        .map(|i| {
            let team = TEAMS[i % TEAMS.len()];
            (format!("{team}-{}", i / TEAMS.len()), team.to_string())
        })
        .collect();
    g.namespace("default", "");
    g.namespace("kube-system", "");
    g.namespace("kube-public", "");
    g.namespace("kube-node-lease", "");
    g.namespace("observability", "platform");
    for (ns, team) in &namespaces {
        g.namespace(ns, team);
    }
    g.control_plane_node();
    for i in 0..workers {
        g.worker_node(i);
    }
    // One node being drained: cordoned, NotReady, nothing on it.
    g.drained_node(workers);

    // Infrastructure first, counted in `pods`.
    let kube_proxy = g.nodes.len();
    let coredns = 2;
    let otel = 3;
    let app_pods = params.pods.saturating_sub(kube_proxy + coredns + otel);
    g.kubernetes_service();
    g.kube_proxy();
    g.coredns(coredns);

    let apps = g.plan_apps(params, &namespaces, app_pods);
    // The collector every app sends traces to.
    let collector = App {
        namespace: "observability".into(),
        team: "platform".into(),
        name: "otel-collector".into(),
        health: Health::Healthy,
        replicas: otel,
        named_target: true,
        port: 4317,
        deps: Vec::new(),
        cluster_ip: g.service_ip(),
        uid: g.uid(),
        old_revision: false,
        init_container: false,
    };
    g.app(&collector);
    for app in &apps {
        g.app(app);
    }
    // Namespaces whose pods take HTTP from anywhere and nothing else.
    for (ns, _) in namespaces.iter().step_by(10) {
        g.network_policy(ns);
    }
    g.logs
}

fn ts(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn upper(name: &str) -> String {
    name.to_uppercase().replace(['-', '.'], "_")
}

impl Gen<'_> {
    fn uid(&mut self) -> String {
        format_uuid(self.rng.random(), self.rng.random())
    }

    fn safe(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(SAFE[self.rng.random_range(0..SAFE.len())]))
            .collect()
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.rng.random_range(0..16)]))
            .collect()
    }

    /// A time `seconds` before now.
    fn ago(&self, seconds: i64) -> String {
        ts(self.now - SignedDuration::from_secs(seconds))
    }

    fn service_ip(&mut self) -> String {
        let n = self.next_service_ip;
        self.next_service_ip += 1;
        format!("10.{}.{}.{}", 96 + (n >> 16), (n >> 8) & 0xff, n & 0xff)
    }

    fn namespace(&mut self, name: &str, team: &str) {
        let mut labels = Map::new();
        labels.insert("kubernetes.io/metadata.name".into(), json!(name));
        if !team.is_empty() {
            labels.insert("team".into(), json!(team));
        }
        let uid = self.uid();
        let created = self.ago(86_400 * 120);
        let object = json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "uid": uid, "creationTimestamp": created, "labels": labels},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        });
        (self.sink)(object);
        // Every namespace has the cluster's CA bundle (kube-controller-manager).
        let uid = self.uid();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            (0..17).map(|_| self.hex(64)).collect::<Vec<_>>().join("\n")
        );
        let object = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "kube-root-ca.crt", "namespace": name, "uid": uid,
                         "creationTimestamp": created,
                         "annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
            "data": {"ca.crt": pem},
        });
        (self.sink)(object);
    }

    fn node_object(&mut self, name: &str, zone: &str, ip: &str, index: usize, role: &str) -> Value {
        let uid = self.uid();
        let created = self.ago(86_400 * 60);
        let images: Vec<Value> = (0..12)
            .map(|i| {
                let digest = self.hex(64);
                json!({"names": [format!("registry.example.com/team/app-{i}@sha256:{digest}"),
                                  format!("registry.example.com/team/app-{i}:v1.{i}.0")],
                       "sizeBytes": 20_000_000 + i * 7_340_033})
            })
            .collect();
        let mut labels = json!({
            "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "m6i.2xlarge",
            "topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": zone,
        });
        if !role.is_empty() {
            labels[format!("node-role.kubernetes.io/{role}")] = json!("");
        }
        let heartbeat = self.ago(20);
        let condition = |kind: &str, status: &str, reason: &str, message: &str| {
            json!({"type": kind, "status": status, "reason": reason, "message": message,
                   "lastHeartbeatTime": heartbeat, "lastTransitionTime": created})
        };
        let (boot_id, machine_id, system_uuid, provider) =
            (self.uid(), self.hex(32), self.uid(), self.hex(16));
        json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {
                "name": name, "uid": uid, "creationTimestamp": created, "labels": labels,
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
            },
            "spec": {"podCIDR": format!("10.{}.{}.0/24", 64 + (index >> 8), index & 0xff),
                     "podCIDRs": [format!("10.{}.{}.0/24", 64 + (index >> 8), index & 0xff)],
                     "providerID": format!("aws:///{zone}/i-0{provider}")},
            "status": {
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                "allocatable": {"cpu": "7910m", "ephemeral-storage": "95491281146", "hugepages-1Gi": "0",
                                "hugepages-2Mi": "0", "memory": "31482876Ki", "pods": "110"},
                "capacity": {"cpu": "8", "ephemeral-storage": "104845292Ki", "hugepages-1Gi": "0",
                             "hugepages-2Mi": "0", "memory": "32498684Ki", "pods": "110"},
                "conditions": [
                    condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "images": images,
                "nodeInfo": {"architecture": "amd64", "bootID": boot_id, "containerRuntimeVersion": "containerd://1.7.27",
                             "kernelVersion": "6.1.132-147.221.amzn2023.x86_64", "kubeProxyVersion": "",
                             "kubeletVersion": "v1.33.0", "machineID": machine_id, "operatingSystem": "linux",
                             "osImage": "Amazon Linux 2023.7.20250414", "systemUUID": system_uuid},
            },
        })
    }

    fn control_plane_node(&mut self) {
        let mut node =
            self.node_object("control-plane-1", ZONES[0], "10.0.0.10", 0, "control-plane");
        node["spec"]["taints"] =
            json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]);
        (self.sink)(node);
        self.nodes.push(Node {
            name: "control-plane-1".into(),
            zone: ZONES[0],
            ip: "10.0.0.10".into(),
            pods: 0,
        });
    }

    fn worker_node(&mut self, i: usize) {
        let name = format!("worker-{i:05}");
        let zone = ZONES[i % ZONES.len()];
        let ip = format!("10.0.{}.{}", 1 + (i >> 8), i & 0xff);
        let node = self.node_object(&name, zone, &ip, i + 1, "");
        (self.sink)(node);
        self.nodes.push(Node {
            name,
            zone,
            ip,
            pods: 0,
        });
    }

    fn drained_node(&mut self, i: usize) {
        let name = format!("worker-{i:05}");
        let zone = ZONES[i % ZONES.len()];
        let ip = format!("10.0.{}.{}", 1 + (i >> 8), i & 0xff);
        let mut node = self.node_object(&name, zone, &ip, i + 1, "");
        node["spec"]["unschedulable"] = json!(true);
        node["spec"]["taints"] = json!([
            {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule", "timeAdded": self.ago(900)},
            {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": self.ago(1200)},
        ]);
        if let Some(conditions) = node["status"]["conditions"].as_array_mut() {
            for c in conditions {
                c["status"] = json!("Unknown");
                c["reason"] = json!("NodeStatusUnknown");
                c["message"] = json!("Kubelet stopped posting node status.");
            }
        }
        (self.sink)(node);
    }

    /// A worker with room for one more pod: its name, zone and the pod's IP.
    fn place(&mut self) -> (String, &'static str, String) {
        let workers = self.nodes.len() - 1;
        let mut n = 1 + self.rng.random_range(0..workers.max(1));
        while self.nodes[n].pods >= 250 {
            n = 1 + (n % workers.max(1));
        }
        let node = &mut self.nodes[n];
        node.pods += 1;
        let ip = format!("10.{}.{}.{}", 64 + (n >> 8), n & 0xff, node.pods + 1);
        (node.name.clone(), node.zone, ip)
    }

    fn kubernetes_service(&mut self) {
        let uid = self.uid();
        let created = self.ago(86_400 * 120);
        let object = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default", "uid": uid, "creationTimestamp": created,
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "internalTrafficPolicy": "Cluster",
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                     "sessionAffinity": "None", "type": "ClusterIP"},
            "status": {"loadBalancer": {}},
        });
        (self.sink)(object);
        let uid = self.uid();
        let object = json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "namespace": "default", "uid": uid, "creationTimestamp": created,
                         "generation": 1, "labels": {"kubernetes.io/service-name": "kubernetes"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.10"], "conditions": {"ready": true}}],
            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
        });
        (self.sink)(object);
    }

    fn kube_proxy(&mut self) {
        let uid = self.uid();
        let created = self.ago(86_400 * 120);
        let labels = json!({"k8s-app": "kube-proxy"});
        let container = json!({
            "name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.33.0",
            "imagePullPolicy": "IfNotPresent",
            "command": ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"],
            "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}],
            "securityContext": {"privileged": true},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "volumeMounts": [{"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                             {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                             {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": true}],
        });
        let volumes = json!([
            {"name": "kube-proxy", "configMap": {"name": "kube-proxy", "defaultMode": 420}},
            {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
            {"name": "lib-modules", "hostPath": {"path": "/lib/modules", "type": ""}},
        ]);
        let template_spec = json!({
            "containers": [container], "dnsPolicy": "ClusterFirst", "hostNetwork": true,
            "nodeSelector": {"kubernetes.io/os": "linux"}, "priorityClassName": "system-node-critical",
            "restartPolicy": "Always", "schedulerName": "default-scheduler", "serviceAccountName": "kube-proxy",
            "terminationGracePeriodSeconds": 30, "tolerations": [{"operator": "Exists"}], "volumes": volumes,
        });
        let count = self.nodes.len();
        let object = json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "uid": uid, "creationTimestamp": created,
                         "generation": 1, "labels": labels, "annotations": {"deprecated.daemonset.template.generation": "1"}},
            "spec": {"selector": {"matchLabels": labels}, "revisionHistoryLimit": 10,
                     "template": {"metadata": {"labels": labels}, "spec": template_spec},
                     "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}},
            "status": {"currentNumberScheduled": count, "desiredNumberScheduled": count, "numberAvailable": count,
                       "numberMisscheduled": 0, "numberReady": count, "observedGeneration": 1, "updatedNumberScheduled": count},
        });
        (self.sink)(object);
        let hash = self.safe(10);
        let nodes: Vec<(String, &'static str, String)> = self
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.zone, n.ip.clone()))
            .collect();
        for (node, _, ip) in nodes {
            let name = format!("kube-proxy-{}", self.safe(5));
            let mut spec = template_spec.clone();
            spec["nodeName"] = json!(node);
            let pod_uid = self.uid();
            let started = self.ago(86_400 * 60);
            let statuses = json!([{
                "name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.33.0",
                "imageID": format!("registry.k8s.io/kube-proxy@sha256:{}", self.hex(64)),
                "containerID": format!("containerd://{}", self.hex(64)),
                "ready": true, "started": true, "restartCount": 0,
                "state": {"running": {"startedAt": started}}, "lastState": {},
            }]);
            let object = json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "generateName": "kube-proxy-", "namespace": "kube-system", "uid": pod_uid,
                             "creationTimestamp": started,
                             "labels": {"k8s-app": "kube-proxy", "controller-revision-hash": hash, "pod-template-generation": "1"},
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "kube-proxy",
                                                  "uid": uid, "controller": true, "blockOwnerDeletion": true}]},
                "spec": spec,
                "status": {"phase": "Running", "hostIP": ip, "hostIPs": [{"ip": ip}], "podIP": ip, "podIPs": [{"ip": ip}],
                           "qosClass": "BestEffort", "startTime": started,
                           "conditions": pod_conditions(&started, &started, true),
                           "containerStatuses": statuses},
            });
            (self.sink)(object);
        }
    }

    fn coredns(&mut self, replicas: usize) {
        let created = self.ago(86_400 * 120);
        let labels = json!({"k8s-app": "kube-dns"});
        let object = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system", "uid": self.uid(), "creationTimestamp": created},
            "data": {"Corefile": format!(".:53 {{\n    errors\n    health {{\n       lameduck 5s\n    }}\n    ready\n    kubernetes {DOMAIN} in-addr.arpa ip6.arpa {{\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }}\n    prometheus :9153\n    forward . /etc/resolv.conf {{\n       max_concurrent 1000\n    }}\n    cache 30\n    loop\n    reload\n    loadbalance\n}}\n")},
        });
        (self.sink)(object);
        let container = json!({
            "name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.12.0", "imagePullPolicy": "IfNotPresent",
            "args": ["-conf", "/etc/coredns/Corefile"],
            "livenessProbe": {"failureThreshold": 5, "httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                              "initialDelaySeconds": 60, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 5},
            "readinessProbe": {"failureThreshold": 3, "httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"},
                               "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
            "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                      {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                      {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}],
            "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
            "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                                "readOnlyRootFilesystem": true},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "volumeMounts": [{"mountPath": "/etc/coredns", "name": "config-volume", "readOnly": true}],
        });
        let spec = json!({
            "containers": [container], "dnsPolicy": "Default", "nodeSelector": {"kubernetes.io/os": "linux"},
            "priorityClassName": "system-cluster-critical", "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "serviceAccountName": "coredns", "terminationGracePeriodSeconds": 30,
            "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                            {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}],
            "volumes": [{"name": "config-volume", "configMap": {"name": "coredns", "defaultMode": 420,
                                                                "items": [{"key": "Corefile", "path": "Corefile"}]}}],
        });
        let dep_uid = self.uid();
        let hash = self.safe(10);
        let rs_name = format!("coredns-{hash}");
        let rs_uid = self.uid();
        let object = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "uid": dep_uid, "creationTimestamp": created,
                         "generation": 1, "labels": labels, "annotations": {"deployment.kubernetes.io/revision": "1"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "progressDeadlineSeconds": 600,
                     "revisionHistoryLimit": 10,
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                     "template": {"metadata": {"labels": labels}, "spec": spec}},
            "status": deployment_status(replicas, replicas, &rs_name, &created),
        });
        (self.sink)(object);
        let mut rs_labels = labels.clone();
        rs_labels["pod-template-hash"] = json!(hash);
        let object = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": "kube-system", "uid": rs_uid, "creationTimestamp": created,
                         "generation": 1, "labels": rs_labels,
                         "annotations": {"deployment.kubernetes.io/desired-replicas": replicas.to_string(),
                                         "deployment.kubernetes.io/max-replicas": (replicas + 1).to_string(),
                                         "deployment.kubernetes.io/revision": "1"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "coredns", "uid": dep_uid,
                                              "controller": true, "blockOwnerDeletion": true}]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": rs_labels},
                     "template": {"metadata": {"labels": rs_labels}, "spec": spec}},
            "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas,
                       "fullyLabeledReplicas": replicas, "observedGeneration": 1},
        });
        (self.sink)(object);
        let mut pods = Vec::new();
        for _ in 0..replicas {
            let name = format!("{rs_name}-{}", self.safe(5));
            let uid = self.uid();
            // On the control plane, as kubeadm's CoreDNS tolerates it.
            let node = &mut self.nodes[0];
            node.pods += 1;
            let ip = format!("10.64.0.{}", node.pods + 1);
            let host_ip = node.ip.clone();
            let started = self.ago(86_400 * 90);
            let mut pod_spec = spec.clone();
            pod_spec["nodeName"] = json!("control-plane-1");
            let statuses = json!([{
                "name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.12.0",
                "imageID": format!("registry.k8s.io/coredns/coredns@sha256:{}", self.hex(64)),
                "containerID": format!("containerd://{}", self.hex(64)),
                "ready": true, "started": true, "restartCount": 0,
                "state": {"running": {"startedAt": started}}, "lastState": {},
            }]);
            let object = json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "generateName": format!("{rs_name}-"), "namespace": "kube-system", "uid": uid,
                             "creationTimestamp": started, "labels": rs_labels,
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid,
                                                  "controller": true, "blockOwnerDeletion": true}]},
                "spec": pod_spec,
                "status": {"phase": "Running", "hostIP": host_ip, "hostIPs": [{"ip": host_ip}], "podIP": ip,
                           "podIPs": [{"ip": ip}], "qosClass": "Burstable", "startTime": started,
                           "conditions": pod_conditions(&started, &started, true), "containerStatuses": statuses},
            });
            (self.sink)(object);
            pods.push(PodInfo {
                name,
                uid,
                ip: Some(ip),
                node: Some("control-plane-1".into()),
                zone: ZONES[0],
                ready: true,
            });
        }
        let svc_uid = self.uid();
        let object = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system", "uid": svc_uid, "creationTimestamp": created,
                         "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
                         "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
            "spec": {"clusterIP": DNS_IP, "clusterIPs": [DNS_IP], "internalTrafficPolicy": "Cluster",
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                               {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                               {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}],
                     "selector": labels, "sessionAffinity": "None", "type": "ClusterIP"},
            "status": {"loadBalancer": {}},
        });
        (self.sink)(object);
        let ports = json!([{"name": "dns", "port": 53, "protocol": "UDP"},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                           {"name": "metrics", "port": 9153, "protocol": "TCP"}]);
        let service_labels = json!({"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"});
        self.slices(
            "kube-system",
            "kube-dns",
            &svc_uid,
            &service_labels,
            &ports,
            &pods,
            &created,
        );
    }

    /// Decide every application: namespace, name, health, replicas, dependencies.
    fn plan_apps(
        &mut self,
        params: &Params,
        namespaces: &[(String, String)],
        pods: usize,
    ) -> Vec<App> {
        let mut apps: Vec<App> = Vec::with_capacity(params.services);
        let mut weights = Vec::with_capacity(params.services);
        let mut per_ns = vec![0usize; namespaces.len()];
        for i in 0..params.services {
            let n = i % namespaces.len();
            let (ns, team) = &namespaces[n];
            let k = per_ns[n];
            per_ns[n] += 1;
            let base = APPS[k % APPS.len()];
            let name = if k < APPS.len() {
                format!("{base}-{ns}")
            } else {
                format!("{base}{}-{ns}", k / APPS.len())
            };
            let health = Health::draw(&mut self.rng);
            // Replica counts as teams set them; a few big fleets span several slices.
            let roll = self.rng.random_range(0..100);
            let weight: usize = match roll {
                0..8 => 1,
                8..45 => 2,
                45..70 => 3,
                70..88 => self.rng.random_range(4..=6),
                88..99 => self.rng.random_range(8..=16),
                _ => self.rng.random_range(120..=260),
            };
            weights.push(if health == Health::ScaledToZero {
                0
            } else {
                weight
            });
            let cluster_ip = self.service_ip();
            let uid = self.uid();
            let old_revision = self.rng.random_bool(0.3);
            let init_container = self.rng.random_bool(0.3);
            apps.push(App {
                namespace: ns.clone(),
                team: team.clone(),
                name,
                health,
                replicas: 0,
                named_target: self.rng.random_bool(0.6),
                port: 80,
                deps: Vec::new(),
                cluster_ip,
                uid,
                old_revision,
                init_container,
            });
        }
        // Scale the replica counts to the pod budget (largest remainders).
        let total: usize = weights.iter().sum::<usize>().max(1);
        let mut assigned = 0;
        let mut remainders: Vec<(usize, usize)> = Vec::new();
        for (i, w) in weights.iter().enumerate() {
            let exact = w * pods;
            apps[i].replicas = exact / total;
            assigned += apps[i].replicas;
            if *w > 0 {
                remainders.push((exact % total, i));
            }
        }
        remainders.sort_by(|a, b| b.cmp(a));
        for (_, i) in remainders.iter().take(pods.saturating_sub(assigned)) {
            apps[*i].replicas += 1;
        }
        // Dependencies: healthy-looking Services only, so that a healthy
        // client stays healthy; short names within the namespace, FQDNs across.
        let callable: Vec<usize> = (0..apps.len())
            .filter(|i| apps[*i].health == Health::Healthy)
            .collect();
        for i in 0..apps.len() {
            let count = self.rng.random_range(0..=3);
            for _ in 0..count {
                if callable.is_empty() {
                    break;
                }
                let same_ns = self.rng.random_bool(0.6);
                let target = if same_ns {
                    // Neighbours are `namespaces` apart in the plan.
                    let step = namespaces.len();
                    let candidates: Vec<usize> = (i % step..apps.len())
                        .step_by(step)
                        .filter(|j| *j != i && apps[*j].health == Health::Healthy)
                        .collect();
                    if candidates.is_empty() {
                        continue;
                    }
                    candidates[self.rng.random_range(0..candidates.len())]
                } else {
                    callable[self.rng.random_range(0..callable.len())]
                };
                if target == i {
                    continue;
                }
                let dep = (apps[target].namespace.clone(), apps[target].name.clone());
                if !apps[i].deps.contains(&dep) {
                    apps[i].deps.push(dep);
                }
            }
        }
        apps
    }

    /// The containers of an app's pod template.
    fn containers(&mut self, app: &App) -> Vec<Value> {
        let mut env = vec![
            json!({"name": "LOG_LEVEL", "value": "info"}),
            json!({"name": "PORT", "value": "8080"}),
            json!({"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}),
            json!({"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}}),
            json!({"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}),
            json!({"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"containerName": "app", "divisor": "1", "resource": "limits.cpu"}}}),
            json!({"name": "OTEL_SERVICE_NAME", "value": app.name}),
            json!({"name": "FEATURE_FLAGS", "value": "fast-checkout,new-search"}),
        ];
        if app.name != "otel-collector" {
            env.push(json!({"name": "OTEL_EXPORTER_OTLP_ENDPOINT",
                            "value": format!("http://otel-collector.observability.svc.{DOMAIN}:4317")}));
        }
        for (ns, dep) in &app.deps {
            let var = upper(dep.split('-').next().unwrap_or(dep));
            if *ns == app.namespace {
                env.push(
                    json!({"name": format!("{var}_URL"), "value": format!("http://{dep}:80")}),
                );
            } else if self.rng.random_bool(0.5) {
                env.push(json!({"name": format!("{var}_URL"), "value": format!("http://{dep}.{ns}.svc.{DOMAIN}/v1")}));
            } else {
                env.push(
                    json!({"name": format!("{var}_HOST"), "value": format!("{dep}.{ns}.svc")}),
                );
                env.push(json!({"name": format!("{var}_PORT"), "value": "80"}));
            }
        }
        if app.health == Health::NamesMissing {
            env.push(json!({"name": "LEGACY_API_URL", "value": format!("http://{}:8080", missing_name(app))}));
        }
        env.push(json!({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": format!("{}-db", app.name), "key": "password"}}}));
        let image = if app.health == Health::ImagePull {
            format!("registry.example.com/{}/{}:v2.3.l", app.team, app.name)
        } else {
            format!("registry.example.com/{}/{}:v2.3.1", app.team, app.name)
        };
        let mut main = json!({
            "name": "app", "image": image, "imagePullPolicy": "IfNotPresent",
            "args": ["--config=/etc/app/app.yaml", "--listen=:8080"],
            "env": env,
            "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"},
                      {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "initialDelaySeconds": 10,
                              "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP"}, "periodSeconds": 5,
                               "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
            "resources": {"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}},
            "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
                                "readOnlyRootFilesystem": true, "runAsNonRoot": true, "runAsUser": 10001},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "volumeMounts": [{"mountPath": "/etc/app", "name": "config", "readOnly": true},
                             {"mountPath": "/tmp", "name": "tmp"}],
        });
        if let Some(m) = main.as_object_mut()
            && app.health == Health::NoReadinessProbe
        {
            m.remove("readinessProbe");
        }
        let sidecar = json!({
            "name": "log-shipper", "image": "cr.fluentbit.io/fluent/fluent-bit:3.2.4", "imagePullPolicy": "IfNotPresent",
            "args": ["--config=/fluent-bit/etc/fluent-bit.yaml"],
            "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
                    {"name": "FLUENT_LOG_LEVEL", "value": "warn"}],
            "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "20m", "memory": "64Mi"}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "volumeMounts": [{"mountPath": "/var/log/app", "name": "tmp", "readOnly": true}],
        });
        vec![main, sidecar]
    }

    fn template_spec(&mut self, app: &App) -> Value {
        let mut spec = json!({
            "containers": self.containers(app),
            "dnsPolicy": "ClusterFirst", "enableServiceLinks": false, "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "securityContext": {"fsGroup": 10001},
            "serviceAccountName": app.name, "terminationGracePeriodSeconds": 30,
            "topologySpreadConstraints": [{"labelSelector": {"matchLabels": {"app": app.name}}, "maxSkew": 1,
                                           "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}],
            "volumes": [{"name": "config", "configMap": {"name": format!("{}-config", app.name), "defaultMode": 420}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
        });
        if app.init_container {
            spec["initContainers"] = json!([{
                "name": "migrate", "image": format!("registry.example.com/{}/{}-migrate:v2.3.1", app.team, app.name),
                "args": ["migrate", "--to=latest"], "imagePullPolicy": "IfNotPresent",
                "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}},
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            }]);
        }
        if app.health == Health::Pending {
            spec["nodeSelector"] = json!({"node.kubernetes.io/instance-type": "x2iedn.32xlarge"});
        }
        spec
    }

    /// One application: ConfigMap, Deployment, ReplicaSets, pods, Service,
    /// EndpointSlices, events.
    fn app(&mut self, app: &App) {
        let ns = app.namespace.as_str();
        let days = self.rng.random_range(3..200);
        let created = self.ago(86_400 * days);
        let labels = json!({"app": app.name, "app.kubernetes.io/name": app.name, "app.kubernetes.io/part-of": app.team});
        let object = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("{}-config", app.name), "namespace": ns, "uid": self.uid(),
                         "creationTimestamp": created, "labels": labels},
            "data": {"app.yaml": format!("server:\n  port: 8080\n  shutdownGracePeriod: 20s\nmetrics:\n  port: 9090\nlog:\n  level: info\n  format: json\nteam: {}\n", app.team)},
        });
        (self.sink)(object);
        let mut template_labels = labels.clone();
        template_labels["version"] = json!("v2.3.1");
        let spec = self.template_spec(app);
        let desired = app.replicas;
        let hash = self.safe(10);
        let rs_name = format!("{}-{hash}", app.name);
        let dep_uid = self.uid();
        let rs_uid = self.uid();
        let revision = if app.old_revision { 2 } else { 1 };
        let ready = match app.health {
            Health::CrashLoop | Health::ImagePull | Health::NotReady | Health::Pending => 0,
            _ => desired,
        };
        let mut dep_annotations =
            json!({"deployment.kubernetes.io/revision": revision.to_string()});
        if let Some(d) = self.missing_annotation(app) {
            dep_annotations[MISSING_ANNOTATION] = json!(d);
        }
        let selector = json!({"matchLabels": {"app": app.name}});
        let dep_template = json!({"metadata": {"labels": template_labels, "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}}, "spec": spec});
        let object = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": app.name, "namespace": ns, "uid": dep_uid, "creationTimestamp": created,
                         "generation": revision, "labels": labels, "annotations": dep_annotations,
                         "managedFields": [managed_entry("kubectl-client-side-apply", "Update", &created, &json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}})),
                                           managed_entry("kube-controller-manager", "Update", &created, &json!({"f:status": {"f:conditions": {}, "f:replicas": {}}}))]},
            "spec": {"replicas": desired, "selector": selector, "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                     "template": dep_template},
            "status": deployment_status(desired, ready, &rs_name, &created),
        });
        (self.sink)(object);
        let mut rs_labels = template_labels.clone();
        rs_labels["pod-template-hash"] = json!(hash);
        let rs_template = json!({"metadata": {"labels": rs_labels, "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}}, "spec": dep_template["spec"]});
        let owner = json!([{"apiVersion": "apps/v1", "kind": "Deployment", "name": app.name, "uid": dep_uid,
                            "controller": true, "blockOwnerDeletion": true}]);
        if app.old_revision {
            let old_hash = self.safe(10);
            let mut old_labels = rs_labels.clone();
            old_labels["pod-template-hash"] = json!(old_hash);
            old_labels["version"] = json!("v2.2.0");
            let object = json!({
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": format!("{}-{old_hash}", app.name), "namespace": ns, "uid": self.uid(),
                             "creationTimestamp": created, "generation": 2, "labels": old_labels,
                             "annotations": {"deployment.kubernetes.io/desired-replicas": desired.to_string(),
                                             "deployment.kubernetes.io/revision": "1"},
                             "ownerReferences": owner},
                "spec": {"replicas": 0, "selector": {"matchLabels": {"app": app.name, "pod-template-hash": old_hash}},
                         "template": {"metadata": {"labels": old_labels}, "spec": dep_template["spec"]}},
                "status": {"replicas": 0, "observedGeneration": 2},
            });
            (self.sink)(object);
        }
        let object = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": ns, "uid": rs_uid, "creationTimestamp": created, "generation": 1,
                         "labels": rs_labels,
                         "annotations": {"deployment.kubernetes.io/desired-replicas": desired.to_string(),
                                         "deployment.kubernetes.io/max-replicas": (desired + desired.div_ceil(4)).to_string(),
                                         "deployment.kubernetes.io/revision": revision.to_string()},
                         "ownerReferences": owner},
            "spec": {"replicas": desired, "selector": {"matchLabels": {"app": app.name, "pod-template-hash": hash}},
                     "template": rs_template},
            "status": {"replicas": desired, "readyReplicas": ready, "availableReplicas": ready,
                       "fullyLabeledReplicas": desired, "observedGeneration": 1},
        });
        (self.sink)(object);
        let mut pods = Vec::with_capacity(desired);
        for _ in 0..desired {
            let pod = self.pod(app, &rs_name, &rs_uid, &rs_labels, &dep_template["spec"]);
            pods.push(pod);
        }
        // The Service.
        let selector_value = if app.health == Health::SelectorMismatch {
            format!("{}-v2", app.name)
        } else {
            app.name.clone()
        };
        let target = if app.health == Health::TargetPortMismatch {
            json!(80)
        } else if app.named_target {
            json!("http")
        } else {
            json!(8080)
        };
        let last_applied = format!(
            "{{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{{\"annotations\":{{}},\"labels\":{{\"app\":\"{0}\"}},\"name\":\"{0}\",\"namespace\":\"{ns}\"}},\"spec\":{{\"ports\":[{{\"name\":\"http\",\"port\":{port},\"targetPort\":{target}}},{{\"name\":\"metrics\",\"port\":9090,\"targetPort\":9090}}],\"selector\":{{\"app\":\"{selector_value}\"}}}}}}\n",
            app.name,
            port = app.port,
        );
        let mut annotations =
            json!({"kubectl.kubernetes.io/last-applied-configuration": last_applied});
        annotations[EXPECT_ANNOTATION] = json!(app.health.expectation());
        let object = json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": app.name, "namespace": ns, "uid": app.uid, "creationTimestamp": created,
                         "labels": labels, "annotations": annotations,
                         "managedFields": [managed_entry("kubectl-client-side-apply", "Update", &created,
                            &json!({"f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}},
                                    "f:spec": {"f:ports": {}, "f:selector": {}}}))]},
            "spec": {"clusterIP": app.cluster_ip, "clusterIPs": [app.cluster_ip], "internalTrafficPolicy": "Cluster",
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "ports": [{"name": "http", "port": app.port, "protocol": "TCP", "targetPort": target},
                               {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090}],
                     "selector": {"app": selector_value}, "sessionAffinity": "None", "type": "ClusterIP"},
            "status": {"loadBalancer": {}},
        });
        (self.sink)(object);
        // The controller resolves the target port per pod: a name through
        // the pod's container ports, a number as it is.
        let http_port = match app.health {
            Health::TargetPortMismatch => 80,
            _ => 8080,
        };
        let ports = json!([{"name": "http", "port": http_port, "protocol": "TCP"},
                           {"name": "metrics", "port": 9090, "protocol": "TCP"}]);
        let selected: &[PodInfo] = if app.health == Health::SelectorMismatch {
            &[]
        } else {
            &pods
        };
        self.slices(ns, &app.name, &app.uid, &labels, &ports, selected, &created);
    }

    fn missing_annotation(&self, app: &App) -> Option<String> {
        (app.health == Health::NamesMissing)
            .then(|| format!("{}/{}", app.namespace, missing_name(app)))
    }

    /// One pod of `app`, with status, events and (when crashing) logs.
    fn pod(
        &mut self,
        app: &App,
        rs_name: &str,
        rs_uid: &str,
        labels: &Value,
        template: &Value,
    ) -> PodInfo {
        let ns = app.namespace.as_str();
        let name = format!("{rs_name}-{}", self.safe(5));
        let uid = self.uid();
        let age = self.rng.random_range(3_600..86_400 * 30);
        let created = self.ago(age);
        let started = self.ago(age - 4);
        let ready_at = self.ago(age - 12);
        let mut spec = template.clone();
        let scheduled = app.health != Health::Pending;
        let (node, zone, ip, host_ip) = if scheduled {
            let (node, zone, ip) = self.place();
            let host_ip = self
                .nodes
                .iter()
                .find(|n| n.name == node)
                .map(|n| n.ip.clone())
                .unwrap_or_default();
            spec["nodeName"] = json!(node);
            (Some(node), zone, Some(ip), Some(host_ip))
        } else {
            (None, ZONES[0], None, None)
        };
        spec["preemptionPolicy"] = json!("PreemptLowerPriority");
        spec["priority"] = json!(0);
        spec["serviceAccount"] = json!(app.name);
        spec["tolerations"] = json!([
            {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
        ]);
        let token_volume = format!("kube-api-access-{}", self.safe(5));
        if let Some(volumes) = spec["volumes"].as_array_mut() {
            volumes.push(json!({"name": token_volume, "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}},
            ]}}));
        }
        if let Some(containers) = spec["containers"].as_array_mut() {
            for c in containers {
                if let Some(mounts) = c["volumeMounts"].as_array_mut() {
                    mounts.push(
                        json!({"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                                       "name": token_volume, "readOnly": true}),
                    );
                }
            }
        }
        // Container states.
        let image = |c: &str| {
            if c == "app" {
                spec["containers"][0]["image"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            } else {
                "cr.fluentbit.io/fluent/fluent-bit:3.2.4".to_string()
            }
        };
        let running = |at: &str| json!({"running": {"startedAt": at}});
        let mut ready = scheduled;
        let mut phase = "Running";
        let mut events: Vec<(&str, &str, String, &str, u32)> = Vec::new();
        let (app_state, app_last, app_restarts, app_ready, app_started) = match app.health {
            Health::CrashLoop => {
                ready = false;
                let restarts = self.rng.random_range(5..300);
                let seconds = self.rng.random_range(10..280);
                let finished = self.ago(seconds);
                events.push((
                    "Warning",
                    "BackOff",
                    "Back-off restarting failed container app in pod".into(),
                    "spec.containers{app}",
                    restarts,
                ));
                self.logs.push(PodLog {
                    namespace: ns.to_string(),
                    pod: name.clone(),
                    container: Some("app".into()),
                    current: None,
                    previous: Some(format!("{{\"level\":\"info\",\"msg\":\"starting {}\"}}\n{{\"level\":\"fatal\",\"msg\":\"config: missing required key payments.apiKey\"}}\n", app.name)),
                });
                (
                    json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off 5m0s restarting failed container=app pod={name}_{ns}({uid})")}}),
                    json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": finished, "finishedAt": finished,
                                          "containerID": format!("containerd://{}", self.hex(64))}}),
                    restarts,
                    false,
                    false,
                )
            }
            Health::ImagePull => {
                ready = false;
                phase = "Pending";
                events.push(("Warning", "Failed", format!("Failed to pull image \"{}\": rpc error: code = NotFound desc = failed to pull and unpack image: not found", image("app")), "spec.containers{app}", 40));
                events.push((
                    "Normal",
                    "BackOff",
                    format!("Back-off pulling image \"{}\"", image("app")),
                    "spec.containers{app}",
                    900,
                ));
                (
                    json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"{}\"", image("app"))}}),
                    json!({}),
                    0,
                    false,
                    false,
                )
            }
            Health::NotReady => {
                ready = false;
                events.push((
                    "Warning",
                    "Unhealthy",
                    "Readiness probe failed: HTTP probe failed with statuscode: 503".into(),
                    "spec.containers{app}",
                    2_000,
                ));
                (running(&started), json!({}), 0, false, true)
            }
            Health::Pending => {
                phase = "Pending";
                (json!({}), json!({}), 0, false, false)
            }
            _ => (running(&started), json!({}), 0, true, true),
        };
        let mut statuses = Vec::new();
        if scheduled {
            statuses.push(json!({
                "name": "app", "image": image("app"),
                "imageID": if app_started { format!("{}@sha256:{}", image("app").split(':').next().unwrap_or_default(), self.hex(64)) } else { String::new() },
                "containerID": format!("containerd://{}", self.hex(64)),
                "ready": app_ready, "started": app_started, "restartCount": app_restarts,
                "state": app_state, "lastState": app_last,
                "volumeMounts": [{"mountPath": "/etc/app", "name": "config", "readOnly": true, "recursiveReadOnly": "Disabled"},
                                 {"mountPath": "/tmp", "name": "tmp"},
                                 {"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": token_volume,
                                  "readOnly": true, "recursiveReadOnly": "Disabled"}],
            }));
            statuses.push(json!({
                "name": "log-shipper", "image": image("log-shipper"),
                "imageID": format!("cr.fluentbit.io/fluent/fluent-bit@sha256:{}", self.hex(64)),
                "containerID": format!("containerd://{}", self.hex(64)),
                "ready": true, "started": true, "restartCount": 0, "state": running(&started), "lastState": {},
                "volumeMounts": [{"mountPath": "/var/log/app", "name": "tmp", "readOnly": true, "recursiveReadOnly": "Disabled"}],
            }));
        }
        let mut status = json!({"phase": phase, "qosClass": "Burstable"});
        if scheduled {
            let host_ip = host_ip.clone().unwrap_or_default();
            let pod_ip = ip.clone().unwrap_or_default();
            status["hostIP"] = json!(host_ip);
            status["hostIPs"] = json!([{"ip": host_ip}]);
            status["podIP"] = json!(pod_ip);
            status["podIPs"] = json!([{"ip": pod_ip}]);
            status["startTime"] = json!(created);
            status["conditions"] = pod_conditions(&created, &ready_at, ready);
            status["containerStatuses"] = json!(statuses);
            if app.init_container {
                status["initContainerStatuses"] = json!([{
                    "name": "migrate", "image": format!("registry.example.com/{}/{}-migrate:v2.3.1", app.team, app.name),
                    "imageID": format!("registry.example.com/{}/{}-migrate@sha256:{}", app.team, app.name, self.hex(64)),
                    "containerID": format!("containerd://{}", self.hex(64)),
                    "ready": true, "started": false, "restartCount": 0, "lastState": {},
                    "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": created, "finishedAt": started}},
                }]);
            }
        } else {
            let nodes = self.nodes.len();
            let message = format!(
                "0/{nodes} nodes are available: {} node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {{node-role.kubernetes.io/control-plane: }}. preemption: 0/{nodes} nodes are available: {nodes} Preemption is not helpful for scheduling.",
                nodes - 1
            );
            status["conditions"] = json!([{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                           "message": message, "lastProbeTime": null, "lastTransitionTime": created}]);
            events.push(("Warning", "FailedScheduling", message, "", 30));
        }
        // A few pods were started recently: the kubelet's events are still there.
        if app.health == Health::Healthy && self.rng.random_bool(0.04) {
            let node_name = node.clone().unwrap_or_default();
            events.push((
                "Normal",
                "Scheduled",
                format!("Successfully assigned {ns}/{name} to {node_name}"),
                "",
                1,
            ));
            events.push((
                "Normal",
                "Pulled",
                format!(
                    "Container image \"{}\" already present on machine",
                    image("app")
                ),
                "spec.containers{app}",
                1,
            ));
            events.push((
                "Normal",
                "Created",
                "Created container: app".into(),
                "spec.containers{app}",
                1,
            ));
            events.push((
                "Normal",
                "Started",
                "Started container app".into(),
                "spec.containers{app}",
                1,
            ));
        }
        let managed = json!([
            managed_entry("kube-controller-manager", "Update", &created, &pod_spec_fields(&spec, rs_uid)),
            {"apiVersion": "v1", "fieldsType": "FieldsV1", "manager": "kubelet", "operation": "Update", "subresource": "status",
             "time": ready_at, "fieldsV1": pod_status_fields(&status)},
        ]);
        let object = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "generateName": format!("{rs_name}-"), "namespace": ns, "uid": uid,
                         "creationTimestamp": created, "labels": labels,
                         "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid,
                                              "controller": true, "blockOwnerDeletion": true}],
                         "managedFields": managed},
            "spec": spec,
            "status": status,
        });
        (self.sink)(object);
        for (kind, reason, message, field, count) in events {
            self.event(ns, "Pod", &name, &uid, field, kind, reason, &message, count);
        }
        PodInfo {
            name,
            uid,
            ip,
            node,
            zone,
            ready,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        ns: &str,
        kind: &str,
        name: &str,
        uid: &str,
        field: &str,
        type_: &str,
        reason: &str,
        message: &str,
        count: u32,
    ) {
        let first = self.ago(3_000);
        let seconds = self.rng.random_range(5..600);
        let last = self.ago(seconds);
        let mut involved =
            json!({"apiVersion": "v1", "kind": kind, "name": name, "namespace": ns, "uid": uid});
        if !field.is_empty() {
            involved["fieldPath"] = json!(field);
        }
        let source = if reason == "FailedScheduling" {
            "default-scheduler"
        } else {
            "kubelet"
        };
        let object = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": format!("{name}.{}", self.hex(16)), "namespace": ns, "uid": self.uid(), "creationTimestamp": first},
            "involvedObject": involved, "type": type_, "reason": reason, "message": message, "count": count,
            "firstTimestamp": first, "lastTimestamp": last, "eventTime": null,
            "reportingComponent": source, "reportingInstance": "", "source": {"component": source},
        });
        (self.sink)(object);
    }

    /// EndpointSlices as the controller writes them: pods with an IP, at
    /// most [`MAX_ENDPOINTS_PER_SLICE`] per slice, an empty placeholder when
    /// there is none.
    #[allow(clippy::too_many_arguments)]
    fn slices(
        &mut self,
        ns: &str,
        service: &str,
        service_uid: &str,
        service_labels: &Value,
        ports: &Value,
        pods: &[PodInfo],
        created: &str,
    ) {
        let endpoints: Vec<Value> = pods
            .iter()
            .filter_map(|p| {
                let ip = p.ip.as_ref()?;
                Some(json!({
                    "addresses": [ip],
                    "conditions": {"ready": p.ready, "serving": p.ready, "terminating": false},
                    "nodeName": p.node, "zone": p.zone,
                    "targetRef": {"kind": "Pod", "name": p.name, "namespace": ns, "uid": p.uid},
                }))
            })
            .collect();
        let mut labels = service_labels.clone();
        labels["endpointslice.kubernetes.io/managed-by"] = json!("endpointslice-controller.k8s.io");
        labels["kubernetes.io/service-name"] = json!(service);
        let chunks: Vec<&[Value]> = if endpoints.is_empty() {
            vec![&[]]
        } else {
            endpoints.chunks(MAX_ENDPOINTS_PER_SLICE).collect()
        };
        for chunk in chunks {
            let name = format!("{service}-{}", self.safe(5));
            let (endpoints, ports) = if chunk.is_empty() {
                (Value::Null, Value::Null)
            } else {
                (json!(chunk), ports.clone())
            };
            let seconds = self.rng.random_range(60..86_400);
            let trigger = self.ago(seconds);
            let object = json!({
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": name, "generateName": format!("{service}-"), "namespace": ns, "uid": self.uid(),
                             "creationTimestamp": created, "generation": 1, "labels": labels,
                             "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": trigger},
                             "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": service, "uid": service_uid,
                                                  "controller": true, "blockOwnerDeletion": true}],
                             "managedFields": [managed_entry("kube-controller-manager", "Update", &trigger,
                                 &json!({"f:addressType": {}, "f:endpoints": {}, "f:metadata": {"f:labels": {}, "f:ownerReferences": {}}, "f:ports": {}}))]},
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": ports,
            });
            (self.sink)(object);
        }
    }

    fn network_policy(&mut self, ns: &str) {
        let created = self.ago(86_400 * 30);
        let object = json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "allow-http-and-metrics", "namespace": ns, "uid": self.uid(), "creationTimestamp": created, "generation": 1},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"namespaceSelector": {}}],
                                  "ports": [{"port": 8080, "protocol": "TCP"}, {"port": 9090, "protocol": "TCP"}]}]},
        });
        (self.sink)(object);
    }
}

fn missing_name(app: &App) -> String {
    format!("{}-legacy", app.name)
}

fn pod_conditions(created: &str, ready_at: &str, ready: bool) -> Value {
    let r = if ready { "True" } else { "False" };
    let mut conditions = vec![
        json!({"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": created}),
        json!({"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": created}),
        json!({"type": "Ready", "status": r, "lastProbeTime": null, "lastTransitionTime": ready_at}),
        json!({"type": "ContainersReady", "status": r, "lastProbeTime": null, "lastTransitionTime": ready_at}),
        json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": created}),
    ];
    if !ready {
        let reason = json!("ContainersNotReady");
        conditions[2]["reason"] = reason.clone();
        conditions[2]["message"] = json!("containers with unready status: [app]");
        conditions[3]["reason"] = reason;
        conditions[3]["message"] = json!("containers with unready status: [app]");
    }
    json!(conditions)
}

fn deployment_status(desired: usize, ready: usize, rs_name: &str, created: &str) -> Value {
    let available = if desired == 0 || ready > 0 {
        "True"
    } else {
        "False"
    };
    let (reason, message) = if available == "True" {
        (
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    let mut status = json!({
        "observedGeneration": 1, "replicas": desired, "updatedReplicas": desired,
        "conditions": [
            {"type": "Available", "status": available, "reason": reason, "message": message,
             "lastTransitionTime": created, "lastUpdateTime": created},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
             "message": format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
             "lastTransitionTime": created, "lastUpdateTime": created},
        ],
    });
    if ready > 0 {
        status["readyReplicas"] = json!(ready);
        status["availableReplicas"] = json!(ready);
    }
    if desired > ready {
        status["unavailableReplicas"] = json!(desired - ready);
    }
    status
}

fn managed_entry(manager: &str, operation: &str, time: &str, fields: &Value) -> Value {
    json!({"apiVersion": "v1", "fieldsType": "FieldsV1", "manager": manager, "operation": operation,
           "time": time, "fieldsV1": fields})
}

/// The `fieldsV1` the controller manager owns on a pod it created: every
/// field of its spec, keyed as server-side apply keys them (list items by
/// their merge key, atomic lists as one field).
fn pod_spec_fields(spec: &Value, owner_uid: &str) -> Value {
    fn fields(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut out = Map::new();
                out.insert(".".into(), json!({}));
                for (k, v) in map {
                    out.insert(format!("f:{k}"), fields(v));
                }
                Value::Object(out)
            }
            Value::Array(items) => {
                let mut out = Map::new();
                for item in items {
                    let key = if let Some(name) = item.get("name") {
                        format!("k:{{\"name\":{name}}}")
                    } else if let Some(port) = item.get("containerPort") {
                        format!("k:{{\"containerPort\":{port},\"protocol\":\"TCP\"}}")
                    } else {
                        // An atomic list: owned as a whole.
                        return json!({});
                    };
                    out.insert(key, fields(item));
                }
                Value::Object(out)
            }
            _ => json!({}),
        }
    }
    json!({
        "f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}, "f:app.kubernetes.io/name": {},
                       "f:app.kubernetes.io/part-of": {}, "f:pod-template-hash": {}, "f:version": {}},
                       "f:ownerReferences": {".": {}, format!("k:{{\"uid\":\"{owner_uid}\"}}"): {}}},
        "f:spec": fields(spec),
    })
}

fn pod_status_fields(status: &Value) -> Value {
    let mut conditions = Map::new();
    for c in status["conditions"].as_array().into_iter().flatten() {
        let kind = c["type"].as_str().unwrap_or_default();
        conditions.insert(
            format!("k:{{\"type\":\"{kind}\"}}"),
            json!({".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}}),
        );
    }
    let ip = status["podIP"].as_str().unwrap_or_default();
    json!({"f:status": {"f:conditions": conditions, "f:containerStatuses": {}, "f:hostIP": {}, "f:hostIPs": {},
                        "f:phase": {}, "f:podIP": {}, "f:podIPs": {".": {}, format!("k:{{\"ip\":\"{ip}\"}}"): {".": {}, "f:ip": {}}},
                        "f:startTime": {}}})
}

/// Turn a pod ready or not as the kubelet reports it (the `Ready` and
/// `ContainersReady` conditions and every container's `ready`): the change
/// the benchmarks and churn tests make to a generated cluster.
pub fn set_ready(pod: &mut crate::model::Pod, ready: bool) {
    let status = pod.status.get_or_insert_default();
    for c in status.conditions.iter_mut().flatten() {
        if c.type_ == "Ready" || c.type_ == "ContainersReady" {
            c.status = if ready { "True" } else { "False" }.into();
        }
    }
    for cs in status.container_statuses.iter_mut().flatten() {
        cs.ready = ready;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn params_parse_and_default_namespaces() {
        let p: Result<Params, _> = "services=100,pods=500".parse();
        assert_eq!(
            p,
            Ok(Params {
                services: 100,
                pods: 500,
                namespaces: 20,
                seed: 1
            })
        );
        let p: Result<Params, _> = "services=10_000, pods=50000,namespaces=2000,seed=7".parse();
        assert_eq!(
            p,
            Ok(Params {
                services: 10_000,
                pods: 50_000,
                namespaces: 2_000,
                seed: 7
            })
        );
        assert!("pods=5".parse::<Params>().is_err());
        assert!("services=5,pods=5,colour=red".parse::<Params>().is_err());
        assert!("services=5,pods=5,namespaces=6".parse::<Params>().is_err());
        assert!("services=x,pods=5".parse::<Params>().is_err());
    }

    #[test]
    fn the_same_seed_gives_the_same_cluster() {
        let p = Params::new(30, 120);
        let a = generate(&p, now());
        let b = generate(&p, now());
        assert_eq!(a.objects, b.objects);
        let mut other = p;
        other.seed = 2;
        assert_ne!(generate(&other, now()).objects, a.objects);
    }

    #[test]
    fn pods_total_what_was_asked() {
        let p = Params::new(100, 500);
        let g = generate(&p, now());
        let pods = g.objects.iter().filter(|o| o["kind"] == "Pod").count();
        assert_eq!(pods, 500);
        let services = g.objects.iter().filter(|o| o["kind"] == "Service").count();
        assert_eq!(services, 100 + 3);
    }

    #[test]
    fn slices_hold_at_most_a_hundred_endpoints_and_name_real_pods() {
        let mut p = Params::new(20, 1_000);
        p.seed = 3;
        let g = generate(&p, now());
        let pods: std::collections::HashMap<&str, &Value> = g
            .objects
            .iter()
            .filter(|o| o["kind"] == "Pod")
            .filter_map(|o| Some((o["metadata"]["uid"].as_str()?, o)))
            .collect();
        let mut big = 0;
        for slice in g.objects.iter().filter(|o| o["kind"] == "EndpointSlice") {
            let endpoints = slice["endpoints"].as_array().map_or(0, Vec::len);
            assert!(endpoints <= MAX_ENDPOINTS_PER_SLICE);
            if endpoints == MAX_ENDPOINTS_PER_SLICE {
                big += 1;
            }
            for ep in slice["endpoints"].as_array().into_iter().flatten() {
                let Some(uid) = ep["targetRef"]["uid"].as_str() else {
                    continue;
                };
                let Some(pod) = pods.get(uid) else {
                    panic!("slice endpoint names no pod: {ep}")
                };
                assert_eq!(ep["addresses"][0], pod["status"]["podIP"]);
                assert_eq!(ep["nodeName"], pod["spec"]["nodeName"]);
            }
        }
        assert!(big > 0, "no Service big enough to need a second slice");
    }
}
