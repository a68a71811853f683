//! The real kubectl against `svc-doctor sandbox` over HTTPS, with the
//! kubeconfig the sandbox writes: kubectl is the judge of whether the
//! sandbox answers like a real API server.

mod sandbox_support;

use sandbox_support::{Lines, Sandbox, fixture, kubectl_available};
use serde_json::Value;

fn shop() -> Option<Sandbox> {
    if !kubectl_available() {
        return None;
    }
    let manifests = fixture("shop");
    let manifests = manifests.to_str().unwrap_or_default();
    Some(Sandbox::start(&["--manifests", manifests]))
}

#[test]
fn get_services_as_yaml_shows_the_fixture() {
    let Some(sandbox) = shop() else { return };
    assert!(
        sandbox.url.starts_with("https://127.0.0.1:"),
        "{}",
        sandbox.url
    );
    let yaml = sandbox.kubectl_ok(&["get", "svc", "-A", "-o", "yaml"]);
    for expected in [
        "name: web",
        "namespace: shop",
        "clusterIP: 10.96.12.34",
        "targetPort: 8080",
        "uid: 6f1c1a36-0000-4000-8000-000000000001",
    ] {
        assert!(
            yaml.contains(expected),
            "{expected:?} missing from:\n{yaml}"
        );
    }
    assert!(
        yaml.contains("resourceVersion: \""),
        "objects carry resourceVersions:\n{yaml}"
    );
}

#[test]
fn describe_service_shows_endpoints_from_slices_and_events() {
    let Some(sandbox) = shop() else { return };
    let text = sandbox.kubectl_ok(&["describe", "svc", "-n", "shop", "web"]);
    let endpoints = text
        .lines()
        .find(|l| l.starts_with("Endpoints:"))
        .unwrap_or_default();
    // Only the ready endpoint of the slice is listed, as kubectl does.
    assert!(endpoints.contains("10.244.1.15:8080"), "{text}");
    assert!(!endpoints.contains("10.244.1.16"), "{text}");
    assert!(text.contains("EndpointsNotReady"), "{text}");
    assert!(
        text.contains("sandbox-fixture: 1 of 2 endpoints of web are not ready"),
        "{text}"
    );
}

#[test]
fn get_endpointslices_by_service_label() {
    let Some(sandbox) = shop() else { return };
    let json = sandbox.kubectl_ok(&[
        "get",
        "endpointslices",
        "-n",
        "shop",
        "-l",
        "kubernetes.io/service-name=web",
        "-o",
        "json",
    ]);
    let list: Value = serde_json::from_str(&json).unwrap_or_default();
    let names: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert_eq!(names, ["web-x7k2p"], "{json}");
    assert_eq!(
        list["items"][0]["endpoints"][1]["conditions"]["ready"],
        false
    );
    let none = sandbox.kubectl_ok(&[
        "get",
        "endpointslices",
        "-A",
        "-l",
        "kubernetes.io/service-name=nope",
        "-o",
        "json",
    ]);
    let none: Value = serde_json::from_str(&none).unwrap_or_default();
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0));
}

#[test]
fn get_pods_with_labels() {
    let Some(sandbox) = shop() else { return };
    let text = sandbox.kubectl_ok(&["get", "pods", "-n", "shop", "--show-labels"]);
    let line = text
        .lines()
        .find(|l| l.starts_with("web-5d8f7-abcde"))
        .unwrap_or_default();
    assert!(line.contains("app=web,pod-template-hash=5d8f7"), "{text}");
    assert!(text.contains("web-5d8f7-fghij"), "{text}");
}

