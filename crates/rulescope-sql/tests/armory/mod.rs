//! Reads the armory's Snowflake rules from `shared/` at run time (they are never copied
//! into the repository), with the project's loader. Shared by the tests and the bench.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rulescope_model::{LogicFormat, Rule};

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/armory/detections")
}

/// The Snowflake rules of the armory, sorted by id, or `None` (after saying so on one
/// line) when the corpus is not there. Read once per test binary.
pub fn snowflake_rules() -> Option<&'static [Rule]> {
    static RULES: OnceLock<Option<Vec<Rule>>> = OnceLock::new();
    RULES.get_or_init(read_rules).as_deref()
}

fn read_rules() -> Option<Vec<Rule>> {
    let dir = corpus_dir();
    if !dir.is_dir() {
        eprintln!("skipped: armory corpus not found at {}", dir.display());
        return None;
    }
    let mut rules: Vec<Rule> = rulescope_load::load_paths(&[dir])
        .rules
        .into_iter()
        .filter(|r| r.logic_format == LogicFormat::Snowflake)
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Some(rules)
}

/// The rule with this id; panics (a test failure) when the corpus lacks it.
#[allow(dead_code)] // the bench reads the whole corpus only
pub fn rule<'a>(rules: &'a [Rule], id: &str) -> &'a Rule {
    rules
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("rule {id} is not in the corpus"))
}
