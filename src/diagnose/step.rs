//! Turning a step's findings into its status and summary.

use super::report::{Finding, Severity, Status, StepId, StepReport};

impl StepReport {
    /// The status follows the findings: an error fails the step; otherwise a
    /// check that could not run makes it unknown (never pass); otherwise a
    /// warning warns. The summary is the message of the finding that decided.
    pub fn from_findings(
        id: StepId,
        findings: Vec<Finding>,
        pass_summary: impl Into<String>,
    ) -> Self {
        let decisive = |pred: &dyn Fn(&Finding) -> bool| {
            findings.iter().find(|f| pred(f)).map(|f| f.message.clone())
        };
        let (status, summary) =
            if let Some(m) = decisive(&|f| !f.not_evaluated && f.severity == Severity::Error) {
                (Status::Fail, m)
            } else if let Some(m) = decisive(&|f| f.not_evaluated) {
                (Status::Unknown, m)
            } else if let Some(m) = decisive(&|f| f.severity == Severity::Warning) {
                (Status::Warn, m)
            } else {
                (Status::Pass, pass_summary.into())
            };
        StepReport {
            id,
            status,
            summary,
            findings,
        }
    }

    /// An earlier failure makes this step meaningless.
    pub fn blocked(id: StepId, reason: impl Into<String>) -> Self {
        StepReport {
            id,
            status: Status::Blocked,
            summary: reason.into(),
            findings: Vec::new(),
        }
    }

    /// The step does not apply to this Service.
    pub fn skip(id: StepId, reason: impl Into<String>) -> Self {
        StepReport {
            id,
            status: Status::Skip,
            summary: reason.into(),
            findings: Vec::new(),
        }
    }
}
