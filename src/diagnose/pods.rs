//! Step `pods` (DESIGN §2): are the selected pods running and ready?
//!
//! Checks: POD-001 (crashing or stuck containers), POD-002 (Pending),
//! POD-003 (not Ready, readiness gates), POD-004 (churn), EP-003
//! (terminating endpoints), EP-004 (ready endpoint on a NotReady node),
//! RDY-001 (no readinessProbe), RDY-002 (probe on another port), RDY-003
//! (flapping, from events). Readiness belongs here, not to `endpoints`: a
//! selector that picks crash-looping pods fails at this step. To add a
//! check: write `fn check_xxx(...) -> Vec<Finding>` here, call it from
//! [`check`], and document it in `docs/checks.md`.
//!
//! Pods of one owner that fail the same way are reported once (with the
//! other pods named in the evidence), so three crash-looping replicas give
//! one finding, not three. Cost: the selected pods, their events by uid, and
//! the nodes only for Pending pods.

use compact_str::CompactString;
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::ServicePort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};
use smallvec::{SmallVec, smallvec};

use super::context::ServiceCtx;
use super::endpoint_rules::{self, Backends};
use super::fix::{Kubectl, fix};
use super::index::{Index, Workload, node_ready};
use super::permissions;
use super::pod_status::{self, ContainerView, human_duration, seconds_since};
use super::report::{Finding, ServiceRef, StepId, StepReport};
use super::scheduling;
use super::service::{event_count, event_line, event_time, json_patch};
use crate::model::{Container, Event, Pod, Probe, shared};
use crate::snapshot::Resource;

/// Waiting reasons that are normal for a while (POD-001 WARN after 5 minutes).
const STARTING: [&str; 2] = ["ContainerCreating", "PodInitializing"];
const STARTING_GRACE_SECONDS: i64 = 5 * 60;
/// POD-004: a termination this recent is churn.
const CHURN_SECONDS: i64 = 10 * 60;
/// EP-003: a deletion grace period expired this long ago means stuck.
const STUCK_SECONDS: i64 = 5 * 60;
/// RDY-003: Unhealthy events this many times plus a Ready transition this recent.
const FLAP_EVENTS: i32 = 3;
const FLAP_WINDOW_SECONDS: i64 = 10 * 60;
/// RDY-003, live: this many flips of one endpoint within five minutes.
const FLAP_FLIPS: usize = 3;
/// RDY-003: a Ready transition this long after the pod started is not its first.
const FLAP_AFTER_START_SECONDS: i64 = 2 * 60;
/// Lines of a previous log quoted in POD-001.
const LOG_LINES: usize = 5;

/// Evaluate step `pods` for one Service.
pub fn check(ctx: &ServiceCtx<'_>) -> StepReport {
    if ctx.is_external_name() {
        return StepReport::skip(StepId::Pods, "ExternalName: no pods behind it");
    }
    if ctx.selector.is_none() {
        return StepReport::skip(
            StepId::Pods,
            "no selector: its endpoints are managed by hand, not selected pods (see SEL-005)",
        );
    }
    let idx = ctx.idx;
    if let Some(f) = permissions::not_evaluated(
        &idx.snap.access,
        "POD-001",
        Resource::Pods,
        Some(ctx.namespace),
    ) {
        return StepReport::from_findings(StepId::Pods, vec![f], "");
    }
    if ctx.pods.is_empty() {
        return StepReport::blocked(StepId::Pods, "blocked: no pods selected (see endpoints)");
    }
    let mut pods = ctx.pods.clone();
    pods.sort_by_key(|p| pod_status::name(p));

    let crashing = check_crashing(idx, &pods);
    let pending = check_pending(idx, &pods);
    let mut findings = crashing.findings;
    findings.extend(pending.findings);
    let mut explained = crashing.pods;
    explained.extend(pending.pods);
    findings.extend(check_not_ready(idx, &pods, &explained));
    findings.extend(check_churn(idx, &pods, &explained));
    // EP-003 and EP-004 read the slices: unknown, not pass, when they may not be.
    // EP-003's counts and EP-004 read the slices: unknown, not pass, when
    // they may not be read. Stuck deletions are read from the pods alone.
    match super::endpoints::slices_not_evaluated(ctx, "EP-003") {
        Some(f) => findings.push(f),
        None => {
            let backends = ctx.backends();
            findings.extend(check_terminating_endpoints(ctx, backends));
            findings.extend(check_node_ready(ctx, backends));
        }
    }
    findings.extend(check_stuck_deletions(ctx, &pods));
    findings.extend(check_probes(ctx));
    match &idx.snap.readiness {
        // The dashboard has watched the endpoints: use what it saw.
        Some(history) => findings.extend(check_flapping_live(ctx, history)),
        None => findings.extend(check_flapping(idx, ctx.namespace, &pods)),
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));

    let (live, ready) = pods
        .iter()
        .filter(|p| !pod_status::is_terminal(p))
        .fold((0, 0), |(live, ready), p| {
            (live + 1, ready + usize::from(pod_status::is_ready(p)))
        });
    StepReport::from_findings(
        StepId::Pods,
        findings,
        format_exact!("{ready} of {live} selected pods Running and Ready"),
    )
}

/// Findings plus the pods they explain (later checks skip those pods).
pub struct Explained<'a> {
    pub findings: Vec<Finding>,
    pub pods: BTreeSet<&'a str>,
}

/// How messages name an owner group: `Deployment/web`, or for pods without
/// a controller `pod debug-1` / `bare pods (a, b)`.
fn owner_text(owner: &str, pods: &[&Pod]) -> String {
    match pods {
        [one] if owner == pod_status::BARE => format_exact!("pod {}", pod_status::name(one)),
        _ if owner == pod_status::BARE => format_exact!("bare pods ({})", names(pods, 3)),
        _ => owner.to_string(),
    }
}

/// `pod web-1` or `3 pods of Deployment/web (web-1, web-2, web-3)`.
fn pods_phrase(owner: &str, pods: &[&Pod]) -> String {
    match pods {
        [one] => format_exact!("pod {}", pod_status::name(one)),
        _ if owner == pod_status::BARE => {
            format_exact!("{} bare pods ({})", pods.len(), names(pods, 3))
        }
        _ => format_exact!("{} pods of {owner} ({})", pods.len(), names(pods, 3)),
    }
}

fn names(pods: &[&Pod], n: usize) -> String {
    let mut s = pods
        .iter()
        .take(n)
        .map(|p| pod_status::name(p))
        .collect::<Vec<_>>()
        .join(", ");
    if pods.len() > n {
        s.push_str(&format_exact!(", … {} more", pods.len() - n));
    }
    s
}

fn describe_pod(ns: &str, pod: &Pod) -> Kubectl {
    Kubectl::in_namespace(ns)
        .lit("describe")
        .lit("pod")
        .arg(pod_status::name(pod))
}

fn ns_of(pod: &Pod) -> &str {
    pod.metadata.namespace.as_deref().unwrap_or("default")
}

/// Events about a pod with `reason`, newest first; `Err` carries the line to
/// show when events may not be read (they are evidence here, not the input).
fn pod_events<'a>(idx: &Index<'a>, pod: &Pod, reason: &str) -> Result<Vec<&'a Event>, String> {
    if let Some(f) = permissions::not_evaluated(
        &idx.snap.access,
        "events",
        Resource::Events,
        Some(ns_of(pod)),
    ) {
        return Err(f.message.replacen(
            "events not evaluated",
            &format_exact!("{reason} events not shown"),
            1,
        ));
    }
    let mut events: Vec<_> = idx
        .events_for("Pod", &pod.metadata)
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some(reason))
        .collect();
    events.sort_by_key(|e| std::cmp::Reverse(event_time(e)));
    Ok(events)
}

// ---------------------------------------------------------------- POD-001

/// One broken or stuck container.
struct Broken<'a> {
    pod: &'a Pod,
    c: ContainerView<'a>,
    reason: &'a str,
    message: &'a str,
    error: bool,
}

