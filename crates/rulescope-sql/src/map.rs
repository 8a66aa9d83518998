//! From the sqlparser tree to the language-neutral [`QueryModel`].
//!
//! Stages follow SQL's logical order within each SELECT (FROM, WHERE, GROUP BY, HAVING,
//! SELECT, QUALIFY), after the stages of the CTEs and derived tables it reads, and before
//! the ORDER BY and LIMIT of its query. WHERE, HAVING and QUALIFY conditions become
//! predicates; a column renamed in a CTE or derived table keeps the names it came from in
//! `derived_from`.

use std::collections::HashMap;

use rulescope_model::analysis::{
    Predicate, PredicateKind, QueryModel, SelectorKind, Stage, StageRole, TableRef,
};
use rulescope_model::{Diagnostic, Span};
use sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr,
    InTarget, ObjectNamePart, Query, Select, SelectItem, SetExpr, Spanned, Statement, TableFactor,
    UnaryOperator, Value,
};
use sqlparser::dialect::SnowflakeDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span as SqlSpan, Token, TokenWithSpan};

use crate::literal;
use crate::source::Prepared;

/// For each output column of a query (lower-cased), the columns it was computed from,
/// nearest first; columns read straight from a table have no entry.
type Columns = HashMap<String, Vec<String>>;

/// Functions whose value is "now": a comparison with an expression of them, or with a
/// template placeholder, is the query's time window.
const NOW_FUNCTIONS: [&str; 8] = [
    "sysdate",
    "current_timestamp",
    "current_date",
    "current_time",
    "getdate",
    "localtimestamp",
    "systimestamp",
    "now",
];

const AGGREGATE_FUNCTIONS: [&str; 16] = [
    "count",
    "count_if",
    "sum",
    "min",
    "max",
    "avg",
    "median",
    "mode",
    "any_value",
    "array_agg",
    "array_unique_agg",
    "listagg",
    "object_agg",
    "approx_count_distinct",
    "stddev",
    "variance",
];

/// How many characters of a branch an OR-escape message quotes.
const QUOTE_CHARS: usize = 70;

pub(crate) struct Mapper<'a> {
    original: &'a str,
    prepared: &'a Prepared,
    tokens: &'a [TokenWithSpan],
    /// The parenthesis depth before each token (and after the last), so a span's balance is
    /// a subtraction.
    depth: Vec<i32>,
    model: QueryModel,
    /// CTEs in scope, innermost last.
    ctes: Vec<(String, Columns)>,
}

impl<'a> Mapper<'a> {
    pub fn new(original: &'a str, prepared: &'a Prepared, tokens: &'a [TokenWithSpan]) -> Self {
        let mut depth = Vec::with_capacity(tokens.len() + 1);
        depth.push(0);
        let mut level = 0;
        for t in tokens {
            match t.token {
                Token::LParen => level += 1,
                Token::RParen => level -= 1,
                _ => {}
            }
            depth.push(level);
        }
        Self {
            original,
            prepared,
            tokens,
            depth,
            model: QueryModel::default(),
            ctes: Vec::new(),
        }
    }

    pub fn finish(self) -> QueryModel {
        self.model
    }

    pub fn statement(&mut self, statement: &Statement) {
        if let Statement::Query(query) = statement {
            self.query(query);
        }
    }

