//! Shared by the lint tests: SARIF validation against the official SARIF 2.1.0 schema.
//!
//! The schema is not vendored: the `serde-sarif` crate ships it (`src/schema.json`, from
//! which it generates its types), so the registry brings it as a dev-dependency and the
//! tests find it through `cargo metadata`.

use std::path::PathBuf;
use std::process::Command;

/// The path of the SARIF 2.1.0 schema in the `serde-sarif` package.
fn schema_path() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let manifest = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == "serde-sarif")
        .and_then(|p| p["manifest_path"].as_str())
        .expect("serde-sarif is a dev-dependency");
    PathBuf::from(manifest)
        .with_file_name("src")
        .join("schema.json")
}

/// The first errors of `sarif` against the official schema; empty when it validates.
pub fn sarif_schema_errors(sarif: &serde_json::Value) -> Vec<String> {
    let path = schema_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    validator
        .iter_errors(sarif)
        .take(5)
        .map(|e| e.to_string())
        .collect()
}
