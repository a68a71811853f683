//! Just enough Kubernetes protobuf to read the access reviews kubectl sends.
//!
//! kubectl's typed clients POST `selfsubjectaccessreviews` (and
//! `selfsubjectrulesreviews`) as `application/vnd.kubernetes.protobuf`,
//! while accepting JSON back. The encoding is the `k8s\0` magic followed by
//! a `runtime.Unknown` envelope whose `raw` field holds the object, in the
//! messages of k8s.io/api/authorization/v1/generated.proto.

use serde_json::{Map, Value, json};

/// The `Content-Type` of Kubernetes protobuf.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

const MAGIC: &[u8] = b"k8s\0";

/// One field of a protobuf message; only length-delimited values are kept
/// (the review messages hold nothing else the server reads).
enum Field<'a> {
    Other,
    Bytes(&'a [u8]),
}

fn varint(bytes: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint too long".into())
}

/// The fields of a message, in order.
fn fields(bytes: &[u8]) -> Result<Vec<(u64, Field<'_>)>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let key = varint(bytes, &mut pos)?;
        let (number, wire) = (key >> 3, key & 7);
        let field = match wire {
            0 => {
                varint(bytes, &mut pos)?;
                Field::Other
            }
            2 => {
                let len =
                    usize::try_from(varint(bytes, &mut pos)?).map_err(|_| "length overflow")?;
                let end = pos
                    .checked_add(len)
                    .filter(|end| *end <= bytes.len())
                    .ok_or("truncated field")?;
                let data = &bytes[pos..end];
                pos = end;
                Field::Bytes(data)
            }
            1 => {
                pos = pos
                    .checked_add(8)
                    .filter(|p| *p <= bytes.len())
                    .ok_or("truncated field")?;
                Field::Other
            }
            5 => {
                pos = pos
                    .checked_add(4)
                    .filter(|p| *p <= bytes.len())
                    .ok_or("truncated field")?;
                Field::Other
            }
            other => return Err(format!("unsupported wire type {other}")),
        };
        out.push((number, field));
    }
    Ok(out)
}

/// The last value of a length-delimited field (proto2 `optional` semantics).
fn bytes_field<'a>(fields: &[(u64, Field<'a>)], number: u64) -> Option<&'a [u8]> {
    fields.iter().rev().find_map(|(n, f)| match f {
        Field::Bytes(b) if *n == number => Some(*b),
        _ => None,
    })
}

/// String fields `number → name` of a message, as a JSON object.
fn strings(message: &[u8], names: &[(u64, &str)]) -> Result<Value, String> {
    let fields = fields(message)?;
    let mut out = Map::new();
    for (number, name) in names {
        if let Some(bytes) = bytes_field(&fields, *number) {
            let text = std::str::from_utf8(bytes).map_err(|_| format!("{name} is not UTF-8"))?;
            out.insert((*name).to_string(), Value::String(text.to_string()));
        }
    }
    Ok(Value::Object(out))
}

/// Decode a protobuf `SelfSubjectAccessReview` or `SelfSubjectRulesReview`
/// into its JSON form (kind, apiVersion and spec: all the server reads).
pub fn decode_review(body: &[u8]) -> Result<Value, String> {
    let envelope = body
        .strip_prefix(MAGIC)
        .ok_or("missing the k8s protobuf prefix")?;
    let unknown = fields(envelope)?;
    let mut review = strings(
        bytes_field(&unknown, 1).unwrap_or_default(),
        &[(1, "apiVersion"), (2, "kind")],
    )?;
    let raw = fields(bytes_field(&unknown, 2).unwrap_or_default())?;
    let spec = fields(bytes_field(&raw, 2).unwrap_or_default())?;
    let kind = review
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    review["spec"] = match kind.as_str() {
        "SelfSubjectAccessReview" => {
            let mut out = json!({});
            if let Some(attrs) = bytes_field(&spec, 1) {
                out["resourceAttributes"] = strings(
                    attrs,
                    &[
                        (1, "namespace"),
                        (2, "verb"),
                        (3, "group"),
                        (4, "version"),
                        (5, "resource"),
                        (6, "subresource"),
                        (7, "name"),
                    ],
                )?;
            }
            if let Some(attrs) = bytes_field(&spec, 2) {
                out["nonResourceAttributes"] = strings(attrs, &[(1, "path"), (2, "verb")])?;
            }
            out
        }
        "SelfSubjectRulesReview" => strings(
            bytes_field(&raw, 2).unwrap_or_default(),
            &[(1, "namespace")],
        )?,
        other => return Err(format!("cannot decode a protobuf {other:?}")),
    };
    Ok(review)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(number: u8, data: &[u8]) -> Vec<u8> {
        let mut out = vec![
            (number << 3) | 2,
            u8::try_from(data.len()).unwrap_or_default(),
        ];
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn decodes_an_access_review_as_kubectl_sends_it() {
        let attrs = [field(1, b"default"), field(2, b"list"), field(5, b"pods")].concat();
        let spec = field(1, &attrs);
        let raw = [field(1, b""), field(2, &spec), field(3, b"")].concat();
        let type_meta = [
            field(1, b"authorization.k8s.io/v1"),
            field(2, b"SelfSubjectAccessReview"),
        ]
        .concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &raw)].concat();
        let review = decode_review(&body);
        assert_eq!(
            review,
            Ok(json!({
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"namespace": "default", "verb": "list", "resource": "pods"}},
            }))
        );
        assert!(decode_review(b"k8s\0\x0a\x05ab").is_err());
        assert!(decode_review(b"{}").is_err());
    }
}