    /// The fallback for a query that does not parse: the table after the first `FROM`, and
    /// each `AND`-separated condition after the first `WHERE` that parses on its own (when
    /// `conditions` is set; a query too long for sqlparser is not parsed even in pieces).
    pub fn scan(&mut self, conditions: bool) {
        let tokens: Vec<&TokenWithSpan> = self
            .tokens
            .iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
            .collect();
        let keyword_at = |from: usize, keyword: Keyword| {
            let mut depth = 0i32;
            (from..tokens.len()).find(|&i| {
                match &tokens[i].token {
                    Token::LParen => depth += 1,
                    Token::RParen => depth -= 1,
                    _ => {}
                }
                depth == 0 && matches!(&tokens[i].token, Token::Word(w) if w.keyword == keyword)
            })
        };
        let Some(from) = keyword_at(0, Keyword::FROM) else {
            return;
        };
        // A dotted name: word (. word)*.
        let name_len = tokens[from + 1..]
            .iter()
            .enumerate()
            .take_while(|(i, t)| match i % 2 {
                0 => matches!(t.token, Token::Word(_)),
                _ => matches!(t.token, Token::Period),
            })
            .count();
        if name_len > 0 {
            // The last word, not a trailing period.
            let last = tokens[from + 2 * name_len.div_ceil(2) - 1].span;
            let name = tokens[from + 1].span.union(&last);
            let stage = self.stage(
                "from",
                StageRole::DataSource,
                tokens[from].span.union(&last),
            );
            let span = self.prepared.span(name);
            self.model.tables.push(TableRef {
                stage,
                name: span.slice(self.original).to_owned(),
                span,
            });
        }
        let Some(start) = keyword_at(from, Keyword::WHERE).filter(|_| conditions) else {
            return;
        };
        let Some(last) = tokens.last() else { return };
        let stage = self.stage(
            "where",
            StageRole::Filter,
            tokens[start].span.union(&last.span),
        );
        let mut piece_start = start + 1;
        let mut predicates = Vec::new();
        while piece_start < tokens.len() {
            let end = keyword_at(piece_start, Keyword::AND).unwrap_or(tokens.len());
            let piece: Vec<TokenWithSpan> = tokens[piece_start..end]
                .iter()
                .map(|t| (*t).clone())
                .collect();
            let mut parser = Parser::new(&SnowflakeDialect {}).with_tokens_with_locations(piece);
            if let Ok(expr) = parser.parse_expr()
                && parser.peek_token().token == Token::EOF
            {
                self.conditions(&expr, false, stage, &mut predicates);
            }
            piece_start = end + 1;
        }
        self.model.predicates.extend(predicates);
    }

