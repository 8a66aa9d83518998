//! Hand-made rules: findings placed in the YAML file through quoting and folding, fixes
//! escaped for the scalar, configuration by path, SARIF against the schema.

mod support;

use std::path::PathBuf;

use rulescope_lint::{Config, LintContext, SarifOptions, lint_corpus, to_sarif};
use rulescope_model::Rule;

/// Writes `files` (relative path, text) under a temporary corpus and loads it.
fn load(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<Rule>) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    let rules = rulescope_load::load_paths(&[PathBuf::from(dir.path())]).rules;
    (dir, rules)
}

fn rule_file(id: &str, logic: &str) -> String {
    format!(
        "id: '{id}'\ntitle: Test\ndescription: test\nlogic_format: Splunk\nlogic: {logic}\ntechniques:\n- execution:command and scripting interpreter\ntechnique_id:\n- T1059\ndata_category:\n- Windows event logs\nreferences:\n- example.com/a\n- https://example.com/b\n- https://example.com/b\n"
    )
}

const LOGIC: &str = "'`get_endpoint_data` `get_endpoint_data_winevent` (TERM(EventCode=7045) OR \"<EventID>7045<\")\n  \"it''s\" or \"x\" | eval f=Share_Name\n  | table _time, host | where match(f, \"(a+)+\")'";

#[test]
fn findings_land_on_the_file_characters_and_fixes_are_escaped() {
    let (_dir, rules) = load(&[("endpoint/a/a-splunk-winevent.yml", &rule_file("1.2", LOGIC))]);
    let findings = lint_corpus(&rules, &LintContext::default());
    let text: &str = &rules[0].source.text;
    let summary: Vec<(&str, String, usize, usize)> = findings
        .iter()
        .map(|f| {
            let l = f.location.expect("located");
            (
                f.code.as_ref(),
                text[l.span.range()].to_owned(),
                l.start_line,
                l.start_column,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("raw-xml-qualifiers", "\"<EventID>7045<\"".to_owned(), 5, 83),
            ("lowercase-operator", "or".to_owned(), 6, 11),
            ("eval-unused", "f".to_owned(), 6, 25),
            ("field-legacy-rendering", "Share_Name".to_owned(), 6, 27),
            ("field-dropped", "f".to_owned(), 7, 37),
            ("regex-catastrophic", "(a+)+".to_owned(), 7, 41),
            ("reference-no-scheme", "example.com/a".to_owned(), 15, 3),
            (
                "reference-duplicate",
                "https://example.com/b".to_owned(),
                17,
                3
            ),
        ]
    );
    let lower = findings
        .iter()
        .find(|f| f.code == "lowercase-operator")
        .expect("or");
    let edit = &lower.fix.as_ref().expect("fix").edits[0];
    assert_eq!(edit.file_replacement.as_deref(), Some("OR"));
    assert_eq!(&text[edit.file_span.expect("in file").range()], "or");
    let rendered = lower.render(text, false);
    assert!(rendered.contains("6 |   \"it''s\" or \"x\""), "{rendered}");
    assert!(rendered.contains("fix: write `OR`"), "{rendered}");
}

#[test]
fn configuration_by_path_and_sarif_that_validates() {
    let (dir, rules) = load(&[
        ("endpoint/a/a-splunk-winevent.yml", &rule_file("1.2", LOGIC)),
        ("cloud/b/b-splunk-winevent.yml", &rule_file("1.2", LOGIC)),
    ]);
    let context = LintContext {
        config: Config::parse(
            "[checks]\n\"regex-*\" = \"off\"\n[[overrides]]\npaths = [\"cloud/**\"]\nchecks = { duplicate-id = \"off\", lowercase-operator = \"error\" }\n",
        )
        .expect("config"),
        ..LintContext::default()
    };
    let findings = lint_corpus(&rules, &context);
    assert!(findings.iter().all(|f| !f.code.starts_with("regex-")));
    let of = |code: &str| -> Vec<(&str, &str)> {
        findings
            .iter()
            .filter(|f| f.code == code)
            .map(|f| (f.path.as_str(), f.level.as_str()))
            .collect()
    };
    assert_eq!(
        of("duplicate-id"),
        [("endpoint/a/a-splunk-winevent.yml", "warning")]
    );
    assert_eq!(
        of("lowercase-operator"),
        [
            ("cloud/b/b-splunk-winevent.yml", "error"),
            ("endpoint/a/a-splunk-winevent.yml", "warning")
        ]
    );
    let sarif = to_sarif(
        &findings,
        &SarifOptions {
            root: dir.path().to_path_buf(),
            tool_version: "0.1.0".into(),
        },
    );
    let errors = support::sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"],
        serde_json::json!({ "uri": "cloud/b/b-splunk-winevent.yml", "uriBaseId": "%SRCROOT%" })
    );
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    // The fix of the lower-case `or` replaces the two bytes of the file.
    let fixed = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "lowercase-operator")
        .expect("or");
    assert_eq!(
        fixed["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"],
        "OR"
    );
}
