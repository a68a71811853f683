//! One module per subcommand: each turns parsed flags into work and an exit status.

pub mod check;
pub mod dashboard;
pub mod demo;
