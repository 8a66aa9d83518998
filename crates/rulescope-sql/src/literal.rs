//! Snowflake string literals.
//!
//! sqlparser's own unescaping differs from Snowflake's (it has no `\ooo`, `\xhh` or
//! `\uhhhh`, and maps `\a` and `\Z` to control characters), so the tokenizer runs with
//! unescaping off: the tree keeps literals as written, and this module reads them the way
//! Snowflake does.

/// The value of a single-quoted Snowflake string, given the text between its quotes.
///
/// Snowflake reads `''` and `\'` as a quote, `\\` as a backslash, `\b \f \n \r \t \0` as
/// control characters, `\ooo`, `\xhh` and `\uhhhh` as code points, and drops the backslash
/// before any other character. So the SQL text `'.*del\\\s.*'` is the regex `.*del\s.*`.
pub fn unescape(raw: &str) -> String {
    unescape_with_controls(raw).0
}

/// Like [`unescape`], and also returns the byte ranges (in `raw`) of an escaped backslash
/// followed by an escape that makes a control character: `\\\n` in `'%\\\net.exe'` reads
/// as a backslash and a line feed, not as `\net.exe`.
pub(crate) fn unescape_with_controls(raw: &str) -> (String, Vec<std::ops::Range<usize>>) {
    let mut out = String::with_capacity(raw.len());
    let mut suspicious = Vec::new();
    let mut chars = raw.char_indices().peekable();
    let mut after_backslash = false;
    while let Some((at, c)) = chars.next() {
        if c == '\'' {
            // `''` is one quote; a lone quote cannot occur inside a token, keep it.
            if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
            }
            out.push('\'');
            after_backslash = false;
            continue;
        }
        if c != '\\' {
            out.push(c);
            after_backslash = false;
            continue;
        }
        let Some((_, escaped)) = chars.next() else {
            out.push('\\');
            break;
        };
        let value = match escaped {
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            '0'..='7' => {
                let digits = take_digits(raw, at + 1, 3, 8);
                if digits.len() == 3 {
                    skip(&mut chars, 2);
                    u32::from_str_radix(digits, 8).ok().and_then(char::from_u32)
                } else if escaped == '0' {
                    Some('\0')
                } else {
                    Some(escaped)
                }
            }
            'x' => code_point(raw, at + 2, 2, &mut chars).or(Some('x')),
            'u' => code_point(raw, at + 2, 4, &mut chars).or(Some('u')),
            other => Some(other),
        };
        let value = value.unwrap_or(escaped);
        if after_backslash && value.is_control() {
            suspicious.push(at.saturating_sub(2)..at + 2);
        }
        after_backslash = value == '\\';
        out.push(value);
    }
    (out, suspicious)
}

/// Up to `max` digits of `radix` starting at byte `from` (digits are ASCII).
fn take_digits(raw: &str, from: usize, max: usize, radix: u32) -> &str {
    let tail = raw.get(from..).unwrap_or("");
    let len = tail
        .bytes()
        .take(max)
        .take_while(|b| char::from(*b).is_digit(radix))
        .count();
    &tail[..len]
}

/// `\xhh` or `\uhhhh`: exactly `len` hex digits, consumed when they form a code point.
fn code_point(
    raw: &str,
    from: usize,
    len: usize,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) -> Option<char> {
    let digits = take_digits(raw, from, len, 16);
    if digits.len() != len {
        return None;
    }
    let c = u32::from_str_radix(digits, 16)
        .ok()
        .and_then(char::from_u32)?;
    skip(chars, len);
    Some(c)
}

fn skip(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, n: usize) {
    for _ in 0..n {
        chars.next();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflake_escapes() {
        assert_eq!(unescape(r".*del\\\s.*"), r".*del\s.*");
        assert_eq!(unescape(r"%\/dev/null%"), "%/dev/null%");
        assert_eq!(unescape(r"it''s \'x\'"), "it's 'x'");
        assert_eq!(unescape(r"\\\x5cFolder"), r"\\Folder");
        assert_eq!(unescape(r"\u00e9\101\0\t"), "éA\0\t");
        assert_eq!(unescape(r"\xZ\u12"), "xZu12");
        assert_eq!(unescape(r"\a\Z\q"), "aZq");
        assert_eq!(unescape("trailing\\"), "trailing\\");
    }

    #[test]
    fn control_characters_after_a_backslash_are_flagged() {
        let (value, flagged) = unescape_with_controls(r"%\\\net.exe");
        assert_eq!(value, "%\\\net.exe");
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0], 1..5);
        // A deliberate tab, or a regex escape that survives, is not flagged.
        assert!(unescape_with_controls(r"a\tb").1.is_empty());
        assert!(unescape_with_controls(r"\\\s+\\\\n").1.is_empty());
    }
}
