//! The decision tree of one Service as nodes with stable ids.
//!
//! A node id is a path built from step and check ids: `pods` for a step,
//! `pods/POD-001#0` for the first `POD-001` finding of that step (`#1` for
//! the second, …). Ids do not depend on positions in the report, so the
//! selection and the expanded steps survive a new report as long as the
//! same things are still wrong.

use std::collections::BTreeSet;

use crate::diagnose::report::{Finding, ServiceReport, Status, StepId, StepReport};

/// A node id: `step` or `step/CHECK#n`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub String);

impl NodeId {
    pub fn step(step: StepId) -> Self {
        NodeId(step.as_str().to_string())
    }

    pub fn finding(step: StepId, check: &str, occurrence: usize) -> Self {
        NodeId(format!("{}/{check}#{occurrence}", step.as_str()))
    }

    /// The step part of the id (`pods` for `pods/POD-001#0`).
    pub fn step_part(&self) -> &str {
        self.0.split('/').next().unwrap_or("")
    }

    pub fn is_step(&self) -> bool {
        !self.0.contains('/')
    }

    /// The id of the step this node belongs to.
    pub fn parent_step(&self) -> NodeId {
        NodeId(self.step_part().to_string())
    }

    /// The path the tree widget keys its state by: `["pods", "POD-001#0"]`.
    pub fn path(&self) -> Vec<String> {
        self.0.split('/').map(str::to_string).collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A node resolved against a report.
#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    pub step: &'a StepReport,
    /// The finding and its index in `step.findings`, for finding nodes.
    pub finding: Option<(usize, &'a Finding)>,
}

impl<'a> Node<'a> {
    /// The findings this node covers: the one finding, or all of the step's.
    pub fn findings(&self) -> Vec<(usize, &'a Finding)> {
        match self.finding {
            Some(f) => vec![f],
            None => self.step.findings.iter().enumerate().collect(),
        }
    }
}

/// The ids of a step's findings, in order.
pub fn finding_ids(step: &StepReport) -> Vec<NodeId> {
    let mut seen: Vec<&str> = Vec::new();
    step.findings
        .iter()
        .map(|f| {
            let occurrence = seen.iter().filter(|c| **c == f.check).count();
            seen.push(f.check);
            NodeId::finding(step.id, f.check, occurrence)
        })
        .collect()
}

/// Find a node of `svc` by id.
pub fn resolve<'a>(svc: &'a ServiceReport, id: &NodeId) -> Option<Node<'a>> {
    let step = svc.steps.iter().find(|s| s.id.as_str() == id.step_part())?;
    if id.is_step() {
        return Some(Node {
            step,
            finding: None,
        });
    }
    let index = finding_ids(step).iter().position(|f| f == id)?;
    let finding = step.findings.get(index)?;
    Some(Node {
        step,
        finding: Some((index, finding)),
    })
}

/// The nodes shown, in order, given which steps are expanded.
pub fn visible(svc: &ServiceReport, opened: &BTreeSet<NodeId>) -> Vec<NodeId> {
    let mut out = Vec::with_capacity(svc.steps.len());
    for step in &svc.steps {
        let id = NodeId::step(step.id);
        let open = opened.contains(&id);
        out.push(id);
        if open {
            out.extend(finding_ids(step));
        }
    }
    out
}

/// The step to select when a Service is first shown: the first failing one,
/// else the worst one (unknown, then warn), else the first.
pub fn entry_step(svc: &ServiceReport) -> Option<StepId> {
    if let Some(step) = svc.failing_step {
        return Some(step);
    }
    let worst = svc
        .steps
        .iter()
        .filter(|s| s.status.rank() > 0)
        .max_by_key(|s| (s.status.rank(), std::cmp::Reverse(s.id)));
    worst.or(svc.steps.first()).map(|s| s.id)
}

/// The fix commands a node offers, in the order the detail pane numbers
/// them: `(finding index in the step, command)`.
pub fn commands<'a>(node: &Node<'a>) -> Vec<(usize, &'a str)> {
    node.findings()
        .into_iter()
        .flat_map(|(index, f)| {
            f.fix
                .iter()
                .flat_map(move |fix| fix.commands.iter().map(move |c| (index, c.as_str())))
        })
        .collect()
}

/// Whether the step is the Service's first failing one (highlighted).
pub fn is_failing_step(svc: &ServiceReport, step: &StepReport) -> bool {
    svc.failing_step == Some(step.id) && step.status == Status::Fail
}
