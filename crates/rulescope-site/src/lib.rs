//! The static catalog: one page per rule, index pages (format, tactic, technique with an
//! ATT&CK matrix, data category, data source, event, indicator, search term, selector,
//! field, macro, threat actor, software), an offline search, and exports (rule and catalog
//! JSON with their JSON Schemas, Markdown per rule, ATT&CK Navigator layers, indicator CSV).
//!
//! The site works from `file://` and any web server and requests nothing outside its
//! directory. See [`build`].

mod catalog;
mod evaluation;
mod export;
mod highlight;
mod render;
mod search;
mod slug;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};
use rulescope_analysis::report::{CorpusAnalysis, RuleAnalysis, StageRow};
use rulescope_model::{Severity, Span};

pub use catalog::{Kind, rule_href};
pub use highlight::highlight;
pub use search::{Hit, SearchDoc, SearchIndex};
pub use slug::slug;

use catalog::Catalog;
use evaluation::Evaluation;
use rulescope_eval::coverage::CoverageReport;

/// How to build the site.
#[derive(Clone, Debug)]
pub struct SiteOptions {
    /// Shown in every page's header and title.
    pub title: String,
    /// Where the site will be published (`https://rules.example/`): Navigator layers link
    /// back to rule pages only when it is known.
    pub base_url: Option<String>,
    /// The rules run over recorded events: rule pages show their verdicts and the site gets
    /// a coverage page.
    pub evaluation: Option<CoverageReport>,
}

impl Default for SiteOptions {
    fn default() -> Self {
        Self {
            title: "rulescope catalog".to_owned(),
            base_url: None,
            evaluation: None,
        }
    }
}

/// What a build wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteStats {
    pub rules: usize,
    /// HTML pages.
    pub pages: usize,
    /// All files: pages, exports, assets.
    pub files: usize,
    pub bytes: u64,
}

#[derive(Debug)]
pub enum SiteError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    Template {
        page: String,
        source: minijinja::Error,
    },
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl fmt::Display for SiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteError::Io { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            SiteError::Template { page, source } => write!(f, "cannot render {page}: {source:#}"),
            SiteError::Json { path, source } => {
                write!(f, "cannot serialise {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for SiteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SiteError::Io { source, .. } => Some(source),
            SiteError::Template { source, .. } => Some(source),
            SiteError::Json { source, .. } => Some(source),
        }
    }
}

const CSS: &str = include_str!("../assets/site.css");
const SEARCH_JS: &str = include_str!("../assets/search.js");
const RULE_SCHEMA: &str = include_str!("../schema/rule.schema.json");
const CATALOG_SCHEMA: &str = include_str!("../schema/catalog.schema.json");

/// Writes the site for `corpus` into `out_dir` (created if missing; files of an earlier
/// build are overwritten, others left alone). Pages are rendered in parallel.
pub fn build(
    corpus: &CorpusAnalysis,
    out_dir: &Path,
    options: &SiteOptions,
) -> Result<SiteStats, SiteError> {
    let catalog = Catalog::new(corpus);
    let env = render::environment(&catalog).map_err(|source| SiteError::Template {
        page: "templates".to_owned(),
        source,
    })?;
    let mut dirs = vec![
        out_dir.to_path_buf(),
        out_dir.join("rules"),
        out_dir.join("assets"),
        out_dir.join("schema"),
        out_dir.join("attack"),
    ];
    dirs.extend(Kind::ALL.iter().map(|k| out_dir.join(k.dir())));
    for dir in &dirs {
        std::fs::create_dir_all(dir).map_err(|source| SiteError::Io {
            path: dir.clone(),
            source,
        })?;
    }

    let site = Site {
        catalog: &catalog,
        env: &env,
        options,
        evaluation: options.evaluation.as_ref().map(Evaluation::new),
        out: out_dir,
        // Converted once: index pages list the same rules many times over.
        rule_values: catalog
            .rules
            .iter()
            .map(|r| Value::from(Serde(r)))
            .collect(),
    };
    let mut jobs = vec![Job::Home, Job::Search, Job::Diagnostics, Job::Exports];
    if options.evaluation.is_some() {
        jobs.push(Job::Coverage);
    }
    jobs.extend((0..corpus.rules.len()).map(Job::Rule));
    for index in &catalog.indexes {
        jobs.push(Job::Kind(index.kind));
        jobs.extend((0..index.entries.len()).map(|i| Job::Entry(index.kind, i)));
    }
    let stats = run_parallel(&jobs, |job| site.run(job))?;
    Ok(SiteStats {
        rules: corpus.rules.len(),
        ..stats
    })
}

