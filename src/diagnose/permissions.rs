//! Checks whose inputs could not be read are `unknown`, never `pass`
//! (CHECKS.md, "Permissions").

use super::report::Finding;
use crate::snapshot::{Access, Resource};

/// The finding for a check that could not run because `resource` could not be
/// read in `namespace`, or `None` when it could. Use it before relying on an
/// empty list: "no pods" and "may not list pods" are different answers.
pub fn not_evaluated(
    access: &Access,
    check: &'static str,
    resource: Resource,
    namespace: Option<&str>,
) -> Option<Finding> {
    let failure = access.failure(resource, namespace)?;
    let verb = resource.verb();
    let what = resource.as_str();
    let scope = match (resource.cluster_scoped(), namespace) {
        (true, _) | (false, None) => String::new(),
        (false, Some(ns)) => format_exact!(" in {ns}"),
    };
    let ns_flag = match (resource.cluster_scoped(), namespace) {
        (false, Some(ns)) => format_exact!(" -n {}", crate::safe_text::shell_quote(ns)),
        (false, None) => " -A".to_string(),
        (true, _) => String::new(),
    };
    let code = failure
        .code
        .map_or_else(|| "request failed".to_string(), |c| c.to_string());
    let mut finding = Finding::info(
        check,
        format_exact!("{check} not evaluated: cannot {verb} {what}{scope} ({code}). Verify: kubectl auth can-i {verb} {what}{ns_flag}"),
    )
    .evidence(crate::safe_text::sanitize(&failure.message).into_owned());
    finding.not_evaluated = true;
    Some(finding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::ReadFailure;

    #[test]
    fn forbidden_namespace_read_names_the_command_to_verify() {
        let access = Access {
            failures: vec![ReadFailure {
                resource: Resource::Pods,
                namespace: Some("shop".into()),
                code: Some(403),
                message: "pods is forbidden".into(),
            }],
        };
        let f = not_evaluated(&access, "POD-001", Resource::Pods, Some("shop")).expect("forbidden");
        assert_eq!(
            f.message,
            "POD-001 not evaluated: cannot list pods in shop (403). Verify: kubectl auth can-i list pods -n shop"
        );
        assert!(f.not_evaluated);
        assert!(not_evaluated(&access, "POD-001", Resource::Pods, Some("other")).is_none());
        assert!(not_evaluated(&access, "POD-001", Resource::Services, Some("shop")).is_none());
    }
}