/// POD-001: containers (and init containers) that cannot run, or are stuck
/// starting; and selected pods that have all terminated. Usable for any pods
/// (DNS-004 applies the same rules to the DNS pods).
pub fn check_crashing<'a>(idx: &Index<'_>, pods: &[&'a Pod]) -> Explained<'a> {
    let mut broken: Vec<Broken<'a>> = Vec::new();
    for p in pods.iter().copied().filter(|p| !pod_status::is_terminal(p)) {
        for c in pod_status::containers(p) {
            let Some((reason, message)) = c.waiting() else {
                continue;
            };
            if pod_status::BROKEN_WAITING_REASONS.contains(&reason) {
                broken.push(Broken {
                    pod: p,
                    c,
                    reason,
                    message,
                    error: true,
                });
            } else if STARTING.contains(&reason)
                && starting_for(idx, p).is_some_and(|s| s > STARTING_GRACE_SECONDS)
            {
                broken.push(Broken {
                    pod: p,
                    c,
                    reason,
                    message,
                    error: false,
                });
            }
        }
    }
    let mut out = Explained {
        findings: Vec::new(),
        pods: broken.iter().map(|b| pod_status::name(b.pod)).collect(),
    };
    // Group: same owner, container and reason.
    let mut groups: BTreeMap<(String, String, &str), Vec<&Broken<'a>>> = BTreeMap::new();
    for b in &broken {
        groups
            .entry((pod_status::owner_group(idx, b.pod), b.c.label(), b.reason))
            .or_default()
            .push(b);
    }
    for ((owner, _, _), group) in groups {
        out.findings.push(broken_finding(idx, &owner, &group));
    }
    let live = pods.iter().filter(|p| !pod_status::is_terminal(p)).count();
    if live == 0 && !pods.is_empty() {
        let mut phases: BTreeMap<String, usize> = BTreeMap::new();
        for p in pods {
            let reason = p
                .status
                .as_ref()
                .and_then(|s| s.reason.as_deref())
                .map_or_else(String::new, |r| format_exact!(" ({r})"));
            *phases
                .entry(format_exact!("{}{reason}", pod_status::phase(p)))
                .or_default() += 1;
        }
        let summary: Vec<String> = phases
            .iter()
            .map(|(k, n)| format_exact!("{n} {k}"))
            .collect();
        out.findings.push(
            Finding::error(
                "POD-001",
                format_exact!(
                    "all {} selected pods have terminated ({}): none can serve",
                    pods.len(),
                    summary.join(", ")
                ),
            )
            .evidence(format_exact!("pods: {}", names(pods, 5))),
        );
    }
    out
}

/// How long a pod has been starting: since it was scheduled, else created.
fn starting_for(idx: &Index<'_>, pod: &Pod) -> Option<i64> {
    pod_status::condition(pod, "PodScheduled")
        .and_then(|c| c.last_transition_time.as_ref())
        .or(pod.metadata.creation_timestamp.as_ref())
        .map(|t| seconds_since(idx.now, t))
}

fn broken_finding(idx: &Index<'_>, owner: &str, group: &[&Broken<'_>]) -> Finding {
    // The replica that restarted most says the most.
    let Some(rep) = group
        .iter()
        .max_by_key(|b| b.c.status.restart_count)
        .copied()
    else {
        return Finding::error("POD-001", "a container cannot run");
    };
    let pod = rep.pod;
    let ns = ns_of(pod);
    let pname = pod_status::name(pod);
    let restarts = rep.c.status.restart_count;
    let where_ = if group.len() == 1 {
        format_exact!("{} of pod {pname}", rep.c.label())
    } else {
        let pods: Vec<&Pod> = group.iter().map(|b| b.pod).collect();
        format_exact!("{} in {}", rep.c.label(), pods_phrase(owner, &pods))
    };
    let state = if rep.error {
        rep.reason.to_string()
    } else {
        let age = starting_for(idx, pod).unwrap_or(0);
        format_exact!("{} for {}", rep.reason, human_duration(age))
    };
    let restarts_text = if restarts > 0 {
        format_exact!(
            " ({restarts} restart{})",
            if restarts == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };

    let mut evidence = Vec::new();
    if !rep.message.trim().is_empty() {
        evidence.push(format_exact!("waiting: {}", rep.message.trim()));
    }
    if let Some(image) = rep.c.spec.and_then(|s| s.image.as_deref())
        && matches!(
            rep.reason,
            "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName"
        )
    {
        evidence.push(format_exact!("image: {image}"));
    }
    let oom = rep
        .c
        .last_termination()
        .is_some_and(|t| t.reason.as_deref() == Some("OOMKilled") || t.exit_code == 137);
    if let Some(t) = rep.c.last_termination() {
        let ago = t.finished_at.as_ref().map_or_else(String::new, |f| {
            format_exact!(", {} ago", human_duration(seconds_since(idx.now, f)))
        });
        let limit = if oom {
            rep.c.memory_limit().map_or_else(
                || {
                    " (no limits.memory: the node ran out of memory, or the runtime killed it)"
                        .to_string()
                },
                |m| format_exact!(" (limits.memory {m})"),
            )
        } else {
            String::new()
        };
        let sig = if t.exit_code == 137 && t.reason.as_deref() != Some("OOMKilled") {
            " = SIGKILL"
        } else {
            ""
        };
        evidence.push(format_exact!(
            "last terminated: {}, exit code {}{sig}{limit}{ago}",
            t.reason.as_deref().unwrap_or("?"),
            t.exit_code
        ));
        if let Some(msg) = t.message.as_deref().filter(|m| !m.trim().is_empty()) {
            evidence.push(format_exact!("termination message: {}", msg.trim()));
        }
    }
    let logs = idx.logs(ns, pname, rep.c.name);
    let previous = logs.and_then(|l| l.previous.as_deref());
    if let Some(text) = previous {
        let tail = pod_status::log_tail(text, LOG_LINES);
        if !tail.is_empty() {
            evidence.push(format_exact!(
                "previous log of {} (last {} lines):",
                rep.c.name,
                tail.len()
            ));
            evidence.extend(tail.into_iter().map(|l| format_exact!("  {l}")));
        }
    } else if restarts > 0
        && let Some(f) =
            permissions::not_evaluated(&idx.snap.access, "POD-001", Resource::PodLogs, Some(ns))
    {
        evidence.push(format_exact!("previous log not read: {}", f.message));
    }

    // Does the container's config or log point at a Service that does not exist?
    let missing = missing_services(idx, pod, rep.c.spec, previous);
    let mut message = format_exact!("{where_} is {state}{restarts_text}");
    if let Some(m) = missing.first() {
        message.push_str(&format_exact!(
            "; {} points at Service {}, which does not exist in {}",
            m.source,
            m.target.name,
            m.target.namespace
        ));
    }
    for m in &missing {
        evidence.push(m.evidence.clone());
    }

    let severity_error = rep.error;
    let mut f = if severity_error {
        Finding::error("POD-001", message)
    } else {
        Finding::warning("POD-001", message)
    };
    f = f.evidence_lines(evidence);
    for m in &missing {
        f = f.related(m.target.clone());
    }
    f.fix(broken_fix(idx, rep, oom, &missing))
}

/// The cause-specific fix of POD-001.
fn broken_fix(
    idx: &Index<'_>,
    rep: &Broken<'_>,
    oom: bool,
    missing: &[MissingService],
) -> super::report::Fix {
    let pod = rep.pod;
    let ns = ns_of(pod);
    let pname = pod_status::name(pod);
    let owner = idx.top_owner(pod);
    let logs = Kubectl::in_namespace(ns)
        .lit("logs")
        .arg(pname)
        .lit("-c")
        .arg(rep.c.name)
        .lit("--previous");
    if let Some(m) = missing.first() {
        let mut cmds = vec![logs];
        if let Some(w) = owner {
            cmds.push(
                Kubectl::in_namespace(ns)
                    .lit("rollout")
                    .lit("restart")
                    .arg(w.kubectl_ref()),
            );
        }
        return fix(
            format_exact!(
                "create Service {} in {} (see its own finding), or correct {}; then restart the pods",
                m.target.name,
                m.target.namespace,
                m.source
            ),
            cmds,
        );
    }
    if oom
        && let (Some(limit), Some(w)) = (rep.c.memory_limit(), owner)
        && let Some(doubled) = double_quantity(limit)
    {
        return fix(
            format_exact!(
                "the container was OOMKilled at limits.memory {limit}: raise the limit (here to {doubled}) or reduce its memory use"
            ),
            [Kubectl::in_namespace(ns)
                .lit("set")
                .lit("resources")
                .arg(w.kubectl_ref())
                .lit("-c")
                .arg(rep.c.name)
                .flag("--limits", format_exact!("memory={doubled}"))],
        );
    }
    match rep.reason {
        "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" => {
            let image = rep.c.spec.and_then(|s| s.image.as_deref()).unwrap_or("");
            let set = owner.map_or_else(String::new, |w| {
                format_exact!(
                    " with kubectl set image {} {}=<image:tag>",
                    w.kubectl_ref(),
                    rep.c.name
                )
            });
            fix(
                format_exact!(
                    "the image {image} cannot be pulled: correct its name or tag{set}, or add the imagePullSecret the registry needs"
                ),
                [describe_pod(ns, pod)],
            )
        }
        "CreateContainerConfigError" => config_fix(ns, rep).unwrap_or_else(|| {
            fix(
                "a ConfigMap, Secret or key the container reads is missing: see the pod's events",
                [describe_pod(ns, pod)],
            )
        }),
        "CrashLoopBackOff" | "RunContainerError" | "CreateContainerError" => fix(
            "read why the previous container exited, then fix the cause it names",
            [logs, describe_pod(ns, pod)],
        ),
        _ => fix(
            "see what the kubelet is waiting for (volumes, image pull, sandbox)",
            [describe_pod(ns, pod)],
        ),
    }
}

/// `256Mi` → `512Mi`; `1G` → `2G`; `None` for anything else.
fn double_quantity(q: &str) -> Option<String> {
    let split = q.find(|c: char| !c.is_ascii_digit()).unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let n: u64 = num.parse().ok()?;
    const SUFFIXES: [&str; 11] = ["", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if !SUFFIXES.contains(&suffix) {
        return None;
    }
    Some(format_exact!("{}{suffix}", n.checked_mul(2)?))
}

/// CreateContainerConfigError naming a missing ConfigMap or Secret: create it
/// with the keys the container reads (values left empty for the operator).
fn config_fix(ns: &str, rep: &Broken<'_>) -> Option<super::report::Fix> {
    let msg = rep.message;
    let (kind, name) = ["configmap", "secret"].iter().find_map(|kind| {
        let rest = msg.split(&format_exact!("{kind} \"")).nth(1)?;
        let name = rest.split('"').next()?;
        rest.contains("not found").then_some((*kind, name))
    })?;
    let keys: BTreeSet<&str> = rep
        .c
        .spec
        .and_then(|c| c.env.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|e| e.value_from.as_ref())
        .filter_map(|v| match kind {
            "configmap" => v
                .config_map_key_ref
                .as_ref()
                .filter(|r| r.name == name)
                .map(|r| r.key.as_str()),
            _ => v
                .secret_key_ref
                .as_ref()
                .filter(|r| r.name == name)
                .map(|r| r.key.as_str()),
        })
        .collect();
    let mut cmd = Kubectl::in_namespace(ns).lit("create").lit(kind);
    if kind == "secret" {
        cmd = cmd.lit("generic");
    }
    cmd = cmd.arg(name);
    for k in &keys {
        cmd = cmd.flag("--from-literal", format_exact!("{k}="));
    }
    let keys_text = if keys.is_empty() {
        String::new()
    } else {
        format_exact!(
            " with the keys it reads ({}); fill in their values",
            keys.iter().copied().collect::<Vec<_>>().join(", ")
        )
    };
    Some(fix(
        format_exact!("{kind} {name} does not exist in {ns}: create it{keys_text}"),
        [cmd],
    ))
}

/// A Service named by a container's env or log that does not exist.
struct MissingService {
    target: ServiceRef,
    /// `env DB_HOST` or `its log`.
    source: String,
    evidence: String,
}

/// Services the container's environment (literal values and ConfigMap keys,
/// in variables named like HOST/ADDR/URL/URI/DSN/ENDPOINT/SERVICE/SERVER or
/// holding a URL or host:port) or its previous log (`host:port` and URLs)
/// point at, resolved as a ClusterFirst pod would, that exist nowhere they
/// would resolve to.
fn missing_services(
    idx: &Index<'_>,
    pod: &Pod,
    container: Option<&Container>,
    log: Option<&str>,
) -> Vec<MissingService> {
    let ns = ns_of(pod);
    let mut out: Vec<MissingService> = Vec::new();
    let mut push = |host: &str, source: String, evidence: String| {
        let Some(target) = service_of_host(idx, ns, host) else {
            return;
        };
        if idx.service(&target.namespace, &target.name).is_some()
            || out.iter().any(|m| m.target == target)
        {
            return;
        }
        out.push(MissingService {
            evidence: format_exact!(
                "{evidence}; no Service {} exists in {}{}",
                target.name,
                target.namespace,
                elsewhere_text(idx, &target)
            ),
            target,
            source,
        });
    };
    for env in container.and_then(|c| c.env.as_ref()).into_iter().flatten() {
        let value = env.value.as_deref().or_else(|| {
            let r = env.value_from.as_ref()?.config_map_key_ref.as_ref()?;
            idx.config_map(ns, &r.name)?
                .data
                .as_ref()?
                .get(&r.key)
                .map(CompactString::as_str)
        });
        let Some(value) = value else { continue };
        let named_like_host = host_var(&env.name);
        for host in hosts_in(value, named_like_host) {
            push(
                host,
                format_exact!("env {}", env.name),
                format_exact!("env {}={value} names {host}", env.name),
            );
        }
    }
    if let Some(log) = log {
        for line in log.lines().rev().take(50) {
            for host in hosts_in(line, false).into_iter().chain(looked_up(line)) {
                push(
                    host,
                    "its log".to_string(),
                    format_exact!(
                        "previous log names {host}: {}",
                        crate::safe_text::sanitize(line.trim())
                    ),
                );
            }
        }
    }
    out
}

fn elsewhere_text(idx: &Index<'_>, target: &ServiceRef) -> String {
    let other: Vec<&str> = idx
        .services_named(&target.name)
        .iter()
        .filter_map(|s| s.metadata.namespace.as_deref())
        .collect();
    if other.is_empty() {
        String::new()
    } else {
        format_exact!(" (it exists in {})", other.join(", "))
    }
}

/// Names a resolver failed on, as runtimes print them: Go's
/// `lookup redis on 10.96.0.10:53: no such host`, Node's
/// `getaddrinfo ENOTFOUND redis` / `EAI_AGAIN redis`.
fn looked_up(line: &str) -> Vec<&str> {
    ["lookup ", "ENOTFOUND ", "EAI_AGAIN "]
        .iter()
        .filter_map(|marker| {
            let rest = &line[line.find(marker)? + marker.len()..];
            let host = rest
                .split(|c: char| c.is_whitespace() || c == ':' || c == ',' || c == '\'')
                .next()?;
            looks_like_dns_name(host).then_some(host)
        })
        .collect()
}

/// Variable names that hold a host even without a port or scheme (NS-001's rule).
fn host_var(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "HOST", "ADDR", "URL", "URI", "DSN", "ENDPOINT", "SERVICE", "SERVER",
    ]
    .iter()
    .any(|k| n.contains(k))
}

/// Host names in a value: URL hosts, `host:port`, and — when `bare` — the
/// whole value when it is a plain name.
fn hosts_in(text: &str, bare: bool) -> Vec<&str> {
    let mut out = Vec::new();
    let seps = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | ';' | '(' | ')' | '[' | ']' | '"' | '\'' | '<' | '>' | '='
            )
    };
    for token in text.split(seps).filter(|t| !t.is_empty()) {
        let (rest, has_scheme) = match token.split_once("://") {
            Some((_, r)) => (r, true),
            None => (token, false),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let authority = authority.rsplit('@').next().unwrap_or("");
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let port_ok = port.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let whole = bare && !has_scheme && port.is_none() && token == text.trim();
        if (has_scheme || port_ok || whole) && looks_like_dns_name(host) {
            out.push(host);
        }
    }
    out
}

