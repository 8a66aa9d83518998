//! The SPL front end of the analysis: an SPL syntax tree → the language-neutral
//! [`QueryModel`] (stages with roles, predicates, search terms, macros).
//!
//! Semantics that matter here: search-language values match case-insensitively with `*`
//! wildcards; eval/where comparisons are case-sensitive; `match()` and `regex` are PCRE and
//! case-sensitive unless the regex says `(?i)`. A field computed by `eval`, `rename` or `rex`
//! is traced back to the fields it came from.

use std::collections::HashMap;

use rulescope_model::Span;
use rulescope_model::analysis::{
    MacroCall, Predicate, PredicateKind, QueryModel, SearchTerm, Stage, StageRole,
};
use rulescope_spl as spl;
use rulescope_spl::{BinaryOp, Command, Expr, IndexedKind, SearchExpr, UnaryOp};

/// Parses `query` and maps it into the model; parse diagnostics travel along.
pub fn analyze(query: &str) -> QueryModel {
    analyze_parsed(&spl::parse(query))
}

/// Maps an already parsed query into the model, for callers that keep the tree too.
pub fn analyze_parsed(parsed: &spl::Parsed) -> QueryModel {
    let mut builder = Builder::default();
    let stage_count = parsed.pipeline.stages.len();
    for (index, stage) in parsed.pipeline.stages.iter().enumerate() {
        builder.stage(index, stage, index + 1 == stage_count);
    }
    let mut model = builder.model;
    for call in spl::macro_calls(&parsed.pipeline) {
        let stage = model
            .stages
            .iter()
            .position(|s| s.span.start <= call.span.start && call.span.end <= s.span.end)
            .unwrap_or(0);
        model.macros.push(MacroCall {
            stage,
            name: call.name.clone(),
            args: call.args.iter().flatten().map(|a| a.text.clone()).collect(),
            span: call.span,
        });
    }
    model.diagnostics = parsed.diagnostics.clone();
    model
}

#[derive(Default)]
struct Builder {
    model: QueryModel,
    /// Field → the fields it was computed from by an earlier stage.
    origins: HashMap<String, Vec<String>>,
}

/// The role of a stage by its command.
fn role(index: usize, command: &Command, last: bool) -> StageRole {
    let name = command.name();
    match command {
        Command::Search(_) if index == 0 => StageRole::DataSource,
        Command::Search(_) | Command::Where(_) | Command::Regex(_) => StageRole::Filter,
        Command::Tstats(_) | Command::Inputlookup(_) => StageRole::DataSource,
        Command::Stats(_) | Command::Bin(_) => StageRole::Aggregate,
        Command::Macro(_) if index == 0 => StageRole::DataSource,
        Command::Macro(_) if last => StageRole::Output,
        _ => match name.as_str() {
            "makeresults" | "datamodel" | "from" | "metadata" | "rest" => StageRole::DataSource,
            "dedup" | "head" | "tail" | "sort" | "uniq" => StageRole::Filter,
            "top" | "rare" | "transaction" | "chart" | "timechart" => StageRole::Aggregate,
            "collect" | "outputlookup" | "outputcsv" | "sendemail" | "sendalert" => {
                StageRole::Output
            }
            _ => StageRole::Transform,
        },
    }
}

