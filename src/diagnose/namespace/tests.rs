//! Step `namespace`: NS-001, NS-002, NS-003 — passing, failing and near misses.

use super::super::report::{Reference, Report, ServiceRef, Severity, Status, StepId};
use super::super::testing::{assert_status, has, now, run, service, snapshot, step};
use super::super::{Options, diagnose};
use crate::diagnose::testing::{BASE, base_without};
use crate::snapshot::Scope;

const PROBLEM6: &str = include_str!("../../../tests/fixtures/engine/namespace/problem6.yaml");
const PROBLEM3: &str = include_str!("../../../tests/fixtures/engine/namespace/problem3.yaml");
const REFERENCES: &str = include_str!("../../../tests/fixtures/engine/namespace/references.yaml");
const INGRESS: &str = include_str!("../../../tests/fixtures/engine/namespace/ingress.yaml");
const BARE_POD: &str = include_str!("../../../tests/fixtures/engine/namespace/bare-pod.yaml");
const HOSTNAMES: &str = include_str!("../../../tests/fixtures/engine/namespace/hostnames.yaml");
const SHADOWED: &str = include_str!("../../../tests/fixtures/engine/namespace/shadowed.yaml");

fn reference<'r>(report: &'r Report, source: &str) -> &'r Reference {
    report
        .references
        .iter()
        .find(|r| r.from.source == source)
        .unwrap_or_else(|| panic!("no reference from {source}: {:#?}", report.references))
}

/// A Deployment `name` in `shop`, labelled `app: name`, with `containers`
/// (YAML list items indented for `spec.template.spec.containers`).
fn deployment_in_shop(name: &str, containers: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n{containers}"
    )
}

fn commands(r: &Reference) -> Vec<String> {
    r.fix
        .as_ref()
        .map(|f| f.commands.clone())
        .unwrap_or_default()
}

#[test]
fn healthy_base_has_no_reference_and_passes() {
    let report = run(&[BASE]);
    assert!(report.references.is_empty());
    let ns = step(&report, "shop", "web", StepId::Namespace);
    assert_status(ns, Status::Pass);
    assert!(ns.findings.is_empty());
}

/// Guide problem 6: the production Service fails at `namespace`, the
/// reference is in `report.references` with its fix.
#[test]
fn problem6_short_name_from_another_namespace() {
    let report = run(&[BASE, PROBLEM6]);
    let svc = service(&report, "production", "backend-api-service");
    let ns = step(
        &report,
        "production",
        "backend-api-service",
        StepId::Namespace,
    );
    assert_status(ns, Status::Fail);
    assert!(svc.steps[..4].iter().all(|s| s.status != Status::Fail));
    assert_eq!(svc.failing_step, Some(StepId::Namespace));
    assert_eq!(
        ns.summary,
        "backend-api-service does not exist in staging; it exists in production"
    );
    // One reference for the Deployment's two pods, shown through a ready pod.
    assert_eq!(report.references.len(), 1, "{:#?}", report.references);
    let r = &report.references[0];
    assert_eq!(r.status, Status::Fail);
    assert_eq!(r.check, "NS-002");
    assert_eq!(r.host, "backend-api-service");
    assert_eq!(r.port, Some(3000));
    assert_eq!(r.resolved, None);
    assert_eq!(
        (r.from.kind.as_str(), r.from.name.as_str()),
        ("Pod", "frontend-abc123")
    );
    assert_eq!(r.from.workload.as_deref(), Some("deployment/frontend"));
    assert_eq!(r.from.container.as_deref(), Some("web"));
    assert_eq!(r.from.source, "env API_URL");
    assert_eq!(
        commands(r),
        [
            "kubectl -n staging set env deployment/frontend --containers=web API_URL=http://backend-api-service.production.svc.cluster.local:3000"
        ]
    );
    let f = &ns.findings[0];
    assert_eq!(
        f.evidence,
        [
            "staging/deployment/frontend (pod frontend-abc123) container web: env API_URL = http://backend-api-service:3000"
        ]
    );
    // The name the frontend uses does not exist in staging: that Service is
    // reported missing too (DESIGN §1), pointing at the one in production.
    let missing = service(&report, "staging", "backend-api-service");
    assert!(!missing.exists);
    assert_eq!(missing.failing_step, Some(StepId::Service));
    let svc001 = &missing.steps[0].findings[0];
    assert_eq!(svc001.check, "SVC-001");
    assert!(
        svc001.evidence.iter().any(|e| e.contains("production")),
        "{svc001:#?}"
    );
    assert_eq!(
        svc001.fix.as_ref().map(|f| f.commands.clone()),
        Some(commands(r).to_vec()),
        "the FQDN rewrite is the fix"
    );
}

