//! The sandbox: a local Kubernetes API server that serves manifests, so that
//! kubectl, kube-rs and svc-doctor itself run their real client path
//! (kubeconfig → TLS → bearer token → list/watch) without a cluster
//! (DESIGN §5, `docs/sandbox.md`).
//!
//! Module map:
//! - [`manifest`]: multi-document YAML/JSON parsing (pure, reused for fixtures).
//! - [`load`]: validating manifests into a cluster's objects, `PodLog`s and `Fault`s.
//! - [`resources`]: the served resource types and their discovery data.
//! - [`store`]: objects, resourceVersions, history and watch fan-out.
//! - [`selector`]: label and field selectors.
//! - [`faults`]: `Fault` rules.
//! - [`synthetic`]: a generated cluster of any size (`--synthetic`), for benchmarks.
//! - `api`, `objects`, `watch`: HTTP routes; `server`: TLS and connections;
//!   `tls`: generated CA and certificate; `journal`: the request journal.
//!
//! In-process use (the demo command, tests):
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use svc_doctor::sandbox::{ClusterSource, SandboxConfig, start};
//! let config = SandboxConfig::new(vec![ClusterSource::from_texts("sandbox", [("m.yaml", "")])]);
//! let sandbox = start(config).await?;
//! sandbox.write_kubeconfig(std::path::Path::new("/tmp/kubeconfig"))?;
//! println!("{}", sandbox.url());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod api;
mod demo;
pub mod faults;
mod journal;
pub mod load;
pub mod manifest;
mod objects;
mod protobuf;
pub mod resources;
pub mod selector;
mod server;
mod status;
pub mod store;
pub mod synthetic;
mod tls;
mod watch;

use std::io::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use base64::Engine as _;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::cli::SandboxArgs;

pub use api::USER;
pub use demo::{DEMO_CONTEXT, DNS_OUTAGE_CONTEXT, clusters as demo_clusters};
pub use faults::{Fault, FaultAction};
pub use load::{ClusterSource, ManifestSource, PodLog};
pub use manifest::{LoadError, parse_documents};

use api::{App, Cluster, lock};
use journal::Journal;

/// The context name of a sandbox started with `--manifests`.
pub const DEFAULT_CONTEXT: &str = "sandbox";

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The clusters, each a kubeconfig context. The first is served at `/`,
    /// the others under `/clusters/CONTEXT/`.
    pub clusters: Vec<ClusterSource>,
    /// Default `127.0.0.1:0` (a free port on loopback).
    pub listen: SocketAddr,
    /// HTTPS with a generated CA (default) or plain HTTP.
    pub tls: bool,
    /// Append one JSON line per request to this file.
    pub journal: Option<PathBuf>,
    /// The bearer token to accept; a random one when `None`.
    pub token: Option<String>,
}

impl SandboxConfig {
    /// HTTPS on a free loopback port, no journal.
    pub fn new(clusters: Vec<ClusterSource>) -> SandboxConfig {
        SandboxConfig {
            clusters,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tls: true,
            journal: None,
            token: None,
        }
    }
}

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A manifest is broken; displays as `FILE: document N: reason`.
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("no cluster to serve")]
    NoClusters,
    #[error("invalid context name {0:?}: use letters, digits, '.', '_' and '-', each name once")]
    BadContext(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    #[error("cannot open the journal {}: {source}", path.display())]
    Journal { path: PathBuf, source: io::Error },
    #[error("{0}")]
    Tls(String),
}

/// A fault was addressed to a context the sandbox does not serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sandbox serves no context {0:?}")]
pub struct UnknownContext(pub String);

/// A sandbox serving in the background of this process. Dropping it stops
/// the server too; [`RunningSandbox::shutdown`] also waits for the accept
/// loop to end.
pub struct RunningSandbox {
    app: Arc<App>,
    base_url: String,
    local_addr: SocketAddr,
    ca_pem: Option<String>,
    server: Option<JoinHandle<()>>,
}

