//! The catalog's search: which documents there are (rules, and the entries of every index
//! but formats), what text each is found by, and how hits rank. The site's offline search
//! (`assets/search.js`) reads the same documents from `search-index.js` and ranks them the
//! same way; `rulescope serve` answers `/api/search` with [`SearchIndex::search`].

use rulescope_analysis::report::CorpusAnalysis;
use serde_json::{Value, json};

use crate::catalog::{Catalog, Kind};

/// One thing the search can find.
#[derive(Clone, Debug)]
pub struct SearchDoc {
    /// "Rule", or the singular of an index kind ("Technique", "Indicator", ...).
    pub kind: &'static str,
    pub title: String,
    pub detail: String,
    /// The page, relative to the site root.
    pub href: String,
    /// Rules carry the text they are found by; entries are found by title and detail.
    rule_text: Option<String>,
    /// Lower-cased once, as the script does on load.
    title_lower: String,
    text_lower: String,
    /// The title's length as JavaScript counts it (UTF-16 units), the ranking's tie-break.
    title_units: usize,
}

impl SearchDoc {
    fn new(kind: &'static str, title: String, detail: String, href: String) -> Self {
        Self::with_text(kind, title, detail, href, None)
    }

    fn with_text(
        kind: &'static str,
        title: String,
        detail: String,
        href: String,
        rule_text: Option<String>,
    ) -> Self {
        let title_lower = title.to_lowercase();
        let text_lower = rule_text
            .clone()
            .unwrap_or_else(|| format!("{title} {detail}").to_lowercase());
        Self {
            kind,
            title_units: title_lower.encode_utf16().count(),
            title,
            detail,
            href,
            rule_text,
            title_lower,
            text_lower,
        }
    }

    /// The document as `search-index.js` lists it: `[type, title, detail, href, text?]`.
    fn to_json(&self) -> Value {
        match &self.rule_text {
            Some(text) => json!([self.kind, self.title, self.detail, self.href, text]),
            None => json!([self.kind, self.title, self.detail, self.href]),
        }
    }
}

/// A document that matched every word of a query, with its score.
#[derive(Clone, Copy, Debug)]
pub struct Hit<'a> {
    pub doc: &'a SearchDoc,
    pub score: u32,
}

/// Every searchable document of a catalog.
#[derive(Clone, Debug, Default)]
pub struct SearchIndex {
    docs: Vec<SearchDoc>,
}

impl SearchIndex {
    /// The index of a corpus, as its site's search sees it.
    pub fn new(corpus: &CorpusAnalysis) -> Self {
        Self::from_catalog(&Catalog::new(corpus))
    }

    pub(crate) fn from_catalog(catalog: &Catalog<'_>) -> Self {
        let mut docs = Vec::new();
        for (rule, rule_ref) in catalog.corpus.rules.iter().zip(&catalog.rules) {
            let mut text = vec![
                rule.id.clone(),
                rule.display_title.clone(),
                rule.enrichment.summary.clone(),
                rule.data_source.label.clone(),
                rule.logic_format.display_name().to_owned(),
                rule.path.clone(),
            ];
            text.extend(rule.data_categories.iter().cloned());
            for row in &rule.attack {
                text.extend([row.display.clone(), row.tactic_name.clone()]);
            }
            for named in rule
                .enrichment
                .threat_actors
                .iter()
                .chain(&rule.enrichment.software)
            {
                text.push(named.name.clone());
                text.extend(named.aliases.iter().cloned());
            }
            // What the rule looks for finds it too: an indicator value, a search term, an event.
            for row in &rule.indicators {
                text.extend(row.values.iter().map(|v| v.value.clone()));
            }
            text.extend(rule.search_terms.iter().map(|t| t.term.clone()));
            for row in &rule.selectors {
                text.extend(row.values.iter().cloned());
            }
            docs.push(SearchDoc::with_text(
                "Rule",
                rule.display_title.clone(),
                format!(
                    "{} · {} · {}",
                    rule.id, rule_ref.format, rule.data_source.label
                ),
                rule_ref.href.clone(),
                Some(text.join(" ").to_lowercase()),
            ));
        }
        for index in &catalog.indexes {
            let kind = index.kind;
            if kind == Kind::Format {
                continue;
            }
            for entry in &index.entries {
                let count = entry.rules.len();
                let rules = format!("{count} rule{}", if count == 1 { "" } else { "s" });
                let detail = if entry.detail.is_empty() {
                    rules
                } else {
                    format!("{} · {rules}", entry.detail)
                };
                docs.push(SearchDoc::new(
                    kind.singular(),
                    entry.label.clone(),
                    detail,
                    entry.href.clone(),
                ));
            }
        }
        Self { docs }
    }

