//! What running the rules over recorded events showed: the verdict on each rule page and
//! the coverage page (technique → event files → rules that fired).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use rulescope_analysis::report::RuleAnalysis;
use rulescope_eval::coverage::{CoverageReport, FileCoverage, FiredRule, RuleVerdict, Verdict};
use rulescope_eval::{Fields, Value};
use serde::Serialize;

use crate::catalog::{Catalog, Kind};

/// Result rows a rule page shows, and characters per value.
const SAMPLE_ROWS: usize = 5;
const VALUE_CHARS: usize = 240;

/// The report, with each rule's verdict found by the rule's id and file.
pub struct Evaluation<'a> {
    pub report: &'a CoverageReport,
    verdicts: HashMap<(&'a str, &'a str), &'a RuleVerdict>,
}

impl<'a> Evaluation<'a> {
    pub fn new(report: &'a CoverageReport) -> Self {
        let verdicts = report
            .rules
            .iter()
            .map(|v| ((v.id.as_str(), v.path.as_str()), v))
            .collect();
        Self { report, verdicts }
    }

    /// An event file as the user named it: below the directory given, or its own name.
    fn display(&self, path: &Path) -> String {
        let relative = self
            .report
            .inputs
            .iter()
            .filter_map(|input| path.strip_prefix(input).ok())
            .find(|rest| !rest.as_os_str().is_empty());
        relative
            .or_else(|| path.file_name().map(Path::new))
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// What the rule page says. `None` for rules the engine does not run (SQL).
    pub fn verdict(&self, rule: &RuleAnalysis) -> Option<VerdictView> {
        let verdict = self.verdicts.get(&(rule.id.as_str(), rule.path.as_str()))?;
        let files = self.report.input.files;
        Some(match &verdict.verdict {
            Verdict::NotEvaluable { reason } => VerdictView {
                status: "not_evaluable",
                reason: Some(reason.clone()),
                files,
                ..VerdictView::default()
            },
            Verdict::Evaluated {
                fired_on,
                funnel,
                regex_limit_hits,
                sample_rows,
            } => {
                // The first stage that let nothing through is where a silent rule lost
                // its events.
                let lost_at = fired_on
                    .is_empty()
                    .then(|| funnel.iter().position(|s| s.rows_out == 0))
                    .flatten();
                let (columns, rows) = sample(sample_rows);
                VerdictView {
                    status: if fired_on.is_empty() {
                        "silent"
                    } else {
                        "fired"
                    },
                    reason: None,
                    files,
                    fired_on: fired_on
                        .iter()
                        .map(|f| FiredOnView {
                            file: self.display(&f.path),
                            techniques: f.techniques.clone(),
                            rows: f.rows,
                            technique_match: f.technique_match,
                        })
                        .collect(),
                    funnel: funnel
                        .iter()
                        .enumerate()
                        .map(|(i, s)| FunnelView {
                            stage: s.stage.clone(),
                            rows_in: s.rows_in,
                            rows_out: s.rows_out,
                            lost_here: lost_at == Some(i),
                        })
                        .collect(),
                    regex_limit_hits: *regex_limit_hits,
                    sample_columns: columns,
                    sample_rows: rows,
                    more_rows: sample_rows.len() > SAMPLE_ROWS,
                }
            }
        })
    }

    /// The coverage page: per technique, its files and the rules that fired on each.
    pub fn coverage_view(&self, catalog: &Catalog<'_>) -> CoverageView {
        let report = self.report;
        let technique_names: HashMap<&str, &str> = catalog
            .corpus
            .attack
            .techniques
            .iter()
            .map(|t| (t.id.as_str(), t.name.as_str()))
            .collect();
        let technique_pages: BTreeSet<&str> = catalog
            .index(Kind::Technique)
            .entries
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let techniques = report
            .techniques
            .iter()
            .map(|t| {
                let own: BTreeSet<&str> = t
                    .files
                    .iter()
                    .flat_map(|f| &f.true_positive_candidates)
                    .map(|r| r.id.as_str())
                    .collect();
                TechniqueView {
                    id: t.technique.clone(),
                    name: technique_names
                        .get(t.technique.as_str())
                        .map(|n| n.to_string()),
                    href: technique_pages
                        .contains(t.technique.as_str())
                        .then(|| Kind::Technique.href(&t.technique)),
                    files_detected: t.files_detected,
                    own_rules_fired: own.len(),
                    files: t.files.iter().map(|f| self.file_view(f)).collect(),
                }
            })
            .collect();
        CoverageView {
            rendering: format!("{:?}", report.rendering).to_lowercase(),
            files: report.input.files,
            events: report.input.events,
            skipped: report.input.skipped_total(),
            rules_total: report.rules_total,
            rules_evaluable: report.rules_evaluable,
            rules_fired: report.rules.iter().filter(|r| r.fired()).count(),
            techniques_detected: report.techniques_detected(),
            techniques,
            unlabelled: report
                .unlabelled
                .iter()
                .map(|f| self.file_view(f))
                .collect(),
        }
    }

    fn file_view(&self, file: &FileCoverage) -> FileView {
        FileView {
            file: self.display(&file.path),
            events: file.events,
            own: file.true_positive_candidates.clone(),
            others: file.noise.clone(),
        }
    }
}

/// The first rows, as text, with the union of their columns in first-seen order.
fn sample(rows: &[Fields]) -> (Vec<String>, Vec<Vec<String>>) {
    let rows = &rows[..rows.len().min(SAMPLE_ROWS)];
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        for name in row.keys() {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        }
    }
    let cells = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| row.get(c).map(text).unwrap_or_default())
                .collect()
        })
        .collect();
    (columns, cells)
}

