//! The Snowflake SQL front end of rulescope: parses a detection query with `sqlparser`
//! (Snowflake dialect) and maps it into the language-neutral [`QueryModel`] that the SPL
//! front end feeds too.
//!
//! ```
//! use rulescope_model::analysis::{PredicateKind, SelectorKind};
//!
//! let parsed = rulescope_sql::parse(
//!     "select * from okta where event_time > dateadd(hour, -2, sysdate()) \
//!      and event_type ilike 'user.session.start'",
//! );
//! assert!(parsed.diagnostics().is_empty());
//! let model = &parsed.model;
//! assert_eq!(model.tables[0].name, "okta");
//! assert_eq!(model.predicates[0].selector, Some(SelectorKind::TimeWindow));
//! assert_eq!(model.predicates[1].kind, PredicateKind::Like);
//! assert!(!model.predicates[1].case_sensitive);
//! ```
//!
//! - [`parse`] returns a [`SqlParsed`]: the statements (sqlparser's tree), the model, the
//!   template placeholders, and every diagnostic in `model.diagnostics`, with byte spans
//!   into the query as written.
//! - Template placeholders `$latest$` / `$earliest$` (any `$name$`) are read as sqlparser
//!   placeholders (`$latest`) and kept as written (`$latest$`) in predicate values.
//! - Typos are repaired where the fix is clear (a repeated `and`, a missing comma, a
//!   keyword run into a name), reported as errors that name the fix, and the repaired
//!   query is modelled. A query that still fails gets a `sql-syntax` error and a model of
//!   its table and of the WHERE conditions that parse on their own. A query over 16 KiB
//!   (8 times the longest in the armory) is not parsed (`sql-too-long`): sqlparser's tree
//!   is as deep as a chain of `and`s is long, and a deep enough one overflows the stack.
//! - Warnings: `sql-or-escapes-time-window` (an unparenthesised OR that lets rows escape the
//!   time window) and `sql-escape-makes-control-char` (`'\\\n'` is a backslash and a line
//!   feed, not a backslash and `n`).
//! - String literals stay as written in the tree (sqlparser's unescaping differs from
//!   Snowflake's); [`unescape`] reads them as Snowflake does, and model values are read so.
//! - Stages, in SQL's logical order: the stages of CTEs and derived tables, then per SELECT
//!   `from` (data source), `where` (filter), `group by` (aggregate), `having` (filter),
//!   `select` (transform, or aggregate when it aggregates without GROUP BY), `qualify`
//!   (filter), then `order by` / `limit` (output).
//! - Predicates: `ILIKE` / `LIKE` (also `ANY (…)`) → like, case-insensitive / sensitive;
//!   `=` `!=` `<>` `<` `<=` `>` `>=` → eq, ne, lt, le, gt, ge (operands swapped when the
//!   literal comes first); `IN (…)` → in; `IS [NOT] NULL` → not_exists / exists;
//!   `REGEXP_LIKE` / `RLIKE` → regex_match, case-insensitive with the `i` flag;
//!   `CONTAINS` / `STARTSWITH` / `ENDSWITH` → wildcard `*x*` / `x*` / `*x`;
//!   `ARRAY_CONTAINS(v, arr)` → eq on `arr`; `lower(x)` / `upper(x)` fold case; `NOT`
//!   flips `negated`; OR branches testing one field alike merge into one predicate. A
//!   comparison of a column with "now" (`dateadd(hour, -2, sysdate())`) or a placeholder
//!   (`$latest$`) is a time window: `selector: TimeWindow`, the column as field.
//! - Which data source a table holds is the analysis crate's to say (`rulescope-analysis`
//!   `sources`), with every other language's sources; [`SqlParseStats`] sums parse
//!   quality over a corpus.

mod literal;
mod map;
mod recover;
mod source;
mod stats;

