//! Machine-readable exports: ATT&CK Navigator layers, the indicator CSV and the search index.
//! (Rule and catalog JSON are the contract types serialised as they are.)

use std::collections::{BTreeMap, BTreeSet};

use rulescope_analysis::report::{CoverageRow, RuleAnalysis};
use serde_json::{Value, json};

use crate::catalog::{Catalog, Kind, rule_href, tactic_rank, tactic_shortname};

/// An ATT&CK Navigator layer (format 4.5): one technique entry per (technique, tactic), scored
/// by the number of rules, with the rule ids in the comment and links back to rule pages
/// when the site's public URL is known (Navigator resolves relative links against itself).
pub fn navigator_layer<'r>(
    name: &str,
    description: &str,
    rules: impl Iterator<Item = &'r RuleAnalysis>,
    base_url: Option<&str>,
) -> Value {
    let mut cells: BTreeMap<(String, String), BTreeSet<(&str, &str)>> = BTreeMap::new();
    for rule in rules {
        for row in &rule.attack {
            let Some(id) = &row.technique_id else {
                continue;
            };
            cells
                .entry((id.clone(), tactic_shortname(&row.tactic_name)))
                .or_default()
                .insert((rule.id.as_str(), rule.key.as_str()));
        }
    }
    let max = cells.values().map(BTreeSet::len).max().unwrap_or(1);
    let techniques: Vec<Value> = cells
        .into_iter()
        .map(|((technique, tactic), rules)| {
            let ids: Vec<&str> = rules.iter().map(|(id, _)| *id).collect();
            let mut entry = json!({
                "techniqueID": technique,
                "tactic": tactic,
                "score": rules.len(),
                "comment": format!("{} rule{}: {}", rules.len(), if rules.len() == 1 { "" } else { "s" }, ids.join(", ")),
                "enabled": true,
                "showSubtechniques": true,
                "metadata": [{"name": "rules", "value": ids.join(", ")}],
            });
            if let Some(base) = base_url {
                let base = base.trim_end_matches('/');
                entry["links"] = rules
                    .iter()
                    .map(|(id, key)| json!({"label": id, "url": format!("{base}/{}", rule_href(key))}))
                    .collect();
            }
            entry
        })
        .collect();
    json!({
        "name": name,
        "versions": {"attack": "19", "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": description,
        "sorting": 3,
        "layout": {
            "layout": "side",
            "aggregateFunction": "sum",
            "showID": true,
            "showName": true,
            "showAggregateScores": true,
            "countUnscored": false,
            "expandedSubtechniques": "annotated"
        },
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": ["#dbeafeff", "#1d4ed8ff"], "minValue": 0, "maxValue": max},
        "legendItems": [],
        "metadata": [],
        "links": [],
        "showTacticRowBackground": false,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false
    })
}

/// Every indicator with its counts and rules, one per line.
pub fn indicators_csv(catalog: &Catalog<'_>) -> String {
    let mut out = String::from("indicator,field,rules,use_cases,rule_ids\n");
    for entry in &catalog.index(Kind::Indicator).entries {
        let ids: Vec<&str> = entry
            .rules
            .iter()
            .map(|&i| catalog.rules[i].id.as_str())
            .collect();
        let row = [
            csv_field(&entry.name),
            csv_field(&entry.detail),
            entry.rules.len().to_string(),
            entry.use_cases.to_string(),
            csv_field(&ids.join(" ")),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// RFC 4180 quoting, and a leading `'` on what a spreadsheet would run as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The search index as a script that assigns a global: pages opened from `file://` cannot
/// `fetch()` a JSON file, but they can load a script.
///
/// Each document is `[type, title, detail, href]`, and rules add a fifth element, the
/// lower-cased text searched (entries are searched by title and detail).
pub fn search_index_js(catalog: &Catalog<'_>) -> String {
    let mut docs: Vec<Value> = Vec::new();
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
        docs.push(json!([
            "Rule",
            rule.display_title,
            format!(
                "{} · {} · {}",
                rule.id, rule_ref.format, rule.data_source.label
            ),
            rule_ref.href,
            text.join(" ").to_lowercase(),
        ]));
    }
    for index in &catalog.indexes {
        let kind = index.kind;
        if matches!(kind, Kind::Format) {
            continue;
        }
        for entry in &index.entries {
            let (label, detail) = (&entry.label, &entry.detail);
            let count = entry.rules.len();
            let detail = if detail.is_empty() {
                format!("{count} rule{}", if count == 1 { "" } else { "s" })
            } else {
                format!(
                    "{detail} · {count} rule{}",
                    if count == 1 { "" } else { "s" }
                )
            };
            docs.push(json!([kind.singular(), label, detail, entry.href]));
        }
    }
    let mut out = String::from("window.RULESCOPE_SEARCH=");
    out.push_str(&json!({ "docs": docs }).to_string());
    out.push_str(";\n");
    out
}

/// Sorts ATT&CK rows by matrix order and groups them by tactic, keeping the rule's order within.
pub fn attack_groups(rule: &RuleAnalysis) -> Vec<Value> {
    let mut groups: Vec<(usize, &str, Vec<&CoverageRow>)> = Vec::new();
    for row in &rule.attack {
        match groups.iter_mut().find(|(_, t, _)| *t == row.tactic_name) {
            Some(group) => group.2.push(row),
            None => groups.push((tactic_rank(&row.tactic_name), &row.tactic_name, vec![row])),
        }
    }
    groups.sort_by_key(|(rank, _, _)| *rank);
    groups
        .into_iter()
        .map(|(_, tactic, techniques)| json!({"tactic": tactic, "techniques": techniques}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd|' /c calc'!A0"), "'=cmd|' /c calc'!A0");
        assert_eq!(csv_field("plain"), "plain");
    }
}
