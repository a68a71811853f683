//! Entry point: parse arguments and dispatch. Nothing else lives here.

use std::process::ExitCode;

fn main() -> ExitCode {
    svc_doctor::cli::main()
}
