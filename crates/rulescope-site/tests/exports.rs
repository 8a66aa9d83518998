//! The exports a consumer reads without the site: JSON (checked against the published
//! schemas), ATT&CK Navigator layers, the indicator CSV, the search index and Markdown.

mod fixture;

use std::path::Path;

use rulescope_site::{SiteOptions, build, slug};
use serde_json::Value;

fn built(base_url: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SiteOptions {
        base_url: base_url.map(str::to_owned),
        ..SiteOptions::default()
    };
    build(&fixture::corpus(), dir.path(), &options).expect("site builds");
    dir
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator(root: &Path, name: &str) -> jsonschema::Validator {
    let rule_schema = json(&root.join("schema/rule.schema.json"));
    let schema = json(&root.join("schema").join(name));
    let registry = jsonschema::Registry::new()
        .add(
            "https://example.invalid/rulescope/schema/rule.schema.json",
            rule_schema,
        )
        .and_then(|r| r.prepare())
        .expect("registry");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_registry(&registry)
        .build(&schema)
        .expect("schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, value: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn rule_and_catalog_json_match_their_schemas() {
    let dir = built(None);
    let root = dir.path();
    let rule_schema = validator(root, "rule.schema.json");
    for rule in &fixture::corpus().rules {
        let path = root.join("rules").join(format!("{}.json", slug(&rule.key)));
        let value = json(&path);
        assert_eq!(value["key"], rule.key.as_str());
        assert_valid(&rule_schema, &value, &rule.key);
    }
    let catalog = json(&root.join("catalog.json"));
    assert_eq!(catalog["rules"].as_array().map(Vec::len), Some(4));
    assert_valid(&validator(root, "catalog.schema.json"), &catalog, "catalog");

    // The schemas are strict enough to catch a producer that drifts from them.
    let mut broken = json(&root.join("rules/1001.2001.json"));
    broken["indicators"][0]["kind"] = "contains_maybe".into();
    broken["stages"][0]
        .as_object_mut()
        .expect("stage")
        .remove("span");
    broken["surprise"] = true.into();
    assert_eq!(rule_schema.iter_errors(&broken).count(), 3);
    let mut catalog = catalog;
    catalog["load_diagnostics"][0]["severity"] = "fatal".into();
    assert!(
        !validator(root, "catalog.schema.json").is_valid(&catalog),
        "bad severity passes"
    );
}

#[test]
fn navigator_layers_score_techniques_by_rules_and_link_back() {
    let dir = built(Some("https://rules.example/catalog/"));
    let layer = json(&dir.path().join("attack/layer.json"));
    assert_eq!(layer["versions"]["layer"], "4.5");
    assert_eq!(layer["versions"]["attack"], "19");
    assert!(
        layer["versions"]["navigator"]
            .as_str()
            .is_some_and(|v| v.starts_with("5."))
    );
    assert_eq!(layer["domain"], "enterprise-attack");
    let techniques = layer["techniques"].as_array().expect("techniques");
    let execution = techniques
        .iter()
        .find(|t| t["techniqueID"] == "T1569.002" && t["tactic"] == "execution")
        .expect("T1569.002 under execution");
    assert_eq!(execution["score"], 2);
    assert_eq!(execution["comment"], "2 rules: 1001.2001, 1001.2002");
    assert_eq!(
        execution["links"][0]["url"],
        "https://rules.example/catalog/rules/1001.2001.html"
    );
    assert_eq!(layer["gradient"]["maxValue"], 2);
    let lateral = techniques
        .iter()
        .find(|t| t["techniqueID"] == "T1021")
        .expect("T1021");
    assert_eq!(lateral["tactic"], "lateral-movement");

    // One layer per data source, with only that source's rules.
    let sysmon = json(&dir.path().join("attack/sysmon.json"));
    let ids: Vec<&str> = sysmon["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .filter_map(|t| t["techniqueID"].as_str())
        .collect();
    assert_eq!(ids, ["T1036.003"]);

    // Without a public URL there is nothing a link could point at.
    let offline = built(None);
    let layer = json(&offline.path().join("attack/layer.json"));
    assert!(layer["techniques"][0].get("links").is_none());
}

#[test]
fn indicator_csv_lists_every_indicator_with_counts() {
    let dir = built(None);
    let csv = std::fs::read_to_string(dir.path().join("indicators.csv")).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "indicator,field,rules,use_cases,rule_ids");
    assert_eq!(lines.len(), 1 + fixture::corpus().indicators.len());
    assert_eq!(
        lines[1],
        "\"parent_process_name contains \"\"remsvc\"\"\",parent_process_name,3,2,1001.2001 1001.2002 1002.3001"
    );
}

#[test]
fn search_index_is_a_script_listing_rules_and_entries() {
    let dir = built(None);
    let js = std::fs::read_to_string(dir.path().join("search-index.js")).expect("index");
    let body = js
        .strip_prefix("window.RULESCOPE_SEARCH=")
        .and_then(|s| s.trim_end().strip_suffix(';'))
        .expect("assigns a global");
    let index: Value = serde_json::from_str(body).expect("JSON");
    let docs = index["docs"].as_array().expect("docs");
    let rule = docs
        .iter()
        .find(|d| d[0] == "Rule" && d[1] == "Remote Service Runner (Windows Event Log)")
        .expect("rule doc");
    assert_eq!(rule[3], "rules/1001.2001.html");
    let text = rule[4].as_str().expect("text");
    for word in [
        "t1569.002",
        "example bear",
        "sample group",
        "demolocker",
        "(?i)remsvc",
        "eventcode=4688",
    ] {
        assert!(text.contains(word), "{word}");
    }
    for kind in [
        "Technique",
        "Indicator",
        "Threat actor",
        "Software",
        "Event",
    ] {
        assert!(docs.iter().any(|d| d[0] == kind), "{kind}");
    }
    for doc in docs {
        let href = doc[3].as_str().expect("href");
        assert!(dir.path().join(href).is_file(), "{href}");
    }
}

#[test]
fn markdown_keeps_the_reference_sections_in_order() {
    let dir = built(None);
    let md = std::fs::read_to_string(dir.path().join("rules/1001.2001.md")).expect("md");
    let mut at = 0;
    for heading in [
        "[Detection rules](../index.html) › [Splunk](../formats/splunk.html)",
        "# Remote Service Runner (Windows Event Log)",
        "A remote service runner starts commands",
        "| Threat actors | Example Bear (aka Sample Group, TA000) |",
        "## MITRE ATT&CK coverage",
        "| Tactic | Techniques |",
        "## References",
        "## Event coverage",
        "| Provider | Event | Title |",
        "| Security-Auditing | Event ID 4688 | A new process has been created. |",
        "## Rule body yaml",
        "```yaml",
        "## Stages and Predicates",
        "### Stage 1: search (data source)",
        "## Indicators",
        "| Field | Kind | Values | Other rules / use cases |",
        "## Search terms",
        "## Data source",
        "| 1 | event code | `EventCode` | term | `4688` | `TERM(EventCode=4688)` |",
        "## Variants",
        "## Similar rules",
        "## Diagnostics",
    ] {
        let found = md[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("{heading:?} missing or out of order"));
        at += found + heading.len();
    }
}
