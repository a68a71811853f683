//! Every fix command built from hostile cluster strings must reach kubectl
//! as exactly the intended arguments and execute nothing else.
//!
//! Each command runs under `sh -c` with a `PATH` holding only a fake
//! `kubectl` that prints its arguments NUL-separated (and what it read on
//! stdin); `printf` in the pipelines stays the shell builtin. The expected
//! split is POSIX single-quote rules (`shlex`), which never expand `$(…)` or
//! backticks; the hostile strings are also looked for verbatim among the
//! arguments, JSON arguments must parse, and a `$(touch …)` that ran would
//! leave a file behind in the working directory, which must stay empty.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use super::super::report::Report;
use super::super::testing::*;
use super::super::{Options, diagnose};
use crate::snapshot::Scope;

const HOSTILE: &str = include_str!("../../tests/fixtures/engine/service/hostile.yaml");
const NS: &str = "sh'op;touch pwned-ns;";

const FAKE_KUBECTL: &str = "#!/bin/sh\n\
for a in \"$@\"; do printf '%s\\0' \"$a\"; done\n\
printf '\\001'\n\
while IFS= read -r line; do printf '%s\\n' \"$line\"; done\n";

fn commands(report: &Report) -> Vec<String> {
    report
        .services
        .iter()
        .flat_map(|s| &s.steps)
        .flat_map(|s| &s.findings)
        .flat_map(|f| f.fix.iter())
        .flat_map(|f| f.commands.iter().cloned())
        .collect()
}

/// What `sh -c cmd` delivered to the fake kubectl: (argv, stdin).
fn run_in_shell(cmd: &str, bin: &Path, work: &Path) -> (Vec<String>, String) {
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(cmd)
        .env_clear()
        .env("PATH", bin)
        .current_dir(work)
        .stdin(Stdio::null())
        .output()
        .expect("run /bin/sh");
    assert!(
        out.status.success(),
        "{cmd}\nstatus {:?}\nstderr {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let (args, stdin) = stdout.split_once('\u{1}').expect("separator");
    let argv = args
        .split('\0')
        .filter(|_| !args.is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>();
    let argv = match argv.split_last() {
        Some((last, rest)) if last.is_empty() => rest.to_vec(),
        _ => argv,
    };
    (argv, stdin.to_string())
}

/// The arguments kubectl must receive, and the stdin it must read, by POSIX
/// quoting rules (no expansion of any kind inside single quotes).
fn intended(cmd: &str) -> (Vec<String>, String) {
    let words = shlex::split(cmd).unwrap_or_else(|| panic!("unbalanced quoting: {cmd}"));
    if words.first().map(String::as_str) == Some("printf") {
        assert_eq!(words[1], "%s\\n", "{cmd}");
        assert_eq!(words[3], "|", "{cmd}");
        assert_eq!(words[4], "kubectl", "{cmd}");
        (words[5..].to_vec(), format!("{}\n", words[2]))
    } else {
        assert_eq!(words[0], "kubectl", "{cmd}");
        (words[1..].to_vec(), String::new())
    }
}

#[test]
fn hostile_names_reach_kubectl_as_exact_arguments_and_run_nothing() {
    let mut cmds = commands(&run(&[BASE, HOSTILE]));
    // SVC-001 for Services that do not exist (check SERVICE -n NS).
    for missing in ["pg$(touch pwned-pg)", "st$(touch pwned-sts)"] {
        let mut snap = snapshot(&[BASE, HOSTILE]);
        snap.scope = Scope::Namespace(NS.to_string());
        let options = Options {
            service: Some(missing.to_string()),
        };
        cmds.extend(commands(&diagnose(&snap, now(), &options)));
    }
    cmds.sort();
    cmds.dedup();

    // The fixture exercises every kind of command the four steps build.
    for needle in [
        " expose deployment ",
        "| kubectl apply -f -",
        " patch service ",
        " patch deployment ",
        " patch statefulset ",
        " set resources ",
        " describe pod ",
        "kubectl taint nodes ",
        " label endpointslice ",
        " delete endpointslice ",
        " get endpointslices -l ",
    ] {
        assert!(
            cmds.iter().any(|c| c.contains(needle)),
            "no command with {needle:?} in {cmds:#?}"
        );
    }

    let bin = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let kubectl = bin.path().join("kubectl");
    std::fs::write(&kubectl, FAKE_KUBECTL).expect("write fake kubectl");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&kubectl, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    let mut all_args = BTreeSet::new();
    for cmd in &cmds {
        let (argv, stdin) = run_in_shell(cmd, bin.path(), work.path());
        let (want_argv, want_stdin) = intended(cmd);
        assert_eq!(argv, want_argv, "argv of {cmd}");
        assert_eq!(stdin, want_stdin, "stdin of {cmd}");
        for a in argv
            .iter()
            .filter(|a| a.starts_with('[') || a.starts_with('{'))
        {
            serde_json::from_str::<serde_json::Value>(a)
                .unwrap_or_else(|e| panic!("JSON argument of {cmd}: {e}"));
        }
        if !stdin.is_empty() {
            serde_json::from_str::<serde_json::Value>(stdin.trim_end())
                .unwrap_or_else(|e| panic!("manifest of {cmd}: {e}"));
        }
        all_args.extend(argv);
    }

    // Nothing else ran: a $(touch …), `touch …` or ;touch … would leave a file.
    let left: Vec<_> = std::fs::read_dir(work.path())
        .expect("read work dir")
        .map(|e| e.map(|e| e.file_name()))
        .collect();
    assert!(left.is_empty(), "commands executed something: {left:?}");

    // The hostile strings arrive verbatim, each as one argument.
    for exact in [
        NS,
        "we'b $(touch pwned-svc)",
        "ok$(touch pwned-ok)",
        "dep$(touch pwned-dep)",
        "pull\n$(touch pwned-pod2)",
        "c\"q$(touch pwned-container)",
        "sl'ice`touch pwned-slice`",
        "ext`touch pwned-ext`-1;touch pwned-slice2",
        "kubernetes.io/service-name=ext`touch pwned-ext`",
        "node;touch pwned-node",
        "k$(touch pwned-taint)=v'v:NoSchedule-",
        "pg$(touch pwned-pg)",
        "--name=pg$(touch pwned-pg)",
        "deployment/dep$(touch pwned-dep)",
        "x'ip",
    ] {
        assert!(
            all_args.contains(exact),
            "{exact:?} not among {all_args:#?}"
        );
    }
    // The label key with `/` is pointer-escaped inside the JSON patch, and the
    // value with a newline and non-ASCII survives.
    let template_patch = all_args
        .iter()
        .find(|a| a.contains("/spec/template/metadata/labels/"))
        .expect("a template label patch");
    let patch: serde_json::Value = serde_json::from_str(template_patch).expect("json");
    assert_eq!(patch[0]["path"], "/spec/template/metadata/labels/tier~1x'y");
    assert_eq!(patch[0]["value"], "a b\nc ñ日本");
}
