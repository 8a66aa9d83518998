//! Lint checks for detection rules: what in a rule will surprise its author or never match.
//!
//! # API
//!
//! - [`lint_rule`]`(&Rule, &LintContext) -> Vec<Finding>`: the per-rule checks (parse
//!   diagnostics, search-language pitfalls, data flow, field names, regexes, raw-XML event
//!   phrases, metadata).
//! - [`lint_corpus`]`(&[Rule], &LintContext) -> Vec<Finding>`: every rule's findings plus
//!   the corpus checks (duplicate ids), sorted by file and position.
//! - [`to_sarif`]`(&[Finding], &SarifOptions) -> serde_json::Value`: SARIF 2.1.0 for code
//!   scanning.
//! - [`Config`] (TOML) enables, disables and re-levels checks per code and per path glob;
//!   [`FieldTable`] says which fields each data source produces; [`CHECKS`] lists the
//!   checks with their default levels.
//!
//! Every finding carries its span in the query and, through [`LogicMap`], its position in
//! the YAML file the rule came from, so a caret lands on the right character even in a
//! folded, `''`-escaped single-quoted scalar.

mod checks;
mod config;
mod fields;
mod finding;
mod logic_map;
mod regex_shape;
mod sarif;

pub use checks::{CHECKS, CheckInfo, check_info};
pub use config::{Config, ConfigError, LevelSetting};
pub use fields::{FieldTable, SourceFields};
pub use finding::{Edit, FileLocation, Finding, Fix};
pub use logic_map::LogicMap;
pub use rulescope_model::Severity as Level;
pub use sarif::{SarifOptions, to_sarif};

use rayon::prelude::*;
use rulescope_model::Rule;
use rulescope_reference::{AttackCatalog, EventCatalog, EventFields};

/// What the checks consult: ATT&CK, Windows events and their fields, the field table and
/// the configuration.
#[derive(Clone, Debug)]
pub struct LintContext {
    pub attack: AttackCatalog,
    pub events: EventCatalog,
    pub event_fields: EventFields,
    pub fields: FieldTable,
    pub config: Config,
}

impl Default for LintContext {
    fn default() -> Self {
        Self {
            attack: AttackCatalog::builtin(),
            events: EventCatalog::builtin(),
            event_fields: EventFields::builtin(),
            fields: FieldTable::builtin(),
            config: Config::default(),
        }
    }
}

/// The findings of the per-rule checks on one rule, levels and switches from the
/// configuration applied, in query order.
pub fn lint_rule(rule: &Rule, context: &LintContext) -> Vec<Finding> {
    let hits = checks::rule_hits(rule, context);
    if hits.is_empty() {
        return Vec::new();
    }
    let map = LogicMap::new(rule);
    let mut findings: Vec<Finding> = hits
        .into_iter()
        .filter_map(|hit| finding::place(hit, rule, &map, &context.config))
        .collect();
    findings.sort_by_key(Finding::sort_key);
    findings
}

/// Lints every rule (in parallel) and runs the corpus checks; findings sorted by file,
/// then position.
pub fn lint_corpus(rules: &[Rule], context: &LintContext) -> Vec<Finding> {
    let mut findings: Vec<Finding> = rules
        .par_iter()
        .flat_map_iter(|r| lint_rule(r, context))
        .collect();
    for (rule, hit) in checks::corpus_hits(rules) {
        let map = LogicMap::new(rule);
        findings.extend(finding::place(hit, rule, &map, &context.config));
    }
    findings.sort_by(|a, b| (a.path.as_str(), a.sort_key()).cmp(&(b.path.as_str(), b.sort_key())));
    findings
}
