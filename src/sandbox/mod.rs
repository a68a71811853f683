//! The sandbox: a local Kubernetes API server that serves manifests.

use std::process::ExitCode;

use crate::cli::SandboxArgs;

pub async fn run(_args: SandboxArgs) -> ExitCode {
    ExitCode::from(2)
}
