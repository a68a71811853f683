//! Step `endpoints` (DESIGN §2): does the Service select pods, and do its
//! EndpointSlices list them?
//!
//! Checks: SEL-001 (selector matches pods), SEL-002 (workload scaled down or
//! stuck), SEL-003 (selector too broad), SEL-004 (single backend), SEL-005
//! (selector-less Services), EP-001 (selected pods in the slices), EP-002
//! (a selected pod missing), EP-005 (stale slices), EP-006
//! (publishNotReadyAddresses). Whether the listed pods are *ready* is the
//! `pods` step's question. To add a check: write `fn check_xxx(ctx) ->
//! Vec<Finding>` here, call it from [`check`], and document it in
//! `docs/checks.md`.
//!
//! Cost: the selected pods, the Service's slices, and — only when the
//! selector matches nothing — the pods carrying one of the selector's keys
//! (index posting lists) and the workloads of the namespace.

use compact_str::CompactString;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::context::ServiceCtx;
use super::endpoint_rules::{self, Backends, Family, Unlisted};
use super::fix::{Kubectl, fix, json_pointer_token};
use super::index::{SERVICE_NAME_LABEL, Workload, labels_match};
use super::permissions;
use super::pod_status;
use super::report::{Finding, StepId, StepReport};
use super::service::{REVISION_LABELS, json_patch, selector_text};
use crate::model::StringMap;
use crate::model::{Pod, Shared};
use crate::snapshot::Resource;

/// The label the EndpointSlice controller sets on the slices it manages.
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
const CONTROLLER: &str = "endpointslice-controller.k8s.io";

/// How many near-miss pods SEL-001 shows.
const NEAR_MISSES: usize = 5;

/// Evaluate step `endpoints` for one Service.
pub fn check(ctx: &ServiceCtx<'_>) -> StepReport {
    if ctx.is_external_name() {
        return StepReport::skip(
            StepId::Endpoints,
            "ExternalName: DNS answers with a CNAME, there are no endpoints",
        );
    }
    let backends = ctx.backends();
    let slices_forbidden = slices_not_evaluated(ctx, "EP-001");
    let mut findings = Vec::new();
    match ctx.selector {
        None => findings.extend(check_selectorless(ctx, backends)),
        Some(sel) => {
            if let Some(f) = permissions::not_evaluated(
                &ctx.idx.snap.access,
                "SEL-001",
                Resource::Pods,
                Some(ctx.namespace),
            ) {
                findings.push(f);
            } else {
                findings.extend(check_workloads(ctx, sel));
                findings.extend(check_selector(ctx, sel));
                match slices_forbidden {
                    Some(f) => findings.push(f),
                    None => {
                        findings.extend(check_listing(ctx, backends));
                        findings.extend(check_single_backend(ctx, backends));
                    }
                }
                findings.extend(check_owners(ctx, sel));
            }
        }
    }
    findings.extend(check_stale_slices(ctx));
    findings.extend(check_publish_not_ready(ctx));
    // Errors first, so the step summary names the cause.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    StepReport::from_findings(StepId::Endpoints, findings, pass_summary(ctx, backends))
}

