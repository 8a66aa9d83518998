//! The analysis of one rule on its own: everything but what depends on the rest of the
//! corpus (shared counts, variants, similar rules), which `corpus` fills in.

use rulescope_model::analysis::{PredicateKind, QueryModel};
use rulescope_model::{Diagnostic, Located, LogicFormat, Rule};
use rulescope_reference::enrich;

use crate::Reference;
use crate::normalize;
use crate::report::{
    IndicatorRow, IndicatorValue, MacroRow, Reference as ReferenceLink, RuleAnalysis,
    SearchTermRow, Shared, StageRow,
};
use crate::sources;

/// Runs the front end for the rule's language.
pub fn query_model(rule: &Rule) -> QueryModel {
    match &rule.logic_format {
        LogicFormat::Splunk => crate::spl::analyze(&rule.logic),
        LogicFormat::Snowflake => rulescope_sql::parse(&rule.logic).model,
        LogicFormat::Other(name) => QueryModel {
            diagnostics: vec![Diagnostic::new(
                rulescope_model::Severity::Note,
                "unsupported-logic-format",
                format!(
                    "rulescope does not parse `{name}` queries yet; the rule is listed without query analysis"
                ),
            )],
            ..QueryModel::default()
        },
    }
}

/// Analyses one rule; `key` is its unique, URL-safe key in the corpus.
pub fn analyze(rule: &Rule, key: String, reference: &Reference) -> (RuleAnalysis, Needles) {
    let mut model = query_model(rule);
    let sources = sources::classify(rule, &mut model, &reference.events);
    let coverage = reference.attack.coverage(rule);
    let logic = rule.logic.as_str();
    let origin = rule.source.path.display().to_string();

    let stages = model
        .stages
        .iter()
        .map(|stage| StageRow {
            index: stage.index,
            command: stage.command.clone(),
            role: stage.role,
            text: stage.span.slice(logic).trim().to_owned(),
            span: stage.span,
        })
        .collect();

    let mut needles = Needles::default();
    let indicators: Vec<IndicatorRow> = model
        .predicates
        .iter()
        .filter(|p| p.selector.is_none())
        .map(|p| {
            let values = indicator_values(&p.field, p.kind, &p.values, p.negated, p.case_sensitive);
            for value in &values {
                needles.add(&value.needles);
            }
            IndicatorRow {
                stage: p.stage,
                field: p.field.clone(),
                kind: p.kind,
                negated: p.negated,
                case_sensitive: p.case_sensitive,
                derived_from: p.derived_from.clone(),
                values,
                span: p.span,
            }
        })
        .collect();

    let search_terms: Vec<SearchTermRow> = model
        .search_terms
        .iter()
        .zip(&sources.term_selectors)
        .map(|(term, selector)| {
            let normalized = term_key(&term.text, term.negated);
            if selector.is_none() && !term.negated {
                needles.add(&normalized.needles);
            }
            SearchTermRow {
                stage: term.stage,
                term: term.text.clone(),
                indexed: term.indexed,
                negated: term.negated,
                selector: *selector,
                key: normalized.key,
                shared: Shared::default(),
                span: term.span,
            }
        })
        .collect();

    let macros = model
        .macros
        .iter()
        .map(|m| MacroRow {
            stage: m.stage,
            name: m.name.clone(),
            args: m.args.clone(),
        })
        .collect();

    let mut fields: Vec<String> = model
        .predicates
        .iter()
        .flat_map(|p| std::iter::once(&p.field).chain(&p.derived_from))
        .filter(|f| f.as_str() != "_raw")
        .cloned()
        .collect();
    fields.sort();
    fields.dedup();

    let mut diagnostics: Vec<Located> = model
        .diagnostics
        .into_iter()
        .map(|d| d.locate(format!("{origin} (logic)"), logic))
        .collect();
    diagnostics.extend(
        coverage
            .diagnostics
            .into_iter()
            .map(|d| d.locate(origin.clone(), &rule.source.text)),
    );

    let data_source = sources.data_source;
    let analysis = RuleAnalysis {
        key,
        id: rule.id.clone(),
        use_case: rule.use_case.clone(),
        title: rule.title.clone(),
        display_title: format!("{} ({})", rule.title, data_source.label),
        logic_format: rule.logic_format.clone(),
        path: rule.source.relative_path.clone(),
        description: rule.description.clone(),
        enrichment: enrich(&rule.description),
        data_source,
        data_categories: rule.data_categories.clone(),
        attack: coverage.rows,
        events: sources.events,
        references: rule.references.iter().map(|r| reference_link(r)).collect(),
        logic: rule.logic.clone(),
        raw: rule.source.text.to_string(),
        stages,
        indicators,
        selectors: sources.selectors,
        search_terms,
        macros,
        fields,
        variants: Vec::new(),
        similar: Vec::new(),
        diagnostics,
    };
    (analysis, needles)
}

fn indicator_values(
    field: &str,
    kind: PredicateKind,
    values: &[String],
    negated: bool,
    case_sensitive: bool,
) -> Vec<IndicatorValue> {
    if values.is_empty() {
        let normalized = normalize::value(field, kind, "", negated, case_sensitive);
        return vec![IndicatorValue {
            value: String::new(),
            key: normalized.key,
            needles: normalized.needles,
            shared: Shared::default(),
        }];
    }
    values
        .iter()
        .map(|value| {
            let normalized = normalize::value(field, kind, value, negated, case_sensitive);
            IndicatorValue {
                value: value.clone(),
                key: normalized.key,
                // A negated value is what the rule excludes, not what it looks for.
                needles: if negated {
                    Vec::new()
                } else {
                    normalized.needles
                },
                shared: Shared::default(),
            }
        })
        .collect()
}

/// The normalised key of a raw-text search term: words, phrases and TERM() all match the
/// raw text, so they count together.
pub fn term_key(text: &str, negated: bool) -> normalize::Normalized {
    normalize::value("_raw", PredicateKind::RawContains, text, negated, false)
}

/// Only http(s) references become links: anything else (`javascript:`, a bare host) is text.
fn reference_link(text: &str) -> ReferenceLink {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    let linkable = (lower.starts_with("https://") || lower.starts_with("http://"))
        && !trimmed.contains(char::is_whitespace);
    ReferenceLink {
        text: trimmed.to_owned(),
        url: linkable.then(|| trimmed.to_owned()),
    }
}

/// The needles a rule looks for, deduplicated and in order of first appearance.
#[derive(Clone, Debug, Default)]
pub struct Needles(pub Vec<String>);

impl Needles {
    fn add(&mut self, needles: &[String]) {
        for needle in needles {
            if !self.0.contains(needle) {
                self.0.push(needle.clone());
            }
        }
    }
}