fn looks_like_dns_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host != "localhost"
        && host.parse::<std::net::IpAddr>().is_err()
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && host.starts_with(|c: char| c.is_ascii_lowercase())
}

/// The Service a ClusterFirst pod in `ns` reaches with `host`, when `host`
/// is an in-cluster name: `N` → N in ns; `a.b` → a in namespace b (when b
/// is a namespace); `a.b.svc[.…]` → a in b. Anything else is outside.
fn service_of_host(idx: &Index<'_>, ns: &str, host: &str) -> Option<ServiceRef> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    let (name, namespace) = match labels.as_slice() {
        [n] => (*n, ns),
        // `hostname.headless-svc` in the pod's own namespace, else svc.namespace.
        [a, b] => {
            if idx.service(ns, b).is_some() {
                return None;
            }
            let known = idx.namespace(b).is_some() || !idx.services_in(b).is_empty();
            if !known {
                return None;
            }
            (*a, *b)
        }
        [a, b, "svc", ..] => (*a, *b),
        _ => return None,
    };
    Some(ServiceRef::new(namespace, name))
}

// ---------------------------------------------------------------- POD-002

/// POD-002: pods the scheduler could not place, with its events and, per
/// node, the taints the pods do not tolerate.
pub fn check_pending<'a>(idx: &Index<'_>, pods: &[&'a Pod]) -> Explained<'a> {
    let pending: Vec<&'a Pod> = pods
        .iter()
        .copied()
        .filter(|p| pod_status::phase(p) == "Pending" && pod_status::is_unschedulable(p))
        .collect();
    let mut out = Explained {
        findings: Vec::new(),
        pods: pending.iter().map(|p| pod_status::name(p)).collect(),
    };
    for (owner, group) in pod_status::by_owner(idx, pending.iter().copied()) {
        out.findings.push(pending_finding(idx, &owner, &group.pods));
    }
    out
}

/// Nodes described in POD-002's evidence (the rest are counted).
const SHOWN_NODES: usize = 10;

fn pending_finding(idx: &Index<'_>, owner: &str, group: &[&Pod]) -> Finding {
    let pod = group[0];
    let ns = ns_of(pod);
    let cond = pod_status::condition(pod, "PodScheduled");
    let why = cond
        .and_then(|c| c.message())
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .or(cond.and_then(|c| c.reason()))
        .unwrap_or("no reason given");
    let verb = if group.len() == 1 { "is" } else { "are" };
    let mut f = Finding::error(
        "POD-002",
        format_exact!(
            "{} {verb} Pending, not scheduled: {why}",
            pods_phrase(owner, group)
        ),
    );
    match pod_events(idx, pod, "FailedScheduling") {
        Ok(events) => {
            f = f.evidence_lines(events.iter().take(2).map(|e| event_line(idx, e)));
        }
        Err(line) => f = f.evidence(line),
    }

    let spec = pod.spec.as_ref();
    let tolerations = spec.map_or(&[][..], |s| shared::list(&s.tolerations));
    let node_selector = spec.and_then(|s| s.node_selector.as_deref());
    if let Some(nf) = permissions::not_evaluated(&idx.snap.access, "POD-002", Resource::Nodes, None)
    {
        return f.evidence(format_exact!("node taints not shown: {}", nf.message));
    }
    let mut taint_only: Option<(&str, Vec<&k8s_openapi::api::core::v1::Taint>)> = None;
    let mut cordoned_only: Option<&str> = None;
    let mut node_cause = false;
    let mut lines = Vec::new();
    let mut nodes: Vec<_> = idx.snap.nodes.iter().collect();
    nodes.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    for node in &nodes {
        let name = node.metadata.name.as_deref().unwrap_or("");
        let taints = scheduling::untolerated_taints(node, tolerations);
        let cordoned = node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false);
        let labels = node.metadata.labels.as_deref();
        let removable =
            !taints.is_empty() && taints.iter().all(|t| !scheduling::is_condition_taint(t));
        let described = lines.len() < SHOWN_NODES;
        // The nodeSelector pairs this node lacks, compared only when a line
        // or a fix can use them: a Service's pending pods are weighed
        // against every node, and most nodes are neither shown nor a fix.
        let may_fix = (removable && !cordoned && taint_only.is_none())
            || (cordoned && taints.is_empty() && cordoned_only.is_none());
        let unmatched: Vec<(&CompactString, &CompactString)> = match node_selector {
            Some(wanted) if described || may_fix => wanted
                .iter()
                .filter(|(k, v)| labels.and_then(|l| l.get(k)) != Some(*v))
                .collect(),
            _ => Vec::new(),
        };
        if taints.iter().any(|t| scheduling::is_condition_taint(t)) {
            node_cause = true;
        }
        // Every node counts for the fix; only the first few are described.
        if described {
            let mut reasons = Vec::new();
            if !taints.is_empty() {
                let t: Vec<String> = taints.iter().map(|t| scheduling::taint_text(t)).collect();
                reasons.push(format_exact!("untolerated taint {}", t.join(", ")));
            }
            if cordoned {
                reasons.push("cordoned (unschedulable)".to_string());
            }
            if !unmatched.is_empty() {
                let pairs: Vec<String> = unmatched
                    .iter()
                    .map(|(k, v)| format_exact!("{k}={v}"))
                    .collect();
                reasons.push(format_exact!(
                    "nodeSelector {} not matched",
                    pairs.join(",")
                ));
            }
            if reasons.is_empty() {
                lines.push(format_exact!("node {name}: no taint, cordon or nodeSelector keeps it off (resources or affinity may)"));
            } else {
                lines.push(format_exact!("node {name}: {}", reasons.join("; ")));
            }
        }
        if removable && !cordoned && unmatched.is_empty() && taint_only.is_none() {
            taint_only = Some((name, taints));
        } else if cordoned && taints.is_empty() && unmatched.is_empty() && cordoned_only.is_none() {
            cordoned_only = Some(name);
        }
    }
    if nodes.is_empty() {
        lines.push("no Node objects: nothing can be scheduled".to_string());
    }
    f = f.evidence_lines(lines);
    if nodes.len() > SHOWN_NODES {
        f = f.evidence(format_exact!("… {} more nodes", nodes.len() - SHOWN_NODES));
    }
    if node_cause {
        f = f.evidence(
            "node.kubernetes.io/* taints reflect the node's condition (not ready, unreachable, pressure): fix the node (NODE-001), not the taint",
        );
    }
    if let Some((node, taints)) = taint_only {
        let mut cmds = Vec::new();
        if let Some(w) = idx.top_owner(pod) {
            cmds.push(toleration_patch(ns, &w, &taints));
        }
        for t in &taints {
            cmds.push(
                Kubectl::new()
                    .lit("taint")
                    .lit("nodes")
                    .arg(node)
                    .arg(format_exact!("{}-", scheduling::taint_text(t))),
            );
        }
        let texts: Vec<String> = taints.iter().map(|t| scheduling::taint_text(t)).collect();
        return f.fix(fix(
            format_exact!(
                "let the pods tolerate {} (patch), or remove the taint from node {node} if nothing else relies on it",
                texts.join(", ")
            ),
            cmds,
        ));
    }
    if let Some(node) = cordoned_only {
        return f.fix(fix(
            format_exact!("node {node} is cordoned: uncordon it when its maintenance is over"),
            [Kubectl::new().lit("uncordon").arg(node)],
        ));
    }
    f.fix(fix(
        "read the scheduler's reasons in the pod's events",
        [describe_pod(ns, pod)],
    ))
}

