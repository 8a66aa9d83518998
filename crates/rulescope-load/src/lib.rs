//! Loads rule corpora into the rule model.
//!
//! [`load_paths`] walks files and directories, reads every YAML rule file in the armory
//! layout ([`armory`]), and returns every rule it could read with one located diagnostic per
//! problem. A file that cannot be read costs that file only; nothing panics on input.

pub mod armory;
mod yaml;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rulescope_model::rule::RuleSource;
use rulescope_model::{Diagnostic, Located, Rule, Severity, Span};
use serde::Serialize;

/// Files larger than this are not rule files; reading them would only waste memory.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub max_file_bytes: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Everything a load produced.
#[derive(Debug, Default, Serialize)]
pub struct LoadReport {
    pub rules: Vec<Rule>,
    /// Every warning and error, each with its file, line and column.
    pub diagnostics: Vec<Located>,
    /// Rule files read (whether or not they yielded a rule).
    pub files_read: usize,
    /// Files that yielded no rule.
    pub files_failed: usize,
}

impl LoadReport {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.diagnostic.severity == severity)
            .count()
    }
}

/// One file to read, with the root it was found under.
#[derive(Clone, Debug)]
pub struct RuleFile {
    pub path: PathBuf,
    pub relative_path: String,
}

/// Loads every rule under `paths` (files or directories) with default options.
pub fn load_paths(paths: &[PathBuf]) -> LoadReport {
    load_paths_with(paths, &LoadOptions::default(), &|_| {})
}