#[derive(Clone, Copy, Debug)]
enum Job {
    Home,
    Search,
    Diagnostics,
    Exports,
    Coverage,
    Rule(usize),
    Kind(Kind),
    Entry(Kind, usize),
}

/// Runs jobs on every core, each worker taking the next job; the first error stops the rest.
fn run_parallel(
    jobs: &[Job],
    run: impl Fn(Job) -> Result<SiteStats, SiteError> + Sync,
) -> Result<SiteStats, SiteError> {
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<SiteError>> = Mutex::new(None);
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len().max(1));
    let totals: Vec<SiteStats> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut total = SiteStats::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&job) = jobs.get(i) else { break };
                        match run(job) {
                            Ok(stats) => add(&mut total, &stats),
                            Err(error) => {
                                next.store(jobs.len(), Ordering::Relaxed);
                                failed
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .get_or_insert(error);
                                break;
                            }
                        }
                    }
                    total
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if let Some(error) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(error);
    }
    let mut total = SiteStats::default();
    for stats in &totals {
        add(&mut total, stats);
    }
    Ok(total)
}

fn add(total: &mut SiteStats, more: &SiteStats) {
    total.pages += more.pages;
    total.files += more.files;
    total.bytes += more.bytes;
}

struct Site<'a> {
    catalog: &'a Catalog<'a>,
    env: &'a Environment<'static>,
    options: &'a SiteOptions,
    evaluation: Option<Evaluation<'a>>,
    out: &'a Path,
    rule_values: Vec<Value>,
}

