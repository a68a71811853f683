//! The terminal dashboard (The Elm Architecture on ratatui).
//!
//! - [`msg`]: the contract with the pipeline — [`Msg`] in, [`Command`] out,
//!   and the [`Effect`]s `update` returns.
//! - [`state`]: the state; [`update`]: the one place it changes.
//! - [`view`]: frames drawn from the state; [`tree`]: stable node ids.
//! - [`keys`]: the one key table (dispatch, help, hints).
//! - [`theme`]: semantic style slots, `themes/*.toml`, `NO_COLOR`.
//! - [`clipboard`]: the only code touching the clipboard (arboard, OSC 52).
//! - [`terminal`]: raw mode and alternate screen in and out, panic hook.
//! - [`logging`]: logs to a file, never the screen.
//! - [`app`]: the run loop tying terminal events, messages and effects together.
//!
//! # Driving it
//! ```ignore
//! let log = svc_doctor::tui::logging::init(args.log_file.as_deref()); // before spawning tasks
//! let (tx, rx) = tokio::sync::mpsc::channel(64);
//! let (cmd_tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
//! tokio::spawn(pipeline(tx, cmd_rx)); // sends Msg::Connection, Msg::Report, …
//! let code = svc_doctor::tui::run_dashboard(TuiOptions::new(&args, context, scope), rx, cmd_tx).await;
//! ```

pub mod app;
pub mod clipboard;
pub mod keys;
pub mod logging;
pub mod msg;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod tree;
pub mod update;
pub mod view;

use std::path::PathBuf;
use std::time::Duration;

pub use app::run_dashboard;
pub use clipboard::ClipboardMode;
pub use msg::{Command, Connection, CopyMethod, Effect, LoadProgress, Msg};
pub use state::State;
pub use update::update;

use crate::snapshot::Scope;

/// How the dashboard starts.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// The kubeconfig context shown until the pipeline says otherwise.
    pub context: String,
    pub scope: Scope,
    /// `--theme NAME|PATH`; the default theme when `None`.
    pub theme: Option<String>,
    pub clipboard: ClipboardMode,
    /// `--log-file`; the state directory's log when `None`.
    pub log_file: Option<PathBuf>,
    /// A label before the context in the status bar (`demo`).
    pub label: Option<String>,
    /// How often the clock ticks (toasts, the loading indicator).
    pub tick: Duration,
}

impl TuiOptions {
    pub fn new(args: &crate::cli::TuiArgs, context: impl Into<String>, scope: Scope) -> Self {
        TuiOptions {
            context: context.into(),
            scope,
            theme: args.theme.clone(),
            clipboard: args.clipboard,
            log_file: args.log_file.clone(),
            label: None,
            tick: Duration::from_millis(250),
        }
    }
}
