//! Step `service` (DESIGN §2). To add a check: write `fn check_xxx(ctx) -> Vec<Finding>`
//! here, call it from [`check`], and document it in `docs/checks.md`.

use super::context::ServiceCtx;
use super::report::{StepId, StepReport};

/// Evaluate step `service` for one Service.
pub fn check(_ctx: &ServiceCtx<'_>) -> StepReport {
    StepReport::from_findings(StepId::Service, Vec::new(), "not implemented yet")
}

/// SVC-001 for a Service that does not exist: where the name does exist, near
/// names in the namespace, and who references it.
pub fn missing(
    _idx: &super::index::Index<'_>,
    target: &super::report::ServiceRef,
    _refs: &[&super::namespace::TracedReference],
) -> StepReport {
    StepReport::from_findings(
        StepId::Service,
        vec![super::report::Finding::error(
            "SVC-001",
            format!(
                "service {} does not exist in {}",
                target.name, target.namespace
            ),
        )],
        "",
    )
}
