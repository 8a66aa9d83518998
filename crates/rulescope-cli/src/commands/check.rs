//! `rulescope check`: load corpora and summarise what was found.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use rulescope_load::LoadReport;
use rulescope_model::{Located, Severity};
use serde::Serialize;

use crate::{Deny, Format, Verbosity};

#[derive(clap::Args)]
pub struct Args {
    /// Rule files or directories to load (directories are walked for .yml/.yaml files).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long, value_enum)]
    deny: Option<Deny>,
    /// Also run the lint checks at their default levels (`rulescope lint` has the options).
    #[arg(long)]
    lint: bool,
}

/// The summary, as printed and as serialised with `--format json`.
#[derive(Serialize)]
struct Summary<'a> {
    files_read: usize,
    files_failed: usize,
    rules: usize,
    use_cases: usize,
    rules_by_format: BTreeMap<&'a str, usize>,
    rules_by_data_category: BTreeMap<&'a str, usize>,
    warnings: usize,
    errors: usize,
    diagnostics_by_code: BTreeMap<&'a str, usize>,
    diagnostics: &'a [Located],
    #[serde(skip_serializing_if = "Option::is_none")]
    lint_findings: Option<&'a [rulescope_lint::Finding]>,
}

impl<'a> Summary<'a> {
    fn new(report: &'a LoadReport) -> Self {
        let mut rules_by_format = BTreeMap::new();
        let mut rules_by_data_category = BTreeMap::new();
        for rule in &report.rules {
            *rules_by_format
                .entry(rule.logic_format.display_name())
                .or_default() += 1;
            if rule.data_categories.is_empty() {
                *rules_by_data_category.entry("(none)").or_default() += 1;
            }
            for category in &rule.data_categories {
                *rules_by_data_category.entry(category.as_str()).or_default() += 1;
            }
        }
        let mut diagnostics_by_code = BTreeMap::new();
        for located in &report.diagnostics {
            *diagnostics_by_code
                .entry(located.diagnostic.code.as_ref())
                .or_default() += 1;
        }
        let use_cases: BTreeSet<&str> = report.rules.iter().map(|r| r.use_case.as_str()).collect();
        Self {
            files_read: report.files_read,
            files_failed: report.files_failed,
            rules: report.rules.len(),
            use_cases: use_cases.len(),
            rules_by_format,
            rules_by_data_category,
            warnings: report.warnings(),
            errors: report.errors(),
            diagnostics_by_code,
            diagnostics: &report.diagnostics,
            lint_findings: None,
        }
    }
}

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let report = super::load(&args.paths, verbosity);
    let findings = args.lint.then(|| {
        rulescope_lint::lint_corpus(&report.rules, &rulescope_lint::LintContext::default())
    });
    let mut summary = Summary::new(&report);
    summary.lint_findings = findings.as_deref();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &summary)?;
            writeln!(out)?;
        }
        Format::Text => {
            let color = std::io::stdout().is_terminal();
            print_diagnostics(&mut out, &report, verbosity, color)?;
            if let Some(findings) = &findings {
                super::lint::print_text(&mut out, findings, &report.rules, verbosity)?;
            }
            print_summary(&mut out, &summary)?;
        }
    }
    let lint_failed = findings.iter().flatten().any(|f| {
        f.level == Severity::Error || (args.deny.is_some() && f.level == Severity::Warning)
    });
    let failed = summary.errors > 0 || (args.deny.is_some() && summary.warnings > 0) || lint_failed;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Errors always in full; warnings in full with `-v`, else the first of each kind.
fn print_diagnostics(
    out: &mut impl Write,
    report: &LoadReport,
    verbosity: Verbosity,
    color: bool,
) -> std::io::Result<()> {
    let mut shown_codes = BTreeSet::new();
    let mut hidden = 0;
    for located in &report.diagnostics {
        let diagnostic = &located.diagnostic;
        let show = diagnostic.severity == Severity::Error
            || verbosity == Verbosity::Verbose
            || (verbosity == Verbosity::Normal && shown_codes.insert(diagnostic.code.clone()));
        if show {
            writeln!(out, "{}", located.render(color))?;
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 && verbosity != Verbosity::Quiet {
        writeln!(
            out,
            "({hidden} more warnings like the ones above: -v shows every one)\n"
        )?;
    }
    Ok(())
}

fn print_summary(out: &mut impl Write, summary: &Summary<'_>) -> std::io::Result<()> {
    writeln!(
        out,
        "{} rules in {} use cases from {} files ({} could not be loaded)",
        summary.rules, summary.use_cases, summary.files_read, summary.files_failed
    )?;
    print_counts(out, "by logic format", &summary.rules_by_format)?;
    print_counts(out, "by data category", &summary.rules_by_data_category)?;
    print_counts(out, "diagnostics by kind", &summary.diagnostics_by_code)?;
    writeln!(
        out,
        "{} errors, {} warnings",
        summary.errors, summary.warnings
    )
}

fn print_counts(
    out: &mut impl Write,
    heading: &str,
    counts: &BTreeMap<&str, usize>,
) -> std::io::Result<()> {
    if counts.is_empty() {
        return Ok(());
    }
    writeln!(out, "{heading}:")?;
    let mut rows: Vec<(&&str, &usize)> = counts.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, count) in rows {
        writeln!(out, "  {key:<width$}  {count:>6}")?;
    }
    Ok(())
}
