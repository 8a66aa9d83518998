//! Which fields each data source produces: the table the field-name checks read.
//!
//! The built-in table is `data/fields.toml`; a file of the same shape replaces it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::Deserialize;

use crate::config::ConfigError;

/// The fields of one data source, and the classic-rendering names it never has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceFields {
    pub fields: BTreeSet<String>,
    /// Classic name → the XML name(s) to use instead.
    pub legacy: BTreeMap<String, Vec<String>>,
}

/// Fields by data source key.
#[derive(Clone, Debug, Default)]
pub struct FieldTable {
    sources: HashMap<String, SourceFields>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    sources: BTreeMap<String, RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    legacy: BTreeMap<String, Vec<String>>,
}

impl FieldTable {
    /// The table rulescope ships: the Windows sources as the Splunk add-on names them.
    pub fn builtin() -> Self {
        // The shipped table is tested to parse; an empty table only disables the checks.
        Self::parse(include_str!("../data/fields.toml")).unwrap_or_default()
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        Self::parse(&text).map_err(|ConfigError(e)| ConfigError(format!("{}: {e}", path.display())))
    }

    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let raw: RawTable = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        let mut sources = HashMap::new();
        for name in raw.sources.keys() {
            let mut resolved = SourceFields::default();
            include(&raw.sources, name, &mut resolved, &mut Vec::new())?;
            sources.insert(name.clone(), resolved);
        }
        Ok(Self { sources })
    }

    /// The fields of a data source, when the table knows it.
    pub fn get(&self, source: &str) -> Option<&SourceFields> {
        self.sources.get(source)
    }
}

/// Adds `name`'s fields and those of what it includes, refusing include cycles.
fn include(
    raw: &BTreeMap<String, RawSource>,
    name: &str,
    into: &mut SourceFields,
    path: &mut Vec<String>,
) -> Result<(), ConfigError> {
    if path.iter().any(|p| p == name) {
        return Err(ConfigError(format!("`{name}` includes itself")));
    }
    let source = raw
        .get(name)
        .ok_or_else(|| ConfigError(format!("`{}` includes unknown `{name}`", path.join(" → "))))?;
    path.push(name.to_owned());
    for inner in &source.include {
        include(raw, inner, into, path)?;
    }
    path.pop();
    into.fields.extend(source.fields.iter().cloned());
    into.legacy
        .extend(source.legacy.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_with_includes() {
        let table = FieldTable::parse(include_str!("../data/fields.toml")).expect("valid");
        let winevent = table.get("windows-event-log").expect("winevent");
        assert!(winevent.fields.contains("process_name"));
        assert_eq!(
            winevent.legacy["Relative_Target_Name"],
            ["RelativeTargetName"]
        );
        let powershell = table.get("powershell").expect("powershell");
        assert!(powershell.fields.contains("ScriptBlockText"));
        assert!(powershell.fields.contains("signature_id"));
        assert!(table.get("edr").is_none());
    }

    #[test]
    fn include_errors() {
        let err = FieldTable::parse("[sources.a]\ninclude = [\"a\"]\n").expect_err("cycle");
        assert!(err.0.contains("includes itself"), "{err}");
        let err = FieldTable::parse("[sources.a]\ninclude = [\"b\"]\n").expect_err("unknown");
        assert!(err.0.contains("unknown `b`"), "{err}");
    }
}
