//! The dashboard stays live: the real binary in tmux against a sandbox.
//!
//! 1. A Service failing at `endpoints` turns healthy on screen, without a
//!    keypress, after the test fixes it through the API (the selector patched,
//!    and the EndpointSlice written as the EndpointSlice controller would);
//!    then one of its pods starts crash-looping, which the engine follows
//!    incrementally, and its endpoint turns not ready, which the readiness
//!    sparkline shows.
//! 2. Stopping the sandbox shows the disconnected state with the data kept.
//! 3. Restarting it on the same port recovers by itself.
//!
//! Skips with a notice when tmux is missing, except under `CI`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
#[path = "tui_support/tmux.rs"]
mod tmux;

use std::net::TcpListener;

use support::{Sandbox, write_file};
use tmux::{Tmux, list_rows, require, shell_word};

const BASE: &str = include_str!("fixtures/engine/base.yaml");

/// shop/checkout selects `app: chekout` (a typo): no pod, a placeholder slice.
const BROKEN: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: checkout, namespace: shop, uid: 00000000-0000-0000-0000-00000000c001}
spec:
  type: ClusterIP
  clusterIP: 10.96.10.9
  clusterIPs: [10.96.10.9]
  ipFamilies: [IPv4]
  selector: {app: chekout}
  ports:
  - {name: http, port: 80, protocol: TCP, targetPort: 8080}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: checkout-7hq2x
  namespace: shop
  labels: {kubernetes.io/service-name: checkout, endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io}
  ownerReferences: [{apiVersion: v1, kind: Service, name: checkout, uid: 00000000-0000-0000-0000-00000000c001, controller: true, blockOwnerDeletion: true}]
addressType: IPv4
endpoints: []
"#;

/// What the controller writes once the selector matches the web pods.
const FIXED_SLICE: &str = r#"
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: checkout-m4c9d
  namespace: shop
  labels: {kubernetes.io/service-name: checkout, endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io}
  ownerReferences: [{apiVersion: v1, kind: Service, name: checkout, uid: 00000000-0000-0000-0000-00000000c001, controller: true, blockOwnerDeletion: true}]
addressType: IPv4
endpoints:
- addresses: [10.244.1.10]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: node-1
  targetRef: {kind: Pod, name: web-6d4f9c-xk2p9, namespace: shop, uid: 00000000-0000-0000-0000-000000web011}
- addresses: [10.244.1.11]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: node-1
  targetRef: {kind: Pod, name: web-6d4f9c-mn3k1, namespace: shop, uid: 00000000-0000-0000-0000-000000web012}
ports:
- {name: http, port: 8080, protocol: TCP}
"#;

fn checkout_row(screen: &str) -> Option<(String, String)> {
    list_rows(screen)
        .into_iter()
        .find(|(_, _, row)| row.split_whitespace().any(|w| w == "checkout"))
        .map(|(symbol, step, _)| (symbol, step))
}

