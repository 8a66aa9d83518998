//! `rulescope lint` on the bundled example corpus: text, SARIF, configuration, exit codes.

mod support;

use support::{examples, rulescope, stdout};

#[test]
fn text_output_points_into_the_yaml_file_and_exit_follows_deny() {
    let corpus = examples("armory");
    let output = rulescope(&["lint", &corpus]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("warning[field-legacy-rendering]"), "{text}");
    assert!(text.contains("fix: search \"7045</EventID>\""), "{text}");
    assert!(
        text.contains("13 rules linted: 0 errors, 5 warnings, 8 notes"),
        "{text}"
    );
    let output = rulescope(&["lint", "--deny", "warning", &corpus]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn sarif_has_rules_results_and_relative_uris() {
    let output = rulescope(&["lint", "--format", "sarif", &examples("armory")]);
    assert_eq!(output.status.code(), Some(0));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert!(
        run["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules")
            .len()
            >= 17
    );
    let result = &run["results"][0];
    let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .expect("uri");
    // The tests run in the crate folder: the examples are outside it, so the URI is absolute.
    assert!(
        uri.starts_with("file:///") && uri.ends_with(".yml"),
        "{uri}"
    );
    assert!(result["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64() > Some(1));
}

#[test]
fn configuration_turns_checks_off_and_bad_configuration_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("lint.toml");
    std::fs::write(
        &config,
        "[checks]\nfield-legacy-rendering = \"off\"\nraw-xml-qualifiers = \"error\"\n",
    )
    .expect("write");
    let output = rulescope(&[
        "lint",
        "--config",
        config.to_str().expect("utf-8"),
        &examples("armory"),
    ]);
    let text = stdout(&output);
    assert!(!text.contains("field-legacy-rendering"), "{text}");
    assert!(text.contains("error[raw-xml-qualifiers]"), "{text}");
    assert_eq!(output.status.code(), Some(1));

    std::fs::write(&config, "[checks]\nno-such-check = \"off\"\n").expect("write");
    let output = rulescope(&[
        "lint",
        "--config",
        config.to_str().expect("utf-8"),
        &examples("armory"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown check `no-such-check`"));
    let output = rulescope(&["lint", "--format", "xml", &examples("armory")]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn check_can_lint_too() {
    let output = rulescope(&["check", "--lint", &examples("armory")]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("13 rules linted: 0 errors, 5 warnings, 8 notes"),
        "{text}"
    );
    assert!(text.contains("13 rules in 8 use cases"), "{text}");
    let output = rulescope(&["check", "--lint", "--format", "json", &examples("armory")]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["lint_findings"].as_array().map(Vec::len), Some(13));
    let output = rulescope(&["check", "--format", "json", &examples("armory")]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert!(json.get("lint_findings").is_none());
}
