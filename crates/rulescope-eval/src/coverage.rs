//! ATT&CK coverage: run every rule over each event file labelled with technique ids in its
//! path, and separate the rules of that technique (candidate true positives) from the rest
//! (noise).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Engine, Fields, FunnelStage, InputStats, Read, RuleOutcome, Status, input};

#[derive(Clone, Debug, Serialize)]
pub struct CoverageReport {
    pub rendering: crate::Rendering,
    /// The event files and directories given; each file below is one of them or under one.
    pub inputs: Vec<PathBuf>,
    pub rules_total: usize,
    pub rules_evaluable: usize,
    pub input: InputStats,
    /// Technique → its files, sorted by technique id.
    pub techniques: Vec<TechniqueCoverage>,
    /// Files whose path names no technique; their firing rules are all noise.
    pub unlabelled: Vec<FileCoverage>,
    /// Every rule over all the files, in the engine's order: what a rule page shows.
    pub rules: Vec<RuleVerdict>,
}

impl CoverageReport {
    /// Techniques with a file that one of the technique's own rules fired on.
    pub fn techniques_detected(&self) -> usize {
        self.techniques
            .iter()
            .filter(|t| t.files_detected > 0)
            .count()
    }
}

/// One rule run over each event file on its own.
#[derive(Clone, Debug, Serialize)]
pub struct RuleVerdict {
    pub id: String,
    pub title: String,
    pub path: String,
    pub technique_ids: Vec<String>,
    #[serde(flatten)]
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    NotEvaluable {
        reason: String,
    },
    Evaluated {
        /// The files it fired on, in file order.
        fired_on: Vec<FiredOn>,
        /// Rows in and out of each stage, summed over every file: where a silent rule
        /// lost its events.
        funnel: Vec<FunnelStage>,
        regex_limit_hits: u64,
        /// Result rows of the first file it fired on.
        sample_rows: Vec<Fields>,
    },
}

impl RuleVerdict {
    pub fn fired(&self) -> bool {
        matches!(&self.verdict, Verdict::Evaluated { fired_on, .. } if !fired_on.is_empty())
    }

    /// The verdict before any file: `outcome` is a session's that saw no event.
    fn new(outcome: &RuleOutcome) -> Self {
        let verdict = match &outcome.status {
            Status::NotEvaluable { reason } => Verdict::NotEvaluable {
                reason: reason.clone(),
            },
            Status::Evaluated { funnel, .. } => Verdict::Evaluated {
                fired_on: Vec::new(),
                funnel: funnel.clone(),
                regex_limit_hits: 0,
                sample_rows: Vec::new(),
            },
        };
        RuleVerdict {
            id: outcome.id.clone(),
            title: outcome.title.clone(),
            path: outcome.path.clone(),
            technique_ids: outcome.technique_ids.clone(),
            verdict,
        }
    }

    /// Adds one file's outcome; `own_technique` says the file is labelled with one of the
    /// rule's techniques.
    fn add(
        &mut self,
        outcome: RuleOutcome,
        file: &Path,
        techniques: &[String],
        own_technique: bool,
    ) {
        let (
            Verdict::Evaluated {
                fired_on,
                funnel,
                regex_limit_hits,
                sample_rows,
            },
            Status::Evaluated {
                fired,
                row_count,
                funnel: stages,
                regex_limit_hits: hits,
                rows,
                ..
            },
        ) = (&mut self.verdict, outcome.status)
        else {
            return;
        };
        for (total, stage) in funnel.iter_mut().zip(stages) {
            total.rows_in += stage.rows_in;
            total.rows_out += stage.rows_out;
        }
        *regex_limit_hits += hits;
        if fired {
            if fired_on.is_empty() {
                *sample_rows = rows;
            }
            fired_on.push(FiredOn {
                path: file.to_owned(),
                techniques: techniques.to_vec(),
                rows: row_count,
                technique_match: own_technique,
            });
        }
    }
}

