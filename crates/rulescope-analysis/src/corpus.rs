//! What needs the whole corpus: how many other rules and use cases share each indicator and
//! term, the corpus indexes, variants of a use case, and similar rules of other use cases.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::report::{IndexEntry, RuleAnalysis, Shared, SimilarRule, Variant};
use crate::rule::Needles;

/// How many other rules a page names per shared indicator; the index page lists all.
const SHARED_EXAMPLES: usize = 5;
/// Similar rules listed per rule, and the least Jaccard similarity worth listing.
const SIMILAR_LIMIT: usize = 5;
const SIMILAR_MIN_SCORE: f64 = 0.2;

/// Rule indexes by normalised key, in rule order.
#[derive(Default)]
struct KeyIndex {
    keys: HashMap<String, KeyRules>,
}

#[derive(Default)]
struct KeyRules {
    field: String,
    rules: Vec<usize>,
    use_cases: BTreeSet<String>,
}

impl KeyIndex {
    fn add(&mut self, key: &str, field: &str, rule: usize, use_case: &str) {
        let entry = self.keys.entry(key.to_owned()).or_insert_with(|| KeyRules {
            field: field.to_owned(),
            ..KeyRules::default()
        });
        if entry.rules.last() != Some(&rule) {
            entry.rules.push(rule);
        }
        if !entry.use_cases.contains(use_case) {
            entry.use_cases.insert(use_case.to_owned());
        }
    }

    fn shared(&self, key: &str, rule: usize, analyses: &[RuleAnalysis]) -> Shared {
        let Some(entry) = self.keys.get(key) else {
            return Shared::default();
        };
        let own_use_case = analyses[rule].use_case.as_str();
        let own = usize::from(entry.rules.contains(&rule));
        // Other use cases first: they say more than variants of this one.
        let other_use_case = entry
            .rules
            .iter()
            .filter(|&&r| analyses[r].use_case != own_use_case);
        let same_use_case = entry
            .rules
            .iter()
            .filter(|&&r| r != rule && analyses[r].use_case == own_use_case);
        Shared {
            other_rules: entry.rules.len() - own,
            other_use_cases: entry.use_cases.len()
                - usize::from(entry.use_cases.contains(own_use_case)),
            examples: other_use_case
                .chain(same_use_case)
                .take(SHARED_EXAMPLES)
                .map(|&r| analyses[r].key.clone())
                .collect(),
        }
    }

    /// Entries sorted by use cases, then rules, then key.
    fn entries(self, analyses: &[RuleAnalysis]) -> Vec<IndexEntry> {
        let mut entries: Vec<IndexEntry> = self
            .keys
            .into_iter()
            .map(|(key, entry)| IndexEntry {
                key,
                field: entry.field,
                rules: entry
                    .rules
                    .iter()
                    .map(|&r| analyses[r].key.clone())
                    .collect(),
                use_cases: entry.use_cases.len(),
            })
            .collect();
        entries.sort_by(|a, b| {
            (b.use_cases, b.rules.len())
                .cmp(&(a.use_cases, a.rules.len()))
                .then_with(|| a.key.cmp(&b.key))
        });
        entries
    }
}

/// The corpus indexes of indicators, terms and selectors.
pub struct Indexes {
    pub indicators: Vec<IndexEntry>,
    pub search_terms: Vec<IndexEntry>,
    pub selectors: Vec<IndexEntry>,
}

/// Fills in shared counts, variants and similar rules, and builds the corpus indexes.
pub fn link(analyses: &mut [RuleAnalysis], needles: &[Needles]) -> Indexes {
    let mut indicators = KeyIndex::default();
    let mut terms = KeyIndex::default();
    // Terms that select data count among themselves: `"<EventID>4688<"` is shared by
    // hundreds of rules, which says something, but not about the threat.
    let mut selector_terms = KeyIndex::default();
    let mut selectors = KeyIndex::default();
    for (r, analysis) in analyses.iter().enumerate() {
        for row in &analysis.indicators {
            for value in &row.values {
                indicators.add(&value.key, &row.field, r, &analysis.use_case);
            }
        }
        for term in &analysis.search_terms {
            let index = if term.selector.is_none() {
                &mut terms
            } else {
                &mut selector_terms
            };
            index.add(&term.key, "_raw", r, &analysis.use_case);
        }
        for selector in &analysis.selectors {
            for key in &selector.keys {
                selectors.add(key, &selector.field, r, &analysis.use_case);
            }
        }
        for row in &analysis.macros {
            selectors.add(
                &format!("macro `{}`", row.name),
                "macro",
                r,
                &analysis.use_case,
            );
        }
    }

    let mut shared_values: Vec<Vec<Vec<Shared>>> = Vec::with_capacity(analyses.len());
    let mut shared_terms: Vec<Vec<Shared>> = Vec::with_capacity(analyses.len());
    for (r, analysis) in analyses.iter().enumerate() {
        shared_values.push(
            analysis
                .indicators
                .iter()
                .map(|row| {
                    row.values
                        .iter()
                        .map(|v| indicators.shared(&v.key, r, analyses))
                        .collect()
                })
                .collect(),
        );
        shared_terms.push(
            analysis
                .search_terms
                .iter()
                .map(|t| {
                    let index = if t.selector.is_none() {
                        &terms
                    } else {
                        &selector_terms
                    };
                    index.shared(&t.key, r, analyses)
                })
                .collect(),
        );
    }
    for ((analysis, values), term_counts) in
        analyses.iter_mut().zip(shared_values).zip(shared_terms)
    {
        for (row, counts) in analysis.indicators.iter_mut().zip(values) {
            for (value, shared) in row.values.iter_mut().zip(counts) {
                value.shared = shared;
            }
        }
        for (term, shared) in analysis.search_terms.iter_mut().zip(term_counts) {
            term.shared = shared;
        }
    }

    link_variants(analyses, needles);
    link_similar(analyses, needles);

    Indexes {
        indicators: indicators.entries(analyses),
        search_terms: terms.entries(analyses),
        selectors: selectors.entries(analyses),
    }
}

