//! Findings: what a check reports, placed in the query and in the rule's file.

use std::borrow::Cow;
use std::path::PathBuf;

use rulescope_model::{Diagnostic, LineIndex, Rule, Severity, Span};
use serde::Serialize;

use crate::config::Config;
use crate::logic_map::LogicMap;

/// Where a check points: into the query, into the file (metadata), or at the rule as a
/// whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum At {
    Query(Span),
    File(Span),
    Rule,
}

/// A check's raw result, before configuration and placement.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub code: Cow<'static, str>,
    /// The level when the configuration says nothing.
    pub level: Severity,
    pub message: String,
    pub at: At,
    pub help: Option<String>,
    pub fix: Option<(String, Vec<(At, String)>)>,
}

impl Hit {
    /// A hit of a check listed in [`crate::CHECKS`], at its default level.
    pub fn new(code: &'static str, message: impl Into<String>, at: At) -> Self {
        let level = crate::check_info(code).map_or(Severity::Warning, |c| c.level);
        Self {
            code: Cow::Borrowed(code),
            level,
            message: message.into(),
            at,
            help: None,
            fix: None,
        }
    }

    /// A diagnostic from a parser or the reference crate, keeping its code and level.
    pub fn from_diagnostic(diagnostic: Diagnostic, at: At) -> Self {
        Self {
            code: diagnostic.code,
            level: diagnostic.severity,
            message: diagnostic.message,
            at,
            help: diagnostic.help,
            fix: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A suggested fix made of replacements, all in the query.
    pub fn fix(mut self, description: impl Into<String>, edits: Vec<(Span, String)>) -> Self {
        let edits = edits.into_iter().map(|(s, t)| (At::Query(s), t)).collect();
        self.fix = Some((description.into(), edits));
        self
    }

    /// A suggested fix made of replacements in the file.
    pub fn file_fix(mut self, description: impl Into<String>, edits: Vec<(Span, String)>) -> Self {
        let edits = edits.into_iter().map(|(s, t)| (At::File(s), t)).collect();
        self.fix = Some((description.into(), edits));
        self
    }
}

/// A position in the rule's file: a byte span and its 1-based start and end, columns in
/// UTF-16 code units as SARIF counts them (the end column is one past the last character).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FileLocation {
    pub span: Span,
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl FileLocation {
    fn new(text: &str, index: &LineIndex, span: Span) -> Self {
        let (start_line, start_column) = utf16_line_col(text, index, span.start as usize);
        let (end_line, end_column) = utf16_line_col(text, index, span.end as usize);
        Self {
            span,
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }
}

fn utf16_line_col(text: &str, index: &LineIndex, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let (line, _) = index.line_col(text, offset);
    let start = index.line_range(text, line).start;
    let column = text
        .get(start..offset)
        .map_or(offset - start, |s| s.encode_utf16().count());
    (line, column + 1)
}

/// One replacement of a fix: in the query when it concerns the logic, and in the file,
/// escaped for the YAML scalar it lands in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    /// The replaced text in the query; `None` for edits outside the logic.
    pub query_span: Option<Span>,
    /// The replaced text in the file; `None` when the logic's position in the file is not
    /// known exactly.
    pub file_span: Option<Span>,
    /// The new text as the query reads it (or as the file reads it, outside the logic).
    pub replacement: String,
    /// The new text as it must be written in the file.
    pub file_replacement: Option<String>,
}

/// A suggested, mechanical fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub description: String,
    pub edits: Vec<Edit>,
}

/// One finding of one check on one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    /// The file as given or found (what text output shows).
    pub file: PathBuf,
    /// The path relative to the corpus root it was found under, `/`-separated.
    pub path: String,
    pub code: Cow<'static, str>,
    pub level: Severity,
    pub message: String,
    /// The span in the query, for findings about the logic.
    pub span: Option<Span>,
    /// Where the finding sits in the file.
    pub location: Option<FileLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Finding {
    pub(crate) fn sort_key(&self) -> (u32, Cow<'static, str>) {
        (self.location.map_or(0, |l| l.span.start), self.code.clone())
    }

    /// Renders rustc-style on the rule's file text, with a caret under the span and the
    /// fix, when there is one, after the help.
    pub fn render(&self, file_text: &str, color: bool) -> String {
        let mut help = self.help.clone();
        if let Some(fix) = &self.fix {
            let line = format!("fix: {}", fix.description);
            help = Some(match help {
                Some(h) => format!("{h}\n{line}"),
                None => line,
            });
        }
        let diagnostic = Diagnostic {
            code: self.code.clone(),
            severity: self.level,
            message: self.message.clone(),
            span: self.location.map(|l| l.span),
            help,
        };
        diagnostic
            .locate(self.file.display().to_string(), file_text)
            .render(color)
    }
}

/// Applies the configuration to a hit and places it in the file; `None` when the
/// configuration turns the check off for this rule.
pub(crate) fn place(hit: Hit, rule: &Rule, map: &LogicMap, config: &Config) -> Option<Finding> {
    let level = config.level(&hit.code, &rule.source.relative_path, hit.level)?;
    let text: &str = &rule.source.text;
    let index = LineIndex::new(text);
    let to_file = |at: At| match at {
        At::Query(span) => map.to_file(span),
        At::File(span) => Some(span),
        At::Rule => rule_anchor(text),
    };
    let span = match hit.at {
        At::Query(span) => Some(span),
        _ => None,
    };
    let location = to_file(hit.at).map(|s| FileLocation::new(text, &index, s));
    let fix = hit.fix.map(|(description, edits)| Fix {
        description,
        edits: edits
            .into_iter()
            .map(|(at, replacement)| match at {
                At::Query(span) => Edit {
                    query_span: Some(span),
                    file_span: map.is_exact().then(|| map.to_file(span)).flatten(),
                    file_replacement: map.escape(&replacement),
                    replacement,
                },
                _ => Edit {
                    query_span: None,
                    file_span: to_file(at),
                    file_replacement: Some(replacement.clone()),
                    replacement,
                },
            })
            .collect(),
    });
    Some(Finding {
        rule_id: rule.id.clone(),
        file: rule.source.path.clone(),
        path: rule.source.relative_path.clone(),
        code: hit.code,
        level,
        message: hit.message,
        span,
        location,
        help: hit.help,
        fix,
    })
}

/// Where a finding about the whole rule points: the `id` value.
fn rule_anchor(text: &str) -> Option<Span> {
    key_value_span(text, "id").or(Some(Span::new(0, 0)))
}

/// The span of a top-level key's value on its own line (`key: value`), quotes included.
pub(crate) fn key_value_span(text: &str, key: &str) -> Option<Span> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix(key)
            && let Some(value) = rest.strip_prefix(':')
        {
            let trimmed = value.trim();
            if trimmed.is_empty() {
                // A list or mapping follows on the next lines: point at the key.
                return Some(Span::from_range(offset..offset + key.len()));
            }
            let value_start = offset + key.len() + 1 + (value.len() - value.trim_start().len());
            return Some(Span::from_range(value_start..value_start + trimmed.len()));
        }
        offset += line.len();
    }
    None
}
