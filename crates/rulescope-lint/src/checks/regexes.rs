//! Regexes in `regex`, `rex`, `match()` and `replace()`: compiled with PCRE2 as Splunk
//! does, then checked for empty matches and risky shapes.
//!
//! Snowflake's REGEXP_LIKE is POSIX-style and implicitly anchored, so its patterns are not
//! judged by PCRE's rules here.

use pcre2::bytes::RegexBuilder;
use rulescope_model::Span;
use rulescope_spl::{CmdOption, Command, Expr, Parsed, Pattern, StrLit, Visitor, walk};

use super::Query;
use crate::finding::{At, Hit};
use crate::regex_shape;

/// One regex of the query.
struct Found {
    /// The regex as PCRE receives it.
    value: String,
    /// The string literal's text between its quotes, and where that starts in the query.
    raw: String,
    raw_start: u32,
    /// Whether it decides which events pass (`regex`, `match`), not what is extracted.
    filters: bool,
}

impl Found {
    fn from_literal(lit: &StrLit, filters: bool) -> Self {
        Self {
            value: lit.value(),
            raw: lit.raw.clone(),
            raw_start: lit.span.start + 1,
            filters,
        }
    }

    fn from_pattern(pattern: &Pattern, filters: bool) -> Option<Self> {
        let value = pattern.quoted_value()?;
        Some(Self {
            value,
            raw: pattern.raw[1..pattern.raw.len() - 1].to_owned(),
            raw_start: pattern.span.start + 1,
            filters,
        })
    }

    fn whole(&self) -> Span {
        Span::new(
            self.raw_start - 1,
            self.raw_start + self.raw.len() as u32 + 1,
        )
    }

    /// The query span of a byte range of the value.
    fn span_of(&self, range: std::ops::Range<usize>) -> Span {
        let offsets = raw_offsets(&self.raw);
        let at =
            |i: usize| self.raw_start + offsets.get(i).copied().unwrap_or(self.raw.len()) as u32;
        Span::new(at(range.start), at(range.end))
    }
}

/// For each byte of a literal's value (and its end), the byte of the raw text it came
/// from: `\"` and `\\` are one value byte from two raw bytes.
fn raw_offsets(raw: &str) -> Vec<usize> {
    let bytes = raw.as_bytes();
    let mut offsets = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    while i < bytes.len() {
        offsets.push(i);
        i += if bytes[i] == b'\\' && matches!(bytes.get(i + 1), Some(b'"' | b'\\')) {
            2
        } else {
            1
        };
    }
    offsets.push(bytes.len());
    offsets
}

#[derive(Default)]
struct Collect(Vec<Found>);

impl<'p> Visitor<'p> for Collect {
    fn stage(&mut self, stage: &'p rulescope_spl::Stage) {
        match &stage.command {
            Command::Regex(regex) => self.0.extend(Found::from_pattern(&regex.pattern, true)),
            Command::Rex(rex) if !is_sed(&rex.options) => {
                self.0.extend(Found::from_pattern(&rex.pattern, false));
            }
            _ => {}
        }
    }

    fn expr(&mut self, expr: &'p Expr) {
        if let Expr::Call { name, args, .. } = expr {
            let filters = match name.text.to_ascii_lowercase().as_str() {
                "match" => true,
                "replace" => false,
                _ => return,
            };
            if let Some(Expr::Str(lit)) = args.get(1) {
                self.0.push(Found::from_literal(lit, filters));
            }
        }
    }
}

fn is_sed(options: &[CmdOption]) -> bool {
    options.iter().any(|o| {
        matches!(o, CmdOption::Pair { key, value, .. }
            if key.text.eq_ignore_ascii_case("mode") && value.text().eq_ignore_ascii_case("sed"))
    })
}

pub(super) fn check(query: &Query<'_>, hits: &mut Vec<Hit>) {
    let Some(parsed) = &query.spl else {
        return;
    };
    for found in collect(parsed) {
        check_one(&found, hits);
    }
}

