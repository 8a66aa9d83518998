//! `rulescope indicators`: the corpus's most shared indicators and search terms, with the
//! data-source selectors listed apart.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use rulescope_analysis::report::IndexEntry;
use serde::Serialize;

use super::ReferenceArgs;
use crate::{Format, Verbosity};

#[derive(clap::Args)]
pub struct Args {
    /// Rule files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// How many entries of each list to print.
    #[arg(long, default_value_t = 25)]
    top: usize,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[command(flatten)]
    reference: ReferenceArgs,
}

#[derive(Serialize)]
struct Lists<'a> {
    indicators: &'a [IndexEntry],
    search_terms: &'a [IndexEntry],
    selectors: &'a [IndexEntry],
}

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let corpus = super::analyze(&args.paths, &args.reference, verbosity)?;
    let top = |list: &'_ [IndexEntry]| -> usize { list.len().min(args.top) };
    let lists = Lists {
        indicators: &corpus.indicators[..top(&corpus.indicators)],
        search_terms: &corpus.search_terms[..top(&corpus.search_terms)],
        selectors: &corpus.selectors[..top(&corpus.selectors)],
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &lists)?;
            writeln!(out)?;
        }
        Format::Text => {
            for (heading, list) in [
                ("Indicators", lists.indicators),
                ("Search terms", lists.search_terms),
                ("Data-source selectors", lists.selectors),
            ] {
                writeln!(out, "{heading} (use cases, rules, key)")?;
                for entry in list {
                    writeln!(
                        out,
                        "  {:>5} {:>5}  {}",
                        entry.use_cases,
                        entry.rules.len(),
                        entry.key
                    )?;
                }
                writeln!(out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
