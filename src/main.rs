//! Entry point: the allocator and its setting, then parse arguments and
//! dispatch. Nothing else lives here.

use std::process::ExitCode;

/// mimalloc: faster than the system allocator when many threads decode
/// objects at once (the first lists of a large cluster; docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // mimalloc asks for transparent huge pages on its arenas, and a kernel set
    // to `always` gives them unasked: a 2 MiB page is resident as soon as one
    // object in it is, which on a large cluster costs about 30 MiB of resident
    // memory for no measurable speed (docs/performance.md). The flag is this
    // process's own; on a kernel without it the call fails and nothing changes.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
    svc_doctor::cli::main()
}