/// A JSON patch adding tolerations for `taints` to the workload's template.
fn toleration_patch(
    ns: &str,
    w: &Workload<'_>,
    taints: &[&k8s_openapi::api::core::v1::Taint],
) -> Kubectl {
    let tol = |t: &k8s_openapi::api::core::v1::Taint| -> Value {
        match t.value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => json!({"key": t.key, "operator": "Equal", "value": v, "effect": t.effect}),
            None => json!({"key": t.key, "operator": "Exists", "effect": t.effect}),
        }
    };
    let has_list = w
        .template()
        .and_then(|t| t.spec.as_ref())
        .and_then(|s| s.tolerations.as_ref())
        .is_some();
    let ops: Vec<Value> = if has_list {
        taints
            .iter()
            .map(|t| json!({"op": "add", "path": "/spec/template/spec/tolerations/-", "value": tol(t)}))
            .collect()
    } else {
        vec![json!({
            "op": "add",
            "path": "/spec/template/spec/tolerations",
            "value": taints.iter().map(|t| tol(t)).collect::<Vec<_>>(),
        })]
    };
    json_patch(ns, w.resource(), w.name(), &Value::Array(ops))
}

// ---------------------------------------------------------------- POD-003

/// POD-003: scheduled, live pods that are not Ready (and not already
/// explained by POD-001/POD-002): a container not ready, or a readiness gate
/// missing or False. ERR when no selected pod is ready, else WARN.
pub fn check_not_ready(idx: &Index<'_>, pods: &[&Pod], explained: &BTreeSet<&str>) -> Vec<Finding> {
    let live: Vec<&Pod> = pods
        .iter()
        .copied()
        .filter(|p| !pod_status::is_terminal(p) && !pod_status::is_terminating(p))
        .collect();
    let any_ready = live.iter().any(|p| pod_status::is_ready(p));
    let not_ready: Vec<&Pod> = live
        .iter()
        .copied()
        .filter(|p| !pod_status::is_ready(p) && !explained.contains(pod_status::name(p)))
        .collect();
    let mut out = Vec::new();
    for (owner, group) in pod_status::by_owner(idx, not_ready) {
        let group = group.pods;
        let pod = group[0];
        let ns = ns_of(pod);
        let reasons = not_ready_reasons(idx, pod);
        let verb = if group.len() == 1 { "is" } else { "are" };
        let message = format_exact!(
            "{} {verb} not Ready: {}",
            pods_phrase(&owner, &group),
            reasons.first().map_or("Ready=False", String::as_str)
        );
        let mut f = if any_ready {
            Finding::warning("POD-003", message)
        } else {
            Finding::error(
                "POD-003",
                format_exact!("{message}; no selected pod is ready"),
            )
        };
        f = f.evidence_lines(reasons.iter().skip(1).cloned());
        for c in pod_status::containers(pod).filter(|c| !c.status.ready) {
            if let Some(probe) = c.spec.and_then(|s| s.readiness_probe.as_ref()) {
                f = f.evidence(format_exact!(
                    "{} readinessProbe: {}",
                    c.label(),
                    probe_text(probe)
                ));
            }
        }
        match pod_events(idx, pod, "Unhealthy") {
            Ok(events) => f = f.evidence_lines(events.iter().take(3).map(|e| event_line(idx, e))),
            Err(line) => f = f.evidence(line),
        }
        let gate = missing_gates(pod).into_iter().next();
        let summary = match gate {
            Some(g) => format_exact!(
                "readiness gate {g} is set by another controller (a load balancer, a mesh): see why it has not marked the pod"
            ),
            None => "see why the readiness probe fails (events, then the app's logs)".to_string(),
        };
        out.push(f.fix(fix(summary, [describe_pod(ns, pod)])));
    }
    out
}

fn missing_gates(pod: &Pod) -> Vec<&str> {
    pod.spec
        .as_ref()
        .and_then(|s| s.readiness_gates.as_ref())
        .into_iter()
        .flatten()
        .map(|g| g.condition_type.as_str())
        .filter(|t| pod_status::condition(pod, t).is_none_or(|c| c.status != "True"))
        .collect()
}

fn not_ready_reasons(idx: &Index<'_>, pod: &Pod) -> Vec<String> {
    let mut out = Vec::new();
    for c in pod_status::containers(pod) {
        if c.status.ready {
            continue;
        }
        // A completed init container (or a started sidecar) is not "not ready".
        if c.init {
            let done = c
                .status
                .state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .is_some_and(|t| t.exit_code == 0);
            if done {
                continue;
            }
        }
        if c.running() {
            let probe = c.spec.is_some_and(|s| s.readiness_probe.is_some());
            out.push(if probe {
                format_exact!("{} is running but its readiness probe fails", c.label())
            } else {
                format_exact!("{} is running but not ready", c.label())
            });
        } else if let Some((reason, _)) = c.waiting() {
            let age = starting_for(idx, pod)
                .map_or_else(String::new, |s| format_exact!(" for {}", human_duration(s)));
            out.push(format_exact!("{} is waiting ({reason}{age})", c.label()));
        } else {
            out.push(format_exact!("{} is not running", c.label()));
        }
    }
    if pod_status::containers(pod).next().is_none() {
        out.push("Ready=False, no container status reported yet".to_string());
    }
    for g in missing_gates(pod) {
        let state = if pod_status::condition(pod, g).is_some() {
            "False"
        } else {
            "missing"
        };
        out.push(format_exact!("readiness gate {g} is {state}"));
    }
    out
}

fn probe_text(p: &Probe) -> String {
    let port = |p: &IntOrString| match p {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    };
    if let Some(h) = &p.http_get {
        format_exact!(
            "httpGet :{}{}",
            port(&h.port),
            h.path.as_deref().unwrap_or("/")
        )
    } else if let Some(t) = &p.tcp_socket {
        format_exact!("tcpSocket :{}", port(&t.port))
    } else if let Some(g) = &p.grpc {
        format_exact!("grpc :{}", g.port)
    } else if p.exec.is_some() {
        "exec".to_string()
    } else {
        "no handler".to_string()
    }
}

// ---------------------------------------------------------------- POD-004

