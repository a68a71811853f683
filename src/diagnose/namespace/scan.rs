//! NS-001: walk the pod templates and pods in scope and collect every host
//! their containers name.
//!
//! One pass over the workloads and pods of each namespace in scope. Workloads
//! are scanned through their pod template (what `kubectl set env` changes);
//! pods are scanned only when no workload in the snapshot covers them (bare
//! pods, Jobs, or owners we may not read), one pod per owner.

use std::borrow::Cow;
use std::cell::LazyCell;
use std::collections::BTreeMap;

use foldhash::{HashMap, HashSet};
use std::sync::Arc;

use super::extract::{self, Candidate, Form};
use super::{Client, WorkloadRef};
use crate::diagnose::index::{Index, Workload};
use crate::diagnose::network::policy::{PodFacts, container_ports, pod_ips};
use crate::diagnose::pod_status::{is_ready, is_terminal, name as name_of};
use crate::model::StringMap;
use crate::model::{Container, Labels, Pod, PodSpec};
use crate::snapshot::Resource;

/// Where a string lives in the cluster, so a fix can change it there.
/// Borrowed from the snapshot, as everything a [`Found`] holds: most hosts
/// resolve, and their sites are never read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin<'e> {
    /// `env[].value` of the container.
    Env { var: Cow<'e, str> },
    /// A key of a ConfigMap (through `configMapKeyRef` or `envFrom`).
    ConfigMapKey { name: &'e str, key: &'e str },
    /// `args[index]` or `command[index]` of the container.
    Arg {
        field: &'static str,
        init: bool,
        container_index: usize,
        index: usize,
    },
}

/// A string and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site<'e> {
    pub origin: Origin<'e>,
    /// The value as written there (before expansion).
    pub raw: &'e str,
}

/// One host found in one client container (NS-001's output), borrowing
/// from the snapshot what it can.
#[derive(Debug, Clone)]
pub struct Found<'e> {
    pub client: Arc<Client>,
    pub container: &'e str,
    /// `env API_URL`, `args[2]`, `envFrom configmap app key DB_HOST`, …
    pub source: String,
    pub candidate: Candidate,
    /// The value the host was read from, as the container sees it.
    pub value: Cow<'e, str>,
    /// Where the host is written (`None` when it cannot be changed in place).
    pub host_site: Option<Site<'e>>,
    /// Where the port is written when not next to the host (`DB_PORT`).
    pub port_site: Option<Site<'e>>,
}

/// One variable of a container's environment, in definition order, borrowed
/// from the spec and its ConfigMaps: most variables name no host, so what a
/// finding needs (its source, its site) is built only for those that do.
struct EnvEntry<'e> {
    name: Cow<'e, str>,
    /// Expanded value; `None` when unknown (Secrets, most fieldRefs).
    value: Option<Cow<'e, str>>,
    def: Def<'e>,
    /// The last definition of its name: the one the container sees
    /// ([`mark_seen`]).
    seen: bool,
}

/// Where a variable is defined.
enum Def<'e> {
    /// `env[].value`, as written (before expansion).
    Value { raw: &'e str },
    /// A key of a ConfigMap pulled in with `envFrom`.
    FromConfigMap {
        config_map: &'e str,
        key: &'e str,
        raw: &'e str,
    },
    /// `env[].valueFrom.configMapKeyRef` (`raw`: `None` when the ConfigMap
    /// or its key is not there, or cannot be read).
    KeyRef {
        config_map: &'e str,
        key: &'e str,
        raw: Option<&'e str>,
    },
    /// A Secret or a field reference: nothing we can change in place.
    Elsewhere,
}

impl<'e> EnvEntry<'e> {
    /// The value as written where a fix can change it.
    fn raw(&self) -> Option<&'e str> {
        match self.def {
            Def::Value { raw } | Def::FromConfigMap { raw, .. } => Some(raw),
            Def::KeyRef { raw, .. } => raw,
            Def::Elsewhere => None,
        }
    }

    /// Where the value is written, when a fix can change it there.
    fn site(&self) -> Option<Site<'e>> {
        let origin = match self.def {
            Def::Value { .. } => Origin::Env {
                var: self.name.clone(),
            },
            Def::FromConfigMap {
                config_map, key, ..
            }
            | Def::KeyRef {
                config_map, key, ..
            } => Origin::ConfigMapKey {
                name: config_map,
                key,
            },
            Def::Elsewhere => return None,
        };
        Some(Site {
            origin,
            raw: self.raw()?,
        })
    }

    /// `env API_URL`, `envFrom configmap app key DB_HOST`, …
    fn source(&self) -> String {
        match self.def {
            Def::Value { .. } | Def::Elsewhere => format_exact!("env {}", self.name),
            Def::FromConfigMap {
                config_map, key, ..
            } => format_exact!("envFrom configmap {config_map} key {key}"),
            Def::KeyRef {
                config_map, key, ..
            } => format_exact!("env {} (configmap {config_map} key {key})", self.name),
        }
    }
}