fn pass_summary(ctx: &ServiceCtx<'_>, backends: &Backends<'_>) -> String {
    let ready = backends.endpoints.iter().filter(|e| e.ready).count();
    let total = backends.distinct();
    match ctx.selector {
        Some(sel) => format_exact!(
            "selector {} matches {} pod{}; {total} listed in {} ({ready} ready)",
            selector_text(sel),
            ctx.pods.len(),
            plural(ctx.pods.len()),
            backends.source()
        ),
        None => format_exact!(
            "no selector: {total} endpoint{} managed by hand ({ready} ready)",
            plural(total)
        ),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The `not evaluated` finding when the Service's endpoints may not be read
/// (EndpointSlices, or v1 Endpoints on a cluster without slices).
pub fn slices_not_evaluated(ctx: &ServiceCtx<'_>, check: &'static str) -> Option<Finding> {
    let resource = if ctx.idx.snap.serves_endpoint_slices {
        Resource::Endpointslices
    } else {
        Resource::Endpoints
    };
    permissions::not_evaluated(&ctx.idx.snap.access, check, resource, Some(ctx.namespace))
}

fn patch_service(ctx: &ServiceCtx<'_>, patch: &Value) -> Kubectl {
    json_patch(ctx.namespace, "service", ctx.name, patch)
}

// ---------------------------------------------------------------- SEL-001

/// How one selector pair compares with one pod's labels.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PairDiff<'p> {
    Satisfied,
    /// The key with another value.
    OtherValue(&'p str),
    /// The key with the value in another case (`Backend` for `backend`).
    CaseOnlyValue(&'p str),
    /// The key only in another case (`App`), with its value.
    CaseOnlyKey(&'p str, &'p str),
    Missing,
}

struct NearMiss<'a> {
    pod: &'a Pod,
    diffs: Vec<(&'a str, &'a str, PairDiff<'a>)>,
    satisfied: usize,
    /// [`NearMiss::ranked`], computed once (it measures edit distances, and
    /// sorting compares each near miss many times).
    rank: (usize, usize, u32),
}

fn diff_pod<'a>(pod: &'a Pod, sel: &'a StringMap) -> NearMiss<'a> {
    let labels = pod.metadata.labels.as_deref();
    let diffs: Vec<_> = sel
        .iter()
        .map(|(k, v)| {
            let d = match labels.and_then(|l| l.get(k)) {
                Some(have) if have == v => PairDiff::Satisfied,
                Some(have) if have.eq_ignore_ascii_case(v) => PairDiff::CaseOnlyValue(have),
                Some(have) => PairDiff::OtherValue(have),
                None => labels
                    .and_then(|l| l.iter().find(|(lk, _)| lk.eq_ignore_ascii_case(k)))
                    .map_or(PairDiff::Missing, |(lk, lv)| {
                        PairDiff::CaseOnlyKey(lk.as_str(), lv.as_str())
                    }),
            };
            (k.as_str(), v.as_str(), d)
        })
        .collect();
    let satisfied = diffs.iter().filter(|d| d.2 == PairDiff::Satisfied).count();
    let mut near = NearMiss {
        pod,
        diffs,
        satisfied,
        rank: (0, 0, 0),
    };
    near.rank = near.ranked();
    near
}

impl NearMiss<'_> {
    /// Ranking: pairs satisfied, then pairs that differ only in case, then how
    /// alike the differing values are (`backend-api` is close to `backend`).
    fn ranked(&self) -> (usize, usize, u32) {
        let close = self
            .diffs
            .iter()
            .filter(|(_, v, d)| match d {
                PairDiff::CaseOnlyValue(_) => true,
                PairDiff::CaseOnlyKey(_, lv) => lv.eq_ignore_ascii_case(v),
                _ => false,
            })
            .count();
        (self.satisfied, close, (self.similarity() * 1000.0) as u32)
    }

    /// The best likeness (0..1) of a differing value to the wanted one.
    fn similarity(&self) -> f64 {
        self.diffs
            .iter()
            .filter_map(|(_, v, d)| match d {
                PairDiff::OtherValue(have) | PairDiff::CaseOnlyKey(_, have) => {
                    Some(value_likeness(have, v))
                }
                _ => None,
            })
            .fold(0.0, f64::max)
    }

    /// Whether this pod is plausibly the one the selector meant, so that a
    /// fix may point the selector at it (never at an unrelated app).
    fn plausible(&self) -> bool {
        let (satisfied, close, likeness) = self.rank;
        satisfied > 0 || close > 0 || likeness >= 500
    }

    /// `pod backend-6d4f9c-xk2p9 has app=backend-api (wanted app=backend)`.
    fn describe(&self) -> String {
        let parts: Vec<String> = self
            .diffs
            .iter()
            .filter_map(|(k, v, d)| match d {
                PairDiff::Satisfied => None,
                PairDiff::OtherValue(have) => {
                    Some(format_exact!("has {k}={have} (wanted {k}={v})"))
                }
                PairDiff::CaseOnlyValue(have) => Some(format_exact!(
                    "has {k}={have} (wanted {k}={v}: the value differs only in case)"
                )),
                PairDiff::CaseOnlyKey(lk, lv) if lv == v => Some(format_exact!(
                    "has {lk}={lv} (wanted {k}={v}: the key differs only in case)"
                )),
                PairDiff::CaseOnlyKey(lk, lv) => {
                    Some(format_exact!("has {lk}={lv} (wanted {k}={v})"))
                }
                PairDiff::Missing => Some(format_exact!("has no label {k} (wanted {k}={v})")),
            })
            .collect();
        let name = pod_status::name(self.pod);
        if self.diffs.len() > 1 {
            format_exact!(
                "pod {name} satisfies {} of {} pairs: {}",
                self.satisfied,
                self.diffs.len(),
                parts.join("; ")
            )
        } else {
            format_exact!("pod {name} {}", parts.join("; "))
        }
    }

    /// The selector rewritten to what this pod carries (pairs it lacks dropped).
    fn selector_for_pod(&self) -> StringMap {
        self.diffs
            .iter()
            .filter_map(|(k, v, d)| match d {
                PairDiff::Satisfied => Some((k.to_string(), v.to_string())),
                PairDiff::OtherValue(have) | PairDiff::CaseOnlyValue(have) => {
                    Some((k.to_string(), have.to_string()))
                }
                PairDiff::CaseOnlyKey(lk, lv) => Some((lk.to_string(), lv.to_string())),
                PairDiff::Missing => None,
            })
            .collect()
    }
}

/// SEL-001: zero pods in the Service's namespace match its selector.
fn check_selector(ctx: &ServiceCtx<'_>, sel: &StringMap) -> Vec<Finding> {
    if !ctx.pods.is_empty() {
        return Vec::new();
    }
    let idx = ctx.idx;
    let ns = ctx.namespace;
    let message = match sel.iter().next() {
        Some((k, v)) if sel.len() == 1 => format_exact!("no pod in {ns} has label {k}={v}"),
        _ => format_exact!("no pod in {ns} matches selector {}", selector_text(sel)),
    };
    let mut f = Finding::error("SEL-001", message);

    // A workload whose template matches but that has no pods: SEL-002 says why.
    let matching_workloads: Vec<Workload<'_>> = idx
        .workloads_in(ns)
        .iter()
        .filter(|w| labels_match(w.template_labels(), sel))
        .copied()
        .collect();
    for w in &matching_workloads {
        f = f.evidence(format_exact!(
            "{} {}'s pod template matches the selector, but it has no pods (desired replicas: {})",
            w.kind(),
            w.name(),
            w.replicas()
                .map_or_else(|| "per node".to_string(), |r| r.to_string())
        ));
    }

    // Closest pods: those carrying at least one of the selector's keys. The
    // comparison depends on the labels alone, and replicas share one pooled
    // label map: each distinct map is compared (edit distances) once.
    let mut near: Vec<NearMiss<'_>> = Vec::new();
    let mut compared: foldhash::HashMap<Option<*const StringMap>, usize> = Default::default();
    for p in idx.pods_with_a_key_of(ns, sel) {
        let labels = p.metadata.labels.as_ref().map(Shared::as_ptr);
        match compared.get(&labels) {
            Some(&at) => {
                let same = NearMiss {
                    pod: p,
                    diffs: near[at].diffs.clone(),
                    ..near[at]
                };
                near.push(same);
            }
            None => {
                compared.insert(labels, near.len());
                near.push(diff_pod(p, sel));
            }
        }
    }
    near.sort_by(|a, b| {
        b.rank
            .cmp(&a.rank)
            .then_with(|| pod_status::name(a.pod).cmp(pod_status::name(b.pod)))
    });
    // One line per distinct owner and label difference: replicas look alike.
    // Plausible near misses when there are any; else a few pods for context
    // (what the labels in the namespace look like). None when a workload's
    // template matches: the labels are right, SEL-002 says why there are no pods.
    let plausible = near.iter().any(NearMiss::plausible);
    let limit = match (matching_workloads.is_empty(), plausible) {
        (false, _) => 0,
        (true, true) => NEAR_MISSES,
        (true, false) => 3,
    };
    let mut shown = BTreeSet::new();
    for n in near.iter().filter(|n| !plausible || n.plausible()) {
        if shown.len() >= limit {
            break;
        }
        if shown.insert((pod_status::owner_group(idx, n.pod), n.describe_key())) {
            f = f.evidence(n.describe());
        }
    }
    if near.is_empty() && matching_workloads.is_empty() {
        let keys: Vec<&str> = sel.keys().map(CompactString::as_str).collect();
        f = f.evidence(format_exact!(
            "no pod in {ns} has any label with key {}",
            keys.join(" or ")
        ));
    }

    // Exact matches elsewhere: selectors never cross namespaces.
    let elsewhere = idx.select_pods_elsewhere(ns, sel);
    let mut other_ns: Vec<&str> = elsewhere
        .iter()
        .filter_map(|p| p.metadata.namespace.as_deref())
        .collect();
    other_ns.dedup();
    for other in &other_ns {
        let pods: Vec<&str> = elsewhere
            .iter()
            .filter(|p| p.metadata.namespace.as_deref() == Some(*other))
            .map(|p| pod_status::name(p))
            .collect();
        f = f.evidence(format_exact!(
            "{} pod{} in namespace {other} match{} exactly ({}), but a selector only picks pods in the Service's own namespace",
            pods.len(),
            plural(pods.len()),
            if pods.len() == 1 { "es" } else { "" },
            pods.iter().take(3).copied().collect::<Vec<_>>().join(", ")
        ));
    }

    if !matching_workloads.is_empty() {
        // The labels are right; the workload has no pods (see SEL-002).
        return vec![f];
    }
    let mut out = Vec::new();
    match near.first().filter(|n| n.plausible()) {
        Some(best) => {
            let (f, alt) = label_fixes(ctx, best, f);
            out.push(f);
            out.extend(alt);
        }
        None => {
            if let [other] = other_ns.as_slice() {
                f = f.fix(move_fix(ctx, other));
            }
            out.push(f);
        }
    }
    out
}

/// How alike two label values are (0..1): normalized edit distance, and
/// containment (`backend` in `backend-api`) counts as alike.
fn value_likeness(a: &str, b: &str) -> f64 {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    if !a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a)) {
        return 0.9;
    }
    strsim::normalized_levenshtein(&a, &b)
}

impl NearMiss<'_> {
    /// The label difference without the pod name, to fold alike replicas.
    fn describe_key(&self) -> String {
        format_exact!("{:?}", self.diffs)
    }
}

