//! Hostile cluster strings in the fix commands of the `dns`, `namespace` and
//! `network` steps: a POSIX shell must split every generated command into
//! exactly the intended arguments and run nothing else.
//!
//! `kubectl` is replaced by a script that prints its arguments NUL-separated
//! (and, for `-f -`, its stdin); a `$(touch …)`/backtick payload in every
//! string would create a marker file if anything were executed.

use std::path::Path;
use std::process::Command;

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};
use svc_doctor::diagnose::report::{Finding, Report};
use svc_doctor::diagnose::{Options, diagnose};
use svc_doctor::snapshot::{Scope, manifests};

/// Every hostile ingredient at once, with a payload that touches `marker`.
fn hostile(tag: &str, marker: &Path) -> String {
    let m = marker.display();
    format!("{tag}'\"$(touch {m})`touch {m}`;echo pwned\nü\u{00e9}\\")
}

fn run(docs: &[Value]) -> Report {
    let text = docs
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n---\n");
    let snap = manifests::from_yaml(&text, "hostile", Scope::All).unwrap_or_else(|e| panic!("{e}"));
    let now: Timestamp = "2026-11-26T12:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    diagnose(&snap, now, &Options::default())
}

struct Shell {
    dir: tempfile::TempDir,
}

impl Shell {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let script = dir.path().join("kubectl");
        std::fs::write(
            &script,
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\nfor a in \"$@\"; do last=\"$a\"; done\nif [ \"$last\" = - ]; then printf 'STDIN\\0'; cat; fi\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Shell { dir }
    }

    fn marker(&self) -> std::path::PathBuf {
        self.dir.path().join("pwned")
    }

    /// Run one command line; the arguments kubectl got, and its stdin if any.
    fn argv(&self, command: &str) -> (Vec<String>, Option<String>) {
        let path = format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(command)
            .env("PATH", path)
            .current_dir(self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("sh: {e}"));
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("{e}"));
        let (args, stdin) = match text.split_once("STDIN\0") {
            Some((a, s)) => (a.to_string(), Some(s.to_string())),
            None => (text, None),
        };
        let args = args.split_terminator('\0').map(str::to_string).collect();
        assert!(
            !self.marker().exists(),
            "the command ran a payload: {command}"
        );
        (args, stdin)
    }
}

fn find<'r>(report: &'r Report, check: &str) -> Vec<&'r Finding> {
    report
        .services
        .iter()
        .flat_map(|s| &s.steps)
        .flat_map(|s| &s.findings)
        .chain(report.cluster.iter().flat_map(|c| &c.findings))
        .filter(|f| f.check == check && f.fix.is_some())
        .collect()
}

fn commands(f: &Finding) -> Vec<String> {
    f.fix
        .as_ref()
        .map(|x| x.commands.clone())
        .unwrap_or_default()
}

fn base_dns() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
               "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
               "data": {"Corefile": ".:53 {\n ready\n kubernetes cluster.local\n forward . /etc/resolv.conf\n loop\n}\n"}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kube-dns", "namespace": "kube-system"},
               "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                        "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}}),
    ]
}

