//! SARIF 2.1.0 output, as GitHub code scanning reads it: one run, the checks as
//! `tool.driver.rules`, results with file-relative regions in the YAML files.

use std::path::{Path, PathBuf};

use rulescope_model::Severity;
use serde_json::{Value, json};

use crate::{CHECKS, Finding, check_info};

/// Where artifact URIs are made relative to (`%SRCROOT%`), usually the repository root.
#[derive(Clone, Debug)]
pub struct SarifOptions {
    pub root: PathBuf,
    pub tool_version: String,
}

/// The SARIF log of a set of findings.
pub fn to_sarif(findings: &[Finding], options: &SarifOptions) -> Value {
    // Every defined check, then the parser and ATT&CK codes that occur, in order of use.
    let mut rules: Vec<Value> = CHECKS
        .iter()
        .map(|c| rule_descriptor(c.code, c.level, c.summary, c.help))
        .collect();
    let mut ids: Vec<String> = CHECKS.iter().map(|c| c.code.to_owned()).collect();
    for finding in findings {
        if !ids.iter().any(|id| *id == finding.code) {
            ids.push(finding.code.to_string());
            let origin = match finding.code.split('-').next() {
                Some("spl") => "the SPL parser",
                Some("sql") => "the Snowflake SQL parser",
                Some("attack") => "the ATT&CK metadata checks",
                _ => "rulescope",
            };
            rules.push(rule_descriptor(
                &finding.code,
                finding.level,
                &format!("{} (reported by {origin})", finding.code),
                finding.help.as_deref().unwrap_or(&finding.message),
            ));
        }
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let index = ids.iter().position(|id| *id == f.code).unwrap_or(0);
            result(f, index, &options.root)
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "rulescope",
                "semanticVersion": options.tool_version,
                "informationUri": "https://example.invalid/rulescope",
                "rules": rules,
            }
        },
        "columnKind": "utf16CodeUnits",
        "results": results,
    });
    run["originalUriBaseIds"] = json!({ "%SRCROOT%": { "uri": directory_uri(&options.root) } });
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

fn rule_descriptor(id: &str, level: Severity, summary: &str, help: &str) -> Value {
    json!({
        "id": id,
        "name": camel_case(id),
        "shortDescription": { "text": summary },
        "fullDescription": { "text": format!("{summary}. {help}") },
        "help": { "text": help },
        "defaultConfiguration": { "level": level_name(level) },
        "properties": { "tags": [check_info(id).map_or("parser", |_| "rulescope")] },
    })
}

fn level_name(level: Severity) -> &'static str {
    match level {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `field-dropped` → `FieldDropped`, the form SARIF suggests for `name`.
fn camel_case(code: &str) -> String {
    code.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

fn result(finding: &Finding, rule_index: usize, root: &Path) -> Value {
    let artifact = artifact_location(&finding.file, root);
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message = format!("{message}. Help: {help}");
    }
    let mut physical = json!({ "artifactLocation": artifact });
    if let Some(location) = finding.location {
        physical["region"] = json!({
            "startLine": location.start_line,
            "startColumn": location.start_column,
            "endLine": location.end_line,
            "endColumn": location.end_column.max(if location.end_line == location.start_line { location.start_column + 1 } else { 1 }),
        });
    }
    let mut result = json!({
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": level_name(finding.level),
        "message": { "text": message },
        "locations": [{ "physicalLocation": physical }],
        "properties": { "detectionRuleId": finding.rule_id },
    });
    if let Some(fix) = &finding.fix {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .filter_map(|edit| {
                Some(json!({
                    "deletedRegion": {
                        "byteOffset": edit.file_span?.start,
                        "byteLength": edit.file_span?.len(),
                    },
                    "insertedContent": { "text": edit.file_replacement.as_ref()? },
                }))
            })
            .collect();
        // A fix with an edit that cannot be placed in the file is left out whole.
        if replacements.len() == fix.edits.len() && !replacements.is_empty() {
            result["fixes"] = json!([{
                "description": { "text": fix.description },
                "artifactChanges": [{
                    "artifactLocation": artifact_location(&finding.file, root),
                    "replacements": replacements,
                }],
            }]);
        }
    }
    result
}

/// The file relative to the root with `%SRCROOT%`, or an absolute `file:` URI outside it.
fn artifact_location(file: &Path, root: &Path) -> Value {
    let file = absolute(file);
    match file.strip_prefix(absolute(root)) {
        Ok(relative) => json!({
            "uri": encode_path(relative),
            "uriBaseId": "%SRCROOT%",
        }),
        Err(_) => json!({ "uri": format!("file://{}", encode_path(&file)) }),
    }
}

/// The absolute path with `.` and `..` resolved by their names (symlinks kept).
fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn directory_uri(root: &Path) -> String {
    let mut uri = format!("file://{}", encode_path(&absolute(root)));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Percent-encodes a path for a URI: `/`-separated segments, unreserved characters and
/// sub-delimiters kept, everything else (spaces, `|`, `%`, non-ASCII) as UTF-8 escapes.
fn encode_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            );
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(
            encode_path(Path::new("web/download_exe|msi bat–x/a(1)$.yml")),
            "web/download_exe%7Cmsi%20bat%E2%80%93x/a(1)$.yml"
        );
        assert_eq!(camel_case("field-dropped"), "FieldDropped");
    }

    #[test]
    fn relative_under_the_root_absolute_outside() {
        let root = Path::new("/repo");
        assert_eq!(
            artifact_location(Path::new("/repo/rules/a b.yml"), root),
            json!({ "uri": "rules/a%20b.yml", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            artifact_location(Path::new("/elsewhere/a.yml"), root),
            json!({ "uri": "file:///elsewhere/a.yml" })
        );
        assert_eq!(
            artifact_location(Path::new("/repo/x/../../b.yml"), root),
            json!({ "uri": "file:///b.yml" })
        );
    }
}
