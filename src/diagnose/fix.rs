//! Building fix commands: complete, runnable `kubectl` lines in which every
//! cluster-supplied string is shell-quoted.
//!
//! Use [`Kubectl`] for every command: `lit` for words we wrote ourselves,
//! `arg` for anything that came from the cluster (names, label values, JSON
//! built from them). Nothing else in `diagnose/` formats a command by hand.

use serde_json::Value;

use super::report::Fix;
use crate::safe_text::shell_quote;

/// A `kubectl` command line under construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kubectl {
    /// The arguments as the shell must deliver them to kubectl (unquoted).
    argv: Vec<String>,
    /// Text appended after the command, e.g. nothing; reserved for pipelines.
    stdin_json: Option<String>,
}

impl Default for Kubectl {
    fn default() -> Self {
        Self::new()
    }
}

impl Kubectl {
    pub fn new() -> Self {
        Kubectl {
            argv: Vec::new(),
            stdin_json: None,
        }
    }

    /// `kubectl -n NS ...` (the namespace comes from the cluster: quoted).
    pub fn in_namespace(namespace: &str) -> Self {
        Self::new().lit("-n").arg(namespace)
    }

    /// A word we wrote ourselves (a verb, a flag). Still quoted on output if it
    /// needs it, so a mistake here cannot open a hole either.
    pub fn lit(mut self, word: &str) -> Self {
        self.argv.push(word.to_string());
        self
    }

    /// A word that came from the cluster.
    pub fn arg(mut self, word: impl AsRef<str>) -> Self {
        self.argv.push(word.as_ref().to_string());
        self
    }

    /// `flag=value` as one word, the value from the cluster (`--image=web=nginx:1.25`).
    pub fn flag(mut self, flag: &str, value: impl AsRef<str>) -> Self {
        self.argv.push(format_exact!("{flag}={}", value.as_ref()));
        self
    }

    /// A JSON document as one argument (`-p '<json>'`).
    pub fn json(mut self, value: &Value) -> Self {
        self.argv.push(value.to_string());
        self
    }

    /// Feed a manifest on stdin: `printf '%s\n' '<json>' | kubectl ... -f -`.
    pub fn stdin_manifest(mut self, manifest: &Value) -> Self {
        self.stdin_json = Some(manifest.to_string());
        self
    }

    /// The arguments kubectl must receive, for tests.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// The command as a person pastes it into a POSIX shell.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(json) = &self.stdin_json {
            out.push_str("printf '%s\\n' ");
            out.push_str(&shell_quote(json));
            out.push_str(" | ");
        }
        out.push_str("kubectl");
        for word in &self.argv {
            out.push(' ');
            out.push_str(&shell_quote(word));
        }
        out
    }
}

/// A fix from a summary and commands.
pub fn fix(summary: impl Into<String>, commands: impl IntoIterator<Item = Kubectl>) -> Fix {
    Fix {
        summary: summary.into(),
        commands: commands.into_iter().map(|c| c.render()).collect(),
    }
}

/// Escape one JSON-pointer reference token (RFC 6901): `~` → `~0`, `/` → `~1`.
/// Label keys such as `app.kubernetes.io/name` need it in JSON patches.
pub fn json_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_quoted_words() {
        let cmd = Kubectl::in_namespace("prod ns")
            .lit("get")
            .lit("service")
            .arg("web");
        assert_eq!(cmd.render(), "kubectl -n 'prod ns' get service web");
    }

    #[test]
    fn json_is_one_quoted_argument() {
        let patch = json!([{"op": "replace", "path": "/spec/selector", "value": {"app": "it's"}}]);
        let cmd = Kubectl::in_namespace("default")
            .lit("patch")
            .lit("service")
            .arg("web")
            .lit("--type=json")
            .lit("-p")
            .json(&patch);
        assert_eq!(
            cmd.render(),
            r#"kubectl -n default patch service web --type=json -p '[{"op":"replace","path":"/spec/selector","value":{"app":"it'\''s"}}]'"#
        );
    }

    #[test]
    fn stdin_manifest_is_piped() {
        let cmd = Kubectl::new()
            .lit("apply")
            .lit("-f")
            .lit("-")
            .stdin_manifest(&json!({"kind": "Service"}));
        assert_eq!(
            cmd.render(),
            r#"printf '%s\n' '{"kind":"Service"}' | kubectl apply -f -"#
        );
    }

    #[test]
    fn pointer_tokens_escape() {
        assert_eq!(
            json_pointer_token("app.kubernetes.io/name"),
            "app.kubernetes.io~1name"
        );
        assert_eq!(json_pointer_token("a~b"), "a~0b");
    }
}
