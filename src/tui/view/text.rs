//! Text helpers for views: cleaning cluster strings, wrapping, clipping,
//! numbers and clock times.

use std::borrow::Cow;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A string from the cluster, safe to draw: control characters stripped,
/// one line.
pub fn clean(text: &str) -> Cow<'_, str> {
    crate::safe_text::sanitize(text)
}

pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to `max` columns, with `…` when cut.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    if width(text) <= max {
        return Cow::Borrowed(text);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// `text` padded with spaces (or clipped) to exactly `cols` columns.
pub fn fit(text: &str, cols: usize) -> String {
    let clipped = clip(text, cols);
    let pad = cols.saturating_sub(width(&clipped));
    let mut out = clipped.into_owned();
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// Wrap `text` into lines of at most `max` columns, breaking at spaces when
/// it can and inside a word when it must.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0;
    for word in text.split(' ') {
        let word_width = width(word);
        let sep = usize::from(!line.is_empty());
        if line_width + sep + word_width <= max {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            line_width += sep + word_width;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            line_width = 0;
        }
        // The word alone may still be too long: cut it.
        for c in word.chars() {
            let w = c.width().unwrap_or(0);
            if line_width + w > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_width = 0;
            }
            line.push(c);
            line_width += w;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `12000` → `12,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `HH:MM:SS` in the user's time zone.
pub fn clock(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone()).strftime("%H:%M:%S").to_string()
}

/// Bars for a sparkline of `values`, scaled to their maximum.
pub fn sparkline(values: &[u32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|v| {
            if max == 0 {
                BARS[0]
            } else {
                let i = (*v as u64 * 7).div_ceil(max as u64) as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), vec![""]);
        assert_eq!(wrap("x", 0), vec!["x"]);
    }

    #[test]
    fn clipping_respects_wide_characters() {
        assert_eq!(clip("hello", 10), "hello");
        assert_eq!(clip("hello", 3), "he…");
        assert_eq!(clip("日本語", 4), "日…");
        assert_eq!(fit("ab", 4), "ab  ");
    }

    #[test]
    fn numbers_and_sparklines() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(12000), "12,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(sparkline(&[0, 1, 2]), "▁▅█");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
    }
}
