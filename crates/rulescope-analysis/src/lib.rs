//! Analysis: from rules to everything a detection engineer wants to know about them.
//!
//! Data flow: each rule's query goes through its language's front end ([`spl`], or the
//! `rulescope-sql` crate) into the language-neutral `QueryModel`; [`sources`] finds its
//! data source, selectors and events; [`normalize`] makes values comparable; [`rule`]
//! assembles one [`RuleAnalysis`]; [`corpus`] adds what needs the whole corpus (shared
//! counts, indexes, variants, similar rules). The output types live in [`report`].

pub mod corpus;
pub mod normalize;
pub mod report;
pub mod rule;
pub mod sources;
pub mod spl;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rulescope_load::LoadReport;
use rulescope_model::Rule;
use rulescope_reference::{AttackCatalog, EventCatalog, LoadError};

pub use report::{CorpusAnalysis, RuleAnalysis};

/// Reference data the analysis reads: ATT&CK and Windows event titles.
pub struct Reference {
    pub attack: AttackCatalog,
    pub events: EventCatalog,
}

impl Default for Reference {
    /// The built-in fallbacks: ATT&CK tactics without technique names, and the events
    /// detection content uses most.
    fn default() -> Self {
        Self {
            attack: AttackCatalog::builtin(),
            events: EventCatalog::builtin(),
        }
    }
}

impl Reference {
    /// Built-in data, replaced or extended by the files the user gives: an ATT&CK STIX
    /// bundle or compact JSON, and an event catalog CSV (merged over the built-in table).
    pub fn load(attack: Option<&Path>, events: Option<&Path>) -> Result<Self, LoadError> {
        let mut reference = Self::default();
        if let Some(path) = attack {
            reference.attack = AttackCatalog::load(path)?;
        }
        if let Some(path) = events {
            reference.events.merge(EventCatalog::load(path)?);
        }
        Ok(reference)
    }
}

/// Loads and analyses the rules under `paths` with the built-in reference data.
pub fn analyze_paths(paths: &[PathBuf]) -> CorpusAnalysis {
    analyze(rulescope_load::load_paths(paths), &Reference::default())
}

/// Analyses loaded rules.
pub fn analyze(load: LoadReport, reference: &Reference) -> CorpusAnalysis {
    let keys = rule_keys(&load.rules);
    // Rules are independent until the corpus pass: analyse them on all cores.
    let (mut rules, needles): (Vec<RuleAnalysis>, Vec<rule::Needles>) = load
        .rules
        .par_iter()
        .zip(keys)
        .map(|(r, key)| rule::analyze(r, key, reference))
        .unzip();
    let indexes = corpus::link(&mut rules, &needles);
    CorpusAnalysis {
        rules,
        indicators: indexes.indicators,
        search_terms: indexes.search_terms,
        selectors: indexes.selectors,
        load_diagnostics: load.diagnostics,
        attack: attack_summary(&reference.attack),
    }
}

fn attack_summary(catalog: &AttackCatalog) -> report::AttackSummary {
    let mut techniques: Vec<report::AttackTechnique> = catalog
        .techniques()
        .iter()
        .filter(|t| !t.deprecated && !t.revoked)
        .map(|t| report::AttackTechnique {
            id: t.id.clone(),
            name: t.display_name.clone(),
            parent_id: t.parent_id.clone(),
            tactics: t.tactics.clone(),
            url: t.url.clone(),
        })
        .collect();
    techniques.sort_by(|a, b| a.id.cmp(&b.id));
    report::AttackSummary {
        domain: catalog.domain().to_owned(),
        version: catalog.version().map(str::to_owned),
        source: Some(catalog.source().clone()),
        tactics: catalog
            .tactics()
            .iter()
            .map(|t| report::AttackTactic {
                id: t.id.clone(),
                shortname: t.shortname.clone(),
                name: t.name.clone(),
            })
            .collect(),
        techniques,
    }
}

/// A unique, URL-safe key per rule: its id, with `-2`, `-3`, ... for later files that
/// repeat an id. Characters outside `[A-Za-z0-9._-]` become `_`.
fn rule_keys(rules: &[Rule]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    rules
        .iter()
        .map(|rule| {
            let base: String = rule
                .id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let count = seen.entry(base.clone()).or_default();
            *count += 1;
            if *count == 1 {
                base
            } else {
                format!("{base}-{count}")
            }
        })
        .collect()
}
