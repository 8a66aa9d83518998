//! `../shared` for unit tests: the armory corpus and a folder of its datasets, or a skip.

use std::path::{Path, PathBuf};

/// `../shared` when it holds the armory corpus and `datasets/<dataset>`; otherwise prints
/// the one line that says the test is skipped.
pub(crate) fn shared_with(dataset: &str) -> Option<PathBuf> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if shared.join("datasets").join(dataset).is_dir() && shared.join("corpus/armory").is_dir() {
        Some(shared)
    } else {
        eprintln!("skipped: ../shared (armory corpus and EVTX datasets) is not present");
        None
    }
}
