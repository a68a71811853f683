//! Step `dns` (DESIGN §2): cluster DNS, evaluated once per diagnosis, plus the
//! client-side checks per Service. To add a check: write a function here, call
//! it from [`cluster`] or [`check`], and document it in `docs/checks.md`.

#[cfg(test)]
pub(crate) mod test_support;

use super::context::ServiceCtx;
use super::index::Index;
use super::report::{ClusterStep, Finding, StepId, StepReport};

/// Cluster-wide DNS health, shared by every Service.
#[derive(Debug, Clone)]
pub struct ClusterDns {
    /// The cluster domain from the Corefile's `kubernetes` zone, else `cluster.local`.
    pub domain: String,
    /// Whether `domain` was read from the Corefile (otherwise assumed).
    pub domain_known: bool,
    /// DNS-001..006 findings.
    pub findings: Vec<Finding>,
    /// NODE-001 findings.
    pub node_findings: Vec<Finding>,
}

impl ClusterDns {
    /// The `cluster` section of the report.
    pub fn report_steps(&self) -> Vec<ClusterStep> {
        let step = StepReport::from_findings(
            StepId::Dns,
            self.findings
                .iter()
                .chain(&self.node_findings)
                .cloned()
                .collect(),
            "cluster DNS is healthy",
        );
        vec![ClusterStep {
            step: step.id,
            status: step.status,
            summary: step.summary,
            findings: step.findings,
        }]
    }
}

/// Evaluate cluster DNS (DNS-001..006, NODE-001) once.
pub fn cluster(_idx: &Index<'_>) -> ClusterDns {
    ClusterDns {
        domain: "cluster.local".into(),
        domain_known: false,
        findings: Vec::new(),
        node_findings: Vec::new(),
    }
}

/// Evaluate step `dns` for one Service: cluster DNS plus its clients' dnsPolicy (DNS-008).
pub fn check(_ctx: &ServiceCtx<'_>) -> StepReport {
    StepReport::from_findings(StepId::Dns, Vec::new(), "not implemented yet")
}
