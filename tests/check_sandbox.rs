//! `svc-doctor check` end to end: sandbox → kubeconfig → HTTPS → kube-rs →
//! engine → report. The expected results of the demo clusters come from the
//! `demo.svc-doctor.dev/expect` annotation of each Service, read with kubectl
//! (an independent client), so nothing here hard-codes a verdict.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::{Sandbox, write_file};

const EXPECT: &str = "demo.svc-doctor.dev/expect";

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// (namespace, name) → expect annotation, as kubectl sees the Services.
fn expectations(sandbox: &Sandbox, context: &str) -> BTreeMap<(String, String), String> {
    let out = sandbox.kubectl(&["--context", context, "get", "services", "-A", "-o", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = json(&out);
    let mut map = BTreeMap::new();
    for item in list["items"].as_array().unwrap() {
        if let Some(expect) = item["metadata"]["annotations"][EXPECT].as_str() {
            let ns = item["metadata"]["namespace"].as_str().unwrap().to_string();
            let name = item["metadata"]["name"].as_str().unwrap().to_string();
            map.insert((ns, name), expect.to_string());
        }
    }
    assert!(
        map.len() >= 3,
        "the demo should annotate its Services: {map:?}"
    );
    map
}

fn service<'r>(report: &'r Value, ns: &str, name: &str) -> &'r Value {
    report["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["namespace"] == ns && s["name"] == name)
        .unwrap_or_else(|| panic!("{ns}/{name} not in the report"))
}

/// Every finding of a Service with `severity`.
fn findings_with<'r>(svc: &'r Value, severity: &str) -> Vec<&'r Value> {
    svc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["findings"].as_array().unwrap())
        .filter(|f| f["severity"] == severity)
        .collect()
}

fn check_matches_expectations(sandbox: &Sandbox, context: &str) -> Value {
    let expected = expectations(sandbox, context);
    let out = sandbox.svc_doctor(&["check", "-A", "-o", "json", "--context", context]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = json(&out);
    assert_eq!(report["schema"], "svc-doctor.report/v1");
    assert_eq!(report["context"], context);
    let any_fail = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| !s["failing_step"].is_null());
    assert_eq!(
        out.status.code(),
        Some(if any_fail { 1 } else { 0 }),
        "{stderr}"
    );

    // Sorted by namespace then name; seven steps each, in order.
    let keys: Vec<(String, String)> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["namespace"].as_str().unwrap().to_string(),
                s["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    for svc in report["services"].as_array().unwrap() {
        let ids: Vec<&str> = svc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "service",
                "endpoints",
                "pods",
                "ports",
                "dns",
                "namespace",
                "network"
            ]
        );
    }

    let mut mismatches = Vec::new();
    for ((ns, name), expect) in &expected {
        let svc = service(&report, ns, name);
        let (kind, step) = expect.split_once(':').unwrap_or((expect.as_str(), ""));
        let verdict = svc["verdict"].as_str().unwrap();
        let failing = svc["failing_step"].as_str().unwrap_or("");
        let first_warn = svc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["status"] == "warn")
            .map(|s| s["id"].as_str().unwrap());
        let ok = match kind {
            "pass" => {
                verdict == "pass"
                    && findings_with(svc, "warning").is_empty()
                    && findings_with(svc, "error").is_empty()
            }
            "warn" => verdict == "warn" && failing.is_empty() && first_warn == Some(step),
            "fail" => verdict == "fail" && failing == step,
            other => panic!("unknown expectation {other}"),
        };
        if !ok {
            mismatches.push(format!("{ns}/{name}: expected {expect}, got verdict {verdict} failing_step {failing:?}: {}", svc["steps"]));
        }
    }
    assert!(
        mismatches.is_empty(),
        "context {context}:\n{}",
        mismatches.join("\n\n")
    );
    report
}

#[test]
fn demo_cluster_gives_the_guides_problems() {
    let sandbox = Sandbox::start(&["--demo"]);
    let report = check_matches_expectations(&sandbox, "demo");

    // Problem 3: the backend's crash points at postgres-service, which exists nowhere.
    let missing: Vec<&Value> = report["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["exists"] == false)
        .collect();
    let postgres = missing
        .iter()
        .find(|s| s["name"] == "postgres-service")
        .expect("postgres-service reported missing");
    assert_eq!(postgres["failing_step"], "service");
    assert!(postgres["type"].is_null());
    let linked = report["services"].as_array().unwrap().iter().any(|s| {
        s["failing_step"] == "pods"
            && findings_with(s, "error").iter().any(|f| {
                f["related"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["name"] == "postgres-service"))
            })
    });
    assert!(
        linked,
        "a crash-looping backend's pods finding links postgres-service"
    );

    // Problem 6: the short name from staging fails, and the reference says so.
    let reference = report["references"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["from"]["namespace"] == "staging" && r["host"] == "backend-api-service")
        .expect("the staging frontend's reference");
    assert_eq!(reference["status"], "fail");
    assert_eq!(reference["check"], "NS-002");
    assert!(
        reference["fix"]["commands"][0]
            .as_str()
            .unwrap()
            .contains("backend-api-service.production.svc")
    );
}

