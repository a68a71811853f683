//! Step `namespace` (DESIGN §2): client references (NS-001), how they resolve
//! from the client's namespace (NS-002), Ingress backends (NS-003). To add a
//! check: write a function here, call it from [`check`] or [`references`], and
//! document it in `docs/checks.md`.

use super::context::ServiceCtx;
use super::dns::ClusterDns;
use super::index::Index;
use super::report::{Reference, ServiceRef, StepId, StepReport};

/// A reference with what the engine needs beyond the report's fields.
#[derive(Debug, Clone)]
pub struct TracedReference {
    pub report: Reference,
    /// Services this reference names: the one it resolves to, or the ones it
    /// was probably meant for (same name in other namespaces). Their
    /// `namespace` step carries the reference's finding.
    pub targets: Vec<ServiceRef>,
    /// The Service it would resolve to when that exists nowhere, so it is
    /// reported with `exists: false`.
    pub missing: Option<ServiceRef>,
}

/// Find and resolve every client reference in scope (NS-001, NS-002).
pub fn references(_idx: &Index<'_>, _dns: &ClusterDns) -> Vec<TracedReference> {
    Vec::new()
}

/// Evaluate step `namespace` for one Service.
pub fn check(_ctx: &ServiceCtx<'_>) -> StepReport {
    StepReport::from_findings(StepId::Namespace, Vec::new(), "not implemented yet")
}
