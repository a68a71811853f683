//! `metav1.LabelSelector` semantics, as the API server and NetworkPolicy
//! implementations apply them (k8s.io/apimachinery `LabelSelectorAsSelector`):
//! `matchLabels` and every `matchExpressions` requirement must all hold; an
//! empty selector (`{}`) matches everything; an unknown operator matches
//! nothing (the API server would have rejected the object).

use std::collections::BTreeMap;

use crate::model::StringMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Whether `selector` matches `labels`.
pub fn matches(selector: &LabelSelector, labels: &StringMap) -> bool {
    let equal = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k).is_some_and(|l| l == v));
    equal
        && selector.match_expressions.iter().flatten().all(|req| {
            let values = req.values.as_deref().unwrap_or_default();
            let value = labels.get(&req.key);
            match req.operator.as_str() {
                "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
                // NotIn also matches objects without the key.
                "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// Whether the selector is `{}` (matches everything).
pub fn is_empty(selector: &LabelSelector) -> bool {
    selector
        .match_labels
        .as_ref()
        .is_none_or(BTreeMap::is_empty)
        && selector
            .match_expressions
            .as_ref()
            .is_none_or(Vec::is_empty)
}

/// The selector as `kubectl get -l` would write it, or `{}` for the empty one.
pub fn describe(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> = selector
        .match_labels
        .iter()
        .flatten()
        .map(|(k, v)| format_exact!("{k}={v}"))
        .collect();
    for req in selector.match_expressions.iter().flatten() {
        let values = req.values.as_deref().unwrap_or_default().join(",");
        parts.push(match req.operator.as_str() {
            "In" => format_exact!("{} in ({values})", req.key),
            "NotIn" => format_exact!("{} notin ({values})", req.key),
            "Exists" => req.key.clone(),
            "DoesNotExist" => format_exact!("!{}", req.key),
            other => format_exact!("{} {other} ({values})", req.key),
        });
    }
    if parts.is_empty() {
        "{}".to_string()
    } else {
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        }
    }

    #[test]
    fn empty_selector_matches_everything() {
        let sel = LabelSelector::default();
        assert!(is_empty(&sel));
        assert!(matches(&sel, &labels(&[])));
        assert_eq!(describe(&sel), "{}");
    }

    #[test]
    fn match_labels_and_expressions_all_hold() {
        let sel = LabelSelector {
            match_labels: Some(
                labels(&[("app", "web")])
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
            match_expressions: Some(vec![
                req("tier", "In", &["front", "edge"]),
                req("env", "NotIn", &["prod"]),
                req("team", "Exists", &[]),
                req("legacy", "DoesNotExist", &[]),
            ]),
        };
        let ok = labels(&[("app", "web"), ("tier", "edge"), ("team", "a")]);
        assert!(matches(&sel, &ok));
        let mut prod = ok.clone();
        prod.insert("env", "prod");
        assert!(!matches(&sel, &prod));
        let mut legacy = ok.clone();
        legacy.insert("legacy", "");
        assert!(!matches(&sel, &legacy));
        let no_team = labels(&[("app", "web"), ("tier", "edge")]);
        assert!(!matches(&sel, &no_team));
        assert_eq!(
            describe(&sel),
            "app=web,tier in (front,edge),env notin (prod),team,!legacy"
        );
    }

    #[test]
    fn unknown_operator_matches_nothing() {
        let sel = LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![req("a", "Gt", &["1"])]),
        };
        assert!(!matches(&sel, &labels(&[("a", "2")])));
    }
}
