//! Logs go to a file while the dashboard owns the terminal, never onto the
//! screen: `--log-file PATH`, else `$XDG_STATE_HOME/svc-doctor/svc-doctor.log`
//! (`~/.local/state/svc-doctor/svc-doctor.log` when unset). The level comes
//! from `SVC_DOCTOR_LOG` (or `RUST_LOG`), `info` by default.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use tracing_subscriber::EnvFilter;

static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
static LAUNCHED: OnceLock<Instant> = OnceLock::new();

/// When the process started (the first call, which `cli::main` makes at
/// once): the dashboard logs its first complete screen relative to it.
pub fn launched() -> Instant {
    *LAUNCHED.get_or_init(Instant::now)
}

/// The default log file under the user's state directory.
pub fn default_path() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".local").join("state"))
        })?;
    Some(state.join("svc-doctor").join("svc-doctor.log"))
}

/// Send this process's logs to `path` (or the default), once. Later calls
/// return the first call's outcome. On error, nothing is logged anywhere
/// (rather than onto the screen) and the message says why.
pub fn init(path: Option<&Path>) -> Result<PathBuf, String> {
    INSTALLED
        .get_or_init(|| {
            let path =
                match path.map(Path::to_path_buf).or_else(default_path) {
                    Some(p) => p,
                    None => return Err(
                        "no log file: neither $XDG_STATE_HOME nor $HOME is set (use --log-file)"
                            .to_string(),
                    ),
                };
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("cannot create the log directory {}: {e}", dir.display())
                })?;
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| format!("cannot open the log file {}: {e}", path.display()))?;
            let filter = EnvFilter::try_from_env("SVC_DOCTOR_LOG")
                .or_else(|_| EnvFilter::try_from_default_env())
                .unwrap_or_else(|_| EnvFilter::new("info"));
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .try_init()
                .map_err(|e| format!("logging was already set up elsewhere: {e}"))?;
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                "svc-doctor dashboard starting"
            );
            Ok(path)
        })
        .clone()
}
