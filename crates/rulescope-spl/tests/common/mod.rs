//! Helpers shared by the integration tests.

use std::path::PathBuf;

use rulescope_model::LogicFormat;
use serde_json::Value;

/// (id, logic) of every Splunk rule of the armory corpus, read at run time from ../shared
/// with the loader; `None` (with one line on stderr) when the corpus is absent.
#[allow(dead_code)] // not every test binary reads the corpus
pub fn armory() -> Option<Vec<(String, String)>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/armory");
    if !root.is_dir() {
        eprintln!("skipping: ../shared/corpus/armory not found");
        return None;
    }
    let report = rulescope_load::load_paths(&[root.join("detections")]);
    Some(
        report
            .rules
            .into_iter()
            .filter(|r| r.logic_format == LogicFormat::Splunk)
            .map(|r| (r.id, r.logic))
            .collect(),
    )
}

/// The tree as JSON with every span removed, for comparisons that ignore positions.
pub fn without_spans<T: serde::Serialize>(tree: &T) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.len() == 2 && m.contains_key("start") && m.contains_key("end") {
                    *v = Value::Null;
                    return;
                }
                m.remove("span");
                m.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(tree).unwrap_or(Value::Null);
    strip(&mut v);
    v
}
