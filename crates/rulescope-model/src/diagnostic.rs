//! Diagnostics: what went wrong, where, and how to fix it; rendered rustc-style.

use std::borrow::Cow;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::span::{LineIndex, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One finding about one source text (a query or a file), with a byte span into that text.
///
/// `code` is a stable kebab-case name such as `duplicate-id` or `spl-unclosed-paren`: it is
/// what users filter, count and configure by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Cow<'static, str>,
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(
        severity: Severity,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            severity,
            message: message.into(),
            span: None,
            help: None,
        }
    }

    pub fn error(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Attaches the position in `text` (named `origin`, usually a file path) so the
    /// diagnostic can be shown and serialised without the text at hand.
    pub fn locate(self, origin: impl Into<String>, text: &str) -> Located {
        let index = LineIndex::new(text);
        let (line, column, source_line, line_span) = match self.span {
            Some(span) => {
                let start = (span.start as usize).min(text.len());
                let (line, column) = index.line_col(text, start);
                let range = index.line_range(text, line);
                let source_line = text[range.clone()].to_owned();
                // The caret covers the span's part on its first line, and at least one column.
                // Snapped to character boundaries: a span from another text's offsets (a
                // lossy re-decoding, say) must not split a character.
                let from = floor_boundary(&source_line, start - range.start);
                let to = ceil_boundary(
                    &source_line,
                    (span.end as usize).clamp(start, range.end) - range.start,
                );
                (
                    line,
                    column,
                    Some(source_line),
                    Some(Span::from_range(from..to)),
                )
            }
            None => (0, 0, None, None),
        };
        Located {
            origin: origin.into(),
            line,
            column,
            source_line,
            line_span,
            diagnostic: self,
        }
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// A diagnostic with its origin, 1-based line and column, and the offending source line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Located {
    pub origin: String,
    /// 1-based; 0 when the diagnostic concerns the whole source.
    pub line: usize,
    /// 1-based, in characters; 0 when the diagnostic concerns the whole source.
    pub column: usize,
    #[serde(flatten)]
    pub diagnostic: Diagnostic,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// Byte span of the caret within `source_line`.
    #[serde(skip)]
    line_span: Option<Span>,
}

impl Located {
    /// Renders rustc-style: header, `--> origin:line:column`, the source line and a caret.
    pub fn render(&self, color: bool) -> String {
        let d = &self.diagnostic;
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Note => Level::NOTE,
        };
        let title = level.primary_title(d.message.as_str()).id(d.code.as_ref());
        let mut report: Vec<Group<'_>> = Vec::with_capacity(2);
        match (&self.source_line, self.line_span) {
            (Some(source_line), Some(span)) => {
                let mut range = span.range();
                if range.is_empty() {
                    // An empty span (end of input, say) still gets a one-column caret.
                    range.end = ceil_boundary(source_line, range.start + 1);
                }
                report.push(
                    title.element(
                        Snippet::source(source_line.as_str())
                            .line_start(self.line)
                            .path(self.origin.as_str())
                            .annotation(AnnotationKind::Primary.span(range)),
                    ),
                );
            }
            _ => report.push(title.element(annotate_snippets::Origin::path(self.origin.as_str()))),
        }
        if let Some(help) = &d.help {
            report.push(Group::with_title(
                Level::HELP.secondary_title(help.as_str()),
            ));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        renderer.render(&report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_column_and_caret() {
        let text = "id: '1.2'\ntitle: [oops\n";
        let located = Diagnostic::error("yaml-syntax", "unclosed flow sequence")
            .with_span(Span::new(17, 18))
            .with_help("close the list with `]`")
            .locate("rules/a.yml", text);
        assert_eq!((located.line, located.column), (2, 8));
        let out = located.render(false);
        assert!(
            out.contains("error[yaml-syntax]: unclosed flow sequence"),
            "{out}"
        );
        assert!(out.contains("--> rules/a.yml:2:8"), "{out}");
        assert!(out.contains("title: [oops"), "{out}");
        assert!(out.contains("^"), "{out}");
        assert!(out.contains("help: close the list with `]`"), "{out}");
    }

    #[test]
    fn renders_without_span() {
        let located = Diagnostic::warning("file-too-large", "file is 2 MiB").locate("big.yml", "");
        let out = located.render(false);
        assert!(
            out.contains("warning[file-too-large]: file is 2 MiB"),
            "{out}"
        );
        assert!(out.contains("big.yml"), "{out}");
    }
}
