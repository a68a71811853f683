//! The sandbox: a local Kubernetes API server that serves manifests.

pub mod faults;
pub mod load;
pub mod manifest;
pub mod resources;
pub mod selector;
pub mod store;

use std::process::ExitCode;

use crate::cli::SandboxArgs;

pub use manifest::{LoadError, parse_documents};

pub async fn run(_args: SandboxArgs) -> ExitCode {
    ExitCode::from(2)
}
