//! Taints and tolerations (CHECKS.md DNS-005, used by POD-002).
//!
//! The rules are those of `k8s.io/api/core/v1` `Toleration.ToleratesTaint`:
//! a toleration's empty effect matches every effect; an empty key with
//! `Exists` tolerates every taint; `Equal` (the default operator) needs the
//! key and the value to match; `Exists` ignores the value. Only `NoSchedule`
//! and `NoExecute` keep a pod off a node: `PreferNoSchedule` never blocks.

use k8s_openapi::api::core::v1::{Taint, Toleration};

use crate::model::Node;

/// Whether one toleration tolerates one taint.
pub fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    let effect = t.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = t.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match t.operator.as_deref().unwrap_or("") {
        "" | "Equal" => t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or(""),
        "Exists" => true,
        _ => false,
    }
}

/// Whether a taint keeps pods that do not tolerate it off the node
/// (`PreferNoSchedule` never does).
pub fn blocks(taint: &Taint) -> bool {
    matches!(taint.effect.as_str(), "NoSchedule" | "NoExecute")
}

/// The taints of `node` that keep a pod with `tolerations` off it.
pub fn untolerated_taints<'n>(node: &'n Node, tolerations: &[Toleration]) -> Vec<&'n Taint> {
    node.spec
        .as_ref()
        .and_then(|s| s.taints.as_ref())
        .into_iter()
        .flatten()
        .filter(|taint| blocks(taint))
        .filter(|taint| !tolerations.iter().any(|t| tolerates(t, taint)))
        .collect()
}

/// `key[=value]:effect`, as `kubectl taint` writes it.
pub fn taint_text(taint: &Taint) -> String {
    match taint.value.as_deref().filter(|v| !v.is_empty()) {
        Some(v) => format_exact!("{}={v}:{}", taint.key, taint.effect),
        None => format_exact!("{}:{}", taint.key, taint.effect),
    }
}

/// Taints the node lifecycle controller manages (`node.kubernetes.io/…`):
/// they describe the node's condition, so the cause is the node, not the taint.
pub fn is_condition_taint(taint: &Taint) -> bool {
    taint.key.starts_with("node.kubernetes.io/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NodeSpec;

    fn taint(key: &str, value: Option<&str>, effect: &str) -> Taint {
        Taint {
            key: key.into(),
            value: value.map(str::to_string),
            effect: effect.into(),
            time_added: None,
        }
    }

    fn tol(key: &str, op: Option<&str>, value: Option<&str>, effect: Option<&str>) -> Toleration {
        Toleration {
            key: (!key.is_empty()).then(|| key.to_string()),
            operator: op.map(str::to_string),
            value: value.map(str::to_string),
            effect: effect.map(str::to_string),
            toleration_seconds: None,
        }
    }

    fn node(taints: Vec<Taint>) -> Node {
        Node {
            spec: Some(NodeSpec {
                taints: Some(taints),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    const CP: &str = "node-role.kubernetes.io/control-plane";

    #[test]
    fn empty_key_exists_tolerates_everything() {
        let n = node(vec![
            taint(CP, None, "NoSchedule"),
            taint("a", Some("b"), "NoExecute"),
        ]);
        assert!(untolerated_taints(&n, &[tol("", Some("Exists"), None, None)]).is_empty());
    }

    #[test]
    fn empty_effect_matches_every_effect() {
        let n = node(vec![
            taint(CP, None, "NoSchedule"),
            taint(CP, None, "NoExecute"),
        ]);
        assert!(untolerated_taints(&n, &[tol(CP, Some("Exists"), None, None)]).is_empty());
        let only_no_schedule = [tol(CP, Some("Exists"), None, Some("NoSchedule"))];
        let left = untolerated_taints(&n, &only_no_schedule);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].effect, "NoExecute");
    }

    #[test]
    fn equal_needs_key_and_value() {
        let n = node(vec![taint("dedicated", Some("db"), "NoSchedule")]);
        assert!(
            untolerated_taints(&n, &[tol("dedicated", Some("Equal"), Some("db"), None)]).is_empty()
        );
        // The default operator is Equal.
        assert!(untolerated_taints(&n, &[tol("dedicated", None, Some("db"), None)]).is_empty());
        assert_eq!(
            untolerated_taints(&n, &[tol("dedicated", Some("Equal"), Some("web"), None)]).len(),
            1
        );
        assert_eq!(
            untolerated_taints(&n, &[tol("other", Some("Equal"), Some("db"), None)]).len(),
            1
        );
        // Exists ignores the value.
        assert!(untolerated_taints(&n, &[tol("dedicated", Some("Exists"), None, None)]).is_empty());
    }

    #[test]
    fn prefer_no_schedule_never_blocks() {
        let n = node(vec![taint("soft", None, "PreferNoSchedule")]);
        assert!(untolerated_taints(&n, &[]).is_empty());
        assert!(!blocks(&taint("a", None, "PreferNoSchedule")));
        assert!(blocks(&taint("a", None, "NoSchedule")));
        assert!(blocks(&taint("a", None, "NoExecute")));
    }

    #[test]
    fn control_plane_taint_blocks_pods_without_toleration() {
        let n = node(vec![taint(CP, None, "NoSchedule")]);
        let left = untolerated_taints(&n, &[tol("CriticalAddonsOnly", Some("Exists"), None, None)]);
        assert_eq!(left.len(), 1);
        assert_eq!(taint_text(left[0]), format_exact!("{CP}:NoSchedule"));
    }

    #[test]
    fn unknown_operator_tolerates_nothing() {
        let n = node(vec![taint("a", None, "NoSchedule")]);
        assert_eq!(
            untolerated_taints(&n, &[tol("a", Some("Lt"), None, None)]).len(),
            1
        );
    }
}