impl Builder {
    fn stage(&mut self, index: usize, stage: &spl::Stage, last: bool) {
        self.model.stages.push(Stage {
            index,
            command: stage.command.name(),
            role: role(index, &stage.command, last),
            span: stage.span,
        });
        match &stage.command {
            Command::Search(search) => {
                if let Some(expr) = &search.expr {
                    self.search(index, expr, false);
                }
            }
            Command::Tstats(tstats) => {
                if let Some(expr) = &tstats.where_ {
                    self.search(index, expr, false);
                }
            }
            Command::Inputlookup(lookup) => {
                if let Some(expr) = &lookup.where_ {
                    self.search(index, expr, false);
                }
            }
            Command::Where(command) => self.condition(index, &command.expr, false),
            Command::Regex(regex) => {
                let field = regex
                    .field
                    .as_ref()
                    .map_or_else(|| "_raw".to_owned(), |f| f.name.clone());
                let pattern = regex
                    .pattern
                    .quoted_value()
                    .unwrap_or_else(|| regex.pattern.raw.clone());
                let case_sensitive = !is_case_insensitive_regex(&pattern);
                self.push(Predicate {
                    stage: index,
                    derived_from: self.origin(&field),
                    field,
                    kind: PredicateKind::RegexMatch,
                    values: vec![pattern],
                    negated: regex.negated,
                    case_sensitive,
                    span: stage.span,
                    selector: None,
                });
            }
            Command::Eval(eval) => {
                for assignment in &eval.assignments {
                    let mut sources = Vec::new();
                    fields_of(&assignment.value, &mut sources);
                    self.derive(&assignment.field.name, sources);
                }
            }
            Command::Rename(rename) => {
                for pair in &rename.pairs {
                    self.derive(&pair.to.name, vec![pair.from.name.clone()]);
                }
            }
            Command::Rex(rex) => {
                let source = rex
                    .options
                    .iter()
                    .find_map(|o| match o {
                        spl::CmdOption::Pair { key, value, .. }
                            if key.text.eq_ignore_ascii_case("field") =>
                        {
                            Some(value.text())
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| "_raw".to_owned());
                for name in capture_names(&rex.pattern.raw) {
                    self.derive(&name, vec![source.clone()]);
                }
            }
            _ => {}
        }
    }

    /// Records that `field` was computed from `sources`, resolving the sources' own origins.
    fn derive(&mut self, field: &str, sources: Vec<String>) {
        let mut chain = Vec::new();
        for source in sources {
            if source == field {
                continue;
            }
            let deeper = self.origin(&source);
            if !chain.contains(&source) {
                chain.push(source);
            }
            for d in deeper {
                if !chain.contains(&d) {
                    chain.push(d);
                }
            }
        }
        self.origins.insert(field.to_owned(), chain);
    }

    fn origin(&self, field: &str) -> Vec<String> {
        self.origins.get(field).cloned().unwrap_or_default()
    }

    fn push(&mut self, predicate: Predicate) {
        self.model.predicates.push(predicate);
    }

    /// A search-language expression: field comparisons become predicates, words and phrases
    /// search terms.
    fn search(&mut self, stage: usize, expr: &SearchExpr, negated: bool) {
        match expr {
            SearchExpr::And(items, _) => {
                for item in items {
                    self.search(stage, item, negated);
                }
            }
            SearchExpr::Or(items, _) => self.search_alternatives(stage, items, negated),
            SearchExpr::Not(inner, _) => self.search(stage, inner, !negated),
            SearchExpr::Group(inner, _) => self.search(stage, inner, negated),
            SearchExpr::Term(word) => self.term(stage, &word.text, false, negated, word.span),
            SearchExpr::Phrase(phrase) => {
                self.term(stage, &phrase.value(), false, negated, phrase.span);
            }
            SearchExpr::Indexed { kind, text, span } => {
                let inner = unquote(text);
                let indexed = matches!(kind, IndexedKind::Term | IndexedKind::Prefix);
                self.term(stage, &inner, indexed, negated, *span);
                // TERM(field=value) is also a comparison on that field.
                if let Some((field, value)) = inner.split_once('=')
                    && is_field_name(field)
                {
                    let kind = match kind {
                        IndexedKind::Prefix => PredicateKind::Prefix,
                        IndexedKind::Term | IndexedKind::Case => PredicateKind::Term,
                    };
                    self.push(Predicate {
                        stage,
                        field: field.to_owned(),
                        kind,
                        values: vec![unquote(value)],
                        negated,
                        case_sensitive: matches!(kind, PredicateKind::Term)
                            && text.starts_with("CASE"),
                        span: *span,
                        derived_from: self.origin(field),
                        selector: None,
                    });
                }
            }
            SearchExpr::Compare {
                field,
                op,
                value,
                span,
            } => {
                let value_text = value.text();
                let kind = match op {
                    spl::CompareOp::Eq if value_text == "*" => PredicateKind::Exists,
                    spl::CompareOp::Eq if value_text.contains('*') => PredicateKind::Wildcard,
                    spl::CompareOp::Eq => PredicateKind::Eq,
                    spl::CompareOp::Ne if value_text == "*" => PredicateKind::NotExists,
                    spl::CompareOp::Ne => PredicateKind::Ne,
                    spl::CompareOp::Lt => PredicateKind::Lt,
                    spl::CompareOp::Le => PredicateKind::Le,
                    spl::CompareOp::Gt => PredicateKind::Gt,
                    spl::CompareOp::Ge => PredicateKind::Ge,
                };
                let values = if matches!(kind, PredicateKind::Exists | PredicateKind::NotExists) {
                    Vec::new()
                } else {
                    vec![value_text]
                };
                self.push(Predicate {
                    stage,
                    derived_from: self.origin(&field.name),
                    field: field.name.clone(),
                    kind,
                    values,
                    negated,
                    case_sensitive: false,
                    span: *span,
                    selector: None,
                });
            }
            SearchExpr::In {
                field,
                values,
                span,
            } => {
                self.push(Predicate {
                    stage,
                    derived_from: self.origin(&field.name),
                    field: field.name.clone(),
                    kind: PredicateKind::In,
                    values: values.iter().map(spl::Value::text).collect(),
                    negated,
                    case_sensitive: false,
                    span: *span,
                    selector: None,
                });
            }
            SearchExpr::Macro(_) => {}
            SearchExpr::Subsearch(sub) => {
                for inner in &sub.pipeline.stages {
                    if let Command::Search(search) = &inner.command
                        && let Some(expr) = &search.expr
                    {
                        self.search(stage, expr, negated);
                    }
                }
            }
        }
    }

    /// OR-ed alternatives: comparisons of one field with one kind become one predicate with
    /// several values, as the page shows them.
    fn search_alternatives(&mut self, stage: usize, items: &[SearchExpr], negated: bool) {
        let first = self.model.predicates.len();
        for item in items {
            self.search(stage, item, negated);
        }
        merge_alternatives(&mut self.model.predicates, first);
    }

    fn term(&mut self, stage: usize, text: &str, indexed: bool, negated: bool, span: Span) {
        self.model.search_terms.push(SearchTerm {
            stage,
            text: text.to_owned(),
            indexed,
            negated,
            span,
        });
    }

    /// An eval/where condition.
    fn condition(&mut self, stage: usize, expr: &Expr, negated: bool) {
        match expr {
            Expr::Binary {
                op: BinaryOp::And,
                lhs,
                rhs,
                ..
            } => {
                self.condition(stage, lhs, negated);
                self.condition(stage, rhs, negated);
            }
            Expr::Binary {
                op: BinaryOp::Or | BinaryOp::Xor,
                lhs,
                rhs,
                ..
            } => {
                let first = self.model.predicates.len();
                self.condition(stage, lhs, negated);
                self.condition(stage, rhs, negated);
                merge_alternatives(&mut self.model.predicates, first);
            }
            Expr::Unary {
                op: UnaryOp::Not | UnaryOp::Bang,
                expr,
                ..
            } => self.condition(stage, expr, !negated),
            Expr::Paren(inner, _) => self.condition(stage, inner, negated),
            Expr::Call { name, args, span } => self.call(stage, &name.text, args, negated, *span),
            Expr::Binary { op, lhs, rhs, span } => {
                if let Some(kind) = comparison_kind(*op) {
                    self.comparison(stage, kind, lhs, rhs, negated, *span);
                }
            }
            Expr::In { expr, list, span } => {
                if let Some((field, case_sensitive)) = field_of(expr) {
                    let values = list.iter().filter_map(literal).collect();
                    self.push(Predicate {
                        stage,
                        derived_from: self.origin(&field),
                        field,
                        kind: PredicateKind::In,
                        values,
                        negated,
                        case_sensitive,
                        span: *span,
                        selector: None,
                    });
                }
            }
            _ => {}
        }
    }

    fn call(&mut self, stage: usize, name: &str, args: &[Expr], negated: bool, span: Span) {
        let name = name.to_ascii_lowercase();
        let (kind, field_arg, value_arg) = match name.as_str() {
            "match" => (PredicateKind::Match, 0, Some(1)),
            "like" => (PredicateKind::Like, 0, Some(1)),
            "cidrmatch" => (PredicateKind::Cidr, 1, Some(0)),
            "isnotnull" => (PredicateKind::Exists, 0, None),
            "isnull" => (PredicateKind::NotExists, 0, None),
            _ => return,
        };
        let Some((field, folded)) = args.get(field_arg).and_then(field_of) else {
            return;
        };
        let values: Vec<String> = value_arg
            .and_then(|i| args.get(i))
            .and_then(literal)
            .into_iter()
            .collect();
        let case_sensitive = match kind {
            PredicateKind::Match => !values.first().is_some_and(|v| is_case_insensitive_regex(v)),
            PredicateKind::Like => folded,
            _ => true,
        };
        self.push(Predicate {
            stage,
            derived_from: self.origin(&field),
            field,
            kind,
            values,
            negated,
            case_sensitive,
            span,
            selector: None,
        });
    }

    fn comparison(
        &mut self,
        stage: usize,
        kind: PredicateKind,
        lhs: &Expr,
        rhs: &Expr,
        negated: bool,
        span: Span,
    ) {
        // `field op literal`, or `literal op field` with the comparison mirrored.
        let (field, value, kind) = match (field_of(lhs), literal(rhs)) {
            (Some(field), Some(value)) => (field, value, kind),
            _ => match (literal(lhs), field_of(rhs)) {
                (Some(value), Some(field)) => (field, value, kind.mirrored()),
                _ => return,
            },
        };
        let (field, case_sensitive) = field;
        self.push(Predicate {
            stage,
            derived_from: self.origin(&field),
            field,
            kind,
            values: vec![value],
            negated,
            case_sensitive,
            span,
            selector: None,
        });
    }
}

/// Merges predicates from `first` on that differ only in their values into one.
fn merge_alternatives(predicates: &mut Vec<Predicate>, first: usize) {
    let mut merged: Vec<Predicate> = Vec::new();
    for predicate in predicates.drain(first..) {
        let kind = match predicate.kind {
            PredicateKind::In => PredicateKind::Eq,
            other => other,
        };
        let same = merged.iter_mut().find(|m| {
            let m_kind = if m.kind == PredicateKind::In {
                PredicateKind::Eq
            } else {
                m.kind
            };
            m.field == predicate.field
                && m_kind == kind
                && m.negated == predicate.negated
                && m.case_sensitive == predicate.case_sensitive
                && !matches!(kind, PredicateKind::Exists | PredicateKind::NotExists)
        });
        match same {
            Some(existing) => {
                for value in predicate.values {
                    if !existing.values.contains(&value) {
                        existing.values.push(value);
                    }
                }
                existing.span = existing.span.to(predicate.span);
                if existing.kind == PredicateKind::Eq && existing.values.len() > 1 {
                    existing.kind = PredicateKind::In;
                }
            }
            None => merged.push(predicate),
        }
    }
    predicates.extend(merged);
}

fn comparison_kind(op: BinaryOp) -> Option<PredicateKind> {
    Some(match op {
        BinaryOp::Eq | BinaryOp::EqEq => PredicateKind::Eq,
        BinaryOp::Ne => PredicateKind::Ne,
        BinaryOp::Lt => PredicateKind::Lt,
        BinaryOp::Le => PredicateKind::Le,
        BinaryOp::Gt => PredicateKind::Gt,
        BinaryOp::Ge => PredicateKind::Ge,
        BinaryOp::Like => PredicateKind::Like,
        _ => return None,
    })
}

/// The field an expression reads, and whether it was case-folded (`lower(f)`, `upper(f)`),
/// which makes a comparison on it case-insensitive in effect.
fn field_of(expr: &Expr) -> Option<(String, bool)> {
    match expr {
        Expr::Field(field) => Some((field.name.clone(), true)),
        Expr::Paren(inner, _) => field_of(inner),
        Expr::Call { name, args, .. }
            if args.len() == 1
                && (name.text.eq_ignore_ascii_case("lower")
                    || name.text.eq_ignore_ascii_case("upper")) =>
        {
            field_of(&args[0]).map(|(f, _)| (f, false))
        }
        _ => None,
    }
}

/// A string or number literal's value.
fn literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Str(s) => Some(s.value()),
        Expr::Num(n) => Some(n.text.clone()),
        Expr::Paren(inner, _) => literal(inner),
        _ => None,
    }
}