/// Labels the controllers add per revision or per pod: never part of a
/// client's stable identity.
const HASH_LABELS: [&str; 5] = [
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
];

/// What the scan has judged so far, kept from one container (and
/// namespace) to the next by one rayon task: each variable name's
/// [`extract::is_host_var`], and the hosts [`extract::extract`] found in each
/// value. Both repeat across a cluster (`LOG_LEVEL`; one OTLP endpoint, one
/// database URL in many containers): each is judged once. Names and values
/// borrowed from the snapshot: building it copies no string.
#[derive(Default)]
pub struct Judged<'e> {
    host_vars: HashMap<&'e str, bool>,
    hosts: HashMap<(&'e str, bool), Vec<Candidate>>,
}

impl<'e> Judged<'e> {
    fn host_var(&mut self, name: &'e str) -> bool {
        *self
            .host_vars
            .entry(name)
            .or_insert_with(|| extract::is_host_var(name))
    }

    /// [`extract::extract`] of `text`, from what was found in the same text
    /// before when it comes from the snapshot as it is.
    // A `&Cow`, not a `&str`: whether the text is the snapshot's own (`'e`)
    // is what decides whether it can be kept.
    #[allow(clippy::ptr_arg)]
    fn extract(&mut self, text: &Cow<'e, str>, host_var: bool) -> Vec<Candidate> {
        // Most values hold no host, and that is cheaper to see than to look up.
        if !extract::may_hold_hosts(text, host_var) {
            return Vec::new();
        }
        match text {
            Cow::Borrowed(text) => self
                .hosts
                .entry((text, host_var))
                .or_insert_with(|| extract::extract(text, host_var))
                .clone(),
            // Written for this container (a `$(VAR)` expanded): met once.
            Cow::Owned(text) => extract::extract(text, host_var),
        }
    }
}

/// Scan `namespaces` (each in scope).
pub fn scan<'e>(
    idx: &Index<'e>,
    namespaces: &[&'e str],
    judged: &mut Judged<'e>,
) -> Vec<Found<'e>> {
    let mut out = Vec::new();
    for &ns in namespaces {
        // Pods by top-level workload, built once per namespace: O(pods).
        let mut by_owner: HashMap<(&str, &str), Vec<&Pod>> = HashMap::default();
        let mut uncovered: BTreeMap<String, Vec<&Pod>> = BTreeMap::new();
        let live: Vec<&Pod> = idx
            .pods_in(ns)
            .iter()
            .map(|p| &**p)
            .filter(|p| !is_terminal(p))
            .collect();
        // `top_owners` looks an owner up once per run of replicas.
        for (pod, owner) in live
            .iter()
            .copied()
            .zip(idx.top_owners(live.iter().copied()))
        {
            match owner {
                Some(w) => by_owner.entry((w.kind(), w.name())).or_default().push(pod),
                None => uncovered.entry(idx.owner_label(pod)).or_default().push(pod),
            }
        }
        for w in idx.workloads_in(ns) {
            let Some(spec) = w.template().and_then(|t| t.spec.as_ref()) else {
                continue;
            };
            // Built only when a container names a host.
            let client = LazyCell::new(|| {
                let pods = by_owner
                    .get(&(w.kind(), w.name()))
                    .map_or(&[][..], Vec::as_slice);
                let rep = representative(pods);
                let labels = w
                    .template()
                    .and_then(|t| t.metadata.as_ref())
                    .and_then(|m| m.labels.clone())
                    .unwrap_or_default();
                let selector = workload_selector(&w).unwrap_or_else(|| stable(&labels));
                Arc::new(client(
                    ns,
                    rep.map_or((w.kind(), w.name()), |p| ("Pod", name_of(p))),
                    Some(WorkloadRef {
                        resource: w.resource(),
                        name: w.name().to_string(),
                    }),
                    spec,
                    labels,
                    selector,
                    rep,
                ))
            });
            scan_spec(idx, ns, &client, spec, judged, &mut out);
        }
        for pods in uncovered.values() {
            let Some(pod) = representative(pods) else {
                continue;
            };
            let Some(spec) = &pod.spec else {
                continue;
            };
            let client = LazyCell::new(|| {
                let labels = pod.metadata.labels.clone().unwrap_or_default();
                let selector = stable(&labels);
                Arc::new(client(
                    ns,
                    ("Pod", name_of(pod)),
                    None,
                    spec,
                    labels,
                    selector,
                    Some(pod),
                ))
            });
            scan_spec(idx, ns, &client, spec, judged, &mut out);
        }
    }
    out
}

