//! The built-in demo clusters, embedded in the binary (`sandbox --demo`,
//! `svc-doctor demo`). The manifests live in `src/sandbox/demo/`.

use super::load::ClusterSource;

macro_rules! manifests {
    ($($path:literal),* $(,)?) => {
        &[$((concat!("src/sandbox/", $path), include_str!($path))),*]
    };
}

/// The main demo: the guide's problems side by side with healthy Services.
const MAIN: &[(&str, &str)] = manifests![
    "demo/main/00-cluster.yaml",
    "demo/main/10-kube-system.yaml",
    "demo/main/20-problem1-selector.yaml",
    "demo/main/21-problem2-target-port.yaml",
    "demo/main/22-problem3-crashloop.yaml",
    "demo/main/23-problem4-readiness.yaml",
    "demo/main/25-problem6-namespace.yaml",
    "demo/main/30-healthy.yaml",
    "demo/main/40-extras.yaml",
];

/// The second demo cluster: cluster DNS is down (the guide's problem 5).
const DNS_OUTAGE: &[(&str, &str)] = manifests![
    "demo/dns-outage/00-cluster.yaml",
    "demo/dns-outage/10-kube-system.yaml",
    "demo/dns-outage/20-apps.yaml",
];

/// Context of the main demo cluster (the kubeconfig's current context).
pub const DEMO_CONTEXT: &str = "demo";
/// Context of the DNS-outage demo cluster.
pub const DNS_OUTAGE_CONTEXT: &str = "demo-dns-outage";

/// Both demo clusters, the main one first.
pub fn clusters() -> Vec<ClusterSource> {
    vec![
        ClusterSource::from_texts(DEMO_CONTEXT, MAIN.iter().copied()),
        ClusterSource::from_texts(DNS_OUTAGE_CONTEXT, DNS_OUTAGE.iter().copied()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::load::load_cluster;

    #[test]
    fn the_demo_clusters_load() {
        for cluster in clusters() {
            if let Err(err) = load_cluster(&cluster, "2025-01-01T00:00:00Z") {
                panic!("{}: {err}", cluster.context);
            }
        }
    }
}
