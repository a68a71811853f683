//! Step `dns`: every check with a passing case, a failing case and a near miss.

use super::super::report::{Severity, Status, StepId};
use super::super::testing::{assert_status, checks, has, run, service, step};
use crate::diagnose::testing::{BASE, base_without};

const PENDING: &str = include_str!("../../../tests/fixtures/engine/dns/coredns-pending.yaml");
const NO_CNI: &str = include_str!("../../../tests/fixtures/engine/dns/no-cni.yaml");
const CRASHLOOP: &str = include_str!("../../../tests/fixtures/engine/dns/crashloop-loop.yaml");
const ONE_UNREADY: &str = include_str!("../../../tests/fixtures/engine/dns/one-unready.yaml");
const SCALED_TO_ZERO: &str = include_str!("../../../tests/fixtures/engine/dns/scaled-to-zero.yaml");
const OTHER_NAME: &str =
    include_str!("../../../tests/fixtures/engine/dns/service-named-coredns.yaml");
const CLIENTS: &str = include_str!("../../../tests/fixtures/engine/dns/clients.yaml");
const SECOND_NODE_DOWN: &str =
    include_str!("../../../tests/fixtures/engine/dns/second-node-down.yaml");

const DNS_PODS: [(&str, &str); 2] = [
    ("Pod", "coredns-5d78c9869d-aaaaa"),
    ("Pod", "coredns-5d78c9869d-bbbbb"),
];
const DNS_SLICE: (&str, &str) = ("EndpointSlice", "kube-dns-x7k2p");

fn finding<'r>(
    step: &'r super::super::report::StepReport,
    check: &str,
) -> &'r super::super::report::Finding {
    step.findings
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| panic!("no {check} in {step:#?}"))
}

#[test]
fn healthy_base_passes_quietly() {
    let report = run(&[BASE]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Pass);
    assert!(dns.findings.is_empty(), "{dns:#?}");
    assert_eq!(report.cluster[0].status, Status::Pass);
    assert!(
        report.cluster[0]
            .summary
            .contains("cluster domain cluster.local")
    );
}

/// Guide problem 5, end to end: every Service fails at `dns` with the taint fix.
#[test]
fn problem5_coredns_pending_on_control_plane_taint_fails_every_service() {
    let base = base_without(&[
        ("Node", "node-1"),
        ("Deployment", "coredns"),
        ("ReplicaSet", "coredns-5d78c9869d"),
        DNS_PODS[0],
        DNS_PODS[1],
        DNS_SLICE,
    ]);
    let report = run(&[&base, PENDING]);
    assert!(report.services.len() >= 2);
    for svc in &report.services {
        let dns = step(&report, &svc.namespace, &svc.name, StepId::Dns);
        assert_status(dns, Status::Fail);
        let f = finding(dns, "DNS-005");
        assert_eq!(f.severity, Severity::Error);
        assert!(
            dns.summary.contains("no node accepts them"),
            "{}",
            dns.summary
        );
        assert!(
            f.evidence.iter().any(|e| e
                == "node node-1: taint node-role.kubernetes.io/control-plane:NoSchedule not tolerated"),
            "{:#?}",
            f.evidence
        );
        // PreferNoSchedule never blocks, so it is not in the table.
        assert!(!f.evidence.iter().any(|e| e.contains("slow-disk")));
        assert!(
            f.evidence
                .iter()
                .any(|e| e.contains("FailedScheduling (x12)"))
        );
        let fix = f.fix.as_ref().expect("a fix");
        assert_eq!(
            fix.commands,
            [
                "kubectl taint nodes node-1 node-role.kubernetes.io/control-plane:NoSchedule-",
                "kubectl -n kube-system rollout restart deployment/coredns",
            ]
        );
        assert!(
            fix.summary.contains("patch deployment coredns"),
            "{}",
            fix.summary
        );
        // The symptoms are there too, after the cause.
        assert!(has(dns, "DNS-002", Severity::Error));
        assert!(has(dns, "DNS-003", Severity::Error));
    }
    assert_eq!(
        service(&report, "shop", "web").failing_step,
        Some(StepId::Dns)
    );
    assert_eq!(report.cluster[0].status, Status::Fail);
    assert_eq!(report.cluster[0].findings[0].check, "DNS-005");
}

