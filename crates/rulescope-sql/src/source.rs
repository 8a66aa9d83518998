//! The text sqlparser reads, and the way back from its line/column locations to byte
//! offsets of the query as written.
//!
//! Two things make the parsed text differ from the original: template placeholders
//! (`$latest$` becomes `$latest `, the same length) and recovery edits (a byte inserted for
//! a missing space or comma, or a repeated keyword blanked out). Only insertions change
//! offsets, so they are all the mapping has to undo.

use rulescope_model::Span;
use serde::Serialize;
use sqlparser::tokenizer::{Location, Span as SqlSpan};

/// A template placeholder such as `$latest$`, which the armory fills in before running a
/// query. It stays in the tree as a placeholder value (`$latest`) and in the model as
/// written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Placeholder {
    /// The name between the dollars: `latest`.
    pub name: String,
    /// Where `$name$` is in the original query.
    pub span: Span,
}

/// The query as sqlparser reads it, with the edits that lead back to the original.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub text: String,
    /// Original offsets before which one byte was inserted, ascending.
    inserts: Vec<usize>,
    pub placeholders: Vec<Placeholder>,
    /// Start offset of each line of `text`, and whether the line is ASCII (then a column
    /// is a byte offset away; otherwise characters must be counted).
    lines: Vec<(usize, bool)>,
}

impl Prepared {
    pub fn new(original: &str) -> Self {
        let (text, placeholders) = substitute_placeholders(original);
        let mut prepared = Self {
            text,
            inserts: Vec::new(),
            placeholders,
            lines: Vec::new(),
        };
        prepared.index_lines();
        prepared
    }

    fn index_lines(&mut self) {
        let text = &self.text;
        let mut starts: Vec<usize> = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.lines = starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let end = starts.get(i + 1).copied().unwrap_or(text.len());
                (start, text.as_bytes()[start..end].is_ascii())
            })
            .collect();
    }

    /// Inserts one ASCII byte before `original` (an offset of the original query).
    pub fn insert(&mut self, original: usize, byte: u8) {
        let at = self.to_text(original);
        if !self.text.is_char_boundary(at) {
            return;
        }
        self.text.insert(at, char::from(byte));
        let pos = self.inserts.partition_point(|&p| p <= original);
        self.inserts.insert(pos, original);
        self.index_lines();
    }

    /// Replaces the original range with spaces, which keeps every offset where it was.
    pub fn blank(&mut self, original: std::ops::Range<usize>) {
        let range = self.to_text(original.start)..self.to_text(original.end);
        if let Some(slice) = self.text.get(range.clone()) {
            let spaces = " ".repeat(slice.len());
            self.text.replace_range(range, &spaces);
        }
    }

    fn to_text(&self, original: usize) -> usize {
        original + self.inserts.partition_point(|&p| p < original)
    }

    /// The original offset of an offset into `text`; an inserted byte maps to the place it
    /// was inserted at.
    pub fn to_original(&self, offset: usize) -> usize {
        let shifted = self
            .inserts
            .iter()
            .enumerate()
            .take_while(|&(k, &p)| p + k < offset)
            .count();
        offset - shifted
    }

    /// The offset into `text` of a sqlparser location (1-based line and character column).
    pub fn text_offset(&self, location: Location) -> usize {
        let line = usize::try_from(location.line).unwrap_or(usize::MAX);
        let column = usize::try_from(location.column).unwrap_or(usize::MAX);
        let Some(&(start, ascii)) = line.checked_sub(1).and_then(|l| self.lines.get(l)) else {
            return if line == 0 { 0 } else { self.text.len() };
        };
        let end = self
            .lines
            .get(line)
            .map_or(self.text.len(), |&(next, _)| next);
        let within = column.saturating_sub(1);
        let offset = if ascii {
            start.saturating_add(within)
        } else {
            self.text[start..end]
                .char_indices()
                .nth(within)
                .map_or(end, |(i, _)| start + i)
        };
        offset.min(self.text.len())
    }

    /// The original offset of a sqlparser location.
    pub fn original_offset(&self, location: Location) -> usize {
        self.to_original(self.text_offset(location))
    }

    /// The original byte span of a sqlparser span (whose end is the location just past it).
    pub fn span(&self, span: SqlSpan) -> Span {
        let start = self.original_offset(span.start);
        let mut end = self.original_offset(span.end).max(start);
        // A placeholder's token stops before its closing `$`, which became a space.
        if self
            .placeholders
            .iter()
            .any(|p| p.span.end as usize == end + 1)
        {
            end += 1;
        }
        Span::from_range(start..end)
    }
}

/// Rewrites `$name$` outside literals, quoted identifiers and comments to `$name ` so that
/// sqlparser reads a placeholder instead of the start of a dollar-quoted string.
fn substitute_placeholders(original: &str) -> (String, Vec<Placeholder>) {
    let bytes = original.as_bytes();
    let mut text = bytes.to_vec();
    let mut placeholders = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => i = skip_quoted(bytes, i, quote),
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = skip_line(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = original[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
            }
            b'$' if bytes.get(i + 1) == Some(&b'$') => {
                // `$$…$$` is a real dollar-quoted string: leave it whole.
                i = original[i + 2..]
                    .find("$$")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
            }
            b'$' => {
                let name_len = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                let close = i + 1 + name_len;
                let starts_with_letter = bytes
                    .get(i + 1)
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
                if starts_with_letter && bytes.get(close) == Some(&b'$') {
                    text[close] = b' ';
                    placeholders.push(Placeholder {
                        name: original[i + 1..close].to_owned(),
                        span: Span::from_range(i..close + 1),
                    });
                    i = close + 1;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    // Only an ASCII `$` was replaced by an ASCII space, so the bytes stay UTF-8.
    let text = String::from_utf8(text).unwrap_or_else(|_| original.to_owned());
    (text, placeholders)
}

/// The offset past a quoted string or identifier starting at `start`; a doubled quote and,
/// in single-quoted strings, a backslash escape the next byte.
fn skip_quoted(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'\'' => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn skip_line(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| start + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_keep_length_and_skip_literals() {
        let q = "select * from t where a < $latest$and b = '$latest$' and c > $earliest$";
        let p = Prepared::new(q);
        assert_eq!(p.text.len(), q.len());
        assert_eq!(
            p.text,
            "select * from t where a < $latest and b = '$latest$' and c > $earliest "
        );
        let names: Vec<&str> = p.placeholders.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["latest", "earliest"]);
        assert_eq!(p.placeholders[0].span.slice(q), "$latest$");
    }

    #[test]
    fn dollar_quoted_strings_are_left_alone() {
        let p = Prepared::new("select $$a $x$ b$$, $1");
        assert!(p.placeholders.is_empty());
        assert_eq!(p.text, "select $$a $x$ b$$, $1");
    }

    #[test]
    fn inserts_map_back_to_the_original() {
        let mut p = Prepared::new("ab cd");
        p.insert(1, b' ');
        p.insert(4, b',');
        assert_eq!(p.text, "a b c,d");
        // text offsets: a0 _1 b2 _3 c4 ,5 d6
        let back: Vec<usize> = (0..=7).map(|o| p.to_original(o)).collect();
        assert_eq!(back, [0, 1, 1, 2, 3, 4, 4, 5]);
    }
}