/// Every other rule of the same use case, with the needles both, only this, and only the
/// other look for.
fn link_variants(analyses: &mut [RuleAnalysis], needles: &[Needles]) {
    let mut by_use_case: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (r, analysis) in analyses.iter().enumerate() {
        by_use_case
            .entry(analysis.use_case.clone())
            .or_default()
            .push(r);
    }
    for members in by_use_case.values().filter(|m| m.len() > 1) {
        for &r in members {
            let here: BTreeSet<&String> = needles[r].0.iter().collect();
            let variants = members
                .iter()
                .filter(|&&o| o != r)
                .map(|&o| {
                    let there: BTreeSet<&String> = needles[o].0.iter().collect();
                    let other = &analyses[o];
                    Variant {
                        id: other.id.clone(),
                        key: other.key.clone(),
                        display_title: other.display_title.clone(),
                        logic_format: other.logic_format.clone(),
                        data_source: other.data_source.clone(),
                        path: other.path.clone(),
                        shared: here.intersection(&there).map(|s| (*s).clone()).collect(),
                        only_here: here.difference(&there).map(|s| (*s).clone()).collect(),
                        only_there: there.difference(&here).map(|s| (*s).clone()).collect(),
                    }
                })
                .collect();
            analyses[r].variants = variants;
        }
    }
}

/// For each rule, the rules of other use cases whose needles overlap most (Jaccard), one
/// per use case.
///
/// Candidates come only through needles that fewer than [`COMMON_NEEDLE`] rules share:
/// `cmd.exe` or `.exe` alone make no two rules similar, and walking their long rule lists
/// for every rule would cost quadratic time. Scores still count every shared needle.
fn link_similar(analyses: &mut [RuleAnalysis], needles: &[Needles]) {
    const COMMON_NEEDLE: usize = 100;
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let sets: Vec<Vec<u32>> = needles
        .iter()
        .map(|set| {
            let mut v: Vec<u32> = set
                .0
                .iter()
                .map(|n| {
                    let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                    *ids.entry(n.as_str()).or_insert(next)
                })
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let mut by_needle: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
    for (r, set) in sets.iter().enumerate() {
        for &n in set {
            by_needle[n as usize].push(r);
        }
    }
    let mut similar_lists = Vec::with_capacity(analyses.len());
    let mut candidates: Vec<usize> = Vec::new();
    for (r, set) in sets.iter().enumerate() {
        candidates.clear();
        for &n in set {
            let rules = &by_needle[n as usize];
            if rules.len() < COMMON_NEEDLE {
                candidates.extend(rules.iter().copied().filter(|&o| o != r));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut scored: Vec<(f64, usize)> = candidates
            .iter()
            .filter(|&&o| analyses[o].use_case != analyses[r].use_case)
            .map(|&o| {
                let common = sorted_intersection(set, &sets[o]);
                let union = set.len() + sets[o].len() - common;
                (common as f64 / union.max(1) as f64, o)
            })
            .filter(|(score, _)| *score >= SIMILAR_MIN_SCORE)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut seen_use_cases = BTreeSet::new();
        let list: Vec<SimilarRule> = scored
            .into_iter()
            .filter(|(_, o)| seen_use_cases.insert(analyses[*o].use_case.as_str()))
            .take(SIMILAR_LIMIT)
            .map(|(score, o)| {
                let there: BTreeSet<&String> = needles[o].0.iter().collect();
                let other = &analyses[o];
                SimilarRule {
                    id: other.id.clone(),
                    key: other.key.clone(),
                    use_case: other.use_case.clone(),
                    display_title: other.display_title.clone(),
                    path: other.path.clone(),
                    score: (score * 1000.0).round() / 1000.0,
                    shared: needles[r]
                        .0
                        .iter()
                        .filter(|n| there.contains(n))
                        .cloned()
                        .collect(),
                }
            })
            .collect();
        similar_lists.push(list);
    }
    for (analysis, list) in analyses.iter_mut().zip(similar_lists) {
        analysis.similar = list;
    }
}

/// The size of the intersection of two sorted, deduplicated lists.
fn sorted_intersection(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut count) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                count += 1;
                i += 1;
                j += 1;
            }
        }
    }
    count
}
