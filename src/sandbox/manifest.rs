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
    let mut documents = Vec::new();
    for_each_document(text, origin, |doc| {
        documents.push(doc);
        Ok(())
    })?;
    Ok(documents)
}

/// [`parse_documents_located`] one object at a time: only the current
/// document is held as a tree of values (the items of a JSON `List` one by
/// one), so a manifest of 50,000 pods never is all at once.
pub fn for_each_document(
    text: &str,
    origin: &str,
    mut each: impl FnMut(Document) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with(['{', '[']) {
        json_documents(text, origin, &mut each)
    } else {
        yaml_documents(text, origin, &mut each)
    }
}

fn not_a_mapping(index: usize, item: Option<usize>, line: usize, origin: &str) -> LoadError {
    let doc = Document {
        index,
        item,
        line,
        value: Value::Null,
    };
    LoadError::at(&doc, origin, "not a mapping (a Kubernetes object)")
}

/// Objects of a parsed document, a `List` being replaced by its items. The
/// items of a typed list (`ServiceList`, as the raw API returns it) carry no
/// `kind` or `apiVersion`; they get the list's.
fn flatten(
    doc: Document,
    origin: &str,
    each: &mut impl FnMut(Document) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let Document {
        index, line, value, ..
    } = doc;
    let Value::Object(mut map) = value else {
        return Err(not_a_mapping(index, None, line, origin));
    };
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let item_kind = match kind.strip_suffix("List") {
        Some(item_kind) if map.contains_key("items") => item_kind.to_string(),
        _ => {
            return each(Document {
                index,
                item: None,
                line,
                value: Value::Object(map),
            });
        }
    };
    let api_version = map.get("apiVersion").cloned();
    let Some(Value::Array(items)) = map.remove("items") else {
        let doc = Document {
            index,
            item: None,
            line,
            value: Value::Null,
        };
        return Err(LoadError::at(
            &doc,
            origin,
            format!("{kind}: items is not a list"),
        ));
    };
    for (i, item) in items.into_iter().enumerate() {
        list_item(
            item,
            &item_kind,
            api_version.as_ref(),
            (index, i + 1, line),
            origin,
            each,
        )?;
    }
    Ok(())
}

/// One item of a list document, given the list's kind if it has none.
fn list_item(
    mut item: Value,
    item_kind: &str,
    api_version: Option<&Value>,
    (index, item_index, line): (usize, usize, usize),
    origin: &str,
    each: &mut impl FnMut(Document) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let Value::Object(fields) = &mut item else {
        return Err(not_a_mapping(index, Some(item_index), line, origin));
    };
    if !item_kind.is_empty() && !fields.contains_key("kind") {
        fields.insert("kind".into(), Value::String(item_kind.to_string()));
        if let Some(api_version) = api_version {
            fields
                .entry("apiVersion")
                .or_insert_with(|| api_version.clone());
        }
    }
    each(Document {
        index,
        item: Some(item_index),
        line,
        value: item,
    })
}

/// What a JSON document is, read without building its items.
#[derive(serde::Deserialize)]
struct JsonShell<'a> {
    #[serde(default)]
    kind: Option<Value>,
    #[serde(default, rename = "apiVersion")]
    api_version: Option<Value>,
    #[serde(default, borrow)]
    items: Option<&'a serde_json::value::RawValue>,
}

