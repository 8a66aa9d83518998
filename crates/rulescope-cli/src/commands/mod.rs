//! One module per subcommand.

pub mod check;
pub mod coverage;
pub mod test;

use std::path::PathBuf;

use rulescope_load::{LoadOptions, LoadReport};

use crate::Verbosity;

/// Loads corpora with a progress bar over the files.
pub fn load(paths: &[PathBuf], verbosity: Verbosity) -> LoadReport {
    let (files, _) = rulescope_load::discover(paths);
    let bar = crate::progress::bar(files.len(), "loading rules", verbosity);
    let started = std::time::Instant::now();
    let report = rulescope_load::load_paths_with(paths, &LoadOptions::default(), &|done| {
        bar.set_position(done as u64)
    });
    bar.finish_and_clear();
    tracing::debug!(
        files = report.files_read,
        rules = report.rules.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "loaded"
    );
    report
}
