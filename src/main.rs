//! Entry point: parse arguments and dispatch. Nothing else lives here.

use std::process::ExitCode;

/// mimalloc: faster than the system allocator when many threads decode
/// objects at once (the first lists of a large cluster; docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    svc_doctor::cli::main()
}
