//! `Fault` rules: how tests and the demo make the sandbox refuse, fail, slow
//! down or expire requests (DESIGN §5).

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::resources::{RESOURCES, ResourceType};

/// The `apiVersion` of the sandbox-only kinds `Fault` and `PodLog`.
pub const SANDBOX_API_VERSION: &str = "sandbox.svc-doctor.dev/v1";

/// The verbs a rule can name (RBAC's request verbs).
const VERBS: &[&str] = &[
    "get", "list", "watch", "create", "update", "patch", "delete",
];

/// One fault rule. A field left `None` matches anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`.
    pub verb: Option<String>,
    /// The plural (`pods`), optionally with its group (`deployments.apps`)
    /// or a subresource (`pods/log`).
    pub resource: Option<String>,
    /// A namespace. As with RBAC, a rule for one namespace also matches the
    /// cluster-wide form of the request (a list across all namespaces).
    pub namespace: Option<String>,
    pub action: FaultAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// `403 Forbidden`, and access reviews answer "not allowed".
    Forbid,
    /// `500 InternalError`.
    Error,
    /// The request is answered after this extra latency.
    Delay(Duration),
    /// The next matching watch gets an in-stream `410 Expired` (once).
    Expire,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FaultDoc {
    #[serde(rename = "apiVersion")]
    _api_version: String,
    #[serde(rename = "kind")]
    _kind: String,
    #[serde(default, rename = "metadata")]
    _metadata: Option<Value>,
    #[serde(default, rename = "match")]
    matches: MatchDoc,
    action: String,
    delay_ms: Option<u64>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchDoc {
    verb: Option<String>,
    resource: Option<String>,
    namespace: Option<String>,
}

/// What a request is, for matching rules.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    pub verb: &'a str,
    pub resource: &'a ResourceType,
    pub subresource: Option<&'a str>,
    /// `None` for cluster-scoped resources and cluster-wide requests.
    pub namespace: Option<&'a str>,
}

impl Fault {
    /// Read a `Fault` document (`apiVersion: sandbox.svc-doctor.dev/v1`).
    pub fn from_value(value: &Value) -> Result<Fault, String> {
        let doc: FaultDoc = serde_path_to_error::deserialize(value).map_err(|err| {
            let path = err.path().to_string();
            format!("Fault: {path}: {}", err.into_inner())
        })?;
        let action = match (doc.action.as_str(), doc.delay_ms) {
            ("delay", Some(ms)) => FaultAction::Delay(Duration::from_millis(ms)),
            ("delay", None) => return Err("Fault: action delay needs delayMs".to_string()),
            (_, Some(_)) => return Err("Fault: delayMs only applies to action delay".to_string()),
            ("forbid", None) => FaultAction::Forbid,
            ("error", None) => FaultAction::Error,
            ("expire", None) => FaultAction::Expire,
            (other, None) => {
                return Err(format!(
                    "Fault: unknown action {other:?} (expected forbid, error, delay or expire)"
                ));
            }
        };
        let wildcard = |v: Option<String>| v.filter(|v| v != "*" && !v.is_empty());
        let fault = Fault {
            verb: wildcard(doc.matches.verb),
            resource: wildcard(doc.matches.resource),
            namespace: wildcard(doc.matches.namespace),
            action,
        };
        if let Some(verb) = &fault.verb
            && !VERBS.contains(&verb.as_str())
        {
            return Err(format!(
                "Fault: unknown verb {verb:?} (expected one of {})",
                VERBS.join(", ")
            ));
        }
        if let Some(resource) = &fault.resource {
            let plural = resource
                .split_once('/')
                .map_or(resource.as_str(), |(p, _)| p);
            let known = RESOURCES
                .iter()
                .any(|r| r.plural == plural || r.qualified_plural() == plural);
            if !known {
                return Err(format!(
                    "Fault: the sandbox serves no resource {resource:?}"
                ));
            }
        }
        Ok(fault)
    }

    /// The rule as a `Fault` document.
    pub fn to_value(&self) -> Value {
        let mut doc = json!({
            "apiVersion": SANDBOX_API_VERSION,
            "kind": "Fault",
            "match": {},
        });
        for (key, value) in [
            ("verb", &self.verb),
            ("resource", &self.resource),
            ("namespace", &self.namespace),
        ] {
            if let Some(value) = value {
                doc["match"][key] = Value::String(value.clone());
            }
        }
        let action = match self.action {
            FaultAction::Forbid => "forbid",
            FaultAction::Error => "error",
            FaultAction::Delay(d) => {
                doc["delayMs"] = json!(d.as_millis() as u64);
                "delay"
            }
            FaultAction::Expire => "expire",
        };
        doc["action"] = Value::String(action.to_string());
        doc
    }