impl Site<'_> {
    fn run(&self, job: Job) -> Result<SiteStats, SiteError> {
        let mut stats = SiteStats::default();
        match job {
            Job::Home => self.page(&mut stats, "index.html", "home.html", "", self.home())?,
            Job::Search => {
                self.page(&mut stats, "search.html", "search.html", "", context! {})?;
                let index = SearchIndex::from_catalog(self.catalog).to_js();
                self.write(&mut stats, "search-index.js", index.as_bytes())?;
            }
            Job::Diagnostics => {
                let codes = self.diagnostic_codes();
                let ctx = context! { diagnostic_codes => codes };
                self.page(&mut stats, "diagnostics.html", "diagnostics.html", "", ctx)?;
            }
            Job::Exports => self.exports(&mut stats)?,
            Job::Coverage => {
                if let Some(evaluation) = &self.evaluation {
                    let ctx =
                        context! { coverage => Serde(evaluation.coverage_view(self.catalog)) };
                    self.page(&mut stats, "coverage.html", "coverage.html", "", ctx)?;
                    self.write_json(&mut stats, "coverage.json", evaluation.report)?;
                }
            }
            Job::Rule(i) => self.rule(&mut stats, i)?,
            Job::Kind(kind) => {
                let index = self.catalog.index(kind);
                let rows: Vec<Value> = index.entries.iter().map(row).collect();
                let matrix = (kind == Kind::Technique).then(|| {
                    let corpus = self.catalog.corpus;
                    catalog::matrix(corpus.rules.iter(), Some(&corpus.attack))
                });
                let ctx =
                    context! { kind => kind_view(kind), entries => rows, matrix => Serde(matrix) };
                let path = format!("{}/index.html", kind.dir());
                self.page(&mut stats, &path, "kind.html", "../", ctx)?;
            }
            Job::Entry(kind, i) => {
                let entry = &self.catalog.index(kind).entries[i];
                let rules = self.rule_list(&entry.rules);
                let corpus_rules = || entry.rules.iter().map(|&r| &self.catalog.corpus.rules[r]);
                let matrix = matches!(
                    kind,
                    Kind::Format
                        | Kind::DataSource
                        | Kind::DataCategory
                        | Kind::ThreatActor
                        | Kind::Software
                )
                .then(|| catalog::matrix(corpus_rules(), None));
                let external = (kind == Kind::Technique)
                    .then(|| {
                        corpus_rules()
                            .flat_map(|r| &r.attack)
                            .find(|a| a.technique_id.as_deref() == Some(entry.name.as_str()))
                            .and_then(|a| render::safe_url(a.url.as_deref()))
                    })
                    .flatten();
                let ctx = context! {
                    kind => kind_view(kind),
                    entry => row(entry),
                    rules,
                    matrix => Serde(matrix),
                    external,
                };
                self.page(&mut stats, &entry.href, "entry.html", "../", ctx)?;
            }
        }
        Ok(stats)
    }

    fn rule(&self, stats: &mut SiteStats, i: usize) -> Result<(), SiteError> {
        let rule = &self.catalog.corpus.rules[i];
        let rule_ref = &self.catalog.rules[i];
        let file = slug(&rule.key);
        let ctx = context! {
            rule => Serde(rule),
            info => Serde(rule_ref),
            file => file.clone(),
            attack_groups => Serde(export::attack_groups(rule)),
            query_html => Value::from_safe_string(self.query_html(rule)),
            verdict => Serde(self.evaluation.as_ref().and_then(|e| e.verdict(rule))),
        };
        self.page(stats, &rule_ref.href, "rule.html", "../", ctx.clone())?;
        let md = self.render("rule.md", "../", ctx)?;
        self.write(stats, &format!("rules/{file}.md"), md.as_bytes())?;
        let json = serde_json::to_vec(rule).map_err(|source| SiteError::Json {
            path: self.out.join(&rule_ref.href),
            source,
        })?;
        self.write(stats, &format!("rules/{file}.json"), &json)
    }

    fn rule_list(&self, rules: &[usize]) -> Vec<Value> {
        rules.iter().map(|&r| self.rule_values[r].clone()).collect()
    }

    fn query_html(&self, rule: &RuleAnalysis) -> String {
        let stages = stage_blocks(&rule.logic, &rule.stages);
        let mut marks = highlight::token_marks(&rule.logic_format, &rule.logic);
        marks.extend(rule.selectors.iter().map(|s| ("hl-selector", s.span)));
        marks.extend(rule.indicators.iter().map(|s| ("hl-indicator", s.span)));
        marks.extend(
            rule.search_terms
                .iter()
                .filter(|t| t.selector.is_none())
                .map(|s| ("hl-term", s.span)),
        );
        highlight(&rule.logic, &stages, &marks)
    }

    fn home(&self) -> Value {
        let catalog = self.catalog;
        let block = |kind: Kind, top: usize| {
            let index = catalog.index(kind);
            let mut entries: Vec<&catalog::Entry> = index.entries.iter().collect();
            if kind == Kind::Tactic {
                entries.sort_by_key(|e| catalog::tactic_rank(&e.name));
            }
            let rows: Vec<Value> = entries.iter().take(top).map(|e| row(e)).collect();
            context! {
                kind => kind_view(kind),
                more => index.entries.len() > top,
                total => index.entries.len(),
                entries => rows,
            }
        };
        let rules_with_errors = catalog.rules.iter().filter(|r| r.errors > 0).count();
        let recorded = self.evaluation.as_ref().map(|e| {
            context! {
                techniques => e.report.techniques.len(),
                detected => e.report.techniques_detected(),
            }
        });
        context! {
            recorded,
            use_cases => catalog.use_cases(),
            technique_count => catalog.index(Kind::Technique).entries.len(),
            indicator_count => catalog.index(Kind::Indicator).entries.len(),
            rules_with_errors,
            blocks => vec![
                block(Kind::Format, 20),
                block(Kind::DataSource, 20),
                block(Kind::Tactic, 20),
                block(Kind::DataCategory, 10),
            ],
            diagnostic_codes => self.diagnostic_codes(),
            load_diagnostics => Serde(&catalog.corpus.load_diagnostics),
            kinds => Kind::ALL.iter().map(|&k| kind_view(k)).collect::<Vec<_>>(),
        }
    }

    /// Rule findings grouped by code: errors first, then the most frequent.
    fn diagnostic_codes(&self) -> Vec<Value> {
        let mut codes: BTreeMap<&str, (Severity, usize, Vec<usize>)> = BTreeMap::new();
        for (i, rule) in self.catalog.corpus.rules.iter().enumerate() {
            for d in &rule.diagnostics {
                let slot = codes.entry(d.diagnostic.code.as_ref()).or_insert((
                    d.diagnostic.severity,
                    0,
                    Vec::new(),
                ));
                slot.0 = slot.0.min(d.diagnostic.severity);
                slot.1 += 1;
                if slot.2.last() != Some(&i) {
                    slot.2.push(i);
                }
            }
        }
        let mut codes: Vec<_> = codes.into_iter().collect();
        codes.sort_by(|a, b| (a.1.0, b.1.1).cmp(&(b.1.0, a.1.1)));
        codes
            .into_iter()
            .map(|(code, (severity, count, rules))| {
                let rules = self.rule_list(&rules);
                context! {
                    code,
                    anchor => format!("code-{}", slug(code)),
                    severity => severity.as_str(),
                    count,
                    rules,
                }
            })
            .collect()
    }

    fn exports(&self, stats: &mut SiteStats) -> Result<(), SiteError> {
        let corpus = self.catalog.corpus;
        self.write(stats, "assets/site.css", CSS.as_bytes())?;
        self.write(stats, "assets/search.js", SEARCH_JS.as_bytes())?;
        self.write(stats, "schema/rule.schema.json", RULE_SCHEMA.as_bytes())?;
        self.write(
            stats,
            "schema/catalog.schema.json",
            CATALOG_SCHEMA.as_bytes(),
        )?;
        self.write_json(stats, "catalog.json", corpus)?;
        let csv = export::indicators_csv(self.catalog);
        self.write(stats, "indicators.csv", csv.as_bytes())?;

        let base_url = self.options.base_url.as_deref();
        let layer = export::navigator_layer(
            &self.options.title,
            &format!(
                "Techniques covered by the {} rules of the catalog; score = rules.",
                corpus.rules.len()
            ),
            corpus.rules.iter(),
            base_url,
        );
        self.write_json(stats, "attack/layer.json", &layer)?;
        for entry in &self.catalog.index(Kind::DataSource).entries {
            let label = &entry.label;
            let layer = export::navigator_layer(
                &format!("{}: {label}", self.options.title),
                &format!(
                    "Techniques covered by the {} rules on {label}; score = rules.",
                    entry.rules.len()
                ),
                entry.rules.iter().map(|&i| &corpus.rules[i]),
                base_url,
            );
            self.write_json(stats, &format!("attack/{}.json", slug(&entry.name)), &layer)?;
        }
        Ok(())
    }

    fn render(&self, template: &str, root: &str, ctx: Value) -> Result<String, SiteError> {
        let ctx = context! {
            root,
            site_title => &self.options.title,
            rule_count => self.catalog.rules.len(),
            has_coverage => self.evaluation.is_some(),
            ..ctx
        };
        self.env
            .get_template(template)
            .and_then(|t| t.render(ctx))
            .map_err(|source| SiteError::Template {
                page: template.to_owned(),
                source,
            })
    }

    fn page(
        &self,
        stats: &mut SiteStats,
        path: &str,
        template: &str,
        root: &str,
        ctx: Value,
    ) -> Result<(), SiteError> {
        let html = self.render(template, root, ctx).map_err(|e| match e {
            SiteError::Template { source, .. } => SiteError::Template {
                page: path.to_owned(),
                source,
            },
            other => other,
        })?;
        stats.pages += 1;
        self.write(stats, path, html.as_bytes())
    }

    fn write_json(
        &self,
        stats: &mut SiteStats,
        path: &str,
        value: &impl serde::Serialize,
    ) -> Result<(), SiteError> {
        let full = self.out.join(path);
        let file = std::fs::File::create(&full).map_err(|source| SiteError::Io {
            path: full.clone(),
            source,
        })?;
        let mut writer = io::BufWriter::new(file);
        serde_json::to_writer(&mut writer, value).map_err(|source| SiteError::Json {
            path: full.clone(),
            source,
        })?;
        writer.flush().map_err(|source| SiteError::Io {
            path: full.clone(),
            source,
        })?;
        stats.files += 1;
        stats.bytes += std::fs::metadata(&full).map_or(0, |m| m.len());
        Ok(())
    }

    /// One write per file: pages are rendered whole into memory first.
    fn write(&self, stats: &mut SiteStats, path: &str, bytes: &[u8]) -> Result<(), SiteError> {
        let full = self.out.join(path);
        std::fs::write(&full, bytes).map_err(|source| SiteError::Io { path: full, source })?;
        stats.files += 1;
        stats.bytes += bytes.len() as u64;
        Ok(())
    }
}

