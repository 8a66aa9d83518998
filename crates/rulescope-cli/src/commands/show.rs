//! `rulescope show`: one rule's full analysis.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use rulescope_analysis::report::{RuleAnalysis, Shared};

use super::ReferenceArgs;
use crate::Verbosity;

#[derive(clap::Args)]
pub struct Args {
    /// The rule's id (or its key, for the later copies of a duplicated id: `ID-2`).
    id: String,
    /// Rule files or directories the rule and its neighbours are in.
    #[arg(long, default_value = "examples/armory")]
    corpus: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    format: ShowFormat,
    #[command(flatten)]
    reference: ReferenceArgs,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
enum ShowFormat {
    #[default]
    Text,
    Json,
}

pub fn run(args: &Args, verbosity: Verbosity) -> anyhow::Result<ExitCode> {
    let corpus = super::analyze(&args.corpus, &args.reference, verbosity)?;
    let Some(rule) = corpus
        .rules
        .iter()
        .find(|r| r.key == args.id)
        .or_else(|| corpus.rules.iter().find(|r| r.id == args.id))
    else {
        bail!(
            "no rule with id {} among the {} rules loaded",
            args.id,
            corpus.rules.len()
        );
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        ShowFormat::Json => {
            serde_json::to_writer_pretty(&mut out, rule)?;
            writeln!(out)?;
        }
        ShowFormat::Text => write_text(&mut out, rule)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn shared(shared: &Shared) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}, {}",
        plural(shared.other_rules, "other rule", "other rules"),
        plural(shared.other_use_cases, "other use case", "other use cases")
    )
}

/// A section heading, with "(none)" under it when it has no rows.
fn heading(out: &mut impl Write, title: &str, empty: bool) -> std::io::Result<()> {
    writeln!(out, "\n{title}")?;
    if empty {
        writeln!(out, "  (none)")?;
    }
    Ok(())
}

/// A plain-text rendering for the terminal, section by section.
fn write_text(out: &mut impl Write, rule: &RuleAnalysis) -> std::io::Result<()> {
    writeln!(
        out,
        "Detection rules › {}",
        rule.logic_format.display_name()
    )?;
    writeln!(out, "{}  [{}]", rule.display_title, rule.id)?;
    writeln!(out, "{}\n", rule.enrichment.summary)?;
    let names = |list: &[rulescope_analysis::report::Attribution]| {
        list.iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !rule.enrichment.threat_actors.is_empty() {
        writeln!(
            out,
            "Threat actors: {}",
            names(&rule.enrichment.threat_actors)
        )?;
    }
    if !rule.enrichment.software.is_empty() {
        writeln!(out, "Software: {}", names(&rule.enrichment.software))?;
    }
    for test in &rule.enrichment.atomic_tests {
        let numbers: Vec<String> = test.test_numbers.iter().map(|n| format!("#{n}")).collect();
        writeln!(
            out,
            "Atomic test: {} {}",
            test.technique_id,
            numbers.join(", ")
        )?;
    }
    heading(out, "MITRE ATT&CK coverage", rule.attack.is_empty())?;
    for row in &rule.attack {
        writeln!(out, "  {:<22} {}", row.tactic_name, row.display)?;
    }
    heading(out, "References", rule.references.is_empty())?;
    for reference in &rule.references {
        writeln!(out, "  {}", reference.text)?;
    }
    heading(
        out,
        &format!("Event coverage ({})", rule.data_source.label),
        rule.events.is_empty(),
    )?;
    for event in &rule.events {
        let title = event.title.as_deref().unwrap_or("(unknown title)");
        writeln!(
            out,
            "  {:<20} {:>6}  {title}",
            event.provider, event.event_id
        )?;
    }
    heading(out, "Stages and predicates", rule.stages.is_empty())?;
    for stage in &rule.stages {
        writeln!(
            out,
            "  {}. {} ({:?})",
            stage.index + 1,
            stage.command,
            stage.role
        )?;
        writeln!(out, "     {}", stage.text)?;
    }
    heading(out, "Indicators", rule.indicators.is_empty())?;
    for indicator in &rule.indicators {
        let not = if indicator.negated { "NOT " } else { "" };
        let from = if indicator.derived_from.is_empty() {
            String::new()
        } else {
            format!(" (from {})", indicator.derived_from.join(" ← "))
        };
        writeln!(
            out,
            "  stage {}: {not}{}{from} {}",
            indicator.stage + 1,
            indicator.field,
            indicator.kind.as_str()
        )?;
        for value in &indicator.values {
            let shown = if value.value.is_empty() {
                "(any value)"
            } else {
                &value.value
            };
            writeln!(out, "      {shown:<40} {}", shared(&value.shared))?;
        }
    }
    heading(out, "Data-source selectors", rule.selectors.is_empty())?;
    for selector in &rule.selectors {
        writeln!(
            out,
            "  stage {}: {:?} {} {} {}",
            selector.stage + 1,
            selector.kind,
            selector.field,
            selector.op.as_str(),
            selector.values.join(", ")
        )?;
    }
    heading(out, "Search terms", rule.search_terms.is_empty())?;
    for term in &rule.search_terms {
        let indexed = if term.indexed { " (indexed)" } else { "" };
        let role = match term.selector {
            Some(kind) => format!("selector: {kind:?}; {}", shared(&term.shared)),
            None => shared(&term.shared),
        };
        writeln!(
            out,
            "  stage {}: {}{indexed}  {role}",
            term.stage + 1,
            term.term
        )?;
    }
    if !rule.variants.is_empty() {
        writeln!(out, "\nVariants")?;
        for variant in &rule.variants {
            writeln!(
                out,
                "  {} {}: {} shared, {} only here, {} only there",
                variant.id,
                variant.display_title,
                variant.shared.len(),
                variant.only_here.len(),
                variant.only_there.len()
            )?;
        }
    }
    if !rule.similar.is_empty() {
        writeln!(out, "\nSimilar rules")?;
        for similar in &rule.similar {
            writeln!(
                out,
                "  {:.2} {} {}: {}",
                similar.score,
                similar.id,
                similar.display_title,
                similar.shared.join(", ")
            )?;
        }
    }
    if !rule.diagnostics.is_empty() {
        writeln!(out, "\nDiagnostics")?;
        for diagnostic in &rule.diagnostics {
            writeln!(out, "{}", diagnostic.render(false))?;
        }
    }
    Ok(())
}