#[test]
fn dns005_near_miss_not_ready_taint_from_missing_cni_blames_the_node() {
    let base = base_without(&[("Node", "node-1"), DNS_PODS[0], DNS_PODS[1], DNS_SLICE]);
    let report = run(&[&base, NO_CNI]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Fail);
    let node = finding(dns, "NODE-001");
    assert_eq!(node.severity, Severity::Error);
    assert!(node.message.contains("CNI"), "{}", node.message);
    assert_eq!(
        dns.findings[0].check, "NODE-001",
        "the node is the cause: {dns:#?}"
    );
    // DNS-005 is informational only and suggests no taint removal.
    let cluster = &report.cluster[0];
    let f5 = cluster
        .findings
        .iter()
        .find(|f| f.check == "DNS-005")
        .expect("DNS-005");
    assert_eq!(f5.severity, Severity::Info);
    assert!(f5.fix.is_none());
    assert!(f5.message.contains("NODE-001"));
    assert!(!dns.findings.iter().any(|f| f.check == "DNS-005"));
    assert!(
        !dns.findings
            .iter()
            .filter_map(|f| f.fix.as_ref())
            .flat_map(|f| &f.commands)
            .any(|c| c.contains("taint"))
    );
}

#[test]
fn dns001_missing_service_fails_with_a_manifest() {
    let base = base_without(&[("Service", "kube-dns"), DNS_SLICE]);
    let report = run(&[&base]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Fail);
    let f = finding(dns, "DNS-001");
    let cmd = &f.fix.as_ref().expect("fix").commands[0];
    assert!(
        cmd.starts_with("printf '%s\\n' '{\"apiVersion\":\"v1\",\"kind\":\"Service\""),
        "{cmd}"
    );
    assert!(
        cmd.contains("\"selector\":{\"k8s-app\":\"kube-dns\"}"),
        "{cmd}"
    );
    assert!(cmd.ends_with("| kubectl apply -f -"));
}

#[test]
fn dns001_near_miss_other_kube_system_service_on_53_udp_counts() {
    let base = base_without(&[("Service", "kube-dns"), DNS_SLICE]);
    let report = run(&[&base, OTHER_NAME]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Pass);
    assert!(report.cluster[0].summary.contains("kube-system/coredns"));
}

#[test]
fn dns002_and_dns004_one_unready_pod_warns_but_serves() {
    let base = base_without(&[DNS_PODS[1], DNS_SLICE]);
    let report = run(&[&base, ONE_UNREADY]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Warn);
    assert!(has(dns, "DNS-002", Severity::Warning), "{dns:#?}");
    let f4 = finding(dns, "DNS-004");
    assert_eq!(f4.severity, Severity::Warning);
    assert!(
        f4.evidence
            .iter()
            .any(|e| e.contains("Readiness probe failed"))
    );
    assert_eq!(service(&report, "shop", "web").failing_step, None);
}

#[test]
fn dns004_crashloop_with_loop_signature_fails() {
    let base = base_without(&[DNS_PODS[0], DNS_PODS[1], DNS_SLICE]);
    let report = run(&[&base, CRASHLOOP]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Fail);
    let crash = dns
        .findings
        .iter()
        .filter(|f| f.check == "DNS-004" && f.message.contains("CrashLoopBackOff"))
        .count();
    assert_eq!(crash, 2);
    let looped = dns
        .findings
        .iter()
        .find(|f| f.message.contains("forwarding loop"))
        .expect("loop signature");
    assert!(looped.evidence[0].contains("coredns-5d78c9869d-aaaaa, coredns-5d78c9869d-bbbbb"));
    assert!(looped.evidence[0].contains("plugin/loop"));
    assert_eq!(
        looped.fix.as_ref().map(|f| f.commands.clone()),
        Some(vec![
            "kubectl -n kube-system edit configmap coredns".to_string(),
            "kubectl -n kube-system rollout restart deployment/coredns".to_string(),
        ])
    );
    assert!(has(dns, "DNS-002", Severity::Error));
}

#[test]
fn dns003_scaled_to_zero_fails_with_scale() {
    let base = base_without(&[
        ("Deployment", "coredns"),
        DNS_PODS[0],
        DNS_PODS[1],
        DNS_SLICE,
    ]);
    let report = run(&[&base, SCALED_TO_ZERO]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    let f = finding(dns, "DNS-003");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.fix.as_ref().map(|f| f.commands.clone()),
        Some(vec![
            "kubectl -n kube-system scale deployment/coredns --replicas=2".to_string()
        ])
    );
}

