//! Reading manifests: multi-document YAML or JSON into JSON values, with
//! errors that name the file, the document and the reason in one line.
//!
//! [`parse_documents`] is pure and public: fixture loaders elsewhere in the
//! project reuse it.

use std::fmt;

use serde_json::Value;

/// A manifest that cannot be loaded. Displays as one line:
/// `FILE: document N: reason` (or `FILE: reason` when no document is at fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// The file (or embedded manifest name) at fault.
    pub origin: String,
    /// 1-based index of the document within the file.
    pub document: Option<usize>,
    /// 1-based index of the item within a `kind: List` document.
    pub item: Option<usize>,
    pub reason: String,
}

impl LoadError {
    pub fn file(origin: &str, reason: impl Into<String>) -> LoadError {
        LoadError {
            origin: origin.to_string(),
            document: None,
            item: None,
            reason: reason.into(),
        }
    }

    pub fn at(doc: &Document, origin: &str, reason: impl Into<String>) -> LoadError {
        LoadError {
            origin: origin.to_string(),
            document: Some(doc.index),
            item: doc.item,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.origin)?;
        if let Some(document) = self.document {
            write!(f, "document {document}: ")?;
        }
        if let Some(item) = self.item {
            write!(f, "item {item}: ")?;
        }
        // One line, whatever the underlying parser said.
        let reason: Vec<&str> = self.reason.lines().map(str::trim).collect();
        f.write_str(&reason.join(" "))
    }
}

/// One object read from a manifest, with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 1-based index among the documents of the file that have content
    /// (empty and comment-only documents are skipped and not counted).
    pub index: usize,
    /// 1-based index within a `kind: List` (or `kind: FooList`) document.
    pub item: Option<usize>,
    /// 1-based line where the document starts.
    pub line: usize,
    pub value: Value,
}

/// Parse multi-document YAML or JSON (a file whose first character is `{` or
/// `[` is read as a stream of JSON values) into objects. `kind: List`
/// documents are flattened; comment-only and empty documents are skipped.
/// `origin` names the text in errors.
pub fn parse_documents(text: &str, origin: &str) -> Result<Vec<Value>, LoadError> {
    Ok(parse_documents_located(text, origin)?
        .into_iter()
        .map(|d| d.value)
        .collect())
}

/// [`parse_documents`], keeping each object's document index and line.
pub fn parse_documents_located(text: &str, origin: &str) -> Result<Vec<Document>, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw = if text.trim_start().starts_with(['{', '[']) {
        parse_json_stream(text, origin)?
    } else {
        parse_yaml_stream(text, origin)?
    };
    let mut documents = Vec::new();
    for (index, (line, value)) in raw.into_iter().enumerate() {
        let doc = Document {
            index: index + 1,
            item: None,
            line,
            value,
        };
        flatten(doc, origin, &mut documents)?;
    }
    Ok(documents)
}

/// Objects of a document, a `List` being replaced by its items. The items of
/// a typed list (`ServiceList`, as the raw API returns it) carry no `kind`
/// or `apiVersion`; they get the list's.
fn flatten(doc: Document, origin: &str, out: &mut Vec<Document>) -> Result<(), LoadError> {
    let Value::Object(map) = &doc.value else {
        return Err(LoadError::at(
            &doc,
            origin,
            "not a mapping (a Kubernetes object)",
        ));
    };
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or_default();
    let Some(item_kind) = kind.strip_suffix("List") else {
        out.push(doc);
        return Ok(());
    };
    let Some(items) = map.get("items") else {
        out.push(doc);
        return Ok(());
    };
    let Value::Array(items) = items else {
        return Err(LoadError::at(
            &doc,
            origin,
            format!("{kind}: items is not a list"),
        ));
    };
    let api_version = map.get("apiVersion").cloned();
    for (i, item) in items.iter().enumerate() {
        let mut item = item.clone();
        let located = Document {
            index: doc.index,
            item: Some(i + 1),
            line: doc.line,
            value: Value::Null,
        };
        let Value::Object(fields) = &mut item else {
            return Err(LoadError::at(
                &located,
                origin,
                "not a mapping (a Kubernetes object)",
            ));
        };
        if !item_kind.is_empty() && !fields.contains_key("kind") {
            fields.insert("kind".into(), Value::String(item_kind.to_string()));
            if let Some(api_version) = &api_version {
                fields
                    .entry("apiVersion")
                    .or_insert_with(|| api_version.clone());
            }
        }
        out.push(Document {
            value: item,
            ..located
        });
    }
    Ok(())
}

fn parse_json_stream(text: &str, origin: &str) -> Result<Vec<(usize, Value)>, LoadError> {
    let mut values = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut start = 0;
    loop {
        let line = 1
            + text[..start.min(text.len())].matches('\n').count()
            + leading_blank_lines(&text[start.min(text.len())..]);
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                values.push((line, value));
                start = stream.byte_offset();
            }
            Some(Err(err)) => {
                let located = Document {
                    index: values.len() + 1,
                    item: None,
                    line,
                    value: Value::Null,
                };
                return Err(LoadError::at(
                    &located,
                    origin,
                    format!("invalid JSON: {err}"),
                ));
            }
        }
    }
    Ok(values)
}

