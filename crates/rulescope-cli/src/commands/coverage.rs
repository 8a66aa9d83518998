//! `rulescope coverage`: which rules fire on event files labelled with ATT&CK techniques,
//! separating the technique's own rules (candidate true positives) from the others (noise).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use rulescope_eval::Engine;
use rulescope_eval::coverage::{CoverageReport, FiredRule, coverage};

use crate::{Format, Verbosity};

pub use super::test::Args;

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let engine = args.engine.engine(&args.rules, verbosity)?;
    let report = run_coverage(&engine, &args.events, verbosity);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => print_text(&mut out, &report)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the engine over each event file, with a progress bar over the files.
pub fn run_coverage(engine: &Engine, events: &[PathBuf], verbosity: Verbosity) -> CoverageReport {
    let bar = crate::progress::bar(0, "event files", verbosity);
    let report = coverage(engine, events, &mut |i, total| {
        bar.set_length(total as u64);
        bar.set_position(i as u64);
    });
    bar.finish_and_clear();
    report
}

fn ids(rules: &[FiredRule]) -> String {
    rules
        .iter()
        .map(|r| r.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn print_text(out: &mut impl Write, report: &CoverageReport) -> std::io::Result<()> {
    for t in &report.techniques {
        writeln!(
            out,
            "{}: {}/{} files detected",
            t.technique,
            t.files_detected,
            t.files.len()
        )?;
        for f in &t.files {
            let name = f
                .path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            writeln!(out, "  {name} ({} events)", f.events)?;
            if !f.true_positive_candidates.is_empty() {
                writeln!(
                    out,
                    "    technique rules: {}",
                    ids(&f.true_positive_candidates)
                )?;
            }
            if !f.noise.is_empty() {
                writeln!(out, "    other rules:     {}", ids(&f.noise))?;
            }
        }
    }
    let detected = report.techniques_detected();
    writeln!(
        out,
        "{detected}/{} techniques detected by their own rules; {} events in {} files ({} unlabelled); {}/{} rules evaluable",
        report.techniques.len(),
        report.input.events,
        report.input.files,
        report.unlabelled.len(),
        report.rules_evaluable,
        report.rules_total
    )
}
