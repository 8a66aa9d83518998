//! Each kind of bad input yields one located diagnostic, and the other rules still load.

use std::path::{Path, PathBuf};

use rulescope_load::{LoadOptions, LoadReport, load_paths, load_paths_with};
use rulescope_model::Severity;

const GOOD_RULE: &str = "id: '1.1'
title: Good rule
description: A rule that loads.
logic_format: Splunk
logic: '`get_endpoint_data` TERM(whoami.exe) | table _time, host'
techniques:
- discovery:system owner/user discovery
technique_id:
- T1033
data_category:
- EDR Logs
references:
- https://example.org/whoami
";

/// A directory holding the good rule and `bad.yml` with the given bytes.
fn corpus_with(bad: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("good.yml"), GOOD_RULE).expect("write good");
    std::fs::write(dir.path().join("bad.yml"), bad).expect("write bad");
    dir
}

fn load(dir: &Path) -> LoadReport {
    load_paths(&[dir.to_path_buf()])
}

/// The single error of the report, rendered, after checking the good rule survived.
fn only_error(report: &LoadReport) -> String {
    assert_eq!(report.rules.len(), 1, "the good rule still loads");
    assert_eq!(report.rules[0].id, "1.1");
    assert_eq!(report.files_failed, 1);
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.diagnostic.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{:#?}", report.diagnostics);
    errors[0].render(false)
}

#[test]
fn invalid_yaml_points_at_the_line_and_column() {
    let dir = corpus_with(b"id: '2.1'\ntitle: [unclosed\nlogic: x\n");
    let report = load(dir.path());
    let text = only_error(&report);
    let error = &report.diagnostics[0];
    assert_eq!(error.diagnostic.code, "yaml-syntax");
    assert_eq!((error.line, error.column), (3, 6), "{text}");
    assert!(text.contains("error[yaml-syntax]: invalid YAML:"), "{text}");
    assert!(text.contains("bad.yml:3:6"), "{text}");
    assert!(text.contains("3 | logic: x"), "{text}");
}

#[test]
fn unclosed_quote_is_reported_with_a_hint() {
    let dir = corpus_with(b"id: '2.2'\ntitle: 'never closed\nlogic_format: Splunk\nlogic: 'x'\n");
    let report = load(dir.path());
    let text = only_error(&report);
    assert!(text.contains("bad.yml:4:9"), "{text}");
    assert!(text.contains("4 | logic: 'x'"), "{text}");
    assert!(
        text.contains("help: a quote opened on this line or above may be unclosed"),
        "{text}"
    );
}

#[test]
fn invalid_utf8_names_the_byte() {
    let mut bytes = b"id: '3.1'\ntitle: caf".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\n");
    let dir = corpus_with(&bytes);
    let report = load(dir.path());
    let text = only_error(&report);
    assert!(
        text.contains(
            "error[not-utf8]: file is not valid UTF-8 (byte 20 starts an invalid sequence)"
        ),
        "{text}"
    );
    assert!(text.contains("bad.yml:2:11"), "{text}");
    assert!(text.contains("help: save the file as UTF-8"), "{text}");
}

#[test]
fn missing_required_key_names_the_key() {
    let without_logic = GOOD_RULE.replace(
        "logic: '`get_endpoint_data` TERM(whoami.exe) | table _time, host'\n",
        "",
    );
    let dir = corpus_with(without_logic.replace("'1.1'", "'4.1'").as_bytes());
    let report = load(dir.path());
    let text = only_error(&report);
    assert!(
        text.contains(
            "error[missing-key]: required key `logic` is missing; the file yields no rule"
        ),
        "{text}"
    );
    assert!(text.contains("bad.yml:1:1"), "{text}");
    assert!(text.contains("help: add `logic:` to the rule"), "{text}");
}

#[test]
fn wrong_type_points_at_the_value() {
    let listed_title = GOOD_RULE
        .replace("'1.1'", "'5.1'")
        .replace("title: Good rule", "title:\n- not\n- a string");
    let dir = corpus_with(listed_title.as_bytes());
    let report = load(dir.path());
    let text = only_error(&report);
    assert!(
        text.contains("error[wrong-type]: `title` must be a non-empty string, found a list; the file yields no rule"),
        "{text}"
    );
    assert!(text.contains("bad.yml:3:3"), "{text}");
}

#[test]
fn oversized_file_is_refused_before_reading() {
    let dir = corpus_with(&vec![b'#'; 2048]);
    let options = LoadOptions {
        max_file_bytes: 1024,
    };
    let report = load_paths_with(&[dir.path().to_path_buf()], &options, &|_| {});
    let text = only_error(&report);
    assert!(
        text.contains(
            "error[file-too-large]: file is 2048 bytes, over the 1024 byte limit for a rule file"
        ),
        "{text}"
    );
    assert!(text.contains("bad.yml"), "{text}");
}

#[test]
fn not_a_mapping_is_an_error_not_a_panic() {
    let cases: [(&[u8], &str); 6] = [
        (b"- a list\n- at top level\n", "yaml-syntax"),
        (b"", "not-a-rule"),
        (b"# only a comment\n", "not-a-rule"),
        (b"just a string", "yaml-syntax"),
        (b"{", "yaml-syntax"),
        (b"id: *nope", "yaml-syntax"),
    ];
    for (bad, code) in cases {
        let dir = corpus_with(bad);
        let report = load(dir.path());
        only_error(&report);
        let error = report
            .diagnostics
            .iter()
            .find(|d| d.diagnostic.severity == Severity::Error);
        assert_eq!(
            error.map(|d| d.diagnostic.code.as_ref()),
            Some(code),
            "{bad:?}"
        );
    }
}

#[test]
fn quirks_are_normalised_with_warnings() {
    let quirky = GOOD_RULE
        .replace("'1.1'", "6.10")
        .replace(
            "technique_id:\n- T1033\n",
            "technique_id: [[T1033], T1087]\n",
        )
        .replace(
            "references:\n- https://example.org/whoami\n",
            "references: https://example.org/x\n",
        )
        .replace("data_category:\n- EDR Logs\n", "data_category:\n");
    let dir = corpus_with(quirky.as_bytes());
    let report = load(dir.path());
    assert_eq!(report.rules.len(), 2);
    assert_eq!(report.errors(), 0);
    let rule = report
        .rules
        .iter()
        .find(|r| r.id == "6.10")
        .expect("quirky rule kept");
    // An unquoted id keeps its spelling: 6.10 must not become the float 6.1.
    assert_eq!(rule.use_case, "6");
    assert_eq!(rule.technique_ids, ["T1033", "T1087"]);
    assert_eq!(rule.references, ["https://example.org/x"]);
    assert!(rule.data_categories.is_empty());
    let mut codes: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|d| d.diagnostic.code.as_ref())
        .collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            "nested-list",
            "null-value",
            "scalar-for-list",
            "unquoted-scalar"
        ]
    );
}

#[test]
fn a_missing_path_is_an_error() {
    let report = load_paths(&[PathBuf::from("/nonexistent/rulescope/corpus")]);
    assert_eq!(report.errors(), 1);
    assert_eq!(report.diagnostics[0].diagnostic.code, "path-not-found");
}
