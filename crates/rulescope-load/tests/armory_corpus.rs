//! The whole armory corpus from `../shared`: every rule loads, every quirk is normalised and
//! warned about. Skips with one line where `../shared` is absent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rulescope_load::{LoadReport, load_paths};
use rulescope_model::LogicFormat;

fn armory() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/armory");
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!("skipping: ../shared/corpus/armory not found");
        None
    }
}

/// Ids of the rules with warnings of `code`, sorted.
fn ids_with(report: &LoadReport, code: &str) -> Vec<String> {
    let mut ids: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.diagnostic.code == code)
        .filter_map(|d| {
            report
                .rules
                .iter()
                .find(|r| r.source.path.display().to_string() == d.origin)
                .map(|r| r.id.clone())
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn every_armory_rule_loads_and_every_quirk_is_warned() {
    let Some(root) = armory() else { return };
    let report = load_paths(std::slice::from_ref(&root));

    assert_eq!(report.files_read, 1_898);
    assert_eq!(report.rules.len(), 1_898);
    assert_eq!(report.errors(), 0, "{:#?}", report.diagnostics.first());
    let splunk = report
        .rules
        .iter()
        .filter(|r| r.logic_format == LogicFormat::Splunk)
        .count();
    let snowflake = report
        .rules
        .iter()
        .filter(|r| r.logic_format == LogicFormat::Snowflake)
        .count();
    assert_eq!((splunk, snowflake), (1_466, 432));
    let use_cases: BTreeSet<&str> = report.rules.iter().map(|r| r.use_case.as_str()).collect();
    assert_eq!(use_cases.len(), 789);

    // An independent count: the format word that every armory file name carries.
    let by_name = report
        .rules
        .iter()
        .filter(|r| r.source.relative_path.contains("-splunk-"))
        .count();
    assert_eq!(by_name, splunk);

    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &report.diagnostics {
        *by_code.entry(d.diagnostic.code.as_ref()).or_default() += 1;
    }
    let expected: BTreeMap<&str, usize> = [
        ("category-spelling", 1),
        ("duplicate-id", 5),
        ("file-name-whitespace", 2),
        ("nested-list", 2),
        ("null-value", 167),
        ("scalar-for-list", 2),
        ("title-whitespace", 16),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_code, expected);

    assert_eq!(
        ids_with(&report, "nested-list"),
        ["36445.64209", "44900.89982"]
    );
    assert_eq!(
        ids_with(&report, "scalar-for-list"),
        ["19348.33710", "5716.5989"]
    );
    assert_eq!(ids_with(&report, "category-spelling"), ["5716.5989"]);
    // 165 null `references`, one null `technique_id`, one null `data_category`.
    let null_refs = report
        .rules
        .iter()
        .filter(|r| r.references.is_empty())
        .count();
    assert_eq!(null_refs, 165);
    let nulls = ids_with(&report, "null-value");
    assert!(nulls.contains(&"9050.16106".to_owned()));
    assert!(nulls.contains(&"5756.6030".to_owned()));

    let duplicates: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.diagnostic.code == "duplicate-id")
        .map(|d| d.diagnostic.message.as_str())
        .collect();
    for id in [
        "18093.30444",
        "18093.30599",
        "18093.30601",
        "18093.30602",
        "18093.37733",
    ] {
        let message = duplicates
            .iter()
            .find(|m| m.starts_with(&format!("id {id} ")));
        let message = message.unwrap_or_else(|| panic!("no duplicate-id warning for {id}"));
        assert!(
            message.contains("2 files with identical content"),
            "{message}"
        );
        // Both copies are kept.
        assert_eq!(report.rules.iter().filter(|r| r.id == id).count(), 2);
    }
}

#[test]
fn normalised_values_of_known_rules() {
    let Some(root) = armory() else { return };
    let report = load_paths(&[root]);
    let rule = |id: &str| {
        report
            .rules
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("rule {id} missing"))
    };

    let psexec = rule("5398.5498");
    assert_eq!(psexec.use_case, "5398");
    assert_eq!(psexec.title, "Impacket PSexec");
    assert_eq!(psexec.technique_ids, ["T1569.002", "T1021"]);
    assert_eq!(psexec.techniques.len(), 2);
    assert_eq!(psexec.techniques[0].tactic, "execution");
    assert_eq!(psexec.techniques[0].technique, "system services");
    assert_eq!(
        psexec.techniques[0].sub_technique.as_deref(),
        Some("service execution")
    );
    assert_eq!(psexec.techniques[1].sub_technique, None);
    assert_eq!(psexec.data_categories, ["Windows event logs"]);
    // YAML folds the multi-line logic into one line.
    assert!(
        psexec
            .logic
            .starts_with("`get_endpoint_data` `get_endpoint_data_winevent`")
    );
    assert!(!psexec.logic.contains('\n'));
    let span = psexec.source.logic_span.expect("logic span");
    assert!(
        span.slice(&psexec.source.text)
            .starts_with("'`get_endpoint_data`")
    );

    assert_eq!(rule("19348.33710").technique_ids, ["T1003"]);
    assert_eq!(rule("44900.89982").technique_ids, ["T1185"]);
    assert!(rule("9050.16106").technique_ids.is_empty());
    assert!(rule("5756.6030").data_categories.is_empty());
    assert_eq!(rule("5716.5989").references.len(), 1);
    assert_eq!(rule("5716.5989").data_categories, ["Azure activity logs"]);

    // Odd file names load like any other: `$`, `|`, parentheses, an en dash, a space.
    for needle in [
        "admin$_share",
        "exe|msi|bat",
        "apply_al(avl_r7397)",
        "2022–31656",
        "waf .yml",
    ] {
        assert!(
            report
                .rules
                .iter()
                .any(|r| r.source.relative_path.contains(needle)),
            "no rule file with {needle:?} in its path"
        );
    }
}
