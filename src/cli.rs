//! Command-line interface: the flags of DESIGN §1 and dispatch to the subsystems.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Why can't my pods reach this Service, and what command fixes it?
#[derive(Debug, Parser)]
#[command(name = "svc-doctor", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub tui: TuiArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Diagnose Services headless and print a report (text or JSON).
    Check(CheckArgs),
    /// The dashboard on the built-in demo cluster: no cluster needed.
    Demo(TuiArgs),
    /// Serve manifests (or the built-in demo cluster) as a local Kubernetes API.
    Sandbox(SandboxArgs),
}

/// Cluster selection flags, with kubectl's names and meaning.
#[derive(Debug, Clone, Default, Args)]
pub struct ClusterArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, all files merged, else ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace to diagnose (default: the context's namespace, else `default`).
    #[arg(short = 'n', long, global = true, value_name = "NS")]
    pub namespace: Option<String>,
    /// Diagnose every namespace.
    #[arg(short = 'A', long, global = true, conflicts_with = "namespace")]
    pub all_namespaces: bool,
}

/// Dashboard flags (for `svc-doctor` and `svc-doctor demo`).
#[derive(Debug, Clone, Default, Args)]
pub struct TuiArgs {
    /// Colour theme: dark, light, high-contrast, a name under
    /// $XDG_CONFIG_HOME/svc-doctor/themes/, or a path to a .toml file.
    #[arg(long, value_name = "NAME|PATH", env = "SVC_DOCTOR_THEME")]
    pub theme: Option<String>,
    /// How to copy fix commands: the system clipboard, OSC 52 through the
    /// terminal (works over SSH), or auto (OSC 52 over SSH or without a display).
    #[arg(long, value_enum, default_value_t = crate::tui::ClipboardMode::Auto, value_name = "MODE")]
    pub clipboard: crate::tui::ClipboardMode,
    /// Write logs here (default: $XDG_STATE_HOME/svc-doctor/svc-doctor.log,
    /// else ~/.local/state/svc-doctor/svc-doctor.log).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

impl TuiArgs {
    /// These flags, with `outer`'s where these leave one unset: `svc-doctor
    /// --theme light demo` and `svc-doctor demo --theme light` mean the same.
    pub fn or(self, outer: TuiArgs) -> TuiArgs {
        TuiArgs {
            theme: self.theme.or(outer.theme),
            clipboard: if self.clipboard == crate::tui::ClipboardMode::Auto {
                outer.clipboard
            } else {
                self.clipboard
            },
            log_file: self.log_file.or(outer.log_file),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The Service to diagnose; all Services in scope when omitted.
    pub service: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Manifest files or folders (recursively *.yaml, *.yml, *.json).
    #[arg(long, num_args = 1.., value_name = "PATH", required_unless_present_any = ["demo", "synthetic"])]
    pub manifests: Vec<PathBuf>,
    /// Serve the built-in demo cluster instead of --manifests.
    #[arg(long, conflicts_with_all = ["manifests", "synthetic"])]
    pub demo: bool,
    /// Serve a generated cluster of this size instead (benchmarks):
    /// services=N,pods=M[,namespaces=K][,seed=S]; namespaces default to N/5.
    #[arg(long, value_name = "SPEC", conflicts_with = "manifests")]
    pub synthetic: Option<crate::sandbox::synthetic::Params>,
    /// Address to listen on (loopback unless you say otherwise).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Write a kubeconfig (server, CA data, token) for this sandbox.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Append one JSON line per request: {"method","path","query","status"}.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    pub http: bool,
    /// Accept this bearer token instead of a random one (a sandbox restarted
    /// with the same token and port keeps its clients).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SVC_DOCTOR_SANDBOX_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// Parse the command line and run; the exit status follows DESIGN §1.
pub fn main() -> ExitCode {
    crate::tui::logging::launched(); // the clock of "first complete screen"
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("svc-doctor: cannot start the async runtime: {err}");
            return ExitCode::from(2);
        }
    };
    let code = match cli.command {
        Some(Command::Sandbox(args)) => runtime.block_on(crate::sandbox::run(args)),
        Some(Command::Check(args)) => {
            runtime.block_on(crate::commands::check::run(&cli.cluster, &args))
        }
        Some(Command::Demo(tui)) => {
            runtime.block_on(crate::commands::demo::run(&cli.cluster, &tui))
        }
        None => runtime.block_on(crate::commands::dashboard::run(cli.cluster, &cli.tui, None)),
    };
    // Watchers and blocking diagnoses must not keep the process alive once
    // the user has quit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}
