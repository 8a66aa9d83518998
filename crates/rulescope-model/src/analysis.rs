//! The language-neutral analysis model: what a query does, stage by stage, and what it
//! looks for. Every front end (SPL, Snowflake SQL, ...) produces a [`QueryModel`]; the
//! analysis crate normalises it into indicators, selectors and corpus-wide indexes.

use serde::Serialize;

use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// What one pipeline stage does to the event stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageRole {
    /// Reads events from storage: the base search, `tstats`, `FROM table`.
    DataSource,
    /// Keeps or drops events without changing them: `where`, `regex`, `search`, `WHERE`.
    Filter,
    /// Adds, removes or renames fields of each event: `eval`, `rex`, `rename`, `table`.
    Transform,
    /// Turns events into rows of aggregates: `stats`, `bin`, `GROUP BY`.
    Aggregate,
    /// Sends results elsewhere or shapes them for output: `collect`, `outputlookup`.
    Output,
}

/// One stage of a query's pipeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// 0-based position in the pipeline.
    pub index: usize,
    /// The command name as written (`search` for an implicit base search; `select` for SQL).
    pub command: String,
    pub role: StageRole,
    /// The stage's text in the query.
    pub span: Span,
}

/// How a predicate compares a field with its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PredicateKind {
    Eq,
    Ne,
    /// A value with `*` wildcards (SPL), matched case-insensitively.
    Wildcard,
    /// A SQL `LIKE` / `ILIKE` pattern or SPL `like()`, with `%` and `_`.
    Like,
    /// The `regex` command, `REGEXP_LIKE`, `RLIKE`.
    RegexMatch,
    /// eval/where `match(field, regex)`.
    Match,
    In,
    Cidr,
    Lt,
    Le,
    Gt,
    Ge,
    Exists,
    NotExists,
    /// `TERM(x)`: an indexed term that must appear whole in the raw text.
    Term,
    /// `PREFIX(x)`: an indexed term prefix.
    Prefix,
    /// A bare word or phrase searched in `_raw`.
    RawContains,
}

impl PredicateKind {
    /// The comparison with its operands swapped: `1 < a` is `a > 1`.
    pub fn mirrored(self) -> Self {
        match self {
            PredicateKind::Lt => PredicateKind::Gt,
            PredicateKind::Le => PredicateKind::Ge,
            PredicateKind::Gt => PredicateKind::Lt,
            PredicateKind::Ge => PredicateKind::Le,
            other => other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PredicateKind::Eq => "eq",
            PredicateKind::Ne => "ne",
            PredicateKind::Wildcard => "wildcard",
            PredicateKind::Like => "like",
            PredicateKind::RegexMatch => "regex_match",
            PredicateKind::Match => "match",
            PredicateKind::In => "in",
            PredicateKind::Cidr => "cidr",
            PredicateKind::Lt => "lt",
            PredicateKind::Le => "le",
            PredicateKind::Gt => "gt",
            PredicateKind::Ge => "ge",
            PredicateKind::Exists => "exists",
            PredicateKind::NotExists => "not_exists",
            PredicateKind::Term => "term",
            PredicateKind::Prefix => "prefix",
            PredicateKind::RawContains => "raw_contains",
        }
    }
}

/// One comparison the query makes: `field kind values`.
///
/// Values joined by OR on one field with one kind form one predicate with several values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Predicate {
    /// Index of the stage it belongs to.
    pub stage: usize,
    /// The field as the stage names it; `_raw` for raw-text terms.
    pub field: String,
    pub kind: PredicateKind,
    /// Values as written, unquoted and unescaped (a regex stays a regex).
    pub values: Vec<String>,
    pub negated: bool,
    pub case_sensitive: bool,
    pub span: Span,
    /// Set when the predicate picks the data to search rather than describing the threat;
    /// front ends set what they know (a SQL time window), the analysis classifies the rest.
    pub selector: Option<SelectorKind>,
    /// The fields this one was computed from by earlier stages (`eval x=y`, `rename y as x`),
    /// nearest first; empty when the field comes straight from the data.
    pub derived_from: Vec<String>,
}

/// What a data-source selector selects. Selectors are kept apart from indicators: they
/// say where a rule looks, not what it looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectorKind {
    /// A Windows event id (`EventCode=4688`, `"<EventID>4688<"`, `match(signature_id, "4688")`).
    EventCode,
    Index,
    Sourcetype,
    Source,
    /// An EDR record type (`Type=Process`, `TERM(ProcessRollup2)`, `event_type IN (...)`).
    EdrEventType,
    /// The time range a query searches (`event_time > dateadd(hour, -2, sysdate())`).
    TimeWindow,
}

/// A bare word or phrase in a search, matched against the raw event text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SearchTerm {
    pub stage: usize,
    /// The term as Splunk matches it: a phrase without its quotes, `EventCode=4688` for
    /// `TERM(EventCode=4688)`.
    pub text: String,
    /// Written as `TERM(...)` or `PREFIX(...)`: matched against whole indexed tokens.
    pub indexed: bool,
    pub negated: bool,
    pub span: Span,
}

/// A macro the query calls, with its arguments as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MacroCall {
    pub stage: usize,
    pub name: String,
    pub args: Vec<String>,
    pub span: Span,
}

/// A table or view a SQL query reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableRef {
    pub stage: usize,
    /// The name as written, dotted parts kept (`snowflake.account_usage.query_history`).
    pub name: String,
    pub span: Span,
}

/// What a front end extracts from one query: the raw material of every analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueryModel {
    pub stages: Vec<Stage>,
    pub predicates: Vec<Predicate>,
    pub search_terms: Vec<SearchTerm>,
    pub macros: Vec<MacroCall>,
    pub tables: Vec<TableRef>,
    /// Parse diagnostics, with spans into the query text.
    pub diagnostics: Vec<Diagnostic>,
}