#[test]
fn dns003_near_miss_fewer_available_than_desired_warns() {
    let text = BASE.replace(
        "status: {replicas: 2, readyReplicas: 2, availableReplicas: 2, updatedReplicas: 2}\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: coredns",
        "status: {replicas: 2, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 2}\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: coredns",
    );
    assert_ne!(text, BASE);
    let report = run(&[&text]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_eq!(checks(dns), [("DNS-003", Severity::Warning)]);
}

fn with_corefile(corefile: &str) -> String {
    let indented: String = corefile.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "{}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: coredns, namespace: kube-system}}\ndata:\n  Corefile: |\n{indented}",
        base_without(&[("ConfigMap", "coredns")])
    )
}

#[test]
fn dns006_corefile_without_kubernetes_plugin_fails() {
    let report = run(&[&with_corefile(
        ".:53 {\n  errors\n  ready\n  forward . /etc/resolv.conf\n  loop\n}",
    )]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Fail);
    let f = finding(dns, "DNS-006");
    assert!(f.message.contains("no kubernetes plugin"));
    assert!(
        f.evidence
            .iter()
            .any(|e| e == "cluster domain assumed cluster.local")
    );
}

#[test]
fn dns006_missing_forward_and_loop_warn_and_custom_domain_is_read() {
    let report = run(&[&with_corefile(
        ".:53 {\n  ready\n  kubernetes k8s.internal in-addr.arpa ip6.arpa\n}",
    )]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Warn);
    let f = finding(dns, "DNS-006");
    assert_eq!(
        f.message,
        "the Corefile in kube-system/coredns lacks forward, loop"
    );
    assert!(dns.summary.contains("lacks forward"));
    assert!(
        report.cluster[0]
            .findings
            .iter()
            .all(|f| !f.message.contains("assumed"))
    );
    // The domain read from the zone drives the names DNS serves.
    let base_report = run(&[&with_corefile(
        ".:53 {\n  ready\n  kubernetes k8s.internal\n  forward . 1.1.1.1\n  loop\n}",
    )]);
    let dns = step(&base_report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Pass);
    assert!(
        dns.summary.contains("web.shop.svc.k8s.internal"),
        "{}",
        dns.summary
    );
}

#[test]
fn dns006_near_miss_corefile_from_the_deployments_volume() {
    // The Deployment mounts ConfigMap `dns-config` key `main`: that is the one read.
    let base = base_without(&[("ConfigMap", "coredns"), ("Deployment", "coredns")]);
    let deployment = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 2
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers: [{name: coredns, image: "registry.k8s.io/coredns/coredns:v1.11.3"}]
      volumes: [{name: config, configMap: {name: dns-config, items: [{key: main, path: Corefile}]}}]
status: {replicas: 2, availableReplicas: 2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: dns-config, namespace: kube-system}
data:
  main: |
    .:53 {
      ready
      kubernetes cluster.local
      forward . /etc/resolv.conf
      loop
    }
"#;
    let report = run(&[&base, deployment]);
    assert_status(step(&report, "shop", "web", StepId::Dns), Status::Pass);
}