/// The pod shown as `from`: a ready one if any, then the first by name.
fn representative<'a>(pods: &[&'a Pod]) -> Option<&'a Pod> {
    pods.iter()
        .copied()
        .min_by_key(|p| (!is_ready(p), name_of(p)))
}

fn stable(labels: &StringMap) -> Labels {
    labels
        .iter()
        .filter(|(k, _)| !HASH_LABELS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect::<StringMap>()
        .into()
}

/// The workload's `matchLabels`, when its selector has no expressions.
fn workload_selector(w: &Workload<'_>) -> Option<Labels> {
    let sel = w.selector()?;
    if sel
        .match_expressions
        .as_ref()
        .is_some_and(|e| !e.is_empty())
    {
        return None;
    }
    sel.match_labels.clone().filter(|m| !m.is_empty())
}

fn client(
    ns: &str,
    (kind, name): (&'static str, &str),
    workload: Option<WorkloadRef>,
    spec: &PodSpec,
    labels: Labels,
    selector: Labels,
    rep: Option<&Pod>,
) -> Client {
    let host_network = spec.host_network.unwrap_or(false);
    let dns = spec.dns_config.as_ref();
    Client {
        namespace: ns.to_string(),
        kind,
        name: name.to_string(),
        workload,
        facts: PodFacts {
            namespace: ns.to_string(),
            labels,
            ips: rep.map(pod_ips).unwrap_or_default(),
            host_network,
            ports: container_ports(spec),
        },
        selector,
        dns_policy: spec
            .dns_policy
            .clone()
            .unwrap_or_else(|| "ClusterFirst".into()),
        host_network,
        nameservers: dns.and_then(|d| d.nameservers.clone()).unwrap_or_default(),
        searches: dns.and_then(|d| d.searches.clone()).unwrap_or_default(),
    }
}

/// The client is built when the first host is found (most containers name
/// none). A host found twice in the same place (`a:80,a:80`) is kept once.
/// Each client's spec is scanned once (one per workload, one per group of
/// uncovered pods), so duplicates can only be among this spec's finds.
fn scan_spec<'e>(
    idx: &Index<'e>,
    ns: &'e str,
    client: &LazyCell<Arc<Client>, impl FnOnce() -> Arc<Client>>,
    spec: &'e PodSpec,
    judged: &mut Judged<'e>,
    out: &mut Vec<Found<'e>>,
) {
    let init = spec
        .init_containers
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| (true, i, c));
    let main = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (false, i, c));
    let start = out.len();
    for (is_init, i, container) in init.chain(main) {
        for found in scan_container(idx, ns, client, container, (is_init, i), judged) {
            let same = |o: &Found| {
                o.container == found.container
                    && o.source == found.source
                    && o.candidate.host.eq_ignore_ascii_case(&found.candidate.host)
            };
            if !out[start..].iter().any(same) {
                out.push(found);
            }
        }
    }
}

