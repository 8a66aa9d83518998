//! Parsing with recovery from the typos detection authors actually make.
//!
//! When sqlparser stops, the token it stopped at tells which of three repairs may apply: a
//! keyword written twice (`and and`), a comma missing between two literals
//! (`'…' 'i'`), or a keyword run into a name (`whereevent_time`). A repair is kept when the
//! parse then gets further, and becomes a diagnostic that names the typo and its fix.

use std::borrow::Cow;

use rulescope_model::{Diagnostic, Span};
use sqlparser::ast::Statement;
use sqlparser::dialect::SnowflakeDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::source::Prepared;

/// How many typos one query may need repaired before the parse is given up.
const MAX_REPAIRS: usize = 4;

/// The longest query handed to sqlparser, 8 times the longest in the armory: sqlparser
/// builds, walks and drops `a and b and …` as a tree as deep as the chain is long, and a
/// long enough chain overflows the stack.
pub(crate) const MAX_QUERY_BYTES: usize = 16 * 1024;

/// Keywords that authors run into the next or previous word.
const GLUED_KEYWORDS: [&str; 5] = ["where", "and", "or", "not", "from"];

pub(crate) struct Parsed {
    pub statements: Vec<Statement>,
    /// The tokens of the text that parsed (or of the last attempt), whitespace included.
    pub tokens: Vec<TokenWithSpan>,
    pub diagnostics: Vec<Diagnostic>,
    /// No repair made the query parse; `statements` is empty.
    pub failed: bool,
}

/// Where and why one attempt stopped.
struct Failure {
    message: String,
    /// Original offset of the failure.
    offset: usize,
    /// Index into `tokens` of the token the parser stopped at, when it got that far.
    token: Option<usize>,
    tokens: Vec<TokenWithSpan>,
}

enum Edit {
    Insert(usize, u8),
    Blank(std::ops::Range<usize>),
}

pub(crate) fn parse(prepared: &mut Prepared, original: &str) -> Parsed {
    let mut diagnostics = Vec::new();
    if original.len() > MAX_QUERY_BYTES {
        let tokens = Tokenizer::new(&SnowflakeDialect {}, &prepared.text)
            .with_unescape(false)
            .tokenize_with_location()
            .unwrap_or_default();
        diagnostics.push(Diagnostic::error(
            "sql-too-long",
            format!(
                "the query is {} bytes long, more than the {MAX_QUERY_BYTES} rulescope parses",
                original.len()
            ),
        ));
        return Parsed {
            statements: Vec::new(),
            tokens,
            diagnostics,
            failed: true,
        };
    }
    let mut last = match attempt(prepared) {
        Ok((statements, tokens)) => return parsed(statements, tokens, diagnostics),
        Err(failure) => failure,
    };
    for _ in 0..MAX_REPAIRS {
        let mut repaired = None;
        for (edit, diagnostic) in repairs(&last, prepared, original) {
            let mut trial = prepared.clone();
            match edit {
                Edit::Insert(at, byte) => trial.insert(at, byte),
                Edit::Blank(range) => trial.blank(range),
            }
            let outcome = attempt(&trial);
            let progressed = outcome
                .as_ref()
                .map_or_else(|f| f.offset > last.offset, |_| true);
            if progressed {
                repaired = Some((trial, diagnostic, outcome));
                break;
            }
        }
        let Some((trial, diagnostic, outcome)) = repaired else {
            break;
        };
        *prepared = trial;
        diagnostics.push(diagnostic);
        match outcome {
            Ok((statements, tokens)) => return parsed(statements, tokens, diagnostics),
            Err(failure) => last = failure,
        }
    }
    let span = last
        .token
        .and_then(|i| last.tokens.get(i))
        .map_or(Span::from_range(last.offset..last.offset), |t| {
            prepared.span(t.span)
        });
    diagnostics.push(
        Diagnostic::error("sql-syntax", format!("invalid SQL: {}", last.message)).with_span(span),
    );
    Parsed {
        statements: Vec::new(),
        tokens: last.tokens,
        diagnostics,
        failed: true,
    }
}

fn parsed(
    statements: Vec<Statement>,
    tokens: Vec<TokenWithSpan>,
    diagnostics: Vec<Diagnostic>,
) -> Parsed {
    Parsed {
        statements,
        tokens,
        diagnostics,
        failed: false,
    }
}

