//! Byte spans into a source text, and line/column lookup for them.

use serde::Serialize;

/// A half-open byte range `start..end` into one source text (a query or a file).
///
/// `u32` keeps tree nodes small; sources over 4 GiB are rejected long before parsing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Self {
        Self { start, end }
    }

    /// A span from `usize` offsets, saturating at `u32::MAX`.
    pub fn from_range(range: std::ops::Range<usize>) -> Self {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Self::new(clamp(range.start), clamp(range.end))
    }

    pub const fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    pub const fn is_empty(self) -> bool {
        self.end <= self.start
    }

    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The text this span covers, or `""` when it does not fall on character boundaries.
    pub fn slice(self, text: &str) -> &str {
        text.get(self.range()).unwrap_or("")
    }
}

/// Maps byte offsets of one text to 1-based line and column numbers.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { line_starts }
    }

    /// 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, column + 1)
    }

    /// Byte range of the 1-based line `line`, without its line break.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let idx = line.saturating_sub(1).min(self.line_starts.len() - 1);
        let start = self.line_starts[idx];
        let end = self
            .line_starts
            .get(idx + 1)
            .map_or(text.len(), |&next| next - 1);
        let end = if text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        start..end.max(start)
    }

    /// Byte offset of a 1-based line and 1-based character column.
    pub fn offset(&self, text: &str, line: usize, column: usize) -> usize {
        let range = self.line_range(text, line);
        let line_text = &text[range.clone()];
        let within = line_text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i);
        range.start + within
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "ab\ncé d\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), (1, 1));
        assert_eq!(index.line_col(text, 3), (2, 1));
        // 'd' follows the two-byte 'é'
        assert_eq!(index.line_col(text, 7), (2, 4));
        assert_eq!(index.offset(text, 2, 4), 7);
        assert_eq!(&text[index.line_range(text, 2)], "cé d");
    }

    #[test]
    fn span_slice_is_empty_off_char_boundary() {
        assert_eq!(Span::new(1, 2).slice("é"), "");
        assert_eq!(Span::new(0, 2).slice("é"), "é");
    }
}