#[test]
fn dns006_missing_configmap_fails() {
    let report = run(&[&base_without(&[("ConfigMap", "coredns")])]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert!(has(dns, "DNS-006", Severity::Error), "{dns:#?}");
}

#[test]
fn dns008_client_dns_policies() {
    let report = run(&[BASE, CLIENTS]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Fail);
    let msgs: Vec<&str> = dns
        .findings
        .iter()
        .filter(|f| f.check == "DNS-008")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(msgs.len(), 4, "{msgs:#?}");
    let find = |who: &str| {
        dns.findings
            .iter()
            .find(|f| f.check == "DNS-008" && f.message.starts_with(who))
            .unwrap_or_else(|| panic!("no DNS-008 for {who}: {msgs:#?}"))
    };
    let legacy = find("shop/deployment/legacy");
    assert!(legacy.message.contains("dnsPolicy Default"));
    assert_eq!(
        legacy.fix.as_ref().map(|f| f.commands.clone()),
        Some(vec![r#"kubectl -n shop patch deployment legacy --type=json -p '[{"op":"replace","path":"/spec/template/spec/dnsPolicy","value":"ClusterFirst"}]'"#.to_string()])
    );
    let agent = find("shop/daemonset/agent ");
    assert!(
        agent
            .fix
            .as_ref()
            .is_some_and(|f| f.commands[0].contains("ClusterFirstWithHostNet"))
    );
    let custom = find("shop/deployment/custom ");
    assert!(custom.message.contains("10.96.0.10"));
    assert!(custom.fix.as_ref().is_some_and(|f| {
        f.commands[0].contains(
            r#""path":"/spec/template/spec/dnsConfig/nameservers/0","value":"10.96.0.10""#,
        )
    }));
    let short = find("shop/deployment/custom-short");
    assert!(
        short.message.contains("shop.svc.cluster.local"),
        "{}",
        short.message
    );
    // Near misses: ClusterFirstWithHostNet and a complete dnsConfig pass.
    assert!(
        !msgs
            .iter()
            .any(|m| m.contains("agent-ok") || m.contains("custom-ok"))
    );
}

#[test]
fn node001_one_node_down_warns_in_cluster_only() {
    let report = run(&[BASE, SECOND_NODE_DOWN]);
    let cluster = &report.cluster[0];
    assert_eq!(cluster.status, Status::Warn);
    let f = cluster
        .findings
        .iter()
        .find(|f| f.check == "NODE-001")
        .expect("NODE-001");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.evidence[0].starts_with("node node-2: Ready=Unknown"));
    assert_status(step(&report, "shop", "web", StepId::Dns), Status::Pass);
}

#[test]
fn forbidden_kube_system_pods_make_dns_unknown_never_pass() {
    let fault = "apiVersion: sandbox.svc-doctor.dev/v1\nkind: Fault\nmatch: {verb: list, resource: pods, namespace: kube-system}\naction: forbid\n";
    let report = run(&[BASE, fault]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_status(dns, Status::Unknown);
    assert!(dns.findings.iter().any(|f| f.not_evaluated
        && f.message == "DNS-004 not evaluated: cannot list pods in kube-system (403). Verify: kubectl auth can-i list pods -n kube-system"));
    assert_eq!(report.cluster[0].status, Status::Unknown);
}

#[test]
fn external_name_needs_forward() {
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: payments, namespace: shop}\nspec: {type: ExternalName, externalName: api.stripe.com}\n";
    let report = run(&[
        &with_corefile(".:53 {\n  ready\n  kubernetes cluster.local\n  loop\n}"),
        svc,
    ]);
    let dns = step(&report, "shop", "payments", StepId::Dns);
    assert_status(dns, Status::Fail);
    assert!(
        dns.findings
            .iter()
            .any(|f| f.severity == Severity::Error && f.message.contains("api.stripe.com"))
    );
    // Near miss: a cluster-internal alias needs no forwarding.
    let internal = "apiVersion: v1\nkind: Service\nmetadata: {name: alias, namespace: shop}\nspec: {type: ExternalName, externalName: web.shop.svc.cluster.local}\n";
    let report = run(&[
        &with_corefile(".:53 {\n  ready\n  kubernetes cluster.local\n  loop\n}"),
        internal,
    ]);
    let dns = step(&report, "shop", "alias", StepId::Dns);
    assert_status(dns, Status::Warn);
}

#[test]
fn dns002_tcp_port_missing_warns_and_tcp_without_endpoints_fails() {
    let no_tcp = BASE.replace(
        "  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}\n",
        "",
    );
    assert_ne!(no_tcp, BASE);
    let report = run(&[&no_tcp]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert_eq!(checks(dns), [("DNS-002", Severity::Warning)]);
    assert!(dns.summary.contains("no 53/TCP port"));
    // The TCP port is there but the slice lists only UDP: no TCP endpoint.
    let udp_only = BASE.replace(
        "- {name: dns-tcp, port: 53, protocol: TCP}\n- {name: metrics",
        "- {name: metrics",
    );
    assert_ne!(udp_only, BASE);
    let report = run(&[&udp_only]);
    let dns = step(&report, "shop", "web", StepId::Dns);
    assert!(has(dns, "DNS-002", Severity::Error));
    assert!(
        dns.summary.contains("no ready endpoint on TCP 53"),
        "{}",
        dns.summary
    );
}

/// The step's summary names the Service's full name in the cluster's
/// domain, and says so when the domain is assumed (no zone in the Corefile
/// to read it from; near miss: the same name, only the note differs).
#[test]
fn the_summary_names_the_service_in_the_cluster_domain() {
    let known = run(&[BASE]);
    assert_eq!(
        step(&known, "shop", "web", StepId::Dns).summary,
        "cluster DNS is healthy and serves web.shop.svc.cluster.local"
    );
    // A kubernetes plugin that names only reverse zones: CoreDNS serves,
    // but nothing says the cluster's domain (DNS-006, info).
    let base = BASE.replace(
        "kubernetes cluster.local in-addr.arpa",
        "kubernetes in-addr.arpa",
    );
    assert_ne!(base, BASE);
    let assumed = run(&[&base]);
    assert_eq!(
        step(&assumed, "shop", "web", StepId::Dns).summary,
        "cluster DNS is healthy and serves web.shop.svc.cluster.local (cluster domain assumed)"
    );
}