/// A value as Splunk's table shows it: multivalues one per line.
fn text(value: &Value) -> String {
    let full = match value {
        Value::Multi(values) => values.join("\n"),
        other => other.to_text().unwrap_or_default(),
    };
    if full.chars().count() > VALUE_CHARS {
        full.chars().take(VALUE_CHARS - 1).chain(['…']).collect()
    } else {
        full
    }
}

#[derive(Debug, Default, Serialize)]
pub struct VerdictView {
    /// `fired`, `silent` or `not_evaluable`.
    pub status: &'static str,
    pub reason: Option<String>,
    /// Event files the rule ran over, each on its own.
    pub files: usize,
    pub fired_on: Vec<FiredOnView>,
    pub funnel: Vec<FunnelView>,
    pub regex_limit_hits: u64,
    pub sample_columns: Vec<String>,
    pub sample_rows: Vec<Vec<String>>,
    pub more_rows: bool,
}

#[derive(Debug, Serialize)]
pub struct FiredOnView {
    pub file: String,
    pub techniques: Vec<String>,
    pub rows: u64,
    pub technique_match: bool,
}

#[derive(Debug, Serialize)]
pub struct FunnelView {
    pub stage: String,
    pub rows_in: u64,
    pub rows_out: u64,
    pub lost_here: bool,
}

#[derive(Debug, Serialize)]
pub struct CoverageView {
    pub rendering: String,
    pub files: usize,
    pub events: u64,
    pub skipped: u64,
    pub rules_total: usize,
    pub rules_evaluable: usize,
    pub rules_fired: usize,
    pub techniques_detected: usize,
    pub techniques: Vec<TechniqueView>,
    pub unlabelled: Vec<FileView>,
}

#[derive(Debug, Serialize)]
pub struct TechniqueView {
    pub id: String,
    pub name: Option<String>,
    pub href: Option<String>,
    pub files_detected: usize,
    pub own_rules_fired: usize,
    pub files: Vec<FileView>,
}

#[derive(Debug, Serialize)]
pub struct FileView {
    pub file: String,
    pub events: u64,
    pub own: Vec<FiredRule>,
    pub others: Vec<FiredRule>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_rows_keep_column_order_and_cut_long_values() {
        let mut first = Fields::default();
        first.insert("host".into(), Value::Str("srv01".into()));
        first.insert(
            "p".into(),
            Value::Multi(vec!["cmd.exe".into(), "whoami.exe".into()]),
        );
        let mut second = Fields::default();
        second.insert("user".into(), Value::Str("x".repeat(500)));
        let (columns, rows) = sample(&[first, second]);
        assert_eq!(columns, ["host", "p", "user"]);
        assert_eq!(rows[0], ["srv01", "cmd.exe\nwhoami.exe", ""]);
        assert_eq!(rows[1][2].chars().count(), VALUE_CHARS);
    }
}