    /// Maps a query; returns the derivation of its output columns.
    fn query(&mut self, query: &Query) -> Columns {
        let scope = self.ctes.len();
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let columns = self.query(&cte.query);
                self.ctes
                    .push((cte.alias.name.value.to_lowercase(), columns));
            }
        }
        let columns = self.set_expr(&query.body);
        if let Some(order_by) = &query.order_by {
            let span =
                self.with_keyword(self.close(order_by.span()), &[Keyword::ORDER, Keyword::BY]);
            self.stage("order by", StageRole::Output, span);
        }
        if let Some(limit) = &query.limit_clause {
            let span = self.with_keyword(self.close(limit.span()), &[Keyword::LIMIT]);
            self.stage("limit", StageRole::Output, span);
        }
        self.ctes.truncate(scope);
        columns
    }

    fn set_expr(&mut self, body: &SetExpr) -> Columns {
        match body {
            SetExpr::Select(select) => self.select(select),
            SetExpr::Query(query) => self.query(query),
            SetExpr::SetOperation { left, right, .. } => {
                let columns = self.set_expr(left);
                self.set_expr(right);
                columns
            }
            _ => Columns::new(),
        }
    }

    fn select(&mut self, select: &Select) -> Columns {
        let inputs = self.from(select);
        if let Some(selection) = &select.selection {
            let stage = self.stage(
                "where",
                StageRole::Filter,
                self.with_keyword(self.close(expr_span(selection)), &[Keyword::WHERE]),
            );
            self.conditions_of(selection, stage, &inputs);
            self.check_or_escape(selection);
        }
        let grouped = match &select.group_by {
            GroupByExpr::All(_) => true,
            GroupByExpr::Expressions(exprs, _) => !exprs.is_empty(),
        };
        if grouped {
            let keywords = [Keyword::GROUP, Keyword::BY];
            let span = self.with_keyword(self.close(select.group_by.span()), &keywords);
            self.stage("group by", StageRole::Aggregate, span);
        }
        if let Some(having) = &select.having {
            let stage = self.stage(
                "having",
                StageRole::Filter,
                self.with_keyword(self.close(expr_span(having)), &[Keyword::HAVING]),
            );
            self.conditions_of(having, stage, &inputs);
        }
        let aggregates = select.projection.iter().any(|item| match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                has_aggregate(e)
            }
            _ => false,
        });
        let role = if aggregates && !grouped {
            StageRole::Aggregate
        } else {
            StageRole::Transform
        };
        let projection = select
            .projection
            .iter()
            .fold(select.select_token.0.span, |s, item| {
                s.union(&self.close(item.span()))
            });
        self.stage("select", role, projection);
        if let Some(qualify) = &select.qualify {
            let stage = self.stage(
                "qualify",
                StageRole::Filter,
                self.with_keyword(self.close(expr_span(qualify)), &[Keyword::QUALIFY]),
            );
            self.conditions_of(qualify, stage, &inputs);
        }
        output_columns(select, &inputs)
    }

    /// Maps the FROM clause: derived tables first, then one data-source stage that reads
    /// every base table. Returns the derivation of the columns it provides.
    fn from(&mut self, select: &Select) -> Columns {
        let mut inputs = Columns::new();
        let mut tables = Vec::new();
        let mut span: Option<SqlSpan> = None;
        let relations = select
            .from
            .iter()
            .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
        for relation in relations {
            let relation_span = self.close(relation.span());
            span = Some(span.map_or(relation_span, |s| s.union(&relation_span)));
            match relation {
                TableFactor::Table { name, .. } => {
                    let cte = match name.0.as_slice() {
                        [ObjectNamePart::Identifier(ident)] => {
                            let lower = ident.value.to_lowercase();
                            self.ctes.iter().rev().find(|(n, _)| *n == lower)
                        }
                        _ => None,
                    };
                    match cte {
                        Some((_, columns)) => inputs.extend(columns.clone()),
                        None => tables.push(name.span()),
                    }
                }
                TableFactor::Derived { subquery, .. } => inputs.extend(self.query(subquery)),
                _ => {}
            }
        }
        if let Some(span) = span {
            let stage = self.stage(
                "from",
                StageRole::DataSource,
                self.with_keyword(span, &[Keyword::FROM]),
            );
            for table in tables {
                let span = self.prepared.span(table);
                self.model.tables.push(TableRef {
                    stage,
                    name: span.slice(self.original).to_owned(),
                    span,
                });
            }
        }
        inputs
    }

    fn stage(&mut self, command: &str, role: StageRole, span: SqlSpan) -> usize {
        let index = self.model.stages.len();
        self.model.stages.push(Stage {
            index,
            command: command.to_owned(),
            role,
            span: self.prepared.span(span),
        });
        index
    }

    /// Extends a clause's span back over its keywords (`group by`), when they come right
    /// before it, and over the parentheses of a derived table.
    fn with_keyword(&self, span: SqlSpan, keywords: &[Keyword]) -> SqlSpan {
        let mut before = self.tokens[..self.token_at(span.start)]
            .iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)))
            .rev()
            .skip_while(|t| matches!(t.token, Token::LParen))
            .peekable();
        let mut start = span;
        for keyword in keywords.iter().rev() {
            match before.next() {
                Some(t) if matches!(&t.token, Token::Word(w) if w.keyword == *keyword) => {
                    start = t.span;
                }
                _ => return span,
            }
        }
        start.union(&span)
    }

    fn conditions_of(&mut self, expr: &Expr, stage: usize, inputs: &Columns) {
        let mut predicates = Vec::new();
        self.conditions(expr, false, stage, &mut predicates);
        for predicate in &mut predicates {
            if let Some(chain) = inputs.get(&predicate.field.to_lowercase()) {
                predicate.derived_from.clone_from(chain);
            }
        }
        self.model.predicates.extend(predicates);
    }

    fn conditions(&mut self, expr: &Expr, negated: bool, stage: usize, out: &mut Vec<Predicate>) {
        let expr = strip_nested(expr);
        match expr {
            Expr::BinaryOp {
                op: BinaryOperator::And,
                ..
            } => {
                for conjunct in flatten(expr, &BinaryOperator::And) {
                    self.conditions(conjunct, negated, stage, out);
                }
            }
            Expr::BinaryOp {
                op: BinaryOperator::Or,
                ..
            } => {
                let mut parts = Vec::new();
                for disjunct in flatten(expr, &BinaryOperator::Or) {
                    let mut part = Vec::new();
                    self.conditions(disjunct, negated, stage, &mut part);
                    parts.push(part);
                }
                out.extend(merge_disjuncts(parts));
            }
            Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr: inner,
            } => self.conditions(inner, !negated, stage, out),
            Expr::Exists { subquery, .. } | Expr::Subquery(subquery) => {
                self.query(subquery);
            }
            Expr::In {
                target: InTarget::Subquery(subquery),
                ..
            } => {
                self.query(subquery);
            }
            _ => self.atom(expr, negated, stage, out),
        }
    }

    /// One comparison: `field op value(s)`.
    fn atom(&self, expr: &Expr, negated: bool, stage: usize, out: &mut Vec<Predicate>) {
        let new = |field: String, kind, values, case_sensitive| Predicate {
            stage,
            field,
            kind,
            values,
            negated,
            case_sensitive,
            span: self.prepared.span(self.close(expr_span(expr))),
            selector: None,
            derived_from: Vec::new(),
        };
        match expr {
            Expr::Like {
                negated: not,
                expr: subject,
                pattern,
                ..
            }
            | Expr::ILike {
                negated: not,
                expr: subject,
                pattern,
                ..
            } => {
                let Some((field, folded)) = self.field(subject) else {
                    return;
                };
                let values = self.literals(pattern);
                if values.is_empty() {
                    return;
                }
                let insensitive = folded || matches!(expr, Expr::ILike { .. });
                let mut p = new(field, PredicateKind::Like, values, !insensitive);
                p.negated ^= *not;
                out.push(p);
            }
            Expr::RLike {
                negated: not,
                expr: subject,
                pattern,
                ..
            } => {
                if let (Some((field, folded)), Some(value)) =
                    (self.field(subject), self.literal(pattern))
                {
                    let mut p = new(field, PredicateKind::RegexMatch, vec![value], !folded);
                    p.negated ^= *not;
                    out.push(p);
                }
            }
            Expr::BinaryOp { left, op, right } => {
                let Some(kind) = comparison(op) else {
                    return;
                };
                if let Some(mut p) = self.time_window(left, kind, right) {
                    p.stage = stage;
                    p.negated = negated;
                    p.span = self.prepared.span(self.close(expr_span(expr)));
                    out.push(p);
                    return;
                }
                let (subject, kind, value) = match (self.literal(right), self.literal(left)) {
                    (Some(value), _) => (left, kind, value),
                    (None, Some(value)) => (right, kind.mirrored(), value),
                    (None, None) => return,
                };
                if let Some((field, folded)) = self.field(subject) {
                    out.push(new(field, kind, vec![value], !folded));
                }
            }
            Expr::Between {
                expr: subject,
                negated: not,
                low,
                high,
            } => {
                for (kind, bound) in [(PredicateKind::Ge, low), (PredicateKind::Le, high)] {
                    let p = self.time_window(subject, kind, bound).or_else(|| {
                        let (field, folded) = self.field(subject)?;
                        Some(new(field, kind, vec![self.literal(bound)?], !folded))
                    });
                    if let Some(mut p) = p {
                        p.stage = stage;
                        p.negated = negated ^ *not;
                        p.span = self.prepared.span(self.close(expr_span(expr)));
                        out.push(p);
                    }
                }
            }
            Expr::In {
                expr: subject,
                target: InTarget::List(items),
                negated: not,
                ..
            } => {
                let values: Vec<String> = items.iter().filter_map(|e| self.literal(e)).collect();
                if let (Some((field, folded)), false) = (self.field(subject), values.is_empty()) {
                    let mut p = new(field, PredicateKind::In, values, !folded);
                    p.negated ^= *not;
                    out.push(p);
                }
            }
            Expr::IsNull(subject) | Expr::IsNotNull(subject) => {
                if let Some((field, _)) = self.field(subject) {
                    let kind = if matches!(expr, Expr::IsNull(_)) {
                        PredicateKind::NotExists
                    } else {
                        PredicateKind::Exists
                    };
                    let mut p = new(field, kind, Vec::new(), true);
                    p.span = self.prepared.span(self.through_null(expr.span()));
                    out.push(p);
                }
            }
            Expr::Function(function) => {
                if let Some((field, kind, value, sensitive)) = self.function_predicate(function) {
                    out.push(new(field, kind, vec![value], sensitive));
                }
            }
            _ => {}
        }
    }

    /// `REGEXP_LIKE`, `RLIKE`, `CONTAINS`, `STARTSWITH`, `ENDSWITH` and `ARRAY_CONTAINS` as
    /// predicates: field, kind, value and case sensitivity.
    fn function_predicate(
        &self,
        function: &Function,
    ) -> Option<(String, PredicateKind, String, bool)> {
        let args = args(function);
        let name = function_name(function)?;
        match name.as_str() {
            "regexp_like" | "rlike" => {
                let (field, folded) = self.field(args.first()?)?;
                let regex = self.literal(args.get(1)?)?;
                // Snowflake's parameters: `i` folds case, `c` (the default) does not; the
                // last one written wins.
                let flags = args
                    .get(2)
                    .and_then(|e| self.literal(e))
                    .unwrap_or_default();
                let insensitive = flags.chars().fold(folded, |acc, c| match c {
                    'i' => true,
                    'c' => folded,
                    _ => acc,
                });
                Some((field, PredicateKind::RegexMatch, regex, !insensitive))
            }
            "contains" | "startswith" | "endswith" => {
                let (field, folded) = self.field(args.first()?)?;
                let needle = self.literal(args.get(1)?)?;
                let value = match name.as_str() {
                    "contains" => format!("*{needle}*"),
                    "startswith" => format!("{needle}*"),
                    _ => format!("*{needle}"),
                };
                Some((field, PredicateKind::Wildcard, value, !folded))
            }
            // ARRAY_CONTAINS(value, array): the array field holds the value, like a
            // multivalue field compared with `=`.
            "array_contains" => {
                let value = self.literal(args.first()?)?;
                let (field, _) = self.field(args.get(1)?)?;
                Some((field, PredicateKind::Eq, value, true))
            }
            _ => None,
        }
    }

    /// A comparison of a time column with "now" or a template placeholder.
    fn time_window(&self, left: &Expr, kind: PredicateKind, right: &Expr) -> Option<Predicate> {
        let (column, kind, bound) = if is_time_bound(right) {
            (time_column(left)?, kind, right)
        } else if is_time_bound(left) {
            (time_column(right)?, kind.mirrored(), left)
        } else {
            return None;
        };
        Some(Predicate {
            stage: 0,
            field: column,
            kind,
            values: vec![
                self.literal(bound)
                    .unwrap_or_else(|| self.slice(self.close(expr_span(bound))).to_owned()),
            ],
            negated: false,
            case_sensitive: true,
            span: Span::default(),
            selector: Some(SelectorKind::TimeWindow),
            derived_from: Vec::new(),
        })
    }

    /// The field a condition tests, and whether it is case-folded (`lower(x)`).
    fn field(&self, expr: &Expr) -> Option<(String, bool)> {
        match expr {
            Expr::Value(_) => None,
            _ => column_name(expr)
                .or_else(|| Some((self.slice(self.close(expr_span(expr))).to_owned(), false))),
        }
    }

    /// The values of a literal or of a parenthesised list of literals (`ILIKE ANY (…)`).
    fn literals(&self, expr: &Expr) -> Vec<String> {
        match strip_nested(expr) {
            Expr::Tuple(items) => items.iter().filter_map(|e| self.literal(e)).collect(),
            e => self.literal(e).into_iter().collect(),
        }
    }

    /// A literal's value as Snowflake reads it; a placeholder as written (`$latest$`).
    fn literal(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Value(v) => match &v.value {
                Value::SingleQuotedString(raw) => Some(literal::unescape(raw)),
                Value::DollarQuotedString(s) => Some(s.value.clone()),
                Value::Number(n, _) => Some(n.clone()),
                Value::Boolean(b) => Some(b.to_string()),
                Value::Placeholder(name) => {
                    // As written, `$latest$`: the substituted text ends before the `$`.
                    let start = self.prepared.span(expr.span()).start;
                    let written = self
                        .prepared
                        .placeholders
                        .iter()
                        .find(|p| p.span.start == start);
                    Some(written.map_or_else(|| name.clone(), |p| format!("${}$", p.name)))
                }
                _ => None,
            },
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr: inner,
            } => self.literal(inner).map(|v| format!("-{v}")),
            Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => self.literal(inner),
            _ => None,
        }
    }

    /// A tree span, extended over the closing parentheses that sqlparser's spans
    /// leave out (a function call's span ends at its last argument).
    fn close(&self, span: SqlSpan) -> SqlSpan {
        let first = self.token_at(span.start);
        let after = self.token_at(span.end);
        // Parentheses opened inside the span and not closed there.
        let mut depth = self.depth[after] - self.depth[first];
        let mut full = span;
        for t in &self.tokens[after..] {
            // `count(*)` spans only its name: take the argument list right after it too.
            let call = matches!(t.token, Token::LParen) && t.span.start == full.end;
            if depth <= 0 && !call {
                break;
            }
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ => {}
            }
            if !matches!(t.token, Token::Whitespace(_)) {
                full.end = t.span.end;
            }
        }
        full
    }

    /// The index of the first token that starts at or after `location`.
    fn token_at(&self, location: Location) -> usize {
        let key = location_key(location);
        self.tokens
            .partition_point(|t| location_key(t.span.start) < key)
    }

    /// Extends the span of `x IS [NOT] NULL`, which sqlparser ends at `x`, over its keywords.
    fn through_null(&self, span: SqlSpan) -> SqlSpan {
        let mut full = span;
        let after = self.tokens[self.token_at(span.end)..]
            .iter()
            .filter(|t| !matches!(t.token, Token::Whitespace(_)));
        for t in after {
            let Token::Word(word) = &t.token else { break };
            match word.keyword {
                Keyword::IS | Keyword::NOT => full.end = t.span.end,
                Keyword::NULL => {
                    full.end = t.span.end;
                    break;
                }
                _ => break,
            }
        }
        full
    }

    /// The original text of a tree span.
    fn slice(&self, span: SqlSpan) -> &'a str {
        self.prepared.span(span).slice(self.original).trim()
    }

    /// Reports an OR that lets rows escape the time window: `w AND a OR b` is
    /// `(w AND a) OR b`, so `b` matches at any time.
    fn check_or_escape(&mut self, selection: &Expr) {
        let Some((disjuncts, windowed)) = or_escape(selection) else {
            return;
        };
        let Some(first_escape) = windowed.iter().position(|w| !w) else {
            return;
        };
        // The OR right before the first escaping branch, or after it when it comes first.
        let (before, after) = if first_escape > 0 {
            (disjuncts[first_escape - 1], disjuncts[first_escape])
        } else {
            (disjuncts[0], disjuncts[1])
        };
        let or_span = self
            .token_between(
                self.close(expr_span(before)).end,
                expr_span(after).start,
                Keyword::OR,
            )
            .unwrap_or_else(|| {
                self.close(expr_span(before))
                    .union(&self.close(expr_span(after)))
            });
        let quote = |e: &Expr| {
            let text = self.slice(self.close(expr_span(e)));
            let short = abbreviate(text, QUOTE_CHARS);
            if text.starts_with('(') && text.ends_with(')') {
                short
            } else {
                format!("({short})")
            }
        };
        let all: Vec<String> = disjuncts.iter().map(|e| quote(e)).collect();
        let escaping: Vec<&str> = all
            .iter()
            .zip(&windowed)
            .filter(|(_, w)| !**w)
            .map(|(q, _)| q.as_str())
            .collect();
        let verb = if escaping.len() == 1 {
            "matches"
        } else {
            "match"
        };
        let message = format!(
            "this query selects rows where {}: {} {verb} at any time, outside the time window",
            all.join(" or "),
            escaping.join(" or "),
        );
        self.model.diagnostics.push(
            Diagnostic::warning("sql-or-escapes-time-window", message)
                .with_span(self.prepared.span(or_span))
                .with_help(
                    "AND binds tighter than OR: put the alternatives in parentheses, \
                     `<time window> and (<a> or <b>)`, so the window applies to all of them",
                ),
        );
    }

    fn token_between(&self, from: Location, to: Location, keyword: Keyword) -> Option<SqlSpan> {
        self.tokens[self.token_at(from)..]
            .iter()
            .take_while(|t| location_key(t.span.end) <= location_key(to))
            .find(|t| matches!(&t.token, Token::Word(w) if w.keyword == keyword))
            .map(|t| t.span)
    }
}

