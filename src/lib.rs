//! svc-doctor: why can't my pods reach this Service, and what command fixes it?
//!
//! Module map (see `docs/architecture.md`):
//! - [`cli`]: argument parsing and dispatch; [`commands`]: one module per subcommand.
//! - [`snapshot`]: the plain data handed from `cluster` to `diagnose`.
//! - [`cluster`]: the only code that talks to the Kubernetes API (kube-rs).
//! - [`diagnose`]: the pure engine, `fn(&Snapshot, now) -> Report`.
//! - [`report`]: text and JSON rendering of a report.
//! - [`sandbox`]: the local Kubernetes API server used by the demo and tests.
//! - [`safe_text`]: shell quoting and control-character stripping for cluster strings.
//! - [`tui`]: the terminal dashboard (state, update, views, keys, themes, clipboard).

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod diagnose;
pub mod model;
pub mod report;
pub mod safe_text;
pub mod sandbox;
pub mod snapshot;
pub mod tui;
