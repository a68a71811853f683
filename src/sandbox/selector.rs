//! `labelSelector` and `fieldSelector` query parameters: parsing and matching,
//! with the grammar of k8s.io/apimachinery `labels.Parse` and `fields.ParseSelector`.

use super::resources::ResourceType;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelRequirement {
    /// `key=value`, `key==value`, `key in (a,b)`
    In(String, Vec<String>),
    /// `key!=value`, `key notin (a,b)`: also true when the key is absent.
    NotIn(String, Vec<String>),
    /// `key`
    Exists(String),
    /// `!key`
    DoesNotExist(String),
}

/// A parsed `labelSelector`; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<LabelRequirement>,
}

impl LabelSelector {
    /// Parse the selector syntax of `kubectl -l` / `?labelSelector=`.
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let mut lexer = Lexer::new(text);
        let mut requirements = Vec::new();
        loop {
            match lexer.next_token()? {
                Token::End if requirements.is_empty() => break,
                Token::End => return Err("found '', expected: identifier".to_string()),
                Token::Not => {
                    let key = lexer.identifier()?;
                    requirements.push(LabelRequirement::DoesNotExist(key));
                }
                Token::Ident(key) => {
                    validate_label_key(&key)?;
                    let requirement = match lexer.next_token()? {
                        Token::End => {
                            requirements.push(LabelRequirement::Exists(key));
                            break;
                        }
                        Token::Comma => {
                            requirements.push(LabelRequirement::Exists(key));
                            continue;
                        }
                        Token::Eq | Token::DoubleEq => {
                            LabelRequirement::In(key, vec![lexer.value()?])
                        }
                        Token::NotEq => LabelRequirement::NotIn(key, vec![lexer.value()?]),
                        Token::Ident(op) if op == "in" => LabelRequirement::In(key, lexer.set()?),
                        Token::Ident(op) if op == "notin" => {
                            LabelRequirement::NotIn(key, lexer.set()?)
                        }
                        other => {
                            return Err(format!(
                                "found '{}', expected: in, notin, =, ==, !=, gt, lt",
                                other.text()
                            ));
                        }
                    };
                    requirements.push(requirement);
                }
                other => {
                    return Err(format!("found '{}', expected: !, identifier", other.text()));
                }
            }
            match lexer.next_token()? {
                Token::End => break,
                Token::Comma => continue,
                other => {
                    return Err(format!(
                        "found '{}', expected: ',' or 'end of string'",
                        other.text()
                    ));
                }
            }
        }
        Ok(LabelSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether an object with these labels (sorted by key) matches.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        let get = |key: &str| {
            labels
                .binary_search_by(|(k, _)| k.as_str().cmp(key))
                .ok()
                .map(|i| labels[i].1.as_str())
        };
        self.requirements.iter().all(|req| match req {
            LabelRequirement::In(key, values) => {
                get(key).is_some_and(|v| values.iter().any(|w| w == v))
            }
            LabelRequirement::NotIn(key, values) => {
                get(key).is_none_or(|v| values.iter().all(|w| w != v))
            }
            LabelRequirement::Exists(key) => get(key).is_some(),
            LabelRequirement::DoesNotExist(key) => get(key).is_none(),
        })
    }
}