fn attempt(prepared: &Prepared) -> Result<(Vec<Statement>, Vec<TokenWithSpan>), Failure> {
    let dialect = SnowflakeDialect {};
    let tokens = Tokenizer::new(&dialect, &prepared.text)
        .with_unescape(false)
        .tokenize_with_location()
        .map_err(|e| Failure {
            message: e.message,
            offset: prepared.original_offset(e.location),
            token: None,
            tokens: Vec::new(),
        })?;
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let result = parser.parse_statements();
    let tokens = parser.into_tokens();
    match result {
        Ok(statements) => Ok((statements, tokens)),
        Err(error) => {
            let (message, location) = split_error(&error);
            let token = location.and_then(|loc| {
                tokens
                    .iter()
                    .position(|t| t.span.start == loc && !matches!(t.token, Token::EOF))
            });
            let offset = location.map_or(prepared.text.len(), |l| prepared.text_offset(l));
            Err(Failure {
                message: message.to_owned(),
                offset: prepared.to_original(offset),
                token,
                tokens,
            })
        }
    }
}

/// sqlparser ends its messages with ` at Line: L, Column: C`; split that off.
fn split_error(error: &ParserError) -> (&str, Option<Location>) {
    let text = match error {
        ParserError::TokenizerError(s) | ParserError::ParserError(s) => s.as_str(),
        ParserError::RecursionLimitExceeded => return ("nesting is too deep", None),
    };
    let Some((message, at)) = text.rsplit_once(" at Line: ") else {
        return (text, None);
    };
    let location = at.split_once(", Column: ").and_then(|(line, column)| {
        Some(Location::new(
            line.parse().ok()?,
            column.trim().parse().ok()?,
        ))
    });
    (message, location)
}

/// The repairs worth trying at a failure, most specific first.
fn repairs(failure: &Failure, prepared: &Prepared, original: &str) -> Vec<(Edit, Diagnostic)> {
    let tokens = &failure.tokens;
    let Some(at) = failure.token else {
        return Vec::new();
    };
    let before = |i: usize| {
        tokens[..i]
            .iter()
            .rposition(|t| !matches!(t.token, Token::Whitespace(_)))
    };
    let span_of = |i: usize| prepared.span(tokens[i].span);
    let mut out = Vec::new();
    let prev = before(at);

    // The word the parser stopped at, or one of the two before it: a repeated `and` or a
    // glued `whereevent_time` first reads as a column or alias, and the parse stops after.
    let mut candidates = vec![at];
    candidates.extend(prev);
    candidates.extend(prev.and_then(before));

    for &i in &candidates {
        if let (Token::Word(word), Some(p)) = (&tokens[i].token, before(i))
            && matches!(word.keyword, Keyword::AND | Keyword::OR)
            && matches!(&tokens[p].token, Token::Word(w) if w.keyword == word.keyword)
        {
            let span = span_of(i);
            let keyword = span.slice(original).to_owned();
            out.push((
                Edit::Blank(span.range()),
                Diagnostic::error(
                    "sql-repeated-keyword",
                    format!("`{keyword}` is written twice"),
                )
                .with_span(span)
                .with_help(format!("remove the second `{keyword}`")),
            ));
        }
    }

    if let Some(p) = prev
        && is_literal(&tokens[at].token)
        && is_literal(&tokens[p].token)
    {
        let span = span_of(at);
        let prev_span = span_of(p);
        let this = span.slice(original);
        out.push((
            Edit::Insert(prev_span.end as usize, b','),
            Diagnostic::error(
                "sql-missing-comma",
                format!("missing comma before `{this}`"),
            )
            .with_span(span)
            .with_help(format!(
                "separate the arguments: `{}, {this}`",
                tail(prev_span.slice(original), 16)
            )),
        ));
    }

    for i in candidates {
        let Token::Word(word) = &tokens[i].token else {
            continue;
        };
        if word.quote_style.is_some() {
            continue;
        }
        let span = span_of(i);
        let written = span.slice(original);
        for (keyword, split) in glued_splits(written) {
            let (head, rest) = written.split_at(split);
            out.push((
                Edit::Insert(span.start as usize + split, b' '),
                Diagnostic::error(
                    "sql-missing-space",
                    format!("missing space after `{head}`: `{written}` reads as one name"),
                )
                .with_span(span)
                .with_help(format!(
                    "write `{head} {rest}` to use `{keyword}` as a keyword"
                )),
            ));
        }
    }
    out
}

