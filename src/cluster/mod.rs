//! The only code that talks to the Kubernetes API (kube-rs).
//!
//! - [`connect`]: kubeconfig the way kubectl finds it, context, client with
//!   bounded timeouts, and errors a person can act on.
//! - [`fetch`]: one paginated list per resource kind and scope, read into a
//!   [`crate::snapshot::Snapshot`]; 403s become read failures (checks
//!   `unknown`), never a crash. Never reads Secrets, never writes.
//! - [`live`]: the dashboard's reflectors, one per kind and place.
//! - [`reach`]: which namespaces each kind is read in, for both.

pub mod connect;
pub mod fetch;
pub mod live;
pub mod reach;

pub use connect::{ClusterError, Connection, connect};
pub use fetch::fetch_snapshot;
