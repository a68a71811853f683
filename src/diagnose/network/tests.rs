//! Step `network`: NP-001, NP-002, DNS-007 — passing, failing and near misses.

use super::super::context::ServiceCtx;
use super::super::index::{Index, Tables};
use super::super::report::{Report, Severity, Status, StepId, StepReport};
use super::super::testing::{assert_status, checks, has, now, run, snapshot, step};
use crate::diagnose::testing::BASE;

const CLIENTS: &str = include_str!("../../../tests/fixtures/engine/network/clients.yaml");
const DENY_INGRESS: &str =
    include_str!("../../../tests/fixtures/engine/network/default-deny-ingress.yaml");
const EGRESS: &str = include_str!("../../../tests/fixtures/engine/network/storefront-egress.yaml");

/// A NetworkPolicy in shop selecting web's pods for Ingress with these rules.
fn ingress_policy(name: &str, ingress: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{app: web}}}}\n  ingress:\n{ingress}"
    )
}

fn web_network(report: &Report) -> &StepReport {
    step(report, "shop", "web", StepId::Network)
}

fn with_policy(ingress: &str) -> Report {
    run(&[BASE, CLIENTS, &ingress_policy("allow", ingress)])
}

#[test]
fn no_policy_passes_without_any_finding() {
    let report = run(&[BASE, CLIENTS]);
    let net = web_network(&report);
    assert_status(net, Status::Pass);
    assert!(net.findings.is_empty(), "{net:#?}");
}

#[test]
fn np001_default_deny_blocks_the_client_with_an_allow_policy_fix() {
    let report = run(&[BASE, CLIENTS, DENY_INGRESS]);
    let net = web_network(&report);
    assert_status(net, Status::Fail);
    let f = net
        .findings
        .iter()
        .find(|f| f.check == "NP-001" && f.severity == Severity::Error)
        .expect("NP-001");
    assert_eq!(
        f.message,
        "NetworkPolicy blocks storefront/deployment/frontend (pod frontend-5f6d-q8w2e) from web's pods on TCP 8080 (Service port 80)"
    );
    assert!(f.evidence.iter().any(|e| e == "policy shop/default-deny-ingress selects the pods for Ingress and has no rule: it allows nothing"));
    let cmd = &f.fix.as_ref().expect("fix").commands[0];
    assert_eq!(
        cmd,
        r#"printf '%s\n' '{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"allow-web-from-frontend-5f6d-q8w2e","namespace":"shop"},"spec":{"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"storefront"}},"podSelector":{"matchLabels":{"app":"frontend"}}}],"ports":[{"port":8080,"protocol":"TCP"}]}],"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress"]}}' | kubectl apply -f -"#
    );
    // Where policies apply, say that enforcement is not visible.
    assert!(has(net, "NP-001", Severity::Info));
}

#[test]
fn np001_near_miss_rule_on_the_service_port_is_denied() {
    let from = "  - from: [{namespaceSelector: {matchLabels: {team: web}}}]\n";
    let report = with_policy(&format!("{from}    ports: [{{port: 80}}]\n"));
    let net = web_network(&report);
    assert_status(net, Status::Fail);
    let f = &net.findings[0];
    assert!(
        f.evidence.iter().any(|e| e
            .contains("it allows TCP 80, the Service port, but policies see the pod port 8080")),
        "{:#?}",
        f.evidence
    );
    // The pod port, by number or by its name, is admitted.
    for ports in [
        "[{port: 8080}]",
        "[{port: http}]",
        "[{port: 8000, endPort: 8100}]",
    ] {
        let report = with_policy(&format!("{from}    ports: {ports}\n"));
        let net = web_network(&report);
        assert_eq!(
            checks(net),
            [("NP-001", Severity::Info)],
            "{ports}: {net:#?}"
        );
    }
    // A named port with another protocol does not match.
    let report = with_policy(&format!(
        "{from}    ports: [{{port: http, protocol: UDP}}]\n"
    ));
    assert_status(web_network(&report), Status::Fail);
}

