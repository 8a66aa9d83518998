//! Runs SPL rules over recorded Windows events the way Splunk would, so a detection
//! engineer sees which rules fire on attack data, which stay silent, and why.
//!
//! # API
//!
//! - [`Engine::new`]`(&[Rule], &`[`EngineOptions`]`)` compiles every Splunk rule (macros
//!   expanded with [`macros::default_table`] plus `--macros`, lookups from a directory); a
//!   rule it cannot run exactly is kept as not evaluable, with the reason.
//! - [`Engine::session`] → [`Session::push`]`(&Event)` per event → [`Session::finish`] gives
//!   a [`RuleOutcome`] per rule: fired or not, result rows, and the stage funnel.
//! - [`Engine::run_paths`] reads EVTX / JSON-lines files ([`input`]) into one session;
//!   [`coverage::coverage`] runs per ATT&CK-labelled file.
//! - [`event::from_json_bytes`] (JSON text) or [`event::from_json`] (a `serde_json::Value`)
//!   builds an [`Event`] (Splunk `_raw`, header and CIM fields, see [`cim::MAPPINGS`]) from
//!   the evtx crate's JSON or flat JSON.
//!
//! Events stream: each passes the rules' streaming stages at once and only blocking stages
//! keep state. Per event, only rules whose base search can match its sourcetype, source
//! and event id run (see [`plan::Selector`]). Reading EVTX, the base searches are tested on
//! the parser's worker threads ([`Engine::screen`]); the session thread runs the rest.

#[cfg(test)]
mod test_data;

pub mod cim;
pub mod coverage;
pub mod eval;
pub mod event;
pub mod exec;
pub mod input;
mod json;
mod literals;
pub mod macros;
pub mod plan;
mod prefilter;
pub mod regex;
pub mod search;
pub mod value;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rulescope_model::{LogicFormat, Rule};
use rulescope_spl::MacroTable;
use serde::Serialize;

pub use event::{Event, Fields, Rendering};
pub use input::InputStats;
pub use value::Value;

use exec::Runner;
use plan::{Lookups, Plan};
use prefilter::Prefilter;

/// How rules are compiled and events rendered.
#[derive(Clone, Debug, Default)]
pub struct EngineOptions {
    pub rendering: Rendering,
    /// A macros.conf text whose stanzas override the default macros.
    pub macros_conf: Option<String>,
    /// Where CSV lookups are found (`<name>` or `<name>.csv`).
    pub lookups: Option<PathBuf>,
}

/// A compiled rule.
#[derive(Debug)]
pub struct CompiledRule {
    pub id: String,
    pub title: String,
    pub path: String,
    pub technique_ids: Vec<String>,
    pub plan: Result<Plan, String>,
}

/// All Splunk rules of a corpus, compiled.
pub struct Engine {
    pub rules: Vec<CompiledRule>,
    pub rendering: Rendering,
    /// Shared by every session (coverage runs one per file) and the parser's workers.
    prefilter: Arc<Prefilter>,
}

/// A rule to compile: what [`Engine`] needs of a [`Rule`].
#[derive(Clone, Debug, Default)]
pub struct RuleSpec {
    pub id: String,
    pub title: String,
    pub path: String,
    pub technique_ids: Vec<String>,
    /// The SPL query.
    pub logic: String,
}

impl From<&Rule> for RuleSpec {
    fn from(r: &Rule) -> Self {
        RuleSpec {
            id: r.id.clone(),
            title: r.title.clone(),
            path: r.source.relative_path.clone(),
            technique_ids: r.technique_ids.clone(),
            logic: r.logic.clone(),
        }
    }
}

impl Engine {
    /// Compiles the Splunk rules of a corpus; rules in other formats are left out.
    pub fn new(rules: &[Rule], options: &EngineOptions) -> Engine {
        let specs: Vec<RuleSpec> = rules
            .iter()
            .filter(|r| r.logic_format == LogicFormat::Splunk)
            .map(RuleSpec::from)
            .collect();
        Engine::from_specs(&specs, options)
    }