/// Loads every rule under `paths`; `progress` is called after each file with the number of
/// files done so far (the total is `discover(paths).len()`).
pub fn load_paths_with(
    paths: &[PathBuf],
    options: &LoadOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> LoadReport {
    let (files, mut diagnostics) = discover(paths);
    let mut report = LoadReport::default();
    report.diagnostics.append(&mut diagnostics);
    // Files are independent: read and parse them on all cores, then merge in file order so
    // every run reports the same rules and diagnostics in the same order.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let loaded: Vec<FileOutcome> = files
        .par_iter()
        .map(|file| {
            let outcome = load_file(file, options);
            progress(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1);
            outcome
        })
        .collect();
    for outcome in loaded {
        report.files_read += 1;
        report.files_failed += usize::from(outcome.rule.is_none());
        report.diagnostics.extend(outcome.diagnostics);
        report.rules.extend(outcome.rule);
    }
    check_corpus(&mut report);
    report
}

/// The rule files under `paths`, sorted so every run reads them in the same order, and a
/// diagnostic for each path that cannot be walked.
pub fn discover(paths: &[PathBuf]) -> (Vec<RuleFile>, Vec<Located>) {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for root in paths {
        if root.is_file() {
            let name = root.file_name().map_or_else(
                || root.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            files.push(RuleFile {
                path: root.clone(),
                relative_path: name,
            });
            continue;
        }
        if !root.exists() {
            diagnostics.push(
                Diagnostic::error("path-not-found", "no such file or directory")
                    .with_help("check the path; it is relative to the current directory")
                    .locate(root.display().to_string(), ""),
            );
            continue;
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walker {
            match entry {
                Ok(entry) if entry.file_type().is_file() && is_yaml(entry.path()) => {
                    let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
                    files.push(RuleFile {
                        path: entry.path().to_path_buf(),
                        relative_path: slash_path(relative),
                    });
                }
                Ok(_) => {}
                Err(error) => {
                    let origin = error.path().unwrap_or(root).display().to_string();
                    diagnostics.push(
                        Diagnostic::error("io-error", format!("cannot read directory: {error}"))
                            .with_help("check permissions and links")
                            .locate(origin, ""),
                    );
                }
            }
        }
    }
    (files, diagnostics)
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// What one file yielded.
struct FileOutcome {
    rule: Option<Rule>,
    diagnostics: Vec<Located>,
}

fn load_file(file: &RuleFile, options: &LoadOptions) -> FileOutcome {
    let origin = file.path.display().to_string();
    let fail = |diagnostic: Diagnostic, text: &str| FileOutcome {
        rule: None,
        diagnostics: vec![diagnostic.locate(origin.clone(), text)],
    };

    let size = std::fs::metadata(&file.path).map(|m| m.len()).unwrap_or(0);
    if size > options.max_file_bytes {
        let diagnostic = Diagnostic::error(
            "file-too-large",
            format!(
                "file is {size} bytes, over the {} byte limit for a rule file",
                options.max_file_bytes
            ),
        )
        .with_help("a rule file is a few kilobytes; is this really a rule?");
        return fail(diagnostic, "");
    }
    let bytes = match std::fs::read(&file.path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let diagnostic = Diagnostic::error("io-error", format!("cannot read file: {error}"))
                .with_help("check that the file exists and is readable");
            return fail(diagnostic, "");
        }
    };
    let text: Arc<str> = match String::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
            // Offsets before the bad byte are the same in the lossy text.
            let diagnostic = Diagnostic::error(
                "not-utf8",
                format!("file is not valid UTF-8 (byte {offset} starts an invalid sequence)"),
            )
            .with_span(Span::from_range(offset..offset + 1))
            .with_help("save the file as UTF-8");
            return fail(diagnostic, &lossy);
        }
    };

    let source = RuleSource {
        path: file.path.clone(),
        relative_path: file.relative_path.clone(),
        text: Arc::clone(&text),
        logic_span: None,
    };
    let parsed = armory::parse_rule(&text, source);
    let mut diagnostics: Vec<Located> = parsed
        .diagnostics
        .into_iter()
        .map(|d| d.locate(origin.clone(), &text))
        .collect();
    if let Some(rule) = &parsed.rule {
        check_file_name(rule, &origin, &mut diagnostics);
    }
    FileOutcome {
        rule: parsed.rule,
        diagnostics,
    }
}

/// File names with whitespace at the edges of a path part are almost always typos, and
/// break tools that split on spaces.
fn check_file_name(rule: &Rule, origin: &str, diagnostics: &mut Vec<Located>) {
    let stem_parts = rule.source.relative_path.split('/').map(|part| {
        part.strip_suffix(".yml")
            .or_else(|| part.strip_suffix(".yaml"))
            .unwrap_or(part)
    });
    if stem_parts.into_iter().any(|p| p != p.trim()) {
        diagnostics.push(
            Diagnostic::warning(
                "file-name-whitespace",
                format!(
                    "the path `{}` has whitespace at the edge of a name",
                    rule.source.relative_path
                ),
            )
            .with_help("rename the file; rulescope keys the rule by its id and path as they are")
            .locate(origin, ""),
        );
    }
}

/// Checks that need the whole corpus: duplicate ids and category spellings.
fn check_corpus(report: &mut LoadReport) {
    let mut by_id: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, rule) in report.rules.iter().enumerate() {
        by_id.entry(rule.id.as_str()).or_default().push(index);
    }
    for (id, indexes) in by_id.iter().filter(|(_, v)| v.len() > 1) {
        let rules: Vec<&Rule> = indexes.iter().map(|&i| &report.rules[i]).collect();
        let identical = rules
            .windows(2)
            .all(|w| w[0].source.text == w[1].source.text);
        let paths: Vec<String> = rules
            .iter()
            .map(|r| r.source.path.display().to_string())
            .collect();
        report.diagnostics.push(
            Diagnostic::warning(
                "duplicate-id",
                format!(
                    "id {id} is used by {} files{}: {}",
                    rules.len(),
                    if identical {
                        " with identical content"
                    } else {
                        ""
                    },
                    paths.join(", ")
                ),
            )
            .with_help("all are kept, keyed by id and path; delete the copies or give them new ids")
            .with_span(first_occurrence(&rules[0].source.text, id))
            .locate(paths[0].clone(), &rules[0].source.text),
        );
    }

    // Spellings of one category that differ only in case are one category: the spelling most
    // rules use wins (the first seen on a tie).
    let mut spellings: HashMap<String, Vec<(String, usize)>> = HashMap::new();
    for rule in &report.rules {
        for category in &rule.data_categories {
            let variants = spellings.entry(category.to_lowercase()).or_default();
            match variants.iter_mut().find(|(s, _)| s == category) {
                Some((_, count)) => *count += 1,
                None => variants.push((category.clone(), 1)),
            }
        }
    }
    let canonical: HashMap<String, String> = spellings
        .into_iter()
        .filter(|(_, variants)| variants.len() > 1)
        .map(|(folded, variants)| {
            let best = variants
                .iter()
                .fold(&variants[0], |best, v| if v.1 > best.1 { v } else { best });
            (folded, best.0.clone())
        })
        .collect();
    if canonical.is_empty() {
        return;
    }
    for rule in &mut report.rules {
        for category in &mut rule.data_categories {
            let Some(preferred) = canonical.get(&category.to_lowercase()) else {
                continue;
            };
            if category != preferred {
                report.diagnostics.push(
                    Diagnostic::warning(
                        "category-spelling",
                        format!("data category `{category}` is read as `{preferred}`, the spelling most rules use"),
                    )
                    .with_help(format!("write `{preferred}`"))
                    .with_span(first_occurrence(&rule.source.text, category))
                    .locate(rule.source.path.display().to_string(), &rule.source.text),
                );
                category.clone_from(preferred);
            }
        }
    }
}

/// Where `needle` first stands in `text`, for diagnostics about a value the loader has
/// already normalised (an empty span at the start when it is not found verbatim).
fn first_occurrence(text: &str, needle: &str) -> Span {
    text.find(needle).map_or(Span::new(0, 0), |at| {
        Span::from_range(at..at + needle.len())
    })
}