/// The two label fixes for the closest pod: change the Service selector to
/// its labels (the SEL-001 error's fix), or change its workload's template
/// labels to the selector (an SEL-001 info with the alternative). Never
/// relabel only the pods: the workload would recreate them unlabelled.
fn label_fixes(
    ctx: &ServiceCtx<'_>,
    best: &NearMiss<'_>,
    mut f: Finding,
) -> (Finding, Option<Finding>) {
    let idx = ctx.idx;
    let new_sel = best.selector_for_pod();
    let owner = idx.top_owner(best.pod);
    let mut primary = None;
    if !new_sel.is_empty() {
        let would = idx.select_pods(ctx.namespace, &new_sel);
        let mut owners: Vec<String> = would.iter().map(|p| idx.owner_label(p)).collect();
        owners.sort();
        owners.dedup();
        f = f.evidence(format_exact!(
            "selector {} would match {} pod{} ({})",
            selector_text(&new_sel),
            would.len(),
            plural(would.len()),
            owners.join(", ")
        ));
        let patch = json!([{"op": "replace", "path": "/spec/selector", "value": new_sel}]);
        primary = Some(fix(
            format_exact!(
                "point the selector at the pods' labels ({})",
                selector_text(&new_sel)
            ),
            [patch_service(ctx, &patch)],
        ));
    }
    let mut template = None;
    if let Some(w) = owner {
        let pinned = w.match_labels();
        let wanted: Vec<(&str, &str)> = best
            .diffs
            .iter()
            .filter(|d| d.2 != PairDiff::Satisfied)
            .map(|d| (d.0, d.1))
            .collect();
        let conflict: Vec<String> = wanted
            .iter()
            .filter_map(|(k, v)| {
                pinned
                    .and_then(|m| m.get(k))
                    .filter(|have| have.as_str() != *v)
                    .map(|have| format_exact!("{k}={have}"))
            })
            .collect();
        if conflict.is_empty() && w.template().is_some() {
            let ops: Vec<Value> = wanted
                .iter()
                .map(|(k, v)| {
                    json!({
                        "op": "add",
                        "path": format_exact!("/spec/template/metadata/labels/{}", json_pointer_token(k)),
                        "value": v,
                    })
                })
                .collect();
            template = Some(fix(
                format_exact!(
                    "give {} {}'s pod template the selector's labels (this rolls out new pods)",
                    w.kind(),
                    w.name()
                ),
                [json_patch(
                    ctx.namespace,
                    w.resource(),
                    w.name(),
                    &Value::Array(ops),
                )],
            ));
        } else if !conflict.is_empty() {
            f = f.evidence(format_exact!(
                "{} {}'s own selector requires {} and cannot change, so relabelling its template would be rejected",
                w.kind(),
                w.name(),
                conflict.join(",")
            ));
        }
    } else {
        f = f.evidence(format_exact!(
            "pod {} has no workload owner svc-doctor can patch; relabelling the pod alone is only a quick test (kubectl label)",
            pod_status::name(best.pod)
        ));
    }
    match (primary, template) {
        (Some(p), Some(t)) => {
            let alt = Finding::info(
                "SEL-001",
                "alternatively, keep the selector and relabel the workload's pod template",
            )
            .fix(t);
            (f.fix(p), Some(alt))
        }
        (Some(p), None) => (f.fix(p), None),
        (None, Some(t)) => (f.fix(t), None),
        (None, None) => (f, None),
    }
}

/// The pods exist, in another namespace: create the Service there (a copy of
/// this one's selector and ports), unless a Service of that name exists there.
fn move_fix(ctx: &ServiceCtx<'_>, other: &str) -> super::report::Fix {
    if ctx.idx.service(other, ctx.name).is_some() {
        return fix(
            format_exact!(
                "Service {} already exists in {other}, where the pods run: have clients use {}.{other}.svc.{}",
                ctx.name,
                ctx.name,
                ctx.dns.domain
            ),
            [],
        );
    }
    let ports: Vec<Value> = endpoint_rules::service_ports(ctx.svc)
        .iter()
        .map(|p| {
            let mut port = json!({
                "port": p.port,
                "protocol": endpoint_rules::protocol(p.protocol.as_deref()),
                "targetPort": match endpoint_rules::target_of(p) {
                    endpoint_rules::Target::Number(n) => json!(n),
                    endpoint_rules::Target::Name(n) => json!(n),
                },
            });
            if let Some(name) = p.name.as_deref().filter(|n| !n.is_empty()) {
                port["name"] = json!(name);
            }
            port
        })
        .collect();
    let manifest = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": ctx.name, "namespace": other},
        "spec": {"selector": ctx.selector, "ports": ports},
    });
    fix(
        format_exact!(
            "create {} in {other}, where the pods run, and have clients use {}.{other}.svc.{}",
            ctx.name,
            ctx.name,
            ctx.dns.domain
        ),
        [Kubectl::new()
            .lit("apply")
            .lit("-f")
            .lit("-")
            .stdin_manifest(&manifest)],
    )
}

// ---------------------------------------------------------------- SEL-002

/// SEL-002: the Deployments/StatefulSets behind the selector. Without pods,
/// the namespace's workloads whose template matches; with pods, their owners.
/// `availableReplicas < replicas` warns here only when pods are *missing*
/// (fewer exist than desired): pods that exist but are not ready are the
/// `pods` step's to explain (DESIGN §2: readiness belongs to `pods`).
fn check_workloads(ctx: &ServiceCtx<'_>, sel: &StringMap) -> Vec<Finding> {
    let idx = ctx.idx;
    // The top owner of each selected pod (in `ctx.pods`' order).
    let owners = ctx.owners();
    let mut workloads: Vec<Workload<'_>> = if ctx.pods.is_empty() {
        idx.workloads_in(ctx.namespace)
            .iter()
            .filter(|w| labels_match(w.template_labels(), sel))
            .copied()
            .collect()
    } else {
        owners.iter().flatten().copied().collect()
    };
    workloads.sort_by_key(|w| (w.kind(), w.name()));
    workloads.dedup_by_key(|w| (w.kind(), w.name()));
    let mut out = Vec::new();
    for w in workloads {
        let (replicas, available, stuck) = match w {
            Workload::Deployment(d) => {
                let st = d.status.as_ref();
                let stuck = st
                    .and_then(|s| s.conditions.as_ref())
                    .into_iter()
                    .flatten()
                    .find(|c| {
                        c.type_ == "Progressing"
                            && c.status == "False"
                            && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
                    })
                    .map(|c| c.message.clone().unwrap_or_default());
                (
                    w.replicas().unwrap_or(1),
                    st.and_then(|s| s.available_replicas).unwrap_or(0),
                    stuck,
                )
            }
            Workload::StatefulSet(s) => (
                w.replicas().unwrap_or(1),
                s.status
                    .as_ref()
                    .and_then(|s| s.available_replicas)
                    .unwrap_or(0),
                None,
            ),
            _ => continue,
        };
        let scale = |n: i32| {
            Kubectl::in_namespace(ctx.namespace)
                .lit("scale")
                .lit(w.resource())
                .arg(w.name())
                .lit(&format_exact!("--replicas={n}"))
        };
        if replicas == 0 {
            out.push(
                Finding::error(
                    "SEL-002",
                    format_exact!(
                        "{} {} is scaled to 0 replicas: nothing backs the Service",
                        w.resource(),
                        w.name()
                    ),
                )
                .evidence(format_exact!(
                    "its pod template matches selector {}",
                    selector_text(sel)
                ))
                .fix(fix(
                    format_exact!(
                        "scale {} {} back up (1 replica here; set the count it needs)",
                        w.resource(),
                        w.name()
                    ),
                    [scale(1)],
                )),
            );
            continue;
        }
        let pods = ctx
            .pods_and_owners()
            .filter(|(p, _)| !pod_status::is_terminal(p))
            .filter(|(_, o)| o.is_some_and(|o| o.kind() == w.kind() && o.name() == w.name()))
            .count();
        if available < replicas && (pods as i64) < i64::from(replicas) {
            let mut f = Finding::warning(
                "SEL-002",
                format_exact!(
                    "{} {} wants {replicas} replica{} but has {pods} pod{} ({available} available)",
                    w.resource(),
                    w.name(),
                    plural(replicas as usize),
                    plural(pods)
                ),
            );
            if let Workload::Deployment(d) = w {
                for c in d
                    .status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .into_iter()
                    .flatten()
                    .filter(|c| c.type_ == "ReplicaFailure" && c.status == "True")
                {
                    f = f.evidence(format_exact!(
                        "ReplicaFailure {}: {}",
                        c.reason.as_deref().unwrap_or(""),
                        c.message.as_deref().unwrap_or("")
                    ));
                }
            }
            out.push(f.fix(fix(
                "see why the controller cannot create the pods (quota, admission, FailedCreate events)",
                [Kubectl::in_namespace(ctx.namespace)
                    .lit("describe")
                    .lit(w.resource())
                    .arg(w.name())],
            )));
        }
        if let Some(msg) = stuck {
            out.push(
                Finding::warning(
                    "SEL-002",
                    format_exact!(
                        "rollout of {} {} exceeded its progress deadline",
                        w.resource(),
                        w.name()
                    ),
                )
                .evidence(format_exact!("Progressing=False ProgressDeadlineExceeded: {msg}"))
                .fix(fix(
                    "see what blocks the new pods (the pods step shows them); roll back if the new version is broken",
                    [
                        Kubectl::in_namespace(ctx.namespace)
                            .lit("rollout")
                            .lit("status")
                            .arg(w.kubectl_ref()),
                        Kubectl::in_namespace(ctx.namespace)
                            .lit("rollout")
                            .lit("undo")
                            .arg(w.kubectl_ref()),
                    ],
                )),
            );
        }
    }
    out
}

