//! Building a client from the user's kubeconfig (or in-cluster config).

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};

use kube::{Client, Config};

use crate::cli::ClusterArgs;

/// How long to wait for a TCP/TLS connection to the API server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the first request (`GET /version`) may take before we call the
/// API server unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one request (one page of a list, one log tail) may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A client and what the kubeconfig said about the context.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// The context name (`in-cluster` when running in a pod).
    pub context: String,
    /// The context's namespace, else `default`.
    pub default_namespace: String,
    /// The API server URL, for messages.
    pub server: String,
    /// Every context in the kubeconfig, for pickers.
    pub contexts: Vec<String>,
}

/// Why svc-doctor could not talk to the cluster. `Display` is one sentence
/// that says what to do; it is printed as is (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "cannot read kubeconfig {path}: {reason}; check the file or pass another with --kubeconfig"
    )]
    Kubeconfig { path: String, reason: String },
    #[error(
        "no kubeconfig found ({tried}) and not running in a cluster; pass --kubeconfig FILE or set KUBECONFIG"
    )]
    NoConfig { tried: String },
    #[error(
        "context {name:?} is not in the kubeconfig (it has: {available}); pick one with --context"
    )]
    UnknownContext { name: String, available: String },
    #[error(
        "the kubeconfig's context {context:?} is unusable: {reason}; fix the kubeconfig or pick another context with --context"
    )]
    BadContext { context: String, reason: String },
    #[error(
        "cannot reach the API server at {server}: {reason}; check that the cluster is up and reachable, or pick another context with --context"
    )]
    Unreachable { server: String, reason: String },
    #[error(
        "the API server at {server} rejected the credentials ({reason}); log in again or pick another context with --context"
    )]
    Unauthorized { server: String, reason: String },
}

/// Load the kubeconfig as kubectl does and build a client for the context.
///
/// Order: `--kubeconfig FILE`; else `$KUBECONFIG` (all files merged); else
/// `~/.kube/config`; else in-cluster config. Exec credential plugins, client
/// certificates and tokens work as kube-rs provides them.
pub async fn connect(args: &ClusterArgs) -> Result<Connection, ClusterError> {
    let kubeconfig = match &args.kubeconfig {
        Some(path) => Some(read_kubeconfig(path)?),
        None => match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
            Some(list) => read_kubeconfig_list(&list)?,
            None => match default_kubeconfig_path().filter(|p| p.exists()) {
                Some(p) => Some(read_kubeconfig(&p)?),
                None => None,
            },
        },
    };

    let (mut config, context, contexts) = match kubeconfig {
        Some(kc) => {
            let contexts: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
            let context = match &args.context {
                Some(name) => {
                    if !contexts.contains(name) {
                        return Err(ClusterError::UnknownContext {
                            name: name.clone(),
                            available: if contexts.is_empty() {
                                "none".into()
                            } else {
                                contexts.join(", ")
                            },
                        });
                    }
                    name.clone()
                }
                None => kc.current_context.clone().unwrap_or_default(),
            };
            let options = KubeConfigOptions {
                context: Some(context.clone()),
                ..Default::default()
            };
            let config = Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|err| ClusterError::BadContext {
                    context: context.clone(),
                    reason: one_line(&err),
                })?;
            (config, context, contexts)
        }
        None => {
            let config = Config::incluster().map_err(|_| ClusterError::NoConfig {
                tried: default_kubeconfig_path().map_or_else(
                    || "no home directory".to_string(),
                    |p| p.display().to_string(),
                ),
            })?;
            (
                config,
                "in-cluster".to_string(),
                vec!["in-cluster".to_string()],
            )
        }
    };
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    // Reads are bounded per request by the callers (tokio timeouts), so that
    // long-lived watches in the dashboard are not cut.
    let server = config.cluster_url.to_string();
    let default_namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|err| ClusterError::BadContext {
        context: context.clone(),
        reason: one_line(&err),
    })?;
    Ok(Connection {
        client,
        context,
        default_namespace,
        server,
        contexts,
    })
}

/// Check that the API server answers and accepts our credentials (`GET /version`).
pub async fn probe(conn: &Connection) -> Result<(), ClusterError> {
    match tokio::time::timeout(PROBE_TIMEOUT, conn.client.apiserver_version()).await {
        Err(_) => Err(ClusterError::Unreachable {
            server: conn.server.clone(),
            reason: format!("no answer within {}s", PROBE_TIMEOUT.as_secs()),
        }),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(status))) if status.code == 401 => {
            Err(ClusterError::Unauthorized {
                server: conn.server.clone(),
                reason: format!("401 {}", status.message),
            })
        }
        // Some clusters forbid /version to some users; the lists will tell.
        Ok(Err(kube::Error::Api(_))) => Ok(()),
        Ok(Err(err)) => {
            let mut reason = one_line(&err);
            // hyper-timeout's wording for the connect timeout is cryptic.
            if reason.contains("deadline has elapsed") {
                reason = format!(
                    "no answer within {}s (TCP/TLS connect)",
                    CONNECT_TIMEOUT.as_secs()
                );
            }
            Err(ClusterError::Unreachable {
                server: conn.server.clone(),
                reason,
            })
        }
    }
}

/// `$KUBECONFIG`: every listed file that exists, merged in order (the first
/// file to set a value wins), as kubectl does; missing files are skipped.
fn read_kubeconfig_list(list: &std::ffi::OsStr) -> Result<Option<Kubeconfig>, ClusterError> {
    let mut merged: Option<Kubeconfig> = None;
    for path in std::env::split_paths(list).filter(|p| !p.as_os_str().is_empty() && p.exists()) {
        let next = read_kubeconfig(&path)?;
        merged = Some(match merged {
            None => next,
            Some(acc) => acc.merge(next).map_err(|err| ClusterError::Kubeconfig {
                path: path.display().to_string(),
                reason: one_line(&err),
            })?,
        });
    }
    Ok(merged)
}

fn read_kubeconfig(path: &Path) -> Result<Kubeconfig, ClusterError> {
    if !path.exists() {
        return Err(ClusterError::Kubeconfig {
            path: path.display().to_string(),
            reason: "no such file".into(),
        });
    }
    Kubeconfig::read_from(path).map_err(|err: KubeconfigError| ClusterError::Kubeconfig {
        path: path.display().to_string(),
        reason: one_line(&err),
    })
}

fn default_kubeconfig_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".kube").join("config"))
}

/// An error and its causes on one line, without Debug noise.
pub fn one_line(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    crate::safe_text::sanitize(&out).into_owned()
}