/// Guide problem 3: the missing postgres-service is a Service with `exists: false`.
#[test]
fn problem3_missing_service_is_reported_missing_and_db_port_alone_is_not_a_reference() {
    let report = run(&[BASE, PROBLEM3]);
    let pg = service(&report, "production", "postgres-service");
    assert!(!pg.exists);
    assert_eq!(pg.failing_step, Some(StepId::Service));
    assert_eq!(report.references.len(), 1, "{:#?}", report.references);
    let r = reference(&report, "env DB_HOST");
    assert_eq!(r.host, "postgres-service");
    // DB_PORT is no reference of its own, but gives DB_HOST its port.
    assert_eq!(r.port, Some(5432));
    assert_eq!(r.status, Status::Fail);
    assert!(
        r.message
            .contains("does not exist in production or in any other namespace")
    );
    // Secrets: the secretKeyRef variables and `$(DATABASE_URL)` yield nothing.
    assert!(
        !report
            .references
            .iter()
            .any(|r| r.from.source.contains("DSN") || r.from.source.contains("DATABASE_URL"))
    );
}

#[test]
fn ns002_near_misses_from_one_client() {
    let report = run(&[BASE, REFERENCES]);
    let by_source = |s: &str| reference(&report, s);

    // `svc.ns` form resolves across namespaces.
    let r = by_source("env REPORTS_URL");
    assert_eq!(
        (r.status, r.resolved.as_ref().map(|s| s.namespace.as_str())),
        (Status::Pass, Some("analytics"))
    );
    // `$(VAR)` expansion builds the full name.
    let r = by_source("env REPORTS_ENDPOINT");
    assert_eq!(r.host, "reports.analytics.svc.cluster.local");
    assert_eq!(r.status, Status::Pass);
    // A `*.svc` name in args, and a flag whose name says it holds an address.
    assert_eq!(by_source("args[2]").status, Status::Pass);
    assert_eq!(by_source("args[0]").status, Status::Warn);
    // Headless hostname `mysql-0.mysql`.
    let r = by_source("env DB_HOST");
    assert_eq!(
        (r.status, r.resolved.as_ref().map(|s| s.name.as_str())),
        (Status::Pass, Some("mysql"))
    );

    // What a passing reference says: the port as written, the port of the
    // URL's scheme, or no port.
    let messages = ["env REPORTS_URL", "env WEB_URL", "env DB_HOST"].map(|s| &by_source(s).message);
    assert_eq!(
        messages,
        [
            "reports.analytics:8080 resolves to analytics/reports",
            "web:80 (the URL scheme's default) resolves to shop/web",
            "mysql-0.mysql resolves to shop/mysql",
        ]
    );

    // Short name present in both shop and ops: a warning on shop/cache.
    let r = by_source("env CACHE_HOST");
    assert_eq!(r.status, Status::Warn);
    assert_eq!(
        commands(r),
        [
            "kubectl -n shop set env deployment/client --containers=app CACHE_HOST=cache.shop.svc.cluster.local"
        ]
    );
    let cache = step(&report, "shop", "cache", StepId::Namespace);
    assert_status(cache, Status::Warn);
    assert!(has(cache, "NS-002", Severity::Warning));
    assert_status(
        step(&report, "ops", "cache", StepId::Namespace),
        Status::Pass,
    );

    let r = by_source("env CACHE_SERVICE");
    assert_eq!(
        (r.status, r.resolved.as_ref().map(|s| s.namespace.as_str())),
        (Status::Pass, Some("shop"))
    );

    // The host came through `$(UPSTREAM)`: the fix changes UPSTREAM.
    let r = by_source("env ORDERS_URL");
    assert_eq!(r.status, Status::Fail);
    assert_eq!(
        commands(r),
        [
            "kubectl -n shop set env deployment/client --containers=app UPSTREAM=orders.sales.svc.cluster.local"
        ]
    );
    assert_status(
        step(&report, "sales", "orders", StepId::Namespace),
        Status::Fail,
    );

    // A ConfigMap value: patch the ConfigMap (guarded by a test op), then restart.
    let r = by_source("env INVENTORY_URL (configmap client-config key inventory.url)");
    assert_eq!(r.status, Status::Fail);
    assert_eq!(
        commands(r),
        [
            r#"kubectl -n shop patch configmap client-config --type=json -p '[{"op":"test","path":"/data/inventory.url","value":"http://inventory:9000/v1"},{"op":"replace","path":"/data/inventory.url","value":"http://inventory.sales.svc.cluster.local:9000/v1"}]'"#,
            "kubectl -n shop rollout restart deployment/client",
        ]
    );

    // Wrong port: web has port 80, the client dials the pod port 8080.
    let r = by_source("env WEB_ADDR");
    assert_eq!(r.status, Status::Fail);
    assert!(
        r.message
            .starts_with("web:8080 resolves to shop/web, which has no port 8080 (ports: 80/TCP)"),
        "{}",
        r.message
    );
    assert_eq!(
        commands(r),
        ["kubectl -n shop set env deployment/client --containers=app WEB_ADDR=web:80"]
    );
    assert_status(
        step(&report, "shop", "web", StepId::Namespace),
        Status::Fail,
    );

    // envFrom a ConfigMap: a name that exists nowhere.
    let r = by_source("envFrom configmap client-env key LEDGER_HOST");
    assert_eq!(r.status, Status::Fail);
    let ledger = service(&report, "shop", "ledger");
    assert!(!ledger.exists);

    // Not references: ports, OTEL service names, IPs, localhost, outside
    // names, image tags, Secrets and escaped `$$(VAR)`.
    for source in [
        "env METRICS_PORT",
        "env OTEL_SERVICE_NAME",
        "env REDIS_HOST",
        "env LOCAL_URL",
        "env PAYMENT_URL",
        "env CDN_HOST",
        "env SECRET_URL",
        "env SECRET_COPY_URL",
        "env ESCAPED_URL",
        "env GREETING",
        "args[3]",
        "env BACKEND",
        "env UPSTREAM",
    ] {
        assert!(
            !report.references.iter().any(|r| r.from.source == source),
            "{source} is no reference"
        );
    }
    assert!(
        !report
            .references
            .iter()
            .any(|r| r.from.source.contains("secret"))
    );
}