/// POD-004: a container that terminated less than 10 minutes ago (the
/// snapshot form of "restartCount rising"; the live form compares
/// observations in the dashboard). Crash loops are POD-001's.
fn check_churn(idx: &Index<'_>, pods: &[&Pod], explained: &BTreeSet<&str>) -> Vec<Finding> {
    let mut hits: Vec<(&Pod, String, i64, String)> = Vec::new();
    for p in pods.iter().copied() {
        if pod_status::is_terminal(p) || explained.contains(pod_status::name(p)) {
            continue;
        }
        for c in pod_status::containers(p) {
            let Some(t) = c.last_termination() else {
                continue;
            };
            let Some(ago) = t.finished_at.as_ref().map(|f| seconds_since(idx.now, f)) else {
                continue;
            };
            if ago <= CHURN_SECONDS && c.status.restart_count > 0 {
                hits.push((
                    p,
                    c.label(),
                    ago,
                    format_exact!(
                        "{} of pod {} last terminated {} ago: {}, exit code {} ({} restarts)",
                        c.label(),
                        pod_status::name(p),
                        human_duration(ago),
                        t.reason.as_deref().unwrap_or("?"),
                        t.exit_code,
                        c.status.restart_count
                    ),
                ));
            }
        }
    }
    let mut groups: BTreeMap<String, Vec<&(&Pod, String, i64, String)>> = BTreeMap::new();
    for h in &hits {
        groups
            .entry(pod_status::owner_group(idx, h.0))
            .or_default()
            .push(h);
    }
    groups
        .into_values()
        .filter_map(|group| {
            let latest = group.iter().min_by_key(|h| h.2)?;
            let pod = latest.0;
            Some(
                Finding::warning(
                    "POD-004",
                    format_exact!(
                        "{} of pod {} restarted {} ago",
                        latest.1,
                        pod_status::name(pod),
                        human_duration(latest.2)
                    ),
                )
                .evidence_lines(group.iter().map(|h| h.3.clone()))
                .fix(fix(
                    "read why it exited",
                    [Kubectl::in_namespace(ns_of(pod))
                        .lit("logs")
                        .arg(pod_status::name(pod))
                        .lit("-c")
                        .arg(latest.1.rsplit(' ').next().unwrap_or(""))
                        .lit("--previous")],
                )),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- EP-003/EP-004

/// EP-003: terminating endpoints (INFO when some, WARN when all but still
/// serving, ERR when all and none serving).
fn check_terminating_endpoints(ctx: &ServiceCtx<'_>, backends: &Backends<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let eps = &backends.endpoints;
    let terminating: Vec<_> = eps.iter().filter(|e| e.terminating).collect();
    if !terminating.is_empty() {
        let serving = terminating.iter().filter(|e| e.serving).count();
        let who: Vec<String> = terminating
            .iter()
            .take(5)
            .map(|e| {
                format_exact!(
                    "{} {} (serving={})",
                    e.target_name.unwrap_or("endpoint"),
                    e.addresses.join(","),
                    e.serving
                )
            })
            .collect();
        let f = if terminating.len() < eps.len() {
            Finding::info(
                "EP-003",
                format_exact!(
                    "{} of {} endpoints of {} are terminating (rollout or scale-down)",
                    terminating.len(),
                    eps.len(),
                    ctx.name
                ),
            )
        } else if serving > 0 {
            Finding::warning(
                "EP-003",
                format_exact!(
                    "every endpoint of {} is terminating; {serving} still serving until the pods exit",
                    ctx.name
                ),
            )
        } else {
            Finding::error(
                "EP-003",
                format_exact!(
                    "every endpoint of {} is terminating and none is serving",
                    ctx.name
                ),
            )
        };
        out.push(f.evidence_lines(who));
    }
    out
}

/// EP-003: pods whose deletion grace period expired over 5 minutes ago
/// (a finalizer or a dead node holds them).
fn check_stuck_deletions(ctx: &ServiceCtx<'_>, pods: &[&Pod]) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in pods {
        let Some(deleted) = p.metadata.deletion_timestamp() else {
            continue;
        };
        let over = seconds_since(ctx.idx.now, deleted);
        if over <= STUCK_SECONDS {
            continue;
        }
        let name = pod_status::name(p);
        let mut f = Finding::warning(
            "EP-003",
            format_exact!(
                "pod {name} is still terminating {} after its grace period ended",
                human_duration(over)
            ),
        );
        let finalizers = p.metadata.finalizers().unwrap_or_default();
        if !finalizers.is_empty() {
            f = f.evidence(format_exact!("finalizers: {}", finalizers.join(", ")));
        }
        let node = pod_status::node_name(p);
        let node_state = node.map(|n| match ctx.idx.node(n) {
            None => format_exact!("node {n} has no Node object"),
            Some(node) if !node_ready(node) => format_exact!("node {n} is not Ready"),
            Some(_) => format_exact!("node {n} is Ready"),
        });
        if let Some(s) = &node_state {
            f = f.evidence(s.clone());
        }
        let dead_node = node_state
            .as_deref()
            .is_some_and(|s| !s.ends_with("is Ready"));
        let fx = if finalizers.is_empty() && dead_node {
            fix(
                "its node is gone or NotReady, so the kubelet cannot confirm the deletion: force-delete the pod object",
                [Kubectl::in_namespace(ctx.namespace)
                    .lit("delete")
                    .lit("pod")
                    .arg(name)
                    .lit("--grace-period=0")
                    .lit("--force")],
            )
        } else if !finalizers.is_empty() {
            fix(
                "a finalizer holds the pod: find the controller that owns it and why it has not finished",
                [describe_pod(ctx.namespace, p)],
            )
        } else {
            fix(
                "the kubelet has not confirmed the deletion: see the pod's events and its node",
                [describe_pod(ctx.namespace, p)],
            )
        };
        out.push(f.fix(fx));
    }
    out
}

/// EP-004: a ready endpoint on a node that is not Ready (kube-proxy keeps
/// sending it traffic until the node controller marks the pods).
fn check_node_ready(ctx: &ServiceCtx<'_>, backends: &Backends<'_>) -> Vec<Finding> {
    let ready: Vec<_> = backends
        .endpoints
        .iter()
        .filter(|e| e.ready && e.node.is_some())
        .collect();
    if ready.is_empty() {
        return Vec::new();
    }
    if let Some(f) =
        permissions::not_evaluated(&ctx.idx.snap.access, "EP-004", Resource::Nodes, None)
    {
        return vec![f];
    }
    // Nearly always none: then no endpoint's node needs looking up.
    let not_ready = ctx.idx.nodes_not_ready();
    if not_ready.len() == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for e in ready {
        let Some(node_name) = e.node else { continue };
        let Some(node) = not_ready
            .clone()
            .find(|n| n.metadata.name.as_deref() == Some(node_name))
        else {
            continue;
        };
        if !seen.insert((node_name, e.backend_key())) {
            continue;
        }
        let cond = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .find(|c| c.type_ == "Ready");
        let state = cond.map_or("Unknown", |c| c.status.as_str());
        let mut f = Finding::warning(
            "EP-004",
            format_exact!(
                "endpoint {} ({}) is ready but node {node_name} is not (Ready={state})",
                e.addresses.join(","),
                e.target_name.unwrap_or("?")
            ),
        );
        if let Some(c) = cond {
            f = f.evidence(format_exact!(
                "node {node_name}: {} {}",
                c.reason.as_deref().unwrap_or(""),
                c.message.as_deref().unwrap_or("")
            ));
        }
        out.push(f.fix(fix(
            "check the node; once it is confirmed dead, drain it so the pods move",
            [Kubectl::new().lit("describe").lit("node").arg(node_name)],
        )));
    }
    out
}

// ---------------------------------------------------------------- RDY-001/RDY-002

/// The Service ports each container serves, by (sidecar?, index) (see
/// [`check_probes`]).
type Serving<'a> = SmallVec<[((bool, usize), SmallVec<[(&'a ServicePort, i32); 2]>); 2]>;