/// The environment of one container, in the order the kubelet builds it:
/// `envFrom` sources first, then `env`, each `env` value expanded with the
/// variables defined before it.
fn environment<'e>(idx: &Index<'e>, ns: &'e str, container: &'e Container) -> Vec<EnvEntry<'e>> {
    // Sized for `env`; a ConfigMap pulled in with `envFrom` grows it.
    let mut env: Vec<EnvEntry> = Vec::with_capacity(container.env.as_ref().map_or(0, Vec::len));
    let cm_readable = idx.snap.access.readable(Resource::Configmaps, Some(ns));
    for from in container.env_from.iter().flatten() {
        // secretRef: never read.
        let Some(cm_ref) = &from.config_map_ref else {
            continue;
        };
        let Some(cm) = cm_readable
            .then(|| idx.config_map(ns, &cm_ref.name))
            .flatten()
        else {
            continue;
        };
        let prefix = from.prefix.as_deref().unwrap_or("");
        for (key, value) in cm.data.iter().flatten() {
            env.push(EnvEntry {
                name: if prefix.is_empty() {
                    Cow::Borrowed(key)
                } else {
                    Cow::Owned(format_exact!("{prefix}{key}"))
                },
                // envFrom values are used as they are, never expanded.
                value: Some(Cow::Borrowed(value)),
                def: Def::FromConfigMap {
                    config_map: &cm_ref.name,
                    key,
                    raw: value,
                },
                seen: true,
            });
        }
    }
    for var in container.env.iter().flatten() {
        let (value, def) = if let Some(raw) = &var.value {
            let value = extract::expand(raw, &|name| lookup(&env, name));
            (Some(value), Def::Value { raw })
        } else if let Some(key_ref) = var
            .value_from
            .as_ref()
            .and_then(|v| v.config_map_key_ref.as_ref())
        {
            let raw = cm_readable
                .then(|| idx.config_map(ns, &key_ref.name))
                .flatten()
                .and_then(|cm| cm.data.as_ref()?.get(&key_ref.key))
                .map(|v| v.as_str());
            let def = Def::KeyRef {
                config_map: &key_ref.name,
                key: &key_ref.key,
                raw,
            };
            (raw.map(Cow::Borrowed), def)
        } else {
            // secretKeyRef is never read; of the fieldRefs only the namespace
            // is the same for every pod. The variable still shadows earlier ones.
            let namespace_ref = var
                .value_from
                .as_ref()
                .and_then(|v| v.field_ref.as_ref())
                .is_some_and(|f| f.field_path == "metadata.namespace");
            (namespace_ref.then_some(Cow::Borrowed(ns)), Def::Elsewhere)
        };
        env.push(EnvEntry {
            name: Cow::Borrowed(&var.name),
            value,
            def,
            seen: true,
        });
    }
    mark_seen(&mut env);
    env
}

