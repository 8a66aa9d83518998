//! `rulescope build`: the static catalog site and its exports.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use rulescope_site::SiteOptions;

use super::ReferenceArgs;
use crate::Verbosity;

#[derive(clap::Args)]
pub struct Args {
    /// Rule files or directories to publish.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The directory to write the site into (created if missing).
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// The catalog's name, shown on every page.
    #[arg(long, default_value = "rulescope catalog")]
    title: String,
    /// Where the site will be published: ATT&CK Navigator layers then link back to rule pages.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    #[command(flatten)]
    reference: ReferenceArgs,
}

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let corpus = super::analyze(&args.paths, &args.reference, verbosity)?;
    let options = SiteOptions {
        title: args.title.clone(),
        base_url: args.base_url.clone(),
    };
    let started = std::time::Instant::now();
    let stats = rulescope_site::build(&corpus, &args.out, &options)
        .with_context(|| format!("building the site in {}", args.out.display()))?;
    if verbosity != Verbosity::Quiet {
        println!(
            "{} rules: {} pages, {} files ({:.1} MB) in {} ({:.2} s)",
            stats.rules,
            stats.pages,
            stats.files,
            stats.bytes as f64 / 1e6,
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}