/// RDY-001 and RDY-002, per owner and serving container: the pod template of
/// the owning workload (what the next pods get), else the pod's own spec.
/// Skipped when the Service publishes not-ready addresses: readiness does
/// not gate its endpoints.
fn check_probes(ctx: &ServiceCtx<'_>) -> Vec<Finding> {
    let ports = endpoint_rules::service_ports(ctx.svc);
    if endpoint_rules::publishes_not_ready(ctx.svc) {
        return Vec::new();
    }
    let live = ctx
        .pods_and_owners()
        .filter(|(p, _)| !pod_status::is_terminal(p));
    let mut out = Vec::new();
    for (owner_group, group) in pod_status::by_known_owner(live) {
        let (owner, group) = (group.top, group.pods);
        // Named only for a finding: most groups have none.
        let owner_label = || owner_text(&owner_group, &group);
        let spec = owner
            .and_then(|w| w.template())
            .and_then(|t| t.spec.as_ref())
            .or(group[0].spec.as_ref());
        let Some(spec) = spec else { continue };
        // container (sidecar?, index) → the Service ports it serves,
        // resolved, in container order. A Service has a port or two, served
        // by one container: kept inline.
        let mut serving: Serving<'_> = SmallVec::new();
        for sp in ports {
            let Some(r) = endpoint_rules::resolve(Some(spec), sp) else {
                continue;
            };
            let key = match r.declared {
                Some(d) => (d.sidecar, d.index),
                None if spec.containers.len() == 1 => (false, 0),
                None => continue,
            };
            match serving.iter_mut().find(|(k, _)| *k == key) {
                Some((_, served)) => served.push((sp, r.number)),
                None => serving.push((key, smallvec![(sp, r.number)])),
            }
        }
        serving.sort_by_key(|(key, _)| *key);
        for ((sidecar, index), served) in serving {
            let list = if sidecar {
                shared::list(&spec.init_containers)
            } else {
                spec.containers.as_slice()
            };
            let Some(c) = list.get(index) else { continue };
            match &c.readiness_probe {
                None => out.push(no_probe(
                    ctx,
                    &owner_label(),
                    owner,
                    c,
                    sidecar,
                    index,
                    &served,
                )),
                Some(probe) => {
                    let Some(probe_port) = probe_port(c, probe) else {
                        continue;
                    };
                    if !served.iter().any(|s| s.1 == probe_port) {
                        let mut targets: Vec<i32> = served.iter().map(|s| s.1).collect();
                        targets.dedup();
                        let ports_text: Vec<String> = served
                            .iter()
                            .map(|(sp, n)| {
                                format_exact!("{} → {n}", endpoint_rules::service_port_text(sp))
                            })
                            .collect();
                        let owner_label = owner_label();
                        out.push(
                            Finding::info(
                                "RDY-002",
                                format_exact!(
                                    "readiness probe of container {} ({owner_label}) checks port {probe_port}, not the Service's target {}: a ready pod may still not serve it",
                                    c.name,
                                    targets
                                        .iter()
                                        .map(i32::to_string)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )
                            .evidence(format_exact!("readinessProbe: {}", probe_text(probe)))
                            .evidence(format_exact!("Service ports: {}", ports_text.join(", "))),
                        );
                    }
                }
            }
        }
    }
    out
}

/// The port a readiness probe checks, resolved on its container (`None` for exec).
fn probe_port(c: &Container, probe: &Probe) -> Option<i32> {
    let by_name = |p: &IntOrString| match p {
        IntOrString::Int(n) => Some(*n),
        IntOrString::String(name) => c
            .ports
            .iter()
            .flatten()
            .find(|cp| cp.name.as_deref() == Some(name.as_str()))
            .map(|cp| cp.container_port),
    };
    if let Some(h) = &probe.http_get {
        by_name(&h.port)
    } else if let Some(t) = &probe.tcp_socket {
        by_name(&t.port)
    } else {
        probe.grpc.as_ref().map(|g| g.port)
    }
}

/// RDY-001 with its fix: a readiness probe on the served port, added to the
/// right container of the workload's template. An httpGet when the container's
/// livenessProbe already checks that port over HTTP (its path is known to
/// answer), else a tcpSocket probe (the port accepts connections).
fn no_probe(
    ctx: &ServiceCtx<'_>,
    owner_label: &str,
    owner: Option<Workload<'_>>,
    c: &Container,
    sidecar: bool,
    index: usize,
    served: &[(&ServicePort, i32)],
) -> Finding {
    let (sp, number) = served[0];
    let sp_text = endpoint_rules::service_port_text(sp);
    let mut f = Finding::warning(
        "RDY-001",
        format_exact!(
            "container {} of {owner_label} serves {sp_text} → {number} without a readinessProbe: pods receive traffic as soon as they start",
            c.name
        ),
    )
    .evidence("without a readiness probe a pod is Ready once its containers start, before the app listens");
    // Probe by the port's name when it has one: survives a renumbering.
    let port: Value = c
        .ports
        .iter()
        .flatten()
        .find(|p| p.container_port == number)
        .and_then(|p| p.name.clone())
        .map_or_else(|| json!(number), Value::String);
    let liveness_http = c
        .liveness_probe
        .as_ref()
        .and_then(|l| l.http_get.as_ref())
        .filter(|h| {
            probe_port(
                c,
                &Probe {
                    http_get: Some((*h).clone()),
                    ..Default::default()
                },
            ) == Some(number)
        });
    let (handler, kind) = match liveness_http {
        Some(h) => {
            let path = h.path.as_deref().unwrap_or("/");
            (
                json!({"httpGet": {"path": path, "port": port}}),
                format_exact!("an httpGet probe on {path} (the livenessProbe's path)"),
            )
        }
        None => (
            json!({"tcpSocket": {"port": port}}),
            "a tcpSocket probe (an httpGet on the app's health path is better if it has one)"
                .to_string(),
        ),
    };
    let mut probe = handler;
    probe["periodSeconds"] = json!(5);
    probe["failureThreshold"] = json!(3);
    let Some(w) = owner else {
        return f.evidence(format_exact!(
            "{owner_label} is not a workload svc-doctor patches, and a pod's probes cannot be changed in place: add the probe to whatever creates these pods"
        ));
    };
    let list = if sidecar {
        "initContainers"
    } else {
        "containers"
    };
    let patch = json!([
        {"op": "test", "path": format_exact!("/spec/template/spec/{list}/{index}/name"), "value": c.name},
        {"op": "add", "path": format_exact!("/spec/template/spec/{list}/{index}/readinessProbe"), "value": probe},
    ]);
    f = f.fix(fix(
        format_exact!(
            "add {kind} on port {} to container {} of {} {}",
            match &port {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
            c.name,
            w.resource(),
            w.name()
        ),
        [json_patch(ctx.namespace, w.resource(), w.name(), &patch)],
    ));
    f
}

// ---------------------------------------------------------------- RDY-003

/// RDY-003, the snapshot form: a pod that is Ready now, whose Ready
/// condition changed within 10 minutes (and not at start-up: more than two
/// minutes after the pod started), with a readiness `Unhealthy` event seen 3+
/// times. The live form (an endpoint flipping `ready` 3+ times in 5 minutes)
/// belongs to the dashboard, which sees successive observations. Events are
/// this check's input: when they may not be read and some pod had such a
/// recent transition, the check is `unknown`.
fn check_flapping(idx: &Index<'_>, ns: &str, pods: &[&Pod]) -> Vec<Finding> {
    let recent: Vec<(&Pod, i64)> = pods
        .iter()
        .copied()
        .filter(|p| pod_status::is_ready(p) && !pod_status::is_terminating(p))
        .filter_map(|p| {
            let t = pod_status::condition(p, "Ready")?
                .last_transition_time
                .as_ref()?;
            let ago = seconds_since(idx.now, t);
            let started = p.status.as_ref()?.start_time.as_ref()?;
            let after_start = t.0.as_second() - started.0.as_second();
            (ago <= FLAP_WINDOW_SECONDS && after_start > FLAP_AFTER_START_SECONDS)
                .then_some((p, ago))
        })
        .collect();
    if recent.is_empty() {
        return Vec::new();
    }
    if let Some(f) =
        permissions::not_evaluated(&idx.snap.access, "RDY-003", Resource::Events, Some(ns))
    {
        return vec![f];
    }
    let mut out = Vec::new();
    for (p, ago) in recent {
        let Ok(events) = pod_events(idx, p, "Unhealthy") else {
            continue;
        };
        let Some(e) = events.iter().find(|e| {
            event_count(e) >= FLAP_EVENTS
                && e.message
                    .as_deref()
                    .is_some_and(|m| m.contains("Readiness probe"))
        }) else {
            continue;
        };
        out.push(
            Finding::warning(
                "RDY-003",
                format_exact!(
                    "pod {} flaps: its readiness probe failed {} times and it became Ready again {} ago",
                    pod_status::name(p),
                    event_count(e),
                    human_duration(ago)
                ),
            )
            .evidence(event_line(idx, e))
            .evidence("each flip adds or removes the pod from the Service's endpoints: clients see intermittent failures")
            .fix(fix(
                "make the probe tolerant (timeoutSeconds, failureThreshold) or find what slows the app",
                [describe_pod(ns, p)],
            )),
        );
    }
    out
}

/// RDY-003, the live form: endpoints (by targetRef uid) whose `ready`
/// flipped 3+ times within five minutes warn; a ready count that dropped to
/// zero within the window fails. Only the dashboard, which observes every
/// change, has the history this needs.
fn check_flapping_live(
    ctx: &ServiceCtx<'_>,
    history: &crate::snapshot::history::ReadinessHistory,
) -> Vec<Finding> {
    let now = ctx.idx.now;
    let flapping: Vec<_> = history
        .flapping(ctx.namespace, ctx.name, now)
        .into_iter()
        .filter(|f| f.flips >= FLAP_FLIPS)
        .collect();
    if flapping.is_empty() {
        return Vec::new();
    }
    let counts = history.counts(ctx.namespace, ctx.name);
    let shown: Vec<String> = counts.tail(20).iter().map(u32::to_string).collect();
    let evidence = flapping
        .iter()
        .map(|f| {
            format_exact!(
                "endpoint {} flipped ready {} times in the last 5 minutes",
                f.endpoint,
                f.flips
            )
        })
        .chain([format_exact!(
            "ready endpoints over time: {}",
            shown.join(" ")
        )]);
    let names: Vec<&str> = flapping.iter().map(|f| f.endpoint.as_str()).collect();
    let message = format_exact!(
        "{} of {} flaps: ready flipped {}+ times in 5 minutes ({})",
        if names.len() == 1 {
            "endpoint"
        } else {
            "endpoints"
        },
        ctx.name,
        FLAP_FLIPS,
        names.join(", ")
    );
    let finding = if history.dropped_to_zero(ctx.namespace, ctx.name, now) {
        Finding::error(
            "RDY-003",
            format_exact!("{message}; no endpoint is ready now"),
        )
    } else {
        Finding::warning("RDY-003", message)
    };
    vec![
        finding
            .evidence_lines(evidence)
            .evidence("each flip adds or removes a pod from the Service's endpoints: clients see intermittent failures")
            .fix(fix(
                "make the readiness probe tolerant (timeoutSeconds, failureThreshold) or find what slows the app",
                flapping
                    .iter()
                    .filter_map(|f| ctx.pods.iter().find(|p| pod_status::name(p) == f.endpoint))
                    .map(|p| describe_pod(ctx.namespace, p)),
            )),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::report::{Finding, Report, ServiceRef, Severity, Status, StepId, StepReport};
    use super::super::testing::*;

    const POD_001: &str = include_str!("../../tests/fixtures/engine/pods/pod-001.yaml");
    const POD_002: &str = include_str!("../../tests/fixtures/engine/pods/pod-002.yaml");
    const POD_002_NODE: &str =
        include_str!("../../tests/fixtures/engine/pods/pod-002-not-ready-node.yaml");
    const POD_003_004: &str = include_str!("../../tests/fixtures/engine/pods/pod-003-004.yaml");
    const EP_003_004: &str = include_str!("../../tests/fixtures/engine/pods/ep-003-004.yaml");
    const FORBIDDEN_NODES: &str =
        include_str!("../../tests/fixtures/engine/pods/forbidden-nodes.yaml");
    const RDY: &str = include_str!("../../tests/fixtures/engine/pods/rdy.yaml");

    fn pods<'r>(r: &'r Report, ns: &str, name: &str) -> &'r StepReport {
        step(r, ns, name, StepId::Pods)
    }

    fn commands(f: &Finding) -> Vec<&str> {
        f.fix
            .iter()
            .flat_map(|f| &f.commands)
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn healthy_services_have_no_warnings() {
        let r = run(&[BASE]);
        for (ns, name) in [("shop", "web"), ("kube-system", "kube-dns")] {
            let s = pods(&r, ns, name);
            assert_status(s, Status::Pass);
            assert!(
                s.findings.iter().all(|f| f.severity == Severity::Info),
                "{s:#?}"
            );
        }
        assert!(pods(&r, "shop", "web").findings.is_empty());
    }

    #[test]
    fn pod_001_guide_problem_3_links_the_missing_service() {
        let r = run(&[BASE, POD_001]);
        let svc = service(&r, "production", "backend-service");
        assert_eq!(svc.failing_step, Some(StepId::Pods));
        let f = finding(pods(&r, "production", "backend-service"), "POD-001");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            f.message,
            "container api of pod backend-6d4f9c-xk2p9 is CrashLoopBackOff (5 restarts); env DB_HOST points at Service postgres-service, which does not exist in production"
        );
        assert_eq!(
            f.related,
            [ServiceRef::new("production", "postgres-service")]
        );
        assert!(
            f.evidence.contains(
                &"  Error: Cannot connect to database: postgres-service:5432 - ECONNREFUSED"
                    .to_string()
            )
        );
        assert!(
            f.evidence
                .contains(&"last terminated: Error, exit code 1, 60s ago".to_string())
        );
        assert!(f.evidence.contains(&"env DB_HOST=postgres-service names postgres-service; no Service postgres-service exists in production".to_string()));
        // Near miss: CACHE_URL names shop/web, which exists; GREETING is no host.
        assert!(
            !f.evidence
                .iter()
                .any(|e| e.contains("CACHE_URL") || e.contains("GREETING"))
        );
        assert_eq!(
            commands(f),
            [
                "kubectl -n production logs backend-6d4f9c-xk2p9 -c api --previous",
                "kubectl -n production rollout restart deployment/backend"
            ]
        );
    }

    #[test]
    fn host_extraction_from_values_and_logs() {
        use super::{hosts_in, looked_up};
        assert_eq!(
            hosts_in("postgres://app:pw@db.prod.svc:5432/app", false),
            ["db.prod.svc"]
        );
        assert_eq!(
            hosts_in("connect redis-cache:6379 failed", false),
            ["redis-cache"]
        );
        assert_eq!(hosts_in("postgres-service", true), ["postgres-service"]);
        // A bare word counts only in a host-like variable.
        assert!(hosts_in("postgres-service", false).is_empty());
        // IPs, localhost and ports without digits are no Service names.
        assert!(hosts_in("10.0.0.1:80 localhost:8080 note:later", false).is_empty());
        assert_eq!(looked_up("getaddrinfo ENOTFOUND cache-svc"), ["cache-svc"]);
    }

    #[test]
    fn pod_001_a_log_alone_can_name_the_missing_service() {
        let r = run(&[BASE, POD_001]);
        let f = finding(pods(&r, "crash", "queue-worker"), "POD-001");
        assert_eq!(
            f.message,
            "container worker of pod queue-worker-1 is CrashLoopBackOff (2 restarts); its log points at Service rabbitmq, which does not exist in crash"
        );
        assert_eq!(f.related[0].name, "rabbitmq");
        assert!(
            f.evidence.iter().any(|e| e.starts_with(
                "previous log names rabbitmq: fatal: dial tcp: lookup rabbitmq on 10.96.0.10:53"
            )),
            "{f:#?}"
        );
    }

    #[test]
    fn pod_001_oom_image_config_init_and_terminated() {
        let r = run(&[BASE, POD_001]);
        let f = finding(pods(&r, "crash", "oom"), "POD-001");
        assert!(
            f.evidence.contains(
                &"last terminated: OOMKilled, exit code 137 (limits.memory 256Mi), 5m ago"
                    .to_string()
            ),
            "{f:#?}"
        );
        assert_eq!(
            commands(f),
            ["kubectl -n crash set resources deployment/oom -c worker --limits=memory=512Mi"]
        );

        let f = finding(pods(&r, "crash", "image"), "POD-001");
        assert_eq!(
            f.message,
            "container web of pod image-1 is ImagePullBackOff"
        );
        assert!(
            f.evidence
                .contains(&"image: registry.example.com/web:v9-typo".to_string())
        );

        let f = finding(pods(&r, "crash", "config"), "POD-001");
        assert_eq!(
            commands(f),
            [
                "kubectl -n crash create configmap app-config --from-literal=FEATURES= --from-literal=LOG_LEVEL="
            ]
        );

        let f = finding(pods(&r, "crash", "init"), "POD-001");
        assert_eq!(
            f.message,
            "init container migrate of pod init-1 is CrashLoopBackOff (3 restarts)"
        );

        let s = pods(&r, "crash", "evicted");
        assert_status(s, Status::Fail);
        assert_eq!(
            finding(s, "POD-001").message,
            "all 2 selected pods have terminated (2 Failed (Evicted)): none can serve"
        );
        assert_status(
            step(&r, "crash", "evicted", StepId::Endpoints),
            Status::Pass,
        );
    }

    #[test]
    fn pod_001_starting_too_long_warns_and_near_miss_fresh_pod_is_pod_003() {
        let r = run(&[BASE, POD_001]);
        let s = pods(&r, "crash", "slow");
        assert_status(s, Status::Warn);
        assert_eq!(
            finding(s, "POD-001").message,
            "container app of pod slow-1 is ContainerCreating for 10m"
        );
        let s = pods(&r, "crash", "fresh");
        assert!(!s.findings.iter().any(|f| f.check == "POD-001"), "{s:#?}");
        let f = finding(s, "POD-003");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            f.message,
            "pod fresh-1 is not Ready: container app is waiting (ContainerCreating for 60s); no selected pod is ready"
        );
    }

    #[test]
    fn pod_002_pending_with_taint_analysis() {
        let r = run(&[BASE, POD_002]);
        let s = pods(&r, "sched", "db");
        assert_status(s, Status::Fail);
        let f = finding(s, "POD-002");
        assert!(
            f.message
                .starts_with("pod db-0 is Pending, not scheduled: 0/2 nodes are available")
        );
        // FailedScheduling by uid: the event of an earlier db-0 is ignored.
        assert!(
            f.evidence
                .iter()
                .any(|e| e.starts_with("Warning FailedScheduling ×4, 2m ago")),
            "{f:#?}"
        );
        assert!(!f.evidence.iter().any(|e| e.contains("earlier pod")));
        assert!(
            f.evidence.contains(
                &"node cp-1: untolerated taint node-role.kubernetes.io/control-plane:NoSchedule"
                    .to_string()
            )
        );
        assert!(
            f.evidence
                .contains(&"node node-1: nodeSelector disk=ssd not matched".to_string())
        );
        assert_eq!(
            commands(f),
            [
                r#"kubectl -n sched patch statefulset db --type=json -p '[{"op":"add","path":"/spec/template/spec/tolerations","value":[{"effect":"NoSchedule","key":"node-role.kubernetes.io/control-plane","operator":"Exists"}]}]'"#,
                "kubectl taint nodes cp-1 node-role.kubernetes.io/control-plane:NoSchedule-"
            ]
        );
        // Endpoints passes with a note: the pods step carries the failure.
        assert_status(step(&r, "sched", "db", StepId::Endpoints), Status::Pass);
    }

    /// On a large cluster only the first nodes are described, the rest
    /// counted; every node still counts for the fix (a taint on one node).
    #[test]
    fn pod_002_describes_ten_nodes_and_counts_the_rest() {
        let extra: String = (0..12)
            .map(|i| {
                format_exact!(
                    "---\napiVersion: v1\nkind: Node\nmetadata: {{name: zz-{i:02}}}\nspec: {{unschedulable: true}}\nstatus: {{conditions: [{{type: Ready, status: \"True\"}}]}}\n"
                )
            })
            .collect();
        let r = run(&[BASE, POD_002, &extra]);
        let f = finding(pods(&r, "sched", "db"), "POD-002");
        let described = f.evidence.iter().filter(|e| e.starts_with("node ")).count();
        assert_eq!(described, super::SHOWN_NODES, "{f:#?}");
        assert!(f.evidence.contains(&"… 4 more nodes".to_string()), "{f:#?}");
        assert!(!f.evidence.iter().any(|e| e.starts_with("node zz-11")));
        // cp-1 (first by name) is the node only a taint keeps the pod off.
        assert!(
            commands(f)
                .iter()
                .any(|c| c.starts_with("kubectl taint nodes cp-1"))
        );
    }

    /// Nodes past the described ten still decide the fix, nodeSelector
    /// included: `bb-0`'s taint is removable but the pod's `disk=ssd` keeps
    /// it off anyway, so the taint to remove is `cp-1`'s, which has the label.
    /// Neither is described (eleven nodes sort before them).
    #[test]
    fn pod_002_weighs_the_node_selector_of_nodes_not_described() {
        let mut extra: String = (0..11)
            .map(|i| {
                format_exact!(
                    "---\napiVersion: v1\nkind: Node\nmetadata: {{name: aa-{i:02}}}\nstatus: {{conditions: [{{type: Ready, status: \"True\"}}]}}\n"
                )
            })
            .collect();
        extra.push_str(
            "---\napiVersion: v1\nkind: Node\nmetadata: {name: bb-0}\nspec: {taints: [{key: dedicated, value: batch, effect: NoSchedule}]}\nstatus: {conditions: [{type: Ready, status: \"True\"}]}\n",
        );
        let r = run(&[BASE, POD_002, &extra]);
        let f = finding(pods(&r, "sched", "db"), "POD-002");
        assert!(
            !f.evidence.iter().any(|e| e.starts_with("node bb-0")),
            "{f:#?}"
        );
        assert!(
            !f.evidence.iter().any(|e| e.starts_with("node cp-1")),
            "{f:#?}"
        );
        let taints: Vec<&str> = commands(f)
            .into_iter()
            .filter(|c| c.starts_with("kubectl taint"))
            .collect();
        assert_eq!(
            taints,
            ["kubectl taint nodes cp-1 node-role.kubernetes.io/control-plane:NoSchedule-"],
            "{f:#?}"
        );
    }

    #[test]
    fn pod_002_near_miss_not_ready_node_and_forbidden_events() {
        let r = run(&[BASE, POD_002_NODE]);
        let s = pods(&r, "gpu", "trainer");
        assert_status(s, Status::Fail);
        let f = finding(s, "POD-002");
        assert!(
            f.evidence.iter().any(|e| e
                .starts_with("FailedScheduling events not shown: cannot list events in gpu (403)")),
            "{f:#?}"
        );
        assert!(
            f.evidence
                .iter()
                .any(|e| e.contains("fix the node (NODE-001), not the taint"))
        );
        assert!(!commands(f).iter().any(|c| c.contains("taint")), "{f:#?}");
        // SVC-004 reads only events: unknown, not pass.
        assert_status(step(&r, "gpu", "trainer", StepId::Service), Status::Unknown);
    }

    #[test]
    fn pod_003_not_ready() {
        let r = run(&[BASE, POD_003_004]);
        let s = pods(&r, "ready", "half");
        assert_status(s, Status::Warn);
        let f = finding(s, "POD-003");
        assert_eq!(
            f.message,
            "pod half-1-bbbbb is not Ready: container web is running but its readiness probe fails"
        );
        assert!(f.evidence.contains(&"Warning Unhealthy ×12, 30s ago: Readiness probe failed: HTTP probe failed with statuscode: 503".to_string()));

        let f = finding(pods(&r, "ready", "none"), "POD-003");
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message
                .starts_with("2 bare pods (none-1, none-2) are not Ready")
        );

        let f = finding(pods(&r, "ready", "gated"), "POD-003");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            f.message,
            "pod gated-1 is not Ready: readiness gate target-health.elbv2.k8s.aws/web-tg is missing; no selected pod is ready"
        );

        // Near miss: a completed init container does not make the pod not ready.
        let s = pods(&r, "ready", "inited");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
    }

    #[test]
    fn pod_004_recent_restart_warns_old_one_does_not() {
        let r = run(&[BASE, POD_003_004]);
        let s = pods(&r, "ready", "flaky");
        assert_status(s, Status::Warn);
        let f = finding(s, "POD-004");
        assert_eq!(
            f.message,
            "container worker of pod flaky-1 restarted 3m ago"
        );
        assert_eq!(
            commands(f),
            ["kubectl -n ready logs flaky-1 -c worker --previous"]
        );
        let s = pods(&r, "ready", "steady");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
    }

    #[test]
    fn ep_003_terminating_endpoints() {
        let r = run(&[BASE, EP_003_004]);
        let s = pods(&r, "term", "rolling");
        assert_status(s, Status::Pass);
        assert_eq!(finding(s, "EP-003").severity, Severity::Info);
        let s = pods(&r, "term", "draining");
        assert_status(s, Status::Warn);
        assert_eq!(
            finding(s, "EP-003").message,
            "every endpoint of draining is terminating; 2 still serving until the pods exit"
        );
        let s = pods(&r, "term", "gone");
        assert_status(s, Status::Fail);
        assert_eq!(
            finding(s, "EP-003").message,
            "every endpoint of gone is terminating and none is serving"
        );
        let s = pods(&r, "term", "stuck");
        let f = finding(s, "EP-003");
        assert_eq!(
            f.message,
            "pod stuck-2 is still terminating 20m after its grace period ended"
        );
        assert_eq!(
            commands(f),
            ["kubectl -n term delete pod stuck-2 --grace-period=0 --force"]
        );
    }

    #[test]
    fn ep_004_ready_endpoint_on_a_not_ready_node() {
        let r = run(&[BASE, EP_003_004]);
        let f = finding(pods(&r, "term", "stuck"), "EP-004");
        assert_eq!(
            f.message,
            "endpoint 10.244.11.8 (stuck-2) is ready but node node-dead is not (Ready=Unknown)"
        );
        // Near miss: the endpoint there is not ready.
        assert!(
            !pods(&r, "term", "asleep")
                .findings
                .iter()
                .any(|f| f.check == "EP-004")
        );
        // Nodes may not be read: unknown, not pass.
        let r = run(&[BASE, FORBIDDEN_NODES]);
        let s = pods(&r, "shop", "web");
        assert_status(s, Status::Unknown);
        assert_eq!(
            s.summary,
            "EP-004 not evaluated: cannot list nodes (403). Verify: kubectl auth can-i list nodes"
        );
    }

    #[test]
    fn rdy_001_guide_problem_4_patches_the_serving_container() {
        let r = run(&[BASE, RDY]);
        let svc = service(&r, "probes", "backend-service");
        assert_eq!(svc.verdict, Status::Warn);
        assert_eq!(svc.failing_step, None);
        let first_warn = svc
            .steps
            .iter()
            .find(|s| s.status == Status::Warn)
            .map(|s| s.id);
        assert_eq!(first_warn, Some(StepId::Pods));
        let f = finding(pods(&r, "probes", "backend-service"), "RDY-001");
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            commands(f),
            [
                r#"kubectl -n probes patch deployment backend --type=json -p '[{"op":"test","path":"/spec/template/spec/containers/1/name","value":"api"},{"op":"add","path":"/spec/template/spec/containers/1/readinessProbe","value":{"failureThreshold":3,"httpGet":{"path":"/health","port":"http"},"periodSeconds":5}}]'"#
            ]
        );
        let f = finding(pods(&r, "probes", "tcp"), "RDY-001");
        assert!(
            commands(f)[0].contains(r#""tcpSocket":{"port":"redis"}"#),
            "{f:#?}"
        );
    }

    #[test]
    fn rdy_002_probe_on_another_port_is_info() {
        let r = run(&[BASE, RDY]);
        let s = pods(&r, "probes", "other-port");
        assert_status(s, Status::Pass);
        let f = finding(s, "RDY-002");
        assert_eq!(f.severity, Severity::Info);
        assert!(
            f.message
                .contains("checks port 8081, not the Service's target 8080")
        );
        // Near miss: a named probe port resolving to the target.
        assert!(pods(&r, "probes", "named-probe").findings.is_empty());
    }

    /// Diagnose base.yaml after the dashboard saw shop/web's endpoints with
    /// the given ready states, one observation every 10 s up to NOW.
    fn live(observations: &[[bool; 2]]) -> Report {
        use crate::snapshot::history::ReadinessHistory;
        use std::sync::Arc;
        let mut snap = snapshot(&[BASE]);
        let slot = snap
            .endpoint_slices
            .iter()
            .position(|s| s.metadata.name.as_deref() == Some("web-abcde"))
            .unwrap();
        let mut history = ReadinessHistory::default();
        let n = observations.len() as i64;
        for (i, ready) in observations.iter().enumerate() {
            let slice = Arc::make_mut(&mut snap.endpoint_slices[slot]);
            for (ep, r) in slice.endpoints.iter_mut().zip(ready) {
                ep.conditions.get_or_insert_default().ready = Some(*r);
            }
            let at = now() - k8s_openapi::jiff::SignedDuration::from_secs((n - 1 - i as i64) * 10);
            history.observe(&snap, at);
        }
        snap.readiness = Some(Arc::new(history));
        super::super::diagnose(&snap, now(), &super::super::Options::default())
    }

    #[test]
    fn rdy_003_live_flapping_from_observed_endpoints() {
        // web-6d4f9c-mn3k1 flips three times: warn, naming it.
        let r = live(&[[true, true], [true, false], [true, true], [true, false]]);
        let s = pods(&r, "shop", "web");
        assert_status(s, Status::Warn);
        let f = finding(s, "RDY-003");
        assert!(f.message.contains("web-6d4f9c-mn3k1"), "{f:#?}");
        assert!(
            f.evidence
                .iter()
                .any(|e| e == "ready endpoints over time: 2 1 2 1"),
            "{f:#?}"
        );
        // Near miss: two flips are not flapping.
        let r = live(&[[true, true], [true, false], [true, true]]);
        assert!(
            pods(&r, "shop", "web")
                .findings
                .iter()
                .all(|f| f.check != "RDY-003")
        );
        // Flapping down to zero ready endpoints: fail.
        let r = live(&[[true, true], [true, false], [true, true], [false, false]]);
        let f = finding(pods(&r, "shop", "web"), "RDY-003");
        assert_eq!(f.severity, Severity::Error, "{f:#?}");
    }

    #[test]
    fn rdy_003_flapping_from_events() {
        let r = run(&[BASE, RDY]);
        let s = pods(&r, "probes", "flappy");
        assert_status(s, Status::Warn);
        assert_eq!(
            finding(s, "RDY-003").message,
            "pod flappy-1 flaps: its readiness probe failed 6 times and it became Ready again 3m ago"
        );
        // Near miss: the Ready transition was the first one, at start-up.
        let s = pods(&r, "probes", "starting");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
        // Events may not be read and a pod had a recent transition: unknown.
        let r = run(&[BASE, POD_002_NODE]);
        let s = pods(&r, "gpu", "flap");
        assert_status(s, Status::Unknown);
        assert!(
            s.summary
                .starts_with("RDY-003 not evaluated: cannot list events in gpu (403)")
        );
    }

    /// The summary counts the selected pods that are not terminal, and of
    /// them the ready ones: a completed pod the selector also matches (near
    /// miss) is not one of them.
    #[test]
    fn the_summary_counts_live_pods_and_the_ready_ones() {
        let done = "apiVersion: v1\nkind: Pod\nmetadata: {name: web-migrate, namespace: shop, labels: {app: web}}\nspec:\n  containers: [{name: migrate, image: migrate}]\nstatus: {phase: Succeeded}\n";
        let r = run(&[BASE, done]);
        let s = pods(&r, "shop", "web");
        assert_status(s, Status::Pass);
        assert_eq!(s.summary, "2 of 2 selected pods Running and Ready");
    }
}
