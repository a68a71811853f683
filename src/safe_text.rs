//! Shell quoting and control-character stripping for strings that come from the cluster.
//!
//! Two rules hold everywhere (DEVELOPERS.md, non-negotiables):
//! - every cluster-supplied string in a generated command is shell-quoted, so a
//!   POSIX shell splits the command into exactly the intended arguments;
//! - control characters from the cluster never reach a terminal.

use std::borrow::Cow;

/// Quote `word` for a POSIX shell. Words made only of characters that no
/// shell treats specially are returned as they are, so commands stay readable
/// (`kubectl -n default get service web`); everything else is wrapped in single
/// quotes, with embedded single quotes written as `'\''`.
pub fn shell_quote(word: &str) -> Cow<'_, str> {
    let plain = !word.is_empty()
        && word.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'_' | b'.' | b'/' | b':' | b',' | b'=' | b'+' | b'@' | b'%')
        })
        // A leading `=` or `~` can trigger expansions in some shells (zsh `=cmd`, tilde).
        && !word.starts_with(['=', '~']);
    if plain {
        Cow::Borrowed(word)
    } else {
        let mut out = String::with_capacity(word.len() + 2);
        out.push('\'');
        for ch in word.chars() {
            if ch == '\'' {
                out.push_str("'\\''");
            } else {
                out.push(ch);
            }
        }
        out.push('\'');
        Cow::Owned(out)
    }
}

/// Replace control characters (C0, DEL, C1, and the Unicode bidi overrides that
/// can reorder what a terminal shows) with `?`, keeping everything else.
/// Newlines and tabs become a single space: one value, one line.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    // Nearly every name, value and message has nothing to replace, which
    // a pass over its bytes shows without decoding a character.
    if !may_be_unsafe(text) || !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\n' | '\r' | '\t' => ' ',
                c if is_unsafe(c) => '?',
                c => c,
            })
            .collect(),
    )
}

/// [`sanitize`] `text` where it is: copied only when it has something to replace.
pub fn sanitize_in_place(text: &mut String) {
    if let Cow::Owned(clean) = sanitize(text) {
        *text = clean;
    }
}

/// [`sanitize`] of a text the caller owns: the same `String` back when it
/// is safe as it is (nearly always), not a copy of it.
pub fn sanitize_owned(mut text: String) -> String {
    sanitize_in_place(&mut text);
    text
}

/// Like [`sanitize`] but keeps line breaks, for multi-line text such as log tails.
pub fn sanitize_multiline(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\n' => '\n',
                '\t' => ' ',
                c if is_unsafe(c) => '?',
                c => c,
            })
            .collect(),
    )
}

/// Whether `text` has a byte that can begin (or be) a character
/// [`is_unsafe`] rejects: a C0 control or DEL, `0xC2` (which begins every
/// C1 control, U+0080–U+009F) or `0xE2` (which begins the bidi controls,
/// U+200E–U+2069). `false` proves the text safe; `true` only means that its
/// characters must be looked at (`→` begins with `0xE2` too). Blocks of 16
/// bytes are checked without a branch per byte, which the compiler turns
/// into vector instructions.
fn may_be_unsafe(text: &str) -> bool {
    // `|`, not `||`: no branch, so that a block is compared as a whole.
    let flag = |b: u8| (b < b' ') | (b == 0x7f) | (b == 0xc2) | (b == 0xe2);
    let (blocks, tail) = text.as_bytes().as_chunks::<16>();
    blocks
        .iter()
        .any(|block| block.iter().fold(false, |seen, &b| seen | flag(b)))
        || tail.iter().any(|&b| flag(b))
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_readable() {
        assert_eq!(shell_quote("backend-service"), "backend-service");
        assert_eq!(shell_quote("deployment/web"), "deployment/web");
        assert_eq!(shell_quote("app=web"), "app=web");
    }

    #[test]
    fn hostile_words_are_single_quoted() {
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("`id`;x"), "'`id`;x'");
        assert_eq!(shell_quote("~root"), "'~root'");
        assert_eq!(shell_quote("naïve"), "'naïve'");
    }

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(sanitize("ok"), "ok");
        assert_eq!(sanitize("a\x1b[31mred"), "a?[31mred");
        assert_eq!(sanitize("two\nlines"), "two lines");
        assert_eq!(sanitize("bidi\u{202E}txt"), "bidi?txt");
        assert_eq!(sanitize_multiline("l1\nl2\x07"), "l1\nl2?");
    }

    /// An owned text comes back cleaned as `sanitize` cleans it, and a safe
    /// one is the same `String` (the same buffer), not a copy.
    #[test]
    fn an_owned_text_is_cleaned_in_its_own_buffer() {
        let safe = String::from("cluster DNS is healthy and serves web.shop.svc.cluster.local");
        let at = safe.as_ptr();
        let back = sanitize_owned(safe);
        assert_eq!(back.as_ptr(), at);
        assert_eq!(
            back,
            "cluster DNS is healthy and serves web.shop.svc.cluster.local"
        );
        assert_eq!(sanitize_owned("a\x1b[31mred\n".to_string()), "a?[31mred ");
    }

    /// Both ends of printable ASCII, and what lies just outside it: DEL,
    /// a tab, a C1 control, and letters beyond ASCII that are kept.
    #[test]
    fn printable_ascii_is_kept_as_it_is_and_its_edges_are_not() {
        assert!(matches!(sanitize(" web-1 ~"), Cow::Borrowed(" web-1 ~")));
        assert_eq!(sanitize("del\x7f"), "del?");
        assert_eq!(sanitize("\x1f:"), "?:");
        assert_eq!(sanitize("tab\there"), "tab here");
        assert_eq!(sanitize("c1\u{9b}x"), "c1?x");
        assert!(matches!(sanitize("naïve ü"), Cow::Borrowed("naïve ü")));
    }

    /// The pass over a text's bytes finds a control character wherever it
    /// is: in a block of 16 bytes or in the tail after the last one, at
    /// either end. Near misses: `→` and `¡` begin with the bytes that begin
    /// the bidi and the C1 controls, and are kept.
    #[test]
    fn a_control_character_is_found_anywhere_in_a_long_text() {
        for bad in ['\x1b', '\x7f', '\u{9b}', '\u{202e}', '\u{2066}', '\u{200f}'] {
            for len in [15, 16, 17, 40] {
                for at in 0..=len {
                    let (before, after) = ("a".repeat(at), "b".repeat(len - at));
                    let text = format!("{before}{bad}{after}");
                    assert_eq!(sanitize(&text), format!("{before}?{after}"), "{text:?}");
                }
            }
        }
        let kept = "port 80 → 8080, ¡olé! ".repeat(3);
        assert!(matches!(sanitize(&kept), Cow::Borrowed(_)));
    }
}