#[test]
fn ns003_ingress_backends() {
    let report = run(&[BASE, INGRESS]);
    let web = step(&report, "shop", "web", StepId::Namespace);
    assert_status(web, Status::Fail);
    let errs: Vec<&str> = web
        .findings
        .iter()
        .filter(|f| f.check == "NS-003")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(errs.len(), 2, "{errs:#?}");
    let api = reference(&report, "spec.rules.0.http.paths.1.backend");
    assert_eq!(api.check, "NS-003");
    assert_eq!(
        commands(api),
        [
            r#"kubectl -n shop patch ingress storefront --type=json -p '[{"op":"test","path":"/spec/rules/0/http/paths/1/backend/service/port","value":{"number":8080}},{"op":"replace","path":"/spec/rules/0/http/paths/1/backend/service/port","value":{"number":80}}]'"#
        ]
    );
    // Near misses: by number 80 and by name http both pass.
    assert_eq!(
        reference(&report, "spec.rules.0.http.paths.0.backend").status,
        Status::Pass
    );
    assert_eq!(
        reference(&report, "spec.defaultBackend").status,
        Status::Pass
    );
    // A backend Service that does not exist is reported missing.
    let legacy = service(&report, "shop", "legacy-web");
    assert!(!legacy.exists);
    assert_eq!(legacy.failing_step, Some(StepId::Service));
}

