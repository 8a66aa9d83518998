//! The lint configuration: which checks run, at which level, for which files.
//!
//! ```toml
//! attack = "attack-enterprise.json"   # ATT&CK data for the attack-* checks (optional)
//! fields = "fields.toml"              # a field table replacing the built-in one (optional)
//!
//! [checks]                            # code or `prefix-*` = "error" | "warning" | "note" | "off"
//! leading-wildcard = "off"
//! "spl-*" = "warning"
//!
//! [[overrides]]                       # later overrides win over earlier ones and [checks]
//! paths = ["endpoint/**"]             # globs over the path relative to the corpus root
//! checks = { field-not-produced = "off" }
//! ```
//!
//! Within one table an exact code wins over a `prefix-*` pattern. Paths in the file are
//! relative to the file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};
use rulescope_model::Severity;
use serde::Deserialize;

/// What the configuration says about one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelSetting {
    Off,
    Level(Severity),
}

impl LevelSetting {
    fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "off" | "allow" | "none" => Self::Off,
            "error" | "deny" => Self::Level(Severity::Error),
            "warning" | "warn" => Self::Level(Severity::Warning),
            "note" | "info" => Self::Level(Severity::Note),
            _ => return None,
        })
    }
}

/// Levels by code: exact codes and `prefix-*` patterns.
#[derive(Clone, Debug, Default)]
struct Levels {
    exact: BTreeMap<String, LevelSetting>,
    prefixes: Vec<(String, LevelSetting)>,
}

impl Levels {
    fn get(&self, code: &str) -> Option<LevelSetting> {
        if let Some(setting) = self.exact.get(code) {
            return Some(*setting);
        }
        // The longest matching prefix is the most specific.
        self.prefixes
            .iter()
            .filter(|(prefix, _)| code.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, setting)| *setting)
    }
}

#[derive(Clone, Debug)]
struct Override {
    paths: GlobSet,
    levels: Levels,
}

/// A parsed configuration; the default runs every check at its default level.
#[derive(Clone, Debug, Default)]
pub struct Config {
    levels: Levels,
    overrides: Vec<Override>,
    /// ATT&CK data to load, resolved against the configuration file's folder.
    pub attack: Option<PathBuf>,
    /// A field table to load instead of the built-in one.
    pub fields: Option<PathBuf>,
}

/// A configuration that cannot be read or makes no sense.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    attack: Option<PathBuf>,
    fields: Option<PathBuf>,
    #[serde(default)]
    checks: BTreeMap<String, String>,
    #[serde(default)]
    overrides: Vec<RawOverride>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    paths: Vec<String>,
    #[serde(default)]
    checks: BTreeMap<String, String>,
}

impl Config {
    /// Reads a TOML configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        let mut config = Self::parse(&text)
            .map_err(|ConfigError(e)| ConfigError(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new(""));
        config.attack = config.attack.map(|p| base.join(p));
        config.fields = config.fields.map(|p| base.join(p));
        Ok(config)
    }

    /// Parses configuration text; paths in it stay as written.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
        let overrides = raw
            .overrides
            .into_iter()
            .map(|o| {
                let mut builder = GlobSetBuilder::new();
                for pattern in &o.paths {
                    let glob = globset::GlobBuilder::new(pattern)
                        .literal_separator(true)
                        .build()
                        .map_err(|e| ConfigError(format!("bad path glob `{pattern}`: {e}")))?;
                    builder.add(glob);
                }
                Ok(Override {
                    paths: builder
                        .build()
                        .map_err(|e| ConfigError(format!("bad path globs: {e}")))?,
                    levels: levels(o.checks)?,
                })
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(Self {
            levels: levels(raw.checks)?,
            overrides,
            attack: raw.attack,
            fields: raw.fields,
        })
    }

    /// The level of a check's finding in a file (`relative_path`), or `None` when the
    /// check is off there.
    pub fn level(&self, code: &str, relative_path: &str, default: Severity) -> Option<Severity> {
        let mut setting = self.levels.get(code);
        for o in &self.overrides {
            if o.paths.is_match(relative_path)
                && let Some(s) = o.levels.get(code)
            {
                setting = Some(s);
            }
        }
        match setting.unwrap_or(LevelSetting::Level(default)) {
            LevelSetting::Off => None,
            LevelSetting::Level(level) => Some(level),
        }
    }
}

/// Codes that come from the parsers and the ATT&CK checks rather than [`crate::CHECKS`].
const FOREIGN_PREFIXES: &[&str] = &["spl-", "sql-", "attack-"];

fn levels(table: BTreeMap<String, String>) -> Result<Levels, ConfigError> {
    let mut levels = Levels::default();
    for (code, value) in table {
        let setting = LevelSetting::parse(&value).ok_or_else(|| {
            ConfigError(format!(
                "`{code} = \"{value}\"`: the level must be error, warning, note or off"
            ))
        })?;
        if let Some(prefix) = code.strip_suffix('*') {
            levels.prefixes.push((prefix.to_owned(), setting));
        } else if crate::check_info(&code).is_some()
            || FOREIGN_PREFIXES.iter().any(|p| code.starts_with(p))
        {
            levels.exact.insert(code, setting);
        } else {
            return Err(ConfigError(format!(
                "unknown check `{code}` (`rulescope lint --list-checks` lists them)"
            )));
        }
    }
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_by_code_prefix_and_path() {
        let config = Config::parse(
            r#"
            [checks]
            leading-wildcard = "off"
            "spl-*" = "note"
            spl-glued-operator = "error"

            [[overrides]]
            paths = ["endpoint/**"]
            checks = { leading-wildcard = "warning", "spl-*" = "off" }
            "#,
        )
        .expect("valid");
        let w = Severity::Warning;
        assert_eq!(config.level("leading-wildcard", "cloud/a.yml", w), None);
        assert_eq!(
            config.level("leading-wildcard", "endpoint/x/a.yml", Severity::Note),
            Some(Severity::Warning)
        );
        assert_eq!(
            config.level("spl-stray-comma", "cloud/a.yml", w),
            Some(Severity::Note)
        );
        assert_eq!(
            config.level("spl-glued-operator", "cloud/a.yml", w),
            Some(Severity::Error)
        );
        assert_eq!(config.level("spl-stray-comma", "endpoint/a/b.yml", w), None);
        // `*` does not cross a folder.
        assert_eq!(
            config.level("field-dropped", "endpoint/a.yml", Severity::Error),
            Some(Severity::Error)
        );
    }

    #[test]
    fn unknown_codes_levels_and_keys_are_errors() {
        let err = Config::parse("[checks]\nno-such-check = \"off\"\n").expect_err("unknown");
        assert!(err.0.contains("unknown check `no-such-check`"), "{err}");
        let err = Config::parse("[checks]\nleading-wildcard = \"loud\"\n").expect_err("level");
        assert!(err.0.contains("error, warning, note or off"), "{err}");
        assert!(Config::parse("colour = true\n").is_err());
    }
}