/// Load every cluster (nothing is served unless all of them load), bind
/// `config.listen` and serve in the background.
pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, StartError> {
    if config.clusters.is_empty() {
        return Err(StartError::NoClusters);
    }
    for (i, cluster) in config.clusters.iter().enumerate() {
        let name = &cluster.context;
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            && !config.clusters[..i].iter().any(|c| c.context == *name);
        if !valid {
            return Err(StartError::BadContext(name.clone()));
        }
    }
    let now = objects::now();
    let sources = config.clusters.clone();
    // Reading and validating manifests is blocking work.
    let loaded = tokio::task::spawn_blocking(move || {
        sources
            .iter()
            .map(|source| load::load_cluster(source, &now))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|err| StartError::Tls(format!("loading the manifests failed: {err}")))??;

    let journal = match &config.journal {
        Some(path) => Some(Journal::open(path).map_err(|source| StartError::Journal {
            path: path.clone(),
            source,
        })?),
        None => None,
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let host = match local_addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let (acceptor, ca_pem) = if config.tls {
        let tls = tls::generate(local_addr.ip()).map_err(StartError::Tls)?;
        (
            Some(tokio_rustls::TlsAcceptor::from(tls.server_config)),
            Some(tls.ca_pem),
        )
    } else {
        (None, None)
    };
    let scheme = if config.tls { "https" } else { "http" };
    let server_address = SocketAddr::new(host, local_addr.port()).to_string();
    let base_url = format!("{scheme}://{server_address}");

    let clusters = config
        .clusters
        .iter()
        .zip(loaded)
        .enumerate()
        .map(|(i, (source, loaded))| {
            let prefix = if i == 0 {
                String::new()
            } else {
                format!("/clusters/{}", source.context)
            };
            Arc::new(Cluster::new(source.context.clone(), prefix, loaded))
        })
        .collect();
    let shutdown = CancellationToken::new();
    let app = Arc::new(App {
        clusters,
        token: config.token.clone().unwrap_or_else(tls::random_token),
        require_token: config.tls,
        journal,
        shutdown: shutdown.clone(),
        server_address,
    });
    let server = tokio::spawn(server::serve(
        listener,
        acceptor,
        api::router(Arc::clone(&app)),
        shutdown,
    ));
    tracing::info!(url = %base_url, "sandbox serving");
    Ok(RunningSandbox {
        app,
        base_url,
        local_addr,
        ca_pem,
        server: Some(server),
    })
}

impl RunningSandbox {
    /// The URL of the first cluster (the one `sandbox listening on` prints).
    pub fn url(&self) -> &str {
        &self.base_url
    }

    /// The address actually bound (the port chosen for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The served contexts, the first one being the kubeconfig's current context.
    pub fn contexts(&self) -> Vec<&str> {
        self.app
            .clusters
            .iter()
            .map(|c| c.context.as_str())
            .collect()
    }

    /// The API server URL of a context.
    pub fn context_url(&self, context: &str) -> Option<String> {
        self.cluster(context)
            .ok()
            .map(|c| format!("{}{}", self.base_url, c.prefix))
    }

    /// The bearer token clients must send.
    pub fn token(&self) -> &str {
        &self.app.token
    }

    /// The CA certificate (PEM) that signed the server certificate; `None`
    /// over plain HTTP.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    fn cluster(&self, context: &str) -> Result<&Arc<Cluster>, UnknownContext> {
        self.app
            .clusters
            .iter()
            .find(|c| c.context == context)
            .ok_or_else(|| UnknownContext(context.to_string()))
    }

    /// A kubeconfig with one cluster and context per served cluster (the
    /// first is current), the CA data and the token.
    pub fn kubeconfig_yaml(&self) -> String {
        let mut clusters = String::new();
        let mut contexts = String::new();
        for cluster in &self.app.clusters {
            let name = &cluster.context;
            clusters.push_str(&format!(
                "- name: {name}\n  cluster:\n    server: \"{}{}\"\n",
                self.base_url, cluster.prefix
            ));
            if let Some(ca) = &self.ca_pem {
                let data = base64::engine::general_purpose::STANDARD.encode(ca);
                clusters.push_str(&format!("    certificate-authority-data: {data}\n"));
            }
            contexts.push_str(&format!(
                "- name: {name}\n  context:\n    cluster: {name}\n    user: {USER}\n"
            ));
        }
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{contexts}current-context: {}\nusers:\n- name: {USER}\n  user:\n    token: \"{}\"\npreferences: {{}}\n",
            self.app.clusters[0].context, self.app.token
        )
    }

    /// Write [`kubeconfig_yaml`](Self::kubeconfig_yaml) to `path`, readable
    /// by its owner only (it holds the token).
    pub fn write_kubeconfig(&self, path: &Path) -> io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(path)?;
        file.write_all(self.kubeconfig_yaml().as_bytes())?;
        file.flush()
    }

    /// Add a fault rule to a context at runtime. An `expire` rule also closes
    /// the open watches it matches, so that their next watch expires.
    pub fn add_fault(&self, context: &str, fault: Fault) -> Result<(), UnknownContext> {
        self.cluster(context)?.add_fault(fault);
        Ok(())
    }

    /// Remove every fault rule of a context (those loaded from manifests too).
    pub fn clear_faults(&self, context: &str) -> Result<(), UnknownContext> {
        lock(&self.cluster(context)?.faults).clear();
        Ok(())
    }

    /// Stop serving: no new connections, open ones (watches too) dropped.
    pub async fn shutdown(mut self) {
        self.app.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.app.shutdown.cancel();
    }
}

/// `svc-doctor sandbox`: serve until SIGINT or SIGTERM. Prints exactly one
/// line on stdout when ready; load errors go to stderr as one line, exit 2.
pub async fn run(args: SandboxArgs) -> ExitCode {
    init_logging();
    let clusters = if args.demo {
        demo::clusters()
    } else if let Some(params) = args.synthetic {
        vec![ClusterSource::synthetic(DEFAULT_CONTEXT, params)]
    } else {
        vec![ClusterSource::from_paths(DEFAULT_CONTEXT, args.manifests)]
    };
    let config = SandboxConfig {
        clusters,
        listen: args.listen,
        tls: !args.http,
        journal: args.journal,
        token: args.token,
    };
    let sandbox = match start(config).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("svc-doctor: {err}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = &args.kubeconfig_out
        && let Err(err) = sandbox.write_kubeconfig(path)
    {
        eprintln!(
            "svc-doctor: cannot write the kubeconfig {}: {err}",
            path.display()
        );
        return ExitCode::from(2);
    }
    {
        let mut stdout = io::stdout().lock();
        let ready = writeln!(stdout, "sandbox listening on {}", sandbox.url())
            .and_then(|()| stdout.flush());
        if let Err(err) = ready {
            tracing::warn!(%err, "cannot print the ready line");
        }
    }
    wait_for_signal().await;
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

/// Logs go to stderr (stdout carries only the ready line); `RUST_LOG`
/// chooses the level, `warn` by default.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_env_filter(filter)
        .try_init();
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                return;
            }
            Err(err) => tracing::warn!(%err, "cannot listen for SIGTERM"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
