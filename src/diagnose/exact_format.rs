//! `format_exact!`: `format!` that allocates once, to the text's length.
//! Every module of the engine can call it (`#[macro_use]` in `diagnose/mod.rs`).
//!
//! `format!` guesses a capacity from the literal parts (twice their length,
//! or nothing when the text starts with an argument) and doubles it as the
//! arguments are written: a message of some 80 characters typically takes an
//! allocation and two or three reallocations, and keeps up to half its
//! capacity unused for as long as the report lives. The engine writes text
//! for every step of every Service and for every reference: at L, such
//! growth was 380,000 of the 471,000 reallocations a diagnosis made. Written
//! into a buffer each thread keeps instead, then copied out at its length, a
//! text costs one allocation and its report holds no slack
//! (`docs/performance.md`, "In process").

use std::cell::Cell;
use std::fmt::{self, Write};

/// Above this, a thread's buffer is given back after use rather than kept:
/// only a rare long text (a large ConfigMap value in evidence) gets there.
const KEEP_AT_MOST: usize = 64 * 1024;

thread_local! {
    static BUFFER: Cell<String> = const { Cell::new(String::new()) };
}

/// `args` as a `String` of exactly its length.
pub fn format_exact(args: fmt::Arguments<'_>) -> String {
    if let Some(literal) = args.as_str() {
        return literal.to_owned();
    }
    BUFFER.with(|cell| {
        // Taken out of the cell, not borrowed: an argument whose `Display`
        // formats text of its own finds the cell empty and uses a buffer of
        // its own, rather than panicking on a second borrow.
        let mut buffer = cell.take();
        buffer.clear();
        // Writing to a String only fails when a `Display` impl returns an
        // error, which `format!` turns into a panic; the text written up to
        // there is kept instead.
        let _ = buffer.write_fmt(args);
        let text = buffer.as_str().to_owned();
        if buffer.capacity() <= KEEP_AT_MOST {
            cell.set(buffer);
        }
        text
    })
}

/// `format!` that allocates once, to the text's length (see the module's
/// comment). The engine writes its text with it.
macro_rules! format_exact {
    ($($arg:tt)*) => {
        $crate::diagnose::exact_format::format_exact(::std::format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nested(u32);

    impl fmt::Display for Nested {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // Formats text of its own while the outer text is being written.
            f.write_str(&format_exact!("<{}>", self.0))
        }
    }

    #[test]
    // `format!` is what each text is held to, literal or not.
    #[allow(clippy::useless_format)]
    fn texts_are_what_format_writes_at_their_exact_length() {
        let long = "x".repeat(KEEP_AT_MOST + 10);
        let cases = [
            (format_exact!("plain literal"), format!("plain literal")),
            (format_exact!("{}", ""), format!("{}", "")),
            (
                format_exact!("{} resolves to {}/{}", "web:80", "shop", "web"),
                format!("{} resolves to {}/{}", "web:80", "shop", "web"),
            ),
            // Shorter after longer: nothing of the previous text is left.
            (format_exact!("{}", 7), format!("{}", 7)),
            (
                format_exact!("a {} b {:>5} c", Nested(1), Nested(22)),
                format!("a {} b {:>5} c", Nested(1), Nested(22)),
            ),
            (format_exact!("{long}!"), format!("{long}!")),
            // After a text too long to keep: a fresh buffer.
            (format_exact!("{}-{}", 1, 2), format!("{}-{}", 1, 2)),
        ];
        for (ours, std) in cases {
            assert_eq!(ours, std);
            assert_eq!(ours.capacity(), ours.len(), "{ours:.40}");
        }
    }
}
