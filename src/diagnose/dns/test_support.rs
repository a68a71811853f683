//! Fixture helpers shared by the tests of `dns`, `namespace` and `network`.

/// The healthy base cluster (tests/fixtures/engine/base.yaml).
pub const BASE: &str = include_str!("../../../tests/fixtures/engine/base.yaml");

/// The base cluster without the documents of the given `(kind, name)` pairs,
/// so a fixture can replace them.
pub fn base_without(drop: &[(&str, &str)]) -> String {
    BASE.split("\n---\n")
        .filter(|doc| {
            !drop.iter().any(|(kind, name)| {
                doc.contains(&format!("kind: {kind}\n"))
                    && [",", "\n", "}"]
                        .iter()
                        .any(|end| doc.contains(&format!("name: {name}{end}")))
            })
        })
        .collect::<Vec<_>>()
        .join("\n---\n")
}

#[test]
fn base_without_drops_whole_documents() {
    let text = base_without(&[("Service", "kube-dns"), ("Node", "node-1")]);
    assert!(!text.contains("clusterIP: 10.96.0.10"));
    assert!(!text.contains("podCIDR"));
    assert!(text.contains("name: coredns-5d78c9869d-aaaaa"));
    assert_eq!(
        text.split("\n---\n").count() + 2,
        BASE.split("\n---\n").count()
    );
}
