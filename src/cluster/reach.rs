//! Where each kind is read for a scope: the one table `fetch` (check) and
//! `live` (the dashboard) both follow.
//!
//! With `-A` everything is read cluster-wide. With `-n NS`:
//! - Services everywhere (a client in NS may name a Service anywhere);
//! - the kinds cluster DNS needs (EndpointSlices, Endpoints, pods, events,
//!   Deployments, ReplicaSets) in NS and kube-system;
//! - everything else in NS only. ConfigMaps add the Corefile in
//!   kube-system, which `fetch` gets by name and `live` watches.

use crate::snapshot::{Resource, Scope};

/// The namespace cluster DNS lives in.
pub const KUBE_SYSTEM: &str = "kube-system";

/// The namespaces `resource` is read in for `scope`; `None`: cluster-wide.
/// Cluster-scoped kinds (namespaces, nodes) are always read cluster-wide.
pub fn namespaces(scope: &Scope, resource: Resource) -> Option<Vec<String>> {
    let Scope::Namespace(ns) = scope else {
        return None;
    };
    match resource {
        Resource::Namespaces | Resource::Nodes | Resource::Services => None,
        Resource::Endpointslices
        | Resource::Endpoints
        | Resource::Pods
        | Resource::PodLogs
        | Resource::Events
        | Resource::Deployments
        | Resource::Replicasets => Some(with_dns(ns)),
        Resource::Configmaps
        | Resource::Statefulsets
        | Resource::Daemonsets
        | Resource::Networkpolicies
        | Resource::Ingresses => Some(vec![ns.clone()]),
    }
}

/// `ns` and kube-system, once each.
pub fn with_dns(ns: &str) -> Vec<String> {
    let mut out = vec![ns.to_string()];
    if ns != KUBE_SYSTEM {
        out.push(KUBE_SYSTEM.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_namespaces_reads_everything_everywhere() {
        for r in Resource::ALL {
            assert_eq!(namespaces(&Scope::All, r), None, "{r:?}");
        }
    }

    #[test]
    fn one_namespace_adds_kube_system_only_for_dns() {
        let scope = Scope::Namespace("shop".into());
        assert_eq!(namespaces(&scope, Resource::Services), None);
        assert_eq!(
            namespaces(&scope, Resource::Pods),
            Some(vec!["shop".to_string(), "kube-system".to_string()])
        );
        assert_eq!(
            namespaces(&scope, Resource::Ingresses),
            Some(vec!["shop".to_string()])
        );
        // Near miss: kube-system itself is not read twice.
        let dns = Scope::Namespace(KUBE_SYSTEM.into());
        assert_eq!(
            namespaces(&dns, Resource::Events),
            Some(vec![KUBE_SYSTEM.to_string()])
        );
    }
}
