//! Pods and pod templates as the engine reads them: the fields of
//! `core/v1` that a check looks at, under their API names.

use std::hash::Hasher;

use compact_str::CompactString;
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMapKeySelector, ConfigMapVolumeSource, ContainerPort, ContainerStateRunning,
    ContainerStateTerminated, ContainerStateWaiting, EnvFromSource, ObjectFieldSelector,
    PodDNSConfig, PodIP, PodReadinessGate, SecretKeySelector, Toleration,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::exact::retain_exact;
use super::meta::{Labels, Meta};
use super::shared::{Fingerprint, Shared, feed, pooled};
use super::word::Word;

pooled!(Vec<Container>, Vec<Toleration>);

/// What tells two workloads' containers apart: name, image, command line
/// and environment (equality compares the rest).
impl Fingerprint for Container {
    fn fingerprint(&self, h: &mut dyn Hasher) {
        feed(h, Some(&self.name));
        feed(h, self.image.as_deref());
        for arg in self.command.iter().chain(&self.args).flatten() {
            feed(h, Some(arg));
        }
        for var in self.env.iter().flatten() {
            feed(h, Some(&var.name));
            feed(h, var.value.as_deref());
        }
    }
}

impl Fingerprint for Toleration {
    fn fingerprint(&self, h: &mut dyn Hasher) {
        feed(h, self.key.as_deref());
        feed(h, self.operator.as_deref());
        feed(h, self.value.as_deref());
        feed(h, self.effect.as_deref());
        h.write_i64(self.toleration_seconds.unwrap_or(-1));
    }
}

/// `core/v1` Pod.
///
/// Of its conditions it keeps those a check reads: `Ready`, `PodScheduled`
/// and the ones its readiness gates name. The kubelet sets three more on
/// every pod (`Initialized`, `ContainersReady`, `PodReadyToStartContainers`)
/// that no check reads and that took a third of a pod's status. `podIPs`
/// is kept only when it says more than `podIP` (a dual-stack pod): readers
/// fall back to `podIP` (`endpoint_rules::pod_ips`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "RawPod")]
pub struct Pod {
    pub metadata: Meta,
    pub spec: Option<PodSpec>,
    pub status: Option<PodStatus>,
}

/// The conditions every check that reads one reads
/// (`diagnose::pod_status`); a readiness gate's are kept beside them.
const CONDITIONS_READ: [&str; 2] = ["Ready", "PodScheduled"];

/// Whether a pod with readiness `gates` keeps condition `type_` when it is
/// decoded. The one place that says so: the decoder filters by it, and
/// `diagnose::pod_status::condition` asserts by it (in debug builds) that a
/// check never asks for a condition the model dropped.
pub fn keeps_condition(gates: Option<&[PodReadinessGate]>, type_: &str) -> bool {
    CONDITIONS_READ.contains(&type_)
        || gates
            .into_iter()
            .flatten()
            .any(|g| g.condition_type == type_)
}

/// Pod as the API sends it.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawPod {
    #[serde(deserialize_with = "super::or_default")]
    metadata: Meta,
    spec: Option<PodSpec>,
    status: Option<PodStatus>,
}

impl From<RawPod> for Pod {
    fn from(raw: RawPod) -> Self {
        let RawPod {
            metadata,
            spec,
            mut status,
        } = raw;
        if let Some(conditions) = status.as_mut().and_then(|s| s.conditions.as_mut()) {
            let gates = spec.as_ref().and_then(|s| s.readiness_gates.as_deref());
            retain_exact(conditions, |c| keeps_condition(gates, &c.type_));
        }
        if let Some(status) = status.as_mut()
            && let (Some(ip), Some([only])) = (&status.pod_ip, status.pod_ips.as_deref())
            && only.ip == *ip
        {
            status.pod_ips = None;
        }
        Pod {
            metadata,
            spec,
            status,
        }
    }
}

super::resource!(Pod, NamespaceResourceScope, "", "v1", "v1", "Pod", "pods");

/// `core/v1` PodTemplateSpec (the template of a workload).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodTemplateSpec {
    pub metadata: Option<Meta>,
    pub spec: Option<PodSpec>,
}