#[test]
fn np001_namespace_and_pod_selector_in_one_element_is_and_in_two_is_or() {
    // One element: namespace team=web AND pod app=admin — the frontend is not admin.
    let and = "  - from:\n    - namespaceSelector: {matchLabels: {team: web}}\n      podSelector: {matchLabels: {app: admin}}\n";
    assert_status(web_network(&with_policy(and)), Status::Fail);
    // Two elements: namespace team=web OR pod app=admin (in shop).
    let or = "  - from:\n    - namespaceSelector: {matchLabels: {team: web}}\n    - podSelector: {matchLabels: {app: admin}}\n";
    assert_status(web_network(&with_policy(or)), Status::Pass);
    // podSelector alone means the policy's own namespace: storefront pods do not match.
    let pod_only = "  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n";
    assert_status(web_network(&with_policy(pod_only)), Status::Fail);
    // namespaceSelector by the automatic name label, with matchExpressions on pods.
    let exprs = "  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: storefront}}\n      podSelector: {matchExpressions: [{key: tier, operator: In, values: [edge]}, {key: canary, operator: DoesNotExist}]}\n";
    assert_status(web_network(&with_policy(exprs)), Status::Pass);
}

#[test]
fn np001_ip_blocks_match_pod_ips_except_excepted() {
    let ok = "  - from: [{ipBlock: {cidr: 10.244.1.0/24}}]\n";
    assert_status(web_network(&with_policy(ok)), Status::Pass);
    let except = "  - from: [{ipBlock: {cidr: 10.244.1.0/24, except: [10.244.1.30/32]}}]\n";
    assert_status(web_network(&with_policy(except)), Status::Fail);
}

#[test]
fn np001_policy_selecting_other_pods_does_not_isolate() {
    let policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db-only, namespace: shop}\nspec:\n  podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [web]}]}\n  policyTypes: [Ingress]\n";
    let report = run(&[BASE, CLIENTS, policy]);
    let net = web_network(&report);
    assert_status(net, Status::Pass);
    assert!(
        net.findings.is_empty(),
        "healthy output stays quiet: {net:#?}"
    );
}