/// Where `word` could split into a glued keyword and a name: after a leading keyword or
/// before a trailing one.
fn glued_splits(word: &str) -> Vec<(&'static str, usize)> {
    let lower = word.to_ascii_lowercase();
    let mut splits = Vec::new();
    for keyword in GLUED_KEYWORDS {
        if lower.len() <= keyword.len() {
            continue;
        }
        let name_start = |s: &str| s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
        if lower.starts_with(keyword) && name_start(&lower[keyword.len()..]) {
            splits.push((keyword, keyword.len()));
        }
        if lower.ends_with(keyword) {
            splits.push((keyword, lower.len() - keyword.len()));
        }
    }
    splits
}

fn is_literal(token: &Token) -> bool {
    matches!(
        token,
        Token::SingleQuotedString(_) | Token::Number(..) | Token::DollarQuotedString(_)
    )
}

/// The last `max` characters of `text`, with an ellipsis when cut.
fn tail(text: &str, max: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= max {
        return Cow::Borrowed(text);
    }
    let start = text.char_indices().nth(count - max).map_or(0, |(i, _)| i);
    Cow::Owned(format!("…{}", &text[start..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(query: &str) -> (Parsed, Prepared) {
        let mut prepared = Prepared::new(query);
        (parse(&mut prepared, query), prepared)
    }

    fn codes_and_spans<'a>(parsed: &Parsed, query: &'a str) -> Vec<(String, &'a str)> {
        parsed
            .diagnostics
            .iter()
            .map(|d| (d.code.to_string(), d.span.unwrap_or_default().slice(query)))
            .collect()
    }

    #[test]
    fn repeated_keyword() {
        let q = "select * from t where a = 1 and and b = 2";
        let (parsed, _) = run(q);
        assert!(!parsed.failed);
        assert_eq!(
            codes_and_spans(&parsed, q),
            [("sql-repeated-keyword".to_owned(), "and")]
        );
        assert_eq!(parsed.diagnostics[0].span, Some(Span::new(32, 35)));
    }

    #[test]
    fn missing_comma() {
        let q = "select * from t where regexp_like(a, '.*x.*' 'i')";
        let (parsed, prepared) = run(q);
        assert!(!parsed.failed);
        assert_eq!(
            codes_and_spans(&parsed, q),
            [("sql-missing-comma".to_owned(), "'i'")]
        );
        assert_eq!(
            prepared.text,
            "select * from t where regexp_like(a, '.*x.*', 'i')"
        );
        assert_eq!(
            parsed.diagnostics[0].help.as_deref(),
            Some("separate the arguments: `'.*x.*', 'i'`")
        );
    }

    #[test]
    fn glued_keyword() {
        let q = "select * from okta whereevent_time > 1 and x = 'a'";
        let (parsed, _) = run(q);
        assert!(!parsed.failed, "{:?}", parsed.diagnostics);
        assert_eq!(
            codes_and_spans(&parsed, q),
            [("sql-missing-space".to_owned(), "whereevent_time")]
        );
        assert_eq!(
            parsed.diagnostics[0].help.as_deref(),
            Some("write `where event_time` to use `where` as a keyword")
        );
    }

    #[test]
    fn unrecoverable_error_points_at_the_token() {
        let q = "select * from t where a = = 1";
        let (parsed, _) = run(q);
        assert!(parsed.failed);
        let d = &parsed.diagnostics[0];
        assert_eq!(d.code, "sql-syntax");
        assert_eq!(d.span.unwrap_or_default().slice(q), "=");
        assert_eq!(d.span.unwrap_or_default().start, 26);
    }

    #[test]
    fn unterminated_string_is_a_syntax_error() {
        let (parsed, _) = run("select 'abc");
        assert!(parsed.failed);
        assert_eq!(parsed.diagnostics[0].code, "sql-syntax");
    }
}
