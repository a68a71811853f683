//! Entry point: the allocator and its setting, then parse arguments and
//! dispatch. Nothing else lives here.

use std::process::ExitCode;

/// jemalloc: faster than the system allocator when many threads decode
/// objects at once (the first lists of a large cluster), and, with the
/// settings `.cargo/config.toml` compiles in, it gives freed pages back to
/// the kernel within a tenth of a second, where mimalloc kept 40–50 MiB more
/// resident on a large cluster (docs/performance.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // A kernel set to `always` backs the allocator's memory with transparent
    // huge pages unasked: a 2 MiB page is resident as soon as one
    // object in it is, which on a large cluster costs about 30 MiB of resident
    // memory for no measurable speed (docs/performance.md). The flag is this
    // process's own; on a kernel without it the call fails and nothing changes.
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_thp_disable(true);
    svc_doctor::cli::main()
}
