//! One build of the catalog: the analysis, the site's files and the lookups the API needs.

use std::collections::HashMap;
use std::time::{Instant, SystemTime};

use anyhow::Context;
use axum::body::Bytes;
use rulescope_analysis::CorpusAnalysis;
use rulescope_site::{SearchIndex, SiteOptions, slug};

use crate::files::SiteFiles;

pub struct Snapshot {
    generation: u64,
    built_at: SystemTime,
    build_ms: u64,
    title: String,
    corpus: CorpusAnalysis,
    pub(crate) files: SiteFiles,
    pub(crate) search: SearchIndex,
    pub(crate) by_key: HashMap<String, usize>,
    pub(crate) by_id: HashMap<String, Vec<usize>>,
}

impl Snapshot {
    /// Builds the site into a temporary directory with `rulescope_site::build`, the same
    /// code as `rulescope build`, and reads it into memory.
    pub fn build(
        corpus: CorpusAnalysis,
        options: &SiteOptions,
        generation: u64,
    ) -> anyhow::Result<Self> {
        let started = Instant::now();
        let dir = tempfile::Builder::new()
            .prefix("rulescope-serve-")
            .tempdir()
            .context("creating a directory for the site")?;
        rulescope_site::build(&corpus, dir.path(), options).context("building the site")?;
        let files = SiteFiles::load(dir.path()).context("reading the built site")?;
        let mut by_key = HashMap::new();
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, rule) in corpus.rules.iter().enumerate() {
            by_key.insert(rule.key.clone(), i);
            by_id.entry(rule.id.clone()).or_default().push(i);
        }
        Ok(Self {
            generation,
            built_at: SystemTime::now(),
            build_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            title: options.title.clone(),
            search: SearchIndex::new(&corpus),
            corpus,
            files,
            by_key,
            by_id,
        })
    }

    /// 1 for the first build, one more for each rebuild that succeeded.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn built_at(&self) -> SystemTime {
        self.built_at
    }

    /// How long building the site and reading it in took (not the analysis).
    pub fn build_ms(&self) -> u64 {
        self.build_ms
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn corpus(&self) -> &CorpusAnalysis {
        &self.corpus
    }

    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The rule's JSON export (`rules/<key>.json`), the body of `/api/rules/{id}`.
    pub fn rule_json(&self, rule: usize) -> Option<&Bytes> {
        let rule = self.corpus.rules.get(rule)?;
        self.files.get(&format!("rules/{}.json", slug(&rule.key)))
    }

    /// Whether several rules share this rule's id (then its key alone is ambiguous).
    pub(crate) fn id_is_shared(&self, id: &str) -> bool {
        self.by_id.get(id).is_some_and(|rules| rules.len() > 1)
    }
}
