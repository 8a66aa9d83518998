//! A parser for Splunk's Search Processing Language (SPL).
//!
//! Hand-written recursive descent with a context-aware lexer (search terms, eval/where
//! expressions and raw regexes lex differently) and a Pratt parser for expressions. Every
//! node carries a [`Span`]; malformed input gives [`Diagnostic`]s, never a panic, and the
//! parser resumes at the next top-level `|`.
//!
//! # API
//!
//! - [`parse`]`(query) -> `[`Parsed`]` { pipeline, diagnostics, expansion }`.
//! - [`parse_with`]`(query, &`[`ParseOptions`]`)`: with a [`MacroTable`] (from macros.conf text,
//!   [`MacroTable::add_conf`], or YAML, [`MacroTable::add_yaml`]) macros are expanded first;
//!   [`Parsed::expansion`] maps every byte of the expanded text back to the query or to
//!   the macro call it came from. Tree spans then index [`Parsed::source`]; diagnostic
//!   spans always index the query.
//! - [`print()`]`(&Pipeline) -> String`: canonical SPL; `parse(print(t))` equals `t` up to
//!   spans (comments are not kept).
//! - [`walk`] with a [`Visitor`], and [`macro_calls`].
//! - [`tokens`]`(query) -> Vec<(TokenKind, Span)>`: classified tokens covering the text, for
//!   syntax highlighting.
//! - [`dump_tree`]`(&Parsed, query) -> String`: an indented text dump; the tree is also
//!   `Serialize` for JSON.
//! - [`ParseStats`]: clean / with diagnostics / failed queries, and per command the stages
//!   parsed in typed form, generic form, or failed; text and JSON rendering.
//!
//! # Grammar notes
//!
//! - In a search (the base search, `search`, `tstats where`, `inputlookup where`) OR binds
//!   tighter than AND, implicit or written: `a b OR c` is `a AND (b OR c)`. Only upper-case
//!   `AND`/`OR`/`NOT` are operators there; lower-case ones are terms.
//! - In eval/where NOT binds tightest, then AND, then OR, then XOR (Splunk's documented
//!   order); operator words may be in any case there.
//! - Every command parses: known ones in a typed form, anything else (or a known command in
//!   a form the typed parser does not model) in the generic form.
//! - A macro may stand anywhere a term, value, option, field or stage may; macros that end
//!   a stage without a pipe become stages of their own with `piped: false`.
//! - `rex` and `regex` take the rest of the stage as a raw pattern.
//!
//! # Diagnostic codes
//!
//! Errors: `spl-unclosed-paren`, `spl-unmatched-close-paren`, `spl-unclosed-bracket`,
//! `spl-unmatched-close-bracket`, `spl-unterminated-string`, `spl-stray-quote` (a quote
//! before the first macro that mispairs every later one), `spl-unterminated-macro`,
//! `spl-unclosed-macro-args`, `spl-macro-unterminated-string`, `spl-macro-trailing-text`,
//! `spl-empty-macro`, `spl-macro-recursion`, `spl-unclosed-term`, `spl-empty-term`,
//! `spl-unknown-search-function` (`zTERM(`), `spl-glued-operator` (`ANDmatch(`),
//! `spl-unknown-operator` (`contains`), `spl-expected-operator`, `spl-expected-expression`,
//! `spl-expected-assignment`, `spl-expected-command`, `spl-function-arity`,
//! `spl-dangling-operator`, `spl-missing-field`, `spl-missing-value`, `spl-missing-argument`,
//! `spl-regex-bad-operator` (`regex f-"x"`), `spl-empty-stage`, `spl-unexpected-token`,
//! `spl-unterminated-field`, `spl-nesting-too-deep`, `spl-query-too-long`.
//! Warnings: `spl-stray-comma`, `spl-term-with-space` (`TERM(a b)` never matches),
//! `spl-unquoted-regex` (backslashes in an unquoted regex), `spl-empty-group`.

mod ast;
mod commands;
mod dump;
mod expr;
mod highlight;
mod lexer;
mod macros;
mod parser;
mod printer;
mod stats;
mod walk;

pub use ast::*;
pub use dump::dump_tree;
pub use expr::function_arity;
pub use highlight::{TokenKind, tokens};
pub use macros::{Expansion, MacroDef, MacroTable, Origin, Segment, expand};
pub use printer::print;
pub use rulescope_model::{Diagnostic, Span};
pub use stats::{CommandStats, ParseStats};
pub use walk::{Visitor, macro_calls, walk};

use serde::Serialize;

/// The result of parsing one query.
#[derive(Clone, Debug, Serialize)]
pub struct Parsed {
    pub pipeline: Pipeline,
    /// Spans index the query, also after macro expansion.
    pub diagnostics: Vec<Diagnostic>,
    /// Present when macros were expanded: the expanded text the tree's spans index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expansion: Option<Expansion>,
}

impl Parsed {
    /// The text the tree's spans index: the query, or its macro expansion.
    pub fn source<'a>(&'a self, query: &'a str) -> &'a str {
        self.expansion.as_ref().map_or(query, |e| e.text.as_str())
    }

    /// Maps a tree span to the query (the identity without expansion).
    pub fn tree_span_to_query(&self, span: Span) -> Span {
        self.expansion.as_ref().map_or(span, |e| e.to_query(span))
    }
}

/// Options for [`parse_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ParseOptions<'m> {
    /// Expand the macros this table defines before parsing.
    pub macros: Option<&'m MacroTable>,
}

/// Parses one SPL query.
pub fn parse(query: &str) -> Parsed {
    parse_with(query, &ParseOptions::default())
}

/// Parses one SPL query with options (macro expansion).
pub fn parse_with(query: &str, options: &ParseOptions<'_>) -> Parsed {
    if u32::try_from(query.len()).is_err() {
        return Parsed {
            pipeline: Pipeline::default(),
            diagnostics: vec![Diagnostic::error(
                "spl-query-too-long",
                "queries over 4 GiB are not parsed",
            )],
            expansion: None,
        };
    }
    match options.macros {
        None => {
            let (pipeline, diagnostics) = parse_text(query);
            Parsed {
                pipeline,
                diagnostics,
                expansion: None,
            }
        }
        Some(table) => {
            let (expansion, mut diagnostics) = expand(query, table);
            let (pipeline, diags) = parse_text(&expansion.text);
            diagnostics.extend(diags.into_iter().map(|mut d| {
                d.span = d.span.map(|s| expansion.to_query(s));
                d
            }));
            Parsed {
                pipeline,
                diagnostics,
                expansion: Some(expansion),
            }
        }
    }
}

fn parse_text(text: &str) -> (Pipeline, Vec<Diagnostic>) {
    let mut p = parser::Parser::new(text);
    let pipeline = p.pipeline(0, text.len(), false);
    (pipeline, p.diags)
}
