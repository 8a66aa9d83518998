//! The checks: a registry of codes with their default levels, and the passes that find
//! them. Parser and ATT&CK diagnostics keep their own codes (`spl-*`, `sql-*`,
//! `attack-*`) and levels.

mod dataflow;
mod field_names;
mod metadata;
mod regexes;
mod search;

use rulescope_analysis::sources::{Sources, classify};
use rulescope_model::analysis::QueryModel;
use rulescope_model::{LogicFormat, Rule, Severity};
use rulescope_spl::Parsed;

use crate::LintContext;
use crate::finding::{At, Hit};

/// A check rulescope defines: its code, default level and what it is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckInfo {
    pub code: &'static str,
    pub level: Severity,
    /// One line: what the check finds.
    pub summary: &'static str,
    /// Why it matters and what to do.
    pub help: &'static str,
}

const fn check(
    code: &'static str,
    level: Severity,
    summary: &'static str,
    help: &'static str,
) -> CheckInfo {
    CheckInfo {
        code,
        level,
        summary,
        help,
    }
}

use Severity::{Error, Note, Warning};

/// Every check rulescope defines, in the order the documentation lists them.
pub const CHECKS: &[CheckInfo] = &[
    check(
        "lowercase-operator",
        Warning,
        "lower-case `or`/`and`/`not` in a search, which Splunk reads as a literal word",
        "In the search command only upper-case OR, AND and NOT are operators; write them in upper case.",
    ),
    check(
        "search-or-precedence",
        Warning,
        "an unparenthesised OR next to other terms in a search: OR binds tighter than AND",
        "Splunk reads `a b OR c` as `a AND (b OR c)`; add parentheses to say which terms the OR groups.",
    ),
    check(
        "search-or-unparenthesized",
        Note,
        "an unparenthesised OR after the data-source macros and selectors of a search",
        "Splunk applies the macros and selectors to every branch, but readers and translators to SQL-like languages do not; parenthesise the OR.",
    ),
    check(
        "leading-wildcard",
        Note,
        "a search term or value that starts with `*`",
        "A leading wildcard cannot use the index's term list, so Splunk scans every event of the time range; anchor the value or move the test to a later `where`.",
    ),
    check(
        "raw-xml-qualifiers",
        Warning,
        "a raw-XML event id phrase that cannot occur because the event's EventID carries Qualifiers",
        "Classic providers write `<EventID Qualifiers='16384'>7045</EventID>`; search `\"7045</EventID>\"` or `EventCode=7045` instead.",
    ),
    check(
        "field-dropped",
        Error,
        "a field used after a stage that dropped it (table, fields, stats, rename)",
        "Keep the field in the table/fields/stats stage, or use it before that stage.",
    ),
    check(
        "eval-unused",
        Warning,
        "a field computed by eval that no later stage uses or outputs",
        "Use the field, keep it in the output, or remove the assignment.",
    ),
    check(
        "field-legacy-rendering",
        Warning,
        "a field name of the classic text rendering of Windows events in a rule reading XML-rendered events",
        "With renderXml=true the Windows add-on names EventData fields as the XML does (`RelativeTargetName`, not `Relative_Target_Name`).",
    ),
    check(
        "field-not-produced",
        Warning,
        "a field the rule's data source does not produce",
        "Check the field name against the data source's fields (the field table can be extended with a file).",
    ),
    check(
        "regex-invalid",
        Error,
        "a regex that does not compile under PCRE",
        "Splunk compiles regexes with PCRE; fix the syntax.",
    ),
    check(
        "regex-matches-empty",
        Warning,
        "a regex that matches the empty string, so it matches every value",
        "Make at least one part of the regex mandatory.",
    ),
    check(
        "regex-unanchored-length",
        Warning,
        "a character class with a counted repeat and no left anchor, which also matches inside longer runs",
        "`\\w{8}\\.exe` matches the last eight characters of any longer name too; anchor it with `\\b`, `^` or a separator.",
    ),
    check(
        "regex-catastrophic",
        Warning,
        "nested unbounded quantifiers that can backtrack catastrophically",
        "Shapes like `(a+)+`, `(.*)*` or `(\\w+\\s?)+$` take exponential time on near-misses; remove the inner or outer repeat, or make it possessive/atomic.",
    ),
    check(
        "duplicate-id",
        Warning,
        "two rule files share an id",
        "Give each rule its own id, or remove the copy.",
    ),
    check(
        "reference-no-scheme",
        Warning,
        "a reference that is not a URL because it has no scheme",
        "Prefix it with `https://`.",
    ),
    check(
        "reference-empty",
        Warning,
        "an empty reference",
        "Remove it.",
    ),
    check(
        "reference-duplicate",
        Warning,
        "a reference listed twice",
        "Remove the repeat.",
    ),
];

/// The registry entry of a code rulescope defines.
pub fn check_info(code: &str) -> Option<&'static CheckInfo> {
    CHECKS.iter().find(|c| c.code == code)
}

/// What the query checks share: the parse, the model and the data source.
pub(crate) struct Query<'r> {
    pub text: &'r str,
    /// The SPL tree, for Splunk rules.
    pub spl: Option<Parsed>,
    pub model: QueryModel,
    pub sources: Sources,
}

pub(crate) fn rule_hits(rule: &Rule, context: &LintContext) -> Vec<Hit> {
    let text = rule.logic.as_str();
    let (spl, mut model) = match rule.logic_format {
        LogicFormat::Splunk => {
            let parsed = rulescope_spl::parse(text);
            let model = rulescope_analysis::spl::analyze_parsed(&parsed);
            (Some(parsed), model)
        }
        LogicFormat::Snowflake => (None, rulescope_sql::parse(text).model),
        LogicFormat::Other(_) => (None, QueryModel::default()),
    };
    let sources = classify(rule, &mut model, &context.events);
    let query = Query {
        text,
        spl,
        model,
        sources,
    };
    let mut hits: Vec<Hit> = query
        .model
        .diagnostics
        .iter()
        .map(|d| parse_hit(d.clone(), text))
        .collect();
    if let Some(parsed) = &query.spl {
        search::check(&query, parsed, &context.events, &mut hits);
        let reads = dataflow::check(parsed, &mut hits);
        field_names::check(
            &query,
            &reads,
            &context.fields,
            &context.event_fields,
            &mut hits,
        );
    }
    regexes::check(&query, &mut hits);
    metadata::check(rule, &context.attack, &mut hits);
    hits
}

/// A parser diagnostic as a hit; glued operators get their mechanical fix.
fn parse_hit(diagnostic: rulescope_model::Diagnostic, text: &str) -> Hit {
    let at = diagnostic.span.map_or(At::Rule, At::Query);
    let glued = (diagnostic.code == "spl-glued-operator")
        .then_some(diagnostic.span)
        .flatten();
    let mut hit = Hit::from_diagnostic(diagnostic, at);
    if let Some(span) = glued {
        let word = span.slice(text);
        if let Some(op) = ["AND", "OR", "NOT", "XOR"]
            .into_iter()
            .find(|op| word.starts_with(op))
        {
            hit = hit.fix(
                format!("insert a space after `{op}`"),
                vec![(
                    rulescope_model::Span::new(span.start, span.start + op.len() as u32),
                    format!("{op} "),
                )],
            );
        }
    }
    hit
}

pub(crate) fn corpus_hits(rules: &[Rule]) -> Vec<(&Rule, Hit)> {
    metadata::duplicate_ids(rules)
}
