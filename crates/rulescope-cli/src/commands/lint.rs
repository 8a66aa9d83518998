//! `rulescope lint`: run the lint checks over corpora; text, JSON or SARIF out; the exit
//! code follows `--deny`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use rulescope_lint::{CHECKS, Config, FieldTable, Finding, Level, LintContext, SarifOptions};
use rulescope_model::{Rule, Severity};

use crate::Verbosity;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    #[default]
    Text,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning; paths relative to the current directory.
    Sarif,
}

/// The lowest level that fails the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DenyLevel {
    #[default]
    Error,
    Warning,
    Note,
}

#[derive(clap::Args)]
pub struct Args {
    /// Rule files or directories to lint (directories are walked for .yml/.yaml files).
    #[arg(required_unless_present = "list_checks")]
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: LintFormat,
    /// Fail (exit 1) on findings of this level or above.
    #[arg(long, value_enum, default_value_t)]
    deny: DenyLevel,
    /// A TOML file that enables, disables and re-levels checks per code and per path.
    #[arg(long)]
    config: Option<PathBuf>,
    /// List the checks with their default levels and exit.
    #[arg(long)]
    list_checks: bool,
}

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if args.list_checks {
        for check in CHECKS {
            writeln!(
                out,
                "{:26} {:8} {}",
                check.code,
                check.level.as_str(),
                check.summary
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let context = match context(args) {
        Ok(context) => context,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    let report = super::load(&args.paths, verbosity);
    for located in &report.diagnostics {
        if located.diagnostic.severity == Severity::Error {
            eprintln!("{}", located.render(std::io::stderr().is_terminal()));
        }
    }
    let findings = rulescope_lint::lint_corpus(&report.rules, &context);
    match args.format {
        LintFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &findings)?;
            writeln!(out)?;
        }
        LintFormat::Sarif => {
            let options = SarifOptions {
                root: std::env::current_dir()?,
                tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            };
            serde_json::to_writer_pretty(&mut out, &rulescope_lint::to_sarif(&findings, &options))?;
            writeln!(out)?;
        }
        LintFormat::Text => {
            print_text(&mut out, &findings, &report.rules, verbosity)?;
        }
    }
    let threshold = match args.deny {
        DenyLevel::Error => Level::Error,
        DenyLevel::Warning => Level::Warning,
        DenyLevel::Note => Level::Note,
    };
    // Severity orders error < warning < note: a finding fails the run at or above the bar.
    let failed = report.errors() > 0 || findings.iter().any(|f| f.level <= threshold);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The checks' context from the configuration file, if any.
fn context(args: &Args) -> Result<LintContext, String> {
    let mut context = LintContext::default();
    let Some(path) = &args.config else {
        return Ok(context);
    };
    let config = Config::load(path).map_err(|e| e.to_string())?;
    if let Some(attack) = &config.attack {
        context.attack =
            rulescope_reference::AttackCatalog::load(attack).map_err(|e| e.to_string())?;
    }
    if let Some(fields) = &config.fields {
        context.fields = FieldTable::load(fields).map_err(|e| e.to_string())?;
    }
    context.config = config;
    Ok(context)
}

pub fn print_text(
    out: &mut impl Write,
    findings: &[Finding],
    rules: &[Rule],
    verbosity: Verbosity,
) -> std::io::Result<()> {
    let color = std::io::stdout().is_terminal();
    let texts: BTreeMap<&std::path::Path, &str> = rules
        .iter()
        .map(|r| (r.source.path.as_path(), &*r.source.text))
        .collect();
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in findings {
        *by_code.entry(&finding.code).or_default() += 1;
        if verbosity == Verbosity::Quiet && finding.level != Severity::Error {
            continue;
        }
        let text = texts.get(finding.file.as_path()).copied().unwrap_or("");
        writeln!(out, "{}", finding.render(text, color))?;
    }
    let count = |level| findings.iter().filter(|f| f.level == level).count();
    if !by_code.is_empty() {
        writeln!(out, "findings by check:")?;
        for (code, n) in &by_code {
            writeln!(out, "  {code:32} {n:>6}")?;
        }
    }
    writeln!(
        out,
        "{} rules linted: {} errors, {} warnings, {} notes",
        rules.len(),
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note)
    )
}
