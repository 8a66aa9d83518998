//! `rulescope parse`: one query's syntax tree and diagnostics, or the parse-quality report
//! of whole corpora.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use rulescope_model::{LogicFormat, Severity};
use serde::Serialize;

use crate::{Format, Verbosity};

#[derive(clap::Args)]
pub struct Args {
    /// A query to parse.
    #[arg(long, conflicts_with_all = ["stats", "file"])]
    query: Option<String>,
    /// The language of `--query` or FILE.
    #[arg(long, value_enum, default_value_t = Language::Spl)]
    language: Language,
    /// Report parse quality over every rule of these corpora instead.
    #[arg(long)]
    stats: bool,
    /// A file holding one query; with --stats, rule files or directories.
    #[arg(value_name = "FILE")]
    file: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Language {
    Spl,
    Sql,
}

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    if args.stats {
        if args.file.is_empty() {
            bail!("--stats needs rule files or directories");
        }
        return stats(args, verbosity);
    }
    let (query, origin) = match (&args.query, args.file.as_slice()) {
        (Some(query), _) => (query.clone(), "query".to_owned()),
        (None, [file]) => (
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?,
            file.display().to_string(),
        ),
        _ => bail!("give one query: --query '...' or one FILE (or --stats PATH...)"),
    };
    let mut out = std::io::stdout().lock();
    let color = std::io::stdout().is_terminal();
    let diagnostics = match args.language {
        Language::Spl => {
            let parsed = rulescope_spl::parse(&query);
            match args.format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, &parsed)?;
                    writeln!(out)?;
                }
                Format::Text => write!(out, "{}", rulescope_spl::dump_tree(&parsed, &query))?,
            }
            parsed.diagnostics
        }
        Language::Sql => {
            let parsed = rulescope_sql::parse(&query);
            match args.format {
                Format::Json => {
                    serde_json::to_writer_pretty(&mut out, &parsed.model)?;
                    writeln!(out)?;
                }
                Format::Text => writeln!(out, "{:#?}", parsed.statements)?,
            }
            parsed.model.diagnostics
        }
    };
    if args.format == Format::Text {
        for diagnostic in &diagnostics {
            writeln!(
                out,
                "{}",
                diagnostic
                    .clone()
                    .locate(origin.as_str(), &query)
                    .render(color)
            )?;
        }
    }
    let failed = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The parse-quality report of SPL and SQL rules.
#[derive(Serialize)]
struct Stats {
    spl: rulescope_spl::ParseStats,
    sql: rulescope_sql::SqlParseStats,
}

fn stats(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let report = super::load(&args.file, verbosity);
    let mut stats = Stats {
        spl: rulescope_spl::ParseStats::default(),
        sql: rulescope_sql::SqlParseStats::default(),
    };
    for rule in &report.rules {
        match rule.logic_format {
            LogicFormat::Splunk => stats.spl.add(&rulescope_spl::parse(&rule.logic)),
            LogicFormat::Snowflake => stats.sql.add(&rulescope_sql::parse(&rule.logic)),
            LogicFormat::Other(_) => {}
        }
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &stats)?;
            writeln!(out)?;
        }
        Format::Text => {
            writeln!(out, "SPL\n{}", stats.spl.render_text())?;
            writeln!(out, "Snowflake SQL\n{}", stats.sql.render_text())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