/// Mark each entry the container does not see: a later one of the same
/// name replaces it. A container defines a dozen variables or so, where
/// comparing each name with the later ones costs less than building a map
/// (one per container, some 20,000 at L); a set of names beyond that (the `envFrom`
/// of a large ConfigMap), so a long environment never costs its square.
fn mark_seen(env: &mut [EnvEntry<'_>]) {
    const BY_COMPARISON: usize = 32;
    if env.len() <= BY_COMPARISON {
        for i in 0..env.len() {
            let (this, later) = env[i..].split_at_mut(1);
            this[0].seen = !later.iter().any(|l| l.name == this[0].name);
        }
        return;
    }
    // From the end: an entry is seen when its name is new to the pass.
    let mut later: HashSet<Cow<'_, str>> = HashSet::default();
    for e in env.iter_mut().rev() {
        e.seen = later.insert(e.name.clone());
    }
}

/// The value of the last definition of `name`.
fn lookup<'v>(env: &'v [EnvEntry<'_>], name: &str) -> Option<&'v str> {
    env.iter()
        .rev()
        .find(|e| e.name == name)
        .and_then(|e| e.value.as_deref())
}

fn scan_container<'e>(
    idx: &Index<'e>,
    ns: &'e str,
    client: &LazyCell<Arc<Client>, impl FnOnce() -> Arc<Client>>,
    container: &'e Container,
    (init, container_index): (bool, usize),
    judged: &mut Judged<'e>,
) -> Vec<Found<'e>> {
    let env = environment(idx, ns, container);
    let mut out = Vec::new();
    let mut push = |candidate: Candidate,
                    source: String,
                    value: &Cow<'e, str>,
                    site: Option<Site<'e>>,
                    port_site: Option<Site<'e>>| {
        // A host that is not written where it was found came from a `$(VAR)`:
        // the fix must change the variable that holds it.
        let host_site = match site {
            Some(s) if extract::holds(s.raw, &candidate.host) => Some(s),
            _ => env
                .iter()
                .filter(|e| e.seen)
                .find(|e| {
                    e.raw()
                        .is_some_and(|raw| extract::holds(raw, &candidate.host))
                })
                .and_then(EnvEntry::site),
        };
        out.push(Found {
            client: Arc::clone(LazyCell::force(client)),
            container: &container.name,
            source,
            candidate,
            value: value.clone(),
            host_site,
            port_site,
        });
    };
    for entry in env.iter().filter(|e| e.seen) {
        let (Some(value), Some(_)) = (&entry.value, entry.raw()) else {
            continue;
        };
        let host_var = match &entry.name {
            Cow::Borrowed(name) => judged.host_var(name),
            // A name with an `envFrom` prefix, written for this container.
            Cow::Owned(name) => extract::is_host_var(name),
        };
        for mut candidate in judged.extract(value, host_var) {
            let mut port_site = None;
            if candidate.port.is_none() && candidate.form == Form::Named {
                // `DB_HOST=postgres` + `DB_PORT=5432`.
                if let Some((port, site)) = paired_port(&env, &entry.name) {
                    candidate.port = Some(port);
                    candidate.port_explicit = true;
                    port_site = site;
                } else if extract::is_weak_host_var(&entry.name) {
                    candidate.form = Form::Loose;
                }
            }
            push(candidate, entry.source(), value, entry.site(), port_site);
        }
    }
    let lookup = |name: &str| lookup(&env, name);
    for (field, list) in [("command", &container.command), ("args", &container.args)] {
        let list = list.as_deref().unwrap_or_default();
        for (index, raw) in list.iter().enumerate() {
            let value = extract::expand(raw, &lookup);
            // `--db-host=postgres`, or `--db-host postgres`.
            let host_var = match flag_value(&value) {
                Some((flag, _)) => extract::is_host_var(flag),
                None => index.checked_sub(1).is_some_and(|prev| {
                    let prev = &list[prev];
                    prev.starts_with('-') && !prev.contains('=') && extract::is_host_var(prev)
                }),
            };
            // The text after `--flag=`, borrowed from the snapshot when the
            // argument is.
            let text = match &value {
                Cow::Borrowed(v) => Cow::Borrowed(after_flag(v)),
                Cow::Owned(v) => Cow::Owned(after_flag(v).to_owned()),
            };
            let candidates = judged.extract(&text, host_var);
            if candidates.is_empty() {
                continue;
            }
            let site = Site {
                origin: Origin::Arg {
                    field,
                    init,
                    container_index,
                    index,
                },
                raw,
            };
            for candidate in candidates {
                push(
                    candidate,
                    format_exact!("{field}[{index}]"),
                    &value,
                    Some(site.clone()),
                    None,
                );
            }
        }
    }
    out
}

/// `(flag, value)` of an argument written `--flag=value` (or `-f=value`);
/// `None` for any other argument.
fn flag_value(arg: &str) -> Option<(&str, &str)> {
    arg.split_once('=')
        .filter(|(flag, _)| flag.starts_with('-'))
}

/// The value of a `--flag=value` argument; any other argument as it is.
fn after_flag(arg: &str) -> &str {
    flag_value(arg).map_or(arg, |(_, value)| value)
}

/// The port variable that goes with a host variable: `DB_HOST` → `DB_PORT`,
/// `redisHost` → `redisPort`.
fn paired_port<'e>(env: &[EnvEntry<'e>], host_var: &str) -> Option<(u16, Option<Site<'e>>)> {
    // Compared in place, no copy: this runs for every named host without a port.
    let stem_len = ["HOSTNAME", "HOST", "ADDR", "SERVER"]
        .iter()
        .find(|s| extract::ends_with(host_var, s))
        .map(|s| host_var.len() - s.len())?;
    let stem = &host_var[..stem_len];
    ["PORT", "Port", "port"].iter().find_map(|suffix| {
        let entry = env
            .iter()
            .rev()
            .find(|e| e.name.strip_prefix(stem) == Some(*suffix))?;
        let port = entry
            .value
            .as_deref()?
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)?;
        Some((port, entry.site()))
    })
}

#[cfg(test)]
mod tests {
    use super::{Cow, Def, EnvEntry, Judged, mark_seen, paired_port};

