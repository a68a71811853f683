//! What every step needs to know about one Service, computed once.

use std::cell::OnceCell;
use std::sync::Arc;

use super::dns::ClusterDns;
use super::endpoint_rules::Backends;
use super::index::{Index, Workload};
use super::namespace::TracedReference;
use crate::model::StringMap;
use crate::model::{EndpointSlice, Pod, Service};

/// One Service and the objects around it. Built by [`super::diagnose`]; the
/// step modules only read it.
pub struct ServiceCtx<'a> {
    pub idx: &'a Index<'a>,
    pub svc: &'a Service,
    pub namespace: &'a str,
    pub name: &'a str,
    /// The Service's selector when it has a non-empty one. `None` means the
    /// Service is selector-less (endpoints managed by hand, SEL-005); an empty
    /// map in a manifest is also `None` here (SVC-002 reports it).
    pub selector: Option<&'a StringMap>,
    /// Pods in the Service's namespace that the selector matches, any phase.
    pub pods: Vec<&'a Pod>,
    /// EndpointSlices labelled `kubernetes.io/service-name=<name>`.
    pub slices: &'a [Arc<EndpointSlice>],
    /// Client references that name this Service (resolving to it, or meant
    /// for it but resolving elsewhere or nowhere).
    pub references: &'a [&'a TracedReference],
    /// Cluster DNS findings and the cluster domain.
    pub dns: &'a ClusterDns,
    /// What the slices (or v1 Endpoints) list, merged once for every step
    /// that reads it: see [`ServiceCtx::backends`].
    backends: OnceCell<Backends<'a>>,
    /// The top owner of each of `pods`: see [`ServiceCtx::owners`].
    owners: OnceCell<Vec<Option<Workload<'a>>>>,
}

impl<'a> ServiceCtx<'a> {
    pub fn new(
        idx: &'a Index<'a>,
        svc: &'a Service,
        references: &'a [&'a TracedReference],
        dns: &'a ClusterDns,
    ) -> Self {
        let (namespace, name) = super::key_of(svc);
        let selector = svc
            .spec
            .as_ref()
            .and_then(|s| s.selector.as_deref())
            .filter(|s| !s.is_empty());
        let pods = match (selector, svc.spec.as_ref().and_then(|s| s.type_.as_deref())) {
            (_, Some("ExternalName")) | (None, _) => Vec::new(),
            (Some(sel), _) => idx.select_pods(namespace, sel),
        };
        ServiceCtx {
            idx,
            svc,
            namespace,
            name,
            selector,
            pods,
            slices: idx.slices_for(namespace, name),
            references,
            dns,
            backends: OnceCell::new(),
            owners: OnceCell::new(),
        }
    }

    /// The Service's endpoints as its slices (or v1 Endpoints) list them.
    pub fn backends(&self) -> &Backends<'a> {
        self.backends.get_or_init(|| Backends::of(self))
    }

    /// The top-level workload of each of [`ServiceCtx::pods`], in their
    /// order ([`Index::top_owners`]), looked up once for every step that
    /// groups the pods by owner.
    pub fn owners(&self) -> &[Option<Workload<'a>>] {
        self.owners
            .get_or_init(|| self.idx.top_owners(self.pods.iter().copied()))
    }

    /// [`ServiceCtx::pods`], each with its top owner.
    pub fn pods_and_owners(&self) -> impl Iterator<Item = (&'a Pod, Option<Workload<'a>>)> + '_ {
        self.pods.iter().copied().zip(self.owners().iter().copied())
    }

    /// `spec.type`, defaulting to `ClusterIP` as the API does.
    pub fn service_type(&self) -> &'a str {
        self.svc
            .spec
            .as_ref()
            .and_then(|s| s.type_.as_deref())
            .unwrap_or("ClusterIP")
    }

    pub fn is_external_name(&self) -> bool {
        self.service_type() == "ExternalName"
    }

    /// `clusterIP: None`.
    pub fn is_headless(&self) -> bool {
        self.svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None")
    }
}