fn location_key(l: Location) -> (u64, u64) {
    (l.line, l.column)
}

/// The disjuncts of the first OR (outside any conjunct that is a time window) whose
/// branches disagree about the time window, with which of them contain one.
fn or_escape(expr: &Expr) -> Option<(Vec<&Expr>, Vec<bool>)> {
    let expr = strip_nested(expr);
    match expr {
        Expr::BinaryOp {
            op: BinaryOperator::And,
            ..
        } => {
            let conjuncts = flatten(expr, &BinaryOperator::And);
            if conjuncts.iter().any(|c| is_window(strip_nested(c))) {
                return None;
            }
            conjuncts.into_iter().find_map(or_escape)
        }
        Expr::BinaryOp {
            op: BinaryOperator::Or,
            ..
        } => {
            let disjuncts = flatten(expr, &BinaryOperator::Or);
            let windowed: Vec<bool> = disjuncts.iter().map(|d| contains_window(d)).collect();
            let some = windowed.iter().any(|w| *w);
            let all = windowed.iter().all(|w| *w);
            (some && !all).then_some((disjuncts, windowed))
        }
        _ => None,
    }
}

fn contains_window(expr: &Expr) -> bool {
    let expr = strip_nested(expr);
    match expr {
        Expr::BinaryOp {
            op: op @ (BinaryOperator::And | BinaryOperator::Or),
            ..
        } => flatten(expr, op).into_iter().any(contains_window),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => contains_window(expr),
        _ => is_window(expr),
    }
}

