//! `svc-doctor demo`: the dashboard on the built-in demo cluster, no cluster
//! needed. The sandbox runs in this process on a free loopback port, and the
//! dashboard reaches it through the ordinary client path (a kubeconfig, TLS,
//! a bearer token, kube-rs), exactly as it would a real cluster.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::{ClusterArgs, TuiArgs};
use crate::sandbox::{self, DEMO_CONTEXT, SandboxConfig};

pub async fn run(cluster: &ClusterArgs, tui: &TuiArgs) -> ExitCode {
    let sandbox = match sandbox::start(SandboxConfig::new(sandbox::demo_clusters())).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("svc-doctor: cannot start the demo cluster: {err}");
            return ExitCode::from(2);
        }
    };
    let kubeconfig = KubeconfigFile::new();
    if let Err(err) = sandbox.write_kubeconfig(&kubeconfig.0) {
        eprintln!(
            "svc-doctor: cannot write the demo kubeconfig {}: {err}",
            kubeconfig.0.display()
        );
        return ExitCode::from(2);
    }
    let args = ClusterArgs {
        kubeconfig: Some(kubeconfig.0.clone()),
        context: Some(
            cluster
                .context
                .clone()
                .unwrap_or_else(|| DEMO_CONTEXT.to_string()),
        ),
        // The demo's problems live in many namespaces: show them all unless told otherwise.
        all_namespaces: cluster.all_namespaces || cluster.namespace.is_none(),
        namespace: cluster.namespace.clone(),
    };
    let code = super::dashboard::run(args, tui, Some("demo")).await;
    sandbox.shutdown().await;
    code
}

/// The demo's kubeconfig: private to the user, removed when the demo ends.
struct KubeconfigFile(PathBuf);

impl KubeconfigFile {
    fn new() -> Self {
        let name = format!("svc-doctor-demo-{}.kubeconfig", std::process::id());
        KubeconfigFile(std::env::temp_dir().join(name))
    }
}

impl Drop for KubeconfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