#[test]
fn dns_outage_cluster_fails_every_service_at_dns() {
    let sandbox = Sandbox::start(&["--demo"]);
    let report = check_matches_expectations(&sandbox, "demo-dns-outage");
    let dns = report["cluster"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "dns")
        .expect("cluster dns step");
    assert_eq!(dns["status"], "fail");
    let text = dns.to_string();
    assert!(
        text.contains("kubectl taint nodes"),
        "the taint fix: {text}"
    );
}

#[test]
fn check_only_reads() {
    let sandbox = Sandbox::start_with_journal(&["--demo"]);
    let out = sandbox.svc_doctor(&["check", "-A", "-o", "json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries = sandbox.journal_entries();
    assert!(
        entries.len() >= 10,
        "the journal records the requests: {entries:?}"
    );
    for e in &entries {
        let method = e["method"].as_str().unwrap();
        let path = e["path"].as_str().unwrap();
        let review = method == "POST" && path.ends_with("accessreviews");
        assert!(method == "GET" || review, "not a read: {e}");
        assert!(!path.contains("secrets"), "touched secrets: {e}");
    }
    // It did read what the checks need (so the journal is not trivially empty of them).
    for needle in [
        "/api/v1/pods",
        "/api/v1/services",
        "/apis/discovery.k8s.io/v1/endpointslices",
    ] {
        assert!(
            entries
                .iter()
                .any(|e| e["path"].as_str().unwrap().starts_with(needle)),
            "no request to {needle}"
        );
    }
}

const BASE: &str = include_str!("fixtures/engine/base.yaml");

#[test]
fn forbidden_pods_make_checks_unknown_not_pass() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "base.yaml", BASE);
    write_file(
        dir.path(),
        "fault.yaml",
        "apiVersion: sandbox.svc-doctor.dev/v1\nkind: Fault\nmetadata: {name: no-pods}\nmatch: {verb: list, resource: pods, namespace: shop}\naction: forbid\n",
    );
    let sandbox = Sandbox::start(&["--manifests", dir.path().to_str().unwrap()]);
    let out = sandbox.svc_doctor(&["check", "-n", "shop", "-o", "json"]);
    let report = json(&out);
    let web = service(&report, "shop", "web");
    let pods = web["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "pods")
        .unwrap();
    assert_ne!(pods["status"], "pass", "{pods}");
    assert_ne!(web["verdict"], "pass");
    assert!(
        report
            .to_string()
            .contains("cannot list pods in shop (403)"),
        "{report}"
    );

    // The same cluster without the fault passes: the fault is what made it unknown.
    let dir2 = tempfile::tempdir().unwrap();
    write_file(dir2.path(), "base.yaml", BASE);
    let clean = Sandbox::start(&["--manifests", dir2.path().to_str().unwrap()]);
    let report = json(&clean.svc_doctor(&["check", "-n", "shop", "-o", "json"]));
    assert_eq!(
        service(&report, "shop", "web")["verdict"],
        "pass",
        "{report}"
    );
}

#[test]
fn one_service_by_name_and_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "base.yaml", BASE);
    let sandbox = Sandbox::start(&["--manifests", dir.path().to_str().unwrap()]);

    let out = sandbox.svc_doctor(&["check", "web", "-n", "shop", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(report["services"].as_array().unwrap().len(), 1);
    assert_eq!(report["services"][0]["name"], "web");

    let out = sandbox.svc_doctor(&["check", "webb", "-n", "shop", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let missing = service(&report, "shop", "webb");
    assert_eq!(missing["exists"], false);
    assert_eq!(missing["failing_step"], "service");
    // Near names are evidence: `web` is one edit away (and is not just `webb` again).
    let evidence = findings_with(missing, "error")
        .iter()
        .map(|f| f["evidence"].to_string())
        .collect::<String>();
    assert!(
        evidence.replace("webb", "").contains("web"),
        "near names are evidence: {missing}"
    );
}

#[test]
fn text_report_is_plain_when_piped() {
    let sandbox = Sandbox::start(&["--demo"]);
    let out = sandbox.svc_doctor(&["check", "-A"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "no colour when not a TTY");
    assert!(
        text.lines().any(|l| l.contains("fail at endpoints")),
        "{text}"
    );
    assert!(text.contains("kubectl "), "fix commands are shown: {text}");
    assert!(
        text.chars().all(|c| c == '\n' || !c.is_control()),
        "no control characters"
    );
}

/// `(api group, resource, verb)` of a request path, as RBAC sees it; `None`
/// for non-resource URLs (`/version`, discovery), which every user may read.
fn rbac_request(method: &str, path: &str, query: &str) -> Option<(String, String, String)> {
    let path = match path.strip_prefix("/clusters/") {
        Some(rest) => &rest[rest.find('/')?..],
        None => path,
    };
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match parts.as_slice() {
        ["api", "v1", rest @ ..] => (String::new(), rest),
        ["apis", group, _version, rest @ ..] => (group.to_string(), rest),
        _ => return None,
    };
    let rest: Vec<&str> = match rest {
        ["namespaces", _ns, tail @ ..] if !tail.is_empty() => tail.to_vec(),
        other => other.to_vec(),
    };
    let (resource, named) = match rest.as_slice() {
        [] => return None,
        [resource] => (resource.to_string(), false),
        [resource, _name] => (resource.to_string(), true),
        [resource, _name, sub] => (format!("{resource}/{sub}"), true),
        _ => return None,
    };
    let verb = match method {
        "GET" if query.contains("watch=true") || query.contains("watch=1") => "watch",
        "GET" if named => "get",
        "GET" => "list",
        "POST" => "create",
        other => other,
    };
    Some((group, resource, verb.to_string()))
}

#[test]
fn docs_rbac_allows_every_request_check_makes() {
    let role: Value = serde_saphyr::from_str(include_str!("../docs/rbac.yaml")).unwrap();
    let allowed = |group: &str, resource: &str, verb: &str| {
        role["rules"].as_array().unwrap().iter().any(|rule| {
            let has = |key: &str, want: &str| {
                rule[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|v| v == want || v == "*")
            };
            has("apiGroups", group) && has("resources", resource) && has("verbs", verb)
        })
    };
    // Nothing in the role may write or touch Secrets.
    for rule in role["rules"].as_array().unwrap() {
        for verb in rule["verbs"].as_array().unwrap() {
            assert!(
                ["get", "list", "watch"].contains(&verb.as_str().unwrap()),
                "{rule}"
            );
        }
        assert!(
            !rule["resources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "secrets" || r == "*"),
            "{rule}"
        );
    }

    let sandbox = Sandbox::start_with_journal(&["--demo"]);
    for args in [
        &["check", "-A", "-o", "json"][..],
        &["check", "-n", "orders", "-o", "json"][..],
    ] {
        let out = sandbox.svc_doctor(args);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut checked = 0;
    for e in sandbox.journal_entries() {
        let (method, path, query) = (
            e["method"].as_str().unwrap(),
            e["path"].as_str().unwrap(),
            e["query"].as_str().unwrap_or(""),
        );
        if let Some((group, resource, verb)) = rbac_request(method, path, query) {
            if resource.ends_with("accessreviews") {
                continue; // every authenticated user may ask what it may do
            }
            assert!(
                allowed(&group, &resource, &verb),
                "docs/rbac.yaml does not allow {verb} {group}/{resource} ({path})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "the journal held the requests: {checked}");
}

#[test]
fn hostile_strings_never_reach_the_terminal_raw() {
    // An env value with an escape sequence, a bidi override, a newline and
    // shell syntax, naming a Service that does not exist: it shows up in
    // evidence and in a fix command.
    let hostile = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: shop}
spec:
  replicas: 0
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers:
      - name: c
        image: busybox
        env:
        - name: API_URL
          value: "http://nosuch-api:8080/\u001b[31mred\u202e$(touch /tmp/svc-doctor-pwned)`id`\nsecond-line"
---
# The name exists in another namespace, so the value is quoted as evidence
# and rewritten into a `kubectl set env` fix.
apiVersion: v1
kind: Service
metadata: {name: nosuch-api, namespace: other}
spec:
  clusterIP: 10.96.20.1
  ports: [{name: http, port: 8080, protocol: TCP, targetPort: 8080}]
"#;
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "base.yaml", BASE);
    write_file(dir.path(), "hostile.yaml", hostile);
    let sandbox = Sandbox::start(&["--manifests", dir.path().to_str().unwrap()]);

    let out = sandbox.svc_doctor(&["check", "-A"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("set env"),
        "the value is rewritten into a fix: {text}"
    );
    assert!(
        text.contains("red"),
        "the value is quoted as evidence: {text}"
    );
    let bad: Vec<char> = text
        .chars()
        .filter(|c| (c.is_control() && *c != '\n') || *c == '\u{202e}')
        .collect();
    assert!(
        bad.is_empty(),
        "control characters reached the text output: {bad:?}\n{text}"
    );

    // The fix command keeps the exact value, single-quoted (JSON escapes it
    // for scripts); only what a terminal shows is sanitized.
    let report = json(&sandbox.svc_doctor(&["check", "-A", "-o", "json"]));
    let fix = report["references"][0]["fix"]["commands"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("'API_URL=http://nosuch-api.other.svc.cluster.local:8080/\u{1b}[31mred"),
        "{fix}"
    );
    assert!(!std::path::Path::new("/tmp/svc-doctor-pwned").exists());
}