#[test]
fn np001_without_known_clients_says_who_may_connect() {
    let report = run(&[BASE, DENY_INGRESS]);
    let net = web_network(&report);
    assert_status(net, Status::Fail);
    let f = &net.findings[0];
    assert!(
        f.message
            .starts_with("no NetworkPolicy rule admits any source to web's pods on TCP 8080")
    );
    assert!(
        f.fix
            .as_ref()
            .is_some_and(|fx| fx.commands[0].contains(r#""from":[{"namespaceSelector":{}}]"#))
    );
    // Near miss: some sources are admitted — information, not a failure.
    let policy = ingress_policy(
        "allow-frontend",
        "  - from: [{podSelector: {matchLabels: {app: frontend}}}]\n    ports: [{port: 8080}]\n",
    );
    let report = run(&[BASE, &policy]);
    let net = web_network(&report);
    assert_status(net, Status::Pass);
    assert!(net.findings.iter().any(|f| {
        f.severity == Severity::Info
            && f.message
                .contains("admit only: pods app=frontend in shop (policy allow-frontend)")
    }));
}

#[test]
fn np002_and_dns007_egress_from_the_client() {
    let report = run(&[BASE, CLIENTS, EGRESS]);
    let net = web_network(&report);
    // Egress to web's pods on 8080 is admitted; DNS is not (only the Service IP is).
    assert!(
        !net.findings.iter().any(|f| f.check == "NP-002"),
        "{net:#?}"
    );
    assert_status(net, Status::Fail);
    let f = net
        .findings
        .iter()
        .find(|f| f.check == "DNS-007")
        .expect("DNS-007");
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("allows ipBlock 10.96.0.10/32, which holds the DNS Service IP"))
    );
    let cmd = &f.fix.as_ref().expect("fix").commands[0];
    assert!(cmd.contains(r#""to":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}},"podSelector":{"matchLabels":{"k8s-app":"kube-dns"}}}]"#), "{cmd}");

    // Near miss for DNS-007: admitting the DNS pods themselves passes.
    let fixed = EGRESS.replace(
        "  - to: [{ipBlock: {cidr: 10.96.0.10/32}}]",
        "  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]",
    );
    let report = run(&[BASE, CLIENTS, &fixed]);
    assert_eq!(checks(web_network(&report)), [("NP-001", Severity::Info)]);

    // NP-002: an egress rule to the Service port instead of the pod port.
    let wrong_port = EGRESS.replace("ports: [{port: 8080}]", "ports: [{port: 80}]");
    let report = run(&[BASE, CLIENTS, &wrong_port]);
    let net = web_network(&report);
    let f = net
        .findings
        .iter()
        .find(|f| f.check == "NP-002")
        .expect("NP-002");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.evidence.iter().any(|e| e.contains("the Service port")));
    assert!(
        f.fix
            .as_ref()
            .is_some_and(|fx| fx.commands[0].contains(r#""policyTypes":["Egress"]"#))
    );
}

#[test]
fn forbidden_network_policies_are_unknown() {
    let fault = "apiVersion: sandbox.svc-doctor.dev/v1\nkind: Fault\nmatch: {verb: list, resource: networkpolicies, namespace: shop}\naction: forbid\n";
    let report = run(&[BASE, CLIENTS, fault]);
    let net = web_network(&report);
    assert_status(net, Status::Unknown);
    assert_eq!(
        net.summary,
        "NP-001 not evaluated: cannot list networkpolicies in shop (403). Verify: kubectl auth can-i list networkpolicies -n shop"
    );
}

/// Backend pods group by labels and destinations, whatever spec they come
/// from: two replicas share one spec, a third pod with the same labels runs
/// another spec with the same port, a fourth with the same labels serves
/// another port, and a canary has its own labels. The groups come out
/// ordered by labels, then destinations (8080 before 9090), not in the
/// order the pods are listed.
#[test]
fn backend_groups_by_labels_and_destinations() {
    let pod = |name: &str, track: &str, image: &str, port: u16, ip: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop, labels: {{app: api, track: {track}}}}}\nspec:\n  containers: [{{name: app, image: {image}, ports: [{{name: http, containerPort: {port}}}]}}]\nstatus: {{phase: Running, podIP: {ip}}}"
        )
    };
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {clusterIP: 10.96.9.9, selector: {app: api}, ports: [{port: 80, targetPort: http}]}";
    let texts = [
        BASE.to_string(),
        service.to_string(),
        pod("a-stable-1", "stable", "api:1", 9090, "10.244.9.1"),
        pod("a-stable-2", "stable", "api:1", 9090, "10.244.9.2"),
        pod(
            "b-stable-debug",
            "stable",
            "api:1-debug",
            9090,
            "10.244.9.3",
        ),
        pod("c-stable-new", "stable", "api:3", 8080, "10.244.9.4"),
        pod("d-canary", "canary", "api:2", 8080, "10.244.9.5"),
    ];
    let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
    let snap = snapshot(&texts);
    let tables = Tables::build(&snap);
    let idx = Index::new(&snap, &tables, now());
    let dns = crate::diagnose::dns::cluster(&idx);
    let svc = idx.service("shop", "api").expect("the Service");
    let ctx = ServiceCtx::new(&idx, svc, &[], &dns);
    let groups = super::groups(&ctx);
    let seen: Vec<_> = groups
        .iter()
        .map(|g| {
            (
                g.facts.labels.get("track").map(|t| t.as_str()),
                g.pods.iter().map(String::as_str).collect::<Vec<_>>(),
                g.facts.ips.len(),
                g.dests.iter().map(|d| d.1).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Some("canary"), vec!["d-canary"], 1, vec![8080]),
            (Some("stable"), vec!["c-stable-new"], 1, vec![8080]),
            (
                Some("stable"),
                vec!["a-stable-1", "a-stable-2", "b-stable-debug"],
                3,
                vec![9090]
            ),
        ]
    );
}
