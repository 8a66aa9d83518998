//! `rulescope test`: run SPL rules over recorded events and show, per rule, whether it
//! fired, sample result rows and the stage funnel that explains the verdict.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use rulescope_eval::{Engine, EngineOptions, Progress, Rendering, RunReport, Status, Value};

use crate::{Format, Verbosity};

/// `_raw` rendering of the Windows events, as the forwarder's `renderXml` decides.
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub enum RenderingArg {
    /// XmlWinEventLog (`renderXml=true`, the add-on's default).
    #[default]
    Xml,
    /// Classic WinEventLog text (`Relative_Target_Name`, `New_Process_Name`, ...).
    Classic,
}

impl From<RenderingArg> for Rendering {
    fn from(r: RenderingArg) -> Self {
        match r {
            RenderingArg::Xml => Rendering::Xml,
            RenderingArg::Classic => Rendering::Classic,
        }
    }
}

/// How rules are run over events: shared by `test`, `coverage`, `build` and `serve`.
#[derive(clap::Args, Clone)]
pub struct EngineArgs {
    /// How Windows events' `_raw` reads, as the forwarder's `renderXml` setting decides.
    #[arg(long, value_enum, default_value_t)]
    pub rendering: RenderingArg,
    /// A macros.conf whose stanzas override the default macro definitions.
    #[arg(long)]
    pub macros: Option<PathBuf>,
    /// A directory of CSV lookups (`<name>` or `<name>.csv`).
    #[arg(long)]
    pub lookups: Option<PathBuf>,
}

impl EngineArgs {
    /// Loads the rules and compiles them.
    pub fn engine(&self, rules: &[PathBuf], verbosity: Verbosity) -> anyhow::Result<Engine> {
        self.compile(&super::load(rules, verbosity).rules)
    }

    /// Compiles loaded rules.
    pub fn compile(&self, rules: &[rulescope_model::Rule]) -> anyhow::Result<Engine> {
        let macros_conf = match &self.macros {
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?,
            ),
            None => None,
        };
        Ok(Engine::new(
            rules,
            &EngineOptions {
                rendering: self.rendering.into(),
                macros_conf,
                lookups: self.lookups.clone(),
            },
        ))
    }
}

/// Rules, events and how to run them: the arguments of `test` and `coverage`.
#[derive(clap::Args)]
pub struct Args {
    /// Rule files or directories.
    #[arg(long, required = true, num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Event files (.evtx, .json/.jsonl/.ndjson lines) or directories; `coverage` reads the
    /// ATT&CK technique ids their paths name.
    #[arg(long, required = true, num_args = 1..)]
    pub events: Vec<PathBuf>,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Result rows shown per rule in text output.
const SAMPLE_ROWS: usize = 3;

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let engine = args.engine.engine(&args.rules, verbosity)?;
    let bar = crate::progress::bar(0, "reading events", verbosity);
    let mut events = 0u64;
    let mut file = String::new();
    let report = engine.run_paths(&args.events, &mut |p| match p {
        Progress::File { index, total, path } => {
            bar.set_length(total as u64);
            bar.set_position(index as u64);
            file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            bar.set_message(format!("{events} events; {file}"));
        }
        Progress::Event => {
            events += 1;
            // Redrawing per event would cost more than evaluating it.
            if events.is_multiple_of(1024) {
                bar.set_message(format!("{events} events; {file}"));
            }
        }
    });
    bar.finish_and_clear();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => print_text(&mut out, &report, verbosity)?,
    }
    Ok(if report.input.skipped_total() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_text(
    out: &mut impl Write,
    report: &RunReport,
    verbosity: Verbosity,
) -> std::io::Result<()> {
    let (mut fired, mut silent, mut refused) = (0, 0, 0);
    for rule in &report.rules {
        match &rule.status {
            Status::NotEvaluable { reason } => {
                refused += 1;
                if verbosity == Verbosity::Verbose {
                    writeln!(out, "{} {}: not evaluable: {reason}", rule.id, rule.title)?;
                }
            }
            Status::Evaluated {
                fired: did_fire,
                row_count,
                funnel,
                regex_limit_hits,
                regex_errors,
                rows,
            } => {
                if *did_fire {
                    fired += 1;
                } else {
                    silent += 1;
                }
                let interesting = *did_fire || funnel.first().is_some_and(|f| f.rows_out > 0);
                if !interesting && verbosity != Verbosity::Verbose {
                    continue;
                }
                let verdict = if *did_fire { "FIRED" } else { "silent" };
                writeln!(
                    out,
                    "{verdict} {} {} ({row_count} rows)",
                    rule.id, rule.title
                )?;
                for stage in funnel {
                    writeln!(
                        out,
                        "    {:>7} -> {:>7}  {}",
                        stage.rows_in, stage.rows_out, stage.stage
                    )?;
                }
                if *regex_limit_hits > 0 {
                    writeln!(
                        out,
                        "    regex match limit hit {regex_limit_hits} times (counted as no match)"
                    )?;
                }
                for e in regex_errors {
                    writeln!(out, "    {e}")?;
                }
                for row in rows.iter().take(SAMPLE_ROWS) {
                    let cells: Vec<String> = row
                        .iter()
                        .map(|(k, v)| format!("{k}={}", show(v)))
                        .collect();
                    writeln!(out, "    | {}", cells.join(" "))?;
                }
            }
        }
    }
    for s in &report.input.skipped {
        writeln!(
            out,
            "skipped {} unreadable records in {}: {}",
            s.count,
            s.path.display(),
            s.first_error
        )?;
    }
    writeln!(
        out,
        "{} events from {} files ({} bytes, rendering {:?}); {} rules fired, {} silent, {} not evaluable",
        report.input.events,
        report.input.files,
        report.input.bytes,
        report.rendering,
        fired,
        silent,
        refused
    )
}

fn show(v: &Value) -> String {
    let t = match v {
        Value::Multi(values) => format!("[{}]", values.join(", ")),
        other => other.to_text().unwrap_or_default(),
    };
    if t.chars().count() > 80 {
        t.chars().take(77).chain("...".chars()).collect()
    } else {
        t
    }
}
