//! DNS-006: the CoreDNS Corefile (coredns.io/manual/configuration).
//!
//! A Corefile is a list of server blocks `zone[:port] ... { plugin args... }`;
//! a plugin may open a nested block of options. This parser reads exactly
//! that much: block keys, and each plugin's name and arguments (options
//! skipped), which is what the checks need.

use crate::diagnose::fix::{Kubectl, fix};
use crate::diagnose::index::Index;
use crate::diagnose::permissions::not_evaluated;
use crate::diagnose::report::Finding;
use crate::model::Deployment;
use crate::safe_text::sanitize;
use crate::snapshot::Resource;

/// The cluster domain Kubernetes assumes when nothing says otherwise.
pub const DEFAULT_DOMAIN: &str = "cluster.local";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBlock {
    pub keys: Vec<String>,
    pub plugins: Vec<Plugin>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plugin {
    pub name: String,
    pub args: Vec<String>,
    pub line: usize,
}

/// Parse a Corefile into server blocks, or say where it is malformed.
pub fn parse(text: &str) -> Result<Vec<ServerBlock>, String> {
    // Tokens with their line; `{` and `}` are always tokens of their own.
    let mut lines: Vec<(usize, Vec<String>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        let spaced = line.replace('{', " { ").replace('}', " } ");
        let tokens: Vec<String> = spaced.split_whitespace().map(str::to_string).collect();
        if !tokens.is_empty() {
            lines.push((n + 1, tokens));
        }
    }
    let mut blocks = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut current: Option<ServerBlock> = None;
    let mut depth = 0usize; // nesting inside a plugin's option block
    for (line, tokens) in lines {
        let mut i = 0;
        while i < tokens.len() {
            let tok = tokens[i].as_str();
            match (&mut current, tok) {
                (None, "{") => {
                    if keys.is_empty() {
                        return Err(format_exact!(
                            "line {line}: a block with no zone before '{{'"
                        ));
                    }
                    current = Some(ServerBlock {
                        keys: std::mem::take(&mut keys),
                        plugins: Vec::new(),
                    });
                }
                (None, "}") => return Err(format_exact!("line {line}: unexpected '}}'")),
                (None, key) => keys.push(key.to_string()),
                (Some(_), "{") => depth += 1,
                (Some(block), "}") => {
                    if depth > 0 {
                        depth -= 1;
                    } else {
                        blocks.push(block.clone());
                        current = None;
                    }
                }
                (Some(block), name) if depth == 0 => {
                    // A plugin: its name and the words up to the end of the line or a `{`.
                    let args: Vec<String> = tokens[i + 1..]
                        .iter()
                        .take_while(|t| *t != "{" && *t != "}")
                        .cloned()
                        .collect();
                    i += args.len();
                    block.plugins.push(Plugin {
                        name: name.to_string(),
                        args,
                        line,
                    });
                }
                (Some(_), _) => {} // a plugin option
            }
            i += 1;
        }
    }
    if current.is_some() {
        return Err("a server block is not closed ('}' missing)".into());
    }
    if !keys.is_empty() {
        return Err(format_exact!(
            "'{}' is not followed by a block",
            keys.join(" ")
        ));
    }
    Ok(blocks)
}

/// A zone as written in a key or a plugin argument, without scheme, port or trailing dot.
fn zone(word: &str) -> String {
    let w = word.split_once("://").map_or(word, |(_, rest)| rest);
    let w = w.split(':').next().unwrap_or(w);
    w.trim_end_matches('.').to_ascii_lowercase()
}

/// What DNS-006 learned: the findings, the cluster domain, and whether names
/// outside the cluster are forwarded.
pub struct CorefileCheck {
    pub findings: Vec<Finding>,
    pub domain: Option<String>,
    pub forwards: Option<bool>,
}

/// DNS-006 for the DNS Deployment `deployment` (its config volume names the
/// ConfigMap), or the kubeadm default `kube-system/coredns` key `Corefile`.
pub fn check(idx: &Index<'_>, ns: &str, deployment: Option<&Deployment>) -> CorefileCheck {
    let mut out = CorefileCheck {
        findings: Vec::new(),
        domain: None,
        forwards: None,
    };
    let spec = deployment
        .and_then(|d| d.spec.as_ref())
        .and_then(|s| s.template.spec.as_ref());
    let legacy_kube_dns = spec.is_some_and(|s| {
        s.containers.iter().any(|c| {
            c.image
                .as_deref()
                .is_some_and(|i| i.contains("k8s-dns-kube-dns"))
        })
    });
    if legacy_kube_dns {
        out.findings.push(Finding::info(
            "DNS-006",
            format_exact!("the DNS server is kube-dns, not CoreDNS: no Corefile to check; cluster domain assumed {DEFAULT_DOMAIN}"),
        ));
        return out;
    }
    if let Some(f) = not_evaluated(&idx.snap.access, "DNS-006", Resource::Configmaps, Some(ns)) {
        out.findings
            .push(f.evidence(format_exact!("cluster domain assumed {DEFAULT_DOMAIN}")));
        return out;
    }
    // The ConfigMap volume of the DNS pods, and the key mounted as the Corefile.
    let (cm_name, key) = spec
        .and_then(|s| s.volumes.as_ref())
        .and_then(|vols| vols.iter().find_map(|v| v.config_map.as_ref()))
        .map(|cm| {
            let key = cm
                .items
                .iter()
                .flatten()
                .find(|i| i.path == "Corefile")
                .map_or_else(|| "Corefile".to_string(), |i| i.key.clone());
            (cm.name.clone(), key)
        })
        .unwrap_or_else(|| ("coredns".to_string(), "Corefile".to_string()));
    let edit = || {
        let mut cmds = vec![
            Kubectl::in_namespace(ns)
                .lit("edit")
                .lit("configmap")
                .arg(&cm_name),
        ];
        if let Some(d) = deployment.and_then(|d| d.metadata.name.as_deref()) {
            cmds.push(
                Kubectl::in_namespace(ns)
                    .lit("rollout")
                    .lit("restart")
                    .arg(format_exact!("deployment/{d}")),
            );
        }
        cmds
    };
    let assumed = format_exact!("cluster domain assumed {DEFAULT_DOMAIN}");
    let Some(cm) = idx.config_map(ns, &cm_name) else {
        out.findings.push(
            Finding::error(
                "DNS-006",
                format_exact!(
                    "the Corefile ConfigMap {ns}/{cm_name} does not exist: CoreDNS cannot start"
                ),
            )
            .evidence(assumed),
        );
        return out;
    };
    let Some(text) = cm.data.as_ref().and_then(|d| d.get(&key)) else {
        out.findings.push(
            Finding::error(
                "DNS-006",
                format_exact!("ConfigMap {ns}/{cm_name} has no key {key}: CoreDNS has no Corefile"),
            )
            .evidence(assumed)
            .fix(fix(
                format_exact!("add the Corefile under key {key}"),
                edit(),
            )),
        );
        return out;
    };
    let blocks = match parse(text) {
        Ok(b) => b,
        Err(e) => {
            out.findings.push(
                Finding::error(
                    "DNS-006",
                    format_exact!(
                        "the Corefile in {ns}/{cm_name} does not parse: {}",
                        sanitize(&e)
                    ),
                )
                .evidence(assumed)
                .fix(fix("repair the Corefile, then restart CoreDNS", edit())),
            );
            return out;
        }
    };
    let with_kubernetes = blocks
        .iter()
        .find(|b| b.plugins.iter().any(|p| p.name == "kubernetes"));
    let Some(block) = with_kubernetes else {
        out.findings.push(
            Finding::error(
                "DNS-006",
                format_exact!("the Corefile in {ns}/{cm_name} has no kubernetes plugin: no Service name resolves"),
            )
            .evidence(assumed)
            .fix(fix(
                format_exact!("add `kubernetes {DEFAULT_DOMAIN} in-addr.arpa ip6.arpa` to the `.:53` block, then restart CoreDNS"),
                edit(),
            )),
        );
        return out;
    };
    let plugin = block.plugins.iter().find(|p| p.name == "kubernetes");
    let zones: Vec<String> = match plugin {
        Some(p) if !p.args.is_empty() => p.args.iter().map(|a| zone(a)).collect(),
        _ => block.keys.iter().map(|k| zone(k)).collect(),
    };
    out.domain = zones
        .into_iter()
        .find(|z| !z.is_empty() && !z.ends_with(".arpa") && z != "arpa");
    if out.domain.is_none() {
        out.findings.push(Finding::info(
            "DNS-006",
            format_exact!("the kubernetes plugin names no cluster zone; {assumed}"),
        ));
    }
    let has = |name: &str| block.plugins.iter().any(|p| p.name == name);
    let anywhere = |name: &str| {
        blocks
            .iter()
            .any(|b| b.plugins.iter().any(|p| p.name == name))
    };
    out.forwards = Some(has("forward") || has("proxy"));
    let mut missing: Vec<String> = Vec::new();
    if out.forwards == Some(false) {
        missing.push(
            "forward: names outside the cluster (and ExternalName targets) never resolve".into(),
        );
    }
    if !anywhere("ready") {
        missing.push("ready: the readiness probe on :8181/ready has nothing to answer it".into());
    }
    if !has("loop") {
        missing.push(
            "loop: a forwarding loop (e.g. to a local stub resolver) goes undetected and burns CPU"
                .into(),
        );
    }
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().filter_map(|m| m.split(':').next()).collect();
        out.findings.push(
            Finding::warning(
                "DNS-006",
                format_exact!("the Corefile in {ns}/{cm_name} lacks {}", names.join(", ")),
            )
            .evidence_lines(missing.iter().map(|m| format_exact!("without {m}")))
            .fix(fix("add the missing plugins to the block that serves the cluster zone, then restart CoreDNS", edit())),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubeadm_default() {
        let text = ".:53 {\n errors\n health {\n lameduck 5s\n }\n ready\n kubernetes cluster.local in-addr.arpa ip6.arpa {\n pods insecure\n }\n forward . /etc/resolv.conf\n loop # detect loops\n}\n";
        let blocks = parse(text).unwrap_or_default();
        assert_eq!(blocks.len(), 1);
        let names: Vec<&str> = blocks[0].plugins.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["errors", "health", "ready", "kubernetes", "forward", "loop"]
        );
        assert_eq!(
            blocks[0].plugins[3].args,
            ["cluster.local", "in-addr.arpa", "ip6.arpa"]
        );
        assert_eq!(blocks[0].keys, [".:53"]);
    }

    #[test]
    fn malformed_corefiles_say_where() {
        assert!(parse(".:53 {\n errors\n").is_err());
        assert!(parse("}\n").is_err());
        assert!(parse(".:53\n").is_err());
        assert!(parse("a.local:53 {\n}\nb.local {\n log\n}\n").is_ok_and(|b| b.len() == 2));
    }

    #[test]
    fn zones_lose_scheme_port_and_dot() {
        assert_eq!(zone("dns://Cluster.Local.:53"), "cluster.local");
        assert_eq!(zone(".:53"), "");
    }
}
