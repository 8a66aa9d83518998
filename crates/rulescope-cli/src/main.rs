//! The `rulescope` command line: parses arguments, runs one command, maps its outcome to
//! the exit code (0 success, 1 findings or unreadable input, 2 usage errors).

mod commands;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// `rulescope test`, `coverage` and `build --events` build events on the parser's threads
/// and drop them on another; mimalloc handles that without the lock contention glibc's
/// malloc showed, and the evaluator bench measures with it too.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "rulescope",
    version,
    about = "Reads detection-rule corpora, understands each query, and publishes what it finds",
    propagate_version = true
)]
struct Cli {
    /// Print only errors and the summary.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print every warning in full, and debug logs (-vv for trace logs).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load rule corpora and summarise them: rules by format and data category, use cases,
    /// warnings by kind, and files that could not be loaded.
    Check(commands::check::Args),
    /// Print one query's syntax tree and diagnostics, or (--stats) the parse-quality
    /// report of whole corpora.
    Parse(commands::parse::Args),
    /// Print one rule's full analysis: ATT&CK and event coverage, stages, indicators with
    /// corpus counts, search terms, selectors, variants, similar rules, diagnostics.
    Show(commands::show::Args),
    /// List a corpus's most shared indicators and search terms, selectors apart.
    Indicators(commands::indicators::Args),
    /// Lint rules: query pitfalls, data flow, field names, regexes and metadata, as text,
    /// JSON or SARIF; exits 1 on findings at or above `--deny` (default: errors).
    Lint(commands::lint::Args),
    /// Run SPL rules over recorded events (EVTX, JSON lines): per rule, fired or not, result
    /// rows and how many events survived each stage.
    Test(commands::test::Args),
    /// For event files labelled with ATT&CK technique ids in their path: which rules fired,
    /// the technique's own rules apart from the rest.
    Coverage(commands::coverage::Args),
    /// Publish corpora as a static catalog site: a page per rule, indexes (ATT&CK matrix,
    /// data sources, events, indicators, search terms, ...), offline search, and JSON,
    /// Markdown, CSV and ATT&CK Navigator exports.
    Build(commands::build::Args),
    /// Serve the catalog site on 127.0.0.1 with a JSON API (/api/rules, /api/search, ...),
    /// rebuilding it when a rule file changes.
    Serve(commands::serve::Args),
}

/// How much a command prints besides its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// Output formats shared by the commands that print a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
}

/// Which findings fail the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Warnings fail the run too (errors always do).
    Warnings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, 0) => Verbosity::Normal,
        (false, _) => Verbosity::Verbose,
    };
    init_logging(cli.verbose);
    let outcome = match cli.command {
        Command::Check(args) => commands::check::run(&args, verbosity),
        Command::Parse(args) => commands::parse::run(&args, verbosity),
        Command::Show(args) => commands::show::run(&args, verbosity),
        Command::Indicators(args) => commands::indicators::run(&args, verbosity),
        Command::Lint(args) => commands::lint::run(&args, verbosity),
        Command::Test(args) => commands::test::run(&args, verbosity),
        Command::Coverage(args) => commands::coverage::run(&args, verbosity),
        Command::Build(args) => commands::build::run(&args, verbosity),
        Command::Serve(args) => commands::serve::run(&args, verbosity),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RULESCOPE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("rulescope={level},warn")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}