    pub fn matches(&self, request: &Attributes<'_>) -> bool {
        let verb = self.verb.as_deref().is_none_or(|v| v == request.verb);
        let resource = self.resource.as_deref().is_none_or(|r| {
            let (plural, sub) = match r.split_once('/') {
                Some((p, s)) => (p, Some(s)),
                None => (r, None),
            };
            (plural == request.resource.plural || plural == request.resource.qualified_plural())
                && sub == request.subresource
        });
        let namespace = match (&self.namespace, request.namespace) {
            (None, _) | (Some(_), None) => true,
            (Some(want), Some(ns)) => want == ns,
        };
        verb && resource && namespace
    }
}

/// The faults of one cluster.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<Fault>,
}

/// What the matching rules do to one request.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub delay: Duration,
    pub forbid: bool,
    pub error: bool,
}

impl Faults {
    pub fn new(rules: Vec<Fault>) -> Faults {
        Faults { rules }
    }

    pub fn add(&mut self, fault: Fault) {
        self.rules.push(fault);
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn rules(&self) -> &[Fault] {
        &self.rules
    }

    /// Delays add up; any matching `forbid` wins over `error`.
    pub fn outcome(&self, request: &Attributes<'_>) -> Outcome {
        let mut outcome = Outcome::default();
        for rule in self.rules.iter().filter(|r| r.matches(request)) {
            match rule.action {
                FaultAction::Forbid => outcome.forbid = true,
                FaultAction::Error => outcome.error = true,
                FaultAction::Delay(d) => outcome.delay += d,
                FaultAction::Expire => {}
            }
        }
        outcome
    }

    /// Whether a rule forbids the request (for access reviews).
    pub fn forbids(&self, request: &Attributes<'_>) -> bool {
        self.rules
            .iter()
            .any(|r| r.action == FaultAction::Forbid && r.matches(request))
    }

    /// Consume the first `expire` rule matching a watch.
    pub fn take_expire(&mut self, request: &Attributes<'_>) -> bool {
        let found = self
            .rules
            .iter()
            .position(|r| r.action == FaultAction::Expire && r.matches(request));
        found.map(|i| self.rules.remove(i)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::resources::by_path;

    fn fault(v: Value) -> Fault {
        match Fault::from_value(&v) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        }
    }

    fn pods() -> &'static ResourceType {
        &RESOURCES[by_path("", "v1", "pods").unwrap_or_default()]
    }

    fn attrs<'a>(verb: &'a str, ns: Option<&'a str>, sub: Option<&'a str>) -> Attributes<'a> {
        Attributes {
            verb,
            resource: pods(),
            subresource: sub,
            namespace: ns,
        }
    }

    #[test]
    fn a_namespaced_rule_also_matches_the_cluster_wide_request() {
        let f = fault(json!({"apiVersion": SANDBOX_API_VERSION, "kind": "Fault",
            "match": {"verb": "list", "resource": "pods", "namespace": "prod"}, "action": "forbid"}));
        assert!(f.matches(&attrs("list", Some("prod"), None)));
        assert!(f.matches(&attrs("list", None, None)));
        assert!(!f.matches(&attrs("list", Some("dev"), None)));
        assert!(!f.matches(&attrs("watch", Some("prod"), None)));
        assert!(!f.matches(&attrs("list", Some("prod"), Some("log"))));
    }

    #[test]
    fn rules_are_validated() {
        let bad = [
            json!({"apiVersion": SANDBOX_API_VERSION, "kind": "Fault", "action": "explode"}),
            json!({"apiVersion": SANDBOX_API_VERSION, "kind": "Fault", "action": "delay"}),
            json!({"apiVersion": SANDBOX_API_VERSION, "kind": "Fault", "action": "forbid", "match": {"resource": "secrets"}}),
            json!({"apiVersion": SANDBOX_API_VERSION, "kind": "Fault", "action": "forbid", "match": {"verb": "eat"}}),
            json!({"apiVersion": SANDBOX_API_VERSION, "kind": "Fault", "action": "forbid", "extra": 1}),
        ];
        for b in bad {
            assert!(Fault::from_value(&b).is_err(), "{b}");
        }
    }

    #[test]
    fn expire_fires_once_and_delays_add_up() {
        let mut faults = Faults::new(vec![
            fault(
                json!({"apiVersion": SANDBOX_API_VERSION, "kind": "Fault", "action": "expire", "match": {"resource": "pods"}}),
            ),
            fault(
                json!({"apiVersion": SANDBOX_API_VERSION, "kind": "Fault", "action": "delay", "delayMs": 5}),
            ),
            fault(
                json!({"apiVersion": SANDBOX_API_VERSION, "kind": "Fault", "action": "delay", "delayMs": 7}),
            ),
        ]);
        let watch = attrs("watch", Some("x"), None);
        assert!(faults.take_expire(&watch));
        assert!(!faults.take_expire(&watch));
        assert_eq!(faults.outcome(&watch).delay, Duration::from_millis(12));
        let round_trip = Fault::from_value(&faults.rules()[0].to_value());
        assert_eq!(round_trip.as_ref(), Ok(&faults.rules()[0]));
    }
}