/// `a.b` names the pod whose `spec.hostname` is `a` behind headless
/// Service `b`, found among the pods while its endpoint is not listed: by
/// its hostname, not its name, and not at all without a hostname.
#[test]
fn ns002_headless_hostnames_come_from_spec_hostname() {
    let report = run(&[BASE, HOSTNAMES]);
    let graded = |source: &str| {
        let r = reference(&report, source);
        (r.status, r.resolved.as_ref().map(|s| s.name.as_str()))
    };
    assert_eq!(graded("env KAFKA_HOST"), (Status::Pass, Some("kafka")));
    // The pod is called broker-x1: a lookup by name finds no broker-1.
    assert_eq!(graded("env BROKER_HOST"), (Status::Pass, Some("kafka")));
    // A pod called zk-0 with the subdomain but no hostname has no name.
    assert_eq!(graded("env ZK_HOST"), (Status::Fail, None));
    assert_eq!(
        reference(&report, "env ZK_HOST").message,
        "zk-0.kafka: no pod behind headless Service data/kafka has hostname zk-0 \
         (pod zk-0 sets subdomain kafka but no spec.hostname, so DNS gives it no name)"
    );
    assert_status(
        step(&report, "data", "kafka", StepId::Namespace),
        Status::Fail,
    );
}

#[test]
fn bare_pod_gets_no_in_place_fix() {
    let report = run(&[BASE, BARE_POD]);
    let r = reference(&report, "command[2]");
    assert_eq!(r.status, Status::Fail);
    assert_eq!(
        (r.from.kind.as_str(), r.from.workload.as_deref()),
        ("Pod", None)
    );
    assert!(r.fix.is_none());
    assert_eq!(r.message, "web does not exist in tools; it exists in shop");
    assert_status(
        step(&report, "shop", "web", StepId::Namespace),
        Status::Fail,
    );
}

#[test]
fn forbidden_configmaps_make_references_unknown() {
    let fault = "apiVersion: sandbox.svc-doctor.dev/v1\nkind: Fault\nmatch: {verb: list, resource: configmaps, namespace: shop}\naction: forbid\n";
    let report = run(&[BASE, REFERENCES, fault]);
    let web = step(&report, "shop", "web", StepId::Namespace);
    // An error still fails the step; the unreadable ConfigMaps are said.
    assert!(web.findings.iter().any(|f| {
        f.not_evaluated
            && f.message
                .starts_with("NS-001 not evaluated: cannot list configmaps in shop (403)")
    }));
    // The ConfigMap references are gone, nothing was guessed.
    assert!(
        !report
            .references
            .iter()
            .any(|r| r.from.source.contains("configmap"))
    );
    let reports = step(&report, "analytics", "reports", StepId::Namespace);
    assert_status(reports, Status::Pass);
    let fault_only = run(&[BASE, fault]);
    assert_status(
        step(&fault_only, "shop", "web", StepId::Namespace),
        Status::Unknown,
    );
}

#[test]
fn custom_domain_is_used_and_another_domain_fails() {
    let corefile = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: coredns, namespace: kube-system}\ndata:\n  Corefile: |\n    .:53 {\n      ready\n      kubernetes k8s.internal in-addr.arpa\n      forward . 1.1.1.1\n      loop\n    }\n";
    let base = base_without(&[("ConfigMap", "coredns")]);
    let client = "apiVersion: v1\nkind: Pod\nmetadata: {name: probe, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    env:\n    - {name: A_URL, value: \"http://web.shop.svc.cluster.local\"}\n    - {name: B_URL, value: \"http://web.shop.svc.k8s.internal\"}\n";
    let report = run(&[&base, corefile, client]);
    let a = reference(&report, "env A_URL");
    assert_eq!(a.status, Status::Fail);
    assert!(
        a.message.contains("this cluster's domain is k8s.internal"),
        "{}",
        a.message
    );
    assert_eq!(reference(&report, "env B_URL").status, Status::Pass);
}

