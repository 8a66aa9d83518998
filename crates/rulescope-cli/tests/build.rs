//! `rulescope build` on the bundled example corpus: the site and its exports are written.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn build_writes_the_catalog_site() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/armory");
    let out = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_rulescope"))
        .arg("build")
        .arg(&corpus)
        .arg("--out")
        .arg(out.path())
        .args(["--base-url", "https://rules.example/"])
        .output()
        .expect("run rulescope");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.starts_with("13 rules: "), "{text}");
    for file in [
        "index.html",
        "search.html",
        "search-index.js",
        "catalog.json",
        "indicators.csv",
        "attack/layer.json",
        "techniques/index.html",
        "schema/rule.schema.json",
    ] {
        assert!(out.path().join(file).is_file(), "{file} missing");
    }
    let rules = std::fs::read_dir(out.path().join("rules"))
        .expect("rules dir")
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .count();
    assert_eq!(rules, 13);
    let layer = std::fs::read_to_string(out.path().join("attack/layer.json")).expect("layer");
    assert!(
        layer.contains("\"url\":\"https://rules.example/rules/"),
        "{layer}"
    );
    // Lint findings appear on the rule's page and on the diagnostics index: this example
    // matches `"<EventID>7045<"`, which never occurs in Splunk's raw text of 7045.
    let page = std::fs::read_to_string(out.path().join("rules/90001.90011.html")).expect("page");
    assert!(
        page.contains("raw-xml-qualifiers"),
        "no lint finding on the page"
    );
    let index = std::fs::read_to_string(out.path().join("diagnostics.html")).expect("index");
    assert!(
        index.contains("raw-xml-qualifiers"),
        "no lint finding on the index"
    );
}

#[test]
fn build_needs_an_output_directory() {
    let output = Command::new(env!("CARGO_BIN_EXE_rulescope"))
        .args(["build", "examples/armory"])
        .output()
        .expect("run rulescope");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--out"));
}
