//! The contract between the dashboard and the rest of the program.
//!
//! Background tasks (the live pipeline: reflectors → snapshot → debounced
//! diagnosis) talk to the UI only by sending owned [`Msg`]s over a
//! `tokio::sync::mpsc` channel. The UI answers with [`Command`]s over an
//! unbounded channel, so it never waits on the pipeline. Inside the UI,
//! [`super::update::update`] turns each `Msg` into state changes and
//! [`Effect`]s, which the run loop carries out.
//!
//! Keep this file stable: the pipeline is written against it.

use std::time::Instant;

use crossterm::event::KeyEvent;
use jiff::Timestamp;

use crate::diagnose::report::{Report, ServiceRef};
use crate::snapshot::history::ReadyCounts;
use crate::snapshot::{ReadFailure, Scope};

/// Everything that can change the dashboard's state.
#[derive(Debug, Clone)]
pub enum Msg {
    // ----- from the pipeline -----
    /// A new diagnosis, and when its snapshot was taken.
    Report {
        report: Box<Report>,
        computed_at: Timestamp,
    },
    /// The state of the connection to the API server.
    Connection(Connection),
    /// Reads refused or failed (403s): which resources, in which namespaces.
    /// Replaces the previous list; an empty list means everything is readable.
    Access(Vec<ReadFailure>),
    /// The kubeconfig contexts the context picker offers, and the current one.
    Contexts {
        contexts: Vec<String>,
        current: String,
    },
    /// The namespaces the namespace picker offers (besides "all namespaces").
    Namespaces(Vec<String>),
    /// The context and scope the pipeline now watches (after a switch, or at start).
    Target {
        context: String,
        scope: Scope,
    },
    /// Ready-endpoint counts over time (oldest first) per Service, for the
    /// sparkline of the `pods` step (RDY-003). Entries are upserted; an empty
    /// history removes the Service's entry.
    Readiness(Vec<(ServiceRef, ReadyCounts)>),

    // ----- from the terminal and the run loop -----
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// A clock tick: expires toasts and animates the loading indicator.
    Tick(Instant),
    /// The outcome of an [`Effect::Copy`].
    Copied {
        what: String,
        outcome: Result<CopyMethod, String>,
    },
    /// A command could not be handed to the pipeline (its receiver is gone).
    PipelineGone,
}

/// The state of the connection to the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Building the client, reaching the API server.
    Connecting,
    /// The initial lists are being read.
    Loading { progress: Vec<LoadProgress> },
    /// Watches are up; reports follow the cluster.
    Live,
    /// The API server cannot be reached; the last data is kept and shown as stale.
    Disconnected { since: Timestamp, error: String },
}

/// How far the initial list of one resource kind has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProgress {
    /// The API plural (`pods`, `endpointslices`).
    pub kind: String,
    /// Objects listed so far.
    pub listed: usize,
    /// The list is complete (the watch has started).
    pub done: bool,
}

impl LoadProgress {
    pub fn new(kind: impl Into<String>, listed: usize, done: bool) -> Self {
        LoadProgress {
            kind: kind.into(),
            listed,
            done,
        }
    }
}

/// How text reached the clipboard (shown in the toast).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyMethod {
    /// The system clipboard; the label names it (`X11`, `macOS`, `Windows`).
    Native(&'static str),
    /// An OSC 52 escape sequence written to the terminal.
    Osc52,
}

impl std::fmt::Display for CopyMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CopyMethod::Native(label) => f.write_str(label),
            CopyMethod::Osc52 => f.write_str("OSC 52"),
        }
    }
}

/// What `update` asks the run loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Put `text` on the clipboard; `what` says what it is (`1 command`).
    Copy { text: String, what: String },
    /// Re-read the cluster now.
    Refresh,
    /// Switch to another kubeconfig context.
    SwitchContext(String),
    /// Diagnose another namespace scope.
    SetScope(Scope),
    /// Leave the dashboard.
    Quit,
}

/// What the UI asks of the pipeline (the effects that are not the UI's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Refresh,
    SwitchContext(String),
    SetScope(Scope),
}

impl Effect {
    /// The pipeline command this effect stands for, if it is one.
    pub fn command(&self) -> Option<Command> {
        match self {
            Effect::Refresh => Some(Command::Refresh),
            Effect::SwitchContext(name) => Some(Command::SwitchContext(name.clone())),
            Effect::SetScope(scope) => Some(Command::SetScope(scope.clone())),
            Effect::Copy { .. } | Effect::Quit => None,
        }
    }
}
