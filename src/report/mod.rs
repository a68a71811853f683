//! Rendering a [`crate::diagnose::report::Report`]: [`text`] for people,
//! [`json`] for scripts (the `svc-doctor.report/v1` schema of DESIGN §3).

pub mod json;
pub mod text;

use crate::diagnose::report::Status;

/// The symbol of a status: verdicts stay distinguishable without colour.
pub fn symbol(status: Status) -> &'static str {
    match status {
        Status::Pass => "✓",
        Status::Warn => "!",
        Status::Fail => "✗",
        Status::Unknown => "?",
        Status::Blocked => "·",
        Status::Skip => "-",
    }
}