/// `check web -n shop` keeps the references that name shop/web and drops
/// the other references of the same client; without a focus all are kept.
#[test]
fn a_focus_keeps_only_the_references_naming_its_service() {
    let diagnose_shop = |focus: Option<&str>| {
        let mut snap = snapshot(&[BASE, REFERENCES]);
        snap.scope = Scope::Namespace("shop".into());
        let options = Options {
            service: focus.map(String::from),
        };
        diagnose(&snap, now(), &options)
    };
    let web = ServiceRef::new("shop", "web");
    let all = diagnose_shop(None);
    let naming_web = all
        .references
        .iter()
        .filter(|r| r.resolved.as_ref() == Some(&web))
        .count();
    assert!(naming_web > 0 && naming_web < all.references.len());
    let focused = diagnose_shop(Some("web"));
    assert_eq!(focused.references.len(), naming_web);
    assert!(
        focused
            .references
            .iter()
            .all(|r| r.resolved.as_ref() == Some(&web)),
        "{:#?}",
        focused.references
    );
}

/// References come out in report order (client namespace, workload, pod,
/// container, source, host) across namespaces and clients, whatever order
/// the scan finds them in.
#[test]
fn references_come_out_sorted_by_client_then_source() {
    let report = run(&[BASE, REFERENCES, PROBLEM6, INGRESS, BARE_POD]);
    let key = |r: &Reference| {
        (
            r.from.namespace.clone(),
            r.from.workload.clone(),
            r.from.name.clone(),
            r.from.container.clone(),
            r.from.source.clone(),
            r.host.clone(),
        )
    };
    let keys: Vec<_> = report.references.iter().map(|r| key(r)).collect();
    let namespaces: std::collections::BTreeSet<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    assert!(namespaces.len() > 1, "{namespaces:?}");
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:#?}");
}

/// A host named twice in one value (in any case) is one reference; the same
/// host in another variable of the same container is another (near miss),
/// and so is the same variable in another container.
#[test]
fn a_host_named_twice_in_one_place_is_one_reference() {
    let client = deployment_in_shop(
        "fanout",
        r#"      - name: app
        image: fanout
        env:
        - {name: UPSTREAMS, value: "http://web:80/a http://WEB:80/b"}
        - {name: PRIMARY_URL, value: "http://web:80"}
      - name: sidecar
        image: fanout
        env:
        - {name: UPSTREAMS, value: "http://web:80"}
"#,
    );
    let report = run(&[BASE, &client]);
    let mut found: Vec<(Option<&str>, &str)> = report
        .references
        .iter()
        .filter(|r| r.from.workload.as_deref() == Some("deployment/fanout"))
        .map(|r| (r.from.container.as_deref(), r.from.source.as_str()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (Some("app"), "env PRIMARY_URL"),
            (Some("app"), "env UPSTREAMS"),
            (Some("sidecar"), "env UPSTREAMS"),
        ],
        "{:#?}",
        report.references
    );
}

/// A workload's pods are found even when another workload's pods come
/// between them by name: the reference is shown through `p-1`, the ready
/// one, though `p-2` (another Deployment's) comes before `p-3`.
#[test]
fn a_client_is_shown_through_its_ready_pod_among_interleaved_replicas() {
    let deployment = |name: &str, env: &str| {
        format!(
            r#"---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers: [{{name: app, image: app, env: [{env}]}}]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: {name}-1
  namespace: shop
  labels: {{app: {name}}}
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: {name}, uid: d-{name}, controller: true}}]
spec: {{selector: {{matchLabels: {{app: {name}}}}}}}
"#
        )
    };
    let pod = |name: &str, rs: &str, ready: &str, ip: u8| {
        format!(
            r#"---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: shop
  labels: {{app: {rs}}}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: {rs}-1, uid: rs-{rs}, controller: true}}]
