//! Step `network` (DESIGN §2). To add a check: write `fn check_xxx(ctx) -> Vec<Finding>`
//! here, call it from [`check`], and document it in `docs/checks.md`.

pub mod policy;
pub mod selector;

use super::context::ServiceCtx;
use super::report::{StepId, StepReport};

/// Evaluate step `network` for one Service.
pub fn check(_ctx: &ServiceCtx<'_>) -> StepReport {
    StepReport::from_findings(StepId::Network, Vec::new(), "not implemented yet")
}