fn leading_blank_lines(text: &str) -> usize {
    let trimmed = text.trim_start();
    text[..text.len() - trimmed.len()].matches('\n').count()
}

/// Split YAML text at document markers (`---` at the start of a line, and
/// `...`), keeping each part's first line number. A marker at column 0 always
/// starts a document in YAML, even inside a block scalar, so splitting by
/// lines is exact.
fn split_yaml_documents(text: &str) -> Vec<(usize, String)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut start_line = 1;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_start =
            bare.starts_with("---") && bare[3..].chars().next().is_none_or(char::is_whitespace);
        let is_end = bare.starts_with("...") && bare[3..].trim().is_empty();
        if is_start || is_end {
            parts.push((start_line, std::mem::take(&mut current)));
            start_line = i + 1;
            if is_start {
                // Content after `---` on the same line belongs to the new
                // document; keep its columns.
                current.push_str("   ");
                current.push_str(&line[3..]);
            } else {
                start_line = i + 2;
            }
        } else {
            current.push_str(line);
        }
    }
    parts.push((start_line, current));
    parts
}

fn has_content(part: &str) -> bool {
    part.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
    })
}

/// Lines before the first one with content (the `---` line, comments, blanks).
fn leading_non_content_lines(part: &str) -> usize {
    part.lines().take_while(|l| !has_content(l)).count()
}

fn parse_yaml_stream(text: &str, origin: &str) -> Result<Vec<(usize, Value)>, LoadError> {
    let mut values = Vec::new();
    for (start_line, part) in split_yaml_documents(text) {
        if !has_content(&part) {
            continue;
        }
        let options = serde_saphyr::options! { with_snippet: false };
        let located = Document {
            index: values.len() + 1,
            item: None,
            line: start_line,
            value: Value::Null,
        };
        match serde_saphyr::from_str_with_options::<Value>(&part, options) {
            Ok(Value::Null) => {}
            Ok(value) => values.push((start_line + leading_non_content_lines(&part), value)),
            Err(err) => {
                return Err(LoadError::at(
                    &located,
                    origin,
                    yaml_reason(&err, start_line),
                ));
            }
        }
    }
    Ok(values)
}

/// `invalid YAML: line L column C: message`, with the line counted in the file.
fn yaml_reason(err: &serde_saphyr::Error, start_line: usize) -> String {
    let message = err.without_snippet().to_string();
    match err.location() {
        Some(location) if location.line() > 0 => {
            let suffix = format!(" at line {}, column {}", location.line(), location.column());
            let message = message.strip_suffix(&suffix).unwrap_or(&message);
            let line = location.line() as usize + start_line - 1;
            format!(
                "invalid YAML: line {line} column {}: {message}",
                location.column()
            )
        }
        _ => format!("invalid YAML: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Document>, LoadError> {
        parse_documents_located(text, "f.yaml")
    }

    #[test]
    fn multi_document_yaml_skips_empty_and_comment_only_documents() {
        let text = "# header\n---\na: 1\n---\n# only a comment\n---\n\n---\nb: 2\n...\n";
        let docs = parse(text).unwrap_or_default();
        let summary: Vec<(usize, usize, String)> = docs
            .iter()
            .map(|d| (d.index, d.line, d.value.to_string()))
            .collect();
        assert_eq!(
            summary,
            [
                (1, 3, r#"{"a":1}"#.to_string()),
                (2, 9, r#"{"b":2}"#.to_string())
            ]
        );
    }

    #[test]
    fn marker_with_content_on_the_same_line() {
        let docs = parse("--- {a: 1}\n--- \nb: 2\n").unwrap_or_default();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value["a"], 1);
    }

    #[test]
    fn yaml_errors_name_document_and_file_line() {
        let err = parse("a: 1\n---\nb: 2\n---\nc: [1, 2\n").err();
        let Some(err) = err else { panic!("parsed") };
        assert_eq!(err.document, Some(3));
        assert_eq!(
            err.to_string(),
            "f.yaml: document 3: invalid YAML: line 5 column 4: unclosed bracket '['"
        );
    }

    #[test]
    fn lists_are_flattened_and_typed_list_items_get_their_kind() {
        let text = r#"{"apiVersion":"v1","kind":"ServiceList","items":[{"metadata":{"name":"a"}},{"kind":"Service","apiVersion":"v1","metadata":{"name":"b"}}]}"#;
        let docs = parse(text).unwrap_or_default();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value["kind"], "Service");
        assert_eq!(docs[0].value["apiVersion"], "v1");
        assert_eq!(docs[1].item, Some(2));
        let yaml = "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  apiVersion: v1\n- 3\n";
        let err = parse(yaml).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("f.yaml: document 1: item 2: not a mapping (a Kubernetes object)")
        );
    }

    #[test]
    fn json_streams_and_errors() {
        let docs = parse("{\"a\": 1}\n\n{\"b\": 2}").unwrap_or_default();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].line, 3);
        let err = parse("{\"a\": 1}\n{\"b\": }").err();
        assert_eq!(err.and_then(|e| e.document), Some(2));
    }

    #[test]
    fn scalars_are_not_objects() {
        let err = parse("just text\n").err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("f.yaml: document 1: not a mapping (a Kubernetes object)")
        );
    }
}
