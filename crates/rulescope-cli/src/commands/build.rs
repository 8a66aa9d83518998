//! `rulescope build`: the static catalog site and its exports.

use std::path::PathBuf;
use std::process::ExitCode;

use std::collections::HashMap;

use anyhow::Context;
use rulescope_analysis::{CorpusAnalysis, Reference};
use rulescope_lint::{Finding, LintContext};
use rulescope_model::Diagnostic;
use rulescope_site::SiteOptions;

use super::ReferenceArgs;
use super::test::EngineArgs;
use crate::Verbosity;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub site: SiteArgs,
    /// The directory to write the site into (created if missing).
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
}

/// What goes into a catalog site, shared by `build` and `serve`.
#[derive(clap::Args, Clone)]
pub struct SiteArgs {
    /// Rule files or directories to publish.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The catalog's name, shown on every page.
    #[arg(long, default_value = "rulescope catalog")]
    pub title: String,
    /// Where the site will be published: ATT&CK Navigator layers then link back to rule pages.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub reference: ReferenceArgs,
    /// Recorded events (EVTX, JSON lines; directories are walked): each rule page then says
    /// whether the rule fires on them, and the site gets a coverage page (event files
    /// labelled with ATT&CK technique ids in their path).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub events: Vec<PathBuf>,
    /// How rules run over `--events`.
    #[command(flatten)]
    pub engine: EngineArgs,
}

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let (corpus, options) = catalog(&args.site, verbosity)?;
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

/// Loads, lints and analyses the corpora: everything a site is built from.
pub fn catalog(
    args: &SiteArgs,
    verbosity: Verbosity,
) -> anyhow::Result<(CorpusAnalysis, SiteOptions)> {
    let reference = Reference::load(
        args.reference.attack.as_deref(),
        args.reference.event_catalog.as_deref(),
    )
    .context("loading reference data")?;
    let report = super::load(&args.paths, verbosity);
    let evaluation = if args.events.is_empty() {
        None
    } else {
        let engine = args.engine.compile(&report.rules)?;
        Some(super::coverage::run_coverage(
            &engine,
            &args.events,
            verbosity,
        ))
    };
    let findings = rulescope_lint::lint_corpus(
        &report.rules,
        &LintContext {
            attack: reference.attack.clone(),
            events: reference.events.clone(),
            ..LintContext::default()
        },
    );
    let mut corpus = rulescope_analysis::analyze(report, &reference);
    attach_findings(&mut corpus, findings);
    let options = SiteOptions {
        title: args.title.clone(),
        base_url: args.base_url.clone(),
        evaluation,
    };
    Ok((corpus, options))
}

/// Rule pages show lint findings as their diagnostics. Lint reports the parse and ATT&CK
/// findings of the analysis too, so its findings replace them rather than repeat them.
fn attach_findings(corpus: &mut CorpusAnalysis, findings: Vec<Finding>) {
    let mut by_rule: HashMap<(String, String), Vec<Finding>> = HashMap::new();
    for finding in findings {
        by_rule
            .entry((finding.rule_id.clone(), finding.path.clone()))
            .or_default()
            .push(finding);
    }
    for rule in &mut corpus.rules {
        let Some(findings) = by_rule.remove(&(rule.id.clone(), rule.path.clone())) else {
            rule.diagnostics.clear();
            continue;
        };
        let origin = rule.path.clone();
        rule.diagnostics = findings
            .into_iter()
            .map(|f| {
                let mut diagnostic = Diagnostic::new(f.level, f.code, f.message);
                diagnostic.span = f.location.map(|l| l.span);
                diagnostic.help = f.help;
                diagnostic.locate(origin.as_str(), &rule.raw)
            })
            .collect();
    }
}