fn json_documents(
    text: &str,
    origin: &str,
    each: &mut impl FnMut(Document) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let mut stream =
        serde_json::Deserializer::from_str(text).into_iter::<&serde_json::value::RawValue>();
    let (mut counted_to, mut line, mut index) = (0, 1, 0);
    loop {
        let start = stream.byte_offset().min(text.len());
        line += text[counted_to..start].matches('\n').count();
        counted_to = start;
        let doc_line = line + leading_blank_lines(&text[start..]);
        let raw = match stream.next() {
            None => return Ok(()),
            Some(Ok(raw)) => raw,
            Some(Err(err)) => {
                let doc = Document {
                    index: index + 1,
                    item: None,
                    line: doc_line,
                    value: Value::Null,
                };
                return Err(LoadError::at(&doc, origin, format!("invalid JSON: {err}")));
            }
        };
        index += 1;
        let shell: JsonShell<'_> = serde_json::from_str(raw.get())
            .map_err(|_| not_a_mapping(index, None, doc_line, origin))?;
        let kind = shell
            .kind
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or_default();
        match (kind.strip_suffix("List"), shell.items) {
            (Some(item_kind), Some(items)) => {
                let items: Vec<&serde_json::value::RawValue> = serde_json::from_str(items.get())
                    .map_err(|_| {
                        let doc = Document {
                            index,
                            item: None,
                            line: doc_line,
                            value: Value::Null,
                        };
                        LoadError::at(&doc, origin, format!("{kind}: items is not a list"))
                    })?;
                for (i, item) in items.into_iter().enumerate() {
                    // Each item was valid JSON a moment ago.
                    let value = serde_json::from_str(item.get()).unwrap_or(Value::Null);
                    let at = (index, i + 1, doc_line);
                    list_item(
                        value,
                        item_kind,
                        shell.api_version.as_ref(),
                        at,
                        origin,
                        each,
                    )?;
                }
            }
            _ => {
                let value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                each(Document {
                    index,
                    item: None,
                    line: doc_line,
                    value,
                })?;
            }
        }
    }
}

fn leading_blank_lines(text: &str) -> usize {
    let trimmed = text.trim_start();
    text[..text.len() - trimmed.len()].matches('\n').count()
}

/// Split YAML text at document markers (`---` at the start of a line, and
/// `...`), keeping each part's first line number. A marker at column 0 always
/// starts a document in YAML, even inside a block scalar, so splitting by
/// lines is exact. Each part comes with whether it starts right after a
/// `---` on the same line (its first line is then 3 columns short).
fn split_yaml_documents(text: &str) -> Vec<(usize, bool, &str)> {
    let mut parts = Vec::new();
    let (mut start, mut start_line, mut offset, mut mid_line) = (0, 1, 0, false);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches(['\n', '\r']);
        let is_start =
            bare.starts_with("---") && bare[3..].chars().next().is_none_or(char::is_whitespace);
        let is_end = bare.starts_with("...") && bare[3..].trim().is_empty();
        if is_start || is_end {
            parts.push((start_line, mid_line, &text[start..offset]));
            // Content after `---` on the same line belongs to the new document.
            start = if is_start {
                offset + 3
            } else {
                offset + line.len()
            };
            start_line = if is_start { i + 1 } else { i + 2 };
            mid_line = is_start;
        }
        offset += line.len();
    }
    parts.push((start_line, mid_line, &text[start..]));
    parts
}

fn has_content(part: &str) -> bool {
    part.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && !t.starts_with('%')
    })
}

/// Lines before the first one with content (comments, blanks).
fn leading_non_content_lines(part: &str) -> usize {
    part.lines().take_while(|l| !has_content(l)).count()
}

fn yaml_documents(
    text: &str,
    origin: &str,
    each: &mut impl FnMut(Document) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    let mut index = 0;
    for (start_line, mid_line, part) in split_yaml_documents(text) {
        if !has_content(part) {
            continue;
        }
        // A part that starts after `---` on the same line is padded so that
        // error columns match the file.
        let padded;
        let part = if !mid_line || part.starts_with(['\n', '\r']) {
            part
        } else {
            padded = format!("   {part}");
            padded.as_str()
        };
        let options = serde_saphyr::options! { with_snippet: false };
        let value = serde_saphyr::from_str_with_options::<Value>(part, options).map_err(|err| {
            let doc = Document {
                index: index + 1,
                item: None,
                line: start_line,
                value: Value::Null,
            };
            LoadError::at(&doc, origin, yaml_reason(&err, start_line))
        })?;
        if value.is_null() {
            continue;
        }
        index += 1;
        let line = start_line + leading_non_content_lines(part);
        flatten(
            Document {
                index,
                item: None,
                line,
                value,
            },
            origin,
            each,
        )?;
    }
    Ok(())
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