fn collect(parsed: &Parsed) -> Vec<Found> {
    let mut collect = Collect::default();
    walk(&parsed.pipeline, &mut collect);
    collect.0
}

fn check_one(found: &Found, hits: &mut Vec<Hit>) {
    let value = found.value.as_str();
    let compiled = RegexBuilder::new().utf(true).build(value);
    let regex = match compiled {
        Ok(regex) => regex,
        Err(error) => {
            hits.push(
                Hit::new(
                    "regex-invalid",
                    format!("this regex does not compile under PCRE: {error}"),
                    At::Query(found.whole()),
                )
                .help("Splunk compiles regexes with PCRE: the search fails with this error"),
            );
            return;
        }
    };
    if found.filters && regex.is_match(b"").unwrap_or(false) {
        hits.push(
            Hit::new(
                "regex-matches-empty",
                format!(
                    "`{}` matches the empty string, so it matches every value",
                    short(value)
                ),
                At::Query(found.whole()),
            )
            .help("make at least one part of the regex mandatory"),
        );
    }
    if let Some(range) = regex_shape::unanchored_count(value) {
        let class = &value[range.clone()];
        let span = found.span_of(range);
        hits.push(
            Hit::new(
                "regex-unanchored-length",
                format!(
                    "`{class}` has no left anchor: it also matches the tail of any longer run, so it does not limit the length"
                ),
                At::Query(span),
            )
            .help("anchor it with `\\b`, `^` or the separator before it (`\\\\`)")
            .fix(
                "anchor with `\\b`",
                vec![(Span::new(span.start, span.start), "\\b".to_owned())],
            ),
        );
    }
    if let Some(range) = regex_shape::catastrophic(value) {
        let group = value[range.clone()].to_owned();
        hits.push(
            Hit::new(
                "regex-catastrophic",
                format!(
                    "`{}` repeats a repeat: on text that almost matches, PCRE tries exponentially many ways to split it",
                    short(&group)
                ),
                At::Query(found.span_of(range)),
            )
            .help("drop the inner or the outer repeat, or make it possessive (`++`) or atomic (`(?>...)`)"),
        );
    }
}

fn short(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(query: &str) -> Vec<(String, String)> {
        let parsed = rulescope_spl::parse(query);
        let mut hits = Vec::new();
        for f in collect(&parsed) {
            check_one(&f, &mut hits);
        }
        hits.into_iter()
            .map(|h| match h.at {
                At::Query(s) => (h.code.into_owned(), s.slice(query).to_owned()),
                _ => (h.code.into_owned(), String::new()),
            })
            .collect()
    }

    #[test]
    fn regexes_from_every_place() {
        let q = r#"x | regex _raw="(?i)(\w{8}\.exe)|(psexec)" | where match(a, "(b+)+c") | rex field=y "(?<z>[" | eval w=replace(v, "x*", "") | where match(u, "a|")"#;
        assert_eq!(
            found(q),
            [
                ("regex-unanchored-length".to_owned(), r"\w{8}".to_owned()),
                ("regex-catastrophic".to_owned(), "(b+)+".to_owned()),
                ("regex-invalid".to_owned(), r#""(?<z>[""#.to_owned()),
                ("regex-matches-empty".to_owned(), r#""a|""#.to_owned()),
            ]
        );
    }

    #[test]
    fn escaped_backslashes_map_back_to_the_query() {
        // `\\` in the query is one backslash in the regex.
        let q = r#"x | where match(p, "\\\\\w{3}\.exe") | where match(q, "\"\d{2}\"")"#;
        assert!(found(q).is_empty());
        let q = r#"x | where match(p, "(\\w{3}\\.dll)")"#;
        let hits = found(q);
        assert_eq!(
            hits,
            [("regex-unanchored-length".to_owned(), r"\\w{3}".to_owned())]
        );
        assert_eq!(raw_offsets(r#"a\"b\\c\d"#), [0, 1, 3, 4, 6, 7, 8, 9]);
    }
}