use rulescope_model::Diagnostic;
use rulescope_model::Span;
use rulescope_model::analysis::QueryModel;
use sqlparser::ast::Statement;
use sqlparser::tokenizer::{Span as SqlSpan, Token, TokenWithSpan};

pub use literal::unescape;
pub use source::Placeholder;
pub use stats::SqlParseStats;

use source::Prepared;

/// One parsed Snowflake query.
#[derive(Clone, Debug)]
pub struct SqlParsed {
    /// The statements, as sqlparser reads the query after placeholders are substituted and
    /// typos repaired. Their spans are in that text: map them with
    /// [`SqlParsed::original_span`].
    pub statements: Vec<Statement>,
    /// The analysis model; `model.diagnostics` holds every diagnostic about the query.
    pub model: QueryModel,
    /// The template placeholders, in order.
    pub placeholders: Vec<Placeholder>,
    /// No repair made the query parse: `statements` is empty and the model holds what a
    /// scan of the tokens found (the table, and the WHERE conditions that parse alone).
    pub failed: bool,
    prepared: Prepared,
}

impl SqlParsed {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.model.diagnostics
    }

    /// The byte span in the query as written of a span from [`SqlParsed::statements`].
    pub fn original_span(&self, span: SqlSpan) -> Span {
        self.prepared.span(span)
    }

    /// The text sqlparser read: placeholders substituted, typos repaired.
    pub fn parsed_text(&self) -> &str {
        &self.prepared.text
    }
}

/// Parses one Snowflake query. Never panics; problems become diagnostics.
pub fn parse(query: &str) -> SqlParsed {
    let mut prepared = Prepared::new(query);
    let parsed = recover::parse(&mut prepared, query);
    let mut mapper = map::Mapper::new(query, &prepared, &parsed.tokens);
    for statement in &parsed.statements {
        mapper.statement(statement);
    }
    if parsed.failed {
        mapper.scan(query.len() <= recover::MAX_QUERY_BYTES);
    }
    let mut model = mapper.finish();
    let mut diagnostics = parsed.diagnostics;
    diagnostics.append(&mut model.diagnostics);
    diagnostics.extend(escape_warnings(&parsed.tokens, &prepared, query));
    diagnostics.sort_by_key(|d| (d.span.map(|s| s.start), d.severity));
    model.diagnostics = diagnostics;
    SqlParsed {
        statements: parsed.statements,
        placeholders: prepared.placeholders.clone(),
        model,
        failed: parsed.failed,
        prepared,
    }
}

/// Warns about string literals where an escaped backslash is followed by an escape that
/// makes a control character, such as `'%\\\net.exe'`.
fn escape_warnings(tokens: &[TokenWithSpan], prepared: &Prepared, query: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for token in tokens {
        let Token::SingleQuotedString(raw) = &token.token else {
            continue;
        };
        let (_, flagged) = literal::unescape_with_controls(raw);
        let Some(range) = flagged.first() else {
            continue;
        };
        // The raw text starts right after the opening quote.
        let start = prepared.span(token.span).start as usize + 1;
        let span = Span::from_range(start + range.start..start + range.end);
        let written = span.slice(query);
        let letter = written.chars().nth(3).unwrap_or('?');
        let control = match letter {
            'b' => "a backspace",
            'f' => "a form feed",
            'n' => "a line feed",
            'r' => "a carriage return",
            't' => "a tab",
            _ => "a control character",
        };
        out.push(
            Diagnostic::warning(
                "sql-escape-makes-control-char",
                format!(
                    "`{written}` is a backslash and {control}: Snowflake reads `\\\\` as a \
                     backslash, then `\\{letter}` as an escape"
                ),
            )
            .with_span(span)
            .with_help(format!(
                "`\\\\{letter}` in SQL is a backslash followed by `{letter}`; a regex that \
                 matches a backslash before `{letter}` needs `\\\\\\\\{letter}`"
            )),
        );
    }
    out
}