/// `core/v1` PodSpec: the node the pod runs on, and what it runs
/// ([`PodRun`], read through `Deref`: `spec.containers`). What it runs is
/// the same for every replica of a workload and for the workload's
/// template, so it is shared (see [`super::shared`]): a pod holds 32 bytes
/// of spec rather than 176.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodSpec {
    pub node_name: Option<CompactString>,
    run: Shared<PodRun>,
}

impl PodSpec {
    /// Change what the pod runs and share the result with every pod whose
    /// part is now equal to it. Writing through `DerefMut` instead gives
    /// this pod a copy of its own: right for a test, not for every pod.
    pub fn change_run(&mut self, change: impl FnOnce(&mut PodRun)) {
        let mut run = (*self.run).clone();
        change(&mut run);
        self.run = Shared::pooled(run);
    }
}

impl std::ops::Deref for PodSpec {
    type Target = PodRun;

    fn deref(&self) -> &PodRun {
        &self.run
    }
}

/// Writing copies the shared part first if anything else holds it.
impl std::ops::DerefMut for PodSpec {
    fn deref_mut(&mut self) -> &mut PodRun {
        &mut self.run
    }
}

impl<'de> Deserialize<'de> for PodSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut run = PodRun::deserialize(d)?;
        let node_name = run.node_name.take();
        // Only the volumes a check reads (a ConfigMap's, for the Corefile):
        // every pod has a projected token volume of its own name, which
        // would make each pod's part unlike its siblings'.
        if let Some(volumes) = run.volumes.as_mut() {
            retain_exact(volumes, |v| v.config_map.is_some());
        }
        run.volumes = run.volumes.take().filter(|v| !v.is_empty());
        Ok(PodSpec {
            node_name,
            run: Shared::pooled(run),
        })
    }
}

pooled!(PodRun);

/// What tells two pods' parts apart in practice: their containers (already
/// shared, so by address), DNS settings, hostname and subdomain; equality
/// compares the rest.
impl Fingerprint for PodRun {
    fn fingerprint(&self, h: &mut dyn Hasher) {
        h.write_usize(Shared::as_ptr(&self.containers) as usize);
        feed(h, self.dns_policy.as_deref());
        feed(h, self.hostname.as_deref());
        feed(h, self.subdomain.as_deref());
        h.write_u8(u8::from(self.host_network.unwrap_or(false)));
    }
}

impl super::exact::Compact for PodRun {
    fn compact(self) -> Self {
        self
    }
}

/// What a pod runs, as its spec says (everything but the node): containers
/// and what decides where and how it runs (scheduling for DNS-005, DNS
/// settings for NS-002, the Corefile volume for DNS-006).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodRun {
    /// Shared with every pod and template whose containers are equal
    /// (the replicas of one workload): see [`super::shared`].
    #[serde(deserialize_with = "super::or_default")]
    pub containers: Shared<Vec<Container>>,
    pub init_containers: Option<Shared<Vec<Container>>>,
    /// Only while decoding: [`PodSpec`] takes it out (`spec.node_name`).
    node_name: Option<CompactString>,
    pub node_selector: Option<Labels>,
    pub affinity: Option<Box<Affinity>>,
    pub tolerations: Option<Shared<Vec<Toleration>>>,
    pub host_network: Option<bool>,
    #[serde(deserialize_with = "super::optional_word")]
    pub dns_policy: Option<Word>,
    pub dns_config: Option<Box<PodDNSConfig>>,
    /// With `subdomain`, the pod's name behind a headless Service
    /// (`<hostname>.<subdomain>`): set by a StatefulSet, unique per pod.
    pub hostname: Option<CompactString>,
    pub subdomain: Option<CompactString>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub readiness_gates: Option<Vec<PodReadinessGate>>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub volumes: Option<Vec<Volume>>,
}

/// `core/v1` Container: its name, ports, environment and command line
/// (where clients name Services, NS-001/002), probes and memory limit.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Container {
    #[serde(deserialize_with = "super::or_default")]
    pub name: CompactString,
    pub image: Option<CompactString>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub ports: Option<Vec<ContainerPort>>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub env: Option<Vec<EnvVar>>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub env_from: Option<Vec<EnvFromSource>>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub command: Option<Vec<CompactString>>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub args: Option<Vec<CompactString>>,
    pub readiness_probe: Option<Box<Probe>>,
    pub liveness_probe: Option<Box<Probe>>,
    pub resources: Option<ResourceRequirements>,
    /// `Always` on an init container makes it a sidecar.
    pub restart_policy: Option<CompactString>,
}