#[test]
fn the_screen_follows_the_cluster_and_survives_an_outage() {
    if !require("tmux", "-V") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let manifests = dir.path().join("manifests");
    std::fs::create_dir(&manifests).unwrap();
    write_file(&manifests, "base.yaml", BASE);
    write_file(&manifests, "broken.yaml", BROKEN);
    let fixed_slice = write_file(dir.path(), "slice.yaml", FIXED_SLICE);

    // A fixed port, so the restarted sandbox is where the dashboard looks;
    // plain HTTP, so the restart does not change the CA the client trusts.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    // The same token too: a restart must not change the credentials.
    let args = [
        "--manifests",
        manifests.to_str().unwrap(),
        "--http",
        "--listen",
        &listen,
        "--token",
        "live-test-token",
    ];
    let sandbox = Sandbox::start(&args);

    let bin = env!("CARGO_BIN_EXE_svc-doctor");
    let log_path = dir.path().join("svc-doctor.log");
    let command = format!(
        "{} -A --kubeconfig {} --clipboard off --log-file {}",
        shell_word(bin),
        shell_word(sandbox.kubeconfig.to_str().unwrap()),
        shell_word(log_path.to_str().unwrap())
    );
    let tmux = Tmux::start(&command, 120, 40, &[("SVC_DOCTOR_LOG", "debug")]);
    let screen = tmux.wait_for("checkout to fail at endpoints", |s| {
        checkout_row(s) == Some(("✗".into(), "endpoints".into()))
    });
    assert!(screen.contains("live"), "{screen}");

    // 1. Fix it through the API, as a user and the controller would; no key is pressed.
    let patch = sandbox.kubectl(&[
        "-n",
        "shop",
        "patch",
        "service",
        "checkout",
        "--type=merge",
        "-p",
        r#"{"spec":{"selector":{"app":"web"}}}"#,
    ]);
    assert!(
        patch.status.success(),
        "{}",
        String::from_utf8_lossy(&patch.stderr)
    );
    let delete = sandbox.kubectl(&["-n", "shop", "delete", "endpointslice", "checkout-7hq2x"]);
    assert!(
        delete.status.success(),
        "{}",
        String::from_utf8_lossy(&delete.stderr)
    );
    // The sandbox serves no OpenAPI document, which client-side validation needs.
    let create = sandbox.kubectl(&[
        "create",
        "--validate=false",
        "-f",
        fixed_slice.to_str().unwrap(),
    ]);
    assert!(
        create.status.success(),
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );
    tmux.wait_for("checkout to pass", |s| {
        checkout_row(s) == Some(("✓".into(), "—".into()))
    });

    // 1b. Only a pod changes: one web pod starts crash-looping. The engine
    //     follows it incrementally (no fresh snapshot), and the screen shows it.
    let crash = sandbox.kubectl(&[
        "-n",
        "shop",
        "patch",
        "pod",
        "web-6d4f9c-xk2p9",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/status/conditions/1/status","value":"False"},
            {"op":"replace","path":"/status/conditions/2/status","value":"False"},
            {"op":"replace","path":"/status/containerStatuses/0/ready","value":false},
            {"op":"replace","path":"/status/containerStatuses/0/restartCount","value":9},
            {"op":"replace","path":"/status/containerStatuses/0/state","value":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 5m0s restarting failed container"}}}]"#,
    ]);
    assert!(
        crash.status.success(),
        "{}",
        String::from_utf8_lossy(&crash.stderr)
    );
    tmux.wait_for("checkout to flag the crash-looping pod", |s| {
        checkout_row(s).is_some_and(|(symbol, step)| symbol != "✓" && step == "pods")
    });
    let log = std::fs::read_to_string(&log_path).unwrap();
    let last = log
        .lines()
        .rev()
        .find(|l| l.contains("diagnosis"))
        .unwrap_or_default();
    assert!(
        last.contains("incremental diagnosis") && last.contains("everything=false"),
        "a pod change is diagnosed incrementally: {last}"
    );

    // 1c. The controller marks the crash-looping pod's endpoint not ready:
    //     the readiness history, observed on every tick off the runtime's
    //     workers, reaches the selected Service's sparkline (its pods step
    //     fails, so the detail shows it): no endpoints while the selector
    //     was wrong, two once fixed, one now.
    let unready = sandbox.kubectl(&[
        "-n",
        "shop",
        "patch",
        "endpointslice",
        "checkout-m4c9d",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/endpoints/0/conditions/ready","value":false}]"#,
    ]);
    assert!(
        unready.status.success(),
        "{}",
        String::from_utf8_lossy(&unready.stderr)
    );
    tmux.keys(&["/", "checkout", "Enter"]);
    let screen = tmux.wait_for("checkout's sparkline to show one ready endpoint", |s| {
        s.contains("ready endpoints") && s.contains("now 1 (min 0, max 2)")
    });
    assert!(screen.contains("shop/checkout"), "{screen}");

    // 2. The API goes away: the screen says so and keeps the last data.
    drop(sandbox);
    let screen = tmux.wait_text("disconnected since");
    assert!(screen.contains("retrying"), "{screen}");
    assert!(
        checkout_row(&screen).is_some(),
        "the last data is kept:\n{screen}"
    );

    // 3. It comes back on the same port: the dashboard recovers by itself and
    //    re-reads the cluster (the restarted sandbox serves the manifests'
    //    original, broken state again).
    let _again = Sandbox::start(&args);
    let screen = tmux.wait_for("recovery", |s| {
        !s.contains("disconnected") && checkout_row(s) == Some(("✗".into(), "endpoints".into()))
    });
    assert!(screen.contains("live"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_text("EXIT=0");
}