fn is_window(expr: &Expr) -> bool {
    match expr {
        Expr::BinaryOp { left, op, right } => {
            comparison(op).is_some()
                && ((is_time_bound(right) && time_column(left).is_some())
                    || (is_time_bound(left) && time_column(right).is_some()))
        }
        Expr::Between {
            expr, low, high, ..
        } => time_column(expr).is_some() && (is_time_bound(low) || is_time_bound(high)),
        _ => false,
    }
}

/// "Now", an expression of it (`dateadd(hour, -2, sysdate())`), or a template placeholder.
fn is_time_bound(expr: &Expr) -> bool {
    match expr {
        Expr::Value(v) => matches!(v.value, Value::Placeholder(_)),
        Expr::Identifier(ident) => NOW_FUNCTIONS.contains(&ident.value.to_lowercase().as_str()),
        Expr::Function(function) => {
            function_name(function).is_some_and(|n| NOW_FUNCTIONS.contains(&n.as_str()))
                || args(function).into_iter().any(is_time_bound)
        }
        Expr::BinaryOp { .. } => binary_leaves(expr).into_iter().any(is_time_bound),
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => is_time_bound(inner),
        _ => false,
    }
}

/// The column a time expression reads: `event_time` in
/// `to_timestamp(date_part(epoch_second, event_time))` (the last column argument, since
/// date functions take the date part first).
fn time_column(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Function(function) => args(function).into_iter().rev().find_map(time_column),
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => time_column(inner),
        _ => column_name(expr).map(|(name, _)| name),
    }
}