#[test]
fn namespace_network_and_dns_policy_fixes_survive_hostile_strings() {
    let sh = Shell::new();
    let marker = sh.marker();
    let ns = hostile("stag", &marker);
    let deploy = hostile("front", &marker);
    let container = hostile("web", &marker);
    let label = hostile("lbl", &marker);
    let value = format!(
        "http://backend-api-service:3000/{}",
        hostile("path", &marker)
    );
    let cm = hostile("cfg", &marker);
    let key = hostile("key", &marker);
    let cm_value = format!("http://inventory:9000/{}", hostile("v", &marker));

    let mut docs = base_dns();
    docs.extend([
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "production"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "backend-api-service", "namespace": "production"},
               "spec": {"clusterIP": "10.96.45.200", "selector": {"app": "backend"}, "ports": [{"port": 3000}]}}),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "inventory", "namespace": "production"},
               "spec": {"clusterIP": "10.96.45.201", "selector": {"app": "inventory"}, "ports": [{"port": 9000}]}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "backend-1", "namespace": "production", "labels": {"app": "backend"}},
               "spec": {"nodeName": "node-1", "containers": [{"name": "api", "image": "x", "ports": [{"containerPort": 3000}]}]},
               "status": {"phase": "Running", "podIP": "10.244.1.20", "conditions": [{"type": "Ready", "status": "True"}]}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": "production"},
               "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": deploy, "namespace": ns},
               "spec": {"selector": {"matchLabels": {"app": label}},
                        "template": {"metadata": {"labels": {"app": label}},
                                     "spec": {"dnsPolicy": "Default",
                                              "containers": [{"name": container, "image": "x",
                                                              "env": [{"name": "API_URL", "value": value}]}]}}}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": cm, "namespace": ns}, "data": {key.clone(): cm_value}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "reader", "namespace": ns},
               "spec": {"selector": {"matchLabels": {"app": "reader"}},
                        "template": {"metadata": {"labels": {"app": "reader"}},
                                     "spec": {"containers": [{"name": "c", "image": "x",
                                              "env": [{"name": "INVENTORY_URL", "valueFrom": {"configMapKeyRef": {"name": cm, "key": key}}}]}]}}}}),
    ]);
    let report = run(&docs);

    // NS-002, env value: `kubectl set env` with the whole rewritten value.
    let set_env = find(&report, "NS-002")
        .into_iter()
        .find(|f| commands(f).iter().any(|c| c.contains(" set env ")))
        .expect("set env fix");
    let (argv, _) = sh.argv(&commands(set_env)[0]);
    let rewritten = value.replacen(
        "backend-api-service",
        "backend-api-service.production.svc.cluster.local",
        1,
    );
    assert_eq!(
        argv,
        [
            "-n".to_string(),
            ns.clone(),
            "set".into(),
            "env".into(),
            format!("deployment/{deploy}"),
            format!("--containers={container}"),
            format!("API_URL={rewritten}"),
        ]
    );

    // NS-002, ConfigMap value: a guarded JSON patch, then a restart.
    let patch = find(&report, "NS-002")
        .into_iter()
        .find(|f| commands(f).iter().any(|c| c.contains(" patch configmap ")))
        .expect("configmap fix");
    let cmds = commands(patch);
    let (argv, _) = sh.argv(&cmds[0]);
    assert_eq!(
        argv[..6],
        [
            "-n".to_string(),
            ns.clone(),
            "patch".into(),
            "configmap".into(),
            cm.clone(),
            "--type=json".into()
        ]
    );
    assert_eq!(argv[6], "-p");
    let ops: Value = serde_json::from_str(&argv[7]).unwrap_or_else(|e| panic!("{e}"));
    let pointer = format!("/data/{}", key.replace('~', "~0").replace('/', "~1"));
    assert_eq!(ops[0]["op"], "test");
    assert_eq!(ops[0]["path"], pointer.as_str());
    assert_eq!(
        ops[1]["value"],
        cm_value
            .replacen("inventory", "inventory.production.svc.cluster.local", 1)
            .as_str()
    );
    let (argv, _) = sh.argv(&cmds[1]);
    assert_eq!(
        argv,
        [
            "-n".to_string(),
            ns.clone(),
            "rollout".into(),
            "restart".into(),
            "deployment/reader".into()
        ]
    );

    // DNS-008: a JSON patch of the hostile Deployment.
    let dns8 = find(&report, "DNS-008");
    let (argv, _) = sh.argv(&commands(dns8[0])[0]);
    assert_eq!(
        argv[..4],
        [
            "-n".to_string(),
            ns.clone(),
            "patch".into(),
            "deployment".into()
        ]
    );
    assert_eq!(argv[4], deploy);

    // NP-001: the allow policy is piped to `kubectl apply -f -` intact.
    let np = find(&report, "NP-001");
    let (argv, stdin) = sh.argv(&commands(np[0])[0]);
    assert_eq!(argv, ["apply", "-f", "-"]);
    let manifest: Value = serde_json::from_str(stdin.as_deref().unwrap_or("").trim_end())
        .unwrap_or_else(|e| panic!("{e}"));
    let peer = &manifest["spec"]["ingress"][0]["from"][0];
    assert_eq!(
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        ns.as_str()
    );
    assert_eq!(peer["podSelector"]["matchLabels"]["app"], label.as_str());

    // Control characters never reach the prose.
    for f in find(&report, "NS-002")
        .into_iter()
        .chain(find(&report, "DNS-008"))
    {
        assert!(
            !f.message.contains('\n') && f.evidence.iter().all(|e| !e.contains('\n')),
            "{f:#?}"
        );
    }
}

#[test]
fn dns005_taint_fix_survives_hostile_node_and_taint() {
    let sh = Shell::new();
    let marker = sh.marker();
    let node = hostile("node", &marker);
    let key = format!("example.com/{}", hostile("k", &marker));
    let val = hostile("v", &marker);
    let mut docs = base_dns();
    docs[0] = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": node},
                     "spec": {"taints": [{"key": key, "value": val, "effect": "NoSchedule"}]},
                     "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
    docs.extend([
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "coredns", "namespace": "kube-system"},
               "spec": {"replicas": 1, "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}},
                                     "spec": {"containers": [{"name": "coredns", "image": "coredns"}]}}},
               "status": {"replicas": 1}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "coredns-1", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
               "spec": {"containers": [{"name": "coredns", "image": "coredns"}]},
               "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]}}),
    ]);
    let report = run(&docs);
    let f = find(&report, "DNS-005");
    let cmds = commands(f[0]);
    let (argv, _) = sh.argv(&cmds[0]);
    assert_eq!(
        argv,
        [
            "taint".to_string(),
            "nodes".into(),
            node.clone(),
            format!("{key}={val}:NoSchedule-")
        ]
    );
    let (argv, _) = sh.argv(&cmds[1]);
    assert_eq!(
        argv,
        [
            "-n",
            "kube-system",
            "rollout",
            "restart",
            "deployment/coredns"
        ]
    );
    assert!(!f[0].message.contains('\n'));
}