/// `core/v1` Probe: its handler, as the checks read it (the port it
/// checks, an httpGet's path, whether it is an exec). k8s-openapi's
/// `Probe` keeps every field of every handler inline, about 300 bytes, and
/// a workload's containers have two; the timings and headers are skipped.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Probe {
    /// Only whether there is one: its command is not read.
    pub exec: Option<IgnoredAny>,
    pub http_get: Option<HttpGet>,
    pub tcp_socket: Option<TcpSocket>,
    pub grpc: Option<Grpc>,
}

/// `core/v1` HTTPGetAction: the port and path (not host, scheme, headers).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpGet {
    #[serde(default)]
    pub path: Option<CompactString>,
    pub port: IntOrString,
}

/// `core/v1` TCPSocketAction: the port (not host).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TcpSocket {
    pub port: IntOrString,
}

/// `core/v1` GRPCAction: the port (not the service name).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Grpc {
    pub port: i32,
}

/// `core/v1` EnvVar; `valueFrom` is rare and large, so boxed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvVar {
    #[serde(deserialize_with = "super::or_default")]
    pub name: CompactString,
    pub value: Option<CompactString>,
    pub value_from: Option<Box<EnvVarSource>>,
}

/// `core/v1` EnvVarSource: the sources a check reads, each boxed (a
/// variable has one). Any other source (`resourceFieldRef`) decodes as a
/// source with none of these, which still marks the variable as not a
/// literal value.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EnvVarSource {
    pub config_map_key_ref: Option<Box<ConfigMapKeySelector>>,
    pub field_ref: Option<Box<ObjectFieldSelector>>,
    pub secret_key_ref: Option<Box<SecretKeySelector>>,
}

/// `core/v1` ResourceRequirements: only the limits (OOMKilled evidence).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ResourceRequirements {
    pub limits: Option<Limits>,
}

/// `limits`: only the memory limit (the other resources are skipped).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Limits {
    pub memory: Option<Quantity>,
}

/// `core/v1` Volume: only a ConfigMap's (DNS-006's Corefile); a pod spec
/// keeps only such volumes.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Volume {
    #[serde(deserialize_with = "super::or_default")]
    pub name: CompactString,
    pub config_map: Option<ConfigMapVolumeSource>,
}

/// `core/v1` PodStatus.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(deserialize_with = "super::optional_word")]
    pub phase: Option<Word>,
    pub reason: Option<CompactString>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub conditions: Option<Vec<PodCondition>>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(deserialize_with = "super::optional_exact")]
    pub init_container_statuses: Option<Vec<ContainerStatus>>,
    #[serde(rename = "podIP")]
    pub pod_ip: Option<CompactString>,
    #[serde(rename = "podIPs")]
    #[serde(deserialize_with = "super::optional_exact")]
    pub pod_ips: Option<Vec<PodIP>>,
    pub start_time: Option<Time>,
}

/// `core/v1` PodCondition, without `lastProbeTime` and `observedGeneration`.
/// Every pod carries four or five of them: the usual types and statuses
/// cost no allocation ([`Word`]), and the reason and message, which only a
/// condition that is not met usually has, sit behind one box.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "RawPodCondition")]
pub struct PodCondition {
    pub type_: Word,
    pub status: Word,
    pub last_transition_time: Option<Time>,
    detail: Option<Box<ConditionDetail>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct ConditionDetail {
    reason: Option<String>,
    message: Option<String>,
}

impl PodCondition {
    pub fn reason(&self) -> Option<&str> {
        self.detail.as_ref()?.reason.as_deref()
    }

    pub fn message(&self) -> Option<&str> {
        self.detail.as_ref()?.message.as_deref()
    }
}

/// PodCondition as the API sends it.
#[derive(Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct RawPodCondition {
    #[serde(rename = "type", deserialize_with = "super::word")]
    type_: Word,
    #[serde(deserialize_with = "super::word")]
    status: Word,
    reason: Option<String>,
    message: Option<String>,
    last_transition_time: Option<Time>,
}

impl Default for RawPodCondition {
    fn default() -> Self {
        RawPodCondition {
            type_: Word::Borrowed(""),
            status: Word::Borrowed(""),
            reason: None,
            message: None,
            last_transition_time: None,
        }
    }
}