/// A plain column (`a`, `t.a`, `"A"`), through casts and parentheses, and through
/// `lower`/`upper`, which fold its case.
fn column_name(expr: &Expr) -> Option<(String, bool)> {
    match expr {
        Expr::Identifier(ident) => Some((ident.value.clone(), false)),
        Expr::CompoundIdentifier(parts) => Some((
            parts
                .iter()
                .map(|p| p.value.as_str())
                .collect::<Vec<_>>()
                .join("."),
            false,
        )),
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => column_name(inner),
        // A path into a VARIANT column: `user_identity:type`.
        Expr::JsonAccess { value, path } => {
            column_name(value).map(|(name, folded)| (format!("{name}{path}"), folded))
        }
        Expr::Function(function)
            if function_name(function).is_some_and(|n| n == "lower" || n == "upper") =>
        {
            match args(function).as_slice() {
                [arg] => column_name(arg).map(|(name, _)| (name, true)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn function_name(function: &Function) -> Option<String> {
    match function.name.0.last()? {
        ObjectNamePart::Identifier(ident) => Some(ident.value.to_lowercase()),
        ObjectNamePart::Function(_) => None,
    }
}

/// A function's positional argument expressions.
fn args(function: &Function) -> Vec<&Expr> {
    match &function.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn has_aggregate(expr: &Expr) -> bool {
    match expr {
        Expr::Function(function) => {
            (function.over.is_none()
                && function_name(function)
                    .is_some_and(|n| AGGREGATE_FUNCTIONS.contains(&n.as_str())))
                || args(function).into_iter().any(has_aggregate)
        }
        Expr::BinaryOp { .. } => binary_leaves(expr).into_iter().any(has_aggregate),
        Expr::Nested(inner)
        | Expr::Cast { expr: inner, .. }
        | Expr::UnaryOp { expr: inner, .. } => has_aggregate(inner),
        _ => false,
    }
}

/// What each output column of a SELECT was computed from.
fn output_columns(select: &Select, inputs: &Columns) -> Columns {
    let mut out = Columns::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(expr) => {
                if let Some((name, _)) = column_name(expr) {
                    let bare = name.rsplit('.').next().unwrap_or(&name).to_lowercase();
                    if let Some(chain) = inputs.get(&bare) {
                        out.insert(bare, chain.clone());
                    }
                }
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                if let Some((name, _)) = column_name(expr) {
                    let bare = name.rsplit('.').next().unwrap_or(&name).to_lowercase();
                    let mut chain = vec![name];
                    chain.extend(inputs.get(&bare).into_iter().flatten().cloned());
                    out.insert(alias.value.to_lowercase(), chain);
                }
            }
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                out.extend(inputs.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            _ => {}
        }
    }
    out
}

/// Flattens the predicates of an OR's branches, merging the branches that are one test of
/// the same field the same way (`a ilike x or b = 1 or a ilike y`) into one predicate with
/// several values. A branch of several predicates (an AND inside the OR) stays apart.
fn merge_disjuncts(parts: Vec<Vec<Predicate>>) -> Vec<Predicate> {
    let mut out: Vec<Predicate> = Vec::new();
    // Which entries of `out` are whole branches, and so may take more values.
    let mut whole: Vec<bool> = Vec::new();
    for mut part in parts {
        let single = match part.as_slice() {
            [p] => {
                p.selector.is_none()
                    && matches!(
                        p.kind,
                        PredicateKind::Eq
                            | PredicateKind::Like
                            | PredicateKind::RegexMatch
                            | PredicateKind::Wildcard
                            | PredicateKind::In
                    )
            }
            _ => false,
        };
        if !single {
            whole.extend(part.iter().map(|_| false));
            out.extend(part);
            continue;
        }
        let Some(p) = part.pop() else { continue };
        let same = out.iter().zip(&whole).position(|(m, &w)| {
            w && m.field == p.field
                && m.kind == p.kind
                && m.negated == p.negated
                && m.case_sensitive == p.case_sensitive
        });
        match same {
            Some(i) => {
                out[i].values.extend(p.values);
                out[i].span = out[i].span.to(p.span);
            }
            None => {
                out.push(p);
                whole.push(true);
            }
        }
    }
    out
}

fn comparison(op: &BinaryOperator) -> Option<PredicateKind> {
    Some(match op {
        BinaryOperator::Eq => PredicateKind::Eq,
        BinaryOperator::NotEq => PredicateKind::Ne,
        BinaryOperator::Lt => PredicateKind::Lt,
        BinaryOperator::LtEq => PredicateKind::Le,
        BinaryOperator::Gt => PredicateKind::Gt,
        BinaryOperator::GtEq => PredicateKind::Ge,
        _ => return None,
    })
}

/// The operands of a tree of binary operators, in source order, without recursion: sqlparser
/// builds `a and b and …` or `1 + 1 + …` as a tree as deep as the chain is long.
fn binary_leaves(expr: &Expr) -> Vec<&Expr> {
    let mut out = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::BinaryOp { left, right, .. } => {
                stack.push(right);
                stack.push(left);
            }
            _ => out.push(e),
        }
    }
    out
}

/// An expression's span; sqlparser's own `span()` recurses down binary operators, which
/// overflows the stack on a long chain.
fn expr_span(expr: &Expr) -> SqlSpan {
    binary_leaves(expr)
        .into_iter()
        .map(Spanned::span)
        .reduce(|a, b| a.union(&b))
        .unwrap_or(SqlSpan::empty())
}

fn strip_nested(mut expr: &Expr) -> &Expr {
    while let Expr::Nested(inner) = expr {
        expr = inner;
    }
    expr
}

/// The operands of a chain of one operator, in source order, through parentheses; without
/// recursion, since sqlparser builds long chains as deep left-leaning trees.
fn flatten<'e>(expr: &'e Expr, op: &BinaryOperator) -> Vec<&'e Expr> {
    let mut out = Vec::new();
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match strip_nested(e) {
            Expr::BinaryOp { left, op: o, right } if o == op => {
                stack.push(right);
                stack.push(left);
            }
            _ => out.push(e),
        }
    }
    out
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn abbreviate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_owned(),
    }
}