#[test]
fn describe_pod_shows_container_state_and_events() {
    let Some(sandbox) = shop() else { return };
    let text = sandbox.kubectl_ok(&["describe", "pod", "-n", "shop", "web-5d8f7-fghij"]);
    for expected in [
        "node-1",
        "CrashLoopBackOff",
        "Restart Count:  7",
        "log-shipper:",
        "sandbox-fixture: Back-off restarting failed container web",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn logs_of_the_previous_container() {
    let Some(sandbox) = shop() else { return };
    let text = sandbox.kubectl_ok(&[
        "logs",
        "-n",
        "shop",
        "web-5d8f7-fghij",
        "-c",
        "web",
        "--previous",
    ]);
    assert!(
        text.ends_with("Error: Cannot connect to database: db.shop.svc:5432 - ECONNREFUSED\n"),
        "{text:?}"
    );
    let tail = sandbox.kubectl_ok(&[
        "logs",
        "-n",
        "shop",
        "web-5d8f7-fghij",
        "-c",
        "web",
        "--previous",
        "--tail=1",
    ]);
    assert_eq!(
        tail,
        "Error: Cannot connect to database: db.shop.svc:5432 - ECONNREFUSED\n"
    );
    // Without -c, kubectl picks the first container itself.
    let defaulted = sandbox.kubectl(&["logs", "-n", "shop", "web-5d8f7-fghij", "--previous"]);
    assert!(
        defaulted.success() && defaulted.stdout.contains("ECONNREFUSED"),
        "{defaulted:?}"
    );
    // The API itself wants a container when a pod has several.
    let raw = sandbox.kubectl(&[
        "get",
        "--raw",
        "/api/v1/namespaces/shop/pods/web-5d8f7-fghij/log",
    ]);
    assert!(
        raw.stderr.contains("a container name must be specified for pod web-5d8f7-fghij, choose one of: [web log-shipper]"),
        "{raw:?}"
    );
    let missing = sandbox.kubectl(&["logs", "-n", "shop", "web-5d8f7-abcde", "--previous"]);
    assert!(!missing.success(), "{missing:?}");
    assert!(
        missing
            .stderr
            .contains("previous terminated container \"web\" in pod \"web-5d8f7-abcde\" not found"),
        "{missing:?}"
    );
}

#[test]
fn get_events_by_involved_object() {
    let Some(sandbox) = shop() else { return };
    let text = sandbox.kubectl_ok(&[
        "get",
        "events",
        "-n",
        "shop",
        "--field-selector",
        "involvedObject.name=web",
    ]);
    assert!(text.contains("web.1800000000000001"), "{text}");
    assert!(!text.contains("web-5d8f7-fghij.1800000000000002"), "{text}");
    let pods = sandbox.kubectl_ok(&[
        "get",
        "events",
        "-A",
        "--field-selector",
        "involvedObject.kind=Pod,type=Warning",
    ]);
    assert!(
        pods.contains("web-5d8f7-fghij.1800000000000002") && !pods.contains("web.1800000000000001"),
        "{pods}"
    );
}

#[test]
fn watch_receives_a_change_made_during_the_watch() {
    let Some(sandbox) = shop() else { return };
    let mut watch = Lines::spawn(sandbox.kubectl_command(&[
        "get",
        "svc",
        "-n",
        "shop",
        "-w",
        "-o",
        "custom-columns=NAME:.metadata.name,COLOR:.metadata.labels.color",
    ]));
    watch.wait_for("the initial web row", |l| {
        l.starts_with("web ") && l.contains("<none>")
    });
    // `kubectl label` sends an application/merge-patch+json PATCH.
    sandbox.kubectl_ok(&["label", "-n", "shop", "svc", "web", "color=blue"]);
    watch.wait_for("the labelled web row", |l| {
        l.starts_with("web ") && l.ends_with("blue")
    });
    sandbox.kubectl_ok(&[
        "patch",
        "-n",
        "shop",
        "svc",
        "web",
        "--type=merge",
        "-p",
        r#"{"metadata":{"labels":{"color":"green"}}}"#,
    ]);
    watch.wait_for("the patched web row", |l| {
        l.starts_with("web ") && l.ends_with("green")
    });
    let patches: Vec<Value> = sandbox
        .journal()
        .into_iter()
        .filter(|l| l["method"] == "PATCH" && l["path"] == "/api/v1/namespaces/shop/services/web")
        .collect();
    assert_eq!(patches.len(), 2, "{patches:?}");
    assert!(patches.iter().all(|p| p["status"] == 200), "{patches:?}");
}

#[test]
fn get_all_lists_workloads_and_services() {
    let Some(sandbox) = shop() else { return };
    let text = sandbox.kubectl_ok(&["get", "all", "-n", "shop"]);
    for expected in [
        "pod/web-5d8f7-abcde",
        "pod/web-5d8f7-fghij",
        "service/web",
        "deployment.apps/web",
        "replicaset.apps/web-5d8f7",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // Every resource of the `all` category was listed, the empty ones too.
    let journal = sandbox.journal();
    for path in [
        "/apis/apps/v1/namespaces/shop/statefulsets",
        "/apis/apps/v1/namespaces/shop/daemonsets",
    ] {
        assert!(
            journal
                .iter()
                .any(|l| l["path"] == path && l["status"] == 200),
            "{path} not listed"
        );
    }
}

#[test]
fn auth_can_i_answers_from_forbid_faults() {
    let Some(sandbox) = shop() else { return };
    let yes = sandbox.kubectl(&["auth", "can-i", "list", "pods"]);
    assert_eq!(
        (yes.code, yes.stdout.as_str()),
        (Some(0), "yes\n"),
        "{yes:?}"
    );
    // Added at runtime through the sandbox's admin path.
    let fault = sandbox.write_file(
        "fault.yaml",
        "apiVersion: sandbox.svc-doctor.dev/v1\nkind: Fault\nmatch: {verb: list, resource: pods, namespace: default}\naction: forbid\n",
    );
    let fault = fault.to_str().unwrap_or_default();
    sandbox.kubectl_ok(&["create", "--raw", "/_sandbox/faults", "-f", fault]);
    let no = sandbox.kubectl(&["auth", "can-i", "list", "pods"]);
    assert_eq!((no.code, no.stdout.as_str()), (Some(1), "no\n"), "{no:?}");
    // A rule for one namespace also denies the cluster-wide request.
    let all = sandbox.kubectl(&["auth", "can-i", "list", "pods", "-A"]);
    assert_eq!(
        (all.code, all.stdout.as_str()),
        (Some(1), "no\n"),
        "{all:?}"
    );
    let elsewhere = sandbox.kubectl(&["auth", "can-i", "list", "pods", "-n", "shop"]);
    assert_eq!(elsewhere.stdout, "yes\n", "{elsewhere:?}");
    let denied = sandbox.kubectl(&["get", "pods"]);
    assert!(
        denied.stderr.contains(r#"Error from server (Forbidden): pods is forbidden: User "sandbox-user" cannot list resource "pods" in API group "" in the namespace "default""#),
        "{denied:?}"
    );
    let cluster_wide = sandbox.kubectl(&["get", "pods", "-A"]);
    assert!(
        cluster_wide
            .stderr
            .contains(r#"cannot list resource "pods" in API group "" at the cluster scope"#),
        "{cluster_wide:?}"
    );
    sandbox.kubectl_ok(&["delete", "--raw", "/_sandbox/faults"]);
    assert_eq!(
        sandbox.kubectl(&["auth", "can-i", "list", "pods"]).stdout,
        "yes\n"
    );
}

#[test]
fn faults_from_manifests_apply_from_the_start() {
    if !kubectl_available() {
        return;
    }
    let shop = fixture("shop");
    let faults = fixture("faults/forbid-and-fail.yaml");
    let sandbox = Sandbox::start(&[
        "--manifests",
        shop.to_str().unwrap_or_default(),
        faults.to_str().unwrap_or_default(),
    ]);
    let denied = sandbox.kubectl(&["get", "nodes"]);
    assert!(
        denied.stderr.contains(r#"nodes is forbidden: User "sandbox-user" cannot list resource "nodes" in API group "" at the cluster scope"#),
        "{denied:?}"
    );
    let failed = sandbox.kubectl(&["get", "configmaps", "-n", "shop"]);
    assert!(
        failed
            .stderr
            .contains("Internal error occurred: sandbox Fault: injected error"),
        "{failed:?}"
    );
    // kubectl sends no token over plain HTTP; the sandbox lets that through.
    assert!(
        sandbox
            .kubectl_ok(&["get", "svc", "-n", "shop"])
            .contains("web")
    );
}

/// Follow `continue` tokens through `kubectl get --raw`.
fn raw_pages(sandbox: &Sandbox, path: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let url = if token.is_empty() {
            path.to_string()
        } else {
            format!("{path}&continue={token}")
        };
        let page: Value =
            serde_json::from_str(&sandbox.kubectl_ok(&["get", "--raw", &url])).unwrap_or_default();
        token = page["metadata"]["continue"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        pages.push(page);
        if token.is_empty() || pages.len() > 20 {
            return pages;
        }
    }
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["metadata"]["name"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn raw_api_pages_selects_and_reports_errors_like_a_real_server() {
    let Some(sandbox) = shop() else { return };
    // Pagination: one item per page, every page with the same resourceVersion.
    let pages = raw_pages(&sandbox, "/api/v1/pods?limit=1");
    let all: Vec<String> = pages.iter().flat_map(names).collect();
    assert_eq!(all, ["web-5d8f7-abcde", "web-5d8f7-fghij"]);
    let last = pages.last().cloned().unwrap_or_default();
    assert!(
        last["metadata"]["resourceVersion"]
            .as_str()
            .is_some_and(|rv| !rv.is_empty()),
        "{last}"
    );
    assert!(last["metadata"].get("continue").is_none(), "{last}");
    assert_eq!(
        pages[0]["metadata"]["resourceVersion"],
        last["metadata"]["resourceVersion"]
    );

    // Label selectors, set-based included.
    let get = |path: &str| -> Value {
        serde_json::from_str(&sandbox.kubectl_ok(&["get", "--raw", path])).unwrap_or_default()
    };
    assert_eq!(
        names(&get(
            "/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb%2Cpod-template-hash+notin+(x,y)"
        ))
        .len(),
        2
    );
    assert_eq!(
        names(&get("/api/v1/pods?labelSelector=app+in+(db)")).len(),
        0
    );
    assert_eq!(names(&get("/api/v1/pods?labelSelector=!app")).len(), 0);
    assert_eq!(
        names(&get("/api/v1/namespaces?labelSelector=team")),
        ["shop"]
    );
    // Field selectors.
    assert_eq!(
        names(&get(
            "/api/v1/pods?fieldSelector=metadata.name%3Dweb-5d8f7-abcde"
        )),
        ["web-5d8f7-abcde"]
    );
    assert_eq!(
        names(&get(
            "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1,status.phase!%3DPending"
        ))
        .len(),
        2
    );
    assert_eq!(
        names(&get(
            "/api/v1/pods?fieldSelector=metadata.namespace%3Ddefault"
        ))
        .len(),
        0
    );
    let bad = sandbox.kubectl(&["get", "--raw", "/api/v1/pods?fieldSelector=spec.bogus%3D1"]);
    assert!(
        bad.stderr
            .contains("Error from server (BadRequest): field label not supported: spec.bogus"),
        "{bad:?}"
    );

    // 404 with a Status body.
    let missing = sandbox.kubectl(&[
        "get",
        "--raw",
        "/api/v1/namespaces/shop/services/nope",
        "-v=8",
    ]);
    assert!(
        missing
            .stderr
            .contains(r#"Error from server (NotFound): services \"nope\" not found"#)
            || missing
                .stderr
                .contains(r#"Error from server (NotFound): services "nope" not found"#),
        "{missing:?}"
    );
    let body = missing
        .stderr
        .lines()
        .find(|l| l.contains("Response Body"))
        .unwrap_or_default();
    for part in [
        r#"\"kind\":\"Status\""#,
        r#"\"code\":404"#,
        r#"\"reason\":\"NotFound\""#,
        r#"\"details\":{\"kind\":\"services\",\"name\":\"nope\"}"#,
    ] {
        assert!(body.contains(part), "{part} missing from {body}");
    }

    // 401 without the right token.
    let wrong = sandbox.kubectl(&["--token=not-the-token", "get", "--raw", "/api"]);
    assert!(wrong.stderr.contains("Unauthorized"), "{wrong:?}");
    // 409 on a PUT with a stale resourceVersion; 200 with the current one.
    let current = get("/api/v1/namespaces/shop/configmaps/web-config");
    let rv = current["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut update = current.clone();
    update["data"]["EXTRA"] = "1".into();
    update["metadata"]["resourceVersion"] = "1".into();
    let stale = sandbox.write_file("stale.json", &update.to_string());
    let conflict = sandbox.kubectl(&[
        "replace",
        "--raw",
        "/api/v1/namespaces/shop/configmaps/web-config",
        "-f",
        stale.to_str().unwrap_or_default(),
    ]);
    assert!(
        conflict.stderr.contains(r#"Error from server (Conflict): Operation cannot be fulfilled on configmaps "web-config": the object has been modified"#),
        "{conflict:?}"
    );
    update["metadata"]["resourceVersion"] = rv.clone().into();
    let fresh = sandbox.write_file("fresh.json", &update.to_string());
    let replaced: Value = serde_json::from_str(&sandbox.kubectl_ok(&[
        "replace",
        "--raw",
        "/api/v1/namespaces/shop/configmaps/web-config",
        "-f",
        fresh.to_str().unwrap_or_default(),
    ]))
    .unwrap_or_default();
    assert_eq!(replaced["data"]["EXTRA"], "1");
    let new_rv = replaced["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default();
    assert!(
        new_rv.parse::<u64>().unwrap_or_default() > rv.parse::<u64>().unwrap_or(u64::MAX),
        "{rv} → {new_rv}"
    );

    // 415 on a strategic merge patch, naming the supported types.
    let strategic = sandbox.kubectl(&[
        "patch",
        "-n",
        "shop",
        "svc",
        "web",
        "--type=strategic",
        "-p",
        r#"{"metadata":{"labels":{"x":"y"}}}"#,
    ]);
    assert!(
        strategic.stderr.contains("accepted media types include: application/json-patch+json, application/merge-patch+json"),
        "{strategic:?}"
    );
    let json_patch = sandbox.kubectl_ok(&[
        "patch",
        "-n",
        "shop",
        "svc",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/metadata/labels/x","value":"y"}]"#,
    ]);
    assert!(json_patch.contains("patched"), "{json_patch}");
    let journal = sandbox.journal();
    let codes: Vec<u64> = journal
        .iter()
        .filter(|l| l["method"] == "PATCH")
        .filter_map(|l| l["status"].as_u64())
        .collect();
    assert_eq!(codes, [415, 200]);
}

#[test]
fn the_journal_lists_the_requests_kubectl_made() {
    let Some(sandbox) = shop() else { return };
    sandbox.kubectl_ok(&["get", "svc", "-n", "shop", "web", "-o", "name"]);
    let journal = sandbox.journal();
    let has = |method: &str, path: &str| {
        journal
            .iter()
            .any(|l| l["method"] == method && l["path"] == path && l["status"] == 200)
    };
    assert!(has("GET", "/api"), "{journal:?}");
    assert!(has("GET", "/api/v1"), "{journal:?}");
    assert!(
        has("GET", "/api/v1/namespaces/shop/services/web"),
        "{journal:?}"
    );
    for line in &journal {
        let keys: Vec<&String> = line
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["method", "path", "query", "status"], "{line}");
    }
    sandbox.kubectl_ok(&["get", "pods", "-n", "shop", "-l", "app=web"]);
    let journal = sandbox.journal();
    let list = journal
        .iter()
        .find(|l| l["path"] == "/api/v1/namespaces/shop/pods");
    let query = list.and_then(|l| l["query"].as_str()).unwrap_or_default();
    assert!(
        query.starts_with("labelSelector=app%3Dweb&limit=500"),
        "{query}"
    );
}

#[test]
fn the_demo_serves_both_contexts() {
    if !kubectl_available() {
        return;
    }
    let sandbox = Sandbox::start(&["--demo"]);
    let namespaces = sandbox.kubectl_ok(&["get", "ns", "-o", "name"]);
    assert!(namespaces.contains("namespace/default"), "{namespaces}");
    let contexts = sandbox.kubectl_ok(&["config", "get-contexts", "-o", "name"]);
    assert_eq!(contexts, "demo\ndemo-dns-outage\n");
    assert_eq!(sandbox.kubectl_ok(&["config", "current-context"]), "demo\n");
    let outage = sandbox.kubectl_ok(&["--context", "demo-dns-outage", "get", "ns", "-o", "name"]);
    assert!(outage.contains("namespace/default"), "{outage}");
    assert!(
        sandbox
            .journal()
            .iter()
            .any(|l| l["path"] == "/clusters/demo-dns-outage/api/v1/namespaces"),
        "the second context is served under its prefix"
    );
}

#[test]
fn plain_http_with_http_flag() {
    if !kubectl_available() {
        return;
    }
    let manifests = fixture("shop");
    let sandbox = Sandbox::start(&[
        "--manifests",
        manifests.to_str().unwrap_or_default(),
        "--http",
    ]);
    assert!(
        sandbox.url.starts_with("http://127.0.0.1:"),
        "{}",
        sandbox.url
    );
    let kubeconfig = std::fs::read_to_string(&sandbox.kubeconfig).unwrap_or_default();
    assert!(
        !kubeconfig.contains("certificate-authority-data"),
        "{kubeconfig}"
    );
    // kubectl sends no token over plain HTTP; the sandbox lets that through.
    assert!(
        sandbox
            .kubectl_ok(&["get", "svc", "-n", "shop"])
            .contains("web")
    );
}

#[test]
fn sigterm_stops_the_sandbox_at_once_even_with_a_watch_open() {
    let Some(mut sandbox) = shop() else { return };
    let mut watch =
        Lines::spawn(sandbox.kubectl_command(&["get", "pods", "-A", "-w", "-o", "name"]));
    watch.wait_for("a pod", |l| l.starts_with("pod/"));
    let pid = sandbox.process.0.id().to_string();
    let kill = sandbox_support::run(
        std::process::Command::new("kill").args(["-TERM", &pid]),
        sandbox_support::TIMEOUT,
    );
    assert!(kill.success(), "{kill:?}");
    let sent = std::time::Instant::now();
    let status = loop {
        if let Ok(Some(status)) = sandbox.process.0.try_wait() {
            break status;
        }
        assert!(
            sent.elapsed() < std::time::Duration::from_secs(5),
            "still running 5 s after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(status.success(), "{status:?}");
}
