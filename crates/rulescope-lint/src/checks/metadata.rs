//! Metadata: ATT&CK names and ids (the reference crate's coverage checks), references, and
//! ids shared by several files.

use std::collections::BTreeMap;

use rulescope_model::{Rule, Span};
use rulescope_reference::AttackCatalog;

use crate::finding::{At, Hit, key_value_span};

pub(super) fn check(rule: &Rule, attack: &AttackCatalog, hits: &mut Vec<Hit>) {
    let text: &str = &rule.source.text;
    for diagnostic in attack.coverage(rule).diagnostics {
        // Findings about names point at `techniques`, the others at `technique_id`.
        let key = if diagnostic.code.contains("name") || diagnostic.code.contains("tactic") {
            "techniques"
        } else {
            "technique_id"
        };
        let at = key_value_span(text, key).map_or(At::Rule, At::File);
        hits.push(Hit::from_diagnostic(diagnostic, at));
    }
    references(rule, hits);
}

fn references(rule: &Rule, hits: &mut Vec<Hit>) {
    let text: &str = &rule.source.text;
    let section = key_value_span(text, "references").map_or(0, |s| s.start as usize);
    let mut cursor = section;
    let mut seen: Vec<&str> = Vec::new();
    for reference in &rule.references {
        let trimmed = reference.trim();
        // Where this entry is written: the next occurrence after the previous entry.
        let span = (!trimmed.is_empty())
            .then(|| text.get(cursor..)?.find(trimmed).map(|at| cursor + at))
            .flatten()
            .map(|start| {
                cursor = start + trimmed.len();
                Span::from_range(start..start + trimmed.len())
            });
        let at = span.map_or_else(
            || key_value_span(text, "references").map_or(At::Rule, At::File),
            At::File,
        );
        if trimmed.is_empty() {
            hits.push(Hit::new("reference-empty", "this reference is empty", at));
        } else if seen.contains(&trimmed) {
            hits.push(Hit::new(
                "reference-duplicate",
                format!("`{trimmed}` is listed twice"),
                at,
            ));
        } else if !has_scheme(trimmed) {
            let mut hit = Hit::new(
                "reference-no-scheme",
                format!("`{trimmed}` has no scheme, so it is not a link"),
                at,
            );
            if let Some(span) = span {
                hit = hit.file_fix(
                    "prefix `https://`",
                    vec![(Span::new(span.start, span.start), "https://".to_owned())],
                );
            }
            hits.push(hit);
        }
        seen.push(trimmed);
    }
}

/// `scheme:` as RFC 3986 spells it, followed by something (`https://`, `mailto:x`).
fn has_scheme(text: &str) -> bool {
    text.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// Every rule whose id another file shares, each pointing at the others.
pub(super) fn duplicate_ids(rules: &[Rule]) -> Vec<(&Rule, Hit)> {
    let mut by_id: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
    for rule in rules {
        by_id.entry(rule.id.as_str()).or_default().push(rule);
    }
    let mut hits = Vec::new();
    for (id, group) in by_id {
        if group.len() < 2 {
            continue;
        }
        for rule in &group {
            let others: Vec<&str> = group
                .iter()
                .filter(|o| !std::ptr::eq(**o, *rule))
                .map(|o| o.source.relative_path.as_str())
                .collect();
            let at = key_value_span(&rule.source.text, "id").map_or(At::Rule, At::File);
            let identical = group.iter().all(|o| o.source.text == rule.source.text);
            let mut message = format!("id {id} is also the id of {}", others.join(", "));
            if identical {
                message.push_str(" (the files are identical)");
            }
            hits.push((*rule, Hit::new("duplicate-id", message, at)));
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::has_scheme;

    #[test]
    fn schemes() {
        assert!(has_scheme("https://attack.mitre.org"));
        assert!(has_scheme("mailto:a@b"));
        assert!(!has_scheme("ired.team/offensive-security/x"));
        assert!(!has_scheme("C:"));
        assert!(!has_scheme("1http://x"));
    }
}