impl From<RawPodCondition> for PodCondition {
    fn from(raw: RawPodCondition) -> Self {
        let detail = (raw.reason.is_some() || raw.message.is_some()).then(|| {
            Box::new(ConditionDetail {
                reason: raw.reason,
                message: raw.message,
            })
        });
        PodCondition {
            type_: raw.type_,
            status: raw.status,
            last_transition_time: raw.last_transition_time,
            detail,
        }
    }
}

/// `core/v1` ContainerStatus.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerStatus {
    #[serde(deserialize_with = "super::or_default")]
    pub name: CompactString,
    #[serde(deserialize_with = "super::or_default")]
    pub ready: bool,
    pub started: Option<bool>,
    #[serde(deserialize_with = "super::or_default")]
    pub restart_count: i32,
    pub state: Option<ContainerState>,
    pub last_state: Option<ContainerState>,
}

/// `core/v1` ContainerState. The API sends a state for every container and
/// an empty `lastState` for most: the common cases (running, or nothing)
/// cost no allocation, the rare large ones (terminated, waiting) are boxed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ContainerState {
    pub running: Option<ContainerStateRunning>,
    pub terminated: Option<Box<ContainerStateTerminated>>,
    pub waiting: Option<Box<ContainerStateWaiting>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The short strings of a pod — names, IPs, a container's name, an env
    /// var's name and value — are held inline, not allocated: at L they were
    /// a million allocations of under 24 bytes, a tenth of the memory once
    /// rounded to the allocator's size classes. A long one is kept whole.
    /// Two replicas differ in their node and in the name of their projected
    /// token volume: they share one part (and the volume a check never
    /// reads is gone, a ConfigMap's kept), each keeps its node. A pod that
    /// differs in a field of that part (its DNS policy) gets its own.
    #[test]
    fn replicas_share_what_they_run() {
        let pod = |node: &str, token: &str, dns: &str| -> Pod {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": format!("web-{node}"), "namespace": "shop"},
                "spec": {
                    "nodeName": node, "dnsPolicy": dns,
                    "containers": [{"name": "app", "image": "web:1"}],
                    "volumes": [
                        {"name": token, "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
                        {"name": "config", "configMap": {"name": "web"}}
                    ]
                }
            }))
            .expect("a pod decodes")
        };
        let a = pod("node-1", "kube-api-access-abcde", "ClusterFirst");
        let b = pod("node-2", "kube-api-access-fghij", "ClusterFirst");
        let c = pod("node-3", "kube-api-access-klmno", "Default");
        let (a, b, c) = (
            a.spec.expect("spec"),
            b.spec.expect("spec"),
            c.spec.expect("spec"),
        );
        assert!(Shared::ptr_eq(&a.run, &b.run), "replicas share one part");
        assert!(
            !Shared::ptr_eq(&a.run, &c.run),
            "another DNS policy is another part"
        );
        assert_eq!(a.node_name.as_deref(), Some("node-1"));
        assert_eq!(b.node_name.as_deref(), Some("node-2"));
        assert_eq!(a.run.node_name, None);
        let volumes: Vec<&str> = a
            .volumes
            .iter()
            .flatten()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(volumes, ["config"]);
        assert!(std::mem::size_of::<PodSpec>() <= 32);
    }

    /// Stripping a field of the shared part (what `check` does to every pod
    /// outside kube-system) leaves the replicas sharing one stripped part; a
    /// write through `DerefMut` gives the pod a copy of its own.
    #[test]
    fn a_changed_part_is_shared_again() {
        let pod = |node: &str| -> PodSpec {
            let pod: Pod = serde_json::from_value(serde_json::json!({
                "spec": {"nodeName": node, "containers": [{"name": "app"}],
                         "volumes": [{"name": "config", "configMap": {"name": "web"}}]}
            }))
            .expect("a pod decodes");
            pod.spec.expect("spec")
        };
        let (mut a, mut b) = (pod("node-1"), pod("node-2"));
        a.change_run(|r| r.volumes = None);
        b.change_run(|r| r.volumes = None);
        assert!(a.volumes.is_none());
        assert!(
            Shared::ptr_eq(&a.run, &b.run),
            "stripped replicas share again"
        );
        b.volumes = Some(Vec::new());
        assert!(!Shared::ptr_eq(&a.run, &b.run));
        assert!(
            a.volumes.is_none(),
            "a write to one pod's copy is not seen by another"
        );
    }

    #[test]
    fn short_strings_take_no_allocation() {
        let long = "a-name-longer-than-twenty-four-bytes-5d8f9c7b4-x2k9p";
        let json = serde_json::json!({
            "metadata": {"name": long, "namespace": "shop"},
            "spec": {"nodeName": "node-0123", "containers": [{
                "name": "app", "env": [{"name": "LOG_LEVEL", "value": "info"}],
                "args": ["--port=8080"]}]},
            "status": {"podIP": "10.244.12.34",
                       "containerStatuses": [{"name": "app", "ready": true}]}
        });
        let pod: Pod = serde_json::from_value(json).expect("a pod decodes");
        let inline = |s: &CompactString| !s.is_heap_allocated();
        let spec = pod.spec.as_ref().expect("spec");
        let status = pod.status.as_ref().expect("status");
        let app = &spec.containers[0];
        let env = &app.env.as_ref().expect("env")[0];
        let short = [
            pod.metadata.namespace.as_ref(),
            spec.node_name.as_ref(),
            Some(&app.name),
            Some(&env.name),
            env.value.as_ref(),
            app.args.as_ref().map(|a| &a[0]),
            status.pod_ip.as_ref(),
            status.container_statuses.as_ref().map(|c| &c[0].name),
        ];
        for s in short {
            let s = s.expect("decoded");
            assert!(inline(s), "{s} allocated");
        }
        assert_eq!(pod.metadata.name.as_deref(), Some(long));
    }

    /// Every field whose JSON name is not the plain camelCase of its Rust
    /// name, or that sits behind a box, decodes from the API's JSON; a
    /// field the model does not keep is skipped, not an error.
    #[test]
    fn decodes_the_api_json() {
        let json = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {
                "hostNetwork": true, "dnsPolicy": "ClusterFirstWithHostNet",
                "dnsConfig": {"searches": ["corp.example"]},
                "nodeName": "node-1", "hostname": "web-1", "subdomain": "web",
                "securityContext": {"runAsUser": 1000},
                "initContainers": [{"name": "proxy", "restartPolicy": "Always"}],
                "containers": [{
                    "name": "app", "image": "web:1",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "env": [{"name": "DB_HOST", "value": "postgres"},
                            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
                            {"name": "API", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "api"}}},
                            {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
                            {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}],
                    "envFrom": [{"configMapRef": {"name": "app"}}],
                    "args": ["--db=postgres:5432"],
                    "readinessProbe": {"httpGet": {"port": "http", "path": "/ready"}},
                    "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "1"}},
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]
                }],
                "volumes": [{"name": "config", "configMap": {"name": "coredns"}}]
            },
            "status": {
                "phase": "Running", "podIP": "10.0.0.7",
                "podIPs": [{"ip": "10.0.0.7"}, {"ip": "fd00::7"}],
                "startTime": "2026-01-01T00:00:00Z",
                "conditions": [{"type": "Ready", "status": "True", "reason": "r", "message": "m",
                                "lastProbeTime": null, "lastTransitionTime": "2026-01-01T00:00:00Z"}],
                "containerStatuses": [{"name": "app", "ready": true, "restartCount": 3,
                    "image": "web:1", "imageID": "sha256:0",
                    "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}],
                "initContainerStatuses": [{"name": "proxy", "ready": true, "restartCount": 0,
                    "image": "proxy:1", "imageID": "sha256:1", "state": {"running": {}}}]
            }
        });
        let pod: Pod = serde_json::from_value(json).expect("a pod decodes");
        let spec = pod.spec.expect("spec");
        assert_eq!(spec.host_network, Some(true));
        assert_eq!(spec.dns_policy.as_deref(), Some("ClusterFirstWithHostNet"));
        assert!(
            spec.dns_config
                .as_ref()
                .is_some_and(|c| c.searches.is_some())
        );
        assert_eq!(spec.subdomain.as_deref(), Some("web"));
        let init = &spec.init_containers.as_ref().expect("init containers")[0];
        assert_eq!(init.restart_policy.as_deref(), Some("Always"));
        let app = &spec.containers[0];
        assert_eq!(app.ports.as_ref().map(Vec::len), Some(1));
        let env = app.env.as_ref().expect("env");
        assert_eq!(env[0].value.as_deref(), Some("postgres"));
        let from = |i: usize| env[i].value_from.as_deref().expect("valueFrom");
        assert_eq!(
            from(1).field_ref.as_ref().map(|f| f.field_path.as_str()),
            Some("spec.nodeName")
        );
        let cm = from(2)
            .config_map_key_ref
            .as_ref()
            .expect("configMapKeyRef");
        assert_eq!((cm.name.as_str(), cm.key.as_str()), ("app", "api"));
        assert!(from(3).secret_key_ref.is_some());
        // A source no check reads still marks the variable as not a literal.
        assert_eq!(from(4), &EnvVarSource::default());
        assert_eq!(app.env_from.as_ref().map(Vec::len), Some(1));
        assert!(
            app.readiness_probe
                .as_ref()
                .is_some_and(|p| p.http_get.is_some())
        );
        let limits = app.resources.as_ref().and_then(|r| r.limits.as_ref());
        assert_eq!(
            limits.and_then(|l| l.memory.as_ref()),
            Some(&Quantity("128Mi".into()))
        );
        let volumes = spec.volumes.as_ref().expect("volumes");
        assert!(volumes[0].config_map.is_some());

        let status = pod.status.expect("status");
        let ready = &status.conditions.as_ref().expect("conditions")[0];
        assert_eq!((&*ready.type_, &*ready.status), ("Ready", "True"));
        assert_eq!((ready.reason(), ready.message()), (Some("r"), Some("m")));
        assert!(ready.last_transition_time.is_some());
        assert_eq!(status.pod_ip.as_deref(), Some("10.0.0.7"));
        assert_eq!(status.pod_ips.map(|ips| ips.len()), Some(2));
        assert!(status.start_time.is_some());
        let cs = &status.container_statuses.expect("container statuses")[0];
        assert_eq!((cs.ready, cs.restart_count), (true, 3));
        let last = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref());
        assert_eq!(last.map(|t| t.exit_code), Some(137));
        let init = &status.init_container_statuses.expect("init statuses")[0];
        assert!(init.state.as_ref().is_some_and(|s| s.running.is_some()));
    }

    /// A pod keeps the conditions a check reads, whatever order the JSON
    /// sends spec and status in: `Ready`, `PodScheduled`, and its readiness
    /// gates' — even a gate that names one of the kubelet's own conditions,
    /// which a filter by name alone would drop.
    #[test]
    fn keeps_the_conditions_a_check_reads() {
        let condition = |t: &str| serde_json::json!({"type": t, "status": "True"});
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-1"},
            "status": {"conditions": [
                condition("PodReadyToStartContainers"), condition("Initialized"),
                condition("ContainersReady"), condition("Ready"), condition("PodScheduled"),
                condition("example.com/lb"), condition("example.com/other")
            ]},
            "spec": {"readinessGates": [{"conditionType": "example.com/lb"},
                                        {"conditionType": "ContainersReady"}]}
        }))
        .expect("a pod decodes");
        let conditions = pod.status.and_then(|s| s.conditions).expect("conditions");
        let types: Vec<&str> = conditions.iter().map(|c| &*c.type_).collect();
        assert_eq!(
            types,
            ["ContainersReady", "Ready", "PodScheduled", "example.com/lb"]
        );
        assert_eq!(conditions.capacity(), conditions.len());

        // Without gates, only the two; a pod with no status stays without.
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "status": {"conditions": [condition("Initialized"), condition("Ready")]}
        }))
        .expect("a pod decodes");
        let conditions = pod.status.and_then(|s| s.conditions).expect("conditions");
        assert_eq!(
            conditions.iter().map(|c| &*c.type_).collect::<Vec<_>>(),
            ["Ready"]
        );
        let pod: Pod =
            serde_json::from_value(serde_json::json!({"metadata": null})).expect("a pod decodes");
        assert_eq!(pod.status, None);
    }

    /// A probe keeps its handler as the checks read it, for each of the
    /// four kinds; timings, host, scheme and headers are skipped.
    #[test]
    fn probes_keep_their_handler() {
        let probe = |json: serde_json::Value| -> Probe {
            serde_json::from_value(json).expect("a probe decodes")
        };
        let http = probe(serde_json::json!({
            "httpGet": {"path": "/ready", "port": "http", "scheme": "HTTP", "host": "x",
                        "httpHeaders": [{"name": "a", "value": "b"}]},
            "periodSeconds": 5, "failureThreshold": 3, "timeoutSeconds": 1
        }));
        let get = http.http_get.as_ref().expect("httpGet");
        assert_eq!(get.path.as_deref(), Some("/ready"));
        assert_eq!(get.port, IntOrString::String("http".into()));
        assert!(http.exec.is_none() && http.tcp_socket.is_none() && http.grpc.is_none());
        let tcp = probe(serde_json::json!({"tcpSocket": {"port": 8080}}));
        assert_eq!(tcp.tcp_socket.map(|t| t.port), Some(IntOrString::Int(8080)));
        let grpc = probe(serde_json::json!({"grpc": {"port": 9000, "service": "health"}}));
        assert_eq!(grpc.grpc.map(|g| g.port), Some(9000));
        let exec = probe(serde_json::json!({"exec": {"command": ["cat", "/tmp/ready"]}}));
        assert!(exec.exec.is_some() && exec.http_get.is_none());
        assert_eq!(probe(serde_json::json!({"exec": null})), Probe::default());
    }

    /// `podIPs` that only repeats `podIP` is dropped (readers fall back to
    /// `podIP`); a second address, or one that differs, keeps it.
    #[test]
    fn pod_ips_are_kept_when_they_say_more_than_pod_ip() {
        let ips = |ip: &str, ips: serde_json::Value| -> Option<Vec<String>> {
            let pod: Pod = serde_json::from_value(serde_json::json!({
                "status": {"podIP": ip, "podIPs": ips}
            }))
            .expect("a pod decodes");
            let status = pod.status.expect("status");
            assert_eq!(status.pod_ip.as_deref(), Some(ip));
            status
                .pod_ips
                .map(|ips| ips.into_iter().map(|p| p.ip).collect())
        };
        assert_eq!(
            ips("10.0.0.7", serde_json::json!([{"ip": "10.0.0.7"}])),
            None
        );
        let dual = serde_json::json!([{"ip": "10.0.0.7"}, {"ip": "fd00::7"}]);
        assert_eq!(
            ips("10.0.0.7", dual),
            Some(vec!["10.0.0.7".to_string(), "fd00::7".to_string()])
        );
        let other = serde_json::json!([{"ip": "10.0.0.8"}]);
        assert_eq!(ips("10.0.0.7", other), Some(vec!["10.0.0.8".to_string()]));
    }

    /// The replicas of one workload, and its template, decode to one copy of
    /// their containers; a pod whose containers differ in any field the model
    /// keeps gets its own.
    #[test]
    fn equal_containers_are_decoded_once() {
        let containers = |image: &str| {
            serde_json::json!([{
                "name": "app", "image": image,
                "env": [{"name": "DB_HOST", "value": "postgres"}],
                "readinessProbe": {"tcpSocket": {"port": 8080}},
                "volumeMounts": [{"name": format!("kube-api-access-{image}"), "mountPath": "/var/run"}]
            }])
        };
        let pod = |name: &str, node: &str, image: &str| -> Pod {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": name, "namespace": "shop"},
                "spec": {"nodeName": node, "containers": containers(image),
                         "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                                          "effect": "NoExecute", "tolerationSeconds": 300}]}
            }))
            .expect("a pod decodes")
        };
        let template: PodTemplateSpec = serde_json::from_value(serde_json::json!({
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": containers("web:1")}
        }))
        .expect("a template decodes");
        let (a, b, c) = (
            pod("web-1", "node-1", "web:1"),
            pod("web-2", "node-2", "web:1"),
            pod("web-3", "node-1", "web:2"),
        );
        let spec = |p: &Pod| p.spec.clone().expect("spec");
        let (a, b, c) = (spec(&a), spec(&b), spec(&c));
        let t = template.spec.expect("template spec");
        assert!(Shared::ptr_eq(&a.containers, &b.containers));
        assert!(Shared::ptr_eq(&a.containers, &t.containers));
        assert!(!Shared::ptr_eq(&a.containers, &c.containers));
        assert_eq!(c.containers[0].image.as_deref(), Some("web:2"));
        assert_eq!(
            b.node_name.as_deref(),
            Some("node-2"),
            "per-pod fields stay per pod"
        );
        let tolerations = |s: &PodSpec| s.tolerations.clone().expect("tolerations");
        assert!(Shared::ptr_eq(&tolerations(&a), &tolerations(&c)));
    }
}