    fn env<'a>(vars: &[(&'a str, &'a str)]) -> Vec<EnvEntry<'a>> {
        vars.iter()
            .map(|&(name, value)| EnvEntry {
                name: Cow::Borrowed(name),
                value: Some(Cow::Borrowed(value)),
                def: Def::Value { raw: value },
                seen: true,
            })
            .collect()
    }

    /// `DB_HOST` goes with `DB_PORT`, `redisHost` with `redisPort`, in any
    /// case of the host word; the last definition of the port counts, and
    /// a port that is no number, or a port of another stem, is none.
    #[test]
    fn paired_port_finds_the_port_variable_of_a_host_variable() {
        let e = env(&[
            ("DB_PORT", "1"),
            ("DB_PORT", "5432"),
            ("redisPort", "6379"),
            ("cache_port", "11211"),
            ("API_PORT", "http"),
            ("DB_PORTS", "9"),
            ("OTHER_PORT", "7"),
        ]);
        let port = |host_var: &str| paired_port(&e, host_var).map(|(p, _)| p);
        assert_eq!(port("DB_HOST"), Some(5432));
        assert_eq!(port("DB_HOSTNAME"), Some(5432));
        assert_eq!(port("redisHost"), Some(6379));
        assert_eq!(port("cache_Addr"), Some(11211));
        assert_eq!(port("API_SERVER"), None);
        assert_eq!(port("MAIL_HOST"), None);
        assert_eq!(port("HOST"), None);
        assert_eq!(port("DB_URL"), None);
    }

    /// A name is judged once and answered the same every time after, among
    /// other names.
    #[test]
    fn judged_names_answer_as_is_host_var() {
        let mut memo = Judged::default();
        for name in [
            "DB_HOST",
            "LOG_LEVEL",
            "DB_HOST",
            "SERVICE_NAME",
            "API_URL",
            "LOG_LEVEL",
        ] {
            let want = super::extract::is_host_var(name);
            assert_eq!(memo.host_var(name), want, "{name}");
        }
        assert_eq!(memo.host_vars.len(), 4);
    }

    /// A value's hosts are found once and given the same every time after,
    /// borrowed or written for the container; the same text in a host
    /// variable and outside one (near miss: `postgres` is a host only in
    /// one) are two answers, not one.
    #[test]
    fn judged_values_answer_as_extract() {
        let mut memo = Judged::default();
        let values = [
            ("http://otel-collector.observability.svc:4317", false),
            ("postgres", true),
            ("postgres", false),
            ("info", false),
            ("http://otel-collector.observability.svc:4317", false),
            ("redis:6379, cache.shop.svc", false),
            ("postgres", true),
            ("--listen=:8080", false),
            ("db:5432, cache", true),
            ("db:5432, cache", false),
        ];
        for (text, host_var) in values {
            let want = super::extract::extract(text, host_var);
            assert_eq!(memo.extract(&Cow::Borrowed(text), host_var), want, "{text}");
            let owned = Cow::Owned(text.to_string());
            assert_eq!(memo.extract(&owned, host_var), want, "{text}, owned");
        }
        assert!(!memo.extract(&Cow::Borrowed("postgres"), true).is_empty());
        assert!(memo.extract(&Cow::Borrowed("postgres"), false).is_empty());
        // Both looked at in full, but only a host variable's names count.
        assert_ne!(
            memo.extract(&Cow::Borrowed("db:5432, cache"), true),
            memo.extract(&Cow::Borrowed("db:5432, cache"), false)
        );
        // Kept: each distinct text that may hold hosts; never `info`, nor
        // `postgres` outside a host variable, which cannot.
        assert_eq!(memo.hosts.len(), 6);
    }

    /// Both ways of marking (by comparison, and by a set past 32 entries)
    /// keep exactly the last definition of each name.
    #[test]
    fn mark_seen_keeps_the_last_definition_of_each_name() {
        for len in [6, 33, 80] {
            let names: Vec<String> = (0..len).map(|i| format_exact!("VAR_{}", i % 4)).collect();
            let mut env: Vec<EnvEntry> = names
                .iter()
                .map(|n| EnvEntry {
                    name: Cow::Borrowed(n),
                    value: None,
                    def: Def::Elsewhere,
                    seen: true,
                })
                .collect();
            mark_seen(&mut env);
            let seen: Vec<usize> = (0..len).filter(|&i| env[i].seen).collect();
            assert_eq!(seen, (len - 4..len).collect::<Vec<_>>(), "{len} entries");
        }
    }
}