/// Every field an expression reads.
fn fields_of(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Field(field) => {
            if !out.contains(&field.name) {
                out.push(field.name.clone());
            }
        }
        Expr::Call { args, .. } => args.iter().for_each(|a| fields_of(a, out)),
        Expr::Unary { expr, .. } | Expr::Paren(expr, _) => fields_of(expr, out),
        Expr::Binary { lhs, rhs, .. } => {
            fields_of(lhs, out);
            fields_of(rhs, out);
        }
        Expr::In { expr, list, .. } => {
            fields_of(expr, out);
            list.iter().for_each(|a| fields_of(a, out));
        }
        Expr::Str(_) | Expr::Num(_) | Expr::Macro(_) | Expr::Error(_) => {}
    }
}

/// Named groups `(?<name>...)` / `(?P<name>...)` of a regex, in order.
fn capture_names(pattern: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = pattern;
    while let Some(at) = rest.find("(?") {
        rest = &rest[at + 2..];
        let after = rest.strip_prefix('P').unwrap_or(rest);
        if let Some(body) = after.strip_prefix('<')
            && !body.starts_with(['=', '!'])
            && let Some(end) = body.find('>')
        {
            let name = &body[..end];
            if is_field_name(name) && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// `(?i)` at the start (possibly among other flags) makes a PCRE regex case-insensitive.
pub(crate) fn is_case_insensitive_regex(pattern: &str) -> bool {
    pattern
        .strip_prefix("(?")
        .and_then(|rest| rest.split_once(')'))
        .is_some_and(|(flags, _)| {
            let on = flags.split('-').next().unwrap_or("");
            on.contains('i') && on.chars().all(|c| c.is_ascii_alphabetic())
        })
}

fn is_field_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | '-' | ':'))
}