/// Stage spans widened back to the `|` before them, so each stage shows as one block that
/// starts with its pipe (the analysis's spans leave the pipe out).
fn stage_blocks(logic: &str, stages: &[StageRow]) -> Vec<(usize, Span)> {
    let mut previous_end = 0u32;
    stages
        .iter()
        .map(|stage| {
            let gap = Span::new(previous_end.min(stage.span.start), stage.span.start);
            let start = gap
                .slice(logic)
                .rfind('|')
                .map_or(stage.span.start, |at| gap.start + at as u32);
            previous_end = stage.span.end;
            (stage.index, Span::new(start, stage.span.end))
        })
        .collect()
}

fn kind_view(kind: Kind) -> Value {
    context! {
        dir => kind.dir(),
        title => kind.title(),
        singular => kind.singular(),
        detail => kind.detail_label(),
    }
}

fn row(entry: &catalog::Entry) -> Value {
    context! {
        label => &entry.label,
        detail => &entry.detail,
        href => &entry.href,
        rules => entry.rules.len(),
        use_cases => entry.use_cases,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rulescope_model::analysis::StageRole;

    fn stage(index: usize, start: u32, end: u32) -> StageRow {
        StageRow {
            index,
            command: String::new(),
            role: StageRole::Filter,
            text: String::new(),
            span: Span::new(start, end),
        }
    }

    #[test]
    fn stage_blocks_start_at_their_pipe() {
        let logic = "a=1 | where b | stats c";
        let blocks = stage_blocks(logic, &[stage(0, 0, 3), stage(1, 6, 13), stage(2, 16, 23)]);
        let texts: Vec<&str> = blocks.iter().map(|(_, s)| s.slice(logic)).collect();
        assert_eq!(texts, ["a=1", "| where b", "| stats c"]);
        // Spans that overlap or run past the text do not make it panic.
        let odd = stage_blocks(logic, &[stage(0, 5, 99), stage(1, 2, 4)]);
        assert_eq!(odd.len(), 2);
    }
}