/// A label key: an optional DNS-subdomain prefix and a name of at most 63
/// characters of `[A-Za-z0-9_.-]`.
fn validate_label_key(key: &str) -> Result<(), String> {
    let name = key.rsplit_once('/').map_or(key, |(_, n)| n);
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(())
    } else {
        Err(format!(
            "key: Invalid value: \"{key}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ))
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    Comma,
    Eq,
    DoubleEq,
    NotEq,
    Not,
    Open,
    Close,
    End,
}

impl Token {
    fn text(&self) -> String {
        match self {
            Token::Ident(s) => s.clone(),
            Token::Comma => ",".into(),
            Token::Eq => "=".into(),
            Token::DoubleEq => "==".into(),
            Token::NotEq => "!=".into(),
            Token::Not => "!".into(),
            Token::Open => "(".into(),
            Token::Close => ")".into(),
            Token::End => String::new(),
        }
    }
}

struct Lexer<'a> {
    rest: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer { rest: text }
    }

    fn next_token(&mut self) -> Result<Token, String> {
        self.rest = self.rest.trim_start();
        let mut chars = self.rest.chars();
        let Some(c) = chars.next() else {
            return Ok(Token::End);
        };
        let (token, len) = match c {
            ',' => (Token::Comma, 1),
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            '=' if self.rest.starts_with("==") => (Token::DoubleEq, 2),
            '=' => (Token::Eq, 1),
            '!' if self.rest.starts_with("!=") => (Token::NotEq, 2),
            '!' => (Token::Not, 1),
            _ => {
                let len = self
                    .rest
                    .find(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | '=' | '!'))
                    .unwrap_or(self.rest.len());
                (Token::Ident(self.rest[..len].to_string()), len)
            }
        };
        self.rest = &self.rest[len..];
        Ok(token)
    }

    fn identifier(&mut self) -> Result<String, String> {
        match self.next_token()? {
            Token::Ident(key) => {
                validate_label_key(&key)?;
                Ok(key)
            }
            other => Err(format!("found '{}', expected: identifier", other.text())),
        }
    }

    /// A value after `=`; the empty value is allowed (`key=`).
    fn value(&mut self) -> Result<String, String> {
        let before = self.rest;
        match self.next_token()? {
            Token::Ident(v) => Ok(v),
            Token::End | Token::Comma => {
                self.rest = before;
                Ok(String::new())
            }
            other => Err(format!("found '{}', expected: identifier", other.text())),
        }
    }

    /// `(a, b, c)`
    fn set(&mut self) -> Result<Vec<String>, String> {
        if self.next_token()? != Token::Open {
            return Err("found '', expected: '('".to_string());
        }
        let mut values = Vec::new();
        loop {
            match self.next_token()? {
                Token::Ident(v) => values.push(v),
                Token::Close if values.is_empty() => return Ok(vec![String::new()]),
                other => return Err(format!("found '{}', expected: identifier", other.text())),
            }
            match self.next_token()? {
                Token::Comma => continue,
                Token::Close => return Ok(values),
                other => return Err(format!("found '{}', expected: ',' or ')'", other.text())),
            }
        }
    }
}

/// Which value of an object a field requirement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRef {
    Name,
    Namespace,
    /// Index into the resource's [`ResourceType::fields`].
    Extra(usize),
}

/// A parsed `fieldSelector`: a conjunction of `field=value` / `field!=value`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<(FieldRef, bool, String)>,
}

impl FieldSelector {
    /// Parse `a=b,c!=d` for `resource`; a field the real server does not
    /// support for that resource is an error (`field label not supported: x`).
    pub fn parse(text: &str, resource: &ResourceType) -> Result<FieldSelector, String> {
        let mut requirements = Vec::new();
        for term in split_unescaped(text, ',') {
            if term.trim().is_empty() {
                continue;
            }
            let (field, equal, value) = split_field_term(&term)
                .ok_or_else(|| format!("invalid selector: '{text}'; can't understand '{term}'"))?;
            let field = field.trim();
            let target = match field {
                "metadata.name" => FieldRef::Name,
                "metadata.namespace" => FieldRef::Namespace,
                other => FieldRef::Extra(
                    resource
                        .field_index(other)
                        .ok_or_else(|| format!("field label not supported: {other}"))?,
                ),
            };
            requirements.push((target, equal, unescape(value)));
        }
        Ok(FieldSelector { requirements })
    }

    /// A selector on the object name alone (single-object watch).
    pub fn name(name: &str) -> FieldSelector {
        FieldSelector {
            requirements: vec![(FieldRef::Name, true, name.to_string())],
        }
    }

