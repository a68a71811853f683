//! The engine's output: the report of DESIGN §3 (`svc-doctor.report/v1`).
//!
//! Field names and order are a contract: add fields freely, never rename or
//! remove one without bumping [`SCHEMA`].

use compact_str::CompactString;
use std::sync::Arc;

use serde::Serialize;

pub const SCHEMA: &str = "svc-doctor.report/v1";

/// The seven steps of the decision tree, in order (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StepId {
    Service,
    Endpoints,
    Pods,
    Ports,
    Dns,
    Namespace,
    Network,
}

impl StepId {
    pub const ALL: [StepId; 7] = [
        StepId::Service,
        StepId::Endpoints,
        StepId::Pods,
        StepId::Ports,
        StepId::Dns,
        StepId::Namespace,
        StepId::Network,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepId::Service => "service",
            StepId::Endpoints => "endpoints",
            StepId::Pods => "pods",
            StepId::Ports => "ports",
            StepId::Dns => "dns",
            StepId::Namespace => "namespace",
            StepId::Network => "network",
        }
    }

    /// The question the step answers, for the text report and the dashboard.
    pub fn question(self) -> &'static str {
        match self {
            StepId::Service => "Does the Service exist and is it well-formed?",
            StepId::Endpoints => "Does it select pods, and do its EndpointSlices list them?",
            StepId::Pods => "Are the selected pods running and ready?",
            StepId::Ports => "Does each Service port reach a port the container serves?",
            StepId::Dns => "Can cluster DNS answer for it?",
            StepId::Namespace => {
                "Do its clients name it in a way that resolves from their namespace?"
            }
            StepId::Network => "Do NetworkPolicies let clients reach the backend port?",
        }
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status of a step (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// Could not be evaluated (permission denied, API error). Never reported as pass.
    Unknown,
    /// An earlier failure makes the step meaningless.
    Blocked,
    /// The step does not apply (e.g. `ports` for ExternalName).
    Skip,
}

impl Status {
    /// Rank for the verdict: fail > unknown > warn > pass; blocked and skip do not count.
    pub fn rank(self) -> u8 {
        match self {
            Status::Fail => 3,
            Status::Unknown => 2,
            Status::Warn => 1,
            Status::Pass | Status::Blocked | Status::Skip => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Blocked => "blocked",
            Status::Skip => "skip",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// A fix: a one-line summary and complete, runnable commands (every
/// cluster-supplied string shell-quoted; see [`super::fix`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub summary: String,
    pub commands: Vec<String>,
}

/// A Service named by a finding (e.g. the missing `postgres-service` that a
/// crash-looping backend's log points at), so readers can jump to it.
///
/// Both names are `CompactString`s: a namespace and a Service name have at
/// most 63 characters and mostly fit the 24 held inline, so naming a
/// Service (every resolved reference names its Service twice) allocates
/// nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ServiceRef {
    pub namespace: CompactString,
    pub name: CompactString,
}

/// `namespace/name`.
impl std::fmt::Display for ServiceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

impl ServiceRef {
    /// The Service `namespace/name`.
    pub fn new(namespace: &str, name: &str) -> ServiceRef {
        ServiceRef {
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The Service object's own namespace and name (empty when missing).
    pub fn of(svc: &crate::model::Service) -> ServiceRef {
        ServiceRef::new(
            svc.metadata.namespace.as_deref().unwrap_or_default(),
            svc.metadata.name.as_deref().unwrap_or_default(),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A check id of CHECKS.md (`SEL-001`).
    pub check: &'static str,
    pub severity: Severity,
    /// One line with the real names and values.
    pub message: String,
    pub evidence: Vec<String>,
    pub fix: Option<Fix>,
    /// Services this finding points at.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<ServiceRef>,
    /// The check could not run (forbidden or failed read): the step is `unknown`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub not_evaluated: bool,
}

impl Finding {
    pub fn new(check: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            check,
            severity,
            message: message.into(),
            evidence: Vec::new(),
            fix: None,
            related: Vec::new(),
            not_evaluated: false,
        }
    }

    pub fn error(check: &'static str, message: impl Into<String>) -> Self {
        Self::new(check, Severity::Error, message)
    }

    pub fn warning(check: &'static str, message: impl Into<String>) -> Self {
        Self::new(check, Severity::Warning, message)
    }

    pub fn info(check: &'static str, message: impl Into<String>) -> Self {
        Self::new(check, Severity::Info, message)
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    pub fn evidence_lines<I, S>(mut self, lines: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.evidence.extend(lines.into_iter().map(Into::into));
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn related(mut self, service: ServiceRef) -> Self {
        if !self.related.contains(&service) {
            self.related.push(service);
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub id: StepId,
    pub status: Status,
    pub summary: String,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterStep {
    pub step: StepId,
    pub status: Status,
    pub summary: String,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceReport {
    pub namespace: String,
    pub name: String,
    pub exists: bool,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`; `null` when missing.
    #[serde(rename = "type")]
    pub service_type: Option<String>,
    pub verdict: Status,
    pub failing_step: Option<StepId>,
    /// Always the seven steps, in order.
    pub steps: Vec<StepReport>,
}

impl ServiceReport {
    /// A Service's report from its steps: the failing step is the first that
    /// fails; the verdict is the worst status (fail > unknown > warn > pass;
    /// blocked and skip do not count). DESIGN §2.
    pub fn new(
        namespace: String,
        name: String,
        exists: bool,
        service_type: Option<String>,
        steps: Vec<StepReport>,
    ) -> Self {
        let failing_step = steps
            .iter()
            .find(|s| s.status == Status::Fail)
            .map(|s| s.id);
        let verdict = steps
            .iter()
            .map(|s| s.status)
            .max_by_key(|s| s.rank())
            .filter(|s| s.rank() > 0)
            .unwrap_or(Status::Pass);
        ServiceReport {
            namespace,
            name,
            exists,
            service_type,
            verdict,
            failing_step,
            steps,
        }
    }

    /// The Service this report is about.
    pub fn service_ref(&self) -> ServiceRef {
        ServiceRef::new(&self.namespace, &self.name)
    }

    pub fn step(&self, id: StepId) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// Where a reference to a Service name was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferenceSource {
    /// `Pod`, `Deployment`, `StatefulSet`, `DaemonSet`, `ConfigMap`, `Ingress`.
    pub kind: CompactString,
    pub namespace: CompactString,
    pub name: CompactString,
    pub container: Option<CompactString>,
    /// `env API_URL`, `args[2]`, `configmap app-config key API_URL`, …
    pub source: CompactString,
    /// The top-level workload owning the pod, as `kind/name` (for `kubectl set env`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<CompactString>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub from: ReferenceSource,
    pub host: String,
    pub port: Option<u16>,
    /// The Service the name resolves to from the client's namespace, if any.
    pub resolved: Option<ServiceRef>,
    pub status: Status,
    pub check: &'static str,
    pub message: String,
    pub fix: Option<Fix>,
}

/// Services and references are shared (`Arc`): the dashboard hands the
/// report to the UI after every update, and a copy then costs one pointer
/// per Service rather than every string of every finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub context: String,
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub cluster: Vec<ClusterStep>,
    pub services: Vec<Arc<ServiceReport>>,
    pub references: Vec<Arc<Reference>>,
}

impl Report {
    /// Whether any step of any Service (or of the cluster) failed: exit status 1.
    pub fn has_failure(&self) -> bool {
        self.cluster.iter().any(|s| s.status == Status::Fail)
            || self.services.iter().any(|s| s.failing_step.is_some())
    }
}
