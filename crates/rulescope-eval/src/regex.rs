//! PCRE2 regexes as Splunk runs them, with a match limit so a pathological pattern on a
//! long event is reported instead of hanging the run.

use pcre2::bytes::{Regex as Pcre, RegexBuilder};

/// PCRE2's match limit for every search (its default is 10,000,000; Splunk's
/// limits.conf `match_limit` defaults to 100,000).
pub const MATCH_LIMIT: u32 = 100_000;

#[derive(Debug)]
pub struct Regex {
    re: Pcre,
    /// The same pattern compiled without UTF mode, for ASCII subjects: PCRE2 checks that a
    /// UTF subject is valid UTF-8 on every search, and those checks of `_raw` cost more than
    /// the searches. On ASCII text both modes match alike. `None` when the pattern needs
    /// UTF mode (a code point above 255).
    ascii: Option<Pcre>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum RegexError {
    /// The search hit the match limit.
    Limit,
}

impl Regex {
    /// Compiles `pattern`; the error is a message naming the pattern.
    pub fn new(pattern: &str) -> Result<Self, String> {
        // `(*LIMIT_MATCH=n)` lowers the limit for this pattern; the crate exposes no setter.
        let limited = format!("(*LIMIT_MATCH={MATCH_LIMIT}){pattern}");
        let build = |utf| {
            RegexBuilder::new()
                .utf(utf)
                .jit_if_available(true)
                .build(&limited)
        };
        let re = build(true).map_err(|e| format!("regex `{pattern}`: {e}"))?;
        Ok(Regex {
            re,
            ascii: build(false).ok(),
        })
    }

    /// The compiled pattern to search `text` with.
    fn for_text(&self, text: &str) -> &Pcre {
        match &self.ascii {
            Some(ascii) if text.is_ascii() => ascii,
            _ => &self.re,
        }
    }

    pub fn is_match(&self, text: &str) -> Result<bool, RegexError> {
        self.for_text(text)
            .is_match(text.as_bytes())
            .map_err(|_| RegexError::Limit)
    }

    /// Named groups and their first match (`max` matches when `max` > 1, 0 for all).
    pub fn captures(
        &self,
        text: &str,
        max: usize,
    ) -> Result<Vec<(String, Vec<String>)>, RegexError> {
        let names: Vec<(usize, String)> = self
            .re
            .capture_names()
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.clone().map(|n| (i, n)))
            .collect();
        let mut out: Vec<(String, Vec<String>)> =
            names.iter().map(|(_, n)| (n.clone(), Vec::new())).collect();
        let re = self.for_text(text);
        for (count, caps) in re.captures_iter(text.as_bytes()).enumerate() {
            if max != 0 && count >= max {
                break;
            }
            let caps = caps.map_err(|_| RegexError::Limit)?;
            for (slot, (i, _)) in names.iter().enumerate() {
                if let Some(m) = caps.get(*i) {
                    out[slot]
                        .1
                        .push(String::from_utf8_lossy(m.as_bytes()).into_owned());
                }
            }
        }
        Ok(out)
    }

    /// Replaces every match; `\1`..`\9` in the replacement stand for groups.
    pub fn replace_all(&self, text: &str, replacement: &str) -> Result<String, RegexError> {
        self.replace(text, replacement, usize::MAX)
    }

    /// Replaces up to `limit` matches.
    pub fn replace(
        &self,
        text: &str,
        replacement: &str,
        limit: usize,
    ) -> Result<String, RegexError> {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in self
            .for_text(text)
            .captures_iter(text.as_bytes())
            .take(limit)
        {
            let caps = caps.map_err(|_| RegexError::Limit)?;
            let Some(whole) = caps.get(0) else { continue };
            out.push_str(&text[last..whole.start()]);
            let mut chars = replacement.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\\'
                    && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
                {
                    chars.next();
                    if let Some(g) = caps.get(d as usize) {
                        out.push_str(&String::from_utf8_lossy(g.as_bytes()));
                    }
                } else {
                    out.push(c);
                }
            }
            last = whole.end();
        }
        out.push_str(&text[last..]);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_limit_is_reported_not_hung() {
        let re = Regex::new("(a+)+$").expect("compiles");
        let subject = format!("{}b", "a".repeat(40));
        assert_eq!(re.is_match(&subject), Err(RegexError::Limit));
        assert_eq!(re.is_match("aaa"), Ok(true));
    }

    #[test]
    fn ascii_and_utf_subjects_match_alike() {
        // Caseless and negated classes, on ASCII text (the byte-mode pattern) and on text
        // with a two-byte character (the UTF one), where `.` must take the whole character.
        let re = Regex::new(r"(?i)^c.d\\[^x]+\.EXE$").expect("compiles");
        assert!(re.ascii.is_some());
        assert_eq!(re.is_match(r"C:D\cmd.exe"), Ok(true));
        assert_eq!(re.is_match(r"cxd\x.exe"), Ok(false));
        assert_eq!(re.is_match("c\u{e9}d\\\u{e9}.exe"), Ok(true));
        let one = Regex::new(r"(.)x").expect("compiles");
        assert_eq!(
            one.replace_all("ax \u{e9}x", r"[\1]"),
            Ok("[a] [\u{e9}]".into())
        );
        // A code point above 255 needs UTF mode; the pattern still works on ASCII text.
        let wide = Regex::new(r"a\x{2603}?b").expect("compiles");
        assert!(wide.ascii.is_none());
        assert_eq!(wide.is_match("ab"), Ok(true));
    }

    #[test]
    fn named_groups_and_replace() {
        let re = Regex::new(r"(?<exe>\w+)\.exe").expect("compiles");
        let caps = re.captures("run a.exe and b.exe", 0).expect("no limit");
        assert_eq!(
            caps,
            vec![("exe".to_owned(), vec!["a".to_owned(), "b".to_owned()])]
        );
        let re = Regex::new(r"(\w)\.exe").expect("compiles");
        assert_eq!(re.replace_all("a.exe", r"\1!").expect("ok"), "a!");
    }
}
