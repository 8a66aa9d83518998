//! Machine-readable exports: ATT&CK Navigator layers and the indicator CSV. (Rule and
//! catalog JSON are the contract types serialised as they are; the search index is `search`.)

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
