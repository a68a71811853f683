#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `svc-doctor check` when the diagnosis cannot run: exit status 2 and one
//! sentence on stderr saying what to do — never a stack trace or a hang.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_svc-doctor"));
    // Never pick up the developer's own cluster.
    cmd.env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent-home")
        .env("NO_COLOR", "1");
    cmd
}

fn kubeconfig(dir: &tempfile::TempDir, server: &str) -> std::path::PathBuf {
    let path = dir.path().join("kubeconfig");
    let mut f = std::fs::File::create(&path).unwrap();
    write!(
        f,
        "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: \"{server}\"}}}}]\n\
         users: [{{name: u, user: {{token: t}}}}]\ncontexts: [{{name: dev, context: {{cluster: c, user: u, namespace: shop}}}}]\n\
         current-context: dev\n"
    )
    .unwrap();
    path
}

/// Exit 2, nothing on stdout, exactly one line on stderr containing `needle`.
#[track_caller]
fn assert_one_sentence(out: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        out.stdout.is_empty(),
        "stdout must stay empty: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in {stderr:?}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
}

#[test]
fn missing_kubeconfig_file_says_which() {
    let out = bin()
        .args(["check", "--kubeconfig", "/nonexistent/kc.yaml"])
        .output()
        .unwrap();
    assert_one_sentence(&out, "cannot read kubeconfig /nonexistent/kc.yaml");
}

#[test]
fn broken_kubeconfig_yaml_is_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kc");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters: [ {unclosed\n",
    )
    .unwrap();
    let out = bin()
        .arg("check")
        .arg("--kubeconfig")
        .arg(&path)
        .output()
        .unwrap();
    assert_one_sentence(&out, "cannot read kubeconfig");
}

#[test]
fn no_kubeconfig_anywhere_and_not_in_a_cluster() {
    let out = bin()
        .arg("check")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert_one_sentence(&out, "no kubeconfig found");
}

#[test]
fn unknown_context_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(&dir, "https://127.0.0.1:1");
    let out = bin()
        .arg("check")
        .arg("--kubeconfig")
        .arg(&kc)
        .args(["--context", "prod"])
        .output()
        .unwrap();
    assert_one_sentence(
        &out,
        "context \"prod\" is not in the kubeconfig (it has: dev)",
    );
}

#[test]
fn refused_connection_is_unreachable() {
    // Bind then drop: the port is very likely closed now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(&dir, &format!("https://127.0.0.1:{port}"));
    let out = bin()
        .arg("check")
        .arg("--kubeconfig")
        .arg(&kc)
        .output()
        .unwrap();
    assert_one_sentence(&out, "cannot reach the API server at https://127.0.0.1:");
}

#[test]
fn kubeconfig_env_skips_missing_files_like_kubectl() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(&dir, &format!("https://127.0.0.1:{port}"));
    let list = format!("/nonexistent/a.yaml:{}", kc.display());
    let out = bin().arg("check").env("KUBECONFIG", list).output().unwrap();
    // It got past the kubeconfig (to the network), so the merge worked.
    assert_one_sentence(&out, "cannot reach the API server");
}

#[test]
fn silent_server_does_not_hang() {
    // Accepts TCP connections and never answers: the probe must time out.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(40) {
            if let Ok((conn, _)) = listener.accept() {
                held.push(conn);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(&dir, &format!("https://127.0.0.1:{port}"));
    let out = bin()
        .arg("check")
        .arg("--kubeconfig")
        .arg(&kc)
        .output()
        .unwrap();
    assert_one_sentence(&out, "no answer within");
    drop(holder);
}

#[test]
fn bad_flags_exit_2() {
    let out = bin().args(["check", "-o", "yaml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["check", "-A", "-n", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