spec: {{containers: [{{name: app, image: app}}]}}
status:
  phase: Running
  podIP: 10.0.9.{ip}
  conditions: [{{type: Ready, status: "{ready}"}}]
"#
        )
    };
    let objects = [
        deployment("caller", r#"{name: WEB_URL, value: "http://web:80"}"#),
        deployment("other", r#"{name: LOG_LEVEL, value: info}"#),
        pod("p-1", "caller", "True", 1),
        pod("p-2", "other", "True", 2),
        pod("p-3", "caller", "False", 3),
    ]
    .concat();
    let report = run(&[BASE, &objects]);
    let r = reference(&report, "env WEB_URL");
    assert_eq!(
        (r.from.workload.as_deref(), r.from.name.as_str()),
        (Some("deployment/caller"), "p-1"),
        "{r:#?}"
    );
}

/// NS-001 reads what the container sees: a variable defined twice (by
/// `envFrom` and again in `env`, or twice in `env`) by its last definition.
/// The near miss: reading every definition finds `ghost-db` and `ghost-api`,
/// Services that exist nowhere, and fails `shop` for hosts never dialled.
#[test]
fn ns001_a_variable_defined_twice_is_read_by_its_last_definition() {
    let report = run(&[BASE, SHADOWED]);
    let mut found: Vec<(&str, &str, Status)> = report
        .references
        .iter()
        .filter(|r| r.from.workload.as_deref() == Some("deployment/worker"))
        .map(|r| (r.from.source.as_str(), r.host.as_str(), r.status))
        .collect();
    found.sort_by_key(|f| (f.0, f.1));
    assert_eq!(
        found,
        [
            ("env API_URL", "web", Status::Pass),
            ("env DB_HOST", "web", Status::Pass),
        ],
        "{:#?}",
        report.references
    );
    assert!(
        report.services.iter().all(|s| s.exists),
        "{:#?}",
        report.services.iter().map(|s| &s.name).collect::<Vec<_>>()
    );
}

/// DNS names are case-insensitive: a host written in capitals resolves to
/// the Service of that name in lower case. The near miss: looking the name
/// up as written finds no Service and reports it missing.
#[test]
fn ns002_a_host_in_capitals_resolves_like_the_lower_case_name() {
    let client = "apiVersion: v1\nkind: Pod\nmetadata: {name: probe, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    env:\n    - {name: A_URL, value: \"http://WEB.SHOP.svc.cluster.local:80\"}\n    - {name: B_URL, value: \"http://Web:80\"}\n";
    let report = run(&[BASE, client]);
    let web = ServiceRef::new("shop", "web");
    for source in ["env A_URL", "env B_URL"] {
        let r = reference(&report, source);
        assert_eq!(r.status, Status::Pass, "{source}: {}", r.message);
        assert_eq!(r.resolved.as_ref(), Some(&web), "{source}");
    }
    assert!(
        report.services.iter().all(|s| s.exists),
        "no Service is reported missing"
    );
}

/// A variable whose name carries a control character (the API refuses
/// one, a snapshot read from a file may hold it): the reference's source
/// names it with the character replaced, as every string the report shows
/// is; the host still resolves.
#[test]
fn a_control_character_in_a_variable_name_is_replaced_in_the_source() {
    let client = deployment_in_shop(
        "client",
        r#"      - name: c
        image: busybox
        env:
        - name: "API\u001b[2J_GATEWAY_ENDPOINT_URL"
          value: "http://web:80"
"#,
    );
    let report = run(&[BASE, &client]);
    let r = reference(&report, "env API?[2J_GATEWAY_ENDPOINT_URL");
    assert_eq!(r.status, Status::Pass);
    assert_eq!(r.resolved, Some(ServiceRef::new("shop", "web")));
}
