//! One module per subcommand.

pub mod build;
pub mod check;
pub mod coverage;
pub mod indicators;
pub mod lint;
pub mod parse;
pub mod serve;
pub mod show;
pub mod test;

use std::path::PathBuf;

use anyhow::Context;
use rulescope_analysis::{CorpusAnalysis, Reference};
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

/// Reference data files, for the commands that analyse.
#[derive(clap::Args, Clone)]
pub struct ReferenceArgs {
    /// ATT&CK data: a STIX 2.1 bundle (MITRE's enterprise-attack.json) or rulescope's compact
    /// JSON. Without it, tactics are built in and technique names come from the rules.
    #[arg(long, value_name = "PATH")]
    pub attack: Option<PathBuf>,
    /// Windows event titles as CSV (provider,provider_short,channel,event_id,title,...),
    /// merged over the built-in table of the events detection content uses most.
    #[arg(long, value_name = "PATH")]
    pub event_catalog: Option<PathBuf>,
}

/// Loads and analyses corpora.
pub fn analyze(
    paths: &[PathBuf],
    reference: &ReferenceArgs,
    verbosity: Verbosity,
) -> anyhow::Result<CorpusAnalysis> {
    let data = Reference::load(
        reference.attack.as_deref(),
        reference.event_catalog.as_deref(),
    )
    .context("loading reference data")?;
    let report = load(paths, verbosity);
    let started = std::time::Instant::now();
    let corpus = rulescope_analysis::analyze(report, &data);
    tracing::debug!(
        rules = corpus.rules.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "analysed"
    );
    Ok(corpus)
}
