//! What the analysis of a corpus produces: one [`RuleAnalysis`] per rule (everything a rule
//! page shows) and the corpus-wide indexes. These types are the contract with every
//! renderer (site, JSON export, Markdown, `show`): they serialise to the documented JSON.

use rulescope_model::analysis::{PredicateKind, SelectorKind, StageRole};
use rulescope_model::{Located, LogicFormat, Span};
pub use rulescope_reference::CoverageRow;
pub use rulescope_reference::attack::CatalogSource;
pub use rulescope_reference::enrich::{AtomicTest, Attribution, Enrichment, LivingOffTheLand};
use serde::Serialize;

/// The analysis of one rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleAnalysis {
    /// Unique in the corpus and URL-safe: the id, with `-2`, `-3`, ... for the later files of a
    /// duplicated id (in path order).
    pub key: String,
    pub id: String,
    pub use_case: String,
    pub title: String,
    /// The title with the data source, as catalogs list variants: "Impacket PSexec (Windows Event Log)".
    pub display_title: String,
    pub logic_format: LogicFormat,
    /// The rule file's path relative to its corpus root, `/`-separated.
    pub path: String,
    /// The description as written.
    pub description: String,
    /// Threat actors, software, atomic tests, ... parsed out of the description, and its
    /// prose `summary` without those labels.
    pub enrichment: Enrichment,
    pub data_source: DataSource,
    pub data_categories: Vec<String>,
    /// ATT&CK coverage rows, grouped by tactic in kill-chain order.
    pub attack: Vec<CoverageRow>,
    pub events: Vec<EventRow>,
    pub references: Vec<Reference>,
    pub logic: String,
    /// The rule file as written.
    pub raw: String,
    pub stages: Vec<StageRow>,
    pub indicators: Vec<IndicatorRow>,
    pub selectors: Vec<SelectorRow>,
    pub search_terms: Vec<SearchTermRow>,
    pub macros: Vec<MacroRow>,
    pub fields: Vec<String>,
    pub variants: Vec<Variant>,
    pub similar: Vec<SimilarRule>,
    /// Parse, metadata and (later) lint findings, located in the query or the file.
    pub diagnostics: Vec<Located>,
}

/// The analysis of a whole corpus.
#[derive(Clone, Debug, Serialize)]
pub struct CorpusAnalysis {
    pub rules: Vec<RuleAnalysis>,
    /// Every normalised indicator, most shared (by use cases) first.
    pub indicators: Vec<IndexEntry>,
    /// Every search term that is not a selector, most shared first.
    pub search_terms: Vec<IndexEntry>,
    /// Data-source selectors (event codes, sourcetypes, EDR types, tables, macros), most used first.
    pub selectors: Vec<IndexEntry>,
    /// What loading the corpus reported.
    pub load_diagnostics: Vec<Located>,
    /// The ATT&CK the analysis used: the matrix shows its uncovered techniques too.
    pub attack: AttackSummary,
}

/// The tactics and current techniques of the ATT&CK catalog the analysis used. The
/// built-in fallback has tactics only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AttackSummary {
    pub domain: String,
    pub version: Option<String>,
    pub source: Option<CatalogSource>,
    /// In matrix order.
    pub tactics: Vec<AttackTactic>,
    /// Neither deprecated nor revoked, sorted by id.
    pub techniques: Vec<AttackTechnique>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttackTactic {
    pub id: String,
    /// `lateral-movement`, as techniques name their tactics.
    pub shortname: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttackTechnique {
    pub id: String,
    /// `Parent: Sub` for sub-techniques.
    pub name: String,
    pub parent_id: Option<String>,
    /// Tactic shortnames.
    pub tactics: Vec<String>,
    pub url: String,
}

/// One entry of a corpus index: a normalised indicator, term or selector and its rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndexEntry {
    /// The normalised key (what is compared).
    pub key: String,
    /// The field, or `_raw` for raw-text terms.
    pub field: String,
    /// Keys of the rules that have it.
    pub rules: Vec<String>,
    /// How many distinct use cases those rules belong to.
    pub use_cases: usize,
}

/// Where a rule's events come from, derived from its macros, selectors or tables.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DataSource {
    /// Stable key: `windows-event-log`, `sysmon`, `powershell`, `edr`, `linux`, `aws-cloudtrail`, ...
    pub key: String,
    /// For people: "Windows Event Log", "Sysmon", "EDR", "AWS CloudTrail", ...
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRow {
    /// "Security-Auditing"
    pub provider: String,
    pub event_id: u32,
    /// "A new process has been created." when the event catalog knows it.
    pub title: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub text: String,
    /// Only http(s) references become links; anything else is shown as text.
    pub url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StageRow {
    pub index: usize,
    pub command: String,
    pub role: StageRole,
    /// The stage's source text, as written, without the pipe before it.
    pub text: String,
    pub span: Span,
}

/// One predicate that describes the threat, with its values and corpus counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndicatorRow {
    pub stage: usize,
    pub field: String,
    pub kind: PredicateKind,
    pub negated: bool,
    pub case_sensitive: bool,
    /// Where the field came from, when an earlier stage computed it (`eval file_name=Relative_Target_Name`).
    pub derived_from: Vec<String>,
    pub values: Vec<IndicatorValue>,
    pub span: Span,
}

/// One value of an indicator, normalised for comparison, with how widely it is shared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IndicatorValue {
    /// As written (unquoted).
    pub value: String,
    /// The normalised comparison key, e.g. `process_name contains "psexec"`; equal keys count together.
    pub key: String,
    /// Literal fragments a regex or pattern requires, lower-cased; what cross-format matching uses.
    pub needles: Vec<String>,
    pub shared: Shared,
}

/// How many *other* rules and other use cases share something, and which.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Shared {
    pub other_rules: usize,
    pub other_use_cases: usize,
    /// Up to a handful of the other rules' keys (other use cases first), for the page; the
    /// index page lists all.
    pub examples: Vec<String>,
}

/// A predicate that picks the data rather than describing the threat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SelectorRow {
    pub stage: usize,
    pub kind: SelectorKind,
    pub field: String,
    /// How the field is compared (`eq`, `term`, `gt` for a time window, ...).
    pub op: PredicateKind,
    pub values: Vec<String>,
    /// The selector index's key of each value, in the order of `values`.
    pub keys: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SearchTermRow {
    pub stage: usize,
    /// As Splunk matches it: `<EventID>4688<`, or `EventCode=4688` for `TERM(EventCode=4688)`.
    pub term: String,
    pub indexed: bool,
    pub negated: bool,
    /// Set when the term selects data (an event code) rather than describing the threat.
    pub selector: Option<SelectorKind>,
    /// The key of the term in the corpus's search-term index (normalised, `NOT ` when negated).
    pub key: String,
    pub shared: Shared,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MacroRow {
    pub stage: usize,
    pub name: String,
    pub args: Vec<String>,
}

/// Another rule of the same use case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Variant {
    pub id: String,
    /// The variant's rule key, for links.
    pub key: String,
    pub display_title: String,
    pub logic_format: LogicFormat,
    pub data_source: DataSource,
    pub path: String,
    /// Needles both rules look for, only this rule, only the variant.
    pub shared: Vec<String>,
    pub only_here: Vec<String>,
    pub only_there: Vec<String>,
}

/// A rule of another use case that looks for much the same things.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimilarRule {
    pub id: String,
    /// The similar rule's key, for links.
    pub key: String,
    pub use_case: String,
    pub display_title: String,
    pub path: String,
    /// Jaccard similarity of the two rules' needle sets, 0..=1.
    pub score: f64,
    pub shared: Vec<String>,
}