fn unquote(text: &str) -> String {
    let trimmed = text.trim();
    trimmed
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .map_or_else(|| trimmed.to_owned(), |t| t.replace("\\\"", "\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(model: &QueryModel) -> Vec<(String, &'static str, Vec<String>, bool)> {
        model
            .predicates
            .iter()
            .map(|p| {
                (
                    p.field.clone(),
                    p.kind.as_str(),
                    p.values.clone(),
                    p.negated,
                )
            })
            .collect()
    }

    #[test]
    fn base_search_comparisons_terms_and_alternatives() {
        let model = analyze(
            r#"`m` (TERM(EventCode=4688) OR "<EventID>4688<") process_name="cmd.exe" (process="*whoami*" OR process="*net user*") NOT user=SYSTEM host IN (a, b) x=*"#,
        );
        assert_eq!(model.stages.len(), 1);
        assert_eq!(model.stages[0].role, StageRole::DataSource);
        assert_eq!(model.macros[0].name, "m");
        let terms: Vec<(&str, bool)> = model
            .search_terms
            .iter()
            .map(|t| (t.text.as_str(), t.indexed))
            .collect();
        assert_eq!(terms, [("EventCode=4688", true), ("<EventID>4688<", false)]);
        assert_eq!(
            kinds(&model),
            [
                ("EventCode".into(), "term", vec!["4688".into()], false),
                ("process_name".into(), "eq", vec!["cmd.exe".into()], false),
                (
                    "process".into(),
                    "wildcard",
                    vec!["*whoami*".into(), "*net user*".into()],
                    false
                ),
                ("user".into(), "eq", vec!["SYSTEM".into()], true),
                ("host".into(), "in", vec!["a".into(), "b".into()], false),
                ("x".into(), "exists", vec![], false),
            ]
        );
    }

    #[test]
    fn where_conditions_and_derived_fields() {
        let model = analyze(
            r#"x | eval file_name=Relative_Target_Name | rename file_name as f | where match(f, "(?i)psexec") or match(f, "\w{8}\.exe") and NOT isnull(user) and lower(cmd)="a" | regex _raw!="abc""#,
        );
        let roles: Vec<StageRole> = model.stages.iter().map(|s| s.role).collect();
        assert_eq!(
            roles,
            [
                StageRole::DataSource,
                StageRole::Transform,
                StageRole::Transform,
                StageRole::Filter,
                StageRole::Filter
            ]
        );
        let p = &model.predicates;
        assert_eq!(p[0].field, "f");
        assert_eq!(p[0].kind, PredicateKind::Match);
        assert_eq!(p[0].derived_from, ["file_name", "Relative_Target_Name"]);
        assert!(!p[0].case_sensitive);
        // `and` binds tighter than `or`: the second match stands with the isnull and lower().
        assert_eq!(p[1].values, [r"\w{8}\.exe"]);
        assert!(p[1].case_sensitive);
        assert_eq!((p[2].kind, p[2].negated), (PredicateKind::NotExists, true));
        assert_eq!((p[3].field.as_str(), p[3].case_sensitive), ("cmd", false));
        assert_eq!((p[4].kind, p[4].negated), (PredicateKind::RegexMatch, true));
    }

    #[test]
    fn rex_named_groups_are_traced_to_their_source_field() {
        let model =
            analyze(r#"x | rex field=CommandLine "(?<exe>[^ ]+) (?P<arg>.*)" | where exe="a""#);
        assert_eq!(model.predicates[0].derived_from, ["CommandLine"]);
        assert_eq!(capture_names("(?<a>x)(?<=y)(?P<b>z)"), ["a", "b"]);
    }

    #[test]
    fn regex_flags() {
        assert!(is_case_insensitive_regex("(?i)abc"));
        assert!(is_case_insensitive_regex("(?si)abc"));
        assert!(!is_case_insensitive_regex("(?<name>x)"));
        assert!(!is_case_insensitive_regex("abc(?i)"));
    }
}