    /// Compiles SPL rules.
    pub fn from_specs(rules: &[RuleSpec], options: &EngineOptions) -> Engine {
        let names = rules.iter().flat_map(|r| macro_names(&r.logic));
        let mut table: MacroTable = macros::default_table(names);
        if let Some(conf) = &options.macros_conf {
            table.add_conf(conf);
        }
        let mut lookups = Lookups::new(options.lookups.clone());
        let rules: Vec<CompiledRule> = rules
            .iter()
            .map(|r| CompiledRule {
                id: r.id.clone(),
                title: r.title.clone(),
                path: r.path.clone(),
                technique_ids: r.technique_ids.clone(),
                plan: plan::compile(&r.logic, &table, &mut lookups),
            })
            .collect();
        Engine {
            prefilter: Arc::new(Prefilter::new(rules.iter().map(|r| r.plan.as_ref().ok()))),
            rules,
            rendering: options.rendering,
        }
    }

    pub fn session(&self) -> Session<'_> {
        Session {
            engine: self,
            runners: self
                .rules
                .iter()
                .map(|r| r.plan.as_ref().ok().map(Runner::new))
                .collect(),
            events: 0,
        }
    }

    /// Reads every event file under `paths` into one session. `progress` hears about each
    /// file as it starts and every event.
    pub fn run_paths(
        &self,
        paths: &[PathBuf],
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> RunReport {
        let files = input::discover(paths);
        let mut session = self.session();
        let mut stats = InputStats::default();
        self.read_files(&files, &mut |read| match read {
            Read::Start(index) => progress(Progress::File {
                index,
                total: files.len(),
                path: &files[index],
            }),
            Read::Event(e) => {
                session.push_screened(e);
                progress(Progress::Event);
            }
            Read::End(file) => stats.add(file),
        });
        RunReport {
            rendering: self.rendering,
            input: stats,
            rules: session.finish(),
        }
    }

    /// Reads `files`, screening each event on the parser's workers, and hands `sink` each
    /// file's start, events and end, file after file.
    pub(crate) fn read_files(&self, files: &[PathBuf], sink: &mut dyn FnMut(Read)) {
        // Files are read by threads of their own, each taking every READERS-th file, so the
        // next files are parsed while this thread runs the rules over the last one's events.
        // Most files are a chunk or two, too few to keep the parser's workers busy: with one
        // file at a time, the workers waited at every file's end. Taking the readers' channels
        // in turn keeps file order; their bounds keep memory from growing with the input.
        let readers = READERS.min(files.len()).max(1);
        std::thread::scope(|scope| {
            let rendering = self.rendering;
            let mut channels = Vec::with_capacity(readers);
            let mut handles = Vec::with_capacity(readers);
            for first in 0..readers {
                let (tx, rx) = std::sync::mpsc::sync_channel(READ_AHEAD);
                channels.push(rx);
                let screen = self.screen();
                handles.push(scope.spawn(move || {
                    for file in files.iter().skip(first).step_by(readers) {
                        let mut stats = InputStats::default();
                        input::read_file_with(
                            file,
                            rendering,
                            &mut stats,
                            screen.clone(),
                            &mut |e| {
                                let _ = tx.send(Read::Event(e));
                            },
                        );
                        // The receiver only goes away when this thread's caller unwinds.
                        if tx.send(Read::End(stats)).is_err() {
                            break;
                        }
                    }
                }));
            }
            'files: for index in 0..files.len() {
                sink(Read::Start(index));
                for read in &channels[index % readers] {
                    let end = matches!(read, Read::End(_));
                    sink(read);
                    if end {
                        continue 'files;
                    }
                }
                // A reader stopped early: only a panic does that, and joining rethrows it.
                break;
            }
            drop(channels);
            for handle in handles {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
        });
    }

    /// Screens an event for [`Session::push_screened`]; runs on the parser's workers.
    pub fn screen(&self) -> impl Fn(Event) -> Screened + Send + Sync + Clone + 'static {
        let prefilter = self.prefilter.clone();
        move |event| {
            let rules = prefilter.passing(&event);
            Screened {
                // Events no rule takes are dropped here, off the session's thread.
                event: (!rules.is_empty()).then_some(event),
                rules,
            }
        }
    }
}

/// How many events each reading thread of [`Engine::read_files`] reads ahead of the rules.
const READ_AHEAD: usize = 1024;

/// How many files [`Engine::read_files`] reads at once.
const READERS: usize = 2;

