//! A broken manifest stops `svc-doctor sandbox` before it listens: exit
//! status 2, one line on stderr naming the file, the document and the
//! reason, nothing on stdout, no kubeconfig written.

mod sandbox_support;

use std::process::Command;

use sandbox_support::{BIN, TIMEOUT, fixture, run};

/// Run the sandbox on `paths`; return its one stderr line.
fn load_error(paths: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let kubeconfig = dir.path().join("kubeconfig");
    let mut command = Command::new(BIN);
    command
        .args(["sandbox", "--manifests"])
        .args(paths)
        .arg("--kubeconfig-out")
        .arg(&kubeconfig);
    let out = run(&mut command, TIMEOUT);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stdout, "", "no ready line: nothing was served");
    assert!(
        !kubeconfig.exists(),
        "no kubeconfig for a sandbox that did not start"
    );
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {:?}", out.stderr);
    lines[0].to_string()
}

fn path(relative: &str) -> String {
    fixture(relative).to_string_lossy().into_owned()
}

#[test]
fn bad_yaml() {
    let file = path("broken/bad-yaml.yaml");
    let line = load_error(&[&file]);
    let prefix = format!("svc-doctor: {file}: document 2: invalid YAML: line 7 column ");
    assert!(line.starts_with(&prefix), "{line}");
}

#[test]
fn unknown_kind() {
    let file = path("broken/unknown-kind.yaml");
    let line = load_error(&[&file]);
    let prefix = format!(
        "svc-doctor: {file}: document 1: unknown kind \"Secret\" (apiVersion v1); the sandbox serves "
    );
    assert!(line.starts_with(&prefix), "{line}");
}

#[test]
fn type_mismatch() {
    let file = path("broken/type-mismatch.yaml");
    assert_eq!(
        load_error(&[&file]),
        format!(
            "svc-doctor: {file}: document 2: Service \"web\": spec.ports[0].port: invalid type: string \"http\", expected i32"
        )
    );
}

#[test]
fn duplicate_object() {
    let file = path("broken/duplicate.yaml");
    assert_eq!(
        load_error(&[&file]),
        format!(
            "svc-doctor: {file}: document 3: duplicate Service \"shop/web\" (first defined in {file} document 1)"
        )
    );
}

#[test]
fn a_folder_names_the_file_inside_it() {
    let good = path("shop");
    let broken = path("broken");
    let line = load_error(&[&good, &broken]);
    // Files of a folder load in sorted order: bad-yaml.yaml first.
    assert!(
        line.starts_with(&format!("svc-doctor: {broken}/bad-yaml.yaml: document 2: ")),
        "{line}"
    );
}

#[test]
fn a_missing_path() {
    let missing = path("no-such-file.yaml");
    let line = load_error(&[&missing]);
    assert!(
        line.starts_with(&format!("svc-doctor: {missing}: cannot read: ")),
        "{line}"
    );
}