    pub fn and(mut self, other: FieldSelector) -> FieldSelector {
        self.requirements.extend(other.requirements);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, name: &str, namespace: &str, extra: &[String]) -> bool {
        self.requirements.iter().all(|(target, equal, value)| {
            let actual = match target {
                FieldRef::Name => name,
                FieldRef::Namespace => namespace,
                FieldRef::Extra(i) => extra.get(*i).map_or("", String::as_str),
            };
            (actual == value) == *equal
        })
    }
}

/// Split at `sep` not preceded by a backslash.
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            current.push('\\');
            current.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    if escaped {
        current.push('\\');
    }
    parts.push(current);
    parts
}

/// `f!=v` → (f, false, v); `f==v` / `f=v` → (f, true, v).
fn split_field_term(term: &str) -> Option<(&str, bool, &str)> {
    if let Some((f, v)) = term.split_once("!=") {
        return Some((f, false, v));
    }
    if let Some((f, v)) = term.split_once("==") {
        return Some((f, true, v));
    }
    term.split_once('=').map(|(f, v)| (f, true, v))
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut escaped = false;
    for c in value.chars() {
        if escaped || c != '\\' {
            out.push(c);
            escaped = false;
        } else {
            escaped = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::resources::{RESOURCES, by_path};

    fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        v.sort();
        v
    }

    fn matches(selector: &str, pairs: &[(&str, &str)]) -> bool {
        match LabelSelector::parse(selector) {
            Ok(s) => s.matches(&labels(pairs)),
            Err(err) => panic!("{selector}: {err}"),
        }
    }

    #[test]
    fn equality_and_inequality() {
        assert!(matches("app=web", &[("app", "web")]));
        assert!(matches("app==web", &[("app", "web"), ("tier", "x")]));
        assert!(!matches("app=web", &[("app", "api")]));
        assert!(matches("app!=web", &[("tier", "x")]));
        assert!(!matches("app!=web", &[("app", "web")]));
        assert!(matches("", &[]));
        assert!(matches(
            "app=web, tier = front",
            &[("app", "web"), ("tier", "front")]
        ));
    }

    #[test]
    fn set_based_operators() {
        assert!(matches("env in (prod, staging)", &[("env", "staging")]));
        assert!(!matches("env in (prod)", &[]));
        assert!(matches("env notin (prod)", &[]));
        assert!(!matches("env notin (prod,dev)", &[("env", "dev")]));
        assert!(matches("app", &[("app", "x")]));
        assert!(!matches("!app", &[("app", "x")]));
        assert!(matches("!app,env", &[("env", "x")]));
        assert!(matches(
            "kubernetes.io/service-name=web",
            &[("kubernetes.io/service-name", "web")]
        ));
    }

    #[test]
    fn bad_label_selectors_are_errors() {
        for bad in [
            "app=(x",
            "=x",
            "app in x",
            "app in (a b)",
            "app,,b",
            "app=web =",
        ] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_selectors() {
        let pods = by_path("", "v1", "pods").map(|i| &RESOURCES[i]);
        let Some(pods) = pods else {
            panic!("pods not served")
        };
        let sel = FieldSelector::parse("spec.nodeName=node-1,metadata.name!=x", pods);
        let Ok(sel) = sel else { panic!("{sel:?}") };
        let mut extra = vec![String::new(); pods.fields.len()];
        extra[0] = "node-1".into();
        assert!(sel.matches("web", "default", &extra));
        assert!(!sel.matches("x", "default", &extra));
        let err = FieldSelector::parse("spec.bogus=1", pods).err();
        assert_eq!(
            err.as_deref(),
            Some("field label not supported: spec.bogus")
        );
        let escaped = FieldSelector::parse(r"metadata.name=a\,b", pods);
        assert!(escaped.is_ok_and(|s| s.matches("a,b", "", &extra)));
    }
}