    pub fn docs(&self) -> &[SearchDoc] {
        &self.docs
    }

    /// The documents that contain every whitespace-separated word of `query`
    /// (case-insensitively), best first: a word equal to the title scores 8, starting it 4,
    /// inside it 2, only in the text 1; rules get 1 more; ties go to the shorter title, then
    /// to index order. `assets/search.js` ranks the same way.
    pub fn search(&self, query: &str) -> Vec<Hit<'_>> {
        let query = query.to_lowercase();
        let words: Vec<&str> = query.split_whitespace().collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<Hit<'_>> = self
            .docs
            .iter()
            .filter_map(|doc| {
                let mut score = u32::from(doc.kind == "Rule");
                for word in &words {
                    score += match doc.title_lower.find(word) {
                        Some(_) if doc.title_lower == *word => 8,
                        Some(0) => 4,
                        Some(_) => 2,
                        None if doc.text_lower.contains(word) => 1,
                        None => return None,
                    };
                }
                Some(Hit { doc, score })
            })
            .collect();
        // Stable, like Array.prototype.sort: equal hits keep index order.
        hits.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(a.doc.title_units.cmp(&b.doc.title_units))
        });
        hits
    }

    /// The index as a script that assigns a global: pages opened from `file://` cannot
    /// `fetch()` a JSON file, but they can load a script.
    pub fn to_js(&self) -> String {
        let docs: Vec<Value> = self.docs.iter().map(SearchDoc::to_json).collect();
        let mut out = String::from("window.RULESCOPE_SEARCH=");
        out.push_str(&json!({ "docs": docs }).to_string());
        out.push_str(";\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(docs: &[(&'static str, &str, &str)]) -> SearchIndex {
        SearchIndex {
            docs: docs
                .iter()
                .map(|(kind, title, detail)| {
                    SearchDoc::new(kind, (*title).into(), (*detail).into(), String::new())
                })
                .collect(),
        }
    }

    fn titles(index: &SearchIndex, query: &str) -> Vec<(String, u32)> {
        index
            .search(query)
            .iter()
            .map(|h| (h.doc.title.clone(), h.score))
            .collect()
    }

    #[test]
    fn ranks_like_the_script() {
        let index = index(&[
            ("Indicator", "psexec.exe", "process_name"),
            ("Field", "psexec", ""),
            ("Indicator", "runs psexec", "process_name"),
            ("Technique", "T1569.002", "psexec lateral"),
            ("Indicator", "psexesvc", "service"),
        ]);
        assert_eq!(
            titles(&index, "  PsExec "),
            [
                ("psexec".into(), 8),
                ("psexec.exe".into(), 4),
                ("runs psexec".into(), 2),
                ("T1569.002".into(), 1),
            ]
        );
        // Every word must match somewhere; scores add up.
        assert_eq!(
            titles(&index, "psexec process_name"),
            [("psexec.exe".into(), 5), ("runs psexec".into(), 3)]
        );
        assert!(index.search(" \t").is_empty());
    }

    #[test]
    fn ties_go_to_the_shorter_title_then_to_index_order() {
        let index = index(&[
            ("Indicator", "xx b", ""),
            ("Indicator", "xx a", ""),
            ("Indicator", "xx", "x"),
            ("Indicator", "xxé", ""),
        ]);
        let order: Vec<String> = titles(&index, "x").into_iter().map(|(t, _)| t).collect();
        assert_eq!(order, ["xx", "xxé", "xx b", "xx a"]);
    }
}
