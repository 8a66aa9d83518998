//! `rulescope check` on the bundled example corpus: output, JSON and exit codes.

mod support;

use support::{examples, rulescope, stdout};

#[test]
fn check_summarises_the_example_corpus() {
    let corpus = examples("armory");
    let output = rulescope(&["check", corpus.as_str()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("13 rules in 8 use cases from 13 files (0 could not be loaded)"),
        "{text}"
    );
    assert!(
        text.contains("  Splunk          9\n  Snowflake       4\n"),
        "{text}"
    );
    assert!(text.contains("warning[scalar-for-list]"), "{text}");
    assert!(text.contains("0 errors, 2 warnings"), "{text}");
}

#[test]
fn json_summary_has_the_counts_and_located_diagnostics() {
    let corpus = examples("armory");
    let output = rulescope(&["check", "--format", "json", corpus.as_str()]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["rules"], 13);
    assert_eq!(json["use_cases"], 8);
    assert_eq!(json["rules_by_format"]["Snowflake"], 4);
    assert_eq!(json["rules_by_data_category"]["EDR Logs"], 3);
    assert_eq!(json["diagnostics_by_code"]["null-value"], 1);
    let first = &json["diagnostics"][0];
    assert_eq!(first["code"], "scalar-for-list");
    assert_eq!(first["severity"], "warning");
    assert_eq!(first["line"], 15);
    assert_eq!(first["column"], 15);
}

#[test]
fn exit_codes_follow_errors_deny_and_usage() {
    let broken = examples("broken");
    let armory = examples("armory");
    let broken = broken.as_str();
    let armory = armory.as_str();

    let output = rulescope(&["check", broken, armory]);
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an unloadable file fails the run"
    );
    assert!(text.contains("error[yaml-syntax]"), "{text}");
    assert!(text.contains("broken_quote-splunk-edr.yml:5:9"), "{text}");
    assert!(
        text.contains("13 rules in 8 use cases from 14 files (1 could not be loaded)"),
        "{text}"
    );

    let denied = rulescope(&["check", "--deny", "warnings", armory]);
    assert_eq!(
        denied.status.code(),
        Some(1),
        "--deny warnings fails on warnings"
    );

    let quiet = rulescope(&["check", "-q", armory]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(!stdout(&quiet).contains("warning["), "-q hides warnings");

    assert_eq!(
        rulescope(&["check"]).status.code(),
        Some(2),
        "missing path is a usage error"
    );
    assert_eq!(rulescope(&["frobnicate"]).status.code(), Some(2));
}