/// What [`Engine::read_files`] hands on, file after file.
pub(crate) enum Read {
    /// The file of this index in the list is next.
    Start(usize),
    Event(Screened),
    /// The file is read; what reading it gave.
    End(InputStats),
}

/// An event with the rules whose base search it passes (see [`Engine::screen`]).
pub struct Screened {
    event: Option<Event>,
    rules: Vec<u32>,
}

/// Progress of [`Engine::run_paths`].
pub enum Progress<'a> {
    File {
        index: usize,
        total: usize,
        path: &'a Path,
    },
    Event,
}

/// The names of the backtick macros a query calls.
fn macro_names(logic: &str) -> impl Iterator<Item = String> + '_ {
    logic
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|inner| inner.split('(').next().unwrap_or(inner).trim().to_owned())
}

/// One pass of events through every rule.
pub struct Session<'e> {
    engine: &'e Engine,
    runners: Vec<Option<Runner<'e>>>,
    events: u64,
}

impl<'e> Session<'e> {
    pub fn push(&mut self, event: &Event) {
        let rules = self.engine.prefilter.passing(event);
        self.pass(event, &rules);
    }

    /// Takes an event screened by [`Engine::screen`], on any thread.
    pub fn push_screened(&mut self, screened: Screened) {
        match &screened.event {
            Some(event) => self.pass(event, &screened.rules),
            None => self.events += 1,
        }
    }

    /// Hands `event` to the rules whose base search it passed.
    fn pass(&mut self, event: &Event, rules: &[u32]) {
        self.events += 1;
        for &i in rules {
            if let Some(Some(runner)) = self.runners.get_mut(i as usize) {
                runner.pass(event);
            }
        }
    }

    pub fn finish(self) -> Vec<RuleOutcome> {
        let events = self.events;
        self.engine
            .rules
            .iter()
            .zip(self.runners)
            .map(|(rule, runner)| {
                let status = match (runner, &rule.plan) {
                    (Some(mut r), Ok(plan)) => {
                        r.finish(events);
                        Status::Evaluated {
                            fired: r.row_count > 0,
                            row_count: r.row_count,
                            funnel: plan
                                .labels
                                .iter()
                                .zip(&r.funnel)
                                .map(|(stage, (i, o))| FunnelStage {
                                    stage: stage.clone(),
                                    rows_in: *i,
                                    rows_out: *o,
                                })
                                .collect(),
                            regex_limit_hits: r.ctx.limit_hits.get(),
                            regex_errors: r.ctx.regex_errors.borrow().clone(),
                            rows: r.rows,
                        }
                    }
                    (_, Err(reason)) => Status::NotEvaluable {
                        reason: reason.clone(),
                    },
                    (None, Ok(_)) => Status::NotEvaluable {
                        reason: "internal: no runner".into(),
                    },
                };
                RuleOutcome {
                    id: rule.id.clone(),
                    title: rule.title.clone(),
                    path: rule.path.clone(),
                    technique_ids: rule.technique_ids.clone(),
                    status,
                }
            })
            .collect()
    }
}

/// What happened to one rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleOutcome {
    pub id: String,
    pub title: String,
    pub path: String,
    pub technique_ids: Vec<String>,
    #[serde(flatten)]
    pub status: Status,
}

impl RuleOutcome {
    pub fn fired(&self) -> bool {
        matches!(self.status, Status::Evaluated { fired: true, .. })
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    NotEvaluable {
        reason: String,
    },
    Evaluated {
        fired: bool,
        row_count: u64,
        funnel: Vec<FunnelStage>,
        /// Regex searches that hit PCRE2's match limit (counted as no match).
        regex_limit_hits: u64,
        /// Regexes of eval functions that did not compile (the call gave null).
        regex_errors: Vec<String>,
        /// Result rows, up to [`exec::MAX_KEPT_ROWS`].
        rows: Vec<Fields>,
    },
}

/// Rows entering and leaving one stage.
#[derive(Clone, Debug, Serialize)]
pub struct FunnelStage {
    pub stage: String,
    pub rows_in: u64,
    pub rows_out: u64,
}

/// A whole `rulescope test` run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub rendering: Rendering,
    pub input: InputStats,
    pub rules: Vec<RuleOutcome>,
}
