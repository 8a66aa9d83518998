//! Reads the armory's Snowflake rules from `shared/` at run time (they are never copied
//! into the repository). Shared by the tests and the bench.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[derive(serde::Deserialize)]
struct RuleFile {
    id: String,
    #[serde(default)]
    logic_format: Option<String>,
    #[serde(default)]
    logic: Option<String>,
}

/// One Snowflake rule: its id and query.
pub struct SqlRule {
    pub id: String,
    pub logic: String,
}

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/armory/detections")
}

/// The Snowflake rules of the armory, sorted by id, or `None` (after saying so on one
/// line) when the corpus is not there. Read once per test binary.
pub fn snowflake_rules() -> Option<&'static [SqlRule]> {
    static RULES: OnceLock<Option<Vec<SqlRule>>> = OnceLock::new();
    RULES.get_or_init(read_rules).as_deref()
}

fn read_rules() -> Option<Vec<SqlRule>> {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!("skipped: armory corpus not found at {}", dir.display());
        return None;
    }
    let mut rules = Vec::new();
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let Ok(entry) = entry else { continue };
        if entry.path().extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Ok(file) = serde_saphyr::from_str::<RuleFile>(&text) else {
            continue;
        };
        if file.logic_format.as_deref() == Some("snowflake")
            && let Some(logic) = file.logic
        {
            rules.push(SqlRule { id: file.id, logic });
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Some(rules)
}

/// The rule with this id; panics (a test failure) when the corpus lacks it.
#[allow(dead_code)] // the bench reads the whole corpus only
pub fn rule<'a>(rules: &'a [SqlRule], id: &str) -> &'a SqlRule {
    rules
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("rule {id} is not in the corpus"))
}