/// A file a rule fired on.
#[derive(Clone, Debug, Serialize)]
pub struct FiredOn {
    pub path: PathBuf,
    /// The techniques its path names.
    pub techniques: Vec<String>,
    pub rows: u64,
    /// One of them is the rule's own technique: a candidate true positive.
    pub technique_match: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct TechniqueCoverage {
    pub technique: String,
    pub files: Vec<FileCoverage>,
    /// Files where at least one rule of the technique fired.
    pub files_detected: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct FileCoverage {
    pub path: PathBuf,
    pub techniques: Vec<String>,
    pub events: u64,
    /// Fired rules whose techniques match the file's (same id, or parent and sub-technique).
    pub true_positive_candidates: Vec<FiredRule>,
    pub noise: Vec<FiredRule>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FiredRule {
    pub id: String,
    pub title: String,
    pub rows: u64,
}

/// ATT&CK technique ids (`T1021`, `T1021.002`) named in a path.
pub fn techniques_in_path(path: &Path) -> Vec<String> {
    let text = path.to_string_lossy();
    let b = text.as_bytes();
    let mut out: Vec<String> = Vec::new();
    for i in 0..b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let digits = |from: usize, n: usize| {
            b.get(from..from + n)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        };
        if b[i] != b'T' || !boundary || !digits(i + 1, 4) {
            continue;
        }
        let mut end = i + 5;
        if b.get(end) == Some(&b'.') && digits(end + 1, 3) {
            end += 4;
        }
        if b.get(end).is_some_and(u8::is_ascii_digit) {
            continue;
        }
        let id = text[i..end].to_owned();
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// Whether two technique ids are the same technique (a sub-technique counts as its parent).
pub fn same_technique(a: &str, b: &str) -> bool {
    let a = a.trim().to_ascii_uppercase();
    let b = b.trim().to_ascii_uppercase();
    a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."))
}

/// Runs the engine over each event file under `dir` separately.
pub fn coverage(
    engine: &Engine,
    dir: &[PathBuf],
    progress: &mut dyn FnMut(usize, usize),
) -> CoverageReport {
    let files = input::discover(dir);
    let mut stats = InputStats::default();
    let mut by_technique: BTreeMap<String, Vec<FileCoverage>> = BTreeMap::new();
    let mut unlabelled = Vec::new();
    let mut verdicts: Vec<RuleVerdict> = engine
        .session()
        .finish()
        .iter()
        .map(RuleVerdict::new)
        .collect();
    let (mut session, mut current) = (None, 0);
    engine.read_files(&files, &mut |read| match read {
        Read::Start(index) => {
            progress(index, files.len());
            (session, current) = (Some(engine.session()), index);
        }
        Read::Event(e) => {
            if let Some(session) = &mut session {
                session.push_screened(e);
            }
        }
        Read::End(file_stats) => {
            let Some(session) = session.take() else {
                return;
            };
            let file = &files[current];
            let cov = file_coverage(file, file_stats.events, session.finish(), &mut verdicts);
            stats.add(file_stats);
            if cov.techniques.is_empty() {
                unlabelled.push(cov);
            } else {
                for t in &cov.techniques {
                    by_technique.entry(t.clone()).or_default().push(cov.clone());
                }
            }
        }
    });
    CoverageReport {
        rendering: engine.rendering,
        inputs: dir.to_vec(),
        rules_total: engine.rules.len(),
        rules_evaluable: engine.rules.iter().filter(|r| r.plan.is_ok()).count(),
        input: stats,
        techniques: by_technique
            .into_iter()
            .map(|(technique, files)| TechniqueCoverage {
                files_detected: files
                    .iter()
                    .filter(|f| !f.true_positive_candidates.is_empty())
                    .count(),
                technique,
                files,
            })
            .collect(),
        unlabelled,
        rules: verdicts,
    }
}

/// What fired on one file, from its session's outcomes; adds them to the rules' verdicts.
fn file_coverage(
    file: &Path,
    events: u64,
    outcomes: Vec<RuleOutcome>,
    verdicts: &mut [RuleVerdict],
) -> FileCoverage {
    let techniques = techniques_in_path(file);
    let mut cov = FileCoverage {
        path: file.to_owned(),
        techniques: techniques.clone(),
        events,
        true_positive_candidates: Vec::new(),
        noise: Vec::new(),
    };
    for (outcome, verdict) in outcomes.into_iter().zip(verdicts) {
        let own_technique = outcome
            .technique_ids
            .iter()
            .any(|r| techniques.iter().any(|t| same_technique(r, t)));
        if let Status::Evaluated {
            fired: true,
            row_count,
            ..
        } = outcome.status
        {
            let fired = FiredRule {
                id: outcome.id.clone(),
                title: outcome.title.clone(),
                rows: row_count,
            };
            if own_technique {
                cov.true_positive_candidates.push(fired);
            } else {
                cov.noise.push(fired);
            }
        }
        verdict.add(outcome, file, &techniques, own_technique);
    }
    cov
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids_from_paths() {
        let p =
            Path::new("TA0008-Lateral Movement/T1021.002-SMB Windows Admin Shares/ID4688 x.evtx");
        assert_eq!(techniques_in_path(p), vec!["T1021.002".to_owned()]);
        assert!(techniques_in_path(Path::new("TA0002/ID4688.evtx")).is_empty());
        assert!(same_technique("T1021", "T1021.002"));
        assert!(!same_technique("T1021", "T1059.001"));
    }
}