// ---------------------------------------------------------------- SEL-003

/// SEL-003: the selected pods belong to more than one top-level owner.
fn check_owners(ctx: &ServiceCtx<'_>, sel: &StringMap) -> Vec<Finding> {
    let groups = pod_status::by_known_owner(
        ctx.pods_and_owners()
            .filter(|(p, _)| !pod_status::is_terminal(p)),
    );
    if groups.len() < 2 {
        return Vec::new();
    }
    let mut ranked: Vec<(&String, &Vec<&Pod>)> = groups.iter().map(|(o, g)| (o, &g.pods)).collect();
    ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let owners: Vec<String> = ranked
        .iter()
        .map(|(o, pods)| format_exact!("{o} ({} pod{})", pods.len(), plural(pods.len())))
        .collect();
    let mut f = Finding::warning(
        "SEL-003",
        format_exact!(
            "selector {} matches pods of {} owners: {}",
            selector_text(sel),
            groups.len(),
            owners.join(", ")
        ),
    );
    for (owner, pods) in &ranked {
        f = f.evidence(format_exact!(
            "{owner}: {}",
            pods.iter()
                .take(3)
                .map(|p| pod_status::name(p))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    // A label every pod of the largest owner has and no other selected pod has.
    let (main_owner, main) = ranked[0];
    let others: Vec<&Pod> = ranked[1..]
        .iter()
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    let distinguishing = main[0]
        .metadata
        .labels
        .iter()
        .flatten()
        .filter(|(k, _)| !sel.contains_key(k) && !REVISION_LABELS.contains(&k.as_str()))
        .find(|(k, v)| {
            main.iter()
                .all(|p| p.metadata.labels.as_deref().and_then(|l| l.get(k)) == Some(*v))
                && others
                    .iter()
                    .all(|p| p.metadata.labels.as_deref().and_then(|l| l.get(k)) != Some(*v))
        });
    if let Some((k, v)) = distinguishing {
        let patch = json!([{
            "op": "add",
            "path": format_exact!("/spec/selector/{}", json_pointer_token(k)),
            "value": v,
        }]);
        f = f.fix(fix(
            format_exact!("narrow the selector to {main_owner}'s pods with {k}={v}"),
            [patch_service(ctx, &patch)],
        ));
    }
    vec![f]
}

// ---------------------------------------------------------------- SEL-004

/// SEL-004: exactly one endpoint (selector Services only; a hand-written
/// slice with one address is usually deliberate).
fn check_single_backend(ctx: &ServiceCtx<'_>, backends: &Backends<'_>) -> Vec<Finding> {
    if backends.distinct() != 1 {
        return Vec::new();
    }
    let Some(ep) = backends.endpoints.first() else {
        return Vec::new();
    };
    let pod = ctx.pods.iter().find(|p| ep.is_pod(p)).copied();
    let who = pod.map_or_else(
        || ep.addresses.first().copied().unwrap_or("").to_string(),
        |p| format_exact!("pod {}", pod_status::name(p)),
    );
    let mut f = Finding::warning(
        "SEL-004",
        format_exact!(
            "service {} has a single endpoint ({who}): a restart or eviction leaves it with none",
            ctx.name
        ),
    );
    if let Some(w) = pod.and_then(|p| ctx.idx.top_owner(p))
        && matches!(w, Workload::Deployment(_) | Workload::StatefulSet(_))
    {
        f = f.fix(fix(
            format_exact!("run a second replica of {} {}", w.resource(), w.name()),
            [Kubectl::in_namespace(ctx.namespace)
                .lit("scale")
                .lit(w.resource())
                .arg(w.name())
                .lit("--replicas=2")],
        ));
    }
    vec![f]
}

// ---------------------------------------------------------------- EP-001/EP-002

/// EP-001 and EP-002: the slices should list every selected pod that is not
/// terminal and has an IP.
fn check_listing(ctx: &ServiceCtx<'_>, backends: &Backends<'_>) -> Vec<Finding> {
    if ctx.pods.is_empty() {
        return Vec::new();
    }
    let idx = ctx.idx;
    let svc = ctx.svc;
    let mut not_yet: BTreeMap<&'static str, Vec<&str>> = BTreeMap::new();
    let mut with_ip: Vec<(&Pod, Result<(), Unlisted>)> = Vec::new();
    let families = endpoint_rules::service_families(svc);
    for p in &ctx.pods {
        match endpoint_rules::expected_listing(idx, svc, &families, p) {
            Err(Unlisted::Terminal(_)) => not_yet
                .entry("terminated")
                .or_default()
                .push(pod_status::name(p)),
            Err(Unlisted::NoIp) => not_yet
                .entry("without an IP yet")
                .or_default()
                .push(pod_status::name(p)),
            other => with_ip.push((p, other)),
        }
    }
    // The table is evidence of the two errors below only: most Services
    // have neither, and do not format it.
    if with_ip.is_empty() {
        let parts: Vec<String> = not_yet
            .iter()
            .map(|(why, pods)| format_exact!("{} {why} ({})", pods.len(), pods.join(", ")))
            .collect();
        return vec![
            Finding::info(
                "EP-001",
                format_exact!(
                    "no selected pod can be listed yet: {}; the pods step says why",
                    parts.join(", ")
                ),
            )
            .evidence_lines(endpoint_table(ctx, backends)),
        ];
    }
    let listed = backends.listed();
    let (listed, missing): (Vec<_>, Vec<_>) =
        with_ip.into_iter().partition(|(p, _)| listed.contains(p));
    let reasons: Vec<String> = missing
        .iter()
        .map(|(p, why)| {
            let ips = endpoint_rules::pod_ips(p).join(",");
            let cause = match why {
                Err(u) => u.describe(),
                Ok(_) => unresolved_ports(ctx, p).unwrap_or_else(|| {
                    "is eligible: the EndpointSlice controller has not listed it (not caught up, or a hand-written slice omits it)".to_string()
                }),
            };
            format_exact!("pod {} ({ips}) {cause}", pod_status::name(p))
        })
        .collect();
    if listed.is_empty() {
        let managed: Vec<String> = ctx
            .slices
            .iter()
            .map(|s| {
                let by = s
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(MANAGED_BY))
                    .map_or("nobody", CompactString::as_str);
                format_exact!(
                    "slice {} (managed by {by}) lists {} endpoint{}",
                    s.metadata.name.as_deref().unwrap_or(""),
                    s.endpoints.len(),
                    plural(s.endpoints.len())
                )
            })
            .collect();
        let mut f = Finding::error(
            "EP-001",
            format_exact!(
                "{} selected pod{} with an IP, but no {} of {} lists any of them",
                missing.len(),
                plural(missing.len()),
                if backends.from_v1 {
                    "Endpoints"
                } else {
                    "EndpointSlice"
                },
                ctx.name
            ),
        )
        .evidence_lines(reasons);
        if managed.is_empty() {
            f = f.evidence(if backends.from_v1 {
                format_exact!("no Endpoints object named {} exists", ctx.name)
            } else {
                format_exact!(
                    "no EndpointSlice labelled {SERVICE_NAME_LABEL}={} exists",
                    ctx.name
                )
            });
        }
        f = f
            .evidence_lines(managed)
            .evidence_lines(endpoint_table(ctx, backends));
        return vec![f.fix(fix(
            "inspect the slices: endpoints of a Service with a selector come from the EndpointSlice controller (kube-controller-manager); a hand-written slice for it is ignored or fights the controller",
            [Kubectl::in_namespace(ctx.namespace)
                .lit("get")
                .lit("endpointslices")
                .lit("-l")
                .arg(format_exact!("{SERVICE_NAME_LABEL}={}", ctx.name))
                .lit("-o")
                .lit("yaml")],
        ))];
    }
    if missing.is_empty() {
        return Vec::new();
    }
    vec![
        Finding::warning(
            "EP-002",
            format_exact!(
                "{} of {} selected pods with an IP {} missing from the {} of {}",
                missing.len(),
                missing.len() + listed.len(),
                if missing.len() == 1 { "is" } else { "are" },
                backends.source(),
                ctx.name
            ),
        )
        .evidence_lines(reasons),
    ]
}

/// When a pod lacks every named targetPort of the Service, why (EP-002).
fn unresolved_ports(ctx: &ServiceCtx<'_>, pod: &Pod) -> Option<String> {
    let unresolved: Vec<String> = endpoint_rules::service_ports(ctx.svc)
        .iter()
        .filter(|sp| endpoint_rules::resolve(pod.spec.as_ref(), sp).is_none())
        .map(|sp| {
            format_exact!(
                "{} (targetPort {})",
                endpoint_rules::service_port_text(sp),
                endpoint_rules::target_text(sp)
            )
        })
        .collect();
    (!unresolved.is_empty()).then(|| {
        format_exact!(
            "does not resolve the named port of {}, so the controller has no port for it",
            unresolved.join(", ")
        )
    })
}

/// Service port × IP family × {ready, serving only, terminating}.
fn endpoint_table(ctx: &ServiceCtx<'_>, backends: &Backends<'_>) -> Vec<String> {
    let families = endpoint_rules::service_families(ctx.svc);
    let mut out = Vec::new();
    for sp in endpoint_rules::service_ports(ctx.svc) {
        let name = sp.name.as_deref().unwrap_or("");
        for fam in &families {
            let eps: Vec<_> = backends
                .endpoints
                .iter()
                .filter(|e| e.family == Some(*fam) && e.port_names.contains(&name))
                .collect();
            out.push(format_exact!(
                "port {} → {}, {}: {} ready, {} serving only, {} terminating",
                endpoint_rules::service_port_text(sp),
                endpoint_rules::target_text(sp),
                fam.as_str(),
                eps.iter().filter(|e| e.ready).count(),
                eps.iter().filter(|e| e.serving && !e.ready).count(),
                eps.iter().filter(|e| e.terminating).count()
            ));
        }
    }
    out
}

// ---------------------------------------------------------------- SEL-005

/// SEL-005: a Service without a selector has only the endpoints someone
/// publishes by hand.
fn check_selectorless(ctx: &ServiceCtx<'_>, backends: &Backends<'_>) -> Vec<Finding> {
    if let Some(f) = slices_not_evaluated(ctx, "SEL-005") {
        return vec![f];
    }
    let idx = ctx.idx;
    let families = endpoint_rules::service_families(ctx.svc);
    let mut out = Vec::new();
    if ctx.slices.is_empty() && idx.snap.serves_endpoint_slices {
        if let Some(ep) = idx.endpoints(ctx.namespace, ctx.name) {
            let addresses: usize = ep
                .subsets
                .iter()
                .flatten()
                .map(|s| s.addresses.as_ref().map_or(0, Vec::len))
                .sum();
            let mut f = Finding::warning(
                "SEL-005",
                format_exact!(
                    "service {} has only a v1 Endpoints object ({addresses} address{}): kube-proxy reads EndpointSlices",
                    ctx.name,
                    if addresses == 1 { "" } else { "es" }
                ),
            )
            .evidence("v1 Endpoints is deprecated since Kubernetes 1.33; the mirroring controller copies custom Endpoints into slices unless told not to");
            if ep.metadata.labels.as_deref().is_some_and(|l| {
                l.get("endpointslice.kubernetes.io/skip-mirror")
                    .map(CompactString::as_str)
                    == Some("true")
            }) {
                f = f
                    .evidence("the Endpoints carries endpointslice.kubernetes.io/skip-mirror=true");
            }
            out.push(f.fix(fix(
                "publish the addresses in an EndpointSlice labelled with the Service's name",
                [],
            )));
            return out;
        }
        let mut f = Finding::error(
            "SEL-005",
            format_exact!(
                "service {} has no selector and no EndpointSlice: nothing receives its traffic",
                ctx.name
            ),
        );
        let near = near_miss_slices(ctx);
        let relabel = near.first().map(|(slice, _)| *slice);
        f = f.evidence_lines(near.iter().map(|(_, line)| line.clone()));
        if let Some(slice) = relabel {
            f = f.fix(fix(
                format_exact!("label slice {slice} with the Service's name"),
                [Kubectl::in_namespace(ctx.namespace)
                    .lit("label")
                    .lit("endpointslice")
                    .arg(slice)
                    .arg(format_exact!("{SERVICE_NAME_LABEL}={}", ctx.name))
                    .lit("--overwrite")],
            ));
        } else {
            f = f.fix(fix(
                format_exact!(
                    "add a selector matching the backend pods, or publish the backends in an EndpointSlice labelled {SERVICE_NAME_LABEL}={}",
                    ctx.name
                ),
                [],
            ));
        }
        out.push(f);
        return out;
    }
    if !backends.endpoints.iter().any(|e| e.ready) {
        out.push(
            Finding::error(
                "SEL-005",
                format_exact!(
                    "service {} has no selector and none of its {} hand-managed endpoint{} is ready",
                    ctx.name,
                    backends.endpoints.len(),
                    plural(backends.endpoints.len())
                ),
            )
            .evidence_lines(
                backends
                    .endpoints
                    .iter()
                    .take(5)
                    .map(|e| format_exact!("{} ready=false", e.addresses.join(","))),
            ),
        );
    }
    let port_names: BTreeSet<&str> = endpoint_rules::service_ports(ctx.svc)
        .iter()
        .map(|p| p.name.as_deref().unwrap_or(""))
        .collect();
    for s in ctx.slices {
        let slice = s.metadata.name.as_deref().unwrap_or("");
        for p in s.ports.iter().flatten() {
            let name = p.name.as_deref().unwrap_or("");
            if !port_names.contains(name) {
                out.push(slice_port_finding("SEL-005", ctx, slice, name, &port_names));
            }
        }
        match Family::parse(&s.address_type) {
            Some(f) if families.contains(&f) => {}
            _ => out.push(Finding::error(
                "SEL-005",
                format_exact!(
                    "slice {slice} has addressType {} but the Service's ipFamilies are {}: kube-proxy ignores it",
                    s.address_type,
                    endpoint_rules::families_text(&families)
                ),
            )),
        }
    }
    out
}

/// A slice port whose name matches no Service port: kube-proxy pairs slice
/// ports with Service ports by name, so that port gets no backends (shared
/// by SEL-005 and PORT-003).
pub fn slice_port_finding(
    check: &'static str,
    ctx: &ServiceCtx<'_>,
    slice: &str,
    name: &str,
    service_ports: &BTreeSet<&str>,
) -> Finding {
    let shown = |n: &str| {
        if n.is_empty() {
            "(unnamed)".to_string()
        } else {
            n.to_string()
        }
    };
    Finding::error(
        check,
        format_exact!(
            "slice {slice} has port {} but service {} has no port of that name: kube-proxy matches them by name",
            shown(name),
            ctx.name
        ),
    )
    .evidence(format_exact!(
        "Service port names: {}",
        service_ports
            .iter()
            .map(|n| shown(n))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Slices in the namespace that were probably meant for this Service: their
/// service-name label is within edit distance 2, or absent on a slice whose
/// name starts with the Service's name.
fn near_miss_slices<'a>(ctx: &ServiceCtx<'a>) -> Vec<(&'a str, String)> {
    let mut out = Vec::new();
    for s in ctx.idx.slices_in(ctx.namespace) {
        let slice = s.metadata.name.as_deref().unwrap_or("");
        match s
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(SERVICE_NAME_LABEL))
        {
            Some(v) if v != ctx.name && strsim::levenshtein(v, ctx.name) <= 2 => out.push((
                slice,
                format_exact!(
                    "slice {slice} has {SERVICE_NAME_LABEL}={v} (wanted {})",
                    ctx.name
                ),
            )),
            None if slice.starts_with(ctx.name) => out.push((
                slice,
                format_exact!("slice {slice} has no {SERVICE_NAME_LABEL} label"),
            )),
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------- EP-005/EP-006

/// EP-005: controller-managed slices owned by another uid than this Service:
/// left over from a Service deleted and recreated under the same name.
fn check_stale_slices(ctx: &ServiceCtx<'_>) -> Vec<Finding> {
    let Some(uid) = ctx.svc.metadata.uid.as_deref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in ctx.slices {
        let managed = s
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(MANAGED_BY))
            .is_some_and(|m| m == CONTROLLER);
        let owner = s
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.kind == "Service");
        let Some(owner) = owner.filter(|o| managed && o.uid != uid) else {
            continue;
        };
        let slice = s.metadata.name.as_deref().unwrap_or("");
        out.push(
            Finding::warning(
                "EP-005",
                format_exact!(
                    "slice {slice} belongs to an earlier Service {} (uid {}, now {uid}): the Service was recreated",
                    ctx.name, owner.uid
                ),
            )
            .evidence(format_exact!(
                "managed by {CONTROLLER}, owner uid {} ≠ Service uid {uid}",
                owner.uid
            ))
            .fix(fix(
                "delete the stale slice; the controller keeps the current Service's slices",
                [Kubectl::in_namespace(ctx.namespace)
                    .lit("delete")
                    .lit("endpointslice")
                    .arg(slice)],
            )),
        );
    }
    out
}

/// EP-006: publishNotReadyAddresses on a Service with a virtual IP sends
/// traffic to pods that are not ready. On a headless Service it is the usual
/// way to let StatefulSet peers find each other before they are ready.
fn check_publish_not_ready(ctx: &ServiceCtx<'_>) -> Vec<Finding> {
    if !endpoint_rules::publishes_not_ready(ctx.svc) || ctx.is_headless() {
        return Vec::new();
    }
    let patch =
        json!([{"op": "replace", "path": "/spec/publishNotReadyAddresses", "value": false}]);
    vec![
        Finding::warning(
            "EP-006",
            format_exact!(
                "service {} sets publishNotReadyAddresses: pods receive traffic before they are ready",
                ctx.name
            ),
        )
        .evidence("every endpoint is published ready=true whatever the pod's readiness")
        .fix(fix(
            "stop publishing unready pods",
            [patch_service(ctx, &patch)],
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::report::{Severity, Status, StepId};
    use super::super::testing::*;

    const SEL_001: &str = include_str!("../../tests/fixtures/engine/endpoints/sel-001.yaml");
    const FORBIDDEN_PODS: &str =
        include_str!("../../tests/fixtures/engine/endpoints/forbidden-pods.yaml");

    fn endpoints<'r>(
        r: &'r super::super::report::Report,
        ns: &str,
        name: &str,
    ) -> &'r super::super::report::StepReport {
        step(r, ns, name, StepId::Endpoints)
    }

    #[test]
    fn healthy_services_pass_without_findings() {
        let r = run(&[BASE]);
        for (ns, name) in [("shop", "web"), ("kube-system", "kube-dns")] {
            let s = endpoints(&r, ns, name);
            assert_status(s, Status::Pass);
            assert!(s.findings.is_empty(), "{s:#?}");
        }
    }

    #[test]
    fn sel_001_guide_problem_1_selector_mismatch() {
        let r = run(&[BASE, SEL_001]);
        let s = endpoints(&r, "default", "backend-service");
        assert_status(s, Status::Fail);
        let f = &s.findings[0];
        assert_eq!(f.check, "SEL-001");
        assert_eq!(f.message, "no pod in default has label app=backend");
        assert!(
            f.evidence.contains(
                &"pod backend-6d4f9c-xk2p9 has app=backend-api (wanted app=backend)".to_string()
            ),
            "{f:#?}"
        );
        let fix = f.fix.as_ref().expect("selector fix");
        assert_eq!(
            fix.commands,
            [
                r#"kubectl -n default patch service backend-service --type=json -p '[{"op":"replace","path":"/spec/selector","value":{"app":"backend-api"}}]'"#
            ]
        );
        // The Deployment pins app=backend-api in its immutable selector: no template fix.
        assert!(
            f.evidence
                .iter()
                .any(|e| e.contains("Deployment backend's own selector requires app=backend-api")),
            "{f:#?}"
        );
        assert_eq!(checks(s).iter().filter(|c| c.0 == "SEL-001").count(), 1);
        // Nothing selected and the step failed: pods are blocked.
        assert_status(
            step(&r, "default", "backend-service", StepId::Pods),
            Status::Blocked,
        );
    }

    #[test]
    fn sel_001_per_key_diff_and_template_patch_with_pointer_escaping() {
        let r = run(&[BASE, SEL_001]);
        let s = endpoints(&r, "labels", "shop-api");
        assert_status(s, Status::Fail);
        let f = &s.findings[0];
        assert_eq!(
            f.message,
            "no pod in labels matches selector app=api,app.kubernetes.io/component=backend"
        );
        assert!(f.evidence.contains(&"pod api-7f-abcde satisfies 1 of 2 pairs: has no label app.kubernetes.io/component (wanted app.kubernetes.io/component=backend)".to_string()), "{f:#?}");
        let alt = s
            .findings
            .iter()
            .find(|f| f.check == "SEL-001" && f.severity == Severity::Info)
            .expect("template alternative");
        assert_eq!(
            alt.fix.as_ref().unwrap().commands,
            [
                r#"kubectl -n labels patch deployment api --type=json -p '[{"op":"add","path":"/spec/template/metadata/labels/app.kubernetes.io~1component","value":"backend"}]'"#
            ]
        );
        // Never relabel the pods themselves.
        assert!(
            s.findings
                .iter()
                .flat_map(|f| f.fix.iter())
                .flat_map(|f| &f.commands)
                .all(|c| !c.contains(" label pod"))
        );
    }

    #[test]
    fn sel_001_case_only_differences() {
        let r = run(&[BASE, SEL_001]);
        let s = endpoints(&r, "labels", "front");
        assert_status(s, Status::Fail);
        let ev = &s.findings[0].evidence;
        assert!(
            ev.contains(
                &"pod front-1 has App=frontend (wanted app=frontend: the key differs only in case)"
                    .to_string()
            ),
            "{ev:#?}"
        );
        assert!(ev.contains(&"pod front-2 has app=Frontend (wanted app=frontend: the value differs only in case)".to_string()), "{ev:#?}");
        // Bare pods: no workload to patch, so only the selector fix.
        assert!(ev.iter().any(|e| e.contains("no workload owner")));
    }

    #[test]
    fn sel_001_near_miss_pods_only_in_another_namespace() {
        let r = run(&[BASE, SEL_001]);
        let s = endpoints(&r, "elsewhere", "cart");
        assert_status(s, Status::Fail);
        let f = &s.findings[0];
        assert_eq!(f.message, "no pod in elsewhere has label app=cart");
        assert!(
            f.evidence
                .iter()
                .any(|e| e.starts_with("1 pod in namespace staging matches exactly (cart-1)")),
            "{f:#?}"
        );
        let cmd = &f.fix.as_ref().unwrap().commands[0];
        assert!(cmd.starts_with("printf '%s\\n' '{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"cart\",\"namespace\":\"staging\"}"), "{cmd}");
        assert!(cmd.ends_with("| kubectl apply -f -"));
    }

    #[test]
    fn ep_001_forbidden_slices_are_unknown_not_pass() {
        const FORBIDDEN_SLICES: &str =
            include_str!("../../tests/fixtures/engine/endpoints/forbidden-slices.yaml");
        let mut snap = snapshot(&[BASE, FORBIDDEN_SLICES]);
        // A reader that may not list slices has none in its snapshot.
        snap.endpoint_slices.clear();
        let r = super::super::diagnose(&snap, now(), &Default::default());
        let s = endpoints(&r, "shop", "web");
        assert_status(s, Status::Unknown);
        assert_eq!(
            s.summary,
            "EP-001 not evaluated: cannot list endpointslices in shop (403). Verify: kubectl auth can-i list endpointslices -n shop"
        );
        assert!(!s.findings.iter().any(|f| f.check == "SEL-001"));
        let pods = step(&r, "shop", "web", StepId::Pods);
        assert_status(pods, Status::Unknown);
        assert!(pods.summary.starts_with("EP-003 not evaluated"));
    }

    #[test]
    fn sel_001_forbidden_pod_list_is_unknown_not_fail() {
        let r = run(&[BASE, FORBIDDEN_PODS]);
        let s = endpoints(&r, "locked", "vault");
        assert_status(s, Status::Unknown);
        assert_eq!(
            s.findings[0].message,
            "SEL-001 not evaluated: cannot list pods in locked (403). Verify: kubectl auth can-i list pods -n locked"
        );
        assert_status(step(&r, "locked", "vault", StepId::Pods), Status::Unknown);
        assert_status(step(&r, "locked", "vault", StepId::Ports), Status::Unknown);
    }

    const SEL_002: &str = include_str!("../../tests/fixtures/engine/endpoints/sel-002.yaml");
    const SEL_003: &str = include_str!("../../tests/fixtures/engine/endpoints/sel-003.yaml");
    const SEL_004: &str = include_str!("../../tests/fixtures/engine/endpoints/sel-004.yaml");
    const SEL_005: &str = include_str!("../../tests/fixtures/engine/endpoints/sel-005.yaml");
    const EP_001: &str = include_str!("../../tests/fixtures/engine/endpoints/ep-001.yaml");
    const EP_002: &str = include_str!("../../tests/fixtures/engine/endpoints/ep-002.yaml");
    const EP_005_006: &str = include_str!("../../tests/fixtures/engine/endpoints/ep-005-006.yaml");

    /// Pods with the same labels share one pooled label map and are compared
    /// once, but each stays its own near miss: a bare pod that looks like a
    /// ReplicaSet's replica is still named, under its own owner.
    #[test]
    fn sel_001_near_misses_with_the_same_labels_keep_their_own_pods() {
        const TWINS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: twins}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: twins}
spec:
  selector: {app: web-v2}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata:
  name: a-replica
  namespace: twins
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8, uid: u-rs, controller: true}]
spec: {containers: [{name: web, image: web}]}
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata:
  name: b-bare
  namespace: twins
  labels: {app: web}
spec: {containers: [{name: web, image: web}]}
status: {phase: Running}
"#;
        let r = run(&[BASE, TWINS]);
        let f = finding(endpoints(&r, "twins", "web"), "SEL-001");
        for pod in ["a-replica", "b-bare"] {
            let line = format_exact!("pod {pod} has app=web (wanted app=web-v2)");
            assert!(f.evidence.contains(&line), "{line}: {f:#?}");
        }
    }

    #[test]
    fn sel_001_near_miss_unrelated_pod_gets_no_fix() {
        let r = run(&[BASE, SEL_001]);
        let s = endpoints(&r, "unrelated", "payments");
        assert_status(s, Status::Fail);
        let f = finding(s, "SEL-001");
        assert!(
            f.evidence
                .contains(&"pod frontend-1 has app=frontend (wanted app=payments)".to_string())
        );
        assert!(f.fix.is_none(), "{f:#?}");
    }

    #[test]
    fn sel_002_scaled_to_zero_is_the_cause() {
        let r = run(&[BASE, SEL_002]);
        let s = endpoints(&r, "scale", "worker");
        assert_status(s, Status::Fail);
        assert_eq!(
            s.summary,
            "deployment worker is scaled to 0 replicas: nothing backs the Service"
        );
        let f = finding(s, "SEL-002");
        assert_eq!(
            f.fix.as_ref().unwrap().commands,
            ["kubectl -n scale scale deployment worker --replicas=1"]
        );
        // SEL-001 is still reported, pointing at the workload, without a label fix.
        let sel = finding(s, "SEL-001");
        assert!(
            sel.evidence
                .iter()
                .any(|e| e.contains("Deployment worker's pod template matches the selector"))
        );
        assert!(sel.fix.is_none());
    }

    #[test]
    fn sel_002_missing_pods_and_stuck_rollout_warn() {
        let r = run(&[BASE, SEL_002]);
        let s = endpoints(&r, "scale", "quota");
        assert!(has(s, "SEL-002", Severity::Warning), "{s:#?}");
        let f = finding(s, "SEL-002");
        assert_eq!(
            f.message,
            "deployment quota wants 3 replicas but has 1 pod (1 available)"
        );
        assert!(f.evidence[0].starts_with(
            "ReplicaFailure FailedCreate: pods \"quota-5c-x\" is forbidden: exceeded quota"
        ));
        let s = endpoints(&r, "scale", "stuck");
        assert_status(s, Status::Warn);
        let f = finding(s, "SEL-002");
        assert_eq!(
            f.message,
            "rollout of deployment stuck exceeded its progress deadline"
        );
        assert_eq!(
            f.fix.as_ref().unwrap().commands,
            [
                "kubectl -n scale rollout status deployment/stuck",
                "kubectl -n scale rollout undo deployment/stuck"
            ]
        );
    }

    #[test]
    fn sel_002_near_miss_unavailable_but_present_pods_belong_to_pods_step() {
        let r = run(&[BASE, SEL_002]);
        let s = endpoints(&r, "scale", "crashy");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
        assert_status(step(&r, "scale", "crashy", StepId::Pods), Status::Fail);
    }

    #[test]
    fn sel_003_two_owners_warn_with_a_narrowing_fix() {
        let r = run(&[BASE, SEL_003]);
        let s = endpoints(&r, "broad", "web");
        assert_status(s, Status::Warn);
        let f = finding(s, "SEL-003");
        assert_eq!(
            f.message,
            "selector app=web matches pods of 2 owners: Deployment/web (2 pods), Job/migrate (1 pod)"
        );
        assert_eq!(
            f.fix.as_ref().unwrap().commands,
            [
                r#"kubectl -n broad patch service web --type=json -p '[{"op":"add","path":"/spec/selector/tier","value":"frontend"}]'"#
            ]
        );
    }

    #[test]
    fn sel_003_near_miss_rollout_is_one_owner() {
        let r = run(&[BASE, SEL_003]);
        let s = endpoints(&r, "broad", "api");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
    }

    #[test]
    fn sel_004_single_backend() {
        let r = run(&[BASE, SEL_004]);
        let s = endpoints(&r, "single", "solo");
        assert_status(s, Status::Warn);
        let f = finding(s, "SEL-004");
        assert_eq!(
            f.message,
            "service solo has a single endpoint (pod solo-9f-aaaaa): a restart or eviction leaves it with none"
        );
        assert_eq!(
            f.fix.as_ref().unwrap().commands,
            ["kubectl -n single scale deployment solo --replicas=2"]
        );
        // A dual-stack pod in two slices is still one backend.
        let s = endpoints(&r, "single", "dual");
        assert_status(s, Status::Warn);
        assert!(has(s, "SEL-004", Severity::Warning));
        // Near miss: two endpoints.
        let s = endpoints(&r, "single", "pair");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
    }

    #[test]
    fn sel_005_selectorless_services() {
        let r = run(&[BASE, SEL_005]);
        let s = endpoints(&r, "manual", "external-db");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
        assert_status(
            step(&r, "manual", "external-db", StepId::Pods),
            Status::Skip,
        );
        assert_status(
            step(&r, "manual", "external-db", StepId::Ports),
            Status::Skip,
        );

        let s = endpoints(&r, "manual", "no-slice");
        assert_status(s, Status::Fail);
        let f = finding(s, "SEL-005");
        assert_eq!(
            f.message,
            "service no-slice has no selector and no EndpointSlice: nothing receives its traffic"
        );
        assert!(
            f.evidence.contains(
                &"slice no-slice-1 has kubernetes.io/service-name=no-slise (wanted no-slice)"
                    .to_string()
            )
        );
        assert_eq!(
            f.fix.as_ref().unwrap().commands,
            [
                "kubectl -n manual label endpointslice no-slice-1 kubernetes.io/service-name=no-slice --overwrite"
            ]
        );

        let s = endpoints(&r, "manual", "down");
        assert_status(s, Status::Fail);
        assert!(
            finding(s, "SEL-005")
                .message
                .contains("none of its 1 hand-managed endpoint is ready")
        );

        let s = endpoints(&r, "manual", "portname");
        assert_status(s, Status::Fail);
        assert_eq!(
            finding(s, "SEL-005").message,
            "slice portname-1 has port postgres but service portname has no port of that name: kube-proxy matches them by name"
        );

        let s = endpoints(&r, "manual", "family");
        assert_status(s, Status::Fail);
        assert!(
            finding(s, "SEL-005")
                .message
                .contains("addressType IPv6 but the Service's ipFamilies are IPv4")
        );

        let s = endpoints(&r, "manual", "legacy");
        assert_status(s, Status::Warn);
        assert!(
            finding(s, "SEL-005")
                .message
                .starts_with("service legacy has only a v1 Endpoints object (1 address)")
        );

        // `selector: {}` is a shape warning at `service` and selector-less here.
        assert!(has(
            step(&r, "manual", "empty-selector", StepId::Service),
            "SVC-002",
            Severity::Warning
        ));
        assert_status(endpoints(&r, "manual", "empty-selector"), Status::Fail);
    }

    #[test]
    fn ep_001_selected_pods_listed_nowhere() {
        let r = run(&[BASE, EP_001]);
        let s = endpoints(&r, "lag", "ghost");
        assert_status(s, Status::Fail);
        let f = finding(s, "EP-001");
        assert_eq!(
            f.message,
            "2 selected pods with an IP, but no EndpointSlice of ghost lists any of them"
        );
        assert!(
            f.evidence
                .contains(&"slice ghost-manual (managed by nobody) lists 1 endpoint".to_string()),
            "{f:#?}"
        );
        assert!(
            f.evidence.contains(
                &"port http 80/TCP → 80, IPv4: 1 ready, 0 serving only, 0 terminating".to_string()
            ),
            "{f:#?}"
        );
        // The placeholder slice does not count.
        let s = endpoints(&r, "lag", "placeholder");
        assert_status(s, Status::Fail);
        assert!(has(s, "EP-001", Severity::Error));
    }

    #[test]
    fn ep_001_near_miss_pending_pods_pass_with_a_note_and_pods_fail() {
        let r = run(&[BASE, EP_001]);
        let s = endpoints(&r, "lag", "pending");
        assert_status(s, Status::Pass);
        let f = finding(s, "EP-001");
        assert_eq!(f.severity, Severity::Info);
        assert_eq!(
            f.message,
            "no selected pod can be listed yet: 2 without an IP yet (pending-1, pending-2); the pods step says why"
        );
        let pods = step(&r, "lag", "pending", StepId::Pods);
        assert_status(pods, Status::Fail);
        assert!(has(pods, "POD-002", Severity::Error));
    }

    #[test]
    fn ep_002_pods_missing_with_reasons() {
        let r = run(&[BASE, EP_002]);
        let s = endpoints(&r, "partial", "half");
        assert_status(s, Status::Warn);
        let f = finding(s, "EP-002");
        assert_eq!(
            f.message,
            "2 of 3 selected pods with an IP are missing from the EndpointSlices of half"
        );
        assert!(f.evidence.contains(&"pod half-2 (10.244.6.2) runs on node node-gone, which has no Node object (the controller skips such pods)".to_string()), "{f:#?}");
        assert!(f.evidence.contains(&"pod half-3 (fd00:10:244::6) has only IPv6 addresses; the Service's ipFamilies are IPv4".to_string()), "{f:#?}");

        let s = endpoints(&r, "partial", "named");
        let f = finding(s, "EP-002");
        assert!(f.evidence[0].starts_with("pod named-2 (10.244.6.4) does not resolve the named port of metrics 9090/TCP (targetPort metrics)"), "{f:#?}");

        // Near miss: a terminal pod is rightly absent.
        let s = endpoints(&r, "partial", "done");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
    }

    #[test]
    fn ep_005_stale_slice_of_a_recreated_service() {
        let r = run(&[BASE, EP_005_006]);
        let s = endpoints(&r, "stale", "recreated");
        assert_status(s, Status::Warn);
        let f = finding(s, "EP-005");
        assert!(f.message.starts_with(
            "slice recreated-old belongs to an earlier Service recreated (uid ep5-svc-old"
        ));
        assert_eq!(
            f.fix.as_ref().unwrap().commands,
            ["kubectl -n stale delete endpointslice recreated-old"]
        );
        assert_eq!(checks(s).len(), 1, "{s:#?}");
        // Near miss: another manager's slice.
        let s = endpoints(&r, "stale", "mirrored");
        assert_status(s, Status::Pass);
    }

    #[test]
    fn ep_006_publish_not_ready_addresses() {
        let r = run(&[BASE, EP_005_006]);
        let s = endpoints(&r, "stale", "eager");
        assert_status(s, Status::Warn);
        let f = finding(s, "EP-006");
        assert_eq!(
            f.fix.as_ref().unwrap().commands,
            [
                r#"kubectl -n stale patch service eager --type=json -p '[{"op":"replace","path":"/spec/publishNotReadyAddresses","value":false}]'"#
            ]
        );
        // Near miss: headless (StatefulSet peer discovery).
        let s = endpoints(&r, "stale", "peers");
        assert_status(s, Status::Pass);
        assert!(s.findings.is_empty(), "{s:#?}");
    }

    #[test]
    fn ep_001_reads_v1_endpoints_when_the_cluster_serves_no_slices() {
        let mut snap = snapshot(&[BASE]);
        snap.serves_endpoint_slices = false;
        snap.endpoint_slices.clear();
        let ep: crate::model::Endpoints = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web", "namespace": "shop"},
            "subsets": [{
                "addresses": [
                    {"ip": "10.244.1.10", "targetRef": {"kind": "Pod", "name": "web-6d4f9c-xk2p9", "namespace": "shop", "uid": "00000000-0000-0000-0000-000000web011"}},
                    {"ip": "10.244.1.11", "targetRef": {"kind": "Pod", "name": "web-6d4f9c-mn3k1", "namespace": "shop", "uid": "00000000-0000-0000-0000-000000web012"}}
                ],
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
            }]
        }))
        .unwrap();
        snap.endpoints.push(std::sync::Arc::new(ep));
        let r = super::super::diagnose(&snap, now(), &Default::default());
        let s = endpoints(&r, "shop", "web");
        assert_status(s, Status::Pass);
        assert_eq!(
            s.summary,
            "selector app=web matches 2 pods; 2 listed in v1 Endpoints (2 ready)"
        );
    }
}
